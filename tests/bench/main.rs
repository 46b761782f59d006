//! `kept-bench`: every figure of DESIGN.md §3, each beside a reference
//! measured in the same run, and the ratio.
//!
//! 1. log one activity into a store with a year of history vs a bare SQLite INSERT + commit;
//! 2. relay ingest, changes/s, 50 concurrent clients on loopback, SQLite and PostgreSQL, vs bare SQLite;
//! 3. bootstrap of a manager's new device, 50 reps × 52 weeks, vs automerge-repo's sync server;
//! 4. live delay rep push → manager's board vs a loopback round trip;
//! 5. team board + 12-week trends vs a plain SQL GROUP BY;
//! 6. relay RSS with 1,000 idle live connections vs with none;
//! 7. a rep's store aged through two years of taps and daily syncs: the last weeks vs the first;
//! 8. a recorded answer uploaded over a throttled link cut halfway and resumed vs a plain upload,
//!    and the relay's peak RSS while many reps upload at once vs before;
//! 9. a company: two relays on one PostgreSQL, 200 teams × 50 reps replaying a compressed
//!    working day with managers watching live: throughput, push/pull latency and live delay vs a
//!    loopback round trip, RSS vs before, CPU per request, errors, compaction backlog, bytes per
//!    activity (`company.rs`; `--day-secs S`, `--teams N`, `--reps N` change its size; `--reps-watching N`: N reps per team also watch live).
//! 10. a leader's new laptop: 10 teams × 50 reps × 52 weeks to the rendered leader view and to
//!     every activity held, and the process's peak RSS, vs automerge-repo moving the same documents.
//!
//! `cargo build --release -p kept-relay -p kept-cli && cargo run --release -p kept-tests --bin kept-bench`
//! Flags: `--quick` (small sizes, a few seconds; scripts/test.sh), `--fresh`
//! (regenerate the cached team), `--no-node` (skip the automerge-repo peer),
//! `--no-before` (skip the leader row of the way before, every team in turn),
//! `--only log,ingest,bootstrap,live,board,memory,aging,blobs,company,leader` (a subset, e.g. under perf).

mod aging;
mod blobs;
mod board;
mod bootstrap;
mod company;
mod ingest;
mod leader;
mod live;
mod log;
mod memory;
mod procfs;
mod relay;
mod team;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

pub(crate) fn pct(v: &[f64], p: f64) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v.get(((v.len() as f64 - 1.0) * p).round() as usize).copied().unwrap_or(f64::NAN)
}

struct Row {
    figure: String,
    kept: String,
    reference: String,
    ratio: String,
    goal: String,
}

fn num(v: f64) -> String {
    if v.is_nan() {
        "n/a".into()
    } else if v >= 1000.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    }
}

fn row(figure: impl Into<String>, kept: f64, reference: Option<f64>, goal: impl Into<String>) -> Row {
    let (reference, ratio) = match reference {
        Some(r) if !r.is_nan() && !kept.is_nan() => (num(r), format!("{:.2}x", kept / r)),
        Some(r) => (num(r), "n/a".into()),
        None => ("n/a".into(), "n/a".into()),
    };
    Row { figure: figure.into(), kept: num(kept), reference, ratio, goal: goal.into() }
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "MISSED"
    }
}

fn step<T>(name: &str, f: impl FnOnce() -> T) -> T {
    eprintln!("· {name} …");
    let t0 = Instant::now();
    let out = f();
    eprintln!("  {name}: {:.1} s", t0.elapsed().as_secs_f64());
    out
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).is_some_and(|a| a == "--leader-child") {
        // The leader's device, in a process of its own (leader.rs).
        return leader::child(&args[2..]);
    }
    let flag = |f: &str| args.iter().any(|a| a == f);
    let quick = flag("--quick");
    // `--only log,ingest,bootstrap,live,board,memory`: a subset (for profiling).
    let only: Option<String> = args.iter().position(|a| a == "--only").and_then(|i| args.get(i + 1)).cloned();
    let value = |f: &str| args.iter().position(|a| a == f).and_then(|i| args.get(i + 1)?.parse::<f64>().ok());
    let want = |s: &str| only.as_deref().is_none_or(|o| o.split(',').any(|x| x == s));
    let t_all = Instant::now();
    // Sizes: (log history weeks, log samples, ingest clients, per client, team reps, team weeks,
    // live samples, board samples, idle connections)
    let (log_weeks, log_n, clients, per_client, reps, weeks, live_n, board_n, conns) =
        if quick { (4, 100, 10, 200, 3, 2, 10, 20, 50) } else { (52, 2000, 50, 2000, 50, 52, 100, 200, 1000) };
    let tmp = tempfile::tempdir().expect("tmp");
    let mut rows: Vec<Row> = Vec::new();
    let mut notes: Vec<String> = Vec::new();

    if want("log") {
        // 1. Logging one activity.
        let l = step("log one activity", || log::run(log_weeks, log_n));
        let (k50, k99, b50, b99) =
            (pct(&l.kept_ms, 0.5), pct(&l.kept_ms, 0.99), pct(&l.bare_ms, 0.5), pct(&l.bare_ms, 0.99));
        rows.push(row(
            format!("log 1 activity ({} in store), p50 ms [ref: bare INSERT+commit]", l.history),
            k50,
            Some(b50),
            "",
        ));
        rows.push(row(
            "log 1 activity, p99 ms",
            k99,
            Some(b99),
            format!("p99 < 5 ms [{}], ≤ 3x ref [{}]", verdict(k99 < 5.0), verdict(k99 <= 3.0 * b99)),
        ));
        // The CRDT floor: the tap's Automerge change alone, in memory, on the
        // very document the tap wrote into, sampled beside every tap (same
        // moments, same load).
        let (s50, s99) = (pct(&l.same_doc_ms, 0.5), pct(&l.same_doc_ms, 0.99));
        rows.push(row(
            "log 1 activity, p50 ms [ref: the CRDT floor — its Automerge change alone, on its own week log in memory, p50]",
            k50,
            Some(s50),
            format!("≤ 1.5x floor [{}]", verdict(k50 <= 1.5 * s50)),
        ));
        rows.push(row(
            "log 1 activity, p99 ms [ref: the CRDT floor on its own week log, p99]",
            k99,
            Some(s99),
            format!("≤ 3x floor [{}]", verdict(k99 <= 3.0 * s99)),
        ));
        // The earlier floor: a fresh document every 50 records (smaller than
        // the tap's week log, so a lower floor).
        let (f50, f99) = (pct(&l.automerge_ms, 0.5), pct(&l.automerge_ms, 0.99));
        rows.push(row(
            "log 1 activity, p50 ms [ref: the same change on a fresh document of ≤ 50 records, p50]",
            k50,
            Some(f50),
            format!("≤ 1.5x [{}]", verdict(k50 <= 1.5 * f50)),
        ));
        rows.push(row(
            "log 1 activity, p99 ms [ref: the same on a fresh document, p99]",
            k99,
            Some(f99),
            format!("≤ 3x [{}]", verdict(k99 <= 3.0 * f99)),
        ));
        // Under a noisy machine the p50s can drift apart; the ratio of each
        // tap to the floor sample taken just before it sees the same load.
        // (The first round has no floor sample: there is no week log yet.)
        let skip = l.kept_ms.len().saturating_sub(l.same_doc_ms.len());
        let paired: Vec<f64> = l.kept_ms.iter().skip(skip).zip(&l.same_doc_ms).map(|(k, f)| k / f).collect();
        notes.push(format!(
            "tap ÷ the floor sample taken just before it (same moment, same load), median of {} pairs: {:.2}x",
            paired.len(),
            pct(&paired, 0.5)
        ));
        notes.push(format!(
            "reading the change's bytes back after the commit (Automerge 0.12 encodes it again from its op set), on the tap's own week log: p50 {:.3} ms, p99 {:.3} ms",
            pct(&l.change_bytes_ms, 0.5),
            pct(&l.change_bytes_ms, 0.99)
        ));
        notes.push(format!(
            "tap p99 against the floor's p50 (the stricter reading): {:.2}x on its own week log, {:.2}x on a fresh document (≤ 3x [{}])",
            k99 / s50,
            k99 / f50,
            verdict(k99 <= 3.0 * s50)
        ));
    }

    if want("ingest") {
        // 2. Relay ingest.
        let batch = 100;
        let sqlite = step("relay ingest (SQLite)", || {
            ingest::relay_rate(tmp.path().join("ingest.sqlite3").to_str().expect("utf-8"), clients, per_client, batch)
        });
        let sqlite_rate = sqlite.rate;
        let bare = step("bare SQLite ingest", || {
            ingest::bare_rate(&tmp.path().join("bare.sqlite3"), clients * per_client, batch)
        });
        rows.push(row(
            format!("relay ingest, changes/s, {clients} clients, SQLite [ref: bare SQLite]"),
            sqlite_rate,
            Some(bare),
            format!("≥ 40000/s with every gatekeeper check on [{}]", verdict(sqlite_rate >= 40000.0)),
        ));
        rows.push(row(
            "relay ingest, SQLite: the relay's CPU per change stored, µs [ref: bare SQLite, µs per row]",
            sqlite.relay_us,
            Some(1e6 / bare),
            "",
        ));
        notes.push(format!(
            "relay ingest (SQLite): the relay kept {:.2} cores busy and this bench's {clients} clients {:.2} \
             (the machine has {}); at {:.0} µs of CPU a change, one core of relay stores {:.0} changes/s",
            sqlite.relay_cores,
            sqlite.bench_cores,
            std::thread::available_parallelism().map_or(0, |n| n.get()),
            sqlite.relay_us,
            1e6 / sqlite.relay_us
        ));
        let pg_rate = step("relay ingest (PostgreSQL)", || match relay::PgDb::create() {
            None => {
                notes.push("PostgreSQL: no server answered on 127.0.0.1:5432; n/a".into());
                f64::NAN
            }
            Some(db) => {
                match catch_unwind(AssertUnwindSafe(|| ingest::relay_rate(&db.url, clients, per_client, batch))) {
                    Ok(r) => r.rate,
                    Err(_) => {
                        notes.push("PostgreSQL: the relay failed on PostgreSQL (see the panic above); n/a".into());
                        f64::NAN
                    }
                }
            }
        });
        rows.push(row(
            format!("relay ingest, changes/s, {clients} clients, PostgreSQL [ref: bare SQLite]"),
            pg_rate,
            Some(bare),
            "(no goal)",
        ));
    }

    if want("live") {
        // 4. Live delay.
        let (d, r) = step("live delay", || live::run(live_n));
        let (d50, d99) = (pct(&d, 0.5), pct(&d, 0.99));
        rows.push(row(
            "live delay rep log+sync → manager board, p50 ms [ref: loopback RTT]",
            d50,
            Some(pct(&r, 0.5)),
            format!("< 300 ms [{}]", verdict(d50 < 300.0)),
        ));
        rows.push(row("live delay, p99 ms", d99, Some(pct(&r, 0.99)), ""));
    }

    if want("bootstrap") || want("board") {
        // 3. Bootstrap of a manager's new device (+ the automerge-repo peer).
        let team = step("bench team", || team::team(reps, weeks, 7, !quick, flag("--fresh"), tmp.path()));
        let node = if flag("--no-node") { Err("--no-node".to_string()) } else { bootstrap::node_ready(!quick) };
        if let Err(e) = &node {
            notes.push(format!("automerge-repo peer: {e}; n/a"));
        }
        let b = step("bootstrap", || bootstrap::run(&team, tmp.path(), node.is_ok()));
        let repo_s = match &b.repo {
            Ok(r) => {
                if r.docs != b.docs || r.activities != b.activities {
                    notes.push(format!(
                        "automerge-repo client loaded {} docs / {} activities (Kept: {} / {})",
                        r.docs, r.activities, b.docs, b.activities
                    ));
                }
                notes.push(format!(
                "automerge-repo reference: {:.2} s from the client's connection ready to all {} docs loaded ({:.2} s with the handshake)",
                r.s, r.docs, r.total_s
            ));
                Some(r.s)
            }
            Err(e) => {
                if node.is_ok() {
                    notes.push(format!("automerge-repo peer failed: {e}"));
                }
                None
            }
        };
        rows.push(row(
        format!(
            "bootstrap new manager device, {reps} reps × {weeks} wk ({} activities, {} docs; relay: {} changes, {} snapshots), s [ref: automerge-repo]",
            b.activities, b.docs, b.changes, b.snapshots
        ),
        b.kept_s,
        repo_s,
        format!(
            "< 5 s [{}], faster than ref [{}]",
            verdict(b.kept_s < 5.0),
            repo_s.map(|r| verdict(b.kept_s < r)).unwrap_or("n/a")
        ),
    ));
        notes.push(format!(
            "bootstrap: join + pull + apply {:.2} s, board + trends {:.3} s; team generated in {:.0} s ({})",
            b.join_s,
            b.kept_s - b.join_s,
            team.generated_s,
            if quick { "this run" } else { "on the first run; cached in target/kept-bench-cache" }
        ));

        // 5. Board + trends on the bootstrapped store.
        let (bk, bs) = step("board + trends", || board::run(&b.manager, board_n));
        rows.push(row(
            format!("board + 12-week trends, {reps} reps, p50 ms [ref: SQL GROUP BY]"),
            pct(&bk, 0.5),
            Some(pct(&bs, 0.5)),
            "",
        ));
        let bk99 = pct(&bk, 0.99);
        rows.push(row(
            "board + 12-week trends, p99 ms",
            bk99,
            Some(pct(&bs, 0.99)),
            format!("p99 < 20 ms [{}]", verdict(bk99 < 20.0)),
        ));
    }

    if want("memory") {
        // 6. Relay memory.
        let m = step("relay memory", || memory::run(conns));
        rows.push(row(
            format!("relay RSS, {} idle live connections, MB [ref: no connections]", m.conns),
            m.live_mb,
            Some(m.idle_mb),
            format!("< 150 MB [{}]", verdict(m.live_mb < 150.0)),
        ));
        if m.sockets < m.conns {
            notes.push(format!("relay memory: only {} sockets open in the relay at the measurement", m.sockets));
        }
    }

    if want("aging") {
        // 7. A store aged through two years of a rep's taps and daily syncs.
        let (weeks, per_day) = if quick { (3, 4) } else { (104, 12) };
        let a = step("store aging", || aging::run(weeks, per_day));
        let mb = |b: u64| b as f64 / 1e6;
        let (s, e) = (a.start, a.end);
        rows.push(row(
            format!(
                "aged store: tap p50 ms after {} weeks ({} taps, {} syncs) [ref: after 2 weeks]",
                a.weeks, a.taps, a.syncs
            ),
            e.tap_p50_ms,
            Some(s.tap_p50_ms),
            "",
        ));
        rows.push(row("aged store: tap p99 ms [ref: after 2 weeks]", e.tap_p99_ms, Some(s.tap_p99_ms), ""));
        rows.push(row(
            format!("aged store: file MB, {} activities [ref: after 2 weeks, {}]", e.activities, s.activities),
            mb(e.db_bytes),
            Some(mb(s.db_bytes)),
            "",
        ));
        rows.push(row("aged store: WAL MB [ref: after 2 weeks]", mb(e.wal_bytes), Some(mb(s.wal_bytes)), ""));
        rows.push(row("aged store: open ms, median of 5 [ref: after 2 weeks]", e.open_ms, Some(s.open_ms), ""));
    }

    if want("blobs") {
        // 8. Recordings: a cut upload resumed, and many uploads at once.
        let (mb, bps, reps, each) = if quick { (1, 4_000_000, 10, 1) } else { (5, 2_000_000, 50, 5) };
        let r = step("blob resume", || blobs::resume(mb * 1_000_000, bps));
        rows.push(row(
            format!(
                "recording {:.0} MB over a {:.0} MB/s link cut at {:.0}% then resumed, s [ref: plain upload]",
                r.mb,
                r.link_mb_s,
                r.received_at_cut * 100.0
            ),
            r.resumed_s,
            Some(r.plain_s),
            format!("< 1.3x: nothing sent twice but a chunk [{}]", verdict(r.resumed_s < 1.3 * r.plain_s)),
        ));
        let c = step("blob crowd", || blobs::crowd(reps, each * 1_000_000));
        rows.push(row(
            format!(
                "relay peak RSS, {} reps uploading {:.0} MB each at once ({:.1} s), MB [ref: before]",
                c.reps, c.mb_each, c.secs
            ),
            c.peak_mb,
            Some(c.before_mb),
            format!("< 100 MB [{}]", verdict(c.peak_mb < 100.0)),
        ));
    }

    if want("company") {
        // 9. A company's load on two relays sharing one PostgreSQL.
        let cfg = if quick {
            company::Config {
                teams: 4,
                reps: 5,
                day_secs: 8.0,
                workers: 8,
                compact_after: 20,
                compact_every: 1.0,
                pull_phase_secs: 1.0,
                reps_watching: 2,
            }
        } else {
            company::Config {
                teams: 200,
                reps: 50,
                day_secs: 120.0,
                workers: 48,
                compact_after: 250,
                compact_every: 5.0,
                pull_phase_secs: 5.0,
                reps_watching: 0,
            }
        };
        let cfg = company::Config {
            teams: value("--teams").map_or(cfg.teams, |v| v as usize),
            reps: value("--reps").map_or(cfg.reps, |v| v as usize),
            day_secs: value("--day-secs").unwrap_or(cfg.day_secs),
            reps_watching: value("--reps-watching").map_or(cfg.reps_watching, |v| v as usize),
            ..cfg
        };
        match step("company", || company::run(cfg)) {
            None => notes.push("company: no PostgreSQL answered on 127.0.0.1:5432; skipped".into()),
            Some(c) => company_rows(&cfg, &c, &mut rows, &mut notes),
        }
    }

    if want("leader") {
        // 10. A leader's new laptop.
        let (teams, reps, weeks) = if quick { (2, 3, 2) } else { (10, 50, 52) };
        let o = step("bench organisation", || leader::org(teams, reps, weeks, 11, !quick, flag("--fresh"), tmp.path()));
        let db = tmp.path().join("leader-relay.sqlite3");
        team::copy_db(&o.relay_db, &db);
        let relay = relay::RelayProc::start(db.to_str().expect("utf-8"));
        let c = step("leader bootstrap", || leader::bootstrap(&o, &relay, &tmp.path().join("leader-laptop"), "first"));
        // `--no-before`: skip the reference run of the old way (e.g. under perf).
        let p = if flag("--no-before") {
            leader::Child::default()
        } else {
            step("leader bootstrap, every team in turn (before)", || {
                leader::bootstrap(&o, &relay, &tmp.path().join("leader-plain"), "plain")
            })
        };
        drop(relay);
        let node = if flag("--no-node") { Err("--no-node".to_string()) } else { bootstrap::node_ready(!quick) };
        let deadline_s = if quick { 60 } else { 120 };
        let repo = match &node {
            Err(e) => Err(e.clone()),
            Ok(()) => step("automerge-repo peer, the leader's documents", || {
                let docs = tmp.path().join("leader-am-docs");
                leader::save_docs(&c.home, &docs);
                bootstrap::automerge_repo(&docs, &tmp.path().join("leader-am"), deadline_s * 1000)
            }),
        };
        let repo_s = match &repo {
            Ok(r) => {
                notes.push(format!(
                    "leader: automerge-repo loaded all {} docs in {:.2} s from the client's connection ready ({:.2} s with the handshake)",
                    r.docs, r.s, r.total_s
                ));
                Some(r.s)
            }
            Err(e) => {
                notes.push(format!("leader: automerge-repo reference: {e}; n/a"));
                None
            }
        };
        let size = format!("{teams} teams × {reps} reps × {weeks} wk ({} activities, {} docs)", o.activities, c.docs);
        let vs = |s: f64| repo_s.map(|r| verdict(s < r)).unwrap_or("n/a");
        rows.push(row(
            format!("leader's new laptop, {size}: join → leader view rendered, s [ref: automerge-repo, all docs]"),
            c.first_s,
            repo_s,
            format!("< 15 s [{}], faster than ref [{}]", verdict(c.first_s < 15.0), vs(c.first_s)),
        ));
        rows.push(row(
            "leader's new laptop: join → every activity held, s [ref: automerge-repo, all docs]",
            c.all_s,
            repo_s,
            format!("faster than ref [{}]", vs(c.all_s)),
        ));
        rows.push(row(
            "leader's new laptop, every team in turn, all at once (before), join → view, s [ref: automerge-repo]",
            p.first_s,
            repo_s,
            format!("< 15 s [{}]", verdict(p.first_s < 15.0)),
        ));
        rows.push(row(
            "leader's process peak RSS (VmHWM) to every activity held, MB [ref: every team in turn]",
            c.peak_mb,
            Some(p.peak_mb),
            format!("< 400 MB [{}]", verdict(c.peak_mb < 400.0)),
        ));
        notes.push(format!(
            "leader: first screen after {:.2} s (teams synced {:.2} s, view {:.2} s) with {} of {} activities, peak RSS then {:.0} MB; \
             every team in turn: sync {:.2} s, view {:.2} s; organisation generated in {:.0} s ({})",
            c.first_s,
            c.sync_s,
            c.first_s - c.sync_s,
            c.first_activities,
            c.activities,
            c.first_mb,
            p.sync_s,
            p.first_s - p.sync_s,
            o.generated_s,
            if quick { "this run" } else { "on the first run; cached in target/kept-bench-cache" }
        ));
    }

    println!(
        "kept-bench{} — {} cores, {:.0} s",
        if quick { " (quick)" } else { "" },
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        t_all.elapsed().as_secs_f64()
    );
    let w = rows.iter().map(|r| r.figure.chars().count()).max().unwrap_or(10);
    println!("| {:<w$} | {:>9} | {:>9} | {:>8} | goal |", "figure", "kept", "reference", "ratio");
    println!("|{}|{}|{}|{}|------|", "-".repeat(w + 2), "-".repeat(11), "-".repeat(11), "-".repeat(10));
    for r in &rows {
        println!("| {:<w$} | {:>9} | {:>9} | {:>8} | {} |", r.figure, r.kept, r.reference, r.ratio, r.goal);
    }
    for n in notes {
        println!("note: {n}");
    }
}

/// The company's rows (see `company.rs`), each beside a same-run reference.
fn company_rows(cfg: &company::Config, c: &company::Report, rows: &mut Vec<Row>, notes: &mut Vec<String>) {
    let who = format!("company {}×{} reps, 2 relays, 1 PostgreSQL", cfg.teams, cfg.reps);
    let offered = c.taps_planned as f64 / cfg.day_secs;
    let ok_pushes = c.push_ms.len() as f64;
    let rate = ok_pushes / c.day_s;
    rows.push(row(
        format!("{who}: pushes/s, an 8 h day in {:.0} s [ref: offered by the schedule]", cfg.day_secs),
        rate,
        Some(offered),
        format!("≥ 95% of offered, day on time [{}]", verdict(rate >= 0.95 * offered && c.taps_dropped == 0)),
    ));
    let requests = c.pushes + c.rep_pulls + c.manager_pulls + c.watcher_pulls;
    let (h50, h99) = (pct(&c.health_ms, 0.5), pct(&c.health_ms, 0.99));
    rows.push(row("company: push p50 ms [ref: GET /health RTT, same moments]", pct(&c.push_ms, 0.5), Some(h50), ""));
    rows.push(row("company: push p99 ms [ref: GET /health RTT p99]", pct(&c.push_ms, 0.99), Some(h99), ""));
    rows.push(row(
        "company: pull p50 ms (reps' and managers') [ref: GET /health RTT]",
        pct(&c.pull_ms, 0.5),
        Some(h50),
        "",
    ));
    rows.push(row("company: pull p99 ms [ref: GET /health RTT p99]", pct(&c.pull_ms, 0.99), Some(h99), ""));
    rows.push(row(
        "company: live delay push ack → manager's pull on the other relay, p50 ms [ref: RTT]",
        pct(&c.live_ms, 0.5),
        Some(h50),
        "",
    ));
    let l99 = pct(&c.live_ms, 0.99);
    rows.push(row(
        "company: live delay p99 ms [ref: RTT p99]",
        l99,
        Some(h99),
        format!("< 1000 ms [{}]", verdict(l99 < 1000.0 && c.live_unseen == 0)),
    ));
    let sockets_per_team = 1 + cfg.reps_watching.min(cfg.reps);
    rows.push(row(
        format!(
            "company: live wake-ups per push ({} sockets: {} per team, {} of them reps') [ref: sockets per team]",
            c.live_sockets,
            sockets_per_team,
            sockets_per_team - 1
        ),
        c.live_events as f64 / ok_pushes.max(1.0),
        Some(sockets_per_team as f64),
        {
            // A push wakes its readers only: the manager's socket and, when
            // the pushing rep watches too, theirs (a tenth of slack for the
            // heads a socket gets when it connects).
            let readers = 1.0 + cfg.reps_watching.min(cfg.reps) as f64 / cfg.reps.max(1) as f64;
            let per_push = c.live_events as f64 / ok_pushes.max(1.0);
            format!("≈ its readers, {readers:.2} [{}]", verdict(per_push <= readers * 1.1))
        },
    ));
    rows.push(row(
        format!("company: errors (failed or non-2xx requests) [ref: requests, {requests}]"),
        c.errors as f64,
        Some(requests as f64),
        format!("zero [{}]", verdict(c.errors == 0)),
    ));
    rows.push(row(
        format!("company: RSS of both relays at the end, MB (peak {:.0}) [ref: before the day]", c.relay_hwm_mb),
        c.relay_rss_after_mb,
        Some(c.relay_rss_before_mb),
        "",
    ));
    rows.push(row(
        "company: PostgreSQL RSS (private + shared once) at the end, MB [ref: before the day]",
        c.pg_rss_after_mb,
        Some(c.pg_rss_before_mb),
        "",
    ));
    let bound = 2 * cfg.compact_after;
    rows.push(row(
        format!(
            "company: compaction backlog at the end, loose changes (worst team {}; {} teams compacted) [ref: stored]",
            c.backlog_max_team, c.teams_compacted
        ),
        c.backlog_end as f64,
        Some(c.stored_end as f64),
        format!("every team < 2 × --compact-after ({bound}) [{}]", verdict(c.backlog_max_team < bound)),
    ));
    let p = c.pull_phase;
    let pull_relay_ms = p.relay_cpu_s * 1e3 / p.pulls.max(1) as f64;
    let pull_pg_ms = p.pg_cpu_s * 1e3 / p.pulls.max(1) as f64;
    let pulls = (c.rep_pulls + c.manager_pulls + c.watcher_pulls) as f64;
    let push_relay_ms = (c.relay_cpu_s * 1e3 - pulls * pull_relay_ms) / c.pushes.max(1) as f64;
    let push_pg_ms = (c.pg_cpu_s * 1e3 - pulls * pull_pg_ms) / c.pushes.max(1) as f64;
    rows.push(row(
        "company: relay CPU ms per push (the day's CPU less its pulls at the pull price) [ref: per pull]",
        push_relay_ms,
        Some(pull_relay_ms),
        "",
    ));
    rows.push(row("company: PostgreSQL CPU ms per push (likewise) [ref: per pull]", push_pg_ms, Some(pull_pg_ms), ""));
    let s = c.storage;
    let activities = c.taps_done.max(1) as f64;
    rows.push(row(
        format!(
            "company: PostgreSQL bytes per activity after compaction (database growth over {} activities) [ref: the change itself]",
            c.taps_done
        ),
        (s.db_end - s.db_setup) as f64 / activities,
        Some(s.change_bytes as f64 / s.changes.max(1) as f64),
        "",
    ));
    notes.push(format!(
        "company: setup {:.0} s (not timed); day {:.1} s, load with the managers' catch-up {:.1} s; {} taps of {} planned ({} dropped past 2× the day); \
         {} pushes, {} rep pulls, {} manager pulls, {} watching reps' pulls, {} live events ({:.0} requests/s); lateness behind schedule p50 {:.0} ms, p99 {:.0} ms; \
         the schedule's busiest 10 minutes carry {:.2}× the day's mean",
        c.setup_s,
        c.day_s,
        c.load_s,
        c.taps_done,
        c.taps_planned,
        c.taps_dropped,
        c.pushes,
        c.rep_pulls,
        c.manager_pulls,
        c.watcher_pulls,
        c.live_events,
        requests as f64 / c.day_s,
        pct(&c.late_ms, 0.5),
        pct(&c.late_ms, 0.99),
        c.peak_ratio,
    ));
    notes.push(format!(
        "company: CPU over the day: relays {:.1} s, PostgreSQL {:.1} s, this bench {:.1} s (of {:.1} s × 2 cores); \
         pull-only phase: {} pulls in {:.1} s, relays {:.2} s, PostgreSQL {:.2} s",
        c.relay_cpu_s, c.pg_cpu_s, c.bench_cpu_s, c.day_s, p.pulls, p.secs, p.relay_cpu_s, p.pg_cpu_s
    ));
    notes.push(format!(
        "company: PostgreSQL after compaction: database {:.1} MB (after setup {:.1} MB), changes {:.1} MB for {} rows \
         ({:.1} MB of change bytes), snapshots {:.1} MB ({:.1} MB of bytes)",
        s.db_end as f64 / 1e6,
        s.db_setup as f64 / 1e6,
        s.changes_rel as f64 / 1e6,
        s.changes,
        s.change_bytes as f64 / 1e6,
        s.snapshots_rel as f64 / 1e6,
        s.snapshot_bytes as f64 / 1e6,
    ));
    if c.live_unseen > 0 {
        notes.push(format!("company: {} acknowledged pushes never reached a manager's pull", c.live_unseen));
    }
    for e in &c.error_samples {
        notes.push(format!("company error: {e}"));
    }
    notes.extend(c.notes.iter().cloned());
}
