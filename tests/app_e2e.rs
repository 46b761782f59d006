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
//!
//! A third is a screenshot tour of the demo team: every screen as the manager
//! and as a rep, at 360×740 and 1440×900, saved under `e2e-screenshots/tour/`,
//! each checked in the page (nothing wider than the window, no word split
//! across lines in headings, labels, tiles and buttons, the screen opened at
//! its top, no raw member id, money with its currency).
//!
//! A practice challenge goes from the manager's app to an offline rep's
//! phone, is answered with an attached recording, played (its length read by
//! the webview's media element), scored and commented, and the rep reads the
//! feedback.

mod webdriver;

use kept_core::demo::tone_wav;
use kept_core::model::Role;
use kept_core::{IdSource, InitOptions, Kept, SystemClock};
use kept_tests::{bin_dir, kept_json, kept_ok, Relay};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
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
            .process_group(0) // its own group: dropping it ends WebKitWebDriver and the app too
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
        // The whole group: a WebKitWebDriver left behind (e.g. after a failed
        // assertion) would keep holding whatever its parent inherited.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).stderr(Stdio::null()).status();
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

/// Words in headings, labels, tiles, buttons and table cells that the
/// browser split across two lines ("Conversation / s", "2026- / W46"); a
/// compound broken at its hyphen ("4- / week") is fine.
fn split_words(s: &Session) -> Vec<String> {
    let v = s.exec(
        "const bad = []; \
         for (const el of document.querySelectorAll('h1, h2, h3, h4, label, legend, th, td, dt, button, strong, .lbl, .wk, .name')) { \
           if (el.closest('.sr-only')) continue; \
           const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT); let n; \
           while ((n = walk.nextNode())) { \
             const re = /\\S+/g; let m; \
             while ((m = re.exec(n.data))) { \
               if (m[0].length < 3 || /^[\\w']+(-[a-z]+)+[,.;:)]*$/.test(m[0])) continue; \
               const r = document.createRange(); r.setStart(n, m.index); r.setEnd(n, m.index + m[0].length); \
               const tops = new Set([...r.getClientRects()].filter(x => x.width > 0).map(x => Math.round(x.top))); \
               if (tops.size > 1) bad.push(m[0]); \
             } \
           } \
         } \
         return bad.slice(0, 10);",
    );
    v.as_array().map(|a| a.iter().filter_map(|w| w.as_str().map(str::to_string)).collect()).unwrap_or_default()
}

/// Whether `text` holds an amount like "$277,000" (currency, thousands grouped).
fn is_grouped_money(text: &str) -> bool {
    text.split(|c: char| !(c.is_ascii_digit() || c == ',' || c == '$'))
        .any(|w| w.starts_with('$') && w.contains(',') && w[1..].split(',').skip(1).all(|g| g.len() == 3))
}

/// A member id (a UUID) anywhere in the page's text.
fn raw_id_in(text: &str) -> Option<&str> {
    text.split(|c: char| !(c.is_ascii_hexdigit() || c == '-')).find(|w| w.len() == 36 && w.matches('-').count() == 4)
}

/// One screen of the tour, `name` (e.g. `rep-360x740-week`): opened from a
/// scrolled page, it must start at the top; its screenshot is saved as
/// `<shots>/<name>.png`, then what is wrong with it is added to `problems`
/// (the tour reports every screen's problems at once).
fn tour_stop(s: &Session, open: &str, ready: &str, shots: &Path, name: &str, problems: &mut Vec<String>) {
    s.exec("window.scrollTo(0, 400)");
    s.click(open);
    s.wait(ready);
    std::thread::sleep(Duration::from_millis(600)); // the screen's data loads
    let y = s.exec("return window.scrollY").as_f64().unwrap_or(-1.0);
    if y.abs() >= 1.0 {
        problems.push(format!("{name}: opened at scroll position {y}, not at the top"));
    }
    tour_checks(s, shots, name, problems);
}

/// The checks every screen of the tour passes, after its screenshot.
fn tour_checks(s: &Session, shots: &Path, name: &str, problems: &mut Vec<String>) {
    s.screenshot(&shots.join(format!("{name}.png")));
    let v = s.exec("return [document.documentElement.scrollWidth, window.innerWidth]");
    let (scroll, width) = (v[0].as_i64().unwrap_or(0), v[1].as_i64().unwrap_or(0));
    if scroll > width {
        problems.push(format!("{name}: the page scrolls sideways ({scroll} > {width})"));
    }
    let split = split_words(s);
    if !split.is_empty() {
        problems.push(format!("{name}: words split across lines: {split:?}"));
    }
    let text = s.exec("return document.body.innerText").as_str().unwrap_or_default().to_string();
    if let Some(id) = raw_id_in(&text) {
        problems.push(format!("{name}: a raw member id shows: {id}"));
    }
}

#[test]
fn a_screenshot_tour_of_every_screen_as_manager_and_rep_at_phone_and_laptop_size() {
    let dir = tempfile::tempdir().expect("tmp");
    let shots = bin_dir().join("e2e-screenshots").join("tour");
    let _ = std::fs::create_dir_all(&shots);
    let relay = Relay::start(&dir.path().join("relay.sqlite3"), "127.0.0.1:0");
    let team = relay.admin(&["team", "create", "--name", "Demo Sales", "--manager", "Mia"]);
    let homes = dir.path().join("homes");
    let homes_arg = homes.to_string_lossy().into_owned();
    let invite = team["invite"].as_str().expect("invite");
    kept_json(
        dir.path(),
        &["demo", "--relay", &relay.url, "--invite", invite, "--dir", &homes_arg, "--reps", "3", "--weeks", "6"],
    );
    let (mia, anna) = (homes.join("manager"), homes.join("anna"));
    kept_ok(&mia, &["action", "add", "Ask Initech for two referrals", "--due", "2030-01-15", "--owner", "Anna"]);
    kept_ok(&mia, &["sync"]);
    kept_ok(&anna, &["sync"]);

    let screens = ["today", "week", "pipeline", "actions", "practice", "settings"];
    let mut problems = Vec::new();
    for (who, home) in [("manager", &mia), ("rep", &anna)] {
        let driver = Driver::start(home);
        let s = Session::start(driver.port, &app());
        s.wait("[data-testid=nav-today]");
        for (w, h) in [(360, 740), (1440, 900)] {
            s.resize(w, h);
            let size = format!("{w}x{h}");
            for screen in screens {
                let nav = format!("[data-testid=nav-{screen}]");
                tour_stop(&s, &nav, "main h1", &shots, &format!("{who}-{size}-{screen}"), &mut problems);
            }
            // Money carries its currency and groups its thousands ("$277,000", never
            // "$ 277000"): the demo's deals, once the screen has loaded them.
            s.click("[data-testid=nav-pipeline]");
            s.wait_text("[data-testid=pipeline-total]", is_grouped_money);
            if who == "rep" {
                // One tap on Today, then its details: the sheet's Save and Cancel are on screen
                // at once, and an outcome is one tap.
                s.click("[data-testid=nav-today]");
                s.wait("[data-testid=log-count-call]");
                // A tap while the screen is still settling may land before its handler: tap
                // again until the confirmation with its Details button shows.
                let t0 = Instant::now();
                while s.find("[data-testid=toast-details]").is_none() {
                    assert!(t0.elapsed() < Duration::from_secs(30), "no confirmation: {}", s.page_text());
                    s.click("[data-testid=log-call]");
                    let t1 = Instant::now();
                    while s.find("[data-testid=toast-details]").is_none() && t1.elapsed() < Duration::from_secs(5) {
                        std::thread::sleep(Duration::from_millis(100));
                    }
                }
                s.click("[data-testid=toast-details]");
                s.wait("[data-testid=details-save]");
                // The sheet slides in: wait until it stops moving.
                let mut last = serde_json::Value::Null;
                let t0 = Instant::now();
                loop {
                    std::thread::sleep(Duration::from_millis(250));
                    let top = s.exec(
                        "return document.querySelector('[data-testid=details-save]').getBoundingClientRect().top",
                    );
                    if top == last || t0.elapsed() > Duration::from_secs(5) {
                        break;
                    }
                    last = top;
                }
                s.click("[data-testid=outcome-pick-voicemail]");
                let outcome = s.exec("return document.querySelector('[data-testid=details-outcome]').value");
                assert_eq!(outcome.as_str(), Some("Voicemail"), "the quick pick fills the outcome");
                // On screen once the sheet has settled (on a slow machine the slide
                // can still be moving after two equal samples): up to 5 s.
                let on_screen = || {
                    s.exec(
                        "return document.querySelector('[data-testid=details-save]').getBoundingClientRect().bottom \
                         <= window.innerHeight",
                    )
                    .as_bool()
                        == Some(true)
                };
                let t0 = Instant::now();
                let mut bottom = on_screen();
                while !bottom && t0.elapsed() < Duration::from_secs(5) {
                    std::thread::sleep(Duration::from_millis(200));
                    bottom = on_screen();
                }
                if !bottom {
                    problems.push(format!("details sheet at {size}: Save is below the window"));
                }
                tour_checks(&s, &shots, &format!("rep-{size}-details"), &mut problems);
                s.click("[data-testid=details-save]");
            }
            if who == "manager" {
                let row = "[data-testid=board-row-Anna]";
                tour_stop(&s, "[data-testid=nav-board]", row, &shots, &format!("manager-{size}-board"), &mut problems);
                let board = s.text(&s.wait("[data-testid=board-legend]"));
                assert!(board.contains("triangle"), "the legend explains the shapes: {board}");
                let name = "[data-testid=rep-detail-name]";
                tour_stop(
                    &s,
                    &format!("{row} button.rep"),
                    name,
                    &shots,
                    &format!("manager-{size}-rep"),
                    &mut problems,
                );
                for (tab, ready) in [
                    ("prep-open", "[data-testid=prep-talk]"),
                    ("rep-tab-assess", "main h1"),
                    ("rep-tab-meetings", "main h1"),
                ] {
                    s.click(&format!("[data-testid={tab}]"));
                    s.wait(ready);
                    std::thread::sleep(Duration::from_millis(600));
                    tour_checks(&s, &shots, &format!("manager-{size}-{tab}"), &mut problems);
                }
                if w == 1440 {
                    // Ben is the one who needs a conversation this week: his prep leads with at
                    // most three signs, the most serious first, and lists every open item.
                    s.click("[data-testid=rep-back]");
                    s.click("[data-testid=board-row-Ben] button.rep");
                    s.wait_text("[data-testid=rep-detail-name]", |t| t.contains("Ben"));
                    s.click("[data-testid=prep-open]");
                    s.wait("[data-testid=prep-open-items]");
                    std::thread::sleep(Duration::from_millis(600));
                    let severities = s.exec(
                        "return [...document.querySelectorAll('.talk [data-severity]')].map(e => e.dataset.severity)",
                    );
                    let severities: Vec<String> = serde_json::from_value(severities).unwrap_or_default();
                    assert!(!severities.is_empty() && severities.len() <= 3, "Ben's signs: {severities:?}");
                    assert_eq!(severities[0], "alert", "the most serious first: {severities:?}");
                    tour_checks(&s, &shots, "manager-1440x900-prep-ben", &mut problems);
                    s.click("[data-testid=rep-back]");
                    s.click("[data-testid=board-row-Anna] button.rep");
                    s.wait_text("[data-testid=rep-detail-name]", |t| t.contains("Anna"));
                    // A sign acknowledged with a note from the prep leaves this week's list and
                    // shows under "Noted earlier".
                    s.click("[data-testid=prep-open]");
                    s.click("[data-testid=sign-ack]");
                    s.type_in("[data-testid=sign-ack-note]", "Blocked by the Globex launch; agreed a new date");
                    s.click("[data-testid=sign-ack-save]");
                    let noted = s.wait_text("[data-testid=prep-sign-notes]", |t| t.contains("Globex launch"));
                    assert!(noted.contains("agreed a new date"), "{noted}");
                    tour_checks(&s, &shots, &format!("manager-{size}-prep-sign-noted"), &mut problems);
                    // A 1-on-1 from the prep: closing it asks first and sums it up.
                    s.click("[data-testid=prep-open]");
                    s.click("[data-testid=meeting-start]");
                    s.type_in("[data-testid=meeting-notes]", "Two call blocks a day.");
                    s.click("[data-testid=meeting-close]");
                    let summary = s.text(&s.wait("[data-testid=meeting-summary]"));
                    assert!(summary.contains("Notes saved"), "the summary before closing: {summary}");
                    tour_checks(&s, &shots, &format!("manager-{size}-meeting-close"), &mut problems);
                    s.click("[data-testid=meeting-close-confirm]");
                }
                // Back to the board, then the Actions screen: grouped under each rep's name.
                s.click("[data-testid=rep-back]");
                s.click("[data-testid=nav-actions]");
                let group = s.text(&s.wait("[data-testid=actions-group-Anna]"));
                assert!(group.contains("Ask Initech for two referrals"), "Anna's group holds her item: {group}");
            }
        }
    }
    assert!(problems.is_empty(), "the tour found {} problems:\n{}", problems.len(), problems.join("\n"));
    drop(relay);
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

/// The leader's view of the demo's organisation (#17): three teams whose
/// managers coach differently and a finished calibration session. At laptop
/// size the leader sees the teams side by side, finds the manager whose reps
/// rate their 1-on-1s lowest, opens a team's board read-only and sees the
/// calibration's spread; at phone size the screen still fits.
#[test]
fn a_leader_sees_the_teams_the_lowest_rated_manager_and_the_calibration_spread() {
    let dir = tempfile::tempdir().expect("tmp");
    let shots = bin_dir().join("e2e-screenshots").join("leader");
    let _ = std::fs::create_dir_all(&shots);
    let relay = Relay::start(&dir.path().join("relay.sqlite3"), "127.0.0.1:0");
    let org = relay.admin(&["org", "create", "--name", "Demo Org", "--leader", "Dana"]);
    let org_id = org["org_id"].as_str().expect("org id");
    for (name, manager, first, coaching) in
        [("East", "Mia", "0", "steady"), ("North", "Omar", "2", "status-reports"), ("South", "Sofia", "4", "strong")]
    {
        let team = relay.admin(&["team", "create", "--name", name, "--manager", manager, "--org", org_id]);
        let homes = dir.path().join(name.to_lowercase()).to_string_lossy().into_owned();
        let invite = team["invite"].as_str().expect("invite");
        kept_json(
            dir.path(),
            &["demo", "--relay", &relay.url, "--invite", invite, "--dir", &homes, "--reps", "2", "--weeks", "3"]
                .into_iter()
                .chain(["--first-rep", first, "--seed", first, "--coaching", coaching])
                .collect::<Vec<_>>(),
        );
    }
    let dana = dir.path().join("dana");
    kept_ok(&dana, &["join", &relay.url, org["invite"].as_str().expect("invite"), "--device", "laptop"]);
    kept_ok(&dana, &["org", "sync"]);
    let session =
        kept_json(&dana, &["calibrate", "start", "Discovery call: Globex", "--interaction", "discovery-call"]);
    let id = session["id"].as_str().expect("session id");
    kept_ok(&dana, &["sync"]);
    for (name, pain) in [("Mia", "good"), ("Omar", "excellent"), ("Sofia", "poor")] {
        let code = kept_json(&dana, &["invite", "--role", "rep", "--name", name]);
        let home = dir.path().join(format!("coach-{name}"));
        kept_ok(&home, &["join", &relay.url, code["code"].as_str().expect("code"), "--device", "laptop"]);
        kept_ok(&home, &["calibrate", "score", id, &format!("pain={pain}"), "rapport=fair"]);
        kept_ok(&home, &["sync"]);
    }
    kept_ok(&dana, &["sync"]);
    kept_ok(&dana, &["calibrate", "reveal", id]);
    kept_ok(&dana, &["calibrate", "agree", id, "pain=good", "rapport=fair"]);

    let driver = Driver::start(&dana);
    let s = Session::start(driver.port, &app());
    s.resize(1440, 900);
    // A leader's app opens on the organisation.
    s.wait("[data-testid=org-view] [data-testid=org-team]");
    let teams = s.exec("return [...document.querySelectorAll('[data-testid=org-team] h2')].map(e => e.textContent)");
    assert_eq!(teams, serde_json::json!(["East", "North", "South"]), "{}", s.page_text());
    let lowest = s.exec("return document.querySelector('[data-testid=lowest-rated]')?.closest('tr')?.innerText ?? ''");
    let lowest = lowest.as_str().unwrap_or_default();
    assert!(lowest.contains("Omar") && lowest.contains("North"), "the lowest-rated manager is Omar: {lowest}");
    // Syncing the teams from the app: the first screen's weeks, then the
    // older ones (org_sync, then org_catch_up); both end without an error.
    s.exec(
        "const b = document.querySelector('[data-testid=org-sync]'); window.__busy = false; \
         new MutationObserver(() => { if (b.disabled) window.__busy = true; }).observe(b, { attributes: true }); \
         return null",
    );
    s.click("[data-testid=org-sync]");
    std::thread::sleep(std::time::Duration::from_millis(300));
    s.wait_text("[data-testid=org-sync]:not([disabled])", |t| t.contains("Sync teams"));
    assert_eq!(s.exec("return window.__busy"), serde_json::json!(true), "the button showed the sync running");
    let errors = s.exec("return document.querySelector('[data-testid=error-banner]')?.innerText ?? ''");
    assert_eq!(errors, serde_json::json!(""), "syncing the teams from the app failed");
    let spread = s.wait_text("[data-testid=calibration-spread]", |t| t.contains("pain"));
    assert!(spread.contains("Sofia 1") && spread.contains("Omar 4"), "{spread}");
    let leanings = s.wait_text("[data-testid=calibration-leanings]", |t| t.contains("Harshest"));
    assert!(leanings.contains("Harshest: Sofia") && leanings.contains("Most lenient: Omar"), "{leanings}");
    let mut problems = Vec::new();
    tour_checks(&s, &shots, "leader-1440x900-org", &mut problems);
    // Drill down: North's board, read-only, names its reps.
    s.click("[data-testid=org-team]:nth-child(2)");
    let board = s.wait_text("[data-testid=org-team-board]", |t| t.contains("Chloe"));
    assert!(board.contains("North") && board.contains("read-only"), "{board}");
    // …and a rep's week, read-only.
    s.click("[data-testid=org-rep]");
    let week = s.wait_text("[data-testid=org-rep-week]", |t| t.contains("Chloe"));
    assert!(week.contains("Calls") && week.contains("read-only"), "{week}");
    tour_checks(&s, &shots, "leader-1440x900-org-board", &mut problems);
    s.resize(360, 740);
    std::thread::sleep(Duration::from_millis(400));
    assert_no_overflow(&s, "the leader's view at 360 px");
    tour_checks(&s, &shots, "leader-360x740-org", &mut problems);
    assert!(problems.is_empty(), "{problems:#?}");
}

/// A manager brings a Salesforce-style export of a five-rep team into the app
/// (#16) at laptop size: the preview names the CRM, how dates and durations
/// were read, the new activities per rep and type and every bad row with its
/// line and column; importing the good rows reports them, and importing the
/// same file again adds nothing.
#[test]
fn a_manager_previews_and_imports_a_crm_export_in_the_app() {
    let dir = tempfile::tempdir().expect("tmp");
    let shots = bin_dir().join("e2e-screenshots").join("import");
    let _ = std::fs::create_dir_all(&shots);
    let relay = Relay::start(&dir.path().join("relay.sqlite3"), "127.0.0.1:0");
    let team = relay.admin(&["team", "create", "--name", "Acme", "--manager", "Mia"]);
    let mia = dir.path().join("mia");
    kept_ok(&mia, &["join", &relay.url, team["invite"].as_str().expect("invite")]);
    for (i, name) in ["Julia Álvarez", "Søren Møller", "林美玲", "Ben Carter", "Priya Nair"].iter().enumerate() {
        let code = kept_json(&mia, &["invite", "--role", "rep", "--name", name]);
        kept_ok(&dir.path().join(format!("rep{i}")), &["join", &relay.url, code["code"].as_str().expect("code")]);
    }
    kept_ok(&mia, &["sync"]);
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/tests/fixtures/salesforce_team.csv");
    let file = file.canonicalize().expect("fixture");

    let driver = Driver::start(&mia);
    let s = Session::start(driver.port, &app());
    s.resize(1440, 900);
    s.click("[data-testid=nav-settings]");
    s.type_in("[data-testid=import-file]", file.to_str().expect("utf-8 path"));
    let dry = s.wait_text("[data-testid=import-dry]", |t| t.contains("rejected"));
    assert_eq!(s.attr("[data-testid=import-dry]", "data-rejected").as_deref(), Some("7"), "{dry}");
    assert!(s.wait_text("[data-testid=import-recognised]", |_| true).contains("Salesforce"), "{dry}");
    let first = s.wait_text("[data-testid=import-first-rows]", |_| true);
    assert!(first.contains("Julia Álvarez") && first.contains("Müller GmbH"), "the first rows as read: {first}");
    let counts = s.wait_text("[data-testid=import-counts]", |_| true);
    assert!(counts.contains("Julia Álvarez") && counts.contains("林美玲"), "{counts}");
    let rejected = s.wait_text("[data-testid=import-rejected]", |_| true);
    assert!(
        rejected.contains("Line ") && rejected.contains(", "),
        "each bad row names its line and column: {rejected}"
    );
    s.exec("document.querySelector('[data-testid=import-dry]').scrollIntoView()");
    s.screenshot(&shots.join("manager-1440x900-import-preview.png"));
    s.click("[data-testid=import-skip-bad]");
    let done = s.wait_text("[data-testid=import-result]", |t| t.contains("Imported"));
    assert!(done.contains("193"), "{done}");
    // The same file again: everything is already there.
    s.type_in("[data-testid=import-file]", file.to_str().expect("utf-8 path"));
    let again = s.wait_text("[data-testid=import-already]", |t| t.contains("already"));
    assert!(again.contains("193"), "{again}");
}

/// A relay with manager Mia (her laptop) and rep Anna (her phone), both joined and the
/// roster synced; and the folder for this test's screenshots.
fn mia_and_anna(dir: &Path, shots: &str) -> (Relay, std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    let shots = bin_dir().join("e2e-screenshots").join(shots);
    let _ = std::fs::create_dir_all(&shots);
    let relay = Relay::start(&dir.join("relay.sqlite3"), "127.0.0.1:0");
    let team = relay.admin(&["team", "create", "--name", "Acme Sales", "--manager", "Mia"]);
    let (mia, anna) = (dir.join("mia"), dir.join("anna"));
    kept_ok(&mia, &["join", &relay.url, team["invite"].as_str().expect("invite"), "--device", "laptop"]);
    let code = kept_json(&mia, &["invite", "--role", "rep", "--name", "Anna"]);
    kept_ok(&anna, &["join", &relay.url, code["code"].as_str().expect("code"), "--device", "phone"]);
    kept_ok(&mia, &["sync"]);
    (relay, mia, anna, shots)
}

/// Points a home at `url` (a dead port makes the device offline).
fn set_relay(home: &Path, url: &str) {
    let mut k = Kept::open(home, Arc::new(SystemClock), IdSource::random()).expect("open");
    k.store_mut().set_meta("relay_url", url).expect("relay url");
}

/// Picks a score in a `<select>` the way a click would (Svelte listens to `change`).
fn pick(s: &Session, css: &str, value: &str) {
    s.wait(css);
    s.exec(&format!(
        "const e = document.querySelector('{css}'); e.value = '{value}'; e.dispatchEvent(new Event('change', {{bubbles: true}}));"
    ));
}

/// Practice challenges (#18) in the real app: the manager sets one at laptop
/// size; the rep's phone, offline, shows it on Today and answers it by
/// attaching a recording (a generated WAV: this machine has no microphone);
/// after the rep syncs, the manager's app downloads and plays it (the media
/// element reports its length), scores it and comments on a moment; the
/// rep's phone shows the scores and the comment.
#[test]
fn a_rep_answers_a_practice_challenge_offline_and_the_manager_plays_and_scores_it() {
    let dir = tempfile::tempdir().expect("tmp");
    let (relay, mia, anna, shots) = mia_and_anna(dir.path(), "practice");

    // The manager sets the challenge in her app.
    {
        let driver = Driver::start(&mia);
        let s = Session::start(driver.port, &app());
        s.resize(1440, 900);
        s.click("[data-testid=nav-practice]");
        s.click("[data-testid=challenge-new]");
        s.type_in("[data-testid=challenge-prompt]", "Open a discovery call with a positioning statement");
        pick(&s, "[data-testid=challenge-map]", "discovery-call");
        s.click("[data-testid=challenge-send]");
        s.wait_text("[data-testid=challenge-card]", |t| t.contains("Anna") && t.contains("Waiting for the answer"));
        s.screenshot(&shots.join("manager-1440x900-challenge-set.png"));
    }
    kept_ok(&mia, &["sync"]);
    kept_ok(&anna, &["sync"]);

    // The rep's phone, offline from here: Today shows the challenge; she attaches her recording.
    set_relay(&anna, "http://127.0.0.1:9");
    let file = dir.path().join("my-answer.wav");
    std::fs::write(&file, tone_wav(3000)).expect("wav");
    {
        let driver = Driver::start(&anna);
        let s = Session::start(driver.port, &app());
        s.resize(360, 740);
        let due = s.wait_text("[data-testid=practice-due]", |t| t.contains("positioning statement"));
        assert!(due.contains("Due"), "{due}");
        s.screenshot(&shots.join("rep-360x740-today-practice.png"));
        s.click("[data-testid=practice-open]");
        s.type_in("[data-testid=answer-file]", file.to_str().expect("utf-8 path"));
        s.wait("[data-testid=draft-audio]");
        s.screenshot(&shots.join("rep-360x740-answer-draft.png"));
        s.click("[data-testid=answer-send]");
        let status = s.wait_text("[data-testid=answer-status]", |t| !t.is_empty());
        assert!(status.contains("saved on this phone"), "offline, the answer waits on the phone: {status}");
        assert_no_overflow(&s, "Practice at 360 px");
        s.screenshot(&shots.join("rep-360x740-answer-saved-offline.png"));
    }
    set_relay(&anna, &relay.url);
    let synced = kept_json(&anna, &["sync"]);
    assert_eq!(synced["recordings"], 1, "{synced}");
    kept_ok(&mia, &["sync"]);

    // The manager plays it, scores it and comments on a moment.
    {
        let driver = Driver::start(&mia);
        let s = Session::start(driver.port, &app());
        s.resize(1440, 900);
        s.click("[data-testid=nav-practice]");
        s.wait_text("[data-testid=challenge-card]", |t| t.contains("Ready to review"));
        s.click("[data-testid=answer-play]");
        let t0 = Instant::now();
        while s.find("[data-testid=answer-duration]").is_none() {
            let state = s.exec(
                "const a = document.querySelector('[data-testid=answer-audio]'); \
                 return a ? {ready: a.readyState, network: a.networkState, error: a.error && a.error.code, \
                 message: a.error && a.error.message, src: a.currentSrc.slice(0, 40)} : null",
            );
            assert!(t0.elapsed() < Duration::from_secs(20), "the recording never loaded: {state}; {}", s.page_text());
            std::thread::sleep(Duration::from_millis(200));
        }
        let length = s.wait_text("[data-testid=answer-duration]", |t| !t.is_empty());
        assert_eq!(length.trim(), "0:03", "the media element read the recording's length");
        let secs = s.exec("return document.querySelector('[data-testid=answer-audio]').duration");
        assert!((secs.as_f64().unwrap_or(0.0) - 3.0).abs() < 0.1, "duration {secs}");
        pick(&s, "[data-testid=score-pain]", "1");
        pick(&s, "[data-testid=score-rapport]", "3");
        s.click("[data-testid=scores-save]");
        s.wait_text("[data-testid=challenge-scores]", |t| t.contains("Pain uncovered") && t.contains("Poor"));
        s.exec("document.querySelector('[data-testid=answer-audio]').currentTime = 2");
        s.type_in("[data-testid=comment-text]", "Name the customer's problem before the product");
        s.click("[data-testid=comment-add]");
        s.wait_text("[data-testid=challenge-comments]", |t| t.contains("0:02") && t.contains("customer's problem"));
        s.wait("[data-testid=develop-weakest]");
        s.screenshot(&shots.join("manager-1440x900-review.png"));
    }
    kept_ok(&mia, &["sync"]);
    kept_ok(&anna, &["sync"]);

    // The rep sees the feedback.
    let driver = Driver::start(&anna);
    let s = Session::start(driver.port, &app());
    s.resize(360, 740);
    s.click("[data-testid=nav-practice]");
    let card = s.wait_text("[data-testid=challenge-card]", |t| t.contains("Feedback"));
    assert!(card.contains("Poor") && card.contains("Good") && card.contains("Scored by Mia"), "{card}");
    assert!(card.contains("0:02") && card.contains("customer's problem"), "{card}");
    assert_no_overflow(&s, "feedback at 360 px");
    s.screenshot(&shots.join("rep-360x740-feedback.png"));
}

/// The WebDriver key code of Enter (a new line in a text box).
const ENTER: char = '\u{E007}';

/// Waits until the form field matching `css` in each session holds every one of `lines`;
/// returns how long that took.
fn wait_all(sessions: &[(&Session, &str)], css: &str, lines: &[&str], limit: Duration) -> Duration {
    let t0 = Instant::now();
    loop {
        let missing: Vec<String> = sessions
            .iter()
            .filter_map(|(s, who)| {
                let v = s.value(css);
                let lacks: Vec<&&str> = lines.iter().filter(|l| !v.contains(**l)).collect();
                (!lacks.is_empty()).then(|| format!("{who} lacks {lacks:?} in {v:?}"))
            })
            .collect();
        if missing.is_empty() {
            return t0.elapsed();
        }
        assert!(t0.elapsed() < limit, "after {limit:?}: {missing:#?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// #19: the manager (laptop) and the rep (phone) type into the same 1-on-1's
/// notes at the same moment, two app instances on one relay: each sees the
/// other's text appear while both are connected, and nothing is lost; then
/// the rep's phone goes offline, both type again, and when it is back both
/// devices hold all four lines.
#[test]
fn two_people_typing_the_same_meeting_notes_at_once_both_keep_their_text() {
    let dir = tempfile::tempdir().expect("tmp");
    let (relay, mia, anna, shots) = mia_and_anna(dir.path(), "notes");
    let m = kept_json(&mia, &["meeting", "open", "--rep", "Anna"]);
    let mid = m["meeting"]["id"].as_str().expect("meeting id").to_string();
    kept_ok(&mia, &["sync"]);
    kept_ok(&anna, &["sync"]);

    let (mia_driver, anna_driver) = (Driver::start(&mia), Driver::start(&anna));
    let laptop = Session::start(mia_driver.port, &app());
    let phone = Session::start(anna_driver.port, &app());
    laptop.resize(1440, 900);
    phone.resize(360, 740);
    // The manager continues the meeting from Anna's page; Anna opens it under Week → My 1-on-1s.
    laptop.click("[data-testid=board-row-Anna] button");
    laptop.click("[data-testid=rep-tab-meetings]");
    laptop.click(&format!("[data-testid=meeting-{mid}] summary"));
    laptop.click(&format!("[data-testid=meeting-continue-{mid}]"));
    let box_css = "[data-testid=meeting-notes]";
    laptop.wait(box_css);
    phone.click("[data-testid=nav-week]");
    phone.click("[data-testid=my-meetings] summary");
    phone.click(&format!("[data-testid=meeting-{mid}] summary"));
    phone.wait(box_css);

    // Both type at the same moment.
    let (a, b) = ("Mia: two call blocks a day", "Anna: ask Initech for two referrals");
    std::thread::scope(|sc| {
        sc.spawn(|| laptop.append(box_css, &format!("{a}{ENTER}")));
        sc.spawn(|| phone.append(box_css, &format!("{b}{ENTER}")));
    });
    let online = wait_all(&[(&laptop, "Mia"), (&phone, "Anna")], box_css, &[a, b], Duration::from_secs(30));
    eprintln!("notes typed at once: both texts on both screens after {online:?}");
    laptop.exec("document.querySelector('[data-testid=meeting-notes]').scrollIntoView({block: 'center'})");
    std::thread::sleep(Duration::from_millis(500));
    laptop.screenshot(&shots.join("manager-1440x900-notes-online.png"));
    phone.exec("document.querySelector('[data-testid=meeting-notes]').scrollIntoView({block: 'center'})");
    std::thread::sleep(Duration::from_millis(500));
    phone.screenshot(&shots.join("rep-360x740-notes-online.png"));

    // The phone loses its relay; both type again; then it is back.
    set_relay(&anna, "http://127.0.0.1:9");
    let (c, d) = ("Mia: follow up on Globex", "Anna (offline): booked the Globex demo");
    laptop.append(box_css, &format!("{c}{ENTER}"));
    phone.append(box_css, &format!("{d}{ENTER}"));
    std::thread::sleep(Duration::from_secs(3)); // both saves land locally
    set_relay(&anna, &relay.url);
    phone.click("[data-testid=sync-indicator]");
    let after = wait_all(&[(&laptop, "Mia"), (&phone, "Anna")], box_css, &[a, b, c, d], Duration::from_secs(60));
    eprintln!("after the offline edit: all four lines on both screens {after:?} after the phone was back");
    // Who wrote in them, on both screens.
    let on_laptop = laptop.wait_text("[data-testid=notes-writers]", |t| t.contains("Anna") && t.contains("you"));
    let on_phone = phone.wait_text("[data-testid=notes-writers]", |t| t.contains("Mia") && t.contains("you"));
    assert!(on_laptop.starts_with("Written by") && on_phone.starts_with("Written by"), "{on_laptop} / {on_phone}");
    laptop.exec("document.querySelector('[data-testid=meeting-notes]').scrollIntoView({block: 'center'})");
    std::thread::sleep(Duration::from_millis(500));
    laptop.screenshot(&shots.join("manager-1440x900-notes-after-offline.png"));
    phone.exec("document.querySelector('[data-testid=meeting-notes]').scrollIntoView({block: 'center'})");
    std::thread::sleep(Duration::from_millis(500));
    phone.screenshot(&shots.join("rep-360x740-notes-after-offline.png"));
    // And in both stores, not only on the screens.
    let stored = |home: &Path| {
        let k = Kept::open(home, Arc::new(SystemClock), IdSource::random()).expect("open");
        k.meetings(Some("Anna")).expect("meetings").into_iter().find(|x| x.id == mid).expect("meeting").notes
    };
    let t0 = Instant::now();
    while ![&mia, &anna].iter().all(|h| [a, b, c, d].iter().all(|l| stored(h).contains(l))) {
        assert!(t0.elapsed() < Duration::from_secs(30), "stores: {:?} / {:?}", stored(&mia), stored(&anna));
        std::thread::sleep(Duration::from_millis(200));
    }
}
