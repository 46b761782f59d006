//! Coaching meetings with standard agendas, their shared notes, action items
//! that come out of them, and the reconciliation list a meeting opens with.

use super::Kept;
use crate::agenda::Agenda;
use crate::docs::coaching::{self, Meeting};
use crate::docs::DocId;
use crate::error::{CoreError, Result};
use crate::model::{clean_text, parse_date, ActionItem, ActionStatus, Role};
use crate::service::ActionFilter;
use serde::{Deserialize, Serialize};

/// A meeting as opened: its agenda and what to reconcile first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OpenedMeeting {
    /// The meeting.
    pub meeting: Meeting,
    /// Its agenda with coaching questions.
    pub agenda: Agenda,
    /// Action items to reconcile: done (with result), carried over, or dropped.
    pub reconcile: Vec<ActionItem>,
}

impl Kept {
    /// Meetings with a rep (me, for a rep), newest first.
    pub fn meetings(&self, rep: Option<&str>) -> Result<Vec<Meeting>> {
        let rep = self.resolve_rep(rep)?;
        let mut v = match self.store.load(&DocId::coaching(&rep.id))? {
            Some(mut d) => {
                let heads: Vec<String> = d.get_heads().iter().map(|h| h.to_string()).collect();
                let mut v = coaching::meetings(&d, &rep.id)?;
                for m in &mut v {
                    m.notes_heads.clone_from(&heads);
                }
                v
            }
            None => Vec::new(),
        };
        // The managers' ratings live in the review document once it exists.
        if let Some(r) = self.store.load(&DocId::review(&rep.id))? {
            let ratings = coaching::manager_ratings(&r)?;
            for m in &mut v {
                m.manager_rating = ratings.get(&m.id).copied();
            }
        }
        v.sort_by(|a, b| b.date.cmp(&a.date).then(b.id.cmp(&a.id)));
        Ok(v)
    }

    /// Action items of a rep to reconcile: every open item due by today, and
    /// every open item that came out of the last meeting.
    pub fn reconciliation(&self, rep: Option<&str>) -> Result<Vec<ActionItem>> {
        let who = self.resolve_rep(rep)?;
        let today = self.today()?;
        let last = self.meetings(Some(&who.id))?.into_iter().next().map(|m| m.id);
        let filter = ActionFilter { status: Some(ActionStatus::Open), rep: Some(who.id.clone()) };
        let items = if self.me().role.reads_team() {
            self.action_items(&filter)?
        } else {
            self.action_items(&ActionFilter { status: Some(ActionStatus::Open), rep: None })?
        };
        Ok(items
            .into_iter()
            .filter(|a| a.rep == who.id && (a.due <= today || Some(&a.source) == last.as_ref()))
            .collect())
    }

    /// Opens a meeting of `kind` with a rep (managers; a rep may open their own).
    pub fn open_meeting(&mut self, rep: Option<&str>, kind: &str, date: Option<&str>) -> Result<OpenedMeeting> {
        let who = self.resolve_rep(rep)?;
        let agenda = self.agenda(kind)?;
        let reconcile = self.reconciliation(Some(&who.id))?;
        let now = self.clock.now();
        let date = match date {
            Some(d) => parse_date("meeting date", d)?,
            None => now.with_timezone(&self.team()?.tz()).date_naive(),
        };
        let meeting = Meeting {
            id: self.ids.uuid_at(now).to_string(),
            rep: who.id.clone(),
            kind: kind.to_string(),
            date: date.format("%Y-%m-%d").to_string(),
            agenda: agenda.items.join("\n"),
            notes: String::new(),
            created_by: self.me().id.clone(),
            rep_rating: None,
            rep_comment: None,
            manager_rating: None,
            notes_heads: Vec::new(),
            notes_by: Default::default(),
        };
        self.store
            .write(|tx| tx.edit(&DocId::coaching(&who.id), now.timestamp(), |d| coaching::add_meeting(d, &meeting)))?;
        // As read back: with the heads an edit of its notes starts from.
        let meeting = self.meetings(Some(&who.id))?.into_iter().find(|m| m.id == meeting.id).unwrap_or(meeting);
        Ok(OpenedMeeting { meeting, agenda, reconcile })
    }

    fn meeting(&self, id: &str) -> Result<Meeting> {
        for m in self.reps()?.iter().flat_map(|r| self.meetings(Some(&r.id)).unwrap_or_default()) {
            if m.id == id {
                return Ok(m);
            }
        }
        Err(CoreError::NotFound(format!("no meeting with id {id}: `kept meeting list` lists them")))
    }

    /// Replaces a meeting's shared notes.
    pub fn meeting_notes(&mut self, id: &str, notes: &str) -> Result<Meeting> {
        let m = self.meeting(id)?;
        if notes.chars().count() > 20_000 {
            return Err(CoreError::invalid("notes are too long: at most 20000 characters"));
        }
        let time = self.now_secs();
        let (by, at) = (self.me().id.clone(), self.clock.now().to_rfc3339());
        self.store.write(|tx| {
            tx.edit(&DocId::coaching(&m.rep), time, |d| {
                coaching::set_meeting_notes(d, id, notes)?;
                coaching::note_writer(d, id, &by, &at)
            })
        })?;
        self.meeting(id)
    }

    /// Applies my edit of a meeting's notes — from `base` (the text I was
    /// shown, with its `notes_heads`) to `notes` — onto the notes as they are
    /// now: what the other side typed meanwhile stays (the app's notes box
    /// saves this way while both sides type).
    pub fn meeting_notes_edit(&mut self, id: &str, base: &str, base_heads: &[String], notes: &str) -> Result<Meeting> {
        let m = self.meeting(id)?;
        if notes.chars().count() > 20_000 {
            return Err(CoreError::invalid("notes are too long: at most 20000 characters"));
        }
        let heads: Vec<automerge::ChangeHash> = base_heads.iter().filter_map(|h| h.parse().ok()).collect();
        let time = self.now_secs();
        let (by, at) = (self.me().id.clone(), self.clock.now().to_rfc3339());
        self.store.write(|tx| {
            tx.edit(&DocId::coaching(&m.rep), time, |d| {
                coaching::edit_meeting_notes(d, id, base, &heads, notes)?;
                coaching::note_writer(d, id, &by, &at)
            })
        })?;
        self.meeting(id)
    }

    /// Rates a meeting, 1 (a waste of time) to 5 (very useful): the rep's
    /// rating, with an optional comment, when the rep rates; the manager's own
    /// rating of the same meeting when a manager does. Rating again replaces it.
    pub fn rate_meeting(&mut self, id: &str, rating: i64, comment: Option<&str>) -> Result<Meeting> {
        let m = self.meeting(id)?;
        if !(1..=5).contains(&rating) {
            return Err(CoreError::invalid(format!("bad rating {rating}: from 1 (not useful) to 5 (very useful)")));
        }
        let by_rep = self.me().id == m.rep;
        if !by_rep && self.me().role != Role::Manager {
            return Err(CoreError::NotAllowed("only the rep and their managers rate a meeting".into()));
        }
        let comment = comment.map(str::trim).filter(|c| !c.is_empty());
        if let Some(c) = comment {
            if !by_rep {
                return Err(CoreError::invalid("the comment is the rep's; a manager rates with a number only"));
            }
            clean_text("comment", c, 1000)?;
        }
        let time = self.now_secs();
        if by_rep {
            self.store.write(|tx| {
                tx.edit(&DocId::coaching(&m.rep), time, |d| coaching::rate_meeting(d, id, true, rating, comment))
            })?;
        } else {
            let (by, at) = (self.me().id.clone(), self.clock.now().to_rfc3339());
            self.edit_review(&m.rep, time, |d| coaching::put_manager_rating(d, id, rating, &by, &at))?;
        }
        self.meeting(id)
    }

    /// An action item that comes out of a meeting (owner: the rep unless named).
    pub fn meeting_action(&mut self, meeting: &str, text: &str, due: &str, owner: Option<&str>) -> Result<ActionItem> {
        let m = self.meeting(meeting)?;
        let text = clean_text("action item text", text, 500)?;
        self.add_action_from(&text, due, Some(owner.unwrap_or(&m.rep)), Some(&m.rep), meeting)
    }
}
