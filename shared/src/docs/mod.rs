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

pub mod calibration;
pub mod challenge;
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

/// Copies every field of map `from` (in `src`) into map `to` (in `dst`),
/// except the top-level keys in `skip`: scalars as they are, nested maps into
/// the map already there (or a new one), lists and text as new objects.
/// `rewrite(key, value)` may replace a top-level string value (e.g. a member
/// id); nested values are copied as they are.
pub(crate) fn copy_fields(
    src: &impl ReadDoc,
    from: &ObjId,
    dst: &mut AutoCommit,
    to: &ObjId,
    skip: &[&str],
    rewrite: &dyn Fn(&str, &str) -> Option<String>,
) -> Result<()> {
    for key in src.keys(from).collect::<Vec<_>>() {
        if skip.contains(&key.as_str()) {
            continue;
        }
        match src.get(from, key.as_str())? {
            Some((Value::Scalar(s), _)) => {
                let replaced = match s.as_ref() {
                    ScalarValue::Str(v) => rewrite(&key, v),
                    _ => None,
                };
                match replaced {
                    Some(v) => dst.put(to, key.as_str(), v)?,
                    None => dst.put(to, key.as_str(), s.into_owned())?,
                }
            }
            Some((Value::Object(ObjType::Map | ObjType::Table), child)) => {
                let target = match dst.get(to, key.as_str())? {
                    Some((Value::Object(ObjType::Map), o)) => o,
                    _ => dst.put_object(to, key.as_str(), ObjType::Map)?,
                };
                copy_fields(src, &child, dst, &target, &[], &|_, _| None)?;
            }
            Some((Value::Object(ObjType::Text), child)) => {
                let text = src.text(&child)?;
                let t = dst.put_object(to, key.as_str(), ObjType::Text)?;
                dst.splice_text(&t, 0, 0, &text)?;
            }
            Some((Value::Object(ObjType::List), child)) => {
                let list = dst.put_object(to, key.as_str(), ObjType::List)?;
                copy_list(src, &child, dst, &list)?;
            }
            None => {}
        }
    }
    Ok(())
}

/// True when maps `a` (in `da`) and `b` (in `db`) hold the same top-level
/// scalar fields, keys in `skip` aside (nested objects are not compared).
pub(crate) fn same_fields(da: &impl ReadDoc, a: &ObjId, db: &impl ReadDoc, b: &ObjId, skip: &[&str]) -> bool {
    let fields = |d: &dyn Fn(&str) -> Option<ScalarValue>, keys: Vec<String>| -> Vec<(String, Option<ScalarValue>)> {
        keys.into_iter().filter(|k| !skip.contains(&k.as_str())).map(|k| (k.clone(), d(&k))).collect()
    };
    let mut ka: Vec<String> = da.keys(a).collect();
    let mut kb: Vec<String> = db.keys(b).collect();
    ka.sort();
    kb.sort();
    fields(&|k| scalar(da, a, k), ka) == fields(&|k| scalar(db, b, k), kb)
}

fn copy_list(src: &impl ReadDoc, from: &ObjId, dst: &mut AutoCommit, to: &ObjId) -> Result<()> {
    for i in 0..src.length(from) {
        match src.get(from, i)? {
            Some((Value::Scalar(s), _)) => dst.insert(to, i, s.into_owned())?,
            Some((Value::Object(ObjType::Map | ObjType::Table), child)) => {
                let m = dst.insert_object(to, i, ObjType::Map)?;
                copy_fields(src, &child, dst, &m, &[], &|_, _| None)?;
            }
            Some((Value::Object(ObjType::Text), child)) => {
                let text = src.text(&child)?;
                let t = dst.insert_object(to, i, ObjType::Text)?;
                dst.splice_text(&t, 0, 0, &text)?;
            }
            Some((Value::Object(ObjType::List), child)) => {
                let l = dst.insert_object(to, i, ObjType::List)?;
                copy_list(src, &child, dst, &l)?;
            }
            None => {}
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

    #[test]
    fn copying_a_record_keeps_every_value_and_rewrites_only_what_it_is_asked_to() {
        let mut a = AutoCommit::new();
        let rec = a.put_object(ROOT, "rec", ObjType::Map).expect("map");
        a.put(&rec, "by", "old-me").expect("put");
        a.put(&rec, "count", 3).expect("put");
        a.put(&rec, "done", true).expect("put");
        let scores = a.put_object(&rec, "scores", ObjType::Map).expect("map");
        a.put(&scores, "by", "old-me").expect("nested");
        let t = a.put_object(&rec, "notes", ObjType::Text).expect("text");
        a.splice_text(&t, 0, 0, "hello").expect("splice");
        let l = a.put_object(&rec, "items", ObjType::List).expect("list");
        a.insert(&l, 0, "one").expect("insert");
        let mut b = AutoCommit::new();
        let to = b.put_object(ROOT, "rec", ObjType::Map).expect("map");
        copy_fields(&a, &rec, &mut b, &to, &["done"], &|k, v| {
            (k == "by" && v == "old-me").then(|| "new-me".to_string())
        })
        .expect("copy");
        assert_eq!(get_str(&b, &to, "by").as_deref(), Some("new-me"));
        assert_eq!(get_i64(&b, &to, "count"), Some(3));
        assert!(!get_bool(&b, &to, "done"), "skipped");
        let s = map(&b, &to, "scores").expect("scores");
        assert_eq!(get_str(&b, &s, "by").as_deref(), Some("old-me"), "nested values are copied as they are");
        assert_eq!(get_str(&b, &to, "notes").as_deref(), Some("hello"));
        let Ok(Some((Value::Object(ObjType::List), list))) = b.get(&to, "items") else { panic!("no list") };
        assert_eq!(b.length(&list), 1);
    }
}
