//! A rep's plan: weekly targets per activity type (standing targets that run
//! from a week on, and one-week overrides) and weekly commitments.
//!
//! A target's key is `<from|week>:<week>:<type>`, so two devices setting the
//! same target concurrently write the same register and one value wins
//! (Automerge's deterministic last-writer rule), rather than both surviving.

use super::{get_bool, get_i64, get_str, map, put_opt_str, record, record_ids};
use crate::error::Result;
use crate::model::{Commitment, CommitmentKind, Target};
use crate::week::Week;
use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ReadDoc, ROOT};

fn target_key(standing: bool, week: Week, kind: &str) -> String {
    format!("{}:{}:{}", if standing { "from" } else { "week" }, week, kind)
}

/// Every target in the plan.
pub fn targets(doc: &impl ReadDoc, rep: &str) -> Result<Vec<Target>> {
    let coll = map(doc, &ROOT, "targets")?;
    let mut out = Vec::new();
    for key in record_ids(doc, &coll) {
        let mut parts = key.splitn(3, ':');
        let (Some(scope), Some(week), Some(kind)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let Some(o) = record(doc, &coll, &key)? else {
            continue;
        };
        let Some(count) = get_i64(doc, &o, "count") else {
            continue;
        };
        out.push(Target {
            rep: rep.to_string(),
            kind: kind.to_string(),
            week: week.to_string(),
            standing: scope == "from",
            count,
            set_by: get_str(doc, &o, "set_by").unwrap_or_default(),
        });
    }
    Ok(out)
}

/// Sets a target (standing from `week`, or for `week` only).
pub fn set_target(
    doc: &mut AutoCommit,
    standing: bool,
    week: Week,
    kind: &str,
    count: i64,
    set_by: &str,
    set_at: &str,
) -> Result<()> {
    let coll = map(doc, &ROOT, "targets")?;
    let key = target_key(standing, week, kind);
    let o = match record(doc, &coll, &key)? {
        Some(o) => o,
        None => doc.put_object(&coll, key.as_str(), ObjType::Map)?,
    };
    doc.put(&o, "count", count)?;
    doc.put(&o, "set_by", set_by)?;
    doc.put(&o, "set_at", set_at)?;
    Ok(())
}

/// Every live commitment.
pub fn commitments(doc: &impl ReadDoc, rep: &str) -> Result<Vec<Commitment>> {
    let coll = map(doc, &ROOT, "commitments")?;
    let mut out = Vec::new();
    for id in record_ids(doc, &coll) {
        let Some(o) = record(doc, &coll, &id)? else {
            continue;
        };
        if get_bool(doc, &o, "deleted") {
            continue;
        }
        out.push(Commitment {
            rep: rep.to_string(),
            week: get_str(doc, &o, "week").unwrap_or_default(),
            kind: get_str(doc, &o, "kind").and_then(|k| k.parse().ok()).unwrap_or(CommitmentKind::Outcome),
            activity: get_str(doc, &o, "activity"),
            count: get_i64(doc, &o, "count").unwrap_or(0),
            text: get_str(doc, &o, "text").unwrap_or_default(),
            id,
        });
    }
    Ok(out)
}

/// Adds a commitment.
pub fn add_commitment(doc: &mut AutoCommit, c: &Commitment) -> Result<()> {
    let coll = map(doc, &ROOT, "commitments")?;
    let o = doc.put_object(&coll, c.id.as_str(), ObjType::Map)?;
    doc.put(&o, "week", c.week.as_str())?;
    doc.put(&o, "kind", c.kind.as_str())?;
    put_opt_str(doc, &o, "activity", c.activity.as_deref())?;
    doc.put(&o, "count", c.count)?;
    doc.put(&o, "text", c.text.as_str())?;
    Ok(())
}

/// The agreed goal, if one was agreed: the goal, who agreed it and when.
pub fn goal(doc: &impl ReadDoc) -> Result<Option<AgreedGoal>> {
    let Ok(g) = map(doc, &ROOT, "goal") else { return Ok(None) };
    let num = |k: &str| match doc.get(&g, k) {
        Ok(Some((automerge::Value::Scalar(s), _))) => match s.as_ref() {
            automerge::ScalarValue::F64(f) => Some(*f),
            automerge::ScalarValue::Int(i) => Some(*i as f64),
            automerge::ScalarValue::Uint(u) => Some(*u as f64),
            _ => None,
        },
        _ => None,
    };
    let (Some(income), Some(commission), Some(deal_size), Some(working_weeks)) =
        (num("income"), num("commission"), num("deal_size"), num("working_weeks"))
    else {
        return Ok(None);
    };
    Ok(Some(AgreedGoal {
        goal: crate::funnel::Goal { income, commission, deal_size, working_weeks },
        agreed_by: get_str(doc, &g, "agreed_by").unwrap_or_default(),
        agreed_at: get_str(doc, &g, "agreed_at").unwrap_or_default(),
    }))
}

/// A goal as agreed (plan document `goal`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AgreedGoal {
    /// The goal.
    pub goal: crate::funnel::Goal,
    /// Who agreed it (member id).
    pub agreed_by: String,
    /// When (RFC 3339).
    pub agreed_at: String,
}

/// Records the agreed goal (each field a register).
pub fn set_goal(doc: &mut AutoCommit, g: &crate::funnel::Goal, agreed_by: &str, agreed_at: &str) -> Result<()> {
    let goal = map(doc, &ROOT, "goal")?;
    doc.put(&goal, "income", g.income)?;
    doc.put(&goal, "commission", g.commission)?;
    doc.put(&goal, "deal_size", g.deal_size)?;
    doc.put(&goal, "working_weeks", g.working_weeks)?;
    doc.put(&goal, "agreed_by", agreed_by)?;
    doc.put(&goal, "agreed_at", agreed_at)?;
    Ok(())
}
