//! What Kept's fuzz targets share: a real relay router over a SQLite file with
//! a team of fixed ids, a rep's home copied fresh for every input, the
//! fingerprints the invariants compare, and the seed inputs (`cargo run
//! --example seeds` writes them to `corpus/`).
//!
//! Ids, tokens, the clock and the id sources are fixed, so the same input
//! always meets the same state and the seed push bodies name real members.

use automerge::Change;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use kept_core::docs::DocId;
use kept_core::model::{ActivityInput, Member, Role};
use kept_core::protocol::{PushChange, PushRequest};
use kept_core::service::Identity;
use kept_core::{FixedClock, IdSource, Kept};
use kept_relay::auth::{hash_secret, invite_key};
use kept_relay::storage::JoinPlan;
use kept_relay::{AppState, SqliteStorage, Storage};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tower::ServiceExt;

/// The team of every fuzz target.
pub const TEAM: &str = "01900000-0000-7000-8000-0000000000ee";
/// The manager, Maria.
pub const MARIA: &str = "01900000-0000-7000-8000-0000000000a0";
/// A rep, Ann (the home the client-side targets use is hers).
pub const ANN: &str = "01900000-0000-7000-8000-00000000000a";
/// Another rep, Bob.
pub const BOB: &str = "01900000-0000-7000-8000-00000000000b";
/// Maria's device token.
pub const MARIA_TOKEN: &str = "fuzz-token-maria-0000000000000000000000000";
/// Ann's device token.
pub const ANN_TOKEN: &str = "fuzz-token-ann-00000000000000000000000000000";

/// Wednesday of ISO week 2026-W48, noon UTC: "now" everywhere.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339("2026-11-25T12:00:00Z").map(|t| t.to_utc()).unwrap_or_default()
}

fn roster() -> Vec<Member> {
    vec![
        Member { id: MARIA.into(), name: "Maria".into(), role: Role::Manager },
        Member { id: ANN.into(), name: "Ann".into(), role: Role::Rep },
        Member { id: BOB.into(), name: "Bob".into(), role: Role::Rep },
    ]
}

/// A device of `member` in `home` with the team's roster; `seed` fixes its actor and ids.
pub fn device(home: &Path, member: &str, seed: u64) -> Kept {
    let m = roster().into_iter().find(|m| m.id == member).expect("a member of the fuzz team");
    let id = Identity { team_id: TEAM.into(), member_id: m.id.clone(), name: m.name.clone(), role: m.role };
    let mut k = Kept::create_device(home, &id, Arc::new(FixedClock::new(now())), IdSource::seeded(seed))
        .expect("create a device");
    k.set_members(&roster()).expect("roster");
    k
}

fn at(day: u32, hour: u32) -> ActivityInput {
    ActivityInput { occurred_at: Some(format!("2026-11-{day:02}T{hour:02}:00:00+00:00")), ..Default::default() }
}

/// (document id, change bytes) pairs, in the order they were made.
pub type Changes = Vec<(String, Vec<u8>)>;

/// The outbox of a home, oldest first: (document id, change bytes).
pub fn outbox(k: &Kept) -> Changes {
    k.store().outbox(usize::MAX).expect("outbox").into_iter().map(|o| (o.doc, o.bytes)).collect()
}

/// Real changes written by kept-core: (Maria's, Ann's). Maria names the team,
/// sets Ann a target, logs for Bob and opens a 1-on-1 with Ann; Ann logs in
/// two weeks and adds an action item. `seed` varies the devices.
pub fn team_changes(seed: u64) -> (Changes, Changes) {
    let dir = tempfile::tempdir().expect("tmp");
    let mut maria = device(&dir.path().join("maria"), MARIA, seed);
    maria.set_team_settings(Some("Fuzz Sales"), Some("Europe/Berlin"), None, None).expect("settings");
    maria.set_target("call", 20, Some("Ann"), None).expect("target");
    maria.log_activity("call", at(24, 9), Some("Bob")).expect("log for Bob");
    maria.open_meeting(Some("Ann"), "one-on-one", None).expect("meeting");
    let mut ann = device(&dir.path().join("ann"), ANN, seed + 1);
    for (kind, day) in [("call", 23), ("call", 24), ("meeting-set", 25)] {
        let input = ActivityInput { account: Some(Some("Globex".into())), ..at(day, 10) };
        ann.log_activity(kind, input, None).expect("log");
    }
    ann.log_activity("conversation", at(18, 15), None).expect("log last week");
    ann.add_action("Send the pricing sheet", "2026-11-27", None, None).expect("action");
    (outbox(&maria), outbox(&ann))
}

/// A push body carrying these changes, as the client builds it.
pub fn push_body(changes: &[(String, Vec<u8>)]) -> Vec<u8> {
    let changes = changes
        .iter()
        .map(|(doc, bytes)| {
            let id: DocId = doc.parse().expect("doc id");
            PushChange {
                doc: doc.clone(),
                kind: id.kind(),
                subject: id.subject().map(str::to_string),
                data: B64.encode(bytes),
            }
        })
        .collect();
    serde_json::to_vec(&PushRequest { changes }).expect("json")
}

/// A relay (the real router and SQLite storage) with the fuzz team: Maria,
/// Ann and Bob joined, some changes pushed, compacted, then a few more.
pub struct Relay {
    /// Runs the router and storage.
    pub rt: tokio::runtime::Runtime,
    /// The relay's routes.
    pub router: axum::Router,
    /// Its storage.
    pub storage: Arc<dyn Storage>,
    /// The SQLite file.
    pub db: PathBuf,
    /// A connection for reading what is stored.
    pub conn: rusqlite::Connection,
    _dir: tempfile::TempDir,
}

/// What a push may change: (team seq, compacted, changes, documents, snapshots).
pub type RelayPrint = (i64, i64, i64, i64, i64);

/// A scratch folder in memory when the machine has one.
pub fn scratch() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        if let Ok(d) = tempfile::tempdir_in(shm) {
            return d;
        }
    }
    tempfile::tempdir().expect("tmp")
}

impl Relay {
    /// A new relay with the fuzz team.
    pub fn new() -> Relay {
        let dir = scratch();
        let db = dir.path().join("relay.sqlite3");
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        let storage: Arc<dyn Storage> = Arc::new(SqliteStorage::open(&db).expect("open relay db"));
        let router = kept_relay::router(AppState::new(storage.clone()));
        let conn = rusqlite::Connection::open(&db).expect("open relay db");
        let relay = Relay { rt, router, storage, db, conn, _dir: dir };
        relay.rt.block_on(relay.create_team());
        let (maria, ann) = team_changes(100);
        let (early, late) = ann.split_at(ann.len() - 2);
        for (token, changes) in [(MARIA_TOKEN, &maria[..]), (ANN_TOKEN, early)] {
            let (st, body) = relay.push(token, push_body(changes));
            assert_eq!(st, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        }
        relay.rt.block_on(relay.storage.compact(TEAM)).expect("compact");
        let (st, body) = relay.push(ANN_TOKEN, push_body(late));
        assert_eq!(st, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        relay
    }

    async fn create_team(&self) {
        use kept_relay::api::team::make_invite;
        let t = now().timestamp();
        let (code, invite) = make_invite(TEAM, Role::Manager, Some("Maria".into()), None);
        self.storage.create_team(TEAM, "Fuzz Sales", t, invite).await.expect("team");
        let join = |code: &str, member: &str, token: &str| JoinPlan {
            code_hash: hash_secret(&invite_key(code)),
            device_id: format!("device-{member}"),
            token_hash: hash_secret(token),
            device_name: "fuzz".into(),
            new_member_id: member.into(),
            name: None,
            now: t,
            parent: None,
        };
        self.storage.redeem_invite(join(&code, MARIA, MARIA_TOKEN)).await.expect("join Maria");
        for (name, id, token) in [("Ann", ANN, ANN_TOKEN), ("Bob", BOB, "fuzz-token-bob")] {
            let (code, invite) = make_invite(TEAM, Role::Rep, Some(name.into()), None);
            self.storage.insert_invite(invite).await.expect("invite");
            self.storage.redeem_invite(join(&code, id, token)).await.expect("join rep");
        }
    }

    /// Sends a request through the router; (status, body).
    pub fn send(&self, req: Request<Body>) -> (StatusCode, Vec<u8>) {
        self.rt.block_on(async {
            let resp = self.router.clone().oneshot(req).await.expect("the router is infallible");
            let status = resp.status();
            let body = axum::body::to_bytes(resp.into_body(), usize::MAX).await.expect("body");
            (status, body.to_vec())
        })
    }

    /// `POST /v1/push` with `body`.
    pub fn push(&self, token: &str, body: Vec<u8>) -> (StatusCode, Vec<u8>) {
        let req = Request::post("/v1/push")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .expect("request");
        self.send(req)
    }

    /// `GET /v1/pull?<query>`; None when the query cannot be part of a URI
    /// (the HTTP layer refuses it before the relay sees it).
    pub fn pull(&self, token: &str, query: &str) -> Option<(StatusCode, Vec<u8>)> {
        self.get(token, &format!("/v1/pull?{query}"))
    }

    /// `GET /v1/snapshots?{query}` with `token`; None if the query cannot be a request line.
    pub fn snapshots(&self, token: &str, query: &str) -> Option<(StatusCode, Vec<u8>)> {
        self.get(token, &format!("/v1/snapshots?{query}"))
    }

    /// `GET path` with `token`; None if `path` cannot be a request line.
    fn get(&self, token: &str, path: &str) -> Option<(StatusCode, Vec<u8>)> {
        let req = Request::get(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .ok()?;
        Some(self.send(req))
    }

    /// Everything a push could change.
    pub fn print(&self) -> RelayPrint {
        let one = |sql: &str| -> i64 { self.conn.query_row(sql, [], |r| r.get(0)).expect(sql) };
        (
            one(&format!("SELECT seq FROM team_seq WHERE team_id = '{TEAM}'")),
            one(&format!("SELECT compacted FROM team_seq WHERE team_id = '{TEAM}'")),
            one("SELECT COUNT(*) FROM changes"),
            one("SELECT COUNT(*) FROM docs"),
            one("SELECT COUNT(*) FROM snapshots"),
        )
    }

    /// The hashes (hex) and bytes of every stored change of document `doc`, in seq order.
    pub fn stored_changes(&self, doc: &str) -> Vec<(String, Vec<u8>)> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT c.hash, c.data FROM changes c JOIN docs d ON d.id = c.doc_id \
                 WHERE d.team_id = ?1 AND d.doc = ?2 ORDER BY c.seq",
            )
            .expect("query");
        let rows =
            st.query_map([TEAM, doc], |r| Ok((hex(&r.get::<_, Vec<u8>>(0)?), r.get::<_, Vec<u8>>(1)?))).expect("rows");
        rows.map(|r| r.expect("row")).collect()
    }
}

impl Default for Relay {
    fn default() -> Self {
        Relay::new()
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A fresh copy of Ann's home for every input: one template built once, its
/// database file written anew before each run.
pub struct Homes {
    template: Vec<u8>,
    dir: tempfile::TempDir,
}

/// Everything a write could touch: documents and heads, the outbox, views.
pub type HomePrint = (Vec<String>, Vec<String>, Vec<String>);

impl Homes {
    /// Ann's home: the team document and Maria's target from the relay, three
    /// activities of hers this week, one last week, an action item.
    pub fn new() -> Homes {
        let dir = scratch();
        let home = dir.path().join("template");
        {
            let mut ann = device(&home, ANN, 7);
            let (maria, _) = team_changes(200);
            let mut by_doc: std::collections::BTreeMap<String, Vec<Vec<u8>>> = Default::default();
            for (doc, bytes) in maria {
                if doc == "team" || doc.ends_with(ANN) {
                    by_doc.entry(doc).or_default().push(bytes);
                }
            }
            ann.store_mut()
                .write(|tx| {
                    for (doc, raw) in by_doc {
                        tx.apply(&doc.parse()?, raw, false)?;
                    }
                    Ok(())
                })
                .expect("apply Maria's changes");
            for (kind, day) in [("call", 23), ("call", 24), ("meeting-set", 25)] {
                ann.log_activity(kind, at(day, 11), None).expect("log");
            }
            ann.log_activity("call", at(17, 11), None).expect("log last week");
            ann.add_action("Call Globex back", "2026-11-30", None, None).expect("action");
        }
        let template = std::fs::read(home.join(kept_core::store::DB_FILE)).expect("template");
        Homes { template, dir }
    }

    /// A fresh copy of the template, opened.
    pub fn fresh(&self) -> Kept {
        let home = self.dir.path().join("run");
        let _ = std::fs::remove_dir_all(&home);
        std::fs::create_dir_all(&home).expect("home");
        std::fs::write(home.join(kept_core::store::DB_FILE), &self.template).expect("copy");
        Kept::open(&home, Arc::new(FixedClock::new(now())), IdSource::seeded(11)).expect("open the copy")
    }
}

impl Default for Homes {
    fn default() -> Self {
        Homes::new()
    }
}

/// The documents with their heads, the outbox, and every view row.
pub fn home_print(k: &Kept) -> HomePrint {
    let conn = rusqlite::Connection::open(k.store().path()).expect("db");
    let col = |sql: &str| -> Vec<String> {
        let mut st = conn.prepare_cached(sql).expect(sql);
        let rows = st.query_map([], |r| r.get::<_, String>(0)).expect(sql);
        rows.map(|r| r.expect("row")).collect()
    };
    (
        col("SELECT id || ':' || heads || ':' || length(snapshot) FROM documents ORDER BY id"),
        col("SELECT doc_id || ':' || hash FROM outbox ORDER BY seq"),
        k.store().view_dump().expect("views"),
    )
}

/// The documents an input of the `apply_changes` target can name: Ann's (which
/// she holds or may receive), the team's, and one of Bob's.
pub fn apply_targets() -> Vec<DocId> {
    let w = |s: &str| s.parse().expect("week");
    vec![
        DocId::team(),
        DocId::log(ANN, w("2026-W48")),
        DocId::log(ANN, w("2026-W47")),
        DocId::plan(ANN),
        DocId::coaching(ANN),
        DocId::pipeline(ANN),
        DocId::log(ANN, w("2026-W49")),
        DocId::log(BOB, w("2026-W48")),
    ]
}

/// One piece of an `apply_changes` input: (document, is a snapshot, bytes).
pub type Piece = (DocId, bool, Vec<u8>);

/// Splits an `apply_changes` input into pieces: each is a header byte (low 3
/// bits: the document in [`apply_targets`]; bit 7: a snapshot rather than a
/// change), a little-endian u16 length, then that many bytes (fewer at the end).
pub fn split_pieces(mut data: &[u8]) -> Vec<Piece> {
    let docs = apply_targets();
    let mut out = Vec::new();
    while data.len() >= 3 {
        let head = data[0];
        let len = usize::from(u16::from_le_bytes([data[1], data[2]]));
        let rest = &data[3..];
        let take = len.min(rest.len());
        out.push((docs[usize::from(head & 7)].clone(), head & 0x80 != 0, rest[..take].to_vec()));
        data = &rest[take..];
    }
    out
}

/// The inverse of [`split_pieces`].
pub fn join_pieces(pieces: &[Piece]) -> Vec<u8> {
    let docs = apply_targets();
    let mut out = Vec::new();
    for (doc, snapshot, bytes) in pieces {
        let i = docs.iter().position(|d| d == doc).expect("a target document") as u8;
        out.push(i | if *snapshot { 0x80 } else { 0 });
        out.extend_from_slice(&(bytes.len() as u16).to_le_bytes());
        out.extend_from_slice(bytes);
    }
    out
}

/// Applies pieces the way the sync engine applies a pulled page: ONE
/// transaction; snapshots first (a document not held yet adopts the snapshot,
/// one already held merges its changes), then the changes grouped by document.
/// Returns how many changes were new.
pub fn apply_page(k: &mut Kept, pieces: &[Piece]) -> kept_core::Result<usize> {
    let mut by_doc: std::collections::BTreeMap<String, Vec<Vec<u8>>> = Default::default();
    for (doc, snapshot, bytes) in pieces {
        if !snapshot {
            by_doc.entry(doc.as_str().to_string()).or_default().push(bytes.clone());
        }
    }
    k.store_mut().write(|tx| {
        let mut n = 0;
        for (id, _, bytes) in pieces.iter().filter(|p| p.1) {
            if !tx.adopt_snapshot(id, bytes)? {
                let mut doc = automerge::AutoCommit::load(bytes)?;
                let raw = doc.get_changes(&[]).iter().map(|c| c.raw_bytes().to_vec()).collect();
                n += tx.apply(id, raw, false)?;
            } else {
                n += 1;
            }
        }
        for (doc, raw) in by_doc {
            let id: DocId = doc.parse()?;
            n += tx.apply(&id, raw, false)?;
        }
        Ok(n)
    })
}

/// True when these change bytes (in order) can all be applied to an empty
/// document, as a new device would: the error otherwise.
pub fn applies_cleanly(changes: &[Vec<u8>]) -> Result<(), String> {
    let mut parsed = Vec::with_capacity(changes.len());
    for c in changes {
        parsed.push(Change::from_bytes(c.clone()).map_err(|e| format!("stored change does not parse: {e}"))?);
    }
    let mut doc = automerge::AutoCommit::new();
    doc.apply_changes(parsed).map_err(|e| e.to_string())
}

/// Automerge panics seen (and tolerated) so far.
pub static AUTOMERGE_PANICS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Lets a panic raised inside Automerge's own code unwind (to be caught by
/// the target) instead of aborting the fuzzer; any other panic still aborts.
/// Automerge 0.12 panics on some crafted changes whose checksum is valid
/// ("Obj … Missing from Index" in op_set2/change/batch.rs): a dependency bug,
/// reported, that a client must survive without damage.
///
/// `KEPT_FUZZ_STRICT=1` turns this off (every panic aborts, with its backtrace).
pub fn tolerate_automerge_panics() {
    if std::env::var_os("KEPT_FUZZ_STRICT").is_some() {
        return;
    }
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let in_automerge = info.location().is_some_and(|l| l.file().contains("/automerge-0."));
        if in_automerge {
            if AUTOMERGE_PANICS.fetch_add(1, std::sync::atomic::Ordering::Relaxed) == 0 {
                eprintln!("note: tolerating a panic inside Automerge (a known dependency bug): {info}");
            }
            return;
        }
        previous(info)
    }));
}
