//! Recordings (#18): a practice answer uploaded over a throttled loopback
//! link whose connection is cut halfway, then resumed (time to finish) beside
//! a plain upload of the same bytes over the same link; and the relay's peak
//! RSS while many reps upload at once beside its RSS before (bodies stream to
//! disk, so it must not grow with the bytes in flight).

#[path = "../proxy.rs"]
mod proxy;

use crate::relay::{self, RelayProc};
use kept_core::blob::{hash_of, BlobOffer};
use kept_core::docs::DocId;
use kept_core::sync::blobs::upload;
use kept_core::sync::client::RelayClient;
use proxy::{Mode, Proxy};
use std::time::{Duration, Instant};

/// Bytes that do not compress and differ per rep.
fn answer(bytes: usize, seed: u32) -> Vec<u8> {
    (0..bytes as u32).map(|i| (i.wrapping_add(seed).wrapping_mul(2_654_435_761) >> 13) as u8).collect()
}

pub struct Resume {
    pub mb: f64,
    pub link_mb_s: f64,
    pub plain_s: f64,
    pub resumed_s: f64,
    pub received_at_cut: f64,
}

pub struct Crowd {
    pub reps: usize,
    pub mb_each: f64,
    pub before_mb: f64,
    pub peak_mb: f64,
    pub secs: f64,
}

/// One rep uploads `bytes` over a link of `bps` bytes/s: once plainly, once
/// with the connection cut at half the expected time and resumed.
pub fn resume(bytes: usize, bps: usize) -> Resume {
    let dir = tempfile::tempdir().expect("tmp");
    let relay = RelayProc::start(dir.path().join("relay.sqlite3").to_str().expect("utf-8"));
    let team = relay::team(&relay, 2);
    let upstream = relay.url.trim_start_matches("http://").parse().expect("addr");
    let proxy = Proxy::start(upstream);
    proxy.set(Mode::Throttle(bps));
    let mut times = Vec::new();
    let mut received_at_cut = 0.0;
    for (i, (member, direct)) in team.reps.iter().enumerate() {
        let token = direct.clone();
        let client = RelayClient::new(&proxy.url(), token_of(&token));
        let bytes = answer(bytes, i as u32);
        let path = dir.path().join(format!("answer-{i}.webm"));
        std::fs::write(&path, &bytes).expect("write");
        let offer = BlobOffer {
            hash: hash_of(&bytes),
            size: bytes.len() as u64,
            doc: DocId::coaching(member).to_string(),
            mime: "audio/webm".into(),
        };
        let t0 = Instant::now();
        if i == 1 {
            // Cut every connection halfway through; the next attempt resumes.
            let expected = Duration::from_secs_f64(bytes.len() as f64 / bps as f64);
            let cutter = std::thread::scope(|sc| {
                let h = sc.spawn(|| {
                    std::thread::sleep(expected / 2);
                    proxy.cut_all();
                });
                let first = upload(&client, &offer, &path);
                let _ = h.join();
                first
            });
            assert!(cutter.is_err(), "the cut should have interrupted the upload");
            received_at_cut = direct.offer_blob(&offer).map(|s| s.received as f64 / bytes.len() as f64).unwrap_or(0.0);
        }
        upload(&client, &offer, &path).expect("upload");
        times.push(t0.elapsed().as_secs_f64());
        assert!(direct.offer_blob(&offer).expect("status").complete);
    }
    Resume {
        mb: bytes as f64 / 1e6,
        link_mb_s: bps as f64 / 1e6,
        plain_s: times[0],
        resumed_s: times[1],
        received_at_cut,
    }
}

fn token_of(c: &RelayClient) -> Option<String> {
    c.token().map(str::to_string)
}

/// `reps` reps upload `bytes` each at the same moment.
pub fn crowd(reps: usize, bytes: usize) -> Crowd {
    let dir = tempfile::tempdir().expect("tmp");
    let relay = RelayProc::start(dir.path().join("relay.sqlite3").to_str().expect("utf-8"));
    let team = relay::team(&relay, reps);
    std::thread::sleep(Duration::from_millis(300));
    let before_mb = crate::procfs::status_mb(relay.pid(), "VmRSS:");
    let t0 = Instant::now();
    std::thread::scope(|sc| {
        for (i, (member, client)) in team.reps.iter().enumerate() {
            let path = dir.path().join(format!("crowd-{i}.webm"));
            sc.spawn(move || {
                let bytes = answer(bytes, 1000 + i as u32);
                std::fs::write(&path, &bytes).expect("write");
                let offer = BlobOffer {
                    hash: hash_of(&bytes),
                    size: bytes.len() as u64,
                    doc: DocId::coaching(member).to_string(),
                    mime: "audio/webm".into(),
                };
                drop(bytes);
                upload(client, &offer, &path).expect("upload");
            });
        }
    });
    let secs = t0.elapsed().as_secs_f64();
    Crowd {
        reps,
        mb_each: bytes as f64 / 1e6,
        before_mb,
        peak_mb: crate::procfs::status_mb(relay.pid(), "VmHWM:"),
        secs,
    }
}
