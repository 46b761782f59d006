//! The live channel: a per-team `watch` of the latest sequence, and `GET /v1/live`, a WebSocket that sends `{"seq":N}` on connect and whenever the team's sequence moves; revoked devices are disconnected at once.

use crate::auth::Caller;
use crate::error::AppError;
use crate::AppState;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use kept_protocol::wire::LiveEvent;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{broadcast, watch};

/// WebSocket close code sent to a revoked device (application range).
pub const CLOSE_REVOKED: u16 = 4001;
/// How often an open live socket is pinged: the relay notices a client that
/// vanished without closing (a half-open connection), and a client can treat
/// a silence of a few intervals as a dead connection.
pub const PING_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

/// Live subscribers of every team.
#[derive(Debug)]
pub struct Live {
    teams: Mutex<HashMap<String, watch::Sender<i64>>>,
    per_device: Arc<Mutex<HashMap<String, usize>>>,
    revoked: broadcast::Sender<Arc<Vec<String>>>,
    closing: watch::Sender<bool>,
}

impl Default for Live {
    fn default() -> Self {
        Live {
            teams: Mutex::new(HashMap::new()),
            per_device: Arc::default(),
            revoked: broadcast::channel(64).0,
            closing: watch::channel(false).0,
        }
    }
}

impl Live {
    /// Subscribes to a team's sequence.
    pub fn subscribe(&self, team_id: &str) -> watch::Receiver<i64> {
        let mut teams = self.teams.lock().unwrap_or_else(|p| p.into_inner());
        teams.entry(team_id.to_string()).or_insert_with(|| watch::channel(0).0).subscribe()
    }

    /// Announces that the team's sequence reached `seq` (never moves it back; coalesces).
    pub fn publish(&self, team_id: &str, seq: i64) {
        let mut teams = self.teams.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(tx) = teams.get(team_id) {
            if tx.receiver_count() == 0 {
                teams.remove(team_id);
                return;
            }
            tx.send_if_modified(|v| {
                let moved = seq > *v;
                if moved {
                    *v = seq;
                }
                moved
            });
        }
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
    let rx = st.live.subscribe(&caller.team_id);
    let head = st.storage.team_seq(&caller.team_id).await?;
    st.live.publish(&caller.team_id, head);
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
        run(socket, st, caller, rx, revocations).await;
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
    mut rx: watch::Receiver<i64>,
    mut revocations: broadcast::Receiver<Arc<Vec<String>>>,
) {
    let mut closing = st.live.closing.subscribe();
    let first = *rx.borrow_and_update();
    if socket.send(event(first)).await.is_err() {
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
            changed = rx.changed() => {
                if changed.is_err() {
                    break;
                }
                let seq = *rx.borrow_and_update();
                if socket.send(event(seq)).await.is_err() {
                    break;
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
