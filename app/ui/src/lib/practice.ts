// Practice challenges in the webview: recording with MediaRecorder where the
// webview has it (a picked file otherwise), recordings to and from base64 for
// the IPC, and the words a screen shows for a challenge's state.
import type { ChallengeState, ChallengeView } from './bindings';

/** Can this webview record from a microphone? (Otherwise the app offers a file picker.) */
export function canRecord(): boolean {
  return (
    typeof window !== 'undefined' &&
    typeof (window as unknown as { MediaRecorder?: unknown }).MediaRecorder === 'function' &&
    !!navigator.mediaDevices?.getUserMedia
  );
}

/** The first media type the recorder supports, for audio (or video). */
export function recorderMime(video: boolean): string {
  const wanted = video
    ? ['video/webm;codecs=vp8,opus', 'video/webm', 'video/mp4']
    : ['audio/webm;codecs=opus', 'audio/webm', 'audio/ogg;codecs=opus', 'audio/mp4'];
  const MR = (window as unknown as { MediaRecorder?: { isTypeSupported?: (t: string) => boolean } }).MediaRecorder;
  return wanted.find((t) => MR?.isTypeSupported?.(t)) ?? (video ? 'video/webm' : 'audio/webm');
}

/** A media type the core accepts for a picked file (the browser's, else from its name). */
export function fileMime(name: string, type: string): string | null {
  if (/^(audio|video)\//.test(type)) return type;
  const ext = name.toLowerCase().split('.').pop() ?? '';
  const byExt: Record<string, string> = {
    webm: 'audio/webm',
    ogg: 'audio/ogg',
    oga: 'audio/ogg',
    opus: 'audio/ogg',
    wav: 'audio/wav',
    mp3: 'audio/mpeg',
    m4a: 'audio/mp4',
    aac: 'audio/mp4',
    mp4: 'video/mp4',
    mov: 'video/quicktime',
    '3gp': 'video/3gpp',
  };
  return byExt[ext] ?? null;
}

/** Bytes → base64 (in slices, so a long recording does not overflow the call stack). */
export function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** base64 → bytes. */
export function fromBase64(b64: string): Uint8Array {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** 75 000 ms → "1:15". */
export function fmtMoment(ms: number): string {
  const t = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(t / 60)}:${String(t % 60).padStart(2, '0')}`;
}

/** What a state is called, for the rep (`mine`) or the manager. */
export function stateWord(s: ChallengeState, mine: boolean): string {
  switch (s) {
    case 'open':
      return mine ? 'To do' : 'Waiting for the answer';
    case 'overdue':
      return mine ? 'Overdue' : 'Overdue, not answered';
    case 'answered':
      return mine ? 'Sent, waiting for feedback' : 'Ready to review';
    case 'reviewed':
      return mine ? 'Feedback' : 'Scored';
    case 'withdrawn':
      return 'Withdrawn';
  }
}

/** A manager's list in working order: answers to review first, then open (overdue first), then scored. */
export function reviewOrder(list: ChallengeView[]): ChallengeView[] {
  const rank: Record<ChallengeState, number> = { answered: 0, overdue: 1, open: 2, reviewed: 3, withdrawn: 4 };
  return [...list].sort(
    (a, b) => rank[a.state] - rank[b.state] || a.challenge.due.localeCompare(b.challenge.due) || a.rep_name.localeCompare(b.rep_name),
  );
}

/** The lowest-scored criterion of a scored answer (a development-plan suggestion), if any is below good. */
export function weakest(v: ChallengeView): string | null {
  let best: [string, number] | null = null;
  for (const [c, s] of Object.entries(v.scores)) {
    if (s === undefined || s >= 3) continue;
    if (!best || s < best[1]) best = [c, s];
  }
  return best?.[0] ?? null;
}
