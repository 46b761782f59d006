//! Reminders the app shows through the OS's notifications: action items due
//! today, and (unless turned off) an end-of-day nudge on a working day when
//! nothing was logged. Each is shown once: what was shown is remembered.

use super::Kept;
use crate::error::Result;
use crate::model::ActionStatus;
use crate::service::ActionFilter;
use chrono::{Datelike, Timelike};
use serde::{Deserialize, Serialize};

/// The local hour after which the end-of-day nudge may fire.
const NUDGE_HOUR: u32 = 16;

/// One notification to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reminder {
    /// Unique per day and subject, so it is shown once.
    pub key: String,
    /// Title.
    pub title: String,
    /// Body.
    pub body: String,
}

impl Kept {
    /// The reminders due now that have not been shown yet.
    pub fn reminders(&self) -> Result<Vec<Reminder>> {
        let team = self.team()?;
        let local = self.clock.now().with_timezone(&team.tz());
        let today = local.date_naive().format("%Y-%m-%d").to_string();
        let shown = self.store.meta("reminded")?.unwrap_or_default();
        let shown: Vec<&str> = shown.split(',').collect();
        let mut out = Vec::new();
        let mine = ActionFilter { status: Some(ActionStatus::Open), rep: None };
        for a in self.action_items(&mine)? {
            if a.due == today && a.owner == self.me().id {
                out.push(Reminder { key: format!("{today}/{}", a.id), title: "Due today".into(), body: a.text });
            }
        }
        let nudge_on = self.store.meta("nudge")?.as_deref() != Some("off");
        if nudge_on && local.hour() >= NUDGE_HOUR && team.working_days.contains(&local.weekday()) {
            let logged_today = self.activities(None, None, false)?.iter().any(|a| a.occurred_at.starts_with(&today));
            if !logged_today {
                out.push(Reminder {
                    key: format!("{today}/nudge"),
                    title: "Nothing logged today".into(),
                    body: "A quick tap keeps your week honest: log today's calls and meetings.".into(),
                });
            }
        }
        Ok(out.into_iter().filter(|r| !shown.contains(&r.key.as_str())).collect())
    }

    /// Remembers that these reminders were shown (keeps the last 200).
    pub fn mark_reminded(&mut self, keys: &[String]) -> Result<()> {
        let old = self.store.meta("reminded")?.unwrap_or_default();
        let mut all: Vec<&str> = old.split(',').filter(|s| !s.is_empty()).collect();
        all.extend(keys.iter().map(String::as_str));
        let start = all.len().saturating_sub(200);
        self.store.set_meta("reminded", &all[start..].join(","))
    }

    /// Turns the end-of-day nudge on or off for this device.
    pub fn set_nudge(&mut self, on: bool) -> Result<()> {
        self.store.set_meta("nudge", if on { "on" } else { "off" })
    }
}
