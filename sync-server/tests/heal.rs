//! Sync heals: a relay restored from a backup taken before the last round of
//! activity gets back, from the devices, everything they still hold. Each
//! device notices that the relay no longer holds the last change it saw
//! (`seen` on the pull → `reset`), starts again from cursor 0 and offers its
//! own changes again; changes that wait for another device's wait in the
//! outbox until that device has offered them. Nothing lost, nothing twice.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use common::*;
use kept_core::model::{ActivityInput, Role};
use kept_core::Kept;

fn log(k: &mut Kept, kind: &str, n: usize) {
    for _ in 0..n {
        k.log_activity(kind, ActivityInput::default(), None).unwrap();
    }
}

#[test]
fn a_relay_restored_from_a_backup_gets_back_what_devices_hold() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("relay.sqlite3");
    let mut relay = Relay::start_sqlite_file(db.clone(), "127.0.0.1:0");
    let addr = relay.addr;
    let created = relay.create_team("Acme", "Maria");
    let mut manager = join_home(&relay, &dir.path().join("maria"), &created.invite);
    let inv = manager.invite(Role::Rep, Some("Ann")).unwrap();
    let mut ann = join_home(&relay, &dir.path().join("ann"), &inv.code);
    let inv = manager.invite(Role::Rep, Some("Bob")).unwrap();
    let mut bob = join_home(&relay, &dir.path().join("bob"), &inv.code);
    log(&mut ann, "call", 2);
    log(&mut bob, "call", 1);
    for k in [&mut ann, &mut bob, &mut manager] {
        k.sync().unwrap();
    }
    // Last night's backup.
    let backup = dir.path().join("backup.sqlite3");
    rusqlite::Connection::open(&db).unwrap().execute("VACUUM INTO ?1", [backup.to_str().unwrap()]).unwrap();
    // A day of activity, all of it acknowledged by the relay.
    log(&mut ann, "call", 3);
    log(&mut ann, "meeting-set", 1);
    log(&mut bob, "conversation", 2);
    for k in [&mut ann, &mut bob, &mut manager] {
        k.sync().unwrap();
    }
    manager.set_target("call", 12, Some("Ann"), None).unwrap();
    manager.sync().unwrap();
    for k in [&mut ann, &mut bob, &mut manager] {
        k.sync().unwrap();
    }
    let before = manager.board(None).unwrap();
    assert_eq!(ann.sync_status(false).unwrap().pending, 0);
    // The relay's disk dies; it is restored from the backup, same address.
    relay.stop();
    drop(relay);
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", db.display()));
    }
    std::fs::copy(&backup, &db).unwrap();
    let relay = Relay::start_sqlite_file(db.clone(), &addr.to_string());
    // Everyone syncs (twice: a change can wait for another device's).
    for _ in 0..2 {
        for k in [&mut ann, &mut bob, &mut manager] {
            k.sync().unwrap();
        }
    }
    assert_eq!(manager.board(None).unwrap().rows, before.rows, "the manager's board is as before the restore");
    for k in [&ann, &bob, &manager] {
        let s = k.sync_status(false).unwrap();
        assert_eq!(s.pending, 0, "nothing left waiting: {s:?}");
        assert!(s.quarantined.is_empty(), "{s:?}");
    }
    let week = ann.week_summary(None, None).unwrap();
    let calls = week.rows.iter().find(|r| r.kind == "call").unwrap();
    assert_eq!((calls.count, calls.target), (5, Some(12)), "Ann's history and target are whole");
    // A brand-new device bootstraps the same board; nothing is stored twice.
    let inv = manager.invite(Role::Manager, Some("Deputy")).unwrap();
    let fresh = join_home(&relay, &dir.path().join("deputy"), &inv.code);
    assert_eq!(fresh.board(None).unwrap().rows, before.rows);
    let c = rusqlite::Connection::open(&db).unwrap();
    let twice: i64 = c
        .query_row(
            "SELECT count(*) FROM (SELECT hash FROM changes GROUP BY doc_id, hash HAVING count(*) > 1)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(twice, 0, "no change stored twice");
    let report = relay.rt.block_on(kept_relay::check::run(&db.display().to_string(), "sqlite", false)).unwrap();
    assert!(report.healthy(), "{}", report.text());
}
