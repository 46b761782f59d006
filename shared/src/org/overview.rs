//! The leader's view: the organisation's teams side by side — this week's
//! activity against target and pace, warning signs, commitments kept,
//! assessment trend — and per manager the coaching habit: 1-on-1 cadence and
//! the reps' ratings of their 1-on-1s beside the manager's own (managers rate
//! their coaching far more kindly than reps do; the gap is the number to
//! coach). Computed from the team homes a leader's device holds.

use crate::error::Result;
use crate::metrics::{mean, round_to, Pace};
use crate::model::Role;
use crate::service::Kept;
use crate::signs::Severity;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Days an assessment trend compares: the last this many against the ones before.
pub const TREND_DAYS: i64 = 90;
/// Complete weeks the commitments-kept share covers.
pub const COMMITMENT_WEEKS: i64 = 4;

/// One team, as its leader sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TeamOverview {
    /// Team id.
    pub team_id: String,
    /// Team name.
    pub name: String,
    /// The team's managers, by name.
    pub managers: Vec<String>,
    /// How many reps.
    pub reps: usize,
    /// This week's label.
    pub week: String,
    /// Activities logged this week toward a target (types with a target only).
    pub logged: i64,
    /// The week's targets, summed.
    pub target: i64,
    /// Logged against what the week's elapsed working time asks for, percent
    /// (100 = on pace); none without targets or before the week starts.
    pub pace_pct: Option<f64>,
    /// Reps on pace (every targeted activity green).
    pub reps_on_pace: usize,
    /// Warning signs across the team.
    pub signs: usize,
    /// Of those, the ones to talk about now.
    pub alerts: usize,
    /// Share of activity commitments kept over the last four complete weeks, percent.
    pub commitments_kept_pct: Option<f64>,
    /// Managers' assessment scores of the last 90 days, average (0–4).
    pub assessment_avg: Option<f64>,
    /// The same for the 90 days before, for the trend.
    pub assessment_prev: Option<f64>,
    /// The coaching habit: a 1-on-1 every this many days.
    pub cadence_days: i64,
    /// 1-on-1s held in the last 30 days.
    pub one_on_ones_30d: i64,
    /// 1-on-1s the cadence asks for in 30 days.
    pub expected_30d: f64,
    /// Reps whose next 1-on-1 is due.
    pub reps_due: usize,
    /// Percent of the last 90 days' 1-on-1s the reps rated useful (4–5).
    pub rep_useful_pct: Option<f64>,
    /// Percent the manager rated useful, of the same meetings.
    pub manager_useful_pct: Option<f64>,
    /// The reps' average rating (1–5).
    pub rep_avg: Option<f64>,
    /// The manager's own average rating (1–5).
    pub manager_avg: Option<f64>,
    /// Manager's useful-percent minus the reps': how much kinder the manager
    /// judges their coaching than their reps do, in points.
    pub rating_gap: Option<f64>,
}

/// The organisation, team by team.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OrgOverview {
    /// Organisation name.
    pub org: String,
    /// Teams, by name.
    pub teams: Vec<TeamOverview>,
    /// The team whose reps rate their 1-on-1s lowest (by useful-percent).
    pub lowest_rated: Option<String>,
}

fn round1(x: f64) -> f64 {
    round_to(x, 1)
}

/// One team's overview, from its home.
pub fn team(k: &Kept) -> Result<TeamOverview> {
    let settings = k.team()?;
    let board = k.board(None)?;
    let (mut logged, mut target) = (0, 0);
    let mut reps_on_pace = 0;
    for row in &board.rows {
        let targeted: Vec<_> = row.cells.iter().filter(|c| c.target.is_some()).collect();
        logged += targeted.iter().map(|c| c.count).sum::<i64>();
        target += targeted.iter().filter_map(|c| c.target).sum::<i64>();
        if !targeted.is_empty() && targeted.iter().all(|c| c.pace == Pace::Green) {
            reps_on_pace += 1;
        }
    }
    let p = board.progress;
    let expected = target as f64 * (p.elapsed / p.total.max(1e-9)).min(1.0);
    let pace_pct = (expected > 0.0).then(|| round1(100.0 * logged as f64 / expected));
    let signs = k.signs(None)?;
    let alerts = signs.iter().filter(|s| s.severity == Severity::Alert).count();
    let reps = k.reps()?;
    let mut kept = Vec::new();
    let (mut recent, mut before) = (Vec::new(), Vec::new());
    let now: DateTime<Utc> = k.clock().now();
    for r in &reps {
        if let Some(x) = k.commitments_kept_ratio(Some(&r.id), COMMITMENT_WEEKS)? {
            kept.push(x);
        }
        for a in k.assessments(Some(&r.id))?.into_iter().filter(|a| !a.by_self) {
            let Ok(at) = DateTime::parse_from_rfc3339(&a.at) else { continue };
            let age = now - at.with_timezone(&Utc);
            let avg = mean(&a.scores.values().map(|s| *s as f64).collect::<Vec<_>>());
            let Some(avg) = avg else { continue };
            if age < Duration::days(TREND_DAYS) {
                recent.push(avg);
            } else if age < Duration::days(2 * TREND_DAYS) {
                before.push(avg);
            }
        }
    }
    let habit = k.coaching_habit()?;
    let managers = k.members()?.into_iter().filter(|m| m.role == Role::Manager).map(|m| m.name).collect();
    Ok(TeamOverview {
        team_id: k.team_id().to_string(),
        name: settings.name,
        managers,
        reps: reps.len(),
        week: board.week,
        logged,
        target,
        pace_pct,
        reps_on_pace,
        signs: signs.len(),
        alerts,
        commitments_kept_pct: mean(&kept).map(|x| round1(100.0 * x)),
        assessment_avg: mean(&recent).map(|x| round_to(x, 2)),
        assessment_prev: mean(&before).map(|x| round_to(x, 2)),
        cadence_days: habit.cadence_days,
        one_on_ones_30d: habit.reps.iter().map(|c| c.held_30d).sum(),
        expected_30d: round1(habit.reps.iter().map(|c| c.expected_30d).sum()),
        reps_due: habit.reps.iter().filter(|c| c.due).count(),
        rep_useful_pct: habit.rep_useful_pct.map(round1),
        manager_useful_pct: habit.manager_useful_pct.map(round1),
        rep_avg: habit.rep_avg.map(|x| round_to(x, 2)),
        manager_avg: habit.manager_avg.map(|x| round_to(x, 2)),
        rating_gap: habit.manager_useful_pct.zip(habit.rep_useful_pct).map(|(m, r)| round1(m - r)),
    })
}

impl Kept {
    /// The leader's view of the organisation, from the team homes this
    /// device holds ([`Kept::org_sync`] fetches them).
    /// The team homes are read a core each (each on its own store).
    pub fn org_overview(&self) -> Result<OrgOverview> {
        let homes = self.org_team_homes()?;
        let jobs: Vec<_> = homes.iter().map(|h| (h, self.ids.fork())).collect();
        let clock = &self.clock;
        let next = std::sync::atomic::AtomicUsize::new(0);
        let done = std::sync::Mutex::new(Vec::new());
        let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        std::thread::scope(|scope| {
            for _ in 0..workers.clamp(1, jobs.len().max(1)) {
                scope.spawn(|| loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let Some((home, ids)) = jobs.get(i) else { break };
                    let row = Kept::open(home, clock.clone(), ids.fork()).and_then(|k| team(&k));
                    if let Ok(mut d) = done.lock() {
                        d.push(row);
                    }
                });
            }
        });
        let done = done.into_inner().map_err(|_| crate::error::CoreError::Document("a team's view panicked".into()))?;
        let mut teams = done.into_iter().collect::<Result<Vec<_>>>()?;
        teams.sort_by(|a, b| a.name.cmp(&b.name));
        let lowest_rated = teams
            .iter()
            .filter_map(|t| t.rep_useful_pct.map(|p| (p, t)))
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, t)| t.team_id.clone());
        let org = self.org_name()?.unwrap_or_else(|| self.team().map(|t| t.name).unwrap_or_default());
        Ok(OrgOverview { org, teams, lowest_rated })
    }
}
