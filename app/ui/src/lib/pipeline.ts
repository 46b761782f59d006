// Pipeline vocabulary and pure helpers (no DOM): stages, money, deal totals, expected-close
// state, the KARE split of effort vs results, and benchmarks beside the team median.
import type { Deal, Kare, KareSplit } from './api';
import { fmtCount, fmtMoney, fmtNum, fmtPct } from './format';

/** KARE categories in display order, with "not tagged" last. */
export const KARE_KEYS: { key: Kare | 'none'; label: string }[] = [
  { key: 'keep', label: 'Keep' },
  { key: 'attain', label: 'Attain' },
  { key: 'recapture', label: 'Recapture' },
  { key: 'expand', label: 'Expand' },
  { key: 'none', label: 'Not set' },
];

export function kareLabel(k: string | null | undefined): string {
  return KARE_KEYS.find((x) => x.key === (k ?? 'none'))?.label ?? k ?? 'Not set';
}

/** "negotiation" → "Negotiation" (a team may use any short label). */
export function stageLabel(s: string): string {
  const t = s.replace(/[-_]+/g, ' ').trim();
  return t ? t.charAt(0).toUpperCase() + t.slice(1) : s;
}

/** The stages to offer for a deal: the team's list, plus the deal's own if it is not in it. */
export function stageOptions(stages: string[], current?: string | null): string[] {
  return current && !stages.includes(current) ? [...stages, current] : stages;
}

/** The stage after `current`, or null at the last one (or an unknown one). */
export function nextStage(stages: string[], current: string): string | null {
  const i = stages.indexOf(current);
  return i >= 0 && i < stages.length - 1 ? stages[i + 1] : null;
}

/** An amount typed by a person ("25 000", "25,000", "25000.50") → whole units, or null. */
export function parseAmount(v: string | number | null | undefined): number | null {
  if (v == null) return null;
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? Math.round(v) : null;
  const t = v.replace(/[\s\u00a0\u202f,']/g, '').trim();
  if (!/^\d+(\.\d+)?$/.test(t)) return null;
  return Math.round(Number(t));
}

export interface DealTotals {
  count: number;
  amount: number;
  /** [stage, deals, amount] in the stages' order, then any other labels. */
  byStage: [string, number, number][];
}

/** Open deals counted and summed, per stage. */
export function dealTotals(deals: Deal[], stages: string[]): DealTotals {
  const open = deals.filter((d) => d.status === 'open');
  const by = new Map<string, [number, number]>();
  for (const d of open) {
    const e = by.get(d.stage) ?? [0, 0];
    by.set(d.stage, [e[0] + 1, e[1] + d.amount]);
  }
  const order = [...stages, ...[...by.keys()].filter((s) => !stages.includes(s)).sort()];
  return {
    count: open.length,
    amount: open.reduce((s, d) => s + d.amount, 0),
    byStage: order.filter((s) => by.has(s)).map((s) => [s, by.get(s)![0], by.get(s)![1]]),
  };
}

export type CloseState = 'overdue' | 'soon' | 'later' | 'none';

/** Expected close against today (YYYY-MM-DD): past it, within a week, later, or not set. */
export function closeState(expected: string | null | undefined, today: string): CloseState {
  if (!expected) return 'none';
  if (expected < today) return 'overdue';
  const t = new Date(`${today}T00:00:00Z`).getTime();
  const e = new Date(`${expected.slice(0, 10)}T00:00:00Z`).getTime();
  return (e - t) / 86400000 <= 7 ? 'soon' : 'later';
}

export interface KareRow {
  key: Kare | 'none';
  label: string;
  effort: number;
  results: number;
  won: number;
  /** Share of all activities, 0–1. */
  effortShare: number;
  /** Share of all won amounts, 0–1. */
  resultsShare: number;
}

/** Effort and results per KARE category with their shares; "Not set" only when it has any. */
export function kareRows(split: Pick<KareSplit, 'effort' | 'results' | 'won'>): KareRow[] {
  const sum = (m: Record<string, number>) => Object.values(m).reduce((s, n) => s + (n || 0), 0);
  const te = sum(split.effort);
  const tr = sum(split.results);
  return KARE_KEYS.map(({ key, label }) => {
    const effort = split.effort[key] ?? 0;
    const results = split.results[key] ?? 0;
    return {
      key,
      label,
      effort,
      results,
      won: split.won[key] ?? 0,
      effortShare: te > 0 ? effort / te : 0,
      resultsShare: tr > 0 ? results / tr : 0,
    };
  }).filter((r) => r.key !== 'none' || r.effort > 0 || r.results > 0);
}

/** Benchmark metrics whose value is a share (0–1), shown as a percentage. */
const SHARE_METRICS = new Set(['conversations-per-call', 'meetings-per-conversation', 'proposals-per-meeting', 'win-rate']);

/** A benchmark value in words: "4.5", "35 %", "12,000", "23" (days: the label says so). */
export function fmtBench(key: string, v: number | null | undefined): string {
  if (v == null || !Number.isFinite(v)) return '–';
  if (SHARE_METRICS.has(key)) return fmtPct(v);
  if (key === 'average-won-deal') return fmtMoney(v);
  if (key === 'cycle-days') return fmtCount(v);
  return fmtNum(v);
}

export type BenchSide = 'better' | 'worse' | 'level' | 'none';

/** Where the rep stands against the median (a shorter sales cycle is better; within 5 % is level). */
export function benchSide(key: string, v: number | null | undefined, median: number | null | undefined): BenchSide {
  if (v == null || median == null || !Number.isFinite(v) || !Number.isFinite(median)) return 'none';
  const tol = Math.abs(median) * 0.05;
  if (Math.abs(v - median) <= tol) return 'level';
  const higher = v > median;
  return (key === 'cycle-days' ? !higher : higher) ? 'better' : 'worse';
}

export const BENCH_SIDE_LABEL: Record<BenchSide, string> = {
  better: '▲ ahead of the median',
  worse: '▼ behind the median',
  level: '● about the median',
  none: '',
};

/**
 * Accounts to suggest when logging: the rep's own accounts (most used first) and then the
 * names of their open deals, each once (case-insensitively), at most `max`.
 */
export function accountSuggestions(
  activities: { account: string | null }[],
  deals: { name: string; status: string }[],
  max = 30,
): string[] {
  const uses = new Map<string, { name: string; n: number }>();
  for (const a of activities) {
    const name = a.account?.trim();
    if (!name) continue;
    const e = uses.get(name.toLowerCase()) ?? { name, n: 0 };
    e.n++;
    uses.set(name.toLowerCase(), e);
  }
  const out = [...uses.values()].sort((a, b) => b.n - a.n || a.name.localeCompare(b.name)).map((e) => e.name);
  const seen = new Set(out.map((n) => n.toLowerCase()));
  for (const d of deals) {
    const name = d.name.trim();
    if (d.status !== 'open' || !name || seen.has(name.toLowerCase())) continue;
    seen.add(name.toLowerCase());
    out.push(name);
  }
  return out.slice(0, max);
}

/** Outcomes a rep picks with one tap (the field stays free text). */
export const OUTCOME_PICKS = ['Connected', 'Voicemail', 'No answer', 'Booked meeting', 'Call back'];
