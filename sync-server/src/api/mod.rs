//! The HTTP routes (see `kept_protocol::wire` and docs/PROTOCOL.md for the table).

pub mod blobs;
pub mod json;
pub mod sync;
pub mod team;

use crate::error::AppError;
use crate::AppState;
use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, post, put};
use axum::Router;
use kept_protocol::blob::MAX_BLOB_CHUNK;
use kept_protocol::wire::MAX_BODY_BYTES;

async fn no_route() -> AppError {
    AppError::NotFound("no such endpoint; see docs/PROTOCOL.md for the API".into())
}

/// Every route of the relay.
pub fn routes(state: AppState) -> Router {
    Router::new()
        .route("/health", get(sync::health))
        .route("/v1/join", post(team::join))
        .route("/v1/invites", post(team::invite))
        .route("/v1/members", get(team::members))
        .route("/v1/members/{id}", delete(team::remove_member))
        .route("/v1/devices", get(team::devices))
        .route("/v1/devices/{id}", delete(team::revoke_device))
        .route("/v1/org/teams", get(team::org_teams))
        .route("/v1/org/teams/{team}/device", post(team::leader_device))
        .route("/v1/push", post(sync::push))
        .route("/v1/pull", get(sync::pull))
        .route("/v1/snapshots", get(sync::snapshots))
        .route("/v1/live", get(crate::live::handler))
        .route("/v1/blobs", post(blobs::offer))
        // Chunks are streamed to the store and counted by the handler (413 past MAX_BLOB_CHUNK).
        .route("/v1/blobs/{hash}", put(blobs::upload).get(blobs::download).layer(DefaultBodyLimit::max(MAX_BLOB_CHUNK)))
        .fallback(no_route)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}
