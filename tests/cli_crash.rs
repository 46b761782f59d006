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
