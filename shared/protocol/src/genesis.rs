//! The canonical changes every device produces byte for byte: a document's
//! genesis (its root maps) and the changes that add a root map later.
//!
//! Two devices that create the same document offline must share its root
//! objects, or Automerge keeps only one of two concurrent `put_object`s and the
//! other device's records vanish. So the first change of every document is
//! fixed: actor = the first 16 bytes of SHA-256(`kept-genesis-v1:<id>`),
//! sequence 1, no dependencies, time 0, no message, holding (in this order)
//! `kind` (the kind keyword), `schema` (integer 1) and the kind's root maps
//! (for the team document also its default settings and catalog). The relay
//! admits a change under one of these actors only when it is byte-identical to
//! what [`genesis_change`] or [`root_map_change`] computes. Never change them.

use crate::error::{ProtocolError, Result};
use crate::ids::{DocId, DocKind};
use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, AutoCommit, ObjType, ReadDoc, Value, ROOT};
use sha2::{Digest, Sha256};

/// One entry of the catalog a new team starts with (part of the team genesis).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenesisType {
    /// Stable key.
    pub key: &'static str,
    /// Label.
    pub label: &'static str,
    /// A leading indicator (a behaviour) rather than a result.
    pub leading: bool,
    /// Order on the home screen.
    pub position: i64,
}

/// The default activity catalog, as the team document's genesis writes it.
pub const GENESIS_CATALOG: &[GenesisType] = &[
    GenesisType { key: "call", label: "Calls", leading: true, position: 0 },
    GenesisType { key: "conversation", label: "Conversations", leading: true, position: 1 },
    GenesisType { key: "meeting-set", label: "Meetings set", leading: true, position: 2 },
    GenesisType { key: "meeting-held", label: "Meetings held", leading: true, position: 3 },
    GenesisType { key: "proposal", label: "Proposals", leading: true, position: 4 },
    GenesisType { key: "referral-asked", label: "Referrals asked", leading: true, position: 5 },
    GenesisType { key: "email", label: "Emails", leading: false, position: 6 },
];

/// The team genesis's default settings (key, value), in the order written.
pub const GENESIS_SETTINGS: &[(&str, &str)] =
    &[("time_zone", "UTC"), ("week_start", "mon"), ("working_days", "mon,tue,wed,thu,fri")];

/// The root maps a kind's genesis holds, in the order written.
pub fn root_maps(kind: DocKind) -> &'static [&'static str] {
    match kind {
        DocKind::Team => &["activity_types", "settings", "kudos"],
        DocKind::Log => &["activities"],
        DocKind::Plan => &["targets", "commitments", "goal"],
        DocKind::Pipeline => &["deals"],
        DocKind::Coaching => &["action_items", "meetings", "assessments"],
        DocKind::Review => &["assessments", "ratings"],
    }
}

/// Root maps added after a kind first shipped, each by its own canonical
/// change ([`root_map_change`]).
pub fn later_root_maps(kind: DocKind) -> &'static [&'static str] {
    match kind {
        DocKind::Team => &["agendas", "criteria", "calibrations"],
        DocKind::Coaching => &["development", "calibration_scores", "challenges"],
        DocKind::Review => &["challenge_comments", "sign_notes"],
        DocKind::Log | DocKind::Plan | DocKind::Pipeline => &[],
    }
}

fn actor(seed: &str) -> ActorId {
    let digest = Sha256::digest(seed.as_bytes());
    ActorId::from(&digest[..16])
}

/// The genesis actor of document `id`.
pub fn genesis_actor(id: &DocId) -> ActorId {
    actor(&format!("kept-genesis-v1:{id}"))
}

/// The actor of the change that adds root map `name` to document `id`.
pub fn root_map_actor(id: &DocId, name: &str) -> ActorId {
    actor(&format!("kept-root-map-v1:{id}:{name}"))
}

/// The document's first change, identical on every device, as a document.
pub fn genesis(id: &DocId) -> Result<AutoCommit> {
    let mut doc = AutoCommit::new().with_actor(genesis_actor(id));
    doc.put(ROOT, "kind", id.kind().as_str())?;
    doc.put(ROOT, "schema", 1i64)?;
    for name in root_maps(id.kind()) {
        doc.put_object(ROOT, *name, ObjType::Map)?;
    }
    if id.kind() == DocKind::Team {
        let settings = match doc.get(ROOT, "settings")? {
            Some((Value::Object(ObjType::Map), o)) => o,
            _ => return Err(ProtocolError::invalid("team genesis: no settings map")),
        };
        for (k, v) in GENESIS_SETTINGS {
            doc.put(&settings, *k, *v)?;
        }
        let types = match doc.get(ROOT, "activity_types")? {
            Some((Value::Object(ObjType::Map), o)) => o,
            _ => return Err(ProtocolError::invalid("team genesis: no activity_types map")),
        };
        for t in GENESIS_CATALOG {
            let o = doc.put_object(&types, t.key, ObjType::Map)?;
            doc.put(&o, "label", t.label)?;
            doc.put(&o, "leading", t.leading)?;
            doc.put(&o, "position", t.position)?;
        }
    }
    doc.commit_with(CommitOptions::default().with_time(0));
    Ok(doc)
}

/// The genesis change's bytes.
pub fn genesis_change(id: &DocId) -> Result<Vec<u8>> {
    let mut doc = genesis(id)?;
    doc.get_last_local_change()
        .map(|c| c.raw_bytes().to_vec())
        .ok_or_else(|| ProtocolError::invalid(format!("{id}: no genesis change")))
}

/// The change that adds root map `name` to document `id`, identical on
/// every device: its own deterministic actor, the genesis as its only
/// dependency, time 0.
pub fn root_map_change(id: &DocId, name: &str) -> Result<Vec<u8>> {
    let mut doc = genesis(id)?;
    doc.set_actor(root_map_actor(id, name));
    doc.put_object(ROOT, name, ObjType::Map)?;
    doc.commit_with(CommitOptions::default().with_time(0));
    doc.get_last_local_change()
        .map(|c| c.raw_bytes().to_vec())
        .ok_or_else(|| ProtocolError::invalid(format!("{id}: could not add map '{name}'")))
}

/// What a canonical actor stands for in document `id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Canonical {
    /// The genesis actor.
    Genesis,
    /// The actor that adds this later root map.
    RootMap(&'static str),
}

/// Whether `actor` is one of document `id`'s canonical actors.
pub fn canonical_actor(id: &DocId, actor: &ActorId) -> Option<Canonical> {
    if *actor == genesis_actor(id) {
        return Some(Canonical::Genesis);
    }
    later_root_maps(id.kind()).iter().find(|n| *actor == root_map_actor(id, n)).map(|n| Canonical::RootMap(n))
}

/// The bytes the canonical change of `which` must have in document `id`.
pub fn canonical_bytes(id: &DocId, which: &Canonical) -> Result<Vec<u8>> {
    match which {
        Canonical::Genesis => genesis_change(id),
        Canonical::RootMap(name) => root_map_change(id, name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::week::Week;

    const M: &str = "0190f0a0-0000-7000-8000-000000000001";

    #[test]
    fn a_root_map_added_later_is_the_same_object_on_every_device() {
        let id = DocId::coaching(M);
        let add = |who: u8, key: &str| {
            let mut d = genesis(&id).expect("genesis");
            d.set_actor(ActorId::from([who; 16].as_slice()));
            d.put(ROOT, "noise", i64::from(who)).expect("edit");
            d.commit();
            let c = automerge::Change::from_bytes(root_map_change(&id, "development").expect("change")).expect("c");
            d.apply_changes([c]).expect("apply");
            let m = match d.get(ROOT, "development").expect("get") {
                Some((Value::Object(ObjType::Map), o)) => o,
                _ => panic!("no map"),
            };
            d.put_object(&m, key, ObjType::Map).expect("record");
            d.commit();
            d
        };
        let (mut a, mut b) = (add(1, "from-a"), add(2, "from-b"));
        a.merge(&mut b).expect("merge");
        b.merge(&mut a.clone()).expect("merge");
        let m = match a.get(ROOT, "development").expect("get") {
            Some((Value::Object(ObjType::Map), o)) => o,
            _ => panic!("no map"),
        };
        assert_eq!(a.keys(&m).collect::<Vec<_>>(), vec!["from-a".to_string(), "from-b".to_string()]);
        assert_eq!(a.get_heads(), b.get_heads());
        assert_eq!(root_map_change(&id, "development").ok(), root_map_change(&id, "development").ok());
    }

    #[test]
    fn genesis_is_identical_on_every_device() {
        let id = DocId::log(M, "2026-W48".parse::<Week>().expect("valid"));
        let mut a = genesis(&id).expect("genesis");
        let mut b = genesis(&id).expect("genesis");
        assert_eq!(a.get_heads(), b.get_heads());
        let mut other = genesis(&DocId::plan(M)).expect("genesis");
        assert_ne!(a.get_heads(), other.get_heads());
    }

    #[test]
    fn canonical_actors_are_recognised_per_document() {
        let id = DocId::coaching(M);
        assert_eq!(canonical_actor(&id, &genesis_actor(&id)), Some(Canonical::Genesis));
        assert_eq!(canonical_actor(&id, &root_map_actor(&id, "development")), Some(Canonical::RootMap("development")));
        assert_eq!(canonical_actor(&DocId::plan(M), &genesis_actor(&id)), None, "another document's genesis actor");
        let bytes = canonical_bytes(&id, &Canonical::Genesis).expect("bytes");
        let c = automerge::Change::from_bytes(bytes).expect("parses");
        assert_eq!((c.seq(), c.deps().len(), c.timestamp()), (1, 0, 0));
    }
}
