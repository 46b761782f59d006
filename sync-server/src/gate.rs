//! The relay as gatekeeper: the rules a push must pass against what the relay
//! already holds, written once for both storage backends. Each backend only
//! runs the statements (look up actor owners, load a document's bytes, store).
//!
//! - **Actors belong to their owner.** Every non-canonical actor is bound to
//!   the member whose device first pushed it in the team; another member's
//!   device may not push under it. A member's own devices share their
//!   member's actors (`merge-from` between two of my devices).
//! - **Causal validity** ([`kept_protocol::gate`]): per document, gap-free
//!   sequence numbers per actor, dependencies present, and the change applies.
//! - Documents under validation are kept in a [`DocCache`] with a memory bound.
//!   A push is admitted into the cached documents before its storing
//!   transaction ([`prepare`]); the transaction keeps that work only if the
//!   documents did not move meanwhile, and otherwise admits it itself.

use crate::storage::{NewChange, StorageError, StorageResult};
use kept_protocol::gate::{DocState, Refusal};
use std::collections::HashMap;
use std::sync::Mutex;

/// The memory the document cache may hold, by [`DocState::estimated_memory`].
pub const DOC_CACHE_BYTES: usize = 128 * 1024 * 1024;

/// Who owns each actor a push uses: Err when one belongs to another member.
/// Returns the actors to bind to `author` (first use in the team).
/// `owners` maps actor bytes to the member they are bound to.
pub fn bind_actors(
    author: &str,
    changes: &[NewChange],
    owners: &HashMap<Vec<u8>, String>,
) -> StorageResult<Vec<Vec<u8>>> {
    let mut new = Vec::new();
    for (i, ch) in changes.iter().enumerate() {
        if ch.canonical {
            continue;
        }
        match owners.get(ch.actor()) {
            Some(owner) if owner != author => {
                return Err(StorageError::Forbidden(format!(
                    "change {i} ({}) to document '{}': actor {} belongs to another member of the team; \
                     a device writes only under its own member's actors",
                    ch.hash(),
                    ch.doc,
                    hex::encode(ch.actor())
                )))
            }
            Some(_) => {}
            None => {
                if !new.iter().any(|a| a == ch.actor()) {
                    new.push(ch.actor().to_vec());
                }
            }
        }
    }
    Ok(new)
}

/// The distinct non-canonical actors of a push.
pub fn actors_of(changes: &[NewChange]) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    for ch in changes.iter().filter(|c| !c.canonical) {
        if !out.iter().any(|a| a == ch.actor()) {
            out.push(ch.actor().to_vec());
        }
    }
    out
}

/// The indexes of a push's changes, by document, documents in id order.
fn by_doc(changes: &[NewChange]) -> Vec<(&str, Vec<usize>)> {
    let mut by: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, ch) in changes.iter().enumerate() {
        by.entry(ch.doc.as_str()).or_default().push(i);
    }
    let mut out: Vec<(&str, Vec<usize>)> = by.into_iter().collect();
    out.sort_unstable_by_key(|(doc, _)| *doc);
    out
}

/// A document a push was admitted into ahead of its storing transaction
/// ([`prepare`]). It stands for the admission only while the stored document
/// is still at `version`; otherwise it is dropped and the transaction admits
/// the push into the document as stored.
pub struct Prepared {
    /// The document's version the state was at when it was taken from the cache.
    pub version: i64,
    /// The document with this push's changes applied.
    pub state: DocState,
    /// For each of the push's changes to this document (by index in the push), whether it is new.
    pub fresh: Vec<(usize, bool)>,
}

/// Admits a push into the cached documents it touches before the storing
/// transaction begins, so Automerge's work runs beside other pushes' storage
/// instead of inside the one writer's turn. A document not in the cache, or
/// one that refuses the push, is left to the transaction (which then decides,
/// with the document as stored and the exact error).
pub fn prepare(team: &str, changes: &[NewChange], cache: &DocCache) -> HashMap<String, Prepared> {
    let mut out = HashMap::new();
    for (doc, idx) in by_doc(changes) {
        let Some((version, mut state)) = cache.take_any(team, doc) else { continue };
        let list: Vec<&automerge::Change> = idx.iter().map(|&i| &changes[i].change).collect();
        if let Ok(flags) = state.admit(&list) {
            out.insert(doc.to_string(), Prepared { version, state, fresh: idx.into_iter().zip(flags).collect() });
        }
    }
    out
}

/// Admits a push into the documents it touches (`states`, one per document
/// id, loaded by the backend), except those in `ready`, whose changes were
/// admitted by [`prepare`] into the state given here (their flags are
/// taken as they are). Returns per change whether it is new. Err names the
/// first change that cannot join, its document and the reason.
pub fn admit(
    changes: &[NewChange],
    states: &mut HashMap<String, DocState>,
    ready: &HashMap<String, Vec<(usize, bool)>>,
) -> StorageResult<Vec<bool>> {
    let mut fresh = vec![false; changes.len()];
    for (doc, idx) in by_doc(changes) {
        if let Some(flags) = ready.get(doc) {
            for &(i, f) in flags {
                fresh[i] = f;
            }
            continue;
        }
        let state = states
            .get_mut(doc)
            .ok_or_else(|| StorageError::Inconsistent(format!("document '{doc}' was not loaded for validation")))?;
        let list: Vec<&automerge::Change> = idx.iter().map(|&i| &changes[i].change).collect();
        match state.admit(&list) {
            Ok(flags) => {
                for (k, f) in idx.iter().zip(flags) {
                    fresh[*k] = f;
                }
            }
            Err((Some(k), why)) => {
                let i = idx[k];
                let ch = &changes[i];
                let msg = format!("change {i} ({}) to document '{}' is refused: {why}", ch.hash(), ch.doc);
                return Err(match why {
                    Refusal::ReusedSeq { .. } => StorageError::Conflict(msg),
                    _ => StorageError::Invalid(msg),
                });
            }
            Err((None, why)) => {
                return Err(StorageError::Invalid(format!(
                    "the {} changes of this push to document '{doc}' are refused together: {why}; \
                     push them one at a time to find which",
                    idx.len()
                )))
            }
        }
    }
    Ok(fresh)
}

/// Compacts one document: its previous snapshot (if any) and the changes
/// since, as `save()` bytes. A document that cannot be loaded never blocks the
/// others: it is kept as its raw log instead (the previous snapshot followed
/// by the change chunks, which Automerge loads like a snapshot), so a new
/// device receives exactly what the log would have given it, and the reason
/// is returned for `kept-relay check`.
pub fn compact(base: Option<&[u8]>, raw: Vec<Vec<u8>>) -> (Vec<u8>, Option<String>) {
    let concat = |base: Option<&[u8]>, raw: &[Vec<u8>]| {
        let mut out = base.map(<[u8]>::to_vec).unwrap_or_default();
        for r in raw {
            out.extend_from_slice(r);
        }
        out
    };
    let fallback = concat(base, &raw);
    match DocState::load(base, raw) {
        Ok(state) => match state.save() {
            Ok(saved) => (saved, None),
            Err(why) => (fallback, Some(why)),
        },
        Err(why) => (fallback, Some(why)),
    }
}

/// The error for a stored document that cannot be loaded.
pub fn damaged(doc: &str, why: &str) -> StorageError {
    StorageError::Conflict(format!(
        "document '{doc}' is damaged on the relay ({why}); nothing more can be added to it until the \
         operator runs `kept-relay check --repair`"
    ))
}

struct Entry {
    version: i64,
    state: DocState,
    used: u64,
}

/// Documents under validation, by (team, document) and the document's
/// version (the number of changes stored for it), with a memory bound: the
/// least recently used are dropped first; a document larger than the bound is
/// never kept. A taken entry is out of the cache until put back, so a push
/// that fails never leaves a half-applied document behind.
#[derive(Default)]
pub struct DocCache {
    inner: Mutex<CacheInner>,
}

#[derive(Default)]
struct CacheInner {
    map: HashMap<(String, String), Entry>,
    bytes: usize,
    clock: u64,
}

impl DocCache {
    /// Takes the document out of the cache if it is there at `version`.
    pub fn take(&self, team: &str, doc: &str, version: i64) -> Option<DocState> {
        let (at, state) = self.take_any(team, doc)?;
        (at == version).then_some(state)
    }

    /// Takes the document out of the cache at whatever version it is there.
    pub fn take_any(&self, team: &str, doc: &str) -> Option<(i64, DocState)> {
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let e = g.map.remove(&(team.to_string(), doc.to_string()))?;
        g.bytes -= e.state.estimated_memory().min(g.bytes);
        Some((e.version, e.state))
    }

    /// Puts a document back at `version`, evicting others to stay in bounds.
    pub fn put(&self, team: &str, doc: &str, version: i64, state: DocState) {
        let size = state.estimated_memory();
        if size > DOC_CACHE_BYTES / 4 {
            return;
        }
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        g.clock += 1;
        let used = g.clock;
        while g.bytes + size > DOC_CACHE_BYTES {
            let Some(oldest) = g.map.iter().min_by_key(|(_, e)| e.used).map(|(k, _)| k.clone()) else { break };
            if let Some(e) = g.map.remove(&oldest) {
                g.bytes -= e.state.estimated_memory().min(g.bytes);
            }
        }
        g.bytes += size;
        if let Some(old) = g.map.insert((team.to_string(), doc.to_string()), Entry { version, state, used }) {
            g.bytes -= old.state.estimated_memory().min(g.bytes);
        }
    }

    /// The estimated memory held.
    pub fn bytes(&self) -> usize {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).bytes
    }
}
