//! The background sync worker: a thread with its own connection to the
//! store (so a slow network never holds the UI's store lock) that syncs when
//! the app starts, after local writes, when the relay's live channel says the
//! team moved, and every minute; with exponential backoff and jitter while
//! the relay is away. It tells the UI through the `sync-status` event.

use crate::state::{AppState, Nudge};
use kept_core::sync::backoff::Backoff;
use kept_core::sync::SyncStatus;
use kept_core::{IdSource, Kept, SystemClock};
use serde::Serialize;
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::Duration;
use tauri::{AppHandle, Emitter};
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
    let (tx, rx) = channel();
    *state.0.nudge.lock().unwrap_or_else(|p| p.into_inner()) = Some(tx.clone());
    std::thread::Builder::new()
        .name("kept-sync".into())
        .spawn(move || run(app, state, tx, rx))
        .map(|_| ())
        .unwrap_or_else(|e| eprintln!("kept: cannot start the sync worker: {e}"));
}

fn emit(app: &AppHandle, state: SyncState, status: SyncStatus, pulled: usize) {
    let _ = app.emit("sync-status", SyncEvent { state, status, pulled });
}

fn run(app: AppHandle, state: AppState, tx: Sender<Nudge>, rx: Receiver<Nudge>) {
    let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(60));
    let mut live_up = false;
    let mut k: Option<Kept> = None;
    loop {
        if k.is_none() {
            k = Kept::open(&state.0.home, Arc::new(SystemClock), IdSource::random()).ok();
        }
        let wait = match k.as_mut() {
            None => Duration::from_secs(5),
            Some(kept) => match kept.is_joined() {
                Ok(false) | Err(_) => {
                    if let Ok(s) = kept.sync_status(false) {
                        emit(&app, SyncState::Local, s, 0);
                    }
                    Duration::from_secs(30)
                }
                Ok(true) => {
                    if let Ok(s) = kept.sync_status(false) {
                        emit(&app, SyncState::Syncing, s, 0);
                    }
                    match kept.sync() {
                        Ok(report) => {
                            backoff.reset();
                            if let Ok(s) = kept.sync_status(false) {
                                emit(&app, SyncState::Synced, s, report.pulled);
                            }
                            if !live_up {
                                live_up = start_live(kept, tx.clone());
                            }
                            Duration::from_secs(60)
                        }
                        Err(_) => {
                            if let Ok(s) = kept.sync_status(false) {
                                emit(&app, SyncState::Offline, s, 0);
                            }
                            backoff.next_delay(rand_unit())
                        }
                    }
                }
            },
        };
        if let Some(kept) = k.as_mut() {
            remind(&app, kept);
        }
        match rx.recv_timeout(wait.min(Duration::from_secs(300))) {
            Ok(Nudge::LocalWrite) => std::thread::sleep(Duration::from_millis(300)), // let a burst of taps settle
            Ok(Nudge::Live(seq)) => {
                if k.as_ref().and_then(|kept| kept.synced_seq().ok()).is_some_and(|s| s >= seq) {
                    // Already have it (our own push, most likely): wait for the next nudge.
                    continue;
                }
            }
            Ok(Nudge::LiveDown) => live_up = false,
            Ok(Nudge::Reconfigured) => {
                k = None;
                live_up = false;
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        // Drain what else arrived meanwhile: one sync covers them all.
        while let Ok(n) = rx.try_recv() {
            match n {
                Nudge::LiveDown => live_up = false,
                Nudge::Reconfigured => {
                    k = None;
                    live_up = false;
                }
                _ => {}
            }
        }
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

/// Opens the live channel on its own thread; it forwards each event as a
/// nudge and says `LiveDown` when the channel ends.
fn start_live(k: &Kept, tx: Sender<Nudge>) -> bool {
    let Ok(relay) = k.relay() else { return false };
    let Ok(mut live) = relay.live() else { return false };
    std::thread::Builder::new()
        .name("kept-live".into())
        .spawn(move || {
            while let Ok(Some(ev)) = live.next_event() {
                if tx.send(Nudge::Live(ev.seq)).is_err() {
                    return;
                }
            }
            let _ = tx.send(Nudge::LiveDown);
        })
        .is_ok()
}
