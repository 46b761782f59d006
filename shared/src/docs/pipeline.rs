//! A rep's pipeline: deals with amount, stage, KARE type, expected close and
//! status. Each field is its own register (last writer wins per field).

use super::{get_i64, get_str, map, put_opt_str, record, record_ids};
use crate::error::{CoreError, Result};
use crate::model::{Deal, DealStatus, Kare};
use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ReadDoc, ROOT};

/// Every deal in the document.
pub fn deals(doc: &impl ReadDoc, rep: &str) -> Result<Vec<Deal>> {
    let coll = map(doc, &ROOT, "deals")?;
    let mut out = Vec::new();
    for id in record_ids(doc, &coll) {
        let Some(o) = record(doc, &coll, &id)? else {
            continue;
        };
        out.push(Deal {
            rep: rep.to_string(),
            name: get_str(doc, &o, "name").unwrap_or_default(),
            amount: get_i64(doc, &o, "amount").unwrap_or(0),
            stage: get_str(doc, &o, "stage").unwrap_or_default(),
            kare: get_str(doc, &o, "kare").and_then(|k| k.parse().ok()),
            expected_close: get_str(doc, &o, "expected_close"),
            status: get_str(doc, &o, "status").and_then(|s| s.parse().ok()).unwrap_or(DealStatus::Open),
            closed_at: get_str(doc, &o, "closed_at"),
            created_at: get_str(doc, &o, "created_at"),
            id,
        });
    }
    Ok(out)
}

/// Adds a deal or overwrites every field of the deal with that id.
pub fn put_deal(doc: &mut AutoCommit, d: &Deal) -> Result<()> {
    let coll = map(doc, &ROOT, "deals")?;
    let o = match record(doc, &coll, &d.id)? {
        Some(o) => o,
        None => doc.put_object(&coll, d.id.as_str(), ObjType::Map)?,
    };
    doc.put(&o, "name", d.name.as_str())?;
    doc.put(&o, "amount", d.amount)?;
    doc.put(&o, "stage", d.stage.as_str())?;
    put_opt_str(doc, &o, "kare", d.kare.map(Kare::as_str))?;
    put_opt_str(doc, &o, "expected_close", d.expected_close.as_deref())?;
    doc.put(&o, "status", d.status.as_str())?;
    put_opt_str(doc, &o, "closed_at", d.closed_at.as_deref())?;
    put_opt_str(doc, &o, "created_at", d.created_at.as_deref())?;
    Ok(())
}

/// Updates the fields given (each its own register: concurrent edits of
/// different fields both land).
pub fn update_deal(
    doc: &mut AutoCommit,
    id: &str,
    name: Option<&str>,
    amount: Option<i64>,
    stage: Option<&str>,
    expected_close: Option<Option<&str>>,
) -> Result<()> {
    let coll = map(doc, &ROOT, "deals")?;
    let o = record(doc, &coll, id)?.ok_or_else(|| CoreError::NotFound(format!("no deal with id {id}")))?;
    if let Some(n) = name {
        doc.put(&o, "name", n)?;
    }
    if let Some(a) = amount {
        doc.put(&o, "amount", a)?;
    }
    if let Some(s) = stage {
        doc.put(&o, "stage", s)?;
    }
    if let Some(e) = expected_close {
        put_opt_str(doc, &o, "expected_close", e)?;
    }
    Ok(())
}

/// Closes a deal as won or lost.
pub fn close_deal(doc: &mut AutoCommit, id: &str, status: DealStatus, at: &str) -> Result<()> {
    let coll = map(doc, &ROOT, "deals")?;
    let o = record(doc, &coll, id)?.ok_or_else(|| CoreError::NotFound(format!("no deal with id {id}")))?;
    doc.put(&o, "status", status.as_str())?;
    doc.put(&o, "closed_at", at)?;
    Ok(())
}
