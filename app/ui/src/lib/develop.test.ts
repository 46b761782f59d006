import { describe, expect, it } from 'vitest';
import {
  columnMapArgs,
  fmtDaysSince,
  fmtRating,
  kudosReasons,
  linesOf,
  ratingGap,
  ratingLabel,
  sortCadence,
  toKey,
  unratedMeetings,
} from './develop';
import type { Activity, Cadence, CommitmentStatus, Deal, Meeting } from './api';

const meeting = (id: string, date: string, rep_rating: number | null = null): Meeting => ({
  id,
  rep: 'r',
  kind: 'one-on-one',
  date,
  agenda: '',
  notes: '',
  created_by: 'm',
  rep_rating,
  rep_comment: null,
  manager_rating: null,
  notes_heads: [],
  notes_by: {},
});

describe('ratings', () => {
  it('labels and averages', () => {
    expect(ratingLabel(5)).toBe('Very useful');
    expect(ratingLabel(null)).toBe('Not rated');
    expect(fmtRating(3.45)).toMatch(/^3[.,]5 \/ 5$/);
    expect(fmtRating(null)).toBe('–');
    expect(ratingGap({ rep_avg: 3, manager_avg: 4.5 })).toBeCloseTo(1.5);
    expect(ratingGap({ rep_avg: null, manager_avg: 4.5 })).toBeNull();
  });
  it('asks only about held, recent, unrated meetings, newest first', () => {
    const m = unratedMeetings(
      [
        meeting('old', '2026-09-01'),
        meeting('rated', '2026-11-20', 4),
        meeting('a', '2026-11-18'),
        meeting('b', '2026-11-24'),
        meeting('future', '2026-11-30'),
      ],
      '2026-11-26',
    );
    expect(m.map((x) => x.id)).toEqual(['b', 'a']);
  });
});

const cad = (name: string, days: number | null, due: boolean): Cadence => ({
  rep: { id: name, name, role: 'rep' },
  last: null,
  days_since: days,
  held_30d: 0,
  expected_30d: 4.3,
  due,
  rep_avg: null,
  manager_avg: null,
  rep_useful_pct: null,
  manager_useful_pct: null,
  rated: 0,
  comments: [],
});

describe('cadence', () => {
  it('puts due reps first, longest wait first', () => {
    const s = sortCadence([cad('Al', 2, false), cad('Bo', 9, true), cad('Cy', null, true), cad('Di', 12, true)]);
    expect(s.map((c) => c.rep.name)).toEqual(['Cy', 'Di', 'Bo', 'Al']);
  });
  it('says days since in words', () => {
    expect(fmtDaysSince(null)).toBe('No 1-on-1 yet');
    expect(fmtDaysSince(0)).toBe('Today');
    expect(fmtDaysSince(1)).toBe('1 day ago');
    expect(fmtDaysSince(12)).toBe('12 days ago');
  });
});

describe('templates', () => {
  it('reads lines and makes keys', () => {
    expect(linesOf(' a \n\n b\r\nc ')).toEqual(['a', 'b', 'c']);
    expect(toKey('Up-front Contract')).toBe('up-front-contract');
    expect(toKey('  Next step — agreed! ')).toBe('next-step-agreed');
    expect(toKey('Résumé')).toBe('resume');
  });
});

describe('columnMapArgs', () => {
  it('turns the filled-in fields and type lines into the core’s pairs', () => {
    const a = columnMapArgs({ date: ' Activity Date ', type: 'Activity Type', note: '' }, 'Logged Call = call\nbad line\n\nDemo=demo');
    expect(a.columns).toEqual(['type=Activity Type', 'date=Activity Date']);
    expect(a.types).toEqual(['Logged Call=call', 'Demo=demo']);
    expect(a.bad).toEqual(['bad line']);
  });
});

describe('kudosReasons', () => {
  it('offers won deals, kept commitments and recent activities', () => {
    const deals = [
      { id: 'd1', name: 'Acme', status: 'won', closed_at: '2026-11-20T10:00:00Z' },
      { id: 'd2', name: 'Beta', status: 'open', closed_at: null },
    ] as Deal[];
    const commitments = [
      { commitment: { id: 'c1', text: '6 meetings set' }, state: 'kept' },
      { commitment: { id: 'c2', text: '40 calls' }, state: 'missed' },
    ] as CommitmentStatus[];
    const acts = [
      { id: 'a1', kind: 'call', account: null, occurred_at: '2026-11-24T09:00:00Z' },
      { id: 'a2', kind: 'proposal', account: 'Acme', occurred_at: '2026-11-25T09:00:00Z' },
    ] as Activity[];
    const r = kudosReasons(deals, commitments, acts, (k) => k.toUpperCase());
    expect(r.map((x) => x.value)).toEqual(['deal:d1', 'commitment:c1', 'activity:a2', 'activity:a1']);
    expect(r[2].label).toBe('PROPOSAL · Acme · 2026-11-25');
  });
});
