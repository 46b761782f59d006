// Formatting for people, in one place: money, numbers, dates, times, weeks and plurals, all
// through `Intl` with one locale and one currency (plus small pure helpers; no DOM).
//
// The locale and currency are the team's (team settings, applied by `setStatus` through
// `setFormatPrefs`); without them, the device's locale (navigator) and USD.
import type { Pace, SyncState, SyncStatus, Weekday } from './api';

let cachedLocale: string | undefined | null = null;
let currency = 'USD';

/** Override the locale and/or currency (a team setting, or a test). `null` locale: the device's. */
export function setFormatPrefs(p: { locale?: string | null; currency?: string }): void {
  if (p.locale !== undefined) cachedLocale = p.locale === null ? null : canonical(p.locale) ?? null;
  if (p.currency) currency = p.currency.toUpperCase();
  cache.clear();
}

function canonical(tag: string): string | undefined {
  try {
    return Intl.getCanonicalLocales(tag.replace(/_/g, '-').split(/[.@]/)[0])[0];
  } catch {
    return undefined; // not a valid tag (some webviews report "C")
  }
}

/** Used when the webview reports no usable locale. */
const FALLBACK_LOCALE = 'en-US';

/**
 * The user's locale: the webview's first valid BCP 47 tag, else en-US. Never the engine's
 * default: under LANG=C (no locale) WebKit formats as en-US-POSIX, without grouping ("$ 277000").
 */
export function locale(): string {
  if (cachedLocale) return cachedLocale;
  cachedLocale = FALLBACK_LOCALE;
  const langs = typeof navigator !== 'undefined' ? [...(navigator.languages ?? []), navigator.language] : [];
  for (const l of langs) {
    const canon = l ? canonical(l) : undefined;
    if (canon && !/posix|^und\b/i.test(canon)) {
      cachedLocale = canon;
      break;
    }
  }
  return cachedLocale;
}

/** The currency amounts are shown in (ISO 4217). */
export function currencyCode(): string {
  return currency;
}

const cache = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>();
function numberFormat(key: string, opts: Intl.NumberFormatOptions): Intl.NumberFormat {
  let f = cache.get(`n:${key}`) as Intl.NumberFormat | undefined;
  if (!f) cache.set(`n:${key}`, (f = new Intl.NumberFormat(locale(), opts)));
  return f;
}
function dateFormat(key: string, opts: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  let f = cache.get(`d:${key}`) as Intl.DateTimeFormat | undefined;
  if (!f) cache.set(`d:${key}`, (f = new Intl.DateTimeFormat(locale(), opts)));
  return f;
}

/**
 * A number rounded sensibly for reading: whole from 10 up, one decimal below
 * ("4.3" stays, "42.7" → "43"), grouped ("297,000").
 */
export function fmtNum(n: number | null | undefined): string {
  if (n == null || !Number.isFinite(n)) return '–';
  return numberFormat(Math.abs(n) >= 10 ? 'n0' : 'n1', { maximumFractionDigits: Math.abs(n) >= 10 ? 0 : 1 }).format(n);
}

/** A count of things that happen whole (calls expected by now): rounded to a whole number. */
export function fmtCount(n: number | null | undefined): string {
  if (n == null || !Number.isFinite(n)) return '–';
  return numberFormat('n0', { maximumFractionDigits: 0 }).format(Math.round(n));
}

/** Whole units of money in the team's currency: 297000 → "$297,000". */
export function fmtMoney(n: number | null | undefined): string {
  if (n == null || !Number.isFinite(n)) return '–';
  return numberFormat(`money:${currency}`, {
    style: 'currency',
    currency,
    maximumFractionDigits: 0,
    minimumFractionDigits: 0,
  }).format(n);
}

/** A share in 0–1 as a percentage: 0.25 → "25%". */
export function fmtPct(share: number | null | undefined): string {
  if (share == null || !Number.isFinite(share)) return '–';
  return numberFormat('pct', { style: 'percent', maximumFractionDigits: 0 }).format(share);
}

/** "1 call", "3 calls"; `plural` defaults to `one` + "s". The count is formatted. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${fmtNum(n)} ${n === 1 ? one : many}`;
}

/** The word alone, by count: "Call logged" / "Calls logged" → pick(n, 'Call', 'Calls'). */
export function byCount(n: number, one: string, many = `${one}s`): string {
  return n === 1 ? one : many;
}

/** "YYYY-MM-DD" → a local calendar date (no time-zone shift). */
export function parseDay(day: string): Date {
  const [y, m, d] = day.slice(0, 10).split('-').map(Number);
  return new Date(y, (m || 1) - 1, d || 1);
}

const thisYear = (d: Date, now: Date) => d.getFullYear() === now.getFullYear();

/**
 * THE date style of the app: "Thu, Nov 26" (with the year when it is not this year:
 * "Thu, Nov 26, 2025"). `day` is "YYYY-MM-DD" (or an RFC 3339 instant's date part).
 */
export function fmtDay(day: string, now: Date = new Date()): string {
  const d = parseDay(day);
  return thisYear(d, now)
    ? dateFormat('day', { weekday: 'short', day: 'numeric', month: 'short' }).format(d)
    : dateFormat('dayY', { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' }).format(d);
}

/** An instant's local date in the app's date style. */
export function fmtDate(iso: string, now: Date = new Date()): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return fmtDay(dayStr(d), now);
}

/** A time of day in the locale's clock (12- or 24-hour, never both): "2:05 PM", unbreakable. */
export function fmtTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  // A time never breaks across lines ("12:11 / PM"): its spaces become no-break spaces.
  return dateFormat('time', { hour: 'numeric', minute: '2-digit' }).format(d).replace(/\s/g, '\u00a0');
}

/** Date and time: "Thu, Nov 26, 2:05 PM" (the date in the app's one style). */
export function fmtDateTime(iso: string, now: Date = new Date()): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${fmtDay(dayStr(d), now)}, ${fmtTime(iso)}`;
}

const WEEKDAYS: Weekday[] = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/**
 * The first local day ("YYYY-MM-DD") of team week `label` ("2026-W49"): the team's
 * week-start day on or before the ISO week's Monday (as kept-core's `Week::first_day`).
 */
export function weekFirstDay(label: string, start: Weekday = 'Mon'): string | null {
  const m = /^(\d{4})-W(\d{2})$/.exec(label);
  if (!m) return null;
  const [year, week] = [Number(m[1]), Number(m[2])];
  const jan4 = new Date(year, 0, 4);
  const monday = new Date(year, 0, 4 - ((jan4.getDay() + 6) % 7) + (week - 1) * 7);
  const back = (7 - WEEKDAYS.indexOf(start)) % 7;
  monday.setDate(monday.getDate() - back);
  return dayStr(monday);
}

/** A team week as a date range: "Nov 30 – Dec 6" (the year added when it is not this year). */
export function fmtWeek(label: string, start: Weekday = 'Mon', now: Date = new Date()): string {
  const first = weekFirstDay(label, start);
  if (!first) return label;
  const a = parseDay(first);
  const b = parseDay(addDays(first, 6));
  const f = thisYear(a, now) && thisYear(b, now)
    ? dateFormat('range', { day: 'numeric', month: 'short' })
    : dateFormat('rangeY', { day: 'numeric', month: 'short', year: 'numeric' });
  return f.formatRange(a, b);
}

/**
 * Text written by kept-core (warning signs, advice) in the app's style: week labels
 * ("2026-W48") become "week of Nov 23", dates ("2026-12-01") "Tue, Dec 1", and a whole
 * number loses its ".0" ("33.0" → "33").
 */
export function humanizeCoreText(text: string, start: Weekday = 'Mon', now: Date = new Date()): string {
  return text
    .replace(/\b\d{4}-W\d{2}\b/g, (w) => `week of ${fmtWeekStart(w, start)}`)
    .replace(/\b\d{4}-\d{2}-\d{2}\b/g, (d) => fmtDay(d, now))
    .replace(/\b(\d+)\.0\b/g, '$1');
}

/** A team week by its first day, short: "Nov 30" (chart axes). */
export function fmtWeekStart(label: string, start: Weekday = 'Mon'): string {
  const first = weekFirstDay(label, start);
  return first ? dateFormat('short', { day: 'numeric', month: 'short' }).format(parseDay(first)) : label;
}

/** "2026-W49" → "Week 49" (the ISO label, shown second to the date range). */
export function isoWeekShort(label: string): string {
  const m = /^\d{4}-W(\d{2})$/.exec(label);
  return m ? `Week ${Number(m[1])}` : label;
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
  return fmtDateTime(iso, now);
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

/** A problem in plain words, with the technical detail kept for a "Details" toggle. */
export interface Problem {
  text: string;
  detail: string | null;
}

const KEPT_SAFE = 'your taps are saved on this device';

/**
 * A sync failure (a command error's kind and message, or a status's `last_error`) in plain
 * words: never "io: Connection refused (os error 111)" on its own.
 */
export function describeSyncProblem(raw: string, kind?: string | null): Problem {
  const detail = raw.trim() || null;
  const r = raw.toLowerCase();
  let text: string;
  if (kind === 'incompatible' || /incompatible|protocol version|upgrade required/.test(r)) {
    text = `The team relay runs another version of Kept: update this app. Meanwhile ${KEPT_SAFE}.`;
  } else if (/revoked|\b401\b|\b403\b|unauthori[sz]ed|forbidden|not a member/.test(r)) {
    text = `The team relay did not accept this device — ${KEPT_SAFE}. Ask your manager to check your access.`;
  } else if (kind === 'relay' && !/unreachable|timed out|timeout|connect/.test(r)) {
    text = `The team relay could not take this sync — ${KEPT_SAFE} and Kept tries again shortly.`;
  } else {
    text = `Can't reach the team relay — ${KEPT_SAFE} and will sync when it's back.`;
  }
  return { text, detail };
}

/** Error kinds that mean "the relay could not be reached or refused", not "you typed something wrong". */
export const SYNC_ERROR_KINDS = new Set(['network', 'relay', 'incompatible']);

export function errMessage(e: unknown): string {
  if (e && typeof e === 'object' && typeof (e as { message?: unknown }).message === 'string') {
    return (e as { message: string }).message || 'Something went wrong.';
  }
  if (typeof e === 'string' && e) return e;
  return 'Something went wrong. Please try again.';
}

/**
 * One of a catalog label ("Calls" → "Call", "Meetings set" → "Meeting set", "Discovery calls" →
 * "Discovery call"): the first word ending in a plural "s" loses it. Catalog labels are plural
 * and the catalog has no singular form, so this is the English rule of thumb.
 */
export function singularLabel(label: string): string {
  const words = label.split(' ');
  const i = words.findIndex((w) => /[^su]s$/i.test(w) && w.length > 2);
  if (i < 0) return label;
  words[i] = words[i].slice(0, -1);
  return words.join(' ');
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

/**
 * A URL in pieces that may each end a line ("http://", "127.", "0.", "0.", "1:",
 * "43687"): shown with a line-break opportunity after each, a URL wraps at its
 * punctuation, never inside a number.
 */
export function urlParts(url: string): string[] {
  return url.match(/[^/.:?&=]*[/.:?&=]+|[^/.:?&=]+$/g) ?? [url];
}
