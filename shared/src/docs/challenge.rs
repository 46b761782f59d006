//! Practice challenges (docs/FORMAT.md §7.10): a challenge lives in the rep's
//! coaching document (`challenges`), set by a manager, answered by the rep
//! with a recording that travels as a blob beside the document (only its
//! hash, size, type and length are in the record); managers' comments,
//! anchored to moments of the recording, live in the rep's review document
//! (`challenge_comments`), which only managers write. Scores are manager
//! assessments with a `challenge` field, so they feed the rep's trends.

use super::{get_bool, get_i64, get_str, map, record, record_ids};
use crate::error::Result;
use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ReadDoc, ROOT};
use serde::{Deserialize, Serialize};

/// The coaching document's root map of challenges.
pub const CHALLENGES: &str = "challenges";
/// The review document's root map of comments.
pub const COMMENTS: &str = "challenge_comments";

/// The recorded answer, as the document describes it (the bytes are a blob).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Answer {
    /// SHA-256 of the recording (hex): the blob's name.
    pub hash: String,
    /// Its size in bytes.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub size: i64,
    /// Its media type (`audio/webm`, `audio/wav`, `video/mp4`, …).
    pub mime: String,
    /// Its length in milliseconds, when the recorder knew it.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub ms: Option<i64>,
    /// When it was submitted (RFC 3339).
    pub at: String,
}

/// One challenge as its record holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Challenge {
    /// UUIDv7 (the same id in every rep's copy of a team challenge is not
    /// used: each copy has its own id and shares `group`).
    pub id: String,
    /// What the manager asks, e.g. "Open a call with a positioning statement".
    pub prompt: String,
    /// The assessment map (interaction type) it is scored on.
    pub interaction: String,
    /// Due date (YYYY-MM-DD).
    pub due: String,
    /// Who set it (member id).
    pub by: String,
    /// When (RFC 3339).
    pub at: String,
    /// The id shared by the copies sent to several reps at once.
    pub group: String,
    /// True once the manager withdrew it.
    pub withdrawn: bool,
    /// The rep's answer, once submitted.
    pub answer: Option<Answer>,
}

/// A comment on an answer, at a moment of the recording.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Comment {
    /// UUIDv7.
    pub id: String,
    /// The challenge it is about.
    pub challenge: String,
    /// The moment (milliseconds into the recording).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub at_ms: i64,
    /// What the manager said.
    pub text: String,
    /// Who (member id).
    pub by: String,
    /// When (RFC 3339).
    pub at: String,
}

/// Every challenge of a coaching document (none before the root map exists).
pub fn challenges(doc: &impl ReadDoc) -> Result<Vec<Challenge>> {
    let Ok(coll) = map(doc, &ROOT, CHALLENGES) else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    for id in record_ids(doc, &coll) {
        let Some(o) = record(doc, &coll, &id)? else { continue };
        let answer = match (get_str(doc, &o, "answer_hash"), get_i64(doc, &o, "answer_size")) {
            (Some(hash), Some(size)) => Some(Answer {
                hash,
                size,
                mime: get_str(doc, &o, "answer_mime").unwrap_or_default(),
                ms: get_i64(doc, &o, "answer_ms"),
                at: get_str(doc, &o, "answered_at").unwrap_or_default(),
            }),
            _ => None,
        };
        out.push(Challenge {
            prompt: get_str(doc, &o, "prompt").unwrap_or_default(),
            interaction: get_str(doc, &o, "interaction").unwrap_or_default(),
            due: get_str(doc, &o, "due").unwrap_or_default(),
            by: get_str(doc, &o, "by").unwrap_or_default(),
            at: get_str(doc, &o, "at").unwrap_or_default(),
            group: get_str(doc, &o, "group").unwrap_or_default(),
            withdrawn: get_bool(doc, &o, "withdrawn"),
            answer,
            id,
        });
    }
    out.sort_by(|a, b| a.due.cmp(&b.due).then(a.at.cmp(&b.at)).then(a.id.cmp(&b.id)));
    Ok(out)
}

/// Adds a challenge (no answer yet). The root map must exist.
pub fn add_challenge(doc: &mut AutoCommit, c: &Challenge) -> Result<()> {
    let coll = map(doc, &ROOT, CHALLENGES)?;
    let o = doc.put_object(&coll, c.id.as_str(), ObjType::Map)?;
    doc.put(&o, "prompt", c.prompt.as_str())?;
    doc.put(&o, "interaction", c.interaction.as_str())?;
    doc.put(&o, "due", c.due.as_str())?;
    doc.put(&o, "by", c.by.as_str())?;
    doc.put(&o, "at", c.at.as_str())?;
    doc.put(&o, "group", c.group.as_str())?;
    Ok(())
}

/// Puts the rep's answer (each field a register: a second answer replaces the first).
pub fn put_answer(doc: &mut AutoCommit, id: &str, a: &Answer) -> Result<bool> {
    let coll = map(doc, &ROOT, CHALLENGES)?;
    let Some(o) = record(doc, &coll, id)? else { return Ok(false) };
    doc.put(&o, "answer_hash", a.hash.as_str())?;
    doc.put(&o, "answer_size", a.size)?;
    doc.put(&o, "answer_mime", a.mime.as_str())?;
    super::put_opt_i64(doc, &o, "answer_ms", a.ms)?;
    doc.put(&o, "answered_at", a.at.as_str())?;
    Ok(true)
}

/// Marks a challenge withdrawn (a tombstone: it stays withdrawn).
pub fn withdraw(doc: &mut AutoCommit, id: &str) -> Result<bool> {
    let coll = map(doc, &ROOT, CHALLENGES)?;
    let Some(o) = record(doc, &coll, id)? else { return Ok(false) };
    doc.put(&o, "withdrawn", true)?;
    Ok(true)
}

/// Every comment of a review document (none before the root map exists).
pub fn comments(doc: &impl ReadDoc) -> Result<Vec<Comment>> {
    let Ok(coll) = map(doc, &ROOT, COMMENTS) else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    for id in record_ids(doc, &coll) {
        let Some(o) = record(doc, &coll, &id)? else { continue };
        out.push(Comment {
            challenge: get_str(doc, &o, "challenge").unwrap_or_default(),
            at_ms: get_i64(doc, &o, "at_ms").unwrap_or_default(),
            text: get_str(doc, &o, "text").unwrap_or_default(),
            by: get_str(doc, &o, "by").unwrap_or_default(),
            at: get_str(doc, &o, "at").unwrap_or_default(),
            id,
        });
    }
    out.sort_by(|a, b| a.at_ms.cmp(&b.at_ms).then(a.at.cmp(&b.at)));
    Ok(out)
}

/// Adds a comment (a new record: concurrent comments all survive).
pub fn add_comment(doc: &mut AutoCommit, c: &Comment) -> Result<()> {
    let coll = map(doc, &ROOT, COMMENTS)?;
    let o = doc.put_object(&coll, c.id.as_str(), ObjType::Map)?;
    doc.put(&o, "challenge", c.challenge.as_str())?;
    doc.put(&o, "at_ms", c.at_ms)?;
    doc.put(&o, "text", c.text.as_str())?;
    doc.put(&o, "by", c.by.as_str())?;
    doc.put(&o, "at", c.at.as_str())?;
    Ok(())
}

/// Marks manager assessment `id` (in a review document) as the scores of `challenge`.
pub fn tag_assessment(doc: &mut AutoCommit, id: &str, challenge: &str) -> Result<()> {
    let coll = map(doc, &ROOT, "assessments")?;
    if let Some(o) = record(doc, &coll, id)? {
        doc.put(&o, "challenge", challenge)?;
    }
    Ok(())
}

/// The challenge each assessment of a review document scores: assessment id → challenge id.
pub fn scored(doc: &impl ReadDoc) -> Result<std::collections::BTreeMap<String, String>> {
    let mut out = std::collections::BTreeMap::new();
    let Ok(coll) = map(doc, &ROOT, "assessments") else { return Ok(out) };
    for id in record_ids(doc, &coll) {
        let Some(o) = record(doc, &coll, &id)? else { continue };
        if let Some(c) = get_str(doc, &o, "challenge") {
            out.insert(id, c);
        }
    }
    Ok(out)
}
