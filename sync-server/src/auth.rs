//! Device tokens and invite codes (random, stored only as sha256), the `Caller` extractor, and the failed-attempt rate limiter.

use crate::error::AppError;
use crate::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::Rng;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub use crate::storage::Caller;

/// How long an invite works.
pub const INVITE_TTL_SECS: i64 = 7 * 24 * 3600;
/// Failed attempts allowed per client address and window.
pub const MAX_FAILURES: usize = 10;
/// The rate limiter's window.
pub const FAILURE_WINDOW: Duration = Duration::from_secs(60);

fn random_secret(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rand::rng().fill(&mut b[..]);
    URL_SAFE_NO_PAD.encode(b)
}

/// A new device token: 256 random bits, base64url.
pub fn new_token() -> String {
    random_secret(32)
}

/// The characters of an invite code: capital letters and digits nobody
/// misreads or mistypes from a screen or paper (no 0/O, 1/I/L, U/V pairs).
pub const INVITE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTWXYZ23456789";
/// Characters in an invite code (without its dashes).
pub const INVITE_CHARS: usize = 20;

/// A new invite code: 20 characters of [`INVITE_ALPHABET`] (about 97 random
/// bits; an invite is single use, expires in 7 days and wrong guesses are
/// rate-limited), shown in four groups of five: `K7M2P-XW3QA-…`. It never
/// starts with '-', so it can follow a command (`kept join URL CODE`).
pub fn new_invite_code() -> String {
    let mut rng = rand::rng();
    let chars: Vec<char> =
        (0..INVITE_CHARS).map(|_| char::from(INVITE_ALPHABET[rng.random_range(0..INVITE_ALPHABET.len())])).collect();
    chars.chunks(5).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join("-")
}

/// The form an invite code is stored and looked up under: a code of
/// [`new_invite_code`]'s kind typed in lower case, without its dashes or with
/// spaces is the same code; any other text (codes issued before) as typed.
pub fn invite_key(code: &str) -> String {
    let typed = code.trim();
    let squeezed: String =
        typed.chars().filter(|c| !c.is_whitespace() && *c != '-').map(|c| c.to_ascii_uppercase()).collect();
    if squeezed.len() == INVITE_CHARS && squeezed.bytes().all(|b| INVITE_ALPHABET.contains(&b)) {
        squeezed
    } else {
        typed.to_string()
    }
}

/// The sha256 hex of a token or code: the only form the relay stores.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// What a failure is counted against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bucket {
    /// Wrong invite codes.
    Join,
    /// Unknown or revoked tokens.
    Token,
}

/// Counts failed attempts per client address in a sliding window.
#[derive(Debug, Default)]
pub struct RateLimiter {
    failures: Mutex<HashMap<(Bucket, IpAddr), VecDeque<Instant>>>,
}

impl RateLimiter {
    /// True when `ip` has used up its failures in this window.
    pub fn limited(&self, bucket: Bucket, ip: IpAddr) -> bool {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        match map.get_mut(&(bucket, ip)) {
            Some(q) => {
                while q.front().is_some_and(|t| now.duration_since(*t) > FAILURE_WINDOW) {
                    q.pop_front();
                }
                q.len() >= MAX_FAILURES
            }
            None => false,
        }
    }

    /// Counts one failure.
    pub fn fail(&self, bucket: Bucket, ip: IpAddr) {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 10_000 {
            map.retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) <= FAILURE_WINDOW));
        }
        let q = map.entry((bucket, ip)).or_default();
        q.push_back(now);
        if q.len() > MAX_FAILURES {
            q.pop_front();
        }
    }
}

/// The client's address (from the connection; unspecified when unknown).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;
    /// The connection's address; behind a proxy the operator trusts
    /// (`--trust-proxy`), the last address in `X-Forwarded-For` that is not
    /// itself a trusted proxy. A forwarded address from anyone else is ignored.
    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Self::Rejection> {
        let peer =
            parts.extensions.get::<ConnectInfo<SocketAddr>>().map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
        Ok(ClientIp(client_ip(
            peer,
            parts.headers.get("x-forwarded-for").and_then(|h| h.to_str().ok()),
            &st.trusted_proxies,
        )))
    }
}

/// The client address of a request from `peer` carrying `forwarded` (`X-Forwarded-For`).
pub fn client_ip(peer: IpAddr, forwarded: Option<&str>, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let Some(list) = forwarded else { return peer };
    let mut ip = peer;
    for hop in list.rsplit(',') {
        match hop.trim().parse::<IpAddr>() {
            Ok(addr) => {
                ip = addr;
                if !trusted.contains(&addr) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    ip
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let ClientIp(ip) =
            ClientIp::from_request_parts(parts, state).await.unwrap_or(ClientIp(IpAddr::V4(Ipv4Addr::UNSPECIFIED)));
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .ok_or_else(|| AppError::Unauthorized("missing 'Authorization: Bearer <device token>' header".into()))?;
        let token = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| AppError::Unauthorized("the Authorization header must be 'Bearer <device token>'".into()))?;
        match state.storage.caller_by_token(&hash_secret(token)).await? {
            Some(caller) => Ok(caller),
            None => {
                if state.limiter.limited(Bucket::Token, ip) {
                    return Err(AppError::RateLimited(
                        "too many unknown tokens from your address; wait a minute".into(),
                    ));
                }
                state.limiter.fail(Bucket::Token, ip);
                Err(AppError::Unauthorized("unknown or revoked device token; join again with a new invite".into()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invite_codes_never_start_with_a_dash() {
        assert!((0..2000).all(|_| !new_invite_code().starts_with('-')));
        let code = new_invite_code();
        assert_eq!(code.len(), INVITE_CHARS + 3, "{code}");
        assert!(code.split('-').all(|g| g.len() == 5), "{code}");
        assert!(!code.chars().any(|c| "0O1IL".contains(c)), "{code}");
        // Typed in lower case, without dashes, with spaces: the same invite.
        let key = invite_key(&code);
        assert_eq!(invite_key(&code.to_lowercase()), key);
        assert_eq!(invite_key(&format!(" {} ", code.replace('-', " "))), key);
        assert_eq!(invite_key(&code.replace('-', "")), key);
        // A code of the earlier kind (base64url, 27 characters) stays as typed.
        assert_eq!(invite_key(" aB-_cdefghijklmnopqrstuvwxy "), "aB-_cdefghijklmnopqrstuvwxy");
    }

    #[test]
    fn tokens_are_256_bits_and_hashes_are_sha256_hex() {
        let t = new_token();
        assert_eq!(URL_SAFE_NO_PAD.decode(&t).map(|b| b.len()).ok(), Some(32));
        assert_ne!(t, new_token());
        let h = hash_secret(&t);
        assert_eq!(h.len(), 64);
        assert!(h.chars().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn limiter_blocks_after_max_failures() {
        let l = RateLimiter::default();
        let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
        for _ in 0..MAX_FAILURES {
            assert!(!l.limited(Bucket::Join, ip));
            l.fail(Bucket::Join, ip);
        }
        assert!(l.limited(Bucket::Join, ip));
        assert!(!l.limited(Bucket::Token, ip));
    }
}
