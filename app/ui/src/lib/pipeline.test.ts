import { describe, expect, it } from 'vitest';
import {
  accountSuggestions,
  benchSide,
  closeState,
  dealTotals,
  fmtBench,
  kareRows,
  nextStage,
  parseAmount,
  stageLabel,
  stageOptions,
} from './pipeline';
import type { Deal } from './api';

const deal = (name: string, stage: string, amount: number, status: Deal['status'] = 'open'): Deal => ({
  id: `id-${name}`,
  rep: 'r1',
  name,
  amount,
  stage,
  kare: null,
  expected_close: null,
  status,
  closed_at: null,
  created_at: null,
});

const STAGES = ['prospect', 'qualified', 'proposal', 'negotiation', 'commit'];

describe('stages', () => {
  it('labels, offers the deal’s own stage and moves to the next', () => {
    expect(stageLabel('negotiation')).toBe('Negotiation');
    expect(stageLabel('verbal-yes')).toBe('Verbal yes');
    expect(stageOptions(STAGES, 'proposal')).toEqual(STAGES);
    expect(stageOptions(STAGES, 'verbal')).toEqual([...STAGES, 'verbal']);
    expect(nextStage(STAGES, 'prospect')).toBe('qualified');
    expect(nextStage(STAGES, 'commit')).toBeNull();
    expect(nextStage(STAGES, 'verbal')).toBeNull();
  });
});

describe('parseAmount', () => {
  it('reads what people type', () => {
    expect(parseAmount('25 000')).toBe(25000);
    expect(parseAmount('25,000')).toBe(25000);
    expect(parseAmount('1200.6')).toBe(1201);
    expect(parseAmount(300)).toBe(300);
    expect(parseAmount('-5')).toBeNull();
    expect(parseAmount('abc')).toBeNull();
    expect(parseAmount('')).toBeNull();
  });
});

describe('dealTotals', () => {
  it('sums open deals per stage in the stages’ order, other labels last', () => {
    const t = dealTotals(
      [
        deal('a', 'proposal', 100),
        deal('b', 'prospect', 50),
        deal('c', 'proposal', 20),
        deal('d', 'verbal', 5),
        deal('e', 'proposal', 999, 'won'),
      ],
      STAGES,
    );
    expect(t.count).toBe(4);
    expect(t.amount).toBe(175);
    expect(t.byStage).toEqual([
      ['prospect', 1, 50],
      ['proposal', 2, 120],
      ['verbal', 1, 5],
    ]);
  });
});

describe('closeState', () => {
  it('tells overdue, soon and later apart', () => {
    expect(closeState(null, '2026-11-26')).toBe('none');
    expect(closeState('2026-11-25', '2026-11-26')).toBe('overdue');
    expect(closeState('2026-11-26', '2026-11-26')).toBe('soon');
    expect(closeState('2026-12-03', '2026-11-26')).toBe('soon');
    expect(closeState('2026-12-04', '2026-11-26')).toBe('later');
  });
});

describe('kareRows', () => {
  it('gives shares of effort and results, Not set only when used', () => {
    const rows = kareRows({
      effort: { keep: 30, attain: 10, recapture: 0, expand: 0, none: 0 },
      results: { keep: 0, attain: 5000, recapture: 0, expand: 5000, none: 0 },
      won: { keep: 0, attain: 1, recapture: 0, expand: 2, none: 0 },
    });
    expect(rows.map((r) => r.key)).toEqual(['keep', 'attain', 'recapture', 'expand']);
    expect(rows[0].effortShare).toBeCloseTo(0.75);
    expect(rows[1].resultsShare).toBeCloseTo(0.5);
    expect(rows[3].won).toBe(2);
    const withNone = kareRows({ effort: { none: 4 }, results: {}, won: {} });
    expect(withNone.at(-1)).toMatchObject({ key: 'none', effort: 4, effortShare: 1, resultsShare: 0 });
  });
});

describe('benchmarks', () => {
  it('formats each kind of metric', () => {
    expect(fmtBench('win-rate', 0.25)).toMatch(/25/);
    expect(fmtBench('win-rate', 0.25)).toMatch(/%/);
    expect(fmtBench('cycle-days', 23.4)).toBe('23');
    expect(fmtBench('call-per-week', 41.25)).toBe('41');
    expect(fmtBench('average-won-deal', null)).toBe('–');
  });
  it('says which side of the median is better', () => {
    expect(benchSide('call-per-week', 50, 40)).toBe('better');
    expect(benchSide('call-per-week', 30, 40)).toBe('worse');
    expect(benchSide('call-per-week', 41, 40)).toBe('level');
    expect(benchSide('cycle-days', 20, 30)).toBe('better');
    expect(benchSide('cycle-days', 40, 30)).toBe('worse');
    expect(benchSide('win-rate', null, 0.3)).toBe('none');
  });
});

describe('account suggestions', () => {
  it('puts the rep’s most used accounts first, then open deals, each once', () => {
    const acts = [{ account: 'Initech' }, { account: 'Globex' }, { account: 'initech' }, { account: null }, { account: ' ' }];
    const deals = [
      { name: 'Globex', status: 'open' },
      { name: 'Umbrella renewal', status: 'open' },
      { name: 'Lost one', status: 'lost' },
    ];
    expect(accountSuggestions(acts, deals)).toEqual(['Initech', 'Globex', 'Umbrella renewal']);
    expect(accountSuggestions(acts, deals, 1)).toEqual(['Initech']);
  });
});
