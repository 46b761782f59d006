//! A push request body as the relay receives it, through the real router and
//! SQLite storage (Maria's token; a body starting with a space is sent with
//! Ann's, a rep's). Invariants: the status agrees with
//! `kept_relay::validate_push`; a refused push (400/403/409/413) stores
//! nothing; an accepted one acknowledges exactly its changes, in order, stores
//! each once, leaves every touched document applicable by a new client, and
//! is idempotent when repeated.
#![no_main]

use kept_core::protocol::{ErrorBody, PushResponse};
use kept_fuzz::{applies_cleanly, tolerate_automerge_panics, Relay, ANN_TOKEN, MARIA_TOKEN};
use libfuzzer_sys::fuzz_target;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{LazyLock, Mutex};

// Automerge's parser and apply can panic on hostile bytes; the relay catches those
// (kept_protocol::change::from_bytes, the gate): only a panic nobody catches fails the run.
static RELAY: LazyLock<Mutex<Relay>> = LazyLock::new(|| {
    tolerate_automerge_panics();
    Mutex::new(Relay::new())
});

fuzz_target!(|data: &[u8]| {
    let relay = RELAY.lock().unwrap_or_else(|p| p.into_inner());
    let token = if data.first() == Some(&b' ') { ANN_TOKEN } else { MARIA_TOKEN };
    let parsed = kept_relay::validate_push(data);
    let before = relay.print();
    let mut known: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    if let Ok(changes) = &parsed {
        for (_, c) in changes {
            known
                .entry(c.doc.clone())
                .or_insert_with(|| relay.stored_changes(&c.doc).into_iter().map(|(h, _)| h).collect());
        }
    }
    let (status, body) = relay.push(token, data.to_vec());
    let text = String::from_utf8_lossy(&body);
    match status.as_u16() {
        200 => {
            let changes = match parsed {
                Ok(c) => c,
                Err(e) => panic!("the relay accepted a body its validation refuses ({e}): {text}"),
            };
            let resp: PushResponse = serde_json::from_slice(&body).expect("a push response");
            let hashes: Vec<String> = changes.iter().map(|(_, c)| c.hash().to_string()).collect();
            assert_eq!(resp.acked, hashes, "acked must be every change of the request, in order");
            let fresh: BTreeSet<(String, String)> = changes
                .iter()
                .filter(|(_, c)| !known[&c.doc].contains(&c.hash().to_string()))
                .map(|(_, c)| (c.doc.clone(), c.hash().to_string()))
                .collect();
            let after = relay.print();
            let n = fresh.len() as i64;
            assert_eq!(after.0, before.0 + n, "the sequence moves by the number of new changes");
            assert_eq!(after.2, before.2 + n, "each new change is stored exactly once");
            assert_eq!(resp.seq, after.0, "the answer carries the team's sequence");
            for doc in known.keys() {
                let stored = relay.stored_changes(doc);
                let hashes: BTreeSet<&str> = stored.iter().map(|(h, _)| h.as_str()).collect();
                assert_eq!(hashes.len(), stored.len(), "'{doc}' holds a change twice");
                for (_, c) in changes.iter().filter(|(_, c)| &c.doc == doc) {
                    assert!(hashes.contains(c.hash().to_string().as_str()), "acked change {} of '{doc}' is not stored", c.hash());
                }
                let bytes: Vec<Vec<u8>> = stored.into_iter().map(|(_, b)| b).collect();
                if let Err(e) = applies_cleanly(&bytes) {
                    panic!("the relay accepted changes to '{doc}' that no client can apply: {e}");
                }
            }
            // Idempotent: the same push again stores nothing and acknowledges the same.
            let (again, body) = relay.push(token, data.to_vec());
            assert_eq!(again.as_u16(), 200, "{}", String::from_utf8_lossy(&body));
            let resp2: PushResponse = serde_json::from_slice(&body).expect("a push response");
            assert_eq!(resp2.acked, resp.acked);
            assert_eq!(relay.print(), after, "a repeated push changed the store");
        }
        400 | 403 | 409 | 413 => {
            let err: ErrorBody = serde_json::from_slice(&body).expect("the protocol's error body");
            assert!(!err.error.message.is_empty());
            match status.as_u16() {
                // A body that parses can still be refused by the gate (a
                // sequence gap, a missing dependency, a change that does not apply).
                400 => assert!(
                    parsed.is_err() || text.contains("Content-Type") || text.contains("is refused"),
                    "400 for a body the validation accepts: {text}"
                ),
                403 | 409 => assert!(parsed.is_ok(), "{status} for an invalid body: {text}"),
                _ => {}
            }
            assert_eq!(relay.print(), before, "a refused push ({status}: {text}) changed the store");
        }
        _ => panic!("unexpected status {status}: {text}"),
    }
});
