//! Metrics over the local views: a rep's week against targets with pace and
//! the Thursday-Afternoon check, the KARE split, and the manager's board.
//!
//! Pace counts working time only: each working day of the team (Mon–Fri by
//! default) is one unit, filled linearly between 09:00 and 17:00 local time.
//! On Thursday at 15:00 a Mon–Fri week is 3.75 of 5 days done, so a rep with a
//! target of 20 calls is expected at 15 by then.

use crate::error::Result;
use crate::model::{Kare, TeamSettings};
use crate::store::Store;
use crate::week::{local_midnight, Week};
use chrono::{DateTime, Datelike, Duration, Utc, Weekday};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Working hours that fill a working day for pace.
const DAY_START_H: i64 = 9;
const DAY_END_H: i64 = 17;

/// Where "now" is inside a team week, in working days.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Progress {
    /// Working days elapsed (fractional).
    pub elapsed: f64,
    /// Working days in the week.
    pub total: f64,
}

impl Progress {
    /// Working days still to come.
    pub fn left(&self) -> f64 {
        (self.total - self.elapsed).max(0.0)
    }
    /// True once the week's last working hour has passed.
    pub fn over(&self) -> bool {
        self.elapsed >= self.total
    }
}

/// The average of `v` (none when empty).
pub fn mean(v: &[f64]) -> Option<f64> {
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

/// `x` rounded to `places` decimals (for figures shown to people).
pub fn round_to(x: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (x * f).round() / f
}

/// How far into `week` the instant `now` is.
pub fn progress(week: Week, team: &TeamSettings, now: DateTime<Utc>) -> Progress {
    let tz = team.tz();
    let first = week.first_day(team.week_start);
    let mut elapsed = 0.0;
    let mut total = 0.0;
    for i in 0..7 {
        let day = first + Duration::days(i);
        if !team.working_days.contains(&day.weekday()) {
            continue;
        }
        total += 1.0;
        let midnight = local_midnight(day, tz);
        let start = midnight + Duration::hours(DAY_START_H);
        let end = midnight + Duration::hours(DAY_END_H);
        if now >= end {
            elapsed += 1.0;
        } else if now > start {
            elapsed += (now - start).num_seconds() as f64 / (end - start).num_seconds() as f64;
        }
    }
    Progress { elapsed, total }
}

/// Pace colour of a count against a target at a point of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum Pace {
    /// On pace (or target met).
    Green,
    /// Behind.
    Amber,
    /// Well behind.
    Red,
    /// No target set.
    None,
}

/// Pace of `count` against `target` given the week's progress.
pub fn pace(count: i64, target: Option<i64>, p: Progress) -> Pace {
    let Some(target) = target.filter(|t| *t > 0) else {
        return Pace::None;
    };
    if count >= target {
        return Pace::Green;
    }
    let expected = if p.total > 0.0 { target as f64 * p.elapsed / p.total } else { target as f64 };
    if expected <= 1.0 {
        return Pace::Green;
    }
    let ratio = count as f64 / expected;
    if ratio >= 0.9 {
        Pace::Green
    } else if ratio >= 0.6 {
        Pace::Amber
    } else {
        Pace::Red
    }
}

/// One activity type in a rep's week.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct WeekRow {
    /// Activity type key.
    pub kind: String,
    /// Its label.
    pub label: String,
    /// Logged so far this week.
    pub count: i64,
    /// The week's target, if any.
    pub target: Option<i64>,
    /// Where the count should be by now to be on pace.
    pub expected_now: Option<f64>,
    /// Pace colour.
    pub pace: Pace,
    /// Still needed to meet the target.
    pub remaining: i64,
    /// Needed per remaining working day.
    pub per_day_needed: Option<f64>,
    /// Whether the target can still be met at up to 1.5× the usual daily rate.
    pub reachable: Option<bool>,
    /// The Thursday-Afternoon line, in words.
    pub advice: Option<String>,
}

/// A rep's week.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct WeekSummary {
    /// Week label.
    pub week: String,
    /// Rep member id.
    pub rep: String,
    /// Rep name.
    pub rep_name: String,
    /// Start and end of the week (RFC 3339, UTC).
    pub from: String,
    /// End (exclusive).
    pub to: String,
    /// The week's first day in the team's calendar (YYYY-MM-DD).
    pub first_day: String,
    /// The week's last day in the team's calendar (YYYY-MM-DD).
    pub last_day: String,
    /// Working-time progress.
    pub progress: Progress,
    /// One row per catalog type (plus any type logged that left the catalog).
    pub rows: Vec<WeekRow>,
    /// Activity counts per KARE category (`none` when not given).
    pub kare: BTreeMap<String, i64>,
}

fn last_working_day_name(team: &TeamSettings) -> &'static str {
    let start = team.week_start.num_days_from_monday();
    let last = team
        .working_days
        .iter()
        .max_by_key(|d| (7 + d.num_days_from_monday() - start) % 7)
        .copied()
        .unwrap_or(Weekday::Fri);
    match last {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

fn fmt_num(x: f64) -> String {
    if (x - x.round()).abs() < 0.05 {
        format!("{}", x.round() as i64)
    } else {
        format!("{x:.1}")
    }
}

/// Whose week a summary speaks of: the rep reading their own ("your usual")
/// or someone else reading the rep's ("Ben's usual").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader<'a> {
    /// The rep.
    Rep,
    /// A manager, about the rep of this name.
    About(&'a str),
}

impl Reader<'_> {
    fn whose(self) -> String {
        match self {
            Reader::Rep => "your".into(),
            Reader::About(name) => format!("{name}'s"),
        }
    }
}

/// Builds one row: pace and the Thursday-Afternoon check, in words for `reader`.
pub fn week_row(
    kind: &str,
    label: &str,
    count: i64,
    target: Option<i64>,
    p: Progress,
    team: &TeamSettings,
    reader: Reader<'_>,
) -> WeekRow {
    let t = target.filter(|t| *t > 0);
    let remaining = t.map(|t| (t - count).max(0)).unwrap_or(0);
    let left = p.left();
    let per_day_needed = t.map(|_| if left > 0.0 { remaining as f64 / left } else { remaining as f64 });
    let usual = t.map(|t| if p.total > 0.0 { t as f64 / p.total } else { t as f64 });
    let reachable = match (t, per_day_needed, usual) {
        (Some(_), Some(need), Some(usual)) => Some(remaining == 0 || (left > 0.0 && need <= usual * 1.5 + 1e-9)),
        _ => None,
    };
    let what = label.to_lowercase();
    let advice = t.map(|t| {
        if remaining == 0 {
            format!("Target met: {count} of {t} {what}")
        } else if p.over() {
            format!("Missed: {count} of {t} {what}")
        } else {
            let need = per_day_needed.unwrap_or(0.0);
            let by = last_working_day_name(team);
            if reachable == Some(true) {
                format!("{remaining} more {what} by {by} (about {} a day)", fmt_num(need.max(0.1)))
            } else {
                format!(
                    "{remaining} more {what} by {by}: {} a day against {} usual {} — a stretch",
                    fmt_num(need),
                    reader.whose(),
                    fmt_num(usual.unwrap_or(0.0))
                )
            }
        }
    });
    WeekRow {
        kind: kind.to_string(),
        label: label.to_string(),
        count,
        target,
        expected_now: t.map(|t| if p.total > 0.0 { t as f64 * p.elapsed / p.total } else { 0.0 }),
        pace: pace(count, target, p),
        remaining,
        per_day_needed,
        reachable,
        advice,
    }
}

/// A rep's week summary.
pub fn week_summary(
    store: &Store,
    team: &TeamSettings,
    rep: &str,
    rep_name: &str,
    week: Week,
    now: DateTime<Utc>,
    reader: Reader<'_>,
) -> Result<WeekSummary> {
    let (from, to) = week.bounds(team.tz(), team.week_start);
    let p = progress(week, team, now);
    let counts = store.counts(rep, from, to)?;
    let targets = store.targets_for(rep, week)?;
    let mut rows: Vec<WeekRow> = team
        .catalog
        .iter()
        .filter(|t| !t.retired || counts.contains_key(&t.key))
        .map(|t| {
            let count = counts.get(&t.key).copied().unwrap_or(0);
            week_row(&t.key, &t.label, count, targets.get(&t.key).copied(), p, team, reader)
        })
        .collect();
    for (k, c) in &counts {
        if !rows.iter().any(|r| &r.kind == k) {
            rows.push(week_row(k, k, *c, targets.get(k).copied(), p, team, reader));
        }
    }
    let mut kare = BTreeMap::new();
    for k in Kare::ALL {
        kare.insert(k.as_str().to_string(), 0);
    }
    kare.insert("none".into(), 0);
    kare.extend(store.kare_effort(Some(rep), from, Some(to))?);
    Ok(WeekSummary {
        week: week.to_string(),
        rep: rep.to_string(),
        rep_name: rep_name.to_string(),
        from: from.to_rfc3339(),
        to: to.to_rfc3339(),
        first_day: week.first_day(team.week_start).format("%Y-%m-%d").to_string(),
        last_day: (week.first_day(team.week_start) + Duration::days(6)).format("%Y-%m-%d").to_string(),
        progress: p,
        rows,
        kare,
    })
}

/// One cell of the manager's board.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BoardCell {
    /// Activity type key.
    pub kind: String,
    /// Count this week.
    pub count: i64,
    /// Target this week.
    pub target: Option<i64>,
    /// Pace colour.
    pub pace: Pace,
}

/// One rep's row of the board.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BoardRow {
    /// Rep member id.
    pub rep: String,
    /// Rep name.
    pub name: String,
    /// One cell per leading activity type.
    pub cells: Vec<BoardCell>,
}

/// The manager's team board for a week.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Board {
    /// Week label.
    pub week: String,
    /// Working-time progress.
    pub progress: Progress,
    /// The columns (activity types), in catalog order.
    pub columns: Vec<Column>,
    /// One row per rep.
    pub rows: Vec<BoardRow>,
    /// Team median count per column.
    pub median: Vec<f64>,
}

/// A column of a table: a key and its label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Column {
    /// Stable key (an activity type, a metric).
    pub key: String,
    /// What the column header says.
    pub label: String,
}

/// Builds the board for `reps` (id, name).
pub fn board(
    store: &Store,
    team: &TeamSettings,
    reps: &[(String, String)],
    week: Week,
    now: DateTime<Utc>,
) -> Result<Board> {
    let p = progress(week, team, now);
    let columns: Vec<Column> = team
        .catalog
        .iter()
        .filter(|t| !t.retired)
        .map(|t| Column { key: t.key.clone(), label: t.label.clone() })
        .collect();
    let mut all = store.week_counts(week)?;
    let mut rows = Vec::new();
    for (id, name) in reps {
        let c = all.remove(id).unwrap_or_default();
        let t = store.targets_for(id, week)?;
        let cells = columns
            .iter()
            .map(|Column { key: k, .. }| {
                let count = c.get(k).copied().unwrap_or(0);
                let target = t.get(k).copied();
                BoardCell { kind: k.clone(), count, target, pace: pace(count, target, p) }
            })
            .collect();
        rows.push(BoardRow { rep: id.clone(), name: name.clone(), cells });
    }
    let median = (0..columns.len())
        .map(|i| {
            let mut v: Vec<i64> = rows.iter().map(|r: &BoardRow| r.cells[i].count).collect();
            v.sort_unstable();
            match v.len() {
                0 => 0.0,
                n if n % 2 == 1 => v[n / 2] as f64,
                n => (v[n / 2 - 1] + v[n / 2]) as f64 / 2.0,
            }
        })
        .collect();
    Ok(Board { week: week.to_string(), progress: p, columns, rows, median })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::default_catalog;
    use chrono::TimeZone;

    fn team() -> TeamSettings {
        TeamSettings {
            name: "T".into(),
            time_zone: "UTC".into(),
            week_start: Weekday::Mon,
            working_days: vec![Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri],
            catalog: default_catalog(),
            thresholds: Default::default(),
            locale: String::new(),
            currency: String::new(),
        }
    }

    fn at(d: u32, h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, d, h, m, 0).single().expect("valid")
    }

    fn w48() -> Week {
        "2026-W48".parse().expect("valid")
    }

    #[test]
    fn progress_counts_working_hours_only() {
        let t = team();
        let check = |now, elapsed: f64| {
            let p = progress(w48(), &t, now);
            assert!((p.elapsed - elapsed).abs() < 1e-9, "at {now}: {} != {elapsed}", p.elapsed);
            assert_eq!(p.total, 5.0);
        };
        check(at(23, 8, 0), 0.0); // Monday before work
        check(at(23, 13, 0), 0.5); // Monday lunch
        check(at(26, 15, 0), 3.75); // Thursday afternoon
        check(at(28, 12, 0), 5.0); // Saturday
    }

    #[test]
    fn pace_colours() {
        let p = Progress { elapsed: 2.5, total: 5.0 };
        assert_eq!(pace(10, Some(20), p), Pace::Green);
        assert_eq!(pace(7, Some(20), p), Pace::Amber);
        assert_eq!(pace(3, Some(20), p), Pace::Red);
        assert_eq!(pace(3, None, p), Pace::None);
        assert_eq!(pace(20, Some(20), Progress { elapsed: 0.1, total: 5.0 }), Pace::Green);
        assert_eq!(
            pace(0, Some(4), Progress { elapsed: 0.5, total: 5.0 }),
            Pace::Green,
            "expected < 1: too early to call"
        );
    }

    #[test]
    fn thursday_afternoon_line() {
        let t = team();
        let p = progress(w48(), &t, at(26, 15, 0)); // 1.25 days left
        let row = week_row("meeting-set", "Meetings set", 4, Some(6), p, &t, Reader::Rep);
        assert_eq!(row.remaining, 2);
        assert_eq!(row.reachable, Some(true));
        assert_eq!(row.advice.as_deref(), Some("2 more meetings set by Friday (about 1.6 a day)"));
        let row = week_row("call", "Calls", 10, Some(50), p, &t, Reader::Rep);
        assert_eq!(row.reachable, Some(false), "40 calls in 1.25 days vs 10 a day");
        assert!(row.advice.as_deref().unwrap_or_default().contains("a stretch"));
        assert!(row.advice.as_deref().unwrap_or_default().contains("against your usual 10"));
        // A manager reading the rep's week: about the rep, not to them.
        let about = week_row("call", "Calls", 10, Some(50), p, &t, Reader::About("Ben"));
        assert!(about.advice.as_deref().unwrap_or_default().contains("against Ben's usual 10"), "{about:?}");
        let done = week_row("call", "Calls", 51, Some(50), p, &t, Reader::Rep);
        assert_eq!(done.advice.as_deref(), Some("Target met: 51 of 50 calls"));
    }
}

/// Weekly counts per activity type for one rep, oldest week first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TrendRow {
    /// Rep member id.
    pub rep: String,
    /// Rep name.
    pub name: String,
    /// Activity type key → one count per week.
    pub series: BTreeMap<String, Vec<i64>>,
}

/// The last `n` weeks (ending with `last`) of weekly counts for `reps`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Trends {
    /// Week labels, oldest first.
    pub weeks: Vec<String>,
    /// One row per rep.
    pub rows: Vec<TrendRow>,
}

/// Weekly counts for the `n` weeks ending with `last`, from the weekly aggregate.
pub fn trends(store: &Store, team: &TeamSettings, reps: &[(String, String)], last: Week, n: usize) -> Result<Trends> {
    let n = n.clamp(1, 104);
    let weeks: Vec<Week> = (0..n).map(|i| last.plus(i as i64 - (n as i64 - 1))).collect();
    let kinds: Vec<String> = team.catalog.iter().filter(|t| !t.retired).map(|t| t.key.clone()).collect();
    let labels: Vec<String> = weeks.iter().map(|w| w.to_string()).collect();
    let mut per_rep: BTreeMap<String, BTreeMap<String, Vec<i64>>> = BTreeMap::new();
    // One range read of the weekly aggregate for every rep at once.
    for (week, rep, kind, count) in store.weekly_counts(&labels[0], &labels[n - 1])? {
        // Week labels sort like the weeks, but a label between two weeks of the
        // range may not be one of them (e.g. a week 53 of another year basis).
        let Ok(i) = labels.binary_search(&week) else { continue };
        per_rep.entry(rep).or_default().entry(kind).or_insert_with(|| vec![0; n])[i] += count;
    }
    let mut rows = Vec::with_capacity(reps.len());
    for (id, name) in reps {
        let mut series: BTreeMap<String, Vec<i64>> = kinds.iter().map(|k| (k.clone(), vec![0; n])).collect();
        for (kind, v) in per_rep.remove(id).unwrap_or_default() {
            series.insert(kind, v);
        }
        rows.push(TrendRow { rep: id.clone(), name: name.clone(), series });
    }
    Ok(Trends { weeks: labels, rows })
}
