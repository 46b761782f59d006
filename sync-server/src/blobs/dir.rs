//! [`DirBlobs`]: blob bytes as files `<root>/<team>/<reader>/<hash>`. The hash
//! is checked ([`BlobKey`]); a team or member id is used as a file name only
//! when it is plain (letters, digits and `-`, not starting with `_`, at most
//! 64 bytes), else as `_` and its SHA-256, and the team document's reader
//! (`""`) is `_team`, so no name ever leaves its folder or meets another's.

use super::{io, AppendError, BlobBytes, BlobKey, ByteStream, PIECE};
use crate::storage::StorageResult;
use async_trait::async_trait;
use axum::body::Bytes;
use futures_util::StreamExt;
use std::io::SeekFrom;
use std::path::{Path, PathBuf};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

/// Blob bytes in a directory (created when the first byte arrives).
#[derive(Debug, Clone)]
pub struct DirBlobs {
    root: PathBuf,
}

/// A file name standing for `id` (see the module's comment).
fn component(id: &str) -> String {
    let plain = !id.is_empty()
        && id.len() <= 64
        && !id.starts_with('_')
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if plain {
        id.to_string()
    } else {
        format!("_{}", kept_protocol::blob::hash_of(id.as_bytes()))
    }
}

impl DirBlobs {
    /// A store in `root`.
    pub fn new(root: impl Into<PathBuf>) -> DirBlobs {
        DirBlobs { root: root.into() }
    }

    /// The default store of a SQLite database: `<file>.blobs` beside it.
    pub fn beside(db: &Path) -> DirBlobs {
        let mut s = db.as_os_str().to_owned();
        s.push(".blobs");
        DirBlobs::new(PathBuf::from(s))
    }

    /// The directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file holding a blob's bytes.
    pub fn path(&self, key: &BlobKey) -> PathBuf {
        let reader = if key.reader().is_empty() { "_team".to_string() } else { component(key.reader()) };
        self.root.join(component(key.team())).join(reader).join(key.hash())
    }
}

/// Bytes held in `path` (0 when there is no file).
async fn held(path: &Path) -> StorageResult<u64> {
    match tokio::fs::metadata(path).await {
        Ok(m) => Ok(m.len()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(io(format!("cannot read blob file {}", path.display()))(e)),
    }
}

#[async_trait]
impl BlobBytes for DirBlobs {
    fn describe(&self) -> String {
        format!("directory {}", self.root.display())
    }

    async fn received(&self, key: &BlobKey) -> StorageResult<u64> {
        held(&self.path(key)).await
    }

    async fn append(&self, key: &BlobKey, offset: u64, max: u64, body: &mut ByteStream) -> Result<u64, AppendError> {
        let path = self.path(key);
        let shown = path.display().to_string();
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await.map_err(io(format!("cannot create blob folder {}", dir.display())))?;
        }
        let mut file = tokio::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .await
            .map_err(io(format!("cannot open blob file {shown}")))?;
        let failed = |what: &str| io(format!("cannot {what} blob file {shown}"));
        let len = file.metadata().await.map_err(failed("read"))?.len();
        if len != offset {
            return Err(AppendError::Offset { held: len });
        }
        file.seek(SeekFrom::Start(offset)).await.map_err(failed("seek in"))?;
        // Written in pieces: memory stays at one piece plus one frame of the body.
        let (mut written, mut piece) = (0u64, Vec::with_capacity(PIECE));
        let ended = loop {
            match body.next().await {
                None => break Ok(()),
                Some(Err(e)) => break Err(Some(e)),
                Some(Ok(bytes)) => {
                    if written + (piece.len() + bytes.len()) as u64 > max {
                        break Err(None);
                    }
                    piece.extend_from_slice(&bytes);
                    if piece.len() >= PIECE {
                        file.write_all(&piece).await.map_err(failed("write"))?;
                        written += piece.len() as u64;
                        piece.clear();
                    }
                }
            }
        };
        if let Err(None) = ended {
            file.set_len(offset).await.map_err(failed("cut back"))?;
            file.sync_data().await.map_err(failed("sync"))?;
            return Err(AppendError::TooMuch { max });
        }
        file.write_all(&piece).await.map_err(failed("write"))?;
        written += piece.len() as u64;
        file.sync_data().await.map_err(failed("sync"))?;
        let received = offset + written;
        match ended {
            Err(Some(source)) => Err(AppendError::Cut { received, source }),
            _ => Ok(received),
        }
    }

    async fn sha256(&self, key: &BlobKey) -> StorageResult<String> {
        let path = self.path(key);
        let shown = path.display().to_string();
        let hashed = tokio::task::spawn_blocking(move || -> std::io::Result<String> {
            use sha2::{Digest, Sha256};
            use std::io::Read;
            let mut file = std::fs::File::open(&path)?;
            let (mut hasher, mut buf) = (Sha256::new(), vec![0u8; PIECE]);
            loop {
                let n = file.read(&mut buf)?;
                if n == 0 {
                    return Ok(hex::encode(hasher.finalize()));
                }
                hasher.update(&buf[..n]);
            }
        })
        .await?;
        hashed.map_err(io(format!("cannot read blob file {shown}")))
    }

    async fn read(&self, key: &BlobKey, from: u64) -> StorageResult<ByteStream> {
        let path = self.path(key);
        let shown = path.display().to_string();
        let mut file = tokio::fs::File::open(&path).await.map_err(io(format!("cannot open blob file {shown}")))?;
        file.seek(SeekFrom::Start(from)).await.map_err(io(format!("cannot seek in blob file {shown}")))?;
        let stream = futures_util::stream::unfold(Some(file), |file| async move {
            let mut file = file?;
            let mut buf = vec![0u8; PIECE];
            match file.read(&mut buf).await {
                Ok(0) => None,
                Ok(n) => {
                    buf.truncate(n);
                    Some((Ok(Bytes::from(buf)), Some(file)))
                }
                Err(e) => Some((Err(e), None)),
            }
        });
        Ok(Box::pin(stream))
    }

    async fn discard(&self, key: &BlobKey) -> StorageResult<()> {
        let path = self.path(key);
        match tokio::fs::remove_file(&path).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(io(format!("cannot remove blob file {}", path.display()))(e))
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_become_names_that_stay_in_their_folder() {
        let check = |id: &str, want: &str| assert_eq!(component(id), want, "{id}");
        check("01900000-0000-7000-8000-00000000000a", "01900000-0000-7000-8000-00000000000a");
        for hostile in ["..", ".", "a/b", "../../etc", "_team", "", "a\0b", &"x".repeat(65), "Ünï"] {
            let name = component(hostile);
            assert!(name.starts_with('_') && name.len() == 65, "{hostile:?} → {name}");
        }
        let store = DirBlobs::new("/r");
        let hash = kept_protocol::blob::hash_of(b"x");
        let key = BlobKey::new("t", "", &hash).expect("a hash");
        assert_eq!(store.path(&key), PathBuf::from(format!("/r/t/_team/{hash}")));
        let key = BlobKey::new("../t", "m", &hash).expect("a hash");
        let path = store.path(&key);
        let inside = path.strip_prefix("/r").expect("inside the root");
        assert_eq!(inside.components().count(), 3, "{}", path.display());
        assert!(inside.to_string_lossy().starts_with('_'), "{}", path.display());
        assert!(BlobKey::new("t", "m", "../x").is_err());
    }
}
