//! The HTTP and WebSocket client of the relay protocol ([`crate::protocol`]).
//! Blocking (ureq, tungstenite): the CLI calls it directly, the app from a
//! blocking task. Relay errors become [`CoreError::Relay`] with the relay's
//! own message; transport failures become [`CoreError::Network`].

use crate::error::{CoreError, Result};
use crate::protocol::*;
use kept_protocol::blob::{BlobOffer, BlobStatus};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::net::TcpStream;
use std::time::Duration;
use tungstenite::client::IntoClientRequest;
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

/// Largest response body read (bootstrap snapshots can be large).
const MAX_RESPONSE: u64 = 256 * 1024 * 1024;
/// How long one blob request may take (a chunk up, or a whole recording down).
const BLOB_TIMEOUT: Duration = Duration::from_secs(600);

/// A document id as a query value (its `/` escaped).
fn query_value(v: &str) -> String {
    v.replace('%', "%25").replace('/', "%2F").replace('&', "%26").replace('+', "%2B").replace(' ', "%20")
}

/// Checks a relay address: http(s) only, and plain http only to this machine
/// unless `allow_insecure` (a token sent in clear text can be stolen).
pub fn check_url(url: &str, allow_insecure: bool) -> Result<String> {
    let u = url.trim().trim_end_matches('/');
    let rest = if let Some(r) = u.strip_prefix("https://") {
        r
    } else if let Some(r) = u.strip_prefix("http://") {
        let host = r.split(['/', ':']).next().unwrap_or("");
        let local =
            matches!(host, "localhost" | "127.0.0.1" | "[") || host.starts_with("127.") || r.starts_with("[::1]");
        if !local && !allow_insecure {
            return Err(CoreError::invalid(format!(
                "refusing plain http to {u}: use https, or allow it explicitly with --insecure-http (only on a network you trust)"
            )));
        }
        r
    } else {
        return Err(CoreError::invalid(format!("bad relay address '{url}': expected http(s)://host[:port]")));
    };
    if rest.is_empty() {
        return Err(CoreError::invalid(format!("bad relay address '{url}': no host")));
    }
    Ok(u.to_string())
}

/// A client for one relay, with or without a device token.
#[derive(Clone)]
pub struct RelayClient {
    base: String,
    token: Option<String>,
    agent: ureq::Agent,
}

impl std::fmt::Debug for RelayClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelayClient").field("base", &self.base).finish()
    }
}

fn net(base: &str, e: impl std::fmt::Display) -> CoreError {
    CoreError::Network(format!("relay {base} unreachable: {e}"))
}

impl RelayClient {
    /// A client for `base` (already checked with [`check_url`]).
    pub fn new(base: &str, token: Option<String>) -> RelayClient {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(5)))
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        RelayClient { base: base.trim_end_matches('/').to_string(), token, agent }
    }

    /// A client for the same relay under another device token, sharing this
    /// client's connections (one thread serving many devices, as a load
    /// generator does).
    pub fn with_token(&self, token: Option<String>) -> RelayClient {
        RelayClient { base: self.base.clone(), token, agent: self.agent.clone() }
    }

    /// The relay address.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The device token this client sends, if any.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    fn finish<T: DeserializeOwned>(&self, mut resp: ureq::http::Response<ureq::Body>) -> Result<T> {
        let status = resp.status().as_u16();
        let body = resp.body_mut().with_config().limit(MAX_RESPONSE).read_to_vec().map_err(|e| net(&self.base, e))?;
        if !(200..300).contains(&status) {
            let (kind, message) = match serde_json::from_slice::<ErrorBody>(&body) {
                Ok(b) => (b.error.kind, b.error.message),
                Err(_) => (String::new(), String::from_utf8_lossy(&body).chars().take(200).collect()),
            };
            if kind == UNSUPPORTED_VERSION {
                // Not about any change: nothing is set aside, the sync stops here.
                return Err(CoreError::Incompatible(format!("relay {}: {message}", self.base)));
            }
            return Err(CoreError::Relay { status, message });
        }
        let body = if body.is_empty() { b"null".to_vec() } else { body };
        serde_json::from_slice(&body)
            .map_err(|e| CoreError::Network(format!("relay {} sent an unreadable answer: {e}", self.base)))
    }

    fn auth(&self) -> Result<String> {
        self.token
            .as_ref()
            .map(|t| format!("Bearer {t}"))
            .ok_or_else(|| CoreError::invalid("this home has not joined a relay: run `kept join URL INVITE`"))
    }

    fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        let auth = self.auth()?;
        let call = || {
            self.agent
                .get(format!("{}{path}", self.base))
                .header("Authorization", &auth)
                .header(VERSION_HEADER, PROTOCOL_VERSION.to_string())
                .call()
        };
        // A GET is safe to repeat: retry once when a pooled connection turns out
        // to have been closed by the relay in the meantime.
        let resp = call().or_else(|_| call()).map_err(|e| net(&self.base, e))?;
        self.finish(resp)
    }

    fn post<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B, auth: bool) -> Result<T> {
        let mut req =
            self.agent.post(format!("{}{path}", self.base)).header(VERSION_HEADER, PROTOCOL_VERSION.to_string());
        if auth {
            req = req.header("Authorization", self.auth()?);
        }
        let resp = req.send_json(body).map_err(|e| net(&self.base, e))?;
        self.finish(resp)
    }

    fn delete(&self, path: &str) -> Result<()> {
        let resp = self
            .agent
            .delete(format!("{}{path}", self.base))
            .header("Authorization", self.auth()?)
            .header(VERSION_HEADER, PROTOCOL_VERSION.to_string())
            .call()
            .map_err(|e| net(&self.base, e))?;
        let _: serde_json::Value = self.finish(resp)?;
        Ok(())
    }

    /// `GET /health`.
    pub fn health(&self) -> Result<Health> {
        let resp = self.agent.get(format!("{}/health", self.base)).call().map_err(|e| net(&self.base, e))?;
        self.finish(resp)
    }

    /// `POST /v1/join`.
    pub fn join(&self, req: &JoinRequest) -> Result<JoinResponse> {
        self.post("/v1/join", req, false)
    }

    /// `POST /v1/invites`.
    pub fn invite(&self, req: &InviteRequest) -> Result<InviteResponse> {
        self.post("/v1/invites", req, true)
    }

    /// `GET /v1/members`.
    pub fn members(&self) -> Result<Vec<MemberInfo>> {
        self.get("/v1/members")
    }
    /// The teams of the organisation this device's member leads.
    pub fn org_teams(&self) -> Result<OrgTeams> {
        self.get("/v1/org/teams")
    }
    /// A leader's read-only device in one team of their organisation.
    pub fn leader_device(&self, team_id: &str, device_name: &str) -> Result<JoinResponse> {
        let req = LeaderDeviceRequest { device_name: device_name.to_string() };
        self.post(&format!("/v1/org/teams/{team_id}/device"), &req, true)
    }

    /// `DELETE /v1/members/{id}`.
    pub fn remove_member(&self, id: &str) -> Result<()> {
        self.delete(&format!("/v1/members/{id}"))
    }

    /// `GET /v1/devices`.
    pub fn devices(&self) -> Result<Vec<DeviceInfo>> {
        self.get("/v1/devices")
    }

    /// `DELETE /v1/devices/{id}`.
    pub fn revoke_device(&self, id: &str) -> Result<()> {
        self.delete(&format!("/v1/devices/{id}"))
    }

    /// `POST /v1/push`.
    pub fn push(&self, req: &PushRequest) -> Result<PushResponse> {
        self.post("/v1/push", req, true)
    }

    /// `GET /v1/pull`.
    pub fn pull(&self, cursor: i64, limit: u32) -> Result<PullResponse> {
        self.pull_seen(cursor, limit, None)
    }

    /// `GET /v1/pull` with `seen` (`SEQ:HASH` of the last change received),
    /// so a relay that lost changes since answers `reset`.
    pub fn pull_seen(&self, cursor: i64, limit: u32, seen: Option<&str>) -> Result<PullResponse> {
        match seen.filter(|s| !s.is_empty()) {
            Some(s) => self.get(&format!("/v1/pull?cursor={cursor}&limit={limit}&seen={s}")),
            None => self.get(&format!("/v1/pull?cursor={cursor}&limit={limit}")),
        }
    }

    /// `GET /v1/snapshots`: a page of the compacted documents this device may
    /// read, after the document `after` ("" from the first), among `logs`.
    pub fn snapshots(&self, after: &str, logs: kept_protocol::wire::LogWeeks, limit: u32) -> Result<SnapshotPage> {
        let mut path = format!("/v1/snapshots?limit={limit}");
        if !after.is_empty() {
            path.push_str(&format!("&after={}", query_value(after)));
        }
        if let Some((name, week)) = logs.query() {
            path.push_str(&format!("&{name}={week}"));
        }
        self.get(&path)
    }

    /// `POST /v1/blobs`: offers a blob of `doc`; the answer says how much of it the relay holds.
    pub fn offer_blob(&self, offer: &BlobOffer) -> Result<BlobStatus> {
        self.post("/v1/blobs", offer, true)
    }

    /// `PUT /v1/blobs/{hash}`: sends `bytes` from `offset` (at most `MAX_BLOB_CHUNK`).
    pub fn put_blob_chunk(&self, hash: &str, doc: &str, offset: u64, bytes: &[u8]) -> Result<BlobStatus> {
        let resp = self
            .agent
            .put(format!("{}/v1/blobs/{hash}?doc={}&offset={offset}", self.base, query_value(doc)))
            .header("Authorization", self.auth()?)
            .header(VERSION_HEADER, PROTOCOL_VERSION.to_string())
            .header("Content-Type", "application/octet-stream")
            .config()
            .timeout_global(Some(BLOB_TIMEOUT))
            .build()
            .send(bytes)
            .map_err(|e| net(&self.base, e))?;
        self.finish(resp)
    }

    /// `GET /v1/blobs/{hash}`: appends the blob's bytes from `from` to `out`
    /// (at most `size - from` of them). Returns how many bytes were written;
    /// an error leaves what arrived in `out`, to resume from.
    pub fn get_blob(&self, hash: &str, doc: &str, from: u64, size: u64, out: &mut impl std::io::Write) -> Result<u64> {
        let mut req = self
            .agent
            .get(format!("{}/v1/blobs/{hash}?doc={}", self.base, query_value(doc)))
            .header("Authorization", self.auth()?)
            .header(VERSION_HEADER, PROTOCOL_VERSION.to_string());
        if from > 0 {
            req = req.header("Range", format!("bytes={from}-"));
        }
        let mut resp =
            req.config().timeout_global(Some(BLOB_TIMEOUT)).build().call().map_err(|e| net(&self.base, e))?;
        let status = resp.status().as_u16();
        if !(200..300).contains(&status) {
            let _: serde_json::Value = self.finish(resp)?;
            return Err(CoreError::Relay { status, message: "the relay did not send the recording".into() });
        }
        if from > 0 && status != 206 {
            return Err(CoreError::Network(format!("relay {} ignored the range of a resumed download", self.base)));
        }
        let mut reader = resp.body_mut().with_config().limit(size.saturating_sub(from)).reader();
        let mut written = 0u64;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match std::io::Read::read(&mut reader, &mut buf) {
                Ok(0) => return Ok(written),
                Ok(n) => n,
                Err(e) => {
                    out.flush()?;
                    return Err(net(&self.base, e));
                }
            };
            out.write_all(&buf[..n])?;
            written += n as u64;
        }
    }

    /// Opens the live channel (`GET /v1/live`, WebSocket).
    pub fn live(&self) -> Result<Live> {
        let ws_url = if let Some(r) = self.base.strip_prefix("https://") {
            format!("wss://{r}/v1/live")
        } else {
            format!("ws://{}/v1/live", self.base.trim_start_matches("http://"))
        };
        let mut req = ws_url.into_client_request().map_err(|e| net(&self.base, e))?;
        let auth = self.auth()?;
        req.headers_mut().insert(
            "Authorization",
            auth.parse().map_err(|_| CoreError::invalid("the stored device token is not valid header text"))?,
        );
        req.headers_mut().insert(VERSION_HEADER, tungstenite::http::HeaderValue::from(PROTOCOL_VERSION));
        let (ws, _) = tungstenite::connect(req).map_err(|e| match e {
            tungstenite::Error::Http(resp) => CoreError::Relay {
                status: resp.status().as_u16(),
                message: "the relay refused the live channel".into(),
            },
            e => net(&self.base, e),
        })?;
        // The relay pings an open live socket every 30 s: silence for longer
        // than this means a half-open connection, which the caller reconnects.
        let stream = match ws.get_ref() {
            MaybeTlsStream::Plain(s) => Some(s),
            #[allow(unreachable_patterns)]
            _ => None,
        };
        if let Some(s) = stream {
            let _ = s.set_read_timeout(Some(LIVE_SILENCE));
        }
        Ok(Live { ws })
    }
}

/// How long an open live channel may stay silent (the relay pings every 30 s).
pub const LIVE_SILENCE: std::time::Duration = std::time::Duration::from_secs(75);

/// An open live channel.
pub struct Live {
    ws: WebSocket<MaybeTlsStream<TcpStream>>,
}

impl Live {
    /// Waits for the next event (None: the relay closed the channel).
    pub fn next_event(&mut self) -> Result<Option<LiveEvent>> {
        loop {
            match self.ws.read() {
                Ok(Message::Text(t)) => {
                    return serde_json::from_str(t.as_str())
                        .map(Some)
                        .map_err(|e| CoreError::Network(format!("bad live event: {e}")))
                }
                Ok(Message::Close(_)) => return Ok(None),
                Ok(_) => continue,
                Err(tungstenite::Error::ConnectionClosed) | Err(tungstenite::Error::AlreadyClosed) => return Ok(None),
                Err(tungstenite::Error::Io(e))
                    if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) =>
                {
                    return Err(CoreError::Network(format!(
                        "live channel silent for {} s (half-open connection); reconnecting",
                        LIVE_SILENCE.as_secs()
                    )))
                }
                Err(e) => return Err(CoreError::Network(format!("live channel: {e}"))),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_to_this_machine() {
        assert!(check_url("http://127.0.0.1:8787", false).is_ok());
        assert!(check_url("http://localhost:8787/", false).is_ok());
        assert!(check_url("https://relay.example.com", false).is_ok());
        let e = check_url("http://relay.example.com", false).expect_err("plain http refused").to_string();
        assert!(e.contains("--insecure-http"), "{e}");
        assert!(check_url("http://relay.example.com", true).is_ok());
        assert!(check_url("ftp://x", true).is_err());
        assert!(check_url("https://", true).is_err());
    }
}
