//! Helpers for Kept's cross-crate end-to-end tests: run the real `kept` and
//! `kept-relay` binaries (built by the harness itself, once per test process)
//! against real SQLite files and a real relay on 127.0.0.1.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The folder holding the workspace's binaries (next to the test executable's `deps/`).
pub fn bin_dir() -> PathBuf {
    static BUILT: std::sync::OnceLock<Result<PathBuf, String>> = std::sync::OnceLock::new();
    match BUILT.get_or_init(build_bins) {
        Ok(dir) => dir.clone(),
        Err(e) => panic!("{e}"),
    }
}

/// Builds `kept` and `kept-relay` into the target directory this test runs
/// from (same profile), once per test process: `cargo test` on a fresh
/// checkout runs the real, current binaries (cargo holds no lock while tests run).
fn build_bins() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("test executable path: {e}"))?;
    // Tests run from target/<profile>/deps/, binaries (the bench) from target/<profile>/.
    let mut dir = exe.parent().ok_or("test executable has no folder")?.to_path_buf();
    if dir.ends_with("deps") {
        dir.pop();
    }
    let target = dir.parent().ok_or("no target directory")?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(&cargo);
    // Exactly the README's `cargo build --bins` (the same features), so the
    // two never rebuild each other's artifacts.
    cmd.args(["build", "-q", "--bins", "--target-dir"]).arg(target);
    if dir.ends_with("release") {
        cmd.arg("--release");
    }
    cmd.current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."));
    match cmd.output() {
        Ok(out) if out.status.success() => {}
        Ok(out) => {
            return Err(format!(
                "building kept and kept-relay for the end-to-end tests failed (`cargo build --bins` shows why): {}",
                String::from_utf8_lossy(&out.stderr)
            ))
        }
        // No cargo here (the bench run as a plain binary): use what was built.
        Err(_) => {}
    }
    for b in ["kept", "kept-relay"] {
        if !dir.join(b).is_file() {
            return Err(format!("{} is missing: run `cargo build --bins`", dir.join(b).display()));
        }
    }
    Ok(dir)
}

/// Runs `kept --home HOME args…` and returns its output.
pub fn kept(home: &Path, args: &[&str]) -> Output {
    Command::new(bin_dir().join("kept")).arg("--home").arg(home).args(args).output().expect("run kept")
}

/// Runs `kept`, expects success, returns stdout.
pub fn kept_ok(home: &Path, args: &[&str]) -> String {
    let out = kept(home, args);
    assert!(
        out.status.success(),
        "kept {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs `kept … --json`, expects success, parses stdout.
pub fn kept_json(home: &Path, args: &[&str]) -> serde_json::Value {
    let mut a = args.to_vec();
    a.push("--json");
    let out = kept_ok(home, &a);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("kept {args:?}: bad JSON ({e}): {out}"))
}

/// A relay process on 127.0.0.1, killed on drop.
pub struct Relay {
    child: Child,
    /// Its base URL.
    pub url: String,
    /// Its database file.
    pub db: PathBuf,
}

impl Relay {
    /// Starts `kept-relay serve` on `listen` (e.g. `127.0.0.1:0`) and waits until it answers.
    pub fn start(db: &Path, listen: &str) -> Relay {
        let mut child = Command::new(bin_dir().join("kept-relay"))
            .args(["serve", "--listen", listen, "--db"])
            .arg(db)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start kept-relay");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("relay prints its address");
        let url = line.trim().rsplit(' ').next().expect("url").to_string();
        assert!(url.starts_with("http://127.0.0.1:"), "unexpected relay banner: {line}");
        let relay = Relay { child, url, db: db.to_path_buf() };
        relay.wait_healthy();
        relay
    }

    fn wait_healthy(&self) {
        let client = kept_core::sync::client::RelayClient::new(&self.url, None);
        let t0 = Instant::now();
        while client.health().is_err() {
            assert!(t0.elapsed() < Duration::from_secs(20), "relay at {} never became healthy", self.url);
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Resident memory of the relay process in KiB (Linux /proc), if readable.
    pub fn rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        status.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok()
    }

    /// Peak resident memory of the relay process in KiB (`VmHWM`), if readable.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        status.lines().find(|l| l.starts_with("VmHWM:"))?.split_whitespace().nth(1)?.parse().ok()
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.url.rsplit(':').next().and_then(|p| p.parse().ok()).expect("port")
    }

    /// Runs a `kept-relay` admin command against this relay's database.
    pub fn admin(&self, args: &[&str]) -> serde_json::Value {
        let out = Command::new(bin_dir().join("kept-relay"))
            .args(args)
            .arg("--db")
            .arg(&self.db)
            .arg("--json")
            .output()
            .expect("run kept-relay");
        assert!(out.status.success(), "kept-relay {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).expect("JSON")
    }

    /// Kills the relay (SIGKILL) and waits for it.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
