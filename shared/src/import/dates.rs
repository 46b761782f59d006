//! Dates as CRMs and spreadsheets export them: ISO (`2026-11-23`), US
//! (`11/23/2026`), European (`23/11/2026`, `23.11.2026`), with or without a
//! time (24-hour or `2:30 PM`), RFC 3339 with a zone, and spreadsheet serial
//! numbers (`46349.5`). The day/month order of a column is decided from the
//! whole column, never guessed: when every day is 12 or less the caller is
//! asked to say which.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use chrono_tz::Tz;
use std::fmt;
use std::str::FromStr;

/// The order of day and month in dates whose year comes last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DateFormat {
    /// Year first: 2026-11-23 (year-last dates are then refused).
    Iso,
    /// Month first: 11/23/2026.
    Us,
    /// Day first: 23/11/2026 or 23.11.2026.
    Eu,
}

impl DateFormat {
    /// How a person would name it.
    pub fn describe(self) -> &'static str {
        match self {
            DateFormat::Iso => "ISO (YYYY-MM-DD)",
            DateFormat::Us => "US (MM/DD/YYYY)",
            DateFormat::Eu => "European (DD/MM/YYYY)",
        }
    }
}

impl fmt::Display for DateFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DateFormat::Iso => "iso",
            DateFormat::Us => "us",
            DateFormat::Eu => "eu",
        })
    }
}

impl FromStr for DateFormat {
    type Err = crate::CoreError;
    fn from_str(s: &str) -> crate::error::Result<Self> {
        match s.trim().to_lowercase().as_str() {
            "iso" | "ymd" | "yyyy-mm-dd" => Ok(DateFormat::Iso),
            "us" | "mdy" | "mm/dd/yyyy" => Ok(DateFormat::Us),
            "eu" | "european" | "dmy" | "dd/mm/yyyy" | "dd.mm.yyyy" => Ok(DateFormat::Eu),
            _ => Err(crate::CoreError::invalid(format!(
                "unknown date format '{s}': expected us (MM/DD/YYYY), eu (DD/MM/YYYY) or iso (YYYY-MM-DD)"
            ))),
        }
    }
}

/// A value split into its parts, before the day/month order is known.
#[derive(Debug, Clone, PartialEq)]
enum Shape {
    /// RFC 3339 with a zone: an instant.
    Instant(DateTime<FixedOffset>),
    /// A spreadsheet serial date (days since 1899-12-30, the fraction the time of day).
    Serial(f64),
    /// Year first (y, m, d).
    YearFirst(i32, u32, u32, Clock),
    /// Year last (a, b, y); `dotted` for DD.MM.YYYY.
    YearLast(u32, u32, i32, bool, Clock),
}

/// The time part: none (a date only), a local time, or a local time with a zone.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Clock {
    None,
    Local(NaiveTime),
    Zoned(NaiveTime, FixedOffset),
}

const EXPECTED: &str =
    "expected a date like 2026-11-23, 11/23/2026, 23/11/2026 or 23.11.2026 (a time may follow), or a spreadsheet serial date";

fn shape(v: &str) -> Result<Shape, String> {
    let t = v.trim();
    let bad = || format!("bad date '{t}': {EXPECTED}");
    if let Ok(x) = DateTime::parse_from_rfc3339(t) {
        return Ok(Shape::Instant(x));
    }
    if !t.is_empty()
        && t.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && t.bytes().filter(|b| *b == b'.').count() <= 1
    {
        if t.len() == 8 && !t.contains('.') {
            // 20261123
            let n = |r: std::ops::Range<usize>| t.get(r).and_then(|s| s.parse::<u32>().ok()).unwrap_or(0);
            return Ok(Shape::YearFirst(n(0..4) as i32, n(4..6), n(6..8), Clock::None));
        }
        let n: f64 = t.parse().map_err(|_| bad())?;
        if (1.0..2_958_466.0).contains(&n) && !t.starts_with('.') {
            return Ok(Shape::Serial(n));
        }
        return Err(bad());
    }
    let date_end = t.find(|c: char| !(c.is_ascii_digit() || c == '/' || c == '-' || c == '.')).unwrap_or(t.len());
    let (date, rest) = t.split_at(date_end);
    let date = date.trim_end_matches('.');
    let rest = rest.trim_start_matches([',', 'T', 't', ' ']).trim();
    let sep = date.chars().find(|c| !c.is_ascii_digit()).ok_or_else(bad)?;
    let parts: Vec<&str> = date.split(sep).collect();
    if parts.len() != 3 || parts.iter().any(|p| p.is_empty() || p.len() > 4 || !p.bytes().all(|b| b.is_ascii_digit())) {
        return Err(bad());
    }
    let num = |s: &str| s.parse::<u32>().map_err(|_| bad());
    let clock = clock(rest).map_err(|why| format!("bad time in '{t}': {why}"))?;
    if parts[0].len() == 4 {
        return Ok(Shape::YearFirst(num(parts[0])? as i32, num(parts[1])?, num(parts[2])?, clock));
    }
    if parts[0].len() > 2 || parts[1].len() > 2 || !(parts[2].len() == 4 || parts[2].len() == 2) {
        return Err(bad());
    }
    let mut y = num(parts[2])? as i32;
    if parts[2].len() == 2 {
        y += if y < 70 { 2000 } else { 1900 };
    }
    Ok(Shape::YearLast(num(parts[0])?, num(parts[1])?, y, sep == '.', clock))
}

/// Parses the time part: `14:30`, `14:30:05`, `2:30 PM`, `2:30:05 p.m.`,
/// optionally followed by `Z`, `UTC`, `GMT` or an offset like `+01:00`.
fn clock(s: &str) -> Result<Clock, String> {
    if s.is_empty() {
        return Ok(Clock::None);
    }
    let lower = s.to_ascii_lowercase();
    let mut rest = lower.trim();
    let mut zone = None;
    for (suffix, off) in [(" utc", 0), (" gmt", 0), ("z", 0)] {
        if let Some(r) = rest.strip_suffix(suffix) {
            rest = r.trim_end();
            zone = FixedOffset::east_opt(off);
            break;
        }
    }
    if zone.is_none() {
        if let Some(i) = rest.rfind(['+', '-']) {
            let (r, off) = rest.split_at(i);
            let sign = if off.starts_with('-') { -1 } else { 1 };
            let digits: String = off[1..].chars().filter(|c| *c != ':').collect();
            if digits.len() == 4 && digits.bytes().all(|b| b.is_ascii_digit()) {
                let h: i32 = digits[..2].parse().unwrap_or(0);
                let m: i32 = digits[2..].parse().unwrap_or(0);
                zone = FixedOffset::east_opt(sign * (h * 3600 + m * 60));
                rest = r.trim_end();
            } else {
                return Err(format!("'{off}' is not a zone offset like +01:00"));
            }
        }
    }
    let mut half = None;
    for (suffix, pm) in [("a.m.", false), ("p.m.", true), ("am", false), ("pm", true)] {
        if let Some(r) = rest.strip_suffix(suffix) {
            rest = r.trim_end();
            half = Some(pm);
            break;
        }
    }
    let parts: Vec<&str> = rest.split(':').collect();
    if !(2..=3).contains(&parts.len()) {
        return Err("expected a time like 14:30, 14:30:05 or 2:30 PM".into());
    }
    let n = |s: &str| -> Result<f64, String> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return Err("expected a time like 14:30, 14:30:05 or 2:30 PM".into());
        }
        s.parse::<f64>().map_err(|_| "expected a time like 14:30".to_string())
    };
    let (mut h, m) = (n(parts[0])? as u32, n(parts[1])? as u32);
    let sec = if parts.len() == 3 { n(parts[2])?.floor() as u32 } else { 0 };
    if let Some(pm) = half {
        if !(1..=12).contains(&h) {
            return Err(format!("hour {h} on a 12-hour clock (AM/PM) must be 1 to 12"));
        }
        h = match (h, pm) {
            (12, false) => 0,
            (12, true) => 12,
            (h, true) => h + 12,
            (h, false) => h,
        };
    }
    let time = NaiveTime::from_hms_opt(h, m, sec).ok_or_else(|| format!("no such time of day {h}:{m:02}:{sec:02}"))?;
    Ok(match zone {
        Some(z) => Clock::Zoned(time, z),
        None => Clock::Local(time),
    })
}

/// What one value says about the column's day/month order.
fn evidence(v: &str) -> Option<DateFormat> {
    match shape(v) {
        Ok(Shape::YearLast(a, b, _, false, _)) if a > 12 && b <= 12 => Some(DateFormat::Eu),
        Ok(Shape::YearLast(a, b, _, false, _)) if b > 12 && a <= 12 => Some(DateFormat::Us),
        _ => None,
    }
}

fn ambiguous(v: &str) -> bool {
    matches!(shape(v), Ok(Shape::YearLast(a, b, _, false, _)) if a <= 12 && b <= 12)
}

/// Decides the day/month order of a column from all its values (`(line,
/// value)`): the one `given`, else the order some value proves (a day above
/// 12) when no value proves the other; `None` when no value needs an order.
/// A column whose year-last dates could be read either way, or that mixes
/// both orders, is an error that asks which.
pub fn detect<'a>(
    column: &str,
    values: impl Iterator<Item = (usize, &'a str)>,
    given: Option<DateFormat>,
) -> crate::error::Result<Option<DateFormat>> {
    if given.is_some() {
        return Ok(given);
    }
    // The first value (line, text) proving each order, and the first that could be either.
    let mut us: Option<(usize, &str)> = None;
    let mut eu: Option<(usize, &str)> = None;
    let mut amb: Option<(usize, &str)> = None;
    for (line, v) in values {
        match evidence(v) {
            Some(DateFormat::Us) => us = us.or(Some((line, v))),
            Some(DateFormat::Eu) => eu = eu.or(Some((line, v))),
            _ if amb.is_none() && ambiguous(v) => amb = Some((line, v)),
            _ => {}
        }
    }
    match (us, eu, amb) {
        (Some((lu, vu)), Some((le, ve)), _) => Err(crate::CoreError::invalid(format!(
            "the dates in column '{column}' mix two orders: line {le} has '{ve}' (day first, European) and line {lu} \
             has '{vu}' (month first, US); fix the file, or say which with --date-format us or --date-format eu \
             (the rows in the other order are then rejected)"
        ))),
        (Some(_), None, _) => Ok(Some(DateFormat::Us)),
        (None, Some(_), _) => Ok(Some(DateFormat::Eu)),
        (None, None, Some((line, v))) => {
            let (a, b) = match shape(v) {
                Ok(Shape::YearLast(a, b, _, _, _)) => (a, b),
                _ => (1, 2),
            };
            Err(crate::CoreError::invalid(format!(
                "the dates in column '{column}' can be read two ways: no day in the column is above 12, so '{v}' \
                 (line {line}) is month {a} day {b} in the US order (MM/DD/YYYY) or day {a} of month {b} in the \
                 European order (DD/MM/YYYY); Kept does not guess. Say which with --date-format us or --date-format eu"
            )))
        }
        (None, None, None) => Ok(None),
    }
}

fn month_name(m: u32) -> &'static str {
    const NAMES: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    NAMES.get((m as usize).wrapping_sub(1)).copied().unwrap_or("?")
}

fn ymd(y: i32, m: u32, d: u32, how: &str, t: &str) -> Result<NaiveDate, String> {
    if !(1..=12).contains(&m) {
        return Err(format!("impossible date '{t}': there is no month {m} (read as {how})"));
    }
    NaiveDate::from_ymd_opt(y, m, d)
        .ok_or_else(|| format!("impossible date '{t}': {} {y} has no day {d} (read as {how})", month_name(m)))
}

/// Noon: the time given to a date without one.
fn noon() -> NaiveTime {
    NaiveTime::from_hms_opt(12, 0, 0).unwrap_or(NaiveTime::MIN)
}

/// A local time in `tz` (a time skipped by a daylight-saving change moves on by an hour).
fn local(tz: Tz, at: NaiveDateTime) -> Result<DateTime<FixedOffset>, String> {
    tz.from_local_datetime(&at)
        .earliest()
        .or_else(|| tz.from_local_datetime(&at.checked_add_signed(Duration::hours(1))?).earliest())
        .map(|x| x.fixed_offset())
        .ok_or_else(|| format!("'{at}' does not exist in the time zone {tz}"))
}

/// Parses one value with the column's `order` (from [`detect`]); a value
/// without a zone is a local time in `tz`, a date without a time is noon.
pub fn parse(v: &str, order: Option<DateFormat>, tz: Tz) -> Result<DateTime<FixedOffset>, String> {
    let t = v.trim();
    let with_clock = |date: NaiveDate, c: Clock| match c {
        Clock::None => local(tz, date.and_time(noon())),
        Clock::Local(time) => local(tz, date.and_time(time)),
        Clock::Zoned(time, off) => {
            off.from_local_datetime(&date.and_time(time)).single().ok_or_else(|| format!("bad date '{t}'"))
        }
    };
    match shape(t)? {
        Shape::Instant(x) => Ok(x),
        Shape::Serial(n) => {
            let base = NaiveDate::from_ymd_opt(1899, 12, 30).ok_or("no base date")?;
            let days = n.floor() as i64;
            let secs = ((n - n.floor()) * 86_400.0).round() as i64;
            let at = base
                .and_time(NaiveTime::MIN)
                .checked_add_signed(Duration::days(days) + Duration::seconds(secs))
                .ok_or_else(|| format!("bad date '{t}': a serial date too large"))?;
            if secs == 0 {
                return local(tz, at.date().and_time(noon()));
            }
            local(tz, at)
        }
        Shape::YearFirst(y, m, d, c) => with_clock(ymd(y, m, d, "YYYY-MM-DD", t)?, c),
        Shape::YearLast(a, b, y, dotted, c) => {
            let order = match order {
                Some(o) => o,
                None if dotted => DateFormat::Eu,
                None => DateFormat::Us, // every value proves nothing; `detect` refused ambiguity already
            };
            let date = match order {
                DateFormat::Us => ymd(y, a, b, "MM/DD/YYYY", t)?,
                DateFormat::Eu => ymd(y, b, a, "DD/MM/YYYY", t)?,
                DateFormat::Iso => {
                    return Err(format!(
                        "bad date '{t}': the file's dates are ISO (YYYY-MM-DD) as --date-format iso says"
                    ))
                }
            };
            with_clock(date, c)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(v: &str, order: Option<DateFormat>, expected: &str) {
        let got = match parse(v, order, chrono_tz::Europe::Berlin) {
            Ok(x) => x.to_rfc3339(),
            Err(e) => e,
        };
        assert!(got.contains(expected), "{v}: got {got}, expected {expected}");
    }

    #[test]
    fn every_format_reads() {
        use DateFormat::*;
        check("2026-11-23", None, "2026-11-23T12:00:00+01:00");
        check("2026-11-23 14:30", None, "2026-11-23T14:30:00+01:00");
        check("2026-11-23T14:30:05", None, "2026-11-23T14:30:05+01:00");
        check("2026-11-23T14:30:00Z", None, "2026-11-23T14:30:00+00:00");
        check("2026-11-23 14:30:00 +05:30", None, "2026-11-23T14:30:00+05:30");
        check("2026/11/23", None, "2026-11-23T12:00:00+01:00");
        check("20261123", None, "2026-11-23T12:00:00+01:00");
        check("11/23/2026", Some(Us), "2026-11-23T12:00:00+01:00");
        check("9/24/2026 2:30 PM", Some(Us), "2026-09-24T14:30:00+02:00");
        check("9/24/2026, 12:05 am", Some(Us), "2026-09-24T00:05:00+02:00");
        check("09/24/26 12:05:09 p.m.", Some(Us), "2026-09-24T12:05:09+02:00");
        check("23/11/2026 09:15", Some(Eu), "2026-11-23T09:15:00+01:00");
        check("23.11.2026", None, "2026-11-23T12:00:00+01:00");
        check("23-11-2026 18:00", Some(Eu), "2026-11-23T18:00:00+01:00");
        check("46349", None, "2026-11-23T12:00:00+01:00");
        check("46349.75", None, "2026-11-23T18:00:00+01:00");
        // A time skipped by the clocks going forward moves on an hour.
        check("2026-03-29 02:30", None, "2026-03-29T03:30:00+02:00");
    }

    #[test]
    fn bad_values_say_why() {
        use DateFormat::*;
        check("02/30/2026", Some(Us), "impossible date '02/30/2026': February 2026 has no day 30 (read as MM/DD/YYYY)");
        check("13/24/2026", Some(Us), "there is no month 13");
        check("2026-13-01", None, "there is no month 13");
        check("yesterday", None, "bad date 'yesterday': expected");
        check("11/23/2026 13:00 PM", Some(Us), "12-hour clock");
        check("11/23/2026 25:00", Some(Us), "no such time of day");
        check("11/23/2026", Some(Iso), "ISO");
        check("1/2/3/4", None, "bad date");
        check("", None, "bad date");
    }

    fn detected(col: &[&str]) -> Result<Option<DateFormat>, String> {
        detect("Date", col.iter().enumerate().map(|(i, v)| (i + 2, *v)), None).map_err(|e| e.to_string())
    }

    #[test]
    fn the_order_comes_from_the_whole_column() {
        assert_eq!(detected(&["09/01/2026", "09/24/2026 10:00 AM", "bad"]), Ok(Some(DateFormat::Us)));
        assert_eq!(detected(&["01/09/2026", "24/09/2026"]), Ok(Some(DateFormat::Eu)));
        assert_eq!(detected(&["2026-09-01", "23.11.2026", "46349"]), Ok(None));
        let amb = detected(&["2026-09-01", "03/04/2026", "05/06/2026"]).expect_err("ambiguous");
        assert!(amb.contains("'03/04/2026' (line 3)") && amb.contains("--date-format us"), "{amb}");
        let mixed = detected(&["24/09/2026", "09/24/2026"]).expect_err("mixed");
        assert!(mixed.contains("line 2 has '24/09/2026' (day first") && mixed.contains("line 3"), "{mixed}");
        let given = detect("Date", [(2, "03/04/2026")].into_iter(), Some(DateFormat::Eu)).expect("given");
        assert_eq!(given, Some(DateFormat::Eu));
        assert_eq!("EU".parse::<DateFormat>().ok(), Some(DateFormat::Eu));
        assert!("week".parse::<DateFormat>().is_err());
    }
}
