//! The first screen first: a new device of a leader holds ten teams, and the
//! leader's view needs only recent weeks of each rep's log (the board, signs
//! over 13 weeks, commitments over four) besides the team, plan, coaching
//! and review documents. A home whose meta [`LATER_BEFORE`] names a week
//! opens, on its first pull, the compacted logs of that week and after, and
//! keeps the older logs' bytes (`store::later`) in the same transaction that
//! moves the cursor past them: the cursor stays exact and nothing is lost if
//! the device stops. [`Kept::adopt_later`] opens them afterwards, newest
//! week first, a batch per transaction. A change pulled meanwhile for a
//! document still waiting opens that document first ([`open_now`]), so the
//! change finds its dependencies.

use crate::docs::DocId;
use crate::error::{CoreError, Result};
use crate::service::Kept;
use crate::store::views::ViewRows;
use crate::store::Tx;
use automerge::AutoCommit;
use std::sync::mpsc::{Receiver, SyncSender};

/// The home's meta key: logs of weeks before this one (a week label) are
/// opened after the first pull.
pub const LATER_BEFORE: &str = "later_before";

/// Documents opened per transaction by [`Kept::adopt_later`].
const LATER_BATCH: usize = 500;

/// A snapshot loaded and its view rows read, on the loader thread.
pub(crate) type Loaded = (DocId, Vec<u8>, Result<(AutoCommit, ViewRows)>);

/// The loader thread: loads each snapshot and reads its view rows, guarded
/// (a panic inside Automerge becomes an error for that document).
pub(crate) fn load_fresh(fresh: Vec<(DocId, Vec<u8>)>, send: SyncSender<Loaded>) {
    for (id, bytes) in fresh {
        let loaded = crate::store::load_snapshot(&id, &bytes);
        if send.send((id, bytes, loaded)).is_err() {
            break;
        }
    }
}

/// Writes what the loader thread sends: each document adopted as it is, or
/// merged when the store holds it already; one that cannot be loaded or
/// applied is set aside (quarantine) and the others go on. Fails (so the
/// caller's transaction takes nothing) when fewer than `expected` arrive.
pub(crate) fn adopt_received(tx: &mut Tx<'_>, recv: &Receiver<Loaded>, expected: usize, at: &str) -> Result<usize> {
    let mut n = 0;
    let mut received = 0;
    for (id, bytes, loaded) in recv.iter() {
        received += 1;
        let done = match loaded {
            Err(e) => Err(e),
            Ok((doc, rows)) => tx.isolated(&id, |tx| tx.adopt_or_merge(&id, &bytes, doc, &rows)),
        };
        match done {
            Ok(k) => n += k,
            Err(e) => {
                let reason = format!("this device could not apply it: {e}");
                tx.quarantine_pulled(id.as_str(), &[(String::new(), bytes)], &reason, at)?
            }
        }
    }
    if received != expected {
        return Err(CoreError::Document(format!("only {received} of {expected} documents of this page could be read")));
    }
    Ok(n)
}

/// Opens the kept snapshot of `id` now, if one waits (a pulled change is
/// about to be applied to it). One that cannot be opened is set aside, as a
/// pulled snapshot would be.
pub(crate) fn open_now(tx: &mut Tx<'_>, id: &DocId, at: &str) -> Result<usize> {
    let Some(bytes) = tx.take_later(id.as_str())? else { return Ok(0) };
    let done = tx.isolated(id, |tx| {
        let (doc, rows) = crate::store::load_snapshot(id, &bytes)?;
        tx.adopt_or_merge(id, &bytes, doc, &rows)
    });
    match done {
        Ok(n) => Ok(n),
        Err(e) => {
            let reason = format!("this device could not apply it: {e}");
            tx.quarantine_pulled(id.as_str(), &[(String::new(), bytes)], &reason, at)?;
            Ok(0)
        }
    }
}

impl Kept {
    /// Documents of this home still waiting to be opened.
    pub fn later_count(&self) -> Result<usize> {
        self.store.later_count()
    }

    /// Opens up to `max` documents kept for later (all with `usize::MAX`),
    /// newest week first, one transaction per batch, loading on a second
    /// thread. Returns how many still wait.
    pub fn adopt_later(&mut self, max: usize) -> Result<usize> {
        let mut left = max;
        self.store.set_cache_kib(crate::store::later::BULK_CACHE_KIB)?;
        let opened = self.open_later(&mut left);
        self.store.set_cache_kib(2000)?;
        opened?;
        self.store.later_count()
    }

    fn open_later(&mut self, left: &mut usize) -> Result<()> {
        while *left > 0 {
            let batch = self.store.later_batch((*left).min(LATER_BATCH))?;
            if batch.is_empty() {
                break;
            }
            *left = (*left).saturating_sub(batch.len());
            let at = self.clock.now().to_rfc3339();
            let mut fresh = Vec::with_capacity(batch.len());
            let mut bad = Vec::new();
            for (doc, bytes) in batch {
                match doc.parse::<DocId>() {
                    Ok(id) => fresh.push((id, bytes)),
                    Err(e) => bad.push((doc, bytes, e)),
                }
            }
            let docs: Vec<String> = fresh.iter().map(|(id, _)| id.to_string()).collect();
            let expected = fresh.len();
            let store = &mut self.store;
            std::thread::scope(|scope| -> Result<()> {
                let (send, recv) = std::sync::mpsc::sync_channel::<Loaded>(32);
                scope.spawn(move || load_fresh(fresh, send));
                store.write(|tx| {
                    adopt_received(tx, &recv, expected, &at)?;
                    for (doc, bytes, e) in &bad {
                        let reason = format!("this device could not apply it: {e}");
                        tx.quarantine_pulled(doc, &[(String::new(), bytes.clone())], &reason, &at)?;
                        tx.forget_later(doc)?;
                    }
                    for doc in &docs {
                        tx.forget_later(doc)?;
                    }
                    Ok(())
                })
            })?;
        }
        Ok(())
    }
}
