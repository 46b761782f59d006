//! `/v1/blobs`: offering a blob, uploading it in chunks, downloading it
//! (docs/PROTOCOL.md "Blobs"). A blob belongs to a document: uploading takes
//! the right to write it and downloading the right to read it, decided exactly
//! as for a push and a pull ([`crate::access`]); the blob is looked up under
//! the reader of that document, so a hash alone grants nothing. Bodies are
//! streamed to [`crate::blobs::BlobBytes`] and counted on the way (never
//! buffered whole); a refused request changes nothing.

use super::json::ApiJson;
use crate::access;
use crate::auth::Caller;
use crate::blobs::{AppendError, BlobKey, ByteStream};
use crate::error::AppError;
use crate::storage::{BlobRow, NewBlob};
use crate::AppState;
use axum::body::Body;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures_util::StreamExt;
use kept_protocol::blob::{check_hash, check_offer, BlobError, BlobOffer, BlobStatus, MAX_BLOB_CHUNK};
use kept_protocol::ids::DocId;
use kept_protocol::wire::{ErrorBody, ErrorDetail};
use serde::Deserialize;

/// Most bytes of a refused upload read (and dropped) so the client sees the answer instead of a reset connection.
const DRAIN_LIMIT: usize = 2 * MAX_BLOB_CHUNK;

/// `PUT /v1/blobs/{hash}` query.
#[derive(Debug, Deserialize)]
pub struct UploadQuery {
    /// The document the blob belongs to.
    pub doc: String,
    /// Where the body's bytes start in the blob (must be what the relay holds).
    pub offset: u64,
}

/// `GET /v1/blobs/{hash}` query.
#[derive(Debug, Deserialize)]
pub struct DownloadQuery {
    /// The document the blob belongs to.
    pub doc: String,
}

fn blob_error(e: BlobError) -> AppError {
    match e {
        BlobError::TooLarge { .. } => AppError::TooLarge(e.to_string()),
        other => AppError::BadRequest(other.to_string()),
    }
}

fn clip(s: &str) -> String {
    s.chars().take(80).collect()
}

fn parse_doc(doc: &str) -> Result<DocId, AppError> {
    doc.parse().map_err(|e| AppError::BadRequest(format!("bad document id '{}': {e}", clip(doc))))
}

/// The document, if `caller` may write it (and so upload its blobs).
async fn writable(st: &AppState, caller: &Caller, doc: &str) -> Result<DocId, AppError> {
    let id = parse_doc(doc)?;
    let members = access::members_for(&*st.storage, caller, [&id]).await?;
    access::may_write(caller, &id, &members).map_err(|why| {
        AppError::Forbidden(format!("you may not write '{id}', so you may not upload its blobs: {why}"))
    })?;
    Ok(id)
}

/// The document, if `caller` may read it (and so download its blobs).
fn readable(caller: &Caller, doc: &str) -> Result<DocId, AppError> {
    let id = parse_doc(doc)?;
    if !access::may_read(caller, &id) {
        return Err(AppError::Forbidden(format!("you may not read '{id}', so you may not download its blobs")));
    }
    Ok(id)
}

/// The blob `hash` under the reader of document `id` in the caller's team.
fn key_of(caller: &Caller, id: &DocId, hash: &str) -> Result<BlobKey, AppError> {
    BlobKey::new(&caller.team_id, id.subject().unwrap_or(""), hash).map_err(blob_error)
}

fn size_of(row: &BlobRow) -> u64 {
    u64::try_from(row.size).unwrap_or(0)
}

fn status(row: &BlobRow, received: u64) -> BlobStatus {
    BlobStatus { hash: row.hash.clone(), size: size_of(row), received, complete: row.complete }
}

fn not_offered(hash: &str, id: &DocId) -> AppError {
    AppError::NotFound(format!("no blob {hash} was offered for '{id}': offer it first (POST /v1/blobs)"))
}

/// Checks the bytes of a blob that has all of them: a match makes it
/// complete (None); a mismatch discards them and returns their SHA-256.
async fn verify(st: &AppState, key: &BlobKey, row: &mut BlobRow) -> Result<Option<String>, AppError> {
    let got = st.blobs.sha256(key).await?;
    if got == row.hash {
        st.storage.complete_blob(key.team(), key.reader(), key.hash()).await?;
        row.complete = true;
        Ok(None)
    } else {
        st.blobs.discard(key).await?;
        Ok(Some(got))
    }
}

/// `POST /v1/blobs`: registers the blob (or finds it) and says how much of it the relay holds.
pub async fn offer(
    caller: Caller,
    State(st): State<AppState>,
    ApiJson(offer): ApiJson<BlobOffer>,
) -> Result<Json<BlobStatus>, AppError> {
    check_offer(&offer, st.blob_limits.max_bytes).map_err(blob_error)?;
    let id = writable(&st, &caller, &offer.doc).await?;
    let key = key_of(&caller, &id, &offer.hash)?;
    let blob = NewBlob {
        team_id: caller.team_id.clone(),
        reader: key.reader().to_string(),
        hash: offer.hash,
        size: offer.size,
        mime: offer.mime,
        doc: id.as_str().to_string(),
        created_by: caller.member_id.clone(),
        now: chrono::Utc::now().timestamp(),
    };
    let mut row = st.storage.offer_blob(blob, st.blob_limits.quota).await?;
    if row.complete {
        return Ok(Json(status(&row, size_of(&row))));
    }
    let mut received = st.blobs.received(&key).await?;
    if received > size_of(&row) {
        st.blobs.discard(&key).await?;
        received = 0;
    } else if received == size_of(&row) && verify(&st, &key, &mut row).await?.is_some() {
        // Every byte had arrived, but the relay stopped before checking them, and they were wrong.
        received = 0;
    }
    Ok(Json(status(&row, received)))
}

/// What an upload does once its request checked out.
enum Plan {
    /// The blob is complete: the body must be empty.
    Complete(BlobStatus),
    /// Append at most `max` bytes at `offset`.
    Append { key: BlobKey, row: BlobRow, offset: u64, room: u64 },
}

/// Every check of an upload before its body is read.
async fn plan(
    st: &AppState,
    caller: &Caller,
    hash: Result<Path<String>, PathRejection>,
    query: Result<Query<UploadQuery>, QueryRejection>,
    declared: Option<u64>,
) -> Result<Plan, AppError> {
    let Path(hash) = hash.map_err(|e| AppError::BadRequest(e.body_text()))?;
    let Query(q) = query.map_err(|e| {
        AppError::BadRequest(format!("bad blob upload query: {}; expected ?doc=DOC&offset=N", e.body_text()))
    })?;
    check_hash(&hash).map_err(blob_error)?;
    if let Some(n) = declared.filter(|n| *n > MAX_BLOB_CHUNK as u64) {
        return Err(AppError::TooLarge(format!(
            "a blob chunk is at most {MAX_BLOB_CHUNK} bytes; this one is {n}: send it in smaller pieces"
        )));
    }
    let id = writable(st, caller, &q.doc).await?;
    let key = key_of(caller, &id, &hash)?;
    let row = st.storage.blob(key.team(), key.reader(), key.hash()).await?.ok_or_else(|| not_offered(&hash, &id))?;
    let size = size_of(&row);
    let held = if row.complete { size } else { st.blobs.received(&key).await? };
    if q.offset != held {
        return Err(AppError::Conflict(format!(
            "the relay holds {held} bytes of blob {hash}, so the next chunk starts at offset {held}, not {}",
            q.offset
        )));
    }
    let room = size.saturating_sub(held);
    if let Some(n) = declared.filter(|n| *n > room) {
        return Err(past_size(n, held, size));
    }
    Ok(if row.complete { Plan::Complete(status(&row, size)) } else { Plan::Append { key, row, offset: held, room } })
}

fn past_size(n: u64, offset: u64, size: u64) -> AppError {
    AppError::BadRequest(format!(
        "a chunk of {n} bytes at offset {offset} goes past the end of the blob ({size} bytes)"
    ))
}

fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok())
}

/// Reads (and drops) what is left of a body, up to [`DRAIN_LIMIT`]; returns how many bytes it read.
async fn drain(body: &mut ByteStream) -> usize {
    let mut seen = 0usize;
    while let Some(Ok(chunk)) = body.next().await {
        seen += chunk.len();
        if seen > DRAIN_LIMIT {
            break;
        }
    }
    seen
}

/// `PUT /v1/blobs/{hash}?doc=D&offset=K`: the blob's bytes from `K`.
pub async fn upload(
    caller: Caller,
    State(st): State<AppState>,
    hash: Result<Path<String>, PathRejection>,
    query: Result<Query<UploadQuery>, QueryRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<BlobStatus>, AppError> {
    let mut body: ByteStream = Box::pin(body.into_data_stream().map(|r| r.map_err(std::io::Error::other)));
    let declared = content_length(&headers);
    let (key, mut row, offset, room) = match plan(&st, &caller, hash, query, declared).await {
        Ok(Plan::Append { key, row, offset, room }) => (key, row, offset, room),
        Ok(Plan::Complete(done)) => {
            let extra = drain(&mut body).await as u64;
            if extra > 0 {
                return Err(past_size(extra, done.size, done.size));
            }
            return Ok(Json(done));
        }
        Err(e) => {
            drain(&mut body).await;
            return Err(e);
        }
    };
    let size = size_of(&row);
    let max = room.min(MAX_BLOB_CHUNK as u64);
    let received = match st.blobs.append(&key, offset, max, &mut body).await {
        Ok(n) => n,
        Err(AppendError::Offset { held }) => {
            return Err(AppError::Conflict(format!(
                "the relay holds {held} bytes of blob {} (another upload of it is under way); offer it again",
                key.hash()
            )))
        }
        Err(AppendError::TooMuch { .. }) => {
            let n = max as usize + drain(&mut body).await;
            return Err(if room <= MAX_BLOB_CHUNK as u64 {
                past_size(n as u64, offset, size)
            } else {
                AppError::TooLarge(format!(
                    "a blob chunk is at most {MAX_BLOB_CHUNK} bytes; this one was longer: send it in smaller pieces"
                ))
            });
        }
        Err(AppendError::Cut { received, source }) => {
            tracing::info!(team = %caller.team_id, hash = %key.hash(), received, error = %source, "blob upload broke off");
            return Err(AppError::BadRequest(format!(
                "the upload broke off after {received} bytes of the blob ({source}); send the rest from offset {received}"
            )));
        }
        Err(AppendError::Store(e)) => return Err(e.into()),
    };
    if received == size {
        if let Some(got) = verify(&st, &key, &mut row).await? {
            st.storage.forget_blob(key.team(), key.reader(), key.hash()).await?;
            return Err(AppError::BadRequest(format!(
                "the {size} bytes received are not blob {} (their SHA-256 is {got}); they were discarded: \
                 offer the blob again and send it from offset 0",
                key.hash()
            )));
        }
    }
    Ok(Json(status(&row, received)))
}

/// The start of a `Range: bytes=K-` header; None for no header or a form
/// this relay does not serve (then the whole blob is sent, as HTTP allows).
fn range_start(headers: &HeaderMap) -> Option<u64> {
    let v = headers.get(header::RANGE)?.to_str().ok()?.trim();
    let from = v.strip_prefix("bytes=")?.strip_suffix('-')?;
    if from.is_empty() || !from.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    from.parse().ok()
}

fn range_not_satisfiable(from: u64, size: u64) -> Response {
    let message = format!("the blob has {size} bytes: a download cannot start at byte {from}");
    let body = ErrorBody { error: ErrorDetail { kind: "bad_range".into(), message } };
    let mut resp = (StatusCode::RANGE_NOT_SATISFIABLE, Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
        resp.headers_mut().insert(header::CONTENT_RANGE, v);
    }
    resp
}

/// `GET /v1/blobs/{hash}?doc=D`: a complete blob's bytes, streamed (`Range: bytes=K-` → 206).
pub async fn download(
    caller: Caller,
    State(st): State<AppState>,
    hash: Result<Path<String>, PathRejection>,
    query: Result<Query<DownloadQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let Path(hash) = hash.map_err(|e| AppError::BadRequest(e.body_text()))?;
    let Query(q) = query
        .map_err(|e| AppError::BadRequest(format!("bad blob download query: {}; expected ?doc=DOC", e.body_text())))?;
    check_hash(&hash).map_err(blob_error)?;
    let id = readable(&caller, &q.doc)?;
    let key = key_of(&caller, &id, &hash)?;
    let row = match st.storage.blob(key.team(), key.reader(), key.hash()).await? {
        Some(row) if row.complete => row,
        Some(_) => {
            return Err(AppError::NotFound(format!(
                "blob {hash} of '{id}' is not complete yet: the device that recorded it has not sent every byte"
            )))
        }
        None => return Err(AppError::NotFound(format!("no blob {hash} belongs to '{id}'"))),
    };
    let size = size_of(&row);
    let from = range_start(&headers);
    let start = from.unwrap_or(0);
    if start >= size && from.is_some() {
        return Ok(range_not_satisfiable(start, size));
    }
    let stream = st.blobs.read(&key, start).await?;
    let mut resp = Response::new(Body::from_stream(stream));
    let h = resp.headers_mut();
    let mime = HeaderValue::from_str(&row.mime).unwrap_or(HeaderValue::from_static("application/octet-stream"));
    h.insert(header::CONTENT_TYPE, mime);
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(size - start));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=31536000, immutable"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment"));
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{hash}\"")) {
        h.insert(header::ETAG, etag);
    }
    if from.is_some() {
        if let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{}/{size}", size - 1)) {
            h.insert(header::CONTENT_RANGE, v);
        }
        *resp.status_mut() = StatusCode::PARTIAL_CONTENT;
    }
    Ok(resp)
}
