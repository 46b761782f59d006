//! The SQLite statements behind [`Ops`]: each method runs its statement(s) on
//! the connection [`super::sqlite::SqliteStorage`] lent it, and decides nothing.

use super::backend::{
    BlobRow, DeviceRow, Inserted, InviteRow, LogRow, LogWeeks, Logged, MemberRow, NewMember, Ops, PageQuery,
    SnapshotQuery, TokenRow,
};
use super::{JoinPlan, NewInvite, StorageResult, StoredChange};
use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::HashMap;

/// [`Ops`] on one SQLite connection (inside the transaction its caller began).
pub(crate) struct SqliteOps<'c> {
    pub(crate) conn: &'c mut Connection,
}

/// The actor id's first 8 bytes as an integer: the SQLite log's index key
/// (ordered the way a device pushes, so inserts stay local).
pub(crate) fn actor_key(actor: &[u8]) -> i64 {
    let mut b = [0u8; 8];
    for (d, s) in b.iter_mut().zip(actor) {
        *d = *s;
    }
    i64::from_be_bytes(b)
}

/// True when `e` is the unique index on active members' name keys refusing a row.
fn is_name_taken(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, Some(msg))
        if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE && msg.contains("members.name_key"))
}

/// The `WHERE` terms of a snapshot page after the team (`:reader`, `:week`).
fn snapshot_filter(reader: Option<&str>, logs: LogWeeks) -> String {
    let mut sql = String::new();
    if reader.is_some() {
        sql.push_str(" AND reader IN ('', :reader)");
    }
    match logs {
        LogWeeks::All => {}
        LogWeeks::Before(_) => sql.push_str(" AND doc LIKE 'log/%' AND substr(doc, -8) < :week"),
        LogWeeks::From(_) => sql.push_str(" AND NOT (doc LIKE 'log/%' AND substr(doc, -8) < :week)"),
    }
    sql
}

/// The arguments [`snapshot_filter`] names.
fn push_filter_args<'a>(
    args: &mut Vec<(&'static str, &'a dyn rusqlite::ToSql)>,
    reader: &'a Option<&str>,
    week: &'a Option<String>,
) {
    if let Some(r) = reader {
        args.push((":reader", r));
    }
    if let Some(w) = week {
        args.push((":week", w));
    }
}

fn member_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<MemberRow> {
    Ok(MemberRow { id: r.get(0)?, name: r.get(1)?, role: r.get(2)?, active: r.get(3)? })
}

#[async_trait]
impl Ops for SqliteOps<'_> {
    async fn insert_team(&mut self, team_id: &str, name: &str, now: i64) -> StorageResult<()> {
        self.conn
            .execute("INSERT INTO teams(id, name, created_at) VALUES (?1, ?2, ?3)", params![team_id, name, now])?;
        self.conn.execute("INSERT INTO team_seq(team_id, seq, compacted) VALUES (?1, 0, 0)", params![team_id])?;
        Ok(())
    }

    async fn team_name(&mut self, team_id: &str) -> StorageResult<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT name FROM teams WHERE id = ?1")?
            .query_row(params![team_id], |r| r.get(0))
            .optional()?)
    }

    async fn insert_invite(&mut self, i: &NewInvite) -> StorageResult<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO invites(code_hash, team_id, role, name, member_id, expires_at, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                i.code_hash,
                i.team_id,
                i.role.as_str(),
                i.name,
                i.member_id,
                i.expires_at,
                i.created_at
            ])?;
        Ok(())
    }

    async fn invite(&mut self, code_hash: &str) -> StorageResult<Option<InviteRow>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT team_id, role, name, member_id, expires_at, used_at FROM invites WHERE code_hash = ?1",
            )?
            .query_row(params![code_hash], |r| {
                Ok(InviteRow {
                    team_id: r.get(0)?,
                    role: r.get(1)?,
                    name: r.get(2)?,
                    member_id: r.get(3)?,
                    expires_at: r.get(4)?,
                    used_at: r.get(5)?,
                })
            })
            .optional()?)
    }

    async fn mark_invite_used(&mut self, code_hash: &str, now: i64, device_id: &str) -> StorageResult<()> {
        self.conn
            .prepare_cached("UPDATE invites SET used_at = ?2, device_id = ?3 WHERE code_hash = ?1")?
            .execute(params![code_hash, now, device_id])?;
        Ok(())
    }

    async fn active_member(&mut self, team_id: &str, member_id: &str) -> StorageResult<Option<MemberRow>> {
        Ok(self
            .conn
            .prepare_cached("SELECT id, name, role, active FROM members WHERE id = ?1 AND team_id = ?2 AND active = 1")?
            .query_row(params![member_id, team_id], member_row)
            .optional()?)
    }

    async fn name_key_taken(&mut self, team_id: &str, name_key: &str) -> StorageResult<bool> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM members WHERE team_id = ?1 AND name_key = ?2 AND active = 1")?
            .exists(params![team_id, name_key])?)
    }

    async fn insert_member(&mut self, m: &NewMember<'_>) -> StorageResult<Inserted> {
        let done = self
            .conn
            .prepare_cached(
                "INSERT INTO members(id, team_id, name, name_key, role, active, created_at, via) \
                 VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?7)",
            )?
            .execute(params![m.id, m.team_id, m.name, m.name_key, m.role, m.now, m.via]);
        match done {
            Ok(_) => Ok(Inserted::Done),
            Err(e) if is_name_taken(&e) => Ok(Inserted::NameTaken),
            Err(e) => Err(e.into()),
        }
    }

    async fn members(&mut self, team_id: &str) -> StorageResult<Vec<MemberRow>> {
        let mut st = self
            .conn
            .prepare_cached("SELECT id, name, role, active FROM members WHERE team_id = ?1 ORDER BY created_at, id")?;
        let rows = st.query_map(params![team_id], member_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    async fn deactivate_member(&mut self, team_id: &str, member_id: &str) -> StorageResult<u64> {
        let n = self
            .conn
            .prepare_cached("UPDATE members SET active = 0 WHERE id = ?1 AND team_id = ?2")?
            .execute(params![member_id, team_id])?;
        Ok(n as u64)
    }

    async fn active_managers(&mut self, team_id: &str) -> StorageResult<i64> {
        Ok(self
            .conn
            .prepare_cached("SELECT count(*) FROM members WHERE team_id = ?1 AND active = 1 AND role = 'manager'")?
            .query_row(params![team_id], |r| r.get(0))?)
    }

    async fn insert_device(&mut self, team_id: &str, member_id: &str, p: &JoinPlan) -> StorageResult<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO devices(id, team_id, member_id, name, token_hash, created_at, revoked, parent) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7)",
            )?
            .execute(params![p.device_id, team_id, member_id, p.device_name, p.token_hash, p.now, p.parent])?;
        Ok(())
    }

    async fn token(&mut self, token_hash: &str) -> StorageResult<Option<TokenRow>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT d.id, d.member_id, d.team_id, m.role FROM devices d JOIN members m ON m.id = d.member_id \
                 WHERE d.token_hash = ?1 AND d.revoked = 0 AND m.active = 1",
            )?
            .query_row(params![token_hash], |r| {
                Ok(TokenRow { device_id: r.get(0)?, member_id: r.get(1)?, team_id: r.get(2)?, role: r.get(3)? })
            })
            .optional()?)
    }

    async fn device_active(&mut self, device_id: &str) -> StorageResult<bool> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT 1 FROM devices d JOIN members m ON m.id = d.member_id \
                 WHERE d.id = ?1 AND d.revoked = 0 AND m.active = 1",
            )?
            .exists(params![device_id])?)
    }

    async fn devices(&mut self, team_id: &str, member_id: Option<&str>) -> StorageResult<Vec<DeviceRow>> {
        let mut st = self.conn.prepare_cached(
            "SELECT id, member_id, name, created_at, revoked FROM devices \
             WHERE team_id = ?1 AND (?2 IS NULL OR member_id = ?2) ORDER BY created_at, id",
        )?;
        let rows = st.query_map(params![team_id, member_id], |r| {
            Ok(DeviceRow {
                id: r.get(0)?,
                member_id: r.get(1)?,
                name: r.get(2)?,
                created_at: r.get(3)?,
                revoked: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    async fn revoke_member_devices(&mut self, member_id: &str) -> StorageResult<Vec<String>> {
        let mut st = self.conn.prepare_cached(
            "UPDATE devices SET revoked = 1 WHERE revoked = 0 AND \
             (member_id = ?1 OR parent IN (SELECT id FROM devices WHERE member_id = ?1)) RETURNING id",
        )?;
        let rows = st.query_map(params![member_id], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    async fn revoke_device(&mut self, team_id: &str, device_id: &str) -> StorageResult<Vec<String>> {
        if !self
            .conn
            .prepare_cached("SELECT 1 FROM devices WHERE id = ?1 AND team_id = ?2")?
            .exists(params![device_id, team_id])?
        {
            return Ok(Vec::new());
        }
        let mut st = self.conn.prepare_cached(
            "UPDATE devices SET revoked = 1 WHERE (id = ?1 OR (parent = ?1 AND revoked = 0)) RETURNING id",
        )?;
        let rows = st.query_map(params![device_id], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    async fn insert_org(&mut self, org_id: &str, name: &str, leadership_team: &str, now: i64) -> StorageResult<()> {
        self.conn.execute(
            "INSERT INTO orgs(id, name, leadership_team, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![org_id, name, leadership_team, now],
        )?;
        Ok(())
    }

    async fn set_team_org(&mut self, team_id: &str, org_id: &str) -> StorageResult<u64> {
        Ok(self.conn.execute("UPDATE teams SET org_id = ?2 WHERE id = ?1", params![team_id, org_id])? as u64)
    }

    async fn org_exists(&mut self, org_id: &str) -> StorageResult<bool> {
        Ok(self.conn.prepare_cached("SELECT 1 FROM orgs WHERE id = ?1")?.exists(params![org_id])?)
    }

    async fn org_led_by(&mut self, team_id: &str) -> StorageResult<Option<(String, String)>> {
        Ok(self
            .conn
            .prepare_cached("SELECT id, name FROM orgs WHERE leadership_team = ?1")?
            .query_row(params![team_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    async fn org_teams(&mut self, org_id: &str) -> StorageResult<Vec<(String, String)>> {
        let mut st = self.conn.prepare_cached("SELECT id, name FROM teams WHERE org_id = ?1 ORDER BY name, id")?;
        let rows = st.query_map(params![org_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    async fn team_org(&mut self, team_id: &str) -> StorageResult<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT org_id FROM teams WHERE id = ?1")?
            .query_row(params![team_id], |r| r.get(0))
            .optional()?
            .flatten())
    }

    async fn member_via(&mut self, team_id: &str, via: &str) -> StorageResult<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT id FROM members WHERE team_id = ?1 AND via = ?2 AND active = 1")?
            .query_row(params![team_id, via], |r| r.get(0))
            .optional()?)
    }

    async fn notify_revoked(&mut self, _device_id: &str) -> StorageResult<()> {
        Ok(()) // one relay per SQLite file: its live hub is told directly
    }

    async fn seq_row(&mut self, team_id: &str, _lock: bool) -> StorageResult<Option<(i64, i64)>> {
        // A write transaction (BEGIN IMMEDIATE) holds the database's write lock already.
        Ok(self
            .conn
            .prepare_cached("SELECT seq, compacted FROM team_seq WHERE team_id = ?1")?
            .query_row(params![team_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    async fn actor_owners(&mut self, team_id: &str, actors: &[Vec<u8>]) -> StorageResult<HashMap<Vec<u8>, String>> {
        let mut st = self.conn.prepare_cached("SELECT member_id FROM actors WHERE team_id = ?1 AND actor = ?2")?;
        let mut owners = HashMap::new();
        for actor in actors {
            if let Some(m) = st.query_row(params![team_id, actor], |r| r.get::<_, String>(0)).optional()? {
                owners.insert(actor.clone(), m);
            }
        }
        Ok(owners)
    }

    async fn bind_actors(&mut self, team_id: &str, actors: &[Vec<u8>], member_id: &str) -> StorageResult<()> {
        let mut st = self.conn.prepare_cached("INSERT INTO actors(team_id, actor, member_id) VALUES (?1, ?2, ?3)")?;
        for actor in actors {
            st.execute(params![team_id, actor, member_id])?;
        }
        Ok(())
    }

    async fn doc_row(&mut self, team_id: &str, doc: &str) -> StorageResult<Option<(i64, i64)>> {
        Ok(self
            .conn
            .prepare_cached("SELECT id, version FROM docs WHERE team_id = ?1 AND doc = ?2")?
            .query_row(params![team_id, doc], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    async fn insert_doc(&mut self, team_id: &str, doc: &str, kind: &str, subject: Option<&str>) -> StorageResult<i64> {
        self.conn
            .prepare_cached("INSERT INTO docs(team_id, doc, kind, subject) VALUES (?1, ?2, ?3, ?4)")?
            .execute(params![team_id, doc, kind, subject])?;
        Ok(self.conn.last_insert_rowid())
    }

    async fn bump_doc_version(&mut self, doc_id: i64, by: i64) -> StorageResult<()> {
        self.conn
            .prepare_cached("UPDATE docs SET version = version + ?2 WHERE id = ?1")?
            .execute(params![doc_id, by])?;
        Ok(())
    }

    async fn snapshot(&mut self, team_id: &str, doc: &str) -> StorageResult<Option<Vec<u8>>> {
        Ok(self
            .conn
            .prepare_cached("SELECT data FROM snapshots WHERE team_id = ?1 AND doc = ?2")?
            .query_row(params![team_id, doc], |r| r.get(0))
            .optional()?)
    }

    async fn doc_changes(&mut self, doc_id: i64, after: i64) -> StorageResult<Vec<Vec<u8>>> {
        let mut st =
            self.conn.prepare_cached("SELECT data FROM changes WHERE doc_id = ?1 AND seq > ?2 ORDER BY seq")?;
        let rows = st.query_map(params![doc_id, after], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    async fn bump_seq(&mut self, team_id: &str, n: i64) -> StorageResult<Option<i64>> {
        // Not `UPDATE … RETURNING`: SQLite gathers returned rows in a
        // temporary b-tree, a pager and page cache made and freed per push.
        // This runs inside the push's write transaction, so nothing can
        // come between the two statements.
        let bumped = self
            .conn
            .prepare_cached("UPDATE team_seq SET seq = seq + ?2 WHERE team_id = ?1")?
            .execute(params![team_id, n])?;
        if bumped == 0 {
            return Ok(None);
        }
        Ok(Some(
            self.conn
                .prepare_cached("SELECT seq FROM team_seq WHERE team_id = ?1")?
                .query_row(params![team_id], |r| r.get(0))?,
        ))
    }

    async fn insert_changes(&mut self, team_id: &str, rows: &[LogRow<'_>]) -> StorageResult<()> {
        let mut ins = self.conn.prepare_cached(
            "INSERT INTO changes(team_id, seq, doc_id, akey, aseq, reader, hash, data) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        for r in rows {
            ins.execute(params![
                team_id,
                r.seq,
                r.doc_id,
                actor_key(r.actor),
                r.actor_seq,
                r.reader,
                &r.hash[..],
                r.data
            ])?;
        }
        Ok(())
    }

    async fn notify_seq(&mut self, _team_id: &str, _seq: i64, _audience: &crate::live::Audience) -> StorageResult<()> {
        Ok(()) // one relay per SQLite file: its live hub is told directly
    }

    async fn hash_at(&mut self, team_id: &str, seq: i64) -> StorageResult<Option<Vec<u8>>> {
        Ok(self
            .conn
            .prepare_cached("SELECT hash FROM changes WHERE team_id = ?1 AND seq = ?2")?
            .query_row(params![team_id, seq], |r| r.get(0))
            .optional()?)
    }

    async fn snapshots(&mut self, team_id: &str, page: SnapshotQuery<'_>) -> StorageResult<Vec<(String, Vec<u8>)>> {
        let sql = format!(
            "SELECT doc, data FROM snapshots WHERE team_id = :team AND doc > :after{} ORDER BY doc LIMIT :take",
            snapshot_filter(page.reader, page.logs)
        );
        let mut st = self.conn.prepare_cached(&sql)?;
        let week = page.logs.week().map(|w| w.to_string());
        let mut args: Vec<(&str, &dyn rusqlite::ToSql)> =
            vec![(":team", &team_id), (":after", &page.after), (":take", &page.take)];
        push_filter_args(&mut args, &page.reader, &week);
        let mut rows = st.query(&*args)?;
        let (mut out, mut before) = (Vec::new(), 0usize);
        while let Some(r) = rows.next()? {
            let (doc, data): (String, Vec<u8>) = (r.get(0)?, r.get(1)?);
            let last = before >= page.max_bytes;
            before += data.len();
            out.push((doc, data));
            if last {
                break;
            }
        }
        Ok(out)
    }

    async fn count_snapshots(&mut self, team_id: &str, reader: Option<&str>, logs: LogWeeks) -> StorageResult<i64> {
        let sql = format!("SELECT COUNT(*) FROM snapshots WHERE team_id = :team{}", snapshot_filter(reader, logs));
        let mut st = self.conn.prepare_cached(&sql)?;
        let week = logs.week().map(|w| w.to_string());
        let mut args: Vec<(&str, &dyn rusqlite::ToSql)> = vec![(":team", &team_id)];
        push_filter_args(&mut args, &reader, &week);
        Ok(st.query_row(&*args, |r| r.get(0))?)
    }

    async fn changes_after(&mut self, team_id: &str, page: PageQuery<'_>) -> StorageResult<Vec<StoredChange>> {
        // Two statements rather than `?4 IS NULL OR …`, so each gets its own plan.
        let sql = match page.reader {
            None => {
                "SELECT c.seq, d.doc, c.data FROM changes c JOIN docs d ON d.id = c.doc_id \
                 WHERE c.team_id = ?1 AND c.seq > ?2 ORDER BY c.seq LIMIT ?3"
            }
            Some(_) => {
                "SELECT c.seq, d.doc, c.data FROM changes c JOIN docs d ON d.id = c.doc_id \
                 WHERE c.team_id = ?1 AND c.seq > ?2 AND c.reader IN ('', ?4) ORDER BY c.seq LIMIT ?3"
            }
        };
        let mut st = self.conn.prepare_cached(sql)?;
        let mut rows = match page.reader {
            None => st.query(params![team_id, page.after, page.take])?,
            Some(m) => st.query(params![team_id, page.after, page.take, m])?,
        };
        let (mut out, mut before) = (Vec::new(), 0usize);
        while let Some(r) = rows.next()? {
            let ch = StoredChange { seq: r.get(0)?, doc: r.get(1)?, data: r.get(2)? };
            let last = before >= page.max_bytes;
            before += ch.data.len();
            out.push(ch);
            if last {
                break;
            }
        }
        Ok(out)
    }

    async fn changes_between(&mut self, team_id: &str, after: i64, upto: i64) -> StorageResult<Vec<Logged>> {
        let mut st = self.conn.prepare_cached(
            "SELECT d.doc, c.reader, c.data FROM changes c JOIN docs d ON d.id = c.doc_id \
             WHERE c.team_id = ?1 AND c.seq > ?2 AND c.seq <= ?3 ORDER BY c.seq",
        )?;
        let rows = st.query_map(params![team_id, after, upto], |r| {
            Ok(Logged { doc: r.get(0)?, reader: r.get(1)?, data: r.get(2)? })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    async fn put_snapshot(&mut self, team_id: &str, doc: &str, reader: &str, data: &[u8]) -> StorageResult<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO snapshots(team_id, doc, reader, data) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT(team_id, doc) DO UPDATE SET data = excluded.data",
            )?
            .execute(params![team_id, doc, reader, data])?;
        Ok(())
    }

    async fn record_compaction_failure(&mut self, team_id: &str, doc: &str, why: &str, at: i64) -> StorageResult<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO compaction_failures(team_id, doc, reason, at) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT(team_id, doc) DO UPDATE SET reason = excluded.reason, at = excluded.at",
            )?
            .execute(params![team_id, doc, why, at])?;
        Ok(())
    }

    async fn clear_compaction_failure(&mut self, team_id: &str, doc: &str) -> StorageResult<()> {
        let sql = "DELETE FROM compaction_failures WHERE team_id = ?1 AND doc = ?2";
        self.conn.prepare_cached(sql)?.execute(params![team_id, doc])?;
        Ok(())
    }

    async fn set_compacted(&mut self, team_id: &str, upto: i64) -> StorageResult<()> {
        self.conn
            .prepare_cached("UPDATE team_seq SET compacted = ?2 WHERE team_id = ?1")?
            .execute(params![team_id, upto])?;
        Ok(())
    }

    async fn compaction_backlog(&mut self) -> StorageResult<Vec<(String, i64)>> {
        let mut st = self.conn.prepare_cached("SELECT team_id, seq - compacted FROM team_seq ORDER BY team_id")?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    async fn blob(&mut self, team_id: &str, reader: &str, hash: &str) -> StorageResult<Option<BlobRow>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT hash, size, mime, doc, created_by, created_at, complete FROM blobs \
                 WHERE team_id = ?1 AND reader = ?2 AND hash = ?3",
            )?
            .query_row(params![team_id, reader, hash], |r| {
                Ok(BlobRow {
                    hash: r.get(0)?,
                    size: r.get(1)?,
                    mime: r.get(2)?,
                    doc: r.get(3)?,
                    created_by: r.get(4)?,
                    created_at: r.get(5)?,
                    complete: r.get(6)?,
                })
            })
            .optional()?)
    }

    async fn blob_bytes_used(&mut self, team_id: &str) -> StorageResult<i64> {
        let sql = "SELECT COALESCE(SUM(size), 0) FROM blobs WHERE team_id = ?1";
        Ok(self.conn.prepare_cached(sql)?.query_row(params![team_id], |r| r.get(0))?)
    }

    async fn insert_blob(&mut self, team_id: &str, reader: &str, b: &BlobRow) -> StorageResult<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO blobs(team_id, reader, hash, size, mime, doc, created_by, created_at, complete) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![team_id, reader, b.hash, b.size, b.mime, b.doc, b.created_by, b.created_at, b.complete])?;
        Ok(())
    }

    async fn set_blob_complete(&mut self, team_id: &str, reader: &str, hash: &str) -> StorageResult<u64> {
        let sql = "UPDATE blobs SET complete = 1 WHERE team_id = ?1 AND reader = ?2 AND hash = ?3";
        Ok(self.conn.prepare_cached(sql)?.execute(params![team_id, reader, hash])? as u64)
    }

    async fn delete_blob(&mut self, team_id: &str, reader: &str, hash: &str) -> StorageResult<u64> {
        let sql = "DELETE FROM blobs WHERE team_id = ?1 AND reader = ?2 AND hash = ?3";
        Ok(self.conn.prepare_cached(sql)?.execute(params![team_id, reader, hash])? as u64)
    }
}
