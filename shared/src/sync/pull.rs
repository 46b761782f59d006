//! Pulling: the first pull's snapshots a page at a time
//! (`GET /v1/snapshots`), then the changes after the cursor
//! (`GET /v1/pull`), each page applied to the documents and views, with the
//! cursor moved past it, in ONE local transaction.

use super::client::RelayClient;
use super::later::{self, LATER_AFTER, LATER_BEFORE, LATER_REMOTE};
use crate::docs::DocId;
use crate::error::{CoreError, Result};
use crate::protocol::{LogWeeks, Snapshot};
use crate::service::Kept;
use crate::store::Tx;
use crate::week::Week;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use std::collections::BTreeMap;

/// Changes per pull page.
const PULL_PAGE: u32 = 2000;
/// Snapshots per page of the first pull (and the relay's byte cap).
pub(crate) const SNAPSHOT_PAGE: u32 = 1000;
/// The home's meta keys of the first pull's snapshots: the last document
/// taken, the lowest compaction sequence of the pages taken, and "1" once
/// every page is in (the cursor then starts from that sequence).
const SNAP_AFTER: &str = "snapshots_after";
const SNAP_UPTO: &str = "snapshots_upto";
const SNAP_DONE: &str = "snapshots_done";

/// What one page brings, decoded: snapshots, and changes grouped by
/// document in the order pulled.
#[derive(Default)]
pub(crate) struct Incoming {
    pub(crate) snapshots: Vec<(DocId, Vec<u8>)>,
    pub(crate) changes: Vec<(String, Vec<Vec<u8>>)>,
}

/// Decodes a page's snapshots (a relay's bytes: an error says what was wrong).
pub(crate) fn decode_snapshots(snapshots: &[Snapshot]) -> Result<Vec<(DocId, Vec<u8>)>> {
    let mut out = Vec::with_capacity(snapshots.len());
    for s in snapshots {
        let bytes = B64.decode(&s.data).map_err(|e| CoreError::Network(format!("bad snapshot from relay: {e}")))?;
        out.push((s.doc.parse()?, bytes));
    }
    Ok(out)
}

impl Kept {
    /// Pulls until no more pages wait. Returns how many changes were applied,
    /// and true when the relay answered `reset` (it lost changes this device
    /// had seen): then the cursor is back to 0 and this device's own changes
    /// are back in the outbox, to be offered again.
    pub(crate) fn pull_all(&mut self, client: &RelayClient) -> Result<(usize, bool)> {
        let mut total = 0;
        let later_before: Option<Week> = self.store.meta(LATER_BEFORE)?.and_then(|w| w.parse().ok());
        if self.cursor()? == 0 && self.store.meta(SNAP_DONE)?.is_none_or(|d| d.is_empty()) {
            total += self.pull_snapshots(client, later_before)?;
        }
        loop {
            let cursor = self.cursor()?;
            let seen = self.store.meta("seen")?;
            let page = client.pull_seen(cursor, PULL_PAGE, seen.as_deref())?;
            if page.reset {
                let (member, role) = (self.me().id.clone(), self.me().role);
                let n = self.store.write(|tx| {
                    tx.set_meta("cursor", "0")?;
                    tx.set_meta("seen", "")?;
                    // From cursor 0 the snapshots come a page at a time again.
                    for key in [SNAP_DONE, SNAP_AFTER, SNAP_UPTO] {
                        tx.delete_meta(key)?;
                    }
                    tx.reoffer_own_blobs()?;
                    tx.reoffer_own_changes(&member, role)
                })?;
                let at = self.clock.now().to_rfc3339();
                self.store.set_meta(
                    "last_reset",
                    &format!("{at}: the relay had lost changes; {n} of this device's changes offered again"),
                )?;
                return Ok((total, true));
            }
            let seen_after = page.changes.last().and_then(|c| {
                let bytes = B64.decode(&c.data).ok()?;
                let hash = kept_protocol::change::from_bytes(bytes).ok()?.hash();
                Some(format!("{}:{hash}", c.seq))
            });
            let mut incoming = Incoming { snapshots: decode_snapshots(&page.snapshots)?, changes: Vec::new() };
            let mut by_doc: BTreeMap<String, Vec<Vec<u8>>> = BTreeMap::new();
            for c in &page.changes {
                let bytes =
                    B64.decode(&c.data).map_err(|e| CoreError::Network(format!("bad change from relay: {e}")))?;
                by_doc.entry(c.doc.clone()).or_default().push(bytes);
            }
            incoming.changes = by_doc.into_iter().collect();
            let mut meta = vec![("cursor", page.next.max(cursor).to_string())];
            if let Some(seen) = seen_after {
                meta.push(("seen", seen));
            }
            total += self.take_in(incoming, later_before, &meta)?;
            if !page.more {
                return Ok((total, false));
            }
        }
    }

    /// A new home's first pull of compacted documents, a page at a time; a
    /// home told to open older weeks later (`later_before`) leaves their
    /// logs on the relay for [`Kept::adopt_later`]. Each page is taken in one
    /// transaction that records how far it got, so a device that stops goes
    /// on from there. At the end the cursor starts from the lowest
    /// compaction sequence of the pages (the changes after it come as
    /// changes; those a snapshot already held merge as no-ops).
    fn pull_snapshots(&mut self, client: &RelayClient, later_before: Option<Week>) -> Result<usize> {
        let logs = later_before.map_or(LogWeeks::All, LogWeeks::From);
        let mut total = 0;
        loop {
            let after = self.store.meta(SNAP_AFTER)?.unwrap_or_default();
            let page = match client.snapshots(&after, logs, SNAPSHOT_PAGE) {
                // A relay from before `GET /v1/snapshots`: the pull at
                // cursor 0 brings every snapshot on its first page.
                Err(CoreError::Relay { status: 404, .. }) => {
                    self.store.set_meta(SNAP_DONE, "1")?;
                    return Ok(total);
                }
                page => page?,
            };
            stalled(&after, &page)?;
            // (A relay's sequence is never negative; one that says so is read as 0.)
            let upto = match self.store.meta(SNAP_UPTO)?.and_then(|u| u.parse::<i64>().ok()) {
                Some(u) => u.min(page.upto),
                None => page.upto,
            }
            .max(0);
            let mut meta = vec![(SNAP_AFTER, page.next.clone()), (SNAP_UPTO, upto.to_string())];
            // The older logs the first page left on the relay, if any.
            if let (Some(n @ 1..), Some(_)) = (page.later, later_before) {
                meta.push((LATER_REMOTE, n.to_string()));
                meta.push((LATER_AFTER, String::new()));
            }
            if !page.more {
                meta.push(("cursor", upto.to_string()));
                meta.push((SNAP_DONE, "1".to_string()));
            }
            let incoming = Incoming { snapshots: decode_snapshots(&page.snapshots)?, changes: Vec::new() };
            total += self.take_in(incoming, later_before, &meta)?;
            if !page.more {
                return Ok(total);
            }
        }
    }

    /// Applies one page in one transaction with `meta` (the cursor and what
    /// says how far the pull got). Documents this device does not hold yet
    /// are loaded and read on a second thread while this one writes the
    /// rows (a new device's first pull is mostly that); the rest merge as
    /// changes. One document that cannot be applied is set aside and the
    /// others go on.
    pub(crate) fn take_in(
        &mut self,
        incoming: Incoming,
        later_before: Option<Week>,
        meta: &[(&str, String)],
    ) -> Result<usize> {
        let Incoming { mut snapshots, mut changes } = incoming;
        // The team document first: it sets the week basis activity rows are filed under.
        snapshots.sort_by_key(|(id, _)| id.as_str() != "team");
        changes.sort_by_key(|(id, _)| id != "team");
        let held: Vec<bool> = snapshots.iter().map(|(id, _)| self.store.holds(id)).collect::<Result<_>>()?;
        let (known, fresh): (Vec<_>, Vec<_>) = snapshots.into_iter().zip(held).partition(|(_, held)| *held);
        let known: Vec<(DocId, Vec<u8>)> = known.into_iter().map(|(s, _)| s).collect();
        // A first pull told to open older weeks later (a leader's team
        // home, see `later`) keeps their logs' bytes for then.
        let older = |id: &DocId| later_before.is_some_and(|cut| LogWeeks::Before(cut).holds(id));
        let (kept, fresh): (Vec<_>, Vec<_>) = fresh.into_iter().map(|(s, _)| s).partition(|(id, _)| older(id));
        let at = self.clock.now().to_rfc3339();
        let bulk = fresh.len() > 100;
        if bulk {
            self.store.set_cache_kib(crate::store::later::BULK_CACHE_KIB)?;
        }
        let applied = later::open_fresh(&mut self.store, fresh, &at, |tx| {
            let mut n = 0;
            // Changes of older logs whose snapshots still wait on the relay
            // wait here too (read in this transaction: a catch-up running
            // beside it may just have taken the last of them).
            let remote = later::remote_waits(tx.meta(LATER_REMOTE)?);
            for (id, bytes) in &kept {
                tx.keep_for_later(id, bytes)?;
            }
            for (id, bytes) in &known {
                let done = tx.isolated(id, |tx| {
                    let mut doc = crate::store::guarded(id, || automerge::AutoCommit::load(bytes))?;
                    let raw = doc.get_changes(&[]).iter().map(|c| c.raw_bytes().to_vec()).collect();
                    tx.apply(id, raw, false)
                });
                match done {
                    Ok(k) => n += k,
                    Err(e) => set_aside(tx, id.as_str(), &[(String::new(), bytes.clone())], &e, &at)?,
                }
            }
            for (doc, raw) in &changes {
                let id: DocId = match doc.parse() {
                    Ok(id) => id,
                    Err(e) => {
                        let items: Vec<_> = raw.iter().map(|b| named(b)).collect();
                        set_aside(tx, doc, &items, &e.into(), &at)?;
                        continue;
                    }
                };
                // A document whose snapshot waits here is opened first.
                n += later::open_now(tx, &id, remote, &at)?;
                if remote && older(&id) && !tx.holds(&id)? {
                    for bytes in raw {
                        tx.keep_change_for_later(&id, bytes)?;
                    }
                    continue;
                }
                n += apply_isolating(tx, &id, raw.clone(), &at)?;
            }
            for (key, value) in meta {
                tx.set_meta(key, value)?;
            }
            Ok(n)
        });
        if bulk {
            self.store.set_cache_kib(2000)?;
        }
        applied.map(|(opened, merged)| opened + merged)
    }
}

/// A relay's page that says more wait must move past `after` (a page at a
/// time, in id order): else the device would ask for the same page forever.
pub(crate) fn stalled(after: &str, page: &crate::protocol::SnapshotPage) -> Result<()> {
    if page.more && page.next.as_str() <= after {
        return Err(CoreError::Network(format!(
            "the relay's snapshot pages do not move on: after '{after}' it says more wait from '{}'",
            page.next
        )));
    }
    Ok(())
}

/// Applies pulled changes of one document: all at once; if that fails, one
/// at a time, so only the changes that cannot be applied (and those that
/// depend on them) are set aside. Returns how many were new here.
pub(crate) fn apply_isolating(tx: &mut Tx<'_>, id: &DocId, raw: Vec<Vec<u8>>, at: &str) -> Result<usize> {
    if let Ok(k) = tx.isolated(id, |tx| tx.apply(id, raw.clone(), false)) {
        return Ok(k);
    }
    let mut n = 0;
    for bytes in &raw {
        match tx.isolated(id, |tx| tx.apply(id, vec![bytes.clone()], false)) {
            Ok(k) => n += k,
            Err(e) => set_aside(tx, id.as_str(), &[named(bytes)], &e, at)?,
        }
    }
    Ok(n)
}

/// Sets pulled items of `doc` aside (quarantine) with the reason.
pub(crate) fn set_aside(
    tx: &mut Tx<'_>,
    doc: &str,
    items: &[(String, Vec<u8>)],
    e: &CoreError,
    at: &str,
) -> Result<()> {
    tx.quarantine_pulled(doc, items, &format!("this device could not apply it: {e}"), at)
}

/// A set-aside change is named by its hash (computed only then).
pub(crate) fn named(bytes: &[u8]) -> (String, Vec<u8>) {
    let hash = kept_protocol::change::from_bytes(bytes.to_vec()).map(|c| c.hash().to_string());
    (hash.unwrap_or_default(), bytes.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::SnapshotPage;

    fn page(next: &str, more: bool) -> SnapshotPage {
        SnapshotPage { snapshots: Vec::new(), upto: 7, more, next: next.into(), later: None }
    }

    /// A hostile or broken relay that says "more" without moving on is an
    /// error that says so, not a loop.
    #[test]
    fn snapshot_pages_that_do_not_move_on_are_an_error() {
        assert!(stalled("", &page("log/a/2026-W01", true)).is_ok());
        assert!(stalled("plan/a", &page("plan/a", false)).is_ok(), "a last page may end where it began");
        for (after, next) in [("plan/a", "plan/a"), ("plan/b", "plan/a"), ("team", "")] {
            let e = stalled(after, &page(next, true)).expect_err("stalled");
            assert!(e.to_string().contains("do not move on"), "{e}");
        }
    }
}
