//! Joining a relay later, without losing what was kept on this device only.
//! A local-only home has its own team and member ids; the relay gives new
//! ones. So the device joins into a fresh home and every record of every
//! kind in the registry ([`RecordKind::ALL`]) is carried over into the new
//! identity's documents, record ids kept (an activity keeps its deal, an
//! action item its meeting, a rating its meeting), member ids rewritten,
//! activities re-filed under the new team's weeks. What the new role may not
//! write (a rep joining cannot write the team's settings or a review) stays
//! in the backup home and the report says so, kind by kind. The old home is
//! kept beside the new one as a backup.

use super::JoinOptions;
use crate::clock::{Clock, IdSource};
use crate::docs::{self, DocId, DocKind};
use crate::error::{CoreError, Result};
use crate::model::Member;
use crate::records::{RecordKind, Shape};
use crate::service::Kept;
use crate::week::Week;
use automerge::{AutoCommit, ObjType, ReadDoc, Value, ROOT};
use chrono::Weekday;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What was carried over, per record kind, and what stayed behind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Adopted {
    /// Records carried over, by kind name (kinds with none are absent).
    #[serde(flatten)]
    pub carried: BTreeMap<&'static str, usize>,
    /// Records that stayed in the backup home, with why.
    pub left_behind: Vec<LeftBehind>,
    /// Where the old home was kept.
    pub backup: String,
}

/// Records of one kind that were not carried over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeftBehind {
    /// The record kind's name.
    pub kind: &'static str,
    /// How many.
    pub count: usize,
    /// Why.
    pub reason: String,
}

impl Adopted {
    /// Records of `kind` carried over.
    pub fn count(&self, kind: RecordKind) -> usize {
        self.carried.get(kind.name()).copied().unwrap_or(0)
    }

    /// One line for people: "3 activities, 1 targets, …".
    pub fn summary(&self) -> String {
        if self.carried.is_empty() {
            return "nothing".into();
        }
        self.carried.iter().map(|(k, n)| format!("{n} {}", k.replace('_', " "))).collect::<Vec<_>>().join(", ")
    }

    fn leave(&mut self, kind: RecordKind, count: usize, reason: String) {
        if count == 0 {
            return;
        }
        match self.left_behind.iter_mut().find(|l| l.kind == kind.name() && l.reason == reason) {
            Some(l) => l.count += count,
            None => self.left_behind.push(LeftBehind { kind: kind.name(), count, reason }),
        }
    }
}

/// How a home joined its team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Joined {
    /// A new home: everything came from the relay.
    Fresh(super::SyncReport),
    /// A home used on this device only: its records were carried over.
    CarriedOver(Adopted),
}

impl Kept {
    /// Joins a relay: into a new home, or — when `home` already holds a store
    /// used on this device only — carrying its records over. The one decision
    /// every adapter uses.
    pub fn join_home(home: &Path, opts: &JoinOptions, clock: Arc<dyn Clock>, ids: IdSource) -> Result<(Kept, Joined)> {
        if home.join(crate::store::DB_FILE).exists() {
            let (k, adopted) = Kept::join_existing(home, opts, clock, ids)?;
            Ok((k, Joined::CarriedOver(adopted)))
        } else {
            let (k, report) = Kept::join(home, opts, clock, ids)?;
            Ok((k, Joined::Fresh(report)))
        }
    }

    /// Joins a relay from a home that was used on this device only, carrying
    /// its records over. Returns the joined home (at the same path) and a report.
    pub fn join_existing(
        home: &Path,
        opts: &JoinOptions,
        clock: Arc<dyn Clock>,
        ids: IdSource,
    ) -> Result<(Kept, Adopted)> {
        let old = Kept::open(home, clock.clone(), IdSource::random())?;
        if old.is_joined()? {
            return Err(CoreError::invalid("this device already syncs with a relay; sign out first to join another"));
        }
        let stamp = clock.now().format("%Y%m%d%H%M%S").to_string();
        let fresh: PathBuf = home.with_extension(format!("joining-{stamp}"));
        let (mut new, _) = Kept::join(&fresh, opts, clock.clone(), ids)?;
        let report = carry_over(&old, &mut new).inspect_err(|_| {
            let _ = std::fs::remove_dir_all(&fresh);
        })?;
        new.sync()?;
        drop(new);
        drop(old);
        let backup = home.with_extension(format!("before-join-{stamp}"));
        std::fs::rename(home, &backup)?;
        std::fs::rename(&fresh, home)?;
        let kept = Kept::open(home, clock, IdSource::random())?;
        Ok((kept, Adopted { backup: backup.display().to_string(), ..report }))
    }
}

impl Kept {
    /// Carries every record the member of `old` (a home used on one device
    /// only) kept into this home's identity: what [`Kept::join_existing`]
    /// does after joining. All or nothing.
    pub fn carry_over_from(&mut self, old: &Kept) -> Result<Adopted> {
        carry_over(old, self)
    }
}

/// One record to write: its kind, its id and the old document holding it.
struct Planned<'a> {
    kind: RecordKind,
    id: String,
    from: &'a AutoCommit,
}

/// Carries every record `old`'s member kept into `new`'s identity, in one
/// transaction of `new` (all or nothing). Works between any two homes; the
/// relay is not involved until the next sync.
fn carry_over(old: &Kept, new: &mut Kept) -> Result<Adopted> {
    let mut report = Adopted::default();
    let (me_old, me_new) = (old.me().clone(), new.me().clone());
    let mut docs_old: Vec<(DocId, AutoCommit)> = Vec::new();
    for id in old.store.doc_ids()? {
        if id.kind() != DocKind::Team && id.subject() != Some(me_old.id.as_str()) {
            continue; // another member's documents: this home holds copies only
        }
        if let Some(doc) = old.store.load(&id)? {
            docs_old.push((id, doc));
        }
    }
    // The team document first: a manager's settings decide the weeks the
    // activities are filed under.
    docs_old.sort_by_key(|(id, _)| id.kind() != DocKind::Team);
    let team_genesis = docs::genesis(&DocId::team())?;
    let mut plan: BTreeMap<DocId, Vec<Planned<'_>>> = BTreeMap::new();
    let mut tz_week: Option<chrono_tz::Tz> = None;
    for (id, doc) in &docs_old {
        if id.kind() != DocKind::Team && tz_week.is_none() {
            write(new, std::mem::take(&mut plan), &me_old, &me_new)?;
            tz_week = Some(new.team()?.tz());
        }
        for kind in RecordKind::in_doc(id.kind()) {
            for rec in kind.record_ids(doc) {
                let Some(obj) = record_obj(doc, kind, &rec) else { continue };
                if docs::get_bool(doc, &obj, "deleted") {
                    continue;
                }
                if id.kind() == DocKind::Team
                    && record_obj(&team_genesis, kind, &rec)
                        .is_some_and(|g| docs::same_fields(doc, &obj, &team_genesis, &g, kind.home_fields()))
                {
                    continue; // as every team starts: nothing of this home's own
                }
                let foreign = |f: &&str| docs::get_str(doc, &obj, f).is_some_and(|v| !v.is_empty() && v != me_old.id);
                if kind.member_fields().iter().any(foreign) {
                    report.leave(kind, 1, "it names another member of the old home".into());
                    continue;
                }
                let target = match target_doc(id, kind, doc, &obj, &me_new, tz_week) {
                    Ok(t) => t,
                    Err(why) => {
                        report.leave(kind, 1, why);
                        continue;
                    }
                };
                if let Err(denied) = kept_protocol::access::may_write(&me_new.id, me_new.role, &target, true) {
                    report.leave(kind, 1, format!("as a {} in the team: {denied}", me_new.role));
                    continue;
                }
                *report.carried.entry(kind.name()).or_default() += 1;
                plan.entry(target).or_default().push(Planned { kind, id: rec, from: doc });
            }
        }
    }
    write(new, plan, &me_old, &me_new)?;
    carry_blobs(old, new, &me_old, &me_new)?;
    Ok(report)
}

/// The recordings the old home holds for its member's documents come along
/// (bytes and queue entry) under the new identity's documents, to be sent
/// to the relay at the next sync.
fn carry_blobs(old: &Kept, new: &mut Kept, me_old: &Member, me_new: &Member) -> Result<()> {
    let at = new.clock.now().to_rfc3339();
    for b in old.store.blobs()? {
        let Ok(id) = b.doc.parse::<DocId>() else { continue };
        let target = match (id.kind(), id.subject()) {
            (DocKind::Coaching, Some(s)) if s == me_old.id => DocId::coaching(&me_new.id),
            _ => continue,
        };
        let Some(file) = old.store.blob_file(&b.hash) else { continue };
        let hash = new.store.put_blob_bytes(&std::fs::read(file)?)?;
        let row = crate::store::blobs::LocalBlob { hash, doc: target.to_string(), sent: false, ..b };
        new.store.write(|tx| tx.keep_blob(&row, &at))?;
    }
    Ok(())
}

/// The map object of record `rec` of `kind` in `doc`.
fn record_obj(doc: &AutoCommit, kind: RecordKind, rec: &str) -> Option<automerge::ObjId> {
    let Ok(Some((Value::Object(ObjType::Map), coll))) = doc.get(ROOT, kind.root_map()) else { return None };
    match kind.shape() {
        Shape::Single => Some(coll),
        Shape::Collection => match doc.get(&coll, rec) {
            Ok(Some((Value::Object(ObjType::Map), o))) => Some(o),
            _ => None,
        },
    }
}

/// The document of the new identity a record goes to. Activities are filed
/// under the ISO week of their time in the new team's zone (FORMAT.md §3).
fn target_doc(
    from: &DocId,
    kind: RecordKind,
    doc: &AutoCommit,
    obj: &automerge::ObjId,
    me: &Member,
    tz: Option<chrono_tz::Tz>,
) -> std::result::Result<DocId, String> {
    Ok(match from.kind() {
        DocKind::Team => DocId::team(),
        DocKind::Plan => DocId::plan(&me.id),
        DocKind::Pipeline => DocId::pipeline(&me.id),
        DocKind::Coaching => DocId::coaching(&me.id),
        DocKind::Review => DocId::review(&me.id),
        DocKind::Log => {
            let at = docs::get_str(doc, obj, "occurred_at")
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
                .ok_or_else(|| format!("a record of {} has no valid time", kind.name()))?;
            DocId::log(&me.id, Week::of_instant(at.to_utc(), tz.unwrap_or(chrono_tz::UTC), Weekday::Mon))
        }
    })
}

/// Writes the planned records, one change per target document, in one transaction.
fn write(new: &mut Kept, plan: BTreeMap<DocId, Vec<Planned<'_>>>, me_old: &Member, me_new: &Member) -> Result<()> {
    if plan.is_empty() {
        return Ok(());
    }
    let time = new.clock.now().timestamp();
    new.store.write(|tx| {
        for (target, records) in &plan {
            let later = kept_protocol::genesis::later_root_maps(target.kind());
            for r in records {
                if later.contains(&r.kind.root_map()) {
                    tx.ensure_root_map(target, r.kind.root_map())?;
                }
            }
            tx.edit(target, time, |d| {
                for r in records {
                    let Some(from) = record_obj(r.from, r.kind, &r.id) else { continue };
                    let coll = docs::map(d, &ROOT, r.kind.root_map())?;
                    let to = match r.kind.shape() {
                        Shape::Single => coll,
                        Shape::Collection => match docs::record(d, &coll, &r.id)? {
                            Some(o) => o,
                            None => {
                                use automerge::transaction::Transactable;
                                d.put_object(&coll, r.id.as_str(), ObjType::Map)?
                            }
                        },
                    };
                    let members = r.kind.member_fields();
                    docs::copy_fields(r.from, &from, d, &to, r.kind.home_fields(), &|k, v| {
                        (members.contains(&k) && v == me_old.id).then(|| me_new.id.clone())
                    })?;
                }
                Ok(())
            })?;
        }
        Ok(())
    })
}
