//! The local store: one SQLite file (WAL) per home holding the Automerge
//! documents, the outbox of changes not yet acknowledged by the relay, the
//! sync state, and the materialised views.
//!
//! Every user action is ONE SQLite transaction ([`Store::write`]): the
//! document change, its outbox entry and the refreshed view rows commit
//! together or not at all. Documents are loaded *inside* the write
//! transaction (`BEGIN IMMEDIATE`), so two processes sharing a home and its
//! device actor never build on a stale copy and never reuse a sequence number.

pub mod blobs;
pub mod later;
mod local;
pub mod quarantine;
mod read;
pub mod schema;
pub mod views;

pub use local::Outgoing;
pub use read::{ClosedDeal, ItemQuery};

use crate::docs::{genesis, DocId, DocKind};
use crate::error::{CoreError, Result};
use crate::model::Activity;
use automerge::transaction::CommitOptions;
use automerge::{ActorId, AutoCommit, Change, ChangeHash};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The database file inside a home folder.
pub const DB_FILE: &str = "kept.sqlite3";

/// `Store::compact` folds a document's loose changes into a snapshot past this many.
const COMPACT_AFTER: i64 = 64;
/// A write compacts inline only past this many (a bound, should maintenance never run).
const COMPACT_INLINE_AFTER: i64 = 1024;

/// An open local store.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    actor: ActorId,
    cache: DocCache,
    /// Why this device writes no document (a leader's home of a team), if so.
    read_only: Option<String>,
    /// The team's settings as last read, with the `PRAGMA data_version` they
    /// were read at (another connection's commit changes it); dropped by any
    /// write of this store that touches the team document, fails, or rebuilds
    /// views.
    team: TeamCache,
}

/// The team's settings with the `PRAGMA data_version` they were read at.
type TeamCache = std::cell::RefCell<Option<(i64, crate::model::TeamSettings)>>;

/// Documents kept in memory between writes. An entry is used only while its
/// heads equal the heads recorded in the database (read inside the write
/// transaction), so a write by another process simply causes a reload.
type DocCache = std::collections::HashMap<DocId, Held>;

/// A document held in memory by a write or the cache.
struct Held {
    doc: AutoCommit,
    known: Known,
}

impl Held {
    /// A document nothing is known of yet.
    fn unread(doc: AutoCommit) -> Held {
        Held { doc, known: Known::default() }
    }
}

/// What was read out of a held document and stays true through the edits
/// that only add new activity records ([`Tx::edit_new_activities`]: no
/// schema written, no root map replaced), so a tap reads each once per
/// document instead of once per change (2 % of a tap each). Any other edit
/// or anything merged from elsewhere forgets it.
#[derive(Default)]
struct Known {
    /// Its `schema` field is not newer than this Kept's.
    schema_ok: bool,
    /// Its `activities` map (a log).
    activities: Option<automerge::ObjId>,
}

/// Which view rows a write refreshes.
enum Rows<'a> {
    /// Every row of the document.
    All,
    /// The records that changed between the heads before and after (a diff).
    Diff,
    /// These log records.
    Records(BTreeSet<String>),
    /// These new activities, written as they are.
    Added(&'a [&'a Activity]),
}

/// Every document id, the team document first: it sets the week basis the
/// activity rows are filed under.
const TEAM_FIRST: &str = "SELECT id FROM documents ORDER BY id = 'team' DESC, id";

/// Most documents the cache holds before it starts over.
const CACHE_DOCS: usize = 128;

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

fn configure(conn: &Connection) -> Result<()> {
    conn.busy_timeout(Duration::from_secs(10))?;
    // A tap alone uses a dozen cached statements (`BEGIN` and `COMMIT`
    // among them); rusqlite's default of 16 would let a sync in between
    // push them out.
    conn.set_prepared_statement_cache_capacity(64);
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // NORMAL in WAL mode: a committed transaction survives a crash of the
    // process (kill -9); only an OS crash or power loss can lose the last ones.
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    // Checkpoints (which fsync the database) run in `Store::maintain`, after a
    // sync or when idle, not inside a user's write; this bound only catches a
    // store whose maintenance never runs.
    conn.pragma_update(None, "wal_autocheckpoint", 20_000)?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // `INSERT OR REPLACE` on `activities` must fire the delete trigger that
    // keeps `weekly_counts` exact.
    conn.pragma_update(None, "recursive_triggers", "ON")?;
    // Savepoint journals in memory: a pull applies each document inside a
    // savepoint (`Tx::isolated`), and SQLite copies every page a savepoint
    // first touches to its sub-journal — in a temporary file by default,
    // which was a third of a leader's bootstrap (BENCHMARKS.md).
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    Ok(())
}

impl Store {
    /// Creates a new store in `home` (the folder is created if needed).
    /// Fails if a store already exists there.
    pub fn create(home: &Path, actor: ActorId, meta: &[(&str, &str)]) -> Result<Store> {
        std::fs::create_dir_all(home)?;
        let path = home.join(DB_FILE);
        if path.exists() {
            return Err(CoreError::invalid(format!(
                "{} already holds a Kept store; use another --home or remove it first",
                home.display()
            )));
        }
        let mut conn = kept_wal_batch::open(&path)?;
        configure(&conn)?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(schema::SCHEMA)?;
        tx.execute_batch(quarantine::SCHEMA)?;
        tx.execute_batch(blobs::SCHEMA)?;
        tx.execute_batch(later::SCHEMA)?;
        tx.execute_batch(schema::WEEKLY)?;
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('schema_version', ?1)",
            params![schema::SCHEMA_VERSION.to_string()],
        )?;
        tx.execute("INSERT INTO meta (key, value) VALUES ('actor', ?1)", params![actor.to_hex_string()])?;
        for (k, v) in meta {
            tx.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)", params![k, v])?;
        }
        tx.commit()?;
        Ok(Store { conn, path, actor, cache: DocCache::new(), read_only: None, team: Default::default() })
    }

    /// Opens the store in `home`, with a clear error when there is none.
    pub fn open(home: &Path) -> Result<Store> {
        let path = home.join(DB_FILE);
        if !path.is_file() {
            return Err(CoreError::NotAStore(format!(
                "{} is not a Kept home (no {DB_FILE}): create one with `kept --home {} init …` or `kept --home {} join …`",
                home.display(),
                home.display(),
                home.display()
            )));
        }
        let conn = kept_wal_batch::open(&path)?;
        configure(&conn).map_err(|e| not_a_store(home, &e))?;
        let version: Option<String> = conn
            .query_row("SELECT value FROM meta WHERE key = 'schema_version'", [], |r| r.get(0))
            .optional()
            .map_err(|e| not_a_store(home, &e))?;
        match version.as_deref().map(str::parse::<i64>) {
            Some(Ok(v)) if v == schema::SCHEMA_VERSION => {}
            Some(Ok(v @ 1..=3)) => {
                let steps: [fn(&Connection) -> Result<()>; 3] = [migrate_v1, migrate_v2, migrate_v3];
                for step in &steps[(v - 1) as usize..] {
                    step(&conn).map_err(|e| not_a_store(home, &e))?;
                }
            }
            Some(Ok(v)) if v > schema::SCHEMA_VERSION => {
                return Err(CoreError::NotAStore(format!(
                    "{} was written by a newer Kept (store version {v}); update kept",
                    home.display()
                )))
            }
            _ => return Err(not_a_store(home, &"no schema version")),
        }
        conn.execute_batch(quarantine::SCHEMA).map_err(|e| not_a_store(home, &e))?;
        conn.execute_batch(blobs::SCHEMA).map_err(|e| not_a_store(home, &e))?;
        conn.execute_batch(later::SCHEMA).map_err(|e| not_a_store(home, &e))?;
        let actor_hex: String = conn.query_row("SELECT value FROM meta WHERE key = 'actor'", [], |r| r.get(0))?;
        let actor = ActorId::try_from(actor_hex.as_str())
            .map_err(|_| CoreError::NotAStore(format!("{}: the device actor id is damaged", home.display())))?;
        Ok(Store { conn, path, actor, cache: DocCache::new(), read_only: None, team: Default::default() })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// This device's Automerge actor id.
    pub fn actor(&self) -> &ActorId {
        &self.actor
    }

    /// A meta value.
    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(self.conn.query_row("SELECT value FROM meta WHERE key = ?1", params![key], |r| r.get(0)).optional()?)
    }

    /// Sets a meta value (its own transaction).
    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)", params![key, value])?;
        Ok(())
    }

    /// Makes every document edit fail with `why` (applying changes from the
    /// relay still works): the home of a team this device only reads.
    pub fn set_read_only(&mut self, why: impl Into<String>) {
        self.read_only = Some(why.into());
    }

    /// Runs `f` in one immediate SQLite transaction; commits only if it succeeds.
    pub fn write<T>(&mut self, f: impl FnOnce(&mut Tx<'_>) -> Result<T>) -> Result<T> {
        let path = self.path.display().to_string();
        let tx = Immediate::begin(&self.conn).map_err(|e| busy_or(e, &path))?;
        let read_only = self.read_only.as_deref();
        let mut w = Tx {
            tx,
            actor: &self.actor,
            cache: &mut self.cache,
            touched: Vec::new(),
            read_only,
            team_changed: false,
            team: &self.team,
        };
        let out = f(&mut w);
        if out.is_err() || w.team_changed {
            self.team.replace(None);
        }
        let out = out?;
        let Tx { tx, cache, touched, .. } = w;
        tx.commit().map_err(|e| busy_or(e, &path))?;
        if cache.len() + touched.len() > CACHE_DOCS {
            cache.clear();
        }
        cache.extend(touched);
        Ok(out)
    }

    /// The connection, for tests that inject a fault at the SQLite boundary.
    #[cfg(test)]
    pub(crate) fn conn_for_tests(&self) -> &Connection {
        &self.conn
    }

    /// Loads a document for reading (None if this device does not hold it).
    pub fn load(&self, id: &DocId) -> Result<Option<AutoCommit>> {
        load_doc(&self.conn, id)
    }

    /// True when this store holds document `id` (outside a transaction).
    pub fn holds(&self, id: &DocId) -> Result<bool> {
        holds(&self.conn, id)
    }

    /// Every document id this store holds.
    pub fn doc_ids(&self) -> Result<Vec<DocId>> {
        let mut st = self.conn.prepare("SELECT id FROM documents ORDER BY id")?;
        let ids = st.query_map([], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
        ids.iter().map(|s| Ok(s.parse()?)).collect()
    }

    /// Number of changes waiting in the outbox.
    pub fn pending(&self) -> Result<i64> {
        Ok(self.conn.query_row("SELECT COUNT(*) FROM outbox", [], |r| r.get(0))?)
    }

    /// Drops every view row and rebuilds the views from the documents.
    pub fn rebuild_views(&mut self) -> Result<()> {
        self.write(|tx| {
            tx.team_changed = true;
            rebuild(&tx.tx)
        })
    }

    /// Folds the loose changes of every document that has more than a few
    /// into a snapshot (`save()`), so loading stays fast. Run after a sync or
    /// when idle, not inside a user's write. Returns how many were compacted.
    pub fn compact(&mut self) -> Result<usize> {
        let due: Vec<String> = {
            let mut st = self.conn.prepare("SELECT id FROM documents WHERE pending > ?1")?;
            let v = st.query_map(params![COMPACT_AFTER], |r| r.get(0))?.collect::<rusqlite::Result<Vec<String>>>()?;
            v
        };
        let mut n = 0;
        for id in due {
            let id: DocId = id.parse()?;
            n += self.write(|tx| tx.compact(&id))?;
        }
        Ok(n)
    }

    /// Housekeeping outside the user's writes: compaction, then a passive WAL
    /// checkpoint. Safe to call at any time; cheap when there is nothing to do.
    pub fn maintain(&mut self) -> Result<()> {
        self.compact()?;
        self.conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
        Ok(())
    }

    /// Checks the store: SQLite's own integrity check, every document loads,
    /// and the views equal a rebuild from the documents. Returns the problems
    /// found (empty: healthy). Changes nothing.
    pub fn check(&mut self) -> Result<Vec<String>> {
        let mut problems = Vec::new();
        let mut st = self.conn.prepare("PRAGMA integrity_check")?;
        for r in st.query_map([], |r| r.get::<_, String>(0))? {
            let r = r?;
            if r != "ok" {
                problems.push(format!("database: {r}"));
            }
        }
        drop(st);
        // The loose-change count each write keeps (it decides compaction).
        let mut st = self.conn.prepare(
            "SELECT d.id, d.pending, (SELECT COUNT(*) FROM doc_changes c WHERE c.doc_id = d.id) FROM documents d",
        )?;
        for r in st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?)))? {
            let (id, pending, actual) = r?;
            if pending != actual {
                problems.push(format!("document {id}: {pending} loose changes recorded, {actual} stored"));
            }
        }
        drop(st);
        let mut ids = Vec::new();
        {
            let mut st = self.conn.prepare("SELECT id FROM documents")?;
            for r in st.query_map([], |r| r.get::<_, String>(0))? {
                ids.push(r?);
            }
        }
        for id in ids {
            match id.parse::<DocId>() {
                Err(e) => problems.push(format!("document {id}: {e}")),
                Ok(doc) => {
                    if let Err(e) = load_doc(&self.conn, &doc) {
                        problems.push(format!("document {id} cannot be loaded: {e}"));
                    }
                }
            }
        }
        if problems.is_empty() {
            let before = self.view_dump()?;
            // Rebuild inside a transaction that is rolled back: compare, change nothing.
            let tx = self.conn.transaction()?;
            rebuild(&tx)?;
            let after = dump_views(&tx)?;
            tx.rollback()?;
            if before != after {
                problems.push("views disagree with the documents (run `kept doctor --repair` to rebuild them)".into());
            }
        }
        for q in self.quarantined()? {
            let what = if q.hash.is_empty() { "a snapshot".to_string() } else { format!("change {}", q.hash) };
            let how = match q.direction {
                quarantine::Direction::Push => "refused by the relay",
                quarantine::Direction::Pull => "from the relay, not applied here",
            };
            problems.push(format!(
                "set aside #{} ({how}): {what} of {}: {} (`kept quarantine retry {}` or `kept quarantine discard {}`)",
                q.id, q.doc, q.reason, q.id, q.id
            ));
        }
        self.cache.clear();
        self.team.replace(None);
        Ok(problems)
    }

    /// Records the views leave out because a field has the wrong type or an
    /// out-of-range value (written by another implementation or a buggy
    /// build): (document, record id, why). The documents are not changed.
    pub fn left_out(&self) -> Result<Vec<(String, String, String)>> {
        let ids: Vec<String> = {
            let mut st = self.conn.prepare("SELECT id FROM documents ORDER BY id")?;
            let v = st.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<Vec<String>>>()?;
            v
        };
        let mut out = Vec::new();
        for id in ids {
            let Ok(doc_id) = id.parse::<DocId>() else { continue };
            let Ok(Some(doc)) = load_doc(&self.conn, &doc_id) else { continue };
            for (record, why) in views::left_out(&doc_id, &doc)? {
                out.push((id.clone(), record, why));
            }
        }
        Ok(out)
    }

    /// Repairs what `check` finds: a document that cannot be loaded is dropped
    /// and rebuilt from this device's unsent changes (the relay has the rest:
    /// the pull cursor goes back to 0 so the next sync brings them again);
    /// then every view is rebuilt. Returns the ids of the documents dropped.
    pub fn repair(&mut self) -> Result<Vec<String>> {
        let mut dropped = Vec::new();
        let ids: Vec<String> = {
            let mut st = self.conn.prepare("SELECT id FROM documents")?;
            let v = st.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<Vec<String>>>()?;
            v
        };
        for id in ids {
            let ok = id.parse::<DocId>().map(|d| load_doc(&self.conn, &d).is_ok()).unwrap_or(false);
            if !ok {
                dropped.push(id);
            }
        }
        self.cache.clear();
        self.write(|tx| {
            for id in &dropped {
                tx.tx.execute("DELETE FROM documents WHERE id = ?1", params![id])?;
                tx.tx.execute("DELETE FROM doc_changes WHERE doc_id = ?1", params![id])?;
                let Ok(doc) = id.parse::<DocId>() else { continue };
                let mine: Vec<Vec<u8>> = {
                    let mut st = tx.tx.prepare("SELECT bytes FROM outbox WHERE doc_id = ?1 ORDER BY seq")?;
                    let v = st.query_map(params![id], |r| r.get(0))?.collect::<rusqlite::Result<Vec<Vec<u8>>>>()?;
                    v
                };
                let good: Vec<Vec<u8>> =
                    mine.into_iter().filter(|b| kept_protocol::change::from_bytes(b.clone()).is_ok()).collect();
                if !good.is_empty() {
                    tx.apply(&doc, good, false)?;
                }
            }
            if !dropped.is_empty() {
                tx.set_meta("cursor", "0")?;
            }
            tx.tx.execute(
                "UPDATE documents SET pending = (SELECT COUNT(*) FROM doc_changes c WHERE c.doc_id = documents.id)",
                [],
            )?;
            Ok(())
        })?;
        self.rebuild_views()?;
        Ok(dropped)
    }

    /// Every row of every view, as text, for comparisons in tests and checks.
    pub fn view_dump(&self) -> Result<Vec<String>> {
        dump_views(&self.conn)
    }
}

/// The format schema this version reads and writes (FORMAT.md §11).
const SCHEMA: i64 = 1;

/// The document's `schema`, when it is newer than this version's: such a
/// document is read as far as its known fields go and never written.
fn newer_schema(doc: &AutoCommit) -> Option<i64> {
    use automerge::ReadDoc;
    match doc.get(automerge::ROOT, "schema") {
        Ok(Some((automerge::Value::Scalar(s), _))) => match s.as_ref() {
            automerge::ScalarValue::Int(v) if *v > SCHEMA => Some(*v),
            automerge::ScalarValue::Uint(v) if *v > SCHEMA as u64 => Some(i64::try_from(*v).unwrap_or(i64::MAX)),
            _ => None,
        },
        _ => None,
    }
}

/// Empties every view and fills it again from the documents, the team
/// document first (it sets the week basis activity rows are filed under).
fn rebuild(conn: &Connection) -> Result<()> {
    for t in schema::VIEW_TABLES {
        conn.execute(&format!("DELETE FROM {t}"), [])?;
    }
    let ids: Vec<String> = {
        let mut st = conn.prepare(TEAM_FIRST)?;
        let v = st.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<Vec<String>>>()?;
        v
    };
    for id in ids {
        let id: DocId = id.parse()?;
        if let Some(doc) = load_doc(conn, &id)? {
            views::refresh(conn, &id, &doc)?;
        }
    }
    Ok(())
}

/// Store version 1 → 2: the team week on each activity and the weekly
/// aggregate. Views are derived, so they are simply rebuilt (one transaction).
fn migrate_v1(conn: &Connection) -> Result<()> {
    in_transaction(conn, 2, || {
        conn.execute_batch(
            "ALTER TABLE activities ADD COLUMN week TEXT NOT NULL DEFAULT '';
             ALTER TABLE deals ADD COLUMN created_at TEXT;",
        )?;
        conn.execute_batch(schema::WEEKLY)?;
        rebuild(conn)
    })
}

/// Store version 2 → 3: fewer b-trees per tap. `doc_changes` and `activities`
/// become `WITHOUT ROWID` tables (the primary key is the table, not a second
/// index beside it) and the outbox drops AUTOINCREMENT (its `sqlite_sequence`
/// row was one more page per write). The changes and the outbox are copied
/// as they are; the activities view is rebuilt from the documents.
fn migrate_v2(conn: &Connection) -> Result<()> {
    in_transaction(conn, 3, || {
        conn.execute_batch(
            "ALTER TABLE doc_changes RENAME TO doc_changes_v2;
             ALTER TABLE outbox RENAME TO outbox_v2;
             DROP TABLE activities;",
        )?;
        conn.execute_batch(schema::SCHEMA)?;
        conn.execute_batch(schema::WEEKLY)?;
        conn.execute_batch(
            "INSERT INTO doc_changes (doc_id, hash, bytes) SELECT doc_id, hash, bytes FROM doc_changes_v2;
             INSERT INTO outbox (seq, doc_id, hash, bytes) SELECT seq, doc_id, hash, bytes FROM outbox_v2;
             DROP TABLE doc_changes_v2;
             DROP TABLE outbox_v2;",
        )?;
        rebuild(conn)
    })
}

/// Store version 3 → 4: one b-tree fewer per tap in the outbox (no unique
/// index on `hash`: rows are acknowledged by `seq` and `hash`) and one in the
/// activities view (no index on the time alone). The outbox is copied as it is.
fn migrate_v3(conn: &Connection) -> Result<()> {
    in_transaction(conn, 4, || {
        let unique: bool = conn
            .query_row("SELECT 1 FROM sqlite_master WHERE type = 'index' AND tbl_name = 'outbox'", [], |_| Ok(()))
            .optional()?
            .is_some();
        if unique {
            conn.execute_batch(
                "ALTER TABLE outbox RENAME TO outbox_v3;
                 CREATE TABLE outbox (seq INTEGER PRIMARY KEY, doc_id TEXT NOT NULL, hash TEXT NOT NULL, bytes BLOB NOT NULL);
                 INSERT INTO outbox (seq, doc_id, hash, bytes) SELECT seq, doc_id, hash, bytes FROM outbox_v3;
                 DROP TABLE outbox_v3;",
            )?;
        }
        conn.execute_batch("DROP INDEX IF EXISTS activities_time;")?;
        Ok(())
    })
}

/// Runs a migration step in one transaction that also sets the store's
/// version to `to`; nothing changes if it fails. A step another process
/// finished while this one waited for the write lock is skipped.
fn in_transaction(conn: &Connection, to: i64, f: impl FnOnce() -> Result<()>) -> Result<()> {
    conn.execute_batch("BEGIN IMMEDIATE;")?;
    let now: Option<i64> = conn
        .query_row("SELECT value FROM meta WHERE key = 'schema_version'", [], |r| r.get::<_, String>(0))
        .optional()?
        .and_then(|v| v.parse().ok());
    if now.is_some_and(|v| v >= to) {
        conn.execute_batch("COMMIT;")?;
        return Ok(());
    }
    let done = f().and_then(|()| {
        conn.execute("UPDATE meta SET value = ?1 WHERE key = 'schema_version'", params![to.to_string()])?;
        Ok(())
    });
    match done {
        Ok(()) => conn.execute_batch("COMMIT;")?,
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK;");
            return Err(e);
        }
    }
    Ok(())
}

/// Every row of every view table, sorted, as text.
fn dump_views(conn: &Connection) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for t in schema::VIEW_TABLES {
        let mut st = conn.prepare(&format!("SELECT * FROM {t}"))?;
        let n = st.column_count();
        let rows = st.query_map([], |r| {
            let mut s = String::from(*t);
            for i in 0..n {
                let v: rusqlite::types::Value = r.get(i)?;
                s.push_str(&format!("|{v:?}"));
            }
            Ok(s)
        })?;
        let mut table = rows.collect::<rusqlite::Result<Vec<_>>>()?;
        table.sort();
        out.extend(table);
    }
    Ok(out)
}

fn not_a_store(home: &Path, e: &dyn std::fmt::Display) -> CoreError {
    CoreError::NotAStore(format!("{} does not hold a readable Kept store ({e})", home.display()))
}

fn busy_or(e: rusqlite::Error, path: &str) -> CoreError {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseBusy) | Some(rusqlite::ErrorCode::DatabaseLocked) => {
            CoreError::Busy(path.to_string())
        }
        _ => CoreError::Storage(e),
    }
}

/// Loads a document from its snapshot and loose changes.
pub(crate) fn load_doc(conn: &Connection, id: &DocId) -> Result<Option<AutoCommit>> {
    let snapshot: Option<Vec<u8>> = conn
        .query_row("SELECT snapshot FROM documents WHERE id = ?1", params![id.as_str()], |r| r.get(0))
        .optional()?;
    let Some(snapshot) = snapshot else {
        return Ok(None);
    };
    let mut doc = if snapshot.is_empty() { AutoCommit::new() } else { guarded(id, || AutoCommit::load(&snapshot))? };
    let mut st = conn.prepare_cached("SELECT bytes FROM doc_changes WHERE doc_id = ?1")?;
    let mut rows = st.query(params![id.as_str()])?;
    let mut changes = Vec::new();
    while let Some(r) = rows.next()? {
        let bytes: Vec<u8> = r.get(0)?;
        changes.push(kept_protocol::change::from_bytes(bytes).map_err(|e| CoreError::Document(format!("{id}: {e}")))?);
    }
    if !changes.is_empty() {
        // Rows come in key (hash) order; Automerge applies a change whose
        // dependencies came first at once and queues the rest (a linear scan
        // per change), so hand them over dependencies first.
        let changes = kept_protocol::change::causal_order(changes);
        guarded(id, || doc.apply_changes(changes))?;
    }
    Ok(Some(doc))
}

/// Runs an Automerge load or apply, turning a panic inside Automerge (which
/// crafted change bytes can cause, found by fuzzing) into a clear error: the
/// transaction then rolls back and the half-updated document is dropped.
/// Loads a compacted document from elsewhere and reads its view rows, with
/// Automerge's panics turned into an error for that document.
pub(crate) fn load_snapshot(id: &DocId, bytes: &[u8]) -> Result<(AutoCommit, views::ViewRows)> {
    guarded(id, || -> Result<_> {
        let doc = AutoCommit::load(bytes).map_err(|e| CoreError::Document(format!("{id}: bad snapshot: {e}")))?;
        let rows = views::extract(id, &doc)?;
        Ok((doc, rows))
    })
}

pub(crate) fn guarded<T, E: Into<CoreError>>(id: &DocId, f: impl FnOnce() -> std::result::Result<T, E>) -> Result<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r.map_err(Into::into),
        Err(_) => Err(CoreError::Document(format!(
            "{id}: Automerge could not apply these changes (malformed data from a device or the relay); nothing was changed"
        ))),
    }
}

/// True when the database holds document `id`.
fn holds(conn: &Connection, id: &DocId) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM documents WHERE id = ?1")?
        .query_row(params![id.as_str()], |_| Ok(()))
        .optional()?
        .is_some())
}

fn heads_text(heads: &[ChangeHash]) -> String {
    heads.iter().map(|h| h.to_string()).collect::<Vec<_>>().join(",")
}

/// An immediate transaction begun and committed by cached statements
/// (rusqlite's `Transaction` compiles `BEGIN` and `COMMIT` anew each time,
/// 2 % of a tap); rolled back if dropped uncommitted.
struct Immediate<'c>(&'c Connection);

impl<'c> Immediate<'c> {
    fn begin(conn: &'c Connection) -> rusqlite::Result<Immediate<'c>> {
        conn.prepare_cached("BEGIN IMMEDIATE")?.execute([])?;
        Ok(Immediate(conn))
    }

    fn commit(self) -> rusqlite::Result<()> {
        self.0.prepare_cached("COMMIT")?.execute([])?;
        Ok(())
    }
}

impl Drop for Immediate<'_> {
    fn drop(&mut self) {
        // Still open: not committed, or a commit that failed (busy).
        if !self.0.is_autocommit() {
            let _ = self.0.execute_batch("ROLLBACK");
        }
    }
}

impl std::ops::Deref for Immediate<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.0
    }
}

/// A write transaction: edit documents, apply remote changes, touch meta.
pub struct Tx<'a> {
    tx: Immediate<'a>,
    actor: &'a ActorId,
    cache: &'a mut DocCache,
    /// Documents changed in this transaction; cached only once it commits.
    touched: Vec<(DocId, Held)>,
    /// Why edits are refused here, if they are ([`Store::set_read_only`]).
    read_only: Option<&'a str>,
    /// True once this transaction wrote the team document (its settings view).
    team_changed: bool,
    /// The store's team settings cache ([`Tx::team_settings`]).
    team: &'a TeamCache,
}

impl Tx<'_> {
    /// Loads a document inside this transaction.
    pub fn load(&self, id: &DocId) -> Result<Option<AutoCommit>> {
        load_doc(&self.tx, id)
    }

    /// Puts back in the outbox every change this device wrote (under its own
    /// actor) and every canonical change of the documents `member` (with
    /// `role`) may write, so a relay that
    /// lost them (restored from a backup) gets them again; the relay stores
    /// only what it lacks. Returns how many were queued. Documents that cannot
    /// be loaded are skipped (`kept doctor` names them).
    pub fn reoffer_own_changes(&mut self, member: &str, role: crate::model::Role) -> Result<usize> {
        let ids: Vec<String> = {
            let mut st = self.tx.prepare("SELECT id FROM documents ORDER BY id")?;
            let v = st.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<Vec<String>>>()?;
            v
        };
        // What waits in the outbox already is not queued twice.
        let mut queued: std::collections::HashSet<String> = {
            let mut st = self.tx.prepare("SELECT hash FROM outbox")?;
            let v = st.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
            v
        };
        let mut n = 0;
        for id in ids {
            let Ok(doc_id) = id.parse::<DocId>() else { continue };
            if kept_protocol::access::may_write(member, role, &doc_id, true).is_err() {
                continue;
            }
            let Ok(Some(mut doc)) = load_doc(&self.tx, &doc_id) else { continue };
            let mut ins = self.tx.prepare_cached("INSERT INTO outbox (doc_id, hash, bytes) VALUES (?1, ?2, ?3)")?;
            for c in doc.get_changes(&[]) {
                let mine = c.actor_id() == self.actor
                    || kept_protocol::genesis::canonical_actor(&doc_id, c.actor_id()).is_some();
                let hash = c.hash().to_string();
                if mine && !queued.contains(&hash) {
                    n += ins.execute(params![id, hash, c.raw_bytes()])?;
                    queued.insert(hash);
                }
            }
        }
        Ok(n)
    }

    /// The current state of document `id`: from this transaction, from the
    /// cache if still current, else from the database.
    fn checkout(&mut self, id: &DocId) -> Result<Option<Held>> {
        if let Some(pos) = self.touched.iter().position(|(d, _)| d == id) {
            return Ok(Some(self.touched.swap_remove(pos).1));
        }
        let heads: Option<String> = self
            .tx
            .prepare_cached("SELECT heads FROM documents WHERE id = ?1")?
            .query_row(params![id.as_str()], |r| r.get(0))
            .optional()?;
        let Some(heads) = heads else { return Ok(None) };
        if let Some(mut held) = self.cache.remove(id) {
            if heads_text(&held.doc.get_heads()) == heads {
                return Ok(Some(held));
            }
        }
        Ok(load_doc(&self.tx, id)?.map(Held::unread))
    }

    /// Edits document `id` (created from its genesis if new) with `f`, as one
    /// Automerge change stamped `time` (unix seconds). The change goes to the
    /// document, the outbox and the views.
    pub fn edit<T>(&mut self, id: &DocId, time: i64, f: impl FnOnce(&mut AutoCommit) -> Result<T>) -> Result<T> {
        self.edit_inner(id, time, Rows::Diff, |doc, _| f(doc))
    }

    /// Like [`Tx::edit`] for a change that touches only the log records
    /// `records`: their view rows are refreshed without diffing the document.
    pub fn edit_records<T>(
        &mut self,
        id: &DocId,
        time: i64,
        records: &[&str],
        f: impl FnOnce(&mut AutoCommit) -> Result<T>,
    ) -> Result<T> {
        let set: BTreeSet<String> = records.iter().map(|r| r.to_string()).collect();
        self.edit_inner(id, time, Rows::Records(set), |doc, _| f(doc))
    }

    /// Like [`Tx::edit`] for a change that only adds the new, checked
    /// activities `added` to log `id`: `f` writes them into the log's
    /// activities map (given) and nothing else. Their view rows are written
    /// from them as they are, not read back out of the document. A record's
    /// key is a fresh id, so the document holds exactly these values.
    pub fn edit_new_activities<T>(
        &mut self,
        id: &DocId,
        time: i64,
        added: &[&Activity],
        f: impl FnOnce(&mut AutoCommit, &automerge::ObjId) -> Result<T>,
    ) -> Result<T> {
        self.edit_inner(id, time, Rows::Added(added), |doc, known| {
            let coll = match known.activities.take() {
                Some(c) => c,
                None => crate::docs::log::activities(doc)?,
            };
            let out = f(doc, &coll)?;
            known.activities = Some(coll);
            Ok(out)
        })
    }

    fn edit_inner<T>(
        &mut self,
        id: &DocId,
        time: i64,
        rows: Rows<'_>,
        f: impl FnOnce(&mut AutoCommit, &mut Known) -> Result<T>,
    ) -> Result<T> {
        if let Some(why) = self.read_only {
            return Err(CoreError::NotAllowed(why.to_string()));
        }
        let (mut doc, before, mut known) = match self.checkout(id)? {
            Some(Held { mut doc, known }) => {
                let h = doc.get_heads();
                (doc, h, known)
            }
            None => (genesis(id)?, Vec::new(), Known::default()),
        };
        if !known.schema_ok {
            if let Some(schema) = newer_schema(&doc) {
                return Err(CoreError::Incompatible(format!(
                    "document {id} was written by a newer Kept (format schema {schema}; this version knows {SCHEMA}): \
                     it is read-only on this device until Kept is updated"
                )));
            }
            known.schema_ok = true;
        }
        let adds_only = matches!(rows, Rows::Added(_));
        doc.set_actor(self.actor.clone());
        let out = f(&mut doc, &mut known)?;
        let hash = doc.commit_with(CommitOptions::default().with_time(time));
        let (new, rows) = if before.is_empty() {
            // A new document: its genesis travels with the first change.
            (doc.get_changes(&[]), Rows::All)
        } else {
            (hash.and_then(|h| doc.get_change_by_hash(&h)).into_iter().collect(), rows)
        };
        self.store_changes(id, &mut doc, &before, &new, true, rows)?;
        let known = if adds_only { known } else { Known::default() };
        self.touched.push((id.clone(), Held { doc, known }));
        Ok(out)
    }

    /// Makes sure document `id` has root map `name` (added after its kind
    /// first shipped), with the change every device makes identically
    /// ([`docs::root_map_change`]); it travels to the relay like any other.
    pub fn ensure_root_map(&mut self, id: &DocId, name: &str) -> Result<()> {
        if let Some(held) = self.checkout(id)? {
            let present = crate::docs::has_root_map(&held.doc, name);
            self.cache.insert(id.clone(), held);
            if present {
                return Ok(());
            }
        }
        let mut raw: Vec<Vec<u8>> = genesis(id)?.get_changes(&[]).iter().map(|c| c.raw_bytes().to_vec()).collect();
        raw.push(crate::docs::root_map_change(id, name)?);
        self.apply(id, raw, true)?;
        Ok(())
    }

    /// Applies changes from elsewhere (a relay or another store) to document
    /// `id`. Returns how many were new here. They are not put in the outbox
    /// unless `forward` (changes learnt from a peer that the relay may lack).
    pub fn apply(&mut self, id: &DocId, raw: Vec<Vec<u8>>, forward: bool) -> Result<usize> {
        let mut doc = self.checkout(id)?.map(|h| h.doc).unwrap_or_default();
        let before = doc.get_heads();
        let mut fresh = Vec::new();
        for bytes in raw {
            let c = kept_protocol::change::from_bytes(bytes)
                .map_err(|e| CoreError::Document(format!("{id}: bad change: {e}")))?;
            if doc.get_change_by_hash(&c.hash()).is_none() {
                fresh.push(c);
            }
        }
        if fresh.is_empty() {
            self.touched.push((id.clone(), Held::unread(doc)));
            return Ok(0);
        }
        let n = fresh.len();
        // Automerge may panic on crafted changes while applying them or while
        // the document is read afterwards (diff, save): all of it is guarded,
        // and an error rolls the whole transaction back.
        guarded(id, || -> Result<()> {
            doc.apply_changes(fresh.clone())?;
            // Automerge queues a change whose dependencies it lacks instead of
            // applying it: that is not applied, so it is an error here (the
            // sync engine sets such changes aside until their dependencies come).
            if let Some(missing) = doc.get_missing_deps(&[]).first() {
                return Err(CoreError::Document(format!(
                    "{id}: a change depends on {missing}, which this device does not have"
                )));
            }
            self.store_changes(id, &mut doc, &before, &fresh, forward, Rows::Diff)
        })?;
        self.touched.push((id.clone(), Held::unread(doc)));
        Ok(n)
    }

    fn store_changes(
        &mut self,
        id: &DocId,
        doc: &mut AutoCommit,
        before: &[ChangeHash],
        changes: &[Change],
        outbox: bool,
        rows: Rows<'_>,
    ) -> Result<()> {
        if changes.is_empty() {
            return Ok(());
        }
        self.team_changed |= id.kind() == DocKind::Team;
        if before.is_empty() {
            self.tx
                .prepare_cached("INSERT OR IGNORE INTO documents (id, kind, subject, period) VALUES (?1, ?2, ?3, ?4)")?
                .execute(params![id.as_str(), id.kind().as_str(), id.subject(), id.period().map(|w| w.to_string())])?;
        }
        let mut added = 0i64;
        {
            let mut ins = self
                .tx
                .prepare_cached("INSERT OR IGNORE INTO doc_changes (doc_id, hash, bytes) VALUES (?1, ?2, ?3)")?;
            // Only changes new to the document reach here, so none is queued yet.
            let mut out = self.tx.prepare_cached("INSERT INTO outbox (doc_id, hash, bytes) VALUES (?1, ?2, ?3)")?;
            for c in changes {
                let hash = c.hash().to_string();
                added += ins.execute(params![id.as_str(), hash, c.raw_bytes()])? as i64;
                if outbox {
                    out.execute(params![id.as_str(), hash, c.raw_bytes()])?;
                }
            }
        }
        // `pending` counts the document's rows in `doc_changes` (kept up to date
        // here and by compaction, so no COUNT(*) per write).
        // Not `UPDATE … RETURNING`: SQLite gathers returned rows in a
        // temporary b-tree, a pager and page cache made and freed per
        // statement (~1 % of a tap); the row is on a cached page for the SELECT.
        let heads = heads_text(&doc.get_heads());
        self.tx
            .prepare_cached("UPDATE documents SET heads = ?2, pending = pending + ?3 WHERE id = ?1")?
            .execute(params![id.as_str(), heads, added])?;
        let pending: i64 = self
            .tx
            .prepare_cached("SELECT pending FROM documents WHERE id = ?1")?
            .query_row(params![id.as_str()], |r| r.get(0))?;
        if pending > COMPACT_INLINE_AFTER && doc.get_missing_deps(&[]).is_empty() {
            let snapshot = doc.save();
            self.tx.execute(
                "UPDATE documents SET snapshot = ?2, pending = 0 WHERE id = ?1",
                params![id.as_str(), snapshot],
            )?;
            self.tx.execute("DELETE FROM doc_changes WHERE doc_id = ?1", params![id.as_str()])?;
        }
        match rows {
            Rows::Added(added) => views::insert_activities(&self.tx, id, added),
            Rows::Records(r) => views::refresh_records(&self.tx, id, doc, Some(&r)),
            Rows::All => views::refresh_records(&self.tx, id, doc, None),
            Rows::Diff => {
                let after = doc.get_heads();
                let touched = views::touched_records(doc, before, &after);
                views::refresh_records(&self.tx, id, doc, touched.as_ref())
            }
        }
    }

    /// Takes a compacted document from the relay for a document this device
    /// does not hold yet: its bytes become the snapshot as they are and its
    /// views are filled once (a new device's bootstrap). Returns false (and
    /// changes nothing) when the document is already here; the caller then
    /// applies the snapshot's changes instead.
    pub fn adopt_snapshot(&mut self, id: &DocId, bytes: &[u8]) -> Result<bool> {
        if self.holds(id)? {
            return Ok(false);
        }
        let (doc, rows) = load_snapshot(id, bytes)?;
        Ok(self.adopt_loaded(id, bytes, doc, &rows)?.is_none())
    }

    /// A snapshot loaded (by [`load_snapshot`]) taken in: adopted as it is
    /// when this store does not hold the document, else its changes merged.
    /// Returns how many documents or changes were new here.
    pub fn adopt_or_merge(
        &mut self,
        id: &DocId,
        bytes: &[u8],
        doc: AutoCommit,
        rows: &views::ViewRows,
    ) -> Result<usize> {
        match self.adopt_loaded(id, bytes, doc, rows)? {
            None => Ok(1),
            Some(mut doc) => {
                let raw = doc.get_changes(&[]).iter().map(|c| c.raw_bytes().to_vec()).collect();
                self.apply(id, raw, false)
            }
        }
    }

    /// Like [`Tx::adopt_snapshot`] for a snapshot already loaded (as `doc`,
    /// with its view rows read out), e.g. on another thread. Gives the
    /// document back when this store holds it already (nothing changed).
    pub fn adopt_loaded(
        &mut self,
        id: &DocId,
        bytes: &[u8],
        mut doc: AutoCommit,
        rows: &views::ViewRows,
    ) -> Result<Option<AutoCommit>> {
        if self.holds(id)? {
            return Ok(Some(doc));
        }
        self.team_changed |= id.kind() == DocKind::Team;
        let heads = heads_text(&doc.get_heads());
        self.tx
            .prepare_cached(
                "INSERT INTO documents (id, kind, subject, period, snapshot, heads, pending) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0)",
            )?
            .execute(params![
                id.as_str(),
                id.kind().as_str(),
                id.subject(),
                id.period().map(|w| w.to_string()),
                bytes,
                heads
            ])?;
        views::write(&self.tx, id, rows)?;
        self.touched.push((id.clone(), Held::unread(doc)));
        Ok(None)
    }

    /// True when this store holds document `id`.
    pub fn holds(&self, id: &DocId) -> Result<bool> {
        holds(&self.tx, id)
    }

    /// Replaces a document's snapshot and loose changes by one fresh snapshot.
    fn compact(&mut self, id: &DocId) -> Result<usize> {
        let Some(mut held) = self.checkout(id)? else { return Ok(0) };
        if !held.doc.get_missing_deps(&[]).is_empty() {
            self.touched.push((id.clone(), held));
            return Ok(0);
        }
        let snapshot = held.doc.save();
        self.tx
            .execute("UPDATE documents SET snapshot = ?2, pending = 0 WHERE id = ?1", params![id.as_str(), snapshot])?;
        self.tx.execute("DELETE FROM doc_changes WHERE doc_id = ?1", params![id.as_str()])?;
        self.touched.push((id.clone(), held));
        Ok(1)
    }

    /// A meta value, as this transaction sees it.
    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        let mut st = self.tx.prepare_cached("SELECT value FROM meta WHERE key = ?1")?;
        Ok(st.query_row(params![key], |r| r.get(0)).optional()?)
    }

    /// Removes a meta value inside this transaction.
    pub fn delete_meta(&self, key: &str) -> Result<()> {
        self.tx.prepare_cached("DELETE FROM meta WHERE key = ?1")?.execute(params![key])?;
        Ok(())
    }

    /// Sets a meta value inside this transaction.
    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.tx.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)", params![key, value])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_inside_automerge_becomes_an_error() {
        let id = DocId::team();
        let r: Result<()> = guarded(&id, || -> Result<()> { panic!("Obj Missing from Index") });
        let e = r.expect_err("a panic is an error").to_string();
        assert!(e.contains("Automerge could not apply") && e.contains("nothing was changed"), "{e}");
        assert_eq!(guarded(&id, || Ok::<_, automerge::AutomergeError>(7)).ok(), Some(7));
    }

    #[test]
    fn a_document_of_a_newer_schema_is_read_only() {
        use automerge::transaction::Transactable;
        let dir = tempfile::tempdir().expect("tmp");
        let mut store = Store::create(dir.path(), ActorId::random(), &[]).expect("store");
        let id = DocId::plan("01900000-0000-7000-8000-00000000000a");
        store
            .write(|tx| tx.edit(&id, 1, |d| Ok(d.put(automerge::ROOT, "schema", 2i64)?)))
            .expect("a newer Kept wrote it");
        let e = store.write(|tx| tx.edit(&id, 2, |d| Ok(d.put(automerge::ROOT, "note", "x")?))).expect_err("read-only");
        assert!(matches!(e, CoreError::Incompatible(_)) && e.to_string().contains("schema 2"), "{e}");
        assert!(store.load(&id).expect("load").is_some(), "still readable");
    }

    /// A tap reads a log's schema once and keeps that through its own
    /// taps; a change merged from elsewhere that makes it newer is still seen.
    #[test]
    fn a_log_made_newer_by_a_merged_change_refuses_the_next_tap() {
        use automerge::transaction::Transactable;
        let dir = tempfile::tempdir().expect("tmp");
        let mut store = Store::create(dir.path(), ActorId::random(), &[]).expect("store");
        let rep = "01900000-0000-7000-8000-00000000000a";
        let id = DocId::log(rep, "2026-W48".parse().expect("week"));
        let tap = |n: u32| Activity {
            kind: "call".into(),
            occurred_at: "2026-11-26T10:00:00+00:00".into(),
            logged_by: rep.into(),
            ..Activity::blank(format!("01900000-0000-7000-8000-0000000001{n:02}"), rep)
        };
        for n in 0..2 {
            let a = tap(n);
            store
                .write(|tx| tx.edit_new_activities(&id, 1, &[&a], |d, coll| crate::docs::log::insert(d, coll, &a)))
                .expect("tap");
        }
        let mut other = store.load(&id).expect("load").expect("held");
        other.set_actor(ActorId::random());
        other.put(automerge::ROOT, "schema", 99i64).expect("put");
        other.commit();
        let newer = other.get_last_local_change().expect("change").raw_bytes().to_vec();
        store.write(|tx| tx.apply(&id, vec![newer], false)).expect("merged");
        let a = tap(2);
        let e = store
            .write(|tx| tx.edit_new_activities(&id, 2, &[&a], |d, coll| crate::docs::log::insert(d, coll, &a)))
            .expect_err("read-only now");
        assert!(matches!(e, CoreError::Incompatible(_)) && e.to_string().contains("schema 99"), "{e}");
        let rows: i64 = store
            .conn
            .query_row("SELECT COUNT(*) FROM activities WHERE doc_id = ?1", [id.as_str()], |r| r.get(0))
            .expect("count");
        assert_eq!(rows, 2, "the refused tap wrote nothing");
    }

    #[test]
    fn a_migration_step_another_process_already_made_is_skipped() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = Store::create(dir.path(), ActorId::random(), &[]).expect("store");
        let path = store.path().to_path_buf();
        drop(store);
        // A second process read version 2 just before the first one migrated:
        // by the time it holds the write lock the store is at version 3.
        let conn = Connection::open(&path).expect("db");
        configure(&conn).expect("pragmas");
        let before = conn.total_changes();
        migrate_v2(&conn).expect("no-op");
        assert_eq!(conn.total_changes(), before, "nothing was rebuilt twice");
        let v: String =
            conn.query_row("SELECT value FROM meta WHERE key = 'schema_version'", [], |r| r.get(0)).expect("version");
        assert_eq!(v, schema::SCHEMA_VERSION.to_string());
    }
}
