//! PostgreSQL queries for teams, invites, members and devices.

use super::{Caller, JoinPlan, Joined, NewInvite, StorageError, StorageResult};
use deadpool_postgres::{Client, GenericClient};
use kept_protocol::wire::{DeviceInfo, MemberInfo};
use kept_protocol::Role;
use tokio_postgres::error::SqlState;

fn role_of(s: &str) -> StorageResult<Role> {
    s.parse().map_err(|e| StorageError::Backend(format!("bad role '{s}' in the database: {e}")))
}

fn rfc3339(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0).map(|t| t.to_rfc3339()).unwrap_or_default()
}

pub(crate) async fn create_team(
    c: &mut Client,
    team_id: &str,
    name: &str,
    now: i64,
    invite: &NewInvite,
) -> StorageResult<()> {
    let tx = c.transaction().await?;
    tx.execute("INSERT INTO teams(id, name, created_at) VALUES ($1, $2, $3)", &[&team_id, &name, &now]).await?;
    tx.execute("INSERT INTO team_seq(team_id, seq, compacted) VALUES ($1, 0, 0)", &[&team_id]).await?;
    insert_invite(&tx, invite).await?;
    tx.commit().await?;
    Ok(())
}

pub(crate) async fn insert_invite(c: &impl GenericClient, i: &NewInvite) -> StorageResult<()> {
    let st = c
        .prepare_cached(
            "INSERT INTO invites(code_hash, team_id, role, name, member_id, expires_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .await?;
    c.execute(&st, &[&i.code_hash, &i.team_id, &i.role.as_str(), &i.name, &i.member_id, &i.expires_at, &i.created_at])
        .await?;
    Ok(())
}

pub(crate) async fn redeem_invite(c: &mut Client, p: &JoinPlan) -> StorageResult<Joined> {
    let tx = c.transaction().await?;
    // The row lock makes a code redeemable once even with joins racing on several relays.
    let st = tx
        .prepare_cached(
            "SELECT team_id, role, name, member_id, expires_at, used_at FROM invites WHERE code_hash = $1 FOR UPDATE",
        )
        .await?;
    let inv = tx
        .query_opt(&st, &[&p.code_hash])
        .await?
        .ok_or_else(|| StorageError::InvalidInvite("unknown invite code".into()))?;
    let (team_id, inv_role, inv_name, inv_member, expires_at, used_at): (
        String,
        String,
        Option<String>,
        Option<String>,
        i64,
        Option<i64>,
    ) = (inv.get(0), inv.get(1), inv.get(2), inv.get(3), inv.get(4), inv.get(5));
    if used_at.is_some() {
        return Err(StorageError::InvalidInvite("this invite was already used; ask your manager for a new one".into()));
    }
    if expires_at < p.now {
        return Err(StorageError::InvalidInvite("this invite has expired; ask your manager for a new one".into()));
    }
    let (member_id, member_name, role) = match &inv_member {
        Some(mid) => {
            let st =
                tx.prepare_cached("SELECT name, role FROM members WHERE id = $1 AND team_id = $2 AND active").await?;
            let row = tx
                .query_opt(&st, &[mid, &team_id])
                .await?
                .ok_or_else(|| StorageError::InvalidInvite("the member this invite is for was removed".into()))?;
            let (name, role): (String, String) = (row.get(0), row.get(1));
            (mid.clone(), name, role_of(&role)?)
        }
        None => {
            let name = inv_name.or_else(|| p.name.clone()).ok_or_else(|| {
                StorageError::Invalid("this invite does not name you: give your name when joining".into())
            })?;
            let taken = || {
                StorageError::Conflict(format!("the team already has a member named '{name}'; join with another name"))
            };
            let st = tx
                .prepare_cached("SELECT 1 FROM members WHERE team_id = $1 AND lower(name) = lower($2) AND active")
                .await?;
            if tx.query_opt(&st, &[&team_id, &name]).await?.is_some() {
                return Err(taken());
            }
            let st = tx
                .prepare_cached(
                    "INSERT INTO members(id, team_id, name, role, active, created_at) VALUES ($1, $2, $3, $4, TRUE, $5)",
                )
                .await?;
            if let Err(e) = tx.execute(&st, &[&p.new_member_id, &team_id, &name, &inv_role, &p.now]).await {
                // A concurrent join on another relay took the name first.
                if e.code() == Some(&SqlState::UNIQUE_VIOLATION) {
                    return Err(taken());
                }
                return Err(e.into());
            }
            (p.new_member_id.clone(), name, role_of(&inv_role)?)
        }
    };
    let st = tx
        .prepare_cached(
            "INSERT INTO devices(id, team_id, member_id, name, token_hash, created_at, revoked) \
             VALUES ($1, $2, $3, $4, $5, $6, FALSE)",
        )
        .await?;
    tx.execute(&st, &[&p.device_id, &team_id, &member_id, &p.device_name, &p.token_hash, &p.now]).await?;
    let st = tx.prepare_cached("UPDATE invites SET used_at = $2, device_id = $3 WHERE code_hash = $1").await?;
    tx.execute(&st, &[&p.code_hash, &p.now, &p.device_id]).await?;
    let st = tx.prepare_cached("SELECT name FROM teams WHERE id = $1").await?;
    let team_name: String = tx.query_one(&st, &[&team_id]).await?.get(0);
    tx.commit().await?;
    Ok(Joined { team_id, team_name, member_id, member_name, role, device_id: p.device_id.clone() })
}

pub(crate) async fn caller_by_token(c: &Client, token_hash: &str) -> StorageResult<Option<Caller>> {
    let st = c
        .prepare_cached(
            "SELECT d.id, d.member_id, d.team_id, m.role FROM devices d JOIN members m ON m.id = d.member_id \
             WHERE d.token_hash = $1 AND NOT d.revoked AND m.active",
        )
        .await?;
    let row = c.query_opt(&st, &[&token_hash]).await?;
    row.map(|r| {
        let role: String = r.get(3);
        Ok(Caller { device_id: r.get(0), member_id: r.get(1), team_id: r.get(2), role: role_of(&role)? })
    })
    .transpose()
}

pub(crate) async fn device_active(c: &Client, device_id: &str) -> StorageResult<bool> {
    let st = c
        .prepare_cached(
            "SELECT 1 FROM devices d JOIN members m ON m.id = d.member_id WHERE d.id = $1 AND NOT d.revoked AND m.active",
        )
        .await?;
    Ok(c.query_opt(&st, &[&device_id]).await?.is_some())
}

pub(crate) async fn members(c: &Client, team_id: &str) -> StorageResult<Vec<MemberInfo>> {
    let st = c
        .prepare_cached("SELECT id, name, role, active FROM members WHERE team_id = $1 ORDER BY created_at, id")
        .await?;
    let mut out = Vec::new();
    for r in c.query(&st, &[&team_id]).await? {
        let role: String = r.get(2);
        out.push(MemberInfo { id: r.get(0), name: r.get(1), role: role_of(&role)?, active: r.get(3) });
    }
    Ok(out)
}

pub(crate) async fn remove_member(c: &mut Client, team_id: &str, member_id: &str) -> StorageResult<Vec<String>> {
    let tx = c.transaction().await?;
    // Removals of a team run one after another (the team's counter row is the
    // lock), so the last-manager rule below sees every earlier removal.
    tx.execute("SELECT 1 FROM team_seq WHERE team_id = $1 FOR UPDATE", &[&team_id]).await?;
    let n =
        tx.execute("UPDATE members SET active = FALSE WHERE id = $1 AND team_id = $2", &[&member_id, &team_id]).await?;
    if n == 0 {
        return Err(StorageError::NotFound(format!("no member '{member_id}' in your team")));
    }
    let managers: i64 = tx
        .query_one("SELECT count(*) FROM members WHERE team_id = $1 AND active AND role = 'manager'", &[&team_id])
        .await?
        .get(0);
    if managers == 0 {
        return Err(StorageError::Conflict("cannot remove the team's last manager".into()));
    }
    let rows = tx
        .query("UPDATE devices SET revoked = TRUE WHERE member_id = $1 AND NOT revoked RETURNING id", &[&member_id])
        .await?;
    for r in &rows {
        notify_revoked(&tx, r.get(0)).await?;
    }
    tx.commit().await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

pub(crate) async fn devices(c: &Client, team_id: &str, member: Option<&str>) -> StorageResult<Vec<DeviceInfo>> {
    let st = c
        .prepare_cached(
            "SELECT id, member_id, name, created_at, revoked FROM devices \
             WHERE team_id = $1 AND ($2::text IS NULL OR member_id = $2) ORDER BY created_at, id",
        )
        .await?;
    Ok(c.query(&st, &[&team_id, &member])
        .await?
        .iter()
        .map(|r| DeviceInfo {
            id: r.get(0),
            member_id: r.get(1),
            name: r.get(2),
            created_at: rfc3339(r.get(3)),
            revoked: r.get(4),
        })
        .collect())
}

pub(crate) async fn revoke_device(c: &mut Client, team_id: &str, device_id: &str) -> StorageResult<()> {
    let tx = c.transaction().await?;
    let n =
        tx.execute("UPDATE devices SET revoked = TRUE WHERE id = $1 AND team_id = $2", &[&device_id, &team_id]).await?;
    if n == 0 {
        return Err(StorageError::NotFound(format!("no device '{device_id}' in your team")));
    }
    notify_revoked(&tx, device_id).await?;
    tx.commit().await?;
    Ok(())
}

/// Tells every relay instance (on commit) that a device was revoked, so each
/// closes that device's live sockets.
async fn notify_revoked(tx: &deadpool_postgres::Transaction<'_>, device_id: &str) -> StorageResult<()> {
    let payload = format!("{}{device_id}", super::postgres::REVOKE_PREFIX);
    tx.execute("SELECT pg_notify($1, $2)", &[&super::postgres::NOTIFY_CHANNEL, &payload]).await?;
    Ok(())
}
