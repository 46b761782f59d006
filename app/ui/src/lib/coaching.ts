// Coaching vocabulary and small pure helpers (no DOM): assessment maps, meeting types,
// warning-sign grouping, goal-planner labels, CSV file names.
import type {
  CommitmentState,
  Interaction,
  MeetingKind,
  RatioKey,
  ScoreWord,
  Severity,
  Sign,
} from './api';
import { locale } from './format';

/** The five steps of an assessment map, 0 (not present) … 4 (excellent), red → green. */
export const SCORES: { word: ScoreWord; label: string }[] = [
  { word: 'not-present', label: 'Not present' },
  { word: 'poor', label: 'Poor' },
  { word: 'fair', label: 'Fair' },
  { word: 'good', label: 'Good' },
  { word: 'excellent', label: 'Excellent' },
];

export function scoreLabel(n: number | null | undefined): string {
  if (n == null || !Number.isFinite(n)) return 'Not scored';
  return SCORES[Math.max(0, Math.min(4, Math.round(n)))].label;
}

export function scoreWord(n: number): ScoreWord {
  return SCORES[Math.max(0, Math.min(4, Math.round(n)))].word;
}

export const INTERACTIONS: { key: Interaction; label: string }[] = [
  { key: 'discovery-call', label: 'Discovery call' },
  { key: 'demo', label: 'Demo' },
  { key: 'negotiation', label: 'Negotiation' },
  { key: 'one-on-one', label: '1-on-1' },
];

export const CRITERIA: Record<Interaction, [string, string][]> = {
  'discovery-call': [
    ['rapport', 'Rapport'],
    ['upfront-contract', 'Up-front contract'],
    ['pain', 'Pain uncovered'],
    ['budget', 'Budget'],
    ['decision-process', 'Decision process'],
    ['next-step', 'Next step agreed'],
  ],
  demo: [
    ['agenda-agreed', 'Agenda agreed'],
    ['tied-to-pain', 'Tied to pain'],
    ['questions-handled', 'Questions handled'],
    ['next-step', 'Next step agreed'],
  ],
  negotiation: [
    ['preparation', 'Preparation'],
    ['value-before-price', 'Value before price'],
    ['concessions-traded', 'Concessions traded'],
    ['close-attempted', 'Close attempted'],
  ],
  'one-on-one': [
    ['prepared', 'Came prepared'],
    ['owns-numbers', 'Owns the numbers'],
    ['commitments-kept', 'Commitments kept'],
    ['open-to-coaching', 'Open to coaching'],
  ],
};

export function criterionLabel(key: string): string {
  for (const list of Object.values(CRITERIA)) {
    const hit = list.find(([k]) => k === key);
    if (hit) return hit[1];
  }
  return humanize(key);
}

export function interactionLabel(key: string): string {
  return INTERACTIONS.find((i) => i.key === key)?.label ?? humanize(key);
}

export const MEETING_KINDS: { key: MeetingKind; label: string }[] = [
  { key: 'one-on-one', label: '1-on-1' },
  { key: 'deal-review', label: 'Deal review' },
  { key: 'pipeline-review', label: 'Pipeline review' },
  { key: 'forecast-review', label: 'Forecast review' },
  { key: 'weekly-scrum', label: 'Weekly scrum' },
];

export function meetingLabel(key: string): string {
  return MEETING_KINDS.find((m) => m.key === key)?.label ?? humanize(key);
}

/** Severity in words, with a shape that does not depend on colour. */
export const SEVERITY: Record<Severity, { label: string; icon: string; rank: number }> = {
  alert: { label: 'Alert', icon: '■', rank: 0 },
  warning: { label: 'Warning', icon: '▲', rank: 1 },
  info: { label: 'Info', icon: '●', rank: 2 },
};

export const SIGN_LABEL: Record<string, string> = {
  'activity-drop': 'Activity dropping',
  'missed-pattern': 'Missed targets, repeatedly',
  'missed-once': 'Missed target once',
  'overdue-actions': 'Overdue action items',
  silence: 'Nothing logged',
  'conversion-drop': 'Conversion falling',
  'win-rate-drop': 'Win rate falling',
  'cycle-rise': 'Deals taking longer',
};

export interface SignGroup {
  rep: string;
  name: string;
  signs: Sign[];
  worst: Severity;
}

/** Signs grouped per rep; reps with the most serious sign first, then by name. */
export function groupSigns(signs: Sign[]): SignGroup[] {
  const by = new Map<string, SignGroup>();
  for (const s of signs) {
    const g = by.get(s.rep) ?? { rep: s.rep, name: s.name, signs: [], worst: 'info' as Severity };
    g.signs.push(s);
    if (SEVERITY[s.severity].rank < SEVERITY[g.worst].rank) g.worst = s.severity;
    by.set(s.rep, g);
  }
  const groups = [...by.values()];
  for (const g of groups) g.signs.sort((a, b) => SEVERITY[a.severity].rank - SEVERITY[b.severity].rank);
  return groups.sort(
    (a, b) => SEVERITY[a.worst].rank - SEVERITY[b.worst].rank || a.name.localeCompare(b.name),
  );
}

export const COMMITMENT_STATE: Record<CommitmentState, string> = {
  open: 'Open',
  kept: 'Kept',
  missed: 'Missed',
  'not-in-control': 'Not within your control',
};

/** Goal-planner stages and ratios in words. */
export const STAGE_LABEL: Record<string, string> = {
  income: 'Income',
  revenue: 'Revenue',
  deals: 'Deals won',
  proposal: 'Proposals',
  'meeting-set': 'Meetings set',
  conversation: 'Conversations',
  call: 'Calls',
};

export const RATIO_LABEL: Record<RatioKey, string> = {
  connect: 'Calls → conversations',
  meeting: 'Conversations → meetings',
  proposal: 'Meetings → proposals',
  win: 'Proposals → wins',
};

export function fmtPct(share: number | null | undefined): string {
  if (share == null || !Number.isFinite(share)) return '–';
  return new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 0 }).format(share);
}

export function fmtWhole(n: number): string {
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: 0 }).format(n);
}

/** "kept-activities-2026-11-26.csv" */
export function csvFileName(what: string, day: string): string {
  return `kept-${what}-${day}.csv`;
}

/** Twelve week labels ending at `week` (oldest first), for trend charts. */
export function weekLabels(week: string, n: number, shift: (w: string, d: number) => string): string[] {
  return Array.from({ length: n }, (_, i) => shift(week, i - (n - 1)));
}

/** Commission typed as a percentage ("10", "12,5 %") → share (0.1, 0.125); null if not 0 < p ≤ 100. */
export function parseCommission(v: string | number): number | null {
  const n = typeof v === 'number' ? v : Number(String(v).replace('%', '').replace(',', '.').trim());
  if (!Number.isFinite(n) || n <= 0 || n > 100) return null;
  return n / 100;
}

function humanize(key: string): string {
  const s = key.replace(/[-_]+/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}
