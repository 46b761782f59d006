//! The PostgreSQL statements behind [`Ops`]: each method runs its
//! statement(s) on the client or transaction [`super::postgres::PostgresStorage`]
//! lent it, and decides nothing.

use super::backend::{
    BlobRow, DeviceRow, Inserted, InviteRow, LogRow, LogWeeks, Logged, MemberRow, NewMember, Ops, PageQuery,
    SnapshotQuery, TokenRow,
};
use super::postgres::{NOTIFY_CHANNEL, REVOKE_PREFIX};
use super::{JoinPlan, NewInvite, StorageError, StorageResult, StoredChange};
use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use std::collections::HashMap;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

/// The unique index that keeps active members' names apart (`postgres_v4.sql`).
const NAME_INDEX: &str = "members_name_key";

/// [`Ops`] on a pooled client or a transaction of one.
pub(crate) struct PgOps<'a, C> {
    pub(crate) c: &'a C,
    /// Payloads for [`NOTIFY_CHANNEL`] that [`super::postgres::PostgresStorage`]
    /// sends once the work committed (see `notify_seq`).
    pub(crate) after_commit: Vec<String>,
}

impl<'a, C> PgOps<'a, C> {
    pub(crate) fn new(c: &'a C) -> PgOps<'a, C> {
        PgOps { c, after_commit: Vec::new() }
    }
}

type Params<'p> = &'p [&'p (dyn ToSql + Sync)];

/// The `WHERE` terms of a snapshot page after the team, numbering their
/// arguments after those already in `args`.
fn pg_snapshot_filter<'a>(
    args: &mut Vec<&'a (dyn ToSql + Sync)>,
    reader: &'a Option<&str>,
    logs: LogWeeks,
    week: &'a Option<String>,
) -> String {
    let mut sql = String::new();
    if let Some(r) = reader {
        args.push(r);
        sql.push_str(&format!(" AND reader IN ('', ${})", args.len()));
    }
    if let Some(w) = week {
        args.push(w);
        let older = format!("doc LIKE 'log/%' AND right(doc, 8) COLLATE \"C\" < ${}", args.len());
        match logs {
            LogWeeks::Before(_) => sql.push_str(&format!(" AND {older}")),
            _ => sql.push_str(&format!(" AND NOT ({older})")),
        }
    }
    sql
}

impl<C: GenericClient> PgOps<'_, C> {
    async fn rows(&self, sql: &str, params: Params<'_>) -> StorageResult<Vec<Row>> {
        let st = self.c.prepare_cached(sql).await?;
        Ok(self.c.query(&st, params).await?)
    }

    async fn opt(&self, sql: &str, params: Params<'_>) -> StorageResult<Option<Row>> {
        let st = self.c.prepare_cached(sql).await?;
        Ok(self.c.query_opt(&st, params).await?)
    }

    async fn exec(&self, sql: &str, params: Params<'_>) -> StorageResult<u64> {
        let st = self.c.prepare_cached(sql).await?;
        Ok(self.c.execute(&st, params).await?)
    }
}

fn member_row(r: &Row) -> MemberRow {
    MemberRow { id: r.get(0), name: r.get(1), role: r.get(2), active: r.get(3) }
}

#[async_trait]
impl<C: GenericClient> Ops for PgOps<'_, C> {
    async fn insert_team(&mut self, team_id: &str, name: &str, now: i64) -> StorageResult<()> {
        self.exec("INSERT INTO teams(id, name, created_at) VALUES ($1, $2, $3)", &[&team_id, &name, &now]).await?;
        self.exec("INSERT INTO team_seq(team_id, seq, compacted) VALUES ($1, 0, 0)", &[&team_id]).await?;
        Ok(())
    }

    async fn team_name(&mut self, team_id: &str) -> StorageResult<Option<String>> {
        Ok(self.opt("SELECT name FROM teams WHERE id = $1", &[&team_id]).await?.map(|r| r.get(0)))
    }

    async fn insert_invite(&mut self, i: &NewInvite) -> StorageResult<()> {
        self.exec(
            "INSERT INTO invites(code_hash, team_id, role, name, member_id, expires_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[&i.code_hash, &i.team_id, &i.role.as_str(), &i.name, &i.member_id, &i.expires_at, &i.created_at],
        )
        .await?;
        Ok(())
    }

    async fn invite(&mut self, code_hash: &str) -> StorageResult<Option<InviteRow>> {
        // The row lock makes a code redeemable once even with joins racing on several relays.
        let row = self
            .opt(
                "SELECT team_id, role, name, member_id, expires_at, used_at FROM invites WHERE code_hash = $1 FOR UPDATE",
                &[&code_hash],
            )
            .await?;
        Ok(row.map(|r| InviteRow {
            team_id: r.get(0),
            role: r.get(1),
            name: r.get(2),
            member_id: r.get(3),
            expires_at: r.get(4),
            used_at: r.get(5),
        }))
    }

    async fn mark_invite_used(&mut self, code_hash: &str, now: i64, device_id: &str) -> StorageResult<()> {
        self.exec(
            "UPDATE invites SET used_at = $2, device_id = $3 WHERE code_hash = $1",
            &[&code_hash, &now, &device_id],
        )
        .await?;
        Ok(())
    }

    async fn active_member(&mut self, team_id: &str, member_id: &str) -> StorageResult<Option<MemberRow>> {
        let sql = "SELECT id, name, role, active FROM members WHERE id = $1 AND team_id = $2 AND active";
        Ok(self.opt(sql, &[&member_id, &team_id]).await?.as_ref().map(member_row))
    }

    async fn name_key_taken(&mut self, team_id: &str, name_key: &str) -> StorageResult<bool> {
        let sql = "SELECT 1 FROM members WHERE team_id = $1 AND name_key = $2 AND active";
        Ok(self.opt(sql, &[&team_id, &name_key]).await?.is_some())
    }

    async fn insert_member(&mut self, m: &NewMember<'_>) -> StorageResult<Inserted> {
        let st = self
            .c
            .prepare_cached(
                "INSERT INTO members(id, team_id, name, name_key, role, active, created_at, via) \
                 VALUES ($1, $2, $3, $4, $5, TRUE, $6, $7)",
            )
            .await?;
        match self.c.execute(&st, &[&m.id, &m.team_id, &m.name, &m.name_key, &m.role, &m.now, &m.via]).await {
            Ok(_) => Ok(Inserted::Done),
            Err(e)
                if e.code() == Some(&SqlState::UNIQUE_VIOLATION)
                    && e.as_db_error().and_then(|d| d.constraint()) == Some(NAME_INDEX) =>
            {
                Ok(Inserted::NameTaken)
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn members(&mut self, team_id: &str) -> StorageResult<Vec<MemberRow>> {
        let sql = "SELECT id, name, role, active FROM members WHERE team_id = $1 ORDER BY created_at, id";
        Ok(self.rows(sql, &[&team_id]).await?.iter().map(member_row).collect())
    }

    async fn deactivate_member(&mut self, team_id: &str, member_id: &str) -> StorageResult<u64> {
        self.exec("UPDATE members SET active = FALSE WHERE id = $1 AND team_id = $2", &[&member_id, &team_id]).await
    }

    async fn active_managers(&mut self, team_id: &str) -> StorageResult<i64> {
        let sql = "SELECT count(*) FROM members WHERE team_id = $1 AND active AND role = 'manager'";
        Ok(self.rows(sql, &[&team_id]).await?.first().map_or(0, |r| r.get(0)))
    }

    async fn insert_device(&mut self, team_id: &str, member_id: &str, p: &JoinPlan) -> StorageResult<()> {
        self.exec(
            "INSERT INTO devices(id, team_id, member_id, name, token_hash, created_at, revoked, parent) \
             VALUES ($1, $2, $3, $4, $5, $6, FALSE, $7)",
            &[&p.device_id, &team_id, &member_id, &p.device_name, &p.token_hash, &p.now, &p.parent],
        )
        .await?;
        Ok(())
    }

    async fn token(&mut self, token_hash: &str) -> StorageResult<Option<TokenRow>> {
        let row = self
            .opt(
                "SELECT d.id, d.member_id, d.team_id, m.role FROM devices d JOIN members m ON m.id = d.member_id \
                 WHERE d.token_hash = $1 AND NOT d.revoked AND m.active",
                &[&token_hash],
            )
            .await?;
        Ok(row.map(|r| TokenRow { device_id: r.get(0), member_id: r.get(1), team_id: r.get(2), role: r.get(3) }))
    }

    async fn device_active(&mut self, device_id: &str) -> StorageResult<bool> {
        let sql = "SELECT 1 FROM devices d JOIN members m ON m.id = d.member_id \
                   WHERE d.id = $1 AND NOT d.revoked AND m.active";
        Ok(self.opt(sql, &[&device_id]).await?.is_some())
    }

    async fn devices(&mut self, team_id: &str, member_id: Option<&str>) -> StorageResult<Vec<DeviceRow>> {
        let sql = "SELECT id, member_id, name, created_at, revoked FROM devices \
                   WHERE team_id = $1 AND ($2::text IS NULL OR member_id = $2) ORDER BY created_at, id";
        Ok(self
            .rows(sql, &[&team_id, &member_id])
            .await?
            .iter()
            .map(|r| DeviceRow {
                id: r.get(0),
                member_id: r.get(1),
                name: r.get(2),
                created_at: r.get(3),
                revoked: r.get(4),
            })
            .collect())
    }

    async fn revoke_member_devices(&mut self, member_id: &str) -> StorageResult<Vec<String>> {
        let sql = "UPDATE devices SET revoked = TRUE WHERE NOT revoked AND \
                   (member_id = $1 OR parent IN (SELECT id FROM devices WHERE member_id = $1)) RETURNING id";
        Ok(self.rows(sql, &[&member_id]).await?.iter().map(|r| r.get(0)).collect())
    }

    async fn revoke_device(&mut self, team_id: &str, device_id: &str) -> StorageResult<Vec<String>> {
        if self.opt("SELECT 1 FROM devices WHERE id = $1 AND team_id = $2", &[&device_id, &team_id]).await?.is_none() {
            return Ok(Vec::new());
        }
        let sql = "UPDATE devices SET revoked = TRUE WHERE (id = $1 OR (parent = $1 AND NOT revoked)) RETURNING id";
        Ok(self.rows(sql, &[&device_id]).await?.iter().map(|r| r.get(0)).collect())
    }

    async fn insert_org(&mut self, org_id: &str, name: &str, leadership_team: &str, now: i64) -> StorageResult<()> {
        self.exec(
            "INSERT INTO orgs(id, name, leadership_team, created_at) VALUES ($1, $2, $3, $4)",
            &[&org_id, &name, &leadership_team, &now],
        )
        .await?;
        Ok(())
    }

    async fn set_team_org(&mut self, team_id: &str, org_id: &str) -> StorageResult<u64> {
        self.exec("UPDATE teams SET org_id = $2 WHERE id = $1", &[&team_id, &org_id]).await
    }

    async fn org_exists(&mut self, org_id: &str) -> StorageResult<bool> {
        Ok(self.opt("SELECT 1 FROM orgs WHERE id = $1", &[&org_id]).await?.is_some())
    }

    async fn org_led_by(&mut self, team_id: &str) -> StorageResult<Option<(String, String)>> {
        let row = self.opt("SELECT id, name FROM orgs WHERE leadership_team = $1", &[&team_id]).await?;
        Ok(row.map(|r| (r.get(0), r.get(1))))
    }

    async fn org_teams(&mut self, org_id: &str) -> StorageResult<Vec<(String, String)>> {
        let sql = "SELECT id, name FROM teams WHERE org_id = $1 ORDER BY name, id";
        Ok(self.rows(sql, &[&org_id]).await?.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    async fn team_org(&mut self, team_id: &str) -> StorageResult<Option<String>> {
        let row = self.opt("SELECT org_id FROM teams WHERE id = $1", &[&team_id]).await?;
        Ok(row.and_then(|r| r.get(0)))
    }

    async fn member_via(&mut self, team_id: &str, via: &str) -> StorageResult<Option<String>> {
        let row =
            self.opt("SELECT id FROM members WHERE team_id = $1 AND via = $2 AND active", &[&team_id, &via]).await?;
        Ok(row.map(|r| r.get(0)))
    }

    async fn notify_revoked(&mut self, device_id: &str) -> StorageResult<()> {
        // Every relay instance (on commit) closes that device's live sockets.
        let payload = format!("{REVOKE_PREFIX}{device_id}");
        self.exec("SELECT pg_notify($1, $2)", &[&NOTIFY_CHANNEL, &payload]).await?;
        Ok(())
    }

    async fn seq_row(&mut self, team_id: &str, lock: bool) -> StorageResult<Option<(i64, i64)>> {
        let sql = if lock {
            "SELECT seq, compacted FROM team_seq WHERE team_id = $1 FOR UPDATE"
        } else {
            "SELECT seq, compacted FROM team_seq WHERE team_id = $1"
        };
        Ok(self.opt(sql, &[&team_id]).await?.map(|r| (r.get(0), r.get(1))))
    }

    async fn actor_owners(&mut self, team_id: &str, actors: &[Vec<u8>]) -> StorageResult<HashMap<Vec<u8>, String>> {
        let sql = "SELECT actor, member_id FROM actors WHERE team_id = $1 AND actor = ANY($2)";
        Ok(self.rows(sql, &[&team_id, &actors]).await?.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    async fn bind_actors(&mut self, team_id: &str, actors: &[Vec<u8>], member_id: &str) -> StorageResult<()> {
        let sql = "INSERT INTO actors(team_id, actor, member_id) SELECT $1, a, $3 FROM unnest($2::bytea[]) AS a";
        self.exec(sql, &[&team_id, &actors, &member_id]).await?;
        Ok(())
    }

    async fn doc_row(&mut self, team_id: &str, doc: &str) -> StorageResult<Option<(i64, i64)>> {
        let sql = "SELECT id, version FROM docs WHERE team_id = $1 AND doc = $2";
        Ok(self.opt(sql, &[&team_id, &doc]).await?.map(|r| (r.get(0), r.get(1))))
    }

    async fn insert_doc(&mut self, team_id: &str, doc: &str, kind: &str, subject: Option<&str>) -> StorageResult<i64> {
        let sql = "INSERT INTO docs(team_id, doc, kind, subject) VALUES ($1, $2, $3, $4) RETURNING id";
        let row = self.rows(sql, &[&team_id, &doc, &kind, &subject]).await?;
        row.first().map(|r| r.get(0)).ok_or_else(|| StorageError::Inconsistent(format!("no id for document '{doc}'")))
    }

    async fn bump_doc_version(&mut self, doc_id: i64, by: i64) -> StorageResult<()> {
        self.exec("UPDATE docs SET version = version + $2 WHERE id = $1", &[&doc_id, &by]).await?;
        Ok(())
    }

    async fn snapshot(&mut self, team_id: &str, doc: &str) -> StorageResult<Option<Vec<u8>>> {
        let sql = "SELECT data FROM snapshots WHERE team_id = $1 AND doc = $2";
        Ok(self.opt(sql, &[&team_id, &doc]).await?.map(|r| r.get(0)))
    }

    async fn doc_changes(&mut self, doc_id: i64, after: i64) -> StorageResult<Vec<Vec<u8>>> {
        let sql = "SELECT data FROM changes WHERE doc_id = $1 AND seq > $2 ORDER BY seq";
        Ok(self.rows(sql, &[&doc_id, &after]).await?.iter().map(|r| r.get(0)).collect())
    }

    async fn bump_seq(&mut self, team_id: &str, n: i64) -> StorageResult<Option<i64>> {
        let sql = "UPDATE team_seq SET seq = seq + $2 WHERE team_id = $1 RETURNING seq";
        Ok(self.opt(sql, &[&team_id, &n]).await?.map(|r| r.get(0)))
    }

    async fn insert_changes(&mut self, team_id: &str, rows: &[LogRow<'_>]) -> StorageResult<()> {
        let seqs: Vec<i64> = rows.iter().map(|r| r.seq).collect();
        let docs: Vec<i64> = rows.iter().map(|r| r.doc_id).collect();
        let readers: Vec<&str> = rows.iter().map(|r| r.reader).collect();
        let hashes: Vec<&[u8]> = rows.iter().map(|r| r.hash.as_slice()).collect();
        let data: Vec<&[u8]> = rows.iter().map(|r| r.data).collect();
        let actors: Vec<&[u8]> = rows.iter().map(|r| r.actor).collect();
        let aseqs: Vec<i64> = rows.iter().map(|r| r.actor_seq).collect();
        self.exec(
            "INSERT INTO changes(team_id, seq, doc_id, reader, hash, data, actor, aseq) \
             SELECT $1, u.seq, u.doc_id, u.reader, u.hash, u.data, u.actor, u.aseq \
             FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::bytea[], $6::bytea[], $7::bytea[], $8::bigint[]) \
             AS u(seq, doc_id, reader, hash, data, actor, aseq)",
            &[&team_id, &seqs, &docs, &readers, &hashes, &data, &actors, &aseqs],
        )
        .await?;
        Ok(())
    }

    async fn notify_seq(&mut self, team_id: &str, seq: i64, audience: &crate::live::Audience) -> StorageResult<()> {
        // Sent after the commit, not inside the transaction: a transaction
        // that NOTIFYs holds PostgreSQL's one notification-queue lock (for
        // the whole server) from its commit until the commit is on disk, so
        // every push of every team on every relay would commit one at a time
        // (`kept-bench --only company`, docs/SCALE.md). A wake-up lost to a
        // crash between the two costs a watcher only its next periodic sync.
        self.after_commit.push(super::postgres::seq_payload(team_id, seq, audience));
        Ok(())
    }

    async fn hash_at(&mut self, team_id: &str, seq: i64) -> StorageResult<Option<Vec<u8>>> {
        let sql = "SELECT hash FROM changes WHERE team_id = $1 AND seq = $2";
        Ok(self.opt(sql, &[&team_id, &seq]).await?.map(|r| r.get(0)))
    }

    async fn snapshots(&mut self, team_id: &str, page: SnapshotQuery<'_>) -> StorageResult<Vec<(String, Vec<u8>)>> {
        // Cut by bytes as `changes_after` is; ids compare byte-wise (`COLLATE
        // "C"`), the order the next page's `after` continues from.
        let (take, max) = (page.take, page.max_bytes.min(i64::MAX as usize) as i64);
        let week = page.logs.week().map(|w| w.to_string());
        let mut args: Vec<&(dyn ToSql + Sync)> = vec![&team_id, &page.after, &take, &max];
        let filter = pg_snapshot_filter(&mut args, &page.reader, page.logs, &week);
        let sql = format!(
            "SELECT doc, data FROM (SELECT doc, data, \
               coalesce(sum(octet_length(data)) OVER (ORDER BY doc COLLATE \"C\" \
                 ROWS BETWEEN UNBOUNDED PRECEDING AND 2 PRECEDING), 0) AS before_prev \
             FROM snapshots WHERE team_id = $1 AND doc COLLATE \"C\" > $2{filter} \
             ORDER BY doc COLLATE \"C\" LIMIT $3) p \
             WHERE before_prev < $4 ORDER BY doc COLLATE \"C\""
        );
        let rows = self.rows(&sql, &args).await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    async fn count_snapshots(&mut self, team_id: &str, reader: Option<&str>, logs: LogWeeks) -> StorageResult<i64> {
        let week = logs.week().map(|w| w.to_string());
        let mut args: Vec<&(dyn ToSql + Sync)> = vec![&team_id];
        let filter = pg_snapshot_filter(&mut args, &reader, logs, &week);
        let sql = format!("SELECT COUNT(*) FROM snapshots WHERE team_id = $1{filter}");
        Ok(self.rows(&sql, &args).await?.first().map_or(0, |r| r.get(0)))
    }

    async fn changes_after(&mut self, team_id: &str, page: PageQuery<'_>) -> StorageResult<Vec<StoredChange>> {
        // `before_prev`: the bytes of the rows before the previous one. A row
        // is sent while that stays under the cap, so the page ends with the
        // first row whose preceding rows reach it (the rule sees more wait).
        let (after, take, max) = (page.after, page.take, page.max_bytes as i64);
        let rows = match page.reader {
            None => {
                let sql = "SELECT seq, doc, data FROM (SELECT c.seq, d.doc, c.data, \
                     coalesce(sum(octet_length(c.data)) OVER (ORDER BY c.seq \
                       ROWS BETWEEN UNBOUNDED PRECEDING AND 2 PRECEDING), 0) AS before_prev \
                     FROM changes c JOIN docs d ON d.id = c.doc_id \
                     WHERE c.team_id = $1 AND c.seq > $2 ORDER BY c.seq LIMIT $3) p \
                     WHERE before_prev < $4 ORDER BY seq";
                self.rows(sql, &[&team_id, &after, &take, &max]).await?
            }
            Some(m) => {
                let sql = "SELECT seq, doc, data FROM (SELECT c.seq, d.doc, c.data, \
                     coalesce(sum(octet_length(c.data)) OVER (ORDER BY c.seq \
                       ROWS BETWEEN UNBOUNDED PRECEDING AND 2 PRECEDING), 0) AS before_prev \
                     FROM changes c JOIN docs d ON d.id = c.doc_id \
                     WHERE c.team_id = $1 AND c.seq > $2 AND c.reader IN ('', $5) ORDER BY c.seq LIMIT $3) p \
                     WHERE before_prev < $4 ORDER BY seq";
                self.rows(sql, &[&team_id, &after, &take, &max, &m]).await?
            }
        };
        Ok(rows.iter().map(|r| StoredChange { seq: r.get(0), doc: r.get(1), data: r.get(2) }).collect())
    }

    async fn changes_between(&mut self, team_id: &str, after: i64, upto: i64) -> StorageResult<Vec<Logged>> {
        let sql = "SELECT d.doc, c.reader, c.data FROM changes c JOIN docs d ON d.id = c.doc_id \
                   WHERE c.team_id = $1 AND c.seq > $2 AND c.seq <= $3 ORDER BY c.seq";
        let rows = self.rows(sql, &[&team_id, &after, &upto]).await?;
        Ok(rows.iter().map(|r| Logged { doc: r.get(0), reader: r.get(1), data: r.get(2) }).collect())
    }

    async fn put_snapshot(&mut self, team_id: &str, doc: &str, reader: &str, data: &[u8]) -> StorageResult<()> {
        self.exec(
            "INSERT INTO snapshots(team_id, doc, reader, data) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (team_id, doc) DO UPDATE SET data = excluded.data",
            &[&team_id, &doc, &reader, &data],
        )
        .await?;
        Ok(())
    }

    async fn record_compaction_failure(&mut self, team_id: &str, doc: &str, why: &str, at: i64) -> StorageResult<()> {
        let sql = "INSERT INTO compaction_failures(team_id, doc, reason, at) VALUES ($1, $2, $3, $4) \
                   ON CONFLICT (team_id, doc) DO UPDATE SET reason = excluded.reason, at = excluded.at";
        self.exec(sql, &[&team_id, &doc, &why, &at]).await?;
        Ok(())
    }

    async fn clear_compaction_failure(&mut self, team_id: &str, doc: &str) -> StorageResult<()> {
        let sql = "DELETE FROM compaction_failures WHERE team_id = $1 AND doc = $2";
        self.exec(sql, &[&team_id, &doc]).await?;
        Ok(())
    }

    async fn set_compacted(&mut self, team_id: &str, upto: i64) -> StorageResult<()> {
        self.exec("UPDATE team_seq SET compacted = $2 WHERE team_id = $1", &[&team_id, &upto]).await?;
        Ok(())
    }

    async fn compaction_backlog(&mut self) -> StorageResult<Vec<(String, i64)>> {
        let sql = "SELECT team_id, seq - compacted FROM team_seq ORDER BY team_id";
        Ok(self.rows(sql, &[]).await?.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    async fn blob(&mut self, team_id: &str, reader: &str, hash: &str) -> StorageResult<Option<BlobRow>> {
        let sql = "SELECT hash, size, mime, doc, created_by, created_at, complete FROM blobs \
                   WHERE team_id = $1 AND reader = $2 AND hash = $3";
        Ok(self.opt(sql, &[&team_id, &reader, &hash]).await?.map(|r| BlobRow {
            hash: r.get(0),
            size: r.get(1),
            mime: r.get(2),
            doc: r.get(3),
            created_by: r.get(4),
            created_at: r.get(5),
            complete: r.get(6),
        }))
    }

    async fn blob_bytes_used(&mut self, team_id: &str) -> StorageResult<i64> {
        let sql = "SELECT COALESCE(SUM(size), 0)::BIGINT FROM blobs WHERE team_id = $1";
        Ok(self.opt(sql, &[&team_id]).await?.map_or(0, |r| r.get(0)))
    }

    async fn insert_blob(&mut self, team_id: &str, reader: &str, b: &BlobRow) -> StorageResult<()> {
        self.exec(
            "INSERT INTO blobs(team_id, reader, hash, size, mime, doc, created_by, created_at, complete) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            &[&team_id, &reader, &b.hash, &b.size, &b.mime, &b.doc, &b.created_by, &b.created_at, &b.complete],
        )
        .await?;
        Ok(())
    }

    async fn set_blob_complete(&mut self, team_id: &str, reader: &str, hash: &str) -> StorageResult<u64> {
        let sql = "UPDATE blobs SET complete = TRUE WHERE team_id = $1 AND reader = $2 AND hash = $3";
        self.exec(sql, &[&team_id, &reader, &hash]).await
    }

    async fn delete_blob(&mut self, team_id: &str, reader: &str, hash: &str) -> StorageResult<u64> {
        self.exec("DELETE FROM blobs WHERE team_id = $1 AND reader = $2 AND hash = $3", &[&team_id, &reader, &hash])
            .await
    }
}
