//! The check's PostgreSQL side: connects without migrating, reads the
//! relay's tables and applies fixes in one transaction.

use super::{ChangeRow, DeviceRow, DocRow, Fix, Inspect, SnapRow, Table, TeamRow};
use crate::storage::postgres::schema_version;
use crate::storage::{PostgresStorage, StorageResult};
use std::collections::BTreeSet;

/// The tables of the PostgreSQL schema besides [`super::TABLES`].
const OWN_TABLES: &[Table] = &[
    ("changes", &["team_id", "seq", "doc_id", "reader", "hash", "data", "actor", "aseq"]),
    ("lost_changes", &["team_id", "seq", "doc", "hash", "reason", "at"]),
];

/// A relay database on PostgreSQL opened for checking.
pub(crate) struct PgInspect {
    pg: PostgresStorage,
}

impl PgInspect {
    /// Connects (without applying migrations).
    pub(crate) async fn connect(url: &str) -> StorageResult<PgInspect> {
        Ok(PgInspect { pg: PostgresStorage::connect_unmigrated(url).await? })
    }

    /// Where the database keeps blob bytes (its `blob_chunks` table).
    pub(crate) fn blob_bytes(&self) -> std::sync::Arc<dyn crate::blobs::BlobBytes> {
        std::sync::Arc::new(crate::blobs::PgBlobs::new(self.pg.pool().clone()))
    }

    async fn client(&self) -> StorageResult<deadpool_postgres::Client> {
        Ok(self.pg.pool().get().await?)
    }
}

#[async_trait::async_trait]
impl Inspect for PgInspect {
    async fn integrity(&self) -> StorageResult<Vec<(String, bool)>> {
        let version = self.pg.current_version().await?;
        let known = schema_version();
        Ok(match version {
            v if v == known => Vec::new(),
            v if v < known => vec![(
                format!("the schema is at version {v}, older than this kept-relay's {known}: run `kept-relay migrate` first"),
                false,
            )],
            v => vec![(format!("the schema is at version {v}, newer than this kept-relay understands ({known})"), false)],
        })
    }

    async fn columns(&self, table: &str) -> StorageResult<BTreeSet<String>> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT column_name::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = $1",
                &[&table],
            )
            .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    fn own_tables(&self) -> &'static [Table] {
        OWN_TABLES
    }

    fn schema_hint(&self) -> Option<&'static str> {
        None
    }

    async fn teams(&self) -> StorageResult<Vec<TeamRow>> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT t.id, s.seq, s.compacted, TRUE FROM teams t LEFT JOIN team_seq s ON s.team_id = t.id \
                 UNION ALL SELECT s.team_id, s.seq, s.compacted, FALSE FROM team_seq s \
                 WHERE s.team_id NOT IN (SELECT id FROM teams) ORDER BY 1",
                &[],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| {
                let seq: Option<i64> = r.get(1);
                let compacted: Option<i64> = r.get(2);
                TeamRow { id: r.get(0), counter: seq.map(|s| (s, compacted.unwrap_or(0))), exists: r.get(3) }
            })
            .collect())
    }

    async fn docs(&self, team: &str) -> StorageResult<Vec<DocRow>> {
        let c = self.client().await?;
        let rows = c.query("SELECT id, doc, kind, subject FROM docs WHERE team_id = $1", &[&team]).await?;
        Ok(rows.iter().map(|r| DocRow { id: r.get(0), doc: r.get(1), kind: r.get(2), subject: r.get(3) }).collect())
    }

    async fn changes(&self, team: &str, after: i64, limit: i64) -> StorageResult<Vec<ChangeRow>> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT seq, doc_id, reader, hash, data, actor, aseq FROM changes \
                 WHERE team_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
                &[&team, &after, &limit],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| ChangeRow {
                seq: r.get(0),
                doc_id: r.get(1),
                reader: r.get(2),
                hash: r.get(3),
                data: r.get(4),
                akey: None,
                actor: Some(r.get::<_, Option<Vec<u8>>>(5).unwrap_or_default()),
                aseq: r.get(6),
            })
            .collect())
    }

    async fn snapshots(&self, team: &str) -> StorageResult<Vec<SnapRow>> {
        let c = self.client().await?;
        let rows = c.query("SELECT doc, reader, data FROM snapshots WHERE team_id = $1 ORDER BY doc", &[&team]).await?;
        Ok(rows.iter().map(|r| SnapRow { doc: r.get(0), reader: r.get(1), data: r.get(2) }).collect())
    }

    async fn lost(&self, team: &str) -> StorageResult<BTreeSet<i64>> {
        let c = self.client().await?;
        let rows = c.query("SELECT seq FROM lost_changes WHERE team_id = $1", &[&team]).await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    async fn devices(&self) -> StorageResult<Vec<DeviceRow>> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT d.id, d.team_id, d.token_hash, d.revoked, m.team_id \
                 FROM devices d LEFT JOIN members m ON m.id = d.member_id ORDER BY d.id",
                &[],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| DeviceRow {
                id: r.get(0),
                team_id: r.get(1),
                token_hash: r.get(2),
                revoked: r.get(3),
                member_team: r.get(4),
            })
            .collect())
    }

    async fn member_problems(&self) -> StorageResult<Vec<String>> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT 'member ' || id || ': its team ' || team_id || ' does not exist' FROM members \
                 WHERE team_id NOT IN (SELECT id FROM teams) \
                 UNION ALL SELECT 'member ' || id || ': unknown role ''' || role || '''' FROM members \
                 WHERE role NOT IN ('rep', 'manager')",
                &[],
            )
            .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    async fn complete_blobs(&self) -> StorageResult<Vec<(String, String, String, i64)>> {
        let c = self.client().await?;
        if c.query_one("SELECT to_regclass('blobs') IS NULL", &[]).await?.get::<_, bool>(0) {
            return Ok(Vec::new());
        }
        let rows = c
            .query("SELECT team_id, reader, hash, size FROM blobs WHERE complete ORDER BY team_id, reader, hash", &[])
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1), r.get(2), r.get(3))).collect())
    }

    async fn apply(&self, fixes: &[Fix]) -> StorageResult<()> {
        let now = chrono::Utc::now().timestamp();
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        for f in fixes {
            match f {
                Fix::DropChange { team, seq, doc, hash, reason } => {
                    tx.execute("DELETE FROM changes WHERE team_id = $1 AND seq = $2", &[team, seq]).await?;
                    tx.execute(
                        "INSERT INTO lost_changes(team_id, seq, doc, hash, reason, at) VALUES ($1, $2, $3, $4, $5, $6) \
                         ON CONFLICT (team_id, seq) DO UPDATE SET doc = excluded.doc, hash = excluded.hash, reason = excluded.reason",
                        &[team, seq, doc, hash, reason, &now],
                    )
                    .await?;
                }
                Fix::RecordLost { team, seq, reason } => {
                    tx.execute(
                        "INSERT INTO lost_changes(team_id, seq, reason, at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                        &[team, seq, reason, &now],
                    )
                    .await?;
                }
                Fix::SetReader { team, seq, reader } => {
                    tx.execute("UPDATE changes SET reader = $3 WHERE team_id = $1 AND seq = $2", &[team, seq, reader])
                        .await?;
                }
                Fix::SetHash { team, seq, hash } => {
                    tx.execute("UPDATE changes SET hash = $3 WHERE team_id = $1 AND seq = $2", &[team, seq, hash])
                        .await?;
                }
                Fix::SetActor { team, seq, actor, aseq } => {
                    tx.execute(
                        "UPDATE changes SET actor = $3, aseq = $4 WHERE team_id = $1 AND seq = $2",
                        &[team, seq, actor, aseq],
                    )
                    .await?;
                }
                Fix::SetCounter { team, seq } => {
                    tx.execute(
                        "INSERT INTO team_seq(team_id, seq, compacted) VALUES ($1, $2, 0) \
                         ON CONFLICT (team_id) DO UPDATE SET seq = GREATEST(team_seq.seq, excluded.seq)",
                        &[team, seq],
                    )
                    .await?;
                }
                Fix::PutSnapshot { team, doc, reader, data } => {
                    tx.execute(
                        "INSERT INTO snapshots(team_id, doc, reader, data) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (team_id, doc) DO UPDATE SET reader = excluded.reader, data = excluded.data",
                        &[team, doc, reader, data],
                    )
                    .await?;
                }
                Fix::DeleteSnapshot { team, doc } => {
                    tx.execute("DELETE FROM snapshots WHERE team_id = $1 AND doc = $2", &[team, doc]).await?;
                }
                Fix::ResetCompaction { team } => {
                    tx.execute("DELETE FROM snapshots WHERE team_id = $1", &[team]).await?;
                    tx.execute("UPDATE team_seq SET compacted = 0 WHERE team_id = $1", &[team]).await?;
                }
                Fix::RevokeDevice { id } => {
                    tx.execute("UPDATE devices SET revoked = TRUE WHERE id = $1", &[id]).await?;
                }
            }
        }
        tx.commit().await?;
        Ok(())
    }
}
