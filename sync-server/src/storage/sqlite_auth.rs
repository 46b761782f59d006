//! SQLite queries for teams, invites, members and devices.

use super::{Caller, JoinPlan, Joined, NewInvite, StorageError, StorageResult};
use kept_protocol::wire::{DeviceInfo, MemberInfo};
use kept_protocol::Role;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

fn role_of(s: &str) -> StorageResult<Role> {
    s.parse().map_err(|e| StorageError::Backend(format!("bad role '{s}' in the database: {e}")))
}

fn rfc3339(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0).map(|t| t.to_rfc3339()).unwrap_or_default()
}

pub(crate) fn create_team(
    c: &mut Connection,
    team_id: &str,
    name: &str,
    now: i64,
    invite: &NewInvite,
) -> StorageResult<()> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute("INSERT INTO teams(id, name, created_at) VALUES (?1, ?2, ?3)", params![team_id, name, now])?;
    tx.execute("INSERT INTO team_seq(team_id, seq, compacted) VALUES (?1, 0, 0)", params![team_id])?;
    insert_invite_in(&tx, invite)?;
    tx.commit()?;
    Ok(())
}

fn insert_invite_in(c: &Connection, i: &NewInvite) -> StorageResult<()> {
    c.prepare_cached(
        "INSERT INTO invites(code_hash, team_id, role, name, member_id, expires_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![i.code_hash, i.team_id, i.role.as_str(), i.name, i.member_id, i.expires_at, i.created_at])?;
    Ok(())
}

pub(crate) fn insert_invite(c: &mut Connection, i: &NewInvite) -> StorageResult<()> {
    insert_invite_in(c, i)
}

struct InviteRow {
    team_id: String,
    role: String,
    name: Option<String>,
    member_id: Option<String>,
    expires_at: i64,
    used_at: Option<i64>,
}

pub(crate) fn redeem_invite(c: &mut Connection, p: &JoinPlan) -> StorageResult<Joined> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let inv = tx
        .prepare_cached("SELECT team_id, role, name, member_id, expires_at, used_at FROM invites WHERE code_hash = ?1")?
        .query_row(params![p.code_hash], |r| {
            Ok(InviteRow {
                team_id: r.get(0)?,
                role: r.get(1)?,
                name: r.get(2)?,
                member_id: r.get(3)?,
                expires_at: r.get(4)?,
                used_at: r.get(5)?,
            })
        })
        .optional()?
        .ok_or_else(|| StorageError::InvalidInvite("unknown invite code".into()))?;
    if inv.used_at.is_some() {
        return Err(StorageError::InvalidInvite("this invite was already used; ask your manager for a new one".into()));
    }
    if inv.expires_at < p.now {
        return Err(StorageError::InvalidInvite("this invite has expired; ask your manager for a new one".into()));
    }
    let (member_id, member_name, role) = match &inv.member_id {
        Some(mid) => {
            let row: Option<(String, String)> = tx
                .prepare_cached("SELECT name, role FROM members WHERE id = ?1 AND team_id = ?2 AND active = 1")?
                .query_row(params![mid, inv.team_id], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            let (name, role) =
                row.ok_or_else(|| StorageError::InvalidInvite("the member this invite is for was removed".into()))?;
            (mid.clone(), name, role_of(&role)?)
        }
        None => {
            let name = inv.name.clone().or_else(|| p.name.clone()).ok_or_else(|| {
                StorageError::Invalid("this invite does not name you: give your name when joining".into())
            })?;
            let taken = tx
                .prepare_cached("SELECT 1 FROM members WHERE team_id = ?1 AND name = ?2 COLLATE NOCASE AND active = 1")?
                .exists(params![inv.team_id, name])?;
            if taken {
                return Err(StorageError::Conflict(format!(
                    "the team already has a member named '{name}'; join with another name"
                )));
            }
            tx.prepare_cached(
                "INSERT INTO members(id, team_id, name, role, active, created_at) VALUES (?1, ?2, ?3, ?4, 1, ?5)",
            )?
            .execute(params![p.new_member_id, inv.team_id, name, inv.role, p.now])?;
            (p.new_member_id.clone(), name, role_of(&inv.role)?)
        }
    };
    tx.prepare_cached(
        "INSERT INTO devices(id, team_id, member_id, name, token_hash, created_at, revoked) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0)",
    )?
    .execute(params![p.device_id, inv.team_id, member_id, p.device_name, p.token_hash, p.now])?;
    tx.prepare_cached("UPDATE invites SET used_at = ?2, device_id = ?3 WHERE code_hash = ?1")?.execute(params![
        p.code_hash,
        p.now,
        p.device_id
    ])?;
    let team_name: String =
        tx.prepare_cached("SELECT name FROM teams WHERE id = ?1")?.query_row(params![inv.team_id], |r| r.get(0))?;
    tx.commit()?;
    Ok(Joined { team_id: inv.team_id, team_name, member_id, member_name, role, device_id: p.device_id.clone() })
}

pub(crate) fn caller_by_token(c: &mut Connection, token_hash: &str) -> StorageResult<Option<Caller>> {
    let row: Option<(String, String, String, String)> = c
        .prepare_cached(
            "SELECT d.id, d.member_id, d.team_id, m.role FROM devices d JOIN members m ON m.id = d.member_id \
             WHERE d.token_hash = ?1 AND d.revoked = 0 AND m.active = 1",
        )?
        .query_row(params![token_hash], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .optional()?;
    row.map(|(device_id, member_id, team_id, role)| Ok(Caller { device_id, member_id, team_id, role: role_of(&role)? }))
        .transpose()
}

pub(crate) fn device_active(c: &mut Connection, device_id: &str) -> StorageResult<bool> {
    Ok(c.prepare_cached(
        "SELECT 1 FROM devices d JOIN members m ON m.id = d.member_id WHERE d.id = ?1 AND d.revoked = 0 AND m.active = 1",
    )?
    .exists(params![device_id])?)
}

pub(crate) fn members(c: &mut Connection, team_id: &str) -> StorageResult<Vec<MemberInfo>> {
    let mut st =
        c.prepare_cached("SELECT id, name, role, active FROM members WHERE team_id = ?1 ORDER BY created_at, id")?;
    let rows = st.query_map(params![team_id], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, bool>(3)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, name, role, active) = row?;
        out.push(MemberInfo { id, name, role: role_of(&role)?, active });
    }
    Ok(out)
}

pub(crate) fn remove_member(c: &mut Connection, team_id: &str, member_id: &str) -> StorageResult<Vec<String>> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let n = tx.execute("UPDATE members SET active = 0 WHERE id = ?1 AND team_id = ?2", params![member_id, team_id])?;
    if n == 0 {
        return Err(StorageError::NotFound(format!("no member '{member_id}' in your team")));
    }
    // The last-manager rule, inside the removal's transaction (IMMEDIATE:
    // two managers removing each other run one after the other).
    let managers: i64 = tx.query_row(
        "SELECT count(*) FROM members WHERE team_id = ?1 AND active = 1 AND role = 'manager'",
        params![team_id],
        |r| r.get(0),
    )?;
    if managers == 0 {
        return Err(StorageError::Conflict("cannot remove the team's last manager".into()));
    }
    let ids: Vec<String> = {
        let mut st = tx.prepare("SELECT id FROM devices WHERE member_id = ?1 AND revoked = 0")?;
        let rows = st.query_map(params![member_id], |r| r.get(0))?;
        rows.collect::<Result<_, _>>()?
    };
    tx.execute("UPDATE devices SET revoked = 1 WHERE member_id = ?1", params![member_id])?;
    tx.commit()?;
    Ok(ids)
}

pub(crate) fn devices(c: &mut Connection, team_id: &str, member: Option<&str>) -> StorageResult<Vec<DeviceInfo>> {
    let mut st = c.prepare_cached(
        "SELECT id, member_id, name, created_at, revoked FROM devices \
         WHERE team_id = ?1 AND (?2 IS NULL OR member_id = ?2) ORDER BY created_at, id",
    )?;
    let rows = st.query_map(params![team_id, member], |r| {
        Ok(DeviceInfo {
            id: r.get(0)?,
            member_id: r.get(1)?,
            name: r.get(2)?,
            created_at: rfc3339(r.get(3)?),
            revoked: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(crate) fn revoke_device(c: &mut Connection, team_id: &str, device_id: &str) -> StorageResult<()> {
    let n = c.execute("UPDATE devices SET revoked = 1 WHERE id = ?1 AND team_id = ?2", params![device_id, team_id])?;
    if n == 0 {
        return Err(StorageError::NotFound(format!("no device '{device_id}' in your team")));
    }
    Ok(())
}
