//! `kept-bench`: the relay's figures beside a reference measured in the same run.
//!
//! - ingest: changes/s pushed by 50 concurrent clients over loopback to a real
//!   `kept-relay` process on SQLite, beside bare SQLite batched inserts of the
//!   same bytes (the ceiling the relay's storage cannot beat);
//! - live delay: from a rep's `log` + `sync` to the watching manager's store
//!   and board showing it, beside a loopback HTTP round trip.
//!
//! `cargo run --release -p kept-tests --bin kept-bench [-- --quick]`

use automerge::transaction::Transactable;
use automerge::{ObjType, ROOT};
use base64::Engine;
use kept_core::docs::DocId;
use kept_core::protocol::{JoinRequest, PushChange, PushRequest};
use kept_core::sync::client::RelayClient;
use kept_core::sync::JoinOptions;
use kept_core::{IdSource, Kept, SystemClock};
use kept_tests::Relay;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

/// `n` changes of one rep's week log, as the app would make them.
fn changes(member: &str, n: usize) -> Vec<PushChange> {
    let id = DocId::log(member, "2026-W48".parse().expect("week"));
    let mut doc = kept_core::docs::genesis(&id).expect("genesis");
    let mut out: Vec<PushChange> =
        doc.get_changes(&[]).iter().map(|c| c.raw_bytes().to_vec()).map(|b| push(&id, b)).collect();
    doc.set_actor(automerge::ActorId::random());
    let coll = match automerge::ReadDoc::get(&doc, ROOT, "activities") {
        Ok(Some((_, o))) => o,
        _ => panic!("no activities map"),
    };
    for i in 0..n {
        let o = doc.put_object(&coll, format!("a{i:06}"), ObjType::Map).expect("put");
        doc.put(&o, "type", "call").expect("put");
        doc.put(&o, "occurred_at", "2026-11-23T10:00:00+00:00").expect("put");
        doc.put(&o, "count", 1i64).expect("put");
        doc.commit();
        let c = doc.get_last_local_change().expect("change");
        out.push(push(&id, c.raw_bytes().to_vec()));
    }
    out
}

fn push(id: &DocId, bytes: Vec<u8>) -> PushChange {
    PushChange {
        doc: id.to_string(),
        kind: id.kind(),
        subject: id.subject().map(str::to_string),
        data: base64::engine::general_purpose::STANDARD.encode(bytes),
    }
}

fn ingest(clients: usize, per_client: usize, batch: usize) -> (f64, f64) {
    let dir = tempfile::tempdir().expect("tmp");
    let relay = Relay::start(&dir.path().join("relay.sqlite3"), "127.0.0.1:0");
    let team = relay.admin(&["team", "create", "--name", "Bench", "--manager", "Boss"]);
    let anon = RelayClient::new(&relay.url, None);
    let boss = anon
        .join(&JoinRequest {
            invite: team["invite"].as_str().expect("invite").into(),
            name: None,
            device_name: "bench".into(),
        })
        .expect("join");
    let boss_client = RelayClient::new(&relay.url, Some(boss.token));
    let mut work = Vec::new();
    for i in 0..clients {
        let inv = boss_client
            .invite(&kept_core::protocol::InviteRequest {
                role: kept_core::model::Role::Rep,
                name: Some(format!("rep{i}")),
                member_id: None,
            })
            .expect("invite");
        let j = anon.join(&JoinRequest { invite: inv.code, name: None, device_name: "bench".into() }).expect("join");
        work.push((RelayClient::new(&relay.url, Some(j.token)), changes(&j.member_id, per_client)));
    }
    let total: usize = work.iter().map(|w| w.1.len()).sum();
    let t0 = Instant::now();
    let handles: Vec<_> = work
        .into_iter()
        .map(|(client, changes)| {
            std::thread::spawn(move || {
                for chunk in changes.chunks(batch) {
                    client.push(&PushRequest { changes: chunk.to_vec() }).expect("push");
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("client thread");
    }
    let relay_rate = total as f64 / t0.elapsed().as_secs_f64();

    // Reference: the same bytes in bare SQLite, same batch size, one transaction per batch.
    let conn = rusqlite_like::open(&dir.path().join("bare.sqlite3"));
    let blob = vec![7u8; 120];
    let t0 = Instant::now();
    let mut n = 0;
    while n < total {
        rusqlite_like::insert_batch(&conn, n, batch.min(total - n), &blob);
        n += batch;
    }
    let bare_rate = total as f64 / t0.elapsed().as_secs_f64();
    drop(relay);
    (relay_rate, bare_rate)
}

/// Bare SQLite (the same bundled SQLite as the relay and the store).
mod rusqlite_like {
    use rusqlite::{params, Connection};
    pub fn open(path: &std::path::Path) -> Connection {
        let c = Connection::open(path).expect("open");
        c.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
             CREATE TABLE changes (team TEXT, seq INTEGER, doc TEXT, hash TEXT PRIMARY KEY, bytes BLOB);",
        )
        .expect("schema");
        c
    }
    pub fn insert_batch(c: &Connection, start: usize, n: usize, blob: &[u8]) {
        c.execute_batch("BEGIN IMMEDIATE").expect("begin");
        {
            let mut st = c.prepare_cached("INSERT INTO changes VALUES ('t', ?1, 'log/x', ?2, ?3)").expect("prepare");
            for i in start..start + n {
                st.execute(params![i as i64, format!("{i:064}"), blob]).expect("insert");
            }
        }
        c.execute_batch("COMMIT").expect("commit");
    }
}

fn live_delay(samples: usize) -> (Vec<f64>, Vec<f64>) {
    let dir = tempfile::tempdir().expect("tmp");
    let relay = Relay::start(&dir.path().join("relay.sqlite3"), "127.0.0.1:0");
    let team = relay.admin(&["team", "create", "--name", "Live", "--manager", "Mia"]);
    let join = |invite: &str, home: &std::path::Path| {
        let opts = JoinOptions {
            url: relay.url.clone(),
            invite: invite.into(),
            name: None,
            device_name: "bench".into(),
            allow_insecure: false,
        };
        Kept::join(home, &opts, Arc::new(SystemClock), IdSource::random()).expect("join").0
    };
    let mut mia = join(team["invite"].as_str().expect("invite"), &dir.path().join("mia"));
    let inv = mia.invite(kept_core::model::Role::Rep, Some("Anna")).expect("invite");
    let mut anna = join(&inv.code, &dir.path().join("anna"));
    mia.sync().expect("sync");
    let mut live = mia.relay().expect("relay").live().expect("live");
    let _hello = live.next_event().expect("hello");
    let mut delays = Vec::new();
    let mut rtt = Vec::new();
    let health = RelayClient::new(&relay.url, None);
    for i in 0..samples {
        let t0 = Instant::now();
        anna.log_activity("call", Default::default(), None).expect("log");
        anna.sync().expect("rep sync");
        // The manager's watcher: wake on the live event, pull, render the board.
        loop {
            let ev = live.next_event().expect("event").expect("open");
            if ev.seq > mia.synced_seq().expect("seq") {
                break;
            }
        }
        mia.sync().expect("manager sync");
        let board = mia.board(None).expect("board");
        let count = board
            .rows
            .iter()
            .find(|r| r.name == "Anna")
            .and_then(|r| r.cells.iter().find(|c| c.kind == "call"))
            .map(|c| c.count);
        assert_eq!(count, Some(i as i64 + 1), "the board shows every call");
        delays.push(t0.elapsed().as_secs_f64() * 1e3);
        let t1 = Instant::now();
        health.health().expect("health");
        rtt.push(t1.elapsed().as_secs_f64() * 1e3);
        std::thread::sleep(Duration::from_millis(20));
    }
    (delays, rtt)
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let (clients, per_client, samples) = if quick { (10, 200, 10) } else { (50, 2000, 100) };
    println!(
        "kept-bench{} — {} cores",
        if quick { " (quick)" } else { "" },
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
    );
    let (relay_rate, bare_rate) = ingest(clients, per_client, 100);
    println!("{:<58} {:>12} {:>12} {:>7}", "figure", "kept", "reference", "ratio");
    println!(
        "{:<58} {:>12.0} {:>12.0} {:>6.2}x",
        format!("relay ingest, changes/s, {clients} clients, SQLite (ref: bare SQLite)"),
        relay_rate,
        bare_rate,
        relay_rate / bare_rate
    );
    let (mut d, mut r) = live_delay(samples);
    let (d50, d99, r50) = (pct(&mut d, 0.5), pct(&mut d, 0.99), pct(&mut r, 0.5));
    println!(
        "{:<58} {:>12.1} {:>12.2} {:>6.0}x",
        "live delay rep log+sync → manager board, p50 ms (ref: RTT)",
        d50,
        r50,
        d50 / r50
    );
    println!("{:<58} {:>12.1}", "live delay p99 ms", d99);
    println!(
        "goals: ingest ≥ 20000/s [{}]; live delay p50 < 300 ms [{}]",
        if relay_rate >= 20000.0 { "met" } else { "MISSED" },
        if d50 < 300.0 { "met" } else { "MISSED" }
    );
}
