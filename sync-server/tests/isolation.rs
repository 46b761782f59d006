//! A device isolates damage (DESIGN.md §6): a change the relay refuses for
//! good is set aside and the rest of the outbox and the pull go on; a change
//! from the relay that this device cannot apply is set aside and every other
//! document keeps syncing; `status` and `doctor` name what is set aside, and
//! retry and discard leave a clean device. Real homes against a real relay.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ROOT};
use common::*;
use kept_core::model::{ActivityInput, Role};
use kept_core::Kept;
use kept_protocol::DocId;
use std::path::Path;

fn calls(k: &Kept, rep: &str) -> i64 {
    let board = k.board(None).unwrap();
    let row = board.rows.iter().find(|r| r.name == rep).expect("rep row");
    row.cells.iter().find(|c| c.kind == "call").unwrap().count
}

fn team(relay: &Relay, dir: &Path) -> (Kept, Kept, Kept) {
    let created = relay.create_team("Acme", "Maria");
    let mut manager = join_home(relay, &dir.join("maria"), &created.invite);
    let inv = manager.invite(Role::Rep, Some("Ann")).unwrap();
    let ann = join_home(relay, &dir.join("ann"), &inv.code);
    let inv = manager.invite(Role::Rep, Some("Bob")).unwrap();
    let bob = join_home(relay, &dir.join("bob"), &inv.code);
    manager.sync().unwrap();
    (manager, ann, bob)
}

fn log(k: &mut Kept, n: usize) {
    for _ in 0..n {
        k.log_activity("call", ActivityInput::default(), None).unwrap();
    }
}

fn one_refused_change_never_freezes_the_device(backend: Backend) {
    let relay = Relay::start(backend);
    let dir = tempfile::tempdir().unwrap();
    let (mut manager, mut ann, _bob) = team(&relay, dir.path());
    let me = ann.store().meta("member_id").unwrap().unwrap();
    log(&mut ann, 2);
    // A buggy build wrote a change the relay refuses for good: in a new week
    // log, on top of its genesis, it replaces the `activities` root map.
    let doc = DocId::log(&me, "2027-W10".parse().unwrap());
    let mut bad = kept_protocol::genesis::genesis(&doc).unwrap();
    let genesis = bad.get_last_local_change().unwrap().raw_bytes().to_vec();
    bad.set_actor(ActorId::random());
    bad.put_object(ROOT, "activities", automerge::ObjType::Map).unwrap();
    bad.commit();
    let bytes = bad.get_last_local_change().unwrap().raw_bytes().to_vec();
    ann.store_mut().write(|tx| tx.apply(&doc, vec![genesis, bytes], true)).unwrap();
    log(&mut ann, 2);
    ann.sync().expect("the sync goes on past the refused change");
    let status = ann.sync_status(false).unwrap();
    assert_eq!(status.pending, 0, "everything else was pushed");
    assert_eq!(status.quarantined.len(), 1, "{status:?}");
    let q = &status.quarantined[0];
    assert!(q.reason.contains("root key 'activities'") && q.doc == doc.as_str(), "{q:?}");
    assert!(status.last_error.is_none(), "{status:?}");
    manager.sync().unwrap();
    assert_eq!(calls(&manager, "Ann"), 4, "both calls before and after it arrived");
    // The pull still works for Ann.
    manager.set_target("call", 9, Some("Ann"), None).unwrap();
    manager.sync().unwrap();
    ann.sync().unwrap();
    assert_eq!(ann.week_summary(None, None).unwrap().rows.iter().find(|r| r.kind == "call").unwrap().target, Some(9));
    // Doctor names it; retry refuses it again (still set aside); discard cleans.
    let problems = ann.store_mut().check().unwrap();
    assert!(problems.iter().any(|p| p.contains("set aside") && p.contains(doc.as_str())), "{problems:?}");
    assert_eq!(ann.retry_quarantined(q.id).unwrap(), 1);
    assert_eq!(ann.sync_status(false).unwrap().pending, 1);
    ann.sync().unwrap();
    let again = ann.quarantined().unwrap();
    assert_eq!(again.len(), 1, "refused again, set aside again");
    ann.discard_quarantined(again[0].id).unwrap();
    assert!(ann.store_mut().check().unwrap().is_empty(), "a clean device");
}

fn a_change_this_device_cannot_apply_is_set_aside_and_the_rest_syncs(backend: Backend) {
    if backend == Backend::Postgres {
        return; // the damaged change is written straight into the SQLite file (the relay refuses it)
    }
    let relay = Relay::start(backend);
    let dir = tempfile::tempdir().unwrap();
    let (mut manager, mut ann, mut bob) = team(&relay, dir.path());
    let ann_id = ann.store().meta("member_id").unwrap().unwrap();
    log(&mut ann, 1);
    ann.sync().unwrap();
    let team_id = manager.store().meta("team_id").unwrap().unwrap();
    // An older relay let a poison change into Ann's log: write it there directly.
    let week = manager.board(None).unwrap().week;
    let doc = DocId::log(&ann_id, week.parse().unwrap());
    let mut d = AutoCommit::new().with_actor(ActorId::random());
    d.put(ROOT, "a", 1).unwrap();
    d.commit();
    d.put(ROOT, "a", 2).unwrap();
    d.commit();
    let poison = d.get_last_local_change().unwrap().raw_bytes().to_vec();
    let c = rusqlite::Connection::open(&relay.db).unwrap();
    let seq: i64 = c
        .query_row("UPDATE team_seq SET seq = seq + 1 WHERE team_id = ?1 RETURNING seq", [&team_id], |r| r.get(0))
        .unwrap();
    let doc_id: i64 = c.query_row("SELECT id FROM docs WHERE doc = ?1", [doc.as_str()], |r| r.get(0)).unwrap();
    let hash = automerge::Change::from_bytes(poison.clone()).unwrap().hash().0.to_vec();
    c.execute(
        "INSERT INTO changes(team_id, seq, doc_id, akey, aseq, reader, hash, data) VALUES (?1, ?2, ?3, 0, 2, ?4, ?5, ?6)",
        rusqlite::params![team_id, seq, doc_id, ann_id, hash, poison],
    )
    .unwrap();
    log(&mut bob, 3);
    bob.sync().unwrap();
    manager.sync().expect("the manager's sync goes on");
    assert_eq!(calls(&manager, "Bob"), 3, "the other documents arrived");
    let q = manager.quarantined().unwrap();
    assert_eq!(q.len(), 1, "{q:?}");
    assert_eq!(q[0].doc, doc.as_str());
    // Later changes of other documents keep coming; a new manager device
    // bootstraps (from a compacted snapshot) and sets aside the same document.
    log(&mut bob, 1);
    bob.sync().unwrap();
    manager.sync().unwrap();
    assert_eq!(calls(&manager, "Bob"), 4);
    relay.compact(&team_id);
    let inv = manager.invite(Role::Manager, Some("Deputy")).unwrap();
    let fresh = join_home(&relay, &dir.path().join("deputy"), &inv.code);
    assert_eq!(calls(&fresh, "Bob"), 4);
    assert_eq!(fresh.quarantined().unwrap().len(), 1, "the damaged document is set aside, named");
    assert!(!fresh.sync_status(false).unwrap().quarantined[0].reason.is_empty());
}

on_both_backends!(
    one_refused_change_never_freezes_the_device,
    a_change_this_device_cannot_apply_is_set_aside_and_the_rest_syncs,
);
