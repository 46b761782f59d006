//! Bad bytes never hurt the store: random change bytes, document ids, weeks
//! and CSV text are refused with an error (never a panic) and change nothing;
//! a damaged store is detected with a clear message and repaired.

use chrono::TimeZone;
use kept_core::docs::DocId;
use kept_core::model::Role;
use kept_core::store::Store;
use kept_core::{FixedClock, IdSource, InitOptions, Kept, Week};
use proptest::prelude::*;
use std::sync::Arc;

fn home() -> (tempfile::TempDir, Kept) {
    let dir = tempfile::tempdir().expect("tmp");
    let clock = FixedClock::new(chrono::Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).single().expect("valid"));
    let opts =
        InitOptions { team: "Acme".into(), me: "Anna".into(), role: Role::Rep, time_zone: None, week_start: None };
    let k = Kept::init(&dir.path().join("h"), opts, Arc::new(clock), IdSource::seeded(9)).expect("init");
    (dir, k)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn garbage_changes_are_refused_and_change_nothing(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let (_d, mut k) = home();
        k.log_activity("call", Default::default(), None).expect("log");
        let before = k.store().view_dump().expect("dump");
        let pending = k.store().pending().expect("pending");
        let id = DocId::log(&k.me().id.clone(), "2026-W48".parse().expect("week"));
        let r = k.store_mut().write(|tx| tx.apply(&id, vec![bytes.clone()], false));
        prop_assert!(r.is_err(), "random bytes are not an Automerge change");
        prop_assert_eq!(k.store().view_dump().expect("dump"), before);
        prop_assert_eq!(k.store().pending().expect("pending"), pending);
    }

    #[test]
    fn ids_weeks_and_csv_never_panic(s in ".{0,80}") {
        let _ = s.parse::<DocId>();
        let _ = s.parse::<Week>();
        let (_d, mut k) = home();
        let before = k.store().view_dump().expect("dump");
        if k.import_csv(s.as_bytes(), None).is_err() {
            prop_assert_eq!(k.store().view_dump().expect("dump"), before);
        }
    }
}

#[test]
fn a_damaged_document_is_found_and_repaired_from_unsent_changes() {
    let (dir, mut k) = home();
    let a = k.log_activity("call", Default::default(), None).expect("log");
    k.log_activity("proposal", Default::default(), None).expect("log");
    drop(k);
    let path = dir.path().join("h");
    let db = rusqlite::Connection::open(path.join("kept.sqlite3")).expect("open");
    // Damage every stored change of the week's log document (not the outbox copy).
    db.execute("UPDATE doc_changes SET bytes = x'00ff00ff' WHERE doc_id LIKE 'log/%'", []).expect("damage");
    drop(db);
    let mut store = Store::open(&path).expect("the store still opens");
    let problems = store.check().expect("check");
    assert!(problems.iter().any(|p| p.contains("cannot be loaded")), "{problems:?}");
    let dropped = store.repair().expect("repair");
    assert_eq!(dropped.len(), 1);
    assert!(store.check().expect("check").is_empty());
    drop(store);
    let k = Kept::open(&path, Arc::new(kept_core::SystemClock), IdSource::random()).expect("open");
    let ids: Vec<String> = k
        .activities(Some("2026-W48".parse().expect("week")), None, false)
        .expect("list")
        .into_iter()
        .map(|x| x.id)
        .collect();
    assert!(ids.contains(&a.id), "unsent changes rebuilt the document");
    assert_eq!(ids.len(), 2);
}

#[test]
fn a_file_that_is_not_a_store_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(dir.path().join("kept.sqlite3"), b"this is not a database, just text").expect("write");
    let e = Store::open(dir.path()).expect_err("not a store");
    assert!(e.to_string().contains("does not hold a readable Kept store"), "{e}");
    let empty = tempfile::tempdir().expect("tmp");
    let e = Store::open(empty.path()).expect_err("no store");
    assert!(e.to_string().contains("is not a Kept home"), "{e}");
}
