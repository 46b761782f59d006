//! The app's shared state: where the store lives, the open store, and the
//! channel that wakes the background sync worker.

use crate::error::{ErrorKind, UiError};
pub use kept_core::sync::watch::Nudge;
use kept_core::{IdSource, Kept, SystemClock};
use std::path::PathBuf;
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};

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

    /// Runs network work (`f` may wait on the relay) on a store opened for
    /// it alone, in a blocking task: the UI's store stays free, so taps and
    /// screens never wait for a slow or silent relay.
    pub async fn network<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Kept) -> kept_core::Result<T> + Send + 'static,
    ) -> Result<T, UiError> {
        let home = self.0.home.clone();
        tauri::async_runtime::spawn_blocking(move || {
            if !home.join(kept_core::store::DB_FILE).exists() {
                return Err(UiError::new(
                    ErrorKind::NoStore,
                    "Set up Kept first: join your team, or use it on this device only.",
                ));
            }
            let mut own = Kept::open(&home, Arc::new(SystemClock), IdSource::random()).map_err(UiError::from)?;
            f(&mut own).map_err(UiError::from)
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

#[cfg(test)]
mod tests {
    use super::*;
    use kept_core::model::Role;
    use kept_core::InitOptions;

    #[test]
    fn a_tap_never_waits_for_a_silent_relay() {
        // A relay that accepts connections and never answers.
        let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("listen");
        let url = format!("http://{}", silent.local_addr().expect("addr"));
        let dir = tempfile::tempdir().expect("tmp");
        let home = dir.path().join("home");
        let opts =
            InitOptions { team: "Acme".into(), me: "Ann".into(), role: Role::Rep, time_zone: None, week_start: None };
        let mut k = Kept::init(&home, opts, Arc::new(SystemClock), IdSource::random()).expect("init");
        k.store_mut().set_meta("relay_url", &url).expect("relay");
        k.store_mut().set_meta("token", "t").expect("token");
        drop(k);
        let state = AppState::new(home);
        let net = state.clone();
        let syncing = std::thread::spawn(move || tauri::async_runtime::block_on(net.network(|k| k.sync())));
        std::thread::sleep(std::time::Duration::from_millis(300)); // the sync is waiting on the relay
        let logged = tauri::async_runtime::block_on(state.write(|k| k.log_activity("call", Default::default(), None)));
        assert!(logged.is_ok(), "{logged:?}");
        assert!(!syncing.is_finished(), "the tap finished while the sync still waits for the relay");
        let count = tauri::async_runtime::block_on(state.with(|k| k.activities(None, None, false)));
        assert_eq!(count.map(|v| v.len()).ok(), Some(1));
    }
}
