//! Documents kept for later: compacted documents from the relay that a
//! first pull took but did not open yet (a leader's new device opens what the
//! first screen needs and the older weeks after it). Their bytes are stored
//! here in the transaction that moves the pull cursor past them, so nothing
//! is lost if the device stops before it opens them; `Kept::adopt_later`
//! opens them and removes them from here, in one transaction per batch.
//!
//! A leader's first pull may also leave the older logs on the relay
//! (`GET /v1/snapshots?logs_from=`, `sync::later`); a change pulled
//! meanwhile for such a log, which this store does not hold, waits in
//! `later_changes` until its snapshot is opened (the change depends on it).

use super::{Store, Tx};
use crate::docs::DocId;
use crate::error::Result;
use rusqlite::params;

/// The table (created at open for stores made before it existed).
pub(crate) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS later_docs (
    doc_id TEXT PRIMARY KEY,
    bytes  BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS later_changes (
    id     INTEGER PRIMARY KEY,
    doc_id TEXT NOT NULL,
    bytes  BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS later_changes_doc ON later_changes(doc_id, id);";

/// SQLite's page cache while a bulk of documents is opened, KiB (the
/// default is 2,000): a first pull inserts hundreds of thousands of view rows
/// in one transaction, and with the default cache SQLite spilled index pages
/// to the WAL and wrote them again.
pub const BULK_CACHE_KIB: i64 = 16 * 1024;

impl Store {
    /// Sets SQLite's page cache of this connection, in KiB ([`BULK_CACHE_KIB`]
    /// for a bulk open, 2,000 to give it back).
    pub fn set_cache_kib(&self, kib: i64) -> Result<()> {
        self.conn.pragma_update(None, "cache_size", -kib)?;
        Ok(())
    }

    /// How many documents wait to be opened.
    pub fn later_count(&self) -> Result<usize> {
        Ok(self.conn.query_row("SELECT COUNT(*) FROM later_docs", [], |r| r.get::<_, i64>(0))? as usize)
    }

    /// The documents with changes waiting for their snapshot.
    pub fn later_change_docs(&self) -> Result<Vec<String>> {
        let mut st = self.conn.prepare_cached("SELECT DISTINCT doc_id FROM later_changes ORDER BY doc_id")?;
        let rows = st.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Up to `limit` documents waiting, newest period first (the weeks a
    /// screen is likelier to show). An id that does not parse is returned
    /// as an error for its row alone.
    pub fn later_batch(&self, limit: usize) -> Result<Vec<(String, Vec<u8>)>> {
        let mut st = self
            .conn
            .prepare_cached("SELECT doc_id, bytes FROM later_docs ORDER BY substr(doc_id, -8) DESC, doc_id LIMIT ?1")?;
        let rows = st.query_map(params![limit as i64], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

impl Tx<'_> {
    /// Keeps a snapshot of document `id` from the relay to open later.
    pub fn keep_for_later(&mut self, id: &DocId, bytes: &[u8]) -> Result<()> {
        self.tx
            .prepare_cached("INSERT OR REPLACE INTO later_docs (doc_id, bytes) VALUES (?1, ?2)")?
            .execute(params![id.as_str(), bytes])?;
        Ok(())
    }

    /// Takes the kept snapshot of `doc` out (to open it now), if one waits.
    pub fn take_later(&mut self, doc: &str) -> Result<Option<Vec<u8>>> {
        use rusqlite::OptionalExtension;
        let bytes: Option<Vec<u8>> = self
            .tx
            .prepare_cached("SELECT bytes FROM later_docs WHERE doc_id = ?1")?
            .query_row(params![doc], |r| r.get(0))
            .optional()?;
        if bytes.is_some() {
            self.forget_later(doc)?;
        }
        Ok(bytes)
    }

    /// Keeps a pulled change of document `id` until its snapshot is opened.
    pub fn keep_change_for_later(&mut self, id: &DocId, bytes: &[u8]) -> Result<()> {
        self.tx
            .prepare_cached("INSERT INTO later_changes (doc_id, bytes) VALUES (?1, ?2)")?
            .execute(params![id.as_str(), bytes])?;
        Ok(())
    }

    /// Takes out the changes of `doc` that wait, in the order they were pulled.
    pub fn take_later_changes(&mut self, doc: &str) -> Result<Vec<Vec<u8>>> {
        let changes: Vec<Vec<u8>> = {
            let mut st = self.tx.prepare_cached("SELECT bytes FROM later_changes WHERE doc_id = ?1 ORDER BY id")?;
            let rows = st.query_map(params![doc], |r| r.get(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        if !changes.is_empty() {
            self.tx.prepare_cached("DELETE FROM later_changes WHERE doc_id = ?1")?.execute(params![doc])?;
        }
        Ok(changes)
    }

    /// Forgets a kept snapshot (opened, or set aside).
    pub fn forget_later(&mut self, doc: &str) -> Result<()> {
        self.tx.prepare_cached("DELETE FROM later_docs WHERE doc_id = ?1")?.execute(params![doc])?;
        Ok(())
    }
}
