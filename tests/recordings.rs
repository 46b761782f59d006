//! Practice challenges through a real relay with real homes: the manager
//! sets a challenge, an offline rep answers with a recording and syncs
//! later, the manager's device downloads and plays the same bytes, scores
//! and comments, and the rep sees the feedback. Upload and download cut off
//! midway (a fault-injecting proxy) resume where they stopped. Another rep
//! can never fetch the recording.

mod proxy;

use kept_core::demo::tone_wav;
use kept_core::docs::DocId;
use kept_core::service::ChallengeState;
use kept_core::sync::client::RelayClient;
use kept_core::{CoreError, IdSource, Kept, SystemClock};
use kept_tests::{kept, kept_json, kept_ok, Relay};
use proxy::{Mode, Proxy};
use std::path::Path;
use std::sync::Arc;

fn open(home: &Path) -> Kept {
    Kept::open(home, Arc::new(SystemClock), IdSource::random()).expect("open")
}

/// A team on a relay: manager Mia and reps Anna and Ben, all synced.
fn team(dir: &Path, relay_url: &str, relay: &Relay) -> [std::path::PathBuf; 3] {
    let created = relay.admin(&["team", "create", "--name", "Acme", "--manager", "Mia"]);
    let mia = dir.join("mia");
    kept_ok(&mia, &["join", relay_url, created["invite"].as_str().expect("invite"), "--device", "laptop"]);
    let mut homes = vec![mia.clone()];
    for name in ["Anna", "Ben"] {
        let code = kept_json(&mia, &["invite", "--role", "rep", "--name", name]);
        let home = dir.join(name.to_lowercase());
        kept_ok(&home, &["join", relay_url, code["code"].as_str().expect("code"), "--device", "phone"]);
        homes.push(home);
    }
    kept_ok(&mia, &["sync"]);
    [homes[0].clone(), homes[1].clone(), homes[2].clone()]
}

#[test]
fn an_offline_rep_answers_a_challenge_and_the_manager_plays_scores_and_comments() {
    let dir = tempfile::tempdir().expect("tmp");
    let relay = Relay::start(&dir.path().join("relay.sqlite3"), "127.0.0.1:0");
    let [mia, anna, ben] = team(dir.path(), &relay.url, &relay);
    let set = kept_json(
        &mia,
        &[
            "challenge",
            "set",
            "Open a call with a positioning statement",
            "--map",
            "discovery-call",
            "--due",
            "2030-01-10",
        ],
    );
    assert_eq!(set.as_array().map(Vec::len), Some(2), "one per rep: {set}");
    kept_ok(&mia, &["sync"]);
    kept_ok(&anna, &["sync"]);
    let mine = kept_json(&anna, &["challenge", "list"]);
    assert_eq!(mine.as_array().map(Vec::len), Some(1), "{mine}");
    let id = mine[0]["challenge"]["id"].as_str().expect("id").to_string();

    // Offline: the recording is answered and kept on the phone, the sync fails.
    let file = dir.path().join("answer.wav");
    let recording = tone_wav(3000);
    std::fs::write(&file, &recording).expect("write");
    let mut phone = open(&anna);
    phone.store_mut().set_meta("relay_url", "http://127.0.0.1:9").expect("offline");
    drop(phone);
    kept_ok(&anna, &["challenge", "answer", &id[..8], file.to_str().expect("path"), "--seconds", "3"]);
    assert!(!kept(&anna, &["sync"]).status.success(), "no network");
    let status = kept_json(&anna, &["status"]);
    assert_eq!(status["recordings_waiting"], 1, "{status}");
    let mut phone = open(&anna);
    phone.store_mut().set_meta("relay_url", &relay.url).expect("online");
    drop(phone);
    let synced = kept_json(&anna, &["sync"]);
    assert_eq!(synced["recordings"], 1, "{synced}");
    assert_eq!(kept_json(&anna, &["status"])["recordings_waiting"], 0);

    // The manager's device downloads it ahead of time (the app does after each sync), so it
    // plays at once: the very same bytes.
    kept_ok(&mia, &["sync"]);
    let listed = kept_json(&mia, &["challenge", "list", "--rep", "Anna"]);
    assert_eq!(listed[0]["here"], false, "{listed}");
    assert!(kept_ok(&mia, &["challenge", "prefetch"]).contains("1 recordings downloaded"));
    assert_eq!(kept_json(&mia, &["challenge", "list", "--rep", "Anna"])[0]["here"], true);
    let out = dir.path().join("played.wav");
    kept_ok(&mia, &["challenge", "play", &id[..8], "--rep", "Anna", "--out", out.to_str().expect("path")]);
    assert_eq!(std::fs::read(&out).expect("played"), recording);

    // Ben's token cannot fetch Anna's recording, by her document or his own.
    let hash = kept_core::blob::hash_of(&recording);
    let ben_client = open(&ben).relay().expect("client");
    let anna_member = open(&anna).me().id.clone();
    let ben_member = open(&ben).me().id.clone();
    let mut sink = Vec::new();
    let err = ben_client
        .get_blob(&hash, &DocId::coaching(&anna_member).to_string(), 0, recording.len() as u64, &mut sink)
        .expect_err("forbidden");
    assert!(matches!(err, CoreError::Relay { status: 403, .. }), "{err}");
    let err = ben_client
        .get_blob(&hash, &DocId::coaching(&ben_member).to_string(), 0, recording.len() as u64, &mut sink)
        .expect_err("not his");
    assert!(matches!(err, CoreError::Relay { status: 404, .. }), "{err}");
    assert!(sink.is_empty());

    // Scores and a comment at a moment; the rep sees them after her sync.
    kept_ok(&mia, &["challenge", "score", &id[..8], "--rep", "Anna", "pain=fair", "rapport=good"]);
    kept_ok(
        &mia,
        &["challenge", "comment", &id[..8], "--rep", "Anna", "--at", "0:02", "Name the customer's problem first"],
    );
    kept_ok(&mia, &["sync"]);
    kept_ok(&anna, &["sync"]);
    let seen = kept_json(&anna, &["challenge", "list"]);
    assert_eq!(seen[0]["state"], "reviewed", "{seen}");
    assert_eq!(seen[0]["scores"]["pain"], 2);
    assert_eq!(seen[0]["comments"][0]["comment"]["at_ms"], 2000);
    assert_eq!(seen[0]["comments"][0]["by_name"], "Mia");
    assert_eq!(open(&anna).challenge(None, &id).expect("view").state, ChallengeState::Reviewed);
}

#[test]
fn an_upload_and_a_download_cut_off_midway_resume_where_they_stopped() {
    let dir = tempfile::tempdir().expect("tmp");
    let relay = Relay::start(&dir.path().join("relay.sqlite3"), "127.0.0.1:0");
    let upstream = format!("127.0.0.1:{}", relay.port()).parse().expect("addr");
    let proxy = Proxy::start(upstream);
    let [mia, anna, _ben] = team(dir.path(), &proxy.url(), &relay);
    kept_ok(&mia, &["challenge", "set", "Describe product X", "--map", "demo", "--due", "2030-01-10", "--rep", "Anna"]);
    kept_ok(&mia, &["sync"]);
    kept_ok(&anna, &["sync"]);
    let id = kept_json(&anna, &["challenge", "list"])[0]["challenge"]["id"].as_str().expect("id").to_string();
    // 3.5 MB: four chunks.
    let recording: Vec<u8> = (0..3_500_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let mut phone = open(&anna);
    phone.challenge_answer(&id, &recording, "audio/webm", Some(60_000)).expect("answer");

    // Every connection is cut after 1.5 MB: the push goes through, the upload stops inside a chunk.
    proxy.set(Mode::CutRequests(1_500_000));
    assert!(phone.sync().is_err(), "the upload was cut");
    let client = RelayClient::new(&relay.url, phone.store().meta("token").expect("meta"));
    let doc = DocId::coaching(&phone.me().id).to_string();
    let hash = kept_core::blob::hash_of(&recording);
    let offer = kept_core::blob::BlobOffer {
        hash: hash.clone(),
        size: recording.len() as u64,
        doc: doc.clone(),
        mime: "audio/webm".into(),
    };
    let part = client.offer_blob(&offer).expect("status");
    assert!(!part.complete && part.received > 0 && part.received < recording.len() as u64, "{part:?}");
    // Back to a good link: the next sync sends only what is missing.
    proxy.set(Mode::Pass);
    let report = phone.sync().expect("resumed");
    assert_eq!(report.recordings, 1);
    assert!(client.offer_blob(&offer).expect("status").complete);

    // The manager's download is cut after 2 MB, then resumes from what arrived.
    kept_ok(&mia, &["sync"]);
    let mut laptop = open(&mia);
    proxy.set(Mode::CutResponses(2_000_000));
    let err = laptop.challenge_recording(Some("Anna"), &id).expect_err("cut");
    assert!(err.to_string().contains("stopped at") || matches!(err, CoreError::Network(_)), "{err}");
    let part = laptop.store().blob_part_file(&hash).expect("part");
    let got = std::fs::metadata(&part).map(|m| m.len()).unwrap_or(0);
    assert!(got > 0 && got < recording.len() as u64, "kept {got} bytes to resume from");
    proxy.set(Mode::Pass);
    let (path, mime) = laptop.challenge_recording(Some("Anna"), &id).expect("resumed");
    assert_eq!(mime, "audio/webm");
    assert_eq!(std::fs::read(path).expect("bytes"), recording);
}
