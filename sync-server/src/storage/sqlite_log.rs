//! SQLite queries for the change log: push (one transaction, per-team counter row), paged pull from one snapshot, compaction.

use super::{NewChange, PullPage, ReadScope, StorageError, StorageResult, StoredChange, StoredSnapshot};
use crate::gate::{self, DocCache};
use kept_protocol::gate::DocState;
use kept_protocol::wire::MAX_PULL_BYTES;
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};
use std::collections::HashMap;

fn seq_row(tx: &Transaction<'_>, team_id: &str) -> StorageResult<(i64, i64)> {
    tx.prepare_cached("SELECT seq, compacted FROM team_seq WHERE team_id = ?1")?
        .query_row(params![team_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .ok_or_else(|| StorageError::NotFound(format!("no team '{team_id}'")))
}

pub(crate) fn hash_bytes(hex_hash: &str) -> Vec<u8> {
    hex::decode(hex_hash).unwrap_or_else(|_| hex_hash.as_bytes().to_vec())
}

/// The actor id's first 8 bytes as an integer (index key; the hash decides equality).
fn actor_key(actor: &[u8]) -> i64 {
    let mut b = [0u8; 8];
    for (d, s) in b.iter_mut().zip(actor) {
        *d = *s;
    }
    i64::from_be_bytes(b)
}

/// The document's row id and version, registering its metadata at first sight.
fn doc_row(tx: &Transaction<'_>, team_id: &str, ch: &NewChange) -> StorageResult<(i64, i64)> {
    let found: Option<(i64, i64)> = tx
        .prepare_cached("SELECT id, version FROM docs WHERE team_id = ?1 AND doc = ?2")?
        .query_row(params![team_id, ch.doc], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    if let Some(row) = found {
        return Ok(row);
    }
    tx.prepare_cached("INSERT INTO docs(team_id, doc, kind, subject) VALUES (?1, ?2, ?3, ?4)")?.execute(params![
        team_id,
        ch.doc,
        ch.kind.as_str(),
        ch.subject
    ])?;
    Ok((tx.last_insert_rowid(), 0))
}

/// Loads a stored document for validation: its snapshot and the changes after it.
fn load_doc(tx: &Transaction<'_>, team_id: &str, doc: &str, doc_id: i64) -> StorageResult<DocState> {
    let compacted = seq_row(tx, team_id)?.1;
    let snapshot: Option<Vec<u8>> = tx
        .prepare_cached("SELECT data FROM snapshots WHERE team_id = ?1 AND doc = ?2")?
        .query_row(params![team_id, doc], |r| r.get(0))
        .optional()?;
    let from = if snapshot.is_some() { compacted } else { 0 };
    let mut st = tx.prepare_cached("SELECT data FROM changes WHERE doc_id = ?1 AND seq > ?2 ORDER BY seq")?;
    let changes = st.query_map(params![doc_id, from], |r| r.get::<_, Vec<u8>>(0))?.collect::<Result<Vec<_>, _>>()?;
    DocState::load(snapshot.as_deref(), changes).map_err(|why| gate::damaged(doc, &why))
}

pub(crate) fn push(
    c: &mut Connection,
    team_id: &str,
    author: &str,
    changes: &[NewChange],
    cache: &DocCache,
) -> StorageResult<i64> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // Actors: each bound to its member, or bound now to the author.
    let mut owners = HashMap::new();
    {
        let mut st = tx.prepare_cached("SELECT member_id FROM actors WHERE team_id = ?1 AND actor = ?2")?;
        for actor in gate::actors_of(changes) {
            if let Some(m) = st.query_row(params![team_id, actor], |r| r.get::<_, String>(0)).optional()? {
                owners.insert(actor, m);
            }
        }
    }
    let bind = gate::bind_actors(author, changes, &owners)?;
    // The documents as stored (from the cache when it is current).
    let mut rows: HashMap<String, (i64, i64)> = HashMap::new();
    let mut states: HashMap<String, DocState> = HashMap::new();
    for ch in changes {
        if rows.contains_key(&ch.doc) {
            continue;
        }
        let (doc_id, version) = doc_row(&tx, team_id, ch)?;
        rows.insert(ch.doc.clone(), (doc_id, version));
        let state = match cache.take(team_id, &ch.doc, version) {
            Some(s) => s,
            None if version == 0 => DocState::new(),
            None => load_doc(&tx, team_id, &ch.doc, doc_id)?,
        };
        states.insert(ch.doc.clone(), state);
    }
    let fresh_flags = gate::admit(changes, &mut states)?;
    let fresh: Vec<&NewChange> = changes.iter().zip(&fresh_flags).filter(|(_, f)| **f).map(|(c, _)| c).collect();
    let mut added: HashMap<String, i64> = HashMap::new();
    let last = if fresh.is_empty() {
        seq_row(&tx, team_id)?.0
    } else {
        let mut st = tx.prepare_cached("INSERT INTO actors(team_id, actor, member_id) VALUES (?1, ?2, ?3)")?;
        for actor in &bind {
            st.execute(params![team_id, actor, author])?;
        }
        let n = fresh.len() as i64;
        // The counter row serialises pushes of a team: seqs are allocated and
        // stored in this transaction, so they become visible in order.
        let last: i64 = tx
            .prepare_cached("UPDATE team_seq SET seq = seq + ?2 WHERE team_id = ?1 RETURNING seq")?
            .query_row(params![team_id, n], |r| r.get(0))
            .optional()?
            .ok_or_else(|| StorageError::NotFound(format!("no team '{team_id}'")))?;
        let mut ins = tx.prepare_cached(
            "INSERT INTO changes(team_id, seq, doc_id, akey, aseq, reader, hash, data) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        for (seq, ch) in (last - n + 1..).zip(fresh) {
            let reader = ch.subject.as_deref().unwrap_or("");
            let (akey, aseq) = (actor_key(&ch.actor), ch.actor_seq as i64);
            let doc_id = rows[&ch.doc].0;
            ins.execute(params![team_id, seq, doc_id, akey, aseq, reader, hash_bytes(&ch.hash), ch.data])?;
            *added.entry(ch.doc.clone()).or_default() += 1;
        }
        let mut up = tx.prepare_cached("UPDATE docs SET version = version + ?2 WHERE id = ?1")?;
        for (doc, k) in &added {
            up.execute(params![rows[doc].0, k])?;
        }
        last
    };
    tx.commit()?;
    for (doc, state) in states {
        let version = rows[&doc].1 + added.get(&doc).copied().unwrap_or(0);
        cache.put(team_id, &doc, version, state);
    }
    Ok(last)
}

pub(crate) fn hash_at(c: &mut Connection, team_id: &str, seq: i64) -> StorageResult<Option<Vec<u8>>> {
    Ok(c.prepare_cached("SELECT hash FROM changes WHERE team_id = ?1 AND seq = ?2")?
        .query_row(params![team_id, seq], |r| r.get(0))
        .optional()?)
}

pub(crate) fn team_seq(c: &mut Connection, team_id: &str) -> StorageResult<i64> {
    let tx = c.transaction()?;
    Ok(seq_row(&tx, team_id)?.0)
}

pub(crate) fn pull(
    c: &mut Connection,
    team_id: &str,
    scope: &ReadScope,
    cursor: i64,
    limit: u32,
) -> StorageResult<PullPage> {
    // One read transaction: the head, the snapshots and the page come from the same database state.
    let tx = c.transaction()?;
    let (head, compacted) = seq_row(&tx, team_id)?;
    let member = match scope {
        ReadScope::All => None,
        ReadScope::Member(m) => Some(m.as_str()),
    };
    let mut page = PullPage::default();
    let mut from = cursor;
    if cursor == 0 && compacted > 0 {
        let mut st = tx.prepare_cached(
            "SELECT doc, data FROM snapshots WHERE team_id = ?1 AND (?2 IS NULL OR reader IN ('', ?2)) ORDER BY doc",
        )?;
        let rows = st.query_map(params![team_id, member], |r| {
            Ok(StoredSnapshot { doc: r.get(0)?, data: r.get(1)?, upto: compacted })
        })?;
        page.snapshots = rows.collect::<Result<_, _>>()?;
        from = compacted;
    }
    let sql = if member.is_none() {
        "SELECT c.seq, d.doc, c.data FROM changes c JOIN docs d ON d.id = c.doc_id \
         WHERE c.team_id = ?1 AND c.seq > ?2 ORDER BY c.seq LIMIT ?3"
    } else {
        "SELECT c.seq, d.doc, c.data FROM changes c JOIN docs d ON d.id = c.doc_id \
         WHERE c.team_id = ?1 AND c.seq > ?2 AND c.reader IN ('', ?4) ORDER BY c.seq LIMIT ?3"
    };
    let mut st = tx.prepare_cached(sql)?;
    let take = i64::from(limit) + 1;
    let map = |r: &rusqlite::Row<'_>| Ok(StoredChange { seq: r.get(0)?, doc: r.get(1)?, data: r.get(2)? });
    let rows = match member {
        None => st.query_map(params![team_id, from, take], map)?,
        Some(m) => st.query_map(params![team_id, from, take, m], map)?,
    };
    // Stop at `limit` changes, or once the page's bytes reach the cap (a
    // page holds at least one change); one row more says whether more wait.
    let mut bytes = 0usize;
    for row in rows {
        let ch = row?;
        if page.changes.len() >= limit as usize || bytes >= MAX_PULL_BYTES {
            page.more = true;
            break;
        }
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

pub(crate) fn build_snapshots(c: &mut Connection, team_id: &str) -> StorageResult<Built> {
    let tx = c.transaction()?;
    let (upto, previous) = seq_row(&tx, team_id)?;
    let mut by_doc: HashMap<String, (String, Vec<Vec<u8>>)> = HashMap::new();
    {
        let mut st = tx.prepare_cached(
            "SELECT d.doc, c.reader, c.data FROM changes c JOIN docs d ON d.id = c.doc_id \
             WHERE c.team_id = ?1 AND c.seq > ?2 AND c.seq <= ?3 ORDER BY c.seq",
        )?;
        let mut rows = st.query(params![team_id, previous, upto])?;
        while let Some(r) = rows.next()? {
            let (doc, reader, data): (String, String, Vec<u8>) = (r.get(0)?, r.get(1)?, r.get(2)?);
            by_doc.entry(doc).or_insert_with(|| (reader, Vec::new())).1.push(data);
        }
    }
    let mut old = tx.prepare_cached("SELECT data FROM snapshots WHERE team_id = ?1 AND doc = ?2")?;
    let (mut docs, mut failures) = (Vec::with_capacity(by_doc.len()), Vec::new());
    for (doc, (reader, raw)) in by_doc {
        let base: Option<Vec<u8>> = old.query_row(params![team_id, doc], |r| r.get(0)).optional()?;
        let (saved, failure) = gate::compact(base.as_deref(), raw);
        if let Some(why) = failure {
            tracing::warn!(team = %team_id, %doc, %why, "document kept as its raw log: it cannot be compacted");
            failures.push((doc.clone(), why));
        }
        docs.push((doc, reader, saved));
    }
    Ok(Built { previous, upto, docs, failures })
}

pub(crate) fn store_snapshots(c: &mut Connection, team_id: &str, built: Built) -> StorageResult<i64> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let (_, compacted) = seq_row(&tx, team_id)?;
    if compacted != built.previous {
        return Ok(compacted); // someone compacted meanwhile
    }
    {
        let mut up = tx.prepare_cached(
            "INSERT INTO snapshots(team_id, doc, reader, data) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT(team_id, doc) DO UPDATE SET data = excluded.data",
        )?;
        let mut ok = tx.prepare_cached("DELETE FROM compaction_failures WHERE team_id = ?1 AND doc = ?2")?;
        for (doc, reader, data) in &built.docs {
            up.execute(params![team_id, doc, reader, data])?;
            ok.execute(params![team_id, doc])?;
        }
        let mut failed = tx.prepare_cached(
            "INSERT INTO compaction_failures(team_id, doc, reason, at) VALUES (?1, ?2, ?3, strftime('%s','now')) \
             ON CONFLICT(team_id, doc) DO UPDATE SET reason = excluded.reason, at = excluded.at",
        )?;
        for (doc, why) in &built.failures {
            failed.execute(params![team_id, doc, why])?;
        }
    }
    tx.execute("UPDATE team_seq SET compacted = ?2 WHERE team_id = ?1", params![team_id, built.upto])?;
    tx.commit()?;
    Ok(built.upto)
}

pub(crate) fn compaction_backlog(c: &mut Connection) -> StorageResult<Vec<(String, i64)>> {
    let mut st = c.prepare_cached("SELECT team_id, seq - compacted FROM team_seq ORDER BY team_id")?;
    let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}
