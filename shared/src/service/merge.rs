//! Merging two local stores without a server: every document either side may
//! read goes both ways, change by change. The offline path between two
//! devices, and a test tool.

use super::{Identity, Kept};
use crate::clock::{Clock, IdSource};
use crate::docs::DocId;
use crate::error::{CoreError, Result};
use crate::model::Member;
use crate::store::Store;
use serde::Serialize;
use std::path::Path;
use std::sync::Arc;

/// What a merge moved.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct MergeReport {
    /// Changes new to this home.
    pub received: usize,
    /// Changes new to the other home.
    pub sent: usize,
    /// Documents looked at.
    pub documents: usize,
}

/// May a member with this id and role read document `id`?
pub use kept_protocol::access::may_read;

fn identity(store: &Store) -> Result<Identity> {
    let get = |k: &str| -> Result<String> {
        store.meta(k)?.ok_or_else(|| CoreError::NotAStore(format!("{}: missing '{k}'", store.path().display())))
    };
    Ok(Identity {
        team_id: get("team_id")?,
        member_id: get("member_id")?,
        name: get("member_name")?,
        role: get("role")?.parse()?,
    })
}

fn changes_of(store: &Store, id: &DocId) -> Result<Vec<Vec<u8>>> {
    Ok(match store.load(id)? {
        Some(mut d) => d.get_changes(&[]).iter().map(|c| c.raw_bytes().to_vec()).collect(),
        None => Vec::new(),
    })
}

fn copy(from: &Store, to: &mut Store, reader: &Identity) -> Result<(usize, usize)> {
    let (mut n, mut docs) = (0, 0);
    for id in from.doc_ids()? {
        if !may_read(&reader.member_id, reader.role, &id) {
            continue;
        }
        docs += 1;
        let raw = changes_of(from, &id)?;
        n += to.write(|tx| tx.apply(&id, raw, true))?;
    }
    Ok((n, docs))
}

impl Kept {
    /// Merges the store at `other` into this one and this one into it.
    pub fn merge_from(&mut self, other: &Path) -> Result<MergeReport> {
        let mut theirs = Store::open(other)?;
        let them = identity(&theirs)?;
        if them.team_id != self.team_id() {
            return Err(CoreError::invalid(format!(
                "{} belongs to another team (team id {}); only homes of the same team can merge",
                other.display(),
                them.team_id
            )));
        }
        let me = identity(&self.store)?;
        let (received, d1) = copy(&theirs, &mut self.store, &me)?;
        let (sent, d2) = copy(&self.store, &mut theirs, &them)?;
        let mut known: Vec<Member> = self.members()?;
        for m in theirs.members()? {
            if !known.iter().any(|k| k.id == m.id) {
                known.push(m);
            }
        }
        self.set_members(&known)?;
        Ok(MergeReport { received, sent, documents: d1.max(d2) })
    }

    /// Makes `home` a second device of the member whose home is `other`
    /// (its own actor id), then merges.
    pub fn clone_device(
        home: &Path,
        other: &Path,
        clock: Arc<dyn Clock>,
        ids: IdSource,
    ) -> Result<(Kept, MergeReport)> {
        let id = identity(&Store::open(other)?)?;
        let mut kept = Kept::create_device(home, &id, clock, ids)?;
        let report = kept.merge_from(other)?;
        Ok((kept, report))
    }
}
