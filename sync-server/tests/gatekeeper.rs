//! The relay as gatekeeper: one rep's device attacks its team through raw
//! HTTP with each case of the gatekeeper issue, and after every attack the
//! honest devices — the manager, the other rep, the attacker's own honest
//! app, and a brand-new manager device — sync, bootstrap and show the same
//! board, and `kept-relay check` finds a clean database. On SQLite, and on
//! PostgreSQL with two relay instances (the attacker on one, the team on the
//! other).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, Change, ROOT};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use common::*;
use kept_core::model::{ActivityInput, Role};
use kept_core::Kept;
use kept_protocol::genesis::{genesis, genesis_actor, root_map_actor};
use kept_protocol::{DocId, Week};
use serde_json::{json, Value};

struct World {
    relay: Relay,
    /// On PostgreSQL the attacker talks to a second relay instance on the
    /// same database (each instance keeps its own cache of documents).
    _second: Option<Relay>,
    dir: tempfile::TempDir,
    manager: Kept,
    ann: Kept,
    bob: Kept,
    /// Ann's device token: the attacker uses it through raw HTTP.
    attacker: Client,
}

fn log(k: &mut Kept, kind: &str, n: usize) {
    for _ in 0..n {
        k.log_activity(kind, ActivityInput::default(), None).expect("log");
    }
}

fn world(backend: Backend) -> World {
    let relay = Relay::start(backend);
    let created = relay.create_team("Acme", "Maria");
    let dir = tempfile::tempdir().unwrap();
    let mut manager = join_home(&relay, &dir.path().join("maria"), &created.invite);
    let inv = manager.invite(Role::Rep, Some("Ann")).unwrap();
    let mut ann = join_home(&relay, &dir.path().join("ann"), &inv.code);
    let inv = manager.invite(Role::Rep, Some("Bob")).unwrap();
    let mut bob = join_home(&relay, &dir.path().join("bob"), &inv.code);
    log(&mut ann, "call", 3);
    log(&mut bob, "conversation", 2);
    for k in [&mut ann, &mut bob, &mut manager] {
        k.sync().unwrap();
    }
    manager.set_target("call", 10, Some("Ann"), None).unwrap();
    manager.sync().unwrap();
    ann.sync().unwrap();
    let token = ann.store().meta("token").unwrap().unwrap();
    let second = relay.pg.as_ref().map(Relay::start_on);
    let attacker = second.as_ref().unwrap_or(&relay).client(Some(&token));
    World { relay, _second: second, dir, manager, ann, bob, attacker }
}

impl World {
    fn ann_id(&self) -> String {
        self.ann.store().meta("member_id").unwrap().unwrap()
    }
    fn week(&self) -> Week {
        self.manager.board(None).unwrap().week.parse().unwrap()
    }
    fn push(&self, doc: &DocId, changes: &[Vec<u8>]) -> (u16, Value) {
        let entries: Vec<Value> = changes.iter().map(|c| entry(doc.as_str(), &B64.encode(c))).collect();
        self.attacker.post("/v1/push", &json!({ "changes": entries }))
    }

    /// After an attack: every honest device keeps syncing both ways, a new
    /// manager device bootstraps to the same board, compaction and the check
    /// find nothing wrong.
    fn honest_devices_are_unharmed(&mut self, round: usize) {
        log(&mut self.ann, "call", 1);
        log(&mut self.bob, "call", 1);
        self.ann.sync().expect("the attacker's own honest app still syncs");
        self.bob.sync().expect("the other rep still syncs");
        self.manager.sync().expect("the manager still syncs");
        let team_id = self.manager.store().meta("team_id").unwrap().unwrap();
        self.relay.compact(&team_id);
        let inv = self.manager.invite(Role::Manager, Some(&format!("Deputy {round}"))).unwrap();
        let fresh = join_home(&self.relay, &self.dir.path().join(format!("deputy{round}")), &inv.code);
        let board = self.manager.board(None).unwrap();
        assert_eq!(fresh.board(None).unwrap().rows, board.rows, "a new manager device shows the same board");
        let ann_row = board.rows.iter().find(|r| r.name == "Ann").expect("Ann on the board");
        let calls = ann_row.cells.iter().find(|c| c.kind == "call").unwrap();
        assert_eq!(calls.count, 3 + round as i64 + 1, "every honest call arrived");
        assert_eq!(calls.target, Some(10));
        assert_eq!(self.manager.sync_status(false).unwrap().pending, 0);
        assert_eq!(self.ann.sync_status(false).unwrap().pending, 0, "nothing stuck in the honest outbox");
        let (db, shown) = match self.relay.backend {
            Backend::Sqlite => (self.relay.db.display().to_string(), "sqlite".to_string()),
            Backend::Postgres => (self.relay.pg.as_ref().unwrap().url.clone(), "pg".to_string()),
        };
        let report = self.relay.rt.block_on(kept_relay::check::run(&db, &shown, false)).unwrap();
        assert!(report.healthy(), "{}", report.text());
    }
}

/// `n` changes by one new actor to an empty document (the last depends on the first).
fn edits(actor: ActorId, n: usize) -> Vec<Vec<u8>> {
    let mut d = AutoCommit::new().with_actor(actor);
    (0..n)
        .map(|i| {
            d.put(ROOT, "x", i as i64).unwrap();
            d.commit();
            d.get_last_local_change().unwrap().raw_bytes().to_vec()
        })
        .collect()
}

fn hash(bytes: &[u8]) -> String {
    Change::from_bytes(bytes.to_vec()).unwrap().hash().to_string()
}

fn refused(st: u16, v: &Value, status: u16, words: &[&str]) -> String {
    assert_eq!(st, status, "{v}");
    let msg = v["error"]["message"].as_str().unwrap_or_default().to_string();
    for w in words {
        assert!(msg.contains(w), "{w:?} missing from: {msg}");
    }
    msg
}

fn a_poison_change_with_a_sequence_gap_is_refused(backend: Backend) {
    let mut w = world(backend);
    let doc = DocId::log(&w.ann_id(), w.week());
    let two = edits(ActorId::random(), 2);
    let (st, v) = w.push(&doc, &two[1..]);
    refused(st, &v, 400, &[&hash(&two[1]), doc.as_str(), "sequence number 2", "next one for that actor is 1"]);
    // A change whose dependency nobody has.
    let mut d = AutoCommit::new();
    d.apply_changes(edits(ActorId::random(), 1).into_iter().map(|b| Change::from_bytes(b).unwrap())).unwrap();
    d.put(ROOT, "y", 1).unwrap();
    d.commit();
    let orphan = d.get_last_local_change().unwrap().raw_bytes().to_vec();
    let (st, v) = w.push(&doc, std::slice::from_ref(&orphan));
    refused(st, &v, 400, &[&hash(&orphan), "depends on change"]);
    // All or nothing: a good change beside a bad one is not stored either.
    let good = edits(ActorId::random(), 1);
    let (st, _) = w.push(&doc, &[good[0].clone(), two[1].clone()]);
    assert_eq!(st, 400);
    w.honest_devices_are_unharmed(0);
    // The good change alone is admitted, and so is the gap once it is filled.
    assert_eq!(w.push(&doc, &good).0, 200);
    assert_eq!(w.push(&doc, &two).0, 200);
    w.honest_devices_are_unharmed(1);
}

fn squatting_another_members_actor_is_refused(backend: Backend) {
    let mut w = world(backend);
    let manager_actor = w.manager.store().actor().clone();
    let plan = DocId::plan(&w.ann_id());
    let mut d = AutoCommit::new().with_actor(manager_actor.clone());
    d.put(ROOT, "forged", "by ann").unwrap();
    d.commit();
    let forged = d.get_last_local_change().unwrap().raw_bytes().to_vec();
    let (st, v) = w.push(&plan, &[forged]);
    refused(st, &v, 403, &["belongs to another member", &manager_actor.to_hex_string()]);
    w.honest_devices_are_unharmed(0);
}

fn squatting_a_canonical_actor_is_refused(backend: Backend) {
    let mut w = world(backend);
    let ann = w.ann_id();
    // A week log that does not exist yet: the genesis actor with other content.
    let future = DocId::log(&ann, w.week().plus(3));
    let mut d = AutoCommit::new().with_actor(genesis_actor(&future));
    d.put(ROOT, "kind", "log").unwrap();
    d.commit();
    let squat = d.get_last_local_change().unwrap().raw_bytes().to_vec();
    let (st, v) = w.push(&future, &[squat]);
    refused(st, &v, 400, &["genesis", "canonical"]);
    // The root-map actor of a collection added later.
    let coaching = DocId::coaching(&ann);
    let mut d = genesis(&coaching).unwrap();
    d.set_actor(root_map_actor(&coaching, "development"));
    d.put(ROOT, "development", "not a map").unwrap();
    d.commit();
    let squat = d.get_last_local_change().unwrap().raw_bytes().to_vec();
    let (st, v) = w.push(&coaching, &[squat]);
    refused(st, &v, 400, &["'development' root-map", "canonical"]);
    // The real genesis is accepted from anyone (it is the same on every device).
    let g = kept_protocol::genesis::genesis_change(&future).unwrap();
    assert_eq!(w.push(&future, &[g]).0, 200);
    w.honest_devices_are_unharmed(0);
}

fn a_reused_sequence_number_is_refused(backend: Backend) {
    let mut w = world(backend);
    let doc = DocId::log(&w.ann_id(), w.week());
    let actor = ActorId::random();
    let first = edits(actor.clone(), 1);
    assert_eq!(w.push(&doc, &first).0, 200);
    let mut rival = AutoCommit::new().with_actor(actor);
    rival.put(ROOT, "rival", 1).unwrap();
    rival.commit();
    let rival = rival.get_last_local_change().unwrap().raw_bytes().to_vec();
    let (st, v) = w.push(&doc, &[rival]);
    refused(st, &v, 409, &["reuses sequence number 1"]);
    w.honest_devices_are_unharmed(0);
}

fn garbage_changes_and_foreign_documents_change_nothing(backend: Backend) {
    let mut w = world(backend);
    let bob = w.bob.store().meta("member_id").unwrap().unwrap();
    let (st, _) = w.push(&DocId::plan(&bob), &edits(ActorId::random(), 1));
    assert_eq!(st, 403, "another rep's document");
    let (st, _) = w.push(&DocId::team(), &edits(ActorId::random(), 1));
    assert_eq!(st, 403, "the team document");
    let (st, v) = w.attacker.post(
        "/v1/push",
        &json!({"changes": [entry(DocId::plan(&w.ann_id()).as_str(), &B64.encode(b"\x85\x6f\x4a\x83garbage"))]}),
    );
    refused(st, &v, 400, &["change 0"]);
    w.honest_devices_are_unharmed(0);
}

fn what_a_manager_wrote_about_a_rep_cannot_be_rewritten_by_the_rep(backend: Backend) {
    let mut w = world(backend);
    let ann = w.ann_id();
    let manager_id = w.manager.store().meta("member_id").unwrap().unwrap();
    let meeting = w.manager.open_meeting(Some("Ann"), "one-on-one", None).unwrap().meeting;
    w.manager.assess(Some("Ann"), "discovery-call", &[("rapport".into(), "poor".into())]).unwrap();
    w.manager.rate_meeting(&meeting.id, 2, None).unwrap();
    w.manager.sync().unwrap();
    w.ann.sync().unwrap();
    assert_eq!(w.ann.meetings(None).unwrap()[0].manager_rating, Some(2), "the rep reads the manager's rating");
    // Ann's device forges, in her own coaching document, a manager's
    // assessment and rating (the way an older build stored them).
    let forged = kept_core::docs::coaching::Assessment {
        id: "01900000-0000-7000-8000-00000000f00d".into(),
        rep: ann.clone(),
        interaction: "discovery-call".into(),
        by_self: false,
        by: manager_id,
        at: "2099-01-01T00:00:00+00:00".into(),
        scores: [("rapport".to_string(), 4)].into(),
    };
    let coaching = DocId::coaching(&ann);
    w.ann
        .store_mut()
        .write(|tx| {
            tx.edit(&coaching, 0, |d| {
                kept_core::docs::coaching::add_assessment(d, &forged)?;
                kept_core::docs::coaching::rate_meeting(d, &meeting.id, false, 5, None)
            })
        })
        .unwrap();
    w.ann.sync().unwrap();
    w.manager.sync().unwrap();
    let map = w.manager.assessment_map(Some("Ann"), "discovery-call").unwrap();
    let rapport = map.iter().find(|c| c.criterion == "rapport").unwrap();
    assert_eq!(rapport.manager, Some(1), "the manager's score stands: {rapport:?}");
    assert_eq!(w.manager.meetings(Some("Ann")).unwrap()[0].manager_rating, Some(2));
    // And the review document itself: the relay refuses the rep's write.
    let review = DocId::review(&ann);
    let (st, v) = w.push(&review, &[kept_protocol::genesis::genesis_change(&review).unwrap()]);
    refused(st, &v, 403, &["only managers write a review document"]);
    w.honest_devices_are_unharmed(0);
}

/// A relay database written by an older relay holds a poison change in one
/// document: compaction still snapshots every other document, keeps that one
/// as its raw log, and `kept-relay check` names it.
#[test]
fn one_document_that_cannot_be_compacted_never_blocks_the_others() {
    let mut w = world(Backend::Sqlite);
    let team_id = w.manager.store().meta("team_id").unwrap().unwrap();
    let doc = DocId::log(&w.ann_id(), w.week());
    let poison = edits(ActorId::random(), 2).pop().unwrap();
    let c = rusqlite::Connection::open(&w.relay.db).unwrap();
    let seq: i64 = c
        .query_row("UPDATE team_seq SET seq = seq + 1 WHERE team_id = ?1 RETURNING seq", [&team_id], |r| r.get(0))
        .unwrap();
    let doc_id: i64 = c.query_row("SELECT id FROM docs WHERE doc = ?1", [doc.as_str()], |r| r.get(0)).unwrap();
    let hash = Change::from_bytes(poison.clone()).unwrap().hash().0.to_vec();
    c.execute(
        "INSERT INTO changes(team_id, seq, doc_id, akey, aseq, reader, hash, data) VALUES (?1, ?2, ?3, 0, 2, ?4, ?5, ?6)",
        rusqlite::params![team_id, seq, doc_id, w.ann_id(), hash, poison],
    )
    .unwrap();
    c.execute("UPDATE docs SET version = version + 1 WHERE id = ?1", [doc_id]).unwrap();
    assert_eq!(w.relay.compact(&team_id), seq, "the team's compaction went through");
    let failed: Vec<String> = c
        .prepare("SELECT doc FROM compaction_failures")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(failed, vec![doc.as_str().to_string()]);
    let snapshots: i64 = c.query_row("SELECT count(*) FROM snapshots", [], |r| r.get(0)).unwrap();
    let docs: i64 = c.query_row("SELECT count(*) FROM docs", [], |r| r.get(0)).unwrap();
    assert!(docs >= 4 && snapshots == docs, "every document has its snapshot ({snapshots} of {docs})");
    let raw: Vec<u8> = c.query_row("SELECT data FROM snapshots WHERE doc = ?1", [doc.as_str()], |r| r.get(0)).unwrap();
    assert!(raw.ends_with(&poison), "the damaged document is kept as its raw log, the poison change last");
    let report =
        w.relay.rt.block_on(kept_relay::check::run(&w.relay.db.display().to_string(), "sqlite", false)).unwrap();
    assert!(!report.healthy() && report.text().contains(doc.as_str()), "{}", report.text());
    // The other rep's documents keep syncing; the damaged one refuses more changes with a clear 409.
    log(&mut w.bob, "call", 1);
    w.bob.sync().expect("the other rep still syncs");
    let (st, v) = w.push(&doc, &edits(ActorId::random(), 1));
    refused(st, &v, 409, &["damaged on the relay", "kept-relay check --repair"]);
}

on_both_backends!(
    what_a_manager_wrote_about_a_rep_cannot_be_rewritten_by_the_rep,
    a_poison_change_with_a_sequence_gap_is_refused,
    squatting_another_members_actor_is_refused,
    squatting_a_canonical_actor_is_refused,
    a_reused_sequence_number_is_refused,
    garbage_changes_and_foreign_documents_change_nothing,
);
