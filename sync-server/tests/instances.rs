//! Several relay instances on one PostgreSQL database: any instance serves any
//! client, seqs stay gap-free in the order clients observe them, and live
//! notifications cross instances (LISTEN/NOTIFY).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::result_large_err)]

mod common;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use common::*;
use serde_json::json;
use std::collections::HashSet;
use std::net::TcpStream;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};
use tungstenite::client::IntoClientRequest;
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

const CLIENTS: usize = 20;
const PUSH_FOR: Duration = Duration::from_secs(4);

type Ws = WebSocket<MaybeTlsStream<TcpStream>>;

fn connect(relay: &Relay, token: &str) -> Ws {
    let mut req = format!("ws://{}/v1/live", relay.addr).into_client_request().unwrap();
    req.headers_mut().insert("Authorization", format!("Bearer {token}").parse().unwrap());
    let (ws, _) = tungstenite::connect(req).unwrap();
    if let MaybeTlsStream::Plain(s) = ws.get_ref() {
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    }
    ws
}

fn next_seq(ws: &mut Ws) -> i64 {
    loop {
        match ws.read().unwrap() {
            Message::Text(t) => return serde_json::from_str::<serde_json::Value>(&t).unwrap()["seq"].as_i64().unwrap(),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("unexpected {other:?}"),
        }
    }
}

/// Reads events until one reaches `want` (events coalesce, so intermediate seqs may be skipped).
fn wait_for_seq(ws: &mut Ws, want: i64) -> Duration {
    let started = Instant::now();
    loop {
        let seq = next_seq(ws);
        if seq >= want {
            return started.elapsed();
        }
    }
}

fn hash_of(raw: &[u8]) -> String {
    automerge::Change::from_bytes(raw.to_vec()).unwrap().hash().to_string()
}

/// One client's pulls: appends each change's hash, checking seqs only ever increase.
struct Puller {
    client: Client,
    cursor: i64,
    hashes: Vec<String>,
}

impl Puller {
    fn pull(&mut self) {
        loop {
            let (st, v) = self.client.get(&format!("/v1/pull?cursor={}&limit=50", self.cursor));
            assert_eq!(st, 200, "{v}");
            let page: kept_core::protocol::PullResponse = serde_json::from_value(v).unwrap();
            for c in &page.changes {
                assert!(c.seq > self.cursor, "seq {} after cursor {}", c.seq, self.cursor);
                self.cursor = c.seq;
                self.hashes.push(hash_of(&B64.decode(&c.data).unwrap()));
            }
            assert!(page.next >= self.cursor);
            self.cursor = page.next;
            if !page.more {
                return;
            }
        }
    }
}

#[test]
fn twenty_clients_on_two_instances_each_get_every_readable_change_exactly_once() {
    let db = TestDb::create();
    let relays = [Relay::start_on(&db), Relay::start_on(&db)];
    let team = relays[0].team("A");
    // Manager, Ann and Bob joined through instance 0; the other reps join through instance 1.
    let mut members =
        vec![(team.manager.join.clone(), true), (team.ann.join.clone(), false), (team.bob.join.clone(), false)];
    for i in members.len()..CLIENTS {
        let rep = relays[1].join_rep(&team.manager, &format!("Rep {i}"));
        members.push((rep.join, false));
    }
    let rep_ids: Vec<String> = members.iter().filter(|m| !m.1).map(|m| m.0.member_id.clone()).collect();
    let start = Arc::new(Barrier::new(CLIENTS));
    let pushed_all = Arc::new(Barrier::new(CLIENTS));
    let threads: Vec<_> = members
        .into_iter()
        .enumerate()
        .map(|(i, (join, is_manager))| {
            let base = relays[i % 2].base.clone();
            let (start, pushed_all, rep_ids) = (start.clone(), pushed_all.clone(), rep_ids.clone());
            std::thread::spawn(move || {
                let client = Client::new(&base, Some(&join.token));
                let mut puller =
                    Puller { client: Client::new(&base, Some(&join.token)), cursor: 0, hashes: Vec::new() };
                let me = join.member_id.clone();
                let mut pushed: Vec<(String, String)> = Vec::new(); // (hash, reader)
                start.wait();
                let deadline = Instant::now() + PUSH_FOR;
                let mut round = 0usize;
                while Instant::now() < deadline {
                    let batch: Vec<(String, String)> = (0..1 + round % 3)
                        .map(|k| {
                            if is_manager {
                                if k % 2 == 0 {
                                    ("team".to_string(), String::new())
                                } else {
                                    let rep = &rep_ids[(round + k) % rep_ids.len()];
                                    (plan(rep), rep.clone())
                                }
                            } else if k % 2 == 0 {
                                (log(&me), me.clone())
                            } else {
                                (plan(&me), me.clone())
                            }
                        })
                        .collect();
                    let mut entries = Vec::new();
                    for (doc, reader) in batch {
                        let raw = change_bytes();
                        pushed.push((hash_of(&raw), reader));
                        entries.push(entry(&doc, &B64.encode(raw)));
                    }
                    let (st, v) = client.post("/v1/push", &json!({ "changes": entries }));
                    assert_eq!(st, 200, "{v}");
                    puller.pull();
                    round += 1;
                }
                pushed_all.wait();
                puller.pull();
                (me, is_manager, pushed, puller)
            })
        })
        .collect();
    let results: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();

    let all: Vec<(String, String)> = results.iter().flat_map(|r| r.2.iter().cloned()).collect();
    let total = all.len();
    assert_eq!(all.iter().map(|p| &p.0).collect::<HashSet<_>>().len(), total, "a generated change repeated");
    for (me, is_manager, _, puller) in &results {
        let expected: HashSet<&str> =
            all.iter().filter(|(_, r)| *is_manager || r.is_empty() || r == me).map(|(h, _)| h.as_str()).collect();
        let got: HashSet<&str> = puller.hashes.iter().map(String::as_str).collect();
        assert_eq!(got.len(), puller.hashes.len(), "{me} pulled a change twice");
        let missing = expected.difference(&got).count();
        let extra = got.difference(&expected).count();
        assert!(missing == 0 && extra == 0, "{me}: {missing} readable changes never pulled, {extra} unreadable pulled");
        assert_eq!(puller.cursor, total as i64, "{me}'s cursor ends at the head");
    }
    // The manager's view: one gap-free sequence 1..=total.
    let manager = Member {
        client: Client::new(&relays[1].base, Some(&team.manager.join.token)),
        join: team.manager.join.clone(),
    };
    let (changes, next) = manager.pull_all(0);
    assert_eq!(next, total as i64);
    assert_eq!(changes.iter().map(|c| c.seq).collect::<Vec<_>>(), (1..=total as i64).collect::<Vec<_>>());
    eprintln!(
        "{CLIENTS} clients on 2 instances pushed {total} changes in {PUSH_FOR:?} ({:.0}/s, pulls interleaved)",
        total as f64 / PUSH_FOR.as_secs_f64()
    );
}

#[test]
fn a_manager_watching_instance_a_sees_a_reps_push_to_instance_b() {
    let db = TestDb::create();
    let (a, b) = (Relay::start_on(&db), Relay::start_on(&db));
    let team = a.team("A");
    let mut ws = connect(&a, &team.manager.join.token);
    assert_eq!(next_seq(&mut ws), 0);
    let ann_on_b = Client::new(&b.base, Some(&team.ann.join.token));
    for want in 1..=5 {
        let started = Instant::now();
        let (st, v) = ann_on_b.post("/v1/push", &json!({"changes": [entry(&log(team.ann.id()), &change_b64())]}));
        assert_eq!(st, 200, "{v}");
        wait_for_seq(&mut ws, want);
        let took = started.elapsed();
        assert!(took < Duration::from_secs(2), "took {took:?}");
        eprintln!("push sent to B -> event on A's socket: {took:?}");
    }
    // The manager pulls Ann's changes through A.
    assert_eq!(team.manager.pull_all(0).0.len(), 5);
}

#[test]
fn the_listener_reconnects_and_catches_up_after_losing_its_connection() {
    let db = TestDb::create();
    let (a, b) = (Relay::start_on(&db), Relay::start_on(&db));
    let team = a.team("A");
    let mut ws = connect(&a, &team.manager.join.token);
    assert_eq!(next_seq(&mut ws), 0);
    // Cut every relay's listening connection (as a database restart or network blip would).
    let sql = format!(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '{}' AND application_name = '{}'",
        db.name,
        kept_relay::storage::postgres::LISTENER_NAME
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    // Both listeners connect in the background: wait until both are there.
    while pg_admin_i64(&sql.replace("count(pg_terminate_backend(pid))", "count(*)")) < 2 {
        assert!(Instant::now() < deadline, "the relays' listeners never connected");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(pg_admin_i64(&sql), 2, "both listeners cut");
    let ann_on_b = Client::new(&b.base, Some(&team.ann.join.token));
    let (st, v) = ann_on_b.post("/v1/push", &json!({"changes": [entry(&log(team.ann.id()), &change_b64())]}));
    assert_eq!(st, 200, "{v}");
    // Whether the NOTIFY was lost or not, A learns the head once its listener is back.
    let took = wait_for_seq(&mut ws, 1);
    assert!(took < Duration::from_secs(3), "took {took:?}");
    let (st, v) = ann_on_b.post("/v1/push", &json!({"changes": [entry(&log(team.ann.id()), &change_b64())]}));
    assert_eq!(st, 200, "{v}");
    wait_for_seq(&mut ws, 2);
}

/// Runs `NOTIFY kept_seq` with each payload in the test database (as another relay would).
fn notify(db: &TestDb, payloads: &[&str]) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let (client, conn) = tokio_postgres::connect(&db.url, tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(conn);
        for p in payloads {
            client
                .execute("SELECT pg_notify($1, $2)", &[&kept_relay::storage::postgres::NOTIFY_CHANNEL, p])
                .await
                .unwrap();
        }
    });
}

/// True when no event arrives within `window`.
fn silent_for(ws: &mut Ws, window: Duration) -> bool {
    let MaybeTlsStream::Plain(s) = ws.get_ref() else { panic!("plain sockets only") };
    s.set_read_timeout(Some(window)).unwrap();
    let quiet = match ws.read() {
        Ok(Message::Text(t)) => {
            eprintln!("woken: {t}");
            false
        }
        Ok(other) => panic!("unexpected {other:?}"),
        Err(tungstenite::Error::Io(e))
            if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) =>
        {
            true
        }
        Err(e) => panic!("socket failed: {e}"),
    };
    let MaybeTlsStream::Plain(s) = ws.get_ref() else { unreachable!() };
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    quiet
}

#[test]
fn a_push_through_another_instance_wakes_only_the_sockets_that_may_read_it() {
    let db = TestDb::create();
    let (a, b) = (Relay::start_on(&db), Relay::start_on(&db));
    let team = a.team("A");
    let ann_laptop = a.join_own_device(&team.ann);
    let mut boss = connect(&a, &team.manager.join.token);
    let mut ann_other = connect(&a, &ann_laptop.join.token);
    let mut bob = connect(&a, &team.bob.join.token);
    for ws in [&mut boss, &mut ann_other, &mut bob] {
        assert_eq!(next_seq(ws), 0);
    }
    let quiet = Duration::from_millis(500);
    // Ann pushes her log through B: on A, the manager and Ann's laptop hear it, Bob does not.
    let ann_on_b = Client::new(&b.base, Some(&team.ann.join.token));
    let (st, v) = ann_on_b.post("/v1/push", &json!({"changes": [entry(&log(team.ann.id()), &change_b64())]}));
    assert_eq!(st, 200, "{v}");
    assert_eq!(next_seq(&mut boss), 1);
    assert_eq!(next_seq(&mut ann_other), 1);
    assert!(silent_for(&mut bob, quiet), "Bob was woken by Ann's log through another instance");
    // The team document, pushed through B, wakes Bob on A.
    let boss_on_b = Client::new(&b.base, Some(&team.manager.join.token));
    let (st, v) = boss_on_b.post("/v1/push", &json!({"changes": [entry("team", &change_b64())]}));
    assert_eq!(st, 200, "{v}");
    for ws in [&mut boss, &mut ann_other, &mut bob] {
        assert_eq!(next_seq(ws), 2);
    }
    // Hostile payloads are ignored; a relay of the previous version (`team:seq`) wakes everyone.
    let t = team.team_id.as_str();
    let ann = team.ann.id();
    notify(
        &db,
        &["garbage", &format!("{t}:x:*"), &format!("{t}:3:not-a-member"), &format!("{t}:99999999999999999999:*")],
    );
    assert!(silent_for(&mut bob, quiet) && silent_for(&mut boss, Duration::from_millis(50)));
    notify(&db, &[&format!("{t}:3:{ann}")]);
    assert_eq!(next_seq(&mut ann_other), 3);
    assert_eq!(next_seq(&mut boss), 3);
    assert!(silent_for(&mut bob, quiet), "a payload naming Ann woke Bob");
    notify(&db, &[&format!("{t}:4")]);
    for ws in [&mut boss, &mut ann_other, &mut bob] {
        assert_eq!(next_seq(ws), 4);
    }
    // Revocations still cross instances.
    let (st, _) = boss_on_b.delete(&format!("/v1/devices/{}", team.bob.join.device_id));
    assert_eq!(st, 204);
    loop {
        match bob.read() {
            Ok(Message::Close(_)) | Err(tungstenite::Error::ConnectionClosed) => break,
            Ok(_) => continue,
            Err(e) => panic!("Bob's socket not closed: {e}"),
        }
    }
}
