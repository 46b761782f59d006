//! The inflation attack of the gatekeeper issue against a real relay process:
//! a few hundred KiB of compressed "changes" that would inflate to hundreds of
//! MiB. The relay refuses them before inflating past its limit, stores
//! nothing, and its peak memory (VmHWM) stays under 100 MB.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use kept_tests::Relay;
use serde_json::{json, Value};
use std::io::Write;

/// A compressed Automerge chunk (type 2) whose payload inflates to `mib` MiB of zeros.
fn bomb(mib: usize) -> Vec<u8> {
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1024 * 1024];
    for _ in 0..mib {
        enc.write_all(&zeros).expect("deflate");
    }
    let data = enc.finish().expect("deflate");
    let mut out = vec![0x85, 0x6f, 0x4a, 0x83, 1, 2, 3, 4, 2];
    let mut len = data.len() as u64;
    loop {
        let b = (len & 0x7f) as u8;
        len >>= 7;
        out.push(if len == 0 { b } else { b | 0x80 });
        if len == 0 {
            break;
        }
    }
    out.extend(data);
    out
}

fn post(url: &str, token: Option<&str>, path: &str, body: &Value) -> (u16, Value) {
    let agent = ureq::Agent::config_builder().http_status_as_error(false).build().new_agent();
    let mut r = agent.post(format!("{url}{path}")).header("Content-Type", "application/json");
    if let Some(t) = token {
        r = r.header("Authorization", format!("Bearer {t}"));
    }
    let mut resp = r.send(serde_json::to_vec(body).expect("json")).expect("request");
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

#[test]
fn an_inflation_bomb_is_refused_and_the_relay_stays_small() {
    let dir = tempfile::tempdir().expect("tmp");
    let relay = Relay::start(&dir.path().join("relay.sqlite3"), "127.0.0.1:0");
    let team = relay.admin(&["team", "create", "--name", "Acme", "--manager", "Mia"]);
    let (st, joined) = post(&relay.url, None, "/v1/join", &json!({"invite": team["invite"], "device_name": "laptop"}));
    assert_eq!(st, 200, "{joined}");
    let token = joined["token"].as_str().expect("token").to_string();
    let doc = format!("plan/{}", joined["member_id"].as_str().expect("member"));
    let before = relay.rss_kib().expect("rss");

    let one = bomb(256);
    let change = |b: &[u8]| json!({"doc": doc, "kind": "plan", "subject": doc[5..], "data": B64.encode(b)});
    let (st, v) = post(&relay.url, Some(&token), "/v1/push", &json!({"changes": [change(&one)]}));
    assert_eq!(st, 413, "{v}");
    let msg = v["error"]["message"].as_str().expect("message");
    assert!(msg.contains("change 0") && msg.contains("inflates"), "{msg}");

    // A whole push of them, as large as a body may be.
    let per = B64.encode(&one).len() + 200;
    let n = (kept_core::protocol::MAX_BODY_BYTES - 1024) / per;
    let body = json!({"changes": (0..n).map(|_| change(&one)).collect::<Vec<_>>()});
    let (st, v) = post(&relay.url, Some(&token), "/v1/push", &body);
    assert_eq!(st, 413, "{v}");

    // Real changes that each fit but together inflate past the push's budget.
    let mut d = automerge::AutoCommit::new();
    let body: Vec<Value> = (0..8)
        .map(|i| {
            use automerge::transaction::Transactable;
            let text = "a".repeat(kept_core::protocol::MAX_CHANGE_BYTES - 4096);
            d.put(automerge::ROOT, format!("k{i}"), text).expect("put");
            d.commit();
            change(&d.get_last_local_change().expect("change").clone().bytes())
        })
        .collect();
    let body = json!({ "changes": body });
    let (st, v) = post(&relay.url, Some(&token), "/v1/push", &body);
    assert_eq!(st, 413, "{v}");
    assert!(v["error"]["message"].as_str().expect("message").contains("the rest of this push"), "{v}");

    let (st, v) = post(&relay.url, Some(&token), "/v1/push", &json!({"changes": []}));
    assert_eq!((st, v["seq"].as_i64()), (200, Some(0)), "nothing was stored: {v}");
    let peak = relay.peak_rss_kib().expect("peak rss");
    println!(
        "relay memory: {} KiB before, peak {} KiB after {} compressed KiB that inflate to {} MiB ({} bombs in one push)",
        before,
        peak,
        one.len() / 1024,
        256,
        n
    );
    assert!(peak < 100 * 1024, "the relay's peak RSS was {peak} KiB");
}
