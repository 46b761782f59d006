//! Logging, editing, deleting and listing activities; a rep's week; the board.

use super::Kept;
use crate::docs::{self, DocId};
use crate::error::{CoreError, Result};
use crate::metrics::{self, Board, Trends, WeekSummary};
use crate::model::{clean_text, parse_instant, Activity, ActivityInput, Member};
use crate::week::Week;
use chrono::Datelike;
use chrono::{DateTime, Utc, Weekday};

use crate::model::{MAX_COUNT, MAX_DURATION_MIN};
const MAX_TEXT: usize = 2000;

fn opt_text(what: &str, v: &Option<Option<String>>) -> Result<Option<Option<String>>> {
    Ok(match v {
        None => None,
        Some(None) => Some(None),
        Some(Some(s)) if s.trim().is_empty() => Some(None),
        Some(Some(s)) => Some(Some(clean_text(what, s, MAX_TEXT)?)),
    })
}

/// What a new activity takes from this device rather than from the input:
/// the clock its time is checked against, its fresh id, who logged it.
/// Borrowed beside the store ([`Kept::store_and_stamp`]), so a write can
/// check and build its records inside its own transaction.
pub(crate) struct Stamp<'a> {
    clock: &'a dyn crate::clock::Clock,
    ids: &'a crate::clock::IdSource,
    me: &'a Member,
}

impl Kept {
    /// This device's [`Stamp`].
    pub(crate) fn stamp(&self) -> Stamp<'_> {
        Stamp { clock: &*self.clock, ids: &self.ids, me: &self.me }
    }

    /// The store and this device's [`Stamp`], borrowed together.
    pub(crate) fn store_and_stamp(&mut self) -> (&mut crate::store::Store, Stamp<'_>) {
        (&mut self.store, Stamp { clock: &*self.clock, ids: &self.ids, me: &self.me })
    }

    /// Checks and normalises user input; `kind` and `occurred_at` are checked when present.
    pub(crate) fn check_input(&self, input: &ActivityInput) -> Result<ActivityInput> {
        self.stamp().check_input(&self.team()?, input)
    }
}

impl Stamp<'_> {
    /// [`Kept::check_input`] against settings already read.
    fn check_input(&self, team: &crate::model::TeamSettings, input: &ActivityInput) -> Result<ActivityInput> {
        let mut out = input.clone();
        if let Some(k) = &input.kind {
            team.activity_type(k)?;
        }
        if let Some(c) = input.count {
            if !(1..=MAX_COUNT).contains(&c) {
                return Err(CoreError::invalid(format!("bad count {c}: must be between 1 and {MAX_COUNT}")));
            }
        }
        if let Some(Some(d)) = input.duration_min {
            if !(0..=MAX_DURATION_MIN).contains(&d) {
                return Err(CoreError::invalid(format!(
                    "bad duration {d}: must be between 0 and {MAX_DURATION_MIN} minutes"
                )));
            }
        }
        if let Some(t) = &input.occurred_at {
            let at = parse_instant("time", t)?;
            if at.with_timezone(&Utc) > self.clock.now() + chrono::Duration::days(1) {
                return Err(CoreError::invalid(format!("bad time '{t}': an activity cannot be logged in the future")));
            }
            if at.year() < 2000 {
                return Err(CoreError::invalid(format!(
                    "bad time '{t}': activities before the year 2000 are not kept"
                )));
            }
            out.occurred_at = Some(at.to_rfc3339());
        }
        out.outcome = opt_text("outcome", &input.outcome)?;
        out.account = opt_text("account", &input.account)?;
        out.deal = opt_text("deal", &input.deal)?;
        out.note = opt_text("note", &input.note)?;
        Ok(out)
    }

    /// The record of a checked activity of `kind` for `rep` (its time given)
    /// and the log document it goes in: the ISO week of its time in the team's
    /// zone. Logging and import both build activities here.
    pub(crate) fn new_activity(
        &self,
        team: &crate::model::TeamSettings,
        rep: &str,
        kind: String,
        input: ActivityInput,
    ) -> Result<(DocId, Activity)> {
        let occurred_at = input.occurred_at.ok_or_else(|| CoreError::invalid("an activity needs its time"))?;
        let at: DateTime<Utc> = parse_instant("time", &occurred_at)?.with_timezone(&Utc);
        let kare = match input.kare {
            Some(k) => k,
            None => team.activity_type(&kind)?.default_kare,
        };
        let a = Activity {
            id: self.ids.uuid_at(self.clock.now()).to_string(),
            rep: rep.to_string(),
            kind,
            kare,
            occurred_at,
            count: input.count.unwrap_or(1),
            duration_min: input.duration_min.flatten(),
            outcome: input.outcome.flatten(),
            account: input.account.flatten(),
            deal: input.deal.flatten(),
            note: input.note.flatten(),
            logged_by: self.me.id.clone(),
        };
        Ok((DocId::log(rep, Week::of_instant(at, team.tz(), Weekday::Mon)), a))
    }
}

impl Kept {
    /// Logs an activity for me, or (managers) for the rep named `rep`.
    pub fn log_activity(&mut self, kind: &str, input: ActivityInput, rep: Option<&str>) -> Result<Activity> {
        let mut v = self.log_many(vec![(kind.to_string(), input)], rep)?;
        v.pop().ok_or_else(|| CoreError::Document("nothing was logged".into()))
    }

    /// Logs several activities in ONE transaction: all are checked first, and
    /// either all are stored or (on any error) none. They are checked inside
    /// that transaction, against the team's settings as it reads them (a tap
    /// opens no read transaction of its own before its write): so while
    /// another process holds the write lock, even a bad input waits for it.
    pub fn log_many(&mut self, entries: Vec<(String, ActivityInput)>, rep: Option<&str>) -> Result<Vec<Activity>> {
        let rep = self.resolve_rep(rep)?;
        let (store, stamp) = self.store_and_stamp();
        let now = stamp.clock.now();
        let time = now.timestamp();
        store.write(|tx| {
            let team = super::team_or_genesis(tx.team_settings()?)?;
            let tz = team.tz();
            let mut planned = Vec::with_capacity(entries.len());
            for (kind, input) in entries {
                let input = stamp.check_input(&team, &ActivityInput { kind: Some(kind.clone()), ..input })?;
                let input = ActivityInput {
                    occurred_at: Some(input.occurred_at.clone().unwrap_or_else(|| now.with_timezone(&tz).to_rfc3339())),
                    ..input
                };
                planned.push(stamp.new_activity(&team, &rep.id, kind, input)?);
            }
            for (doc, a) in &planned {
                tx.edit_new_activities(doc, time, &[a], |d, coll| docs::log::insert(d, coll, a))?;
            }
            Ok(planned.into_iter().map(|(_, a)| a).collect())
        })
    }

    /// One activity by id (must be visible to me).
    pub fn activity(&self, id: &str) -> Result<Activity> {
        let a = self
            .store
            .activity(id)?
            .ok_or_else(|| CoreError::NotFound(format!("no activity with id {id}: `kept activities` lists the ids")))?;
        if !self.me().role.reads_team() && a.rep != self.me().id {
            return Err(CoreError::NotAllowed(format!("activity {id} is another rep's")));
        }
        Ok(a)
    }

    fn activity_doc(&self, id: &str) -> Result<DocId> {
        self.activity(id)?;
        self.store.activity_doc(id)?.ok_or_else(|| CoreError::NotFound(format!("no activity with id {id}")))
    }

    /// Changes the fields of an activity that `input` names.
    pub fn edit_activity(&mut self, id: &str, input: ActivityInput) -> Result<Activity> {
        let doc = self.activity_doc(id)?;
        let input = self.check_input(&input)?;
        let time = self.now_secs();
        self.store.write(|tx| tx.edit_records(&doc, time, &[id], |d| docs::log::update(d, id, &input)))?;
        self.activity(id)
    }

    /// Deletes an activity.
    pub fn delete_activity(&mut self, id: &str) -> Result<()> {
        let doc = self.activity_doc(id)?;
        let time = self.now_secs();
        self.store.write(|tx| tx.edit_records(&doc, time, &[id], |d| docs::log::delete(d, id)))
    }

    /// Activities of a week (default: this week), for me or (managers) a named rep
    /// or, with `all_reps`, every rep, ordered by time.
    pub fn activities(&self, week: Option<Week>, rep: Option<&str>, all_reps: bool) -> Result<Vec<Activity>> {
        let team = self.team()?;
        let week = match week {
            Some(w) => w,
            None => self.current_week()?,
        };
        let (from, to) = week.bounds(team.tz(), team.week_start);
        let reps: Vec<Member> = if all_reps && rep.is_none() { self.reps()? } else { vec![self.resolve_rep(rep)?] };
        let mut out = Vec::new();
        for r in reps {
            out.extend(self.store.activities_between(Some(&r.id), from, to)?);
        }
        out.sort_by(|a, b| (a.occurred_at.as_str(), a.id.as_str()).cmp(&(b.occurred_at.as_str(), b.id.as_str())));
        Ok(out)
    }

    /// A rep's week against targets (default: me, this week).
    pub fn week_summary(&self, week: Option<Week>, rep: Option<&str>) -> Result<WeekSummary> {
        let rep = self.resolve_rep(rep)?;
        let week = match week {
            Some(w) => w,
            None => self.current_week()?,
        };
        let reader = if rep.id == self.me().id { metrics::Reader::Rep } else { metrics::Reader::About(&rep.name) };
        metrics::week_summary(&self.store, &self.team()?, &rep.id, &rep.name, week, self.clock.now(), reader)
    }

    /// The manager's board: every rep × activity type for a week.
    pub fn board(&self, week: Option<Week>) -> Result<Board> {
        self.require_team_reader("see the team board")?;
        let week = match week {
            Some(w) => w,
            None => self.current_week()?,
        };
        let reps: Vec<(String, String)> = self.reps()?.into_iter().map(|m| (m.id, m.name)).collect();
        metrics::board(&self.store, &self.team()?, &reps, week, self.clock.now())
    }

    /// Weekly counts for the `weeks` weeks ending with `week` (default: this
    /// week): every rep for a manager, myself for a rep.
    pub fn trends(&self, week: Option<Week>, weeks: usize) -> Result<Trends> {
        let week = match week {
            Some(w) => w,
            None => self.current_week()?,
        };
        let reps: Vec<(String, String)> = self.reps()?.into_iter().map(|m| (m.id, m.name)).collect();
        metrics::trends(&self.store, &self.team()?, &reps, week, weeks)
    }

    /// Warning signs for every rep (managers) or for me (reps), most serious first.
    pub fn signs(&self, rep: Option<&str>) -> Result<Vec<crate::signs::Sign>> {
        let reps: Vec<Member> = match rep {
            Some(r) => vec![self.resolve_rep(Some(r))?],
            None => self.reps()?,
        };
        let team = self.team()?;
        let now = self.clock.now();
        let week = self.current_week()?.to_string();
        let mut out = Vec::new();
        for r in reps {
            // This week's notes on the rep's signs mark those signs acknowledged.
            let notes = match self.store.load(&DocId::review(&r.id))? {
                Some(d) => crate::docs::coaching::sign_notes(&d)?,
                None => Vec::new(),
            };
            let mut signs = crate::signs::signs(&self.store, &team, &(r.id, r.name), now)?;
            for s in &mut signs {
                s.acknowledged =
                    notes.iter().rev().find(|n| n.week == week && n.kind == s.kind).map(|n| n.note.clone());
            }
            out.extend(signs);
        }
        out.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.name.cmp(&b.name)));
        Ok(out)
    }

    /// The signs to read first: at most three per rep, the most serious
    /// first ([`crate::signs::top`]), leaving out those a manager
    /// acknowledged this week; [`Kept::signs`] is the full list.
    pub fn top_signs(&self, rep: Option<&str>) -> Result<Vec<crate::signs::Sign>> {
        Ok(crate::signs::top(self.signs(rep)?.into_iter().filter(|s| s.acknowledged.is_none()).collect()))
    }

    /// Acknowledges a rep's warning sign for this week with a note (managers):
    /// the sign leaves the short list until next week, and the note goes into
    /// the rep's coaching record (their review document), never deleted.
    pub fn acknowledge_sign(&mut self, rep: &str, kind: &str, note: &str) -> Result<crate::docs::coaching::SignNote> {
        self.require_manager("acknowledge a warning sign")?;
        let who = self.resolve_rep(Some(rep))?;
        let note = crate::model::clean_text("note", note, 1000)?;
        let Some(sign) = self.signs(Some(&who.id))?.into_iter().find(|s| s.kind == kind) else {
            return Err(CoreError::NotFound(format!("{} has no '{kind}' sign this week", who.name)));
        };
        let now = self.clock.now();
        let n = crate::docs::coaching::SignNote {
            id: self.ids.uuid_at(now).to_string(),
            kind: kind.to_string(),
            week: self.current_week()?.to_string(),
            note,
            message: sign.message,
            by: self.me().id.clone(),
            at: now.to_rfc3339(),
        };
        let review = DocId::review(&who.id);
        self.store.write(|tx| tx.ensure_root_map(&review, crate::docs::coaching::SIGN_NOTES))?;
        self.edit_review(&who.id, now.timestamp(), |d| crate::docs::coaching::add_sign_note(d, &n))?;
        Ok(n)
    }

    /// A rep's notes on warning signs, newest first (the coaching record).
    pub fn sign_notes(&self, rep: Option<&str>) -> Result<Vec<crate::docs::coaching::SignNote>> {
        let who = self.resolve_rep(rep)?;
        let mut v = match self.store.load(&DocId::review(&who.id))? {
            Some(d) => crate::docs::coaching::sign_notes(&d)?,
            None => Vec::new(),
        };
        v.reverse();
        Ok(v)
    }

    /// Sets warning-sign thresholds (managers): `key=value` pairs.
    pub fn set_thresholds(&mut self, pairs: &[(String, i64)]) -> Result<crate::model::Thresholds> {
        self.require_manager("change warning-sign thresholds")?;
        let mut t = self.team()?.thresholds;
        for (k, v) in pairs {
            t.set(k, *v)?;
        }
        let time = self.now_secs();
        self.store.write(|tx| tx.edit(&DocId::team(), time, |doc| docs::team::set_thresholds(doc, &t)))?;
        Ok(self.team()?.thresholds)
    }
}
