//! Kept's Automerge documents: their ids, their deterministic genesis, and
//! small typed accessors for the records inside them.
//!
//! Every document starts from a *genesis* change that every device produces
//! byte for byte (fixed actor derived from the document id, time 0), holding
//! the root maps. Two devices that create the same document offline therefore
//! share the root objects instead of creating rival ones, and their records
//! merge. Records are maps keyed by a UUIDv7 inside those root maps; every
//! field is its own key, so concurrent edits of different fields both survive.
//! Never change a genesis in place: it would fork the history of new documents.

pub mod coaching;
pub mod log;
pub mod pipeline;
pub mod plan;
pub mod team;

use crate::error::{CoreError, Result};
use crate::model::default_catalog;
use crate::week::Week;
use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, AutoCommit, ObjId, ObjType, ReadDoc, ScalarValue, Value, ROOT};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;

/// The kinds of document (DESIGN.md §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DocKind {
    /// Team settings and catalog.
    Team,
    /// One rep's activities of one week.
    Log,
    /// One rep's targets, commitments and goal.
    Plan,
    /// One rep's deals.
    Pipeline,
    /// One rep's meetings, action items and assessments.
    Coaching,
}

impl DocKind {
    /// The keyword used in document ids and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::Team => "team",
            DocKind::Log => "log",
            DocKind::Plan => "plan",
            DocKind::Pipeline => "pipeline",
            DocKind::Coaching => "coaching",
        }
    }
}

/// A document's id within a team. Its string form names the kind, the member
/// it is about and (for logs) the week: `team`, `log/<member>/2026-W48`,
/// `plan/<member>`, `pipeline/<member>`, `coaching/<member>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocId(String);

impl DocId {
    /// The team document.
    pub fn team() -> DocId {
        DocId("team".into())
    }
    /// A rep's log for one week.
    pub fn log(member: &str, week: Week) -> DocId {
        DocId(format!("log/{member}/{week}"))
    }
    /// A rep's plan.
    pub fn plan(member: &str) -> DocId {
        DocId(format!("plan/{member}"))
    }
    /// A rep's pipeline.
    pub fn pipeline(member: &str) -> DocId {
        DocId(format!("pipeline/{member}"))
    }
    /// A rep's coaching document.
    pub fn coaching(member: &str) -> DocId {
        DocId(format!("coaching/{member}"))
    }
    /// The string form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The kind, from the id.
    pub fn kind(&self) -> DocKind {
        match self.0.split('/').next() {
            Some("log") => DocKind::Log,
            Some("plan") => DocKind::Plan,
            Some("pipeline") => DocKind::Pipeline,
            Some("coaching") => DocKind::Coaching,
            _ => DocKind::Team,
        }
    }
    /// The member the document is about (none for the team document).
    pub fn subject(&self) -> Option<&str> {
        self.0.split('/').nth(1)
    }
    /// The week of a log document.
    pub fn period(&self) -> Option<Week> {
        self.0.split('/').nth(2).and_then(|w| w.parse().ok())
    }
}

impl FromStr for DocId {
    type Err = CoreError;
    /// Parses and validates a document id (the relay relies on this).
    fn from_str(s: &str) -> Result<DocId> {
        let bad = |why: &str| CoreError::invalid(format!("bad document id '{s}': {why}"));
        let parts: Vec<&str> = s.split('/').collect();
        let member_ok = |m: &str| uuid::Uuid::parse_str(m).map(|u| u.hyphenated().to_string() == m).unwrap_or(false);
        match parts.as_slice() {
            ["team"] => Ok(DocId::team()),
            ["log", m, w] => {
                if !member_ok(m) {
                    return Err(bad("the member must be a lowercase UUID"));
                }
                let week: Week = w.parse().map_err(|_| bad("the week must look like 2026-W48"))?;
                Ok(DocId::log(m, week))
            }
            [k @ ("plan" | "pipeline" | "coaching"), m] => {
                if !member_ok(m) {
                    return Err(bad("the member must be a lowercase UUID"));
                }
                Ok(DocId(format!("{k}/{m}")))
            }
            _ => Err(bad("expected team, log/<member>/<week>, plan/<member>, pipeline/<member> or coaching/<member>")),
        }
    }
}

impl fmt::Display for DocId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The root maps each kind of document holds.
fn root_maps(kind: DocKind) -> &'static [&'static str] {
    match kind {
        DocKind::Team => &["activity_types", "settings", "kudos"],
        DocKind::Log => &["activities"],
        DocKind::Plan => &["targets", "commitments", "goal"],
        DocKind::Pipeline => &["deals"],
        DocKind::Coaching => &["action_items", "meetings", "assessments"],
    }
}

/// The document's first change, identical on every device (see the module doc).
pub fn genesis(id: &DocId) -> Result<AutoCommit> {
    let digest = Sha256::digest(format!("kept-genesis-v1:{id}").as_bytes());
    let mut doc = AutoCommit::new().with_actor(ActorId::from(&digest[..16]));
    doc.put(ROOT, "kind", id.kind().as_str())?;
    doc.put(ROOT, "schema", 1i64)?;
    for name in root_maps(id.kind()) {
        doc.put_object(ROOT, *name, ObjType::Map)?;
    }
    if id.kind() == DocKind::Team {
        let settings = map(&doc, &ROOT, "settings")?;
        doc.put(&settings, "time_zone", "UTC")?;
        doc.put(&settings, "week_start", "mon")?;
        doc.put(&settings, "working_days", "mon,tue,wed,thu,fri")?;
        let types = map(&doc, &ROOT, "activity_types")?;
        for t in default_catalog() {
            let o = doc.put_object(&types, t.key.as_str(), ObjType::Map)?;
            doc.put(&o, "label", t.label.as_str())?;
            if let Some(k) = t.default_kare {
                doc.put(&o, "kare", k.as_str())?;
            }
            doc.put(&o, "leading", t.leading)?;
            doc.put(&o, "position", t.position)?;
        }
    }
    doc.commit_with(CommitOptions::default().with_time(0));
    Ok(doc)
}

/// The change that adds root map `name` to document `id`, identical on
/// every device: its own deterministic actor, the genesis as its only
/// dependency, time 0. Collections added after a document kind first
/// shipped are created this way, so two devices that add the same one
/// offline make the same object and neither device's records are lost.
pub fn root_map_change(id: &DocId, name: &str) -> Result<Vec<u8>> {
    let mut doc = genesis(id)?;
    let digest = Sha256::digest(format!("kept-root-map-v1:{id}:{name}").as_bytes());
    doc.set_actor(ActorId::from(&digest[..16]));
    doc.put_object(ROOT, name, ObjType::Map)?;
    doc.commit_with(CommitOptions::default().with_time(0));
    doc.get_last_local_change()
        .map(|c| c.raw_bytes().to_vec())
        .ok_or_else(|| CoreError::Document(format!("{id}: could not add map '{name}'")))
}

/// True when `doc` has root map `name`.
pub fn has_root_map(doc: &impl ReadDoc, name: &str) -> bool {
    map(doc, &ROOT, name).is_ok()
}

/// The map object at `parent[key]`, or a document error if it is missing.
pub(crate) fn map(doc: &impl ReadDoc, parent: &ObjId, key: &str) -> Result<ObjId> {
    match doc.get(parent, key)? {
        Some((Value::Object(ObjType::Map), id)) => Ok(id),
        _ => Err(CoreError::Document(format!("document has no map '{key}'"))),
    }
}

/// The record map `coll[id]`, if present.
pub(crate) fn record(doc: &impl ReadDoc, coll: &ObjId, id: &str) -> Result<Option<ObjId>> {
    Ok(match doc.get(coll, id)? {
        Some((Value::Object(ObjType::Map), o)) => Some(o),
        _ => None,
    })
}

/// The ids of every record in a collection map.
pub(crate) fn record_ids(doc: &impl ReadDoc, coll: &ObjId) -> Vec<String> {
    doc.keys(coll).collect()
}

fn scalar(doc: &impl ReadDoc, obj: &ObjId, key: &str) -> Option<ScalarValue> {
    match doc.get(obj, key) {
        Ok(Some((Value::Scalar(s), _))) => Some(s.into_owned()),
        _ => None,
    }
}

/// A string field (absent or of another type: `None`).
pub(crate) fn get_str(doc: &impl ReadDoc, obj: &ObjId, key: &str) -> Option<String> {
    match scalar(doc, obj, key)? {
        ScalarValue::Str(s) => Some(s.to_string()),
        _ => None,
    }
}

/// An integer field.
pub(crate) fn get_i64(doc: &impl ReadDoc, obj: &ObjId, key: &str) -> Option<i64> {
    match scalar(doc, obj, key)? {
        ScalarValue::Int(i) => Some(i),
        ScalarValue::Uint(u) => i64::try_from(u).ok(),
        ScalarValue::Counter(c) => Some(i64::from(&c)),
        _ => None,
    }
}

/// A boolean field (absent: false).
pub(crate) fn get_bool(doc: &impl ReadDoc, obj: &ObjId, key: &str) -> bool {
    matches!(scalar(doc, obj, key), Some(ScalarValue::Boolean(true)))
}

/// Puts a string, or deletes the key for `None`.
pub(crate) fn put_opt_str(doc: &mut AutoCommit, obj: &ObjId, key: &str, v: Option<&str>) -> Result<()> {
    match v {
        Some(s) => doc.put(obj, key, s)?,
        None => {
            if doc.get(obj, key)?.is_some() {
                doc.delete(obj, key)?
            }
        }
    }
    Ok(())
}

/// Puts an integer, or deletes the key for `None`.
pub(crate) fn put_opt_i64(doc: &mut AutoCommit, obj: &ObjId, key: &str, v: Option<i64>) -> Result<()> {
    match v {
        Some(i) => doc.put(obj, key, i)?,
        None => {
            if doc.get(obj, key)?.is_some() {
                doc.delete(obj, key)?
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: &str = "0190f0a0-0000-7000-8000-000000000001";

    #[test]
    fn ids_round_trip_and_reject_garbage() {
        let w: Week = "2026-W48".parse().expect("valid");
        for id in [DocId::team(), DocId::log(M, w), DocId::plan(M), DocId::pipeline(M), DocId::coaching(M)] {
            let back: DocId = id.as_str().parse().expect("round trip");
            assert_eq!(back, id);
        }
        assert_eq!(DocId::log(M, w).subject(), Some(M));
        assert_eq!(DocId::log(M, w).period(), Some(w));
        for bad in ["", "teams", "log/x/2026-W48", "plan/", &format!("log/{M}/2026-48"), &format!("plan/{M}/extra")] {
            assert!(bad.parse::<DocId>().is_err(), "{bad:?} should be rejected");
        }
    }

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
            let m = map(&d, &ROOT, "development").expect("map");
            d.put_object(&m, key, ObjType::Map).expect("record");
            d.commit();
            d
        };
        let (mut a, mut b) = (add(1, "from-a"), add(2, "from-b"));
        a.merge(&mut b).expect("merge");
        b.merge(&mut a.clone()).expect("merge");
        let m = map(&a, &ROOT, "development").expect("map");
        assert_eq!(record_ids(&a, &m), vec!["from-a".to_string(), "from-b".to_string()], "both devices' records kept");
        assert_eq!(a.get_heads(), b.get_heads());
        assert_eq!(root_map_change(&id, "development").ok(), root_map_change(&id, "development").ok());
    }

    #[test]
    fn genesis_is_identical_on_every_device() {
        let id = DocId::log(M, "2026-W48".parse().expect("valid"));
        let mut a = genesis(&id).expect("genesis");
        let mut b = genesis(&id).expect("genesis");
        assert_eq!(a.get_heads(), b.get_heads());
        let mut other = genesis(&DocId::plan(M)).expect("genesis");
        assert_ne!(a.get_heads(), other.get_heads());
    }
}
