//! `GET /v1/snapshots`: a team's compacted documents a page at a time, the
//! older log weeks apart, each reader its own, and a hostile query refused
//! with a clear error, against a real relay on both backends.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use common::*;
use kept_core::protocol::SnapshotPage;
use serde_json::json;

fn log_of(member: &str, week: u32) -> String {
    format!("log/{member}/2026-W{week:02}")
}

/// Every page of `query`, following `next` while `more`: (docs, pages, the first page).
fn all_pages(m: &Member, query: &str) -> (Vec<String>, usize, SnapshotPage) {
    let mut docs = Vec::new();
    let mut after = String::new();
    let mut pages = 0;
    let mut first = None;
    loop {
        let (st, v) = m.client.get(&format!("/v1/snapshots?{query}&after={after}"));
        assert_eq!(st, 200, "{v}");
        let page: SnapshotPage = serde_json::from_value(v).unwrap();
        pages += 1;
        docs.extend(page.snapshots.iter().map(|s| s.doc.clone()));
        after = page.next.clone();
        let more = page.more;
        first.get_or_insert(page);
        if !more {
            return (docs, pages, first.unwrap());
        }
        assert!(pages < 100, "the pages never end");
    }
}

fn snapshots_come_in_pages_with_older_log_weeks_apart(backend: Backend) {
    let relay = Relay::start(backend);
    let team = relay.team("A");
    let (ann, bob) = (team.ann.id().to_string(), team.bob.id().to_string());
    let mut ann_docs: Vec<String> = (40..=48).map(|w| log_of(&ann, w)).collect();
    ann_docs.push(plan(&ann));
    for doc in &ann_docs {
        let (st, v) = team.ann.client.post("/v1/push", &json!({"changes": [entry(doc, &change_b64())]}));
        assert_eq!(st, 200, "{v}");
    }
    let (st, v) = team.manager.client.post("/v1/push", &json!({"changes": [entry("team", &change_b64())]}));
    assert_eq!(st, 200, "{v}");
    for doc in [log_of(&bob, 41), log_of(&bob, 47)] {
        let (st, v) = team.bob.client.post("/v1/push", &json!({"changes": [entry(&doc, &change_b64())]}));
        assert_eq!(st, 200, "{v}");
    }
    // Nothing compacted yet: no snapshots, upto 0 (the pull brings changes).
    let (none, _, first) = all_pages(&team.manager, "limit=3");
    assert!(none.is_empty());
    assert_eq!(first.upto, 0);
    let upto = relay.compact(&team.team_id);
    assert_eq!(upto, 13);

    // The manager pages through every snapshot, in id order, each once:
    // the same documents the pull at cursor 0 carries.
    let (docs, pages, first) = all_pages(&team.manager, "limit=3");
    assert_eq!(pages, 4, "the team document, then 12 snapshots 3 a page");
    assert_eq!(first.upto, upto);
    assert!(first.snapshots.iter().all(|s| s.upto == upto));
    assert_eq!(docs[0], "team", "the team document comes first (readers file activities by its time zone)");
    assert_eq!(first.snapshots.len(), 4, "besides the team document, a page of 3");
    let mut sorted = docs[1..].to_vec();
    sorted.sort();
    sorted.dedup();
    assert_eq!(docs[1..], sorted[..], "the others in document id order, none twice");
    assert!(!sorted.contains(&"team".to_string()), "the team document once");
    let mut pulled: Vec<String> = team.manager.pull(0, 1000).snapshots.into_iter().map(|s| s.doc).collect();
    pulled.sort();
    let mut paged = docs.clone();
    paged.sort();
    assert_eq!(paged, pulled);

    // The older weeks apart: before W45, and everything else.
    let (older, _, _) = all_pages(&team.manager, "limit=2&logs_before=2026-W45");
    let mut want_older: Vec<String> = (40..45).map(|w| log_of(&ann, w)).chain([log_of(&bob, 41)]).collect();
    want_older.sort();
    assert_eq!(older, want_older);
    let (recent, _, first) = all_pages(&team.manager, "limit=2&logs_from=2026-W45");
    assert_eq!(first.later, Some(want_older.len() as i64), "the first page says how many wait");
    assert_eq!(older.len() + recent.len(), docs.len());
    assert!(recent.iter().all(|d| !older.contains(d)));
    assert!(recent.contains(&"team".to_string()) && recent.contains(&plan(&ann)));

    // A rep reads the team document and their own, in pages too.
    let (anns, _, _) = all_pages(&team.ann, "limit=4");
    assert!(anns.iter().all(|d| d == "team" || d.contains(&ann)), "{anns:?}");
    assert_eq!(anns.len(), ann_docs.len() + 1);
    let (bobs, _, first) = all_pages(&team.bob, "logs_from=2026-W45");
    assert_eq!(bobs, ["team".to_string(), log_of(&bob, 47)], "the team document first");
    assert_eq!(first.later, Some(1), "only what Bob may read is counted");
}

fn a_hostile_snapshots_query_is_refused_and_says_why(backend: Backend) {
    let relay = Relay::start(backend);
    let team = relay.team("A");
    let (st, v) = team.ann.client.post("/v1/push", &json!({"changes": [entry(&log(team.ann.id()), &change_b64())]}));
    assert_eq!(st, 200, "{v}");
    let (st, v) = team.manager.client.post("/v1/push", &json!({"changes": [entry("team", &change_b64())]}));
    assert_eq!(st, 200, "{v}");
    relay.compact(&team.team_id);
    let m = &team.manager.client;
    for (query, says) in [
        ("logs_before=2026-48", "logs_before '2026-48' is not a week"),
        ("logs_from=W48", "logs_from 'W48' is not a week"),
        ("logs_before=2026-W40&logs_from=2026-W41", "not both"),
        ("after=../../etc", "after:"),
        ("after=log%2Fnot-a-uuid%2F2026-W48", "after:"),
        ("limit=0", "limit must be 1 to"),
        ("limit=-3", "bad snapshots query"),
        ("limit=abc", "bad snapshots query"),
    ] {
        let (st, v) = m.get(&format!("/v1/snapshots?{query}"));
        let msg = error_message(st, &v, 400, "bad_request");
        assert!(msg.contains(says), "{query}: {msg}");
    }
    let (st, v) = relay.client(None).get("/v1/snapshots");
    assert_eq!(st, 401, "{v}");
    // A page of one: the team document comes besides it, and the pages still move on.
    let (docs, pages, _) = all_pages(&team.manager, "limit=1");
    assert_eq!((docs.len(), pages), (2, 1), "{docs:?}");
    // A huge limit is read as the most; the relay still answers.
    let (st, v) = m.get("/v1/snapshots?limit=4000000000");
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["snapshots"].as_array().unwrap().len(), 2);
}

on_both_backends!(
    snapshots_come_in_pages_with_older_log_weeks_apart,
    a_hostile_snapshots_query_is_refused_and_says_why,
);
