//! The check's SQLite side: reads without applying the schema, applies fixes in
//! one transaction, and repairs a damaged file (re-index, else salvage the
//! readable rows into a new file and keep the damaged one beside it).

use super::{ChangeRow, DeviceRow, DocRow, FileRepair, Fix, Inspect, Problem, SnapRow, Table, TeamRow};
use crate::storage::sqlite::{describe_open_error, SCHEMA};
use crate::storage::{chain, StorageError, StorageResult};
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The tables of the SQLite schema besides [`super::TABLES`].
const OWN_TABLES: &[Table] = &[("changes", &["team_id", "seq", "doc_id", "akey", "aseq", "reader", "hash", "data"])];

/// A relay database opened for checking.
pub(crate) struct SqliteInspect {
    conn: Mutex<Connection>,
}

fn open_plain(path: &Path) -> StorageResult<Connection> {
    if !path.is_file() {
        return Err(StorageError::Invalid(format!("there is no database at {}", path.display())));
    }
    let conn = Connection::open(path).map_err(|source| StorageError::Open { path: path.to_path_buf(), source })?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    // Reading the header: fails at once for a file that is not a database.
    conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0)).map_err(|e| describe_open_error(path, e))?;
    Ok(conn)
}

impl SqliteInspect {
    /// Opens the file (it must exist and be a SQLite database).
    pub(crate) fn open(path: &Path) -> StorageResult<SqliteInspect> {
        Ok(SqliteInspect { conn: Mutex::new(open_plain(path)?) })
    }

    fn with<T>(&self, f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>) -> StorageResult<T> {
        let mut c = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        Ok(f(&mut c)?)
    }
}

fn integrity(c: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut st = c.prepare("PRAGMA integrity_check(50)")?;
    let rows = st.query_map([], |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for r in rows {
        let r = r?;
        if r != "ok" {
            out.push(format!("SQLite integrity_check: {r}"));
        }
    }
    Ok(out)
}

fn has_table(c: &Connection, name: &str) -> rusqlite::Result<bool> {
    c.query_row("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1", [name], |_| Ok(()))
        .optional()
        .map(|o| o.is_some())
}

#[async_trait::async_trait]
impl Inspect for SqliteInspect {
    async fn integrity(&self) -> StorageResult<Vec<(String, bool)>> {
        match self.with(|c| integrity(c)) {
            Ok(p) => Ok(p.into_iter().map(|p| (p, true)).collect()),
            Err(e) if e.is_backend() => Ok(vec![(format!("SQLite cannot check the file: {}", chain(&e)), true)]),
            Err(e) => Err(e),
        }
    }

    async fn columns(&self, table: &str) -> StorageResult<BTreeSet<String>> {
        self.with(|c| {
            let mut st = c.prepare("SELECT name FROM pragma_table_info(?1)")?;
            let have = st.query_map([table], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<_>>()?;
            Ok(have)
        })
    }

    fn own_tables(&self) -> &'static [Table] {
        OWN_TABLES
    }

    fn schema_hint(&self) -> Option<&'static str> {
        Some("this is not a kept-relay database, or it is damaged beyond repair")
    }

    async fn teams(&self) -> StorageResult<Vec<TeamRow>> {
        self.with(|c| {
            let mut st = c.prepare(
                "SELECT t.id, s.seq, s.compacted, 1 FROM teams t LEFT JOIN team_seq s ON s.team_id = t.id \
                 UNION ALL SELECT s.team_id, s.seq, s.compacted, 0 FROM team_seq s \
                 WHERE s.team_id NOT IN (SELECT id FROM teams) ORDER BY 1",
            )?;
            let rows = st.query_map([], |r| {
                let seq: Option<i64> = r.get(1)?;
                let compacted: Option<i64> = r.get(2)?;
                Ok(TeamRow { id: r.get(0)?, counter: seq.map(|s| (s, compacted.unwrap_or(0))), exists: r.get(3)? })
            })?;
            rows.collect()
        })
    }

    async fn docs(&self, team: &str) -> StorageResult<Vec<DocRow>> {
        self.with(|c| {
            let mut st = c.prepare("SELECT id, doc, kind, subject FROM docs WHERE team_id = ?1")?;
            let rows = st.query_map([team], |r| {
                Ok(DocRow { id: r.get(0)?, doc: r.get(1)?, kind: r.get(2)?, subject: r.get(3)? })
            })?;
            rows.collect()
        })
    }

    async fn changes(&self, team: &str, after: i64, limit: i64) -> StorageResult<Vec<ChangeRow>> {
        self.with(|c| {
            let mut st = c.prepare_cached(
                "SELECT seq, doc_id, reader, hash, data, akey, aseq FROM changes \
                 WHERE team_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
            )?;
            let rows = st.query_map(params![team, after, limit], |r| {
                Ok(ChangeRow {
                    seq: r.get(0)?,
                    doc_id: r.get(1)?,
                    reader: r.get(2)?,
                    hash: r.get(3)?,
                    data: r.get(4)?,
                    akey: Some(r.get(5)?),
                    actor: None,
                    aseq: r.get(6)?,
                })
            })?;
            rows.collect()
        })
    }

    async fn snapshots(&self, team: &str) -> StorageResult<Vec<SnapRow>> {
        self.with(|c| {
            let mut st = c.prepare("SELECT doc, reader, data FROM snapshots WHERE team_id = ?1 ORDER BY doc")?;
            let rows = st.query_map([team], |r| Ok(SnapRow { doc: r.get(0)?, reader: r.get(1)?, data: r.get(2)? }))?;
            rows.collect()
        })
    }

    async fn lost(&self, team: &str) -> StorageResult<BTreeSet<i64>> {
        self.with(|c| {
            if !has_table(c, "lost_changes")? {
                return Ok(BTreeSet::new());
            }
            let mut st = c.prepare("SELECT seq FROM lost_changes WHERE team_id = ?1")?;
            let rows = st.query_map([team], |r| r.get(0))?;
            rows.collect()
        })
    }

    async fn devices(&self) -> StorageResult<Vec<DeviceRow>> {
        self.with(|c| {
            let mut st = c.prepare(
                "SELECT d.id, d.team_id, d.token_hash, d.revoked, m.team_id \
                 FROM devices d LEFT JOIN members m ON m.id = d.member_id ORDER BY d.id",
            )?;
            let rows = st.query_map([], |r| {
                Ok(DeviceRow {
                    id: r.get(0)?,
                    team_id: r.get(1)?,
                    token_hash: r.get(2)?,
                    revoked: r.get::<_, i64>(3)? != 0,
                    member_team: r.get(4)?,
                })
            })?;
            rows.collect()
        })
    }

    async fn member_problems(&self) -> StorageResult<Vec<String>> {
        self.with(|c| {
            let mut st = c.prepare(
                "SELECT 'member ' || id || ': its team ' || team_id || ' does not exist' FROM members \
                 WHERE team_id NOT IN (SELECT id FROM teams) \
                 UNION ALL SELECT 'member ' || id || ': unknown role ''' || role || '''' FROM members \
                 WHERE role NOT IN ('rep', 'manager')",
            )?;
            let rows = st.query_map([], |r| r.get(0))?;
            rows.collect()
        })
    }

    async fn complete_blobs(&self) -> StorageResult<Vec<(String, String, String, i64)>> {
        self.with(|c| {
            if !has_table(c, "blobs")? {
                return Ok(Vec::new());
            }
            let mut st = c.prepare(
                "SELECT team_id, reader, hash, size FROM blobs WHERE complete = 1 ORDER BY team_id, reader, hash",
            )?;
            let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
            rows.collect()
        })
    }

    async fn apply(&self, fixes: &[Fix]) -> StorageResult<()> {
        let now = chrono::Utc::now().timestamp();
        self.with(|c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            tx.execute_batch(
                "CREATE TABLE IF NOT EXISTS lost_changes (team_id TEXT NOT NULL, seq INTEGER NOT NULL, doc TEXT, \
                 hash BLOB, reason TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (team_id, seq))",
            )?;
            for f in fixes {
                match f {
                    Fix::DropChange { team, seq, doc, hash, reason } => {
                        tx.execute("DELETE FROM changes WHERE team_id = ?1 AND seq = ?2", params![team, seq])?;
                        tx.execute(
                            "INSERT OR REPLACE INTO lost_changes(team_id, seq, doc, hash, reason, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                            params![team, seq, doc, hash, reason, now],
                        )?;
                    }
                    Fix::RecordLost { team, seq, reason } => {
                        tx.execute(
                            "INSERT OR IGNORE INTO lost_changes(team_id, seq, reason, at) VALUES (?1, ?2, ?3, ?4)",
                            params![team, seq, reason, now],
                        )?;
                    }
                    Fix::SetReader { team, seq, reader } => {
                        tx.execute(
                            "UPDATE changes SET reader = ?3 WHERE team_id = ?1 AND seq = ?2",
                            params![team, seq, reader],
                        )?;
                    }
                    Fix::SetHash { team, seq, hash } => {
                        tx.execute(
                            "UPDATE changes SET hash = ?3 WHERE team_id = ?1 AND seq = ?2",
                            params![team, seq, hash],
                        )?;
                    }
                    Fix::SetActor { team, seq, actor, aseq } => {
                        tx.execute(
                            "UPDATE changes SET akey = ?3, aseq = ?4 WHERE team_id = ?1 AND seq = ?2",
                            params![team, seq, super::actor_key(actor), aseq],
                        )?;
                    }
                    Fix::SetCounter { team, seq } => {
                        tx.execute(
                            "INSERT INTO team_seq(team_id, seq, compacted) VALUES (?1, ?2, 0) \
                             ON CONFLICT(team_id) DO UPDATE SET seq = MAX(seq, excluded.seq)",
                            params![team, seq],
                        )?;
                    }
                    Fix::PutSnapshot { team, doc, reader, data } => {
                        tx.execute(
                            "INSERT INTO snapshots(team_id, doc, reader, data) VALUES (?1, ?2, ?3, ?4) \
                             ON CONFLICT(team_id, doc) DO UPDATE SET reader = excluded.reader, data = excluded.data",
                            params![team, doc, reader, data],
                        )?;
                    }
                    Fix::DeleteSnapshot { team, doc } => {
                        tx.execute("DELETE FROM snapshots WHERE team_id = ?1 AND doc = ?2", params![team, doc])?;
                    }
                    Fix::ResetCompaction { team } => {
                        tx.execute("DELETE FROM snapshots WHERE team_id = ?1", params![team])?;
                        tx.execute("UPDATE team_seq SET compacted = 0 WHERE team_id = ?1", params![team])?;
                    }
                    Fix::RevokeDevice { id } => {
                        tx.execute("UPDATE devices SET revoked = 1 WHERE id = ?1", params![id])?;
                    }
                }
            }
            tx.commit()
        })
    }
}

/// Repairs a file SQLite reports damaged: re-index (damage confined to
/// indexes), else copy every readable row into a new file that replaces it;
/// the damaged file is kept as `<db>.damaged-<unix time>`.
pub(crate) fn repair_file(path: &Path, problems: &[String]) -> StorageResult<FileRepair> {
    let problems: Vec<Problem> = problems
        .iter()
        .map(|p| Problem { team: None, what: "database", message: p.clone(), repairable: true })
        .collect();
    {
        let c = open_plain(path)?;
        if c.execute_batch("REINDEX").is_ok() && integrity(&c).is_ok_and(|p| p.is_empty()) {
            return Ok(FileRepair {
                problems,
                done: vec!["re-indexed the database: the damage was in its indexes only".into()],
            });
        }
    }
    let tmp = sibling(path, "salvage");
    for f in [tmp.clone(), sibling(&tmp, "wal"), sibling(&tmp, "shm")] {
        let _ = std::fs::remove_file(f);
    }
    let mut done = salvage(path, &tmp)?;
    let kept = sibling(path, &format!("damaged-{}", chrono::Utc::now().timestamp()));
    std::fs::rename(path, &kept).map_err(|source| StorageError::Io {
        what: format!("cannot move the damaged {} aside", path.display()),
        source,
    })?;
    for ext in ["wal", "shm"] {
        let _ = std::fs::rename(sibling(path, ext), sibling(&kept, ext));
    }
    std::fs::rename(&tmp, path)
        .map_err(|source| StorageError::Io { what: "cannot put the salvaged database in place".into(), source })?;
    done.push(format!(
        "replaced {} by the salvaged rows; the damaged file is kept as {}",
        path.display(),
        kept.display()
    ));
    Ok(FileRepair { problems, done })
}

fn sibling(path: &Path, ext: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(format!("-{ext}"));
    PathBuf::from(s)
}

/// Copies every row of the damaged database at `from` that SQLite can still
/// read into a new database at `to`; returns what it did.
fn salvage(from: &Path, to: &Path) -> StorageResult<Vec<String>> {
    let old = open_plain(from)?;
    let new = Connection::open(to)?;
    new.execute_batch(SCHEMA)?;
    new.execute_batch("BEGIN")?;
    let mut done = Vec::new();
    let plain = ["teams", "team_seq", "members", "devices", "invites", "docs", "snapshots", "lost_changes", "blobs"];
    for table in plain {
        if !has_table(&old, table).unwrap_or(false) {
            continue;
        }
        let (copied, failed) = copy_rows(&old, &new, &format!("SELECT * FROM {table}"), table, [])?;
        done.push(match failed {
            None => format!("salvage: {table}: {copied} row(s) copied"),
            Some(e) => format!("salvage: {table}: {copied} row(s) copied, the rest unreadable ({e})"),
        });
    }
    // Changes: a full scan first; if it breaks off, one lookup per sequence number.
    let (copied, failed) = copy_rows(&old, &new, "SELECT * FROM changes ORDER BY team_id, seq", "changes", [])?;
    match failed {
        None => done.push(format!("salvage: changes: {copied} row(s) copied")),
        Some(e) => {
            new.execute("DELETE FROM changes", [])?;
            let mut teams: BTreeSet<(String, i64)> = BTreeSet::new();
            {
                let mut st = new.prepare("SELECT team_id, seq FROM team_seq")?;
                for r in st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))? {
                    teams.insert(r?);
                }
            }
            let (mut ok, mut bad) = (0u64, 0u64);
            for (team, counter) in teams {
                // Past the counter too, in case the counter row was damaged.
                let mut misses = 0;
                let mut seq = 1i64;
                while seq <= counter || misses < 1000 {
                    match copy_rows(
                        &old,
                        &new,
                        "SELECT * FROM changes WHERE team_id = ?1 AND seq = ?2",
                        "changes",
                        params![team, seq],
                    ) {
                        Ok((1, None)) => {
                            ok += 1;
                            misses = 0;
                        }
                        Ok((_, Some(_))) | Err(_) => {
                            bad += 1;
                            misses += i32::from(seq > counter);
                        }
                        Ok(_) => misses += i32::from(seq > counter),
                    }
                    seq += 1;
                }
            }
            done.push(format!(
                "salvage: changes: the full scan broke off ({e}); {ok} row(s) copied one by one, {bad} unreadable"
            ));
        }
    }
    new.execute_batch("COMMIT")?;
    Ok(done)
}

/// Copies the rows `sql` returns into `table` of `new` (same columns, in
/// order) until one cannot be read; (rows copied, the read error if any).
fn copy_rows(
    old: &Connection,
    new: &Connection,
    sql: &str,
    table: &str,
    params: impl rusqlite::Params,
) -> StorageResult<(u64, Option<String>)> {
    let mut st = match old.prepare(sql) {
        Ok(st) => st,
        Err(e) => return Ok((0, Some(e.to_string()))),
    };
    let n = st.column_count();
    let placeholders = (1..=n).map(|i| format!("?{i}")).collect::<Vec<_>>().join(", ");
    // By name: a file of an older schema lacks columns added since (they stay NULL or default).
    let columns = st.column_names().collect::<Vec<_>>().join(", ");
    let mut ins = new.prepare(&format!("INSERT OR IGNORE INTO {table}({columns}) VALUES ({placeholders})"))?;
    let mut rows = match st.query(params) {
        Ok(r) => r,
        Err(e) => return Ok((0, Some(e.to_string()))),
    };
    let mut copied = 0;
    loop {
        match rows.next() {
            Ok(Some(r)) => {
                let vals: rusqlite::Result<Vec<rusqlite::types::Value>> = (0..n).map(|i| r.get(i)).collect();
                match vals {
                    Ok(v) => {
                        if ins.execute(rusqlite::params_from_iter(v)).is_ok() {
                            copied += 1;
                        }
                    }
                    Err(e) => return Ok((copied, Some(e.to_string()))),
                }
            }
            Ok(None) => return Ok((copied, None)),
            Err(e) => return Ok((copied, Some(e.to_string()))),
        }
    }
}
