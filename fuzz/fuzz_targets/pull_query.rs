//! The query string of `GET /v1/pull` as the relay parses it (cursor, limit, seen),
//! through the real router, once with Maria's (manager) token and once with
//! Ann's (rep); and the same bytes as the query of `GET /v1/snapshots`
//! (after, limit, logs_before, logs_from): a 400 with the error body exactly
//! when it does not parse, else a page of snapshots the caller may read,
//! each loading, the team document first on the first page and the others in
//! strictly increasing id order after `after`, at most the limit, among the
//! weeks asked for. Invariants: a query that does not parse, a negative cursor or
//! a zero limit is a 400 with the error body; otherwise a 200 whose changes
//! are after the cursor, in strictly increasing sequence, at most the limit,
//! each a readable document for the caller and a parseable Automerge change;
//! snapshots only at cursor 0; `next` never moves backwards or past the head.
#![no_main]

use axum::extract::Query;
use axum::http::Uri;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use kept_core::docs::DocId;
use kept_core::model::Role;
use kept_core::protocol::{ErrorBody, PullResponse, Snapshot, SnapshotPage, MAX_PULL_LIMIT};
use kept_fuzz::{Relay, ANN, ANN_TOKEN, MARIA, MARIA_TOKEN};
use kept_relay::api::sync::DEFAULT_PULL_LIMIT;
use kept_relay::{PullQuery, SnapshotsQuery};
use libfuzzer_sys::fuzz_target;
use std::sync::{LazyLock, Mutex};

static RELAY: LazyLock<Mutex<Relay>> = LazyLock::new(|| Mutex::new(Relay::new()));

fuzz_target!(|data: &[u8]| {
    let Ok(query) = std::str::from_utf8(data) else { return };
    let relay = RELAY.lock().unwrap_or_else(|p| p.into_inner());
    let before = relay.print();
    let (head, compacted) = (before.0, before.1);
    for (token, member, role) in [(MARIA_TOKEN, MARIA, Role::Manager), (ANN_TOKEN, ANN, Role::Rep)] {
        let Some((status, body)) = relay.pull(token, query) else { return };
        let text = String::from_utf8_lossy(&body);
        // What the relay should make of the query, parsed independently.
        let expected = format!("/v1/pull?{query}")
            .parse::<Uri>()
            .ok()
            .and_then(|uri| Query::<PullQuery>::try_from_uri(&uri).ok())
            .map(|Query(q)| q)
            .filter(|q| q.cursor >= 0 && q.limit != Some(0))
            .filter(|q| q.seen.as_deref().filter(|s| !s.is_empty()).is_none_or(seen_parses));
        let Some(q) = expected else {
            refused(status, &body, query);
            continue;
        };
        assert_eq!(status.as_u16(), 200, "{query:?} → {status} {text}");
        let page: PullResponse = serde_json::from_slice(&body).expect("a pull response");
        if page.reset {
            // Only for a `seen` the relay does not hold: nothing else in the answer.
            assert!(q.seen.is_some() && page.changes.is_empty() && page.snapshots.is_empty() && !page.more);
            continue;
        }
        let limit = q.limit.unwrap_or(DEFAULT_PULL_LIMIT).min(MAX_PULL_LIMIT) as usize;
        assert!(page.changes.len() <= limit, "{} changes for limit {limit}", page.changes.len());
        let from = if q.cursor == 0 && compacted > 0 { compacted } else { q.cursor };
        assert!(page.snapshots.is_empty() || q.cursor == 0, "snapshots after cursor {}", q.cursor);
        for s in &page.snapshots {
            readable_snapshot(s, member, role, compacted);
        }
        let mut last = from;
        for c in &page.changes {
            assert!(c.seq > last, "seq {} after {last}: not strictly increasing past the cursor", c.seq);
            assert!(c.seq <= head);
            last = c.seq;
            let id: DocId = c.doc.parse().expect("a document id");
            assert!(kept_core::service::may_read(member, role, &id), "{role:?} pulled {id}");
            let bytes = B64.decode(&c.data).expect("base64");
            automerge::Change::from_bytes(bytes).expect("an Automerge change");
        }
        assert!(page.next >= q.cursor, "next {} went back from cursor {}", page.next, q.cursor);
        if page.more {
            assert_eq!(page.changes.len(), limit, "more pages although this one is not full");
            assert_eq!(Some(page.next), page.changes.last().map(|c| c.seq));
        } else {
            assert_eq!(page.next, head.max(from), "a last page ends at the head");
        }
        if q.cursor <= head {
            assert!(page.next <= head, "next {} beyond the head {head}", page.next);
        }
    }
    for (token, member, role) in [(MARIA_TOKEN, MARIA, Role::Manager), (ANN_TOKEN, ANN, Role::Rep)] {
        let Some((status, body)) = relay.snapshots(token, query) else { return };
        let text = String::from_utf8_lossy(&body);
        let asked = format!("/v1/snapshots?{query}")
            .parse::<Uri>()
            .ok()
            .and_then(|uri| Query::<SnapshotsQuery>::try_from_uri(&uri).ok())
            .and_then(|Query(q)| q.ask().ok());
        let Some(ask) = asked else {
            refused(status, &body, query);
            continue;
        };
        assert_eq!(status.as_u16(), 200, "{query:?} → {status} {text}");
        let page: SnapshotPage = serde_json::from_slice(&body).expect("a snapshot page");
        assert_eq!(page.upto, compacted);
        assert!(page.snapshots.len() <= ask.limit as usize + 1);
        let mut last = ask.after.clone();
        // The team document first on the first page, then the others in id order.
        let team_first = ask.after.is_empty() && page.snapshots.first().is_some_and(|s| s.doc == "team");
        let others = match page.snapshots.split_first() {
            Some((team, others)) if team_first => {
                readable_snapshot(team, member, role, compacted);
                others
            }
            _ => &page.snapshots[..],
        };
        for s in others {
            assert_ne!(s.doc, "team", "the team document only first, on the first page");
            assert!(s.doc > last, "{} after {last}: not in increasing id order", s.doc);
            last = s.doc.clone();
            let id = readable_snapshot(s, member, role, compacted);
            assert!(ask.logs.holds(&id), "{id} is not among {:?}", ask.logs);
        }
        if !others.is_empty() {
            assert_eq!(page.next, last);
        } else {
            assert!(!page.more, "a page with nothing past `after` says no more");
        }
    }
    assert_eq!(relay.print(), before, "a pull changed the store");
});

/// A refused query: 400 with the protocol's error body, kind `bad_request`.
fn refused(status: axum::http::StatusCode, body: &[u8], query: &str) {
    let text = String::from_utf8_lossy(body);
    assert_eq!(status.as_u16(), 400, "a bad query must be a 400: {query:?} → {status} {text}");
    let err: ErrorBody = serde_json::from_slice(body).expect("the protocol's error body");
    assert_eq!(err.error.kind, "bad_request");
}

/// A snapshot the caller may read, of the last compaction, that loads; its id.
fn readable_snapshot(s: &Snapshot, member: &str, role: Role, compacted: i64) -> DocId {
    assert_eq!(s.upto, compacted);
    let id: DocId = s.doc.parse().expect("a document id");
    assert!(kept_core::service::may_read(member, role, &id), "{role:?} got a snapshot of {id}");
    let bytes = B64.decode(&s.data).expect("base64");
    automerge::AutoCommit::load(&bytes).expect("a snapshot loads");
    id
}

/// `SEQ:HASH` with a number and hex digits (what the relay accepts as `seen`).
fn seen_parses(s: &str) -> bool {
    s.split_once(':').is_some_and(|(seq, hash)| {
        seq.parse::<i64>().is_ok() && hash.len() % 2 == 0 && hash.bytes().all(|b| b.is_ascii_hexdigit())
    })
}
