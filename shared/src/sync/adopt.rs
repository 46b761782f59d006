//! Joining a relay later, without losing what was kept on this device only.
//! A local-only home has its own team and member ids; the relay gives new
//! ones. So the device joins into a fresh home and its records are carried
//! over into the new identity's documents (activities, targets, commitments,
//! action items; a manager's catalog and settings), all checked as usual.
//! The old home is kept beside the new one as a backup.

use super::JoinOptions;
use crate::clock::{Clock, IdSource};
use crate::error::{CoreError, Result};
use crate::model::{ActionStatus, ActivityInput, Role};
use crate::service::{ActionFilter, Kept};
use crate::week::Week;
use rusqlite::params;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What was carried over.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Adopted {
    /// Activities.
    pub activities: usize,
    /// Targets.
    pub targets: usize,
    /// Action items.
    pub action_items: usize,
    /// Where the old home was kept.
    pub backup: String,
}

impl Kept {
    /// Joins a relay from a home that was used on this device only, carrying
    /// its records over. Returns the joined home (at the same path) and a report.
    pub fn join_existing(
        home: &Path,
        opts: &JoinOptions,
        clock: Arc<dyn Clock>,
        ids: IdSource,
    ) -> Result<(Kept, Adopted)> {
        let old = Kept::open(home, clock.clone(), IdSource::random())?;
        if old.is_joined()? {
            return Err(CoreError::invalid("this device already syncs with a relay; sign out first to join another"));
        }
        let stamp = clock.now().format("%Y%m%d%H%M%S").to_string();
        let fresh: PathBuf = home.with_extension(format!("joining-{stamp}"));
        let (mut new, _) = Kept::join(&fresh, opts, clock.clone(), ids)?;
        let report = carry_over(&old, &mut new).inspect_err(|_| {
            let _ = std::fs::remove_dir_all(&fresh);
        })?;
        new.sync()?;
        drop(new);
        drop(old);
        let backup = home.with_extension(format!("before-join-{stamp}"));
        std::fs::rename(home, &backup)?;
        std::fs::rename(&fresh, home)?;
        let kept = Kept::open(home, clock, IdSource::random())?;
        Ok((kept, Adopted { backup: backup.display().to_string(), ..report }))
    }
}

fn carry_over(old: &Kept, new: &mut Kept) -> Result<Adopted> {
    let mut report = Adopted::default();
    let conn = old.store().conn();
    let me = old.me().id.clone();
    if new.me().role == Role::Manager && old.me().role == Role::Manager {
        let team = old.team()?;
        new.set_team_settings(None, Some(&team.time_zone), Some(team.week_start), Some(&team.working_days))?;
        for t in &team.catalog {
            new.upsert_activity_type(t)?;
        }
    }
    // Activities, in one transaction.
    let mut st = conn.prepare(
        "SELECT type, kare, occurred_at, count, duration_min, outcome, account, note FROM activities WHERE rep = ?1 ORDER BY occurred_utc",
    )?;
    let rows = st.query_map(params![me], |r| {
        Ok((
            r.get::<_, String>(0)?,
            ActivityInput {
                kind: None,
                kare: Some(r.get::<_, Option<String>>(1)?.and_then(|k| k.parse().ok())),
                occurred_at: Some(r.get(2)?),
                count: Some(r.get(3)?),
                duration_min: Some(r.get(4)?),
                outcome: Some(r.get(5)?),
                account: Some(r.get(6)?),
                deal: None,
                note: Some(r.get(7)?),
            },
        ))
    })?;
    let entries = rows.collect::<rusqlite::Result<Vec<_>>>()?;
    report.activities = entries.len();
    if !entries.is_empty() {
        new.log_many(entries, None)?;
    }
    // Targets.
    let mut st = conn.prepare("SELECT type, week, standing, count FROM targets WHERE rep = ?1")?;
    let rows = st.query_map(params![me], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, bool>(2)?, r.get::<_, i64>(3)?))
    })?;
    for r in rows {
        let (kind, week, standing, count) = r?;
        let w: Week = week.parse()?;
        if standing {
            new.set_standing_target(&kind, count, None, w)?;
        } else {
            new.set_target(&kind, count, None, Some(w))?;
        }
        report.targets += 1;
    }
    // Action items (mine), with their state.
    for a in old.action_items(&ActionFilter::default())? {
        if a.owner != me {
            continue;
        }
        let item = new.add_action(&a.text, &a.due, None, None)?;
        match a.status {
            ActionStatus::Done => {
                new.action_done(&item.id, a.result.as_deref().unwrap_or("done"))?;
            }
            ActionStatus::Dropped => {
                new.action_drop(&item.id, a.result.as_deref())?;
            }
            ActionStatus::Open => {}
        }
        report.action_items += 1;
    }
    Ok(report)
}
