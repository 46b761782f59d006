// The only place the UI talks to Rust: typed wrappers over Tauri commands.
// Every command takes ONE object with snake_case keys and may reject with
// {kind, message}; `call` normalises any rejection into an ApiError.
import { invoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';

export type Role = 'rep' | 'manager';
export type Kare = 'keep' | 'attain' | 'recapture' | 'expand';
export type Weekday = 'Mon' | 'Tue' | 'Wed' | 'Thu' | 'Fri' | 'Sat' | 'Sun';
export type Pace = 'green' | 'amber' | 'red' | 'none';
export type ActionStatus = 'open' | 'done' | 'dropped';
export type SyncState = 'offline' | 'syncing' | 'synced' | 'local';

export interface Member {
  id: string;
  name: string;
  role: Role;
}

export interface ActivityType {
  key: string;
  label: string;
  default_kare: Kare | null;
  leading: boolean;
  position: number;
  retired: boolean;
}

export interface Thresholds {
  activity_drop_pct: number;
  missed_weeks: number;
  missed_window: number;
  silence_days: number;
  conversion_drop_pct: number;
  win_rate_drop_pts: number;
  cycle_rise_pct: number;
  /** The team's 1-on-1 cadence: one every this many days. */
  cadence_days: number;
}

export interface TeamSettings {
  name: string;
  time_zone: string;
  week_start: Weekday;
  working_days: Weekday[];
  catalog: ActivityType[];
  thresholds?: Thresholds;
}

export interface Activity {
  id: string;
  rep: string;
  kind: string;
  kare: Kare | null;
  occurred_at: string;
  count: number;
  duration_min: number | null;
  outcome: string | null;
  account: string | null;
  deal: string | null;
  note: string | null;
  logged_by: string;
}

/** Optional activity details; on edit, a text field set to "" clears it. */
export interface ActivityDetails {
  count?: number;
  kare?: Kare | '';
  account?: string;
  outcome?: string;
  note?: string;
  duration_min?: number;
  occurred_at?: string;
}

export interface Progress {
  elapsed: number;
  total: number;
}

export interface WeekRow {
  kind: string;
  label: string;
  count: number;
  target: number | null;
  expected_now: number | null;
  pace: Pace;
  remaining: number;
  per_day_needed: number | null;
  reachable: boolean | null;
  advice: string | null;
}

export interface KareSplit {
  keep: number;
  attain: number;
  recapture: number;
  expand: number;
  none: number;
}

export interface WeekSummary {
  week: string;
  rep: string;
  rep_name: string;
  from: string;
  to: string;
  /** First and last day of the week in the team's calendar (YYYY-MM-DD). */
  first_day: string;
  last_day: string;
  progress: Progress;
  rows: WeekRow[];
  kare: KareSplit;
}

export interface BoardCell {
  kind: string;
  count: number;
  target: number | null;
  pace: Pace;
}

export interface BoardRow {
  rep: string;
  name: string;
  cells: BoardCell[];
}

export interface Board {
  week: string;
  progress: Progress;
  columns: [string, string][];
  rows: BoardRow[];
  median: number[];
}

export interface TrendRow {
  rep: string;
  name: string;
  series: Record<string, number[]>;
}

export interface Trends {
  weeks: string[];
  rows: TrendRow[];
}

export interface ActionItem {
  id: string;
  rep: string;
  owner: string;
  text: string;
  due: string;
  status: ActionStatus;
  result: string | null;
  source: string;
  created_at: string;
}

export interface SyncStatus {
  relay: string | null;
  pending: number;
  last_sync: string | null;
  last_error: string | null;
  cursor: unknown;
  reachable: boolean | null;
}

export interface SyncReport {
  pushed: number;
  pulled: number;
  cursor: unknown;
}

export interface AppStatus {
  has_store: boolean;
  joined: boolean;
  me: Member | null;
  team: TeamSettings | null;
  week: string | null;
  sync: SyncStatus | null;
}

export interface InviteResponse {
  code: string;
  role: Role;
  expires_at: string;
}

export interface SyncEvent {
  state: SyncState;
  status: SyncStatus;
  pulled?: number;
}

// ---- coaching ----

export type Severity = 'info' | 'warning' | 'alert';
export type SignKind =
  | 'activity-drop'
  | 'missed-pattern'
  | 'missed-once'
  | 'overdue-actions'
  | 'silence'
  | 'conversion-drop';

export interface Sign {
  rep: string;
  name: string;
  kind: SignKind | string;
  severity: Severity;
  message: string;
  numbers: Record<string, number>;
}

export type CommitmentState = 'open' | 'kept' | 'missed' | 'not-in-control';

export interface Commitment {
  id: string;
  rep: string;
  week: string;
  kind: 'activity' | 'outcome';
  activity: string | null;
  count: number;
  text: string;
}

export interface CommitmentStatus {
  commitment: Commitment;
  actual: number | null;
  state: CommitmentState;
  advice: string | null;
}

export interface Goal {
  income: number;
  /** Share of revenue, 0.1 = 10 %. */
  commission: number;
  deal_size: number;
  working_weeks: number;
}

export interface Ratio {
  value: number;
  /** True: from the rep's own history; false: the team default. */
  own: boolean;
  basis: number;
}

export type RatioKey = 'connect' | 'meeting' | 'proposal' | 'win';

export interface Plan {
  goal: Goal;
  ratios: Record<RatioKey, Ratio>;
  /** [stage, per year, per week] from income down to calls. */
  stages: [string, number, number][];
  /** [activity type, weekly count]. */
  targets: [string, number][];
}

export type MeetingKind = 'one-on-one' | 'deal-review' | 'pipeline-review' | 'forecast-review' | 'weekly-scrum';
export type Interaction = 'discovery-call' | 'demo' | 'negotiation' | 'one-on-one';
export type ScoreWord = 'not-present' | 'poor' | 'fair' | 'good' | 'excellent';

export interface Agenda {
  kind: string;
  title: string;
  items: string[];
  questions: string[];
}

export interface CriterionView {
  criterion: string;
  /** 0–4 */
  manager: number | null;
  own: number | null;
  trend: number[];
  word: string | null;
}

export interface Prep {
  rep: Member;
  week: WeekSummary;
  team_median: Record<string, number>;
  trends: TrendRow | null;
  kare_effort: Record<string, number>;
  kare_closed: Record<string, number>;
  commitments_kept: number | null;
  reconcile: ActionItem[];
  signs: Sign[];
  assessment: [string, CriterionView[]] | null;
  agenda: Agenda;
  /** The rep's numbers over 12 weeks beside the team median: [key, label, rep, median]. */
  benchmarks: [string, string, number | null, number | null][];
  development: DevPlan;
  cadence: Cadence | null;
  /** Open deals, by expected close. */
  deals: Deal[];
}

export interface Meeting {
  id: string;
  rep: string;
  kind: string;
  date: string;
  /** One agenda item a line. */
  agenda: string;
  notes: string;
  created_by: string;
  /** The rep's rating, 1–5. */
  rep_rating?: number | null;
  rep_comment?: string | null;
  /** The manager's own rating of the same meeting, 1–5. */
  manager_rating?: number | null;
}

export interface OpenedMeeting {
  meeting: Meeting;
  agenda: Agenda;
  reconcile: ActionItem[];
}

export interface Assessment {
  id: string;
  rep: string;
  interaction: string;
  by_self: boolean;
  by: string;
  at: string;
  scores: Record<string, number>;
}

export interface Kudos {
  id: string;
  from: string;
  to: string;
  text: string;
  at: string;
  /** What it is for: activity:<id>, commitment:<id> or deal:<id>. */
  about?: string | null;
  /** That record in words ("Won: Acme renewal (25000)"). */
  about_label?: string | null;
}

export interface Rejected {
  /** Line in the file (the header is line 1). */
  line: number;
  reason: string;
}

export interface ImportReport {
  imported: number;
  good: number;
  rejected: Rejected[];
  dry_run: boolean;
}

export type ImportMode = 'all' | 'dry-run' | 'skip-bad';

// ---- pipeline ----

export type DealStatus = 'open' | 'won' | 'lost';

export interface Deal {
  id: string;
  rep: string;
  name: string;
  amount: number;
  stage: string;
  kare: Kare | null;
  /** YYYY-MM-DD */
  expected_close: string | null;
  status: DealStatus;
  closed_at: string | null;
  created_at?: string | null;
}

/** Each field left out (or null) stays as it is; expected_close "" clears it. */
export interface DealEdit {
  name?: string | null;
  amount?: number | null;
  stage?: string | null;
  expected_close?: string | null;
}

/** Effort (activities) and results (won amounts) per KARE category; keys keep/attain/recapture/expand/none. */
export interface KareEffortResults {
  rep: string | null;
  effort: Record<string, number>;
  results: Record<string, number>;
  won: Record<string, number>;
  since: string;
}

export interface BenchRow {
  rep: string;
  name: string;
  values: Record<string, number | null>;
}

export interface Benchmarks {
  through: string;
  metrics: [string, string][];
  rows: BenchRow[];
  median: Record<string, number | null>;
}

// ---- development plans, cadence ----

export interface DevEntry {
  id: string;
  kind: 'skill' | 'goal';
  interaction: string | null;
  text: string;
  by: string;
  at: string;
  done: boolean;
}

export interface SkillView {
  entry: DevEntry;
  manager: number | null;
  own: number | null;
}

export interface DevPlan {
  rep: Member;
  skills: SkillView[];
  goals: DevEntry[];
  milestones: ActionItem[];
  overdue: ActionItem[];
  /** [interaction, criterion, manager's score] not in the plan yet, weakest first. */
  suggested: [string, string, number][];
}

export interface Cadence {
  rep: Member;
  last: string | null;
  days_since: number | null;
  held_30d: number;
  expected_30d: number;
  due: boolean;
  rep_avg: number | null;
  manager_avg: number | null;
  rep_useful_pct: number | null;
  manager_useful_pct: number | null;
  rated: number;
  /** [date, rating, comment], newest first. */
  comments: [string, number, string][];
}

export interface CoachingHabit {
  cadence_days: number;
  reps: Cadence[];
  rep_avg: number | null;
  manager_avg: number | null;
  rep_useful_pct: number | null;
  manager_useful_pct: number | null;
}

export class ApiError extends Error {
  readonly kind: string;
  constructor(kind: string, message: string) {
    super(message);
    this.kind = kind;
    this.name = 'ApiError';
  }
}

/** Turn whatever a command rejected with into an ApiError with a human message. */
export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  if (e && typeof e === 'object') {
    const o = e as { kind?: unknown; message?: unknown };
    if (typeof o.message === 'string' && o.message) {
      return new ApiError(typeof o.kind === 'string' ? o.kind : 'error', o.message);
    }
  }
  if (typeof e === 'string' && e) return new ApiError('error', e);
  return new ApiError('error', 'Something went wrong. Please try again.');
}

/** Whether the Tauri bridge exists (false in a plain browser during development). */
export function inTauri(): boolean {
  return typeof window !== 'undefined' && '__TAURI_INTERNALS__' in window;
}

async function call<T>(cmd: string, args: Record<string, unknown> = {}): Promise<T> {
  if (!inTauri()) {
    throw new ApiError('unavailable', 'Kept’s core is not running (open the app, not the web page).');
  }
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw toApiError(e);
  }
}

/** The tables `export_csv` writes. */
export type ExportWhat =
  | 'activities'
  | 'actions'
  | 'targets'
  | 'commitments'
  | 'deals'
  | 'meetings'
  | 'assessments'
  | 'kudos';

export const api = {
  status: () => call<AppStatus>('status'),
  initLocal: (a: { team: string; me: string; role: Role; time_zone: string | null }) =>
    call<AppStatus>('init_local', a),
  joinRelay: (a: { url: string; invite: string; name: string | null; allow_insecure: boolean }) =>
    call<AppStatus>('join_relay', a),

  logActivity: (kind: string, details: ActivityDetails = {}) =>
    call<Activity>('log_activity', { kind, details }),
  editActivity: (id: string, details: ActivityDetails) => call<Activity>('edit_activity', { id, details }),
  deleteActivity: (id: string) => call<null>('delete_activity', { id }),
  activities: (week: string | null = null, rep: string | null = null) =>
    call<Activity[]>('activities', { week, rep }),

  weekSummary: (week: string | null = null, rep: string | null = null) =>
    call<WeekSummary>('week_summary', { week, rep }),
  board: (week: string | null = null) => call<Board>('board', { week }),
  trends: (week: string | null = null, weeks = 12) => call<Trends>('trends', { week, weeks }),

  actionItems: (status: ActionStatus | null = null, rep: string | null = null) =>
    call<ActionItem[]>('action_items', { status, rep }),
  addAction: (a: { text: string; due: string; owner: string | null; rep: string | null }) =>
    call<ActionItem>('add_action', a),
  actionDone: (id: string, result: string) => call<ActionItem>('action_done', { id, result }),
  actionDrop: (id: string, reason: string | null) => call<ActionItem>('action_drop', { id, reason }),

  setTarget: (a: { kind: string; count: number; rep: string | null; week: string | null }) =>
    call<null>('set_target', a),
  targets: (rep: string | null = null, week: string | null = null) =>
    call<Record<string, number>>('targets', { rep, week }),

  invite: (role: Role, name: string | null) => call<InviteResponse>('invite', { role, name }),
  syncNow: () => call<SyncReport>('sync_now'),
  syncStatus: () => call<SyncStatus>('sync_status'),
  members: () => call<Member[]>('members'),

  setTeamSettings: (a: { name: string | null; time_zone: string | null; week_start: Weekday | null }) =>
    call<TeamSettings>('set_team_settings', a),
  upsertActivityType: (a: {
    key: string;
    label: string;
    kare: Kare | null;
    leading: boolean;
    position: number;
    retired: boolean;
  }) => call<TeamSettings>('upsert_activity_type', a),
  signOut: () => call<AppStatus>('sign_out'),

  // coaching
  signs: (a: { rep: string | null }) => call<Sign[]>('signs', a),
  commitments: (a: { week: string | null; rep: string | null }) => call<CommitmentStatus[]>('commitments', a),
  addCommitment: (a: { text: string; kind: string | null; count: number | null; week: string | null; rep: string | null }) =>
    call<Commitment>('add_commitment', a),
  planGoal: (a: {
    income: number;
    commission: number;
    deal_size: number;
    working_weeks: number;
    rep: string | null;
    agree: boolean;
  }) => call<Plan>('plan_goal', a),
  prep: (a: { rep: string | null; kind: MeetingKind | null }) => call<Prep>('prep', a),
  meetings: (a: { rep: string | null }) => call<Meeting[]>('meetings', a),
  openMeeting: (a: { rep: string | null; kind: MeetingKind; date: string | null }) =>
    call<OpenedMeeting>('open_meeting', a),
  meetingNotes: (a: { id: string; notes: string }) => call<Meeting>('meeting_notes', a),
  meetingAction: (a: { meeting: string; text: string; due: string; owner: string | null }) =>
    call<ActionItem>('meeting_action', a),
  actionEdit: (a: { id: string; text: string | null; due: string | null; reopen: boolean }) =>
    call<ActionItem>('action_edit', a),
  assess: (a: { rep: string | null; interaction: string; scores: Record<string, ScoreWord> }) =>
    call<Assessment>('assess', a),
  assessmentMap: (a: { rep: string | null; interaction: string }) =>
    call<CriterionView[]>('assessment_map', a),
  weakestCriteria: (a: { interaction: string }) =>
    call<[string, number, number][]>('weakest_criteria', a),
  giveKudos: (a: { to: string; text: string; about?: string | null }) => call<Kudos>('give_kudos', a),
  kudos: () => call<Kudos[]>('kudos', {}),
  importCsv: (a: {
    csv: string;
    rep: string | null;
    mode?: ImportMode;
    columns?: string[];
    types?: string[];
  }) => call<ImportReport>('import_csv', a),
  exportCsv: (a: { what: ExportWhat }) => call<string>('export_csv', a),

  // pipeline
  dealStages: () => call<string[]>('deal_stages', {}),
  addDeal: (a: {
    name: string;
    amount: number;
    stage: string | null;
    kare: Kare | null;
    expected_close: string | null;
    rep: string | null;
  }) => call<Deal>('add_deal', a),
  editDeal: (a: { id: string; edit: DealEdit }) => call<Deal>('edit_deal', a),
  closeDeal: (a: { id: string; won: boolean }) => call<Deal>('close_deal', a),
  deals: (a: { rep: string | null; include_closed: boolean }) => call<Deal[]>('deals', a),
  kareSplit: (a: { rep: string | null; team: boolean; weeks: number }) =>
    call<KareEffortResults>('kare_split', a),
  benchmarks: () => call<Benchmarks>('benchmarks', {}),

  // development plans, cadence, ratings
  devPlan: (a: { rep: string | null }) => call<DevPlan>('dev_plan', a),
  devAddSkill: (a: { rep: string | null; interaction: string; criterion: string }) =>
    call<DevEntry>('dev_add_skill', a),
  devAddGoal: (a: { rep: string | null; text: string }) => call<DevEntry>('dev_add_goal', a),
  devAddMilestone: (a: { rep: string | null; text: string; due: string }) =>
    call<ActionItem>('dev_add_milestone', a),
  devGoalDone: (a: { id: string; done: boolean }) => call<DevEntry>('dev_goal_done', a),
  devRemove: (a: { id: string }) => call<null>('dev_remove', a),
  coachingHabit: () => call<CoachingHabit>('coaching_habit', {}),
  rateMeeting: (a: { id: string; rating: number; comment: string | null }) => call<Meeting>('rate_meeting', a),

  // team templates and thresholds
  agendas: () => call<Agenda[]>('agendas', {}),
  setAgenda: (a: { kind: string; items: string[] | null; questions: string[] | null }) =>
    call<Agenda>('set_agenda', a),
  interactions: () => call<string[]>('interactions', {}),
  criteria: (a: { interaction: string }) => call<string[]>('criteria', a),
  setCriteria: (a: { interaction: string; criteria: string[] | null }) => call<string[]>('set_criteria', a),
  setThresholds: (a: { values: Record<string, number> }) => call<Thresholds>('set_thresholds', a),
};

/** Subscribe to the background sync task's `sync-status` event. */
export async function onSyncEvent(cb: (e: SyncEvent) => void): Promise<UnlistenFn> {
  if (!inTauri()) return () => {};
  return listen<SyncEvent>('sync-status', (ev) => cb(ev.payload));
}
