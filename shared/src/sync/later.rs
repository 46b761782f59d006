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
use crate::store::{Store, Tx};
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

/// True when the meta [`LATER_REMOTE`] (its value, if any) says older logs
/// still wait on the relay.
pub(crate) fn remote_waits(later_remote: Option<String>) -> bool {
    later_remote.is_some_and(|r| !r.is_empty())
}

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

/// How the new documents of a page are opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Opening {
    /// Without a savepoint each: the first that cannot be applied fails the
    /// whole transaction (which then takes nothing).
    Fast,
    /// Each in its own savepoint: one that cannot be applied is set aside
    /// and the others go on.
    Careful,
}

/// Opens `fresh` (loaded and read on a second thread while this one writes)
/// and then runs `then`, in one write transaction: first [`Opening::Fast`],
/// and only if that fails, all again [`Opening::Careful`]. SQLite copies
/// every page a savepoint first touches to the savepoint's journal, which
/// was a tenth of a leader's first screen when every document had its own.
/// Returns how many changes the documents brought, and what `then` returned.
pub(crate) fn open_fresh<T>(
    store: &mut Store,
    fresh: Vec<(DocId, Vec<u8>)>,
    at: &str,
    mut then: impl FnMut(&mut Tx<'_>) -> Result<T>,
) -> Result<(usize, T)> {
    let mut attempt = |fresh: Vec<(DocId, Vec<u8>)>, mode: Opening| -> Result<(usize, T)> {
        let expected = fresh.len();
        std::thread::scope(|scope| {
            let (send, recv) = std::sync::mpsc::sync_channel::<Loaded>(32);
            scope.spawn(move || load_fresh(fresh, send));
            store.write(|tx| {
                let n = adopt_received(tx, &recv, expected, at, mode)?;
                Ok((n, then(tx)?))
            })
        })
    };
    match attempt(fresh.clone(), Opening::Fast) {
        Ok(done) => Ok(done),
        Err(_) => attempt(fresh, Opening::Careful),
    }
}

/// Writes what the loader thread sends: each document adopted as it is, or
/// merged when the store holds it already; one that cannot be loaded is set
/// aside (quarantine), and so is one that cannot be applied when `mode` is
/// careful (fast: the error ends the transaction). Fails (so the caller's
/// transaction takes nothing) when fewer than `expected` arrive.
fn adopt_received(tx: &mut Tx<'_>, recv: &Receiver<Loaded>, expected: usize, at: &str, mode: Opening) -> Result<usize> {
    let mut n = 0;
    let mut received = 0;
    for (id, bytes, loaded) in recv.iter() {
        received += 1;
        let done = match (loaded, mode) {
            (Err(e), _) => Err(e),
            (Ok((doc, rows)), Opening::Fast) => Ok(tx.adopt_or_merge(&id, &bytes, doc, &rows)?),
            (Ok((doc, rows)), Opening::Careful) => tx.isolated(&id, |tx| tx.adopt_or_merge(&id, &bytes, doc, &rows)),
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
        if !remote_waits(self.store.meta(LATER_REMOTE)?) {
            return Ok(());
        }
        let client = self.relay()?;
        loop {
            let after = self.store.meta(LATER_AFTER)?.unwrap_or_default();
            let page = client.snapshots(&after, crate::protocol::LogWeeks::Before(cut), super::pull::SNAPSHOT_PAGE)?;
            super::pull::stalled(&after, &page)?;
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
        if remote_waits(self.store.meta(LATER_REMOTE)?) {
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
                            tx.take_later_changes(doc)?.iter().map(|b| super::pull::named(b)).collect();
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
            let ids: Vec<DocId> = fresh.iter().map(|(id, _)| id.clone()).collect();
            open_fresh(&mut self.store, fresh, &at, |tx| {
                // The changes that waited for these snapshots; those of one
                // that was set aside go with it (they depend on it).
                for id in &ids {
                    let waiting = tx.take_later_changes(id.as_str())?;
                    if waiting.is_empty() {
                        continue;
                    }
                    if tx.holds(id)? {
                        super::pull::apply_isolating(tx, id, waiting, &at)?;
                    } else {
                        let items: Vec<(String, Vec<u8>)> = waiting.iter().map(|b| super::pull::named(b)).collect();
                        let reason = "this device could not open the snapshot this change depends on";
                        tx.quarantine_pulled(id.as_str(), &items, reason, &at)?;
                    }
                }
                for (doc, bytes, e) in &bad {
                    let reason = format!("this device could not apply it: {e}");
                    tx.quarantine_pulled(doc, &[(String::new(), bytes.clone())], &reason, &at)?;
                    tx.forget_later(doc)?;
                }
                for id in &ids {
                    tx.forget_later(id.as_str())?;
                }
                Ok(())
            })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Activity;
    use automerge::ActorId;

    const REP: &str = "01900000-0000-7000-8000-00000000000a";

    /// Three week logs of one rep with an activity each, as snapshots.
    fn three_logs() -> Vec<(DocId, Vec<u8>)> {
        let dir = tempfile::tempdir().expect("tmp");
        let mut src = Store::create(dir.path(), ActorId::random(), &[]).expect("store");
        let mut out = Vec::new();
        for w in [46u32, 47, 48] {
            let id = DocId::log(REP, format!("2026-W{w}").parse().expect("week"));
            let a = Activity {
                kind: "call".into(),
                occurred_at: format!("2026-11-{:02}T10:00:00+00:00", w - 36),
                logged_by: REP.into(),
                ..Activity::blank(format!("01900000-0000-7000-8000-0000000001{w}"), REP)
            };
            src.write(|tx| tx.edit_new_activities(&id, 1, &[&a], |d, coll| crate::docs::log::insert(d, coll, &a)))
                .expect("tap");
            let bytes = src.load(&id).expect("load").expect("held").save();
            out.push((id, bytes));
        }
        out
    }

    /// The fast way fails the whole page on one document that cannot be
    /// taken in; the page is then opened carefully: that one set aside and
    /// named, the others in, and what follows the documents done once.
    #[test]
    fn a_page_whose_fast_opening_fails_is_opened_again_with_the_one_document_set_aside() {
        let logs = three_logs();
        let bad = logs[1].0.clone();
        let dir = tempfile::tempdir().expect("tmp");
        let mut store = Store::create(dir.path(), ActorId::random(), &[]).expect("store");
        // A fault injected at the SQLite boundary: the store refuses to take
        // this one document in (as a full disk or a constraint would).
        let refuse = format!(
            "CREATE TEMP TRIGGER refuse BEFORE INSERT ON documents WHEN NEW.id = '{bad}' \
             BEGIN SELECT RAISE(ABORT, 'injected: refused'); END"
        );
        store.conn_for_tests().execute_batch(&refuse).expect("trigger");
        let mut runs = 0;
        let (n, ()) = open_fresh(&mut store, logs.clone(), "2026-12-01T00:00:00+00:00", |tx| {
            runs += 1;
            tx.set_meta("page", "taken")
        })
        .expect("the page goes on");
        assert_eq!(runs, 1, "what follows the documents ran once, after the careful opening");
        assert_eq!(n, 2, "two documents opened");
        for (id, _) in &logs {
            assert_eq!(store.holds(id).expect("holds"), *id != bad, "{id}");
        }
        let q = store.quarantined().expect("quarantine");
        assert_eq!(q.len(), 1, "{q:?}");
        assert_eq!(q[0].doc, bad.as_str());
        assert!(q[0].reason.contains("injected: refused"), "{}", q[0].reason);
        assert_eq!(store.meta("page").expect("meta").as_deref(), Some("taken"));
        let rows: i64 =
            store.conn_for_tests().query_row("SELECT COUNT(*) FROM activities", [], |r| r.get(0)).expect("count");
        assert_eq!(rows, 2, "the set-aside log left no rows");

        // Nothing failing: one run, every document in.
        let dir = tempfile::tempdir().expect("tmp");
        let mut store = Store::create(dir.path(), ActorId::random(), &[]).expect("store");
        let mut runs = 0;
        let (n, ()) = open_fresh(&mut store, logs, "2026-12-01T00:00:00+00:00", |_| {
            runs += 1;
            Ok(())
        })
        .expect("page");
        assert_eq!((runs, n), (1, 3));
        assert!(store.quarantined().expect("quarantine").is_empty());
    }
}
