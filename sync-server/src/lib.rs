//! kept-relay: stores Automerge changes per team and hands them to whoever may read them (DESIGN.md §2.3).

pub mod access;
pub mod admin;
pub mod api;
pub mod auth;
pub mod blobs;
pub mod check;
pub mod edge;
pub mod error;
pub mod gate;
pub mod live;
pub mod storage;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

pub use api::sync::{validate_push, validate_request, PullQuery, SnapshotsQuery};
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
    /// Connection, timeout and live-socket limits.
    pub limits: edge::Limits,
    /// Reverse proxies whose `X-Forwarded-For` names the client (none by default).
    pub trusted_proxies: Arc<Vec<std::net::IpAddr>>,
    /// Where blob bytes are kept (by default the store's own place, [`Storage::blob_bytes`]).
    pub blobs: Arc<dyn blobs::BlobBytes>,
    /// Largest blob and per-team quota.
    pub blob_limits: blobs::BlobLimits,
    /// When the background compactor folds a team's changes into snapshots.
    pub compaction: Compaction,
}

/// The background compactor's settings: every `every`, each team with at
/// least `after` changes not covered by snapshots is compacted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Compaction {
    /// Changes not covered by snapshots that make a team due.
    pub after: i64,
    /// How often the compactor looks.
    pub every: Duration,
}

impl Default for Compaction {
    fn default() -> Self {
        Compaction { after: COMPACT_AFTER, every: COMPACT_EVERY }
    }
}

impl AppState {
    /// State over a store.
    pub fn new(storage: Arc<dyn Storage>) -> AppState {
        AppState {
            blobs: storage.blob_bytes(),
            blob_limits: blobs::BlobLimits::default(),
            storage,
            live: Arc::default(),
            limiter: Arc::default(),
            limits: edge::Limits::default(),
            trusted_proxies: Arc::default(),
            compaction: Compaction::default(),
        }
    }

    /// The same state with other compaction settings.
    pub fn with_compaction(mut self, compaction: Compaction) -> AppState {
        self.compaction = compaction;
        self
    }

    /// The same state with other limits.
    pub fn with_limits(mut self, limits: edge::Limits) -> AppState {
        self.limits = limits;
        self
    }

    /// The same state, keeping blob bytes in `blobs` (e.g. a [`blobs::DirBlobs`] the operator names).
    pub fn with_blobs(mut self, blobs: Arc<dyn blobs::BlobBytes>) -> AppState {
        self.blobs = blobs;
        self
    }

    /// The same state with other blob limits.
    pub fn with_blob_limits(mut self, limits: blobs::BlobLimits) -> AppState {
        self.blob_limits = limits;
        self
    }

    /// The same state, trusting `X-Forwarded-For` from these proxies.
    pub fn with_trusted_proxies(mut self, proxies: Vec<std::net::IpAddr>) -> AppState {
        self.trusted_proxies = Arc::new(proxies);
        self
    }
}

/// The relay's router.
pub fn router(state: AppState) -> axum::Router {
    let limit = state.limits.request;
    api::routes(state)
        .layer(axum::middleware::from_fn(protocol_version))
        .layer(axum::middleware::from_fn_with_state(limit, request_timeout))
}

/// Refuses a client of a protocol version this relay does not speak, before
/// anything else (`GET /health` always answers: it is how a client learns
/// the relay's version).
async fn protocol_version(req: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    use kept_protocol::wire::{check_version, ErrorBody, ErrorDetail, UNSUPPORTED_VERSION, VERSION_HEADER};
    if req.uri().path() != "/health" {
        let header = req.headers().get(VERSION_HEADER).map(|v| v.to_str().unwrap_or("(not text)"));
        if let Err(message) = check_version(header) {
            use axum::response::IntoResponse;
            let body = ErrorBody { error: ErrorDetail { kind: UNSUPPORTED_VERSION.into(), message } };
            return (axum::http::StatusCode::BAD_REQUEST, axum::Json(body)).into_response();
        }
    }
    next.run(req).await
}

/// Bounds how long a request may take, reading its body included.
async fn request_timeout(
    axum::extract::State(limit): axum::extract::State<Duration>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(r) => r,
        Err(_) => {
            use axum::response::IntoResponse;
            let msg = format!("the request took longer than {} s; send it again", limit.as_secs());
            let body = kept_protocol::wire::ErrorBody {
                error: kept_protocol::wire::ErrorDetail { kind: "timeout".into(), message: msg },
            };
            (axum::http::StatusCode::REQUEST_TIMEOUT, axum::Json(body)).into_response()
        }
    }
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
    let Compaction { after, every } = state.compaction;
    let shutdown = async move {
        shutdown.await;
        // Open WebSockets would otherwise hold a graceful shutdown forever.
        live.close_all();
    };
    let compactor = tokio::spawn(async move {
        let mut tick = tokio::time::interval(every.max(Duration::from_millis(100)));
        tick.tick().await;
        loop {
            tick.tick().await;
            if let Err(e) = compact_teams(storage.as_ref(), after).await {
                tracing::warn!(error = %e, "compaction failed");
            }
        }
    });
    let remote = {
        let (live, live2) = (state.live.clone(), state.live.clone());
        state.storage.listen_remote(
            Arc::new(move |team: &str, seq: i64, audience: &live::Audience| live.publish(team, seq, audience)),
            Arc::new(move |devices: Vec<String>| live2.revoke(devices)),
        )
    };
    // (tap_io: axum gives any tapped listener's address to ConnectInfo.)
    let listener = axum::serve::ListenerExt::tap_io(edge::EdgeListener::new(listener, state.limits), |_| {});
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    let out = axum::serve(listener, app).with_graceful_shutdown(shutdown).await;
    compactor.abort();
    if let Some(remote) = remote {
        remote.abort();
    }
    out
}
