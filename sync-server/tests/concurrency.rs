//! Many concurrent pushes: sequence numbers stay gap-free and in order, and every change is pulled exactly once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use common::*;
use serde_json::json;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

const WRITERS: usize = 16;
const BATCHES: usize = 15;
const PER_BATCH: usize = 4;

fn concurrent_pushes_are_gap_free_and_every_change_is_pulled_once(backend: Backend) {
    let relay = Relay::start(backend);
    let team = relay.team("A");
    let docs = ["team".to_string(), plan(team.ann.id()), log(team.bob.id()), plan(team.manager.id())];
    let token = team.manager.join.token.clone();
    let done = Arc::new(AtomicBool::new(false));

    // A reader pulling while the writers push must only ever see gap-free, increasing seqs.
    let reader = {
        let (base, token, done) = (relay.base.clone(), token.clone(), done.clone());
        std::thread::spawn(move || {
            let c = Client::new(&base, Some(&token));
            let (mut cursor, mut seen) = (0i64, Vec::new());
            loop {
                let finished = done.load(Ordering::SeqCst);
                let (st, v) = c.get(&format!("/v1/pull?cursor={cursor}&limit=7"));
                assert_eq!(st, 200, "{v}");
                for ch in v["changes"].as_array().unwrap() {
                    let seq = ch["seq"].as_i64().unwrap();
                    assert_eq!(seq, cursor + 1, "a gap or reordering after {cursor}");
                    cursor = seq;
                    seen.push(seq);
                }
                cursor = cursor.max(v["next"].as_i64().unwrap());
                if finished && !v["more"].as_bool().unwrap() {
                    return seen;
                }
            }
        })
    };

    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (base, token, docs) = (relay.base.clone(), token.clone(), docs.clone());
            std::thread::spawn(move || {
                let c = Client::new(&base, Some(&token));
                let mut acked = Vec::new();
                for b in 0..BATCHES {
                    let changes: Vec<_> =
                        (0..PER_BATCH).map(|i| entry(&docs[(w + b + i) % docs.len()], &change_b64())).collect();
                    let (st, v) = c.post("/v1/push", &json!({ "changes": changes }));
                    assert_eq!(st, 200, "{v}");
                    acked.extend(v["acked"].as_array().unwrap().iter().map(|h| h.as_str().unwrap().to_string()));
                }
                acked
            })
        })
        .collect();
    let mut hashes = HashSet::new();
    for w in writers {
        for h in w.join().unwrap() {
            assert!(hashes.insert(h), "a hash acked twice");
        }
    }
    done.store(true, Ordering::SeqCst);
    let total = (WRITERS * BATCHES * PER_BATCH) as i64;
    let seen = reader.join().unwrap();
    assert_eq!(seen, (1..=total).collect::<Vec<_>>());

    let (all, next) = team.manager.pull_all(0);
    assert_eq!(next, total);
    assert_eq!(all.iter().map(|c| c.seq).collect::<Vec<_>>(), (1..=total).collect::<Vec<_>>());
    let pulled: HashSet<String> = all
        .iter()
        .map(|c| {
            let raw = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &c.data).unwrap();
            automerge::Change::from_bytes(raw).unwrap().hash().to_string()
        })
        .collect();
    assert_eq!(pulled, hashes);
}

on_both_backends!(concurrent_pushes_are_gap_free_and_every_change_is_pulled_once,);
