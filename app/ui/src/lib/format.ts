// Locale-aware formatting and small pure helpers (unit-testable, no DOM).
import type { Pace, SyncState, SyncStatus } from './api';

let cachedLocale: string | undefined | null = null;

/** The user's locale, if the webview reports a valid BCP 47 tag (some report "C"). */
export function locale(): string | undefined {
  if (cachedLocale !== null) return cachedLocale;
  cachedLocale = undefined;
  const langs = typeof navigator !== 'undefined' ? [...(navigator.languages ?? []), navigator.language] : [];
  for (const l of langs) {
    if (!l) continue;
    try {
      const [canon] = Intl.getCanonicalLocales(l.replace('_', '-').split('.')[0]);
      if (canon) {
        cachedLocale = canon;
        break;
      }
    } catch {
      /* not a valid tag */
    }
  }
  return cachedLocale;
}

export function fmtNum(n: number | null | undefined): string {
  if (n == null || Number.isNaN(n)) return '–';
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: 1 }).format(n);
}

/** "YYYY-MM-DD" → a local calendar date (no time-zone shift). */
export function parseDay(day: string): Date {
  const [y, m, d] = day.slice(0, 10).split('-').map(Number);
  return new Date(y, (m || 1) - 1, d || 1);
}

export function fmtDay(day: string): string {
  return new Intl.DateTimeFormat(locale(), { weekday: 'short', day: 'numeric', month: 'short' }).format(
    parseDay(day),
  );
}

export function fmtTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(locale(), { hour: 'numeric', minute: '2-digit' }).format(d);
}

export function fmtDateTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

/** "3 min ago" style, falling back to a date after a day. */
export function fmtAgo(iso: string | null, now: Date = new Date()): string {
  if (!iso) return 'never';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const secs = Math.round((d.getTime() - now.getTime()) / 1000);
  const rtf = new Intl.RelativeTimeFormat(locale(), { numeric: 'auto' });
  const abs = Math.abs(secs);
  if (abs < 45) return rtf.format(0, 'second');
  if (abs < 3600) return rtf.format(Math.round(secs / 60), 'minute');
  if (abs < 86400) return rtf.format(Math.round(secs / 3600), 'hour');
  return fmtDateTime(iso);
}

/** Today's local date as "YYYY-MM-DD". */
export function todayStr(now: Date = new Date()): string {
  return dayStr(now);
}

export function dayStr(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

export function addDays(day: string, n: number): string {
  const d = parseDay(day);
  d.setDate(d.getDate() + n);
  return dayStr(d);
}

/** Same local calendar day? */
export function isSameLocalDay(iso: string, now: Date = new Date()): boolean {
  const d = new Date(iso);
  return !Number.isNaN(d.getTime()) && dayStr(d) === dayStr(now);
}

/** A Date as RFC 3339 with the local offset, e.g. 2026-11-26T14:30:00+01:00. */
export function toRfc3339(d: Date): string {
  const p = (n: number) => String(Math.floor(Math.abs(n))).padStart(2, '0');
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  return (
    `${dayStr(d)}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}` +
    `${sign}${p(off / 60)}:${p(off % 60)}`
  );
}

/** RFC 3339 → value for <input type="datetime-local"> (local time). */
export function toLocalInput(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const p = (n: number) => String(n).padStart(2, '0');
  return `${dayStr(d)}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** <input type="datetime-local"> value → RFC 3339 with local offset. */
export function fromLocalInput(v: string): string | null {
  if (!v) return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : toRfc3339(d);
}

export const PACE_LABEL: Record<Pace, string> = {
  green: 'On pace',
  amber: 'Behind',
  red: 'Well behind',
  none: 'No target',
};

export const SYNC_LABEL: Record<SyncState, string> = {
  offline: 'Offline',
  syncing: 'Syncing…',
  synced: 'Synced',
  local: 'This device only',
  revoked: 'Removed from the team',
};

/** The indicator's state from a polled SyncStatus (events carry their own). */
export function deriveSyncState(s: SyncStatus | null | undefined): SyncState {
  if (!s || !s.relay) return 'local';
  if (s.revoked) return 'revoked';
  if (s.reachable === false) return 'offline';
  if (s.pending === 0 && s.last_sync && !s.last_error) return 'synced';
  if (s.last_error && s.reachable !== true) return 'offline';
  return 'syncing';
}

/** "count / target" or just "count". */
export function countOfTarget(count: number, target: number | null, sep = ' / '): string {
  return target == null ? fmtNum(count) : `${fmtNum(count)}${sep}${fmtNum(target)}`;
}

/** Host of a URL is loopback? (plain http is allowed there without asking). */
export function isLoopbackUrl(url: string): boolean {
  try {
    const u = new URL(url.trim());
    const h = u.hostname.replace(/^\[|\]$/g, '');
    return h === 'localhost' || h === '::1' || /^127\./.test(h) || h.endsWith('.localhost');
  } catch {
    return false;
  }
}

export function needsInsecureConsent(url: string): boolean {
  return /^http:\/\//i.test(url.trim()) && !isLoopbackUrl(url);
}

export function errMessage(e: unknown): string {
  if (e && typeof e === 'object' && typeof (e as { message?: unknown }).message === 'string') {
    return (e as { message: string }).message || 'Something went wrong.';
  }
  if (typeof e === 'string' && e) return e;
  return 'Something went wrong. Please try again.';
}

/** Activity label for a key, from the catalog. */
export function labelFor(catalog: { key: string; label: string }[] | undefined, key: string): string {
  return catalog?.find((t) => t.key === key)?.label ?? key;
}

const DOC_KINDS: Record<string, string> = {
  team: 'Team settings',
  log: 'Activity log',
  plan: 'Plan',
  pipeline: 'Pipeline',
  coaching: 'Coaching',
  review: 'Review',
};

/** A document id (`log/<member>/2026-W10`, `team`, …) in words, naming the member when known. */
export function docLabel(doc: string, nameOf: (memberId: string) => string | undefined): string {
  const [kind, member, period] = doc.split('/');
  const what = DOC_KINDS[kind];
  if (!what) return doc;
  if (!member) return what;
  const who = nameOf(member) ?? `member ${member.slice(0, 8)}`;
  return period ? `${what} of ${who}, ${period}` : `${what} of ${who}`;
}
