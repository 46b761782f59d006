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
    // His device pushing to his own documents (the push that reads no member
    // list: the token lookup is what refuses it) stores nothing.
    let (st, v) = push(&team.bob, &[&log(team.bob.id()), &plan(team.bob.id())]);
    error_message(st, &v, 401, "unauthorized");
    assert_nothing_stored(&team);
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

/// An organisation with a leader, two of its teams and one team outside it.
fn leaders_read_every_team_of_their_organisation_and_write_none(backend: Backend) {
    let relay = Relay::start(backend);
    let org = relay.rt.block_on(kept_relay::admin::create_org(relay.storage.as_ref(), "Acme", "Dana")).unwrap();
    let (st, j) = relay.client(None).post("/v1/join", &json!({"invite": org.invite, "device_name": "laptop"}));
    assert_eq!(st, 200, "{j}");
    assert_eq!((j["role"].as_str(), j["team_name"].as_str()), (Some("manager"), Some("Acme leadership")));
    let dana = relay.client(j["token"].as_str());
    let dana_device = j["device_id"].as_str().unwrap().to_string();
    let a = relay.team_in_org("East", Some(&org.org_id));
    let b = relay.team_in_org("West", Some(&org.org_id));
    let outside = relay.team("Elsewhere");
    assert_eq!(push(&a.ann, &[&log(a.ann.id()), &plan(a.ann.id())]).0, 200);
    assert_eq!(push(&a.manager, &["team", &plan(a.bob.id())]).0, 200);

    // The leader lists the organisation's teams (not the leadership team, not a stranger's).
    let (st, teams) = dana.get("/v1/org/teams");
    assert_eq!(st, 200, "{teams}");
    let names: Vec<_> = teams["teams"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["East", "West"]);
    // A device in East: role leader, reads every document, writes none.
    let device = |team: &str| dana.post(&format!("/v1/org/teams/{team}/device"), &json!({"device_name": "laptop"}));
    let (st, east) = device(&a.team_id);
    assert_eq!(st, 200, "{east}");
    assert_eq!((east["role"].as_str(), east["member_name"].as_str()), (Some("leader"), Some("Dana")));
    let dana_east = relay.client(east["token"].as_str());
    let (st, pulled) = dana_east.get("/v1/pull?cursor=0");
    assert_eq!(st, 200, "{pulled}");
    assert_eq!(pulled["changes"].as_array().unwrap().len(), 4, "every document of East: {pulled}");
    let (st, v) = dana_east.post("/v1/push", &json!({"changes": [entry("team", &change_b64())]}));
    let msg = error_message(st, &v, 403, "forbidden");
    assert!(msg.contains("leader"), "{msg}");
    let (st, v) = dana_east.post("/v1/invites", &json!({"role": "rep", "name": "Zed"}));
    error_message(st, &v, 403, "forbidden");
    // Asking again gives another device for the same member: one leader row per team.
    let (_, again) = device(&a.team_id);
    assert_eq!(again["member_id"], east["member_id"]);
    // East's roster names the leader (who can read the team is never hidden).
    let (_, members) = a.manager.client.get("/v1/members");
    let leaders: Vec<_> = members.as_array().unwrap().iter().filter(|m| m["role"] == "leader").collect();
    assert_eq!(leaders.len(), 1);
    assert_eq!(leaders[0]["name"], "Dana");
    // The manager can neither remove the leader nor invite one.
    let (st, v) = a.manager.client.delete(&format!("/v1/members/{}", east["member_id"].as_str().unwrap()));
    error_message(st, &v, 403, "forbidden");
    let (st, v) = a.manager.client.post("/v1/invites", &json!({"role": "leader", "name": "Eve"}));
    error_message(st, &v, 400, "bad_request");
    // A team outside the organisation is refused.
    let (st, v) = device(&outside.team_id);
    error_message(st, &v, 403, "forbidden");

    // Managers keep to their own team: no organisation list, no device in another team.
    let (st, v) = a.manager.client.get("/v1/org/teams");
    error_message(st, &v, 403, "forbidden");
    let (st, v) = a.manager.client.post(&format!("/v1/org/teams/{}/device", b.team_id), &json!({"device_name": "x"}));
    error_message(st, &v, 403, "forbidden");
    // Nor does a manager who is a coachee in the leadership team (a rep there).
    let inv = relay.client(j["token"].as_str()).post("/v1/invites", &json!({"role": "rep", "name": "Maria"}));
    assert_eq!(inv.0, 200, "{}", inv.1);
    let (st, coachee) = relay.client(None).post("/v1/join", &json!({"invite": inv.1["code"], "device_name": "phone"}));
    assert_eq!(st, 200, "{coachee}");
    let coachee = relay.client(coachee["token"].as_str());
    let (st, v) = coachee.get("/v1/org/teams");
    error_message(st, &v, 403, "forbidden");
    let (st, v) = coachee.post(&format!("/v1/org/teams/{}/device", b.team_id), &json!({"device_name": "x"}));
    error_message(st, &v, 403, "forbidden");
    // A rep of East still reads only her own documents.
    assert!(a.ann.pull_all(0).0.iter().all(|c| c.doc == "team" || c.doc.contains(a.ann.id())));

    // Revoking the leader's own device revokes the devices derived from it.
    let (st, _) = dana.delete(&format!("/v1/devices/{dana_device}"));
    assert_eq!(st, 204);
    let (st, v) = dana_east.get("/v1/pull?cursor=0");
    error_message(st, &v, 401, "unauthorized");
}

on_both_backends!(
    leaders_read_every_team_of_their_organisation_and_write_none,
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
