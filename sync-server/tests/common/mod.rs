//! Test harness: a real relay on 127.0.0.1:0 over a temp SQLite file, and a blocking HTTP client.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use kept_core::model::Role;
use kept_core::protocol::{InviteRequest, InviteResponse, JoinRequest, JoinResponse, PullResponse};
use kept_relay::admin::{self, CreatedTeam};
use kept_relay::{serve, AppState, SqliteStorage, Storage};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::Arc;

/// A relay serving on loopback until dropped.
pub struct Relay {
    pub base: String,
    pub addr: std::net::SocketAddr,
    pub db: PathBuf,
    pub storage: SqliteStorage,
    pub rt: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Relay {
    pub fn start() -> Relay {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("relay.sqlite3");
        let storage = SqliteStorage::open(&db).unwrap();
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let state = AppState::new(Arc::new(storage.clone()));
        rt.spawn(serve(listener, state, async {
            let _ = stopped.await;
        }));
        Relay { base: format!("http://{addr}"), addr, db, storage, rt, _dir: dir, stop: Some(stop) }
    }

    /// Starts a graceful shutdown.
    pub fn stop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }

    pub fn create_team(&self, name: &str, manager: &str) -> CreatedTeam {
        self.rt.block_on(admin::create_team(&self.storage, name, manager)).unwrap()
    }

    pub fn compact(&self, team_id: &str) -> i64 {
        self.rt.block_on(self.storage.compact(team_id)).unwrap()
    }

    pub fn client(&self, token: Option<&str>) -> Client {
        Client::new(&self.base, token)
    }

    /// A team with a manager and two reps, Ann and Bob, each joined with one device.
    pub fn team(&self, name: &str) -> Team {
        let created = self.create_team(name, "Maria");
        let anon = self.client(None);
        let (st, m) = anon.post("/v1/join", &json!({"invite": created.invite, "device_name": "laptop"}));
        assert_eq!(st, 200, "{m}");
        let m: JoinResponse = serde_json::from_value(m).unwrap();
        let manager = Member { client: self.client(Some(&m.token)), join: m };
        let ann = self.join_rep(&manager, "Ann");
        let bob = self.join_rep(&manager, "Bob");
        Team { team_id: created.team_id, manager, ann, bob }
    }

    pub fn invite(&self, by: &Member, role: Role, name: Option<&str>) -> InviteResponse {
        let req = InviteRequest { role, name: name.map(str::to_string), member_id: None };
        let (st, v) = by.client.post("/v1/invites", &req);
        assert_eq!(st, 200, "{v}");
        serde_json::from_value(v).unwrap()
    }

    pub fn join_rep(&self, manager: &Member, name: &str) -> Member {
        let inv = self.invite(manager, Role::Rep, Some(name));
        let req = JoinRequest { invite: inv.code, name: None, device_name: format!("{name}'s phone") };
        let (st, v) = self.client(None).post("/v1/join", &req);
        assert_eq!(st, 200, "{v}");
        let join: JoinResponse = serde_json::from_value(v).unwrap();
        Member { client: self.client(Some(&join.token)), join }
    }
}

pub struct Member {
    pub client: Client,
    pub join: JoinResponse,
}

impl Member {
    pub fn id(&self) -> &str {
        &self.join.member_id
    }
    /// Pulls every page from `cursor`; returns (changes, final cursor).
    pub fn pull_all(&self, mut cursor: i64) -> (Vec<kept_core::protocol::PulledChange>, i64) {
        let mut all = Vec::new();
        loop {
            let p = self.pull(cursor, 1000);
            all.extend(p.changes);
            cursor = p.next;
            if !p.more {
                return (all, cursor);
            }
        }
    }
    pub fn pull(&self, cursor: i64, limit: u32) -> PullResponse {
        let (st, v) = self.client.get(&format!("/v1/pull?cursor={cursor}&limit={limit}"));
        assert_eq!(st, 200, "{v}");
        serde_json::from_value(v).unwrap()
    }
}

pub struct Team {
    pub team_id: String,
    pub manager: Member,
    pub ann: Member,
    pub bob: Member,
}

/// A blocking HTTP client that returns (status, JSON body) and never errors on 4xx/5xx.
pub struct Client {
    agent: ureq::Agent,
    base: String,
    token: Option<String>,
}

impl Client {
    pub fn new(base: &str, token: Option<&str>) -> Client {
        let agent = ureq::Agent::config_builder().http_status_as_error(false).build().new_agent();
        Client { agent, base: base.to_string(), token: token.map(str::to_string) }
    }

    fn finish(resp: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> (u16, Value) {
        let mut resp = resp.unwrap();
        let status = resp.status().as_u16();
        let text = resp.body_mut().with_config().limit(64 * 1024 * 1024).read_to_string().unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    pub fn get(&self, path: &str) -> (u16, Value) {
        let mut r = self.agent.get(format!("{}{path}", self.base));
        if let Some(t) = &self.token {
            r = r.header("Authorization", format!("Bearer {t}"));
        }
        Self::finish(r.call())
    }

    pub fn delete(&self, path: &str) -> (u16, Value) {
        let mut r = self.agent.delete(format!("{}{path}", self.base));
        if let Some(t) = &self.token {
            r = r.header("Authorization", format!("Bearer {t}"));
        }
        Self::finish(r.call())
    }

    pub fn post_raw(&self, path: &str, body: &[u8]) -> (u16, Value) {
        let mut r = self.agent.post(format!("{}{path}", self.base)).header("Content-Type", "application/json");
        if let Some(t) = &self.token {
            r = r.header("Authorization", format!("Bearer {t}"));
        }
        Self::finish(r.send(body))
    }

    pub fn post(&self, path: &str, body: &impl serde::Serialize) -> (u16, Value) {
        self.post_raw(path, &serde_json::to_vec(body).unwrap())
    }
}

/// A fresh, real Automerge change (new actor, so a new hash), base64.
pub fn change_b64() -> String {
    B64.encode(change_bytes())
}

pub fn change_bytes() -> Vec<u8> {
    let mut d = AutoCommit::new();
    d.put(ROOT, "k", 1).unwrap();
    d.commit();
    d.get_last_local_change().unwrap().raw_bytes().to_vec()
}

/// One push entry for `doc` (kind and subject derived from the id).
pub fn entry(doc: &str, data: &str) -> Value {
    let id: kept_core::docs::DocId = doc.parse().unwrap();
    json!({"doc": doc, "kind": id.kind(), "subject": id.subject(), "data": data})
}

pub fn plan(member: &str) -> String {
    format!("plan/{member}")
}

pub fn log(member: &str) -> String {
    format!("log/{member}/2026-W48")
}

/// Asserts the error body shape and returns its message.
pub fn error_message(status: u16, v: &Value, want_status: u16, want_kind: &str) -> String {
    assert_eq!(status, want_status, "{v}");
    assert_eq!(v["error"]["kind"], want_kind, "{v}");
    v["error"]["message"].as_str().unwrap().to_string()
}

/// Asserts the relay stored no change for the team (seen by its manager).
pub fn assert_nothing_stored(team: &Team) {
    let p = team.manager.pull(0, 1000);
    assert!(p.changes.is_empty(), "changes were stored: {:?}", p.changes);
    assert_eq!(p.next, 0, "the team sequence moved");
}
