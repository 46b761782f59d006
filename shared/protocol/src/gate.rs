//! Causal admission: whether a change can join a document such that every
//! reader can apply it. Per document, each actor's sequence numbers follow on
//! without a gap (a change reusing a number with other content is refused:
//! no device could apply both); every dependency is already in the document or
//! admitted before it; and Automerge applies it without an error or a panic.
//! The relay runs this on every push; a device may run it on what it pulls.

use automerge::{ActorId, Automerge, Change, ChangeHash, ReadDoc};
use std::collections::{HashMap, HashSet};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Why a change cannot join the document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Another change already holds this actor's sequence number.
    #[error(
        "it reuses sequence number {seq} of actor {actor}, which the document already has with different \
         content (two writers share one actor id); no device could apply both"
    )]
    ReusedSeq {
        /// The actor, hex.
        actor: String,
        /// The number.
        seq: u64,
    },
    /// A gap in the actor's sequence numbers.
    #[error("it has sequence number {seq} of actor {actor}, but the document's next one for that actor is {expected}")]
    SeqGap {
        /// The actor, hex.
        actor: String,
        /// Its number.
        seq: u64,
        /// The next number the document expects.
        expected: u64,
    },
    /// A dependency the relay does not have.
    #[error("it depends on change {0}, which is neither stored nor earlier in this push")]
    MissingDep(String),
    /// Automerge refused it (or panicked on it).
    #[error("Automerge cannot apply it to the document: {0}")]
    DoesNotApply(String),
}

/// A document as the gate sees it: the Automerge document and each actor's last sequence number.
pub struct DocState {
    doc: Automerge,
    seqs: HashMap<ActorId, u64>,
    /// Every change hash in the document (Automerge's own lookup re-encodes the change).
    hashes: HashSet<ChangeHash>,
    bytes: usize,
}

/// Runs `f`, turning a panic into an error message.
fn guarded<T>(f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(p) => {
            let what = p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Err(format!("Automerge panicked: {what}"))
        }
    }
}

impl DocState {
    /// An empty document.
    pub fn new() -> DocState {
        DocState { doc: Automerge::new(), seqs: HashMap::new(), hashes: HashSet::new(), bytes: 0 }
    }

    /// Loads a stored document: an optional `save()` snapshot (or any
    /// concatenation of chunks) and the changes after it. Err says why it
    /// cannot be read (the document is damaged).
    pub fn load(snapshot: Option<&[u8]>, changes: Vec<Vec<u8>>) -> Result<DocState, String> {
        guarded(|| {
            let mut bytes = snapshot.map_or(0, <[u8]>::len);
            let mut doc = match snapshot {
                Some(s) => Automerge::load(s).map_err(|e| e.to_string())?,
                None => Automerge::new(),
            };
            let mut parsed = Vec::with_capacity(changes.len());
            for c in changes {
                bytes += c.len();
                parsed.push(Change::from_bytes(c).map_err(|e| e.to_string())?);
            }
            doc.apply_changes(parsed).map_err(|e| e.to_string())?;
            if let Some(h) = doc.get_missing_deps(&[]).first() {
                return Err(format!("a stored change depends on {h}, which the relay does not have"));
            }
            let mut seqs: HashMap<ActorId, u64> = HashMap::new();
            let mut hashes = HashSet::new();
            for c in doc.get_changes(&[]) {
                let e = seqs.entry(c.actor_id().clone()).or_default();
                *e = (*e).max(c.seq());
                hashes.insert(c.hash());
            }
            Ok(DocState { doc, seqs, hashes, bytes })
        })
    }

    /// The document's `save()` bytes (Err if Automerge panics).
    pub fn save(&self) -> Result<Vec<u8>, String> {
        let doc = &self.doc;
        guarded(|| Ok(doc.save()))
    }

    /// A rough bound of the memory this document holds (Automerge documents
    /// take many times their stored size in memory).
    pub fn estimated_memory(&self) -> usize {
        // Measured (`cargo run --release -p kept-protocol --example docmem`):
        // 50 week logs of 2,000 taps took 2.1x (admitted one by one) to 3.5x (in one batch) their change bytes in RSS.
        4096 + self.bytes.saturating_mul(4)
    }

    /// True when the document already holds change `hash`.
    pub fn has(&self, hash: &ChangeHash) -> bool {
        self.hashes.contains(hash)
    }

    /// The document's heads.
    pub fn heads(&self) -> Vec<ChangeHash> {
        self.doc.get_heads()
    }

    /// Admits a push's changes for this document, in any order in which each
    /// one's dependencies come first. Returns, per input change, whether it
    /// was new. The checks (sequence numbers, dependencies) run first on the
    /// gate's own bookkeeping; then every new change is applied in one
    /// Automerge call (one change at a time costs many times more). Err names
    /// the index of the first change that cannot join, or `None` when
    /// Automerge refused the batch (push the changes one at a time to find
    /// which); after an Err the state must be dropped.
    pub fn admit(&mut self, changes: &[&Change]) -> Result<Vec<bool>, (Option<usize>, Refusal)> {
        let mut fresh = vec![false; changes.len()];
        let mut seqs = self.seqs.clone();
        let mut planned: HashSet<ChangeHash> = HashSet::new();
        let mut order: Vec<usize> = Vec::new();
        let mut pending: Vec<usize> = (0..changes.len()).collect();
        while !pending.is_empty() {
            let mut waiting = Vec::new();
            let mut progressed = false;
            let mut first_reason = None;
            for i in pending {
                let c = changes[i];
                let hash = c.hash();
                if self.hashes.contains(&hash) || planned.contains(&hash) {
                    progressed = true;
                    continue;
                }
                let actor = c.actor_id();
                let last = seqs.get(actor).copied().unwrap_or(0);
                let why = if c.seq() <= last {
                    // Also reported when a twin of it sits earlier in this push.
                    return Err((Some(i), Refusal::ReusedSeq { actor: actor.to_hex_string(), seq: c.seq() }));
                } else if c.seq() != last + 1 {
                    Some(Refusal::SeqGap { actor: actor.to_hex_string(), seq: c.seq(), expected: last + 1 })
                } else {
                    c.deps()
                        .iter()
                        .find(|d| !self.hashes.contains(d) && !planned.contains(d))
                        .map(|d| Refusal::MissingDep(d.to_string()))
                };
                match why {
                    None => {
                        seqs.insert(actor.clone(), c.seq());
                        planned.insert(hash);
                        order.push(i);
                        fresh[i] = true;
                        progressed = true;
                    }
                    Some(r) => {
                        first_reason.get_or_insert((Some(i), r));
                        waiting.push(i);
                    }
                }
            }
            if !progressed {
                if let Some(e) = first_reason {
                    return Err(e);
                }
            }
            pending = waiting;
        }
        if order.is_empty() {
            return Ok(fresh);
        }
        let batch: Vec<Change> = order.iter().map(|&i| changes[i].clone()).collect();
        let doc = &mut self.doc;
        let blame = |why: String| (if order.len() == 1 { Some(order[0]) } else { None }, Refusal::DoesNotApply(why));
        guarded(|| doc.apply_changes(batch).map_err(|e| e.to_string())).map_err(blame)?;
        if let Some(h) = self.doc.get_missing_deps(&[]).first() {
            return Err(blame(format!("Automerge queued a change waiting for {h} instead of applying it")));
        }
        for &i in &order {
            self.bytes += changes[i].raw_bytes().len();
        }
        self.seqs = seqs;
        self.hashes.extend(planned);
        Ok(fresh)
    }
}

impl Default for DocState {
    fn default() -> Self {
        DocState::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;
    use automerge::{AutoCommit, ROOT};

    fn edits(actor: u8, n: usize) -> Vec<Change> {
        let mut d = AutoCommit::new().with_actor(ActorId::from([actor; 16].as_slice()));
        (0..n)
            .map(|i| {
                d.put(ROOT, "k", i as i64).expect("put");
                d.commit();
                d.get_last_local_change().expect("c").clone()
            })
            .collect()
    }

    #[test]
    fn changes_join_in_any_order_their_dependencies_allow() {
        let c = edits(1, 3);
        let mut st = DocState::new();
        assert_eq!(st.admit(&[&c[2], &c[0], &c[1]]), Ok(vec![true, true, true]));
        assert_eq!(st.admit(&[&c[1]]), Ok(vec![false]), "already held");
        let loaded = DocState::load(None, c.iter().map(|c| c.raw_bytes().to_vec()).collect()).expect("load");
        assert_eq!(loaded.heads(), st.heads());
    }

    #[test]
    fn a_gap_a_missing_dependency_and_a_reused_number_are_refused() {
        let c = edits(1, 3);
        let mut st = DocState::new();
        assert!(matches!(st.admit(&[&c[1]]), Err((Some(0), Refusal::SeqGap { seq: 2, expected: 1, .. }))));
        let mut st = DocState::new();
        st.admit(&[&c[0]]).expect("first");
        // The poison change of the gatekeeper issue: a new actor at sequence 2.
        let other = edits(2, 2);
        assert!(matches!(st.admit(&[&other[1]]), Err((Some(0), Refusal::SeqGap { .. }))));
        // A change whose dependency nobody has.
        let mut d = AutoCommit::new().with_actor(ActorId::from([3; 16].as_slice()));
        d.apply_changes(edits(9, 1)).expect("apply");
        d.put(ROOT, "x", 1).expect("put");
        d.commit();
        let orphan = d.get_last_local_change().expect("c").clone();
        assert!(matches!(st.admit(&[&orphan]), Err((Some(0), Refusal::MissingDep(_)))));
        // Another change under actor 1's first number.
        let twin = edits(1, 1);
        let mut rival = AutoCommit::new().with_actor(ActorId::from([1; 16].as_slice()));
        rival.put(ROOT, "other", 1).expect("put");
        rival.commit();
        let rival = rival.get_last_local_change().expect("c").clone();
        assert_ne!(rival.hash(), twin[0].hash());
        assert!(matches!(st.admit(&[&rival]), Err((Some(0), Refusal::ReusedSeq { seq: 1, .. }))));
    }

    #[test]
    fn a_damaged_document_does_not_load() {
        assert!(DocState::load(Some(b"not a document"), vec![]).is_err());
        let c = edits(1, 2);
        assert!(DocState::load(None, vec![c[1].raw_bytes().to_vec()]).is_err(), "missing dependency");
    }
}
