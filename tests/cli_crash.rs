//! A loop of `kept log` killed with SIGKILL at random moments: every entry
//! whose command returned is still there, nothing is duplicated, and the
//! store opens cleanly each time.

use kept_tests::{bin_dir, kept_json, kept_ok};
use rand::Rng;
use std::collections::HashSet;
use std::process::{Command, Stdio};
use std::time::Duration;

#[test]
fn kill_9_never_loses_an_acknowledged_log() {
    let dir = tempfile::tempdir().expect("tmp");
    let home = dir.path().join("rep");
    kept_ok(&home, &["init", "--team", "Acme", "--me", "Anna", "--role", "rep"]);
    let mut acknowledged: HashSet<String> = HashSet::new();
    let mut rng = rand::rng();
    let mut kills = 0;
    for round in 0..12 {
        // A few logs that finish…
        for i in 0..3 {
            let a = kept_json(&home, &["log", "call", "--note", &format!("round {round} log {i}")]);
            acknowledged.insert(a["id"].as_str().expect("id").to_string());
        }
        // …and one killed at a random moment of its life.
        let mut child = Command::new(bin_dir().join("kept"))
            .arg("--home")
            .arg(&home)
            .args(["log", "conversation", "--json"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        std::thread::sleep(Duration::from_micros(rng.random_range(0..15_000)));
        if child.kill().is_ok() {
            kills += 1;
        }
        let _ = child.wait();
        // The store opens and holds every acknowledged entry exactly once.
        let all = kept_json(&home, &["activities"]);
        let ids: Vec<String> =
            all.as_array().expect("list").iter().map(|a| a["id"].as_str().expect("id").to_string()).collect();
        let unique: HashSet<&String> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len(), "duplicated entries after a kill");
        for a in &acknowledged {
            assert!(ids.contains(a), "acknowledged log {a} lost after a kill in round {round}");
        }
        let calls = all.as_array().expect("list").iter().filter(|a| a["kind"] == "call").count();
        assert_eq!(calls, acknowledged.len(), "only acknowledged calls, each once");
    }
    assert!(kills > 0, "the test never managed to kill a running log");
    // The views still agree with the documents after all that.
    let mut store = kept_core::store::Store::open(&home).expect("opens cleanly");
    let before = store.view_dump().expect("dump");
    store.rebuild_views().expect("rebuild");
    assert_eq!(store.view_dump().expect("dump"), before);
}

/// Two processes tapping into one home at the same moments (the app and the
/// CLI on one laptop): each commit goes to the WAL in one gathered write
/// (`kept-wal-batch`), and neither process may lose, duplicate or damage the
/// other's entries.
#[test]
fn two_processes_tapping_one_home_lose_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let home = dir.path().join("rep");
    kept_ok(&home, &["init", "--team", "Acme", "--me", "Anna", "--role", "rep"]);
    let logged: Vec<Vec<String>> = std::thread::scope(|s| {
        let runs: Vec<_> = ["call", "conversation"]
            .into_iter()
            .map(|kind| {
                let home = &home;
                s.spawn(move || {
                    (0..20)
                        .map(|i| {
                            let a = kept_json(home, &["log", kind, "--note", &format!("{kind} {i}")]);
                            a["id"].as_str().expect("id").to_string()
                        })
                        .collect::<Vec<String>>()
                })
            })
            .collect();
        runs.into_iter().map(|h| h.join().expect("tapping process")).collect()
    });
    let all = kept_json(&home, &["activities"]);
    let ids: HashSet<String> =
        all.as_array().expect("list").iter().map(|a| a["id"].as_str().expect("id").to_string()).collect();
    assert_eq!(ids.len(), 40, "forty taps, each once");
    for id in logged.iter().flatten() {
        assert!(ids.contains(id), "tap {id} lost");
    }
    let mut store = kept_core::store::Store::open(&home).expect("opens cleanly");
    assert_eq!(store.check().expect("check"), Vec::<String>::new(), "SQLite, the documents and the views agree");
    assert_eq!(store.pending().expect("outbox"), store.outbox(1000).expect("outbox").len() as i64);
}
