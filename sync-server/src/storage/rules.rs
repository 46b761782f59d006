//! The relay's storage rules, written once for every backend: redeeming an
//! invite (once, name unique by [`name_key`]), removing a member (never the
//! last manager) and revoking devices, a push (actors bound to members,
//! causal admission through [`crate::gate`], sequence numbers allocated in
//! the storing transaction), a pull (one snapshot of the database, paged by
//! count and bytes, only what the scope may read), compaction and blobs
//! (registered once per reader, within the team's quota). Each rule
//! runs over [`Ops`] inside [`Backend::run`]; `impl Storage for B` wires them up.

use super::backend::{
    work, Backend, BlobRow, Inserted, InviteRow, LogRow, LogWeeks, Logged, Mode, NewMember, Ops, PageQuery,
    SnapshotQuery,
};
use super::{
    name_key, Caller, JoinPlan, Joined, LeaderPlan, NewBlob, NewChange, NewInvite, PullPage, PushOutcome, ReadScope,
    RevokeCallback, SeqCallback, SnapshotAsk, SnapshotPage, Storage, StorageError, StorageResult, StoredSnapshot,
};
use crate::gate;
use crate::live::Audience;
use async_trait::async_trait;
use kept_protocol::gate::DocState;
use kept_protocol::ids::DocId;
use kept_protocol::wire::{DeviceInfo, MemberInfo, OrgTeam, OrgTeams, MAX_PULL_BYTES};
use kept_protocol::Role;
use std::collections::HashMap;

fn role_of(s: &str) -> StorageResult<Role> {
    s.parse().map_err(|e| StorageError::Inconsistent(format!("unknown role '{s}' ({e})")))
}

fn rfc3339(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0).map(|t| t.to_rfc3339()).unwrap_or_default()
}

fn no_team(team_id: &str) -> StorageError {
    StorageError::NotFound(format!("no team '{team_id}'"))
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

async fn create_team(ops: &mut dyn Ops, team_id: &str, name: &str, now: i64, invite: &NewInvite) -> StorageResult<()> {
    ops.insert_team(team_id, name, now).await?;
    ops.insert_invite(invite).await
}

async fn redeem_invite(ops: &mut dyn Ops, p: &JoinPlan) -> StorageResult<Joined> {
    let inv: InviteRow =
        ops.invite(&p.code_hash).await?.ok_or_else(|| StorageError::InvalidInvite("unknown invite code".into()))?;
    if inv.used_at.is_some() {
        return Err(StorageError::InvalidInvite("this invite was already used; ask your manager for a new one".into()));
    }
    if inv.expires_at < p.now {
        return Err(StorageError::InvalidInvite("this invite has expired; ask your manager for a new one".into()));
    }
    let (member_id, member_name, role) = match &inv.member_id {
        Some(mid) => {
            let m = ops
                .active_member(&inv.team_id, mid)
                .await?
                .ok_or_else(|| StorageError::InvalidInvite("the member this invite is for was removed".into()))?;
            (mid.clone(), m.name, role_of(&m.role)?)
        }
        None => {
            let name = inv.name.clone().or_else(|| p.name.clone()).ok_or_else(|| {
                StorageError::Invalid("this invite does not name you: give your name when joining".into())
            })?;
            let key = name_key(&name);
            let taken = || StorageError::NameTaken { name: name.clone() };
            if ops.name_key_taken(&inv.team_id, &key).await? {
                return Err(taken());
            }
            let member = NewMember {
                id: &p.new_member_id,
                team_id: &inv.team_id,
                name: &name,
                name_key: &key,
                role: &inv.role,
                now: p.now,
                via: None,
            };
            // The unique index decides a race with a join on another relay.
            if ops.insert_member(&member).await? == Inserted::NameTaken {
                return Err(taken());
            }
            let role = role_of(&inv.role)?;
            (p.new_member_id.clone(), name, role)
        }
    };
    ops.insert_device(&inv.team_id, &member_id, p).await?;
    ops.mark_invite_used(&p.code_hash, p.now, &p.device_id).await?;
    let team_name = ops.team_name(&inv.team_id).await?.ok_or_else(|| {
        StorageError::Inconsistent(format!("invite of a team that does not exist ('{}')", inv.team_id))
    })?;
    Ok(Joined { team_id: inv.team_id, team_name, member_id, member_name, role, device_id: p.device_id.clone() })
}

async fn remove_member(ops: &mut dyn Ops, team_id: &str, member_id: &str) -> StorageResult<Vec<String>> {
    // Removals of a team run one after another (the team's counter row is
    // the lock), so the last-manager rule below sees every earlier removal.
    ops.seq_row(team_id, true).await?;
    if ops.deactivate_member(team_id, member_id).await? == 0 {
        return Err(StorageError::NotFound(format!("no member '{member_id}' in your team")));
    }
    if ops.active_managers(team_id).await? == 0 {
        return Err(StorageError::Conflict("cannot remove the team's last manager".into()));
    }
    let revoked = ops.revoke_member_devices(member_id).await?;
    for device in &revoked {
        ops.notify_revoked(device).await?;
    }
    Ok(revoked)
}

async fn revoke_device(ops: &mut dyn Ops, team_id: &str, device_id: &str) -> StorageResult<Vec<String>> {
    let revoked = ops.revoke_device(team_id, device_id).await?;
    if revoked.is_empty() {
        return Err(StorageError::NotFound(format!("no device '{device_id}' in your team")));
    }
    for device in &revoked {
        ops.notify_revoked(device).await?;
    }
    Ok(revoked)
}

async fn create_org(
    ops: &mut dyn Ops,
    org_id: &str,
    name: &str,
    (team_id, team_name): (&str, &str),
    invite: &NewInvite,
) -> StorageResult<()> {
    ops.insert_team(team_id, team_name, invite.created_at).await?;
    ops.insert_org(org_id, name, team_id, invite.created_at).await?;
    ops.insert_invite(invite).await
}

async fn set_team_org(ops: &mut dyn Ops, team_id: &str, org_id: &str) -> StorageResult<()> {
    if !ops.org_exists(org_id).await? {
        return Err(StorageError::NotFound(format!("no organisation '{org_id}'")));
    }
    if ops.org_led_by(team_id).await?.is_some() {
        return Err(StorageError::Invalid(format!(
            "team '{team_id}' is an organisation's leadership team; it cannot also be one of its teams"
        )));
    }
    if ops.set_team_org(team_id, org_id).await? == 0 {
        return Err(no_team(team_id));
    }
    Ok(())
}

async fn org_led_by(ops: &mut dyn Ops, team_id: &str) -> StorageResult<Option<OrgTeams>> {
    let Some((org_id, org_name)) = ops.org_led_by(team_id).await? else { return Ok(None) };
    let teams = ops.org_teams(&org_id).await?.into_iter().map(|(id, name)| OrgTeam { id, name }).collect();
    Ok(Some(OrgTeams { org_id, org_name, teams }))
}

/// A leader's device in one team: decided from the relay's tables only (the
/// caller manages the leadership team of the organisation the team is in).
async fn leader_device(ops: &mut dyn Ops, p: &LeaderPlan) -> StorageResult<Joined> {
    let leader = &p.leader;
    let refused = || {
        StorageError::Forbidden(format!(
            "team '{}' is not a team of an organisation you lead (a leader is a manager of the organisation's \
             leadership team)",
            p.team_id
        ))
    };
    if leader.role != Role::Manager {
        return Err(refused());
    }
    let (org_id, _) = ops.org_led_by(&leader.team_id).await?.ok_or_else(refused)?;
    if ops.team_org(&p.team_id).await?.as_deref() != Some(org_id.as_str()) {
        return Err(refused());
    }
    let me = ops.active_member(&leader.team_id, &leader.member_id).await?.ok_or_else(refused)?;
    let member_id = match ops.member_via(&p.team_id, &leader.member_id).await? {
        Some(id) => id,
        None => {
            // A key no typed name has (names hold no control characters), so
            // a leader never takes a rep's name in the team.
            let key = format!("{}\u{1}leader\u{1}{}", name_key(&me.name), leader.member_id);
            let member = NewMember {
                id: &p.join.new_member_id,
                team_id: &p.team_id,
                name: &me.name,
                name_key: &key,
                role: Role::Leader.as_str(),
                now: p.join.now,
                via: Some(&leader.member_id),
            };
            ops.insert_member(&member).await?;
            p.join.new_member_id.clone()
        }
    };
    ops.insert_device(&p.team_id, &member_id, &p.join).await?;
    let team_name = ops.team_name(&p.team_id).await?.ok_or_else(|| no_team(&p.team_id))?;
    Ok(Joined {
        team_id: p.team_id.clone(),
        team_name,
        member_id,
        member_name: me.name,
        role: Role::Leader,
        device_id: p.join.device_id.clone(),
    })
}

/// What a push stored, and the documents it validated (for the cache, once committed).
pub(crate) struct Pushed {
    last: i64,
    audience: Option<Audience>,
    docs: Vec<(String, i64, DocState)>,
}

/// Loads a stored document for validation: its snapshot and the changes after it.
async fn load_doc(ops: &mut dyn Ops, team_id: &str, doc: &str, doc_id: i64, compacted: i64) -> StorageResult<DocState> {
    let snapshot = ops.snapshot(team_id, doc).await?;
    let from = if snapshot.is_some() { compacted } else { 0 };
    let changes = ops.doc_changes(doc_id, from).await?;
    DocState::load(snapshot.as_deref(), changes).map_err(|why| gate::damaged(doc, &why))
}

async fn push(
    ops: &mut dyn Ops,
    team_id: &str,
    author: &str,
    changes: &[NewChange],
    cache: &gate::DocCache,
    mut prepared: HashMap<String, gate::Prepared>,
) -> StorageResult<Pushed> {
    // Lock the team's counter row first: pushes of a team (on any relay
    // instance) run one after another from here to commit, so the checks
    // below see every earlier push and seqs commit in order.
    let (head, compacted) = ops.seq_row(team_id, true).await?.ok_or_else(|| no_team(team_id))?;
    // Actors: each bound to its member, or bound now to the author.
    let owners = ops.actor_owners(team_id, &gate::actors_of(changes)).await?;
    let bind = gate::bind_actors(author, changes, &owners)?;
    // The documents as stored (from the cache when it is current).
    let mut rows: HashMap<String, (i64, i64)> = HashMap::new();
    let mut states: HashMap<String, DocState> = HashMap::new();
    let mut ready: HashMap<String, Vec<(usize, bool)>> = HashMap::new();
    for ch in changes {
        if rows.contains_key(&ch.doc) {
            continue;
        }
        let (doc_id, version) = match ops.doc_row(team_id, &ch.doc).await? {
            Some(row) => row,
            None => (ops.insert_doc(team_id, &ch.doc, ch.kind.as_str(), ch.subject.as_deref()).await?, 0),
        };
        rows.insert(ch.doc.clone(), (doc_id, version));
        // Admitted before the transaction into the document as it still is: kept.
        let early = prepared.remove(&ch.doc).filter(|p| p.version == version);
        let state = match early {
            Some(p) => {
                ready.insert(ch.doc.clone(), p.fresh);
                p.state
            }
            None => match cache.take(team_id, &ch.doc, version) {
                Some(s) => s,
                None if version == 0 => DocState::new(),
                None => load_doc(ops, team_id, &ch.doc, doc_id, compacted).await?,
            },
        };
        states.insert(ch.doc.clone(), state);
    }
    let fresh_flags = gate::admit(changes, &mut states, &ready)?;
    let fresh: Vec<&NewChange> = changes.iter().zip(&fresh_flags).filter(|(_, f)| **f).map(|(c, _)| c).collect();
    let mut added: HashMap<String, i64> = HashMap::new();
    let audience = (!fresh.is_empty()).then(|| audience_of(&fresh));
    let last = if fresh.is_empty() {
        head
    } else {
        ops.bind_actors(team_id, &bind, author).await?;
        let n = fresh.len() as i64;
        let last = ops.bump_seq(team_id, n).await?.ok_or_else(|| no_team(team_id))?;
        let log: Vec<LogRow<'_>> = (last - n + 1..)
            .zip(&fresh)
            .map(|(seq, ch)| LogRow {
                seq,
                doc_id: rows[&ch.doc].0,
                reader: ch.subject.as_deref().unwrap_or(""),
                actor: ch.actor(),
                actor_seq: ch.change.seq() as i64,
                hash: ch.hash().0,
                data: ch.data(),
            })
            .collect();
        ops.insert_changes(team_id, &log).await?;
        for ch in &fresh {
            *added.entry(ch.doc.clone()).or_default() += 1;
        }
        for (doc, k) in &added {
            ops.bump_doc_version(rows[doc].0, *k).await?;
        }
        ops.notify_seq(team_id, last, audience.as_ref().unwrap_or(&Audience::Everyone)).await?;
        last
    };
    let docs = states
        .into_iter()
        .map(|(doc, state)| {
            let version = rows[&doc].1 + added.get(&doc).copied().unwrap_or(0);
            (doc, version, state)
        })
        .collect();
    Ok(Pushed { last, audience, docs })
}

/// Who the new changes of a push wake live, from their documents' ids
/// (validated before the push; one that does not parse wakes everyone).
fn audience_of(fresh: &[&NewChange]) -> Audience {
    let mut docs: Vec<&str> = fresh.iter().map(|c| c.doc.as_str()).collect();
    docs.sort_unstable();
    docs.dedup();
    let ids: Option<Vec<DocId>> = docs.into_iter().map(|d| d.parse().ok()).collect();
    ids.map_or(Audience::Everyone, |ids| Audience::of(&ids))
}

async fn pull(ops: &mut dyn Ops, team_id: &str, scope: &ReadScope, cursor: i64, limit: u32) -> StorageResult<PullPage> {
    let (head, compacted) = ops.seq_row(team_id, false).await?.ok_or_else(|| no_team(team_id))?;
    let reader = match scope {
        ReadScope::All => None,
        ReadScope::Member(m) => Some(m.as_str()),
    };
    let mut page = PullPage::default();
    let mut from = cursor;
    if cursor == 0 && compacted > 0 {
        // Every snapshot on this one page (protocol v1); `GET /v1/snapshots`
        // pages them.
        let every = SnapshotQuery { reader, after: "", logs: LogWeeks::All, take: i64::MAX, max_bytes: usize::MAX };
        page.snapshots = ops
            .snapshots(team_id, every)
            .await?
            .into_iter()
            .map(|(doc, data)| StoredSnapshot { doc, data, upto: compacted })
            .collect();
        from = compacted;
    }
    let query = PageQuery { reader, after: from, take: i64::from(limit) + 1, max_bytes: MAX_PULL_BYTES };
    let rows = ops.changes_after(team_id, query).await?;
    // Stop at `limit` changes, or once the page's bytes reach the cap (a
    // page holds at least one change); one row more says whether more wait.
    let mut bytes = 0usize;
    for ch in rows {
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

/// One page of a team's snapshots in `scope`: at most `ask.limit` and, past
/// the first, at most [`MAX_PULL_BYTES`] of snapshot bytes.
async fn snapshot_page(
    ops: &mut dyn Ops,
    team_id: &str,
    scope: &ReadScope,
    ask: &SnapshotAsk,
) -> StorageResult<SnapshotPage> {
    let (_, compacted) = ops.seq_row(team_id, false).await?.ok_or_else(|| no_team(team_id))?;
    let reader = match scope {
        ReadScope::All => None,
        ReadScope::Member(m) => Some(m.as_str()),
    };
    let mut page = SnapshotPage { upto: compacted, next: ask.after.clone(), ..SnapshotPage::default() };
    if compacted == 0 {
        return Ok(page);
    }
    if let (LogWeeks::From(w), "") = (ask.logs, ask.after.as_str()) {
        page.later = Some(ops.count_snapshots(team_id, reader, LogWeeks::Before(w)).await?);
    }
    let query = SnapshotQuery {
        reader,
        after: &ask.after,
        logs: ask.logs,
        take: i64::from(ask.limit) + 1,
        max_bytes: MAX_PULL_BYTES,
    };
    // The team document first: readers file activities by its time zone and
    // week start. It sorts last by id, so it comes before the first page's
    // others and is left out of the pages after.
    let team = DocId::team();
    let team_first = ask.logs.holds(&team);
    let mut bytes = 0usize;
    if team_first && ask.after.is_empty() {
        if let Some(data) = ops.snapshot(team_id, team.as_str()).await? {
            bytes += data.len();
            page.snapshots.push(StoredSnapshot { doc: team.as_str().to_string(), data, upto: compacted });
        }
    }
    // A page holds at least one document past `after` (so it always moves
    // on), then stops at `limit` of them or at the byte cap.
    let mut taken = 0usize;
    for (doc, data) in ops.snapshots(team_id, query).await? {
        if team_first && doc == team.as_str() {
            continue;
        }
        if taken >= ask.limit as usize || (taken > 0 && bytes >= MAX_PULL_BYTES) {
            page.more = true;
            break;
        }
        bytes += data.len();
        taken += 1;
        page.next.clone_from(&doc);
        page.snapshots.push(StoredSnapshot { doc, data, upto: compacted });
    }
    Ok(page)
}

/// What compaction reads from one state of the database.
pub(crate) struct CompactionInput {
    previous: i64,
    upto: i64,
    docs: Vec<ToCompact>,
}

/// One document to compact.
struct ToCompact {
    doc: String,
    reader: String,
    /// Its previous snapshot.
    base: Option<Vec<u8>>,
    /// Its changes since.
    raw: Vec<Vec<u8>>,
}

/// Snapshots built from a [`CompactionInput`], ready to store.
pub(crate) struct Built {
    previous: i64,
    upto: i64,
    docs: Vec<(String, String, Vec<u8>)>,
    failures: Vec<(String, String)>,
}

async fn compaction_input(ops: &mut dyn Ops, team_id: &str) -> StorageResult<CompactionInput> {
    let (upto, previous) = ops.seq_row(team_id, false).await?.ok_or_else(|| no_team(team_id))?;
    let mut by_doc: HashMap<String, (String, Vec<Vec<u8>>)> = HashMap::new();
    for Logged { doc, reader, data } in ops.changes_between(team_id, previous, upto).await? {
        by_doc.entry(doc).or_insert_with(|| (reader, Vec::new())).1.push(data);
    }
    let mut docs = Vec::with_capacity(by_doc.len());
    for (doc, (reader, raw)) in by_doc {
        let base = ops.snapshot(team_id, &doc).await?;
        docs.push(ToCompact { doc, reader, base, raw });
    }
    Ok(CompactionInput { previous, upto, docs })
}

/// Loading and saving documents is CPU work: run it off the async workers.
fn build(team_id: &str, input: CompactionInput) -> Built {
    let (mut docs, mut failures) = (Vec::with_capacity(input.docs.len()), Vec::new());
    for ToCompact { doc, reader, base, raw } in input.docs {
        let (saved, failure) = gate::compact(base.as_deref(), raw);
        if let Some(why) = failure {
            tracing::warn!(team = %team_id, %doc, %why, "document kept as its raw log: it cannot be compacted");
            failures.push((doc.clone(), why));
        }
        docs.push((doc, reader, saved));
    }
    Built { previous: input.previous, upto: input.upto, docs, failures }
}

async fn store_snapshots(ops: &mut dyn Ops, team_id: &str, built: Built) -> StorageResult<i64> {
    let (_, compacted) = ops.seq_row(team_id, true).await?.ok_or_else(|| no_team(team_id))?;
    if compacted != built.previous {
        return Ok(compacted); // someone (maybe another relay instance) compacted meanwhile
    }
    let at = now();
    for (doc, reader, data) in &built.docs {
        ops.put_snapshot(team_id, doc, reader, data).await?;
        ops.clear_compaction_failure(team_id, doc).await?;
    }
    for (doc, why) in &built.failures {
        ops.record_compaction_failure(team_id, doc, why, at).await?;
    }
    ops.set_compacted(team_id, built.upto).await?;
    Ok(built.upto)
}

/// Registers a blob or finds it (see [`Storage::offer_blob`]).
async fn offer_blob(ops: &mut dyn Ops, b: &NewBlob, quota: u64) -> StorageResult<BlobRow> {
    // The team's counter row is the lock: offers of a team run one after
    // another, so the quota below sees every earlier offer (on any relay).
    ops.seq_row(&b.team_id, true).await?.ok_or_else(|| no_team(&b.team_id))?;
    let size = i64::try_from(b.size).map_err(|_| StorageError::Invalid(format!("a blob of {} bytes", b.size)))?;
    if let Some(row) = ops.blob(&b.team_id, &b.reader, &b.hash).await? {
        if row.size != size {
            return Err(StorageError::Conflict(format!(
                "blob {} is registered with {} bytes, not {}: the same bytes always have the same size",
                b.hash, row.size, b.size
            )));
        }
        return Ok(row);
    }
    let used = u64::try_from(ops.blob_bytes_used(&b.team_id).await?).unwrap_or(0);
    if used.saturating_add(b.size) > quota {
        return Err(StorageError::QuotaExceeded { quota, used, size: b.size });
    }
    let row = BlobRow {
        hash: b.hash.clone(),
        size,
        mime: b.mime.clone(),
        doc: b.doc.clone(),
        created_by: b.created_by.clone(),
        created_at: b.now,
        complete: false,
    };
    ops.insert_blob(&b.team_id, &b.reader, &row).await?;
    Ok(row)
}

fn no_blob(hash: &str) -> StorageError {
    StorageError::NotFound(format!("no blob {hash} here: offer it first (POST /v1/blobs)"))
}

/// Stores a push in one write transaction, keeping what [`gate::prepare`]
/// admitted where the documents did not move since; the documents go back
/// to the cache only once the push committed.
pub(crate) async fn store_push<B: Backend>(
    backend: &B,
    team_id: &str,
    author: &str,
    changes: Vec<NewChange>,
    prepared: HashMap<String, gate::Prepared>,
) -> StorageResult<PushOutcome> {
    let cache = backend.doc_cache();
    let pushed = {
        let (t, a) = (team_id.to_string(), author.to_string());
        let cache = cache.clone();
        backend
            .run(
                Mode::Write,
                work(move |ops| Box::pin(async move { push(ops, &t, &a, &changes, &cache, prepared).await })),
            )
            .await?
    };
    for (doc, version, state) in pushed.docs {
        cache.put(team_id, &doc, version, state);
    }
    Ok(PushOutcome { seq: pushed.last, audience: pushed.audience })
}

#[async_trait]
impl<B: Backend> Storage for B {
    async fn create_team(&self, team_id: &str, name: &str, now: i64, invite: NewInvite) -> StorageResult<()> {
        let (t, n) = (team_id.to_string(), name.to_string());
        self.run(Mode::Write, work(move |ops| Box::pin(async move { create_team(ops, &t, &n, now, &invite).await })))
            .await
    }

    async fn insert_invite(&self, invite: NewInvite) -> StorageResult<()> {
        self.run(Mode::Write, work(move |ops| Box::pin(async move { ops.insert_invite(&invite).await }))).await
    }

    async fn redeem_invite(&self, plan: JoinPlan) -> StorageResult<Joined> {
        self.run(Mode::Write, work(move |ops| Box::pin(async move { redeem_invite(ops, &plan).await }))).await
    }

    async fn caller_by_token(&self, token_hash: &str) -> StorageResult<Option<Caller>> {
        let h = token_hash.to_string();
        let row = self.run(Mode::Single, work(move |ops| Box::pin(async move { ops.token(&h).await }))).await?;
        row.map(|r| {
            Ok(Caller { device_id: r.device_id, member_id: r.member_id, team_id: r.team_id, role: role_of(&r.role)? })
        })
        .transpose()
    }

    async fn device_active(&self, device_id: &str) -> StorageResult<bool> {
        let d = device_id.to_string();
        self.run(Mode::Single, work(move |ops| Box::pin(async move { ops.device_active(&d).await }))).await
    }

    async fn members(&self, team_id: &str) -> StorageResult<Vec<MemberInfo>> {
        let t = team_id.to_string();
        let rows = self.run(Mode::Single, work(move |ops| Box::pin(async move { ops.members(&t).await }))).await?;
        rows.into_iter()
            .map(|m| Ok(MemberInfo { id: m.id, name: m.name, role: role_of(&m.role)?, active: m.active }))
            .collect()
    }

    async fn remove_member(&self, team_id: &str, member_id: &str) -> StorageResult<Vec<String>> {
        let (t, m) = (team_id.to_string(), member_id.to_string());
        self.run(Mode::Write, work(move |ops| Box::pin(async move { remove_member(ops, &t, &m).await }))).await
    }

    async fn devices(&self, team_id: &str, member_id: Option<&str>) -> StorageResult<Vec<DeviceInfo>> {
        let (t, m) = (team_id.to_string(), member_id.map(str::to_string));
        let rows = self
            .run(Mode::Single, work(move |ops| Box::pin(async move { ops.devices(&t, m.as_deref()).await })))
            .await?;
        Ok(rows
            .into_iter()
            .map(|d| DeviceInfo {
                id: d.id,
                member_id: d.member_id,
                name: d.name,
                created_at: rfc3339(d.created_at),
                revoked: d.revoked,
            })
            .collect())
    }

    async fn create_org(
        &self,
        org_id: &str,
        name: &str,
        leadership_team: (&str, &str),
        invite: NewInvite,
    ) -> StorageResult<()> {
        let (o, n, t, tn) =
            (org_id.to_string(), name.to_string(), leadership_team.0.to_string(), leadership_team.1.to_string());
        self.run(
            Mode::Write,
            work(move |ops| Box::pin(async move { create_org(ops, &o, &n, (&t, &tn), &invite).await })),
        )
        .await
    }

    async fn set_team_org(&self, team_id: &str, org_id: &str) -> StorageResult<()> {
        let (t, o) = (team_id.to_string(), org_id.to_string());
        self.run(Mode::Write, work(move |ops| Box::pin(async move { set_team_org(ops, &t, &o).await }))).await
    }

    async fn org_led_by(&self, team_id: &str) -> StorageResult<Option<OrgTeams>> {
        let t = team_id.to_string();
        self.run(Mode::Snapshot, work(move |ops| Box::pin(async move { org_led_by(ops, &t).await }))).await
    }

    async fn leader_device(&self, plan: LeaderPlan) -> StorageResult<Joined> {
        self.run(Mode::Write, work(move |ops| Box::pin(async move { leader_device(ops, &plan).await }))).await
    }

    async fn revoke_device(&self, team_id: &str, device_id: &str) -> StorageResult<Vec<String>> {
        let (t, d) = (team_id.to_string(), device_id.to_string());
        self.run(Mode::Write, work(move |ops| Box::pin(async move { revoke_device(ops, &t, &d).await }))).await
    }

    async fn push(&self, team_id: &str, author: &str, changes: Vec<NewChange>) -> StorageResult<PushOutcome> {
        // Automerge's part first, outside the storing transaction (see `gate::prepare`).
        let (changes, prepared) = {
            let (t, cache) = (team_id.to_string(), self.doc_cache().clone());
            tokio::task::spawn_blocking(move || {
                let prepared = gate::prepare(&t, &changes, &cache);
                (changes, prepared)
            })
            .await?
        };
        store_push(self, team_id, author, changes, prepared).await
    }

    async fn pull(&self, team_id: &str, scope: ReadScope, cursor: i64, limit: u32) -> StorageResult<PullPage> {
        let t = team_id.to_string();
        self.run(Mode::Snapshot, work(move |ops| Box::pin(async move { pull(ops, &t, &scope, cursor, limit).await })))
            .await
    }

    async fn snapshots(&self, team_id: &str, scope: ReadScope, ask: SnapshotAsk) -> StorageResult<SnapshotPage> {
        let t = team_id.to_string();
        let read = work(move |ops| Box::pin(async move { snapshot_page(ops, &t, &scope, &ask).await }));
        self.run(Mode::Snapshot, read).await
    }

    async fn team_seq(&self, team_id: &str) -> StorageResult<i64> {
        let t = team_id.to_string();
        let row =
            self.run(Mode::Single, work(move |ops| Box::pin(async move { ops.seq_row(&t, false).await }))).await?;
        Ok(row.ok_or_else(|| no_team(team_id))?.0)
    }

    async fn hash_at(&self, team_id: &str, seq: i64) -> StorageResult<Option<Vec<u8>>> {
        let t = team_id.to_string();
        self.run(Mode::Single, work(move |ops| Box::pin(async move { ops.hash_at(&t, seq).await }))).await
    }

    async fn compact(&self, team_id: &str) -> StorageResult<i64> {
        let t = team_id.to_string();
        let input =
            self.run(Mode::Snapshot, work(move |ops| Box::pin(async move { compaction_input(ops, &t).await }))).await?;
        let t = team_id.to_string();
        let built = tokio::task::spawn_blocking(move || build(&t, input)).await?;
        let t = team_id.to_string();
        self.run(Mode::Write, work(move |ops| Box::pin(async move { store_snapshots(ops, &t, built).await }))).await
    }

    async fn compaction_backlog(&self) -> StorageResult<Vec<(String, i64)>> {
        self.run(Mode::Single, work(|ops| Box::pin(async move { ops.compaction_backlog().await }))).await
    }

    async fn offer_blob(&self, blob: NewBlob, quota: u64) -> StorageResult<BlobRow> {
        self.run(Mode::Write, work(move |ops| Box::pin(async move { offer_blob(ops, &blob, quota).await }))).await
    }

    async fn blob(&self, team_id: &str, reader: &str, hash: &str) -> StorageResult<Option<BlobRow>> {
        let (t, r, h) = (team_id.to_string(), reader.to_string(), hash.to_string());
        self.run(Mode::Single, work(move |ops| Box::pin(async move { ops.blob(&t, &r, &h).await }))).await
    }

    async fn complete_blob(&self, team_id: &str, reader: &str, hash: &str) -> StorageResult<()> {
        let (t, r, h) = (team_id.to_string(), reader.to_string(), hash.to_string());
        let n = self
            .run(Mode::Write, work(move |ops| Box::pin(async move { ops.set_blob_complete(&t, &r, &h).await })))
            .await?;
        if n == 0 {
            return Err(no_blob(hash));
        }
        Ok(())
    }

    async fn forget_blob(&self, team_id: &str, reader: &str, hash: &str) -> StorageResult<()> {
        let (t, r, h) = (team_id.to_string(), reader.to_string(), hash.to_string());
        self.run(
            Mode::Write,
            work(move |ops| {
                Box::pin(async move {
                    // A blob completed meanwhile (by an upload on another relay) stays.
                    if ops.blob(&t, &r, &h).await?.is_some_and(|b| !b.complete) {
                        ops.delete_blob(&t, &r, &h).await?;
                    }
                    Ok(())
                })
            }),
        )
        .await
    }

    fn blob_bytes(&self) -> std::sync::Arc<dyn crate::blobs::BlobBytes> {
        Backend::blob_bytes(self)
    }

    fn listen_remote(&self, on_seq: SeqCallback, on_revoke: RevokeCallback) -> Option<tokio::task::JoinHandle<()>> {
        Backend::listen_remote(self, on_seq, on_revoke)
    }
}

/// A member stored before name keys existed: (id, team, name, active), oldest first.
pub(crate) type UnkeyedMember = (String, String, String, bool);

/// Name keys for members stored before the key column existed (the
/// migration's rule, the same on both backends). `taken` are the (team, key)
/// pairs active members hold already. Two active members whose names now
/// share a key (an older relay compared names differently) both stay: the
/// older keeps the plain key, the younger gets it followed by `\u{1}` and its
/// id (names cannot hold control characters, so no name ever has that key),
/// and a warning names them.
pub(crate) fn assign_name_keys(
    taken: impl IntoIterator<Item = (String, String)>,
    members: Vec<UnkeyedMember>,
) -> Vec<(String, String)> {
    let mut taken: std::collections::HashSet<(String, String)> = taken.into_iter().collect();
    let mut out = Vec::with_capacity(members.len());
    for (id, team, name, active) in members {
        let mut key = name_key(&name);
        if active && !taken.insert((team.clone(), key.clone())) {
            tracing::warn!(%team, member = %id, %name, "two active members share this name once compared \
                           Unicode-aware; both are kept, and a new member may not take the name");
            key = format!("{key}\u{1}{id}");
        }
        out.push((id, key));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(id: &str, team: &str, name: &str, active: bool) -> UnkeyedMember {
        (id.into(), team.into(), name.into(), active)
    }

    /// One change to week log `id` (a new activity record), as pushed.
    fn record(doc: &mut automerge::AutoCommit, id: &DocId, key: &str) -> Vec<NewChange> {
        use automerge::transaction::Transactable;
        use automerge::ReadDoc;
        let Ok(Some((_, coll))) = doc.get(automerge::ROOT, "activities") else {
            panic!("a log has its activities map")
        };
        let o = doc.put_object(&coll, key, automerge::ObjType::Map).expect("put");
        doc.put(&o, "type", "call").expect("put");
        doc.commit();
        let bytes = doc.get_last_local_change().expect("change").raw_bytes().to_vec();
        pushed(id, vec![bytes])
    }

    fn pushed(id: &DocId, raw: Vec<Vec<u8>>) -> Vec<NewChange> {
        use base64::Engine;
        let changes = raw
            .into_iter()
            .map(|b| kept_protocol::wire::PushChange {
                doc: id.to_string(),
                kind: id.kind(),
                subject: id.subject().map(str::to_string),
                data: base64::engine::general_purpose::STANDARD.encode(b),
            })
            .collect();
        let req = kept_protocol::wire::PushRequest { changes };
        crate::api::sync::validate_request(req).expect("valid").into_iter().map(|(_, c)| c).collect()
    }

    /// A push admitted ahead of its transaction into a cached document that
    /// another push then moved is admitted again inside the transaction, into
    /// the document as stored: the cache never loses the other push.
    #[tokio::test]
    async fn a_prepared_push_whose_document_moved_meanwhile_is_admitted_again() {
        let dir = tempfile::tempdir().expect("tmp");
        let storage = crate::storage::sqlite::SqliteStorage::open(&dir.path().join("r.sqlite3")).expect("open");
        let team = crate::admin::create_team(&storage, "A", "Maria", None).await.expect("team").team_id;
        let member = "0190f0a0-0000-7000-8000-000000000001";
        let id = DocId::log(member, "2026-W48".parse().expect("week"));
        let mut mine = kept_protocol::genesis::genesis(&id).expect("genesis");
        let genesis: Vec<Vec<u8>> = mine.get_changes(&[]).iter().map(|c| c.raw_bytes().to_vec()).collect();
        let mut other = mine.fork().with_actor(automerge::ActorId::from([2u8; 16].as_slice()));
        mine.set_actor(automerge::ActorId::from([1u8; 16].as_slice()));
        let mut first = pushed(&id, genesis.clone());
        first.extend(record(&mut mine, &id, "a1"));
        storage.push(&team, member, first).await.expect("first push");
        // Admitted ahead into the cached document (taking it out of the cache)...
        let late = record(&mut mine, &id, "a2");
        let prepared = gate::prepare(&team, &late, storage.doc_cache());
        assert!(prepared.contains_key(id.as_str()), "admitted ahead");
        // ... while another device's push moves the document.
        let between = record(&mut other, &id, "b1");
        storage.push(&team, member, between.clone()).await.expect("the other push");
        store_push(&storage, &team, member, late.clone(), prepared).await.expect("the prepared push");
        let (version, state) = storage.doc_cache().take_any(&team, id.as_str()).expect("cached after the push");
        assert_eq!(version as usize, genesis.len() + 3, "every change counted");
        for ch in between.iter().chain(&late) {
            assert!(state.has(&ch.hash()), "the cached document holds {}", ch.hash());
        }
    }

    #[test]
    fn a_name_key_is_the_unicode_lowercase() {
        let check = |name: &str, key: &str| assert_eq!(name_key(name), key, "{name}");
        check("Émile", "émile");
        check("ÅSA", "åsa");
        check("Straße", "straße");
        check("STRASSE", "strasse");
        check("ΣΟΦΙΑ", "σοφια");
        check("E\u{301}MILE", "e\u{301}mile");
    }

    #[test]
    fn older_members_get_keys_and_a_later_twin_a_key_of_its_own() {
        let taken = [("t".to_string(), "maria".to_string())];
        let members = vec![
            member("m1", "t", "Émile", true),
            member("m2", "t", "émile", true),
            member("m3", "t", "ÉMILE", false),
            member("m4", "u", "émile", true),
            member("m5", "t", "MARIA", true),
        ];
        let keys = assign_name_keys(taken, members);
        let want = [
            ("m1", "émile".to_string()),
            ("m2", "émile\u{1}m2".to_string()),
            ("m3", "émile".to_string()),
            ("m4", "émile".to_string()),
            ("m5", "maria\u{1}m5".to_string()),
        ];
        let got: Vec<(&str, String)> = keys.iter().map(|(id, k)| (id.as_str(), k.clone())).collect();
        assert_eq!(got, want);
    }
}
