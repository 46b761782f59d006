//! A rep's log for one week: the activities whose time fell in that week when
//! they were logged. An activity edited to another day stays in the document
//! it was created in (the views place it by its time), so no record ever moves
//! between documents. Deletion is a tombstone (`deleted: true`).

use super::{get_bool, get_i64, get_str, map, put_opt_i64, put_opt_str, record, record_ids};
use crate::error::{CoreError, Result};
use crate::model::{Activity, ActivityInput, Kare};
use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ReadDoc, ROOT};

/// Every live (not deleted) activity in the document; `rep` is its subject.
pub fn read(doc: &impl ReadDoc, rep: &str) -> Result<Vec<Activity>> {
    let coll = map(doc, &ROOT, "activities")?;
    let mut out = Vec::new();
    for id in record_ids(doc, &coll) {
        if let Some(a) = read_record(doc, &coll, rep, id)? {
            out.push(a);
        }
    }
    Ok(out)
}

/// One live activity by id.
pub fn read_one(doc: &impl ReadDoc, rep: &str, id: &str) -> Result<Option<Activity>> {
    let coll = map(doc, &ROOT, "activities")?;
    read_record(doc, &coll, rep, id.to_string())
}

fn read_record(doc: &impl ReadDoc, coll: &automerge::ObjId, rep: &str, id: String) -> Result<Option<Activity>> {
    let Some(o) = record(doc, coll, &id)? else {
        return Ok(None);
    };
    if get_bool(doc, &o, "deleted") {
        return Ok(None);
    }
    Ok(Some(Activity {
        rep: rep.to_string(),
        kind: get_str(doc, &o, "type").unwrap_or_default(),
        kare: get_str(doc, &o, "kare").and_then(|k| k.parse::<Kare>().ok()),
        occurred_at: get_str(doc, &o, "occurred_at").unwrap_or_default(),
        count: get_i64(doc, &o, "count").unwrap_or(1),
        duration_min: get_i64(doc, &o, "duration_min"),
        outcome: get_str(doc, &o, "outcome"),
        account: get_str(doc, &o, "account"),
        deal: get_str(doc, &o, "deal"),
        note: get_str(doc, &o, "note"),
        logged_by: get_str(doc, &o, "logged_by").unwrap_or_default(),
        id,
    }))
}

/// True when the document holds a live activity with this id.
pub fn has(doc: &impl ReadDoc, id: &str) -> Result<bool> {
    let coll = map(doc, &ROOT, "activities")?;
    Ok(match record(doc, &coll, id)? {
        Some(o) => !get_bool(doc, &o, "deleted"),
        None => false,
    })
}

/// Creates an activity. `a` must be complete and validated.
pub fn insert(doc: &mut AutoCommit, a: &Activity) -> Result<()> {
    let coll = map(doc, &ROOT, "activities")?;
    let o = doc.put_object(&coll, a.id.as_str(), ObjType::Map)?;
    doc.put(&o, "type", a.kind.as_str())?;
    doc.put(&o, "occurred_at", a.occurred_at.as_str())?;
    doc.put(&o, "count", a.count)?;
    doc.put(&o, "logged_by", a.logged_by.as_str())?;
    put_opt_str(doc, &o, "kare", a.kare.map(Kare::as_str))?;
    put_opt_i64(doc, &o, "duration_min", a.duration_min)?;
    put_opt_str(doc, &o, "outcome", a.outcome.as_deref())?;
    put_opt_str(doc, &o, "account", a.account.as_deref())?;
    put_opt_str(doc, &o, "deal", a.deal.as_deref())?;
    put_opt_str(doc, &o, "note", a.note.as_deref())?;
    Ok(())
}

/// Writes only the fields the input names (validated by the caller).
pub fn update(doc: &mut AutoCommit, id: &str, p: &ActivityInput) -> Result<()> {
    let coll = map(doc, &ROOT, "activities")?;
    let o = record(doc, &coll, id)?.ok_or_else(|| CoreError::NotFound(format!("no activity with id {id}")))?;
    if let Some(k) = &p.kind {
        doc.put(&o, "type", k.as_str())?;
    }
    if let Some(t) = &p.occurred_at {
        doc.put(&o, "occurred_at", t.as_str())?;
    }
    if let Some(c) = p.count {
        doc.put(&o, "count", c)?;
    }
    if let Some(k) = p.kare {
        put_opt_str(doc, &o, "kare", k.map(Kare::as_str))?;
    }
    if let Some(d) = p.duration_min {
        put_opt_i64(doc, &o, "duration_min", d)?;
    }
    for (key, v) in [("outcome", &p.outcome), ("account", &p.account), ("deal", &p.deal), ("note", &p.note)] {
        if let Some(v) = v {
            put_opt_str(doc, &o, key, v.as_deref())?;
        }
    }
    Ok(())
}

/// Marks an activity deleted.
pub fn delete(doc: &mut AutoCommit, id: &str) -> Result<()> {
    let coll = map(doc, &ROOT, "activities")?;
    let o = record(doc, &coll, id)?.ok_or_else(|| CoreError::NotFound(format!("no activity with id {id}")))?;
    doc.put(&o, "deleted", true)?;
    Ok(())
}
