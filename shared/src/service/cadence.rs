//! The coaching habit, seen from both sides: per rep, days since the last
//! 1-on-1 and 1-on-1s held in the last 30 days against the cadence the team
//! set; and how useful those 1-on-1s were, as the rep rated them beside the
//! manager's own rating. Managers judge their coaching far more kindly than
//! reps do, so the two numbers are always shown together.

use super::Kept;
use crate::error::Result;
use crate::model::Member;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// How many days of 1-on-1s the ratings cover.
pub const RATING_DAYS: i64 = 90;

/// A rep's rating of a 1-on-1 that came with a comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RatingComment {
    /// Day of the meeting (YYYY-MM-DD).
    pub date: String,
    /// The rep's rating, 1–5.
    pub rating: i64,
    /// What the rep wrote.
    pub comment: String,
}

/// One rep's coaching cadence and ratings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Cadence {
    /// The rep.
    pub rep: Member,
    /// Date of the last 1-on-1 held (not in the future).
    pub last: Option<String>,
    /// Days since then.
    pub days_since: Option<i64>,
    /// 1-on-1s in the last 30 days.
    pub held_30d: i64,
    /// 1-on-1s the cadence asks for in 30 days.
    pub expected_30d: f64,
    /// True when the next 1-on-1 is due (days since ≥ the cadence, or none yet).
    pub due: bool,
    /// The rep's average rating of the 1-on-1s of the last 90 days (1–5).
    pub rep_avg: Option<f64>,
    /// The manager's own average rating of the same meetings.
    pub manager_avg: Option<f64>,
    /// Share of those the rep rated useful (4 or 5), percent.
    pub rep_useful_pct: Option<f64>,
    /// Share of those the manager rated useful (4 or 5), percent.
    pub manager_useful_pct: Option<f64>,
    /// 1-on-1s of the last 90 days the rep rated.
    pub rated: usize,
    /// The rep's comments, newest first.
    pub comments: Vec<RatingComment>,
}

/// The team's coaching habit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CoachingHabit {
    /// The team's cadence: a 1-on-1 every this many days.
    pub cadence_days: i64,
    /// Per rep.
    pub reps: Vec<Cadence>,
    /// Across the team: the reps' average rating.
    pub rep_avg: Option<f64>,
    /// Across the team: the managers' average rating.
    pub manager_avg: Option<f64>,
    /// Across the team: percent rated useful by reps.
    pub rep_useful_pct: Option<f64>,
    /// Across the team: percent rated useful by managers.
    pub manager_useful_pct: Option<f64>,
}

fn avg(v: &[i64]) -> Option<f64> {
    (!v.is_empty()).then(|| v.iter().sum::<i64>() as f64 / v.len() as f64)
}

fn useful(v: &[i64]) -> Option<f64> {
    (!v.is_empty()).then(|| 100.0 * v.iter().filter(|r| **r >= 4).count() as f64 / v.len() as f64)
}

impl Kept {
    /// The coaching habit of every rep (managers) or my own (reps).
    pub fn coaching_habit(&self) -> Result<CoachingHabit> {
        let team = self.team()?;
        let cadence_days = team.thresholds.cadence_days.max(1);
        let today: NaiveDate = self.clock.now().with_timezone(&team.tz()).date_naive();
        let mut reps = Vec::new();
        let (mut all_rep, mut all_mgr) = (Vec::new(), Vec::new());
        for r in self.reps()? {
            let held: Vec<_> = self
                .meetings(Some(&r.id))?
                .into_iter()
                .filter(|m| m.kind == "one-on-one")
                .filter_map(|m| NaiveDate::parse_from_str(&m.date, "%Y-%m-%d").ok().map(|d| (d, m)))
                .filter(|(d, _)| *d <= today)
                .collect();
            let last = held.iter().map(|(d, _)| *d).max();
            let days_since = last.map(|d| (today - d).num_days());
            let held_30d = held.iter().filter(|(d, _)| (today - *d).num_days() < 30).count() as i64;
            let recent: Vec<_> = held.iter().filter(|(d, _)| (today - *d).num_days() < RATING_DAYS).collect();
            let rep_r: Vec<i64> = recent.iter().filter_map(|(_, m)| m.rep_rating).collect();
            let mgr_r: Vec<i64> = recent.iter().filter_map(|(_, m)| m.manager_rating).collect();
            let mut comments: Vec<RatingComment> = recent
                .iter()
                .filter_map(|(_, m)| {
                    Some(RatingComment { date: m.date.clone(), rating: m.rep_rating?, comment: m.rep_comment.clone()? })
                })
                .collect();
            comments.sort_by(|a, b| b.date.cmp(&a.date));
            all_rep.extend(&rep_r);
            all_mgr.extend(&mgr_r);
            reps.push(Cadence {
                rep: r,
                last: last.map(|d| d.to_string()),
                days_since,
                held_30d,
                expected_30d: (30.0 / cadence_days as f64 * 10.0).round() / 10.0,
                due: days_since.is_none_or(|d| d >= cadence_days),
                rep_avg: avg(&rep_r),
                manager_avg: avg(&mgr_r),
                rep_useful_pct: useful(&rep_r),
                manager_useful_pct: useful(&mgr_r),
                rated: rep_r.len(),
                comments,
            });
        }
        if !self.me().role.reads_team() {
            // A rep sees their own ratings; the manager's self-rating stays with managers.
            for c in &mut reps {
                c.manager_avg = None;
                c.manager_useful_pct = None;
            }
            all_mgr.clear();
        }
        Ok(CoachingHabit {
            cadence_days,
            reps,
            rep_avg: avg(&all_rep),
            manager_avg: avg(&all_mgr),
            rep_useful_pct: useful(&all_rep),
            manager_useful_pct: useful(&all_mgr),
        })
    }
}
