//! The real Kept app (Tauri, WebKitGTK) driven through tauri-driver and
//! WebKitWebDriver, against a real relay on 127.0.0.1. Run under Xvfb by
//! scripts/test.sh (`cargo test -p kept-tests --features app-e2e --test app_e2e`).
//!
//! A rep on a phone-sized window joins with an invite, logs calls with one
//! tap (and undoes one), keeps logging while the relay is down, syncs when it
//! is back; the manager's laptop-sized window shows the counts on the board,
//! and makes a code for another device of her own (text and QR code) that a
//! new device joins with.
//!
//! A second test points a device at a relay that never answers: while "sync
//! now" hangs, a tap on Today is counted at once and the sync panel names the
//! changes set aside, discards one and retries the other.

mod webdriver;

use kept_core::model::Role;
use kept_core::{IdSource, InitOptions, Kept, SystemClock};
use kept_tests::{bin_dir, kept_json, kept_ok, Relay};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
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
    kept_ok(&mia, &["target", "set", "call", "20"]); // the manager's own plan: harmless
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

    // The manager's Actions list names each item's rep and owner, never a raw id.
    let item =
        kept_json(&mia, &["action", "add", "Ask Initech for two referrals", "--due", "2030-01-15", "--owner", "Anna"]);
    let item_id = item["id"].as_str().expect("item id").to_string();
    mgr.click("[data-testid=nav-week]");
    mgr.click("[data-testid=nav-actions]");
    let who = mgr.wait_text(&format!("[data-testid=action-who-{item_id}]"), |t| t.contains("Owner: Anna"));
    assert!(who.contains("For Anna"), "{who}");
    let page = mgr.page_text();
    let raw_id = page
        .split(|c: char| !(c.is_ascii_hexdigit() || c == '-'))
        .any(|w| w.len() == 36 && w.matches('-').count() == 4);
    assert!(!raw_id, "a member id shows on the Actions screen: {page}");

    // A 1-on-1 with Anna: the notes save as the manager types (no Save click)
    // into the meeting's collaborative text.
    mgr.click("[data-testid=nav-board]");
    mgr.click("[data-testid=board-row-Anna] button.rep");
    mgr.click("[data-testid=rep-tab-meeting]");
    mgr.click("[data-testid=meeting-start-here]");
    mgr.type_in("[data-testid=meeting-notes]", "Agreed: two referral asks a day.");
    mgr.wait_text("[data-testid=notes-state]", |t| t.trim() == "Saved");
    let meetings = kept_json(&mia, &["meeting", "list", "--rep", "Anna"]);
    assert!(
        meetings.as_array().expect("meetings").iter().any(|m| m["notes"] == "Agreed: two referral asks a day."),
        "the typed notes are in the store: {meetings}"
    );
    mgr.click("[data-testid=rep-back]");

    // Settings → Add a device: a one-time code for the manager's own phone,
    // as text and as a QR code; the phone joins with it as the same member.
    mgr.click("[data-testid=nav-settings]");
    mgr.click("[data-testid=device-invite-create]");
    let code = mgr.wait_text("[data-testid=device-invite-code]", |t| !t.trim().is_empty()).trim().to_string();
    mgr.wait("[data-testid=device-invite-qr] svg");
    let relay_shown = mgr.find("[data-testid=device-invite-relay]").map(|e| mgr.text(&e)).unwrap_or_default();
    assert_eq!(relay_shown.trim(), url, "the panel names the relay the QR code points to");
    mgr.exec("document.querySelector('[data-testid=add-device]').scrollIntoView({block: 'start'})");
    mgr.screenshot(&shots.join("add-a-device.png"));
    // The same panel on the rep's phone: nothing sticks out at 360 px.
    rep.click("[data-testid=nav-settings]");
    rep.click("[data-testid=device-invite-create]");
    rep.wait("[data-testid=device-invite-qr] svg");
    assert_no_overflow(&rep, "Add a device at 360 px");
    rep.exec("document.querySelector('[data-testid=add-device]').scrollIntoView({block: 'start'})");
    rep.screenshot(&shots.join("rep-add-a-device.png"));
    let phone = dir.path().join("mia-phone");
    kept_ok(&phone, &["join", &url, &code]);
    let members = kept_json(&mia, &["members"]);
    let mia_id = members.as_array().expect("members").iter().find(|m| m["name"] == "Mia").expect("Mia")["id"].clone();
    let devices = kept_json(&phone, &["devices"]);
    let hers = devices.as_array().expect("devices").iter().filter(|d| d["member_id"] == mia_id).count();
    assert_eq!(hers, 2, "Mia's laptop and her phone, one member: {devices}");
    drop(relay);
}

/// A device whose relay accepts connections and never answers (the kernel
/// queues them in the listen backlog): every request waits for its timeout.
#[test]
fn a_tap_is_counted_while_a_sync_hangs_on_a_silent_relay() {
    let dir = tempfile::tempdir().expect("tmp");
    let shots = bin_dir().join("e2e-screenshots");
    let _ = std::fs::create_dir_all(&shots);
    let silent = TcpListener::bind("127.0.0.1:0").expect("listen");
    let url = format!("http://{}", silent.local_addr().expect("addr"));
    let home = dir.path().join("ann");
    let opts =
        InitOptions { team: "Acme".into(), me: "Ann".into(), role: Role::Rep, time_zone: None, week_start: None };
    let mut k = Kept::init(&home, opts, Arc::new(SystemClock), IdSource::random()).expect("init");
    k.log_activity("call", Default::default(), None).expect("log a call");
    let pipeline = format!("pipeline/{}", k.me().id);
    k.store_mut().set_meta("relay_url", &url).expect("relay");
    k.store_mut().set_meta("token", "t").expect("token");
    drop(k);
    set_aside(&home, &pipeline);

    let driver = Driver::start(&home);
    let s = Session::start(driver.port, &app());
    s.resize(360, 740);
    s.wait_text("[data-testid=log-count-call]", |t| t.trim() == "1");

    // "Sync now": it waits on the silent relay (up to the client's 60 s timeout).
    s.click("[data-testid=sync-indicator]");
    let t0 = Instant::now();
    while s.attr("[data-testid=sync-indicator]", "aria-busy").as_deref() != Some("true") {
        assert!(t0.elapsed() < Duration::from_secs(5), "sync now never started: {}", s.page_text());
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500)); // the sync is on the wire now

    // A tap on Today is counted at once, while the sync still hangs.
    let tap = Instant::now();
    s.click("[data-testid=log-call]");
    s.wait_text("[data-testid=log-count-call]", |t| t.trim() == "2");
    let took = tap.elapsed();
    assert!(took < Duration::from_secs(3), "the tap took {took:?} while a sync waited on the relay");
    assert_eq!(
        s.attr("[data-testid=sync-indicator]", "aria-busy").as_deref(),
        Some("true"),
        "the sync should still be waiting on the silent relay"
    );
    eprintln!("tap counted in {took:?} while sync now hung");

    // The sync panel names what is set aside, still while the sync hangs.
    s.click("[data-testid=nav-settings]");
    s.wait_text("[data-testid=quarantine-count]", |t| t.trim() == "2");
    let panel = s.find("[data-testid=quarantine]").map(|e| s.text(&e)).unwrap_or_default();
    for want in ["refused by the relay", "could not be applied", "Activity log of Ann", "Pipeline of Ann", "409"] {
        assert!(panel.contains(want), "the panel does not say {want:?}: {panel}");
    }
    assert_no_overflow(&s, "the sync panel at 360 px");
    let t0 = Instant::now();
    while s.find("[data-testid=toast]").is_some() && t0.elapsed() < Duration::from_secs(8) {
        std::thread::sleep(Duration::from_millis(200)); // the "Calls logged" toast, out of the picture
    }
    s.exec(
        "document.querySelector('[data-testid=quarantine]').scrollIntoView({block: 'start'}); window.scrollBy(0, -60);",
    );
    s.screenshot(&shots.join("sync-panel-quarantine.png"));
    // Discard asks first; then the received change is gone.
    let ids = s.exec(
        "return [...document.querySelectorAll('[data-testid^=quarantine-reason-]')].map(e => e.dataset.testid.split('-').pop());",
    );
    let ids: Vec<String> = ids.as_array().expect("ids").iter().filter_map(|v| v.as_str().map(str::to_string)).collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    let (push, pull) = (&ids[0], &ids[1]);
    s.click(&format!("[data-testid=quarantine-discard-{pull}]"));
    s.wait(&format!("[data-testid=quarantine-discard-confirm-{pull}]"));
    assert_no_overflow(&s, "the discard confirmation at 360 px");
    s.click(&format!("[data-testid=quarantine-discard-confirm-{pull}]"));
    s.wait_text("[data-testid=quarantine-count]", |t| t.trim() == "1");
    // Retry puts the refused change back in the outbox.
    let pending: u64 =
        s.wait_text("[data-testid=pending-count]", |t| t.trim().parse::<u64>().is_ok()).trim().parse().unwrap_or(0);
    s.click(&format!("[data-testid=quarantine-retry-{push}]"));
    let t0 = Instant::now();
    while s.find("[data-testid=quarantine]").is_some() {
        assert!(t0.elapsed() < Duration::from_secs(10), "retry left it set aside: {}", s.page_text());
        std::thread::sleep(Duration::from_millis(100));
    }
    s.wait_text("[data-testid=pending-count]", |t| t.trim() == (pending + 1).to_string());
    drop(silent);
}

/// Sets two changes aside in `home`'s store, as a sync would have: the
/// call logged (its change leaves the outbox) refused by the relay, and a
/// received change of `pipeline` this device could not apply.
fn set_aside(home: &Path, pipeline: &str) {
    let db = rusqlite::Connection::open(home.join(kept_core::store::DB_FILE)).expect("open the store");
    let at = chrono::Utc::now().to_rfc3339();
    db.execute(
        "INSERT INTO quarantine (direction, doc_id, hash, bytes, reason, at) \
         SELECT 'push', doc_id, hash, bytes, ?1, ?2 FROM outbox WHERE doc_id LIKE 'log/%' ORDER BY seq LIMIT 1",
        rusqlite::params!["the relay refused it (409): this change's actor sequence number is already used", at],
    )
    .expect("set the call aside");
    db.execute("DELETE FROM outbox WHERE seq = (SELECT min(seq) FROM outbox WHERE doc_id LIKE 'log/%')", [])
        .expect("leave the outbox");
    db.execute(
        "INSERT INTO quarantine (direction, doc_id, hash, bytes, reason, at) VALUES ('pull', ?1, ?2, ?3, ?4, ?5)",
        rusqlite::params![
            pipeline,
            "5e".repeat(32),
            b"not an automerge change".to_vec(),
            "this device could not apply it: missing dependency 9c1f…",
            at
        ],
    )
    .expect("set a received change aside");
}
