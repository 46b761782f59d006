//! The relay's edges against slow, greedy and racing clients: a connection
//! cap with a clear 503, half-sent requests closed, a live-socket cap per
//! device, the last-manager rule under concurrent removals (both backends),
//! revocation reaching a live socket held by another relay instance, and
//! device names with terminal escapes refused.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use common::*;
use kept_core::model::Role;
use kept_relay::edge::Limits;
use serde_json::json;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};
use tungstenite::client::IntoClientRequest;

fn live(addr: std::net::SocketAddr, token: &str) -> Result<(), u16> {
    let mut req = format!("ws://{addr}/v1/live").into_client_request().unwrap();
    req.headers_mut().insert("Authorization", format!("Bearer {token}").parse().unwrap());
    match tungstenite::connect(req) {
        Ok((ws, _)) => {
            std::mem::forget(ws); // held open until the test ends
            Ok(())
        }
        Err(tungstenite::Error::Http(resp)) => Err(resp.status().as_u16()),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn a_connection_over_the_cap_gets_503_and_the_rest_keep_working() {
    let relay = Relay::start_limited(Limits { max_connections: 6, ..Limits::default() });
    let held: Vec<TcpStream> = (0..6).map(|_| TcpStream::connect(relay.addr).unwrap()).collect();
    std::thread::sleep(Duration::from_millis(200));
    let mut extra = TcpStream::connect(relay.addr).unwrap();
    extra.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut answer = String::new();
    let _ = extra.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 503") && answer.contains("too many open connections"), "{answer}");
    drop(held);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(relay.client(None).get("/health").0, 200, "capacity comes back when connections close");
}

#[test]
fn a_half_sent_request_is_closed_and_frees_its_slot() {
    let relay = Relay::start_limited(Limits {
        read: Duration::from_secs(1),
        idle: Duration::from_secs(2),
        ..Limits::default()
    });
    let mut slow = TcpStream::connect(relay.addr).unwrap();
    slow.write_all(b"POST /v1/push HTTP/1.1\r\nHost: relay\r\nContent-Length: 100\r\n\r\n{\"chan").unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let t0 = Instant::now();
    let mut buf = Vec::new();
    let _ = slow.read_to_end(&mut buf);
    let waited = t0.elapsed();
    assert!(waited < Duration::from_secs(5), "the relay held a half-sent request for {waited:?}");
    let mut headers = TcpStream::connect(relay.addr).unwrap();
    headers.write_all(b"GET /health HTTP/1.1\r\nHost: relay\r\n").unwrap();
    headers.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let t0 = Instant::now();
    let _ = headers.read_to_end(&mut buf);
    assert!(t0.elapsed() < Duration::from_secs(5), "half-sent headers held for {:?}", t0.elapsed());
}

#[test]
fn one_device_may_hold_only_a_few_live_sockets() {
    let relay = Relay::start_limited(Limits { live_per_device: 2, ..Limits::default() });
    let team = relay.team("A");
    assert_eq!(live(relay.addr, &team.ann.join.token), Ok(()));
    assert_eq!(live(relay.addr, &team.ann.join.token), Ok(()));
    assert_eq!(live(relay.addr, &team.ann.join.token), Err(429));
    assert_eq!(live(relay.addr, &team.bob.join.token), Ok(()), "another device is not affected");
}

#[test]
fn device_names_with_control_characters_are_refused() {
    let relay = Relay::start(Backend::Sqlite);
    let team = relay.team("A");
    let inv = relay.invite(&team.manager, Role::Rep, Some("Cy"));
    let (st, v) = relay.client(None).post("/v1/join", &json!({"invite": inv.code, "device_name": "phone\u{1b}[2J"}));
    let msg = error_message(st, &v, 400, "bad_request");
    assert!(msg.contains("control characters"), "{msg}");
    let (st, _) = relay.client(None).post("/v1/join", &json!({"invite": inv.code, "device_name": "Cy's phone"}));
    assert_eq!(st, 200, "the invite was not used up by the refused join");
}

fn two_managers_removing_each_other_leave_one(backend: Backend) {
    let relay = Relay::start(backend);
    let team = relay.team("A");
    let inv = relay.invite(&team.manager, Role::Manager, Some("Deputy"));
    let (st, v) = relay.client(None).post("/v1/join", &json!({"invite": inv.code, "device_name": "laptop"}));
    assert_eq!(st, 200, "{v}");
    let deputy: kept_core::protocol::JoinResponse = serde_json::from_value(v).unwrap();
    let deputy_client = relay.client(Some(&deputy.token));
    for _ in 0..5 {
        let a = {
            let c = relay.client(Some(&team.manager.join.token));
            let id = deputy.member_id.clone();
            std::thread::spawn(move || c.delete(&format!("/v1/members/{id}")).0)
        };
        let b = deputy_client.delete(&format!("/v1/members/{}", team.manager.id())).0;
        let a = a.join().unwrap();
        let (_, members) = relay.client(Some(&team.ann.join.token)).get("/v1/members");
        let managers =
            members.as_array().unwrap().iter().filter(|m| m["role"] == "manager" && m["active"] == true).count();
        assert!(managers >= 1, "the team was left with no manager ({a}, {b})");
        if a == 204 || b == 204 {
            assert_eq!(managers, 1);
            return;
        }
    }
    panic!("neither removal went through");
}

#[test]
fn a_revocation_closes_the_live_socket_held_by_another_relay_instance() {
    let db = TestDb::create();
    let (a, b) = (Relay::start_on(&db), Relay::start_on(&db));
    let team = a.team("A");
    let mut req = format!("ws://{}/v1/live", a.addr).into_client_request().unwrap();
    req.headers_mut().insert("Authorization", format!("Bearer {}", team.ann.join.token).parse().unwrap());
    let (mut ws, _) = tungstenite::connect(req).unwrap();
    if let tungstenite::stream::MaybeTlsStream::Plain(s) = ws.get_ref() {
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    }
    let _ = ws.read().unwrap(); // the first seq
    std::thread::sleep(Duration::from_millis(300)); // both instances are listening
    let on_b = b.client(Some(&team.manager.join.token));
    assert_eq!(on_b.delete(&format!("/v1/devices/{}", team.ann.join.device_id)).0, 204);
    let t0 = Instant::now();
    let closed = loop {
        match ws.read() {
            Ok(tungstenite::Message::Close(f)) => break f.map(|f| u16::from(f.code)),
            Ok(_) => continue,
            Err(tungstenite::Error::ConnectionClosed) | Err(tungstenite::Error::AlreadyClosed) => break None,
            Err(e) => panic!("the socket on the other instance stayed open: {e}"),
        }
    };
    assert_eq!(closed, Some(kept_relay::live::CLOSE_REVOKED));
    assert!(t0.elapsed() < Duration::from_secs(3));
}

on_both_backends!(two_managers_removing_each_other_leave_one);
