//! Who reads and writes what, against a real relay.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use common::*;
use kept_core::model::Role;
use serde_json::json;

fn push(m: &Member, docs: &[&str]) -> (u16, serde_json::Value) {
    let changes: Vec<_> = docs.iter().map(|d| entry(d, &change_b64())).collect();
    m.client.post("/v1/push", &json!({ "changes": changes }))
}

fn a_rep_cannot_write_another_reps_doc_or_the_team_doc(backend: Backend) {
    let relay = Relay::start(backend);
    let team = relay.team("A");
    let (ann, bob) = (team.ann.id().to_string(), team.bob.id().to_string());
    let (st, v) = push(&team.ann, &[&plan(&bob)]);
    error_message(st, &v, 403, "forbidden");
    let (st, v) = push(&team.ann, &["team"]);
    error_message(st, &v, 403, "forbidden");
    // A batch mixing her own document with Bob's is refused whole.
    let (st, v) = push(&team.ann, &[&log(&ann), &log(&bob)]);
    let msg = error_message(st, &v, 403, "forbidden");
    assert!(msg.contains("change 1"), "{msg}");
    // A document about someone outside the team is refused even for the manager.
    let stranger = "01900000-0000-7000-8000-000000000001";
    let (st, v) = push(&team.manager, &[&plan(stranger)]);
    error_message(st, &v, 403, "forbidden");
    assert_nothing_stored(&team);
    // Her own documents and (for the manager) anyone's are fine.
    assert_eq!(push(&team.ann, &[&log(&ann), &plan(&ann)]).0, 200);
    assert_eq!(push(&team.manager, &["team", &plan(&bob)]).0, 200);
}

fn a_rep_never_pulls_another_reps_changes_and_a_manager_pulls_all(backend: Backend) {
    let relay = Relay::start(backend);
    let team = relay.team("A");
    let (ann, bob) = (team.ann.id().to_string(), team.bob.id().to_string());
    assert_eq!(push(&team.ann, &[&log(&ann), &plan(&ann)]).0, 200);
    assert_eq!(push(&team.bob, &[&log(&bob), &plan(&bob), &log(&bob)]).0, 200);
    assert_eq!(push(&team.manager, &["team", &plan(&bob)]).0, 200);

    let (got, next) = team.ann.pull_all(0);
    let docs: Vec<_> = got.iter().map(|c| c.doc.as_str()).collect();
    assert_eq!(docs, [log(&ann).as_str(), plan(&ann).as_str(), "team"]);
    assert_eq!(next, 7, "her cursor moves past changes she may not read");
    assert!(team.ann.pull(next, 10).changes.is_empty());

    let (got, _) = team.bob.pull_all(0);
    assert!(got.iter().all(|c| !c.doc.contains(&ann)));
    assert_eq!(got.len(), 5);

    let (got, next) = team.manager.pull_all(0);
    let seqs: Vec<_> = got.iter().map(|c| c.seq).collect();
    assert_eq!(seqs, (1..=7).collect::<Vec<_>>());
    assert_eq!(next, 7);
}

fn pull_pages_by_limit(backend: Backend) {
    let relay = Relay::start(backend);
    let team = relay.team("A");
    let ann = team.ann.id().to_string();
    let docs: Vec<String> = (0..5).map(|_| log(&ann)).collect();
    let refs: Vec<&str> = docs.iter().map(String::as_str).collect();
    assert_eq!(push(&team.ann, &refs).0, 200);
    let p = team.manager.pull(0, 2);
    assert_eq!((p.changes.len(), p.next, p.more), (2, 2, true));
    let p = team.manager.pull(p.next, 2);
    assert_eq!((p.changes.len(), p.next, p.more), (2, 4, true));
    let p = team.manager.pull(p.next, 2);
    assert_eq!((p.changes.len(), p.next, p.more), (1, 5, false));
}

fn a_member_of_one_team_never_sees_another_team(backend: Backend) {
    let relay = Relay::start(backend);
    let a = relay.team("A");
    let b = relay.team("B");
    assert_eq!(push(&a.manager, &["team", &plan(a.ann.id())]).0, 200);
    assert_eq!(push(&b.ann, &[&log(b.ann.id())]).0, 200);
    let (got, next) = b.manager.pull_all(0);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].doc, log(b.ann.id()));
    assert_eq!(next, 1, "team B's own sequence");
    // B's manager cannot write A's members' documents, nor see A's members or devices.
    let (st, v) = push(&b.manager, &[&plan(a.ann.id())]);
    error_message(st, &v, 403, "forbidden");
    let (_, members) = b.manager.client.get("/v1/members");
    assert!(members.as_array().unwrap().iter().all(|m| m["id"] != a.ann.id()));
    let (st, _) = b.manager.client.delete(&format!("/v1/devices/{}", a.ann.join.device_id));
    assert_eq!(st, 404);
    let (st, _) = b.manager.client.delete(&format!("/v1/members/{}", a.ann.id()));
    assert_eq!(st, 404);
    assert_eq!(a.manager.pull_all(0).0.len(), 2);
}

fn pushing_the_same_change_twice_stores_it_once(backend: Backend) {
    let relay = Relay::start(backend);
    let team = relay.team("A");
    let data = change_b64();
    let body = json!({"changes": [entry("team", &data), entry("team", &data)]});
    let (st, v) = team.manager.client.post("/v1/push", &body);
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["acked"].as_array().unwrap().len(), 2);
    assert_eq!(v["seq"], 1);
    let (st, v2) = team.manager.client.post("/v1/push", &body);
    assert_eq!(st, 200);
    assert_eq!(v2["seq"], 1);
    assert_eq!(v2["acked"], v["acked"]);
    assert_eq!(team.manager.pull_all(0).0.len(), 1);
}

fn removing_a_member_revokes_their_devices(backend: Backend) {
    let relay = Relay::start(backend);
    let team = relay.team("A");
    let (st, v) = team.ann.client.delete(&format!("/v1/members/{}", team.bob.id()));
    error_message(st, &v, 403, "forbidden");
    let (st, _) = team.manager.client.delete(&format!("/v1/members/{}", team.bob.id()));
    assert_eq!(st, 204);
    let (st, v) = team.bob.client.get("/v1/pull?cursor=0");
    error_message(st, &v, 401, "unauthorized");
    let (st, v) = push(&team.manager, &[&plan(team.bob.id())]);
    error_message(st, &v, 403, "forbidden");
    let (_, devices) = team.manager.client.get("/v1/devices");
    let bobs: Vec<_> = devices.as_array().unwrap().iter().filter(|d| d["member_id"] == team.bob.id()).collect();
    assert!(!bobs.is_empty() && bobs.iter().all(|d| d["revoked"] == true));
    let (st, v) = team.manager.client.delete(&format!("/v1/members/{}", team.manager.id()));
    error_message(st, &v, 409, "conflict");
}

fn reps_see_and_revoke_only_their_own_devices_and_cannot_invite(backend: Backend) {
    let relay = Relay::start(backend);
    let team = relay.team("A");
    let (_, devices) = team.ann.client.get("/v1/devices");
    let devices = devices.as_array().unwrap().clone();
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0]["id"], team.ann.join.device_id.as_str());
    let (st, v) = team.ann.client.delete(&format!("/v1/devices/{}", team.bob.join.device_id));
    error_message(st, &v, 403, "forbidden");
    let (st, v) = team.ann.client.post("/v1/invites", &json!({"role": "rep"}));
    error_message(st, &v, 403, "forbidden");
    let (_, all) = team.manager.client.get("/v1/devices");
    assert_eq!(all.as_array().unwrap().len(), 3);
}

fn an_invite_for_a_member_adds_a_device(backend: Backend) {
    let relay = Relay::start(backend);
    let team = relay.team("A");
    let (st, v) = team.manager.client.post("/v1/invites", &json!({"role": "rep", "member_id": team.ann.id()}));
    assert_eq!(st, 200, "{v}");
    let (st, j) = relay.client(None).post("/v1/join", &json!({"invite": v["code"], "device_name": "tablet"}));
    assert_eq!(st, 200, "{j}");
    assert_eq!(j["member_id"], team.ann.id());
    assert_eq!(j["member_name"], "Ann");
    assert_eq!(j["role"], "rep");
    let (_, devices) = team.ann.client.get("/v1/devices");
    assert_eq!(devices.as_array().unwrap().len(), 2);
    let (st, v) = team.manager.client.post("/v1/invites", &json!({"role": "manager", "member_id": team.ann.id()}));
    error_message(st, &v, 400, "bad_request");
}

fn a_new_device_bootstraps_from_snapshots_plus_the_tail(backend: Backend) {
    let relay = Relay::start(backend);
    let team = relay.team("A");
    let (ann, bob) = (team.ann.id().to_string(), team.bob.id().to_string());
    // Real edits of one document, so the snapshot must hold all of them.
    let mut doc = automerge::AutoCommit::new();
    for i in 0..20i64 {
        use automerge::transaction::Transactable;
        doc.put(automerge::ROOT, format!("k{i}"), i).unwrap();
        doc.commit();
        let raw = doc.get_last_local_change().unwrap().raw_bytes().to_vec();
        let data = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, raw);
        let (st, v) = team.ann.client.post("/v1/push", &json!({"changes": [entry(&log(&ann), &data)]}));
        assert_eq!(st, 200, "{v}");
    }
    assert_eq!(push(&team.bob, &[&plan(&bob)]).0, 200);
    assert_eq!(relay.compact(&team.team_id), 21);
    assert_eq!(push(&team.ann, &["team"]).1["error"]["kind"], "forbidden");
    assert_eq!(push(&team.manager, &["team"]).0, 200);

    let p = team.manager.pull(0, 1000);
    assert_eq!(p.snapshots.len(), 2);
    assert!(p.snapshots.iter().all(|s| s.upto == 21));
    let seqs: Vec<_> = p.changes.iter().map(|c| c.seq).collect();
    assert_eq!(seqs, [22]);
    let snap = p.snapshots.iter().find(|s| s.doc == log(&ann)).unwrap();
    let bytes = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &snap.data).unwrap();
    let mut loaded = automerge::AutoCommit::load(&bytes).unwrap();
    assert_eq!(loaded.get_heads(), doc.get_heads());

    let p = team.ann.pull(0, 1000);
    let docs: Vec<_> = p.snapshots.iter().map(|s| s.doc.clone()).collect();
    assert_eq!(docs, [log(&ann)]);
    assert_eq!(p.changes.len(), 1);
    assert_eq!(p.next, 22);
    // Rep invites work as before after compaction.
    relay.invite(&team.manager, Role::Rep, Some("Cleo"));
}

on_both_backends!(
    a_rep_cannot_write_another_reps_doc_or_the_team_doc,
    a_rep_never_pulls_another_reps_changes_and_a_manager_pulls_all,
    pull_pages_by_limit,
    a_member_of_one_team_never_sees_another_team,
    pushing_the_same_change_twice_stores_it_once,
    removing_a_member_revokes_their_devices,
    reps_see_and_revoke_only_their_own_devices_and_cannot_invite,
    an_invite_for_a_member_adds_a_device,
    a_new_device_bootstraps_from_snapshots_plus_the_tail,
);
