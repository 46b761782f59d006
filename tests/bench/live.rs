//! Live delay: from a rep's `log` + `sync` to the watching manager's store and
//! board showing it, beside a loopback HTTP round trip (GET /health).

use crate::relay::RelayProc;
use kept_core::sync::client::RelayClient;
use kept_core::{IdSource, SystemClock};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub fn run(samples: usize) -> (Vec<f64>, Vec<f64>) {
    let dir = tempfile::tempdir().expect("tmp");
    let relay = RelayProc::start(dir.path().join("relay.sqlite3").to_str().expect("utf-8"));
    let team = relay.admin(&["team", "create", "--name", "Live", "--manager", "Mia"]);
    let join =
        |invite: &str, home: &std::path::Path| relay.join(invite, home, Arc::new(SystemClock), IdSource::random());
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
