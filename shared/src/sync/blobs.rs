//! Recordings to and from the relay (docs/PROTOCOL.md "Blobs"): every sync
//! sends the recordings made here that the relay lacks, chunk by chunk from
//! the relay's own offset, so an upload cut off anywhere resumes where it
//! stopped; a recording is downloaded when someone opens it, resuming a cut
//! download from the bytes already here, and kept only if its SHA-256 matches.

use super::client::RelayClient;
use crate::error::{CoreError, Result};
use crate::service::Kept;
use crate::store::blobs::LocalBlob;
use kept_protocol::blob::{BlobOffer, CLIENT_CHUNK};
use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;

/// A refusal that retrying will not change (the relay said what is wrong
/// with this recording), as opposed to the network or a busy relay.
fn refused_for_good(e: &CoreError) -> Option<String> {
    match e {
        CoreError::Relay { status, message } if !matches!(status, 401 | 408 | 409 | 429) && *status < 500 => {
            Some(format!("the relay refused it ({status}): {message}"))
        }
        CoreError::Relay { status: 507, message } => Some(format!("the relay refused it (507): {message}")),
        _ => None,
    }
}

/// Sends the file at `path` as blob `offer` to the relay, from the offset
/// the relay already holds, [`CLIENT_CHUNK`] bytes a request, until the relay
/// says it is complete. A cut connection is an error; calling again resumes.
pub fn upload(client: &RelayClient, offer: &BlobOffer, path: &std::path::Path) -> Result<()> {
    let mut status = client.offer_blob(offer)?;
    let mut file = std::fs::File::open(path)?;
    let mut buf = vec![0u8; CLIENT_CHUNK];
    let mut conflicts = 0;
    while !status.complete {
        file.seek(SeekFrom::Start(status.received))?;
        let left = offer.size.saturating_sub(status.received);
        let want = usize::try_from(left.min(CLIENT_CHUNK as u64)).unwrap_or(CLIENT_CHUNK);
        file.read_exact(&mut buf[..want])?;
        status = match client.put_blob_chunk(&offer.hash, &offer.doc, status.received, &buf[..want]) {
            Ok(s) => s,
            // Another device of mine is sending the same recording, or the
            // relay kept less than it said: ask again where it is.
            Err(CoreError::Relay { status: 409, .. }) if conflicts < 3 => {
                conflicts += 1;
                client.offer_blob(offer)?
            }
            Err(e) => return Err(e),
        };
    }
    Ok(())
}

impl Kept {
    /// Sends every recording made here that the relay does not hold yet.
    /// Returns how many were completed. A recording the relay refuses for
    /// good is marked with the reason (shown by `kept status`) and the others
    /// go on; a network failure stops here and the next sync resumes.
    pub(crate) fn send_blobs(&mut self, client: &RelayClient) -> Result<usize> {
        let mut done = 0;
        for b in self.store.blobs_to_send()? {
            match self.send_blob(client, &b) {
                Ok(()) => {
                    self.store.blob_sent(&b.hash, &b.doc)?;
                    done += 1;
                }
                Err(e) => match refused_for_good(&e) {
                    Some(why) => self.store.blob_refused(&b.hash, &b.doc, &why)?,
                    None => return Err(e),
                },
            }
        }
        Ok(done)
    }

    fn send_blob(&self, client: &RelayClient, b: &LocalBlob) -> Result<()> {
        let Some(path) = self.store.blob_file(&b.hash) else {
            return Err(CoreError::Relay {
                status: 410,
                message: "the recording's file is no longer on this device".into(),
            });
        };
        let offer = BlobOffer { hash: b.hash.clone(), size: b.size, doc: b.doc.clone(), mime: b.mime.clone() };
        upload(client, &offer, &path)
    }

    /// The file of a recording of document `doc`: this device's copy, else
    /// downloaded from the relay now (resuming a download cut off before).
    pub fn fetch_blob(&mut self, hash: &str, doc: &str, size: u64, mime: &str) -> Result<PathBuf> {
        if let Some(p) = self.store.blob_file(hash) {
            return Ok(p);
        }
        let client = self.relay().map_err(|_| {
            CoreError::invalid("this recording is not on this device and the device has not joined a relay")
        })?;
        let part = self.store.blob_part_file(hash)?;
        let mut have = std::fs::metadata(&part).map(|m| m.len()).unwrap_or(0);
        if have > size {
            std::fs::remove_file(&part)?;
            have = 0;
        }
        if have < size {
            let mut out = std::fs::OpenOptions::new().create(true).append(true).open(&part)?;
            client.get_blob(hash, doc, have, size, &mut out)?;
            out.sync_all()?;
        }
        let got = std::fs::metadata(&part).map(|m| m.len()).unwrap_or(0);
        if got != size {
            return Err(CoreError::Network(format!(
                "the download of the recording stopped at {got} of {size} bytes; open it again to resume"
            )));
        }
        let path = self.store.accept_blob_part(hash, &part)?;
        let at = self.clock.now().to_rfc3339();
        let row = LocalBlob {
            hash: hash.into(),
            doc: doc.into(),
            size,
            mime: mime.into(),
            mine: false,
            sent: true,
            problem: None,
        };
        self.store.write(|tx| tx.keep_blob(&row, &at))?;
        Ok(path)
    }
}
