//! The storage trait the handlers use. Its rules are written once
//! ([`rules`]) over a small trait of plain operations ([`backend::Ops`]) that
//! two backends implement by running statements: SQLite (one relay, embedded)
//! and PostgreSQL (one or several relays on one database).

pub mod backend;
mod error;
pub mod postgres;
mod postgres_ops;
pub(crate) mod rules;
pub mod sqlite;
pub(crate) mod sqlite_ops;

use async_trait::async_trait;
use kept_protocol::ids::DocKind;
pub use kept_protocol::wire::LogWeeks;
use kept_protocol::wire::{DeviceInfo, MemberInfo, OrgTeams};
use kept_protocol::Role;

use crate::live::Audience;
pub use backend::BlobRow;
pub use error::{chain, StorageError, StorageResult};
pub use postgres::PostgresStorage;
pub use sqlite::SqliteStorage;
use std::sync::Arc;

/// Called with (team id, sequence, who the new changes wake) when another
/// relay instance moved a team's sequence.
pub type SeqCallback = Arc<dyn Fn(&str, i64, &Audience) + Send + Sync>;
/// Called with device ids revoked through another relay instance.
pub type RevokeCallback = Arc<dyn Fn(Vec<String>) + Send + Sync>;

/// True when `db` names a PostgreSQL database (`postgres://` or `postgresql://`) rather than a SQLite file.
pub fn is_postgres_url(db: &str) -> bool {
    let lower = db.trim_start().to_ascii_lowercase();
    lower.starts_with("postgres://") || lower.starts_with("postgresql://")
}

/// Opens the store `db` names (a PostgreSQL URL, else a SQLite file path), applying migrations.
pub async fn open_storage(db: &str) -> StorageResult<Arc<dyn Storage>> {
    if is_postgres_url(db) {
        Ok(Arc::new(PostgresStorage::connect(db.trim()).await?))
    } else {
        Ok(Arc::new(SqliteStorage::open(std::path::Path::new(db))?))
    }
}

/// The key under which a member's name must be unique among the team's
/// active members, the same on every backend: the name's Unicode lowercase
/// ([`str::to_lowercase`]). So "Émile" and "émile" are one name, and so are
/// "ÅSA" and "åsa"; "Straße" and "STRASSE" stay two names (lowercase
/// "straße" and "strasse": no case folding of ß to ss, as a reader sees two
/// spellings). Names are compared as sent: a decomposed "E\u{301}mile" is not
/// the composed "Émile" (clients send what the keyboard produced, NFC in practice).
pub fn name_key(name: &str) -> String {
    name.to_lowercase()
}

/// Who a valid device token belongs to: a device not revoked, of a member
/// active when the token was looked up (once per request).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// Device id.
    pub device_id: String,
    /// Member id.
    pub member_id: String,
    /// Team id.
    pub team_id: String,
    /// Member's role.
    pub role: Role,
}

/// An invite to store (the code itself is never stored, only its hash).
#[derive(Debug, Clone)]
pub struct NewInvite {
    /// sha256 hex of the code.
    pub code_hash: String,
    /// Team.
    pub team_id: String,
    /// Role granted.
    pub role: Role,
    /// Name of the new member, if the invite names them.
    pub name: Option<String>,
    /// Existing member who gets a new device.
    pub member_id: Option<String>,
    /// Unix seconds after which it is refused.
    pub expires_at: i64,
    /// Unix seconds.
    pub created_at: i64,
}

/// What a join needs besides the invite.
#[derive(Debug, Clone)]
pub struct JoinPlan {
    /// sha256 hex of the invite code.
    pub code_hash: String,
    /// Id for the new device.
    pub device_id: String,
    /// sha256 hex of the new token.
    pub token_hash: String,
    /// Device label.
    pub device_name: String,
    /// Id for the member, if one is created.
    pub new_member_id: String,
    /// The name the joiner gave.
    pub name: Option<String>,
    /// Unix seconds.
    pub now: i64,
    /// The leadership-team device a leader's team device derives from (revoked with it).
    pub parent: Option<String>,
}

/// A leader's request for a device in one team of their organisation.
#[derive(Debug, Clone)]
pub struct LeaderPlan {
    /// The leader's device in the organisation's leadership team (the caller).
    pub leader: Caller,
    /// The team asked for.
    pub team_id: String,
    /// The new device (its `parent` is the leader's device) and the member
    /// id to use if the leader is not yet in that team.
    pub join: JoinPlan,
}

/// The outcome of a join.
#[derive(Debug, Clone)]
pub struct Joined {
    /// Team id.
    pub team_id: String,
    /// Team name.
    pub team_name: String,
    /// Member id.
    pub member_id: String,
    /// Member name.
    pub member_name: String,
    /// Role.
    pub role: Role,
    /// Device id.
    pub device_id: String,
}

/// A validated change to store.
#[derive(Debug, Clone)]
pub struct NewChange {
    /// Document id.
    pub doc: String,
    /// Document kind (registered at first push).
    pub kind: DocKind,
    /// Subject member (none for the team document).
    pub subject: Option<String>,
    /// True for a document's canonical genesis or root-map change (checked
    /// byte for byte): anyone may push it and its actor is bound to nobody.
    pub canonical: bool,
    /// The parsed change: its hash, actor, sequence number and bytes are read from it.
    pub change: automerge::Change,
}

impl NewChange {
    /// The change's hash (its 32 bytes are what the log stores).
    pub fn hash(&self) -> automerge::ChangeHash {
        self.change.hash()
    }

    /// The change's actor id bytes.
    pub fn actor(&self) -> &[u8] {
        self.change.actor_id().to_bytes()
    }

    /// The change bytes (uncompressed), as pushed.
    pub fn data(&self) -> &[u8] {
        self.change.raw_bytes()
    }
}

/// A stored change.
#[derive(Debug, Clone)]
pub struct StoredChange {
    /// Team sequence.
    pub seq: i64,
    /// Document id.
    pub doc: String,
    /// Change bytes.
    pub data: Vec<u8>,
}

/// A compacted document.
#[derive(Debug, Clone)]
pub struct StoredSnapshot {
    /// Document id.
    pub doc: String,
    /// `save()` bytes.
    pub data: Vec<u8>,
    /// Team sequence it covers.
    pub upto: i64,
}

/// A blob offered (`POST /v1/blobs`), checked and access-checked by the handler.
#[derive(Debug, Clone)]
pub struct NewBlob {
    /// Team.
    pub team_id: String,
    /// The reader of its document: the subject, or "" for the team document.
    pub reader: String,
    /// SHA-256, 64 lowercase hex digits.
    pub hash: String,
    /// Size in bytes.
    pub size: u64,
    /// Media type.
    pub mime: String,
    /// The document it is offered for.
    pub doc: String,
    /// The member offering it.
    pub created_by: String,
    /// Unix seconds.
    pub now: i64,
}

/// What a push stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushOutcome {
    /// The team's sequence after the push.
    pub seq: i64,
    /// Whose live sockets the new changes wake; `None` when nothing new was stored.
    pub audience: Option<Audience>,
}

/// Which documents a pull may return.
#[derive(Debug, Clone)]
pub enum ReadScope {
    /// Every document of the team (managers).
    All,
    /// The team document and documents about this member (reps).
    Member(String),
}

/// One page of a pull.
#[derive(Debug, Clone, Default)]
pub struct PullPage {
    /// Compacted documents (cursor 0 only).
    pub snapshots: Vec<StoredSnapshot>,
    /// Changes in sequence order.
    pub changes: Vec<StoredChange>,
    /// Next cursor.
    pub next: i64,
    /// More pages waiting.
    pub more: bool,
}

/// One page of `GET /v1/snapshots`.
#[derive(Debug, Clone, Default)]
pub struct SnapshotPage {
    /// Snapshots in document id order.
    pub snapshots: Vec<StoredSnapshot>,
    /// The team sequence of the last compaction (0: never compacted).
    pub upto: i64,
    /// More pages waiting.
    pub more: bool,
    /// The `after` of the next page.
    pub next: String,
    /// On the first page asked with [`LogWeeks::From`]: how many snapshots
    /// in scope it leaves to [`LogWeeks::Before`].
    pub later: Option<i64>,
}

/// What a page of `GET /v1/snapshots` asks for.
#[derive(Debug, Clone)]
pub struct SnapshotAsk {
    /// Documents whose id sorts after this one ("" from the first).
    pub after: String,
    /// Which log documents, by week.
    pub logs: LogWeeks,
    /// At most this many snapshots (and [`kept_protocol::wire::MAX_PULL_BYTES`]).
    pub limit: u32,
}

/// Everything the relay stores. Every [`backend::Backend`] implements it
/// through the rules in [`rules`] (a push's sequence numbers are allocated
/// inside the transaction that stores its changes).
#[async_trait]
pub trait Storage: Send + Sync + 'static {
    /// Creates a team (with its sequence counter at 0) and stores its first invite.
    async fn create_team(&self, team_id: &str, name: &str, now: i64, invite: NewInvite) -> StorageResult<()>;
    /// Stores an invite.
    async fn insert_invite(&self, invite: NewInvite) -> StorageResult<()>;
    /// Redeems an invite once: creates the member (or finds it) and the device, in one transaction.
    async fn redeem_invite(&self, plan: JoinPlan) -> StorageResult<Joined>;
    /// The active device and member a token hash belongs to.
    async fn caller_by_token(&self, token_hash: &str) -> StorageResult<Option<Caller>>;
    /// True while the device is not revoked and its member active.
    async fn device_active(&self, device_id: &str) -> StorageResult<bool>;
    /// The team's members (removed ones too).
    async fn members(&self, team_id: &str) -> StorageResult<Vec<MemberInfo>>;
    /// Marks a member removed and revokes their devices; returns the revoked device ids.
    async fn remove_member(&self, team_id: &str, member_id: &str) -> StorageResult<Vec<String>>;
    /// The team's devices, or one member's.
    async fn devices(&self, team_id: &str, member_id: Option<&str>) -> StorageResult<Vec<DeviceInfo>>;
    /// Revokes one device of the team and the devices derived from it (a
    /// leader's team devices); returns the ids revoked.
    async fn revoke_device(&self, team_id: &str, device_id: &str) -> StorageResult<Vec<String>>;
    /// Admits and stores the new changes pushed by a device of member
    /// `author` (idempotent by document and hash): every actor bound to
    /// `author` or canonical, every change causally valid ([`crate::gate`]);
    /// sequence numbers allocated in the same transaction. All or nothing;
    /// returns the team sequence after and who the new changes wake.
    async fn push(&self, team_id: &str, author: &str, changes: Vec<NewChange>) -> StorageResult<PushOutcome>;
    /// Changes after `cursor` in `scope`, at most `limit`, from one snapshot of the database.
    async fn pull(&self, team_id: &str, scope: ReadScope, cursor: i64, limit: u32) -> StorageResult<PullPage>;
    /// One page of the compacted documents in `scope`, as `ask` says, from
    /// one snapshot of the database.
    async fn snapshots(&self, team_id: &str, scope: ReadScope, ask: SnapshotAsk) -> StorageResult<SnapshotPage>;
    /// Creates an organisation with its leadership team (whose first
    /// manager, the leader, redeems `invite`).
    async fn create_org(
        &self,
        org_id: &str,
        name: &str,
        leadership_team: (&str, &str),
        invite: NewInvite,
    ) -> StorageResult<()>;
    /// Puts a team into an organisation (or moves it).
    async fn set_team_org(&self, team_id: &str, org_id: &str) -> StorageResult<()>;
    /// The organisation `team_id` leads (it is its leadership team), with its teams.
    async fn org_led_by(&self, team_id: &str) -> StorageResult<Option<OrgTeams>>;
    /// A device for a leader in one team of their organisation: the leader
    /// becomes a member of that team with the role `leader` (once) and gets a
    /// device derived from `plan.leader`'s. Refused unless the caller is an
    /// active manager of the leadership team of the team's organisation.
    async fn leader_device(&self, plan: LeaderPlan) -> StorageResult<Joined>;
    /// The team's current sequence.
    async fn team_seq(&self, team_id: &str) -> StorageResult<i64>;
    /// The hash of the change stored at sequence `seq` of the team, if any.
    async fn hash_at(&self, team_id: &str, seq: i64) -> StorageResult<Option<Vec<u8>>>;
    /// Compacts every document of the team changed since the last compaction;
    /// returns the sequence the snapshots now cover.
    async fn compact(&self, team_id: &str) -> StorageResult<i64>;
    /// Every team id with the number of changes not covered by its snapshots.
    async fn compaction_backlog(&self) -> StorageResult<Vec<(String, i64)>>;
    /// Registers a blob, or finds it when the reader has it already (the
    /// same hash with another size: [`StorageError::Conflict`]). A new blob
    /// must fit in the team's `quota` with every blob it has
    /// ([`StorageError::QuotaExceeded`]).
    async fn offer_blob(&self, blob: NewBlob, quota: u64) -> StorageResult<BlobRow>;
    /// A blob of the team under `reader`.
    async fn blob(&self, team_id: &str, reader: &str, hash: &str) -> StorageResult<Option<BlobRow>>;
    /// Marks a blob complete (its bytes arrived and matched its hash).
    async fn complete_blob(&self, team_id: &str, reader: &str, hash: &str) -> StorageResult<()>;
    /// Forgets a blob that is not complete (its bytes did not match its hash).
    async fn forget_blob(&self, team_id: &str, reader: &str, hash: &str) -> StorageResult<()>;
    /// Where this store keeps blob bytes unless the operator names another
    /// place: SQLite in `<database file>.blobs/` ([`crate::blobs::DirBlobs`]),
    /// PostgreSQL in its `blob_chunks` table ([`crate::blobs::PgBlobs`]).
    fn blob_bytes(&self) -> Arc<dyn crate::blobs::BlobBytes>;
    /// Starts reporting sequence moves and revocations committed through other relay instances
    /// sharing this store (a wake-up only: clients catch up by cursor). `None`
    /// when the store cannot be shared (SQLite).
    fn listen_remote(&self, on_seq: SeqCallback, on_revoke: RevokeCallback) -> Option<tokio::task::JoinHandle<()>> {
        let _ = (on_seq, on_revoke);
        None
    }
}
