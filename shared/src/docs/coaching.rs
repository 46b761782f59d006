//! A rep's coaching document: action items (and, later, meetings and
//! assessments). Shared between that rep and their managers only.
//! Each action-item field is its own register: a rep marking an item done
//! while a manager moves its due date keeps both edits.

use super::{get_str, map, put_opt_str, record, record_ids};
use crate::error::{CoreError, Result};
use crate::model::{ActionItem, ActionStatus};
use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ReadDoc, ROOT};

/// Every action item in the document.
pub fn action_items(doc: &impl ReadDoc, rep: &str) -> Result<Vec<ActionItem>> {
    let coll = map(doc, &ROOT, "action_items")?;
    let mut out = Vec::new();
    for id in record_ids(doc, &coll) {
        let Some(o) = record(doc, &coll, &id)? else {
            continue;
        };
        out.push(ActionItem {
            rep: rep.to_string(),
            owner: get_str(doc, &o, "owner").unwrap_or_default(),
            text: get_str(doc, &o, "text").unwrap_or_default(),
            due: get_str(doc, &o, "due").unwrap_or_default(),
            status: get_str(doc, &o, "status").and_then(|s| s.parse().ok()).unwrap_or(ActionStatus::Open),
            result: get_str(doc, &o, "result"),
            source: get_str(doc, &o, "source").unwrap_or_else(|| "manual".into()),
            created_at: get_str(doc, &o, "created_at").unwrap_or_default(),
            id,
        });
    }
    Ok(out)
}

/// True when the document holds an action item with this id.
pub fn has_action(doc: &impl ReadDoc, id: &str) -> Result<bool> {
    let coll = map(doc, &ROOT, "action_items")?;
    Ok(record(doc, &coll, id)?.is_some())
}

/// Adds an action item.
pub fn add_action(doc: &mut AutoCommit, a: &ActionItem) -> Result<()> {
    let coll = map(doc, &ROOT, "action_items")?;
    let o = doc.put_object(&coll, a.id.as_str(), ObjType::Map)?;
    doc.put(&o, "owner", a.owner.as_str())?;
    doc.put(&o, "text", a.text.as_str())?;
    doc.put(&o, "due", a.due.as_str())?;
    doc.put(&o, "status", a.status.as_str())?;
    doc.put(&o, "source", a.source.as_str())?;
    doc.put(&o, "created_at", a.created_at.as_str())?;
    put_opt_str(doc, &o, "result", a.result.as_deref())?;
    Ok(())
}

/// Changes an action item's fields (each `None` leaves it).
pub fn update_action(
    doc: &mut AutoCommit,
    id: &str,
    status: Option<ActionStatus>,
    result: Option<&str>,
    text: Option<&str>,
    due: Option<&str>,
) -> Result<()> {
    let coll = map(doc, &ROOT, "action_items")?;
    let o = record(doc, &coll, id)?.ok_or_else(|| CoreError::NotFound(format!("no action item with id {id}")))?;
    if let Some(s) = status {
        doc.put(&o, "status", s.as_str())?;
    }
    if let Some(r) = result {
        doc.put(&o, "result", r)?;
    }
    if let Some(t) = text {
        doc.put(&o, "text", t)?;
    }
    if let Some(d) = due {
        doc.put(&o, "due", d)?;
    }
    Ok(())
}
