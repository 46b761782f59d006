//! Calendar weeks as the team sees them: labels like `2026-W48`, and the
//! instants where a week starts and ends in the team's time zone and week start.
//!
//! Team week `YYYY-Www` is the seven days that start on the team's week-start
//! day on or before the Monday of ISO week `Www`. For a Monday start this is
//! exactly the ISO week; for a Sunday start it begins the Sunday before.

use crate::error::{ProtocolError, Result};
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A week label: ISO year and ISO week number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Week {
    year: i32,
    week: u32,
}

impl Week {
    /// The week with this ISO year and number, if it exists.
    pub fn new(year: i32, week: u32) -> Result<Week> {
        if NaiveDate::from_isoywd_opt(year, week, Weekday::Mon).is_none() {
            return Err(ProtocolError::invalid(format!("bad week '{year}-W{week:02}': {year} has no ISO week {week}")));
        }
        Ok(Week { year, week })
    }

    /// The Monday of the ISO week.
    pub fn monday(self) -> NaiveDate {
        NaiveDate::from_isoywd_opt(self.year, self.week, Weekday::Mon).unwrap_or(NaiveDate::MIN)
    }

    /// The ISO week containing a date.
    pub fn of_iso_date(d: NaiveDate) -> Week {
        let iw = d.iso_week();
        Week { year: iw.year(), week: iw.week() }
    }

    /// The team week containing local date `d` for a team whose weeks start on `start`.
    pub fn of_date(d: NaiveDate, start: Weekday) -> Week {
        let back = (7 + d.weekday().num_days_from_monday() - start.num_days_from_monday()) % 7;
        let first = d - Duration::days(i64::from(back));
        let to_monday = (7 - first.weekday().num_days_from_monday()) % 7;
        Week::of_iso_date(first + Duration::days(i64::from(to_monday)))
    }

    /// The team week containing `at` in time zone `tz`.
    pub fn of_instant(at: DateTime<Utc>, tz: Tz, start: Weekday) -> Week {
        Week::of_date(at.with_timezone(&tz).date_naive(), start)
    }

    /// The first local day of this team week.
    pub fn first_day(self, start: Weekday) -> NaiveDate {
        let back = (7 + Weekday::Mon.num_days_from_monday() + 7 - start.num_days_from_monday()) % 7;
        self.monday() - Duration::days(i64::from(back))
    }

    /// `[start, end)` of this team week as UTC instants.
    pub fn bounds(self, tz: Tz, start: Weekday) -> (DateTime<Utc>, DateTime<Utc>) {
        let first = self.first_day(start);
        (local_midnight(first, tz), local_midnight(first + Duration::days(7), tz))
    }

    /// The week `n` weeks later (negative: earlier).
    pub fn plus(self, n: i64) -> Week {
        Week::of_iso_date(self.monday() + Duration::weeks(n))
    }
}

/// Midnight at the start of local date `d` in `tz`, as UTC (the first valid
/// instant of the day when a DST change skips midnight).
pub fn local_midnight(d: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let mut t: NaiveDateTime = d.and_hms_opt(0, 0, 0).unwrap_or_default();
    for _ in 0..4 {
        if let Some(x) = tz.from_local_datetime(&t).earliest() {
            return x.with_timezone(&Utc);
        }
        t += Duration::hours(1);
    }
    Utc.from_utc_datetime(&t)
}

impl FromStr for Week {
    type Err = ProtocolError;
    fn from_str(s: &str) -> Result<Week> {
        let bad = || ProtocolError::invalid(format!("bad week '{s}': expected a week like 2026-W48"));
        let t = s.trim();
        let (y, w) = t.split_once(['-']).ok_or_else(bad)?;
        let w = w.strip_prefix('W').or_else(|| w.strip_prefix('w')).ok_or_else(bad)?;
        if y.len() != 4 || w.is_empty() || w.len() > 2 {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let week: u32 = w.parse().map_err(|_| bad())?;
        Week::new(year, week)
    }
}

impl fmt::Display for Week {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-W{:02}", self.year, self.week)
    }
}

impl TryFrom<String> for Week {
    type Error = ProtocolError;
    fn try_from(s: String) -> Result<Week> {
        s.parse()
    }
}

impl From<Week> for String {
    fn from(w: Week) -> String {
        w.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    #[test]
    fn labels_round_trip_and_reject_nonsense() {
        let w: Week = "2026-W48".parse().expect("valid");
        assert_eq!(w.to_string(), "2026-W48");
        assert_eq!(w.monday(), d(2026, 11, 23));
        for bad in ["2026-48", "2026-W54", "W48", "2026-W", "20x6-W01", "2026-W0"] {
            assert!(bad.parse::<Week>().is_err(), "{bad} should be rejected");
        }
        assert!("2026-W53".parse::<Week>().is_ok(), "2026 has 53 ISO weeks");
        // A year below 1000 still makes a four-digit label that parses back (found by fuzzing).
        let early = Week::of_date(d(226, 11, 20), Weekday::Mon);
        assert_eq!(early.to_string(), "0226-W47");
        assert_eq!(early.to_string().parse::<Week>().ok(), Some(early));
    }

    #[test]
    fn team_weeks_follow_the_week_start() {
        // Sunday 2026-11-22: ISO week 47, but a Sunday-start team's week 48.
        assert_eq!(Week::of_date(d(2026, 11, 22), Weekday::Mon).to_string(), "2026-W47");
        assert_eq!(Week::of_date(d(2026, 11, 22), Weekday::Sun).to_string(), "2026-W48");
        let w: Week = "2026-W48".parse().expect("valid");
        assert_eq!(w.first_day(Weekday::Sun), d(2026, 11, 22));
        assert_eq!(w.first_day(Weekday::Mon), d(2026, 11, 23));
        // Year boundary: 2027-01-01 is a Friday in ISO week 2026-W53.
        assert_eq!(Week::of_date(d(2027, 1, 1), Weekday::Mon).to_string(), "2026-W53");
        assert_eq!(w.plus(6).to_string(), "2027-W01");
    }

    #[test]
    fn bounds_are_cut_in_the_team_time_zone() {
        let w: Week = "2026-W48".parse().expect("valid");
        let (s, e) = w.bounds(chrono_tz::Europe::Berlin, Weekday::Mon);
        assert_eq!(s.to_rfc3339(), "2026-11-22T23:00:00+00:00");
        assert_eq!((e - s).num_hours(), 168);
        let late_sunday_utc = Utc.with_ymd_and_hms(2026, 11, 22, 23, 30, 0).single().expect("valid");
        assert_eq!(Week::of_instant(late_sunday_utc, chrono_tz::Europe::Berlin, Weekday::Mon), w);
        assert_eq!(Week::of_instant(late_sunday_utc, chrono_tz::UTC, Weekday::Mon), w.plus(-1));
    }
}
