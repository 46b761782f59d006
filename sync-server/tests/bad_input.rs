//! Bad input against a real relay: each is refused with the JSON error body and changes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use common::*;
use kept_core::protocol::{MAX_BODY_BYTES, MAX_PUSH_CHANGES};
use serde_json::json;

fn malformed_json_is_400_naming_the_problem(backend: Backend) {
    let relay = Relay::start(backend);
    let team = relay.team("A");
    let (st, v) = team.manager.client.post_raw("/v1/push", b"{\"changes\": [");
    let msg = error_message(st, &v, 400, "bad_request");
    assert!(msg.to_lowercase().contains("json"), "{msg}");
    let (st, v) = team.manager.client.post_raw("/v1/push", br#"{"changes": 5}"#);
    let msg = error_message(st, &v, 400, "bad_request");
    assert!(msg.contains("changes"), "{msg}");
    assert_nothing_stored(&team);
}

fn garbage_change_bytes_are_400_naming_the_change(backend: Backend) {
    let relay = Relay::start(backend);
    let team = relay.team("A");
    let me = team.manager.id().to_string();
    let body =
        json!({"changes": [entry(&plan(&me), &change_b64()), entry(&plan(&me), &B64.encode(b"not a change at all"))]});
    let (st, v) = team.manager.client.post("/v1/push", &body);
    let msg = error_message(st, &v, 400, "bad_request");
    assert!(msg.contains("change 1") && msg.contains("Automerge"), "{msg}");
    assert_nothing_stored(&team);
}

fn bad_base64_is_400(backend: Backend) {
    let relay = Relay::start(backend);
    let team = relay.team("A");
    let body = json!({"changes": [entry("team", "!!not base64!!")]});
    let (st, v) = team.manager.client.post("/v1/push", &body);
    let msg = error_message(st, &v, 400, "bad_request");
    assert!(msg.contains("change 0") && msg.contains("base64"), "{msg}");
    assert_nothing_stored(&team);
}

fn bad_document_ids_and_disagreeing_kind_or_subject_are_400(backend: Backend) {
    let relay = Relay::start(backend);
    let team = relay.team("A");
    let ann = team.ann.id().to_string();
    let bad = [
        json!({"doc": "secrets/x", "kind": "plan", "data": change_b64()}),
        json!({"doc": plan(&ann), "kind": "log", "subject": ann, "data": change_b64()}),
        json!({"doc": plan(&ann), "kind": "plan", "subject": team.bob.id(), "data": change_b64()}),
        json!({"doc": "team", "kind": "team", "subject": ann, "data": change_b64()}),
        json!({"doc": plan(&ann), "kind": "nonsense", "subject": ann, "data": change_b64()}),
    ];
    for c in bad {
        let (st, v) = team.manager.client.post("/v1/push", &json!({"changes": [c]}));
        error_message(st, &v, 400, "bad_request");
    }
    assert_nothing_stored(&team);
}

fn oversized_body_is_413(backend: Backend) {
    let relay = Relay::start(backend);
    let team = relay.team("A");
    let big = "A".repeat(MAX_BODY_BYTES + 1024);
    let body = format!(r#"{{"changes":[{{"doc":"team","kind":"team","data":"{big}"}}]}}"#);
    let (st, v) = team.manager.client.post_raw("/v1/push", body.as_bytes());
    let msg = error_message(st, &v, 413, "too_large");
    assert!(msg.contains(&MAX_BODY_BYTES.to_string()), "{msg}");
    assert_nothing_stored(&team);
}

fn too_many_changes_is_400(backend: Backend) {
    let relay = Relay::start(backend);
    let team = relay.team("A");
    let changes: Vec<_> = (0..=MAX_PUSH_CHANGES).map(|_| entry("team", &change_b64())).collect();
    let (st, v) = team.manager.client.post("/v1/push", &json!({ "changes": changes }));
    let msg = error_message(st, &v, 400, "bad_request");
    assert!(msg.contains(&MAX_PUSH_CHANGES.to_string()), "{msg}");
    assert_nothing_stored(&team);
}

fn missing_unknown_and_revoked_tokens_are_401(backend: Backend) {
    let relay = Relay::start(backend);
    let team = relay.team("A");
    let body = json!({"changes": [entry("team", &change_b64())]});
    let (st, v) = relay.client(None).post("/v1/push", &body);
    error_message(st, &v, 401, "unauthorized");
    let (st, v) = relay.client(Some("not-a-token")).post("/v1/push", &body);
    error_message(st, &v, 401, "unauthorized");
    let (st, v) = relay.client(None).get("/v1/pull?cursor=0");
    error_message(st, &v, 401, "unauthorized");
    // Revoke Bob's device: his token stops working everywhere.
    let (st, _) = team.manager.client.delete(&format!("/v1/devices/{}", team.bob.join.device_id));
    assert_eq!(st, 204);
    let bob_body = json!({"changes": [entry(&plan(team.bob.id()), &change_b64())]});
    let (st, v) = team.bob.client.post("/v1/push", &bob_body);
    error_message(st, &v, 401, "unauthorized");
    let (st, v) = team.bob.client.get("/v1/pull?cursor=0");
    error_message(st, &v, 401, "unauthorized");
    assert_nothing_stored(&team);
}

fn an_invite_works_once(backend: Backend) {
    let relay = Relay::start(backend);
    let team = relay.team("A");
    let inv = relay.invite(&team.manager, kept_core::model::Role::Rep, None);
    let anon = relay.client(None);
    let (st, v) = anon.post("/v1/join", &json!({"invite": inv.code, "name": "Cleo"}));
    assert_eq!(st, 200, "{v}");
    let (st, v) = anon.post("/v1/join", &json!({"invite": inv.code, "name": "Dan"}));
    let msg = error_message(st, &v, 401, "unauthorized");
    assert!(msg.contains("already used"), "{msg}");
    let (_, members) = team.manager.client.get("/v1/members");
    let names: Vec<_> = members.as_array().unwrap().iter().map(|m| m["name"].as_str().unwrap().to_string()).collect();
    assert_eq!(names, ["Maria", "Ann", "Bob", "Cleo"]);
}

fn repeated_wrong_invites_are_429_but_a_valid_invite_still_joins(backend: Backend) {
    let relay = Relay::start(backend);
    let team = relay.team("A");
    let good = relay.invite(&team.manager, kept_core::model::Role::Rep, Some("Cleo"));
    let anon = relay.client(None);
    for i in 0..kept_relay::auth::MAX_FAILURES {
        let (st, v) = anon.post("/v1/join", &json!({"invite": format!("wrong-{i}")}));
        error_message(st, &v, 401, "unauthorized");
    }
    let (st, v) = anon.post("/v1/join", &json!({"invite": "wrong-again"}));
    error_message(st, &v, 429, "rate_limited");
    let (_, members) = team.manager.client.get("/v1/members");
    assert_eq!(members.as_array().unwrap().len(), 3, "nothing was created");
    // A right code still works from the same address: behind a shared proxy,
    // someone else's wrong guesses must not lock out a real join.
    let (st, v) = anon.post("/v1/join", &json!({"invite": good.code, "device_name": "phone"}));
    assert_eq!(st, 200, "{v}");
    let (st, v) = anon.post("/v1/join", &json!({"invite": "wrong-after"}));
    error_message(st, &v, 429, "rate_limited");
}

fn repeated_unknown_tokens_are_429_but_valid_tokens_still_work(backend: Backend) {
    let relay = Relay::start(backend);
    let team = relay.team("A");
    let stranger = relay.client(Some("guess"));
    for _ in 0..kept_relay::auth::MAX_FAILURES {
        assert_eq!(stranger.get("/v1/members").0, 401);
    }
    let (st, v) = stranger.get("/v1/members");
    error_message(st, &v, 429, "rate_limited");
    assert_eq!(team.ann.client.get("/v1/members").0, 200);
}

fn duplicate_names_are_409_and_leave_the_invite_usable(backend: Backend) {
    let relay = Relay::start(backend);
    let team = relay.team("A");
    let inv = relay.invite(&team.manager, kept_core::model::Role::Rep, None);
    let anon = relay.client(None);
    let (st, v) = anon.post("/v1/join", &json!({"invite": inv.code, "name": "ann"}));
    let msg = error_message(st, &v, 409, "conflict");
    assert!(msg.contains("ann"), "{msg}");
    let (st, v) = anon.post("/v1/join", &json!({"invite": inv.code, "name": "Anna"}));
    assert_eq!(st, 200, "{v}");
    let (st, v) = team.manager.client.post("/v1/invites", &json!({"role": "rep", "name": "BOB"}));
    error_message(st, &v, 409, "conflict");
}

fn bad_queries_and_unknown_routes_get_json_errors(backend: Backend) {
    let relay = Relay::start(backend);
    let team = relay.team("A");
    for q in ["cursor=abc", "cursor=-1", "limit=0", "limit=-5"] {
        let (st, v) = team.manager.client.get(&format!("/v1/pull?{q}"));
        error_message(st, &v, 400, "bad_request");
    }
    let (st, v) = team.manager.client.get("/v1/nothing");
    error_message(st, &v, 404, "not_found");
    let (st, v) = relay.client(None).get("/health");
    assert_eq!(st, 200);
    assert_eq!(v["ok"], true);
}

fn a_damaged_change_is_400_naming_its_checksum(backend: Backend) {
    let relay = Relay::start(backend);
    let team = relay.team("A");
    use automerge::transaction::Transactable;
    let mut d = automerge::AutoCommit::new();
    d.put(automerge::ROOT, "distinctive-key", 1).unwrap();
    d.commit();
    let mut bytes = d.get_last_local_change().unwrap().raw_bytes().to_vec();
    // Automerge parses a change whose content no longer matches its checksum: the relay must not.
    let at = bytes.windows(15).position(|w| w == b"distinctive-key").unwrap();
    bytes[at] = b'D';
    assert!(automerge::Change::from_bytes(bytes.clone()).is_ok(), "the test needs a change that still parses");
    let body = json!({"changes": [entry("team", &change_b64()), entry("team", &B64.encode(&bytes))]});
    let (st, v) = team.manager.client.post("/v1/push", &body);
    let msg = error_message(st, &v, 400, "bad_request");
    assert!(msg.contains("change 1") && msg.contains("checksum"), "{msg}");
    assert_nothing_stored(&team);
}

/// Two different changes under the same actor and sequence number (what two
/// writers sharing one actor id produce): Automerge refuses to apply both.
fn twin_changes() -> (Vec<u8>, Vec<u8>) {
    use automerge::transaction::Transactable;
    let actor = automerge::ActorId::random();
    let mut out = Vec::new();
    for v in [1, 2] {
        let mut d = automerge::AutoCommit::new().with_actor(actor.clone());
        d.put(automerge::ROOT, "k", v).unwrap();
        d.commit();
        out.push(d.get_last_local_change().unwrap().raw_bytes().to_vec());
    }
    (out[0].clone(), out[1].clone())
}

fn a_change_reusing_an_actors_seq_is_409_and_stores_nothing(backend: Backend) {
    let relay = Relay::start(backend);
    let team = relay.team("A");
    let (a, b) = twin_changes();
    let doc = plan(team.ann.id());
    // In one push.
    let body = json!({"changes": [entry(&doc, &B64.encode(&a)), entry(&doc, &B64.encode(&b))]});
    let (st, v) = team.ann.client.post("/v1/push", &body);
    let msg = error_message(st, &v, 409, "conflict");
    assert!(msg.contains("reuses sequence number 1"), "{msg}");
    assert_nothing_stored(&team);
    // One after the other: the first is stored, the second refused.
    let (st, v) = team.ann.client.post("/v1/push", &json!({"changes": [entry(&doc, &B64.encode(&a))]}));
    assert_eq!(st, 200, "{v}");
    let (st, v) = team.ann.client.post("/v1/push", &json!({"changes": [entry(&doc, &B64.encode(&b))]}));
    error_message(st, &v, 409, "conflict");
    let (changes, next) = team.manager.pull_all(0);
    assert_eq!((changes.len(), next), (1, 1), "only the first twin is stored");
    // The same change again is still fine (idempotent), and the same twin in another document is independent.
    let (st, v) = team.ann.client.post("/v1/push", &json!({"changes": [entry(&doc, &B64.encode(&a))]}));
    assert_eq!((st, v["seq"].as_i64()), (200, Some(1)), "{v}");
    let (st, v) = team.ann.client.post("/v1/push", &json!({"changes": [entry(&log(team.ann.id()), &B64.encode(&b))]}));
    assert_eq!(st, 200, "{v}");
}

fn a_client_of_a_newer_protocol_is_refused_before_anything_else(backend: Backend) {
    let relay = Relay::start(backend);
    let team = relay.team("A");
    let token = Some(team.manager.join.token.clone());
    let newer = relay.client(token.as_deref()).with_version("2");
    let body = json!({"changes": [entry(&plan(team.manager.id()), &change_b64())]});
    for (st, v) in [newer.post("/v1/push", &body), newer.get("/v1/pull?cursor=0"), newer.get("/v1/members")] {
        let msg = error_message(st, &v, 400, "unsupported_version");
        assert!(msg.contains("protocol 2") && msg.contains("update the relay"), "{msg}");
    }
    let (st, v) = relay.client(None).with_version("2").post("/v1/join", &json!({"invite": "x"}));
    error_message(st, &v, 400, "unsupported_version");
    let (st, v) = relay.client(None).with_version("two").get("/health");
    assert_eq!((st, v["protocol"].as_u64()), (200, Some(1)), "health always answers, with the relay's version");
    let (st, v) = relay.client(token.as_deref()).with_version("two").get("/v1/members");
    assert!(error_message(st, &v, 400, "unsupported_version").contains("whole number"));
    assert_nothing_stored(&team);
    // The current version, and no header at all (clients before versioning), are served.
    let (st, _) = relay.client(token.as_deref()).with_version("1").get("/v1/members");
    assert_eq!(st, 200);
    let (st, _) = relay.client(token.as_deref()).get("/v1/members");
    assert_eq!(st, 200);
}

on_both_backends!(
    a_client_of_a_newer_protocol_is_refused_before_anything_else,
    a_damaged_change_is_400_naming_its_checksum,
    a_change_reusing_an_actors_seq_is_409_and_stores_nothing,
    malformed_json_is_400_naming_the_problem,
    garbage_change_bytes_are_400_naming_the_change,
    bad_base64_is_400,
    bad_document_ids_and_disagreeing_kind_or_subject_are_400,
    oversized_body_is_413,
    too_many_changes_is_400,
    missing_unknown_and_revoked_tokens_are_401,
    an_invite_works_once,
    repeated_wrong_invites_are_429_but_a_valid_invite_still_joins,
    repeated_unknown_tokens_are_429_but_valid_tokens_still_work,
    duplicate_names_are_409_and_leave_the_invite_usable,
    bad_queries_and_unknown_routes_get_json_errors,
);
