//! End to end: a real relay process and three `kept` clients (a manager and
//! two reps) with separate homes. Reps log while the relay is down; once it
//! is back everyone syncs and the manager's board shows exactly the reps'
//! counts; a rep's token never reads another rep's log; a revoked device is
//! refused; the manager's `sync --watch` sees a rep's activity without polling.

use kept_core::docs::DocId;
use kept_core::store::Store;
use kept_core::sync::client::RelayClient;
use kept_tests::{kept, kept_json, kept_ok, Relay};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

fn board_count(board: &serde_json::Value, rep: &str, kind: &str) -> i64 {
    let row = board["rows"].as_array().expect("rows").iter().find(|r| r["name"] == rep).expect("rep row");
    let cell = row["cells"].as_array().expect("cells").iter().find(|c| c["kind"] == kind).expect("cell");
    cell["count"].as_i64().expect("count")
}

fn meta(home: &Path, key: &str) -> String {
    Store::open(home).expect("store").meta(key).expect("meta").expect("present")
}

#[test]
fn reps_log_offline_sync_and_the_manager_sees_the_board() {
    let dir = tempfile::tempdir().expect("tmp");
    let (mia, anna, bob) = (dir.path().join("mia"), dir.path().join("anna"), dir.path().join("bob"));
    let db = dir.path().join("relay.sqlite3");
    let relay = Relay::start(&db, "127.0.0.1:0");
    let url = relay.url.clone();

    // A manager creates the team and invites two reps; everyone joins.
    let team = relay.admin(&["team", "create", "--name", "Acme Sales", "--manager", "Mia"]);
    kept_ok(&mia, &["join", &url, team["invite"].as_str().expect("invite")]);
    let inv = kept_json(&mia, &["invite", "--role", "rep", "--name", "Anna"]);
    kept_ok(&anna, &["join", &url, inv["code"].as_str().expect("code")]);
    let inv = kept_json(&mia, &["invite", "--role", "rep"]);
    kept_ok(&bob, &["join", &url, inv["code"].as_str().expect("code"), "--name", "Bob"]);
    kept_ok(&mia, &["sync"]);
    kept_ok(&mia, &["target", "set", "call", "20", "--rep", "Anna"]);
    kept_ok(&mia, &["sync"]);

    // The relay goes down; the reps keep logging.
    let port = relay.port();
    relay.kill();
    for _ in 0..5 {
        kept_ok(&anna, &["log", "call"]);
    }
    kept_ok(&anna, &["log", "meeting-set", "--account", "Globex"]);
    for _ in 0..3 {
        kept_ok(&bob, &["log", "conversation"]);
    }
    let offline = kept(&anna, &["sync"]);
    assert!(!offline.status.success(), "sync must fail while the relay is down");
    let status = kept_json(&anna, &["status"]);
    assert_eq!(status["reachable"], false);
    // Six offline logs, plus the genesis of her first log document of the week.
    assert_eq!(status["pending"], 7);
    assert!(status["last_error"].as_str().unwrap_or_default().contains("unreachable"), "{status}");

    // The relay is back on the same address and database.
    let relay = Relay::start(&db, &format!("127.0.0.1:{port}"));
    for home in [&anna, &bob, &mia] {
        kept_ok(home, &["sync"]);
    }
    assert_eq!(kept_json(&anna, &["status"])["pending"], 0);
    let board = kept_json(&mia, &["board"]);
    assert_eq!(board_count(&board, "Anna", "call"), 5);
    assert_eq!(board_count(&board, "Anna", "meeting-set"), 1);
    assert_eq!(board_count(&board, "Anna", "conversation"), 0);
    assert_eq!(board_count(&board, "Bob", "conversation"), 3);
    assert_eq!(board_count(&board, "Bob", "call"), 0);
    let anna_row = board["rows"].as_array().expect("rows").iter().find(|r| r["name"] == "Anna").expect("row").clone();
    let call = anna_row["cells"].as_array().expect("cells").iter().find(|c| c["kind"] == "call").expect("cell").clone();
    assert_eq!(call["target"], 20, "the manager's target reached the board");
    // Reps see their own week, with the manager's target.
    let week = kept_json(&anna, &["week"]);
    let row = week["rows"].as_array().expect("rows").iter().find(|r| r["kind"] == "call").expect("row").clone();
    assert_eq!((row["count"].as_i64(), row["target"].as_i64()), (Some(5), Some(20)));
    // A rep is not a manager.
    let refused = kept(&anna, &["board"]);
    assert_eq!(refused.status.code(), Some(2));

    // A 1-on-1 with Bob: notes and scores that only Bob and his managers may read.
    let meeting = kept_json(&mia, &["meeting", "open", "--rep", "Bob"]);
    let mid = meeting["meeting"]["id"].as_str().expect("meeting id").to_string();
    kept_ok(&mia, &["meeting", "notes", &mid, "Bob is worried about his pipeline"]);
    kept_ok(&mia, &["assess", "discovery-call", "pain=poor", "--rep", "Bob"]);
    kept_ok(&mia, &["sync"]);
    kept_ok(&bob, &["sync"]);
    let bob_meetings = kept_json(&bob, &["meeting", "list"]);
    assert!(bob_meetings.to_string().contains("worried about his pipeline"), "Bob reads his own 1-on-1 notes");
    kept_ok(&anna, &["sync"]);
    assert_eq!(kept(&anna, &["meeting", "list", "--rep", "Bob"]).status.code(), Some(2), "Anna may not ask for Bob's");

    // Anna's token pulls everything she may read: never Bob's documents (log, notes, scores).
    let anna_client = RelayClient::new(&relay.url, Some(meta(&anna, "token")));
    let page = anna_client.pull(0, 5000).expect("pull");
    let bob_id = meta(&bob, "member_id");
    assert!(!page.changes.is_empty());
    for c in page.changes.iter().map(|c| &c.doc).chain(page.snapshots.iter().map(|s| &s.doc)) {
        let id: DocId = c.parse().expect("doc id");
        assert_ne!(id.subject(), Some(bob_id.as_str()), "Anna's token read Bob's {c}");
    }
    // …and the manager's token sees Bob's log.
    let mia_client = RelayClient::new(&relay.url, Some(meta(&mia, "token")));
    let all = mia_client.pull(0, 5000).expect("pull");
    assert!(all.changes.iter().any(|c| c.doc.starts_with(&format!("log/{bob_id}/"))));
    assert!(all.changes.iter().any(|c| c.doc == format!("coaching/{bob_id}")), "the coaching document is on the relay");
    let anna_store = Store::open(&anna).expect("open");
    let leaked: i64 = rusqlite::Connection::open(anna_store.path())
        .expect("db")
        .query_row("SELECT COUNT(*) FROM documents WHERE subject = ?1", [&bob_id], |r| r.get(0))
        .expect("count");
    assert_eq!(leaked, 0, "none of Bob's documents reached Anna's device");

    // The manager watches; a rep's new activity arrives without polling.
    let mut watch = Command::new(kept_tests::bin_dir().join("kept"))
        .arg("--home")
        .arg(&mia)
        .args(["sync", "--watch", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("watch");
    let (tx, rx) = mpsc::channel();
    let out = watch.stdout.take().expect("stdout");
    std::thread::spawn(move || {
        let mut reader = BufReader::new(out);
        let mut obj = String::new();
        let mut line = String::new();
        while reader.read_line(&mut line).unwrap_or(0) > 0 {
            obj.push_str(&line);
            if line.starts_with('}') {
                let _ = tx.send(std::mem::take(&mut obj));
            }
            line.clear();
        }
    });
    let first = rx.recv_timeout(Duration::from_secs(30)).expect("the watch syncs once at start");
    assert!(first.contains("\"pulled\""));
    std::thread::sleep(Duration::from_millis(300)); // let it open the live channel
    kept_ok(&bob, &["log", "proposal", "--account", "Initech"]);
    kept_ok(&bob, &["sync"]);
    let mut seen = false;
    while let Ok(report) = rx.recv_timeout(Duration::from_secs(30)) {
        let v: serde_json::Value = serde_json::from_str(&report).expect("json");
        if v["pulled"].as_i64().unwrap_or(0) > 0 {
            seen = true;
            break;
        }
    }
    assert!(seen, "the watching manager never pulled Bob's proposal");
    // Read-only commands work on the same home while the watch runs.
    let board = kept_json(&mia, &["board"]);
    assert_eq!(board_count(&board, "Bob", "proposal"), 1);
    let _ = watch.kill();
    let _ = watch.wait();

    // A new manager device bootstraps from the relay's compacted snapshots and
    // renders the same board.
    let out = Command::new(kept_tests::bin_dir().join("kept-relay"))
        .args(["compact", "--db"])
        .arg(&relay.db)
        .output()
        .expect("compact");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let max = dir.path().join("max");
    let code =
        kept_json(&mia, &["invite", "--role", "manager", "--name", "Max"])["code"].as_str().expect("code").to_string();
    kept_ok(&max, &["join", &url, &code]);
    let theirs = kept_json(&max, &["board"]);
    let ours = kept_json(&mia, &["board"]);
    assert_eq!(theirs["rows"], ours["rows"], "the bootstrapped device shows the same board");
    let mut store = Store::open(&max).expect("open");
    let adopted: i64 = rusqlite::Connection::open(store.path())
        .expect("db")
        .query_row("SELECT COUNT(*) FROM documents WHERE LENGTH(snapshot) > 0 AND kind = 'log'", [], |r| r.get(0))
        .expect("count");
    assert!(adopted > 0, "log documents arrived as snapshots");
    assert!(store.check().expect("check").is_empty());

    // Revoking Bob's device: his next sync is refused.
    let devices = kept_json(&mia, &["devices"]);
    let bob_device = meta(&bob, "device_id");
    assert!(devices.as_array().expect("devices").iter().any(|d| d["id"] == bob_device.as_str()));
    // Bob's device watches; revoking it ends the watch by itself (no retrying for ever).
    let mut bob_watch = Command::new(kept_tests::bin_dir().join("kept"))
        .arg("--home")
        .arg(&bob)
        .args(["sync", "--watch", "--json"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("watch");
    std::thread::sleep(Duration::from_millis(1500)); // its first sync and live channel
    kept_ok(&mia, &["devices", "--revoke", &bob_device]);
    let gave_up = (0..200).find_map(|_| {
        std::thread::sleep(Duration::from_millis(100));
        bob_watch.try_wait().expect("wait")
    });
    let Some(status) = gave_up else {
        let _ = bob_watch.kill();
        panic!("the watch of a revoked device kept running");
    };
    assert!(!status.success());
    let mut err = String::new();
    std::io::Read::read_to_string(&mut bob_watch.stderr.take().expect("stderr"), &mut err).expect("stderr");
    assert!(err.contains("401"), "{err}");
    kept_ok(&bob, &["log", "call"]);
    let refused = kept(&bob, &["sync"]);
    assert!(!refused.status.success());
    let msg = String::from_utf8_lossy(&refused.stderr);
    assert!(msg.contains("401"), "{msg}");
    assert_eq!(kept_json(&bob, &["status"])["pending"], 1, "the refused change is still kept locally");
    drop(relay);
}

#[test]
fn a_home_used_on_this_device_only_joins_a_team_later_without_losing_anything() {
    let dir = tempfile::tempdir().expect("tmp");
    let (mia, solo) = (dir.path().join("mia"), dir.path().join("solo"));
    kept_ok(&solo, &["init", "--team", "Just me", "--me", "Sam", "--role", "rep"]);
    let deal = kept_json(&solo, &["deal", "add", "Globex", "--amount", "12000"])[0]["id"]
        .as_str()
        .expect("deal id")
        .to_string();
    for kind in ["call", "call", "meeting-set"] {
        kept_ok(&solo, &["log", kind, "--account", "Globex", "--deal", &deal]);
    }
    kept_ok(&solo, &["target", "set", "call", "30"]);
    let item = kept_json(&solo, &["action", "add", "Send pricing", "--due", "2026-12-01"]);
    kept_ok(&solo, &["action", "done", item["id"].as_str().expect("id"), "--result", "sent"]);
    let relay = Relay::start(&dir.path().join("relay.sqlite3"), "127.0.0.1:0");
    let team = relay.admin(&["team", "create", "--name", "Acme", "--manager", "Mia"]);
    kept_ok(&mia, &["join", &relay.url, team["invite"].as_str().expect("invite")]);
    let code =
        kept_json(&mia, &["invite", "--role", "rep", "--name", "Sam"])["code"].as_str().expect("code").to_string();
    let joined = kept_json(&solo, &["join", &relay.url, &code]);
    assert_eq!(joined["carried_over"]["activities"], 3);
    assert_eq!(joined["carried_over"]["targets"], 1);
    assert_eq!(joined["carried_over"]["action_items"], 1);
    assert_eq!(joined["carried_over"]["deals"], 1);
    assert_eq!(joined["carried_over"]["left_behind"].as_array().map(Vec::len), Some(0), "{joined}");
    // Record ids and links survive: every activity still points at the deal.
    let acts = kept_json(&solo, &["activities"]);
    assert!(acts.as_array().expect("list").iter().all(|a| a["deal"] == deal.as_str()), "{acts}");
    // Still all there, now under the team's identity, and on the manager's board.
    assert_eq!(kept_json(&solo, &["activities"]).as_array().expect("list").len(), 3);
    assert_eq!(kept_json(&solo, &["target", "list"])["call"], 30);
    assert_eq!(kept_json(&solo, &["action", "list"])[0]["status"], "done");
    assert_eq!(kept_json(&solo, &["status"])["pending"], 0);
    kept_ok(&mia, &["sync"]);
    let board = kept_json(&mia, &["board"]);
    assert_eq!(board_count(&board, "Sam", "call"), 2);
    assert_eq!(board_count(&board, "Sam", "meeting-set"), 1);
    // The old home was kept as a backup beside the new one.
    let backups = std::fs::read_dir(dir.path()).expect("dir").filter(|e| {
        e.as_ref().map(|e| e.file_name().to_string_lossy().starts_with("solo.before-join-")).unwrap_or(false)
    });
    assert_eq!(backups.count(), 1);
}

#[test]
fn a_managers_crm_export_reaches_every_rep_through_the_relay_and_importing_again_adds_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let relay = Relay::start(&dir.path().join("relay.sqlite3"), "127.0.0.1:0");
    let team = relay.admin(&["team", "create", "--name", "Acme", "--manager", "Mia"]);
    let mia = dir.path().join("mia");
    kept_ok(&mia, &["join", &relay.url, team["invite"].as_str().expect("invite")]);
    let reps = ["Julia Álvarez", "Søren Møller", "林美玲", "Ben Carter", "Priya Nair"];
    let homes: Vec<_> = (0..reps.len()).map(|i| dir.path().join(format!("rep{i}"))).collect();
    for (name, home) in reps.iter().zip(&homes) {
        let code =
            kept_json(&mia, &["invite", "--role", "rep", "--name", name])["code"].as_str().expect("code").to_string();
        kept_ok(home, &["join", &relay.url, &code]);
    }
    kept_ok(&mia, &["sync"]);
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/tests/fixtures/salesforce_team.csv");
    let file = file.to_str().expect("utf-8 path");
    let dry = kept_json(&mia, &["import", file, "--dry-run"]);
    assert_eq!(dry["rejected"].as_array().map(Vec::len), Some(7), "{dry}");
    let done = kept_json(&mia, &["import", file, "--skip-bad"]);
    assert_eq!(done["imported"], 193, "{done}");
    kept_ok(&mia, &["sync"]);
    // Each rep's device, after a sync, holds exactly the rows the file gave that rep.
    for (name, home) in reps.iter().zip(&homes) {
        kept_ok(home, &["sync"]);
        let out = dir.path().join("export.csv");
        kept_ok(home, &["export", "--what", "activities", "--out", out.to_str().expect("utf-8")]);
        // Records, not lines: imported comments may hold newlines.
        let rows = csv::Reader::from_path(&out).expect("csv").records().count();
        assert_eq!(Some(rows as u64), done["per_rep"][*name].as_u64(), "{name}: {done}");
    }
    // Again, from the manager's device: nothing new.
    let again = kept_json(&mia, &["import", file, "--skip-bad"]);
    assert_eq!((again["imported"].as_u64(), again["already"].as_u64()), (Some(0), Some(193)), "{again}");
}

/// A leader's organisation through the real relay and the `kept` CLI: the
/// leader's device joins every team read-only, sees them side by side and
/// finds the manager whose reps rate their 1-on-1s lowest; a write in a
/// team home is refused on the device; a team's manager is refused the
/// organisation by the relay.
#[test]
fn a_leader_sees_every_team_of_the_organisation_and_managers_only_their_own() {
    let dir = tempfile::tempdir().expect("tmp");
    let relay = Relay::start(&dir.path().join("relay.sqlite3"), "127.0.0.1:0");
    let org = relay.admin(&["org", "create", "--name", "Acme", "--leader", "Dana"]);
    let org_id = org["org_id"].as_str().expect("org id");
    let demo = |name: &str, manager: &str, folder: &str, first: &str, coaching: &str| {
        let team = relay.admin(&["team", "create", "--name", name, "--manager", manager, "--org", org_id]);
        let homes = dir.path().join(folder);
        let out = Command::new(kept_tests::bin_dir().join("kept"))
            .args(["demo", "--relay", &relay.url, "--invite", team["invite"].as_str().expect("invite")])
            .args(["--reps", "2", "--weeks", "3", "--first-rep", first, "--coaching", coaching, "--dir"])
            .arg(&homes)
            .output()
            .expect("kept demo");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        homes.join("manager")
    };
    let east = demo("East", "Mia", "east", "0", "strong");
    demo("West", "Omar", "west", "2", "status-reports");
    let dana = dir.path().join("dana");
    kept_ok(&dana, &["join", &relay.url, org["invite"].as_str().expect("invite"), "--device", "laptop"]);

    let synced = kept_json(&dana, &["org", "sync"]);
    let rows = synced.as_array().expect("rows");
    assert_eq!(rows.len(), 2, "{synced}");
    assert!(rows.iter().all(|r| r["new"] == true && r["error"].is_null() && r["pulled"].as_u64() > Some(0)));
    let view = kept_json(&dana, &["org"]);
    let teams = view["teams"].as_array().expect("teams");
    let names: Vec<_> = teams.iter().map(|t| t["name"].as_str().unwrap_or_default()).collect();
    assert_eq!(names, ["East", "West"]);
    let west = teams.iter().find(|t| t["name"] == "West").expect("West");
    assert_eq!(west["managers"], serde_json::json!(["Omar"]));
    assert_eq!(west["reps"], 2);
    assert_eq!(view["lowest_rated"], west["team_id"], "Omar's reps rate their 1-on-1s lowest: {view}");
    let gap = |t: &serde_json::Value| t["rating_gap"].as_f64().expect("gap");
    assert!(gap(west) > gap(teams.iter().find(|t| t["name"] == "East").expect("East")), "{view}");

    // Drill down: a team's home reads like the manager's, and writes nothing.
    let homes = kept_ok(&dana, &["org", "homes"]);
    let east_home = homes.lines().find(|l| l.starts_with("East\t")).and_then(|l| l.split('\t').nth(1)).expect("home");
    let board = kept_json(Path::new(east_home), &["board"]);
    let mia_board = kept_json(&east, &["board"]);
    assert_eq!(board["rows"], mia_board["rows"], "the leader sees the team's board as its manager does");
    let out = kept(Path::new(east_home), &["log", "call"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("leader"), "{}", String::from_utf8_lossy(&out.stderr));

    // A team's manager is refused the organisation by the relay.
    let out = kept(&east, &["org", "sync"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("only a leader"), "{err}");
}

/// Calibration in a leadership team through the real relay: two managers
/// (the leader's coachees) score one interaction blind — neither device ever
/// holds the other's scores — and the leader's reveal shows both the spread.
#[test]
fn calibration_scores_stay_blind_until_the_leader_reveals_them() {
    let dir = tempfile::tempdir().expect("tmp");
    let relay = Relay::start(&dir.path().join("relay.sqlite3"), "127.0.0.1:0");
    let org = relay.admin(&["org", "create", "--name", "Acme", "--leader", "Dana"]);
    let dana = dir.path().join("dana");
    kept_ok(&dana, &["join", &relay.url, org["invite"].as_str().expect("invite"), "--device", "laptop"]);
    let coachee = |name: &str| {
        let code = kept_json(&dana, &["invite", "--role", "rep", "--name", name]);
        let home = dir.path().join(name.to_lowercase());
        kept_ok(&home, &["join", &relay.url, code["code"].as_str().expect("code"), "--device", "laptop"]);
        home
    };
    let (mia, omar) = (coachee("Mia"), coachee("Omar"));
    let session = kept_json(&dana, &["calibrate", "start", "Globex discovery call", "--interaction", "discovery-call"]);
    let id = session["id"].as_str().expect("id");
    kept_ok(&dana, &["sync"]);
    for (home, score) in [(&mia, "good"), (&omar, "excellent")] {
        kept_ok(home, &["sync"]);
        kept_ok(home, &["calibrate", "score", id, &format!("pain={score}"), "rapport=fair"]);
        kept_ok(home, &["sync"]);
    }
    kept_ok(&mia, &["sync"]);
    // Blind: Mia's device knows only her own scores, and holds no document of Omar's.
    let seen = kept_json(&mia, &["calibrate", "list"]);
    assert_eq!(seen[0]["submitted"], serde_json::json!(["Mia"]), "{seen}");
    assert!(seen[0]["spread"].as_array().expect("spread").is_empty());
    let omar_id = meta(&omar, "member_id");
    let docs = Store::open(&mia).expect("store").doc_ids().expect("docs");
    assert!(docs.iter().all(|d| !d.to_string().contains(&omar_id)), "{docs:?}");
    // Only the leader reveals.
    let out = kept(&mia, &["calibrate", "reveal", id]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("only a manager"));
    kept_ok(&dana, &["sync"]);
    let revealed = kept_json(&dana, &["calibrate", "reveal", id]);
    assert_eq!(revealed[0]["submitted"], serde_json::json!(["Mia", "Omar"]), "{revealed}");
    kept_ok(&dana, &["calibrate", "agree", id, "pain=good", "rapport=fair"]);
    kept_ok(&dana, &["sync"]);
    kept_ok(&mia, &["sync"]);
    let seen = kept_json(&mia, &["calibrate", "list"]);
    let pain = seen[0]["spread"].as_array().expect("spread").iter().find(|c| c["criterion"] == "pain").expect("pain");
    assert_eq!(pain["spread"], 1);
    assert_eq!(pain["agreed"], 3);
    assert_eq!(seen[0]["leanings"][1]["name"], "Omar", "Omar scores more leniently: {seen}");
    let history = kept_json(&dana, &["calibrate", "history", "--rep", "Omar"]);
    assert_eq!(history[0]["distance"], 0.5, "{history}");
}

/// Organisation-wide assessment maps: the leader publishes one; a team's
/// manager (a coachee in the leadership team, from her team's home) adopts
/// it beside the team's own maps; a new version replaces it and the scores
/// given under the first version keep their criteria.
#[test]
fn a_map_the_leader_publishes_reaches_a_team_and_a_new_version_keeps_old_scores() {
    let dir = tempfile::tempdir().expect("tmp");
    let relay = Relay::start(&dir.path().join("relay.sqlite3"), "127.0.0.1:0");
    let org = relay.admin(&["org", "create", "--name", "Acme", "--leader", "Dana"]);
    let org_id = org["org_id"].as_str().expect("org id");
    let team = relay.admin(&["team", "create", "--name", "East", "--manager", "Mia", "--org", org_id]);
    let (dana, mia, ann) = (dir.path().join("dana"), dir.path().join("mia"), dir.path().join("ann"));
    kept_ok(&dana, &["join", &relay.url, org["invite"].as_str().expect("invite")]);
    kept_ok(&dana, &["org", "sync"]);
    kept_ok(&mia, &["join", &relay.url, team["invite"].as_str().expect("invite")]);
    let code = kept_json(&mia, &["invite", "--role", "rep", "--name", "Ann"]);
    kept_ok(&ann, &["join", &relay.url, code["code"].as_str().expect("code")]);
    kept_ok(&mia, &["team", "criteria", "cold-call", "opener", "next-step"]);

    kept_ok(&dana, &["org", "publish", "qualification", "budget", "authority", "need", "timing"]);
    kept_ok(&dana, &["sync"]);
    // Only a leader publishes.
    let out = kept(&mia, &["org", "publish", "qualification", "budget"]);
    assert!(!out.status.success(), "a team's manager cannot publish for the organisation");
    // Mia joins the leadership team from her team's home and adopts the map.
    let coachee = kept_json(&dana, &["invite", "--role", "rep", "--name", "Mia"]);
    kept_ok(&mia, &["org", "join", &relay.url, coachee["code"].as_str().expect("code")]);
    let maps = kept_json(&mia, &["org", "maps"]);
    assert_eq!(maps[0]["interaction"], "qualification", "{maps}");
    assert_eq!((maps[0]["version"].as_i64(), maps[0]["adopted"].as_bool()), (Some(1), Some(true)), "{maps}");
    kept_ok(&mia, &["sync"]);
    kept_ok(&mia, &["assess", "qualification", "budget=good", "need=fair", "--rep", "Ann"]);
    kept_ok(&mia, &["sync"]);
    // Nothing new: nothing adopted.
    let again = kept_json(&mia, &["org", "maps"]);
    assert_eq!(again[0]["adopted"], false);

    // Version 2 drops "need": adopted, the team's own map stays, and the old score keeps its criterion.
    kept_ok(&dana, &["org", "publish", "qualification", "budget", "authority", "pain", "timing"]);
    kept_ok(&dana, &["sync"]);
    let maps = kept_json(&mia, &["org", "maps"]);
    assert_eq!((maps[0]["version"].as_i64(), maps[0]["adopted"].as_bool()), (Some(2), Some(true)), "{maps}");
    kept_ok(&mia, &["sync"]);
    kept_ok(&ann, &["sync"]);
    let map = kept_json(&ann, &["assessments", "qualification"]);
    let keys: Vec<_> = map.as_array().expect("map").iter().map(|c| c["criterion"].as_str().unwrap_or("")).collect();
    assert!(keys.contains(&"pain") && keys.contains(&"authority"), "{map}");
    // The score Mia gave under version 1 keeps its criterion, though version 2 dropped it.
    let csv = kept_ok(&ann, &["export", "--what", "assessments"]);
    assert!(csv.lines().any(|l| l.contains("qualification") && l.contains(",need,fair")), "{csv}");
    let own = kept_json(&mia, &["assessments", "cold-call", "--rep", "Ann"]);
    assert_eq!(own.as_array().map(Vec::len), Some(2), "the team's own map stays beside: {own}");
}
