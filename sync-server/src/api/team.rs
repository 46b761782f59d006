//! Join, invites, members and devices; a leader's teams and their devices in them.

use super::json::ApiJson;
use crate::auth::{hash_secret, invite_key, new_invite_code, new_token, Bucket, Caller, ClientIp, INVITE_TTL_SECS};
use crate::error::AppError;
use crate::storage::{name_key, JoinPlan, Joined, LeaderPlan, NewInvite, StorageError};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use kept_protocol::wire::{
    DeviceInfo, InviteRequest, InviteResponse, JoinRequest, JoinResponse, LeaderDeviceRequest, MemberInfo, OrgTeams,
};
use kept_protocol::Role;

/// Longest member or device name.
const MAX_NAME: usize = 100;

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn rfc3339(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0).map(|t| t.to_rfc3339()).unwrap_or_default()
}

/// Trims and checks a person's name.
pub fn clean_name(name: &str) -> Result<String, AppError> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > MAX_NAME || n.chars().any(char::is_control) {
        return Err(AppError::BadRequest(format!("a name must be 1 to {MAX_NAME} printable characters")));
    }
    Ok(n.to_string())
}

fn require_manager(caller: &Caller, what: &str) -> Result<(), AppError> {
    match caller.role {
        Role::Manager => Ok(()),
        Role::Rep => Err(AppError::Forbidden(format!("only managers {what}"))),
        Role::Leader => Err(AppError::Forbidden(format!("only managers {what}; a leader reads the team"))),
    }
}

/// A new invite for `team_id` (code and stored form).
pub fn make_invite(team_id: &str, role: Role, name: Option<String>, member_id: Option<String>) -> (String, NewInvite) {
    let code = new_invite_code();
    let created_at = now();
    let invite = NewInvite {
        code_hash: hash_secret(&invite_key(&code)),
        team_id: team_id.to_string(),
        role,
        name,
        member_id,
        expires_at: created_at + INVITE_TTL_SECS,
        created_at,
    };
    (code, invite)
}

/// `POST /v1/join`.
pub async fn join(
    ClientIp(ip): ClientIp,
    State(st): State<AppState>,
    ApiJson(req): ApiJson<JoinRequest>,
) -> Result<Json<JoinResponse>, AppError> {
    let name = req.name.as_deref().map(clean_name).transpose()?;
    let device_name = device_label(&req.device_name)?;
    let token = new_token();
    let plan = JoinPlan {
        code_hash: hash_secret(&invite_key(&req.invite)),
        device_id: uuid::Uuid::now_v7().to_string(),
        token_hash: hash_secret(&token),
        device_name,
        new_member_id: uuid::Uuid::now_v7().to_string(),
        name,
        now: now(),
        parent: None,
    };
    match st.storage.redeem_invite(plan).await {
        Ok(j) => Ok(Json(join_response(token, j))),
        // The limiter counts wrong codes per client address, but a valid
        // invite is always redeemed: behind a shared proxy address, someone
        // else's wrong guesses never block a real join (codes are 160 random
        // bits, so the limiter is defence in depth, not the protection).
        Err(e @ StorageError::InvalidInvite(_)) => {
            if st.limiter.limited(Bucket::Join, ip) {
                return Err(AppError::RateLimited(
                    "too many wrong invite codes from your address; wait a minute".into(),
                ));
            }
            st.limiter.fail(Bucket::Join, ip);
            Err(e.into())
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /v1/invites` (managers).
pub async fn invite(
    caller: Caller,
    State(st): State<AppState>,
    ApiJson(req): ApiJson<InviteRequest>,
) -> Result<Json<InviteResponse>, AppError> {
    // Any member may invite another device of their own; everything else is a manager's.
    if req.member_id.as_deref() != Some(caller.member_id.as_str()) {
        require_manager(
            &caller,
            "create invites (a rep may invite only another device of their own: `kept invite --me`)",
        )?;
    }
    if req.role == Role::Leader {
        return Err(AppError::BadRequest(
            "a leader is not invited into a team: they join their organisation's leadership team, and the relay \
             gives them read access to each of its teams"
                .into(),
        ));
    }
    let members = st.storage.members(&caller.team_id).await?;
    let name = req.name.as_deref().map(clean_name).transpose()?;
    if let Some(mid) = &req.member_id {
        let m = members
            .iter()
            .find(|m| &m.id == mid && m.active)
            .ok_or_else(|| AppError::NotFound(format!("no active member '{mid}' in your team")))?;
        if m.role != req.role {
            return Err(AppError::BadRequest(format!(
                "'{}' is a {}; the invite's role must match",
                m.name,
                m.role.as_str()
            )));
        }
    } else if let Some(n) = &name {
        let key = name_key(n);
        if members.iter().any(|m| m.active && name_key(&m.name) == key) {
            return Err(AppError::Conflict(format!("the team already has a member named '{n}'")));
        }
    }
    let (code, inv) = make_invite(&caller.team_id, req.role, name, req.member_id);
    let expires_at = rfc3339(inv.expires_at);
    st.storage.insert_invite(inv).await?;
    Ok(Json(InviteResponse { code, role: req.role, expires_at }))
}

/// `GET /v1/members`.
pub async fn members(caller: Caller, State(st): State<AppState>) -> Result<Json<Vec<MemberInfo>>, AppError> {
    Ok(Json(st.storage.members(&caller.team_id).await?))
}

/// `DELETE /v1/members/{id}` (managers): the member's devices are revoked.
pub async fn remove_member(
    caller: Caller,
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    require_manager(&caller, "remove members")?;
    let members = st.storage.members(&caller.team_id).await?;
    let target = members
        .iter()
        .find(|m| m.id == id)
        .ok_or_else(|| AppError::NotFound(format!("no member '{id}' in your team")))?;
    if target.role == Role::Leader {
        return Err(AppError::Forbidden(
            "a leader reads every team of their organisation; they are removed from its leadership team".into(),
        ));
    }
    let managers_left = members.iter().filter(|m| m.active && m.role == Role::Manager && m.id != id).count();
    if target.active && target.role == Role::Manager && managers_left == 0 {
        return Err(AppError::Conflict("cannot remove the team's last manager".into()));
    }
    let revoked = st.storage.remove_member(&caller.team_id, &id).await?;
    st.live.revoke(revoked);
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v1/devices`: a manager sees the team's, a rep their own.
pub async fn devices(caller: Caller, State(st): State<AppState>) -> Result<Json<Vec<DeviceInfo>>, AppError> {
    let only = match caller.role {
        Role::Manager => None,
        Role::Rep | Role::Leader => Some(caller.member_id.as_str()),
    };
    Ok(Json(st.storage.devices(&caller.team_id, only).await?))
}

/// `DELETE /v1/devices/{id}`: a manager any of the team's, a rep their own.
pub async fn revoke_device(
    caller: Caller,
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    let devices = st.storage.devices(&caller.team_id, None).await?;
    let d = devices
        .iter()
        .find(|d| d.id == id)
        .ok_or_else(|| AppError::NotFound(format!("no device '{id}' in your team")))?;
    if caller.role != Role::Manager && d.member_id != caller.member_id {
        return Err(AppError::Forbidden("a rep may revoke only their own devices".into()));
    }
    let revoked = st.storage.revoke_device(&caller.team_id, &id).await?;
    st.live.revoke(revoked);
    Ok(StatusCode::NO_CONTENT)
}

/// Checks a device label (no control characters) and trims it.
fn device_label(name: &str) -> Result<String, AppError> {
    if name.chars().any(char::is_control) {
        return Err(AppError::BadRequest(
            "device_name may not contain control characters (line breaks, terminal escapes)".into(),
        ));
    }
    Ok(name.trim().chars().take(MAX_NAME).collect())
}

/// `GET /v1/org/teams`: the teams of the organisation the caller leads.
pub async fn org_teams(caller: Caller, State(st): State<AppState>) -> Result<Json<OrgTeams>, AppError> {
    let not_leader =
        || AppError::Forbidden("only a leader (a manager of an organisation's leadership team) sees its teams".into());
    if caller.role != Role::Manager {
        return Err(not_leader());
    }
    st.storage.org_led_by(&caller.team_id).await?.map(Json).ok_or_else(not_leader)
}

/// `POST /v1/org/teams/{team}/device`: a leader's read-only device in one
/// team of their organisation (revoked with the caller's device).
pub async fn leader_device(
    caller: Caller,
    State(st): State<AppState>,
    Path(team): Path<String>,
    ApiJson(req): ApiJson<LeaderDeviceRequest>,
) -> Result<Json<JoinResponse>, AppError> {
    let device_name = device_label(&req.device_name)?;
    let token = new_token();
    let join = JoinPlan {
        code_hash: String::new(),
        device_id: uuid::Uuid::now_v7().to_string(),
        token_hash: hash_secret(&token),
        device_name,
        new_member_id: uuid::Uuid::now_v7().to_string(),
        name: None,
        now: now(),
        parent: Some(caller.device_id.clone()),
    };
    let j = st.storage.leader_device(LeaderPlan { leader: caller, team_id: team, join }).await?;
    Ok(Json(join_response(token, j)))
}

/// What a new device is told: its token (shown once) and who it is.
fn join_response(token: String, j: Joined) -> JoinResponse {
    JoinResponse {
        token,
        device_id: j.device_id,
        team_id: j.team_id,
        team_name: j.team_name,
        member_id: j.member_id,
        member_name: j.member_name,
        role: j.role,
    }
}
