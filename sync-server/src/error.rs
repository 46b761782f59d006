//! The relay's one error type: every failure becomes the protocol's JSON error body with a fitting status.

use crate::storage::StorageError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use kept_protocol::wire::{ErrorBody, ErrorDetail};

/// An error answered to a client.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 400: the request is malformed or invalid.
    #[error("{0}")]
    BadRequest(String),
    /// 401: no, unknown or revoked credentials.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: authenticated, but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// 404: no such thing (in the caller's team).
    #[error("{0}")]
    NotFound(String),
    /// 409: clashes with what is stored (a name already taken).
    #[error("{0}")]
    Conflict(String),
    /// 413: the body is too large.
    #[error("{0}")]
    TooLarge(String),
    /// 507: a new blob would take the team past its blob quota.
    #[error("{0}")]
    QuotaExceeded(String),
    /// 429: too many failed attempts.
    #[error("{0}")]
    RateLimited(String),
    /// 500: something broke on the relay; the cause goes to the log, not the client.
    #[error("internal error on the relay")]
    Internal(#[source] StorageError),
}

impl AppError {
    fn status_kind(&self) -> (StatusCode, &'static str) {
        match self {
            AppError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            AppError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            AppError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            AppError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            AppError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            AppError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            AppError::QuotaExceeded(_) => (StatusCode::INSUFFICIENT_STORAGE, "quota_exceeded"),
            AppError::RateLimited(_) => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            AppError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, kind) = self.status_kind();
        let message = match self {
            AppError::Internal(cause) => {
                tracing::error!(error = %crate::storage::chain(&cause), "internal error");
                "internal error on the relay; see its log".to_string()
            }
            other => other.to_string(),
        };
        let body = ErrorBody { error: ErrorDetail { kind: kind.to_string(), message } };
        (status, Json(body)).into_response()
    }
}

impl From<StorageError> for AppError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::NotFound(m) => AppError::NotFound(m),
            StorageError::Conflict(m) => AppError::Conflict(m),
            StorageError::Invalid(m) => AppError::BadRequest(m),
            StorageError::Forbidden(m) => AppError::Forbidden(m),
            StorageError::InvalidInvite(m) => AppError::Unauthorized(m),
            e @ StorageError::NameTaken { .. } => AppError::Conflict(e.to_string()),
            e @ StorageError::QuotaExceeded { .. } => AppError::QuotaExceeded(e.to_string()),
            other => AppError::Internal(other),
        }
    }
}
