//! A rep's log for one week: the activities whose time fell in that week when
//! they were logged. An activity edited to another day stays in the document
//! it was created in (the views place it by its time), so no record ever moves
//! between documents. Deletion is a tombstone (`deleted: true`).

use super::{get_bool, map, put_opt_i64, put_opt_str, record};
use crate::error::{CoreError, Result};
use crate::model::{Activity, ActivityInput, Kare, MAX_COUNT, MAX_DURATION_MIN};
use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType, ReadDoc, ScalarValueRef, ValueRef, ROOT};

/// Every live (not deleted), well-formed activity in the document; `rep` is
/// its subject. One pass over the collection and one over each record's
/// fields (a first pull reads every activity of a year this way). A record
/// with a field of the wrong type or out of range is left out (see
/// [`malformed`]); the document itself is never changed.
pub fn read(doc: &impl ReadDoc, rep: &str) -> Result<Vec<Activity>> {
    Ok(read_all(doc, rep)?.into_iter().filter_map(|(a, bad)| bad.is_none().then_some(a)).collect())
}

/// The live records of the document that are left out of the views, with why
/// (for `kept doctor`).
pub fn malformed(doc: &impl ReadDoc, rep: &str) -> Result<Vec<(String, String)>> {
    Ok(read_all(doc, rep)?.into_iter().filter_map(|(a, bad)| bad.map(|why| (a.id, why))).collect())
}

fn read_all(doc: &impl ReadDoc, rep: &str) -> Result<Vec<(Activity, Option<String>)>> {
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

/// One live, well-formed activity by id.
pub fn read_one(doc: &impl ReadDoc, rep: &str, id: &str) -> Result<Option<Activity>> {
    let coll = map(doc, &ROOT, "activities")?;
    Ok(record(doc, &coll, id)?
        .and_then(|o| read_fields(doc, &o, rep, id.to_string()))
        .and_then(|(a, bad)| bad.is_none().then_some(a)))
}

/// Why a stored activity cannot be shown, if it cannot: the ranges a tap is
/// held to (`model::MAX_COUNT`, `model::MAX_DURATION_MIN`, a time in RFC 3339
/// from the year 2000 on, a type).
fn check(a: &Activity) -> Option<String> {
    if a.kind.trim().is_empty() {
        return Some("it has no activity type".into());
    }
    match chrono::DateTime::parse_from_rfc3339(&a.occurred_at) {
        Err(_) => return Some(format!("its time '{}' is not an RFC 3339 time", a.occurred_at)),
        Ok(t) if chrono::Datelike::year(&t) < 2000 => {
            return Some(format!("its time '{}' is before 2000", a.occurred_at))
        }
        Ok(_) => {}
    }
    if !(1..=MAX_COUNT).contains(&a.count) {
        return Some(format!("its count {} is outside 1–{MAX_COUNT}", a.count));
    }
    if let Some(d) = a.duration_min.filter(|d| !(0..=MAX_DURATION_MIN).contains(d)) {
        return Some(format!("its duration {d} is outside 0–{MAX_DURATION_MIN} minutes"));
    }
    None
}

fn read_fields(doc: &impl ReadDoc, o: &automerge::ObjId, rep: &str, id: String) -> Option<(Activity, Option<String>)> {
    let mut a = Activity::blank(id, rep);
    let mut bad: Option<String> = None;
    for f in doc.map_range(o, ..) {
        // Collaborative Text (what other Automerge implementations write by
        // default) reads like a scalar string.
        let text = match f.value {
            ValueRef::Object(ObjType::Text) => doc.text(f.id()).ok(),
            _ => None,
        };
        let v = match (&f.value, &text) {
            (_, Some(t)) => ScalarValueRef::Str(t.as_str().into()),
            (ValueRef::Scalar(v), None) => v.clone(),
            _ => continue,
        };
        let int = |v: &ScalarValueRef<'_>| match v {
            ScalarValueRef::Int(i) | ScalarValueRef::Counter(i) => Some(*i),
            ScalarValueRef::Uint(u) => i64::try_from(*u).ok(),
            _ => None,
        };
        match (f.key.as_ref(), &v) {
            ("deleted", ScalarValueRef::Boolean(true)) => return None,
            ("deleted", _) => {}
            ("count", v) => match int(v) {
                Some(c) => a.count = c,
                None => bad = Some(format!("its count is a {}, not an integer", kind_of(v))),
            },
            ("duration_min", ScalarValueRef::Null) => {}
            ("duration_min", v) => match int(v) {
                Some(d) => a.duration_min = Some(d),
                None => bad = Some(format!("its duration is a {}, not an integer", kind_of(v))),
            },
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
            ("type" | "occurred_at", v) => bad = Some(format!("its {} is a {}, not a string", f.key, kind_of(v))),
            _ => {}
        }
    }
    let bad = bad.or_else(|| check(&a));
    Some((a, bad))
}

fn kind_of(v: &ScalarValueRef<'_>) -> &'static str {
    match v {
        ScalarValueRef::Str(_) => "string",
        ScalarValueRef::Int(_) | ScalarValueRef::Uint(_) | ScalarValueRef::Counter(_) => "number",
        ScalarValueRef::F64(_) => "float",
        ScalarValueRef::Boolean(_) => "boolean",
        ScalarValueRef::Null => "null",
        ScalarValueRef::Timestamp(_) => "timestamp",
        _ => "value of another kind",
    }
}

/// True when the document holds a live activity with this id.
pub fn has(doc: &impl ReadDoc, id: &str) -> Result<bool> {
    let coll = map(doc, &ROOT, "activities")?;
    Ok(match record(doc, &coll, id)? {
        Some(o) => !get_bool(doc, &o, "deleted"),
        None => false,
    })
}

/// The log's map of activity records.
pub fn activities(doc: &impl ReadDoc) -> Result<ObjId> {
    map(doc, &ROOT, "activities")
}

/// Creates an activity in `coll`, the log's [`activities`] map. `a` must be
/// complete and validated.
pub fn insert(doc: &mut AutoCommit, coll: &ObjId, a: &Activity) -> Result<()> {
    let o = doc.put_object(coll, a.id.as_str(), ObjType::Map)?;
    doc.put(&o, "type", a.kind.as_str())?;
    doc.put(&o, "occurred_at", a.occurred_at.as_str())?;
    doc.put(&o, "count", a.count)?;
    doc.put(&o, "logged_by", a.logged_by.as_str())?;
    // A fresh record: an absent field is simply not written (nothing to
    // delete, and no lookup per empty field on the tap's path).
    if let Some(k) = a.kare {
        doc.put(&o, "kare", k.as_str())?;
    }
    if let Some(d) = a.duration_min {
        doc.put(&o, "duration_min", d)?;
    }
    for (key, v) in [("outcome", &a.outcome), ("account", &a.account), ("deal", &a.deal), ("note", &a.note)] {
        if let Some(v) = v {
            doc.put(&o, key, v.as_str())?;
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docs::{genesis, DocId};

    const M: &str = "0190f0a0-0000-7000-8000-000000000001";

    /// Records as another Automerge implementation might write them.
    #[test]
    fn foreign_text_is_read_and_malformed_records_are_left_out_and_named() {
        let mut d = genesis(&DocId::log(M, "2026-W48".parse().expect("week"))).expect("genesis");
        let coll = map(&d, &ROOT, "activities").expect("activities");
        let text = |d: &mut AutoCommit, o: &automerge::ObjId, k: &str, v: &str| {
            let t = d.put_object(o, k, ObjType::Text).expect("text");
            d.splice_text(&t, 0, 0, v).expect("splice");
        };
        let ok = d.put_object(&coll, "01900000-0000-7000-8000-000000000001", ObjType::Map).expect("rec");
        text(&mut d, &ok, "type", "call");
        text(&mut d, &ok, "occurred_at", "2026-11-24T10:00:00+01:00");
        d.put(&ok, "count", 2).expect("put");
        let bad_count = d.put_object(&coll, "01900000-0000-7000-8000-000000000002", ObjType::Map).expect("rec");
        d.put(&bad_count, "type", "call").expect("put");
        d.put(&bad_count, "occurred_at", "2026-11-24T10:00:00+01:00").expect("put");
        d.put(&bad_count, "count", "5").expect("put");
        let bad_time = d.put_object(&coll, "01900000-0000-7000-8000-000000000003", ObjType::Map).expect("rec");
        d.put(&bad_time, "type", "call").expect("put");
        d.put(&bad_time, "occurred_at", "yesterday").expect("put");
        let too_many = d.put_object(&coll, "01900000-0000-7000-8000-000000000004", ObjType::Map).expect("rec");
        d.put(&too_many, "type", "call").expect("put");
        d.put(&too_many, "occurred_at", "2026-11-24T10:00:00Z").expect("put");
        d.put(&too_many, "count", 1_000_000).expect("put");
        d.commit();
        let shown = read(&d, M).expect("read");
        assert_eq!(shown.len(), 1, "{shown:?}");
        assert_eq!((shown[0].kind.as_str(), shown[0].count), ("call", 2));
        assert_eq!(shown[0].occurred_at, "2026-11-24T10:00:00+01:00");
        let bad = malformed(&d, M).expect("malformed");
        let why: Vec<&str> = bad.iter().map(|(_, w)| w.as_str()).collect();
        assert_eq!(bad.len(), 3, "{why:?}");
        assert!(why[0].contains("count is a string"), "{why:?}");
        assert!(why[1].contains("not an RFC 3339 time"), "{why:?}");
        assert!(why[2].contains("outside 1–1000"), "{why:?}");
    }
}
