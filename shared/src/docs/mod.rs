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
use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType, ReadDoc, ScalarValue, Value, ROOT};

pub use kept_protocol::genesis::{genesis, root_map_change};
pub use kept_protocol::ids::{DocId, DocKind};

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

/// A string field: a scalar string, or collaborative Text (what other
/// Automerge implementations write by default for a string). Absent or of
/// another type: `None`.
pub(crate) fn get_str(doc: &impl ReadDoc, obj: &ObjId, key: &str) -> Option<String> {
    match doc.get(obj, key) {
        Ok(Some((Value::Scalar(s), _))) => match s.as_ref() {
            ScalarValue::Str(s) => Some(s.to_string()),
            _ => None,
        },
        Ok(Some((Value::Object(ObjType::Text), text))) => doc.text(&text).ok(),
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

    #[test]
    fn a_string_field_reads_scalar_strings_and_collaborative_text() {
        let mut d = AutoCommit::new();
        d.put(ROOT, "scalar", "call").expect("put");
        let t = d.put_object(ROOT, "text", ObjType::Text).expect("text");
        d.splice_text(&t, 0, 0, "meeting-set").expect("splice");
        d.put(ROOT, "number", 5).expect("put");
        assert_eq!(get_str(&d, &ROOT, "scalar").as_deref(), Some("call"));
        assert_eq!(get_str(&d, &ROOT, "text").as_deref(), Some("meeting-set"));
        assert_eq!(get_str(&d, &ROOT, "number"), None);
        assert_eq!(get_str(&d, &ROOT, "missing"), None);
    }
}
