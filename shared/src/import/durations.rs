//! Durations as CRMs export them: a plain number in the column's unit
//! (seconds, minutes, hours or milliseconds: from the header, the preset, a
//! flag or the values), `h:mm:ss`, `h:mm`, or `1h 20m`. Kept keeps whole
//! minutes, rounded to the nearest.

use crate::model::MAX_DURATION_MIN;
use std::fmt;
use std::str::FromStr;

/// The unit of plain numbers in a duration column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DurationUnit {
    /// Milliseconds.
    Millis,
    /// Seconds.
    Seconds,
    /// Minutes.
    Minutes,
    /// Hours.
    Hours,
}

impl DurationUnit {
    fn seconds(self, n: f64) -> f64 {
        match self {
            DurationUnit::Millis => n / 1000.0,
            DurationUnit::Seconds => n,
            DurationUnit::Minutes => n * 60.0,
            DurationUnit::Hours => n * 3600.0,
        }
    }

    fn word(s: &str) -> Option<DurationUnit> {
        match s {
            "ms" | "msec" | "millis" | "millisecond" | "milliseconds" => Some(DurationUnit::Millis),
            "s" | "sec" | "secs" | "second" | "seconds" => Some(DurationUnit::Seconds),
            "m" | "min" | "mins" | "minute" | "minutes" => Some(DurationUnit::Minutes),
            "h" | "hr" | "hrs" | "hour" | "hours" => Some(DurationUnit::Hours),
            _ => None,
        }
    }

    /// The unit a header names, like `Duration (sec)` or `Call Duration (seconds)`.
    pub fn from_header(header: &str) -> Option<DurationUnit> {
        let lower = header.to_lowercase();
        lower.split(|c: char| !c.is_alphanumeric()).find_map(DurationUnit::word)
    }
}

impl fmt::Display for DurationUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DurationUnit::Millis => "milliseconds",
            DurationUnit::Seconds => "seconds",
            DurationUnit::Minutes => "minutes",
            DurationUnit::Hours => "hours",
        })
    }
}

impl FromStr for DurationUnit {
    type Err = crate::CoreError;
    fn from_str(s: &str) -> crate::error::Result<Self> {
        DurationUnit::word(s.trim().to_lowercase().as_str()).ok_or_else(|| {
            crate::CoreError::invalid(format!("unknown duration unit '{s}': expected sec, min, hours or ms"))
        })
    }
}

fn plain(v: &str) -> Option<f64> {
    let t = v.trim();
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    t.parse().ok()
}

/// The unit for plain numbers when neither a header, a preset nor a flag
/// says: seconds when some value is too large to be minutes of one
/// activity (above 300 and all whole numbers), else minutes; with why.
pub fn guess_unit<'a>(values: impl Iterator<Item = &'a str>) -> Option<(DurationUnit, String)> {
    let nums: Vec<f64> = values.filter_map(plain).collect();
    let max = nums.iter().copied().fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.max(x))))?;
    if max > 300.0 && nums.iter().all(|n| n.fract() == 0.0) {
        Some((DurationUnit::Seconds, format!("values up to {max} are too long for minutes")))
    } else {
        Some((DurationUnit::Minutes, format!("values up to {max}")))
    }
}

/// Parses one value into whole minutes (`None` for an empty cell).
pub fn parse(v: &str, unit: DurationUnit) -> Result<Option<i64>, String> {
    let t = v.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let expected = format!("expected a number of {unit}, h:mm:ss, h:mm or 1h 20m");
    if t.starts_with('-') {
        return Err(format!("negative duration '{t}': a duration is 0 or more"));
    }
    let secs = if let Some(n) = plain(t) {
        unit.seconds(n)
    } else if t.contains(':') {
        let parts: Vec<&str> = t.split(':').collect();
        let nums: Option<Vec<f64>> = parts.iter().map(|p| plain(p)).collect();
        match nums.as_deref() {
            Some([h, m]) if *m < 60.0 => h * 3600.0 + m * 60.0,
            Some([h, m, s]) if *m < 60.0 && *s < 60.0 => h * 3600.0 + m * 60.0 + s,
            _ => return Err(format!("bad duration '{t}': {expected}")),
        }
    } else {
        // 1h 20m, 1 hr 20 mins, 90s, 45 min
        let lower = t.to_lowercase();
        let mut rest = lower.as_str();
        let mut total = 0.0;
        let mut any = false;
        while !rest.trim_start().is_empty() {
            rest = rest.trim_start();
            let n_end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
            let n: f64 = rest[..n_end].parse().map_err(|_| format!("bad duration '{t}': {expected}"))?;
            rest = rest[n_end..].trim_start();
            let w_end = rest.find(|c: char| !c.is_alphabetic()).unwrap_or(rest.len());
            let u = DurationUnit::word(&rest[..w_end]).ok_or_else(|| format!("bad duration '{t}': {expected}"))?;
            total += u.seconds(n);
            any = true;
            rest = rest[w_end..].trim_start_matches([',', ' ']);
        }
        if !any {
            return Err(format!("bad duration '{t}': {expected}"));
        }
        total
    };
    let min = (secs / 60.0).round() as i64;
    if min > MAX_DURATION_MIN {
        return Err(format!(
            "duration '{t}' is {min} minutes (read as {unit}), more than a day ({MAX_DURATION_MIN}); if the column \
             is in another unit, say which with --duration-unit"
        ));
    }
    Ok(Some(min))
}

#[cfg(test)]
mod tests {
    use super::*;
    use DurationUnit::*;

    fn check(v: &str, unit: DurationUnit, expected: Result<Option<i64>, &str>) {
        match (parse(v, unit), expected) {
            (Ok(got), Ok(want)) => assert_eq!(got, want, "{v}"),
            (Err(got), Err(want)) => assert!(got.contains(want), "{v}: {got}"),
            (got, want) => panic!("{v}: got {got:?}, expected {want:?}"),
        }
    }

    #[test]
    fn every_form_reads_as_minutes() {
        check("300", Seconds, Ok(Some(5)));
        check("89", Seconds, Ok(Some(1)));
        check("29", Seconds, Ok(Some(0)));
        check("25", Minutes, Ok(Some(25)));
        check("1.5", Hours, Ok(Some(90)));
        check("90000", Millis, Ok(Some(2)));
        check("1:20:00", Seconds, Ok(Some(80)));
        check("00:30", Seconds, Ok(Some(30)));
        check("0:04:31", Minutes, Ok(Some(5)));
        check("1h 20m", Seconds, Ok(Some(80)));
        check("1 hr, 5 mins", Seconds, Ok(Some(65)));
        check("90s", Minutes, Ok(Some(2)));
        check("45 min", Seconds, Ok(Some(45)));
        check(" ", Seconds, Ok(None));
    }

    #[test]
    fn bad_durations_say_why() {
        check("-5", Minutes, Err("negative duration '-5'"));
        check("abc", Seconds, Err("bad duration 'abc': expected a number of seconds"));
        check("1:75", Minutes, Err("bad duration"));
        check("5 parsecs", Minutes, Err("bad duration"));
        check("100000", Minutes, Err("more than a day"));
    }

    #[test]
    fn the_unit_comes_from_the_header_or_the_values() {
        assert_eq!(DurationUnit::from_header("Duration (sec)"), Some(Seconds));
        assert_eq!(DurationUnit::from_header("Call Duration (seconds)"), Some(Seconds));
        assert_eq!(DurationUnit::from_header("Duration in minutes"), Some(Minutes));
        assert_eq!(DurationUnit::from_header("Talk time (ms)"), Some(Millis));
        assert_eq!(DurationUnit::from_header("Call duration (HH:mm:ss)"), None);
        assert_eq!(DurationUnit::from_header("Duration"), None);
        assert_eq!(guess_unit(["45", "3600", ""].into_iter()).map(|x| x.0), Some(Seconds));
        assert_eq!(guess_unit(["45", "30", "1:00:00"].into_iter()).map(|x| x.0), Some(Minutes));
        assert_eq!(guess_unit(["1h"].into_iter()), None);
        assert_eq!("sec".parse::<DurationUnit>().ok(), Some(Seconds));
    }
}
