//! The goal planner: a personal goal broken into weekly behaviour targets by
//! a reverse funnel — income → revenue → deals → proposals → meetings set →
//! conversations → calls — using the rep's own conversion ratios once there is
//! enough history, and team defaults before that.

use crate::error::{CoreError, Result};
use serde::{Deserialize, Serialize};

/// What the rep wants and the economics of their job.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Goal {
    /// Yearly income goal (currency units).
    pub income: f64,
    /// Share of revenue the rep earns (0.10 = 10%).
    pub commission: f64,
    /// Average deal size (currency units).
    pub deal_size: f64,
    /// Selling weeks in a year (holidays excluded).
    pub working_weeks: f64,
}

impl Goal {
    /// Checks the numbers make sense.
    pub fn check(&self) -> Result<()> {
        let bad = |what: &str, v: f64, range: &str| CoreError::invalid(format!("bad {what} {v}: {range}"));
        if !(self.income > 0.0 && self.income < 1e10) {
            return Err(bad("income goal", self.income, "must be a positive amount"));
        }
        if !(self.commission > 0.0 && self.commission <= 1.0) {
            return Err(bad("commission", self.commission, "must be a share between 0 and 1, like 0.1 for 10%"));
        }
        if !(self.deal_size > 0.0 && self.deal_size < 1e10) {
            return Err(bad("deal size", self.deal_size, "must be a positive amount"));
        }
        if !(1.0..=52.0).contains(&self.working_weeks) {
            return Err(bad("working weeks", self.working_weeks, "must be between 1 and 52"));
        }
        Ok(())
    }
}

/// One conversion ratio and where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Ratio {
    /// The share (0–1).
    pub value: f64,
    /// True when computed from the rep's own history; false: the team default.
    pub own: bool,
    /// How many of the earlier stage it was computed from (0 for defaults).
    pub basis: i64,
}

/// The four ratios of the funnel.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Ratios {
    /// Conversations per call.
    pub connect: Ratio,
    /// Meetings set per conversation.
    pub meeting: Ratio,
    /// Proposals per meeting set.
    pub proposal: Ratio,
    /// Deals won per proposal.
    pub win: Ratio,
}

/// Team defaults, used until a rep has enough history.
pub const DEFAULTS: [f64; 4] = [0.25, 0.25, 0.5, 0.3];

/// History needed before a rep's own ratio replaces the default: at least
/// this many of the earlier stage and 3 of the later one, over 12 weeks.
pub const MIN_BASIS: [i64; 4] = [100, 30, 8, 8];

/// A ratio from counts, or the default when the basis is too thin.
pub fn ratio(later: i64, earlier: i64, i: usize) -> Ratio {
    if earlier >= MIN_BASIS[i] && later >= 3 {
        Ratio { value: (later as f64 / earlier as f64).clamp(0.01, 1.0), own: true, basis: earlier }
    } else {
        Ratio { value: DEFAULTS[i], own: false, basis: 0 }
    }
}

/// The plan: yearly and weekly numbers per stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Plan {
    /// The goal.
    pub goal: Goal,
    /// The ratios used.
    pub ratios: Ratios,
    /// From income down to calls.
    pub stages: Vec<Stage>,
    /// Proposed weekly targets per activity type.
    pub targets: Vec<WeeklyTarget>,
}

/// One stage of the funnel worked backwards.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Stage {
    /// `income`, `revenue`, `deals`, then activity types (`proposal` … `call`).
    pub stage: String,
    /// How many a year.
    pub per_year: f64,
    /// How many a week.
    pub per_week: f64,
}

/// A proposed weekly target: the per-week number of a stage, rounded up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct WeeklyTarget {
    /// Activity type.
    pub kind: String,
    /// A week.
    pub count: i64,
}

/// Works the funnel backwards from the goal.
pub fn plan(goal: Goal, ratios: Ratios) -> Result<Plan> {
    goal.check()?;
    let revenue = goal.income / goal.commission;
    let deals = revenue / goal.deal_size;
    let proposals = deals / ratios.win.value;
    let meetings = proposals / ratios.proposal.value;
    let conversations = meetings / ratios.meeting.value;
    let calls = conversations / ratios.connect.value;
    let w = goal.working_weeks;
    let stages: Vec<Stage> = [
        ("income", goal.income),
        ("revenue", revenue),
        ("deals", deals),
        ("proposal", proposals),
        ("meeting-set", meetings),
        ("conversation", conversations),
        ("call", calls),
    ]
    .into_iter()
    .map(|(stage, per_year)| Stage { stage: stage.into(), per_year, per_week: per_year / w })
    .collect();
    let targets =
        stages[3..].iter().map(|s| WeeklyTarget { kind: s.stage.clone(), count: s.per_week.ceil() as i64 }).collect();
    Ok(Plan { goal, ratios, stages, targets })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn works_backwards_from_income_to_calls() {
        let goal = Goal { income: 100_000.0, commission: 0.1, deal_size: 20_000.0, working_weeks: 50.0 };
        let d = |i| ratio(0, 0, i);
        let p = plan(goal, Ratios { connect: d(0), meeting: d(1), proposal: d(2), win: d(3) }).expect("plan");
        // 1,000,000 revenue → 50 deals → 166.7 proposals → 333.3 meetings → 1333.3 conversations → 5333.3 calls a year.
        let weekly: Vec<(String, i64)> = p.targets.iter().map(|t| (t.kind.clone(), t.count)).collect();
        assert_eq!(
            weekly,
            vec![("proposal".into(), 4), ("meeting-set".into(), 7), ("conversation".into(), 27), ("call".into(), 107)]
        );
        assert!((p.stages[2].per_year - 50.0).abs() < 1e-9);
    }

    #[test]
    fn own_ratios_need_enough_history() {
        assert!(!ratio(2, 50, 0).own, "50 calls is too few");
        let r = ratio(40, 160, 0);
        assert!(r.own && (r.value - 0.25).abs() < 1e-9 && r.basis == 160);
        assert!(plan(
            Goal { income: -1.0, commission: 0.1, deal_size: 1.0, working_weeks: 46.0 },
            Ratios { connect: r, meeting: r, proposal: r, win: r }
        )
        .is_err());
    }
}
