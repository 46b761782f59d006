//! Bootstrap of a manager's NEW device: from nothing (join with a device
//! invite) to the board and 12-week trends rendered from the local store,
//! beside automerge-repo's own sync server moving the same documents (saved
//! from the bootstrapped store) to a client that asks for every one.

use crate::relay::RelayProc;
use crate::team::{self, TeamData};
use kept_core::model::Role;
use kept_core::protocol::InviteRequest;
use kept_core::sync::client::RelayClient;
use kept_core::sync::JoinOptions;
use kept_core::{IdSource, Kept};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

pub struct Bootstrap {
    /// Seconds from join to the board and trends rendered.
    pub kept_s: f64,
    /// Of which: the sync (join + pull + apply).
    pub join_s: f64,
    /// The reference, or why it is missing.
    pub repo: Result<RepoFetch, String>,
    pub docs: usize,
    pub changes: i64,
    /// Snapshots the relay holds (compacted documents).
    pub snapshots: i64,
    pub activities: i64,
    /// The manager's new device, for the board figure.
    pub manager: Kept,
}

pub struct RepoFetch {
    /// Seconds from the client's connection being ready to every document loaded.
    pub s: f64,
    /// Seconds from the client's start (connection handshake included).
    pub total_s: f64,
    pub docs: usize,
    pub activities: i64,
}

pub fn run(t: &TeamData, tmp: &Path, node: bool) -> Bootstrap {
    let db = tmp.join("bootstrap-relay.sqlite3");
    team::copy_db(&t.relay_db, &db);
    let relay = RelayProc::start(db.to_str().expect("utf-8"));
    let (changes, snapshots): (i64, i64) = rusqlite::Connection::open(&db)
        .and_then(|c| {
            c.query_row("SELECT (SELECT COUNT(*) FROM changes), (SELECT COUNT(*) FROM snapshots)", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
        })
        .unwrap_or((-1, -1));
    let invite = RelayClient::new(&relay.url, Some(t.manager_token.clone()))
        .invite(&InviteRequest { role: Role::Manager, name: None, member_id: Some(t.manager_member.clone()) })
        .expect("device invite");
    let opts = JoinOptions {
        url: relay.url.clone(),
        invite: invite.code,
        name: None,
        device_name: "new laptop".into(),
        allow_insecure: false,
    };
    let home = tmp.join("new-laptop");
    let t0 = Instant::now();
    let (manager, _) = Kept::join(&home, &opts, team::clock(), IdSource::random()).expect("join");
    let join_s = t0.elapsed().as_secs_f64();
    let board = manager.board(None).expect("board");
    let trends = manager.trends(None, 12).expect("trends");
    let kept_s = t0.elapsed().as_secs_f64();
    drop(relay);
    assert_eq!(board.rows.len(), t.reps, "the board shows every rep");
    assert!(!trends.weeks.is_empty());
    let activities: i64 = rusqlite::Connection::open(manager.store().path())
        .expect("db")
        .query_row("SELECT COUNT(*) FROM activities", [], |r| r.get(0))
        .expect("count");
    assert_eq!(activities as usize, t.activities, "every activity arrived");

    // The same documents, as Automerge saves them, for the reference peer.
    let docs_dir = tmp.join("am-docs");
    std::fs::create_dir_all(&docs_dir).expect("mkdir");
    let ids = manager.store().doc_ids().expect("doc ids");
    for (i, id) in ids.iter().enumerate() {
        let mut doc = manager.store().load(id).expect("load").expect("doc");
        std::fs::write(docs_dir.join(format!("{i:06}.bin")), doc.save()).expect("write doc");
    }
    let repo = if node {
        automerge_repo(&docs_dir, tmp, 240_000)
    } else {
        Err("skipped (quick mode without node_modules)".into())
    };
    Bootstrap { kept_s, join_s, repo, docs: ids.len(), changes, snapshots, activities, manager }
}

/// bench/automerge-repo (node_modules installed by `npm ci` when missing).
pub fn peer_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../bench/automerge-repo")
}

pub fn node_ready(install: bool) -> Result<(), String> {
    let dir = peer_dir();
    if dir.join("node_modules/@automerge/automerge-repo").is_dir() {
        return Ok(());
    }
    if !install {
        return Err("bench/automerge-repo/node_modules missing".into());
    }
    eprintln!("installing the automerge-repo peer (npm ci in {}) …", dir.display());
    // `npm ci` is exact; npm 11 refuses some lock files that leave out other
    // platforms' optional packages (cbor-extract), so fall back to `npm install`.
    for args in [["ci", "--no-audit", "--no-fund"], ["install", "--no-audit", "--no-fund"]] {
        let ok = Command::new("npm")
            .args(args)
            .current_dir(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map_err(|e| format!("npm: {e}"))?;
        if ok.success() {
            return Ok(());
        }
    }
    Err("npm ci and npm install failed".into())
}

fn node(args: &[&str]) -> Command {
    let mut c = Command::new("node");
    c.arg(peer_dir().join("peer.mjs")).args(args).current_dir(peer_dir());
    c
}

/// automerge-repo's sync server serving the saved documents in `docs` and a
/// client fetching every one, given `deadline_ms` (else how far it got).
pub fn automerge_repo(docs: &Path, tmp: &Path, deadline_ms: u64) -> Result<RepoFetch, String> {
    std::fs::create_dir_all(tmp).map_err(|e| e.to_string())?;
    let storage = tmp.join("am-storage");
    let urls = tmp.join("am-urls.json");
    let s = |p: &Path| p.to_str().expect("utf-8").to_string();
    let out = node(&["import", &s(docs), &s(&storage), &s(&urls)]).output().map_err(|e| format!("node: {e}"))?;
    if !out.status.success() {
        return Err(format!("import failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    let mut server = node(&["serve", &s(&storage)])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("node: {e}"))?;
    let mut line = String::new();
    let mut reader = BufReader::new(server.stdout.take().expect("stdout"));
    reader.read_line(&mut line).map_err(|e| e.to_string())?;
    std::thread::spawn(move || {
        let mut sink = String::new();
        while reader.read_line(&mut sink).map(|n| n > 0).unwrap_or(false) {
            sink.clear();
        }
    });
    let result = (|| {
        let port = line.trim().strip_prefix("listening ").ok_or(format!("server said: {line}"))?.to_string();
        let out = node(&["fetch", &port, &s(&urls)])
            .env("DEADLINE_MS", deadline_ms.to_string())
            .output()
            .map_err(|e| format!("node: {e}"))?;
        if !out.status.success() {
            return Err(format!("fetch failed: {}", String::from_utf8_lossy(&out.stderr)));
        }
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
        let (docs, wanted) = (v["docs"].as_u64().unwrap_or(0), v["wanted"].as_u64().unwrap_or(0));
        if docs < wanted {
            return Err(format!(
                "the automerge-repo client loaded only {docs} of {wanted} documents in {:.0} s ({} retries)",
                v["ms"].as_f64().unwrap_or(f64::NAN) / 1e3,
                v["retries"]
            ));
        }
        Ok(RepoFetch {
            s: v["ms"].as_f64().unwrap_or(f64::NAN) / 1e3,
            total_s: v["total_ms"].as_f64().unwrap_or(f64::NAN) / 1e3,
            docs: v["docs"].as_u64().unwrap_or(0) as usize,
            activities: v["activities"].as_i64().unwrap_or(-1),
        })
    })();
    let _ = server.kill();
    let _ = server.wait();
    result
}
