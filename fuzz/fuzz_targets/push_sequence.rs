//! A stateful attack on one team: the input is a sequence of steps in which
//! Maria's and Ann's honest devices edit and push their documents while Ann's
//! device also pushes hostile changes (raw bytes, another member's actor,
//! sequence gaps, missing dependencies, canonical actors with other content).
//! Invariants: the relay never answers 5xx; an honest device's push of its own
//! next change is always accepted, whatever was pushed before; and at the end
//! every stored document applies cleanly for a new device and every reader
//! (Maria, Ann, Bob) pulls every page.
#![no_main]

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ROOT};
use kept_core::docs::DocId;
use kept_fuzz::{applies_cleanly, push_body, tolerate_automerge_panics, Relay, ANN, ANN_TOKEN, MARIA_TOKEN};
use libfuzzer_sys::fuzz_target;

const BOB_TOKEN: &str = "fuzz-token-bob";

/// One honest device's copy of one document and the changes it has not pushed yet.
struct Honest {
    doc: AutoCommit,
    outbox: Vec<Vec<u8>>,
}

fn docs() -> Vec<DocId> {
    let week = "2026-W48".parse().unwrap_or_else(|_| unreachable!());
    vec![DocId::plan(ANN), DocId::log(ANN, week), DocId::coaching(ANN), DocId::review(ANN)]
}

fn honest(id: &DocId, actor: u8) -> Honest {
    let mut doc = kept_protocol::genesis::genesis(id).unwrap_or_else(|e| panic!("genesis: {e}"));
    let genesis = doc.get_last_local_change().map(|c| c.raw_bytes().to_vec()).unwrap_or_default();
    doc.set_actor(ActorId::from([actor; 16].as_slice()));
    Honest { doc, outbox: vec![genesis] }
}

fn one(doc: &DocId, bytes: &[u8]) -> Vec<u8> {
    push_body(&[(doc.as_str().to_string(), bytes.to_vec())])
}

/// Automerge's parser and apply can panic on hostile bytes; the relay catches those
/// (kept_protocol::change::from_bytes, the gate): only a panic nobody catches fails the run.
static TOLERATE: std::sync::Once = std::sync::Once::new();

fuzz_target!(|data: &[u8]| {
    TOLERATE.call_once(tolerate_automerge_panics);
    let relay = Relay::new();
    let ids = docs();
    // Maria writes every document; Ann all but the review.
    let mut maria: Vec<Honest> = ids.iter().map(|d| honest(d, 0xa0)).collect();
    let mut ann: Vec<Honest> = ids.iter().map(|d| honest(d, 0x0a)).collect();
    // A device's actor is random and unseen until its first push (which binds
    // it): squatting is only possible once Maria has pushed.
    let mut maria_pushed = false;
    for (step, chunk) in data.chunks(6).enumerate().take(40) {
        let d = chunk.get(1).copied().unwrap_or(0) as usize % ids.len();
        let id = &ids[d];
        let arg = chunk.get(2).copied().unwrap_or(0);
        match chunk[0] % 7 {
            // An honest edit, pushed with whatever the device has not pushed yet.
            k @ (0 | 1) => {
                let (dev, token) = if k == 0 { (&mut maria[d], MARIA_TOKEN) } else { (&mut ann[d], ANN_TOKEN) };
                if k == 1 && id.kind() == kept_core::docs::DocKind::Review {
                    continue;
                }
                let _ = dev.doc.put(ROOT, format!("k{step}"), i64::from(arg));
                dev.doc.commit();
                if let Some(c) = dev.doc.get_last_local_change() {
                    dev.outbox.push(c.raw_bytes().to_vec());
                }
                let body = push_body(&dev.outbox.iter().map(|b| (id.as_str().to_string(), b.clone())).collect::<Vec<_>>());
                let (st, resp) = relay.push(token, body);
                assert_eq!(st.as_u16(), 200, "an honest push was refused: {}", String::from_utf8_lossy(&resp));
                dev.outbox.clear();
                maria_pushed |= k == 0;
            }
            // Raw bytes as a change.
            2 => {
                let (st, _) = relay.push(ANN_TOKEN, one(id, chunk.get(2..).unwrap_or(&[])));
                assert!(st.as_u16() < 500, "{st}");
            }
            // Squatting Maria's actor (and so her next sequence numbers).
            3 if maria_pushed => {
                let mut d2 = AutoCommit::new().with_actor(ActorId::from([0xa0; 16].as_slice()));
                for i in 0..=(arg % 3) {
                    let _ = d2.put(ROOT, "squat", i64::from(i));
                    d2.commit();
                }
                let bytes = d2.get_last_local_change().map(|c| c.raw_bytes().to_vec()).unwrap_or_default();
                let (st, _) = relay.push(ANN_TOKEN, one(id, &bytes));
                assert!(st.as_u16() < 500, "{st}");
            }
            // A new actor starting past 1 (a gap) or depending on nothing the relay has.
            4 => {
                let mut d2 = AutoCommit::new().with_actor(ActorId::from([arg | 1, 0x55, 7, 7].as_slice()));
                for i in 0..=(arg % 4) {
                    let _ = d2.put(ROOT, "gap", i64::from(i));
                    d2.commit();
                }
                let bytes = d2.get_last_local_change().map(|c| c.raw_bytes().to_vec()).unwrap_or_default();
                let (st, _) = relay.push(ANN_TOKEN, one(id, &bytes));
                assert!(st.as_u16() < 500, "{st}");
            }
            // The genesis actor with other content.
            5 => {
                let mut d2 = AutoCommit::new().with_actor(kept_protocol::genesis::genesis_actor(id));
                let _ = d2.put(ROOT, "kind", i64::from(arg));
                d2.commit();
                let bytes = d2.get_last_local_change().map(|c| c.raw_bytes().to_vec()).unwrap_or_default();
                let (st, _) = relay.push(ANN_TOKEN, one(id, &bytes));
                assert!(st.as_u16() < 500, "{st}");
            }
            // A byte flipped in one of Ann's honest changes.
            6 => {
                let mut bytes = ann[d].doc.get_last_local_change().map(|c| c.raw_bytes().to_vec()).unwrap_or_default();
                if !bytes.is_empty() {
                    let at = arg as usize % bytes.len();
                    bytes[at] ^= chunk.get(3).copied().unwrap_or(1) | 1;
                }
                let (st, _) = relay.push(ANN_TOKEN, one(id, &bytes));
                assert!(st.as_u16() < 500, "{st}");
            }
            _ => {}
        }
    }
    for id in &ids {
        let bytes: Vec<Vec<u8>> = relay.stored_changes(id.as_str()).into_iter().map(|(_, b)| b).collect();
        if let Err(e) = applies_cleanly(&bytes) {
            panic!("the relay holds changes to '{id}' that a new device cannot apply: {e}");
        }
    }
    for token in [MARIA_TOKEN, ANN_TOKEN, BOB_TOKEN] {
        let mut cursor = 0i64;
        loop {
            let Some((st, body)) = relay.pull(token, &format!("cursor={cursor}")) else { break };
            assert_eq!(st.as_u16(), 200, "{}", String::from_utf8_lossy(&body));
            let page: kept_core::protocol::PullResponse = serde_json::from_slice(&body).unwrap_or_else(|e| panic!("{e}"));
            assert!(page.next >= cursor);
            cursor = page.next;
            if !page.more {
                break;
            }
        }
    }
});
