//! SQLite storage (rusqlite, WAL, synchronous=NORMAL): one writer connection
//! behind a mutex, a small pool of readers, work on `spawn_blocking`; opening
//! a file checks and upgrades its schema. The statements are in
//! [`super::sqlite_ops`], the rules in [`super::rules`].

use super::backend::{Backend, Mode, Work};
use super::sqlite_ops::SqliteOps;
use super::{StorageError, StorageResult};
use crate::gate::DocCache;
use async_trait::async_trait;
use rusqlite::{params, Connection};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub(crate) const SCHEMA: &str = include_str!("schema.sql");
/// The schema version this build writes (`PRAGMA user_version`).
pub const SCHEMA_VERSION: i64 = 6;
/// Tables every kept-relay database has.
const RELAY_TABLES: &[&str] = &["teams", "team_seq", "members", "devices", "invites", "docs", "changes", "snapshots"];
/// Reader connections kept open between calls.
const MAX_IDLE_READERS: usize = 8;

/// The SQLite store.
#[derive(Clone)]
pub struct SqliteStorage {
    path: PathBuf,
    writer: Arc<Mutex<Connection>>,
    readers: Arc<Mutex<Vec<Connection>>>,
    cache: Arc<DocCache>,
}

/// What older files lack, added before the schema runs: (table, the column
/// a version added, the statements that add and fill it).
/// - Version 3 added `docs.version`, counted from the stored changes.
/// - Version 4 added `members.name_key` (names unique by [`super::name_key`]
///   on every backend; version 3 compared them ASCII-only) and dropped the old
///   index; [`fill_name_keys`] fills the keys after the schema ran.
/// - Version 5 added organisations: `teams.org_id`, `members.via` and
///   `devices.parent` (the `orgs` table comes with the schema).
/// - Version 6 added the `blobs` table (it comes with the schema).
const UPGRADES: &[(&str, &str, &str)] = &[
    (
        "docs",
        "version",
        "ALTER TABLE docs ADD COLUMN version INTEGER NOT NULL DEFAULT 0; \
         UPDATE docs SET version = (SELECT count(*) FROM changes WHERE changes.doc_id = docs.id);",
    ),
    ("members", "name_key", "ALTER TABLE members ADD COLUMN name_key TEXT; DROP INDEX IF EXISTS members_name;"),
    ("teams", "org_id", "ALTER TABLE teams ADD COLUMN org_id TEXT;"),
    ("members", "via", "ALTER TABLE members ADD COLUMN via TEXT;"),
    ("devices", "parent", "ALTER TABLE devices ADD COLUMN parent TEXT;"),
];

fn upgrade(c: &Connection) -> StorageResult<()> {
    for (table, column, sql) in UPGRADES {
        let missing: bool = c.query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1) \
             AND NOT EXISTS (SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2)",
            params![table, column],
            |r| r.get(0),
        )?;
        if missing {
            c.execute_batch(&format!("BEGIN; {sql} COMMIT;"))?;
        }
    }
    Ok(())
}

/// Fills the name key of members that have none (from a file of version 3,
/// or rows `kept-relay check --repair` salvaged), by [`super::rules::assign_name_keys`].
pub(crate) fn fill_name_keys(c: &mut Connection) -> StorageResult<usize> {
    let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let missing: Vec<super::rules::UnkeyedMember> = {
        let mut st =
            tx.prepare("SELECT id, team_id, name, active FROM members WHERE name_key IS NULL ORDER BY created_at, id")?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    if missing.is_empty() {
        return Ok(0);
    }
    let taken: Vec<(String, String)> = {
        let mut st = tx.prepare("SELECT team_id, name_key FROM members WHERE name_key IS NOT NULL AND active = 1")?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    let keys = super::rules::assign_name_keys(taken, missing);
    {
        let mut up = tx.prepare("UPDATE members SET name_key = ?2 WHERE id = ?1")?;
        for (id, key) in &keys {
            up.execute(params![id, key])?;
        }
    }
    tx.commit()?;
    Ok(keys.len())
}

/// A clear message for a file SQLite cannot use as a database.
pub(crate) fn describe_open_error(path: &Path, e: rusqlite::Error) -> StorageError {
    let shown = path.display();
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase) => StorageError::Invalid(format!(
            "{shown} is not a kept-relay database: SQLite says it is not a database at all (another kind of file, \
             or damaged beyond recognition). Point --db at the relay's database file (or a new path to start one)"
        )),
        Some(rusqlite::ErrorCode::DatabaseCorrupt) => StorageError::Invalid(format!(
            "{shown} is damaged ({e}): stop the relay, back the file up and run `kept-relay check --repair --db {shown}`"
        )),
        _ => StorageError::Open { path: path.to_path_buf(), source: e },
    }
}

/// Refuses a file that is not a kept-relay database (or is a newer one)
/// before the schema is applied to it.
fn verify_file(conn: &Connection, path: &Path) -> StorageResult<()> {
    let shown = path.display();
    let version: i64 =
        conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(|e| describe_open_error(path, e))?;
    if version > SCHEMA_VERSION {
        return Err(StorageError::Invalid(format!(
            "{shown} was written by a newer kept-relay (schema version {version}; this one knows {SCHEMA_VERSION}): upgrade kept-relay"
        )));
    }
    let mut st = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .map_err(|e| describe_open_error(path, e))?;
    let tables: Vec<String> =
        st.query_map([], |r| r.get(0)).and_then(|rows| rows.collect()).map_err(|e| describe_open_error(path, e))?;
    if !tables.is_empty() && !tables.iter().any(|t| RELAY_TABLES.contains(&t.as_str())) {
        let hint = if tables.iter().any(|t| t == "outbox") { " (it looks like a kept client's store)" } else { "" };
        return Err(StorageError::Invalid(format!(
            "{shown} is a SQLite database of something else{hint}, not a kept-relay database (its tables: {}). \
             Point --db at the relay's database file or a new path",
            tables.join(", ")
        )));
    }
    Ok(())
}

fn open_conn(path: &Path) -> StorageResult<Connection> {
    // Through the WAL shim: a commit reaches the OS in one write instead of two per page.
    let conn = kept_wal_batch::open(path).map_err(|source| StorageError::Open { path: path.to_path_buf(), source })?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL").map_err(|e| describe_open_error(path, e))?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // A bigger page cache and fewer checkpoints (each one fsyncs) keep batched ingest fast.
    conn.pragma_update(None, "cache_size", -65536)?;
    conn.pragma_update(None, "wal_autocheckpoint", 10000)?;
    // One plan per statement, whatever is bound (SQLite's query planner
    // stability guarantee): without it, under ingest, the token lookup every
    // request makes was parsed and planned again each time (1.7 % of the
    // relay's CPU in `sqlite3Reprepare`; BENCHMARKS.md, 2026-12-03).
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

impl SqliteStorage {
    /// Opens (creating if needed) the database at `path` and applies the schema.
    pub fn open(path: &Path) -> StorageResult<SqliteStorage> {
        let mut writer = open_conn(path)?;
        verify_file(&writer, path)?;
        upgrade(&writer)?;
        writer.execute_batch(SCHEMA).map_err(|e| describe_open_error(path, e))?;
        let filled = fill_name_keys(&mut writer)?;
        if filled > 0 {
            tracing::info!(members = filled, "filled in the name key of existing members");
        }
        Ok(SqliteStorage {
            path: path.to_path_buf(),
            writer: Arc::new(Mutex::new(writer)),
            readers: Arc::new(Mutex::new(Vec::new())),
            cache: Arc::default(),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Runs `work` on `conn` inside `begin` (none: no transaction), on this
/// blocking thread: the SQLite [`Ops`] never wait, so `block_on` only drives them.
fn run_on<T>(
    conn: &mut Connection,
    begin: Option<&str>,
    rt: &tokio::runtime::Handle,
    work: Work<T>,
) -> StorageResult<T> {
    if !conn.is_autocommit() {
        // A transaction left open by a panic in earlier work: drop what it did.
        conn.execute_batch("ROLLBACK")?;
    }
    // `BEGIN` and `COMMIT` from cached statements, not compiled per request.
    if let Some(begin) = begin {
        conn.prepare_cached(begin)?.execute([])?;
    }
    let out = rt.block_on(work(&mut SqliteOps { conn: &mut *conn }));
    if begin.is_some() {
        match &out {
            Ok(_) => {
                conn.prepare_cached("COMMIT")?.execute([])?;
            }
            // The work's error is the one to report; a transaction this leaves
            // open is rolled back before the connection's next work.
            Err(_) => {
                if let Err(e) = conn.execute_batch("ROLLBACK") {
                    tracing::warn!(error = %super::chain(&e), "rollback failed");
                }
            }
        }
    }
    out
}

#[async_trait]
impl Backend for SqliteStorage {
    async fn run<T: Send + 'static>(&self, mode: Mode, work: Work<T>) -> StorageResult<T> {
        let rt = tokio::runtime::Handle::current();
        let task = match mode {
            Mode::Write => {
                let writer = self.writer.clone();
                tokio::task::spawn_blocking(move || {
                    let mut conn = writer.lock().unwrap_or_else(|p| p.into_inner());
                    run_on(&mut conn, Some("BEGIN IMMEDIATE"), &rt, work)
                })
            }
            Mode::Snapshot | Mode::Single => {
                let (readers, path) = (self.readers.clone(), self.path.clone());
                tokio::task::spawn_blocking(move || {
                    let pooled = readers.lock().unwrap_or_else(|p| p.into_inner()).pop();
                    let mut conn = match pooled {
                        Some(c) => c,
                        None => open_conn(&path)?,
                    };
                    let begin = (mode == Mode::Snapshot).then_some("BEGIN");
                    let out = run_on(&mut conn, begin, &rt, work);
                    let mut pool = readers.lock().unwrap_or_else(|p| p.into_inner());
                    if pool.len() < MAX_IDLE_READERS {
                        pool.push(conn);
                    }
                    out
                })
            }
        };
        task.await?
    }

    fn doc_cache(&self) -> &Arc<DocCache> {
        &self.cache
    }

    fn blob_bytes(&self) -> Arc<dyn crate::blobs::BlobBytes> {
        Arc::new(crate::blobs::DirBlobs::beside(&self.path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::config::DbConfig;

    /// Under ingest, every token lookup was parsed and planned again (perf:
    /// `sqlite3Reprepare` under `token`, 1.7 % of the relay's CPU) until the
    /// connections fixed one plan per statement; every connection the relay
    /// opens, writer and readers, must have it.
    #[test]
    fn every_connection_keeps_one_plan_per_statement() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("relay.sqlite3");
        let storage = SqliteStorage::open(&path).expect("open");
        let writer = storage.writer.lock().expect("writer");
        assert!(writer.db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG).expect("config"), "writer");
        let reader = open_conn(&path).expect("reader");
        assert!(reader.db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG).expect("config"), "reader");
    }
}
