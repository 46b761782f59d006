//! Recordings on this device: their bytes as files in `<home>/blobs/<hash>`
//! (content-addressed, written atomically) and a table of which document
//! each belongs to, whether this device made it, and whether the relay has
//! it. A device keeps its own recordings until the relay holds them
//! (docs/PROTOCOL.md "Blobs"); downloaded ones are checked against their
//! hash before they are kept.

use super::{Store, Tx};
use crate::error::{CoreError, Result};
use rusqlite::params;
use std::io::Write;
use std::path::PathBuf;

/// The table (created on open, idempotent).
pub const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS blobs (
    hash       TEXT NOT NULL,
    doc_id     TEXT NOT NULL,
    size       INTEGER NOT NULL,
    mime       TEXT NOT NULL,
    mine       INTEGER NOT NULL,
    sent       INTEGER NOT NULL DEFAULT 0,
    problem    TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (hash, doc_id)
);
"#;

/// One blob this device knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalBlob {
    /// SHA-256 (hex).
    pub hash: String,
    /// The document it belongs to.
    pub doc: String,
    /// Size in bytes.
    pub size: u64,
    /// Media type.
    pub mime: String,
    /// Made on this device (so this device must get it to the relay).
    pub mine: bool,
    /// The relay holds it.
    pub sent: bool,
    /// Why the relay refused it for good, if it did.
    pub problem: Option<String>,
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<LocalBlob> {
    Ok(LocalBlob {
        hash: r.get(0)?,
        doc: r.get(1)?,
        size: u64::try_from(r.get::<_, i64>(2)?).unwrap_or_default(),
        mime: r.get(3)?,
        mine: r.get(4)?,
        sent: r.get(5)?,
        problem: r.get(6)?,
    })
}

const COLUMNS: &str = "hash, doc_id, size, mime, mine, sent, problem";

impl Store {
    /// The folder holding this home's blob files.
    pub fn blob_dir(&self) -> PathBuf {
        self.path.parent().map(|p| p.join("blobs")).unwrap_or_else(|| PathBuf::from("blobs"))
    }

    /// The file of blob `hash`, if its bytes are on this device.
    pub fn blob_file(&self, hash: &str) -> Option<PathBuf> {
        kept_protocol::blob::check_hash(hash).ok()?;
        let p = self.blob_dir().join(hash);
        p.is_file().then_some(p)
    }

    /// Where a download of `hash` collects its bytes until they are checked.
    pub fn blob_part_file(&self, hash: &str) -> Result<PathBuf> {
        kept_protocol::blob::check_hash(hash).map_err(|e| CoreError::invalid(e.to_string()))?;
        std::fs::create_dir_all(self.blob_dir())?;
        Ok(self.blob_dir().join(format!("{hash}.part")))
    }

    /// Writes `bytes` as a blob file (atomically, synced) and returns its hash.
    pub fn put_blob_bytes(&self, bytes: &[u8]) -> Result<String> {
        let hash = kept_protocol::blob::hash_of(bytes);
        if self.blob_file(&hash).is_some() {
            return Ok(hash);
        }
        let dir = self.blob_dir();
        std::fs::create_dir_all(&dir)?;
        let tmp = dir.join(format!("{hash}.new"));
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, dir.join(&hash))?;
        Ok(hash)
    }

    /// Takes a finished download at `part` as blob `hash` when its bytes
    /// hash to `hash`; otherwise removes it and says so.
    pub fn accept_blob_part(&self, hash: &str, part: &std::path::Path) -> Result<PathBuf> {
        use sha2::{Digest, Sha256};
        let mut f = std::fs::File::open(part)?;
        let mut h = Sha256::new();
        std::io::copy(&mut f, &mut h)?;
        let got = hex::encode(h.finalize());
        if got != hash {
            let _ = std::fs::remove_file(part);
            return Err(CoreError::Network(format!(
                "the recording downloaded from the relay does not match its hash ({got} instead of {hash}); \
                 it was discarded, try again"
            )));
        }
        let dest = self.blob_dir().join(hash);
        std::fs::rename(part, &dest)?;
        Ok(dest)
    }

    /// Blobs made here that the relay does not hold yet (and did not refuse for good).
    pub fn blobs_to_send(&self) -> Result<Vec<LocalBlob>> {
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM blobs WHERE mine = 1 AND sent = 0 AND problem IS NULL ORDER BY created_at, hash"
        ))?;
        let rows = st.query_map([], row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Every blob this device knows of.
    pub fn blobs(&self) -> Result<Vec<LocalBlob>> {
        let mut st = self.conn.prepare_cached(&format!("SELECT {COLUMNS} FROM blobs ORDER BY created_at, hash"))?;
        let rows = st.query_map([], row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Records that the relay holds blob `hash` of `doc`.
    pub fn blob_sent(&self, hash: &str, doc: &str) -> Result<()> {
        self.conn.execute("UPDATE blobs SET sent = 1 WHERE hash = ?1 AND doc_id = ?2", params![hash, doc])?;
        Ok(())
    }

    /// Records that the relay refused blob `hash` of `doc` for good, and why.
    pub fn blob_refused(&self, hash: &str, doc: &str, why: &str) -> Result<()> {
        self.conn.execute("UPDATE blobs SET problem = ?3 WHERE hash = ?1 AND doc_id = ?2", params![hash, doc, why])?;
        Ok(())
    }
}

impl Tx<'_> {
    /// Records a blob of `doc` (made here when `mine`: then queued for the relay).
    pub fn keep_blob(&mut self, b: &LocalBlob, at: &str) -> Result<()> {
        self.tx.execute(
            "INSERT INTO blobs (hash, doc_id, size, mime, mine, sent, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (hash, doc_id) DO UPDATE SET mine = max(mine, excluded.mine)",
            params![b.hash, b.doc, i64::try_from(b.size).unwrap_or(i64::MAX), b.mime, b.mine, b.sent, at],
        )?;
        Ok(())
    }

    /// After a relay restore: every blob made here is offered again, and any
    /// refusal is forgotten (the relay may take it now).
    pub fn reoffer_own_blobs(&mut self) -> Result<usize> {
        Ok(self.tx.execute("UPDATE blobs SET sent = 0, problem = NULL WHERE mine = 1", [])?)
    }
}
