//! The live WebSocket against a real relay.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::result_large_err)]

#[macro_use]
mod common;

use common::*;
use serde_json::json;
use std::net::TcpStream;
use std::time::{Duration, Instant};
use tungstenite::client::IntoClientRequest;
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

type Ws = WebSocket<MaybeTlsStream<TcpStream>>;

fn connect(relay: &Relay, token: &str) -> Result<Ws, tungstenite::Error> {
    let mut req = format!("ws://{}/v1/live", relay.addr).into_client_request().unwrap();
    req.headers_mut().insert("Authorization", format!("Bearer {token}").parse().unwrap());
    let (ws, _) = tungstenite::connect(req)?;
    if let MaybeTlsStream::Plain(s) = ws.get_ref() {
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    }
    Ok(ws)
}

fn next_seq(ws: &mut Ws) -> i64 {
    loop {
        match ws.read().unwrap() {
            Message::Text(t) => return serde_json::from_str::<serde_json::Value>(&t).unwrap()["seq"].as_i64().unwrap(),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("unexpected {other:?}"),
        }
    }
}

fn live_sends_the_seq_on_connect_and_on_every_change(backend: Backend) {
    let relay = Relay::start(backend);
    let team = relay.team("A");
    let mut ws = connect(&relay, &team.manager.join.token).unwrap();
    assert_eq!(next_seq(&mut ws), 0);
    let body = json!({"changes": [entry(&log(team.ann.id()), &change_b64())]});
    assert_eq!(team.ann.client.post("/v1/push", &body).0, 200);
    assert_eq!(next_seq(&mut ws), 1);
    // A rep's socket for the same team hears it too; a new socket starts from the head.
    let mut ws2 = connect(&relay, &team.bob.join.token).unwrap();
    assert_eq!(next_seq(&mut ws2), 1);
    let body =
        json!({"changes": [entry(&log(team.bob.id()), &change_b64()), entry(&log(team.bob.id()), &change_b64())]});
    assert_eq!(team.bob.client.post("/v1/push", &body).0, 200);
    assert_eq!(next_seq(&mut ws), 3);
    assert_eq!(next_seq(&mut ws2), 3);
}

/// True when no event arrives within `window` (pings do not count).
fn silent_for(ws: &mut Ws, window: Duration) -> bool {
    let MaybeTlsStream::Plain(s) = ws.get_ref() else { panic!("plain sockets only") };
    s.set_read_timeout(Some(window)).unwrap();
    let started = Instant::now();
    let quiet = loop {
        match ws.read() {
            Ok(Message::Ping(_) | Message::Pong(_)) if started.elapsed() < window => continue,
            Ok(Message::Ping(_) | Message::Pong(_)) => break true,
            Ok(Message::Text(t)) => {
                eprintln!("woken: {t}");
                break false;
            }
            Ok(other) => panic!("unexpected {other:?}"),
            Err(tungstenite::Error::Io(e))
                if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) =>
            {
                break true
            }
            Err(e) => panic!("socket failed: {e}"),
        }
    };
    let MaybeTlsStream::Plain(s) = ws.get_ref() else { unreachable!() };
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    quiet
}

const QUIET: Duration = Duration::from_millis(500);

fn a_push_wakes_only_the_sockets_that_may_read_it(backend: Backend) {
    let relay = Relay::start(backend);
    let team = relay.team("A");
    let ann_laptop = relay.join_own_device(&team.ann);
    let mut boss = connect(&relay, &team.manager.join.token).unwrap();
    let mut ann_phone = connect(&relay, &team.ann.join.token).unwrap();
    let mut ann_other = connect(&relay, &ann_laptop.join.token).unwrap();
    let mut bob = connect(&relay, &team.bob.join.token).unwrap();
    for ws in [&mut boss, &mut ann_phone, &mut ann_other, &mut bob] {
        assert_eq!(next_seq(ws), 0);
    }
    let mut events = 0;
    // Ann's push to her own log: the manager and both of Ann's devices, not Bob.
    let change = change_b64();
    let body = json!({"changes": [entry(&log(team.ann.id()), &change)]});
    assert_eq!(team.ann.client.post("/v1/push", &body).0, 200);
    for ws in [&mut boss, &mut ann_phone, &mut ann_other] {
        assert_eq!(next_seq(ws), 1);
        events += 1;
    }
    assert!(silent_for(&mut bob, QUIET), "Bob was woken by Ann's log");
    // The same change again stores nothing: nobody wakes.
    assert_eq!(team.ann.client.post("/v1/push", &body).0, 200);
    assert!(silent_for(&mut boss, QUIET), "a push that stored nothing woke the manager");
    // The manager writes about Bob: Bob and the manager's own socket, not Ann.
    let body = json!({"changes": [entry(&plan(team.bob.id()), &change_b64())]});
    assert_eq!(team.manager.client.post("/v1/push", &body).0, 200);
    for ws in [&mut boss, &mut bob] {
        assert_eq!(next_seq(ws), 2);
        events += 1;
    }
    assert!(silent_for(&mut ann_phone, QUIET) && silent_for(&mut ann_other, Duration::from_millis(50)));
    // The team document wakes everyone, with the latest sequence.
    let body = json!({"changes": [entry("team", &change_b64())]});
    assert_eq!(team.manager.client.post("/v1/push", &body).0, 200);
    for ws in [&mut boss, &mut ann_phone, &mut ann_other, &mut bob] {
        assert_eq!(next_seq(ws), 3);
        events += 1;
    }
    // A socket opened now starts from the head, though Bob's own channel last moved at 3 and Ann's at 1.
    assert_eq!(
        team.ann.client.post("/v1/push", &json!({"changes": [entry(&plan(team.ann.id()), &change_b64())]})).0,
        200
    );
    assert_eq!(next_seq(&mut ann_phone), 4);
    let mut bob_again = connect(&relay, &team.bob.join.token).unwrap();
    assert_eq!(next_seq(&mut bob_again), 4);
    eprintln!("3 pushes to 4 sockets: {events} wake-ups (every socket woken by every push: 12)");
    assert_eq!(events, 9);
}

fn live_refuses_missing_and_unknown_tokens(backend: Backend) {
    let relay = Relay::start(backend);
    let _team = relay.team("A");
    match connect(&relay, "nope") {
        Err(tungstenite::Error::Http(resp)) => assert_eq!(resp.status(), 401),
        other => panic!("expected 401, got {:?}", other.map(|_| ())),
    }
}

fn a_revoked_devices_open_socket_is_closed_at_once(backend: Backend) {
    let relay = Relay::start(backend);
    let team = relay.team("A");
    let mut ws = connect(&relay, &team.ann.join.token).unwrap();
    assert_eq!(next_seq(&mut ws), 0);
    let mut other = connect(&relay, &team.bob.join.token).unwrap();
    assert_eq!(next_seq(&mut other), 0);
    let started = Instant::now();
    let (st, _) = team.manager.client.delete(&format!("/v1/devices/{}", team.ann.join.device_id));
    assert_eq!(st, 204);
    let closed = loop {
        match ws.read() {
            Ok(Message::Close(frame)) => break frame.map(|f| u16::from(f.code)),
            Ok(_) => continue,
            Err(tungstenite::Error::ConnectionClosed) | Err(tungstenite::Error::AlreadyClosed) => break None,
            Err(e) => panic!("socket not closed: {e}"),
        }
    };
    assert_eq!(closed, Some(kept_relay::live::CLOSE_REVOKED));
    assert!(started.elapsed() < Duration::from_secs(2));
    // Bob's socket stays open and still hears changes.
    let body = json!({"changes": [entry("team", &change_b64())]});
    assert_eq!(team.manager.client.post("/v1/push", &body).0, 200);
    assert_eq!(next_seq(&mut other), 1);
    // Removing a member closes their sockets too.
    let (st, _) = team.manager.client.delete(&format!("/v1/members/{}", team.bob.id()));
    assert_eq!(st, 204);
    loop {
        match other.read() {
            Ok(Message::Close(_)) | Err(tungstenite::Error::ConnectionClosed) => break,
            Ok(_) => continue,
            Err(e) => panic!("socket not closed: {e}"),
        }
    }
}

fn shutting_down_closes_open_sockets(backend: Backend) {
    let mut relay = Relay::start(backend);
    let team = relay.team("A");
    let mut ws = connect(&relay, &team.manager.join.token).unwrap();
    assert_eq!(next_seq(&mut ws), 0);
    relay.stop();
    match ws.read() {
        Ok(Message::Close(frame)) => assert_eq!(frame.map(|f| u16::from(f.code)), Some(1001)),
        other => panic!("expected a close frame, got {other:?}"),
    }
}

on_both_backends!(
    live_sends_the_seq_on_connect_and_on_every_change,
    live_refuses_missing_and_unknown_tokens,
    a_push_wakes_only_the_sockets_that_may_read_it,
    a_revoked_devices_open_socket_is_closed_at_once,
    shutting_down_closes_open_sockets,
);
