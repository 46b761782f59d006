//! The shim against real SQLite files: one write per commit, the same data
//! as plain SQLite sees it, and a rolled-back spill that never lands on
//! another connection's commit.

use super::*;
use rusqlite::{params, Connection};

/// The write counter is per process: tests that read it run one at a time.
static COUNTED: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn wal(conn: &Connection) {
    conn.pragma_update(None, "journal_mode", "WAL").expect("wal");
    conn.pragma_update(None, "synchronous", "NORMAL").expect("normal");
}

#[test]
fn a_commit_is_one_write_and_plain_sqlite_reads_it() {
    let _one = COUNTED.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("a.db");
    let c = open(&path).expect("open through the shim");
    wal(&c);
    c.execute_batch(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT UNIQUE, v BLOB);
         CREATE INDEX t_v ON t (v);",
    )
    .expect("schema");
    // Every transaction below dirties several pages (table, two indexes, and
    // the pages a 3 KB value spills to); plain SQLite writes two per page.
    let before = wal_writes();
    for i in 0..50 {
        c.execute("INSERT INTO t (k, v) VALUES (?1, ?2)", params![format!("key {i:04}"), vec![i as u8; 3000]])
            .expect("insert");
    }
    let writes = wal_writes() - before;
    assert_eq!(writes, 50, "one write per commit");
    let plain = Connection::open(&path).expect("plain");
    let n: i64 = plain.query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0)).expect("count");
    assert_eq!(n, 50, "a reader through the default VFS sees every commit");
    let ok: String = plain.query_row("PRAGMA integrity_check", [], |r| r.get(0)).expect("check");
    assert_eq!(ok, "ok");
    // A checkpoint (reads the WAL back) and more writes, then a fresh open.
    c.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())).expect("checkpoint");
    c.execute("UPDATE t SET v = x'00' WHERE k = 'key 0007'", []).expect("update");
    drop(c);
    let again = open(&path).expect("reopen");
    let v: Vec<u8> = again.query_row("SELECT v FROM t WHERE k = 'key 0007'", [], |r| r.get(0)).expect("read");
    assert_eq!(v, vec![0u8]);
}

#[test]
fn a_rolled_back_spill_never_lands_on_the_next_commit() {
    let _one = COUNTED.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("b.db");
    let a = open(&path).expect("open");
    wal(&a);
    a.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, who TEXT, v BLOB)").expect("schema");
    // A tiny page cache: a big transaction spills pages to the WAL before it
    // ends (frames without a commit mark, gathered by the shim).
    a.pragma_update(None, "cache_size", 4).expect("cache");
    a.execute_batch("BEGIN IMMEDIATE").expect("begin");
    for i in 0..60 {
        a.execute("INSERT INTO t (who, v) VALUES ('a', ?1)", params![vec![i as u8; 2000]]).expect("insert");
    }
    a.execute_batch("ROLLBACK").expect("rollback");
    // Another connection (plain SQLite) commits frames where the spill was.
    let b = Connection::open(&path).expect("plain");
    // (more frames than the spill made, so they cover where it was)
    for i in 0..40 {
        b.execute("INSERT INTO t (who, v) VALUES ('b', ?1)", params![vec![100 + i as u8; 2000]]).expect("insert");
    }
    // The first connection works on: reads the WAL, writes, checkpoints.
    let n: i64 = a.query_row("SELECT COUNT(*) FROM t WHERE who = 'b'", [], |r| r.get(0)).expect("count");
    assert_eq!(n, 40, "b's commits are intact for a");
    a.execute("INSERT INTO t (who, v) VALUES ('a', x'01')", []).expect("insert");
    a.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())).expect("checkpoint");
    let ok: String = b.query_row("PRAGMA integrity_check", [], |r| r.get(0)).expect("check");
    assert_eq!(ok, "ok");
    let rows: Vec<(String, i64)> = {
        let mut st = b.prepare("SELECT who, length(v) FROM t ORDER BY id").expect("prepare");
        let v = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).expect("rows");
        v.collect::<rusqlite::Result<_>>().expect("read")
    };
    let want: Vec<(String, i64)> = (0..40).map(|_| ("b".to_string(), 2000)).chain([("a".to_string(), 1)]).collect();
    assert_eq!(rows, want, "nothing of the rolled-back transaction, all of b's");
}

#[test]
fn a_transaction_larger_than_the_buffer_commits_whole() {
    let _one = COUNTED.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("c.db");
    let c = open(&path).expect("open");
    wal(&c);
    c.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)").expect("schema");
    c.execute_batch("BEGIN").expect("begin");
    for i in 0..1500 {
        c.execute("INSERT INTO t (v) VALUES (?1)", params![vec![(i % 251) as u8; 3000]]).expect("insert");
    }
    c.execute_batch("COMMIT").expect("commit");
    let plain = Connection::open(&path).expect("plain");
    let (n, sum): (i64, i64) =
        plain.query_row("SELECT COUNT(*), SUM(length(v)) FROM t", [], |r| Ok((r.get(0)?, r.get(1)?))).expect("sum");
    assert_eq!((n, sum), (1500, 1500 * 3000));
}
