//! What the relay keeps on disk: tokens and invite codes only as hashes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use kept_relay::auth::hash_secret;

fn file_bytes(relay: &Relay) -> Vec<u8> {
    let mut all = std::fs::read(&relay.db).unwrap();
    let wal = relay.db.with_extension("sqlite3-wal");
    if let Ok(w) = std::fs::read(wal) {
        all.extend(w);
    }
    all
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn tokens_and_invites_are_stored_only_as_hashes() {
    let relay = Relay::start();
    let created = relay.create_team("A", "Maria");
    let (st, j) = relay.client(None).post("/v1/join", &serde_json::json!({"invite": created.invite}));
    assert_eq!(st, 200, "{j}");
    let token = j["token"].as_str().unwrap().to_string();

    let conn = rusqlite::Connection::open(&relay.db).unwrap();
    let stored: String = conn.query_row("SELECT token_hash FROM devices", [], |r| r.get(0)).unwrap();
    assert_eq!(stored, hash_secret(&token));
    let code: String = conn.query_row("SELECT code_hash FROM invites", [], |r| r.get(0)).unwrap();
    assert_eq!(code, hash_secret(&created.invite));
    drop(conn);

    let bytes = file_bytes(&relay);
    assert!(contains(&bytes, &hash_secret(&token)));
    assert!(!contains(&bytes, &token), "the clear token is on disk");
    assert!(!contains(&bytes, &created.invite), "the clear invite code is on disk");
}
