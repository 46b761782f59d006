//! This device's own tables, written only through typed operations: the
//! roster of members it knows, the outbox of changes the relay has not
//! acknowledged, and its relay credentials.

use super::{Store, Tx};
use crate::error::Result;
use crate::model::Member;
use rusqlite::params;

/// A change waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// Its place in the outbox (the order changes go out in; reused once its
    /// row is gone, so acknowledge by `hash`).
    pub seq: i64,
    /// The document.
    pub doc: String,
    /// The change hash (hex).
    pub hash: String,
    /// The change's bytes.
    pub bytes: Vec<u8>,
}

impl Store {
    /// The first `limit` changes of the outbox, oldest first.
    pub fn outbox(&self, limit: usize) -> Result<Vec<Outgoing>> {
        let mut st = self.conn.prepare_cached("SELECT seq, doc_id, hash, bytes FROM outbox ORDER BY seq LIMIT ?1")?;
        let rows = st.query_map(params![i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
            Ok(Outgoing { seq: r.get(0)?, doc: r.get(1)?, hash: r.get(2)?, bytes: r.get(3)? })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Adds (or renames) one member of the roster.
    pub fn add_member(&self, m: &Member) -> Result<()> {
        self.conn.execute(
            "INSERT OR REPLACE INTO members (id, name, role, active) VALUES (?1, ?2, ?3, 1)",
            params![m.id, m.name, m.role.as_str()],
        )?;
        Ok(())
    }
}

impl Tx<'_> {
    /// Removes acknowledged changes from the outbox, each by its place and
    /// hash (a place is reused once its row is gone; the hash makes sure the
    /// row is still that change).
    pub fn acknowledge(&mut self, done: &[&Outgoing]) -> Result<()> {
        let mut del = self.tx.prepare_cached("DELETE FROM outbox WHERE seq = ?1 AND hash = ?2")?;
        for o in done {
            del.execute(params![o.seq, o.hash])?;
        }
        Ok(())
    }

    /// Replaces the roster with `members` (others stay known, inactive).
    pub fn set_roster(&mut self, members: &[Member]) -> Result<()> {
        self.tx.execute("UPDATE members SET active = 0", [])?;
        for m in members {
            self.tx.execute(
                "INSERT INTO members (id, name, role, active) VALUES (?1, ?2, ?3, 1)
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, role = excluded.role, active = 1",
                params![m.id, m.name, m.role.as_str()],
            )?;
        }
        Ok(())
    }

    /// Forgets this device's relay token and device id (sign out).
    pub fn forget_credentials(&mut self) -> Result<()> {
        self.tx.execute("DELETE FROM meta WHERE key IN ('token', 'device_id')", [])?;
        Ok(())
    }
}
