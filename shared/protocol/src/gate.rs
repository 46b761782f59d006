//! Causal admission: whether a change can join a document such that every
//! reader can apply it. Per document, each actor's sequence numbers follow on
//! without a gap (a change reusing a number with other content is refused:
//! no device could apply both); every dependency is already in the document or
//! admitted before it; and Automerge applies it without an error or a panic.
//! The relay runs this on every push; a device may run it on what it pulls.

use automerge::{ActorId, Automerge, Change, ChangeHash, ReadDoc};
use std::collections::HashMap;
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
        DocState { doc: Automerge::new(), seqs: HashMap::new(), bytes: 0 }
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
            for c in doc.get_changes(&[]) {
                let e = seqs.entry(c.actor_id().clone()).or_default();
                *e = (*e).max(c.seq());
            }
            Ok(DocState { doc, seqs, bytes })
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
        4096 + self.bytes.saturating_mul(24)
    }

    /// True when the document already holds change `hash`.
    pub fn has(&self, hash: &ChangeHash) -> bool {
        self.doc.get_change_by_hash(hash).is_some()
    }

    /// The document's heads.
    pub fn heads(&self) -> Vec<ChangeHash> {
        self.doc.get_heads()
    }

    /// Why `change` is not ready to join now, if it is not: Ok(true) already
    /// held, Ok(false) ready, Err the reason it cannot join (yet).
    fn readiness(&self, change: &Change) -> Result<bool, Refusal> {
        if self.has(&change.hash()) {
            return Ok(true);
        }
        let actor = change.actor_id();
        let last = self.seqs.get(actor).copied().unwrap_or(0);
        if change.seq() <= last {
            return Err(Refusal::ReusedSeq { actor: actor.to_hex_string(), seq: change.seq() });
        }
        if change.seq() != last + 1 {
            return Err(Refusal::SeqGap { actor: actor.to_hex_string(), seq: change.seq(), expected: last + 1 });
        }
        if let Some(d) = change.deps().iter().find(|d| !self.has(d)) {
            return Err(Refusal::MissingDep(d.to_string()));
        }
        Ok(false)
    }

    /// Admits one change that is ready. On Err the document may be damaged
    /// in memory: the caller must drop this state.
    fn apply(&mut self, change: &Change) -> Result<(), Refusal> {
        let c = change.clone();
        let doc = &mut self.doc;
        guarded(|| doc.apply_changes([c]).map_err(|e| e.to_string())).map_err(Refusal::DoesNotApply)?;
        if !self.has(&change.hash()) {
            return Err(Refusal::DoesNotApply("Automerge queued it instead of applying it".into()));
        }
        self.seqs.insert(change.actor_id().clone(), change.seq());
        self.bytes += change.raw_bytes().len();
        Ok(())
    }

    /// Admits a push's changes for this document, in any order in which each
    /// one's dependencies come first. Returns, per input change, whether it
    /// was new. Err names the index of the first change that cannot join; the
    /// state must then be dropped (it may hold some of the push).
    pub fn admit(&mut self, changes: &[&Change]) -> Result<Vec<bool>, (usize, Refusal)> {
        let mut fresh = vec![false; changes.len()];
        let mut pending: Vec<usize> = (0..changes.len()).collect();
        while !pending.is_empty() {
            let mut waiting = Vec::new();
            let mut progressed = false;
            let mut first_reason = None;
            for i in pending {
                match self.readiness(changes[i]) {
                    Ok(true) => progressed = true,
                    Ok(false) => {
                        self.apply(changes[i]).map_err(|r| (i, r))?;
                        fresh[i] = true;
                        progressed = true;
                    }
                    Err(r @ Refusal::ReusedSeq { .. }) => {
                        // Also reported when a twin of it sits earlier in this push.
                        return Err((i, r));
                    }
                    Err(r) => {
                        first_reason.get_or_insert((i, r));
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
        assert!(matches!(st.admit(&[&c[1]]), Err((0, Refusal::SeqGap { seq: 2, expected: 1, .. }))));
        let mut st = DocState::new();
        st.admit(&[&c[0]]).expect("first");
        // The poison change of the gatekeeper issue: a new actor at sequence 2.
        let other = edits(2, 2);
        assert!(matches!(st.admit(&[&other[1]]), Err((0, Refusal::SeqGap { .. }))));
        // A change whose dependency nobody has.
        let mut d = AutoCommit::new().with_actor(ActorId::from([3; 16].as_slice()));
        d.apply_changes(edits(9, 1)).expect("apply");
        d.put(ROOT, "x", 1).expect("put");
        d.commit();
        let orphan = d.get_last_local_change().expect("c").clone();
        assert!(matches!(st.admit(&[&orphan]), Err((0, Refusal::MissingDep(_)))));
        // Another change under actor 1's first number.
        let twin = edits(1, 1);
        let mut rival = AutoCommit::new().with_actor(ActorId::from([1; 16].as_slice()));
        rival.put(ROOT, "other", 1).expect("put");
        rival.commit();
        let rival = rival.get_last_local_change().expect("c").clone();
        assert_ne!(rival.hash(), twin[0].hash());
        assert!(matches!(st.admit(&[&rival]), Err((0, Refusal::ReusedSeq { seq: 1, .. }))));
    }

    #[test]
    fn a_damaged_document_does_not_load() {
        assert!(DocState::load(Some(b"not a document"), vec![]).is_err());
        let c = edits(1, 2);
        assert!(DocState::load(None, vec![c[1].raw_bytes().to_vec()]).is_err(), "missing dependency");
    }
}
