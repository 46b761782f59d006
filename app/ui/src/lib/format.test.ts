import { describe, expect, it } from 'vitest';
import {
  addDays,
  countOfTarget,
  deriveSyncState,
  docLabel,
  fromLocalInput,
  needsInsecureConsent,
  toRfc3339,
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
  reachable: null,
  ...p,
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
