//! Nothing acknowledged is lost and nothing is duplicated when `kept sync`
//! is killed (SIGKILL) at random moments, or when the relay is killed in the
//! middle of pushes and pulls; afterwards every device converges.

use kept_tests::{bin_dir, kept_json, kept_ok, Relay};
use rand::Rng;
use std::collections::HashSet;
use std::process::{Command, Stdio};
use std::time::Duration;

fn ids(v: &serde_json::Value) -> Vec<String> {
    v.as_array().expect("list").iter().map(|a| a["id"].as_str().expect("id").to_string()).collect()
}

#[test]
fn killing_clients_and_the_relay_mid_sync_loses_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("relay.sqlite3");
    let mut relay = Relay::start(&db, "127.0.0.1:0");
    let port = relay.port();
    let url = relay.url.clone();
    let (mia, anna) = (dir.path().join("mia"), dir.path().join("anna"));
    let team = relay.admin(&["team", "create", "--name", "Acme", "--manager", "Mia"]);
    kept_ok(&mia, &["join", &url, team["invite"].as_str().expect("invite")]);
    let code =
        kept_json(&mia, &["invite", "--role", "rep", "--name", "Anna"])["code"].as_str().expect("code").to_string();
    kept_ok(&anna, &["join", &url, &code]);
    let mut rng = rand::rng();
    let mut logged: HashSet<String> = HashSet::new();
    let mut kills = 0;
    for round in 0..8 {
        // A burst of offline work, so each sync has something to push.
        for i in 0..15 {
            let a = kept_json(&anna, &["log", "call", "--note", &format!("round {round} entry {i}")]);
            logged.insert(a["id"].as_str().expect("id").to_string());
        }
        // Kill a sync of the rep at a random moment…
        let mut child = Command::new(bin_dir().join("kept"))
            .arg("--home")
            .arg(&anna)
            .arg("sync")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn sync");
        std::thread::sleep(Duration::from_micros(rng.random_range(0..40_000)));
        if child.kill().is_ok() {
            kills += 1;
        }
        let _ = child.wait();
        // …and, every other round, the relay in the middle of the manager's pull.
        if round % 2 == 1 {
            let mut pull = Command::new(bin_dir().join("kept"))
                .arg("--home")
                .arg(&mia)
                .arg("sync")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn sync");
            std::thread::sleep(Duration::from_micros(rng.random_range(0..30_000)));
            relay.kill();
            let _ = pull.wait();
            relay = Relay::start(&db, &format!("127.0.0.1:{port}"));
        }
        // The stores open cleanly and keep every acknowledged log.
        let mine = ids(&kept_json(&anna, &["activities"]));
        assert_eq!(mine.iter().collect::<HashSet<_>>().len(), mine.len(), "duplicates on the rep's device");
        assert!(logged.iter().all(|id| mine.contains(id)), "the rep lost an acknowledged log in round {round}");
    }
    assert!(kills > 0);
    // Everyone syncs: the manager sees exactly what the rep logged, once each.
    kept_ok(&anna, &["sync"]);
    kept_ok(&mia, &["sync"]);
    let seen = ids(&kept_json(&mia, &["activities", "--rep", "Anna"]));
    assert_eq!(seen.len(), logged.len(), "each activity exactly once on the manager's device");
    assert_eq!(seen.into_iter().collect::<HashSet<_>>(), logged);
    assert_eq!(kept_json(&anna, &["status"])["pending"], 0);
    for home in [&anna, &mia] {
        let mut store = kept_core::store::Store::open(home).expect("opens");
        assert!(store.check().expect("check").is_empty(), "store damaged");
    }
}
