//! The live channel: `GET /v1/live`, a WebSocket that sends `{"seq":N}` on
//! connect (the team's head) and whenever a push stores a change its device
//! may read; revoked devices are disconnected at once. Per team, one `watch`
//! of the latest sequence for the sockets whose role reads the whole team
//! (managers, leaders) and one per rep with a socket open, so a rep's push
//! wakes its own other devices and the team's managers, not the other reps.

use crate::access::read_scope;
use crate::auth::Caller;
use crate::error::AppError;
use crate::storage::ReadScope;
use crate::AppState;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use kept_protocol::access::{readers, Readers};
use kept_protocol::ids::DocId;
use kept_protocol::wire::LiveEvent;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use tokio::sync::{broadcast, watch};

/// WebSocket close code sent to a revoked device (application range).
pub const CLOSE_REVOKED: u16 = 4001;
/// How often an open live socket is pinged: the relay notices a client that
/// vanished without closing (a half-open connection), and a client can treat
/// a silence of a few intervals as a dead connection.
pub const PING_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

/// Who a push wakes besides the sockets whose role reads the whole team
/// (those wake on every push): derived from the pushed documents' readers
/// ([`kept_protocol::access::readers`], the rule `may_read` is written over).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// Every socket of the team (the team document changed, or too many subjects to list).
    Everyone,
    /// The sockets of these members (and of those whose role reads the team).
    Subjects(BTreeSet<String>),
}

impl Audience {
    /// More subjects than this in one push wake everyone instead (a
    /// manager's large push): the list stays small in memory and in a
    /// PostgreSQL notification.
    pub const MAX_SUBJECTS: usize = 64;

    /// The audience of a push that stored new changes in these documents.
    pub fn of<'a>(docs: impl IntoIterator<Item = &'a DocId>) -> Audience {
        let mut subjects = BTreeSet::new();
        for id in docs {
            match readers(id) {
                Readers::Everyone => return Audience::Everyone,
                Readers::Subject(member) => {
                    subjects.insert(member.to_string());
                }
                Readers::TeamReaders => {}
            }
        }
        Audience::subjects(subjects)
    }

    /// These subjects, or [`Audience::Everyone`] past [`Audience::MAX_SUBJECTS`].
    pub fn subjects(subjects: BTreeSet<String>) -> Audience {
        if subjects.len() > Audience::MAX_SUBJECTS {
            Audience::Everyone
        } else {
            Audience::Subjects(subjects)
        }
    }

    /// Does a push to this audience wake a socket of a rep `member`?
    pub fn wakes(&self, member: &str) -> bool {
        match self {
            Audience::Everyone => true,
            Audience::Subjects(s) => s.contains(member),
        }
    }
}

/// One team's channels: sockets whose role reads the team share `team`; a
/// rep's sockets share their member's channel. Each holds the latest
/// sequence its sockets should hear about; it only moves forward.
#[derive(Debug)]
struct TeamHub {
    team: watch::Sender<i64>,
    members: HashMap<String, watch::Sender<i64>>,
}

type Teams = Arc<Mutex<HashMap<String, TeamHub>>>;

/// Moves a channel to `seq` if that is forward (coalesces: a slow socket reads only the latest).
fn raise(tx: &watch::Sender<i64>, seq: i64) {
    tx.send_if_modified(|v| {
        let moved = seq > *v;
        if moved {
            *v = seq;
        }
        moved
    });
}

/// A live socket's subscription; dropping it drops its channel when no other
/// socket uses it, and the team's state with its last channel.
#[derive(Debug)]
pub struct Subscription {
    rx: watch::Receiver<i64>,
    teams: Teams,
    team: String,
    member: Option<String>,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut teams = self.teams.lock().unwrap_or_else(|p| p.into_inner());
        let Some(hub) = teams.get_mut(&self.team) else { return };
        // `self.rx` is still alive here: a count of 1 is this subscription alone.
        let mine = match &self.member {
            Some(m) => {
                if hub.members.get(m).is_some_and(|tx| tx.receiver_count() <= 1) {
                    hub.members.remove(m);
                }
                0
            }
            None => 1,
        };
        if hub.members.is_empty() && hub.team.receiver_count() <= mine {
            teams.remove(&self.team);
        }
    }
}

/// Live subscribers of every team.
#[derive(Debug)]
pub struct Live {
    teams: Teams,
    per_device: Arc<Mutex<HashMap<String, usize>>>,
    revoked: broadcast::Sender<Arc<Vec<String>>>,
    closing: watch::Sender<bool>,
}

impl Default for Live {
    fn default() -> Self {
        Live {
            teams: Arc::default(),
            per_device: Arc::default(),
            revoked: broadcast::channel(64).0,
            closing: watch::channel(false).0,
        }
    }
}

impl Live {
    /// Subscribes a socket to a team: `member` is the rep whose documents it
    /// may read, `None` for a role that reads the whole team.
    pub fn subscribe(&self, team_id: &str, member: Option<&str>) -> Subscription {
        let mut teams = self.teams.lock().unwrap_or_else(|p| p.into_inner());
        let hub = teams
            .entry(team_id.to_string())
            .or_insert_with(|| TeamHub { team: watch::channel(0).0, members: HashMap::new() });
        let rx = match member {
            Some(m) => hub.members.entry(m.to_string()).or_insert_with(|| watch::channel(0).0).subscribe(),
            None => hub.team.subscribe(),
        };
        Subscription { rx, teams: self.teams.clone(), team: team_id.to_string(), member: member.map(str::to_string) }
    }

    /// Announces that a push took the team's sequence to `seq`, storing new
    /// changes read by `audience`: wakes the team readers' sockets and the
    /// audience's (never moves a channel back; coalesces).
    pub fn publish(&self, team_id: &str, seq: i64, audience: &Audience) {
        let teams = self.teams.lock().unwrap_or_else(|p| p.into_inner());
        let Some(hub) = teams.get(team_id) else { return };
        raise(&hub.team, seq);
        match audience {
            Audience::Everyone => hub.members.values().for_each(|tx| raise(tx, seq)),
            Audience::Subjects(s) if s.len() <= hub.members.len() => {
                s.iter().filter_map(|m| hub.members.get(m)).for_each(|tx| raise(tx, seq))
            }
            Audience::Subjects(s) => {
                hub.members.iter().filter(|(m, _)| s.contains(*m)).for_each(|(_, tx)| raise(tx, seq))
            }
        }
    }

    /// Teams and member channels held (for tests: both drop with their last socket).
    pub fn held(&self) -> (usize, usize) {
        let teams = self.teams.lock().unwrap_or_else(|p| p.into_inner());
        (teams.len(), teams.values().map(|h| h.members.len()).sum())
    }

    /// Closes every live channel (the relay is shutting down).
    pub fn close_all(&self) {
        self.closing.send_replace(true);
    }

    /// Closes the live channels of these devices.
    pub fn revoke(&self, device_ids: Vec<String>) {
        if !device_ids.is_empty() {
            let _ = self.revoked.send(Arc::new(device_ids));
        }
    }
}

/// `GET /v1/live`.
pub async fn handler(caller: Caller, State(st): State<AppState>, ws: WebSocketUpgrade) -> Result<Response, AppError> {
    // Subscribe first, then read the head, so no change can slip between the two.
    let revocations = st.live.revoked.subscribe();
    let member = match read_scope(&caller) {
        ReadScope::All => None,
        ReadScope::Member(m) => Some(m),
    };
    let sub = st.live.subscribe(&caller.team_id, member.as_deref());
    let head = st.storage.team_seq(&caller.team_id).await?;
    if !st.storage.device_active(&caller.device_id).await? {
        return Err(AppError::Unauthorized("this device was revoked".into()));
    }
    let slot =
        DeviceSlot::take(&st.live.per_device, &caller.device_id, st.limits.live_per_device).ok_or_else(|| {
            AppError::RateLimited(format!(
                "this device already holds {} live connections, the most one device may open; close one first",
                st.limits.live_per_device
            ))
        })?;
    // The live channel only ever carries tiny `{"seq":N}` frames: small buffers
    // keep 1,000 idle sockets cheap (tungstenite's default is 128 KiB each).
    let ws =
        ws.read_buffer_size(4 * 1024).write_buffer_size(0).max_write_buffer_size(64 * 1024).max_message_size(64 * 1024);
    Ok(ws.on_upgrade(move |socket| async move {
        run(socket, st, caller, sub, head, revocations).await;
        drop(slot);
    }))
}

/// One of a device's live sockets; released on drop.
struct DeviceSlot {
    map: Arc<Mutex<HashMap<String, usize>>>,
    device: String,
}

impl DeviceSlot {
    fn take(map: &Arc<Mutex<HashMap<String, usize>>>, device: &str, max: usize) -> Option<DeviceSlot> {
        let mut g = map.lock().unwrap_or_else(|p| p.into_inner());
        let n = g.entry(device.to_string()).or_default();
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(DeviceSlot { map: map.clone(), device: device.to_string() })
    }
}

impl Drop for DeviceSlot {
    fn drop(&mut self) {
        let mut g = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = g.get_mut(&self.device) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                g.remove(&self.device);
            }
        }
    }
}

fn event(seq: i64) -> Message {
    let text = serde_json::to_string(&LiveEvent { seq }).unwrap_or_else(|_| format!("{{\"seq\":{seq}}}"));
    Message::Text(text.into())
}

async fn run(
    mut socket: WebSocket,
    st: AppState,
    caller: Caller,
    mut sub: Subscription,
    head: i64,
    mut revocations: broadcast::Receiver<Arc<Vec<String>>>,
) {
    let mut closing = st.live.closing.subscribe();
    // The head first; afterwards only what moves past what was sent (a
    // channel may hold less than the head read on connect).
    let mut sent = head.max(*sub.rx.borrow_and_update());
    if socket.send(event(sent)).await.is_err() {
        return;
    }
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + PING_EVERY, PING_EVERY);
    loop {
        tokio::select! {
            _ = ping.tick() => {
                if socket.send(Message::Ping(Vec::new().into())).await.is_err() {
                    break;
                }
            }
            changed = sub.rx.changed() => {
                if changed.is_err() {
                    break;
                }
                let seq = *sub.rx.borrow_and_update();
                if seq > sent {
                    if socket.send(event(seq)).await.is_err() {
                        break;
                    }
                    sent = seq;
                }
            }
            rev = revocations.recv() => {
                let revoked = match rev {
                    Ok(ids) => ids.contains(&caller.device_id),
                    Err(broadcast::error::RecvError::Lagged(_)) => !st.storage.device_active(&caller.device_id).await.unwrap_or(false),
                    Err(broadcast::error::RecvError::Closed) => true,
                };
                if revoked {
                    let frame = CloseFrame { code: CLOSE_REVOKED, reason: "device revoked".into() };
                    let _ = socket.send(Message::Close(Some(frame))).await;
                    break;
                }
            }
            // The only change ever sent is "closing" (true).
            _ = closing.changed() => {
                let frame = CloseFrame { code: 1001, reason: "relay shutting down".into() };
                let _ = socket.send(Message::Close(Some(frame))).await;
                break;
            }
            msg = socket.recv() => match msg {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => break,
                Some(Ok(_)) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEAM: &str = "t";
    const A: &str = "01900000-0000-7000-8000-00000000000a";
    const B: &str = "01900000-0000-7000-8000-00000000000b";

    fn week() -> kept_protocol::week::Week {
        "2026-W48".parse().expect("week")
    }

    /// Takes what a subscription was woken with since last asked (None: not woken).
    fn woken(sub: &mut Subscription) -> Option<i64> {
        sub.rx.has_changed().unwrap_or(false).then(|| *sub.rx.borrow_and_update())
    }

    #[test]
    fn the_audience_of_a_push_follows_the_readers_of_its_documents() {
        let one = |m: &str| Audience::Subjects([m.to_string()].into());
        assert_eq!(Audience::of(&[DocId::log(A, week()), DocId::plan(A)]), one(A));
        assert_eq!(Audience::of(&[DocId::review(B)]), one(B));
        assert_eq!(Audience::of(&[DocId::plan(A), DocId::team()]), Audience::Everyone);
        assert_eq!(
            Audience::of(&[DocId::plan(A), DocId::plan(B)]),
            Audience::Subjects([A, B].map(String::from).into())
        );
        let many: Vec<DocId> =
            (0..=Audience::MAX_SUBJECTS).map(|i| DocId::plan(&format!("01900000-0000-7000-8000-{i:012x}"))).collect();
        assert_eq!(Audience::of(&many), Audience::Everyone, "too many subjects wake everyone");
        assert!(one(A).wakes(A) && !one(A).wakes(B) && Audience::Everyone.wakes(B));
    }

    #[test]
    fn a_rep_wakes_for_their_own_documents_and_the_team_document_a_manager_for_all() {
        let live = Live::default();
        let mut boss = live.subscribe(TEAM, None);
        let (mut a1, mut a2) = (live.subscribe(TEAM, Some(A)), live.subscribe(TEAM, Some(A)));
        let mut b = live.subscribe(TEAM, Some(B));
        live.publish(TEAM, 1, &Audience::of(&[DocId::log(A, week())]));
        assert_eq!(
            (woken(&mut boss), woken(&mut a1), woken(&mut a2), woken(&mut b)),
            (Some(1), Some(1), Some(1), None)
        );
        live.publish(TEAM, 2, &Audience::of(&[DocId::plan(B)]));
        assert_eq!((woken(&mut boss), woken(&mut a1), woken(&mut b)), (Some(2), None, Some(2)));
        live.publish(TEAM, 3, &Audience::of(&[DocId::team()]));
        assert_eq!(
            (woken(&mut boss), woken(&mut a1), woken(&mut a2), woken(&mut b)),
            (Some(3), Some(3), Some(3), Some(3))
        );
        // Another team's push wakes nobody here.
        live.publish("other", 9, &Audience::Everyone);
        assert_eq!((woken(&mut boss), woken(&mut a1), woken(&mut b)), (None, None, None));
    }

    #[test]
    fn a_channel_never_moves_back_and_coalesces() {
        let live = Live::default();
        let mut boss = live.subscribe(TEAM, None);
        let mut a = live.subscribe(TEAM, Some(A));
        let to_a = Audience::of(&[DocId::plan(A)]);
        live.publish(TEAM, 5, &to_a);
        live.publish(TEAM, 7, &to_a);
        assert_eq!((woken(&mut boss), woken(&mut a)), (Some(7), Some(7)), "a slow socket reads the latest");
        // A late publish of an older push (another relay's notification) is no wake-up.
        live.publish(TEAM, 6, &Audience::Everyone);
        assert_eq!((woken(&mut boss), woken(&mut a)), (None, None));
        live.publish(TEAM, 8, &Audience::Everyone);
        assert_eq!((woken(&mut boss), woken(&mut a)), (Some(8), Some(8)));
    }

    #[test]
    fn a_teams_state_and_its_members_channels_are_dropped_with_their_last_socket() {
        let live = Live::default();
        let boss = live.subscribe(TEAM, None);
        let (a1, a2, b) = (live.subscribe(TEAM, Some(A)), live.subscribe(TEAM, Some(A)), live.subscribe(TEAM, Some(B)));
        let other = live.subscribe("other", Some(A));
        assert_eq!(live.held(), (2, 3));
        drop(a1);
        assert_eq!(live.held(), (2, 3), "A still has a socket");
        drop(a2);
        assert_eq!(live.held(), (2, 2));
        drop(boss);
        assert_eq!(live.held(), (2, 2), "B's socket keeps the team");
        drop(b);
        assert_eq!(live.held(), (1, 1));
        drop(other);
        assert_eq!(live.held(), (0, 0));
        // Publishing to a team nobody watches holds nothing.
        live.publish(TEAM, 1, &Audience::Everyone);
        assert_eq!(live.held(), (0, 0));
        // A manager alone, then gone.
        let boss = live.subscribe(TEAM, None);
        assert_eq!(live.held(), (1, 0));
        drop(boss);
        assert_eq!(live.held(), (0, 0));
    }
}
