//! The app's shared state: where the store lives, the open store, and the
//! channel that wakes the background sync worker.

use crate::error::{ErrorKind, UiError};
use kept_core::{IdSource, Kept, SystemClock};
use std::path::PathBuf;
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};

/// Why the sync worker should wake up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nudge {
    /// A local write: push soon.
    LocalWrite,
    /// The relay says the team moved to this sequence.
    Live(i64),
    /// The live channel closed.
    LiveDown,
    /// The store was created, joined or signed out.
    Reconfigured,
}

/// Shared by every command and the worker.
pub struct Inner {
    /// The home folder of this device's store.
    pub home: PathBuf,
    /// The open store, once there is one.
    pub kept: Mutex<Option<Kept>>,
    /// Wakes the sync worker.
    pub nudge: Mutex<Option<Sender<Nudge>>>,
}

/// Managed Tauri state (cheap to clone into blocking tasks).
#[derive(Clone)]
pub struct AppState(pub Arc<Inner>);

impl AppState {
    /// State for the store in `home`, opened if it exists.
    pub fn new(home: PathBuf) -> AppState {
        let kept = Kept::open(&home, Arc::new(SystemClock), IdSource::random()).ok();
        AppState(Arc::new(Inner { home, kept: Mutex::new(kept), nudge: Mutex::new(None) }))
    }

    /// Wakes the sync worker (if it runs).
    pub fn nudge(&self, n: Nudge) {
        if let Some(tx) = self.0.nudge.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            let _ = tx.send(n);
        }
    }

    /// Runs `f` on the open store in a blocking task (SQLite never runs on
    /// the main thread).
    pub async fn with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Kept) -> kept_core::Result<T> + Send + 'static,
    ) -> Result<T, UiError> {
        let inner = self.0.clone();
        tauri::async_runtime::spawn_blocking(move || {
            let mut guard = inner.kept.lock().unwrap_or_else(|p| p.into_inner());
            let kept = guard.as_mut().ok_or_else(|| {
                UiError::new(ErrorKind::NoStore, "Set up Kept first: join your team, or use it on this device only.")
            })?;
            f(kept).map_err(UiError::from)
        })
        .await
        .map_err(|e| UiError::new(ErrorKind::Internal, format!("the app could not finish that: {e}")))?
    }

    /// Like [`AppState::with`] for a write: also wakes the sync worker.
    pub async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Kept) -> kept_core::Result<T> + Send + 'static,
    ) -> Result<T, UiError> {
        let out = self.with(f).await?;
        self.nudge(Nudge::LocalWrite);
        Ok(out)
    }
}
