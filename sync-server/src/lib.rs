//! kept-relay: stores Automerge changes per team and hands them to whoever may read them (DESIGN.md §2.3).

pub mod access;
pub mod admin;
pub mod api;
pub mod auth;
pub mod check;
pub mod error;
pub mod gate;
pub mod live;
pub mod storage;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

pub use api::sync::{validate_push, validate_request, PullQuery};
pub use error::AppError;
pub use storage::{open_storage, PostgresStorage, SqliteStorage, Storage};

/// Compact a team once this many changes are not covered by snapshots.
pub const COMPACT_AFTER: i64 = 5000;
/// How often the compactor looks.
pub const COMPACT_EVERY: Duration = Duration::from_secs(30);

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The store.
    pub storage: Arc<dyn Storage>,
    /// Live subscribers.
    pub live: Arc<live::Live>,
    /// Failed-attempt limiter.
    pub limiter: Arc<auth::RateLimiter>,
}

impl AppState {
    /// State over a store.
    pub fn new(storage: Arc<dyn Storage>) -> AppState {
        AppState { storage, live: Arc::default(), limiter: Arc::default() }
    }
}

/// The relay's router.
pub fn router(state: AppState) -> axum::Router {
    api::routes(state)
}

/// Compacts every team whose backlog reached `threshold`; returns how many were compacted.
pub async fn compact_teams(storage: &dyn Storage, threshold: i64) -> Result<usize, storage::StorageError> {
    let mut n = 0;
    for (team, backlog) in storage.compaction_backlog().await? {
        if backlog >= threshold.max(1) {
            match storage.compact(&team).await {
                Ok(_) => n += 1,
                Err(e) => tracing::warn!(%team, error = %e, "compaction skipped"),
            }
        }
    }
    Ok(n)
}

/// Serves the relay on `listener` until `shutdown` completes (a compactor runs
/// alongside, and on a shared store a listener for other instances' pushes).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let storage = state.storage.clone();
    let live = state.live.clone();
    let shutdown = async move {
        shutdown.await;
        // Open WebSockets would otherwise hold a graceful shutdown forever.
        live.close_all();
    };
    let compactor = tokio::spawn(async move {
        let mut tick = tokio::time::interval(COMPACT_EVERY);
        tick.tick().await;
        loop {
            tick.tick().await;
            if let Err(e) = compact_teams(storage.as_ref(), COMPACT_AFTER).await {
                tracing::warn!(error = %e, "compaction failed");
            }
        }
    });
    let remote = {
        let live = state.live.clone();
        state.storage.listen_remote(Arc::new(move |team: &str, seq: i64| live.publish(team, seq)))
    };
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    let out = axum::serve(listener, app).with_graceful_shutdown(shutdown).await;
    compactor.abort();
    if let Some(remote) = remote {
        remote.abort();
    }
    out
}
