//! Soak: several teams (a manager and reps each, every one a real `Kept`
//! home in its own thread) log, edit, push, pull and watch against one relay
//! process for a bounded time. At the end every device of a team holds
//! identical documents, nothing was lost (checked by ids and document heads),
//! and the relay's memory did not run away.
//!
//! Fast by default (the test command); the long version:
//! `KEPT_SOAK_SECS=300 KEPT_SOAK_TEAMS=20 KEPT_SOAK_REPS=9 cargo test --release -p kept-tests --test soak -- --nocapture`
//! (20 teams × 10 members = 200 clients).

use kept_core::model::Role;
use kept_core::sync::JoinOptions;
use kept_core::{IdSource, Kept, SystemClock};
use kept_tests::Relay;
use rand::Rng;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn join(url: &str, invite: &str, home: &Path) -> Kept {
    let opts = JoinOptions {
        url: url.into(),
        invite: invite.into(),
        name: None,
        device_name: "soak".into(),
        allow_insecure: false,
    };
    Kept::join(home, &opts, Arc::new(SystemClock), IdSource::random()).expect("join").0
}

fn heads(k: &Kept) -> BTreeMap<String, String> {
    let db = rusqlite::Connection::open(k.store().path()).expect("db");
    let mut st = db.prepare("SELECT id, heads FROM documents").expect("query");
    let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).expect("rows");
    rows.map(|r| r.expect("row")).collect()
}

#[test]
fn many_clients_for_a_while_converge_with_nothing_lost() {
    let (secs, teams, reps) = (env("KEPT_SOAK_SECS", 8), env("KEPT_SOAK_TEAMS", 3), env("KEPT_SOAK_REPS", 3));
    let dir = tempfile::tempdir().expect("tmp");
    let relay = Relay::start(&dir.path().join("relay.sqlite3"), "127.0.0.1:0");
    let rss_start = relay.rss_kib().unwrap_or(0);
    let mut team_homes: Vec<(PathBuf, Vec<PathBuf>)> = Vec::new();
    for t in 0..teams {
        let team = relay.admin(&["team", "create", "--name", &format!("Team {t}"), "--manager", "Boss"]);
        let mhome = dir.path().join(format!("t{t}-boss"));
        let boss = join(&relay.url, team["invite"].as_str().expect("invite"), &mhome);
        let mut rhomes = Vec::new();
        for r in 0..reps {
            let inv = boss.invite(Role::Rep, Some(&format!("Rep {r}"))).expect("invite");
            let h = dir.path().join(format!("t{t}-r{r}"));
            join(&relay.url, &inv.code, &h);
            rhomes.push(h);
        }
        team_homes.push((mhome, rhomes));
    }
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut handles = Vec::new();
    for (mhome, rhomes) in &team_homes {
        for h in rhomes.clone() {
            handles.push(std::thread::spawn(move || {
                let mut k = Kept::open(&h, Arc::new(SystemClock), IdSource::random()).expect("open");
                let mut rng = rand::rng();
                let mut mine = HashSet::new();
                while Instant::now() < deadline {
                    for _ in 0..rng.random_range(1..4) {
                        let a = k
                            .log_activity(
                                ["call", "conversation", "meeting-set"][rng.random_range(0..3)],
                                Default::default(),
                                None,
                            )
                            .expect("log");
                        mine.insert(a.id);
                    }
                    if rng.random_bool(0.2) {
                        if let Some(id) = mine.iter().next().cloned() {
                            let edit = kept_core::model::ActivityInput {
                                note: Some(Some("edited".into())),
                                ..Default::default()
                            };
                            k.edit_activity(&id, edit).expect("edit");
                        }
                    }
                    // The relay may be busy: a failed sync is retried next time round.
                    let _ = k.sync();
                    std::thread::sleep(Duration::from_millis(rng.random_range(5..60)));
                }
                mine
            }));
        }
        let mh = mhome.clone();
        handles.push(std::thread::spawn(move || {
            let mut k = Kept::open(&mh, Arc::new(SystemClock), IdSource::random()).expect("open");
            while Instant::now() < deadline {
                let _ = k.sync();
                let _ = k.board(None).expect("board");
                std::thread::sleep(Duration::from_millis(50));
            }
            HashSet::new()
        }));
    }
    let mut logged = HashSet::new();
    for h in handles {
        logged.extend(h.join().expect("client thread"));
    }
    // Quiesce: everyone syncs until nothing moves.
    for _ in 0..2 {
        for (m, rs) in &team_homes {
            for h in rs.iter().chain(std::iter::once(m)) {
                Kept::open(h, Arc::new(SystemClock), IdSource::random()).expect("open").sync().expect("final sync");
            }
        }
    }
    let mut seen = HashSet::new();
    for (m, rs) in &team_homes {
        let boss = Kept::open(m, Arc::new(SystemClock), IdSource::random()).expect("open");
        let boss_heads = heads(&boss);
        for h in rs {
            let rep = Kept::open(h, Arc::new(SystemClock), IdSource::random()).expect("open");
            assert_eq!(rep.store().pending().expect("pending"), 0);
            for (doc, hd) in heads(&rep) {
                assert_eq!(boss_heads.get(&doc), Some(&hd), "{doc} differs between the rep and the manager");
            }
        }
        let ids: Vec<String> = rusqlite::Connection::open(boss.store().path())
            .expect("db")
            .prepare("SELECT id FROM activities")
            .expect("query")
            .query_map([], |r| r.get(0))
            .expect("rows")
            .map(|r| r.expect("id"))
            .collect();
        let n = ids.len();
        let set: HashSet<String> = ids.into_iter().collect();
        assert_eq!(set.len(), n, "duplicates on a manager's device");
        seen.extend(set);
    }
    assert_eq!(seen, logged, "every activity logged reached its manager, and nothing else");
    let rss_end = relay.rss_kib().unwrap_or(0);
    println!(
        "soak: {} clients, {secs} s, {} activities, relay RSS {} → {} MiB",
        teams * (reps + 1),
        logged.len(),
        rss_start / 1024,
        rss_end / 1024
    );
    assert!(rss_end < rss_start + 300 * 1024, "relay memory grew from {rss_start} to {rss_end} KiB");
}
