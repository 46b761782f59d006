import { describe, expect, it, vi } from 'vitest';
import {
  addDays,
  countOfTarget,
  deriveSyncState,
  describeSyncProblem,
  byCount,
  docLabel,
  fmtCount,
  fmtDateTime,
  fmtDay,
  fmtMoney,
  fmtNum,
  fmtPct,
  fmtTime,
  fmtWeek,
  fromLocalInput,
  humanizeCoreText,
  locale,
  needsInsecureConsent,
  plural,
  setFormatPrefs,
  singularLabel,
  toRfc3339,
  weekFirstDay,
  urlParts,
} from './format';
import { toApiError } from './api';
import type { SyncStatus } from './api';

const st = (p: Partial<SyncStatus>): SyncStatus => ({
  relay: 'https://r',
  pending: 0,
  last_sync: null,
  last_error: null,
  cursor: 0,
  quarantined: [],
  revoked: false,
  recordings_waiting: 0,
  recordings_refused: [],
  reachable: null,
  ...p,
});

// Spaces in Intl output differ between ICU versions (narrow no-break, thin): compare with plain ones.
const plain = (s: string) => s.replace(/[\u00a0\u202f\u2009]/g, ' ');
const NOW = new Date(2026, 11, 2, 9, 0);

describe('numbers and money (en-US, USD by default)', () => {
  setFormatPrefs({ locale: 'en-US', currency: 'USD' });
  it('groups and rounds for reading', () => {
    expect(fmtNum(297000)).toBe('297,000');
    expect(fmtNum(4.3)).toBe('4.3');
    expect(fmtNum(42.7)).toBe('43');
    expect(fmtNum(null)).toBe('–');
    expect(fmtCount(4.3)).toBe('4');
    expect(fmtPct(0.254)).toBe('25%');
  });
  it('shows money in the currency, whole units', () => {
    expect(fmtMoney(297000)).toBe('$297,000');
    expect(fmtMoney(5000)).toBe('$5,000');
    expect(fmtMoney(undefined)).toBe('–');
  });
  it('follows another locale and currency', () => {
    setFormatPrefs({ locale: 'de-DE', currency: 'EUR' });
    expect(plain(fmtMoney(297000))).toBe('297.000 €');
    expect(fmtNum(4.3)).toBe('4,3');
    setFormatPrefs({ locale: 'en-US', currency: 'USD' });
  });
  it('says one call, three calls', () => {
    expect(plural(1, 'call')).toBe('1 call');
    expect(plural(3, 'call')).toBe('3 calls');
    expect(plural(2, 'opportunity', 'opportunities')).toBe('2 opportunities');
    expect(`${byCount(1, 'Call')} logged`).toBe('Call logged');
    expect(`${byCount(2, 'Call')} logged`).toBe('Calls logged');
  });
});

describe('dates, times and weeks (one style)', () => {
  setFormatPrefs({ locale: 'en-US', currency: 'USD' });
  it('shows days the same way everywhere, with the year only when it differs', () => {
    expect(fmtDay('2026-11-26', NOW)).toBe('Thu, Nov 26');
    expect(fmtDay('2025-11-26', NOW)).toBe('Wed, Nov 26, 2025');
  });
  it('shows times in one clock', () => {
    expect(plain(fmtTime(new Date(2026, 10, 26, 14, 5).toISOString()))).toBe('2:05 PM');
    expect(plain(fmtDateTime(new Date(2026, 10, 26, 14, 5).toISOString(), NOW))).toBe('Thu, Nov 26, 2:05 PM');
  });
  it('finds the first day of a team week', () => {
    expect(weekFirstDay('2026-W49')).toBe('2026-11-30');
    expect(weekFirstDay('2026-W49', 'Sun')).toBe('2026-11-29');
    expect(weekFirstDay('2026-W01')).toBe('2025-12-29');
    expect(weekFirstDay('2020-W53')).toBe('2020-12-28');
    expect(weekFirstDay('nonsense')).toBeNull();
  });
  it('shows weeks as date ranges', () => {
    expect(plain(fmtWeek('2026-W49', 'Mon', NOW))).toBe('Nov 30 – Dec 6');
    expect(plain(fmtWeek('2026-W48', 'Mon', NOW))).toBe('Nov 23 – 29');
    expect(plain(fmtWeek('2026-W01', 'Mon', NOW))).toMatch(/^Dec 29, 2025 – Jan 4, 2026$/);
    expect(fmtWeek('x')).toBe('x');
  });
});

describe('weeks', () => {
  it('adds days', () => {
    expect(addDays('2026-02-27', 2)).toBe('2026-03-01');
  });
});

describe('time', () => {
  it('formats RFC 3339 with an offset', () => {
    const s = toRfc3339(new Date(2026, 10, 26, 14, 5, 9));
    expect(s).toMatch(/^2026-11-26T14:05:09[+-]\d{2}:\d{2}$/);
    expect(new Date(s).getTime()).toBe(new Date(2026, 10, 26, 14, 5, 9).getTime());
  });
  it('reads datetime-local values', () => {
    expect(fromLocalInput('')).toBeNull();
    expect(fromLocalInput('2026-11-26T09:30')).toMatch(/^2026-11-26T09:30:00/);
  });
});

describe('sync state', () => {
  it('derives the indicator state', () => {
    expect(deriveSyncState(null)).toBe('local');
    expect(deriveSyncState(st({ relay: null }))).toBe('local');
    expect(deriveSyncState(st({ reachable: false, pending: 3 }))).toBe('offline');
    expect(deriveSyncState(st({ reachable: true, last_sync: '2026-11-26T10:00:00Z' }))).toBe('synced');
    expect(deriveSyncState(st({ reachable: true, pending: 2, last_sync: '2026-11-26T10:00:00Z' }))).toBe('syncing');
    expect(deriveSyncState(st({ reachable: true, revoked: true, last_error: '401' }))).toBe('revoked');
  });
});

describe('misc', () => {
  it('shows count and target', () => {
    expect(countOfTarget(3, null)).toBe('3');
    expect(countOfTarget(3, 20, '/')).toBe('3/20');
  });
  it('asks before plain http to a non-loopback host', () => {
    expect(needsInsecureConsent('http://10.0.0.5:8080')).toBe(true);
    expect(needsInsecureConsent('http://127.0.0.1:8080')).toBe(false);
    expect(needsInsecureConsent('http://localhost:8080')).toBe(false);
    expect(needsInsecureConsent('https://kept.example.com')).toBe(false);
  });
  it('normalises command errors', () => {
    expect(toApiError({ kind: 'invalid', message: 'bad kind' }).message).toBe('bad kind');
    expect(toApiError({ kind: 'invalid', message: 'bad kind' }).kind).toBe('invalid');
    expect(toApiError('boom').message).toBe('boom');
    expect(toApiError(new TypeError('x')).message).toBe('x');
    expect(toApiError(undefined).message).toMatch(/went wrong/);
  });
});

describe('document labels', () => {
  const names = (id: string) => (id === 'a1' ? 'Anna' : undefined);
  it('names the kind, the member and the week', () => {
    expect(docLabel('team', names)).toBe('Team settings');
    expect(docLabel('log/a1/2026-W10', names)).toBe('Activity log of Anna, 2026-W10');
    expect(docLabel('pipeline/0190e2a4-aaaa-bbbb', names)).toBe('Pipeline of member 0190e2a4');
    expect(docLabel('strange/thing', names)).toBe('strange/thing');
  });
});

describe('activity labels', () => {
  it('names one of a plural catalog label', () => {
    expect(singularLabel('Calls')).toBe('Call');
    expect(singularLabel('Meetings set')).toBe('Meeting set');
    expect(singularLabel('Discovery calls')).toBe('Discovery call');
    expect(singularLabel('Referrals asked')).toBe('Referral asked');
    expect(singularLabel('Business')).toBe('Business');
    expect(singularLabel('Demo')).toBe('Demo');
  });
});

describe('sync problems in plain words', () => {
  it('never shows only the socket error', () => {
    const p = describeSyncProblem('2026-12-02T01:00:00Z: relay http://127.0.0.1:9 unreachable: io: Connection refused (os error 111)');
    expect(p.text).toBe("Can't reach the team relay — your taps are saved on this device and will sync when it's back.");
    expect(p.detail).toMatch(/os error 111/);
    expect(describeSyncProblem('x', 'network').text).toMatch(/^Can't reach the team relay/);
  });
  it('names a version mismatch and a refused device', () => {
    expect(describeSyncProblem('relay speaks protocol version 3', 'incompatible').text).toMatch(/another version/);
    expect(describeSyncProblem('relay said 401: device revoked', 'relay').text).toMatch(/did not accept this device/);
    expect(describeSyncProblem('relay said 500', 'relay').text).toMatch(/could not take this sync/);
  });
});

describe('times stay on one line', () => {
  it('has no breaking space', () => {
    setFormatPrefs({ locale: 'en-US', currency: 'USD' });
    expect(fmtTime(new Date(2026, 10, 26, 12, 11).toISOString())).not.toMatch(/ /);
  });
});

describe("kept-core's text in the app's date style", () => {
  it('turns week labels and ISO dates into words', () => {
    setFormatPrefs({ locale: 'en-US', currency: 'USD' });
    expect(humanizeCoreText('calls 3 of 3 (20/40 in 2026-W48, 18/40 in 2026-W47)', 'Mon', NOW)).toBe(
      'calls 3 of 3 (20/40 in week of Nov 23, 18/40 in week of Nov 16)',
    );
    expect(humanizeCoreText('"Block Tuesday" (due 2026-12-01)', 'Mon', NOW)).toBe('"Block Tuesday" (due Tue, Dec 1)');
    expect(humanizeCoreText('39% under the 4-week average of 33.0, not 2.05')).toBe(
      '39% under the 4-week average of 33, not 2.05',
    );
  });
});

describe('the locale', () => {
  it('falls back to en-US when the webview reports none (LANG=C)', () => {
    vi.stubGlobal('navigator', { languages: ['C'], language: 'C' });
    setFormatPrefs({ locale: null });
    expect(locale()).toBe('en-US');
    expect(fmtMoney(277000)).toBe('$277,000');
    vi.stubGlobal('navigator', { languages: ['de_DE.UTF-8'], language: 'de_DE.UTF-8' });
    setFormatPrefs({ locale: null });
    expect(locale()).toBe('de-DE');
    vi.unstubAllGlobals();
    setFormatPrefs({ locale: 'en-US' });
  });
});

describe('urlParts', () => {
  it('splits a URL after its punctuation and keeps every character', () => {
    const url = 'http://127.0.0.1:43687';
    const parts = urlParts(url);
    expect(parts.join('')).toBe(url);
    expect(parts).toContain('43687');
    expect(parts.every((p) => !/\d[/.:]\d/.test(p))).toBe(true);
  });
});
