//! A rep's log for one week: the activities whose time fell in that week when
//! they were logged. An activity edited to another day stays in the document
//! it was created in (the views place it by its time), so no record ever moves
//! between documents. Deletion is a tombstone (`deleted: true`).

use super::{get_bool, map, put_opt_i64, put_opt_str, record};
use crate::error::{CoreError, Result};
use crate::model::{Activity, ActivityInput, Kare};
use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ReadDoc, ScalarValueRef, ValueRef, ROOT};

/// Every live (not deleted) activity in the document; `rep` is its subject.
/// One pass over the collection and one over each record's fields (a first
/// pull reads every activity of a year this way).
pub fn read(doc: &impl ReadDoc, rep: &str) -> Result<Vec<Activity>> {
    let coll = map(doc, &ROOT, "activities")?;
    let mut out = Vec::new();
    for item in doc.map_range(&coll, ..) {
        if !matches!(item.value, ValueRef::Object(ObjType::Map)) {
            continue;
        }
        let o = item.id();
        if let Some(a) = read_fields(doc, &o, rep, item.key.into_owned()) {
            out.push(a);
        }
    }
    Ok(out)
}

/// One live activity by id.
pub fn read_one(doc: &impl ReadDoc, rep: &str, id: &str) -> Result<Option<Activity>> {
    let coll = map(doc, &ROOT, "activities")?;
    Ok(record(doc, &coll, id)?.and_then(|o| read_fields(doc, &o, rep, id.to_string())))
}

fn read_fields(doc: &impl ReadDoc, o: &automerge::ObjId, rep: &str, id: String) -> Option<Activity> {
    let mut a = Activity {
        id,
        rep: rep.to_string(),
        kind: String::new(),
        kare: None,
        occurred_at: String::new(),
        count: 1,
        duration_min: None,
        outcome: None,
        account: None,
        deal: None,
        note: None,
        logged_by: String::new(),
    };
    for f in doc.map_range(o, ..) {
        let ValueRef::Scalar(v) = f.value else { continue };
        let int = |v: &ScalarValueRef<'_>| match v {
            ScalarValueRef::Int(i) | ScalarValueRef::Counter(i) => Some(*i),
            ScalarValueRef::Uint(u) => i64::try_from(*u).ok(),
            _ => None,
        };
        match (f.key.as_ref(), &v) {
            ("deleted", ScalarValueRef::Boolean(true)) => return None,
            ("count", v) => a.count = int(v).unwrap_or(1),
            ("duration_min", v) => a.duration_min = int(v),
            (key, ScalarValueRef::Str(s)) => {
                let s = s.to_string();
                match key {
                    "type" => a.kind = s,
                    "kare" => a.kare = s.parse::<Kare>().ok(),
                    "occurred_at" => a.occurred_at = s,
                    "outcome" => a.outcome = Some(s),
                    "account" => a.account = Some(s),
                    "deal" => a.deal = Some(s),
                    "note" => a.note = Some(s),
                    "logged_by" => a.logged_by = s,
                    _ => {}
                }
            }
            _ => {}
        }
    }
    Some(a)
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
