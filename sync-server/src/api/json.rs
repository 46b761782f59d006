//! `ApiJson`: a JSON body extractor whose failures use the protocol's error body (400 naming the problem, 413 when too large).

use crate::error::AppError;
use axum::extract::{FromRequest, Request};
use axum::http::{header::CONTENT_LENGTH, StatusCode};
use axum::Json;
use futures_util::StreamExt;
use kept_protocol::wire::MAX_BODY_BYTES;
use serde::de::DeserializeOwned;

/// Most bytes read and thrown away from an oversized body so the client sees the 413 instead of a reset connection.
const DRAIN_LIMIT: usize = 8 * MAX_BODY_BYTES;

/// A JSON body.
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

fn too_large() -> AppError {
    AppError::TooLarge(format!("the request body is larger than the relay's limit of {MAX_BODY_BYTES} bytes"))
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        let declared =
            req.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
        if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
            // Read (and drop) what the client is sending so it can read our answer.
            let mut stream = req.into_body().into_data_stream();
            let mut seen = 0usize;
            while let Some(Ok(chunk)) = stream.next().await {
                seen += chunk.len();
                if seen > DRAIN_LIMIT {
                    break;
                }
            }
            return Err(too_large());
        }
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(rej) if rej.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(too_large()),
            Err(rej) => Err(AppError::BadRequest(rej.body_text())),
        }
    }
}
