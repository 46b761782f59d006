//! A leader's new device opens the first screen's weeks first and the older
//! weeks after (`kept_core::sync::later`), and nothing is lost on the way:
//! an organisation of two teams with 20 weeks of history on a compacted
//! relay; the leader's first pull leaves the older logs on the relay; a rep
//! meanwhile logs into one of those older weeks; after the catch-up the
//! leader's device holds exactly the activities each team's manager holds.

use kept_core::demo::{fill_rep, profiles};
use kept_core::model::{ActivityInput, Role};
use kept_core::org::OrgSyncOptions;
use kept_core::sync::JoinOptions;
use kept_core::{FixedClock, IdSource, Kept};
use kept_tests::Relay;
use std::path::Path;
use std::sync::Arc;

fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339("2026-11-27T16:00:00Z").expect("time").to_utc()
}

fn join(url: &str, invite: &str, home: &Path) -> Kept {
    let opts = JoinOptions {
        url: url.into(),
        invite: invite.into(),
        name: None,
        device_name: "t".into(),
        allow_insecure: false,
    };
    Kept::join(home, &opts, Arc::new(FixedClock::new(now())), IdSource::random()).expect("join").0
}

fn activities(k: &Kept) -> i64 {
    rusqlite::Connection::open(k.store().path())
        .and_then(|c| c.query_row("SELECT COUNT(*) FROM activities", [], |r| r.get(0)))
        .expect("count")
}

#[test]
fn a_leaders_new_device_shows_recent_weeks_first_and_every_activity_in_the_end() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("relay.sqlite3");
    let relay = Relay::start(&db, "127.0.0.1:0");
    let port = relay.port();
    let org = relay.admin(&["org", "create", "--name", "Acme", "--leader", "Dana"]);
    let org_id = org["org_id"].as_str().expect("org id").to_string();
    let mut managers = Vec::new();
    let mut reps = Vec::new();
    for (t, name) in ["East", "West"].iter().enumerate() {
        let team = relay.admin(&["team", "create", "--name", name, "--manager", "M", "--org", &org_id]);
        let manager = join(&relay.url, team["invite"].as_str().expect("invite"), &dir.path().join(format!("m{t}")));
        for (i, p) in profiles(2, t as u64).into_iter().enumerate() {
            let code = manager.invite(Role::Rep, Some(&p.name)).expect("invite").code;
            let mut rep = join(&relay.url, &code, &dir.path().join(format!("r{t}-{i}")));
            fill_rep(&mut rep, &p, 20, now(), (t * 10 + i) as u64).expect("history");
            rep.sync().expect("rep sync");
            reps.push(rep);
        }
        managers.push(manager);
    }
    // Compacted, as a long-running relay is: a new device's first pull is snapshots.
    relay.kill();
    let out = std::process::Command::new(kept_tests::bin_dir().join("kept-relay"))
        .args(["compact", "--db"])
        .arg(&db)
        .output()
        .expect("compact");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let relay = Relay::start(&db, &format!("127.0.0.1:{port}"));

    let mut dana = join(&relay.url, org["invite"].as_str().expect("invite"), &dir.path().join("dana"));
    let rows = dana.org_sync_with("laptop", OrgSyncOptions::first_screen()).expect("org sync");
    assert!(rows.iter().all(|r| r.new && r.error.is_none()), "{rows:?}");
    let waiting = dana.org_waiting().expect("waiting");
    assert!(waiting >= 2 * 2 * 5, "the older weeks wait: {waiting}");
    let view = dana.org_overview().expect("view");
    assert_eq!(view.teams.iter().map(|t| t.reps).collect::<Vec<_>>(), [2, 2]);
    let first: i64 = dana.org_teams().expect("teams").iter().map(activities).sum();

    // A rep logs into a week whose log still waits on the relay, and another
    // into a week older than any log (one no snapshot holds): the leader's
    // device keeps both changes until their weeks are opened.
    let old = (now() - chrono::Duration::weeks(18)).to_rfc3339();
    let input = ActivityInput { count: Some(3), occurred_at: Some(old), ..Default::default() };
    reps[0].log_activity("call", input, None).expect("log");
    reps[0].sync().expect("rep sync");
    let older = (now() - chrono::Duration::weeks(30)).to_rfc3339();
    let input = ActivityInput { count: Some(2), occurred_at: Some(older), ..Default::default() };
    reps[1].log_activity("meeting-set", input, None).expect("log");
    reps[1].sync().expect("rep sync");
    dana.org_sync_with("laptop", OrgSyncOptions::first_screen()).expect("org sync again");
    let now_held: i64 = dana.org_teams().expect("teams").iter().map(activities).sum();
    assert_eq!(now_held, first, "the changes to older weeks wait with their weeks");
    // The device stops and starts again: what waits is in the store, not in memory.
    drop(dana);
    let dana =
        Kept::open(&dir.path().join("dana"), Arc::new(FixedClock::new(now())), IdSource::random()).expect("open");
    let left = dana.org_waiting().expect("waiting");
    assert_eq!(left, waiting, "the older logs still wait on the relay");
    let caught = dana.org_catch_up().expect("catch up");
    assert!(caught.failed.is_empty(), "{:?}", caught.failed);
    assert_eq!(caught.opened, left);
    assert_eq!(dana.org_waiting().expect("waiting"), 0);

    let mut want = Vec::new();
    for m in &mut managers {
        m.sync().expect("manager sync");
        want.push((m.team_id().to_string(), activities(m)));
    }
    want.sort();
    let mut got: Vec<(String, i64)> =
        dana.org_teams().expect("teams").iter().map(|k| (k.team_id().to_string(), activities(k))).collect();
    got.sort();
    assert_eq!(got, want, "every activity arrived");
    assert!(first < got.iter().map(|(_, n)| n).sum::<i64>(), "the first screen held the recent weeks only");
}
