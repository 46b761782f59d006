//! Practice challenges: a manager asks ("Open a call with a positioning
//! statement"), the rep answers with a recording — offline if need be — and
//! the manager plays it, scores it on the assessment map and comments on
//! moments of it; the rep sees the feedback. The recording is a blob
//! (`sync::blobs`); scores are manager assessments tagged with the
//! challenge, so they feed the rep's trends and development plan.

use super::Kept;
use crate::docs::challenge::{self, Answer, Challenge, Comment};
use crate::docs::coaching::{self, Assessment};
use crate::docs::DocId;
use crate::error::{CoreError, Result};
use crate::model::{clean_text, parse_date, Member, Role};
use crate::records::MAX_RECORDING_MS;
use crate::store::blobs::LocalBlob;
use kept_protocol::blob::{check_mime, MAX_BLOB_BYTES};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Where a challenge stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ChallengeState {
    /// Waiting for the rep's answer.
    Open,
    /// Past its due date without an answer.
    Overdue,
    /// Answered, waiting for the manager's scores.
    Answered,
    /// Scored.
    Reviewed,
    /// Withdrawn by the manager.
    Withdrawn,
}

/// A comment with its author's name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CommentView {
    /// The comment.
    pub comment: Comment,
    /// Its author's name.
    pub by_name: String,
}

/// A challenge as a screen shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ChallengeView {
    /// The record.
    pub challenge: Challenge,
    /// The rep it was set for (member id).
    pub rep: String,
    /// The rep's name.
    pub rep_name: String,
    /// Who set it, by name.
    pub by_name: String,
    /// Where it stands.
    pub state: ChallengeState,
    /// The map's criteria (what it is scored on).
    pub criteria: Vec<String>,
    /// The manager's latest scores of the answer (criterion → 0–4).
    pub scores: BTreeMap<String, i64>,
    /// Who scored, by name (empty before).
    pub scored_by: String,
    /// Comments on moments of the recording, in recording order.
    pub comments: Vec<CommentView>,
    /// The recording's bytes are on this device.
    pub here: bool,
    /// The relay holds the recording (for the rep's own answers: sent).
    pub sent: bool,
    /// Why the relay refused the recording, if it did.
    pub problem: Option<String>,
}

/// What `challenge_set` is asked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NewChallenge {
    /// The question or task.
    pub prompt: String,
    /// The assessment map (interaction type) it is scored on.
    pub interaction: String,
    /// Due date (YYYY-MM-DD).
    pub due: String,
    /// Reps by name or id; empty: every rep of the team.
    pub reps: Vec<String>,
}

/// Guesses a recording's media type from its file name.
pub fn mime_of(path: &std::path::Path) -> Option<&'static str> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    Some(match ext.as_str() {
        "webm" => "audio/webm",
        "ogg" | "oga" | "opus" => "audio/ogg",
        "wav" => "audio/wav",
        "mp3" => "audio/mpeg",
        "m4a" | "aac" => "audio/mp4",
        "mp4" | "m4v" => "video/mp4",
        "mov" => "video/quicktime",
        "3gp" => "video/3gpp",
        _ => return None,
    })
}

impl Kept {
    /// Sets a challenge for one rep, several, or the whole team (managers).
    /// Each rep gets their own copy (in their coaching document); the copies
    /// share a group id.
    pub fn challenge_set(&mut self, new: &NewChallenge) -> Result<Vec<ChallengeView>> {
        self.require_manager("set a practice challenge")?;
        let prompt = clean_text("the challenge", &new.prompt, 2000)?;
        let interaction = new.interaction.trim().to_string();
        let criteria = self.criteria(&interaction)?;
        if criteria.is_empty() {
            return Err(CoreError::invalid(format!("'{interaction}' has no assessment map to score the answer on")));
        }
        let due = parse_date("due date", &new.due)?.format("%Y-%m-%d").to_string();
        let reps: Vec<Member> = if new.reps.is_empty() {
            self.reps()?
        } else {
            new.reps.iter().map(|r| self.member_named(r)).collect::<Result<_>>()?
        };
        if let Some(m) = reps.iter().find(|m| m.role != Role::Rep) {
            return Err(CoreError::invalid(format!("{} is not a rep: challenges are for reps", m.name)));
        }
        if reps.is_empty() {
            return Err(CoreError::invalid("the team has no reps yet to challenge"));
        }
        let now = self.clock.now();
        let group = self.ids.uuid_at(now).to_string();
        let mut ids = Vec::new();
        for rep in &reps {
            let c = Challenge {
                id: self.ids.uuid_at(now).to_string(),
                prompt: prompt.clone(),
                interaction: interaction.clone(),
                due: due.clone(),
                by: self.me().id.clone(),
                at: now.to_rfc3339(),
                group: group.clone(),
                withdrawn: false,
                answer: None,
            };
            let doc = DocId::coaching(&rep.id);
            self.store.write(|tx| {
                tx.ensure_root_map(&doc, challenge::CHALLENGES)?;
                tx.edit(&doc, now.timestamp(), |d| challenge::add_challenge(d, &c))
            })?;
            ids.push((rep.id.clone(), c.id));
        }
        let mut out = Vec::new();
        for (rep, id) in ids {
            out.push(self.challenge(Some(&rep), &id)?);
        }
        Ok(out)
    }

    /// Challenges, newest due last: a rep's own; a manager's of one rep or
    /// (with `None`) of every rep. Withdrawn ones are left out.
    pub fn challenges(&self, rep: Option<&str>) -> Result<Vec<ChallengeView>> {
        let reps = match rep {
            Some(_) => vec![self.resolve_rep(rep)?],
            None => self.reps()?,
        };
        let mut out = Vec::new();
        for r in reps {
            out.extend(self.challenges_of(&r)?.into_iter().filter(|v| v.state != ChallengeState::Withdrawn));
        }
        out.sort_by(|a, b| a.challenge.due.cmp(&b.challenge.due).then(a.rep_name.cmp(&b.rep_name)));
        Ok(out)
    }

    /// One challenge of a rep (`rep` None: mine).
    pub fn challenge(&self, rep: Option<&str>, id: &str) -> Result<ChallengeView> {
        let who = self.resolve_rep(rep)?;
        self.challenges_of(&who)?
            .into_iter()
            .find(|v| v.challenge.id == id)
            .ok_or_else(|| CoreError::NotFound(format!("no challenge {id} for {}", who.name)))
    }

    fn challenges_of(&self, rep: &Member) -> Result<Vec<ChallengeView>> {
        let Some(doc) = self.store.load(&DocId::coaching(&rep.id))? else { return Ok(Vec::new()) };
        let list = challenge::challenges(&doc)?;
        if list.is_empty() {
            return Ok(Vec::new());
        }
        let (mut comments, mut scores): (Vec<Comment>, Vec<(String, Assessment)>) = (Vec::new(), Vec::new());
        if let Some(review) = self.store.load(&DocId::review(&rep.id))? {
            comments = challenge::comments(&review)?;
            let tags = challenge::scored(&review)?;
            for a in coaching::assessments(&review, &rep.id)? {
                if let Some(c) = tags.get(&a.id) {
                    scores.push((c.clone(), a));
                }
            }
            scores.sort_by(|a, b| a.1.at.cmp(&b.1.at));
        }
        let blobs: BTreeMap<String, LocalBlob> = self.store.blobs()?.into_iter().map(|b| (b.hash.clone(), b)).collect();
        let names: BTreeMap<String, String> = self.members()?.into_iter().map(|m| (m.id, m.name)).collect();
        let name = |id: &str| names.get(id).cloned().unwrap_or_else(|| "a former member".into());
        let today = self.today()?;
        let mut out = Vec::new();
        for c in list {
            let latest = scores.iter().rev().find(|(id, _)| *id == c.id).map(|(_, a)| a);
            let state = if c.withdrawn {
                ChallengeState::Withdrawn
            } else if latest.is_some() {
                ChallengeState::Reviewed
            } else if c.answer.is_some() {
                ChallengeState::Answered
            } else if c.due < today {
                ChallengeState::Overdue
            } else {
                ChallengeState::Open
            };
            let blob = c.answer.as_ref().and_then(|a| blobs.get(&a.hash));
            let here = c.answer.as_ref().is_some_and(|a| self.store.blob_file(&a.hash).is_some());
            out.push(ChallengeView {
                rep: rep.id.clone(),
                rep_name: rep.name.clone(),
                by_name: name(&c.by),
                state,
                criteria: self.criteria(&c.interaction).unwrap_or_default(),
                scores: latest.map(|a| a.scores.clone()).unwrap_or_default(),
                scored_by: latest.map(|a| name(&a.by)).unwrap_or_default(),
                comments: comments
                    .iter()
                    .filter(|m| m.challenge == c.id)
                    .map(|m| CommentView { by_name: name(&m.by), comment: m.clone() })
                    .collect(),
                here,
                // Someone else's answer reached this device through the relay.
                sent: blob.map_or(c.answer.is_some() && rep.id != self.me().id, |b| b.sent),
                problem: blob.and_then(|b| b.problem.clone()),
                challenge: c,
            });
        }
        Ok(out)
    }

    /// Answers one of my challenges with a recording (reps; works offline):
    /// the bytes are kept on this device and queued for the relay, the
    /// answer's description goes into the challenge, all before this returns.
    /// Answering again replaces the answer.
    pub fn challenge_answer(&mut self, id: &str, bytes: &[u8], mime: &str, ms: Option<i64>) -> Result<ChallengeView> {
        let me = self.me().clone();
        let current = self.challenge(None, id)?;
        if current.state == ChallengeState::Withdrawn {
            return Err(CoreError::invalid("this challenge was withdrawn by your manager"));
        }
        if bytes.is_empty() {
            return Err(CoreError::invalid("the recording is empty: record again"));
        }
        if bytes.len() as u64 > MAX_BLOB_BYTES {
            return Err(CoreError::invalid(format!(
                "the recording is {} MB; at most {} MB can be sent — record a shorter answer",
                bytes.len() / 1_000_000,
                MAX_BLOB_BYTES / 1_000_000
            )));
        }
        let mime = mime.trim();
        check_mime(mime).map_err(|e| CoreError::invalid(e.to_string()))?;
        if let Some(ms) = ms {
            if !(0..=MAX_RECORDING_MS).contains(&ms) {
                return Err(CoreError::invalid(format!("a recording of {ms} ms is not believable")));
            }
        }
        let hash = self.store.put_blob_bytes(bytes)?;
        let now = self.clock.now();
        let doc = DocId::coaching(&me.id);
        let answer =
            Answer { hash: hash.clone(), size: bytes.len() as i64, mime: mime.into(), ms, at: now.to_rfc3339() };
        let row = LocalBlob {
            hash,
            doc: doc.to_string(),
            size: bytes.len() as u64,
            mime: mime.into(),
            mine: true,
            sent: false,
            problem: None,
        };
        self.store.write(|tx| {
            tx.keep_blob(&row, &answer.at)?;
            tx.edit(&doc, now.timestamp(), |d| challenge::put_answer(d, id, &answer))
        })?;
        self.challenge(None, id)
    }

    /// Like [`Kept::challenge_answer`], from a file (its type from the name unless given).
    pub fn challenge_answer_file(
        &mut self,
        id: &str,
        path: &std::path::Path,
        mime: Option<&str>,
        ms: Option<i64>,
    ) -> Result<ChallengeView> {
        let mime = match mime {
            Some(m) => m.to_string(),
            None => mime_of(path).map(str::to_string).ok_or_else(|| {
                CoreError::invalid(format!(
                    "cannot tell what kind of recording {} is: give --type, e.g. audio/webm",
                    path.display()
                ))
            })?,
        };
        let len = std::fs::metadata(path)
            .map_err(|e| CoreError::invalid(format!("cannot read {}: {e}", path.display())))?
            .len();
        if len > MAX_BLOB_BYTES {
            return Err(CoreError::invalid(format!(
                "{} is {} MB; at most {} MB can be sent",
                path.display(),
                len / 1_000_000,
                MAX_BLOB_BYTES / 1_000_000
            )));
        }
        let bytes = std::fs::read(path)?;
        self.challenge_answer(id, &bytes, &mime, ms)
    }

    /// Scores a rep's answer on the challenge's map (managers). The scores
    /// are an assessment of the rep, so they show in the rep's trends.
    pub fn challenge_score(&mut self, rep: &str, id: &str, scores: &[(String, String)]) -> Result<ChallengeView> {
        self.require_manager("score a practice challenge")?;
        let who = self.resolve_rep(Some(rep))?;
        let v = self.challenge(Some(&who.id), id)?;
        if v.challenge.answer.is_none() {
            return Err(CoreError::invalid(format!("{} has not answered this challenge yet", who.name)));
        }
        let map = self.scores_on(&v.challenge.interaction, scores)?;
        let now = self.clock.now();
        let a = Assessment {
            id: self.ids.uuid_at(now).to_string(),
            rep: who.id.clone(),
            interaction: v.challenge.interaction.clone(),
            by_self: false,
            by: self.me().id.clone(),
            at: now.to_rfc3339(),
            scores: map,
        };
        self.edit_review(&who.id, now.timestamp(), |d| {
            coaching::add_assessment(d, &a)?;
            challenge::tag_assessment(d, &a.id, id)
        })?;
        self.challenge(Some(&who.id), id)
    }

    /// Comments on a moment of a rep's answer (managers).
    pub fn challenge_comment(&mut self, rep: &str, id: &str, at_ms: i64, text: &str) -> Result<ChallengeView> {
        self.require_manager("comment on a practice challenge")?;
        let who = self.resolve_rep(Some(rep))?;
        let v = self.challenge(Some(&who.id), id)?;
        let Some(answer) = &v.challenge.answer else {
            return Err(CoreError::invalid(format!("{} has not answered this challenge yet", who.name)));
        };
        let end = answer.ms.unwrap_or(MAX_RECORDING_MS);
        if !(0..=end).contains(&at_ms) {
            return Err(CoreError::invalid(format!(
                "{} s is not a moment of the recording (it lasts {} s)",
                at_ms / 1000,
                end / 1000
            )));
        }
        let now = self.clock.now();
        let c = Comment {
            id: self.ids.uuid_at(now).to_string(),
            challenge: id.to_string(),
            at_ms,
            text: clean_text("comment", text, 2000)?,
            by: self.me().id.clone(),
            at: now.to_rfc3339(),
        };
        let review = DocId::review(&who.id);
        self.store.write(|tx| tx.ensure_root_map(&review, challenge::COMMENTS))?;
        self.edit_review(&who.id, now.timestamp(), |d| challenge::add_comment(d, &c))?;
        self.challenge(Some(&who.id), id)
    }

    /// Withdraws a challenge (managers); the rep no longer sees it.
    pub fn challenge_withdraw(&mut self, rep: &str, id: &str) -> Result<()> {
        self.require_manager("withdraw a practice challenge")?;
        let who = self.resolve_rep(Some(rep))?;
        self.challenge(Some(&who.id), id)?;
        let doc = DocId::coaching(&who.id);
        let time = self.now_secs();
        self.store.write(|tx| tx.edit(&doc, time, |d| challenge::withdraw(d, id)))?;
        Ok(())
    }

    /// The recording of an answer: on this device already, or downloaded
    /// from the relay now (a manager opening a rep's answer).
    pub fn challenge_recording(&mut self, rep: Option<&str>, id: &str) -> Result<(PathBuf, String)> {
        let v = self.challenge(rep, id)?;
        let Some(a) = v.challenge.answer else {
            return Err(CoreError::NotFound(format!("{} has not answered this challenge yet", v.rep_name)));
        };
        let size = u64::try_from(a.size).map_err(|_| CoreError::Document("a recording with a negative size".into()))?;
        let path = self.fetch_blob(&a.hash, &DocId::coaching(&v.rep).to_string(), size, &a.mime)?;
        Ok((path, a.mime))
    }

    /// Downloads answers that are not on this device yet (a manager's
    /// laptop, so they play at once when opened): answers waiting for review
    /// first, at most `limit`. Returns how many were fetched. Off when the
    /// device's setting says so ([`Kept::set_prefetch_recordings`]).
    pub fn prefetch_recordings(&mut self, limit: usize) -> Result<usize> {
        if !self.me().role.reads_team() || !self.prefetch_recordings_on()? {
            return Ok(0);
        }
        let mut todo: Vec<ChallengeView> =
            self.challenges(None)?.into_iter().filter(|v| v.challenge.answer.is_some() && !v.here).collect();
        todo.sort_by_key(|v| v.state != ChallengeState::Answered);
        let mut n = 0;
        for v in todo.into_iter().take(limit) {
            self.challenge_recording(Some(&v.rep), &v.challenge.id)?;
            n += 1;
        }
        Ok(n)
    }

    /// Does this device download answers ahead of time? (On unless turned off.)
    pub fn prefetch_recordings_on(&self) -> Result<bool> {
        Ok(self.store.meta("prefetch_recordings")?.as_deref() != Some("0"))
    }

    /// Turns downloading answers ahead of time on or off for this device
    /// (off on a metered connection).
    pub fn set_prefetch_recordings(&mut self, on: bool) -> Result<()> {
        self.store.set_meta("prefetch_recordings", if on { "1" } else { "0" })
    }
}
