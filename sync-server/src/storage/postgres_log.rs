//! PostgreSQL queries for the change log: push (locks the team's counter row,
//! allocates seqs in the storing transaction, notifies on commit), paged pull
//! from one snapshot, compaction.

use super::postgres::NOTIFY_CHANNEL;
use super::sqlite_log::hash_bytes;
use super::{NewChange, PullPage, ReadScope, StorageError, StorageResult, StoredChange, StoredSnapshot};
use crate::gate::{self, DocCache};
use deadpool_postgres::{Client, GenericClient};
use kept_protocol::gate::DocState;
use kept_protocol::wire::MAX_PULL_BYTES;
use std::collections::HashMap;
use tokio_postgres::IsolationLevel;

fn no_team(team_id: &str) -> StorageError {
    StorageError::NotFound(format!("no team '{team_id}'"))
}

async fn seq_row(c: &impl GenericClient, team_id: &str, lock: bool) -> StorageResult<(i64, i64)> {
    let sql = if lock {
        "SELECT seq, compacted FROM team_seq WHERE team_id = $1 FOR UPDATE"
    } else {
        "SELECT seq, compacted FROM team_seq WHERE team_id = $1"
    };
    let st = c.prepare_cached(sql).await?;
    let row = c.query_opt(&st, &[&team_id]).await?.ok_or_else(|| no_team(team_id))?;
    Ok((row.get(0), row.get(1)))
}

/// The document's row id and version, registering its metadata at first sight (the caller holds the team's lock).
async fn doc_row(c: &impl GenericClient, team_id: &str, ch: &NewChange) -> StorageResult<(i64, i64)> {
    let st = c.prepare_cached("SELECT id, version FROM docs WHERE team_id = $1 AND doc = $2").await?;
    if let Some(row) = c.query_opt(&st, &[&team_id, &ch.doc]).await? {
        return Ok((row.get(0), row.get(1)));
    }
    let st =
        c.prepare_cached("INSERT INTO docs(team_id, doc, kind, subject) VALUES ($1, $2, $3, $4) RETURNING id").await?;
    Ok((c.query_one(&st, &[&team_id, &ch.doc, &ch.kind.as_str(), &ch.subject]).await?.get(0), 0))
}

/// Loads a stored document for validation: its snapshot and the changes after it.
async fn load_doc(
    c: &impl GenericClient,
    team_id: &str,
    doc: &str,
    doc_id: i64,
    compacted: i64,
) -> StorageResult<DocState> {
    let st = c.prepare_cached("SELECT data FROM snapshots WHERE team_id = $1 AND doc = $2").await?;
    let snapshot: Option<Vec<u8>> = c.query_opt(&st, &[&team_id, &doc]).await?.map(|r| r.get(0));
    let from = if snapshot.is_some() { compacted } else { 0 };
    let st = c.prepare_cached("SELECT data FROM changes WHERE doc_id = $1 AND seq > $2 ORDER BY seq").await?;
    let changes: Vec<Vec<u8>> = c.query(&st, &[&doc_id, &from]).await?.iter().map(|r| r.get(0)).collect();
    DocState::load(snapshot.as_deref(), changes).map_err(|why| gate::damaged(doc, &why))
}

pub(crate) async fn push(
    c: &mut Client,
    team_id: &str,
    author: &str,
    changes: &[NewChange],
    cache: &DocCache,
) -> StorageResult<i64> {
    let tx = c.transaction().await?;
    // Lock the team's counter row first: pushes of a team (on any relay
    // instance) run one after another from here to commit, so the checks
    // below see every earlier push and seqs commit in order.
    let (head, compacted) = seq_row(&tx, team_id, true).await?;
    // Actors: each bound to its member, or bound now to the author.
    let actors = gate::actors_of(changes);
    let st = tx.prepare_cached("SELECT actor, member_id FROM actors WHERE team_id = $1 AND actor = ANY($2)").await?;
    let owners: HashMap<Vec<u8>, String> =
        tx.query(&st, &[&team_id, &actors]).await?.iter().map(|r| (r.get(0), r.get(1))).collect();
    let bind = gate::bind_actors(author, changes, &owners)?;
    // The documents as stored (from the cache when it is current).
    let mut rows: HashMap<String, (i64, i64)> = HashMap::new();
    let mut states: HashMap<String, DocState> = HashMap::new();
    for ch in changes {
        if rows.contains_key(&ch.doc) {
            continue;
        }
        let (doc_id, version) = doc_row(&tx, team_id, ch).await?;
        rows.insert(ch.doc.clone(), (doc_id, version));
        let state = match cache.take(team_id, &ch.doc, version) {
            Some(s) => s,
            None if version == 0 => DocState::new(),
            None => load_doc(&tx, team_id, &ch.doc, doc_id, compacted).await?,
        };
        states.insert(ch.doc.clone(), state);
    }
    let fresh_flags = gate::admit(changes, &mut states)?;
    let fresh: Vec<&NewChange> = changes.iter().zip(&fresh_flags).filter(|(_, f)| **f).map(|(c, _)| c).collect();
    let mut added: HashMap<String, i64> = HashMap::new();
    let last = if fresh.is_empty() {
        tx.commit().await?;
        head
    } else {
        let st = tx
            .prepare_cached(
                "INSERT INTO actors(team_id, actor, member_id) SELECT $1, a, $3 FROM unnest($2::bytea[]) AS a",
            )
            .await?;
        tx.execute(&st, &[&team_id, &bind, &author]).await?;
        let n = fresh.len() as i64;
        let st = tx.prepare_cached("UPDATE team_seq SET seq = seq + $2 WHERE team_id = $1 RETURNING seq").await?;
        let last: i64 = tx.query_opt(&st, &[&team_id, &n]).await?.ok_or_else(|| no_team(team_id))?.get(0);
        let seqs: Vec<i64> = (last - n + 1..=last).collect();
        let doc_col: Vec<i64> = fresh.iter().map(|c| rows[&c.doc].0).collect();
        let readers: Vec<&str> = fresh.iter().map(|c| c.subject.as_deref().unwrap_or("")).collect();
        let hash_col: Vec<Vec<u8>> = fresh.iter().map(|c| hash_bytes(&c.hash)).collect();
        let data_col: Vec<&[u8]> = fresh.iter().map(|c| c.data.as_slice()).collect();
        let actor_col: Vec<&[u8]> = fresh.iter().map(|c| c.actor.as_slice()).collect();
        let aseq_col: Vec<i64> = fresh.iter().map(|c| c.actor_seq as i64).collect();
        let st = tx
            .prepare_cached(
                "INSERT INTO changes(team_id, seq, doc_id, reader, hash, data, actor, aseq) \
                 SELECT $1, u.seq, u.doc_id, u.reader, u.hash, u.data, u.actor, u.aseq \
                 FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::bytea[], $6::bytea[], $7::bytea[], $8::bigint[]) \
                 AS u(seq, doc_id, reader, hash, data, actor, aseq)",
            )
            .await?;
        tx.execute(&st, &[&team_id, &seqs, &doc_col, &readers, &hash_col, &data_col, &actor_col, &aseq_col]).await?;
        for ch in &fresh {
            *added.entry(ch.doc.clone()).or_default() += 1;
        }
        let st = tx.prepare_cached("UPDATE docs SET version = version + $2 WHERE id = $1").await?;
        for (doc, k) in &added {
            tx.execute(&st, &[&rows[doc].0, k]).await?;
        }
        // Delivered to every listening relay when (and only if) this commits.
        let st = tx.prepare_cached("SELECT pg_notify($1, $2)").await?;
        tx.execute(&st, &[&NOTIFY_CHANNEL, &format!("{team_id}:{last}")]).await?;
        tx.commit().await?;
        last
    };
    for (doc, state) in states {
        let version = rows[&doc].1 + added.get(&doc).copied().unwrap_or(0);
        cache.put(team_id, &doc, version, state);
    }
    Ok(last)
}

pub(crate) async fn hash_at(c: &Client, team_id: &str, seq: i64) -> StorageResult<Option<Vec<u8>>> {
    let st = c.prepare_cached("SELECT hash FROM changes WHERE team_id = $1 AND seq = $2").await?;
    Ok(c.query_opt(&st, &[&team_id, &seq]).await?.map(|r| r.get(0)))
}

pub(crate) async fn team_seq(c: &Client, team_id: &str) -> StorageResult<i64> {
    Ok(seq_row(c, team_id, false).await?.0)
}

pub(crate) async fn pull(
    c: &mut Client,
    team_id: &str,
    scope: &ReadScope,
    cursor: i64,
    limit: u32,
) -> StorageResult<PullPage> {
    // One snapshot: the head, the snapshots and the page come from the same database state.
    let tx = c.build_transaction().isolation_level(IsolationLevel::RepeatableRead).read_only(true).start().await?;
    let (head, compacted) = seq_row(&tx, team_id, false).await?;
    let mut page = PullPage::default();
    let mut from = cursor;
    if cursor == 0 && compacted > 0 {
        let rows = match scope {
            ReadScope::All => {
                let st = tx.prepare_cached("SELECT doc, data FROM snapshots WHERE team_id = $1 ORDER BY doc").await?;
                tx.query(&st, &[&team_id]).await?
            }
            ReadScope::Member(m) => {
                let st = tx
                    .prepare_cached(
                        "SELECT doc, data FROM snapshots WHERE team_id = $1 AND reader IN ('', $2) ORDER BY doc",
                    )
                    .await?;
                tx.query(&st, &[&team_id, m]).await?
            }
        };
        page.snapshots =
            rows.iter().map(|r| StoredSnapshot { doc: r.get(0), data: r.get(1), upto: compacted }).collect();
        from = compacted;
    }
    let take = i64::from(limit) + 1;
    let rows = match scope {
        ReadScope::All => {
            let st = tx
                .prepare_cached(
                    "SELECT seq, doc, data FROM (SELECT c.seq, d.doc, c.data, \
                     sum(octet_length(c.data)) OVER (ORDER BY c.seq) - octet_length(c.data) AS before \
                     FROM changes c JOIN docs d ON d.id = c.doc_id \
                     WHERE c.team_id = $1 AND c.seq > $2 ORDER BY c.seq LIMIT $3) p \
                     WHERE before <= $4 ORDER BY seq",
                )
                .await?;
            tx.query(&st, &[&team_id, &from, &take, &(MAX_PULL_BYTES as i64)]).await?
        }
        ReadScope::Member(m) => {
            let st = tx
                .prepare_cached(
                    "SELECT seq, doc, data FROM (SELECT c.seq, d.doc, c.data, \
                     sum(octet_length(c.data)) OVER (ORDER BY c.seq) - octet_length(c.data) AS before \
                     FROM changes c JOIN docs d ON d.id = c.doc_id \
                     WHERE c.team_id = $1 AND c.seq > $2 AND c.reader IN ('', $4) ORDER BY c.seq LIMIT $3) p \
                     WHERE before <= $5 ORDER BY seq",
                )
                .await?;
            tx.query(&st, &[&team_id, &from, &take, m, &(MAX_PULL_BYTES as i64)]).await?
        }
    };
    tx.commit().await?;
    // Stop at `limit` changes, or once the page's bytes reach the cap (a
    // page holds at least one change); one row more says whether more wait.
    let mut bytes = 0usize;
    for r in &rows {
        if page.changes.len() >= limit as usize || bytes >= MAX_PULL_BYTES {
            page.more = true;
            break;
        }
        let ch = StoredChange { seq: r.get(0), doc: r.get(1), data: r.get(2) };
        bytes += ch.data.len();
        page.changes.push(ch);
    }
    page.next = if page.more {
        page.changes.last().map_or(from, |c| c.seq)
    } else {
        // Everything up to the head was examined, readable or not.
        head.max(from)
    };
    Ok(page)
}

/// Snapshots built from one database state, ready to store.
pub(crate) struct Built {
    previous: i64,
    upto: i64,
    docs: Vec<(String, String, Vec<u8>)>,
    failures: Vec<(String, String)>,
}

pub(crate) async fn build_snapshots(c: &mut Client, team_id: &str) -> StorageResult<Built> {
    let tx = c.build_transaction().isolation_level(IsolationLevel::RepeatableRead).read_only(true).start().await?;
    let (upto, previous) = seq_row(&tx, team_id, false).await?;
    let st = tx
        .prepare_cached(
            "SELECT d.doc, c.reader, c.data FROM changes c JOIN docs d ON d.id = c.doc_id \
             WHERE c.team_id = $1 AND c.seq > $2 AND c.seq <= $3 ORDER BY c.seq",
        )
        .await?;
    let mut by_doc: HashMap<String, (String, Vec<Vec<u8>>)> = HashMap::new();
    for r in tx.query(&st, &[&team_id, &previous, &upto]).await? {
        let (doc, reader, data): (String, String, Vec<u8>) = (r.get(0), r.get(1), r.get(2));
        by_doc.entry(doc).or_insert_with(|| (reader, Vec::new())).1.push(data);
    }
    let old = tx.prepare_cached("SELECT data FROM snapshots WHERE team_id = $1 AND doc = $2").await?;
    let mut work = Vec::with_capacity(by_doc.len());
    for (doc, (reader, raw)) in by_doc {
        let base: Option<Vec<u8>> = tx.query_opt(&old, &[&team_id, &doc]).await?.map(|r| r.get(0));
        work.push((doc, reader, base, raw));
    }
    tx.commit().await?;
    // Loading and saving documents is CPU work: keep it off the async workers.
    let (docs, failures) = tokio::task::spawn_blocking(move || {
        let (mut docs, mut failures) = (Vec::new(), Vec::new());
        for (doc, reader, base, raw) in work {
            let (saved, failure) = gate::compact(base.as_deref(), raw);
            if let Some(why) = failure {
                tracing::warn!(%doc, %why, "document kept as its raw log: it cannot be compacted");
                failures.push((doc.clone(), why));
            }
            docs.push((doc, reader, saved));
        }
        (docs, failures)
    })
    .await
    .map_err(|e| StorageError::Backend(format!("compaction task failed: {e}")))?;
    Ok(Built { previous, upto, docs, failures })
}

pub(crate) async fn store_snapshots(c: &mut Client, team_id: &str, built: Built) -> StorageResult<i64> {
    let tx = c.transaction().await?;
    let (_, compacted) = seq_row(&tx, team_id, true).await?;
    if compacted != built.previous {
        return Ok(compacted); // someone (maybe another relay instance) compacted meanwhile
    }
    let up = tx
        .prepare_cached(
            "INSERT INTO snapshots(team_id, doc, reader, data) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (team_id, doc) DO UPDATE SET data = excluded.data",
        )
        .await?;
    let ok = tx.prepare_cached("DELETE FROM compaction_failures WHERE team_id = $1 AND doc = $2").await?;
    for (doc, reader, data) in &built.docs {
        tx.execute(&up, &[&team_id, doc, reader, data]).await?;
        tx.execute(&ok, &[&team_id, doc]).await?;
    }
    let failed = tx
        .prepare_cached(
            "INSERT INTO compaction_failures(team_id, doc, reason, at) \
             VALUES ($1, $2, $3, extract(epoch from now())::bigint) \
             ON CONFLICT (team_id, doc) DO UPDATE SET reason = excluded.reason, at = excluded.at",
        )
        .await?;
    for (doc, why) in &built.failures {
        tx.execute(&failed, &[&team_id, doc, why]).await?;
    }
    tx.execute("UPDATE team_seq SET compacted = $2 WHERE team_id = $1", &[&team_id, &built.upto]).await?;
    tx.commit().await?;
    Ok(built.upto)
}

pub(crate) async fn compaction_backlog(c: &Client) -> StorageResult<Vec<(String, i64)>> {
    let st = c.prepare_cached("SELECT team_id, seq - compacted FROM team_seq ORDER BY team_id").await?;
    Ok(c.query(&st, &[]).await?.iter().map(|r| (r.get(0), r.get(1))).collect())
}
