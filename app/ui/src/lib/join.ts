// The join link a QR code carries: `kept://join?relay=URL&invite=CODE` (the
// relay's address and a one-time code), and reading one back when a person
// pastes it into the join form.
//
// QR codes are drawn by the npm `qrcode` package (already bundled for the
// manager's invites) as an SVG string in the webview: no round trip to Rust,
// no native dependency, works offline, and SVG stays sharp at any size.
import QRCode from 'qrcode';

/** The link for joining `relay` with `code`. */
export function joinLink(relay: string, code: string): string {
  return `kept://join?relay=${encodeURIComponent(relay)}&invite=${encodeURIComponent(code)}`;
}

/** The relay and code of a pasted join link, or null if `text` is not one. */
export function parseJoinLink(text: string): { relay: string; code: string } | null {
  const t = text.trim();
  if (!t.startsWith('kept://join?')) return null;
  const q = new URLSearchParams(t.slice('kept://join?'.length));
  const relay = q.get('relay')?.trim() ?? '';
  const code = (q.get('invite') ?? q.get('code'))?.trim() ?? '';
  return relay && code ? { relay, code } : null;
}

/** An SVG QR code of `text`. */
export function qrSvg(text: string): Promise<string> {
  return QRCode.toString(text, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' });
}

/**
 * A code cut into groups for reading aloud and copying by eye: the relay's own groups
 * ("K7M2P-XW3QA-…", letters nobody misreads) when it has them, else groups of `size`.
 */
export function codeGroups(code: string, size = 4): string[] {
  if (code.includes('-') && code.split('-').every((g) => g.length > 0 && g.length <= 6)) return code.split('-');
  const out: string[] = [];
  for (let i = 0; i < code.length; i += size) out.push(code.slice(i, i + size));
  return out;
}
