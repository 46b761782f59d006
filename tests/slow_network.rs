//! Slow and broken networks between real `kept` clients and a real relay
//! process, through a fault-injecting TCP proxy (`proxy.rs`): latency, stalled
//! answers, answers lost after the relay acted, requests cut off mid-body, the
//! relay killed mid-request, refused and black-holed connections, and a rep
//! offline for a week with 300 logs. Every failed `kept sync` must fail with a
//! clear error, `kept status` must count what is pending, `kept sync --watch`
//! must retry with backoff, and in the end every change is on the relay
//! exactly once and the manager sees exactly the activities the rep logged.

#[path = "proxy.rs"]
mod proxy;

use kept_core::store::Store;
use kept_core::{IdSource, Kept, SystemClock};
use kept_tests::{bin_dir, kept, kept_json, kept_ok, Relay};
use proxy::{Mode, Proxy};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn relay_addr(relay: &Relay) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], relay.port()))
}

/// Logs `n` calls with the CLI; returns their ids.
fn log_calls(home: &Path, n: usize, note: &str) -> Vec<String> {
    (0..n)
        .map(|i| {
            let a = kept_json(home, &["log", "call", "--note", &format!("{note} {i}")]);
            a["id"].as_str().expect("id").to_string()
        })
        .collect()
}

/// A sync that must fail: with a clear message about the relay, never a panic.
fn sync_fails_clearly(home: &Path, why: &str) -> String {
    let out = kept(home, &["sync"]);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success(), "sync succeeded although {why}");
    assert!(!err.contains("panicked"), "{why}: {err}");
    assert!(
        err.contains("relay") && (err.contains("unreachable") || err.contains("closed") || err.contains("timed out")),
        "{why}: not a clear network error: {err}"
    );
    err
}

fn status(home: &Path) -> serde_json::Value {
    kept_json(home, &["status"])
}

/// (document, change hash) of every change the relay stores, duplicates included.
fn relay_changes(db: &Path) -> Vec<(String, String)> {
    let c = rusqlite::Connection::open(db).expect("relay db");
    let mut st =
        c.prepare("SELECT d.doc, lower(hex(c.hash)) FROM changes c JOIN docs d ON d.id = c.doc_id").expect("query");
    let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).expect("rows");
    rows.map(|r| r.expect("row")).collect()
}

/// The change hashes of every document a home holds.
fn local_changes(home: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let store = Store::open(home).expect("store");
    let mut out = BTreeMap::new();
    for id in store.doc_ids().expect("ids") {
        let mut doc = store.load(&id).expect("load").expect("held");
        let hashes = doc.get_changes(&[]).iter().map(|c| c.hash().to_string()).collect();
        out.insert(id.as_str().to_string(), hashes);
    }
    out
}

fn activity_ids(home: &Path, rep: &str) -> Vec<String> {
    let store = Store::open(home).expect("store");
    let db = rusqlite::Connection::open(store.path()).expect("db");
    let mut st = db.prepare("SELECT id FROM activities WHERE rep = ?1").expect("query");
    let rows = st.query_map([rep], |r| r.get(0)).expect("rows");
    rows.map(|r| r.expect("row")).collect()
}

#[test]
fn slow_and_broken_networks_lose_and_duplicate_nothing() {
    let t0 = Instant::now();
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("relay.sqlite3");
    let mut relay = Relay::start(&db, "127.0.0.1:0");
    let proxy = Proxy::start(relay_addr(&relay));
    let url = proxy.url();
    let (mia, ann) = (dir.path().join("mia"), dir.path().join("ann"));
    let team = relay.admin(&["team", "create", "--name", "Acme", "--manager", "Mia"]);
    kept_ok(&mia, &["join", &url, team["invite"].as_str().expect("invite")]);
    let code =
        kept_json(&mia, &["invite", "--role", "rep", "--name", "Ann"])["code"].as_str().expect("code").to_string();
    kept_ok(&ann, &["join", &url, &code]);
    let ann_id = Store::open(&ann).expect("store").meta("member_id").expect("meta").expect("member id");
    let mut logged: Vec<String> = Vec::new();
    let mut figures: Vec<String> = Vec::new();

    // 1. Latency: 150 ms on every chunk both ways. Slow, but it works.
    proxy.set(Mode::Latency(Duration::from_millis(150)));
    logged.extend(log_calls(&ann, 5, "slow"));
    let t = Instant::now();
    kept_ok(&ann, &["sync"]);
    figures.push(format!("sync under 150 ms latency per chunk: {:.1} s", t.elapsed().as_secs_f64()));
    assert_eq!(status(&ann)["pending"], 0);

    // 2. The relay stores a push but its answer is lost: the sync fails clearly,
    //    the changes stay pending, and pushing them again stores nothing twice.
    proxy.set(Mode::LoseResponses);
    let before = relay_changes(&db).len();
    logged.extend(log_calls(&ann, 5, "answer lost"));
    sync_fails_clearly(&ann, "the relay's answer was lost");
    assert_eq!(relay_changes(&db).len(), before + 5, "the relay stored the push whose answer was lost");
    let s = status(&ann);
    assert_eq!((s["pending"].as_i64(), s["reachable"].as_bool()), (Some(5), Some(false)), "{s}");
    assert!(s["last_error"].as_str().unwrap_or_default().contains("unreachable"), "{s}");
    proxy.set(Mode::Pass);
    kept_ok(&ann, &["sync"]);
    assert_eq!(status(&ann)["pending"], 0);
    assert_eq!(relay_changes(&db).len(), before + 5, "the repeated push stored something twice");

    // 3. A push cut off mid-body: the relay stores nothing, the client retries later.
    proxy.set(Mode::CutRequests(300));
    let before = relay_changes(&db).len();
    logged.extend(log_calls(&ann, 5, "cut off"));
    sync_fails_clearly(&ann, "the request was cut off");
    assert_eq!(relay_changes(&db).len(), before, "a truncated push stored something");
    assert_eq!(status(&ann)["pending"], 5);

    // 4. Answers stalled for 3 s (below the client's 60 s limit): the sync waits and succeeds.
    proxy.set(Mode::StallResponses(Duration::from_secs(3)));
    let t = Instant::now();
    kept_ok(&ann, &["sync"]);
    let stalled = t.elapsed();
    assert!(stalled >= Duration::from_secs(3), "the stall was not felt: {stalled:?}");
    figures.push(format!("sync with answers stalled 3 s: {:.1} s", stalled.as_secs_f64()));
    assert_eq!(status(&ann)["pending"], 0);

    // 5. The relay process is killed in the middle of a slow sync, then restarted on its database.
    proxy.set(Mode::Latency(Duration::from_millis(300)));
    logged.extend(log_calls(&ann, 20, "relay killed"));
    let sync = Command::new(bin_dir().join("kept"))
        .arg("--home")
        .arg(&ann)
        .arg("sync")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn sync");
    std::thread::sleep(Duration::from_millis(450));
    relay.kill();
    let out = sync.wait_with_output().expect("sync ends");
    let err = String::from_utf8_lossy(&out.stderr);
    figures.push(format!(
        "relay killed 0.45 s into a sync at 300 ms a chunk: the sync {}",
        if out.status.success() { "had finished".to_string() } else { format!("failed: {}", err.trim()) }
    ));
    if !out.status.success() {
        assert!(err.contains("relay") && !err.contains("panicked"), "unclear failure: {err}");
        let s = status(&ann);
        assert!(s["last_error"].as_str().unwrap_or_default().contains("relay"), "the failure is not recorded: {s}");
    }
    relay = Relay::start(&db, "127.0.0.1:0");
    proxy.set_upstream(relay_addr(&relay));
    proxy.set(Mode::Pass);
    kept_ok(&ann, &["sync"]);
    assert_eq!(status(&ann)["pending"], 0);

    // 6. The relay is away (connections refused) while `kept sync --watch` runs:
    //    it retries with backoff, not in a tight loop, and catches up once it is back.
    proxy.set(Mode::Refuse);
    logged.extend(log_calls(&ann, 10, "watched"));
    let mut watch = Command::new(bin_dir().join("kept"))
        .arg("--home")
        .arg(&ann)
        .args(["sync", "--watch", "--json"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn watch");
    let stderr = watch.stderr.take().expect("stderr");
    let retries = Arc::new(std::sync::Mutex::new(Vec::<Instant>::new()));
    let seen = retries.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("retrying") {
                seen.lock().expect("lock").push(Instant::now());
            }
        }
    });
    let outage = Duration::from_secs(4);
    std::thread::sleep(outage);
    let attempts = retries.lock().expect("lock").len();
    assert!(attempts >= 2, "the watch did not retry while the relay was away ({attempts} attempts)");
    assert!(attempts <= 12, "the watch retried {attempts} times in {outage:?}: no backoff");
    assert_eq!(status(&ann)["pending"], 10);
    proxy.set(Mode::Pass);
    let back = Instant::now();
    while status(&ann)["pending"] != 0 {
        assert!(back.elapsed() < Duration::from_secs(30), "the watch never caught up after the relay came back");
        std::thread::sleep(Duration::from_millis(250));
    }
    figures.push(format!(
        "watch: {attempts} attempts in a {}-s outage, caught up {:.1} s after the relay came back",
        outage.as_secs(),
        back.elapsed().as_secs_f64()
    ));
    let _ = watch.kill();
    let _ = watch.wait();

    // 7. A week offline: new connections are black-holed (the connect times out),
    //    300 logs spread over seven days pile up, status counts them, and they
    //    all go up in one sync once the network is back (slow, at 50 ms a chunk).
    proxy.set(Mode::BlackHole);
    let docs_before = Store::open(&ann).expect("store").doc_ids().expect("ids").len();
    {
        let mut k = Kept::open(&ann, Arc::new(SystemClock), IdSource::random()).expect("open");
        let now = chrono::Utc::now();
        for i in 0..300i64 {
            let at = now - chrono::Duration::minutes(i * 7 * 24 * 60 / 300) - chrono::Duration::minutes(1);
            let input = kept_core::model::ActivityInput {
                occurred_at: Some(at.to_rfc3339()),
                note: Some(Some(format!("offline week {i}"))),
                ..Default::default()
            };
            logged.push(k.log_activity(if i % 3 == 0 { "conversation" } else { "call" }, input, None).expect("log").id);
        }
    }
    let new_docs = Store::open(&ann).expect("store").doc_ids().expect("ids").len() - docs_before;
    let t = Instant::now();
    sync_fails_clearly(&ann, "the network is a black hole");
    figures.push(format!("sync into a black hole fails after {:.1} s", t.elapsed().as_secs_f64()));
    let s = status(&ann);
    // Each log is one change; each new week document adds its genesis.
    assert_eq!(s["pending"].as_i64(), Some(300 + new_docs as i64), "{s}");
    assert_eq!(s["reachable"], false, "{s}");
    proxy.set(Mode::Latency(Duration::from_millis(50)));
    let t = Instant::now();
    let out = kept_json(&ann, &["sync"]);
    figures.push(format!(
        "after a week offline: {} changes pushed in {:.1} s at 50 ms a chunk",
        out["pushed"],
        t.elapsed().as_secs_f64()
    ));
    assert_eq!(out["pushed"].as_i64(), Some(300 + new_docs as i64), "{out}");
    assert_eq!(status(&ann)["pending"], 0);
    proxy.set(Mode::Pass);
    kept_ok(&mia, &["sync"]);
    kept_ok(&ann, &["sync"]);

    // Everything is on the relay exactly once…
    let stored = relay_changes(&db);
    let unique: HashSet<&(String, String)> = stored.iter().collect();
    assert_eq!(unique.len(), stored.len(), "the relay holds a change twice");
    let mut on_relay: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (doc, hash) in &stored {
        on_relay.entry(doc.clone()).or_default().insert(hash.clone());
    }
    for (doc, hashes) in local_changes(&ann) {
        assert_eq!(on_relay.get(&doc), Some(&hashes), "the relay's copy of {doc} differs from the rep's");
    }
    // …and the manager has exactly the activities the rep logged.
    let mut theirs = activity_ids(&mia, &ann_id);
    theirs.sort();
    let mut mine = logged.clone();
    mine.sort();
    assert_eq!(theirs.len(), 345);
    assert_eq!(theirs, mine, "the manager's activities differ from what the rep logged");
    let took = t0.elapsed();
    figures.push(format!("whole test: {:.1} s", took.as_secs_f64()));
    eprintln!("slow network figures:\n  {}", figures.join("\n  "));
    drop(proxy);
    drop(relay);
}
