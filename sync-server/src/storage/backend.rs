//! What a storage backend provides: plain operations on the relay's tables
//! ([`Ops`], one statement or a batch of one statement each) run inside a
//! transaction of a given [`Mode`] ([`Backend::run`]). No rule lives here or
//! in the backends: the rules are in [`super::rules`], written once.

use super::{JoinPlan, NewInvite, StorageResult, StoredChange};
use crate::gate::DocCache;
use async_trait::async_trait;
use futures_util::future::BoxFuture;
use std::collections::HashMap;
use std::sync::Arc;

/// How [`Backend::run`] wraps the work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A write transaction: on SQLite `BEGIN IMMEDIATE` on the one writer
    /// connection; on PostgreSQL a read-committed transaction whose rows are
    /// locked by [`Ops::seq_row`] (`lock`) and [`Ops::invite`].
    Write,
    /// A read-only transaction seeing one state of the database (SQLite: a
    /// read transaction on a reader connection; PostgreSQL: `REPEATABLE READ`).
    Snapshot,
    /// No transaction: one read-only statement on a reader connection.
    Single,
}

/// An invite as stored.
#[derive(Debug, Clone)]
pub struct InviteRow {
    /// Team.
    pub team_id: String,
    /// Role granted (as stored).
    pub role: String,
    /// Name the invite gives, if any.
    pub name: Option<String>,
    /// Existing member who gets a new device.
    pub member_id: Option<String>,
    /// Unix seconds.
    pub expires_at: i64,
    /// Unix seconds, once redeemed.
    pub used_at: Option<i64>,
}

/// A member as stored.
#[derive(Debug, Clone)]
pub struct MemberRow {
    /// Member id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Role (as stored).
    pub role: String,
    /// False once removed.
    pub active: bool,
}

/// A member to insert.
#[derive(Debug, Clone)]
pub struct NewMember<'a> {
    /// Member id.
    pub id: &'a str,
    /// Team.
    pub team_id: &'a str,
    /// Display name.
    pub name: &'a str,
    /// [`super::name_key`] of the name (unique among the team's active members).
    pub name_key: &'a str,
    /// Role (as stored).
    pub role: &'a str,
    /// Unix seconds.
    pub now: i64,
    /// For a leader's row: the leadership-team member it stands for.
    pub via: Option<&'a str>,
}

/// A device as stored.
#[derive(Debug, Clone)]
pub struct DeviceRow {
    /// Device id.
    pub id: String,
    /// Member.
    pub member_id: String,
    /// Label.
    pub name: String,
    /// Unix seconds.
    pub created_at: i64,
    /// True once revoked.
    pub revoked: bool,
}

/// The device and member a token belongs to.
#[derive(Debug, Clone)]
pub struct TokenRow {
    /// Device.
    pub device_id: String,
    /// Member.
    pub member_id: String,
    /// Team.
    pub team_id: String,
    /// Member's role (as stored).
    pub role: String,
}

/// A change to append to the log.
#[derive(Debug, Clone)]
pub struct LogRow<'a> {
    /// Team sequence.
    pub seq: i64,
    /// The document's row id.
    pub doc_id: i64,
    /// Subject member, or "" for the team document.
    pub reader: &'a str,
    /// The change's actor id bytes.
    pub actor: &'a [u8],
    /// The change's sequence number within its actor.
    pub actor_seq: i64,
    /// The change hash.
    pub hash: [u8; 32],
    /// Change bytes.
    pub data: &'a [u8],
}

/// Which changes a pull page asks for.
#[derive(Debug, Clone, Copy)]
pub struct PageQuery<'a> {
    /// All (None) or those this member may read.
    pub reader: Option<&'a str>,
    /// Changes after this team sequence.
    pub after: i64,
    /// At most this many.
    pub take: i64,
    /// None after the first whose preceding rows already hold this many bytes
    /// (so a page is cut by bytes without reading on).
    pub max_bytes: usize,
}

pub use kept_protocol::wire::LogWeeks;

/// Which snapshots a page asks for, in document id order.
#[derive(Debug, Clone, Copy)]
pub struct SnapshotQuery<'a> {
    /// All (None) or those this member may read.
    pub reader: Option<&'a str>,
    /// Documents whose id sorts after this one ("" from the first).
    pub after: &'a str,
    /// Which log documents, by week.
    pub logs: LogWeeks,
    /// At most this many.
    pub take: i64,
    /// None after the first whose preceding rows already hold this many bytes.
    pub max_bytes: usize,
}

/// A change as compaction reads it.
#[derive(Debug, Clone)]
pub struct Logged {
    /// Document id.
    pub doc: String,
    /// Subject member, or "" for the team document.
    pub reader: String,
    /// Change bytes.
    pub data: Vec<u8>,
}

/// A blob as stored (its bytes are in a [`crate::blobs::BlobBytes`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobRow {
    /// SHA-256, 64 lowercase hex digits.
    pub hash: String,
    /// Size in bytes.
    pub size: i64,
    /// Media type.
    pub mime: String,
    /// The document it was first offered for.
    pub doc: String,
    /// The member who offered it.
    pub created_by: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Every byte arrived and matched the hash.
    pub complete: bool,
}

/// The outcome of inserting a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inserted {
    /// Stored.
    Done,
    /// An active member of the team holds the same name key (the unique index said so).
    NameTaken,
}

/// The plain operations on the relay's tables. Each one runs its statement(s)
/// and maps rows; none decides anything.
#[async_trait]
pub trait Ops: Send {
    /// Inserts a team and its sequence counter (at 0).
    async fn insert_team(&mut self, team_id: &str, name: &str, now: i64) -> StorageResult<()>;
    /// The team's name.
    async fn team_name(&mut self, team_id: &str) -> StorageResult<Option<String>>;
    /// Inserts an invite.
    async fn insert_invite(&mut self, invite: &NewInvite) -> StorageResult<()>;
    /// The invite with this code hash, locked until the transaction ends.
    async fn invite(&mut self, code_hash: &str) -> StorageResult<Option<InviteRow>>;
    /// Marks an invite redeemed.
    async fn mark_invite_used(&mut self, code_hash: &str, now: i64, device_id: &str) -> StorageResult<()>;
    /// One active member of the team.
    async fn active_member(&mut self, team_id: &str, member_id: &str) -> StorageResult<Option<MemberRow>>;
    /// True when an active member of the team has this name key.
    async fn name_key_taken(&mut self, team_id: &str, name_key: &str) -> StorageResult<bool>;
    /// Inserts an active member.
    async fn insert_member(&mut self, member: &NewMember<'_>) -> StorageResult<Inserted>;
    /// The team's members (removed ones too), oldest first.
    async fn members(&mut self, team_id: &str) -> StorageResult<Vec<MemberRow>>;
    /// Marks a member of the team removed; returns how many rows changed.
    async fn deactivate_member(&mut self, team_id: &str, member_id: &str) -> StorageResult<u64>;
    /// How many active managers the team has.
    async fn active_managers(&mut self, team_id: &str) -> StorageResult<i64>;
    /// Inserts the device a join plan describes, for a member of the team.
    async fn insert_device(&mut self, team_id: &str, member_id: &str, plan: &JoinPlan) -> StorageResult<()>;
    /// The active device and member a token hash belongs to.
    async fn token(&mut self, token_hash: &str) -> StorageResult<Option<TokenRow>>;
    /// True while the device is not revoked and its member active.
    async fn device_active(&mut self, device_id: &str) -> StorageResult<bool>;
    /// The team's devices, or one member's, oldest first.
    async fn devices(&mut self, team_id: &str, member_id: Option<&str>) -> StorageResult<Vec<DeviceRow>>;
    /// Revokes a member's devices not yet revoked and the devices derived
    /// from them; returns their ids.
    async fn revoke_member_devices(&mut self, member_id: &str) -> StorageResult<Vec<String>>;
    /// Revokes one device of the team and the devices derived from it;
    /// returns the ids revoked (empty: no such device in the team).
    async fn revoke_device(&mut self, team_id: &str, device_id: &str) -> StorageResult<Vec<String>>;
    /// Inserts an organisation.
    async fn insert_org(&mut self, org_id: &str, name: &str, leadership_team: &str, now: i64) -> StorageResult<()>;
    /// Sets a team's organisation; returns how many rows changed.
    async fn set_team_org(&mut self, team_id: &str, org_id: &str) -> StorageResult<u64>;
    /// True when the organisation exists.
    async fn org_exists(&mut self, org_id: &str) -> StorageResult<bool>;
    /// The organisation (id, name) whose leadership team this is.
    async fn org_led_by(&mut self, team_id: &str) -> StorageResult<Option<(String, String)>>;
    /// The organisation's teams (id, name), by name.
    async fn org_teams(&mut self, org_id: &str) -> StorageResult<Vec<(String, String)>>;
    /// The team's organisation.
    async fn team_org(&mut self, team_id: &str) -> StorageResult<Option<String>>;
    /// The active member of the team standing for member `via` of a leadership team.
    async fn member_via(&mut self, team_id: &str, via: &str) -> StorageResult<Option<String>>;
    /// Tells other relay instances, on commit, that a device was revoked (nothing on a store that is not shared).
    async fn notify_revoked(&mut self, device_id: &str) -> StorageResult<()>;
    /// The team's (sequence, compacted) counter, locked until the transaction
    /// ends when `lock` (a write transaction on SQLite is locked already).
    async fn seq_row(&mut self, team_id: &str, lock: bool) -> StorageResult<Option<(i64, i64)>>;
    /// The member each of these actors is bound to (actors bound to nobody are absent).
    async fn actor_owners(&mut self, team_id: &str, actors: &[Vec<u8>]) -> StorageResult<HashMap<Vec<u8>, String>>;
    /// Binds actors to a member.
    async fn bind_actors(&mut self, team_id: &str, actors: &[Vec<u8>], member_id: &str) -> StorageResult<()>;
    /// A document's (row id, version).
    async fn doc_row(&mut self, team_id: &str, doc: &str) -> StorageResult<Option<(i64, i64)>>;
    /// Registers a document's metadata (version 0); returns its row id.
    async fn insert_doc(&mut self, team_id: &str, doc: &str, kind: &str, subject: Option<&str>) -> StorageResult<i64>;
    /// Adds to a document's version.
    async fn bump_doc_version(&mut self, doc_id: i64, by: i64) -> StorageResult<()>;
    /// A document's snapshot.
    async fn snapshot(&mut self, team_id: &str, doc: &str) -> StorageResult<Option<Vec<u8>>>;
    /// A document's change bytes after team sequence `after`, in order.
    async fn doc_changes(&mut self, doc_id: i64, after: i64) -> StorageResult<Vec<Vec<u8>>>;
    /// Adds `n` to the team's sequence; returns the new value (None: no such team).
    async fn bump_seq(&mut self, team_id: &str, n: i64) -> StorageResult<Option<i64>>;
    /// Appends changes to the team's log.
    async fn insert_changes(&mut self, team_id: &str, rows: &[LogRow<'_>]) -> StorageResult<()>;
    /// Tells other relay instances, on commit, that the team's sequence moved
    /// with new changes for `audience` (nothing on a store that is not shared).
    async fn notify_seq(&mut self, team_id: &str, seq: i64, audience: &crate::live::Audience) -> StorageResult<()>;
    /// The hash of the change at a team sequence.
    async fn hash_at(&mut self, team_id: &str, seq: i64) -> StorageResult<Option<Vec<u8>>>;
    /// The team's snapshots (doc, bytes) by document id, as `page` asks.
    async fn snapshots(&mut self, team_id: &str, page: SnapshotQuery<'_>) -> StorageResult<Vec<(String, Vec<u8>)>>;
    /// How many snapshots `reader` (None: all) may read among `logs`.
    async fn count_snapshots(&mut self, team_id: &str, reader: Option<&str>, logs: LogWeeks) -> StorageResult<i64>;
    /// Changes in sequence order, as `page` asks.
    async fn changes_after(&mut self, team_id: &str, page: PageQuery<'_>) -> StorageResult<Vec<StoredChange>>;
    /// The changes in `(after, upto]`, in sequence order.
    async fn changes_between(&mut self, team_id: &str, after: i64, upto: i64) -> StorageResult<Vec<Logged>>;
    /// Stores (or replaces) a document's snapshot.
    async fn put_snapshot(&mut self, team_id: &str, doc: &str, reader: &str, data: &[u8]) -> StorageResult<()>;
    /// Records why a document could not be compacted (at Unix seconds `at`).
    async fn record_compaction_failure(&mut self, team_id: &str, doc: &str, why: &str, at: i64) -> StorageResult<()>;
    /// Forgets a document's compaction failure.
    async fn clear_compaction_failure(&mut self, team_id: &str, doc: &str) -> StorageResult<()>;
    /// Sets the sequence the team's snapshots cover.
    async fn set_compacted(&mut self, team_id: &str, upto: i64) -> StorageResult<()>;
    /// Every team with its sequence minus the compacted one.
    async fn compaction_backlog(&mut self) -> StorageResult<Vec<(String, i64)>>;
    /// A blob of the team under `reader`.
    async fn blob(&mut self, team_id: &str, reader: &str, hash: &str) -> StorageResult<Option<BlobRow>>;
    /// The sum of the sizes of the team's blobs (complete or not).
    async fn blob_bytes_used(&mut self, team_id: &str) -> StorageResult<i64>;
    /// Inserts a blob of the team under `reader`.
    async fn insert_blob(&mut self, team_id: &str, reader: &str, blob: &BlobRow) -> StorageResult<()>;
    /// Marks a blob complete; returns how many rows changed.
    async fn set_blob_complete(&mut self, team_id: &str, reader: &str, hash: &str) -> StorageResult<u64>;
    /// Deletes a blob's row; returns how many rows changed.
    async fn delete_blob(&mut self, team_id: &str, reader: &str, hash: &str) -> StorageResult<u64>;
}

/// Work on a backend's tables inside one transaction (see [`Backend::run`]).
pub type Work<T> = Box<dyn for<'t> FnOnce(&'t mut dyn Ops) -> BoxFuture<'t, StorageResult<T>> + Send>;

/// [`Work`] from a closure (which gets its signature from here).
pub fn work<T, F>(f: F) -> Work<T>
where
    F: for<'t> FnOnce(&'t mut dyn Ops) -> BoxFuture<'t, StorageResult<T>> + Send + 'static,
{
    Box::new(f)
}

/// A storage backend: runs work over its [`Ops`] in a transaction. Every
/// backend is a [`super::Storage`] through the rules in [`super::rules`].
#[async_trait]
pub trait Backend: Send + Sync + 'static {
    /// Runs `work` in a transaction of `mode`: committed when it returns Ok,
    /// rolled back when it returns Err.
    async fn run<T: Send + 'static>(&self, mode: Mode, work: Work<T>) -> StorageResult<T>;
    /// Documents under validation, shared by this backend's pushes.
    fn doc_cache(&self) -> &Arc<DocCache>;
    /// See [`super::Storage::blob_bytes`].
    fn blob_bytes(&self) -> Arc<dyn crate::blobs::BlobBytes>;
    /// See [`super::Storage::listen_remote`].
    fn listen_remote(
        &self,
        on_seq: super::SeqCallback,
        on_revoke: super::RevokeCallback,
    ) -> Option<tokio::task::JoinHandle<()>> {
        let _ = (on_seq, on_revoke);
        None
    }
}
