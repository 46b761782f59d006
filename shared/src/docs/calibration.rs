//! Calibration sessions and the scores given in them (docs/FORMAT.md §7.9).
//! A session lives in the team document (`calibrations`, written by the
//! team's managers — in an organisation's leadership team, its leaders);
//! each scorer's scores live in their own coaching document
//! (`calibration_scores`), which no other scorer can read, so scoring is
//! blind. At the reveal the leader copies every score into the session.

use super::{get_bool, get_i64, get_str, map, record, record_ids};
use crate::error::Result;
use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType, ReadDoc, ROOT};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The team document's root map of sessions.
pub const SESSIONS: &str = "calibrations";
/// The coaching document's root map of scores.
pub const SCORES: &str = "calibration_scores";

/// Criterion → score (0 not present … 4 excellent).
pub type Scores = BTreeMap<String, i64>;

/// One calibration session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Calibration {
    /// UUIDv7.
    pub id: String,
    /// What is assessed, in a few words.
    pub title: String,
    /// The assessment map's interaction type.
    pub interaction: String,
    /// The interaction itself: a description, a transcript, a link.
    pub material: String,
    /// The map's criteria when the session was created (so later edits of
    /// the map never change what these scores meant).
    pub criteria: Vec<String>,
    /// Who created it (member id).
    pub by: String,
    /// When (RFC 3339).
    pub at: String,
    /// True once the scores are revealed.
    pub revealed: bool,
    /// At the reveal: each scorer's scores (member id → scores).
    pub scores: BTreeMap<String, Scores>,
    /// The score agreed after discussion.
    pub agreed: Scores,
}

/// One scorer's scores of a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CalibrationScore {
    /// The session id (also this record's key: one score per session and scorer).
    pub session: String,
    /// The scorer (member id).
    pub by: String,
    /// When (RFC 3339).
    pub at: String,
    /// The scores.
    pub scores: Scores,
}

fn scores_at(doc: &impl ReadDoc, obj: &ObjId, key: &str) -> Result<Scores> {
    let mut out = Scores::new();
    if let Some(s) = record(doc, obj, key)? {
        for k in record_ids(doc, &s) {
            if let Some(v) = get_i64(doc, &s, &k) {
                out.insert(k, v);
            }
        }
    }
    Ok(out)
}

fn put_scores(doc: &mut AutoCommit, obj: &ObjId, key: &str, scores: &Scores) -> Result<()> {
    let s = doc.put_object(obj, key, ObjType::Map)?;
    for (k, v) in scores {
        doc.put(&s, k.as_str(), *v)?;
    }
    Ok(())
}

/// Every session of the team document (none before the root map exists).
pub fn sessions(doc: &impl ReadDoc) -> Result<Vec<Calibration>> {
    let Ok(coll) = map(doc, &ROOT, SESSIONS) else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    for id in record_ids(doc, &coll) {
        let Some(o) = record(doc, &coll, &id)? else { continue };
        let mut scores = BTreeMap::new();
        if let Some(all) = record(doc, &o, "scores")? {
            for member in record_ids(doc, &all) {
                scores.insert(member.clone(), scores_at(doc, &all, &member)?);
            }
        }
        out.push(Calibration {
            title: get_str(doc, &o, "title").unwrap_or_default(),
            interaction: get_str(doc, &o, "interaction").unwrap_or_default(),
            material: get_str(doc, &o, "material").unwrap_or_default(),
            criteria: get_str(doc, &o, "criteria")
                .unwrap_or_default()
                .lines()
                .map(str::to_string)
                .filter(|c| !c.is_empty())
                .collect(),
            by: get_str(doc, &o, "by").unwrap_or_default(),
            at: get_str(doc, &o, "at").unwrap_or_default(),
            revealed: get_bool(doc, &o, "revealed"),
            agreed: scores_at(doc, &o, "agreed")?,
            scores,
            id,
        });
    }
    out.sort_by(|a, b| a.at.cmp(&b.at).then(a.id.cmp(&b.id)));
    Ok(out)
}

/// Adds a session (not revealed, nothing agreed).
pub fn add_session(doc: &mut AutoCommit, c: &Calibration) -> Result<()> {
    let coll = map(doc, &ROOT, SESSIONS)?;
    let o = doc.put_object(&coll, c.id.as_str(), ObjType::Map)?;
    doc.put(&o, "title", c.title.as_str())?;
    doc.put(&o, "interaction", c.interaction.as_str())?;
    doc.put(&o, "material", c.material.as_str())?;
    doc.put(&o, "criteria", c.criteria.join("\n"))?;
    doc.put(&o, "by", c.by.as_str())?;
    doc.put(&o, "at", c.at.as_str())?;
    Ok(())
}

/// Reveals a session: every scorer's scores copied in, `revealed` set.
pub fn reveal(doc: &mut AutoCommit, id: &str, scores: &BTreeMap<String, Scores>) -> Result<()> {
    let coll = map(doc, &ROOT, SESSIONS)?;
    let Some(o) = record(doc, &coll, id)? else { return Ok(()) };
    let all = doc.put_object(&o, "scores", ObjType::Map)?;
    for (member, s) in scores {
        put_scores(doc, &all, member, s)?;
    }
    doc.put(&o, "revealed", true)?;
    Ok(())
}

/// Records the agreed score of a session.
pub fn agree(doc: &mut AutoCommit, id: &str, agreed: &Scores) -> Result<()> {
    let coll = map(doc, &ROOT, SESSIONS)?;
    let Some(o) = record(doc, &coll, id)? else { return Ok(()) };
    put_scores(doc, &o, "agreed", agreed)
}

/// A scorer's scores in their coaching document, by session.
pub fn scores(doc: &impl ReadDoc) -> Result<Vec<CalibrationScore>> {
    let Ok(coll) = map(doc, &ROOT, SCORES) else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    for id in record_ids(doc, &coll) {
        let Some(o) = record(doc, &coll, &id)? else { continue };
        out.push(CalibrationScore {
            by: get_str(doc, &o, "by").unwrap_or_default(),
            at: get_str(doc, &o, "at").unwrap_or_default(),
            scores: scores_at(doc, &o, "scores")?,
            session: id,
        });
    }
    Ok(out)
}

/// Puts (or replaces) a scorer's scores of a session.
pub fn put_score(doc: &mut AutoCommit, s: &CalibrationScore) -> Result<()> {
    let coll = map(doc, &ROOT, SCORES)?;
    let o = doc.put_object(&coll, s.session.as_str(), ObjType::Map)?;
    doc.put(&o, "by", s.by.as_str())?;
    doc.put(&o, "at", s.at.as_str())?;
    put_scores(doc, &o, "scores", &s.scores)
}
