import { describe, expect, it } from 'vitest';
import {
  oneSplice,
  rebaseNotes,
  meetingSummary,
  groupByRep,
  criterionLabel,
  csvFileName,
  groupSigns,
  interactionLabel,
  parseCommission,
  scoreLabel,
  scoreWord,
  setVocabulary,
} from './coaching';
import type { Sign } from './api';

const sign = (name: string, kind: string, severity: Sign['severity']): Sign => ({
  rep: `id-${name}`,
  name,
  kind,
  severity,
  message: `${name} ${kind}`,
  numbers: {},
  acknowledged: null,
});

describe('groupSigns', () => {
  it('groups per rep, most serious rep first, signs by severity', () => {
    const g = groupSigns([
      sign('Bo', 'missed-once', 'info'),
      sign('Al', 'missed-once', 'info'),
      sign('Cy', 'silence', 'warning'),
      sign('Al', 'silence', 'alert'),
    ]);
    expect(g.map((x) => x.name)).toEqual(['Al', 'Cy', 'Bo']);
    expect(g[0].worst).toBe('alert');
    expect(g[0].signs.map((s) => s.kind)).toEqual(['silence', 'missed-once']);
  });
  it('is empty for no signs', () => {
    expect(groupSigns([])).toEqual([]);
  });
});

describe('scores and labels, from the vocabulary kept-core sends', () => {
  const l = (key: string, label: string) => ({ key, label });
  setVocabulary({
    meeting_types: [l('one-on-one', '1-on-1')],
    interactions: [{ interaction: l('discovery-call', 'Discovery call'), criteria: [l('pain', 'Pain uncovered')] }],
    scale: [l('not-present', 'Not present'), l('poor', 'Poor'), l('fair', 'Fair'), l('good', 'Good'), l('excellent', 'Excellent')],
  });
  it('maps 0–4 to words and labels', () => {
    expect(scoreWord(0)).toBe('not-present');
    expect(scoreWord(4)).toBe('excellent');
    expect(scoreLabel(2)).toBe('Fair');
    expect(scoreLabel(null)).toBe('Not scored');
  });
  it('labels criteria and interactions, a team’s own ones humanised', () => {
    expect(criterionLabel('pain')).toBe('Pain uncovered');
    expect(criterionLabel('cold-open')).toBe('Cold open');
    expect(interactionLabel('discovery-call')).toBe('Discovery call');
  });
});

describe('parseCommission', () => {
  it('reads a percentage as a share', () => {
    expect(parseCommission('10')).toBeCloseTo(0.1);
    expect(parseCommission('12,5 %')).toBeCloseTo(0.125);
    expect(parseCommission('0')).toBeNull();
    expect(parseCommission('150')).toBeNull();
    expect(parseCommission('x')).toBeNull();
  });
});

describe('csvFileName', () => {
  it('names CSV files', () => {
    expect(csvFileName('activities', '2026-11-26')).toBe('kept-activities-2026-11-26.csv');
  });
});

describe('action items by rep', () => {
  it('groups under the rep’s name, the viewer’s own last', () => {
    const items = [
      { id: '1', rep: 'b', status: 'open' },
      { id: '2', rep: 'a', status: 'done' },
      { id: '3', rep: 'me', status: 'open' },
      { id: '4', rep: 'b', status: 'open' },
      { id: '5', rep: 'gone', status: 'open' },
    ];
    const members = [
      { id: 'a', name: 'Anna' },
      { id: 'b', name: 'Ben' },
      { id: 'me', name: 'Mia' },
    ];
    const g = groupByRep(items, members, 'me');
    expect(g.map((x) => [x.name, x.open, x.items.length])).toEqual([
      ['Anna', 0, 1],
      ['Ben', 2, 2],
      ['Former member', 1, 1],
      ['You', 1, 1],
    ]);
  });
});

describe('closing a meeting', () => {
  it('sums up what the meeting leaves behind', () => {
    const lines = meetingSummary({
      agendaDone: 3,
      agendaTotal: 5,
      created: [{ text: 'Call Acme', owner: 'Anna', due: 'Tue, Dec 8' }],
      reconciled: [{ status: 'done' }, { status: 'open' }],
      notesWritten: true,
      myRating: 4,
      repRating: null,
      repName: 'Anna',
      next: null,
    });
    expect(lines).toEqual([
      'Agenda: 3 of 5 points covered',
      '1 action item created: Call Acme (Anna, due Tue, Dec 8)',
      "Last meeting's items: 1 done, 0 dropped, 1 still open",
      'Notes saved',
      "Ratings: yours 4 of 5, Anna's not yet",
      'No next meeting planned yet',
    ]);
  });
});

describe('notes typed on two devices', () => {
  it('finds the one splice between two texts, by characters', () => {
    expect(oneSplice('Agenda\n', 'Agenda\nMia 🚀\n')).toEqual({ start: 7, end: 7, insert: 'Mia 🚀\n' });
    expect(oneSplice('abc', 'ac')).toEqual({ start: 1, end: 2, insert: '' });
  });
  it('puts typing done during a save onto the merged text', () => {
    // I sent "A\n", the other side added "B\n" at the end, and I typed "C" at the start meanwhile.
    expect(rebaseNotes('A\n', 'CA\n', 'A\nB\n')).toBe('CA\nB\n');
    // Nothing typed meanwhile: the merged text as it is.
    expect(rebaseNotes('A\n', 'A\n', 'A\nB\n')).toBe('A\nB\n');
    // Typed at the end while the other side added at the start.
    expect(rebaseNotes('A', 'AZ', 'BA')).toBe('BAZ');
  });
});
