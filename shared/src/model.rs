//! Kept's domain vocabulary: roles, KARE categories, the activity catalog,
//! activities, targets, commitments, action items and deals, with the parsing
//! of user input into them (each parse error names the allowed values).

use crate::error::{CoreError, Result};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

macro_rules! keyword_enum {
    ($(#[$m:meta])* $name:ident, $what:literal, { $($(#[$vm:meta])* $var:ident => $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
        #[serde(rename_all = "kebab-case")]
        pub enum $name { $($(#[$vm])* $var),+ }

        impl $name {
            /// Every value, in display order.
            pub const ALL: &'static [$name] = &[$($name::$var),+];
            /// The keyword used in documents, the CLI and JSON.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$var => $s),+ }
            }
        }

        impl FromStr for $name {
            type Err = CoreError;
            fn from_str(s: &str) -> Result<Self> {
                match s.trim().to_ascii_lowercase().as_str() {
                    $($s => Ok($name::$var),)+
                    other => Err(CoreError::invalid(format!(
                        "unknown {} '{}': expected one of {}",
                        $what,
                        other,
                        [$($s),+].join(", ")
                    ))),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub use kept_protocol::Role;

/// Most a single activity record may count (a tap counts 1).
pub const MAX_COUNT: i64 = 1000;
/// Longest an activity may last, in minutes (a day).
pub const MAX_DURATION_MIN: i64 = 24 * 60;

keyword_enum!(
    /// KARE: what an activity or a sale does for the account base.
    Kare, "KARE category", {
        /// Keep: protect existing business.
        Keep => "keep",
        /// Attain: win a new account.
        Attain => "attain",
        /// Recapture (or reinforce) a lost or weakened account.
        Recapture => "recapture",
        /// Expand: grow an existing account.
        Expand => "expand",
    }
);

keyword_enum!(
    /// The life of an action item.
    ActionStatus, "action item status", { Open => "open", Done => "done", Dropped => "dropped" }
);

keyword_enum!(
    /// Where a deal stands.
    DealStatus, "deal status", { Open => "open", Won => "won", Lost => "lost" }
);

keyword_enum!(
    /// What a weekly commitment is about: a behaviour the rep controls, or an outcome they do not.
    CommitmentKind, "commitment kind", { Activity => "activity", Outcome => "outcome" }
);

/// One entry of a team's activity catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ActivityType {
    /// Stable key, e.g. `meeting-set`.
    pub key: String,
    /// What people read, e.g. "Meetings set".
    pub label: String,
    /// KARE category an activity of this type gets unless told otherwise.
    pub default_kare: Option<Kare>,
    /// A leading indicator (a behaviour) rather than a result.
    pub leading: bool,
    /// Order on the rep's home screen and the board.
    pub position: i64,
    /// Retired types stay readable in history but are not offered for new logs.
    pub retired: bool,
}

/// The catalog a new team starts with. Part of the team document's genesis:
/// never change it in place (see `docs::genesis`), add types in later changes.
pub fn default_catalog() -> Vec<ActivityType> {
    kept_protocol::genesis::GENESIS_CATALOG
        .iter()
        .map(|t| ActivityType {
            key: t.key.into(),
            label: t.label.into(),
            default_kare: None,
            leading: t.leading,
            position: t.position,
            retired: false,
        })
        .collect()
}

/// Team-wide settings from the team document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TeamSettings {
    /// Team name.
    pub name: String,
    /// IANA time zone name the team's weeks are cut in.
    pub time_zone: String,
    /// First day of the team's week.
    #[cfg_attr(feature = "ts", ts(as = "WeekdayName"))]
    pub week_start: chrono::Weekday,
    /// Working days (pace counts only these).
    #[cfg_attr(feature = "ts", ts(as = "Vec<WeekdayName>"))]
    pub working_days: Vec<chrono::Weekday>,
    /// The activity catalog, in display order.
    pub catalog: Vec<ActivityType>,
    /// Warning-sign thresholds.
    #[serde(default)]
    pub thresholds: Thresholds,
    /// How the team writes numbers, dates and times (a BCP 47 tag like
    /// `de-DE`); empty: each device's own.
    #[serde(default)]
    pub locale: String,
    /// The currency deal amounts are in (ISO 4217, like `EUR`); empty: USD.
    #[serde(default)]
    pub currency: String,
}

/// A day of the week as chrono serialises it (`"Mon"` … `"Sun"`), for the
/// generated TypeScript only.
#[cfg(feature = "ts")]
#[derive(ts_rs::TS)]
#[ts(rename = "Weekday")]
#[allow(dead_code)]
pub enum WeekdayName {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

/// When a warning sign fires; set per team by its managers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Thresholds {
    /// Last week's count this many percent under the rep's own 4-week average.
    pub activity_drop_pct: i64,
    /// Missed targets in at least this many …
    pub missed_weeks: i64,
    /// … of the last this many complete weeks is a pattern (one miss is not).
    pub missed_window: i64,
    /// No activity logged for this many working days.
    pub silence_days: i64,
    /// Conversation→meeting conversion this many percent under the earlier rate.
    pub conversion_drop_pct: i64,
    /// Win rate of the last 12 weeks this many percentage points under the 12 before.
    #[serde(default = "d_win_rate")]
    pub win_rate_drop_pts: i64,
    /// Average sales cycle (created → won) of the last 12 weeks this many percent over the 12 before.
    #[serde(default = "d_cycle")]
    pub cycle_rise_pct: i64,
    /// The team's 1-on-1 cadence: one every this many days.
    #[serde(default = "d_cadence")]
    pub cadence_days: i64,
    /// A week within this many percent of its target is a near miss, not a miss.
    #[serde(default = "d_near_miss")]
    pub near_miss_pct: i64,
}

fn d_win_rate() -> i64 {
    15
}
fn d_cycle() -> i64 {
    25
}
fn d_cadence() -> i64 {
    7
}
fn d_near_miss() -> i64 {
    10
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            activity_drop_pct: 30,
            missed_weeks: 2,
            missed_window: 3,
            silence_days: 3,
            conversion_drop_pct: 30,
            win_rate_drop_pts: d_win_rate(),
            cycle_rise_pct: d_cycle(),
            cadence_days: d_cadence(),
            near_miss_pct: d_near_miss(),
        }
    }
}

impl Thresholds {
    /// The keys under which the team document stores each threshold.
    pub const KEYS: [&'static str; 9] = [
        "activity_drop_pct",
        "missed_weeks",
        "missed_window",
        "silence_days",
        "conversion_drop_pct",
        "win_rate_drop_pts",
        "cycle_rise_pct",
        "cadence_days",
        "near_miss_pct",
    ];

    /// The value for a key of [`Thresholds::KEYS`].
    pub fn get(&self, key: &str) -> Option<i64> {
        Some(match key {
            "activity_drop_pct" => self.activity_drop_pct,
            "missed_weeks" => self.missed_weeks,
            "missed_window" => self.missed_window,
            "silence_days" => self.silence_days,
            "conversion_drop_pct" => self.conversion_drop_pct,
            "win_rate_drop_pts" => self.win_rate_drop_pts,
            "cycle_rise_pct" => self.cycle_rise_pct,
            "cadence_days" => self.cadence_days,
            "near_miss_pct" => self.near_miss_pct,
            _ => return None,
        })
    }

    /// Sets a threshold, checking its range.
    pub fn set(&mut self, key: &str, v: i64) -> Result<()> {
        let (lo, hi) = match key {
            "activity_drop_pct" | "conversion_drop_pct" | "win_rate_drop_pts" => (1, 100),
            "cycle_rise_pct" => (1, 500),
            "missed_weeks" | "missed_window" => (1, 12),
            "silence_days" => (1, 30),
            "cadence_days" => (1, 90),
            "near_miss_pct" => (0, 50),
            _ => {
                return Err(CoreError::invalid(format!(
                    "unknown threshold '{key}': expected one of {}",
                    Thresholds::KEYS.join(", ")
                )))
            }
        };
        if !(lo..=hi).contains(&v) {
            return Err(CoreError::invalid(format!("bad {key} {v}: must be between {lo} and {hi}")));
        }
        match key {
            "activity_drop_pct" => self.activity_drop_pct = v,
            "missed_weeks" => self.missed_weeks = v,
            "missed_window" => self.missed_window = v,
            "silence_days" => self.silence_days = v,
            "win_rate_drop_pts" => self.win_rate_drop_pts = v,
            "cycle_rise_pct" => self.cycle_rise_pct = v,
            "cadence_days" => self.cadence_days = v,
            "near_miss_pct" => self.near_miss_pct = v,
            _ => self.conversion_drop_pct = v,
        }
        if self.missed_weeks > self.missed_window {
            return Err(CoreError::invalid(format!(
                "missed_weeks ({}) cannot exceed missed_window ({})",
                self.missed_weeks, self.missed_window
            )));
        }
        Ok(())
    }
}

impl TeamSettings {
    /// The catalog entry for `key`, or an error listing the team's types.
    pub fn activity_type(&self, key: &str) -> Result<&ActivityType> {
        self.catalog.iter().find(|t| t.key == key && !t.retired).ok_or_else(|| {
            CoreError::invalid(format!(
                "unknown activity type '{}': this team's types are {}",
                key,
                self.catalog.iter().filter(|t| !t.retired).map(|t| t.key.as_str()).collect::<Vec<_>>().join(", ")
            ))
        })
    }
    /// The parsed time zone (falls back to UTC for a name this build does not know).
    pub fn tz(&self) -> chrono_tz::Tz {
        self.time_zone.parse().unwrap_or(chrono_tz::UTC)
    }
}

/// A member of the team as this device knows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Member {
    /// Member id (UUID).
    pub id: String,
    /// Display name, unique within the team.
    pub name: String,
    /// Rep or manager.
    pub role: Role,
}

/// A logged activity as the views hold it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Activity {
    /// UUIDv7.
    pub id: String,
    /// Member id of the rep whose log holds it.
    pub rep: String,
    /// Activity type key.
    pub kind: String,
    /// KARE category, if known.
    pub kare: Option<Kare>,
    /// When it happened, RFC 3339 with the offset it was logged with.
    pub occurred_at: String,
    /// How many (a block of 10 dials can be one entry).
    pub count: i64,
    /// Minutes spent, if given.
    pub duration_min: Option<i64>,
    /// Outcome in the rep's words.
    pub outcome: Option<String>,
    /// Account or contact.
    pub account: Option<String>,
    /// Deal id this activity advanced.
    pub deal: Option<String>,
    /// Free note.
    pub note: Option<String>,
    /// Member id of whoever logged it (a manager may log for a rep).
    pub logged_by: String,
}

impl Activity {
    /// Record `id` of `rep` with every other field empty (count 1), for a
    /// reader to fill in.
    pub(crate) fn blank(id: String, rep: &str) -> Activity {
        Activity {
            id,
            rep: rep.to_string(),
            kind: String::new(),
            kare: None,
            occurred_at: String::new(),
            count: 1,
            duration_min: None,
            outcome: None,
            account: None,
            deal: None,
            note: None,
            logged_by: String::new(),
        }
    }
}

/// Fields of an activity as given by a user; `None` leaves a field as it is
/// when editing. `Some(None)` in the `Option<Option<…>>` fields clears it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ActivityInput {
    /// Activity type key.
    pub kind: Option<String>,
    /// KARE category.
    pub kare: Option<Option<Kare>>,
    /// When it happened (RFC 3339).
    pub occurred_at: Option<String>,
    /// How many.
    pub count: Option<i64>,
    /// Minutes spent.
    pub duration_min: Option<Option<i64>>,
    /// Outcome.
    pub outcome: Option<Option<String>>,
    /// Account.
    pub account: Option<Option<String>>,
    /// Deal id.
    pub deal: Option<Option<String>>,
    /// Note.
    pub note: Option<Option<String>>,
}

/// A weekly target for one activity type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// Rep member id.
    pub rep: String,
    /// Activity type key.
    pub kind: String,
    /// The week it applies to: for a standing target, the first week.
    pub week: String,
    /// True for a standing target (this week and every later one until changed).
    pub standing: bool,
    /// Count per week.
    pub count: i64,
    /// Who set it.
    pub set_by: String,
}

/// A rep's commitment for one week.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Commitment {
    /// UUIDv7.
    pub id: String,
    /// Rep member id.
    pub rep: String,
    /// Week label.
    pub week: String,
    /// Activity or outcome.
    pub kind: CommitmentKind,
    /// Activity type key, for activity commitments.
    pub activity: Option<String>,
    /// The number committed to.
    pub count: i64,
    /// The commitment in the rep's words.
    pub text: String,
}

/// An action item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ActionItem {
    /// UUIDv7.
    pub id: String,
    /// The rep whose coaching document holds it.
    pub rep: String,
    /// Who must do it (member id).
    pub owner: String,
    /// What to do.
    pub text: String,
    /// Due date (YYYY-MM-DD).
    pub due: String,
    /// Open, done or dropped.
    pub status: ActionStatus,
    /// Result note, when done.
    pub result: Option<String>,
    /// Where it came from (e.g. a meeting id, or "manual").
    pub source: String,
    /// When it was created (RFC 3339).
    pub created_at: String,
}

/// A deal in a rep's pipeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Deal {
    /// UUIDv7.
    pub id: String,
    /// Rep member id.
    pub rep: String,
    /// Account / deal name.
    pub name: String,
    /// Amount in the team's currency (whole units).
    pub amount: i64,
    /// Pipeline stage.
    pub stage: String,
    /// KARE type of the sale.
    pub kare: Option<Kare>,
    /// Expected close date (YYYY-MM-DD).
    pub expected_close: Option<String>,
    /// Open, won or lost.
    pub status: DealStatus,
    /// When it was closed (RFC 3339).
    pub closed_at: Option<String>,
    /// When it entered the pipeline (RFC 3339); the sales cycle runs from here to `closed_at`.
    #[serde(default)]
    pub created_at: Option<String>,
}

/// Checks a free-text field: trimmed, not empty, bounded.
pub fn clean_text(what: &str, s: &str, max: usize) -> Result<String> {
    let t = s.trim();
    if t.is_empty() {
        return Err(CoreError::invalid(format!("{what} must not be empty")));
    }
    if t.chars().count() > max {
        return Err(CoreError::invalid(format!("{what} is too long: at most {max} characters")));
    }
    Ok(t.to_string())
}

/// Parses a YYYY-MM-DD date.
pub fn parse_date(what: &str, s: &str) -> Result<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| CoreError::invalid(format!("bad {what} '{s}': expected a date like 2026-11-27")))
}

/// Parses an RFC 3339 instant, keeping its offset.
pub fn parse_instant(what: &str, s: &str) -> Result<chrono::DateTime<chrono::FixedOffset>> {
    chrono::DateTime::parse_from_rfc3339(s.trim())
        .map_err(|_| CoreError::invalid(format!("bad {what} '{s}': expected RFC 3339 like 2026-11-23T14:30:00+01:00")))
}

/// Parses a weekday name (mon, monday, …).
pub fn parse_weekday(s: &str) -> Result<chrono::Weekday> {
    s.trim()
        .parse::<chrono::Weekday>()
        .map_err(|_| CoreError::invalid(format!("bad weekday '{s}': expected mon, tue, wed, thu, fri, sat or sun")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_parse_and_errors_list_allowed_values() {
        assert_eq!("Expand".parse::<Kare>().ok(), Some(Kare::Expand));
        let err = "grow".parse::<Kare>().expect_err("not a KARE category").to_string();
        assert!(err.contains("keep, attain, recapture, expand"), "{err}");
        assert_eq!("manager".parse::<Role>().ok(), Some(Role::Manager));
    }

    #[test]
    fn default_catalog_has_the_promised_keys() {
        let keys: Vec<_> = default_catalog().into_iter().map(|t| t.key).collect();
        for k in ["call", "conversation", "meeting-set", "meeting-held", "proposal", "referral-asked", "email"] {
            assert!(keys.iter().any(|x| x == k), "missing {k}");
        }
    }

    #[test]
    fn text_and_dates_are_checked() {
        assert!(clean_text("note", "   ", 10).is_err());
        assert!(clean_text("note", "abcdefghijk", 10).is_err());
        assert_eq!(clean_text("note", " ok ", 10).ok().as_deref(), Some("ok"));
        assert!(parse_date("due date", "2026-13-01").is_err());
        assert!(parse_instant("time", "yesterday").is_err());
    }
}
