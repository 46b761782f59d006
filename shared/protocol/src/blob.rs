//! Attachments (recordings) as content-addressed blobs beside the documents:
//! the wire types of `/v1/blobs` and the checks both sides apply to what the
//! other sends. A blob belongs to a document (`doc`), and whoever may read or
//! write that document may read or write the blob — nothing else decides.
//! docs/PROTOCOL.md "Blobs" is the contract.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Largest blob a relay accepts unless its operator sets a lower limit (bytes).
pub const MAX_BLOB_BYTES: u64 = 100 * 1024 * 1024;
/// Largest body of one `PUT /v1/blobs/{hash}` (bytes).
pub const MAX_BLOB_CHUNK: usize = 4 * 1024 * 1024;
/// The chunk size Kept's own client sends.
pub const CLIENT_CHUNK: usize = 1024 * 1024;
/// Longest media type accepted.
pub const MAX_MIME_LEN: usize = 100;

/// `POST /v1/blobs`: "I have this blob for this document". Registers it (or
/// finds it) and answers how much of it the relay holds.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct BlobOffer {
    /// SHA-256 of the bytes, 64 lowercase hex digits.
    pub hash: String,
    /// Its size in bytes (at least 1, at most the relay's limit).
    pub size: u64,
    /// The document the blob belongs to (decides access, like the document's).
    pub doc: String,
    /// Its media type, e.g. `audio/webm` (`audio/`, `video/` or `image/`).
    pub mime: String,
}

/// What the relay holds of a blob (answer to the offer and to every chunk).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BlobStatus {
    /// SHA-256, hex.
    pub hash: String,
    /// Its size in bytes.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub size: u64,
    /// Bytes received so far: the offset of the next chunk.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub received: u64,
    /// True once every byte arrived and their SHA-256 matched `hash`.
    pub complete: bool,
}

/// What is wrong with a blob's description.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum BlobError {
    /// Not 64 lowercase hex digits.
    #[error("'{0}' is not a blob hash: expected the SHA-256 of the bytes as 64 lowercase hex digits")]
    BadHash(String),
    /// Not an accepted media type.
    #[error("'{0}' is not an accepted media type: expected audio/…, video/… or image/…")]
    BadMime(String),
    /// Empty.
    #[error("a blob must hold at least one byte")]
    Empty,
    /// Over the limit.
    #[error("the blob is {size} bytes; this relay accepts at most {limit} bytes per file")]
    TooLarge {
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
}

/// Checks a hash as sent on the wire.
pub fn check_hash(hash: &str) -> Result<(), BlobError> {
    let ok = hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if ok {
        Ok(())
    } else {
        Err(BlobError::BadHash(hash.chars().take(80).collect()))
    }
}

/// Checks a media type: `audio/`, `video/` or `image/` then a token of
/// letters, digits and `.+-`, optional `;codecs=…` parameters of the same
/// characters plus `=,"` and spaces; at most [`MAX_MIME_LEN`] bytes.
pub fn check_mime(mime: &str) -> Result<(), BlobError> {
    let bad = || BlobError::BadMime(mime.chars().take(80).collect());
    if mime.len() > MAX_MIME_LEN {
        return Err(bad());
    }
    let (ty, rest) = mime.split_once('/').ok_or_else(bad)?;
    if !matches!(ty, "audio" | "video" | "image") {
        return Err(bad());
    }
    let (sub, params) = rest.split_once(';').unwrap_or((rest, ""));
    let token = |c: char| c.is_ascii_alphanumeric() || ".+-".contains(c);
    if sub.is_empty() || !sub.chars().all(token) {
        return Err(bad());
    }
    if !params.chars().all(|c| token(c) || "=,\" ;".contains(c)) {
        return Err(bad());
    }
    Ok(())
}

/// Checks an offer against a relay's per-file `limit`.
pub fn check_offer(offer: &BlobOffer, limit: u64) -> Result<(), BlobError> {
    check_hash(&offer.hash)?;
    check_mime(&offer.mime)?;
    if offer.size == 0 {
        return Err(BlobError::Empty);
    }
    if offer.size > limit {
        return Err(BlobError::TooLarge { size: offer.size, limit });
    }
    Ok(())
}

/// SHA-256 of `bytes` as the wire spells it.
pub fn hash_of(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_64_lowercase_hex_digits() {
        assert!(check_hash(&hash_of(b"x")).is_ok());
        assert!(check_hash(&hash_of(b"x").to_uppercase()).is_err());
        assert!(check_hash("../../etc/passwd").is_err());
        assert!(check_hash(&"a".repeat(63)).is_err());
    }

    #[test]
    fn only_media_types_of_recordings_are_accepted() {
        for ok in ["audio/webm", "audio/webm;codecs=opus", "video/mp4", "audio/x-wav", "image/png"] {
            assert!(check_mime(ok).is_ok(), "{ok}");
        }
        for bad in ["text/html", "audio/", "audio", "audio/we\nbm", "application/octet-stream", "audio/<b>"] {
            assert!(check_mime(bad).is_err(), "{bad}");
        }
        assert!(check_mime(&format!("audio/{}", "a".repeat(200))).is_err());
    }

    #[test]
    fn an_offer_over_the_limit_or_empty_is_refused() {
        let offer = BlobOffer { hash: hash_of(b"x"), size: 11, doc: "coaching/m".into(), mime: "audio/wav".into() };
        assert_eq!(check_offer(&offer, 10), Err(BlobError::TooLarge { size: 11, limit: 10 }));
        assert!(check_offer(&offer, 11).is_ok());
        assert_eq!(check_offer(&BlobOffer { size: 0, ..offer }, 10), Err(BlobError::Empty));
    }
}
