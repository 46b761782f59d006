//! Warning signs for a manager, each explained with the numbers behind it:
//! activity dropping against the rep's own trailing average, a pattern of
//! missed targets (told apart from a single miss), overdue action items,
//! silence (no activity for N working days), falling conversion, a falling
//! win rate and a lengthening sales cycle.
//! Thresholds come from the team's settings ([`Thresholds`]).

use crate::error::Result;
use crate::metrics::trends;
use crate::model::{TeamSettings, Thresholds};
use crate::store::Store;
use crate::week::Week;
use chrono::{DateTime, Datelike, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How much a sign matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// Worth a look (a single miss).
    Info,
    /// Talk about it at the next 1-on-1.
    Warning,
    /// Talk about it now.
    Alert,
}

/// One warning sign.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Sign {
    /// Rep member id.
    pub rep: String,
    /// Rep name.
    pub name: String,
    /// `activity-drop`, `missed-pattern`, `missed-once`, `near-miss`, `overdue-actions`, `silence`,
    /// `conversion-drop`, `win-rate-drop`, `cycle-rise`.
    pub kind: String,
    /// How much it matters.
    pub severity: Severity,
    /// The sign in one line, with its numbers.
    pub message: String,
    /// The numbers behind it.
    pub numbers: BTreeMap<String, f64>,
    /// A manager's note acknowledging it this week (then it leaves the short list).
    #[serde(default)]
    pub acknowledged: Option<String>,
}

fn sign(rep: &(String, String), kind: &str, severity: Severity, message: String, numbers: &[(&str, f64)]) -> Sign {
    Sign {
        rep: rep.0.clone(),
        name: rep.1.clone(),
        kind: kind.into(),
        severity,
        message,
        numbers: numbers.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        acknowledged: None,
    }
}

/// Every warning sign for `rep` (id, name) at `now`, most serious first.
pub fn signs(store: &Store, team: &TeamSettings, rep: &(String, String), now: DateTime<Utc>) -> Result<Vec<Sign>> {
    let t: Thresholds = team.thresholds;
    let tz = team.tz();
    let this = Week::of_instant(now, tz, team.week_start);
    let n = 13usize; // 12 complete weeks + this one
    let tr = trends(store, team, std::slice::from_ref(rep), this, n)?;
    let series = &tr.rows[0].series;
    let label = |k: &str| team.catalog.iter().find(|c| c.key == k).map(|c| c.label.to_lowercase()).unwrap_or(k.into());
    let mut out = Vec::new();

    // Activity dropping against the rep's own 4-week average (last complete week).
    for ty in team.catalog.iter().filter(|c| c.leading && !c.retired) {
        let s = &series[&ty.key];
        let last = s[n - 2] as f64;
        let avg = s[n - 6..n - 2].iter().sum::<i64>() as f64 / 4.0;
        if avg >= 5.0 && last < avg * (1.0 - t.activity_drop_pct as f64 / 100.0) {
            let drop = (1.0 - last / avg) * 100.0;
            out.push(sign(
                rep,
                "activity-drop",
                Severity::Warning,
                format!("{} {} last week, {drop:.0}% under the 4-week average of {avg:.1}", last, label(&ty.key)),
                &[("last_week", last), ("average_4_weeks", avg), ("drop_pct", drop)],
            ));
        }
    }

    // Missed targets: a pattern vs a single miss, over the last complete
    // weeks, grouped into one sign per rep. A week within the team's
    // near-miss tolerance of its target is a near miss, not a miss.
    let window = t.missed_window as usize;
    let (mut patterns, mut once, mut near) = (Vec::new(), Vec::new(), Vec::new());
    for ty in team.catalog.iter().filter(|c| !c.retired) {
        let mut misses = Vec::new();
        let mut last_missed = false;
        for back in 1..=window {
            let w = this.plus(-(back as i64));
            let Some(target) = store.targets_for(&rep.0, w)?.get(&ty.key).copied().filter(|x| *x > 0) else { continue };
            let count = series[&ty.key][n - 1 - back];
            if count >= target {
                continue;
            }
            if count * 100 >= target * (100 - t.near_miss_pct) {
                near.push(format!("{} {count}/{target} in {w}", label(&ty.key)));
                continue;
            }
            misses.push(format!("{count}/{target} in {w}"));
            if back == 1 {
                last_missed = true;
            }
        }
        if misses.len() as i64 >= t.missed_weeks {
            patterns.push((label(&ty.key), misses));
        } else if last_missed {
            once.push(format!("{} {}", label(&ty.key), misses[0]));
        }
    }
    if !patterns.is_empty() {
        let worst = patterns.iter().map(|(_, m)| m.len()).max().unwrap_or(0);
        let message = match patterns.as_slice() {
            [(what, misses)] => format!(
                "Missed the {what} target in {} of the last {window} weeks ({})",
                misses.len(),
                misses.join(", ")
            ),
            many => format!(
                "Missed targets in the last {window} weeks: {}",
                many.iter()
                    .map(|(what, m)| format!("{what} {} of {window} ({})", m.len(), m.join(", ")))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        };
        out.push(sign(
            rep,
            "missed-pattern",
            Severity::Alert,
            message,
            &[("misses", worst as f64), ("window", window as f64), ("activities", patterns.len() as f64)],
        ));
    } else if !once.is_empty() {
        out.push(sign(
            rep,
            "missed-once",
            Severity::Info,
            format!("Missed last week's target: {}; a single miss, not a pattern", once.join(", ")),
            &[("activities", once.len() as f64), ("window", window as f64)],
        ));
    }
    if !near.is_empty() && patterns.is_empty() {
        out.push(sign(
            rep,
            "near-miss",
            Severity::Info,
            format!("Within {}% of target, not counted as missed: {}", t.near_miss_pct, near.join(", ")),
            &[("near_misses", near.len() as f64), ("tolerance_pct", t.near_miss_pct as f64)],
        ));
    }

    // Overdue action items.
    let today = now.with_timezone(&tz).date_naive();
    let overdue: Vec<(String, String)> = store
        .overdue_items(&rep.0, &today.format("%Y-%m-%d").to_string())?
        .into_iter()
        // A development-plan milestone past its date counts like an overdue action item.
        .map(|a| (if a.source == "development" { format!("milestone: {}", a.text) } else { a.text }, a.due))
        .collect();
    if !overdue.is_empty() {
        let list: Vec<String> = overdue.iter().take(3).map(|(t, d)| format!("\"{t}\" (due {d})")).collect();
        out.push(sign(
            rep,
            "overdue-actions",
            if overdue.len() >= 3 { Severity::Alert } else { Severity::Warning },
            format!(
                "{} overdue action item{}: {}",
                overdue.len(),
                if overdue.len() == 1 { "" } else { "s" },
                list.join(", ")
            ),
            &[("overdue", overdue.len() as f64)],
        ));
    }

    // Silence: no activity for N working days.
    let last: Option<i64> = store.last_activity(&rep.0)?;
    if let Some(last) = last {
        let last_day = DateTime::from_timestamp(last, 0).unwrap_or(now).with_timezone(&tz).date_naive();
        let mut d = last_day + Duration::days(1);
        let mut silent = 0;
        while d < today {
            if team.working_days.contains(&d.weekday()) {
                silent += 1;
            }
            d += Duration::days(1);
        }
        if silent >= t.silence_days {
            out.push(sign(
                rep,
                "silence",
                Severity::Alert,
                format!("Nothing logged for {silent} working days (last entry {last_day})"),
                &[("working_days", silent as f64)],
            ));
        }
    }

    // Falling conversion: conversations → meetings set, last 4 weeks vs the 8 before.
    let sum =
        |k: &str, from: usize, to: usize| series.get(k).map(|s| s[from..to].iter().sum::<i64>()).unwrap_or(0) as f64;
    let (conv_recent, meet_recent) = (sum("conversation", n - 5, n - 1), sum("meeting-set", n - 5, n - 1));
    let (conv_before, meet_before) = (sum("conversation", n - 13, n - 5), sum("meeting-set", n - 13, n - 5));
    if conv_recent >= 10.0 && conv_before >= 20.0 && meet_before > 0.0 {
        let (recent, before) = (meet_recent / conv_recent, meet_before / conv_before);
        if recent < before * (1.0 - t.conversion_drop_pct as f64 / 100.0) {
            out.push(sign(
                rep,
                "conversion-drop",
                Severity::Warning,
                format!(
                    "Conversations → meetings fell to {:.0}% over the last 4 weeks from {:.0}% in the 8 before",
                    recent * 100.0,
                    before * 100.0
                ),
                &[("rate_recent", recent), ("rate_before", before), ("conversations_recent", conv_recent)],
            ));
        }
    }
    out.extend(deal_signs(store, &t, rep, now)?);
    out.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.kind.cmp(&b.kind)));
    Ok(out)
}

/// How many signs per rep the default view shows.
pub const TOP_PER_REP: usize = 3;

/// The signs a manager reads first: per rep at most [`TOP_PER_REP`], the most
/// serious first and, among equals, in the order a conversation needs them
/// (falling activity and missed targets before overdue items and silence,
/// pipeline trends last); near misses only when nothing else is there.
/// `signs` must be one rep's list or several reps' lists in any order.
pub fn top(mut signs: Vec<Sign>) -> Vec<Sign> {
    let rank = |s: &Sign| match s.kind.as_str() {
        "missed-pattern" => 0,
        "activity-drop" => 1,
        "silence" => 2,
        "overdue-actions" => 3,
        "conversion-drop" => 4,
        "win-rate-drop" => 5,
        "cycle-rise" => 6,
        "missed-once" => 7,
        _ => 8,
    };
    signs.sort_by(|a, b| a.rep.cmp(&b.rep).then(b.severity.cmp(&a.severity)).then(rank(a).cmp(&rank(b))));
    let mut out: Vec<Sign> = Vec::new();
    for s in signs {
        let shown = out.iter().filter(|o| o.rep == s.rep).count();
        if shown < TOP_PER_REP && (s.kind != "near-miss" || shown == 0) {
            out.push(s);
        }
    }
    out.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.name.cmp(&b.name)).then(rank(a).cmp(&rank(b))));
    out
}

/// A rep's deals closed in a window.
#[derive(Debug, Default)]
pub(crate) struct Closed {
    /// Deals won.
    pub won: i64,
    /// Deals lost.
    pub lost: i64,
    /// Sum of the won amounts.
    pub won_amount: i64,
    /// Days from created to closed, for each won deal that has both dates.
    pub cycles: Vec<f64>,
}

/// The deals `rep` closed in `[from, to)`.
pub(crate) fn closed_between(store: &Store, rep: &str, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Closed> {
    let mut out = Closed::default();
    for d in store.closed_deals(rep, from, to)? {
        if d.won {
            out.won += 1;
            out.won_amount += d.amount;
            let t = |s: Option<String>| s.and_then(|s| DateTime::parse_from_rfc3339(&s).ok());
            if let (Some(a), Some(b)) = (t(d.created_at), t(d.closed_at)) {
                out.cycles.push((b - a).num_seconds() as f64 / 86_400.0);
            }
        } else {
            out.lost += 1;
        }
    }
    Ok(out)
}

/// Win rate falling and the sales cycle getting longer: the last 12 weeks
/// against the 12 before, each only with enough closed deals to mean something
/// (4 closed for a win rate, 3 won for a cycle length).
fn deal_signs(store: &Store, t: &Thresholds, rep: &(String, String), now: DateTime<Utc>) -> Result<Vec<Sign>> {
    let mut out = Vec::new();
    let recent = closed_between(store, &rep.0, now - Duration::weeks(12), now)?;
    let before = closed_between(store, &rep.0, now - Duration::weeks(24), now - Duration::weeks(12))?;
    let (w_recent, l_recent, c_recent) = (recent.won, recent.lost, recent.cycles);
    let (w_before, l_before, c_before) = (before.won, before.lost, before.cycles);
    if w_recent + l_recent >= 4 && w_before + l_before >= 4 {
        let recent = 100.0 * w_recent as f64 / (w_recent + l_recent) as f64;
        let before = 100.0 * w_before as f64 / (w_before + l_before) as f64;
        if recent <= before - t.win_rate_drop_pts as f64 {
            out.push(sign(
                rep,
                "win-rate-drop",
                Severity::Warning,
                format!(
                    "Win rate fell to {recent:.0}% ({w_recent} of {}) over the last 12 weeks from {before:.0}% ({w_before} of {}) in the 12 before",
                    w_recent + l_recent,
                    w_before + l_before
                ),
                &[("win_rate_recent_pct", recent), ("win_rate_before_pct", before), ("closed_recent", (w_recent + l_recent) as f64)],
            ));
        }
    }
    if c_recent.len() >= 3 && c_before.len() >= 3 {
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        let (recent, before) = (mean(&c_recent), mean(&c_before));
        if before > 0.0 && recent >= before * (1.0 + t.cycle_rise_pct as f64 / 100.0) {
            out.push(sign(
                rep,
                "cycle-rise",
                Severity::Warning,
                format!(
                    "Deals take longer to win: {recent:.0} days on average over the last 12 weeks, {before:.0} in the 12 before (+{:.0}%)",
                    (recent / before - 1.0) * 100.0
                ),
                &[("cycle_days_recent", recent), ("cycle_days_before", before), ("won_recent", c_recent.len() as f64)],
            ));
        }
    }
    Ok(out)
}
