//! Where the relay keeps the bytes of blobs (recordings, docs/PROTOCOL.md
//! "Blobs"): [`BlobBytes`], streamed in and out and hashed by streaming, so a
//! blob never sits whole in memory. Two stores: [`DirBlobs`], files in a
//! directory (beside a SQLite database by default, or one the operator names),
//! and [`PgBlobs`], rows of at most [`PG_CHUNK`] bytes in PostgreSQL. What a
//! blob *is* (its size, media type, document, whether it is complete) is the
//! storage's business ([`crate::storage::Storage::offer_blob`]); a store only
//! holds bytes under a [`BlobKey`].

mod dir;
mod pg;

pub use dir::DirBlobs;
pub use pg::{PgBlobs, PG_CHUNK};

use crate::storage::{StorageError, StorageResult};
use async_trait::async_trait;
use axum::body::Bytes;
use futures_util::Stream;
use kept_protocol::blob::{check_hash, BlobError};
use std::pin::Pin;

/// Bytes arriving or leaving, in pieces.
pub type ByteStream = Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>>;

/// Which blob: a team, the reader of its document (the subject, or `""` for
/// the team document) and its hash, checked by [`check_hash`] (so a hash is
/// always 64 lowercase hex digits wherever a store uses it).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BlobKey {
    team: String,
    reader: String,
    hash: String,
}

impl BlobKey {
    /// The key of blob `hash` of `reader` in `team`; Err when the hash is not one.
    pub fn new(team: &str, reader: &str, hash: &str) -> Result<BlobKey, BlobError> {
        check_hash(hash)?;
        Ok(BlobKey { team: team.to_string(), reader: reader.to_string(), hash: hash.to_string() })
    }

    /// The team.
    pub fn team(&self) -> &str {
        &self.team
    }

    /// The reader (`""` for the team document).
    pub fn reader(&self) -> &str {
        &self.reader
    }

    /// The hash (64 lowercase hex digits).
    pub fn hash(&self) -> &str {
        &self.hash
    }
}

/// Why [`BlobBytes::append`] stored less than it was sent.
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    /// The store holds another number of bytes than the offset (nothing written).
    #[error("the relay holds {held} bytes of this blob")]
    Offset {
        /// What the store holds.
        held: u64,
    },
    /// The body carried more than allowed: what this call wrote is removed again.
    #[error("the body carries more than {max} bytes")]
    TooMuch {
        /// What was allowed.
        max: u64,
    },
    /// The body broke off (the client went away): what arrived is kept, so
    /// the upload resumes from `received`.
    #[error("the upload broke off after {received} bytes of the blob")]
    Cut {
        /// What the store holds now.
        received: u64,
        /// Why the body broke off.
        #[source]
        source: std::io::Error,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StorageError),
}

/// A store of blob bytes. Every method is safe to call with any [`BlobKey`];
/// concurrent appends to one key never interleave bytes (an append starts
/// only at what is held, and writes what the hash names: honest writers of
/// one blob write the same bytes at the same offsets).
#[async_trait]
pub trait BlobBytes: Send + Sync + 'static {
    /// Where the bytes are, for logs and reports.
    fn describe(&self) -> String;
    /// How many bytes of the blob are held (0 when none).
    async fn received(&self, key: &BlobKey) -> StorageResult<u64>;
    /// Stores `body` from `offset`, which must be what is held; returns what
    /// is held after. More than `max` bytes in the body: nothing of it is
    /// kept ([`AppendError::TooMuch`]; the rest of the body stays unread in
    /// `body`). A body that breaks off keeps what arrived, durably
    /// ([`AppendError::Cut`]).
    async fn append(&self, key: &BlobKey, offset: u64, max: u64, body: &mut ByteStream) -> Result<u64, AppendError>;
    /// SHA-256 (hex) of the bytes held, read by streaming.
    async fn sha256(&self, key: &BlobKey) -> StorageResult<String>;
    /// The bytes held from `from` on, as a stream.
    async fn read(&self, key: &BlobKey, from: u64) -> StorageResult<ByteStream>;
    /// Forgets the bytes (nothing held is fine).
    async fn discard(&self, key: &BlobKey) -> StorageResult<()>;
}

/// Pieces of at most this many bytes are written, hashed and read at once.
pub(crate) const PIECE: usize = 256 * 1024;

/// What the relay allows of blobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobLimits {
    /// Largest blob (bytes), at most [`kept_protocol::blob::MAX_BLOB_BYTES`].
    pub max_bytes: u64,
    /// Most bytes of blobs per team (complete or not).
    pub quota: u64,
}

/// Default per-team quota: 2 GiB.
pub const DEFAULT_QUOTA: u64 = 2048 * 1024 * 1024;

impl Default for BlobLimits {
    fn default() -> Self {
        BlobLimits { max_bytes: kept_protocol::blob::MAX_BLOB_BYTES, quota: DEFAULT_QUOTA }
    }
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> StorageError {
    let what = what.into();
    move |source| StorageError::Io { what, source }
}
