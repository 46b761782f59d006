//! Property test: replicas of one team (two devices of a rep and a manager's
//! laptop) make random offline edits and merge in random orders; in the end
//! every replica holds identical documents and identical materialised views,
//! and views rebuilt from the documents equal the incrementally kept ones.

use chrono::TimeZone;
use kept_core::model::{ActivityInput, Member, Role};
use kept_core::service::Identity;
use kept_core::{FixedClock, IdSource, InitOptions, Kept};
use proptest::prelude::*;
use std::path::PathBuf;
use std::sync::Arc;

const TYPES: &[&str] = &["call", "conversation", "meeting-set", "proposal"];

#[derive(Debug, Clone)]
enum Op {
    Log { r: usize, t: usize, count: i64, day: i64 },
    EditCount { r: usize, pick: usize, count: i64 },
    EditNote { r: usize, pick: usize, note: u8 },
    Delete { r: usize, pick: usize },
    AddAction { r: usize, due: u32 },
    ActionDone { r: usize, pick: usize, result: u8 },
    ActionDue { r: usize, pick: usize, due: u32 },
    Target { r: usize, t: usize, count: i64 },
    Merge { a: usize, b: usize },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..3usize, 0..TYPES.len(), 1..5i64, 0..6i64).prop_map(|(r, t, count, day)| Op::Log { r, t, count, day }),
        1 => (0..3usize, any::<usize>(), 1..9i64).prop_map(|(r, pick, count)| Op::EditCount { r, pick, count }),
        1 => (0..3usize, any::<usize>(), any::<u8>()).prop_map(|(r, pick, note)| Op::EditNote { r, pick, note }),
        1 => (0..3usize, any::<usize>()).prop_map(|(r, pick)| Op::Delete { r, pick }),
        1 => (0..3usize, 1..28u32).prop_map(|(r, due)| Op::AddAction { r, due }),
        1 => (0..3usize, any::<usize>(), any::<u8>()).prop_map(|(r, pick, result)| Op::ActionDone { r, pick, result }),
        1 => (0..3usize, any::<usize>(), 1..28u32).prop_map(|(r, pick, due)| Op::ActionDue { r, pick, due }),
        1 => (0..3usize, 0..TYPES.len(), 0..50i64).prop_map(|(r, t, count)| Op::Target { r, t, count }),
        2 => (0..3usize, 0..3usize).prop_map(|(a, b)| Op::Merge { a, b }),
    ]
}

struct World {
    _dir: tempfile::TempDir,
    homes: Vec<PathBuf>,
    kept: Vec<Kept>,
    rep: String,
}

fn world() -> World {
    let dir = tempfile::tempdir().expect("temp dir");
    let clock = FixedClock::new(chrono::Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).single().expect("valid"));
    let homes: Vec<PathBuf> = (0..3).map(|i| dir.path().join(format!("r{i}"))).collect();
    let opts =
        InitOptions { team: "Acme".into(), me: "Anna".into(), role: Role::Rep, time_zone: None, week_start: None };
    let a = Kept::init(&homes[0], opts, Arc::new(clock.clone()), IdSource::seeded(1)).expect("init");
    let (b, _) = Kept::clone_device(&homes[1], &homes[0], Arc::new(clock.clone()), IdSource::seeded(2)).expect("clone");
    let manager = Identity {
        team_id: a.team_id().to_string(),
        member_id: "0190f0a0-0000-7000-8000-0000000000aa".into(),
        name: "Mia".into(),
        role: Role::Manager,
    };
    let mut m = Kept::create_device(&homes[2], &manager, Arc::new(clock), IdSource::seeded(3)).expect("manager");
    let rep = a.me().clone();
    m.set_members(&[rep.clone(), Member { id: manager.member_id.clone(), name: "Mia".into(), role: Role::Manager }])
        .expect("roster");
    World { _dir: dir, homes, kept: vec![a, b, m], rep: rep.id }
}

fn ids(k: &Kept, table: &str) -> Vec<String> {
    let db = rusqlite::Connection::open(k.store().path()).expect("db");
    let mut st = db.prepare(&format!("SELECT id FROM {table} ORDER BY id")).expect("query");
    let rows = st.query_map([], |r| r.get::<_, String>(0)).expect("rows");
    rows.map(|r| r.expect("id")).collect()
}

fn pick(v: &[String], i: usize) -> Option<&String> {
    (!v.is_empty()).then(|| &v[i % v.len()])
}

fn apply(w: &mut World, op: &Op) {
    let rep_name = if matches!(op, Op::Log { r: 2, .. } | Op::Target { r: 2, .. } | Op::AddAction { r: 2, .. }) {
        Some("Anna")
    } else {
        None
    };
    match *op {
        Op::Log { r, t, count, day } => {
            let at = format!("2026-11-{:02}T10:00:00+00:00", 23 + day);
            let input = ActivityInput { count: Some(count), occurred_at: Some(at), ..Default::default() };
            w.kept[r].log_activity(TYPES[t], input, rep_name).expect("log");
        }
        Op::EditCount { r, pick: p, count } => {
            if let Some(id) = pick(&ids(&w.kept[r], "activities"), p) {
                w.kept[r].edit_activity(id, ActivityInput { count: Some(count), ..Default::default() }).expect("edit");
            }
        }
        Op::EditNote { r, pick: p, note } => {
            if let Some(id) = pick(&ids(&w.kept[r], "activities"), p) {
                let input = ActivityInput { note: Some(Some(format!("note {note}"))), ..Default::default() };
                w.kept[r].edit_activity(id, input).expect("edit");
            }
        }
        Op::Delete { r, pick: p } => {
            if let Some(id) = pick(&ids(&w.kept[r], "activities"), p) {
                w.kept[r].delete_activity(id).expect("delete");
            }
        }
        Op::AddAction { r, due } => {
            let owner = if r == 2 { Some("Anna") } else { None };
            w.kept[r].add_action("Follow up", &format!("2026-12-{due:02}"), owner, None).expect("add action");
        }
        Op::ActionDone { r, pick: p, result } => {
            if let Some(id) = pick(&ids(&w.kept[r], "action_items"), p) {
                w.kept[r].action_done(id, &format!("result {result}")).expect("done");
            }
        }
        Op::ActionDue { r, pick: p, due } => {
            if let Some(id) = pick(&ids(&w.kept[r], "action_items"), p) {
                w.kept[r].action_edit(id, None, Some(&format!("2026-12-{due:02}")), false).expect("due");
            }
        }
        Op::Target { r, t, count } => {
            w.kept[r].set_target(TYPES[t], count, rep_name, None).expect("target");
        }
        Op::Merge { a, b } => {
            if a != b {
                let other = w.homes[b].clone();
                w.kept[a].merge_from(&other).expect("merge");
            }
        }
    }
}

fn heads(k: &Kept) -> Vec<(String, String)> {
    let db = rusqlite::Connection::open(k.store().path()).expect("db");
    let mut st = db.prepare("SELECT id, heads FROM documents ORDER BY id").expect("query");
    let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).expect("rows");
    rows.map(|r| r.expect("row")).collect()
}

fn views(k: &Kept) -> Vec<String> {
    k.store().view_dump().expect("dump")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn replicas_converge(ops in proptest::collection::vec(op(), 1..24)) {
        let mut w = world();
        for o in &ops {
            apply(&mut w, o);
        }
        // Exchange until quiet: a ring twice reaches everyone.
        for _ in 0..2 {
            for (a, b) in [(0, 1), (1, 2), (2, 0)] {
                apply(&mut w, &Op::Merge { a, b });
            }
        }
        let h0 = heads(&w.kept[0]);
        let v0 = views(&w.kept[0]);
        for r in 1..3 {
            prop_assert_eq!(&heads(&w.kept[r]), &h0, "documents differ on replica {}", r);
            prop_assert_eq!(&views(&w.kept[r]), &v0, "views differ on replica {}", r);
        }
        for r in 0..3 {
            let before = views(&w.kept[r]);
            w.kept[r].store_mut().rebuild_views().expect("rebuild");
            prop_assert_eq!(views(&w.kept[r]), before, "rebuilt views differ on replica {}", r);
        }
        // The activities each replica shows are the rep's, and all of them.
        prop_assert!(ids(&w.kept[2], "activities").len() == ids(&w.kept[0], "activities").len());
        prop_assert!(w.kept[0].activities(Some("2026-W48".parse().expect("week")), None, false).expect("list").iter().all(|a| a.rep == w.rep));
    }
}
