// Pure helpers (no DOM) for 1-on-1 ratings, the coaching habit, development plans, team
// templates (agendas, criteria), CSV column mappings and what a kudos is for.
import type { Activity, Cadence, CommitmentStatus, Deal, Meeting } from './api';
import { fmtPct, locale } from './format';

/** 1 (a waste of time) … 5 (very useful), each with words. */
export const RATINGS: { n: number; label: string }[] = [
  { n: 1, label: 'Waste of time' },
  { n: 2, label: 'Not very useful' },
  { n: 3, label: 'Somewhat useful' },
  { n: 4, label: 'Useful' },
  { n: 5, label: 'Very useful' },
];

export function ratingLabel(n: number | null | undefined): string {
  return RATINGS.find((r) => r.n === n)?.label ?? 'Not rated';
}

/** "3.4 / 5", or "–" without ratings. */
export function fmtRating(avg: number | null | undefined): string {
  if (avg == null || !Number.isFinite(avg)) return '–';
  return `${new Intl.NumberFormat(locale(), { maximumFractionDigits: 1 }).format(avg)} / 5`;
}

/** A percentage already in 0–100: "55 %". */
export function fmtPct100(p: number | null | undefined): string {
  if (p == null || !Number.isFinite(p)) return '–';
  return fmtPct(p / 100);
}

/**
 * Meetings the rep has not rated yet: held (not in the future), within the last `days` days,
 * newest first. Today is YYYY-MM-DD.
 */
export function unratedMeetings(meetings: Meeting[], today: string, days = 30): Meeting[] {
  const t = Date.parse(`${today}T00:00:00Z`);
  return meetings
    .filter((m) => m.rep_rating == null && m.date <= today)
    .filter((m) => (t - Date.parse(`${m.date}T00:00:00Z`)) / 86400000 < days)
    .sort((a, b) => b.date.localeCompare(a.date));
}

/** "Today", "1 day ago", "12 days ago", or "No 1-on-1 yet". */
export function fmtDaysSince(days: number | null | undefined): string {
  if (days == null) return 'No 1-on-1 yet';
  if (days <= 0) return 'Today';
  return `${days} day${days === 1 ? '' : 's'} ago`;
}

/** Reps whose 1-on-1 is due first (longest wait; none yet counts as longest), then by name. */
export function sortCadence(reps: Cadence[]): Cadence[] {
  const wait = (c: Cadence) => (c.days_since == null ? Number.POSITIVE_INFINITY : c.days_since);
  return [...reps].sort(
    (a, b) => Number(b.due) - Number(a.due) || wait(b) - wait(a) || a.rep.name.localeCompare(b.rep.name),
  );
}

/** The gap between how the rep and the manager rate the same meetings (manager − rep), or null. */
export function ratingGap(c: Pick<Cadence, 'rep_avg' | 'manager_avg'>): number | null {
  return c.rep_avg != null && c.manager_avg != null ? c.manager_avg - c.rep_avg : null;
}

/** Lines of a textarea: trimmed, without empty ones. */
export function linesOf(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
}

/** A criterion or interaction key from what a person typed: "Up-front contract" → "up-front-contract". */
export function toKey(s: string): string {
  return s
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/g, '');
}

/** The fields a CSV column mapping names, with the words shown beside each input. */
export const MAP_FIELDS: { key: string; label: string; example: string }[] = [
  { key: 'type', label: 'Activity type', example: 'Activity Type' },
  { key: 'date', label: 'Date', example: 'Activity Date' },
  { key: 'count', label: 'Count', example: 'Quantity' },
  { key: 'kare', label: 'KARE', example: 'Category' },
  { key: 'account', label: 'Account', example: 'Company' },
  { key: 'outcome', label: 'Outcome', example: 'Result' },
  { key: 'note', label: 'Note', example: 'Subject' },
  { key: 'duration', label: 'Duration (min)', example: 'Minutes' },
];

export interface ColumnMapArgs {
  /** field=Header */
  columns: string[];
  /** CRM name=type */
  types: string[];
  /** Lines of the type mapping that are not "name=type". */
  bad: string[];
}

/** The column mapping as the core reads it: filled-in fields and "CRM name=type" lines. */
export function columnMapArgs(columns: Record<string, string>, typesText: string): ColumnMapArgs {
  const cols = MAP_FIELDS.map((f) => [f.key, (columns[f.key] ?? '').trim()] as const)
    .filter(([, h]) => h)
    .map(([f, h]) => `${f}=${h}`);
  const types: string[] = [];
  const bad: string[] = [];
  for (const l of linesOf(typesText)) {
    const i = l.indexOf('=');
    if (i > 0 && l.slice(0, i).trim() && l.slice(i + 1).trim()) {
      types.push(`${l.slice(0, i).trim()}=${l.slice(i + 1).trim()}`);
    } else {
      bad.push(l);
    }
  }
  return { columns: cols, types, bad };
}

export interface KudosReason {
  value: string;
  label: string;
  group: 'Won deals' | 'Kept commitments' | 'Recent activities';
}

/** What a kudos can be for: the rep's won deals, kept commitments and recent activities (newest first). */
export function kudosReasons(
  deals: Deal[],
  commitments: CommitmentStatus[],
  activities: Activity[],
  activityLabel: (kind: string) => string,
  maxActivities = 12,
): KudosReason[] {
  const won: KudosReason[] = deals
    .filter((d) => d.status === 'won')
    .sort((a, b) => (b.closed_at ?? '').localeCompare(a.closed_at ?? ''))
    .slice(0, 10)
    .map((d) => ({ value: `deal:${d.id}`, label: `Won: ${d.name}`, group: 'Won deals' }));
  const kept: KudosReason[] = commitments
    .filter((c) => c.state === 'kept')
    .map((c) => ({ value: `commitment:${c.commitment.id}`, label: `Kept: ${c.commitment.text}`, group: 'Kept commitments' }));
  const acts: KudosReason[] = [...activities]
    .sort((a, b) => b.occurred_at.localeCompare(a.occurred_at))
    .slice(0, maxActivities)
    .map((a) => ({
      value: `activity:${a.id}`,
      label: `${activityLabel(a.kind)}${a.account ? ` · ${a.account}` : ''} · ${a.occurred_at.slice(0, 10)}`,
      group: 'Recent activities',
    }));
  return [...won, ...kept, ...acts];
}

