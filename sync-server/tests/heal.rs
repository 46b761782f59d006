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

/// A relay's database: back it up, and restore it into a new relay on the same address.
trait Disk {
    fn start(&self, listen: &str) -> Relay;
    fn backup(&self);
    fn restore(&self);
    /// Changes stored twice (by document and hash).
    fn stored_twice(&self) -> i64;
}

struct SqliteDisk {
    db: std::path::PathBuf,
    backup: std::path::PathBuf,
}

impl Disk for SqliteDisk {
    fn start(&self, listen: &str) -> Relay {
        Relay::start_sqlite_file(self.db.clone(), listen)
    }
    fn backup(&self) {
        rusqlite::Connection::open(&self.db)
            .unwrap()
            .execute("VACUUM INTO ?1", [self.backup.to_str().unwrap()])
            .unwrap();
    }
    fn restore(&self) {
        for ext in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{ext}", self.db.display()));
        }
        std::fs::copy(&self.backup, &self.db).unwrap();
    }
    fn stored_twice(&self) -> i64 {
        rusqlite::Connection::open(&self.db).unwrap().query_row(TWICE, [], |r| r.get(0)).unwrap()
    }
}

struct PgDisk {
    pg: std::sync::Arc<TestDb>,
    dump: std::path::PathBuf,
}

impl Disk for PgDisk {
    fn start(&self, listen: &str) -> Relay {
        Relay::start_on_at(&self.pg, listen)
    }
    fn backup(&self) {
        let out = std::process::Command::new("pg_dump")
            .args(["-Fc", "-d", &self.pg.url, "-f"])
            .arg(&self.dump)
            .output()
            .expect("pg_dump (apt-get install postgresql-client)");
        assert!(out.status.success(), "pg_dump: {}", String::from_utf8_lossy(&out.stderr));
    }
    fn restore(&self) {
        let name = &self.pg.name;
        pg_admin(&format!("DROP DATABASE {name} WITH (FORCE)")).unwrap();
        pg_admin(&format!("CREATE DATABASE {name}")).unwrap();
        let out = std::process::Command::new("pg_restore")
            .args(["-d", &self.pg.url])
            .arg(&self.dump)
            .output()
            .expect("pg_restore");
        assert!(out.status.success(), "pg_restore: {}", String::from_utf8_lossy(&out.stderr));
    }
    fn stored_twice(&self) -> i64 {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let (client, conn) = tokio_postgres::connect(&self.pg.url, tokio_postgres::NoTls).await.unwrap();
            tokio::spawn(conn);
            client.query_one(TWICE, &[]).await.unwrap().get(0)
        })
    }
}

const TWICE: &str = "SELECT count(*) FROM (SELECT hash FROM changes GROUP BY doc_id, hash HAVING count(*) > 1) t";

fn a_relay_restored_from_a_backup_gets_back_what_devices_hold(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let disk: Box<dyn Disk> = match backend {
        Backend::Sqlite => {
            Box::new(SqliteDisk { db: dir.path().join("relay.sqlite3"), backup: dir.path().join("backup.sqlite3") })
        }
        Backend::Postgres => Box::new(PgDisk { pg: TestDb::create(), dump: dir.path().join("backup.dump") }),
    };
    let mut relay = disk.start("127.0.0.1:0");
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
    disk.backup();
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
    disk.restore();
    let relay = disk.start(&addr.to_string());
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
    assert_eq!(disk.stored_twice(), 0, "no change stored twice");
    let (db, shown) = match backend {
        Backend::Sqlite => (dir.path().join("relay.sqlite3").display().to_string(), "sqlite"),
        Backend::Postgres => (relay.pg.as_ref().unwrap().url.clone(), "pg"),
    };
    let report = relay.rt.block_on(kept_relay::check::run(&db, shown, false)).unwrap();
    assert!(report.healthy(), "{}", report.text());
}

on_both_backends!(a_relay_restored_from_a_backup_gets_back_what_devices_hold);
