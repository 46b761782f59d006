//! A `kept-relay` process for the bench (like `kept_tests::Relay`, plus its
//! pid for the memory figure and PostgreSQL URLs for `--db`).

use kept_core::model::Role;
use kept_core::protocol::{InviteRequest, JoinRequest};
use kept_core::sync::client::RelayClient;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The folder of the running bench, where `kept-relay` must be (built with the same profile).
pub fn bin_dir() -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("bench executable path");
    let dir = exe.parent().expect("target dir").to_path_buf();
    assert!(
        dir.join("kept-relay").is_file(),
        "{} is missing: build it first (`cargo build --release -p kept-relay`, or without --release for a debug bench)",
        dir.join("kept-relay").display()
    );
    dir
}

/// The `kept-relay` the bench runs: `$KEPT_BENCH_RELAY` when set (an A/B of
/// two relay builds under the same bench), else the one beside the bench.
pub fn relay_bin() -> std::path::PathBuf {
    match std::env::var_os("KEPT_BENCH_RELAY") {
        Some(p) => p.into(),
        None => bin_dir().join("kept-relay"),
    }
}

/// A relay on 127.0.0.1:0, killed on drop.
pub struct RelayProc {
    child: Child,
    pub url: String,
    pub db: String,
}

impl RelayProc {
    /// Starts `kept-relay serve --db DB` (a SQLite path or a postgres:// URL).
    pub fn start(db: &str) -> RelayProc {
        RelayProc::start_with(db, &[])
    }

    /// Starts `kept-relay serve --db DB` with more `serve` flags.
    pub fn start_with(db: &str, extra: &[&str]) -> RelayProc {
        let mut child = Command::new(relay_bin())
            .args(["serve", "--listen", "127.0.0.1:0", "--db", db])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start kept-relay");
        let stdout = child.stdout.take().expect("stdout");
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        reader.read_line(&mut line).expect("relay prints its address");
        // Keep draining its stdout so it never blocks or fails on a closed pipe.
        std::thread::spawn(move || {
            let mut sink = Vec::new();
            let _ = reader.read_to_end(&mut sink);
        });
        let url = line.trim().rsplit(' ').next().expect("url").to_string();
        assert!(url.starts_with("http://127.0.0.1:"), "unexpected relay banner: {line}");
        let relay = RelayProc { child, url, db: db.to_string() };
        let client = RelayClient::new(&relay.url, None);
        let t0 = Instant::now();
        while client.health().is_err() {
            assert!(t0.elapsed() < Duration::from_secs(20), "relay at {} never became healthy", relay.url);
            std::thread::sleep(Duration::from_millis(20));
        }
        relay
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Joins a new home at `home` with `invite`, on `clock`.
    pub fn join(
        &self,
        invite: &str,
        home: &std::path::Path,
        clock: std::sync::Arc<dyn kept_core::Clock>,
        ids: kept_core::IdSource,
    ) -> kept_core::Kept {
        let opts = kept_core::sync::JoinOptions {
            url: self.url.clone(),
            invite: invite.into(),
            name: None,
            device_name: "bench".into(),
            allow_insecure: false,
        };
        kept_core::Kept::join(home, &opts, clock, ids).expect("join").0
    }

    /// Runs a `kept-relay` admin command against this relay's database.
    pub fn admin(&self, args: &[&str]) -> serde_json::Value {
        admin(&self.db, args)
    }
}

/// Runs a `kept-relay` admin command against `db`.
pub fn admin(db: &str, args: &[&str]) -> serde_json::Value {
    let out = Command::new(relay_bin()).args(args).args(["--db", db, "--json"]).output().expect("run kept-relay");
    assert!(out.status.success(), "kept-relay {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("JSON")
}

/// `kept-relay compact --db DB`: every team's changes folded into snapshots,
/// as the relay's background compactor leaves a long-running relay.
pub fn compact(db: &str) {
    let out = Command::new(relay_bin()).args(["compact", "--db", db]).output().expect("run kept-relay");
    assert!(out.status.success(), "kept-relay compact: {}", String::from_utf8_lossy(&out.stderr));
}

impl Drop for RelayProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A team on `relay`: the manager's client, and `n` joined reps' (member id, client).
pub struct BenchTeam {
    pub reps: Vec<(String, RelayClient)>,
}

pub fn team(relay: &RelayProc, reps: usize) -> BenchTeam {
    let team = relay.admin(&["team", "create", "--name", "Bench", "--manager", "Boss"]);
    let anon = RelayClient::new(&relay.url, None);
    let boss = anon
        .join(&JoinRequest {
            invite: team["invite"].as_str().expect("invite").into(),
            name: None,
            device_name: "bench".into(),
        })
        .expect("join");
    let manager = RelayClient::new(&relay.url, Some(boss.token));
    let mut out = Vec::new();
    for i in 0..reps {
        let inv = manager
            .invite(&InviteRequest { role: Role::Rep, name: Some(format!("rep{i}")), member_id: None })
            .expect("invite");
        let j = anon.join(&JoinRequest { invite: inv.code, name: None, device_name: "bench".into() }).expect("join");
        out.push((j.member_id, RelayClient::new(&relay.url, Some(j.token))));
    }
    BenchTeam { reps: out }
}

/// A throwaway PostgreSQL database on 127.0.0.1:5432 (trust auth), dropped on drop.
pub struct PgDb {
    pub name: String,
    pub url: String,
}

fn psql(sql: &str) -> bool {
    Command::new("psql")
        .args(["-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qAt", "-c", sql])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Runs `sql` in database `db` with psql; its unaligned output (`|`
/// between columns, a line per row), or None when psql failed.
pub fn psql_in(db: &str, sql: &str) -> Option<String> {
    let out = Command::new("psql")
        .args(["-h", "127.0.0.1", "-U", "postgres", "-d", db, "-qAt", "-c", sql])
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

impl PgDb {
    /// None when no PostgreSQL answers (the figure then prints n/a).
    pub fn create() -> Option<PgDb> {
        if !psql("SELECT 1") {
            return None;
        }
        let name = format!("kept_bench_{}", std::process::id());
        psql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        if !psql(&format!("CREATE DATABASE {name}")) {
            return None;
        }
        Some(PgDb { url: format!("postgres://postgres@127.0.0.1:5432/{name}"), name })
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        psql(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
    }
}
