//! The background sync worker: kept-core's watch loop (`sync::watch`) on a
//! thread with its own connection to the store (so a slow network never
//! holds the UI's store lock): it syncs when the app starts, after local
//! writes, when the relay's live channel says the team moved, and every
//! minute, backing off while the relay is away. When the relay revokes this
//! device the loop stops and waits until the device joins again. It tells
//! the UI through the `sync-status` event and shows due reminders.

use crate::state::AppState;
use kept_core::sync::watch::{revoked, Event, Watch};
use kept_core::sync::SyncStatus;
use kept_core::{IdSource, Kept, SystemClock};
use serde::Serialize;
use std::sync::Arc;
use tauri::{AppHandle, Emitter, Manager};
use tauri_plugin_notification::NotificationExt;
use ts_rs::TS;

/// Where syncing stands, as the indicator shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SyncState {
    /// No relay: this device only.
    Local,
    /// A sync is running.
    Syncing,
    /// The last sync succeeded.
    Synced,
    /// The relay could not be reached.
    Offline,
    /// The relay refused this device (revoked or removed): join again.
    Revoked,
}

/// Payload of the `sync-status` event.
#[derive(Debug, Clone, Serialize, TS)]
pub struct SyncEvent {
    /// Where syncing stands.
    pub state: SyncState,
    /// Pending count, last sync, last error.
    pub status: SyncStatus,
    /// Changes pulled by this sync (the UI refreshes when > 0).
    pub pulled: usize,
}

/// Starts the worker thread.
pub fn spawn(app: AppHandle, state: AppState) {
    std::thread::Builder::new()
        .name("kept-sync".into())
        .spawn(move || run(app, state))
        .map(|_| ())
        .unwrap_or_else(|e| eprintln!("kept: cannot start the sync worker: {e}"));
}

fn emit(app: &AppHandle, state: SyncState, status: SyncStatus, pulled: usize) {
    let _ = app.emit("sync-status", SyncEvent { state, status, pulled });
}

fn run(app: AppHandle, state: AppState) {
    loop {
        let watch = Watch::default();
        *state.0.nudge.lock().unwrap_or_else(|p| p.into_inner()) = Some(watch.sender());
        let home = state.0.home.clone();
        let ended = watch.run(
            || Kept::open(&home, Arc::new(SystemClock), IdSource::random()),
            rand_unit,
            |kept, ev| {
                let (s, pulled) = match ev {
                    Event::Local => (SyncState::Local, 0),
                    Event::Syncing => (SyncState::Syncing, 0),
                    Event::Synced(r) => (SyncState::Synced, r.pulled),
                    Event::Offline(e) if revoked(e) => (SyncState::Revoked, 0),
                    Event::Offline(_) => (SyncState::Offline, 0),
                    Event::Idle => {
                        remind(&app, kept);
                        return;
                    }
                };
                if let Ok(status) = kept.sync_status(false) {
                    emit(&app, s, status, pulled);
                }
                if s == SyncState::Synced {
                    // A manager's answers to review play at once when opened (best effort;
                    // the device's setting turns it off on a metered connection).
                    let _ = kept.prefetch_recordings(10);
                    announce(&app, kept);
                }
            },
        );
        match ended {
            Ok(()) => return,
            // Revoked: nothing to do until the device joins again (a
            // `Reconfigured` nudge on the next loop's channel).
            Err(_) => {
                let hold = Watch::default();
                *state.0.nudge.lock().unwrap_or_else(|p| p.into_inner()) = Some(hold.sender());
                if !hold.wait_for_reconfigure() {
                    return;
                }
            }
        }
    }
}

/// What a manager changed for this rep (kept-core's news), each raised once
/// as an OS notification while the app is not in front; in front, the
/// "New for you" card on Today shows it instead.
fn announce(app: &AppHandle, k: &mut Kept) {
    let Ok(news) = k.news_to_notify() else { return };
    let in_front = app.get_webview_window("main").and_then(|w| w.is_focused().ok()).unwrap_or(false);
    if in_front {
        return;
    }
    for n in news.iter().take(3) {
        let _ = app.notification().builder().title("Kept").body(&n.text).show();
    }
}

/// Shows due reminders (action items due today, the end-of-day nudge) through
/// the OS's notifications, each once.
fn remind(app: &AppHandle, k: &mut Kept) {
    let Ok(due) = k.reminders() else { return };
    let mut shown = Vec::new();
    for r in due {
        if app.notification().builder().title(&r.title).body(&r.body).show().is_ok() {
            shown.push(r.key);
        }
    }
    if !shown.is_empty() {
        let _ = k.mark_reminded(&shown);
    }
}

fn rand_unit() -> f64 {
    let mut b = [0u8; 8];
    IdSource::random().fill(&mut b);
    (u64::from_le_bytes(b) >> 11) as f64 / (1u64 << 53) as f64
}
