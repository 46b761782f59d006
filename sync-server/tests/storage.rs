//! What the relay keeps: tokens and invite codes only as hashes, on both backends.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use common::*;
use kept_relay::auth::{hash_secret, invite_key};

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

/// (stored token hash, stored invite code hash, every stored row as text).
fn stored(relay: &Relay) -> (String, String, Vec<u8>) {
    match relay.backend {
        Backend::Sqlite => {
            let conn = rusqlite::Connection::open(&relay.db).unwrap();
            let token: String = conn.query_row("SELECT token_hash FROM devices", [], |r| r.get(0)).unwrap();
            let code: String = conn.query_row("SELECT code_hash FROM invites", [], |r| r.get(0)).unwrap();
            drop(conn);
            (token, code, file_bytes(relay))
        }
        Backend::Postgres => {
            let url = relay.pg.as_ref().unwrap().url.clone();
            tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async move {
                let (c, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
                tokio::spawn(conn);
                let token: String = c.query_one("SELECT token_hash FROM devices", &[]).await.unwrap().get(0);
                let code: String = c.query_one("SELECT code_hash FROM invites", &[]).await.unwrap().get(0);
                let mut all = Vec::new();
                for table in ["teams", "team_seq", "members", "devices", "invites", "docs", "changes", "snapshots"] {
                    for row in c.query(&format!("SELECT t::text FROM {table} t"), &[]).await.unwrap() {
                        all.extend(row.get::<_, String>(0).into_bytes());
                    }
                }
                (token, code, all)
            })
        }
    }
}

fn tokens_and_invites_are_stored_only_as_hashes(backend: Backend) {
    let relay = Relay::start(backend);
    let created = relay.create_team("A", "Maria");
    let (st, j) = relay.client(None).post("/v1/join", &serde_json::json!({"invite": created.invite}));
    assert_eq!(st, 200, "{j}");
    let token = j["token"].as_str().unwrap().to_string();

    let (token_hash, code_hash, bytes) = stored(&relay);
    assert_eq!(token_hash, hash_secret(&token));
    // Stored under its canonical form (no dashes): typed with or without them, the same invite.
    assert_eq!(code_hash, hash_secret(&invite_key(&created.invite)));
    assert!(contains(&bytes, &hash_secret(&token)));
    assert!(!contains(&bytes, &token), "the clear token is stored");
    assert!(!contains(&bytes, &created.invite), "the clear invite code is stored");
    assert!(!contains(&bytes, &invite_key(&created.invite)), "the clear invite code is stored");
}

on_both_backends!(tokens_and_invites_are_stored_only_as_hashes);
