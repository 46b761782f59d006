//! PostgreSQL queries for the change log: push (locks the team's counter row,
//! allocates seqs in the storing transaction, notifies on commit), paged pull
//! from one snapshot, compaction.

use super::postgres::NOTIFY_CHANNEL;
use super::sqlite_log::{compact_doc, hash_bytes, reused_seq};
use super::{NewChange, PullPage, ReadScope, StorageError, StorageResult, StoredChange, StoredSnapshot};
use deadpool_postgres::{Client, GenericClient};
use std::collections::{HashMap, HashSet};
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

/// The document's row id, registering its metadata at first sight (the caller holds the team's lock).
async fn doc_row(c: &impl GenericClient, team_id: &str, ch: &NewChange) -> StorageResult<i64> {
    let st = c.prepare_cached("SELECT id FROM docs WHERE team_id = $1 AND doc = $2").await?;
    if let Some(row) = c.query_opt(&st, &[&team_id, &ch.doc]).await? {
        return Ok(row.get(0));
    }
    let st =
        c.prepare_cached("INSERT INTO docs(team_id, doc, kind, subject) VALUES ($1, $2, $3, $4) RETURNING id").await?;
    Ok(c.query_one(&st, &[&team_id, &ch.doc, &ch.kind.as_str(), &ch.subject]).await?.get(0))
}

pub(crate) async fn push(c: &mut Client, team_id: &str, changes: &[NewChange]) -> StorageResult<i64> {
    let tx = c.transaction().await?;
    // Lock the team's counter row first: pushes of a team (on any relay
    // instance) run one after another from here to commit, so the existence
    // check below sees every earlier push and seqs commit in order.
    let (head, _) = seq_row(&tx, team_id, true).await?;
    let mut doc_ids: HashMap<&str, i64> = HashMap::new();
    let mut seen = HashSet::new();
    let mut candidates: Vec<(i64, Vec<u8>, &NewChange)> = Vec::with_capacity(changes.len());
    for ch in changes {
        let doc_id = match doc_ids.get(ch.doc.as_str()) {
            Some(id) => *id,
            None => {
                let id = doc_row(&tx, team_id, ch).await?;
                doc_ids.insert(ch.doc.as_str(), id);
                id
            }
        };
        let hash = hash_bytes(&ch.hash);
        if seen.insert((doc_id, hash.clone())) {
            candidates.push((doc_id, hash, ch));
        }
    }
    let mut slots: HashMap<(i64, &[u8], u64), &str> = HashMap::new();
    for (doc_id, _, ch) in &candidates {
        match slots.insert((*doc_id, ch.actor.as_slice(), ch.actor_seq), ch.hash.as_str()) {
            Some(other) if other != ch.hash => return Err(reused_seq(ch)),
            _ => {}
        }
    }
    let ids: Vec<i64> = candidates.iter().map(|c| c.0).collect();
    let hashes: Vec<&[u8]> = candidates.iter().map(|c| c.1.as_slice()).collect();
    let actors: Vec<&[u8]> = candidates.iter().map(|c| c.2.actor.as_slice()).collect();
    let aseqs: Vec<i64> = candidates.iter().map(|c| c.2.actor_seq as i64).collect();
    let st = tx
        .prepare_cached(
            "SELECT u.i FROM unnest($1::bigint[], $2::bytea[]) WITH ORDINALITY AS u(doc_id, hash, i) \
             WHERE EXISTS (SELECT 1 FROM changes c WHERE c.doc_id = u.doc_id AND c.hash = u.hash)",
        )
        .await?;
    let stored: HashSet<i64> = tx.query(&st, &[&ids, &hashes]).await?.iter().map(|r| r.get::<_, i64>(0) - 1).collect();
    // Another change already stored under the same (document, actor, seq)?
    let st = tx
        .prepare_cached(
            "SELECT u.i FROM unnest($1::bigint[], $2::bytea[], $3::bigint[], $4::bytea[]) \
             WITH ORDINALITY AS u(doc_id, actor, aseq, hash, i) \
             WHERE EXISTS (SELECT 1 FROM changes c WHERE c.doc_id = u.doc_id AND c.actor = u.actor \
             AND c.aseq = u.aseq AND c.hash <> u.hash)",
        )
        .await?;
    for row in tx.query(&st, &[&ids, &actors, &aseqs, &hashes]).await? {
        let i = row.get::<_, i64>(0) - 1;
        if !stored.contains(&i) {
            return Err(reused_seq(candidates[i as usize].2));
        }
    }
    let fresh: Vec<&(i64, Vec<u8>, &NewChange)> =
        candidates.iter().enumerate().filter(|(i, _)| !stored.contains(&(*i as i64))).map(|(_, c)| c).collect();
    if fresh.is_empty() {
        tx.commit().await?;
        return Ok(head);
    }
    let n = fresh.len() as i64;
    let st = tx.prepare_cached("UPDATE team_seq SET seq = seq + $2 WHERE team_id = $1 RETURNING seq").await?;
    let last: i64 = tx.query_opt(&st, &[&team_id, &n]).await?.ok_or_else(|| no_team(team_id))?.get(0);
    let seqs: Vec<i64> = (last - n + 1..=last).collect();
    let doc_col: Vec<i64> = fresh.iter().map(|c| c.0).collect();
    let readers: Vec<&str> = fresh.iter().map(|c| c.2.subject.as_deref().unwrap_or("")).collect();
    let hash_col: Vec<&[u8]> = fresh.iter().map(|c| c.1.as_slice()).collect();
    let data_col: Vec<&[u8]> = fresh.iter().map(|c| c.2.data.as_slice()).collect();
    let actor_col: Vec<&[u8]> = fresh.iter().map(|c| c.2.actor.as_slice()).collect();
    let aseq_col: Vec<i64> = fresh.iter().map(|c| c.2.actor_seq as i64).collect();
    let st = tx
        .prepare_cached(
            "INSERT INTO changes(team_id, seq, doc_id, reader, hash, data, actor, aseq) \
             SELECT $1, u.seq, u.doc_id, u.reader, u.hash, u.data, u.actor, u.aseq \
             FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::bytea[], $6::bytea[], $7::bytea[], $8::bigint[]) \
             AS u(seq, doc_id, reader, hash, data, actor, aseq)",
        )
        .await?;
    tx.execute(&st, &[&team_id, &seqs, &doc_col, &readers, &hash_col, &data_col, &actor_col, &aseq_col]).await?;
    // Delivered to every listening relay when (and only if) this commits.
    let st = tx.prepare_cached("SELECT pg_notify($1, $2)").await?;
    tx.execute(&st, &[&NOTIFY_CHANNEL, &format!("{team_id}:{last}")]).await?;
    tx.commit().await?;
    Ok(last)
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
                    "SELECT c.seq, d.doc, c.data FROM changes c JOIN docs d ON d.id = c.doc_id \
                     WHERE c.team_id = $1 AND c.seq > $2 ORDER BY c.seq LIMIT $3",
                )
                .await?;
            tx.query(&st, &[&team_id, &from, &take]).await?
        }
        ReadScope::Member(m) => {
            let st = tx
                .prepare_cached(
                    "SELECT c.seq, d.doc, c.data FROM changes c JOIN docs d ON d.id = c.doc_id \
                     WHERE c.team_id = $1 AND c.seq > $2 AND c.reader IN ('', $4) ORDER BY c.seq LIMIT $3",
                )
                .await?;
            tx.query(&st, &[&team_id, &from, &take, m]).await?
        }
    };
    tx.commit().await?;
    page.changes = rows.iter().map(|r| StoredChange { seq: r.get(0), doc: r.get(1), data: r.get(2) }).collect();
    if page.changes.len() > limit as usize {
        page.changes.truncate(limit as usize);
        page.more = true;
        page.next = page.changes.last().map_or(from, |c| c.seq);
    } else {
        // Everything up to the head was examined, readable or not.
        page.next = head.max(from);
    }
    Ok(page)
}

/// Snapshots built from one database state, ready to store.
pub(crate) struct Built {
    previous: i64,
    upto: i64,
    docs: Vec<(String, String, Vec<u8>)>,
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
    let docs = tokio::task::spawn_blocking(move || {
        work.into_iter()
            .map(|(doc, reader, base, raw)| {
                let saved = compact_doc(&doc, base.as_deref(), raw)?;
                Ok((doc, reader, saved))
            })
            .collect::<StorageResult<Vec<_>>>()
    })
    .await
    .map_err(|e| StorageError::Backend(format!("compaction task failed: {e}")))??;
    Ok(Built { previous, upto, docs })
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
    for (doc, reader, data) in &built.docs {
        tx.execute(&up, &[&team_id, doc, reader, data]).await?;
    }
    tx.execute("UPDATE team_seq SET compacted = $2 WHERE team_id = $1", &[&team_id, &built.upto]).await?;
    tx.commit().await?;
    Ok(built.upto)
}

pub(crate) async fn compaction_backlog(c: &Client) -> StorageResult<Vec<(String, i64)>> {
    let st = c.prepare_cached("SELECT team_id, seq - compacted FROM team_seq ORDER BY team_id").await?;
    Ok(c.query(&st, &[]).await?.iter().map(|r| (r.get(0), r.get(1))).collect())
}
