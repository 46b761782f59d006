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

export interface TeamSettings {
  name: string;
  time_zone: string;
  week_start: Weekday;
  working_days: Weekday[];
  catalog: ActivityType[];
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
};

/** Subscribe to the background sync task's `sync-status` event. */
export async function onSyncEvent(cb: (e: SyncEvent) => void): Promise<UnlistenFn> {
  if (!inTauri()) return () => {};
  return listen<SyncEvent>('sync-status', (ev) => cb(ev.payload));
}
