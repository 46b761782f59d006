//! A leader's organisation on one device. A leader is a manager of the
//! organisation's leadership team: that team's home is the leader's home, and
//! it holds one read-only home per team of the organisation under
//! `teams/<team id>/`, each with its own relay device (derived from the
//! leader's), token and pull cursor. So every team syncs exactly as a
//! manager's device does, and the leader's view reads them side by side.

pub mod maps;
pub mod overview;

use crate::clock::{Clock, IdSource};
use crate::error::{CoreError, Result};
use crate::model::Role;
use crate::service::Kept;
use crate::sync::SyncReport;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The folder of a leader's home that holds the teams' homes.
pub const TEAMS_DIR: &str = "teams";

/// The assessment map a leader coaches managers on (in the leadership team),
/// written the first time the leader syncs the organisation unless the team
/// already has its own.
pub const COACHING_MAP: &str = "coaching-one-on-one";
/// Its criteria: what a good coaching 1-on-1 looks like from the manager's side.
pub const COACHING_SKILLS: &[&str] = &[
    "asks-more-than-tells",
    "follows-up-on-action-items",
    "agrees-next-steps",
    "uses-numbers-without-policing",
    "one-skill-at-a-time",
    "recognises-effort",
];

/// One team of the organisation as held on this device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OrgTeamSync {
    /// Team id.
    pub team_id: String,
    /// Team name.
    pub name: String,
    /// True when this device joined the team just now.
    pub new: bool,
    /// Changes pulled by this sync.
    pub pulled: usize,
    /// Why the team could not be synced, if it could not (the others still were).
    pub error: Option<String>,
}

/// Weeks of each rep's log the leader's view reads (signs: 12 complete
/// weeks and this one), plus one for a team whose weeks start on another day
/// or in another zone: opened on a team's first pull, the older ones after.
pub const FIRST_SCREEN_WEEKS: i64 = 14;

/// How [`Kept::org_sync_with`] fetches the teams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrgSyncOptions {
    /// Teams synced at once, each on its own thread and store.
    pub workers: usize,
    /// A team joined now opens this many recent weeks of logs (and every
    /// other document) on its first pull and keeps the older logs for
    /// [`Kept::org_catch_up`]; None opens everything at once.
    pub first_screen_weeks: Option<i64>,
}

impl OrgSyncOptions {
    /// What the leader's first screen needs first, a team per core.
    pub fn first_screen() -> Self {
        OrgSyncOptions { workers: workers(), first_screen_weeks: Some(FIRST_SCREEN_WEEKS) }
    }

    /// Every team in turn, everything at once (as before the first screen came first).
    pub fn one_by_one() -> Self {
        OrgSyncOptions { workers: 1, first_screen_weeks: None }
    }
}

/// What [`Kept::org_catch_up`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CatchUp {
    /// Documents opened.
    pub opened: usize,
    /// Team homes that could not be caught up, with why.
    pub failed: Vec<(PathBuf, String)>,
}

/// A team id from the relay, checked before it names a folder: a UUID.
fn team_folder(teams: &Path, team_id: &str) -> Result<PathBuf> {
    let id = uuid::Uuid::parse_str(team_id)
        .map_err(|_| CoreError::invalid(format!("the relay named a team '{team_id}', which is not a team id")))?;
    Ok(teams.join(id.hyphenated().to_string()))
}

impl Kept {
    /// The folder of this home.
    pub fn home_dir(&self) -> PathBuf {
        self.store.path().parent().map(Path::to_path_buf).unwrap_or_default()
    }

    /// The homes of the organisation's teams held here (a leader's device), by folder name.
    pub fn org_team_homes(&self) -> Result<Vec<PathBuf>> {
        let dir = self.home_dir().join(TEAMS_DIR);
        let Ok(entries) = std::fs::read_dir(&dir) else { return Ok(Vec::new()) };
        let mut homes: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.join(crate::store::DB_FILE).is_file())
            .collect();
        homes.sort();
        Ok(homes)
    }

    /// Opens the organisation's team homes held here (read-only, role leader).
    pub fn org_teams(&self) -> Result<Vec<Kept>> {
        self.org_team_homes()?.iter().map(|h| Kept::open(h, self.clock.clone(), self.ids.fork())).collect()
    }

    /// Joins every team of the organisation this member leads that this
    /// device does not hold yet, then syncs every team home, and opens every
    /// document a first pull kept for later: everything, when it returns. A
    /// team that fails is reported and the others still sync. Refused (by the
    /// relay) unless this home is a manager's of an organisation's leadership
    /// team. The app does the same in two steps: [`Kept::org_sync_with`]
    /// with [`OrgSyncOptions::first_screen`], the leader's view, then
    /// [`Kept::org_catch_up`] in the background.
    pub fn org_sync(&mut self, device_name: &str) -> Result<Vec<OrgTeamSync>> {
        let mut rows = self.org_sync_with(device_name, OrgSyncOptions::first_screen())?;
        for (home, e) in self.org_catch_up()?.failed {
            if let Some(row) = rows.iter_mut().find(|r| home.ends_with(&r.team_id) && r.error.is_none()) {
                row.error = Some(e);
            }
        }
        Ok(rows)
    }

    /// [`Kept::org_sync`] without the catch-up: the teams are synced
    /// `opts.workers` at a time, each on its own thread and store, and a team
    /// joined now opens only the weeks the leader's view reads when
    /// `opts.first_screen_weeks` says so (the older logs wait, complete,
    /// for [`Kept::org_catch_up`]).
    pub fn org_sync_with(&mut self, device_name: &str, opts: OrgSyncOptions) -> Result<Vec<OrgTeamSync>> {
        if self.me().role != Role::Manager {
            return Err(CoreError::NotAllowed(
                "only a leader (a manager of an organisation's leadership team) holds its teams".into(),
            ));
        }
        let client = self.relay()?;
        let url = client.base().to_string();
        let org = client.org_teams()?;
        self.store.set_meta("org_id", &org.org_id)?;
        self.store.set_meta("org_name", &org.org_name)?;
        if !self.interactions()?.iter().any(|i| i == COACHING_MAP) {
            let skills: Vec<String> = COACHING_SKILLS.iter().map(|s| s.to_string()).collect();
            self.set_criteria(COACHING_MAP, Some(&skills))?;
            self.sync()?;
        }
        let teams_dir = self.home_dir().join(TEAMS_DIR);
        let later_before = opts.first_screen_weeks.map(|w| {
            // In UTC weeks from Monday: a team's own basis is at most a week
            // off, so one week more than the view reads.
            crate::week::Week::of_instant(self.clock.now(), chrono_tz::UTC, chrono::Weekday::Mon).plus(-(w - 1))
        });
        let mut jobs = Vec::new();
        for team in &org.teams {
            jobs.push((team, team_folder(&teams_dir, &team.id)?, self.ids.fork()));
        }
        let clock = &self.clock;
        let next = std::sync::atomic::AtomicUsize::new(0);
        let done: std::sync::Mutex<Vec<(usize, OrgTeamSync)>> = std::sync::Mutex::new(Vec::new());
        std::thread::scope(|scope| {
            for _ in 0..opts.workers.clamp(1, jobs.len().max(1)) {
                scope.spawn(|| loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let Some((team, home, ids)) = jobs.get(i) else { break };
                    let mut row = OrgTeamSync {
                        team_id: team.id.clone(),
                        name: team.name.clone(),
                        new: false,
                        pulled: 0,
                        error: None,
                    };
                    let ids = ids.fork();
                    let synced = if home.join(crate::store::DB_FILE).is_file() {
                        Kept::open(home, clock.clone(), ids).and_then(|mut k| k.sync())
                    } else {
                        row.new = true;
                        let join = JoinTeam { client: &client, url: &url, device_name, later_before };
                        join.run(&team.id, home, clock.clone(), ids)
                    };
                    match synced {
                        Ok(report) => row.pulled = report.pulled,
                        Err(e) => row.error = Some(e.to_string()),
                    }
                    if let Ok(mut d) = done.lock() {
                        d.push((i, row));
                    }
                });
            }
        });
        let mut done = done.into_inner().map_err(|_| CoreError::Document("a team's sync panicked".into()))?;
        done.sort_by_key(|(i, _)| *i);
        Ok(done.into_iter().map(|(_, row)| row).collect())
    }

    /// Opens every document the teams' first pulls kept for later, the team
    /// homes side by side as in [`Kept::org_sync_with`]. A team that fails is
    /// named in the answer and the others go on.
    pub fn org_catch_up(&self) -> Result<CatchUp> {
        let homes = self.org_team_homes()?;
        let jobs: Vec<(PathBuf, IdSource)> = homes.into_iter().map(|h| (h, self.ids.fork())).collect();
        let clock = &self.clock;
        let next = std::sync::atomic::AtomicUsize::new(0);
        let out = std::sync::Mutex::new(CatchUp::default());
        std::thread::scope(|scope| {
            for _ in 0..workers().clamp(1, jobs.len().max(1)) {
                scope.spawn(|| loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let Some((home, ids)) = jobs.get(i) else { break };
                    let opened = Kept::open(home, clock.clone(), ids.fork()).and_then(|mut k| {
                        let before = k.later_count()?;
                        let left = k.adopt_later(usize::MAX)?;
                        Ok(before - left.min(before))
                    });
                    if let Ok(mut o) = out.lock() {
                        match opened {
                            Ok(n) => o.opened += n,
                            Err(e) => o.failed.push((home.clone(), e.to_string())),
                        }
                    }
                });
            }
        });
        out.into_inner().map_err(|_| CoreError::Document("a team's catch-up panicked".into()))
    }

    /// Documents the teams' first pulls kept for later, still waiting.
    pub fn org_waiting(&self) -> Result<usize> {
        let mut n = 0;
        for k in self.org_teams()? {
            n += k.later_count()?;
        }
        Ok(n)
    }

    /// The organisation's name, once [`Kept::org_sync`] has run.
    pub fn org_name(&self) -> Result<Option<String>> {
        self.store.meta("org_name")
    }
}

/// How a team is joined by [`Kept::org_sync_with`].
struct JoinTeam<'a> {
    client: &'a crate::sync::client::RelayClient,
    url: &'a str,
    device_name: &'a str,
    later_before: Option<crate::week::Week>,
}

impl JoinTeam<'_> {
    fn run(&self, team_id: &str, home: &Path, clock: Arc<dyn Clock>, ids: IdSource) -> Result<SyncReport> {
        let resp = self.client.leader_device(team_id, self.device_name)?;
        if resp.team_id != team_id || resp.role != Role::Leader {
            return Err(CoreError::invalid(format!(
                "the relay answered for team '{}' as {} when asked for team '{team_id}' as a leader",
                resp.team_id, resp.role
            )));
        }
        Kept::joined(home, self.url, resp, clock, ids, self.later_before).map(|(_, report)| report)
    }
}

/// Threads for the teams: one per core.
fn workers() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_team_id_from_the_relay_names_a_folder_only_if_it_is_a_uuid() {
        let teams = Path::new("/h/teams");
        let ok = team_folder(teams, "01900000-0000-7000-8000-00000000000a").ok();
        assert_eq!(ok, Some(teams.join("01900000-0000-7000-8000-00000000000a")));
        for hostile in ["../../etc", "a/b", "", "01900000-0000-7000-8000-00000000000a/../x"] {
            assert!(team_folder(teams, hostile).is_err(), "{hostile}");
        }
    }
}
