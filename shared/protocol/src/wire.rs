//! The relay's wire protocol (JSON over HTTP, plus one WebSocket), shared by
//! kept-relay and the sync client so both sides use the same types.
//! docs/PROTOCOL.md is the contract for other implementations.
//!
//! Every call but `GET /health` and `POST /v1/join` carries
//! `Authorization: Bearer <device token>`. Errors are
//! `{"error": {"kind": "...", "message": "..."}}` with a fitting HTTP status.
//!
//! | call | body / query | answer |
//! | --- | --- | --- |
//! | `GET /health` | | [`Health`] |
//! | `POST /v1/join` | [`JoinRequest`] | [`JoinResponse`] (the token is shown once) |
//! | `POST /v1/invites` (manager) | [`InviteRequest`] | [`InviteResponse`] |
//! | `GET /v1/members` | | `Vec<`[`MemberInfo`]`>` |
//! | `DELETE /v1/members/{id}` (manager) | | 204; the member's devices are revoked |
//! | `GET /v1/devices` | | `Vec<`[`DeviceInfo`]`>` (a rep sees their own) |
//! | `DELETE /v1/devices/{id}` | | 204; a manager any of the team's, a rep their own |
//! | `POST /v1/push` | [`PushRequest`] | [`PushResponse`] |
//! | `GET /v1/pull?cursor=N&limit=M` | | [`PullResponse`] |
//! | `GET /v1/live` (WebSocket) | | text frames of [`LiveEvent`] |
//! | `POST /v1/blobs` | [`crate::blob::BlobOffer`] | [`crate::blob::BlobStatus`] |
//! | `PUT /v1/blobs/{hash}?doc=D&offset=K` | the bytes from `K` (at most 4 MiB) | [`crate::blob::BlobStatus`] |
//! | `GET /v1/blobs/{hash}?doc=D` (`Range: bytes=K-`) | | the bytes (200 or 206) |
//!
//! Sequence numbers are per team and gap-free in commit order: a change's
//! `seq` is allocated inside the transaction that stores it, so a client that
//! has seen `seq = N` has seen every change with a smaller number it may read.

use crate::ids::{DocKind, Role};
use crate::week::Week;
use serde::{Deserialize, Serialize};

/// The protocol version this code speaks (docs/PROTOCOL.md "Versions").
/// Bumped only for a change an older peer would misread; additions that old
/// peers ignore (a new optional field, a new call) keep the version.
pub const PROTOCOL_VERSION: u32 = 1;
/// The request header that carries the client's protocol version (absent: 1).
pub const VERSION_HEADER: &str = "kept-protocol";
/// The error `kind` of a refused protocol version.
pub const UNSUPPORTED_VERSION: &str = "unsupported_version";

/// Why a request whose version header says `header` cannot be served by a
/// relay of [`PROTOCOL_VERSION`], if it cannot.
pub fn check_version(header: Option<&str>) -> Result<(), String> {
    let Some(raw) = header else { return Ok(()) };
    match raw.trim().parse::<u32>() {
        Ok(v) if (1..=PROTOCOL_VERSION).contains(&v) => Ok(()),
        Ok(v) => Err(format!(
            "this relay speaks Kept protocol {PROTOCOL_VERSION} and the client speaks protocol {v}: \
             update the relay (or use a client of protocol {PROTOCOL_VERSION})"
        )),
        Err(_) => Err(format!("bad {VERSION_HEADER} header '{}': expected a whole number like 1", raw.escape_debug())),
    }
}

/// Most changes one push may carry.
pub const MAX_PUSH_CHANGES: usize = 1000;
/// Largest request body the relay accepts, in bytes.
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;
/// Largest page a pull returns, in changes.
pub const MAX_PULL_LIMIT: u32 = 5000;
/// Largest change, in bytes once inflated: a compressed change is inflated
/// only up to this size, and every change of a push together at most to
/// [`MAX_BODY_BYTES`].
pub const MAX_CHANGE_BYTES: usize = 2 * 1024 * 1024;
/// A pull page stops adding changes once their bytes reach this (a page
/// always holds at least one change).
pub const MAX_PULL_BYTES: usize = 4 * 1024 * 1024;

/// `GET /health`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Health {
    /// Always true when the relay answers.
    pub ok: bool,
    /// Relay version.
    pub version: String,
    /// The protocol version the relay speaks (absent from relays before versioning: 1).
    #[serde(default = "protocol_one")]
    pub protocol: u32,
}

fn protocol_one() -> u32 {
    1
}

/// `POST /v1/join`: redeem an invite for a device token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct JoinRequest {
    /// The invite code.
    pub invite: String,
    /// My name, when the invite does not name me (rep invites may leave it open).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A label for this device ("Anna's phone").
    #[serde(default)]
    pub device_name: String,
}

/// The answer to a join.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct JoinResponse {
    /// The device token: 256 random bits, base64url. Shown once; the relay keeps only its hash.
    pub token: String,
    /// Device id.
    pub device_id: String,
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
}

/// `GET /v1/org/teams` (a leader: a manager of an organisation's leadership team).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct OrgTeams {
    /// Organisation id.
    pub org_id: String,
    /// Organisation name.
    pub org_name: String,
    /// The organisation's teams (not its leadership team), by name.
    pub teams: Vec<OrgTeam>,
}

/// One team of an organisation.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct OrgTeam {
    /// Team id.
    pub id: String,
    /// Team name.
    pub name: String,
}

/// `POST /v1/org/teams/{team}/device`: a leader's device for one team of
/// their organisation; answered with a [`JoinResponse`] whose role is `leader`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct LeaderDeviceRequest {
    /// Device label.
    pub device_name: String,
}

/// `POST /v1/invites`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct InviteRequest {
    /// Role of whoever redeems it.
    pub role: Role,
    /// Name of the person invited (optional: they can give it at join).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A new device for an existing member (by member id) instead of a new member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_id: Option<String>,
}

/// A one-time invite.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct InviteResponse {
    /// The code to hand over (single use).
    pub code: String,
    /// Role it grants.
    pub role: Role,
    /// When it stops working (RFC 3339).
    pub expires_at: String,
}

/// A team member as the relay knows them.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct MemberInfo {
    /// Member id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// False once removed.
    pub active: bool,
}

/// A device (one token).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DeviceInfo {
    /// Device id.
    pub id: String,
    /// Its member.
    pub member_id: String,
    /// Label.
    pub name: String,
    /// When it joined.
    pub created_at: String,
    /// Revoked devices are refused.
    pub revoked: bool,
}

/// One change in a push.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PushChange {
    /// Document id (see [`crate::ids::DocId`]).
    pub doc: String,
    /// Document kind; must agree with the id.
    pub kind: DocKind,
    /// Member the document is about; must agree with the id (none for the team document).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The Automerge change, base64 (standard alphabet, padded).
    pub data: String,
}

/// `POST /v1/push`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PushRequest {
    /// At most [`MAX_PUSH_CHANGES`].
    pub changes: Vec<PushChange>,
}

/// The answer to a push: all or nothing.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PushResponse {
    /// Hashes of every change of the request, now stored (new or already known).
    pub acked: Vec<String>,
    /// The team's sequence after this push.
    pub seq: i64,
}

/// One change in a pull.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PulledChange {
    /// Its team sequence number.
    pub seq: i64,
    /// Document id.
    pub doc: String,
    /// The Automerge change, base64.
    pub data: String,
}

/// A compacted document sent to a device that starts from nothing.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Snapshot {
    /// Document id.
    pub doc: String,
    /// `Automerge::save()` bytes, base64: every change of the document up to `upto`.
    pub data: String,
    /// The team sequence the snapshot covers.
    pub upto: i64,
}

/// Which compacted documents `GET /v1/snapshots` asks for: log documents
/// (`log/<member>/<YYYY-Www>`) by their week, so a device can take the weeks
/// its first screen reads first and the older ones after.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogWeeks {
    /// Every document.
    #[default]
    All,
    /// Only the log documents of weeks before this one (`logs_before=`).
    Before(Week),
    /// Every document but the log documents of weeks before this one (`logs_from=`).
    From(Week),
}

impl LogWeeks {
    /// The week that splits the logs, if any.
    pub fn week(self) -> Option<Week> {
        match self {
            LogWeeks::All => None,
            LogWeeks::Before(w) | LogWeeks::From(w) => Some(w),
        }
    }

    /// True when the document `id` is among these.
    pub fn holds(self, id: &crate::ids::DocId) -> bool {
        let older = |w: Week| id.kind() == DocKind::Log && id.period().is_some_and(|p| p < w);
        match self {
            LogWeeks::All => true,
            LogWeeks::Before(w) => older(w),
            LogWeeks::From(w) => !older(w),
        }
    }

    /// The query parameter that asks for these (`None` for every document).
    pub fn query(self) -> Option<(&'static str, String)> {
        match self {
            LogWeeks::All => None,
            LogWeeks::Before(w) => Some(("logs_before", w.to_string())),
            LogWeeks::From(w) => Some(("logs_from", w.to_string())),
        }
    }
}

/// `GET /v1/snapshots`: one page of the compacted documents the caller may
/// read, in document id order.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SnapshotPage {
    /// The snapshots of this page (each with the sequence it covers).
    pub snapshots: Vec<Snapshot>,
    /// The team sequence of the relay's last compaction when this page was
    /// read (0: never compacted, and no snapshots).
    pub upto: i64,
    /// True when more pages wait: ask again with `after=next`.
    pub more: bool,
    /// The `after` of the next page (the last document id of this one).
    pub next: String,
    /// On the first page asked with `logs_from`: how many snapshots the
    /// caller may read among the older logs it left out (`logs_before`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub later: Option<i64>,
}

/// `GET /v1/pull`: changes after the cursor that the caller may read.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PullResponse {
    /// Compacted documents (only when the cursor is 0 and the relay has them).
    #[serde(default)]
    pub snapshots: Vec<Snapshot>,
    /// Changes in sequence order.
    pub changes: Vec<PulledChange>,
    /// The cursor for the next pull.
    pub next: i64,
    /// True when more pages are waiting.
    pub more: bool,
    /// True when the `seen` the client sent is not what the relay holds at
    /// that sequence number: the relay lost changes (say, restored from a
    /// backup). The client starts again from cursor 0 and offers its own
    /// changes again; nothing else is in the answer.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reset: bool,
}

/// A WebSocket message on `/v1/live`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct LiveEvent {
    /// The team's latest sequence.
    pub seq: i64,
}

/// The JSON error body.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// Kind and message of an error.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ErrorDetail {
    /// Machine-readable kind (`bad_request`, `unauthorized`, `forbidden`, `not_found`, `too_large`, `rate_limited`, `internal`).
    pub kind: String,
    /// What was wrong, for a person.
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_up_to_ours_pass_and_newer_or_garbage_are_refused_with_why() {
        assert!(check_version(None).is_ok(), "no header: protocol 1");
        assert!(check_version(Some("1")).is_ok());
        let newer = check_version(Some("2")).expect_err("newer");
        assert!(newer.contains("protocol 2") && newer.contains("update the relay"), "{newer}");
        assert!(check_version(Some("0")).is_err());
        let bad = check_version(Some("one\u{1b}[31m")).expect_err("garbage");
        assert!(bad.contains("whole number") && !bad.contains('\u{1b}'), "{bad}");
    }
}
