//! SQLite queries for the change log: push (one transaction, per-team counter row), paged pull from one snapshot, compaction.

use super::{NewChange, PullPage, ReadScope, StorageError, StorageResult, StoredChange, StoredSnapshot};
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};
use std::collections::{HashMap, HashSet};

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

/// The document's row id, registering its metadata at first sight.
fn doc_row(tx: &Transaction<'_>, team_id: &str, ch: &NewChange) -> StorageResult<i64> {
    let found: Option<i64> = tx
        .prepare_cached("SELECT id FROM docs WHERE team_id = ?1 AND doc = ?2")?
        .query_row(params![team_id, ch.doc], |r| r.get(0))
        .optional()?;
    if let Some(id) = found {
        return Ok(id);
    }
    tx.prepare_cached("INSERT INTO docs(team_id, doc, kind, subject) VALUES (?1, ?2, ?3, ?4)")?.execute(params![
        team_id,
        ch.doc,
        ch.kind.as_str(),
        ch.subject
    ])?;
    Ok(tx.last_insert_rowid())
}

/// The error for a change that reuses an actor's sequence number with other
/// content: no client could apply both (Automerge refuses a duplicate seq),
/// so storing it would stop every reader of the document.
pub(crate) fn reused_seq(ch: &NewChange) -> StorageError {
    StorageError::Conflict(format!(
        "document '{}': change {} reuses sequence number {} of actor {}, which the relay already holds \
         with different content (two writers share one actor id); no device could apply both, so it is refused",
        ch.doc,
        ch.hash,
        ch.actor_seq,
        hex::encode(&ch.actor)
    ))
}

pub(crate) fn push(c: &mut Connection, team_id: &str, changes: &[NewChange]) -> StorageResult<i64> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut doc_ids: HashMap<&str, i64> = HashMap::new();
    let mut fresh: Vec<(i64, Vec<u8>, &NewChange)> = Vec::with_capacity(changes.len());
    {
        let mut seen = HashSet::new();
        let mut slots: HashMap<(i64, &[u8], u64), &str> = HashMap::new();
        // Changes stored at the same (document, actor, seq): the same change
        // (already stored), or another one under the same actor and seq.
        let mut same_slot = tx.prepare_cached(
            "SELECT hash = ?4, CASE WHEN hash = ?4 THEN NULL ELSE data END \
             FROM changes WHERE doc_id = ?1 AND akey = ?2 AND aseq = ?3",
        )?;
        for ch in changes {
            let doc_id = match doc_ids.get(ch.doc.as_str()) {
                Some(id) => *id,
                None => {
                    let id = doc_row(&tx, team_id, ch)?;
                    doc_ids.insert(ch.doc.as_str(), id);
                    id
                }
            };
            let hash = hash_bytes(&ch.hash);
            if !seen.insert((doc_id, hash.clone())) {
                continue;
            }
            match slots.insert((doc_id, ch.actor.as_slice(), ch.actor_seq), ch.hash.as_str()) {
                Some(other) if other != ch.hash => return Err(reused_seq(ch)),
                _ => {}
            }
            let (akey, aseq) = (actor_key(&ch.actor), ch.actor_seq as i64);
            let rows = same_slot.query_map(params![doc_id, akey, aseq, hash], |r| {
                Ok((r.get::<_, bool>(0)?, r.get::<_, Option<Vec<u8>>>(1)?))
            })?;
            let (mut stored, mut twin) = (false, false);
            for row in rows {
                let (same, data) = row?;
                stored |= same;
                // akey is only the actor's first 8 bytes: compare the whole actor.
                twin |= data.is_some_and(|d| {
                    automerge::Change::from_bytes(d).is_ok_and(|c| c.actor_id().to_bytes() == ch.actor)
                });
            }
            // (A change stored already is acknowledged again even if an older
            // relay let a twin in beside it: `kept-relay check` reports those.)
            if twin && !stored {
                return Err(reused_seq(ch));
            }
            if !stored {
                fresh.push((doc_id, hash, ch));
            }
        }
    }
    if fresh.is_empty() {
        let (seq, _) = seq_row(&tx, team_id)?;
        tx.commit()?;
        return Ok(seq);
    }
    let n = fresh.len() as i64;
    // The counter row serialises pushes of a team: seqs are allocated and
    // stored in this transaction, so they become visible in order.
    let last: i64 = tx
        .prepare_cached("UPDATE team_seq SET seq = seq + ?2 WHERE team_id = ?1 RETURNING seq")?
        .query_row(params![team_id, n], |r| r.get(0))
        .optional()?
        .ok_or_else(|| StorageError::NotFound(format!("no team '{team_id}'")))?;
    {
        let mut ins = tx.prepare_cached(
            "INSERT INTO changes(team_id, seq, doc_id, akey, aseq, reader, hash, data) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        for (seq, (doc_id, hash, ch)) in (last - n + 1..).zip(fresh) {
            let reader = ch.subject.as_deref().unwrap_or("");
            let (akey, aseq) = (actor_key(&ch.actor), ch.actor_seq as i64);
            ins.execute(params![team_id, seq, doc_id, akey, aseq, reader, hash, ch.data])?;
        }
    }
    tx.commit()?;
    Ok(last)
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
    page.changes = rows.collect::<Result<_, _>>()?;
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
    let mut docs = Vec::with_capacity(by_doc.len());
    for (doc, (reader, raw)) in by_doc {
        let base: Option<Vec<u8>> = old.query_row(params![team_id, doc], |r| r.get(0)).optional()?;
        let saved = compact_doc(&doc, base.as_deref(), raw)?;
        docs.push((doc, reader, saved));
    }
    Ok(Built { previous, upto, docs })
}

pub(crate) fn compact_doc(doc: &str, base: Option<&[u8]>, raw: Vec<Vec<u8>>) -> StorageResult<Vec<u8>> {
    let bad = |e: &dyn std::fmt::Display| StorageError::Backend(format!("cannot compact '{doc}': {e}"));
    let mut d = match base {
        Some(b) => automerge::AutoCommit::load(b).map_err(|e| bad(&e))?,
        None => automerge::AutoCommit::new(),
    };
    let mut changes = Vec::with_capacity(raw.len());
    for bytes in raw {
        changes.push(automerge::Change::from_bytes(bytes).map_err(|e| bad(&e))?);
    }
    d.apply_changes(changes).map_err(|e| bad(&e))?;
    if !d.get_missing_deps(&[]).is_empty() {
        // A snapshot would silently drop the queued changes: keep the log instead.
        return Err(bad(&"some changes depend on changes the relay does not have"));
    }
    Ok(d.save())
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
        for (doc, reader, data) in &built.docs {
            up.execute(params![team_id, doc, reader, data])?;
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
