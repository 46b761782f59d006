import { describe, expect, it } from 'vitest';
import { csvFileName, groupSigns, parseCommission, scoreLabel, scoreWord, weekLabels } from './coaching';
import { shiftWeek } from './format';
import type { Sign } from './api';

const sign = (name: string, kind: string, severity: Sign['severity']): Sign => ({
  rep: `id-${name}`,
  name,
  kind,
  severity,
  message: `${name} ${kind}`,
  numbers: {},
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

describe('scores', () => {
  it('maps 0–4 to words and labels', () => {
    expect(scoreWord(0)).toBe('not-present');
    expect(scoreWord(4)).toBe('excellent');
    expect(scoreLabel(2)).toBe('Fair');
    expect(scoreLabel(null)).toBe('Not scored');
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

describe('weekLabels', () => {
  it('ends at the given week', () => {
    const w = weekLabels('2026-W02', 3, shiftWeek);
    expect(w).toEqual([shiftWeek('2026-W02', -2), '2026-W01', '2026-W02']);
  });
  it('names CSV files', () => {
    expect(csvFileName('activities', '2026-11-26')).toBe('kept-activities-2026-11-26.csv');
  });
});
