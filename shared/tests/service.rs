//! The `Kept` API against real SQLite files: the week's numbers, permissions,
//! compaction, and bad input that must change nothing.

use chrono::TimeZone;
use kept_core::metrics::Pace;
use kept_core::model::{ActivityInput, Member, Role};
use kept_core::service::Identity;
use kept_core::{CoreError, FixedClock, IdSource, InitOptions, Kept};
use std::sync::Arc;

fn thursday_3pm() -> FixedClock {
    FixedClock::new(chrono::Utc.with_ymd_and_hms(2026, 11, 26, 15, 0, 0).single().expect("valid"))
}

fn rep_home(dir: &std::path::Path, clock: &FixedClock) -> Kept {
    let opts =
        InitOptions { team: "Acme".into(), me: "Anna".into(), role: Role::Rep, time_zone: None, week_start: None };
    Kept::init(&dir.join("anna"), opts, Arc::new(clock.clone()), IdSource::seeded(11)).expect("init")
}

fn at(day: u32, hour: u32) -> ActivityInput {
    ActivityInput { occurred_at: Some(format!("2026-11-{day:02}T{hour:02}:00:00+00:00")), ..Default::default() }
}

/// Everything a write could touch: documents, outbox and views.
fn fingerprint(k: &Kept) -> (Vec<String>, i64, Vec<String>) {
    let conn = rusqlite::Connection::open(k.store().path()).expect("db");
    let mut st = conn.prepare("SELECT id || ':' || heads FROM documents ORDER BY id").expect("query");
    let docs = st.query_map([], |r| r.get(0)).expect("rows").map(|r| r.expect("row")).collect();
    (docs, k.store().pending().expect("pending"), k.store().view_dump().expect("dump"))
}

#[test]
fn the_week_counts_targets_and_pace() {
    let dir = tempfile::tempdir().expect("tmp");
    let clock = thursday_3pm();
    let mut k = rep_home(dir.path(), &clock);
    for (kind, n) in [("call", 12), ("conversation", 4), ("meeting-set", 4)] {
        for i in 0..n {
            k.log_activity(kind, at(23 + (i % 4), 10), None).expect("log");
        }
    }
    // Last week's and next week's don't count.
    k.log_activity("call", at(20, 10), None).expect("log");
    k.set_target("call", 40, None, None).expect("target");
    k.set_target("meeting-set", 6, None, None).expect("target");
    k.set_target("conversation", 5, None, Some("2026-W48".parse().expect("week"))).expect("override");

    let w = k.week_summary(None, None).expect("week");
    assert_eq!(w.week, "2026-W48");
    let row = |key: &str| w.rows.iter().find(|r| r.kind == key).expect("row").clone();
    assert_eq!((row("call").count, row("call").target), (12, Some(40)));
    assert_eq!(row("call").pace, Pace::Red, "12 of an expected 30 by Thursday 15:00");
    assert_eq!(row("meeting-set").pace, Pace::Amber, "4 of an expected 4.5 is just behind (89%)");
    assert_eq!(row("meeting-set").advice.as_deref(), Some("2 more meetings set by Friday (about 1.6 a day)"));
    assert_eq!(row("conversation").target, Some(5), "one-week override");
    assert_eq!(row("proposal").pace, Pace::None);
    assert_eq!(w.kare.get("none"), Some(&20));
    // Next week the standing target still applies, the override does not.
    let next = k.targets(None, Some("2026-W49".parse().expect("week"))).expect("targets");
    assert_eq!(next.get("call"), Some(&40));
    assert_eq!(next.get("conversation"), None);
}

#[test]
fn editing_the_time_moves_an_activity_between_weeks() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut k = rep_home(dir.path(), &thursday_3pm());
    let a = k.log_activity("proposal", at(24, 9), None).expect("log");
    let w47 = Some("2026-W47".parse().expect("week"));
    assert!(k.activities(w47, None, false).expect("list").is_empty());
    k.edit_activity(&a.id, at(17, 9)).expect("edit");
    assert_eq!(k.activities(w47, None, false).expect("list").len(), 1);
    assert!(k.activities(None, None, false).expect("list").is_empty());
    k.delete_activity(&a.id).expect("delete");
    assert!(k.activities(w47, None, false).expect("list").is_empty());
    assert!(matches!(k.edit_activity(&a.id, at(18, 9)), Err(CoreError::NotFound(_))));
}

#[test]
fn bad_input_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut k = rep_home(dir.path(), &thursday_3pm());
    let a = k.log_activity("call", at(23, 9), None).expect("log");
    let before = fingerprint(&k);
    let cases: Vec<(&str, Result<(), CoreError>)> = vec![
        ("unknown type", k.log_activity("dance", at(23, 9), None).map(|_| ())),
        (
            "negative count",
            k.log_activity("call", ActivityInput { count: Some(-1), ..Default::default() }, None).map(|_| ()),
        ),
        (
            "zero count",
            k.log_activity("call", ActivityInput { count: Some(0), ..Default::default() }, None).map(|_| ()),
        ),
        (
            "bad time",
            k.log_activity("call", ActivityInput { occurred_at: Some("yesterday".into()), ..Default::default() }, None)
                .map(|_| ()),
        ),
        ("future", k.log_activity("call", at(30, 9), None).map(|_| ())),
        (
            "year 226 (found by fuzzing)",
            k.log_activity(
                "call",
                ActivityInput { occurred_at: Some("0226-11-20T10:00:00+00:00".into()), ..Default::default() },
                None,
            )
            .map(|_| ()),
        ),
        ("unknown id", k.edit_activity("nope", at(23, 9)).map(|_| ())),
        (
            "bad edit count",
            k.edit_activity(&a.id, ActivityInput { count: Some(5000), ..Default::default() }).map(|_| ()),
        ),
        ("bad target type", k.set_target("dance", 3, None, None)),
        ("negative target", k.set_target("call", -3, None, None)),
        ("bad due date", k.add_action("x", "2026-02-30", None, None).map(|_| ())),
        ("empty action", k.add_action("  ", "2026-12-01", None, None).map(|_| ())),
        ("empty result", k.action_done("nope", "").map(|_| ())),
        ("other rep", k.log_activity("call", at(23, 9), Some("Bob")).map(|_| ())),
        ("team settings by rep", k.set_team_settings(Some("X"), None, None, None).map(|_| ())),
    ];
    for (what, r) in cases {
        let e = r.expect_err(what);
        assert!(e.is_user_error(), "{what}: {e:?} should be a user error");
        assert!(!e.to_string().is_empty());
    }
    assert_eq!(fingerprint(&k), before, "a refused write changed the store");
}

#[test]
fn managers_act_for_reps_and_reps_only_for_themselves() {
    let dir = tempfile::tempdir().expect("tmp");
    let clock = thursday_3pm();
    let anna = rep_home(dir.path(), &clock);
    let id = Identity {
        team_id: anna.team_id().into(),
        member_id: "0190f0a0-0000-7000-8000-0000000000aa".into(),
        name: "Mia".into(),
        role: Role::Manager,
    };
    let mut mia =
        Kept::create_device(&dir.path().join("mia"), &id, Arc::new(clock), IdSource::seeded(5)).expect("manager");
    mia.set_members(&[anna.me().clone(), Member { id: id.member_id.clone(), name: "Mia".into(), role: Role::Manager }])
        .expect("roster");
    let a = mia.log_activity("meeting-held", at(24, 14), Some("Anna")).expect("log for Anna");
    assert_eq!(a.rep, anna.me().id);
    assert_eq!(a.logged_by, id.member_id);
    mia.set_target("meeting-held", 3, Some("Anna"), None).expect("target for Anna");
    let item = mia.add_action("Role-play the pricing objection", "2026-12-01", Some("Anna"), None).expect("action");
    assert_eq!(item.rep, anna.me().id);
    let board = mia.board(None).expect("board");
    assert_eq!(board.rows.len(), 1);
    let cell = board.rows[0].cells.iter().find(|c| c.kind == "meeting-held").expect("cell");
    assert_eq!((cell.count, cell.target), (1, Some(3)));
    assert!(matches!(anna.board(None), Err(CoreError::NotAllowed(_))));
    assert!(matches!(mia.log_activity("call", at(24, 9), Some("Zed")), Err(CoreError::NotFound(_))));
}

#[test]
fn compaction_keeps_every_record() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut k = rep_home(dir.path(), &thursday_3pm());
    for i in 0..150 {
        k.log_activity("call", ActivityInput { note: Some(Some(format!("n{i}"))), ..at(23 + i % 3, 9) }, None)
            .expect("log");
    }
    let pending: i64 = rusqlite::Connection::open(k.store().path())
        .expect("db")
        .query_row("SELECT MAX(pending) FROM documents WHERE kind = 'log'", [], |r| r.get(0))
        .expect("pending");
    assert_eq!(pending, 151, "writes leave compaction to maintenance");
    assert_eq!(k.store_mut().compact().expect("compact"), 1);
    let pending: i64 = rusqlite::Connection::open(k.store().path())
        .expect("db")
        .query_row("SELECT MAX(pending) FROM documents WHERE kind = 'log'", [], |r| r.get(0))
        .expect("pending");
    assert_eq!(pending, 0, "loose changes were folded into a snapshot");
    let snap: i64 = rusqlite::Connection::open(k.store().path())
        .expect("db")
        .query_row("SELECT LENGTH(snapshot) FROM documents WHERE kind = 'log'", [], |r| r.get(0))
        .expect("snapshot");
    assert!(snap > 0);
    assert_eq!(k.activities(None, None, false).expect("list").len(), 150);
    let before = k.store().view_dump().expect("dump");
    k.store_mut().rebuild_views().expect("rebuild");
    assert_eq!(k.store().view_dump().expect("dump"), before);
    // team genesis + team name + log genesis + 150 logs: all wait for the relay.
    assert_eq!(k.store().pending().expect("outbox"), 153);
}

#[test]
fn trends_bucket_counts_by_team_week() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut k = rep_home(dir.path(), &thursday_3pm());
    k.log_activity("call", ActivityInput { count: Some(3), ..at(23, 9) }, None).expect("log");
    k.log_activity("call", ActivityInput { count: Some(2), ..at(16, 9) }, None).expect("log");
    k.log_activity("proposal", at(15, 23), None).expect("log"); // Sunday night: still week 46
    let t = k.trends(None, 4).expect("trends");
    assert_eq!(t.weeks, vec!["2026-W45", "2026-W46", "2026-W47", "2026-W48"]);
    assert_eq!(t.rows[0].series["call"], vec![0, 0, 2, 3]);
    assert_eq!(t.rows[0].series["proposal"], vec![0, 1, 0, 0]);
}

/// A tap writes its view row from the checked input instead of reading it back
/// out of the document: the row must be exactly what the document says, with
/// every field set, in a team zone where the week is not UTC's.
#[test]
fn a_taps_view_row_is_what_its_document_says() {
    let dir = tempfile::tempdir().expect("tmp");
    let clock = thursday_3pm();
    let opts = InitOptions {
        team: "Acme".into(),
        me: "Anna".into(),
        role: Role::Rep,
        time_zone: Some("Pacific/Auckland".into()),
        week_start: None,
    };
    let mut k =
        Kept::init(&dir.path().join("anna"), opts, Arc::new(clock.clone()), IdSource::seeded(12)).expect("init");
    let full = ActivityInput {
        occurred_at: Some("2026-11-22T23:30:00+00:00".into()),
        count: Some(3),
        duration_min: Some(Some(25)),
        outcome: Some(Some("Booked a demo".into())),
        account: Some(Some("Northwind".into())),
        deal: Some(Some("Northwind renewal".into())),
        note: Some(Some("  asked about pricing  ".into())),
        kare: Some(Some(kept_core::model::Kare::Expand)),
        ..Default::default()
    };
    k.log_activity("call", full, None).expect("log");
    k.log_activity("conversation", at(24, 9), None).expect("log");
    k.log_many(vec![("email".into(), at(25, 9)), ("proposal".into(), at(25, 10))], None).expect("log many");
    let tapped = k.store().view_dump().expect("dump");
    assert!(tapped.iter().any(|r| r.contains("Northwind renewal")), "the row carries every field: {tapped:?}");
    k.store_mut().rebuild_views().expect("rebuild");
    assert_eq!(k.store().view_dump().expect("dump"), tapped, "rows read back out of the documents are the same");
}
