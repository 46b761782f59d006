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
    /// device does not hold yet, then syncs every team home. A team that
    /// fails is reported and the others still sync. Refused (by the relay)
    /// unless this home is a manager's of an organisation's leadership team.
    pub fn org_sync(&mut self, device_name: &str) -> Result<Vec<OrgTeamSync>> {
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
        let mut out = Vec::new();
        for team in &org.teams {
            let home = team_folder(&teams_dir, &team.id)?;
            let mut row =
                OrgTeamSync { team_id: team.id.clone(), name: team.name.clone(), new: false, pulled: 0, error: None };
            let synced = if home.join(crate::store::DB_FILE).is_file() {
                Kept::open(&home, self.clock.clone(), self.ids.fork()).and_then(|mut k| k.sync())
            } else {
                row.new = true;
                join_team(&client, &url, &team.id, device_name, &home, self.clock.clone(), self.ids.fork())
            };
            match synced {
                Ok(report) => row.pulled = report.pulled,
                Err(e) => row.error = Some(e.to_string()),
            }
            out.push(row);
        }
        Ok(out)
    }

    /// The organisation's name, once [`Kept::org_sync`] has run.
    pub fn org_name(&self) -> Result<Option<String>> {
        self.store.meta("org_name")
    }
}

fn join_team(
    client: &crate::sync::client::RelayClient,
    url: &str,
    team_id: &str,
    device_name: &str,
    home: &Path,
    clock: Arc<dyn Clock>,
    ids: IdSource,
) -> Result<SyncReport> {
    let resp = client.leader_device(team_id, device_name)?;
    if resp.team_id != team_id || resp.role != Role::Leader {
        return Err(CoreError::invalid(format!(
            "the relay answered for team '{}' as {} when asked for team '{team_id}' as a leader",
            resp.team_id, resp.role
        )));
    }
    Kept::joined(home, url, resp, clock, ids).map(|(_, report)| report)
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
