//! A rep's coaching document: action items (and, later, meetings and
//! assessments), and the review document: what managers write about the rep
//! (their assessment scores and their ratings of 1-on-1s), which only managers
//! write and the rep reads. Shared between that rep and their managers only.
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
pub fn add_action(doc: &mut AutoCommit, a: &ActionItem, created_by: &str) -> Result<()> {
    let coll = map(doc, &ROOT, "action_items")?;
    let o = doc.put_object(&coll, a.id.as_str(), ObjType::Map)?;
    doc.put(&o, "owner", a.owner.as_str())?;
    doc.put(&o, "text", a.text.as_str())?;
    doc.put(&o, "due", a.due.as_str())?;
    doc.put(&o, "status", a.status.as_str())?;
    doc.put(&o, "source", a.source.as_str())?;
    doc.put(&o, "created_at", a.created_at.as_str())?;
    doc.put(&o, "created_by", created_by)?;
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

/// A coaching meeting (notes shared between the rep and their managers).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Meeting {
    /// UUIDv7.
    pub id: String,
    /// The rep.
    pub rep: String,
    /// Meeting type key.
    pub kind: String,
    /// Date (YYYY-MM-DD).
    pub date: String,
    /// The agenda as held (one item a line).
    pub agenda: String,
    /// Shared notes.
    pub notes: String,
    /// Who created it.
    pub created_by: String,
    /// The rep's rating of the meeting: how useful, 1–5.
    #[serde(default)]
    pub rep_rating: Option<i64>,
    /// The rep's optional comment with the rating.
    #[serde(default)]
    pub rep_comment: Option<String>,
    /// The manager's own rating of the same meeting, 1–5.
    #[serde(default)]
    pub manager_rating: Option<i64>,
    /// The heads (change hashes, hex) of the coaching document these notes
    /// were read at: an edit sent back with them is applied onto whatever
    /// the other side typed since ([`edit_meeting_notes`]).
    #[serde(default)]
    pub notes_heads: Vec<String>,
    /// Who has written in the notes: member id → when they last did (RFC 3339).
    #[serde(default)]
    pub notes_by: std::collections::BTreeMap<String, String>,
}

/// Every meeting in the document.
pub fn meetings(doc: &impl ReadDoc, rep: &str) -> Result<Vec<Meeting>> {
    let coll = map(doc, &ROOT, "meetings")?;
    let mut out = Vec::new();
    for id in record_ids(doc, &coll) {
        let Some(o) = record(doc, &coll, &id)? else { continue };
        out.push(Meeting {
            rep: rep.to_string(),
            kind: get_str(doc, &o, "type").unwrap_or_default(),
            date: get_str(doc, &o, "date").unwrap_or_default(),
            agenda: get_str(doc, &o, "agenda").unwrap_or_default(),
            notes: get_str(doc, &o, "notes").unwrap_or_default(),
            created_by: get_str(doc, &o, "created_by").unwrap_or_default(),
            rep_rating: super::get_i64(doc, &o, "rep_rating"),
            rep_comment: get_str(doc, &o, "rep_comment"),
            manager_rating: super::get_i64(doc, &o, "manager_rating"),
            notes_heads: Vec::new(),
            notes_by: record(doc, &o, "notes_by")?
                .map(|w| {
                    record_ids(doc, &w).into_iter().filter_map(|k| Some((k.clone(), get_str(doc, &w, &k)?))).collect()
                })
                .unwrap_or_default(),
            id,
        });
    }
    Ok(out)
}

/// Adds a meeting.
pub fn add_meeting(doc: &mut AutoCommit, m: &Meeting) -> Result<()> {
    let coll = map(doc, &ROOT, "meetings")?;
    let o = doc.put_object(&coll, m.id.as_str(), ObjType::Map)?;
    doc.put(&o, "type", m.kind.as_str())?;
    doc.put(&o, "date", m.date.as_str())?;
    doc.put(&o, "agenda", m.agenda.as_str())?;
    // Collaborative text from the start: the creator's change makes the one
    // Text object, and both sides only splice into it afterwards.
    let notes = doc.put_object(&o, "notes", ObjType::Text)?;
    doc.splice_text(&notes, 0, 0, m.notes.as_str())?;
    doc.put(&o, "created_by", m.created_by.as_str())?;
    Ok(())
}

/// Changes a meeting's notes to `notes` by the smallest edits of its
/// collaborative text (the rep and the manager typing at once both keep
/// what they wrote). Notes stored as a plain string by an older version are
/// turned into text first (FORMAT.md §7.5).
pub fn set_meeting_notes(doc: &mut AutoCommit, id: &str, notes: &str) -> Result<()> {
    let text = notes_text(doc, id)?;
    doc.update_text(&text, notes)?;
    Ok(())
}

/// The Text object of a meeting's notes (a plain string from an older
/// version becomes Text first).
fn notes_text(doc: &mut AutoCommit, id: &str) -> Result<automerge::ObjId> {
    let coll = map(doc, &ROOT, "meetings")?;
    let o = record(doc, &coll, id)?.ok_or_else(|| CoreError::NotFound(format!("no meeting with id {id}")))?;
    Ok(match doc.get(&o, "notes")? {
        Some((automerge::Value::Object(ObjType::Text), t)) => t,
        _ => {
            let legacy = get_str(doc, &o, "notes").unwrap_or_default();
            let t = doc.put_object(&o, "notes", ObjType::Text)?;
            doc.splice_text(&t, 0, 0, &legacy)?;
            t
        }
    })
}

/// Records that `by` wrote in a meeting's notes at `at` (a key per member in
/// `notes_by`: the rep's and the manager's entries never overwrite each other).
pub fn note_writer(doc: &mut AutoCommit, id: &str, by: &str, at: &str) -> Result<()> {
    let coll = map(doc, &ROOT, "meetings")?;
    let o = record(doc, &coll, id)?.ok_or_else(|| CoreError::NotFound(format!("no meeting with id {id}")))?;
    let w = match record(doc, &o, "notes_by")? {
        Some(w) => w,
        None => doc.put_object(&o, "notes_by", ObjType::Map)?,
    };
    doc.put(&w, by, at)?;
    Ok(())
}

/// Applies one device's edit of a meeting's notes — from `base` (the text it
/// showed, read at `base_heads`) to `notes` — onto the notes as they are now,
/// so what the other side typed meanwhile (merged in from the relay) stays.
/// The edit is the one splice between `base` and `notes` (common prefix and
/// suffix), placed with Automerge cursors taken at `base_heads`. When the
/// notes did not change underneath, or the heads are not in this document,
/// it is the smallest edits to `notes` ([`set_meeting_notes`]).
pub fn edit_meeting_notes(
    doc: &mut AutoCommit,
    id: &str,
    base: &str,
    base_heads: &[automerge::ChangeHash],
    notes: &str,
) -> Result<()> {
    let text = notes_text(doc, id)?;
    let now = doc.text(&text)?;
    let known = !base_heads.is_empty()
        && base_heads.iter().all(|h| doc.get_change_by_hash(h).is_some())
        && doc.text_at(&text, base_heads).is_ok_and(|t| t == base)
        && doc.text_encoding() == automerge::TextEncoding::UnicodeCodePoint;
    if now == base || !known {
        doc.update_text(&text, notes)?;
        return Ok(());
    }
    let (start, end, insert) = one_splice(base, notes);
    let at = |doc: &AutoCommit, index: usize| -> Result<usize> {
        // The position just after the character at `index` of `base`, now.
        let c = doc.get_cursor_moving(&text, index, Some(base_heads), automerge::MoveCursor::Before)?;
        Ok(doc.get_cursor_position(&text, &c, None)? + 1)
    };
    let from = if start == 0 { 0 } else { at(doc, start - 1)? };
    let to = if end == start { from } else { at(doc, end - 1)?.max(from) };
    let del = isize::try_from(to - from).unwrap_or(isize::MAX);
    doc.splice_text(&text, from, del, &insert)?;
    Ok(())
}

/// The one splice turning `a` into `b`: (start, end) in characters of `a`
/// and the text put there — what is between their common prefix and suffix.
fn one_splice(a: &str, b: &str) -> (usize, usize, String) {
    let (ac, bc): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let pre = ac.iter().zip(&bc).take_while(|(x, y)| x == y).count();
    let max_suf = ac.len().min(bc.len()) - pre;
    let suf = ac.iter().rev().zip(bc.iter().rev()).take(max_suf).take_while(|(x, y)| x == y).count();
    (pre, ac.len() - suf, bc[pre..bc.len() - suf].iter().collect())
}

/// Records a rating of a meeting: the rep's (with an optional comment) or the manager's.
pub fn rate_meeting(doc: &mut AutoCommit, id: &str, by_rep: bool, rating: i64, comment: Option<&str>) -> Result<()> {
    let coll = map(doc, &ROOT, "meetings")?;
    let o = record(doc, &coll, id)?.ok_or_else(|| CoreError::NotFound(format!("no meeting with id {id}")))?;
    if by_rep {
        doc.put(&o, "rep_rating", rating)?;
        put_opt_str(doc, &o, "rep_comment", comment)?;
    } else {
        doc.put(&o, "manager_rating", rating)?;
    }
    Ok(())
}

/// One entry of a rep's development plan: a skill to build (linked to an
/// assessment criterion) or a goal. Milestones are action items with source
/// `development`, so an overdue one shows up like any overdue action item.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DevEntry {
    /// UUIDv7.
    pub id: String,
    /// `skill` or `goal`.
    pub kind: String,
    /// Skills: the interaction type of the criterion.
    pub interaction: Option<String>,
    /// Skills: the criterion; goals: the goal in words.
    pub text: String,
    /// Who added it.
    pub by: String,
    /// When (RFC 3339).
    pub at: String,
    /// Open or reached (goals).
    pub done: bool,
}

/// The rep's development plan entries (collection `development`, if present).
pub fn dev_entries(doc: &impl ReadDoc) -> Result<Vec<DevEntry>> {
    let Ok(coll) = map(doc, &ROOT, "development") else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    for id in record_ids(doc, &coll) {
        let Some(o) = record(doc, &coll, &id)? else { continue };
        out.push(DevEntry {
            kind: get_str(doc, &o, "type").unwrap_or_default(),
            interaction: get_str(doc, &o, "interaction"),
            text: get_str(doc, &o, "text").unwrap_or_default(),
            by: get_str(doc, &o, "by").unwrap_or_default(),
            at: get_str(doc, &o, "at").unwrap_or_default(),
            done: super::get_bool(doc, &o, "done"),
            id,
        });
    }
    out.sort_by(|a, b| a.at.cmp(&b.at).then(a.id.cmp(&b.id)));
    Ok(out)
}

/// Adds a development plan entry (the collection must exist).
pub fn add_dev_entry(doc: &mut AutoCommit, e: &DevEntry) -> Result<()> {
    let coll = map(doc, &ROOT, "development")?;
    let o = doc.put_object(&coll, e.id.as_str(), ObjType::Map)?;
    doc.put(&o, "type", e.kind.as_str())?;
    put_opt_str(doc, &o, "interaction", e.interaction.as_deref())?;
    doc.put(&o, "text", e.text.as_str())?;
    doc.put(&o, "by", e.by.as_str())?;
    doc.put(&o, "at", e.at.as_str())?;
    doc.put(&o, "done", e.done)?;
    Ok(())
}

/// Marks a goal reached (or not), or removes an entry.
pub fn update_dev_entry(doc: &mut AutoCommit, id: &str, done: Option<bool>, remove: bool) -> Result<()> {
    let coll = map(doc, &ROOT, "development")?;
    let o = record(doc, &coll, id)?.ok_or_else(|| CoreError::NotFound(format!("no development plan entry {id}")))?;
    if remove {
        doc.delete(&coll, id)?;
    } else if let Some(d) = done {
        doc.put(&o, "done", d)?;
    }
    Ok(())
}

/// An assessment of an interaction on the assessment map.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Assessment {
    /// UUIDv7.
    pub id: String,
    /// The rep assessed.
    pub rep: String,
    /// Interaction type key.
    pub interaction: String,
    /// True for the rep's self-assessment.
    pub by_self: bool,
    /// Who scored.
    pub by: String,
    /// When (RFC 3339).
    pub at: String,
    /// Criterion → score 0 (not present) … 4 (excellent).
    pub scores: std::collections::BTreeMap<String, i64>,
}

/// Every assessment in the document.
pub fn assessments(doc: &impl ReadDoc, rep: &str) -> Result<Vec<Assessment>> {
    let coll = map(doc, &ROOT, "assessments")?;
    let mut out = Vec::new();
    for id in record_ids(doc, &coll) {
        let Some(o) = record(doc, &coll, &id)? else { continue };
        let mut scores = std::collections::BTreeMap::new();
        if let Some(s) = record(doc, &o, "scores")? {
            for k in record_ids(doc, &s) {
                if let Some(v) = super::get_i64(doc, &s, &k) {
                    scores.insert(k, v);
                }
            }
        }
        out.push(Assessment {
            rep: rep.to_string(),
            interaction: get_str(doc, &o, "interaction").unwrap_or_default(),
            by_self: super::get_bool(doc, &o, "self"),
            by: get_str(doc, &o, "by").unwrap_or_default(),
            at: get_str(doc, &o, "at").unwrap_or_default(),
            scores,
            id,
        });
    }
    Ok(out)
}

/// Adds an assessment (scores are a map, one register per criterion).
pub fn add_assessment(doc: &mut AutoCommit, a: &Assessment) -> Result<()> {
    let coll = map(doc, &ROOT, "assessments")?;
    let o = doc.put_object(&coll, a.id.as_str(), ObjType::Map)?;
    doc.put(&o, "interaction", a.interaction.as_str())?;
    doc.put(&o, "self", a.by_self)?;
    doc.put(&o, "by", a.by.as_str())?;
    doc.put(&o, "at", a.at.as_str())?;
    let s = doc.put_object(&o, "scores", ObjType::Map)?;
    for (k, v) in &a.scores {
        doc.put(&s, k.as_str(), *v)?;
    }
    Ok(())
}

/// The managers' ratings of meetings in a review document: meeting id → 1–5.
pub fn manager_ratings(doc: &impl ReadDoc) -> Result<std::collections::BTreeMap<String, i64>> {
    let coll = map(doc, &ROOT, "ratings")?;
    let mut out = std::collections::BTreeMap::new();
    for id in record_ids(doc, &coll) {
        let Some(o) = record(doc, &coll, &id)? else { continue };
        if let Some(r) = super::get_i64(doc, &o, "rating") {
            out.insert(id, r);
        }
    }
    Ok(out)
}

/// Records a manager's rating of meeting `meeting` in a review document.
pub fn put_manager_rating(doc: &mut AutoCommit, meeting: &str, rating: i64, by: &str, at: &str) -> Result<()> {
    let coll = map(doc, &ROOT, "ratings")?;
    let o = match record(doc, &coll, meeting)? {
        Some(o) => o,
        None => doc.put_object(&coll, meeting, ObjType::Map)?,
    };
    doc.put(&o, "rating", rating)?;
    doc.put(&o, "by", by)?;
    doc.put(&o, "at", at)?;
    Ok(())
}

/// Moves what managers wrote about the rep in a coaching document written
/// before review documents existed (their assessments and ratings) into a new
/// review document. Runs once, when a manager first writes the review.
pub fn carry_into_review(coaching: &impl ReadDoc, review: &mut AutoCommit, rep: &str) -> Result<()> {
    for a in assessments(coaching, rep)?.into_iter().filter(|a| !a.by_self) {
        add_assessment(review, &a)?;
    }
    for m in meetings(coaching, rep)? {
        if let Some(r) = m.manager_rating {
            put_manager_rating(review, &m.id, r, &m.created_by, &m.date)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_stored_as_a_plain_string_become_text_on_the_next_edit_and_keep_their_words() {
        let mut doc = crate::docs::genesis(&crate::docs::DocId::coaching("01900000-0000-7000-8000-00000000000a"))
            .expect("genesis");
        let coll = map(&doc, &ROOT, "meetings").expect("meetings");
        let o = doc.put_object(&coll, "m1", ObjType::Map).expect("meeting");
        doc.put(&o, "type", "one-on-one").expect("type");
        doc.put(&o, "date", "2026-11-18").expect("date");
        doc.put(&o, "notes", "Old notes.").expect("legacy string");
        set_meeting_notes(&mut doc, "m1", "Old notes. New line.").expect("edit");
        assert!(matches!(doc.get(&o, "notes"), Ok(Some((automerge::Value::Object(ObjType::Text), _)))));
        assert_eq!(meetings(&doc, "r").expect("read")[0].notes, "Old notes. New line.");
    }
}

/// The review document's root map of notes on warning signs.
pub const SIGN_NOTES: &str = "sign_notes";

/// A manager's note acknowledging a warning sign for a week: the sign leaves
/// the short list for that week and the note stays in the rep's coaching
/// record (docs/FORMAT.md §7.6).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SignNote {
    /// UUIDv7.
    pub id: String,
    /// The sign's kind (`missed-pattern`, `activity-drop`, …).
    pub kind: String,
    /// The team week it was acknowledged for (YYYY-Www).
    pub week: String,
    /// What the manager noted.
    pub note: String,
    /// The sign's text when it was acknowledged.
    pub message: String,
    /// Who (member id).
    pub by: String,
    /// When (RFC 3339).
    pub at: String,
}

/// Every note on signs of a review document, oldest first (none before the root map exists).
pub fn sign_notes(doc: &impl ReadDoc) -> Result<Vec<SignNote>> {
    let Ok(coll) = map(doc, &ROOT, SIGN_NOTES) else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    for id in record_ids(doc, &coll) {
        let Some(o) = record(doc, &coll, &id)? else { continue };
        out.push(SignNote {
            kind: get_str(doc, &o, "kind").unwrap_or_default(),
            week: get_str(doc, &o, "week").unwrap_or_default(),
            note: get_str(doc, &o, "note").unwrap_or_default(),
            message: get_str(doc, &o, "message").unwrap_or_default(),
            by: get_str(doc, &o, "by").unwrap_or_default(),
            at: get_str(doc, &o, "at").unwrap_or_default(),
            id,
        });
    }
    out.sort_by(|a, b| a.at.cmp(&b.at).then(a.id.cmp(&b.id)));
    Ok(out)
}

/// Adds a note on a sign (a new record: two managers' notes both survive).
pub fn add_sign_note(doc: &mut AutoCommit, n: &SignNote) -> Result<()> {
    let coll = map(doc, &ROOT, SIGN_NOTES)?;
    let o = doc.put_object(&coll, n.id.as_str(), ObjType::Map)?;
    doc.put(&o, "kind", n.kind.as_str())?;
    doc.put(&o, "week", n.week.as_str())?;
    doc.put(&o, "note", n.note.as_str())?;
    doc.put(&o, "message", n.message.as_str())?;
    doc.put(&o, "by", n.by.as_str())?;
    doc.put(&o, "at", n.at.as_str())?;
    Ok(())
}
