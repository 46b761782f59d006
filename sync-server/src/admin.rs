//! Admin actions of the `kept-relay` command: creating a team with its one-time manager invite.

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

/// Creates a team and a one-time invite for its first manager, `manager`.
pub async fn create_team(storage: &dyn Storage, name: &str, manager: &str) -> Result<CreatedTeam, StorageError> {
    let name = clean_name(name).map_err(|e| StorageError::Invalid(format!("team name: {e}")))?;
    let manager = clean_name(manager).map_err(|e| StorageError::Invalid(format!("manager name: {e}")))?;
    let team_id = uuid::Uuid::now_v7().to_string();
    let (code, invite) = make_invite(&team_id, Role::Manager, Some(manager), None);
    let expires_at = chrono::DateTime::from_timestamp(invite.expires_at, 0).map(|t| t.to_rfc3339()).unwrap_or_default();
    storage.create_team(&team_id, &name, invite.created_at, invite).await?;
    Ok(CreatedTeam { team_id, invite: code, expires_at })
}
