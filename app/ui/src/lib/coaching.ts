// Coaching vocabulary and small pure helpers (no DOM): assessment maps, meeting types,
// warning-sign grouping, goal-planner labels, CSV file names. The built-in meeting
// types, interaction types, default criteria and the score scale come from kept-core
// (the `vocabulary` command, loaded once at start by `loadStatus`).
import type { Labelled, Ratios, Severity, Sign, Vocabulary } from './api';

let vocabulary: Vocabulary = { meeting_types: [], interactions: [], scale: [] };

/** Takes the built-in vocabulary from kept-core. */
export function setVocabulary(v: Vocabulary): void {
  vocabulary = v;
}

/** The five steps of an assessment map, 0 (not present) … 4 (excellent), red → green. */
export function scale(): Labelled[] {
  return vocabulary.scale;
}

function step(n: number): Labelled | undefined {
  return vocabulary.scale[Math.max(0, Math.min(vocabulary.scale.length - 1, Math.round(n)))];
}

export function scoreLabel(n: number | null | undefined): string {
  if (n == null || !Number.isFinite(n)) return 'Not scored';
  return step(n)?.label ?? String(n);
}

export function scoreWord(n: number): string {
  return step(n)?.key ?? String(n);
}

/** The interaction types with a default assessment map. */
export function defaultInteractions(): string[] {
  return vocabulary.interactions.map((i) => i.interaction.key);
}

/** An interaction type's default criteria (empty for a team's own type). */
export function defaultCriteria(interaction: string): string[] {
  return vocabulary.interactions.find((i) => i.interaction.key === interaction)?.criteria.map((c) => c.key) ?? [];
}

export function criterionLabel(key: string): string {
  for (const i of vocabulary.interactions) {
    const hit = i.criteria.find((c) => c.key === key);
    if (hit) return hit.label;
  }
  return humanize(key);
}

export function interactionLabel(key: string): string {
  return vocabulary.interactions.find((i) => i.interaction.key === key)?.interaction.label ?? humanize(key);
}

/** The built-in meeting types, labelled. */
export function meetingKinds(): Labelled[] {
  return vocabulary.meeting_types;
}

export function meetingLabel(key: string): string {
  return vocabulary.meeting_types.find((m) => m.key === key)?.label ?? humanize(key);
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
  'near-miss': 'Near misses',
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

/** A commitment's state (`CommitmentStatus.state`) in words. */
export const COMMITMENT_STATE: Record<string, string> = {
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

export const RATIO_LABEL: Record<keyof Ratios, string> = {
  connect: 'Calls → conversations',
  meeting: 'Conversations → meetings',
  proposal: 'Meetings → proposals',
  win: 'Proposals → wins',
};

/** "kept-activities-2026-11-26.csv" */
export function csvFileName(what: string, day: string): string {
  return `kept-${what}-${day}.csv`;
}

/** Commission typed as a percentage ("10", "12,5 %") → share (0.1, 0.125); null if not 0 < p ≤ 100. */
export function parseCommission(v: string | number): number | null {
  const n = typeof v === 'number' ? v : Number(String(v).replace('%', '').replace(',', '.').trim());
  if (!Number.isFinite(n) || n <= 0 || n > 100) return null;
  return n / 100;
}

/** A key nobody labelled ("cold-call" → "Cold call"); kept-core's `humanize` for display. */
function humanize(key: string): string {
  const s = key.replace(/[-_]+/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export interface RepGroup<T> {
  /** Member id of the rep the items are about. */
  rep: string;
  /** Their name ("You" for the viewer's own items, "Former member" when unknown). */
  name: string;
  open: number;
  items: T[];
}

/** Action items grouped by the rep they are about: reps by name, the viewer's own group last. */
export function groupByRep<T extends { rep: string; status: string }>(
  items: T[],
  members: { id: string; name: string }[],
  me: string | null,
): RepGroup<T>[] {
  const names = new Map(members.map((m) => [m.id, m.name]));
  const by = new Map<string, T[]>();
  for (const i of items) by.set(i.rep, [...(by.get(i.rep) ?? []), i]);
  return [...by.entries()]
    .map(([rep, its]) => ({
      rep,
      name: rep === me ? 'You' : (names.get(rep) ?? 'Former member'),
      open: its.filter((i) => i.status === 'open').length,
      items: its,
    }))
    .sort((a, b) => Number(a.rep === me) - Number(b.rep === me) || a.name.localeCompare(b.name));
}

export interface MeetingSummaryInput {
  agendaDone: number;
  agendaTotal: number;
  /** Action items created in this meeting, with their owner's name and due day (already formatted). */
  created: { text: string; owner: string; due: string }[];
  /** Last meeting's items as they are now. */
  reconciled: { status: string }[];
  notesWritten: boolean;
  myRating: number | null;
  repRating: number | null;
  repName: string;
  /** The next meeting's day (formatted), if one is planned. */
  next: string | null;
}

/** What closing a meeting leaves behind, one line each, for the confirmation before closing. */
export function meetingSummary(m: MeetingSummaryInput): string[] {
  const n = (k: number, one: string, many = `${one}s`) => `${k} ${k === 1 ? one : many}`;
  const lines: string[] = [];
  lines.push(m.agendaTotal ? `Agenda: ${m.agendaDone} of ${n(m.agendaTotal, 'point')} covered` : 'No agenda');
  lines.push(
    m.created.length
      ? `${n(m.created.length, 'action item')} created: ${m.created.map((c) => `${c.text} (${c.owner}, due ${c.due})`).join('; ')}`
      : 'No action items created',
  );
  if (m.reconciled.length) {
    const done = m.reconciled.filter((i) => i.status === 'done').length;
    const dropped = m.reconciled.filter((i) => i.status === 'dropped').length;
    const open = m.reconciled.length - done - dropped;
    lines.push(`Last meeting's items: ${done} done, ${dropped} dropped, ${open} still open`);
  }
  lines.push(m.notesWritten ? 'Notes saved' : 'No notes written');
  const rating = (r: number | null) => (r == null ? 'not yet' : `${r} of 5`);
  lines.push(`Ratings: yours ${rating(m.myRating)}, ${m.repName}'s ${rating(m.repRating)}`);
  lines.push(m.next ? `Next meeting: ${m.next}` : 'No next meeting planned yet');
  return lines;
}

/** The one splice turning `a` into `b`: [start, end) in `a` and what goes there. */
export function oneSplice(a: string, b: string): { start: number; end: number; insert: string } {
  const x = [...a];
  const y = [...b];
  let pre = 0;
  while (pre < x.length && pre < y.length && x[pre] === y[pre]) pre++;
  let suf = 0;
  while (suf < x.length - pre && suf < y.length - pre && x[x.length - 1 - suf] === y[y.length - 1 - suf]) suf++;
  return { start: pre, end: x.length - suf, insert: y.slice(pre, y.length - suf).join('') };
}

/**
 * The notes box after a save came back: `merged` is what the store holds now (my `sent` text
 * with whatever the other side typed), `now` what the box shows (`sent` plus anything typed
 * while the save was on its way). That extra typing is put onto `merged` at the same place.
 */
export function rebaseNotes(sent: string, now: string, merged: string): string {
  if (now === sent) return merged;
  const { start, end, insert } = oneSplice(sent, now);
  const s = [...sent];
  const m = [...merged];
  // Where `sent`'s text before the edit ends in `merged` (the other side typed before or after it).
  const before = s.slice(0, start).join('');
  const at = merged.startsWith(before) ? start : Math.max(0, start + (m.length - s.length));
  const len = end - start;
  return m.slice(0, at).join('') + insert + m.slice(at + len).join('');
}
