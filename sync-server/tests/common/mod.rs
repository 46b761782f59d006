//! Test harness: a real relay on 127.0.0.1:0 over a temp SQLite file or a
//! throwaway PostgreSQL database, and a blocking HTTP client.
//!
//! PostgreSQL: `KEPT_TEST_PG` (default `postgres://postgres@127.0.0.1:5432`)
//! names the server; every relay (or group of relays) gets its own database
//! `kept_test_<pid>_<random>`, dropped when the last relay using it is dropped.
//! If the server does not answer, the harness tries `pg_ctlcluster … start`
//! and otherwise fails with a clear message (it never skips).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use kept_core::model::Role;
use kept_core::protocol::{InviteRequest, InviteResponse, JoinRequest, JoinResponse, PullResponse};
use kept_relay::admin::{self, CreatedTeam};
use kept_relay::{serve, AppState, PostgresStorage, SqliteStorage, Storage};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

#[allow(unused_macros)]
/// Generates `sqlite::NAME` and `postgres::NAME` tests calling `NAME(Backend)`.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $name() { super::$name($crate::common::Backend::Sqlite) } )*
        }
        mod postgres {
            $( #[test] fn $name() { super::$name($crate::common::Backend::Postgres) } )*
        }
    };
}

/// Which store a relay runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL server the tests use (no database name).
pub fn pg_server() -> String {
    std::env::var("KEPT_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

fn small_rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

/// Runs SQL on the server's `postgres` database.
pub fn pg_admin(sql: &str) -> Result<(), tokio_postgres::Error> {
    small_rt().block_on(async {
        let (client, conn) =
            tokio_postgres::connect(&format!("{}/postgres", pg_server()), tokio_postgres::NoTls).await?;
        let driver = tokio::spawn(conn);
        let out = client.batch_execute(sql).await;
        drop(client);
        let _ = driver.await;
        out
    })
}

/// The first column of the first row of `sql` run on the server's `postgres` database.
pub fn pg_admin_i64(sql: &str) -> i64 {
    small_rt().block_on(async {
        let (client, conn) =
            tokio_postgres::connect(&format!("{}/postgres", pg_server()), tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(conn);
        client.query_one(sql, &[]).await.unwrap().get(0)
    })
}

/// Makes sure the server answers, starting the local cluster if needed; panics with the reason otherwise.
pub fn ensure_pg() {
    static UP: OnceLock<Result<(), String>> = OnceLock::new();
    let up = UP.get_or_init(|| {
        if pg_admin("SELECT 1").is_ok() {
            return Ok(());
        }
        let mut tried = Vec::new();
        for version in std::fs::read_dir("/etc/postgresql").into_iter().flatten().flatten() {
            let v = version.file_name().to_string_lossy().to_string();
            let out = std::process::Command::new("pg_ctlcluster")
                .args(["--skip-systemctl-redirect", &v, "main", "start"])
                .output();
            tried.push(match out {
                Ok(o) => {
                    format!("pg_ctlcluster {v} main start: {} {}", o.status, String::from_utf8_lossy(&o.stderr).trim())
                }
                Err(e) => format!("pg_ctlcluster {v} main start: {e}"),
            });
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            match pg_admin("SELECT 1") {
                Ok(()) => return Ok(()),
                Err(e) if Instant::now() > deadline => {
                    return Err(format!(
                        "PostgreSQL is not reachable at {} ({e}) and could not be started [{}]. \
                         Install and start it (apt-get install postgresql; pg_ctlcluster 15 main start) \
                         or point KEPT_TEST_PG at a server with trust auth.",
                        pg_server(),
                        if tried.is_empty() { "no cluster under /etc/postgresql".into() } else { tried.join("; ") }
                    ))
                }
                Err(_) => std::thread::sleep(Duration::from_millis(250)),
            }
        }
    });
    if let Err(e) = up {
        panic!("{e}");
    }
}

/// A throwaway PostgreSQL database, dropped with the last handle.
pub struct TestDb {
    pub name: String,
    pub url: String,
}

impl TestDb {
    pub fn create() -> Arc<TestDb> {
        ensure_pg();
        let name = format!("kept_test_{}_{:016x}", std::process::id(), rand::random::<u64>());
        pg_admin(&format!("CREATE DATABASE {name}")).unwrap_or_else(|e| panic!("cannot create database {name}: {e}"));
        Arc::new(TestDb { url: format!("{}/{name}", pg_server()), name })
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Err(e) = pg_admin(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)) {
            eprintln!("warning: could not drop test database {}: {e}", self.name);
        }
    }
}

/// Adjusts a relay's state before it serves.
type Configure = Box<dyn FnOnce(AppState) -> AppState>;

/// A relay serving on loopback until dropped.
pub struct Relay {
    pub base: String,
    pub addr: std::net::SocketAddr,
    pub backend: Backend,
    /// The SQLite file (SQLite only).
    pub db: PathBuf,
    pub storage: Arc<dyn Storage>,
    pub rt: tokio::runtime::Runtime,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    _dir: Option<tempfile::TempDir>,
    /// The database (PostgreSQL only); dropped after the runtime.
    pub pg: Option<Arc<TestDb>>,
}

impl Relay {
    pub fn start(backend: Backend) -> Relay {
        match backend {
            Backend::Sqlite => Relay::start_sqlite(),
            Backend::Postgres => Relay::start_on(&TestDb::create()),
        }
    }

    pub fn start_sqlite() -> Relay {
        Relay::start_limited(kept_relay::edge::Limits::default())
    }

    /// A SQLite relay on the database file `db`, listening on `listen` (e.g.
    /// `127.0.0.1:0`, or the address of a relay it replaces).
    pub fn start_sqlite_file(db: PathBuf, listen: &str) -> Relay {
        let storage: Arc<dyn Storage> = Arc::new(SqliteStorage::open(&db).unwrap());
        Relay::launch(
            Backend::Sqlite,
            storage,
            db,
            None,
            None,
            runtime(),
            kept_relay::edge::Limits::default(),
            listen,
            None,
        )
    }

    /// A SQLite relay with other connection and timeout limits.
    pub fn start_limited(limits: kept_relay::edge::Limits) -> Relay {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("relay.sqlite3");
        let storage: Arc<dyn Storage> = Arc::new(SqliteStorage::open(&db).unwrap());
        Relay::launch(Backend::Sqlite, storage, db, Some(dir), None, runtime(), limits, "127.0.0.1:0", None)
    }

    /// A relay on `backend` with other blob limits (size, per-team quota).
    pub fn start_with_blob_limits(backend: Backend, blobs: kept_relay::blobs::BlobLimits) -> Relay {
        Relay::start_configured(backend, move |state| state.with_blob_limits(blobs))
    }

    /// A relay on `backend` whose state `configure` adjusts (blob store, limits).
    pub fn start_configured(backend: Backend, configure: impl FnOnce(AppState) -> AppState + 'static) -> Relay {
        let limits = kept_relay::edge::Limits::default();
        let configure: Configure = Box::new(configure);
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let db = dir.path().join("relay.sqlite3");
                let storage: Arc<dyn Storage> = Arc::new(SqliteStorage::open(&db).unwrap());
                Relay::launch(backend, storage, db, Some(dir), None, runtime(), limits, "127.0.0.1:0", Some(configure))
            }
            Backend::Postgres => {
                let (pg, rt) = (TestDb::create(), runtime());
                let storage: Arc<dyn Storage> = Arc::new(rt.block_on(PostgresStorage::connect(&pg.url)).unwrap());
                let db = PathBuf::new();
                Relay::launch(backend, storage, db, None, Some(pg), rt, limits, "127.0.0.1:0", Some(configure))
            }
        }
    }

    /// A relay instance of its own (own state, pool and listener) on a shared PostgreSQL database.
    pub fn start_on(pg: &Arc<TestDb>) -> Relay {
        Relay::start_on_at(pg, "127.0.0.1:0")
    }

    /// [`Relay::start_on`], listening on `listen`.
    pub fn start_on_at(pg: &Arc<TestDb>, listen: &str) -> Relay {
        let rt = runtime();
        let storage: Arc<dyn Storage> = Arc::new(rt.block_on(PostgresStorage::connect(&pg.url)).unwrap());
        let limits = kept_relay::edge::Limits::default();
        Relay::launch(Backend::Postgres, storage, PathBuf::new(), None, Some(pg.clone()), rt, limits, listen, None)
    }

    /// Serves `storage` on `listen` (`127.0.0.1:0`, or the address of a relay it replaces).
    #[allow(clippy::too_many_arguments)]
    fn launch(
        backend: Backend,
        storage: Arc<dyn Storage>,
        db: PathBuf,
        dir: Option<tempfile::TempDir>,
        pg: Option<Arc<TestDb>>,
        rt: tokio::runtime::Runtime,
        limits: kept_relay::edge::Limits,
        listen: &str,
        configure: Option<Configure>,
    ) -> Relay {
        let listener = rt.block_on(tokio::net::TcpListener::bind(listen)).unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let mut state = AppState::new(storage.clone()).with_limits(limits);
        if let Some(configure) = configure {
            state = configure(state);
        }
        rt.spawn(serve(listener, state, async {
            let _ = stopped.await;
        }));
        Relay { base: format!("http://{addr}"), addr, backend, db, storage, rt, stop: Some(stop), _dir: dir, pg }
    }

    /// Starts a graceful shutdown.
    pub fn stop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }

    pub fn create_team(&self, name: &str, manager: &str) -> CreatedTeam {
        self.rt.block_on(admin::create_team(self.storage.as_ref(), name, manager, None)).unwrap()
    }

    pub fn compact(&self, team_id: &str) -> i64 {
        self.rt.block_on(self.storage.compact(team_id)).unwrap()
    }

    pub fn client(&self, token: Option<&str>) -> Client {
        Client::new(&self.base, token)
    }

    /// A team with a manager and two reps, Ann and Bob, each joined with one device.
    pub fn team(&self, name: &str) -> Team {
        self.team_in_org(name, None)
    }

    /// [`Relay::team`], in organisation `org`.
    pub fn team_in_org(&self, name: &str, org: Option<&str>) -> Team {
        let created = self.rt.block_on(admin::create_team(self.storage.as_ref(), name, "Maria", org)).unwrap();
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

    /// Another device of `member`, joined with an invite they made themselves.
    pub fn join_own_device(&self, member: &Member) -> Member {
        let req = InviteRequest { role: member.join.role, name: None, member_id: Some(member.id().to_string()) };
        let (st, v) = member.client.post("/v1/invites", &req);
        assert_eq!(st, 200, "{v}");
        let inv: InviteResponse = serde_json::from_value(v).unwrap();
        let req = JoinRequest { invite: inv.code, name: None, device_name: "laptop".into() };
        let (st, v) = self.client(None).post("/v1/join", &req);
        assert_eq!(st, 200, "{v}");
        let join: JoinResponse = serde_json::from_value(v).unwrap();
        Member { client: self.client(Some(&join.token)), join }
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

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
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
    /// The `kept-protocol` header sent, if any.
    version: Option<String>,
}

impl Client {
    pub fn new(base: &str, token: Option<&str>) -> Client {
        // No connection reuse: a relay answering 401 before reading a request body
        // closes that connection, and a pooled reuse would race its close.
        let agent =
            ureq::Agent::config_builder().http_status_as_error(false).max_idle_connections(0).build().new_agent();
        Client { agent, base: base.to_string(), token: token.map(str::to_string), version: None }
    }

    /// The same client, sending `kept-protocol: V` with every request.
    pub fn with_version(mut self, v: &str) -> Client {
        self.version = Some(v.to_string());
        self
    }

    fn headers<B>(&self, mut r: ureq::RequestBuilder<B>) -> ureq::RequestBuilder<B> {
        if let Some(t) = &self.token {
            r = r.header("Authorization", format!("Bearer {t}"));
        }
        if let Some(v) = &self.version {
            r = r.header(kept_core::protocol::VERSION_HEADER, v);
        }
        r
    }

    fn finish(resp: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> (u16, Value) {
        let mut resp = resp.unwrap();
        let status = resp.status().as_u16();
        let text = resp.body_mut().with_config().limit(64 * 1024 * 1024).read_to_string().unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    pub fn get(&self, path: &str) -> (u16, Value) {
        Self::finish(self.headers(self.agent.get(format!("{}{path}", self.base))).call())
    }

    pub fn delete(&self, path: &str) -> (u16, Value) {
        Self::finish(self.headers(self.agent.delete(format!("{}{path}", self.base))).call())
    }

    pub fn post_raw(&self, path: &str, body: &[u8]) -> (u16, Value) {
        let r = self.agent.post(format!("{}{path}", self.base)).header("Content-Type", "application/json");
        Self::finish(self.headers(r).send(body))
    }

    pub fn post(&self, path: &str, body: &impl serde::Serialize) -> (u16, Value) {
        self.post_raw(path, &serde_json::to_vec(body).unwrap())
    }

    /// `PUT` of raw bytes (`application/octet-stream`).
    pub fn put_bytes(&self, path: &str, body: &[u8]) -> (u16, Value) {
        let r = self.agent.put(format!("{}{path}", self.base)).header("Content-Type", "application/octet-stream");
        Self::finish(self.headers(r).send(body))
    }

    /// [`Client::put_bytes`], but None when the connection broke while the
    /// body was still going out (the relay may answer early — say, 409
    /// because another device sent those bytes first — and close).
    pub fn try_put_bytes(&self, path: &str, body: &[u8]) -> Option<(u16, Value)> {
        let r = self.agent.put(format!("{}{path}", self.base)).header("Content-Type", "application/octet-stream");
        let resp = self.headers(r).send(body).ok()?;
        Some(Self::finish(Ok(resp)))
    }

    /// `GET` with extra headers, answering (status, headers, body bytes).
    pub fn get_bytes(&self, path: &str, extra: &[(&str, &str)]) -> (u16, ureq::http::HeaderMap, Vec<u8>) {
        let mut r = self.headers(self.agent.get(format!("{}{path}", self.base)));
        for (k, v) in extra {
            r = r.header(*k, *v);
        }
        let mut resp = r.call().unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.body_mut().with_config().limit(256 * 1024 * 1024).read_to_vec().unwrap_or_default();
        (status, headers, body)
    }

    /// The bearer token, if any.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
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

/// A real Kept home joined to `relay` with `invite` (system clock, random ids).
pub fn join_home(relay: &Relay, home: &std::path::Path, invite: &str) -> kept_core::Kept {
    let opts = kept_core::sync::JoinOptions {
        url: relay.base.clone(),
        invite: invite.to_string(),
        name: None,
        device_name: "device".into(),
        allow_insecure: false,
    };
    kept_core::Kept::join(home, &opts, Arc::new(kept_core::SystemClock), kept_core::IdSource::random()).expect("join").0
}
