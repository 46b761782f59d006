//! Development plans: per rep, the skills to build (each linked to an
//! assessment criterion, with the latest scores beside it), goals, and
//! milestones with dates. Milestones are action items with source
//! `development`, so an overdue one shows up like any overdue action item —
//! in the action list, the reconciliation list and the warning signs.
//! The rep and their managers both edit the plan; it is reviewed at 1-on-1s.

use super::Kept;
use crate::docs::coaching::{self, DevEntry};
use crate::docs::DocId;
use crate::error::{CoreError, Result};
use crate::model::{clean_text, ActionItem, ActionStatus, Member};
use crate::service::ActionFilter;
use serde::{Deserialize, Serialize};

/// The source recorded on milestone action items.
pub const MILESTONE: &str = "development";

/// A skill in the plan with where the rep stands on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SkillView {
    /// The plan entry.
    pub entry: DevEntry,
    /// The manager's latest score (0–4).
    pub manager: Option<i64>,
    /// The rep's latest self-score.
    pub own: Option<i64>,
}

/// A weak criterion (the manager scored it fair or lower) not in the plan yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SuggestedSkill {
    /// Interaction type.
    pub interaction: String,
    /// Criterion key.
    pub criterion: String,
    /// The manager's latest score (0–4).
    pub manager: i64,
}

/// A rep's development plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DevPlan {
    /// The rep.
    pub rep: Member,
    /// Skills to build.
    pub skills: Vec<SkillView>,
    /// Goals.
    pub goals: Vec<DevEntry>,
    /// Milestones (open first, by date).
    pub milestones: Vec<ActionItem>,
    /// Open milestones past their date.
    pub overdue: Vec<ActionItem>,
    /// Criteria the rep scores lowest on (manager's latest score ≤ fair) and
    /// that are not in the plan yet, weakest first.
    pub suggested: Vec<SuggestedSkill>,
}

impl Kept {
    fn plan_owner(&self, rep: Option<&str>) -> Result<Member> {
        let who = self.resolve_rep(rep)?;
        if who.id != self.me().id && !self.me().role.reads_team() {
            return Err(CoreError::NotAllowed("only the rep and their managers edit a development plan".into()));
        }
        Ok(who)
    }

    /// A rep's development plan (default: mine).
    pub fn dev_plan(&self, rep: Option<&str>) -> Result<DevPlan> {
        let who = self.plan_owner(rep)?;
        let entries = match self.store.load(&DocId::coaching(&who.id))? {
            Some(d) => coaching::dev_entries(&d)?,
            None => Vec::new(),
        };
        let mut skills = Vec::new();
        let mut goals = Vec::new();
        for e in entries {
            if e.kind == "skill" {
                let interaction = e.interaction.clone().unwrap_or_default();
                let view = self
                    .assessment_map(Some(&who.id), &interaction)
                    .unwrap_or_default()
                    .into_iter()
                    .find(|c| c.criterion == e.text);
                skills.push(SkillView {
                    manager: view.as_ref().and_then(|v| v.manager),
                    own: view.and_then(|v| v.own),
                    entry: e,
                });
            } else {
                goals.push(e);
            }
        }
        let mut suggested = Vec::new();
        for interaction in self.interactions()? {
            for c in self.assessment_map(Some(&who.id), &interaction).unwrap_or_default() {
                let planned = skills
                    .iter()
                    .any(|s| s.entry.text == c.criterion && s.entry.interaction.as_ref() == Some(&interaction));
                if let (Some(m), false) = (c.manager, planned) {
                    if m <= 2 {
                        suggested.push(SuggestedSkill {
                            interaction: interaction.clone(),
                            criterion: c.criterion,
                            manager: m,
                        });
                    }
                }
            }
        }
        suggested.sort_by(|a, b| {
            a.manager.cmp(&b.manager).then(a.interaction.cmp(&b.interaction)).then(a.criterion.cmp(&b.criterion))
        });
        let today = self.today()?;
        let filter =
            ActionFilter { status: None, rep: if self.me().role.reads_team() { Some(who.id.clone()) } else { None } };
        let mut milestones: Vec<ActionItem> =
            self.action_items(&filter)?.into_iter().filter(|a| a.rep == who.id && a.source == MILESTONE).collect();
        milestones.sort_by(|a, b| {
            (a.status != ActionStatus::Open).cmp(&(b.status != ActionStatus::Open)).then(a.due.cmp(&b.due))
        });
        let overdue = milestones.iter().filter(|m| m.status == ActionStatus::Open && m.due < today).cloned().collect();
        Ok(DevPlan { rep: who, skills, goals, milestones, overdue, suggested })
    }

    /// Adds a skill to build, linked to an assessment criterion.
    pub fn dev_add_skill(&mut self, rep: Option<&str>, interaction: &str, criterion: &str) -> Result<DevEntry> {
        let who = self.plan_owner(rep)?;
        let criteria = self.criteria(interaction)?;
        if !criteria.iter().any(|c| c == criterion) {
            return Err(CoreError::invalid(format!(
                "unknown criterion '{criterion}' for {interaction}: expected one of {}",
                criteria.join(", ")
            )));
        }
        if self
            .dev_plan(Some(&who.id))?
            .skills
            .iter()
            .any(|s| s.entry.text == criterion && s.entry.interaction.as_deref() == Some(interaction))
        {
            return Err(CoreError::invalid(format!("{interaction} · {criterion} is already in the plan")));
        }
        self.add_dev_entry(&who, "skill", Some(interaction), criterion)
    }

    /// Adds a development goal in words.
    pub fn dev_add_goal(&mut self, rep: Option<&str>, text: &str) -> Result<DevEntry> {
        let who = self.plan_owner(rep)?;
        let text = clean_text("goal", text, 300)?;
        self.add_dev_entry(&who, "goal", None, &text)
    }

    /// Adds a milestone with a date (an action item owned by the rep).
    pub fn dev_add_milestone(&mut self, rep: Option<&str>, text: &str, due: &str) -> Result<ActionItem> {
        let who = self.plan_owner(rep)?;
        self.add_action_from(text, due, Some(&who.id), Some(&who.id), MILESTONE)
    }

    /// Marks a goal reached (`done`) or open again.
    pub fn dev_goal_done(&mut self, id: &str, done: bool) -> Result<DevEntry> {
        let (who, e) = self.find_dev_entry(id)?;
        if e.kind != "goal" {
            return Err(CoreError::invalid("only a goal is marked reached; remove a skill once it is built"));
        }
        let time = self.now_secs();
        self.store.write(|tx| {
            tx.edit(&DocId::coaching(&who.id), time, |d| coaching::update_dev_entry(d, id, Some(done), false))
        })?;
        Ok(DevEntry { done, ..e })
    }

    /// Removes a skill or a goal from the plan.
    pub fn dev_remove(&mut self, id: &str) -> Result<()> {
        let (who, _) = self.find_dev_entry(id)?;
        let time = self.now_secs();
        self.store
            .write(|tx| tx.edit(&DocId::coaching(&who.id), time, |d| coaching::update_dev_entry(d, id, None, true)))
    }

    fn find_dev_entry(&self, id: &str) -> Result<(Member, DevEntry)> {
        let reps = if self.me().role.reads_team() { self.reps()? } else { vec![self.me().clone()] };
        for r in reps {
            if let Some(d) = self.store.load(&DocId::coaching(&r.id))? {
                if let Some(e) = coaching::dev_entries(&d)?.into_iter().find(|e| e.id == id) {
                    return Ok((r, e));
                }
            }
        }
        Err(CoreError::NotFound(format!("no development plan entry {id}: `kept dev show` lists them")))
    }

    fn add_dev_entry(&mut self, who: &Member, kind: &str, interaction: Option<&str>, text: &str) -> Result<DevEntry> {
        let now = self.clock.now();
        let e = DevEntry {
            id: self.ids.uuid_at(now).to_string(),
            kind: kind.into(),
            interaction: interaction.map(String::from),
            text: text.to_string(),
            by: self.me().id.clone(),
            at: now.to_rfc3339(),
            done: false,
        };
        let doc = DocId::coaching(&who.id);
        self.store.write(|tx| {
            tx.ensure_root_map(&doc, "development")?;
            tx.edit(&doc, now.timestamp(), |d| coaching::add_dev_entry(d, &e))
        })?;
        Ok(e)
    }

    /// Today's date in the team's time zone (YYYY-MM-DD).
    pub(crate) fn today(&self) -> Result<String> {
        Ok(self.clock.now().with_timezone(&self.team()?.tz()).date_naive().format("%Y-%m-%d").to_string())
    }
}
