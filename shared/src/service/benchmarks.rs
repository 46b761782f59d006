//! Team benchmarks: for every rep, the weekly average of each activity type
//! and the funnel ratios over the last 12 complete weeks (plus win rate,
//! average won deal and sales cycle), each beside the team median. Ratios
//! are the rep's raw numbers here (no defaults): `None` where there is
//! nothing to divide by.

use super::Kept;
use crate::error::Result;
use crate::metrics::Column;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Weeks the benchmarks cover.
pub const BENCH_WEEKS: usize = 12;

/// The ratios: key, label, numerator activity, denominator activity.
const RATIOS: &[(&str, &str, &str, &str)] = &[
    ("conversations-per-call", "Conversations per call", "conversation", "call"),
    ("meetings-per-conversation", "Meetings set per conversation", "meeting-set", "conversation"),
    ("proposals-per-meeting", "Proposals per meeting set", "proposal", "meeting-set"),
];

/// One rep's numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BenchRow {
    /// Rep member id.
    pub rep: String,
    /// Rep name.
    pub name: String,
    /// Metric key → value.
    pub values: BTreeMap<String, Option<f64>>,
}

/// Every rep's numbers and the team median of each.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Benchmarks {
    /// Last complete week covered.
    pub through: String,
    /// Metric keys and labels, in display order.
    pub metrics: Vec<Column>,
    /// One row per rep.
    pub rows: Vec<BenchRow>,
    /// Team median per metric (over the reps that have a value).
    pub median: BTreeMap<String, Option<f64>>,
}

/// The median of the values present.
pub fn median(values: impl IntoIterator<Item = Option<f64>>) -> Option<f64> {
    let mut v: Vec<f64> = values.into_iter().flatten().collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 })
}

impl Kept {
    /// Benchmarks for every rep (managers) or for me (reps: no team median).
    pub fn benchmarks(&self) -> Result<Benchmarks> {
        let team = self.team()?;
        let last = self.current_week()?.plus(-1);
        let trends = self.trends(Some(last), BENCH_WEEKS)?;
        let (from, _) = last.plus(1 - BENCH_WEEKS as i64).bounds(team.tz(), team.week_start);
        let (_, to) = last.bounds(team.tz(), team.week_start);
        let column = |key: String, label: String| Column { key, label };
        let mut metrics: Vec<Column> = team
            .catalog
            .iter()
            .filter(|t| t.leading && !t.retired)
            .map(|t| column(format!("{}-per-week", t.key), format!("{} a week", t.label)))
            .collect();
        metrics.extend(RATIOS.iter().map(|(k, l, _, _)| column(k.to_string(), l.to_string())));
        for (k, l) in
            [("win-rate", "Win rate"), ("average-won-deal", "Average won deal"), ("cycle-days", "Sales cycle (days)")]
        {
            metrics.push(column(k.into(), l.into()));
        }
        let mut rows = Vec::new();
        for tr in trends.rows {
            let sum = |k: &str| tr.series.get(k).map(|s| s.iter().sum::<i64>()).unwrap_or(0) as f64;
            let mut values = BTreeMap::new();
            for t in team.catalog.iter().filter(|t| t.leading && !t.retired) {
                values.insert(format!("{}-per-week", t.key), Some(sum(&t.key) / BENCH_WEEKS as f64));
            }
            for (k, _, num, den) in RATIOS {
                let d = sum(den);
                values.insert(k.to_string(), (d > 0.0).then(|| sum(num) / d));
            }
            let c = crate::signs::closed_between(&self.store, &tr.rep, from, to)?;
            let (won, closed) = (c.won as f64, (c.won + c.lost) as f64);
            let (amount, cycles) = (c.won_amount as f64, c.cycles);
            values.insert("win-rate".into(), (closed > 0.0).then(|| won / closed));
            values.insert("average-won-deal".into(), (won > 0.0).then(|| amount / won));
            values.insert(
                "cycle-days".into(),
                (!cycles.is_empty()).then(|| cycles.iter().sum::<f64>() / cycles.len() as f64),
            );
            rows.push(BenchRow { rep: tr.rep, name: tr.name, values });
        }
        let median = if self.me().role.reads_team() {
            metrics
                .iter()
                .map(|c| (c.key.clone(), median(rows.iter().map(|r| r.values.get(&c.key).copied().flatten()))))
                .collect()
        } else {
            BTreeMap::new()
        };
        Ok(Benchmarks { through: last.to_string(), metrics, rows, median })
    }
}
