//! The real Kept app (Tauri, WebKitGTK) driven through tauri-driver and
//! WebKitWebDriver, against a real relay on 127.0.0.1. Run under Xvfb by
//! scripts/test.sh (`cargo test -p kept-tests --features app-e2e --test app_e2e`).
//!
//! A rep on a phone-sized window joins with an invite, logs calls with one
//! tap (and undoes one), keeps logging while the relay is down, syncs when it
//! is back; the manager's laptop-sized window shows the counts on the board.

mod webdriver;

use kept_tests::{bin_dir, kept_json, kept_ok, Relay};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use webdriver::Session;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

/// A tauri-driver whose app instances use `home` as their store.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start(home: &Path) -> Driver {
        let exe = which("tauri-driver");
        let port = free_port();
        let native = free_port();
        let child = Command::new(exe)
            .args(["--port", &port.to_string(), "--native-port", &native.to_string()])
            .args(["--native-driver", "/usr/bin/WebKitWebDriver"])
            .env("KEPT_HOME", home)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start tauri-driver");
        let d = Driver { child, port };
        let t0 = Instant::now();
        while ureq::get(&format!("http://127.0.0.1:{port}/status")).call().is_err() {
            assert!(t0.elapsed() < Duration::from_secs(30), "tauri-driver did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        d
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn which(name: &str) -> std::path::PathBuf {
    let mut candidates: Vec<std::path::PathBuf> =
        std::env::var_os("PATH").map(|p| std::env::split_paths(&p).map(|d| d.join(name)).collect()).unwrap_or_default();
    if let Some(h) = std::env::var_os("HOME") {
        candidates.push(std::path::PathBuf::from(h).join(".cargo/bin").join(name));
    }
    candidates
        .into_iter()
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{name} not found: scripts/install-deps.sh --app installs it"))
}

fn app() -> String {
    let p = bin_dir().join("kept-app");
    assert!(p.is_file(), "{} missing: build it with `cargo build -p kept-app` (scripts/test.sh does)", p.display());
    p.to_string_lossy().into_owned()
}

/// No element sticks out sideways: the page never scrolls horizontally.
fn assert_no_overflow(s: &Session, what: &str) {
    let v = s.exec(
        "const w = document.documentElement.clientWidth; \
         const wide = [...document.querySelectorAll('body *')].filter(e => { \
           const r = e.getBoundingClientRect(); \
           return r.width > 0 && r.right > w + 1 && r.left < w && getComputedStyle(e).position !== 'fixed' \
             && !e.closest('[data-scroll-x], .table-scroll, .scroll-x'); }); \
         return {scroll: document.documentElement.scrollWidth, width: w, wide: wide.slice(0, 5).map(e => e.outerHTML.slice(0, 120))};",
    );
    let (scroll, width) = (v["scroll"].as_i64().unwrap_or(0), v["width"].as_i64().unwrap_or(0));
    assert!(scroll <= width, "{what}: the page scrolls sideways ({scroll} > {width})");
    let wide = v["wide"].as_array().map(Vec::len).unwrap_or(0);
    assert_eq!(wide, 0, "{what}: elements stick out of the viewport: {}", v["wide"]);
}

#[test]
fn a_rep_logs_offline_on_a_phone_and_the_manager_sees_it_on_the_board() {
    let dir = tempfile::tempdir().expect("tmp");
    let shots = bin_dir().join("e2e-screenshots");
    let _ = std::fs::create_dir_all(&shots);
    let db = dir.path().join("relay.sqlite3");
    let relay = Relay::start(&db, "127.0.0.1:0");
    let url = relay.url.clone();
    let port = relay.port();
    let (mia, anna) = (dir.path().join("mia"), dir.path().join("anna"));
    let team = relay.admin(&["team", "create", "--name", "Acme Sales", "--manager", "Mia"]);
    kept_ok(&mia, &["join", &url, team["invite"].as_str().expect("invite")]);
    kept_ok(&mia, &["target", "set", "call", "20"]).len(); // the manager's own plan: harmless
    let code =
        kept_json(&mia, &["invite", "--role", "rep", "--name", "Anna"])["code"].as_str().expect("code").to_string();

    // The rep's phone: onboarding with the invite.
    let rep_driver = Driver::start(&anna);
    let rep = Session::start(rep_driver.port, &app());
    rep.resize(360, 740);
    rep.click("[data-testid=onb-join-tab]");
    rep.type_in("[data-testid=onb-url]", &url);
    rep.type_in("[data-testid=onb-invite]", &code);
    rep.click("[data-testid=onb-join]");
    rep.wait("[data-testid=log-call]");
    rep.screenshot(&shots.join("rep-today.png"));
    assert_no_overflow(&rep, "Today at 360 px");

    // One tap, one call; three taps, then undo the last.
    for n in 1..=3 {
        rep.click("[data-testid=log-call]");
        rep.wait_text("[data-testid=log-count-call]", |t| t.trim() == n.to_string());
    }
    rep.click("[data-testid=undo]");
    rep.wait_text("[data-testid=log-count-call]", |t| t.trim() == "2");
    rep.wait_text("[data-testid=pending-count]", |t| t.trim().starts_with('0') || t.trim().is_empty());

    // No network: the relay goes away; logging still works and waits.
    relay.kill();
    rep.click("[data-testid=log-meeting-set]");
    rep.wait_text("[data-testid=log-count-meeting-set]", |t| t.trim() == "1");
    rep.click("[data-testid=sync-indicator]");
    let t0 = Instant::now();
    while rep.attr("[data-testid=sync-indicator]", "data-state").as_deref() != Some("offline") {
        assert!(t0.elapsed() < Duration::from_secs(45), "the app never said it was offline: {}", rep.page_text());
        std::thread::sleep(Duration::from_millis(200));
    }
    rep.wait_text("[data-testid=pending-count]", |t| t.chars().any(|c| c.is_ascii_digit() && c != '0'));
    rep.screenshot(&shots.join("rep-offline.png"));

    // The relay is back: a tap on the indicator syncs.
    let relay = Relay::start(&db, &format!("127.0.0.1:{port}"));
    let t0 = Instant::now();
    loop {
        rep.click("[data-testid=sync-indicator]");
        std::thread::sleep(Duration::from_millis(700));
        if rep.attr("[data-testid=sync-indicator]", "data-state").as_deref() == Some("synced") {
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(60), "never synced after the relay came back: {}", rep.page_text());
    }
    rep.wait_text("[data-testid=pending-count]", |t| t.trim().starts_with('0') || t.trim().is_empty());

    // The manager's laptop: the board shows the rep's counts.
    let mgr_driver = Driver::start(&mia);
    let mgr = Session::start(mgr_driver.port, &app());
    mgr.resize(1440, 900);
    mgr.click("[data-testid=nav-board]");
    mgr.wait_text("[data-testid=board-cell-Anna-call]", |t| t.trim().starts_with('2'));
    mgr.wait_text("[data-testid=board-cell-Anna-meeting-set]", |t| t.trim().starts_with('1'));
    mgr.screenshot(&shots.join("manager-board.png"));
    mgr.wait("[data-testid=signs-panel]");

    // Recognition travels live: the manager gives kudos, the rep's open app shows it.
    mgr.click("[data-testid=kudos-to] option[value=Anna]");
    mgr.type_in("[data-testid=kudos-text]", "Two calls before nine!");
    mgr.click("[data-testid=kudos-give]");
    mgr.wait_text("[data-testid=kudos-feed]", |t| t.contains("Two calls before nine!"));
    rep.click("[data-testid=nav-week]");
    rep.wait_text("[data-testid=kudos-feed]", |t| t.contains("Two calls before nine!"));
    rep.screenshot(&shots.join("rep-week.png"));
    assert_no_overflow(&rep, "Week at 360 px");
    rep.click("[data-testid=nav-actions]");
    assert_no_overflow(&rep, "Actions at 360 px");

    // The rep's pipeline on the phone: a deal added in the Pipeline tab.
    rep.click("[data-testid=nav-pipeline]");
    rep.type_in("[data-testid=deal-name]", "Globex renewal");
    rep.type_in("[data-testid=deal-amount]", "25000");
    rep.click("[data-testid=deal-add]");
    rep.wait_text("[data-testid=pipeline-total]", |t| t.contains("25"));
    assert!(rep.page_text().contains("Globex renewal"), "the new deal is listed: {}", rep.page_text());
    assert_no_overflow(&rep, "Pipeline at 360 px");
    rep.screenshot(&shots.join("rep-pipeline.png"));

    // Yesterday's 1-on-1 (opened by the manager): the rep rates it in one tap
    // and the manager's board shows the rep's rating beside her own.
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(1)).format("%Y-%m-%d").to_string();
    let m = kept_json(&mia, &["meeting", "open", "--rep", "Anna", "--date", &yesterday]);
    let mid = m["meeting"]["id"].as_str().expect("meeting id").to_string();
    kept_ok(&mia, &["meeting", "rate", &mid, "5"]);
    kept_ok(&mia, &["sync"]);
    let rate = format!("[data-testid=rate-{mid}-4]");
    let t0 = Instant::now();
    while rep.find(&rate).is_none() {
        assert!(t0.elapsed() < Duration::from_secs(60), "no rating prompt for the 1-on-1: {}", rep.page_text());
        rep.click("[data-testid=sync-indicator]");
        std::thread::sleep(Duration::from_millis(700));
        rep.click("[data-testid=nav-week]");
        rep.click("[data-testid=nav-today]");
    }
    rep.click(&rate);
    rep.wait(&format!("[data-testid=rate-done-{mid}]"));
    rep.screenshot(&shots.join("rep-rated.png"));
    rep.click("[data-testid=sync-indicator]");
    let t0 = Instant::now();
    loop {
        mgr.click("[data-testid=nav-week]");
        mgr.click("[data-testid=nav-board]");
        std::thread::sleep(Duration::from_millis(700));
        let row = mgr.find("[data-testid=habit-row-Anna]").map(|e| mgr.text(&e));
        if row.as_deref().is_some_and(|t| t.contains("4 / 5") && t.contains("5 / 5")) {
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(60), "the board never showed Anna's rating 4 beside 5: {row:?}");
    }
    mgr.screenshot(&shots.join("manager-coaching-habit.png"));
    drop(relay);
}
