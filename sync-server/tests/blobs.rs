//! Blobs (recordings) against a real relay on both backends: who may offer,
//! upload and download what (a hash alone grants nothing), hostile requests
//! (bad hashes and media types, wrong offsets, oversized and overlong bodies,
//! mismatched bytes, the quota) refused with nothing changed, uploads cut off
//! midway resumed, ranged downloads.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use common::*;
use kept_protocol::blob::{hash_of, BlobStatus, CLIENT_CHUNK, MAX_BLOB_BYTES, MAX_BLOB_CHUNK};
use kept_relay::blobs::{BlobKey, BlobLimits, ByteStream, DirBlobs};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

/// `n` bytes that do not compress, different for each `seed`.
fn noise(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn offer_as(m: &Member, hash: &str, size: u64, doc: &str, mime: &str) -> (u16, Value) {
    m.client.post("/v1/blobs", &json!({"hash": hash, "size": size, "doc": doc, "mime": mime}))
}

fn offer(m: &Member, bytes: &[u8], doc: &str) -> (u16, Value) {
    offer_as(m, &hash_of(bytes), bytes.len() as u64, doc, "audio/webm;codecs=opus")
}

fn status(st: u16, v: Value) -> BlobStatus {
    assert_eq!(st, 200, "{v}");
    serde_json::from_value(v).unwrap()
}

fn put(m: &Member, hash: &str, doc: &str, offset: u64, body: &[u8]) -> (u16, Value) {
    m.client.put_bytes(&format!("/v1/blobs/{hash}?doc={doc}&offset={offset}"), body)
}

fn get(m: &Member, hash: &str, doc: &str) -> (u16, Vec<u8>) {
    let (st, _, body) = m.client.get_bytes(&format!("/v1/blobs/{hash}?doc={doc}"), &[]);
    (st, body)
}

/// Offers `bytes` for `doc` and sends them in chunks of `chunk`; returns the last status.
fn upload(m: &Member, bytes: &[u8], doc: &str, chunk: usize) -> BlobStatus {
    let hash = hash_of(bytes);
    let mut s = status_of(offer(m, bytes, doc));
    while !s.complete {
        let at = s.received as usize;
        let end = (at + chunk).min(bytes.len());
        s = status_of(put(m, &hash, doc, at as u64, &bytes[at..end]));
    }
    s
}

fn status_of((st, v): (u16, Value)) -> BlobStatus {
    status(st, v)
}

/// Sends a request over a raw connection and returns whatever the relay
/// answered. With `cut`, the connection is half-closed after `body` (the
/// relay then sees the body break off, and may answer nothing).
fn raw(relay: &Relay, token: &str, path: &str, headers: &str, body: &[u8], cut: bool) -> String {
    let mut s = TcpStream::connect(relay.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let head = format!(
        "PUT {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/octet-stream\r\nConnection: close\r\n{headers}\r\n",
        relay.addr
    );
    s.write_all(head.as_bytes()).unwrap();
    // The relay may answer (and close) before it read everything.
    let _ = s.write_all(body);
    if cut {
        let _ = s.shutdown(Shutdown::Write);
    }
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// `bytes` as a chunked transfer-encoded body (64 KiB chunks).
fn chunked(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for piece in bytes.chunks(64 * 1024) {
        out.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        out.extend_from_slice(piece);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

fn token(m: &Member) -> &str {
    m.client.token().unwrap()
}

fn uploaded_in_chunks_downloads_the_same_bytes(backend: Backend) {
    let relay = Relay::start(backend);
    let team = relay.team("A");
    let ann = team.ann.id().to_string();
    let bytes = noise(2 * CLIENT_CHUNK + 12_345, 1);
    let hash = hash_of(&bytes);
    let first = status_of(offer(&team.ann, &bytes, &log(&ann)));
    assert_eq!(first, BlobStatus { hash: hash.clone(), size: bytes.len() as u64, received: 0, complete: false });
    let s = status_of(put(&team.ann, &hash, &log(&ann), 0, &bytes[..CLIENT_CHUNK]));
    assert_eq!((s.received, s.complete), (CLIENT_CHUNK as u64, false));
    // Offering again tells where to go on.
    assert_eq!(status_of(offer(&team.ann, &bytes, &log(&ann))).received, CLIENT_CHUNK as u64);
    let s = upload(&team.ann, &bytes, &log(&ann), CLIENT_CHUNK);
    assert_eq!((s.received, s.complete), (bytes.len() as u64, true));
    let again = status_of(offer(&team.ann, &bytes, &log(&ann)));
    assert!(again.complete && again.received == bytes.len() as u64);
    // Nothing more to send: an empty chunk at the end is fine, a byte more is not.
    assert!(status_of(put(&team.ann, &hash, &log(&ann), bytes.len() as u64, b"")).complete);
    let (st, v) = put(&team.ann, &hash, &log(&ann), bytes.len() as u64, b"x");
    error_message(st, &v, 400, "bad_request");

    let (st, headers, got) = team.ann.client.get_bytes(&format!("/v1/blobs/{hash}?doc={}", log(&ann)), &[]);
    assert_eq!(st, 200);
    assert!(got == bytes, "the download differs from the upload");
    assert_eq!(headers["content-type"], "audio/webm;codecs=opus");
    assert_eq!(headers["content-length"], bytes.len().to_string().as_str());
    // The same bytes under another of her documents are the same blob (stored once).
    assert!(status_of(offer(&team.ann, &bytes, &plan(&ann))).complete);
    assert!(get(&team.ann, &hash, &plan(&ann)).1 == bytes);
    // Her manager reads it.
    let (st, got) = get(&team.manager, &hash, &log(&ann));
    assert!(st == 200 && got == bytes, "{st}");
    // A blob of the team document: the manager uploads it, every member reads it.
    let memo = noise(5000, 2);
    assert!(upload(&team.manager, &memo, "team", 4096).complete);
    for m in [&team.ann, &team.bob, &team.manager] {
        assert!(get(m, &hash_of(&memo), "team") == (200, memo.clone()));
    }
}

fn an_upload_cut_off_midway_resumes_from_what_arrived(backend: Backend) {
    let relay = Relay::start(backend);
    let team = relay.team("A");
    let doc = log(team.ann.id());
    let bytes = noise(600_000, 3);
    let hash = hash_of(&bytes);
    status_of(offer(&team.ann, &bytes, &doc));
    // Half the body, then the connection goes away.
    let path = format!("/v1/blobs/{hash}?doc={doc}&offset=0");
    raw(&relay, token(&team.ann), &path, &format!("Content-Length: {}\r\n", bytes.len()), &bytes[..300_000], true);
    let deadline = Instant::now() + Duration::from_secs(10);
    let held = loop {
        let s = status_of(offer(&team.ann, &bytes, &doc));
        if s.received == 300_000 || Instant::now() > deadline {
            break s;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!((held.received, held.complete), (300_000, false), "what arrived is kept");
    // Resending from 0 is refused, naming the offset to send from.
    let (st, v) = put(&team.ann, &hash, &doc, 0, &bytes);
    let msg = error_message(st, &v, 409, "conflict");
    assert!(msg.contains("300000"), "{msg}");
    let s = status_of(put(&team.ann, &hash, &doc, 300_000, &bytes[300_000..]));
    assert!(s.complete, "{s:?}");
    assert!(get(&team.manager, &hash, &doc) == (200, bytes));
}

fn a_rep_never_reaches_another_reps_blob(backend: Backend) {
    let relay = Relay::start(backend);
    let team = relay.team("A");
    let (ann, bob) = (team.ann.id().to_string(), team.bob.id().to_string());
    let bytes = noise(3000, 4);
    let hash = hash_of(&bytes);
    assert!(upload(&team.ann, &bytes, &log(&ann), 1000).complete);
    // Through her document: refused at every call.
    let (st, v) = offer(&team.bob, &bytes, &log(&ann));
    error_message(st, &v, 403, "forbidden");
    let (st, v) = put(&team.bob, &hash, &log(&ann), 3000, b"");
    error_message(st, &v, 403, "forbidden");
    let (st, _, body) = team.bob.client.get_bytes(&format!("/v1/blobs/{hash}?doc={}", log(&ann)), &[]);
    assert_eq!(st, 403, "{}", String::from_utf8_lossy(&body));
    // Through his own document the hash finds nothing, even once he offers it:
    // only uploading the bytes makes them his.
    assert_eq!(get(&team.bob, &hash, &log(&bob)).0, 404);
    let mine = status_of(offer(&team.bob, &bytes, &log(&bob)));
    assert_eq!((mine.received, mine.complete), (0, false));
    assert_eq!(get(&team.bob, &hash, &log(&bob)).0, 404);
    assert_eq!(get(&team.bob, &hash, "team").0, 404);
    // A rep does not write the team document, so uploads no blob for it.
    let (st, v) = offer(&team.ann, &bytes, "team");
    error_message(st, &v, 403, "forbidden");
    // Another team's manager sees nothing of it.
    let other = relay.team("B");
    assert_eq!(get(&other.manager, &hash, &log(&ann)).0, 404);
    let (st, v) = offer(&other.manager, &bytes, &log(&ann));
    error_message(st, &v, 403, "forbidden");
}

fn a_leader_reads_blobs_and_uploads_none(backend: Backend) {
    let relay = Relay::start(backend);
    let org = relay.rt.block_on(kept_relay::admin::create_org(relay.storage.as_ref(), "Acme", "Dana")).unwrap();
    let (st, j) = relay.client(None).post("/v1/join", &json!({"invite": org.invite, "device_name": "laptop"}));
    assert_eq!(st, 200, "{j}");
    let dana = relay.client(j["token"].as_str());
    let team = relay.team_in_org("East", Some(&org.org_id));
    let (st, east) = dana.post(&format!("/v1/org/teams/{}/device", team.team_id), &json!({"device_name": "laptop"}));
    assert_eq!(st, 200, "{east}");
    let leader = Member { client: relay.client(east["token"].as_str()), join: serde_json::from_value(east).unwrap() };
    let doc = log(team.ann.id());
    let bytes = noise(2000, 5);
    assert!(upload(&team.ann, &bytes, &doc, 2000).complete);
    assert!(get(&leader, &hash_of(&bytes), &doc) == (200, bytes.clone()));
    for d in [doc.as_str(), "team"] {
        let (st, v) = offer(&leader, &noise(10, 6), d);
        let msg = error_message(st, &v, 403, "forbidden");
        assert!(msg.contains("leader"), "{msg}");
    }
    let (st, v) = put(&leader, &hash_of(&bytes), &doc, 2000, b"");
    error_message(st, &v, 403, "forbidden");
}

fn bytes_that_do_not_match_the_hash_are_discarded(backend: Backend) {
    let relay = Relay::start(backend);
    let team = relay.team("A");
    let doc = log(team.ann.id());
    let (good, bad) = (noise(5000, 7), noise(5000, 8));
    let hash = hash_of(&good);
    status_of(offer(&team.ann, &good, &doc));
    status_of(put(&team.ann, &hash, &doc, 0, &bad[..3000]));
    let (st, v) = put(&team.ann, &hash, &doc, 3000, &bad[3000..]);
    let msg = error_message(st, &v, 400, "bad_request");
    assert!(msg.contains("discarded") && msg.contains(&hash_of(&bad)), "{msg}");
    assert_eq!(get(&team.manager, &hash, &doc).0, 404);
    // The offer is forgotten: offering again starts from nothing, and the right bytes complete it.
    let (st, v) = put(&team.ann, &hash, &doc, 0, &good);
    error_message(st, &v, 404, "not_found");
    let s = status_of(offer(&team.ann, &good, &doc));
    assert_eq!((s.received, s.complete), (0, false));
    assert!(status_of(put(&team.ann, &hash, &doc, 0, &good)).complete);
    assert!(get(&team.manager, &hash, &doc) == (200, good));
}

fn oversized_blobs_and_chunks_are_413(backend: Backend) {
    let relay = Relay::start(backend);
    let team = relay.team("A");
    let doc = log(team.ann.id());
    let hash = hash_of(b"big");
    let (st, v) = offer_as(&team.ann, &hash, MAX_BLOB_BYTES + 1, &doc, "audio/wav");
    let msg = error_message(st, &v, 413, "too_large");
    assert!(msg.contains(&MAX_BLOB_BYTES.to_string()), "{msg}");
    // A 6 MiB blob: a chunk over 4 MiB is refused, whether its length is declared or not.
    let bytes = noise(6 * 1024 * 1024, 9);
    let hash = hash_of(&bytes);
    status_of(offer(&team.ann, &bytes, &doc));
    let (st, v) = put(&team.ann, &hash, &doc, 0, &bytes[..MAX_BLOB_CHUNK + 1]);
    error_message(st, &v, 413, "too_large");
    let path = format!("/v1/blobs/{hash}?doc={doc}&offset=0");
    let answer = raw(
        &relay,
        token(&team.ann),
        &path,
        "Transfer-Encoding: chunked\r\n",
        &chunked(&bytes[..MAX_BLOB_CHUNK + 10]),
        false,
    );
    assert!(answer.starts_with("HTTP/1.1 413"), "{}", answer.lines().next().unwrap_or(""));
    assert_eq!(status_of(offer(&team.ann, &bytes, &doc)).received, 0, "nothing of a refused chunk is kept");
    // 4 MiB exactly is a chunk.
    assert_eq!(status_of(put(&team.ann, &hash, &doc, 0, &bytes[..MAX_BLOB_CHUNK])).received, MAX_BLOB_CHUNK as u64);
    // An operator's lower limit.
    let small = Relay::start_with_blob_limits(backend, BlobLimits { max_bytes: 1000, ..BlobLimits::default() });
    let t = small.team("S");
    let (st, v) = offer(&t.ann, &noise(1001, 10), &log(t.ann.id()));
    error_message(st, &v, 413, "too_large");
    status_of(offer(&t.ann, &noise(1000, 10), &log(t.ann.id())));
}

fn bytes_past_the_end_are_400_and_change_nothing(backend: Backend) {
    let relay = Relay::start(backend);
    let team = relay.team("A");
    let doc = log(team.ann.id());
    let bytes = noise(1000, 11);
    let hash = hash_of(&bytes);
    status_of(offer(&team.ann, &bytes, &doc));
    let (st, v) = put(&team.ann, &hash, &doc, 0, &noise(1200, 11));
    error_message(st, &v, 400, "bad_request");
    status_of(put(&team.ann, &hash, &doc, 0, &bytes[..600]));
    let path = format!("/v1/blobs/{hash}?doc={doc}&offset=600");
    let answer =
        raw(&relay, token(&team.ann), &path, "Transfer-Encoding: chunked\r\n", &chunked(&noise(500, 12)), false);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert_eq!(status_of(offer(&team.ann, &bytes, &doc)).received, 600);
    assert!(status_of(put(&team.ann, &hash, &doc, 600, &bytes[600..])).complete);
}

fn a_blob_past_the_teams_quota_is_507(backend: Backend) {
    let relay = Relay::start_with_blob_limits(backend, BlobLimits { quota: 10_000, ..BlobLimits::default() });
    let team = relay.team("A");
    let (ann, bob) = (team.ann.id().to_string(), team.bob.id().to_string());
    let first = noise(6000, 13);
    assert!(upload(&team.ann, &first, &log(&ann), 6000).complete);
    let (st, v) = offer(&team.bob, &noise(4001, 14), &log(&bob));
    let msg = error_message(st, &v, 507, "quota_exceeded");
    assert!(msg.contains("10000 bytes") && msg.contains("6000 bytes"), "{msg}");
    // What is registered already is found, not counted again; what fits still fits.
    status_of(offer(&team.ann, &first, &log(&ann)));
    status_of(offer(&team.bob, &noise(4000, 14), &log(&bob)));
    let (st, v) = offer(&team.bob, &noise(1, 15), &log(&bob));
    error_message(st, &v, 507, "quota_exceeded");
    // Another team has its own quota.
    let other = relay.team("B");
    status_of(offer(&other.ann, &noise(9000, 16), &log(other.ann.id())));
}

fn a_chunk_at_another_offset_is_409(backend: Backend) {
    let relay = Relay::start(backend);
    let team = relay.team("A");
    let doc = log(team.ann.id());
    let bytes = noise(3000, 17);
    let hash = hash_of(&bytes);
    status_of(offer(&team.ann, &bytes, &doc));
    let (st, v) = put(&team.ann, &hash, &doc, 1000, &bytes[1000..2000]);
    let msg = error_message(st, &v, 409, "conflict");
    assert!(msg.contains("holds 0 bytes"), "{msg}");
    status_of(put(&team.ann, &hash, &doc, 0, &bytes[..1000]));
    for wrong in [0, 999, 1001, 3000] {
        let (st, v) = put(&team.ann, &hash, &doc, wrong, &bytes[..10]);
        let msg = error_message(st, &v, 409, "conflict");
        assert!(msg.contains("offset 1000"), "{msg}");
    }
    assert_eq!(status_of(offer(&team.ann, &bytes, &doc)).received, 1000);
    // The same hash with another size.
    let (st, v) = offer_as(&team.ann, &hash, 3001, &doc, "audio/webm");
    error_message(st, &v, 409, "conflict");
}

fn bad_hashes_media_types_and_queries_are_400(backend: Backend) {
    let relay = Relay::start(backend);
    let team = relay.team("A");
    let doc = log(team.ann.id());
    let hash = hash_of(b"x");
    let bad_offers = [
        json!({"hash": hash.to_uppercase(), "size": 1, "doc": doc, "mime": "audio/webm"}),
        json!({"hash": "../../etc/passwd", "size": 1, "doc": doc, "mime": "audio/webm"}),
        json!({"hash": hash, "size": 1, "doc": doc, "mime": "text/html"}),
        json!({"hash": hash, "size": 1, "doc": doc, "mime": "audio/<script>"}),
        json!({"hash": hash, "size": 0, "doc": doc, "mime": "audio/webm"}),
        json!({"hash": hash, "size": -1, "doc": doc, "mime": "audio/webm"}),
        json!({"hash": hash, "size": 1, "doc": "log/../x", "mime": "audio/webm"}),
        json!({"hash": hash, "size": 1, "doc": doc, "mime": "audio/webm", "extra": 1}),
        json!({"hash": hash, "size": 1, "doc": doc}),
    ];
    for body in bad_offers {
        let (st, v) = team.ann.client.post("/v1/blobs", &body);
        error_message(st, &v, 400, "bad_request");
    }
    let (st, v) = team.ann.client.post_raw("/v1/blobs", b"{not json");
    error_message(st, &v, 400, "bad_request");
    status_of(offer(&team.ann, b"x", &doc));
    for path in [
        format!("/v1/blobs/{}?doc={doc}&offset=0", hash.to_uppercase()),
        format!("/v1/blobs/..%2F..%2Fetc%2Fpasswd?doc={doc}&offset=0"),
        format!("/v1/blobs/{hash}?doc={doc}"),
        format!("/v1/blobs/{hash}?doc={doc}&offset=-1"),
        format!("/v1/blobs/{hash}?offset=0"),
        format!("/v1/blobs/{hash}?doc=nonsense&offset=0"),
    ] {
        let (st, v) = team.ann.client.put_bytes(&path, b"x");
        error_message(st, &v, 400, "bad_request");
    }
    for path in
        [format!("/v1/blobs/{}?doc={doc}", &hash[1..]), format!("/v1/blobs/{hash}"), format!("/v1/blobs/{hash}?doc=x")]
    {
        let (st, _, body) = team.ann.client.get_bytes(&path, &[]);
        assert_eq!(st, 400, "{path}: {}", String::from_utf8_lossy(&body));
    }
    // No token, no blob.
    let (st, v) =
        relay.client(None).post("/v1/blobs", &json!({"hash": hash, "size": 1, "doc": doc, "mime": "audio/webm"}));
    error_message(st, &v, 401, "unauthorized");
    assert_eq!(status_of(offer(&team.ann, b"x", &doc)).received, 0, "nothing changed");
}

fn a_range_resumes_a_download(backend: Backend) {
    let relay = Relay::start(backend);
    let team = relay.team("A");
    let doc = log(team.ann.id());
    let bytes = noise(700_000, 18);
    let hash = hash_of(&bytes);
    status_of(offer(&team.ann, &bytes, &doc));
    status_of(put(&team.ann, &hash, &doc, 0, &bytes[..1000]));
    assert_eq!(get(&team.ann, &hash, &doc).0, 404, "not complete yet");
    assert_eq!(get(&team.ann, &hash_of(b"unknown"), &doc).0, 404);
    status_of(put(&team.ann, &hash, &doc, 1000, &bytes[1000..]));
    let path = format!("/v1/blobs/{hash}?doc={doc}");
    let (st, headers, body) = team.manager.client.get_bytes(&path, &[("Range", "bytes=300000-")]);
    assert_eq!(st, 206);
    assert_eq!(headers["content-range"], "bytes 300000-699999/700000");
    assert!(body == bytes[300_000..], "the ranged download differs");
    let (st, headers, body) = team.manager.client.get_bytes(&path, &[("Range", "bytes=700000-")]);
    assert_eq!(st, 416, "{}", String::from_utf8_lossy(&body));
    assert_eq!(headers["content-range"], "bytes */700000");
    // A form of Range the relay does not serve: the whole blob, as HTTP allows.
    let (st, _, body) = team.manager.client.get_bytes(&path, &[("Range", "bytes=0-99")]);
    assert!(st == 200 && body == bytes);
}

fn two_devices_uploading_one_blob_at_once_end_with_it_whole(backend: Backend) {
    let relay = Relay::start(backend);
    let team = relay.team("A");
    let doc = log(team.ann.id());
    let laptop = relay.join_own_device(&team.ann);
    let bytes = noise(3 * 1024 * 1024, 19);
    std::thread::scope(|s| {
        for m in [&team.ann, &laptop] {
            let (bytes, doc) = (&bytes, &doc);
            s.spawn(move || {
                let hash = hash_of(bytes);
                let deadline = Instant::now() + Duration::from_secs(60);
                loop {
                    assert!(Instant::now() < deadline, "no progress");
                    let s = status_of(offer(m, bytes, doc));
                    if s.complete {
                        return;
                    }
                    let at = s.received as usize;
                    let path = format!("/v1/blobs/{hash}?doc={doc}&offset={at}");
                    // The relay may refuse a chunk the other device sent first
                    // before reading it, and close: offer again, as a device would.
                    let Some((st, v)) = m.client.try_put_bytes(&path, &bytes[at..(at + 256 * 1024).min(bytes.len())])
                    else {
                        continue;
                    };
                    assert!(st == 200 || st == 409, "{st} {v}");
                }
            });
        }
    });
    assert!(get(&team.manager, &hash_of(&bytes), &doc) == (200, bytes));
}

fn many_concurrent_uploads_all_complete(backend: Backend) {
    let relay = Relay::start(backend);
    let team = relay.team("A");
    let doc = log(team.ann.id());
    let blobs: Vec<Vec<u8>> = (0..20).map(|i| noise(2 * 1024 * 1024, 100 + i)).collect();
    std::thread::scope(|s| {
        for bytes in &blobs {
            let (ann, doc) = (&team.ann, &doc);
            s.spawn(move || assert!(upload(ann, bytes, doc, 2 * 1024 * 1024).complete));
        }
    });
    for bytes in &blobs {
        assert!(get(&team.manager, &hash_of(bytes), &doc) == (200, bytes.clone()));
    }
}

fn check_names_complete_blobs_whose_bytes_are_gone_or_changed(backend: Backend) {
    let relay = Relay::start(backend);
    let team = relay.team("A");
    let ann = team.ann.id().to_string();
    let (a, b) = (noise(300_000, 20), noise(1000, 21));
    assert!(upload(&team.ann, &a, &log(&ann), CLIENT_CHUNK).complete);
    assert!(upload(&team.ann, &b, &log(&ann), CLIENT_CHUNK).complete);
    status_of(offer(&team.ann, &noise(10, 22), &log(&ann))); // incomplete: nothing to check
    let db = match backend {
        Backend::Sqlite => relay.db.display().to_string(),
        Backend::Postgres => relay.pg.as_ref().unwrap().url.clone(),
    };
    let check = || relay.rt.block_on(kept_relay::check::run(&db, "db", false)).unwrap();
    let report = check();
    assert!(report.healthy() && report.blobs == 2, "{}", report.text());
    // One blob's bytes replaced by others of the same length, the other's gone.
    let store = relay.storage.blob_bytes();
    let key = |bytes: &[u8]| BlobKey::new(&team.team_id, &ann, &hash_of(bytes)).unwrap();
    relay.rt.block_on(async {
        store.discard(&key(&a)).await.unwrap();
        let other = axum::body::Bytes::from(noise(a.len(), 23));
        let mut body: ByteStream = Box::pin(futures_util::stream::iter([Ok(other)]));
        store.append(&key(&a), 0, a.len() as u64, &mut body).await.unwrap();
        store.discard(&key(&b)).await.unwrap();
    });
    let report = check();
    assert!(!report.healthy(), "{}", report.text());
    let blobs: Vec<&str> = report.problems.iter().filter(|p| p.what == "blob").map(|p| p.message.as_str()).collect();
    assert_eq!(blobs.len(), 2, "{}", report.text());
    assert!(blobs.iter().any(|m| m.contains(&hash_of(&a)) && m.contains("no longer match")), "{blobs:?}");
    assert!(blobs.iter().any(|m| m.contains(&hash_of(&b)) && m.contains("holds 0 of its 1000 bytes")), "{blobs:?}");
}

fn a_blob_directory_named_by_the_operator_holds_the_bytes(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("blobs");
    let store = std::sync::Arc::new(DirBlobs::new(&root));
    let relay = Relay::start_configured(backend, move |state| state.with_blobs(store));
    let team = relay.team("A");
    let ann = team.ann.id().to_string();
    let bytes = noise(400_000, 24);
    assert!(upload(&team.ann, &bytes, &log(&ann), 150_000).complete);
    assert!(get(&team.manager, &hash_of(&bytes), &log(&ann)) == (200, bytes.clone()));
    let file = root.join(&team.team_id).join(&ann).join(hash_of(&bytes));
    assert!(std::fs::read(&file).unwrap() == bytes, "{}", file.display());
    let db = match backend {
        Backend::Sqlite => relay.db.display().to_string(),
        Backend::Postgres => relay.pg.as_ref().unwrap().url.clone(),
    };
    let check = |dir: Option<&std::path::Path>| {
        relay.rt.block_on(kept_relay::check::run_with_blobs(&db, "db", false, dir)).unwrap()
    };
    assert!(check(Some(&root)).healthy());
    // Checked without the directory, the blob's bytes are not where the database keeps them by default.
    assert!(!check(None).healthy());
}

on_both_backends!(
    a_blob_directory_named_by_the_operator_holds_the_bytes,
    check_names_complete_blobs_whose_bytes_are_gone_or_changed,
    uploaded_in_chunks_downloads_the_same_bytes,
    an_upload_cut_off_midway_resumes_from_what_arrived,
    a_rep_never_reaches_another_reps_blob,
    a_leader_reads_blobs_and_uploads_none,
    bytes_that_do_not_match_the_hash_are_discarded,
    oversized_blobs_and_chunks_are_413,
    bytes_past_the_end_are_400_and_change_nothing,
    a_blob_past_the_teams_quota_is_507,
    a_chunk_at_another_offset_is_409,
    bad_hashes_media_types_and_queries_are_400,
    a_range_resumes_a_download,
    two_devices_uploading_one_blob_at_once_end_with_it_whole,
    many_concurrent_uploads_all_complete,
);
