//! Quarantine: changes set aside so that one bad change never freezes a
//! device. A local change the relay refused for good (`push`) leaves the
//! outbox for here, and the rest of the outbox goes on; a pulled change or
//! snapshot this device cannot apply (`pull`) is kept here instead of being
//! applied, and the other documents of the page go on. Nothing here is ever
//! deleted except by the user (`kept quarantine discard`); `retry` puts a
//! refused change back in the outbox, or applies set-aside pulled changes again.

use super::{Store, Tx};
use crate::docs::DocId;
use crate::error::{CoreError, Result};
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

/// The table (created at open for stores made before it existed).
pub(crate) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS quarantine (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    direction TEXT NOT NULL,
    doc_id    TEXT NOT NULL,
    hash      TEXT NOT NULL,
    bytes     BLOB NOT NULL,
    reason    TEXT NOT NULL,
    at        TEXT NOT NULL
);";

/// Which way a set-aside change was going.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    /// A local change the relay refused for good.
    Push,
    /// A change or snapshot from the relay this device could not apply.
    Pull,
}

/// One set-aside change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Quarantined {
    /// Its number (for retry and discard).
    pub id: i64,
    /// Which way it was going.
    pub direction: Direction,
    /// Its document.
    pub doc: String,
    /// The change hash (empty for a snapshot).
    pub hash: String,
    /// Why it was set aside.
    pub reason: String,
    /// When (RFC 3339).
    pub at: String,
    /// Its size in bytes.
    pub bytes: usize,
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Quarantined> {
    let direction: String = r.get(1)?;
    Ok(Quarantined {
        id: r.get(0)?,
        direction: if direction == "push" { Direction::Push } else { Direction::Pull },
        doc: r.get(2)?,
        hash: r.get(3)?,
        reason: r.get(4)?,
        at: r.get(5)?,
        bytes: r.get::<_, i64>(6)? as usize,
    })
}

const SELECT: &str = "SELECT id, direction, doc_id, hash, reason, at, length(bytes) FROM quarantine";

impl Store {
    /// Everything set aside, oldest first.
    pub fn quarantined(&self) -> Result<Vec<Quarantined>> {
        let mut st = self.conn.prepare_cached(&format!("{SELECT} ORDER BY id"))?;
        let rows = st.query_map([], row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The bytes of set-aside entry `id` (for export).
    pub fn quarantined_bytes(&self, id: i64) -> Result<Vec<u8>> {
        self.conn
            .query_row("SELECT bytes FROM quarantine WHERE id = ?1", params![id], |r| r.get(0))
            .optional()?
            .ok_or_else(|| CoreError::NotFound(format!("nothing set aside with number {id}")))
    }
}

impl Tx<'_> {
    /// Moves the outbox's change `o` (one the relay refused for good) into quarantine.
    pub fn quarantine_outbox(&mut self, o: &super::Outgoing, reason: &str, at: &str) -> Result<()> {
        let n = self.tx.execute(
            "INSERT INTO quarantine (direction, doc_id, hash, bytes, reason, at) \
             SELECT 'push', doc_id, hash, bytes, ?3, ?4 FROM outbox WHERE seq = ?1 AND hash = ?2",
            params![o.seq, o.hash, reason, at],
        )?;
        if n == 1 {
            self.tx.execute("DELETE FROM outbox WHERE seq = ?1 AND hash = ?2", params![o.seq, o.hash])?;
        }
        Ok(())
    }

    /// Sets aside changes (or a snapshot: empty `hash`) of document `doc` from the relay.
    pub fn quarantine_pulled(&mut self, doc: &str, items: &[(String, Vec<u8>)], reason: &str, at: &str) -> Result<()> {
        let mut st = self.tx.prepare_cached(
            "INSERT INTO quarantine (direction, doc_id, hash, bytes, reason, at) VALUES ('pull', ?1, ?2, ?3, ?4, ?5)",
        )?;
        for (hash, bytes) in items {
            st.execute(params![doc, hash, bytes, reason, at])?;
        }
        Ok(())
    }

    /// Runs `f` (which works on document `id`) inside a savepoint: if it
    /// fails, everything it wrote is undone and the transaction goes on.
    pub fn isolated<T>(&mut self, id: &DocId, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        self.tx.execute_batch("SAVEPOINT isolated")?;
        match f(self) {
            Ok(v) => {
                self.tx.execute_batch("RELEASE isolated")?;
                Ok(v)
            }
            Err(e) => {
                self.tx.execute_batch("ROLLBACK TO isolated; RELEASE isolated")?;
                self.touched.retain(|(d, _)| d != id);
                Err(e)
            }
        }
    }

    /// Retries set-aside entry `id`: a refused change goes back to the
    /// outbox; set-aside pulled changes of its document are applied again
    /// (all of that document's, in order). Returns how many left quarantine.
    pub fn retry_quarantined(&mut self, id: i64) -> Result<usize> {
        let q = self
            .tx
            .query_row(&format!("{SELECT} WHERE id = ?1"), params![id], row)
            .optional()?
            .ok_or_else(|| CoreError::NotFound(format!("nothing set aside with number {id}")))?;
        match q.direction {
            Direction::Push => {
                self.tx.execute(
                    "INSERT INTO outbox (doc_id, hash, bytes) SELECT doc_id, hash, bytes FROM quarantine q
                     WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.hash = q.hash)",
                    params![id],
                )?;
                self.tx.execute("DELETE FROM quarantine WHERE id = ?1", params![id])?;
                Ok(1)
            }
            Direction::Pull => {
                let doc: DocId = q.doc.parse()?;
                let items: Vec<(i64, String, Vec<u8>)> = {
                    let mut st = self.tx.prepare(
                        "SELECT id, hash, bytes FROM quarantine WHERE direction = 'pull' AND doc_id = ?1 ORDER BY id",
                    )?;
                    let rows = st.query_map(params![q.doc], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
                    rows.collect::<rusqlite::Result<_>>()?
                };
                self.isolated(&doc, |tx| {
                    for (_, hash, bytes) in &items {
                        if hash.is_empty() {
                            let mut loaded = super::guarded(&doc, || automerge::AutoCommit::load(bytes))?;
                            let raw = loaded.get_changes(&[]).iter().map(|c| c.raw_bytes().to_vec()).collect();
                            tx.apply(&doc, raw, false)?;
                        } else {
                            tx.apply(&doc, vec![bytes.clone()], false)?;
                        }
                    }
                    Ok(())
                })?;
                let mut del = self.tx.prepare_cached("DELETE FROM quarantine WHERE id = ?1")?;
                for (qid, _, _) in &items {
                    del.execute(params![qid])?;
                }
                Ok(items.len())
            }
        }
    }

    /// Discards set-aside entry `id` for good (the user's choice; the
    /// document on this device keeps what it holds).
    pub fn discard_quarantined(&mut self, id: i64) -> Result<()> {
        let n = self.tx.execute("DELETE FROM quarantine WHERE id = ?1", params![id])?;
        if n == 0 {
            return Err(CoreError::NotFound(format!("nothing set aside with number {id}")));
        }
        Ok(())
    }
}
