//! SQLite storage (rusqlite, WAL, synchronous=NORMAL): one writer connection behind a mutex, a small pool of readers, blocking calls on `spawn_blocking`.

use super::{
    sqlite_auth as auth, sqlite_log as log, Caller, JoinPlan, Joined, NewChange, NewInvite, PullPage, ReadScope,
    Storage, StorageError, StorageResult,
};
use async_trait::async_trait;
use kept_protocol::wire::{DeviceInfo, MemberInfo};
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub(crate) const SCHEMA: &str = include_str!("schema.sql");
/// The schema version this build writes (`PRAGMA user_version`).
pub const SCHEMA_VERSION: i64 = 3;
/// Tables every kept-relay database has.
const RELAY_TABLES: &[&str] = &["teams", "team_seq", "members", "devices", "invites", "docs", "changes", "snapshots"];
/// Reader connections kept open between calls.
const MAX_IDLE_READERS: usize = 8;

impl From<rusqlite::Error> for StorageError {
    fn from(e: rusqlite::Error) -> Self {
        StorageError::Backend(e.to_string())
    }
}

/// The SQLite store.
#[derive(Clone)]
pub struct SqliteStorage {
    path: PathBuf,
    writer: Arc<Mutex<Connection>>,
    readers: Arc<Mutex<Vec<Connection>>>,
    cache: Arc<crate::gate::DocCache>,
}

/// Version 3 added `docs.version`: an older file gets the column (counted
/// from its stored changes) before the schema runs.
fn upgrade_v2(c: &Connection) -> StorageResult<()> {
    let has_docs: bool =
        c.query_row("SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'docs'", [], |r| r.get(0))?;
    if !has_docs {
        return Ok(());
    }
    let has_version: bool =
        c.query_row("SELECT count(*) > 0 FROM pragma_table_info('docs') WHERE name = 'version'", [], |r| r.get(0))?;
    if !has_version {
        c.execute_batch(
            "BEGIN; ALTER TABLE docs ADD COLUMN version INTEGER NOT NULL DEFAULT 0; \
             UPDATE docs SET version = (SELECT count(*) FROM changes WHERE changes.doc_id = docs.id); COMMIT;",
        )?;
    }
    Ok(())
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
        _ => StorageError::Backend(format!("cannot open the database {shown}: {e}")),
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
    let conn = Connection::open(path)
        .map_err(|e| StorageError::Backend(format!("cannot open the database {}: {e}", path.display())))?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL").map_err(|e| describe_open_error(path, e))?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // A bigger page cache and fewer checkpoints (each one fsyncs) keep batched ingest fast.
    conn.pragma_update(None, "cache_size", -65536)?;
    conn.pragma_update(None, "wal_autocheckpoint", 10000)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

impl SqliteStorage {
    /// Opens (creating if needed) the database at `path` and applies the schema.
    pub fn open(path: &Path) -> StorageResult<SqliteStorage> {
        let writer = open_conn(path)?;
        verify_file(&writer, path)?;
        upgrade_v2(&writer)?;
        writer.execute_batch(SCHEMA).map_err(|e| describe_open_error(path, e))?;
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

    async fn write<T, F>(&self, f: F) -> StorageResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> StorageResult<T> + Send + 'static,
    {
        let writer = self.writer.clone();
        tokio::task::spawn_blocking(move || {
            // A panic mid-transaction rolls the transaction back on drop, so the connection stays usable.
            let mut conn = writer.lock().unwrap_or_else(|p| p.into_inner());
            f(&mut conn)
        })
        .await
        .map_err(|e| StorageError::Backend(format!("storage task failed: {e}")))?
    }

    async fn read<T, F>(&self, f: F) -> StorageResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> StorageResult<T> + Send + 'static,
    {
        let readers = self.readers.clone();
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || {
            let pooled = readers.lock().unwrap_or_else(|p| p.into_inner()).pop();
            let mut conn = match pooled {
                Some(c) => c,
                None => open_conn(&path)?,
            };
            let out = f(&mut conn);
            let mut pool = readers.lock().unwrap_or_else(|p| p.into_inner());
            if pool.len() < MAX_IDLE_READERS {
                pool.push(conn);
            }
            out
        })
        .await
        .map_err(|e| StorageError::Backend(format!("storage task failed: {e}")))?
    }
}

#[async_trait]
impl Storage for SqliteStorage {
    async fn create_team(&self, team_id: &str, name: &str, now: i64, invite: NewInvite) -> StorageResult<()> {
        let (team_id, name) = (team_id.to_string(), name.to_string());
        self.write(move |c| auth::create_team(c, &team_id, &name, now, &invite)).await
    }

    async fn insert_invite(&self, invite: NewInvite) -> StorageResult<()> {
        self.write(move |c| auth::insert_invite(c, &invite)).await
    }

    async fn redeem_invite(&self, plan: JoinPlan) -> StorageResult<Joined> {
        self.write(move |c| auth::redeem_invite(c, &plan)).await
    }

    async fn caller_by_token(&self, token_hash: &str) -> StorageResult<Option<Caller>> {
        let h = token_hash.to_string();
        self.read(move |c| auth::caller_by_token(c, &h)).await
    }

    async fn device_active(&self, device_id: &str) -> StorageResult<bool> {
        let d = device_id.to_string();
        self.read(move |c| auth::device_active(c, &d)).await
    }

    async fn members(&self, team_id: &str) -> StorageResult<Vec<MemberInfo>> {
        let t = team_id.to_string();
        self.read(move |c| auth::members(c, &t)).await
    }

    async fn remove_member(&self, team_id: &str, member_id: &str) -> StorageResult<Vec<String>> {
        let (t, m) = (team_id.to_string(), member_id.to_string());
        self.write(move |c| auth::remove_member(c, &t, &m)).await
    }

    async fn devices(&self, team_id: &str, member_id: Option<&str>) -> StorageResult<Vec<DeviceInfo>> {
        let (t, m) = (team_id.to_string(), member_id.map(str::to_string));
        self.read(move |c| auth::devices(c, &t, m.as_deref())).await
    }

    async fn revoke_device(&self, team_id: &str, device_id: &str) -> StorageResult<()> {
        let (t, d) = (team_id.to_string(), device_id.to_string());
        self.write(move |c| auth::revoke_device(c, &t, &d)).await
    }

    async fn push(&self, team_id: &str, author: &str, changes: Vec<NewChange>) -> StorageResult<i64> {
        let (t, a, cache) = (team_id.to_string(), author.to_string(), self.cache.clone());
        self.write(move |c| log::push(c, &t, &a, &changes, &cache)).await
    }

    async fn pull(&self, team_id: &str, scope: ReadScope, cursor: i64, limit: u32) -> StorageResult<PullPage> {
        let t = team_id.to_string();
        self.read(move |c| log::pull(c, &t, &scope, cursor, limit)).await
    }

    async fn hash_at(&self, team_id: &str, seq: i64) -> StorageResult<Option<Vec<u8>>> {
        let t = team_id.to_string();
        self.read(move |c| log::hash_at(c, &t, seq)).await
    }

    async fn team_seq(&self, team_id: &str) -> StorageResult<i64> {
        let t = team_id.to_string();
        self.read(move |c| log::team_seq(c, &t)).await
    }

    async fn compact(&self, team_id: &str) -> StorageResult<i64> {
        let t = team_id.to_string();
        let built = {
            let t = t.clone();
            self.read(move |c| log::build_snapshots(c, &t)).await?
        };
        self.write(move |c| log::store_snapshots(c, &t, built)).await
    }

    async fn compaction_backlog(&self) -> StorageResult<Vec<(String, i64)>> {
        self.read(log::compaction_backlog).await
    }
}
