//! [`PgBlobs`]: blob bytes as rows of `blob_chunks` (`postgres_v6.sql`), each
//! at most [`PG_CHUNK`] bytes at its offset `pos`. A row is inserted only where
//! the blob's bytes end (checked in the inserting statement), so rows never
//! overlap even with two uploads of one blob racing on two relays; every row
//! commits on its own, so a cut upload keeps what arrived.

use super::{AppendError, BlobBytes, BlobKey, ByteStream, PIECE};
use crate::storage::{StorageError, StorageResult};
use async_trait::async_trait;
use axum::body::Bytes;
use deadpool_postgres::Pool;
use futures_util::StreamExt;

/// Largest row of `blob_chunks` (bytes).
pub const PG_CHUNK: usize = PIECE;

/// Blob bytes in PostgreSQL.
#[derive(Clone)]
pub struct PgBlobs {
    pool: Pool,
}

const HELD: &str = "SELECT pos + octet_length(bytes) FROM blob_chunks \
                    WHERE team_id = $1 AND reader = $2 AND hash = $3 ORDER BY pos DESC LIMIT 1";

/// Inserts a row at `$4` only when the blob's bytes end there.
const INSERT: &str = "INSERT INTO blob_chunks(team_id, reader, hash, pos, bytes) \
                      SELECT $1, $2, $3, $4, $5 WHERE COALESCE((SELECT pos + octet_length(bytes) FROM blob_chunks \
                      WHERE team_id = $1 AND reader = $2 AND hash = $3 ORDER BY pos DESC LIMIT 1), 0) = $4 \
                      ON CONFLICT DO NOTHING";

/// The row holding byte `$4`.
const ROW_AT: &str = "SELECT pos, bytes FROM blob_chunks WHERE team_id = $1 AND reader = $2 AND hash = $3 \
                      AND pos <= $4 AND pos + octet_length(bytes) > $4 ORDER BY pos DESC LIMIT 1";

fn pos(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl PgBlobs {
    /// A store on the relay's pool.
    pub fn new(pool: Pool) -> PgBlobs {
        PgBlobs { pool }
    }

    async fn held(&self, key: &BlobKey) -> StorageResult<u64> {
        let c = self.pool.get().await?;
        let st = c.prepare_cached(HELD).await?;
        let row = c.query_opt(&st, &[&key.team, &key.reader, &key.hash]).await?;
        Ok(row.map_or(0, |r| r.get::<_, i64>(0).max(0) as u64))
    }

    /// Stores one row at `at`; false when the blob's bytes no longer end there.
    async fn put_row(&self, key: &BlobKey, at: u64, bytes: &[u8]) -> StorageResult<bool> {
        let c = self.pool.get().await?;
        let st = c.prepare_cached(INSERT).await?;
        Ok(c.execute(&st, &[&key.team, &key.reader, &key.hash, &pos(at), &bytes]).await? == 1)
    }

    /// The bytes from `at` to the end of the row holding byte `at` (None: past the end).
    async fn row_at(pool: &Pool, key: &BlobKey, at: u64) -> StorageResult<Option<Bytes>> {
        let c = pool.get().await?;
        let st = c.prepare_cached(ROW_AT).await?;
        let Some(row) = c.query_opt(&st, &[&key.team, &key.reader, &key.hash, &pos(at)]).await? else {
            return Ok(None);
        };
        let (start, bytes): (i64, Vec<u8>) = (row.get(0), row.get(1));
        let skip = usize::try_from(pos(at) - start).unwrap_or(0).min(bytes.len());
        Ok(Some(Bytes::from(bytes).slice(skip..)))
    }

    async fn cut_back(&self, key: &BlobKey, to: u64) -> StorageResult<()> {
        let c = self.pool.get().await?;
        c.execute(
            "DELETE FROM blob_chunks WHERE team_id = $1 AND reader = $2 AND hash = $3 AND pos >= $4",
            &[&key.team, &key.reader, &key.hash, &pos(to)],
        )
        .await?;
        Ok(())
    }
}

#[async_trait]
impl BlobBytes for PgBlobs {
    fn describe(&self) -> String {
        "PostgreSQL table blob_chunks".into()
    }

    async fn received(&self, key: &BlobKey) -> StorageResult<u64> {
        self.held(key).await
    }

    async fn append(&self, key: &BlobKey, offset: u64, max: u64, body: &mut ByteStream) -> Result<u64, AppendError> {
        let held = self.held(key).await?;
        if held != offset {
            return Err(AppendError::Offset { held });
        }
        let (mut at, mut piece) = (offset, Vec::with_capacity(PG_CHUNK));
        let ended = loop {
            match body.next().await {
                None => break Ok(()),
                Some(Err(e)) => break Err(Some(e)),
                Some(Ok(bytes)) => {
                    if at - offset + (piece.len() + bytes.len()) as u64 > max {
                        break Err(None);
                    }
                    let mut rest = &bytes[..];
                    while !rest.is_empty() {
                        let take = rest.len().min(PG_CHUNK - piece.len());
                        piece.extend_from_slice(&rest[..take]);
                        rest = &rest[take..];
                        if piece.len() == PG_CHUNK {
                            if !self.put_row(key, at, &piece).await? {
                                return Err(AppendError::Offset { held: self.held(key).await? });
                            }
                            at += piece.len() as u64;
                            piece.clear();
                        }
                    }
                }
            }
        };
        if let Err(None) = ended {
            self.cut_back(key, offset).await?;
            return Err(AppendError::TooMuch { max });
        }
        if !piece.is_empty() {
            if !self.put_row(key, at, &piece).await? {
                return Err(AppendError::Offset { held: self.held(key).await? });
            }
            at += piece.len() as u64;
        }
        match ended {
            Err(Some(source)) => Err(AppendError::Cut { received: at, source }),
            _ => Ok(at),
        }
    }

    async fn sha256(&self, key: &BlobKey) -> StorageResult<String> {
        use sha2::{Digest, Sha256};
        let (mut hasher, mut at) = (Sha256::new(), 0u64);
        while let Some(bytes) = Self::row_at(&self.pool, key, at).await? {
            hasher.update(&bytes);
            at += bytes.len() as u64;
        }
        Ok(hex::encode(hasher.finalize()))
    }

    async fn read(&self, key: &BlobKey, from: u64) -> StorageResult<ByteStream> {
        let (pool, key) = (self.pool.clone(), key.clone());
        let stream = futures_util::stream::unfold(Some(from), move |at| {
            let (pool, key) = (pool.clone(), key.clone());
            async move {
                let at = at?;
                match Self::row_at(&pool, &key, at).await {
                    Ok(None) => None,
                    Ok(Some(bytes)) => {
                        let next = at + bytes.len() as u64;
                        Some((Ok(bytes), Some(next)))
                    }
                    Err(e) => Some((Err(std::io::Error::other(crate::storage::chain(&e))), None)),
                }
            }
        });
        Ok(Box::pin(stream))
    }

    async fn discard(&self, key: &BlobKey) -> StorageResult<()> {
        let c = self.pool.get().await?;
        c.execute(
            "DELETE FROM blob_chunks WHERE team_id = $1 AND reader = $2 AND hash = $3",
            &[&key.team, &key.reader, &key.hash],
        )
        .await
        .map_err(StorageError::from)?;
        Ok(())
    }
}
