// App-wide reactive state (Svelte 5 runes): status, current tab, sync, toasts, errors.
import { api, isErrorKind, toApiError, type AppStatus, type SyncState, type SyncStatus } from './api';
import { setVocabulary } from './coaching';
import {
  SYNC_ERROR_KINDS,
  describeSyncProblem,
  deriveSyncState,
  errMessage,
  fmtWeek,
  fmtWeekStart,
  humanizeCoreText,
  setFormatPrefs,
  type Problem,
} from './format';

export type Tab = 'org' | 'today' | 'week' | 'pipeline' | 'actions' | 'practice' | 'board' | 'settings';

export interface ToastAction {
  label: string;
  testid?: string;
  run: () => void | Promise<void>;
}

export interface Toast {
  id: number;
  text: string;
  actions: ToastAction[];
}

export const app = $state({
  status: null as AppStatus | null,
  loading: true,
  tab: 'today' as Tab,
  /** Rep shown in the manager's rep detail (name), or null for the board. */
  repDetail: null as string | null,
  /** Bumped after every write or pulled sync: screens reload when it changes. */
  refresh: 0,
  error: null as string | null,
  /** Technical detail of `error`, behind a "Details" toggle (for support). */
  errorDetail: null as string | null,
  /** Why sync is not working, in plain words; cleared as soon as a sync succeeds. */
  syncProblem: null as Problem | null,
  toast: null as Toast | null,
  /** Names of the organisation's teams this device holds (a leader's device), else empty. */
  orgTeams: [] as string[],
  sync: {
    state: 'local' as SyncState,
    status: null as SyncStatus | null,
    busy: false,
    lastEventAt: 0,
  },
});

export const isManager = (): boolean => app.status?.me?.role === 'manager';

/** True on a leader's device: a manager's home that holds an organisation's teams. */
export const isLeader = (): boolean => isManager() && app.orgTeams.length > 0;

/** Finds out whether this manager's home leads an organisation (a leader opens on it). */
export async function loadOrg(): Promise<void> {
  if (!isManager()) return;
  try {
    const o = await api.orgOverview();
    const first = app.orgTeams.length === 0 && o.teams.length > 0;
    app.orgTeams = o.teams.map((t) => t.name);
    if (first && (app.tab === 'today' || app.tab === 'board') && !app.repDetail) app.tab = 'org';
  } catch {
    app.orgTeams = [];
  }
}

/** A team week ("2026-W49") as its date range in the team's week start: "Nov 30 – Dec 6". */
export const weekRange = (label: string): string => fmtWeek(label, app.status?.team?.week_start ?? 'Mon');

/** Text written by kept-core (signs, advice) with dates in the app's style. */
export const coreText = (text: string): string => humanizeCoreText(text, app.status?.team?.week_start ?? 'Mon');

/** A team week by its first day: "Nov 30" (chart axes). */
export const weekStartLabel = (label: string): string => fmtWeekStart(label, app.status?.team?.week_start ?? 'Mon');

/** Whether the error banner shows a relay problem (cleared with the sync banner). */
let syncErrorShown = false;

export function showError(e: unknown): void {
  const err = toApiError(e);
  if (SYNC_ERROR_KINDS.has(err.kind)) {
    // A relay that cannot be reached is a sync condition, not a mistake: plain words, detail behind a toggle.
    const p = describeSyncProblem(err.message, err.kind);
    app.error = p.text;
    app.errorDetail = p.detail;
    syncErrorShown = true;
  } else {
    app.error = errMessage(e);
    app.errorDetail = null;
    syncErrorShown = false;
  }
  // The store is gone (signed out elsewhere): show the set-up screen again.
  if (isErrorKind(e, 'no_store') && app.status?.has_store) void loadStatus();
}

export function clearError(): void {
  app.error = null;
  app.errorDetail = null;
  syncErrorShown = false;
}

let toastSeq = 0;
let toastTimer: ReturnType<typeof setTimeout> | undefined;

/** Show a toast for `ms` (default 5 s); actions such as Undo live as long as it does. */
export function toast(text: string, actions: ToastAction[] = [], ms = 5000): void {
  clearTimeout(toastTimer);
  const id = ++toastSeq;
  app.toast = { id, text, actions };
  toastTimer = setTimeout(() => {
    if (app.toast?.id === id) app.toast = null;
  }, ms);
}

export function dismissToast(): void {
  clearTimeout(toastTimer);
  app.toast = null;
}

export function bumpRefresh(): void {
  app.refresh++;
}

/** Run a write; on success refresh the screens, on failure show the message. */
export async function write<T>(fn: () => Promise<T>): Promise<T | undefined> {
  try {
    const r = await fn();
    clearError();
    bumpRefresh();
    void pollSync();
    return r;
  } catch (e) {
    showError(e);
    return undefined;
  }
}

export async function loadStatus(): Promise<void> {
  try {
    const [s, v] = await Promise.all([api.status(), api.vocabulary()]);
    setVocabulary(v);
    setStatus(s);
  } catch (e) {
    showError(e);
  } finally {
    app.loading = false;
  }
}

export function setStatus(s: AppStatus): void {
  const first = !app.status?.has_store && s.has_store;
  app.status = s;
  // Money, numbers and dates as the team writes them (each device's own locale when unset).
  setFormatPrefs({ locale: s.team?.locale || null, currency: s.team?.currency || 'USD' });
  if (s.sync !== undefined) applySyncStatus(s.sync, null);
  if (first) app.tab = s.me?.role === 'manager' ? 'board' : 'today';
}

let lastCursor: number | undefined;

/** Take a new SyncStatus (from a poll or an event); refresh screens if the cursor moved. */
export function applySyncStatus(status: SyncStatus | null, state: SyncState | null, pulled = 0): void {
  app.sync.status = status;
  if (state) {
    app.sync.state = state;
    app.sync.lastEventAt = Date.now();
  } else if (Date.now() - app.sync.lastEventAt > 6000) {
    app.sync.state = deriveSyncState(status);
  }
  updateSyncProblem(status);
  const cursor = status?.cursor;
  const moved = lastCursor !== undefined && cursor !== undefined && cursor !== lastCursor;
  lastCursor = cursor;
  if (pulled > 0 || moved) bumpRefresh();
}

/**
 * The sync banner follows the sync state: set while offline with an error, cleared the moment a
 * sync succeeds (the pill says "Synced") — together with a sync error shown by a command.
 */
function updateSyncProblem(status: SyncStatus | null): void {
  const st = app.sync.state;
  const fine = st === 'synced' || st === 'local' || (!!status && !status.last_error && status.reachable !== false);
  if (fine) {
    app.syncProblem = null;
    if (syncErrorShown) clearError();
  } else if (st === 'offline' && status?.last_error) {
    app.syncProblem = describeSyncProblem(status.last_error);
  }
}

export async function pollSync(): Promise<void> {
  if (!app.status?.has_store) return;
  try {
    applySyncStatus(await api.syncStatus(), null);
  } catch {
    // polling errors are not the person's problem; the indicator keeps its last state
  }
}

export async function syncNow(): Promise<void> {
  if (app.sync.busy) return;
  if (!app.sync.status?.relay) {
    toast('This device is not joined to a team. Join one in Settings.');
    return;
  }
  app.sync.busy = true;
  app.sync.state = 'syncing';
  try {
    const r = await api.syncNow();
    clearError();
    toast(r.pulled || r.pushed ? `Synced: sent ${r.pushed}, received ${r.pulled}` : 'Up to date');
    if (r.pulled > 0) bumpRefresh();
    app.sync.lastEventAt = 0;
  } catch (e) {
    const err = toApiError(e);
    if (SYNC_ERROR_KINDS.has(err.kind)) {
      app.syncProblem = describeSyncProblem(err.message, err.kind);
      app.sync.state = 'offline';
      app.sync.lastEventAt = Date.now();
    } else {
      showError(e);
      app.sync.lastEventAt = 0;
    }
  } finally {
    app.sync.busy = false;
    await pollSync();
  }
}
