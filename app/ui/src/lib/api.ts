// The only place the UI talks to Rust: typed wrappers over Tauri commands.
// Every command takes ONE object with snake_case keys and may reject with
// {kind, message}; `call` normalises any rejection into an ApiError.
//
// The types are generated from the Rust structs (app/src/bindings.rs, ts-rs)
// into ./bindings: never copy a Rust type here by hand. After changing a
// Rust type, run `KEPT_WRITE_BINDINGS=1 cargo test -p kept-app --lib bindings`.
import { invoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import type {
  CalibrationView,
  NewsItem,
  SignNote,
  ChallengeView,
  NewChallenge,
  Recording,
  OrgOverview,
  OrgTeamSync,
  ActionItem,
  ActionStatus,
  Activity,
  ActivityDetails,
  Agenda,
  AppStatus,
  Assessment,
  Benchmarks,
  Board,
  CoachingHabit,
  Commitment,
  CommitmentStatus,
  CriterionView,
  Deal,
  DealEdit,
  DevEntry,
  DevPlan,
  ErrorKind,
  ImportReport,
  InviteResponse,
  Kare,
  KareSplit,
  Kudos,
  Labelled,
  Meeting,
  Member,
  OpenedMeeting,
  Plan,
  Prep,
  Role,
  Sign,
  SyncEvent,
  SyncReport,
  SyncStatus,
  TeamSettings,
  Thresholds,
  Trends,
  Vocabulary,
  WeakCriterion,
  WeekSummary,
  Weekday,
} from './bindings';

export type * from './bindings';

/** A meeting type key (the built-in ones are in the vocabulary; a team may name others). */
export type MeetingKind = string;
/** A score word of the assessment scale (`not-present` … `excellent`). */
export type ScoreWord = string;

/** How an import runs. */
export type ImportMode = 'all' | 'dry-run' | 'skip-bad';

/** An error's kind: one the Rust side sends (`ErrorKind`, generated), or one
 * the UI makes itself (`unavailable`: no Tauri bridge; `error`: anything else). */
export type ApiErrorKind = ErrorKind | 'unavailable' | 'error';

export class ApiError extends Error {
  readonly kind: ApiErrorKind;
  constructor(kind: ApiErrorKind, message: string) {
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
      return new ApiError(typeof o.kind === 'string' ? (o.kind as ErrorKind) : 'error', o.message);
    }
  }
  if (typeof e === 'string' && e) return new ApiError('error', e);
  return new ApiError('error', 'Something went wrong. Please try again.');
}

/** Whether `e` is an error of `kind` (checked against the generated union). */
export function isErrorKind(e: unknown, kind: ApiErrorKind): boolean {
  return toApiError(e).kind === kind;
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
  /** A one-time code for another device of my own (same member). */
  inviteMyDevice: () => call<InviteResponse>('invite_my_device', {}),
  /** Put a set-aside change back; how many left the quarantine. */
  retryQuarantined: (id: number) => call<number>('retry_quarantined', { id }),
  discardQuarantined: (id: number) => call<null>('discard_quarantined', { id }),
  /** The raw bytes of a set-aside change (to save as a file). */
  quarantinedBytes: (id: number) => call<number[]>('quarantined_bytes', { id }),
  syncNow: () => call<SyncReport>('sync_now'),
  syncStatus: () => call<SyncStatus>('sync_status'),
  members: () => call<Member[]>('members'),

  setTeamSettings: (a: { name: string | null; time_zone: string | null; week_start: Weekday | null }) =>
    call<TeamSettings>('set_team_settings', a),
  /** The team's locale and currency ("" resets one to the default). */
  setTeamFormat: (a: { locale: string; currency: string }) => call<TeamSettings>('set_team_format', a),
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
  signs: (a: { rep: string | null; all?: boolean }) => call<Sign[]>('signs', a),
  /** Acknowledges a rep's sign for this week with a note (managers). */
  acknowledgeSign: (a: { rep: string; kind: string; note: string }) => call<SignNote>('acknowledge_sign', a),
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
  /** My edit of the notes from `base` (read at `base_heads`) to `notes`, applied onto what the other side typed since. */
  meetingNotesEdit: (a: { id: string; base: string; base_heads: string[]; notes: string }) =>
    call<Meeting>('meeting_notes_edit', a),
  meetingAction: (a: { meeting: string; text: string; due: string; owner: string | null }) =>
    call<ActionItem>('meeting_action', a),
  actionEdit: (a: { id: string; text: string | null; due: string | null; reopen: boolean }) =>
    call<ActionItem>('action_edit', a),
  assess: (a: { rep: string | null; interaction: string; scores: Record<string, ScoreWord> }) =>
    call<Assessment>('assess', a),
  assessmentMap: (a: { rep: string | null; interaction: string }) =>
    call<CriterionView[]>('assessment_map', a),
  weakestCriteria: (a: { interaction: string }) =>
    call<WeakCriterion[]>('weakest_criteria', a),
  giveKudos: (a: { to: string; text: string; about?: string | null }) => call<Kudos>('give_kudos', a),
  kudos: () => call<Kudos[]>('kudos', {}),
  importCsv: (a: {
    csv: string;
    rep: string | null;
    mode?: ImportMode;
    columns?: string[];
    types?: string[];
    /** `us` or `eu` when the file's dates are ambiguous; null: from the column. */
    date_format?: string | null;
    /** `sec` or `min` for plain-number durations; null: from the header or values. */
    duration_unit?: string | null;
  }) => call<ImportReport>('import_csv', a),
  /** The tables `export_csv` writes (key and label), as kept-core lists them. */
  exportTables: () => call<Labelled[]>('export_tables', {}),
  exportCsv: (a: { what: string }) => call<string>('export_csv', a),
  /** Writes the export to `path` (from the save dialog); returns the path written. */
  exportCsvTo: (a: { what: string; path: string }) => call<string>('export_csv_to', a),

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
    call<KareSplit>('kare_split', a),
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
  // A leader's organisation (empty `teams` when this home leads none).
  orgOverview: () => call<OrgOverview>('org_overview', {}),
  orgSync: () => call<OrgTeamSync[]>('org_sync', {}),
  /** Opens the older weeks the first sync kept for later; documents opened. */
  orgCatchUp: () => call<number>('org_catch_up', {}),
  orgTeamBoard: (teamId: string) => call<Board>('org_team_board', { team_id: teamId }),
  orgRepWeek: (teamId: string, rep: string) => call<WeekSummary>('org_rep_week', { team_id: teamId, rep }),
  calibrations: () => call<CalibrationView[]>('calibrations', {}),

  /** What others did for me since `since` (RFC 3339; null: the last 7 days), newest first. */
  news: (since: string | null) => call<NewsItem[]>('news', { since }),

  // practice challenges
  challenges: (rep: string | null = null) => call<ChallengeView[]>('challenges', { rep }),
  challengeSet: (challenge: NewChallenge) => call<ChallengeView[]>('challenge_set', { challenge }),
  /** Answers one of my challenges: `data` is the recording, base64 (see lib/practice.ts). */
  challengeAnswer: (a: { id: string; mime: string; data: string; ms: number | null }) =>
    call<ChallengeView>('challenge_answer', a),
  /** The recording of an answer (downloaded from the relay when not on this device). */
  challengeRecording: (a: { rep: string | null; id: string }) => call<Recording>('challenge_recording', a),
  challengeScore: (a: { rep: string; id: string; scores: [string, string][] }) =>
    call<ChallengeView>('challenge_score', a),
  challengeComment: (a: { rep: string; id: string; at_ms: number; text: string }) =>
    call<ChallengeView>('challenge_comment', a),
  challengeWithdraw: (a: { rep: string; id: string }) => call<null>('challenge_withdraw', a),
  rateMeeting: (a: { id: string; rating: number; comment: string | null }) => call<Meeting>('rate_meeting', a),

  // the built-in vocabulary and week arithmetic, from kept-core
  vocabulary: () => call<Vocabulary>('vocabulary', {}),
  shiftWeek: (week: string, by: number) => call<string>('shift_week', { week, by }),
  weeksEnding: (week: string, count: number) => call<string[]>('weeks_ending', { week, count }),

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
