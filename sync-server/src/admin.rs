//! Admin actions of the `kept-relay` command: creating a team with its one-time manager invite, and an
//! organisation (its leadership team with the leader's invite) that teams join.

use crate::api::team::{clean_name, make_invite};
use crate::storage::{Storage, StorageError};
use kept_protocol::Role;
use serde::Serialize;

/// A new team and its manager's invite.
#[derive(Debug, Clone, Serialize)]
pub struct CreatedTeam {
    /// Team id.
    pub team_id: String,
    /// The one-time manager invite code.
    pub invite: String,
    /// When the invite stops working (RFC 3339).
    pub expires_at: String,
}

/// A new organisation, its leadership team and its leader's invite.
#[derive(Debug, Clone, Serialize)]
pub struct CreatedOrg {
    /// Organisation id (give it to `kept-relay team create --org`).
    pub org_id: String,
    /// The leadership team's id.
    pub leadership_team_id: String,
    /// The leader's one-time invite (to the leadership team, as its manager).
    pub invite: String,
    /// When the invite stops working (RFC 3339).
    pub expires_at: String,
}

fn expiry(at: i64) -> String {
    chrono::DateTime::from_timestamp(at, 0).map(|t| t.to_rfc3339()).unwrap_or_default()
}

/// Creates a team (in organisation `org`, if given) and a one-time invite
/// for its first manager, `manager`.
pub async fn create_team(
    storage: &dyn Storage,
    name: &str,
    manager: &str,
    org: Option<&str>,
) -> Result<CreatedTeam, StorageError> {
    let name = clean_name(name).map_err(|e| StorageError::Invalid(format!("team name: {e}")))?;
    let manager = clean_name(manager).map_err(|e| StorageError::Invalid(format!("manager name: {e}")))?;
    let team_id = uuid::Uuid::now_v7().to_string();
    let (code, invite) = make_invite(&team_id, Role::Manager, Some(manager), None);
    let expires_at = expiry(invite.expires_at);
    storage.create_team(&team_id, &name, invite.created_at, invite).await?;
    if let Some(org) = org {
        storage.set_team_org(&team_id, org).await?;
    }
    Ok(CreatedTeam { team_id, invite: code, expires_at })
}

/// Creates an organisation with its leadership team ("<name> leadership")
/// and a one-time invite for its first leader, `leader`.
pub async fn create_org(storage: &dyn Storage, name: &str, leader: &str) -> Result<CreatedOrg, StorageError> {
    let name = clean_name(name).map_err(|e| StorageError::Invalid(format!("organisation name: {e}")))?;
    let leader = clean_name(leader).map_err(|e| StorageError::Invalid(format!("leader name: {e}")))?;
    let (org_id, team_id) = (uuid::Uuid::now_v7().to_string(), uuid::Uuid::now_v7().to_string());
    let (code, invite) = make_invite(&team_id, Role::Manager, Some(leader), None);
    let expires_at = expiry(invite.expires_at);
    let team_name = format!("{name} leadership");
    storage.create_org(&org_id, &name, (&team_id, &team_name), invite).await?;
    Ok(CreatedOrg { org_id, leadership_team_id: team_id, invite: code, expires_at })
}
