//! The weekly aggregate (`weekly_counts`) the board and trends read: it must
//! always equal a GROUP BY over the activities in the team's weeks — after
//! logs, edits, deletes, a change of the team's week start, and the
//! migration of every older store version.

use chrono::TimeZone;
use kept_core::docs::DocId;
use kept_core::model::{ActivityInput, Role};
use kept_core::{FixedClock, IdSource, InitOptions, Kept};
use std::collections::BTreeMap;
use std::sync::Arc;

fn rep(dir: &std::path::Path) -> Kept {
    // Thursday 26 Nov 2026, 15:00 UTC; a team working alone on this device.
    let clock = FixedClock::new(chrono::Utc.with_ymd_and_hms(2026, 11, 26, 15, 0, 0).single().expect("valid"));
    let opts =
        InitOptions { team: "Acme".into(), me: "Mia".into(), role: Role::Rep, time_zone: None, week_start: None };
    Kept::init(&dir.join("home"), opts, Arc::new(clock), IdSource::seeded(5)).expect("init")
}

fn at(day: u32, hour: u32) -> ActivityInput {
    ActivityInput { occurred_at: Some(format!("2026-11-{day:02}T{hour:02}:00:00+00:00")), ..Default::default() }
}

/// (week, type) → count, straight from the activity rows, weeks cut with the
/// team's current settings.
fn by_hand(k: &Kept) -> BTreeMap<(String, String), i64> {
    let team = k.team().expect("team");
    let conn = rusqlite::Connection::open(k.store().path()).expect("db");
    let mut st = conn.prepare("SELECT occurred_utc, type, count FROM activities").expect("q");
    let mut out = BTreeMap::new();
    for r in st.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?))).expect("rows")
    {
        let (utc, kind, n) = r.expect("row");
        let at = chrono::DateTime::from_timestamp(utc, 0).expect("time");
        let w = kept_core::week::Week::of_instant(at, team.tz(), team.week_start).to_string();
        *out.entry((w, kind)).or_insert(0) += n;
    }
    out
}

fn aggregate(k: &Kept) -> BTreeMap<(String, String), i64> {
    let conn = rusqlite::Connection::open(k.store().path()).expect("db");
    let mut st = conn.prepare("SELECT week, type, count FROM weekly_counts").expect("q");
    st.query_map([], |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?))).expect("rows").map(|r| r.expect("row")).collect()
}

#[test]
fn the_aggregate_follows_logs_edits_deletes_and_the_week_start() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut k = rep(dir.path());
    // Sun 22 Nov (W47 from Monday), Mon 23 and Thu 26 (W48).
    let a = k.log_activity("call", at(22, 10), None).expect("log");
    k.log_activity("call", ActivityInput { count: Some(3), ..at(23, 9) }, None).expect("log");
    let c = k.log_activity("meeting-set", at(26, 11), None).expect("log");
    let want: BTreeMap<(String, String), i64> = [
        (("2026-W47".to_string(), "call".to_string()), 1),
        (("2026-W48".to_string(), "call".to_string()), 3),
        (("2026-W48".to_string(), "meeting-set".to_string()), 1),
    ]
    .into();
    assert_eq!(aggregate(&k), want, "worked out by hand");

    // Moving Sunday's call into Thursday and deleting the meeting.
    k.edit_activity(&a.id, at(26, 12)).expect("edit");
    k.delete_activity(&c.id).expect("delete");
    let want: BTreeMap<(String, String), i64> = [(("2026-W48".to_string(), "call".to_string()), 4)].into();
    assert_eq!(aggregate(&k), want, "the emptied cell is gone, the moved call counted once");

    // Weeks that start on Sunday: Sun 22 Nov opens W48 then.
    k.log_activity("proposal", at(22, 8), None).expect("log");
    // (A rep can't change team settings; the team document is edited directly.)
    k.store_mut()
        .write(|tx| {
            tx.edit(&DocId::team(), 0, |doc| {
                kept_core::docs::team::set_settings(doc, None, None, Some(chrono::Weekday::Sun), None)
            })
        })
        .expect("settings");
    assert_eq!(aggregate(&k), by_hand(&k));
    assert_eq!(aggregate(&k).get(&("2026-W48".to_string(), "proposal".to_string())), Some(&1));

    // The board reads the aggregate.
    let team = k.team().expect("team");
    let me = vec![(k.me().id.clone(), k.me().name.clone())];
    let now = chrono::Utc.with_ymd_and_hms(2026, 11, 26, 15, 0, 0).single().expect("valid");
    let week = k.current_week().expect("week");
    assert_eq!(week.to_string(), "2026-W48");
    let board = kept_core::metrics::board(k.store(), &team, &me, week, now).expect("board");
    let col = board.columns.iter().position(|c| c.key == "call").expect("call column");
    assert_eq!(board.rows[0].cells[col].count, 4);
    let trends = k.trends(None, 3).expect("trends");
    assert_eq!(trends.rows[0].series.get("call"), Some(&vec![0, 0, 4]));

    // And a rebuild from the documents gives the same rows.
    let before = k.store().view_dump().expect("dump");
    k.store_mut().rebuild_views().expect("rebuild");
    assert_eq!(k.store().view_dump().expect("dump"), before);
}

#[test]
fn a_version_1_store_is_migrated_at_open() {
    let dir = tempfile::tempdir().expect("tmp");
    let home = dir.path().join("home");
    let want = {
        let mut k = rep(dir.path());
        for d in 16..27 {
            k.log_activity("call", at(d, 10), None).expect("log");
        }
        let want = aggregate(&k);
        // Turn it back into what version 1 wrote.
        rusqlite::Connection::open(k.store().path())
            .expect("db")
            .execute_batch(
                "DROP TRIGGER activities_weekly_ins; DROP TRIGGER activities_weekly_del;
                 DROP TRIGGER activities_weekly_upd; DROP TABLE weekly_counts;
                 ALTER TABLE activities DROP COLUMN week; ALTER TABLE deals DROP COLUMN created_at;
                 UPDATE meta SET value = '1' WHERE key = 'schema_version';",
            )
            .expect("downgrade");
        want
    };
    assert_eq!(want.values().sum::<i64>(), 11);
    let clock = FixedClock::new(chrono::Utc.with_ymd_and_hms(2026, 11, 26, 15, 0, 0).single().expect("valid"));
    let mut k = Kept::open(&home, Arc::new(clock), IdSource::seeded(6)).expect("open migrates");
    assert_eq!(aggregate(&k), want);
    let now = kept_core::store::schema::SCHEMA_VERSION.to_string();
    assert_eq!(k.store().meta("schema_version").expect("meta").as_deref(), Some(now.as_str()));
    assert!(k.store_mut().check().expect("check").is_empty());
}

/// The tables' SQL as SQLite holds it.
fn table_sql(path: &std::path::Path, table: &str) -> String {
    rusqlite::Connection::open(path)
        .expect("db")
        .query_row("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?1", [table], |r| r.get(0))
        .expect("table")
}

/// A rep's store with eleven taps, turned back into an older store version
/// by `downgrade` (SQL): the expected aggregate, the outbox's hashes in
/// order, and the database file.
fn older_store(
    dir: &std::path::Path,
    downgrade: &str,
) -> (BTreeMap<(String, String), i64>, Vec<String>, std::path::PathBuf) {
    let mut k = rep(dir);
    for d in 16..27 {
        k.log_activity("call", at(d, 10), None).expect("log");
    }
    let want = aggregate(&k);
    let outbox: Vec<String> = k.store().outbox(1000).expect("outbox").into_iter().map(|o| o.hash).collect();
    rusqlite::Connection::open(k.store().path()).expect("db").execute_batch(downgrade).expect("downgrade");
    (want, outbox, k.store().path().to_path_buf())
}

#[test]
fn a_version_2_store_is_migrated_at_open_keeping_its_changes_and_outbox_in_order() {
    let dir = tempfile::tempdir().expect("tmp");
    let home = dir.path().join("home");
    // Turn the tables back into what version 2 wrote (rowid tables, AUTOINCREMENT).
    let (want, outbox, path) = older_store(
        dir.path(),
        "CREATE TABLE dc (doc_id TEXT NOT NULL, hash TEXT NOT NULL, bytes BLOB NOT NULL, PRIMARY KEY (doc_id, hash));
                 INSERT INTO dc SELECT doc_id, hash, bytes FROM doc_changes;
                 DROP TABLE doc_changes; ALTER TABLE dc RENAME TO doc_changes;
                 CREATE TABLE ob (seq INTEGER PRIMARY KEY AUTOINCREMENT, doc_id TEXT NOT NULL, hash TEXT NOT NULL UNIQUE, bytes BLOB NOT NULL);
                 INSERT INTO ob SELECT seq, doc_id, hash, bytes FROM outbox;
                 DROP TABLE outbox; ALTER TABLE ob RENAME TO outbox;
                 CREATE TABLE ac AS SELECT * FROM activities;
                 DROP TABLE activities; ALTER TABLE ac RENAME TO activities;
                 UPDATE meta SET value = '2' WHERE key = 'schema_version';",
    );
    assert!(!table_sql(&path, "doc_changes").contains("WITHOUT ROWID"), "the downgrade took");
    assert!(outbox.len() > 11, "the eleven taps (and the documents' first changes) wait to go out");
    let clock = FixedClock::new(chrono::Utc.with_ymd_and_hms(2026, 11, 26, 15, 0, 0).single().expect("valid"));
    let mut k = Kept::open(&home, Arc::new(clock), IdSource::seeded(6)).expect("open migrates");
    assert_eq!(aggregate(&k), want);
    let after: Vec<String> = k.store().outbox(1000).expect("outbox").into_iter().map(|o| o.hash).collect();
    assert_eq!(after, outbox, "every unsent change is still queued, in the same order");
    for t in ["doc_changes", "activities"] {
        assert!(table_sql(&path, t).contains("WITHOUT ROWID"), "{t} was rebuilt");
    }
    assert!(!table_sql(&path, "outbox").contains("AUTOINCREMENT"));
    let now = kept_core::store::schema::SCHEMA_VERSION.to_string();
    assert_eq!(k.store().meta("schema_version").expect("meta").as_deref(), Some(now.as_str()));
    assert!(k.store_mut().check().expect("check").is_empty());
    // And it keeps working: one more tap lands in the view and the outbox.
    k.log_activity("call", at(26, 14), None).expect("log");
    assert_eq!(aggregate(&k).values().sum::<i64>(), want.values().sum::<i64>() + 1);
    assert_eq!(k.store().outbox(1000).expect("outbox").len(), outbox.len() + 1);
}

/// The indexes SQLite holds for `table` (their names, sorted).
fn indexes(path: &std::path::Path, table: &str) -> Vec<String> {
    let c = rusqlite::Connection::open(path).expect("db");
    let mut st =
        c.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?1 ORDER BY name").expect("q");
    let v =
        st.query_map([table], |r| r.get(0)).expect("rows").collect::<rusqlite::Result<Vec<String>>>().expect("read");
    v
}

#[test]
fn a_version_3_store_is_migrated_at_open_keeping_its_outbox_in_order() {
    let dir = tempfile::tempdir().expect("tmp");
    let home = dir.path().join("home");
    // Turn it back into what version 3 wrote: a unique index on the
    // outbox's hash and an index on the activities' time.
    let (want, outbox, path) = older_store(
        dir.path(),
        "CREATE TABLE ob (seq INTEGER PRIMARY KEY, doc_id TEXT NOT NULL, hash TEXT NOT NULL UNIQUE, bytes BLOB NOT NULL);
                 INSERT INTO ob SELECT seq, doc_id, hash, bytes FROM outbox;
                 DROP TABLE outbox; ALTER TABLE ob RENAME TO outbox;
                 CREATE INDEX activities_time ON activities (occurred_utc);
                 UPDATE meta SET value = '3' WHERE key = 'schema_version';",
    );
    assert_eq!(indexes(&path, "outbox"), vec!["sqlite_autoindex_outbox_1".to_string()], "the downgrade took");
    let clock = FixedClock::new(chrono::Utc.with_ymd_and_hms(2026, 11, 26, 15, 0, 0).single().expect("valid"));
    let mut k = Kept::open(&home, Arc::new(clock), IdSource::seeded(6)).expect("open migrates");
    assert_eq!(aggregate(&k), want);
    let after: Vec<String> = k.store().outbox(1000).expect("outbox").into_iter().map(|o| o.hash).collect();
    assert_eq!(after, outbox, "every unsent change is still queued, in the same order");
    assert!(indexes(&path, "outbox").is_empty(), "one b-tree per tap in the outbox");
    assert!(!indexes(&path, "activities").contains(&"activities_time".to_string()));
    let now = kept_core::store::schema::SCHEMA_VERSION.to_string();
    assert_eq!(k.store().meta("schema_version").expect("meta").as_deref(), Some(now.as_str()));
    assert!(k.store_mut().check().expect("check").is_empty());
    k.log_activity("call", at(26, 14), None).expect("log");
    assert_eq!(k.store().outbox(1000).expect("outbox").len(), outbox.len() + 1);
}
