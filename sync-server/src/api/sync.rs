//! Push, pull and health.

use super::json::ApiJson;
use crate::access;
use crate::auth::Caller;
use crate::error::AppError;
use crate::storage::{LogWeeks, NewChange, SnapshotAsk};
use crate::AppState;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::Json;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use kept_protocol::change::{check_canonical, check_root_keys, parse_change, ChangeError};
use kept_protocol::ids::DocId;
use kept_protocol::wire::{
    Health, PullResponse, PulledChange, PushChange, PushRequest, PushResponse, Snapshot, SnapshotPage, MAX_BODY_BYTES,
    MAX_PULL_LIMIT, MAX_PUSH_CHANGES,
};
use serde::Deserialize;

/// Default page size of a pull.
pub const DEFAULT_PULL_LIMIT: u32 = 1000;

/// `GET /health`.
pub async fn health() -> Json<Health> {
    Json(Health {
        ok: true,
        version: env!("CARGO_PKG_VERSION").to_string(),
        protocol: kept_protocol::wire::PROTOCOL_VERSION,
    })
}

pub use kept_protocol::change::checksum_ok;

/// Parses one pushed change; Err names the change by its index. `budget` is
/// what is left of the push's inflated-bytes allowance.
/// `last` is the previous change's document id: a push's changes mostly
/// share one, so it is parsed once.
fn validate(
    i: usize,
    ch: PushChange,
    budget: &mut usize,
    last: Option<&DocId>,
) -> Result<(DocId, NewChange), AppError> {
    let bad = |why: String| AppError::BadRequest(format!("change {i} ('{}'): {why}", ch.doc));
    let id: DocId = match last {
        Some(id) if id.as_str() == ch.doc => id.clone(),
        _ => ch.doc.parse().map_err(|e| bad(format!("{e}")))?,
    };
    if id.kind() != ch.kind {
        return Err(bad(format!("the id names a {} document but kind is '{}'", id.kind().as_str(), ch.kind.as_str())));
    }
    if id.subject() != ch.subject.as_deref() {
        return Err(bad(format!(
            "subject {:?} does not agree with the document id (expected {:?})",
            ch.subject.as_deref().unwrap_or(""),
            id.subject().unwrap_or("")
        )));
    }
    let bytes = B64.decode(ch.data.as_bytes()).map_err(|e| bad(format!("data is not valid base64: {e}")))?;
    let change = match parse_change(bytes, budget) {
        Ok(c) => c,
        Err(e @ (ChangeError::TooLarge { .. } | ChangeError::Inflates { .. })) => {
            return Err(AppError::TooLarge(format!("change {i} ('{}'): {e}", ch.doc)))
        }
        Err(e) => return Err(bad(e.to_string())),
    };
    let canonical = check_canonical(&id, &change).map_err(|e| bad(format!("change {}: {e}", change.hash())))?.is_some();
    check_root_keys(&id, &change, canonical).map_err(|e| bad(format!("change {}: {e}", change.hash())))?;
    let new = NewChange {
        doc: id.as_str().to_string(),
        kind: id.kind(),
        subject: id.subject().map(str::to_string),
        canonical,
        change,
    };
    Ok((id, new))
}

/// Checks a push request the way `POST /v1/push` does before it looks at
/// access or storage: at most [`MAX_PUSH_CHANGES`] changes, and every change
/// (document id, kind and subject agreeing with it, base64, an Automerge
/// change inflating to at most `MAX_CHANGE_BYTES`, and [`MAX_BODY_BYTES`]
/// for the whole push; a canonical actor only with the canonical bytes). All or nothing: the first bad change is the error, naming it.
pub fn validate_request(req: PushRequest) -> Result<Vec<(DocId, NewChange)>, AppError> {
    if req.changes.len() > MAX_PUSH_CHANGES {
        return Err(AppError::BadRequest(format!(
            "a push may carry at most {MAX_PUSH_CHANGES} changes; this one has {}",
            req.changes.len()
        )));
    }
    let mut budget = MAX_BODY_BYTES;
    let mut out: Vec<(DocId, NewChange)> = Vec::with_capacity(req.changes.len());
    for (i, ch) in req.changes.into_iter().enumerate() {
        let checked = validate(i, ch, &mut budget, out.last().map(|(id, _)| id))?;
        out.push(checked);
    }
    Ok(out)
}

/// [`validate_request`] from a raw request body, as the relay receives it:
/// over [`MAX_BODY_BYTES`] → 413, not a JSON [`PushRequest`] → 400. The fuzz
/// targets and tests drive the relay's parsing through this.
pub fn validate_push(body: &[u8]) -> Result<Vec<(DocId, NewChange)>, AppError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(AppError::TooLarge(format!(
            "the request body is larger than the relay's limit of {MAX_BODY_BYTES} bytes"
        )));
    }
    let req: PushRequest = serde_json::from_slice(body)
        .map_err(|e| AppError::BadRequest(format!("Failed to deserialize the JSON body: {e}")))?;
    validate_request(req)
}

/// `POST /v1/push`: all or nothing.
pub async fn push(
    caller: Caller,
    State(st): State<AppState>,
    ApiJson(req): ApiJson<PushRequest>,
) -> Result<Json<PushResponse>, AppError> {
    if req.changes.is_empty() {
        let seq = st.storage.team_seq(&caller.team_id).await?;
        return Ok(Json(PushResponse { acked: Vec::new(), seq }));
    }
    let parsed = validate_request(req)?;
    let members = access::members_for(&*st.storage, &caller, parsed.iter().map(|(id, _)| id)).await?;
    for (i, (id, _)) in parsed.iter().enumerate() {
        access::may_write(&caller, id, &members)
            .map_err(|why| AppError::Forbidden(format!("change {i}: you may not write '{id}': {why}")))?;
    }
    let changes: Vec<NewChange> = parsed.into_iter().map(|(_, c)| c).collect();
    let acked = changes.iter().map(|c| hex::encode(c.hash().0)).collect();
    let pushed = st.storage.push(&caller.team_id, &caller.member_id, changes).await?;
    if let Some(audience) = &pushed.audience {
        st.live.publish(&caller.team_id, pushed.seq, audience);
    }
    Ok(Json(PushResponse { acked, seq: pushed.seq }))
}

/// `GET /v1/pull` query.
#[derive(Debug, Deserialize)]
pub struct PullQuery {
    /// Last sequence seen.
    #[serde(default)]
    pub cursor: i64,
    /// Page size.
    pub limit: Option<u32>,
    /// `SEQ:HASH` of the last change the client received: if the relay holds
    /// another change (or none) at that sequence, it lost data and answers `reset`.
    pub seen: Option<String>,
}

/// A page size asked for: the default when absent, 1 to [`MAX_PULL_LIMIT`]
/// (more is read as the most).
fn page_limit(limit: Option<u32>) -> Result<u32, AppError> {
    match limit {
        None => Ok(DEFAULT_PULL_LIMIT),
        Some(0) => Err(AppError::BadRequest(format!("limit must be 1 to {MAX_PULL_LIMIT}"))),
        Some(n) => Ok(n.min(MAX_PULL_LIMIT)),
    }
}

/// `GET /v1/snapshots` query.
#[derive(Debug, Deserialize)]
pub struct SnapshotsQuery {
    /// The `next` of the previous page (absent or empty: from the first).
    #[serde(default)]
    pub after: String,
    /// Page size.
    pub limit: Option<u32>,
    /// Only the log documents of weeks before this one.
    pub logs_before: Option<String>,
    /// Every document but the log documents of weeks before this one.
    pub logs_from: Option<String>,
}

impl SnapshotsQuery {
    /// What the query asks for, or why it cannot be read.
    pub fn ask(self) -> Result<SnapshotAsk, AppError> {
        let bad = |why: String| AppError::BadRequest(format!("bad snapshots query: {why}"));
        // The key pages continue from is the id as the relay writes it.
        let after = match self.after.as_str() {
            "" => String::new(),
            a => a.parse::<DocId>().map_err(|e| bad(format!("after: {e}")))?.as_str().to_string(),
        };
        let week =
            |name: &str, w: &str| w.parse().map_err(|_| bad(format!("{name} '{w}' is not a week like 2026-W48")));
        let logs = match (self.logs_before.as_deref(), self.logs_from.as_deref()) {
            (None, None) => LogWeeks::All,
            (Some(w), None) => LogWeeks::Before(week("logs_before", w)?),
            (None, Some(w)) => LogWeeks::From(week("logs_from", w)?),
            (Some(_), Some(_)) => return Err(bad("give logs_before or logs_from, not both".into())),
        };
        Ok(SnapshotAsk { after, logs, limit: page_limit(self.limit)? })
    }
}

/// True when the caller may read document `doc` (the storage's read scope
/// already chose; this checks each id once more before it leaves).
fn readable(caller: &Caller, doc: &str) -> bool {
    doc.parse::<DocId>().is_ok_and(|id| access::may_read(caller, &id))
}

/// Stored snapshots as the wire carries them, those the caller may read.
fn readable_snapshots(caller: &Caller, snapshots: Vec<crate::storage::StoredSnapshot>) -> Vec<Snapshot> {
    snapshots
        .into_iter()
        .filter(|s| readable(caller, &s.doc))
        .map(|s| Snapshot { data: B64.encode(&s.data), doc: s.doc, upto: s.upto })
        .collect()
}

/// `GET /v1/snapshots?after=DOC&limit=M&logs_before=W|logs_from=W`: the
/// compacted documents the caller may read, a page at a time.
pub async fn snapshots(
    caller: Caller,
    State(st): State<AppState>,
    query: Result<Query<SnapshotsQuery>, QueryRejection>,
) -> Result<Json<SnapshotPage>, AppError> {
    let Query(q) = query.map_err(|e| AppError::BadRequest(format!("bad snapshots query: {}", e.body_text())))?;
    let page = st.storage.snapshots(&caller.team_id, access::read_scope(&caller), q.ask()?).await?;
    Ok(Json(SnapshotPage {
        snapshots: readable_snapshots(&caller, page.snapshots),
        upto: page.upto,
        more: page.more,
        next: page.next,
        later: page.later,
    }))
}

/// `GET /v1/pull?cursor=N&limit=M`.
pub async fn pull(
    caller: Caller,
    State(st): State<AppState>,
    query: Result<Query<PullQuery>, QueryRejection>,
) -> Result<Json<PullResponse>, AppError> {
    let Query(q) = query.map_err(|e| AppError::BadRequest(format!("bad pull query: {}", e.body_text())))?;
    if q.cursor < 0 {
        return Err(AppError::BadRequest("cursor must be 0 or more".into()));
    }
    let limit = page_limit(q.limit)?;
    if let Some(seen) = q.seen.as_deref().filter(|s| !s.is_empty()) {
        let bad = || AppError::BadRequest(format!("bad seen '{seen}': expected SEQ:HASH (hex)"));
        let (seq, hash) = seen.split_once(':').ok_or_else(bad)?;
        let seq: i64 = seq.parse().map_err(|_| bad())?;
        let hash = hex::decode(hash).map_err(|_| bad())?;
        if st.storage.hash_at(&caller.team_id, seq).await?.as_deref() != Some(hash.as_slice()) {
            return Ok(Json(PullResponse { snapshots: vec![], changes: vec![], next: 0, more: false, reset: true }));
        }
    }
    let page = st.storage.pull(&caller.team_id, access::read_scope(&caller), q.cursor, limit).await?;
    Ok(Json(PullResponse {
        snapshots: readable_snapshots(&caller, page.snapshots),
        changes: page
            .changes
            .into_iter()
            .filter(|c| readable(&caller, &c.doc))
            .map(|c| PulledChange { seq: c.seq, data: B64.encode(&c.data), doc: c.doc })
            .collect(),
        next: page.next,
        more: page.more,
        reset: false,
    }))
}
