//! 1-on-1 preparation for a rep: everything a manager needs in one place —
//! the week against targets and the team median, 12-week trends, KARE split
//! of effort vs closed sales, commitments kept, action items to reconcile,
//! warning signs, the latest assessment beside the self-assessment, and the
//! agenda with coaching questions.

use super::{Cadence, CriterionView, DevPlan, Kept};
use crate::agenda::Agenda;
use crate::error::Result;
use crate::metrics::{TrendRow, WeekSummary};
use crate::model::{ActionItem, ActionStatus, Member};
use crate::signs::Sign;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Everything for a 1-on-1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Prep {
    /// The rep.
    pub rep: Member,
    /// This week against targets.
    pub week: WeekSummary,
    /// This week's team median per activity type (the benchmark).
    pub team_median: BTreeMap<String, f64>,
    /// The rep's last 12 weeks.
    pub trends: Option<TrendRow>,
    /// Activity counts per KARE category over 12 weeks (effort).
    pub kare_effort: BTreeMap<String, i64>,
    /// Won deal amounts per KARE category (results).
    pub kare_closed: BTreeMap<String, i64>,
    /// Share of activity commitments kept over the last 4 weeks.
    pub commitments_kept: Option<f64>,
    /// Action items to reconcile.
    pub reconcile: Vec<ActionItem>,
    /// Warning signs.
    pub signs: Vec<Sign>,
    /// The latest assessment by a manager, side by side with the self-assessment.
    pub assessment: Option<LatestAssessment>,
    /// The meeting's agenda.
    pub agenda: Agenda,
    /// The rep's numbers over 12 weeks beside the team median.
    pub benchmarks: Vec<BenchmarkLine>,
    /// The development plan, reviewed at the 1-on-1.
    pub development: DevPlan,
    /// Coaching cadence and how the rep rated recent 1-on-1s.
    pub cadence: Option<Cadence>,
    /// Open deals, by expected close.
    pub deals: Vec<crate::model::Deal>,
    /// Every open action item of the rep, overdue first, then by due date.
    pub open_items: Vec<ActionItem>,
    /// This week's commitments and where they stand.
    pub commitments: Vec<super::CommitmentStatus>,
    /// What changed since the last 1-on-1 (none yet: `None`).
    pub since_last: Option<SinceLast>,
    /// Signs acknowledged with a note, newest first (the last five).
    #[serde(default)]
    pub sign_notes: Vec<crate::docs::coaching::SignNote>,
}

/// What changed since the last 1-on-1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SinceLast {
    /// The last 1-on-1's date (YYYY-MM-DD).
    pub date: String,
    /// Activities logged since, per type.
    pub activities: BTreeMap<String, i64>,
    /// Action items added since.
    pub items_added: usize,
    /// Action items of the last 1-on-1 now done.
    pub items_done: usize,
    /// Deals won since.
    pub deals_won: usize,
    /// Deals lost since.
    pub deals_lost: usize,
}

/// The assessment map of the interaction type a manager assessed last.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LatestAssessment {
    /// Interaction type.
    pub interaction: String,
    /// Manager's and self-scores per criterion.
    pub map: Vec<CriterionView>,
}

/// One benchmark metric: the rep's value beside the team median.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BenchmarkLine {
    /// Metric key (`call-per-week`, `win-rate`, …).
    pub key: String,
    /// Metric in words.
    pub label: String,
    /// The rep's value.
    pub rep: Option<f64>,
    /// The team median.
    pub median: Option<f64>,
}

impl Kept {
    /// Prepares a meeting of `kind` (default 1-on-1) with a rep.
    pub fn prep(&self, rep: Option<&str>, kind: Option<&str>) -> Result<Prep> {
        let who = self.resolve_rep(rep)?;
        let week = self.week_summary(None, Some(&who.id))?;
        let team_median = if self.me().role.reads_team() {
            let b = self.board(None)?;
            b.columns.iter().zip(b.median.iter()).map(|(c, m)| (c.key.clone(), *m)).collect()
        } else {
            BTreeMap::new()
        };
        let trends = self.trends(None, 12)?.rows.into_iter().find(|r| r.rep == who.id);
        // The same 12-week KARE split as the Pipeline tab (effort beside won amounts).
        let split = self.kare_split(Some(&who.id), false, 12)?;
        let (kare_effort, kare_closed) = (split.effort, split.results);
        let assessment = match self.assessments(Some(&who.id))?.into_iter().rev().find(|a| !a.by_self) {
            Some(a) => Some(LatestAssessment {
                map: self.assessment_map(Some(&who.id), &a.interaction)?,
                interaction: a.interaction,
            }),
            None => None,
        };
        let bench = self.benchmarks()?;
        let mine = bench.rows.iter().find(|r| r.rep == who.id);
        let benchmarks = bench
            .metrics
            .iter()
            .map(|c| BenchmarkLine {
                key: c.key.clone(),
                label: c.label.clone(),
                rep: mine.and_then(|r| r.values.get(&c.key).copied().flatten()),
                median: bench.median.get(&c.key).copied().flatten(),
            })
            .collect();
        let cadence = self.coaching_habit()?.reps.into_iter().find(|c| c.rep.id == who.id);
        let filter = super::ActionFilter { status: Some(ActionStatus::Open), rep: Some(who.id.clone()) };
        let mut open_items: Vec<ActionItem> = if self.me().role.reads_team() {
            self.action_items(&filter)?
        } else {
            self.action_items(&super::ActionFilter { rep: None, ..filter })?
        };
        open_items.sort_by(|a, b| a.due.cmp(&b.due).then(a.created_at.cmp(&b.created_at)));
        Ok(Prep {
            since_last: self.since_last(&who)?,
            sign_notes: self.sign_notes(Some(&who.id))?.into_iter().take(5).collect(),
            commitments: self.commitments(None, Some(&who.id))?,
            open_items,
            benchmarks,
            development: self.dev_plan(Some(&who.id))?,
            cadence,
            deals: self.deals(Some(&who.id), false)?,
            week,
            team_median,
            trends,
            kare_effort,
            kare_closed,
            commitments_kept: self.commitments_kept_ratio(Some(&who.id), 4)?,
            reconcile: self.reconciliation(Some(&who.id))?,
            // What to talk about first: at most three signs, the most serious first.
            signs: self.top_signs(Some(&who.id))?,
            assessment,
            agenda: self.agenda(kind.unwrap_or("one-on-one"))?,
            rep: who,
        })
    }
}

impl Kept {
    /// What changed for `who` since their last 1-on-1 before today.
    fn since_last(&self, who: &Member) -> Result<Option<SinceLast>> {
        let today = self.clock.now().with_timezone(&self.team()?.tz()).date_naive().to_string();
        let Some(last) = self
            .meetings(Some(&who.id))?
            .into_iter()
            .filter(|m| m.kind == "one-on-one" && m.date < today)
            .max_by(|a, b| a.date.cmp(&b.date))
        else {
            return Ok(None);
        };
        let team = self.team()?;
        let since = crate::model::parse_date("meeting date", &last.date)?
            .and_hms_opt(0, 0, 0)
            .and_then(|t| t.and_local_timezone(team.tz()).earliest())
            .map(|t| t.to_utc())
            .unwrap_or_else(|| self.clock.now());
        let activities = self.store.counts(&who.id, since, self.clock.now() + chrono::Duration::days(1))?;
        let items = self.action_items(&super::ActionFilter { status: None, rep: Some(who.id.clone()) })?;
        let since_text = since.to_rfc3339();
        let items_added = items.iter().filter(|a| a.created_at >= since_text).count();
        let items_done = items.iter().filter(|a| a.source == last.id && a.status == ActionStatus::Done).count();
        let closed = self.store.closed_deals(&who.id, since, self.clock.now() + chrono::Duration::days(1))?;
        Ok(Some(SinceLast {
            date: last.date,
            activities,
            items_added,
            items_done,
            deals_won: closed.iter().filter(|d| d.won).count(),
            deals_lost: closed.iter().filter(|d| !d.won).count(),
        }))
    }
}
