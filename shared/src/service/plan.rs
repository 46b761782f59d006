//! Targets: standing weekly targets and one-week overrides per rep and type.

use super::Kept;
use crate::docs::{self, DocId};
use crate::error::{CoreError, Result};
use crate::week::Week;
use std::collections::BTreeMap;

const MAX_TARGET: i64 = 10_000;

impl Kept {
    /// Sets a weekly target for `kind`: standing from this week on, or for
    /// `week` only. For me, or (managers) for the rep named `rep`.
    pub fn set_target(&mut self, kind: &str, count: i64, rep: Option<&str>, week: Option<Week>) -> Result<()> {
        match week {
            Some(w) => self.write_target(kind, count, rep, false, w),
            None => {
                let w = self.current_week()?;
                self.write_target(kind, count, rep, true, w)
            }
        }
    }

    /// Sets a standing weekly target that applies from week `from` on.
    pub fn set_standing_target(&mut self, kind: &str, count: i64, rep: Option<&str>, from: Week) -> Result<()> {
        self.write_target(kind, count, rep, true, from)
    }

    fn write_target(&mut self, kind: &str, count: i64, rep: Option<&str>, standing: bool, week: Week) -> Result<()> {
        let rep = self.resolve_rep(rep)?;
        self.team()?.activity_type(kind)?;
        if !(0..=MAX_TARGET).contains(&count) {
            return Err(CoreError::invalid(format!("bad target {count}: must be between 0 and {MAX_TARGET}")));
        }
        let now = self.clock.now();
        let (me, at) = (self.me().id.clone(), now.to_rfc3339());
        self.store.write(|tx| {
            tx.edit(&DocId::plan(&rep.id), now.timestamp(), |d| {
                docs::plan::set_target(d, standing, week, kind, count, &me, &at)
            })
        })
    }

    /// The targets that apply to a rep in a week (default: me, this week).
    pub fn targets(&self, rep: Option<&str>, week: Option<Week>) -> Result<BTreeMap<String, i64>> {
        let rep = self.resolve_rep(rep)?;
        let week = match week {
            Some(w) => w,
            None => self.current_week()?,
        };
        self.store.targets_for(&rep.id, week)
    }
}

impl Kept {
    /// The rep's own conversion ratios over the last 12 complete weeks (and
    /// their closed deals), with team defaults where history is too thin.
    pub fn ratios(&self, rep: Option<&str>) -> Result<crate::funnel::Ratios> {
        use crate::funnel::{ratio, Ratios};
        let rep = self.resolve_rep(rep)?;
        let this = self.current_week()?;
        let t = self.trends(Some(this.plus(-1)), 12)?;
        let row = t.rows.iter().find(|r| r.rep == rep.id);
        let sum = |k: &str| row.and_then(|r| r.series.get(k)).map(|s| s.iter().sum::<i64>()).unwrap_or(0);
        let (won, lost) = self.store.won_lost(&rep.id)?;
        Ok(Ratios {
            connect: ratio(sum("conversation"), sum("call"), 0),
            meeting: ratio(sum("meeting-set"), sum("conversation"), 1),
            proposal: ratio(sum("proposal"), sum("meeting-set"), 2),
            win: ratio(won, won + lost, 3),
        })
    }

    /// The reverse-funnel plan for a goal, with this rep's ratios.
    pub fn plan_goal(&self, goal: crate::funnel::Goal, rep: Option<&str>) -> Result<crate::funnel::Plan> {
        crate::funnel::plan(goal, self.ratios(rep)?)
    }

    /// The goal agreed for a rep (me by default), if any.
    pub fn agreed_goal(&self, rep: Option<&str>) -> Result<Option<docs::plan::AgreedGoal>> {
        let who = self.resolve_rep(rep)?;
        match self.store.load(&DocId::plan(&who.id))? {
            Some(doc) => docs::plan::goal(&doc),
            None => Ok(None),
        }
    }

    /// Agrees a plan: its weekly targets become standing targets from this
    /// week on, and the goal is recorded in the plan document as agreed by me, now.
    pub fn agree_plan(&mut self, plan: &crate::funnel::Plan, rep: Option<&str>) -> Result<()> {
        let who = self.resolve_rep(rep)?;
        let week = self.current_week()?;
        for t in &plan.targets {
            self.set_standing_target(&t.kind, t.count, Some(&who.id), week)?;
        }
        let now = self.clock.now();
        let (me, at, g) = (self.me().id.clone(), now.to_rfc3339(), plan.goal);
        self.store
            .write(|tx| tx.edit(&DocId::plan(&who.id), now.timestamp(), |d| docs::plan::set_goal(d, &g, &me, &at)))
    }
}
