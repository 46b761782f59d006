//! The sync engine: moves this device's changes to the relay and the team's
//! changes here.
//!
//! # Protocol
//! A change log with a cursor (see [`crate::protocol`] for the wire types):
//! 1. **Push** — the outbox (every local change not yet acknowledged) goes up
//!    in batches, oldest first; an entry leaves the outbox only when the relay
//!    acknowledged its hash. The relay stores each change once (by hash), so
//!    a push repeated after a crash or a lost answer is harmless.
//! 2. **Pull** — `GET /v1/pull?cursor=N` returns the changes with a team
//!    sequence number above N that this member may read, in pages. Each page
//!    is applied to the documents and views, and the cursor advanced, in ONE
//!    local transaction: a crash between pages re-pulls at most one page,
//!    which applies as a no-op (changes are deduplicated by hash).
//! 3. **Live** — a WebSocket says when the team's sequence moved, so a
//!    watching device pulls within moments instead of polling.
//!
//! Nothing here trusts order beyond what Automerge needs: changes whose
//! dependencies have not arrived yet wait inside the document until they do.

pub mod adopt;
pub mod backoff;
pub mod blobs;
pub mod client;
pub mod later;
mod pull;
pub mod watch;

use crate::clock::{Clock, IdSource};
use crate::docs::DocId;
use crate::error::{CoreError, Result};
use crate::model::{Member, Role};
use crate::protocol::*;
use crate::service::{Identity, Kept};
use crate::store::Outgoing;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use client::{check_url, RelayClient};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::Arc;

/// Changes per push request.
const PUSH_BATCH: usize = 500;

/// What one sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncReport {
    /// Changes pushed and acknowledged.
    pub pushed: usize,
    /// Changes pulled that were new here.
    pub pulled: usize,
    /// The cursor after the sync.
    pub cursor: i64,
    /// Recordings made here that the relay now holds completely.
    #[serde(default)]
    pub recordings: usize,
}

/// What `kept status` shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncStatus {
    /// Relay address, if joined.
    pub relay: Option<String>,
    /// Local changes not yet on the relay.
    pub pending: i64,
    /// Last successful sync (RFC 3339).
    pub last_sync: Option<String>,
    /// The last sync error, if the last attempt failed.
    pub last_error: Option<String>,
    /// The pull cursor.
    pub cursor: i64,
    /// Whether the relay answered just now (None: not asked, or not joined).
    pub reachable: Option<bool>,
    /// Changes set aside so everything else keeps syncing.
    #[serde(default)]
    pub quarantined: Vec<crate::store::quarantine::Quarantined>,
    /// The relay refused this device at the last sync (revoked or removed):
    /// it will not sync again until it joins again.
    #[serde(default)]
    pub revoked: bool,
    /// Recordings made here that the relay does not hold yet.
    #[serde(default)]
    pub recordings_waiting: usize,
    /// Recordings the relay refused for good, with the reason.
    #[serde(default)]
    pub recordings_refused: Vec<String>,
}

/// Options for joining a relay.
#[derive(Debug, Clone)]
pub struct JoinOptions {
    /// Relay address.
    pub url: String,
    /// Invite code.
    pub invite: String,
    /// My name, if the invite leaves it open.
    pub name: Option<String>,
    /// Device label.
    pub device_name: String,
    /// Allow plain http to a non-local relay.
    pub allow_insecure: bool,
}

impl Kept {
    /// Joins a relay with an invite into a new home, then syncs once.
    pub fn join(home: &Path, opts: &JoinOptions, clock: Arc<dyn Clock>, ids: IdSource) -> Result<(Kept, SyncReport)> {
        let url = check_url(&opts.url, opts.allow_insecure)?;
        if home.join(crate::store::DB_FILE).exists() {
            return Err(CoreError::invalid(format!(
                "{} already holds a Kept store; join into a new --home",
                home.display()
            )));
        }
        let client = RelayClient::new(&url, None);
        let resp = client.join(&JoinRequest {
            invite: opts.invite.trim().to_string(),
            name: opts.name.clone(),
            device_name: opts.device_name.clone(),
        })?;
        Kept::joined(home, &url, resp, clock, ids, None)
    }

    /// A new home for the device the relay just issued (`resp`), synced once;
    /// with `later_before`, logs of the weeks before it are opened later
    /// ([`later`]).
    pub(crate) fn joined(
        home: &Path,
        url: &str,
        resp: kept_protocol::wire::JoinResponse,
        clock: Arc<dyn Clock>,
        ids: IdSource,
        later_before: Option<crate::week::Week>,
    ) -> Result<(Kept, SyncReport)> {
        let identity = Identity {
            team_id: resp.team_id.clone(),
            member_id: resp.member_id.clone(),
            name: resp.member_name.clone(),
            role: resp.role,
        };
        let mut kept = Kept::create_device(home, &identity, clock, ids)?;
        kept.store.write(|tx| {
            tx.set_meta("relay_url", url)?;
            tx.set_meta("token", &resp.token)?;
            tx.set_meta("device_id", &resp.device_id)?;
            if let Some(week) = later_before {
                tx.set_meta(later::LATER_BEFORE, &week.to_string())?;
            }
            tx.set_meta("cursor", "0")
        })?;
        let report = kept.sync()?;
        if resp.role == Role::Manager && kept.team()?.name != resp.team_name {
            // The first manager in writes the team's name into the team document.
            kept.set_team_settings(Some(&resp.team_name), None, None, None)?;
            kept.sync()?;
        }
        Ok((kept, report))
    }

    /// The relay client of this home (error if it never joined one).
    pub fn relay(&self) -> Result<RelayClient> {
        let url = self
            .store
            .meta("relay_url")?
            .ok_or_else(|| CoreError::invalid("this home has not joined a relay: run `kept join URL INVITE`"))?;
        Ok(RelayClient::new(&url, self.store.meta("token")?))
    }

    fn cursor(&self) -> Result<i64> {
        Ok(self.store.meta("cursor")?.and_then(|c| c.parse().ok()).unwrap_or(0))
    }

    /// Pushes the outbox, pulls everything new, refreshes the roster.
    /// Records the outcome for `status` either way.
    pub fn sync(&mut self) -> Result<SyncReport> {
        let client = self.relay()?;
        let result = self.sync_with(&client);
        let now = self.clock.now().to_rfc3339();
        match &result {
            Ok(_) => {
                self.store.set_meta("last_sync", &now)?;
                self.store.set_meta("last_error", "")?;
                self.store.set_meta("revoked", "")?;
                // Housekeeping after each sync, never inside a tap. Best effort:
                // a document that cannot be compacted is what `kept doctor` reports.
                let _ = self.store.maintain();
            }
            Err(e) => {
                self.store.set_meta("last_error", &format!("{now}: {e}"))?;
                if watch::revoked(e) {
                    self.store.set_meta("revoked", "1")?;
                }
            }
        }
        result
    }

    fn sync_with(&mut self, client: &RelayClient) -> Result<SyncReport> {
        // The pull never waits on the push: a push that fails for now
        // (network, 5xx, 429) is reported after the pull; only a revoked
        // device stops at once.
        let mut pushed = self.push_outbox(client);
        if let Err(e @ CoreError::Relay { status: 401, .. }) = pushed {
            return Err(e);
        }
        let mut pulled = self.pull_all(client)?;
        if pulled.1 {
            // The relay lost changes (restored from a backup): this device
            // offered its own changes again and starts from cursor 0.
            pushed = self.push_outbox(client);
            pulled = self.pull_all(client)?;
        }
        let (pulled, _) = pulled;
        let pushed = pushed?;
        let members: Vec<Member> = client
            .members()?
            .into_iter()
            .filter(|m| m.active)
            .map(|m| Member { id: m.id, name: m.name, role: m.role })
            .collect();
        if !members.is_empty() {
            self.set_members(&members)?;
        }
        // Recordings after the changes: the documents that name them are
        // already on the relay when their bytes arrive.
        let recordings = self.send_blobs(client)?;
        Ok(SyncReport { pushed, pulled, cursor: self.cursor()?, recordings })
    }

    /// Pushes the outbox in batches. A change the relay refuses for good (a
    /// 4xx other than 401, 408 and 429) is set aside in quarantine with the
    /// relay's reason, and the rest of the outbox goes on: the refused change
    /// is found from the hash or index the relay names, else by pushing one
    /// change at a time. Returns how many changes the relay now holds.
    fn push_outbox(&mut self, client: &RelayClient) -> Result<usize> {
        let mut total = 0;
        let mut limit = PUSH_BATCH;
        // Changes that wait for changes the relay does not hold yet (after a
        // relay restore, another device has still to offer them): they stay
        // in the outbox and are skipped for the rest of this sync.
        let mut deferred: std::collections::HashSet<i64> = std::collections::HashSet::new();
        loop {
            let batch: Vec<Outgoing> = self
                .store
                .outbox(limit + deferred.len())?
                .into_iter()
                .filter(|b| !deferred.contains(&b.seq))
                .take(limit)
                .collect();
            if batch.is_empty() {
                return Ok(total);
            }
            let mut changes = Vec::with_capacity(batch.len());
            for b in &batch {
                let id: DocId = b.doc.parse()?;
                changes.push(PushChange {
                    doc: b.doc.clone(),
                    kind: id.kind(),
                    subject: id.subject().map(str::to_string),
                    data: B64.encode(&b.bytes),
                });
            }
            let resp = match client.push(&PushRequest { changes }) {
                Ok(r) => r,
                Err(CoreError::Relay { status, message }) if refused_for_good(status) => {
                    let named = batch
                        .iter()
                        .position(|b| message.contains(b.hash.as_str()))
                        .or_else(|| named_index(&message).filter(|i| *i < batch.len()));
                    let culprit = match named {
                        Some(i) => Some(i),
                        None if batch.len() == 1 => Some(0),
                        None => None,
                    };
                    match culprit {
                        Some(i) if waits_for_others(&message) => {
                            deferred.insert(batch[i].seq);
                        }
                        Some(i) => {
                            let at = self.clock.now().to_rfc3339();
                            let reason = format!("the relay refused it ({status}): {message}");
                            let refused = &batch[i];
                            self.store.write(|tx| tx.quarantine_outbox(refused, &reason, &at))?;
                        }
                        // Find it by pushing one change at a time.
                        None => limit = 1,
                    }
                    continue;
                }
                Err(e) => return Err(e),
            };
            let acked: std::collections::HashSet<&str> = resp.acked.iter().map(String::as_str).collect();
            let done: Vec<&Outgoing> = batch.iter().filter(|b| acked.contains(b.hash.as_str())).collect();
            if done.is_empty() {
                return Err(CoreError::Network("the relay acknowledged none of the pushed changes".into()));
            }
            self.store.write(|tx| tx.acknowledge(&done))?;
            total += done.len();
            limit = PUSH_BATCH;
        }
    }

    /// Pending count, last sync, last error, and (if `probe`) whether the relay answers.
    pub fn sync_status(&self, probe: bool) -> Result<SyncStatus> {
        let relay = self.store.meta("relay_url")?;
        let reachable = match (&relay, probe) {
            (Some(_), true) => Some(self.relay()?.health().is_ok()),
            _ => None,
        };
        Ok(SyncStatus {
            relay,
            pending: self.store.pending()?,
            last_sync: self.store.meta("last_sync")?.filter(|s| !s.is_empty()),
            last_error: self.store.meta("last_error")?.filter(|s| !s.is_empty()),
            cursor: self.cursor()?,
            reachable,
            quarantined: self.store.quarantined()?,
            revoked: self.store.meta("revoked")?.is_some_and(|v| v == "1"),
            recordings_waiting: self.store.blobs_to_send()?.len(),
            recordings_refused: self.store.blobs()?.into_iter().filter_map(|b| b.problem).collect(),
        })
    }

    /// Changes set aside (see [`crate::store::quarantine`]).
    pub fn quarantined(&self) -> Result<Vec<crate::store::quarantine::Quarantined>> {
        self.store.quarantined()
    }

    /// The bytes of a set-aside change.
    pub fn quarantined_bytes(&self, id: i64) -> Result<Vec<u8>> {
        self.store.quarantined_bytes(id)
    }

    /// Retries a set-aside change: back to the outbox, or applied again.
    pub fn retry_quarantined(&mut self, id: i64) -> Result<usize> {
        self.store.write(|tx| tx.retry_quarantined(id))
    }

    /// Forgets a set-aside change for good.
    pub fn discard_quarantined(&mut self, id: i64) -> Result<()> {
        self.store.write(|tx| tx.discard_quarantined(id))
    }

    /// Creates an invite (managers).
    pub fn invite(&self, role: Role, name: Option<&str>) -> Result<InviteResponse> {
        self.require_manager("invite people")?;
        self.relay()?.invite(&InviteRequest { role, name: name.map(str::to_string), member_id: None })
    }

    /// Creates a one-time invite for another device of my own (any member):
    /// it joins as me, with its own actor id, and receives everything I may read.
    pub fn invite_my_device(&self) -> Result<InviteResponse> {
        let me = self.me();
        self.relay()?.invite(&InviteRequest { role: me.role, name: None, member_id: Some(me.id.clone()) })
    }

    /// Forgets this device's relay token (sign out). Local data stays; what
    /// was not pushed stays in the outbox until the device joins again.
    pub fn sign_out(&mut self) -> Result<()> {
        self.store.write(|tx| tx.forget_credentials())
    }

    /// True when this home holds a relay token.
    pub fn is_joined(&self) -> Result<bool> {
        Ok(self.store.meta("token")?.is_some())
    }

    /// The relay's sequence seen last by this device.
    pub fn synced_seq(&self) -> Result<i64> {
        self.cursor()
    }
}

/// A relay answer that will not change on retry: a 4xx other than 401
/// (revoked: the device stops), 408 (timeout) and 429 (try later).
fn refused_for_good(status: u16) -> bool {
    (400..500).contains(&status) && !matches!(status, 401 | 408 | 429)
}

/// A refusal that may pass later: the change depends on a change the relay
/// does not hold yet, or follows one of its actor's changes it lacks.
fn waits_for_others(message: &str) -> bool {
    message.contains("neither stored nor earlier in this push") || message.contains("next one for that actor is")
}

/// The index of the change a relay error names ("change 3 …").
fn named_index(message: &str) -> Option<usize> {
    let rest = message.strip_prefix("change ")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}
