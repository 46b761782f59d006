//! 1-on-1 preparation for a rep: everything a manager needs in one place —
//! the week against targets and the team median, 12-week trends, KARE split
//! of effort vs closed sales, commitments kept, action items to reconcile,
//! warning signs, the latest assessment beside the self-assessment, and the
//! agenda with coaching questions.

use super::{Cadence, CriterionView, DevPlan, Kept};
use crate::agenda::Agenda;
use crate::error::Result;
use crate::metrics::{TrendRow, WeekSummary};
use crate::model::{ActionItem, Member};
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
        let team_median = if self.me().role == crate::model::Role::Manager {
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
        Ok(Prep {
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
            signs: self.signs(Some(&who.id))?,
            assessment,
            agenda: self.agenda(kind.unwrap_or("one-on-one"))?,
            rep: who,
        })
    }
}
