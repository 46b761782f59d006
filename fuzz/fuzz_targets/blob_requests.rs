//! `/v1/blobs` as the relay serves it, through the real router, with a rep's
//! (Ann) and the manager's (Maria) tokens: a sequence of offers (any JSON),
//! chunk uploads (any query, any bytes; some the right bytes at the right
//! offset so uploads make progress) and downloads (any query, any Range).
//! Invariants: never a 5xx; every refusal is the protocol's error body; an
//! accepted offer or chunk answers a status whose `received` ≤ `size`; a
//! download of a complete blob returns exactly its bytes from the range's
//! start; Ann never reads Bob's document's blobs; the change log is untouched.
#![no_main]

use axum::body::Body;
use axum::http::{header, Request};
use kept_core::blob::{hash_of, BlobStatus};
use kept_core::protocol::ErrorBody;
use kept_fuzz::{Relay, ANN, ANN_TOKEN, BOB, MARIA_TOKEN};
use libfuzzer_sys::fuzz_target;
use std::sync::{LazyLock, Mutex};

static RELAY: LazyLock<Mutex<Relay>> = LazyLock::new(|| Mutex::new(Relay::new()));
/// A recording Ann sends in pieces while the fuzzer sends everything else.
static SEED: LazyLock<Vec<u8>> = LazyLock::new(|| (0..300_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8).collect());

fn query_value(v: &str) -> String {
    v.replace('/', "%2F")
}

fuzz_target!(|data: &[u8]| {
    let relay = RELAY.lock().unwrap_or_else(|p| p.into_inner());
    let before = relay.print();
    let seed = &*SEED;
    let hash = hash_of(seed);
    let ann_doc = format!("coaching/{ANN}");
    let bob_doc = format!("coaching/{BOB}");
    for piece in data.split(|b| *b == 0xff).take(16) {
        let Some((&op, rest)) = piece.split_first() else { continue };
        let token = if op & 0x80 == 0 { ANN_TOKEN } else { MARIA_TOKEN };
        let text = String::from_utf8_lossy(rest).into_owned();
        let (query, body) = text.split_once('\n').unwrap_or((text.as_str(), ""));
        let req = match op % 5 {
            0 => Request::post("/v1/blobs")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(rest.to_vec())),
            1 => Request::put(format!("/v1/blobs/{hash}?{}", query.replace(' ', "%20")))
                .body(Body::from(body.as_bytes().to_vec())),
            2 => {
                let mut r = Request::get(format!("/v1/blobs/{hash}?{}", query.replace(' ', "%20")));
                if !body.is_empty() {
                    r = r.header(header::RANGE, body.trim());
                }
                r.body(Body::empty())
            }
            3 => {
                // Ann's offer of the seed recording, then the right bytes at the relay's offset.
                let offer = serde_json::json!({"hash": hash, "size": seed.len(), "doc": ann_doc, "mime": "audio/webm"});
                let (st, b) = relay.send(
                    Request::post("/v1/blobs")
                        .header(header::AUTHORIZATION, format!("Bearer {ANN_TOKEN}"))
                        .header(header::CONTENT_TYPE, "application/json")
                        .body(Body::from(offer.to_string()))
                        .expect("request"),
                );
                assert!(st.is_success(), "Ann's own offer: {st} {}", String::from_utf8_lossy(&b));
                let s: BlobStatus = serde_json::from_slice(&b).expect("status");
                let from = s.received as usize;
                let to = (from + 1 + usize::from(rest.first().copied().unwrap_or(0)) * 1000).min(seed.len());
                Request::put(format!("/v1/blobs/{hash}?doc={}&offset={from}", query_value(&ann_doc)))
                    .header(header::AUTHORIZATION, format!("Bearer {ANN_TOKEN}"))
                    .body(Body::from(seed[from..to].to_vec()))
            }
            _ => Request::get(format!("/v1/blobs/{hash}?doc={}", query_value(&bob_doc))).body(Body::empty()),
        };
        let Ok(mut req) = req else { continue };
        if !req.headers().contains_key(header::AUTHORIZATION) {
            let Ok(v) = format!("Bearer {token}").parse() else { continue };
            req.headers_mut().insert(header::AUTHORIZATION, v);
        }
        let get = req.method() == axum::http::Method::GET;
        let uri = req.uri().to_string();
        let range = req.headers().get(header::RANGE).and_then(|v| v.to_str().ok()).map(str::to_string);
        let (status, out) = relay.send(req);
        assert!(!status.is_server_error(), "{uri} → {status} {}", String::from_utf8_lossy(&out));
        if !status.is_success() {
            let err: Result<ErrorBody, _> = serde_json::from_slice(&out);
            assert!(err.is_ok(), "{uri} → {status}: not the error body: {}", String::from_utf8_lossy(&out));
            continue;
        }
        if !get {
            let s: BlobStatus = serde_json::from_slice(&out).expect("a blob status");
            assert!(s.received <= s.size, "{s:?}");
            continue;
        }
        // A download that worked: Ann's blob (never Bob's document for Ann), exactly its bytes.
        assert!(!(uri.contains(BOB) && token == ANN_TOKEN), "Ann read Bob's document's blob: {uri}");
        let from = match status.as_u16() {
            206 => range
                .as_deref()
                .and_then(|r| r.trim().strip_prefix("bytes="))
                .and_then(|r| r.strip_suffix('-'))
                .and_then(|n| n.parse::<usize>().ok())
                .expect("a 206 answers a bytes=K- range"),
            _ => 0,
        };
        if uri.contains(&hash) {
            assert_eq!(out.as_slice(), &seed[from..], "{uri} with {range:?}");
        }
    }
    assert_eq!(relay.print(), before, "a blob request changed the change log");
});
