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
//!
//! A home that joins a relay with `GET /v1/snapshots` does not even take the
//! older logs on its first pull: it asks for `logs_from` that week and
//! leaves them on the relay ([`LATER_REMOTE`]), and [`Kept::adopt_later`]
//! fetches them (`logs_before`) before it opens them. A change pulled
//! meanwhile for such a log, not held here, waits in the store
//! (`later_changes`) and is applied right after its snapshot is opened, or
//! on its own once every older log is in (a log the relay never compacted).

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

/// The home's meta key: how many older logs still wait on the relay (absent
/// or empty: none; the count the relay gave on the first page, lowered as
/// pages arrive).
pub const LATER_REMOTE: &str = "later_remote";
/// The home's meta key: the last document of the older logs fetched so far.
pub(crate) const LATER_AFTER: &str = "later_after";

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
/// about to be applied to it), then the changes that wait for it. One that
/// cannot be opened is set aside, as a pulled snapshot would be. While older
/// logs still wait on the relay (`remote`), the changes of a document not
/// held here go on waiting: its snapshot may be among them.
pub(crate) fn open_now(tx: &mut Tx<'_>, id: &DocId, remote: bool, at: &str) -> Result<usize> {
    let mut n = 0;
    if let Some(bytes) = tx.take_later(id.as_str())? {
        let done = tx.isolated(id, |tx| {
            let (doc, rows) = crate::store::load_snapshot(id, &bytes)?;
            tx.adopt_or_merge(id, &bytes, doc, &rows)
        });
        match done {
            Ok(k) => n += k,
            Err(e) => {
                let reason = format!("this device could not apply it: {e}");
                tx.quarantine_pulled(id.as_str(), &[(String::new(), bytes)], &reason, at)?;
                return Ok(0);
            }
        }
    }
    if !remote || tx.holds(id)? {
        let waiting = tx.take_later_changes(id.as_str())?;
        if !waiting.is_empty() {
            n += super::pull::apply_isolating(tx, id, waiting, at)?;
        }
    }
    Ok(n)
}

impl Kept {
    /// Documents of this home still waiting to be opened: kept here, and
    /// still on the relay.
    pub fn later_count(&self) -> Result<usize> {
        Ok(self.store.later_count()? + self.later_remote()?)
    }

    /// How many older logs still wait on the relay.
    fn later_remote(&self) -> Result<usize> {
        Ok(self.store.meta(LATER_REMOTE)?.and_then(|n| n.parse().ok()).unwrap_or(0))
    }

    /// Opens up to `max` documents kept for later (all with `usize::MAX`),
    /// newest week first, one transaction per batch, loading on a second
    /// thread; first fetches those still on the relay. Returns how many
    /// still wait.
    pub fn adopt_later(&mut self, max: usize) -> Result<usize> {
        self.fetch_later()?;
        let mut left = max;
        self.store.set_cache_kib(crate::store::later::BULK_CACHE_KIB)?;
        let opened = self.open_later(&mut left);
        self.store.set_cache_kib(2000)?;
        opened?;
        if self.store.later_count()? == 0 {
            self.open_waiting_changes()?;
        }
        self.later_count()
    }

    /// Takes the older logs the first pull left on the relay, a page per
    /// transaction (kept to be opened, with how far it got).
    fn fetch_later(&mut self) -> Result<()> {
        let Some(cut) = self.store.meta(LATER_BEFORE)?.and_then(|w| w.parse::<crate::week::Week>().ok()) else {
            return Ok(());
        };
        if self.store.meta(LATER_REMOTE)?.is_none_or(|r| r.is_empty()) {
            return Ok(());
        }
        let client = self.relay()?;
        loop {
            let after = self.store.meta(LATER_AFTER)?.unwrap_or_default();
            let page = client.snapshots(&after, crate::protocol::LogWeeks::Before(cut), super::pull::SNAPSHOT_PAGE)?;
            let snapshots = super::pull::decode_snapshots(&page.snapshots)?;
            let left = self.later_remote()?.saturating_sub(snapshots.len());
            self.store.write(|tx| {
                for (id, bytes) in &snapshots {
                    tx.keep_for_later(id, bytes)?;
                }
                tx.set_meta(LATER_AFTER, &page.next)?;
                tx.set_meta(LATER_REMOTE, &if page.more { left.max(1).to_string() } else { String::new() })
            })?;
            if !page.more {
                return Ok(());
            }
        }
    }

    /// Applies the changes still waiting once no snapshot can come for them
    /// (every older log is in and opened): logs the relay never compacted.
    fn open_waiting_changes(&mut self) -> Result<()> {
        if self.later_remote()? > 0 || self.store.meta(LATER_REMOTE)?.is_some_and(|r| !r.is_empty()) {
            return Ok(());
        }
        let docs = self.store.later_change_docs()?;
        if docs.is_empty() {
            return Ok(());
        }
        let at = self.clock.now().to_rfc3339();
        self.store.write(|tx| {
            for doc in &docs {
                match doc.parse::<DocId>() {
                    Ok(id) => {
                        open_now(tx, &id, false, &at)?;
                    }
                    Err(e) => {
                        let items: Vec<(String, Vec<u8>)> =
                            tx.take_later_changes(doc)?.into_iter().map(|b| (String::new(), b)).collect();
                        super::pull::set_aside(tx, doc, &items, &e.into(), &at)?;
                    }
                }
            }
            Ok(())
        })
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
            let ids: Vec<DocId> = fresh.iter().map(|(id, _)| id.clone()).collect();
            let expected = fresh.len();
            let store = &mut self.store;
            std::thread::scope(|scope| -> Result<()> {
                let (send, recv) = std::sync::mpsc::sync_channel::<Loaded>(32);
                scope.spawn(move || load_fresh(fresh, send));
                store.write(|tx| {
                    adopt_received(tx, &recv, expected, &at)?;
                    // The changes that waited for these snapshots.
                    for id in &ids {
                        if tx.holds(id)? {
                            let waiting = tx.take_later_changes(id.as_str())?;
                            if !waiting.is_empty() {
                                super::pull::apply_isolating(tx, id, waiting, &at)?;
                            }
                        }
                    }
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
