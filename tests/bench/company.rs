//! A relay under a company's load: two `kept-relay serve` processes on one
//! PostgreSQL database, `teams` × `reps` rep devices replaying a compressed
//! working day, every team's manager watching live on the other relay.
//!
//! A device here is a light state machine, not a Kept store: its own week-log
//! Automerge document (the real genesis, an actor of its own), one real
//! change per tap made during setup, and a cursor. A pool of worker threads
//! serves the devices on their schedule: at each tap the device pushes the
//! change and pulls what it may read since its cursor (the app syncs after
//! every local write). Each team's reps use one relay and its manager holds
//! the live WebSocket on the other, pulling on every event: every live delay
//! crosses relays through PostgreSQL's `NOTIFY`. Measured: throughput, push
//! and pull latency, live delay (push acknowledged → the manager's pull
//! returned it), RSS and CPU of the relays and of PostgreSQL, errors, the
//! compaction backlog at the end, bytes per activity in PostgreSQL.
//!
//! With `reps_watching` (`--reps-watching N`), the first N reps of each team
//! also hold a live socket on their relay and pull on every event, as an open
//! app does; every socket's events are counted (live wake-ups per push).

use crate::procfs::{self, cpu_ticks, ticks_per_s};
use crate::relay::{self, PgDb, RelayProc};
use automerge::transaction::CommitOptions;
use base64::Engine;
use kept_core::docs::DocId;
use kept_core::model::{Activity, Kare, Role};
use kept_core::protocol::{InviteRequest, JoinRequest, PushChange, PushRequest};
use kept_core::sync::client::RelayClient;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The size and pace of the run.
#[derive(Debug, Clone, Copy)]
pub struct Config {
    pub teams: usize,
    pub reps: usize,
    /// Wall seconds the 8-hour working day is compressed into.
    pub day_secs: f64,
    /// Worker threads serving the reps' devices.
    pub workers: usize,
    /// `serve --compact-after` (changes per team), scaled with the day.
    pub compact_after: i64,
    /// `serve --compact-every` (seconds).
    pub compact_every: f64,
    /// Seconds of the pull-only phase that prices a pull.
    pub pull_phase_secs: f64,
    /// Reps per team whose app also watches live (and pulls on every event).
    pub reps_watching: usize,
}

/// Minutes in the working day (09:00–17:00).
const DAY_MIN: f64 = 480.0;

/// What the run measured.
#[derive(Debug, Default)]
pub struct Report {
    pub taps_planned: usize,
    /// Taps in the schedule's busiest ten minutes over the mean ten minutes.
    pub peak_ratio: f64,
    pub taps_done: usize,
    pub taps_dropped: usize,
    pub pushes: usize,
    pub rep_pulls: usize,
    pub manager_pulls: usize,
    /// Pulls by the reps' watching apps.
    pub watcher_pulls: usize,
    /// Live events received by every socket (managers' and reps'), the first on connect left out.
    pub live_events: usize,
    /// Live sockets open (managers' and reps').
    pub live_sockets: usize,
    /// From the first tap's due time until the last worker finished.
    pub day_s: f64,
    /// … until the managers caught up too.
    pub load_s: f64,
    pub setup_s: f64,
    pub push_ms: Vec<f64>,
    pub pull_ms: Vec<f64>,
    pub health_ms: Vec<f64>,
    pub live_ms: Vec<f64>,
    pub late_ms: Vec<f64>,
    pub live_unseen: usize,
    pub errors: usize,
    pub error_samples: Vec<String>,
    pub relay_rss_before_mb: f64,
    pub relay_rss_after_mb: f64,
    pub relay_hwm_mb: f64,
    pub pg_rss_before_mb: f64,
    pub pg_rss_after_mb: f64,
    pub relay_cpu_s: f64,
    pub pg_cpu_s: f64,
    pub bench_cpu_s: f64,
    pub pull_phase: PullPhase,
    pub backlog_end: i64,
    pub backlog_max_team: i64,
    pub stored_end: i64,
    pub teams_compacted: usize,
    pub storage: Storage,
    pub notes: Vec<String>,
}

/// The pull-only phase after the load (prices a pull on its own).
#[derive(Debug, Default, Clone, Copy)]
pub struct PullPhase {
    pub pulls: usize,
    pub secs: f64,
    pub relay_cpu_s: f64,
    pub pg_cpu_s: f64,
}

/// PostgreSQL sizes after the load and one full compaction.
#[derive(Debug, Default, Clone, Copy)]
pub struct Storage {
    /// `pg_database_size` after setup (teams, members, devices, invites).
    pub db_setup: i64,
    pub db_end: i64,
    /// `pg_total_relation_size` (rows, TOAST and indexes).
    pub changes_rel: i64,
    pub snapshots_rel: i64,
    /// Rows in `changes` and the sum of their change bytes.
    pub changes: i64,
    pub change_bytes: i64,
    pub snapshot_bytes: i64,
}

/// A small deterministic generator (splitmix64): the schedule and the
/// changes are the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Minutes after 09:00 of one rep's taps on a working day: 12–20 taps, two or
/// three blocks of calls (3–6, 3–8 minutes apart: a call block), the rest
/// (emails, meetings, notes) scattered over the day, nothing over lunch
/// (12:00–13:00).
fn day_taps(rng: &mut Rng) -> Vec<f64> {
    let total = 12 + rng.below(9) as usize;
    let mut taps = Vec::with_capacity(total);
    let blocks = 2 + rng.below(2);
    for b in 0..blocks {
        let mut t = match b {
            0 => 10.0 + rng.unit() * 140.0,  // a morning block
            1 => 245.0 + rng.unit() * 160.0, // an afternoon block
            _ => rng.unit() * 420.0,
        };
        if (180.0..240.0).contains(&t) {
            t += 60.0;
        }
        for _ in 0..3 + rng.below(4) {
            if taps.len() >= total || t >= DAY_MIN {
                break;
            }
            taps.push(t);
            t += 3.0 + rng.unit() * 5.0;
        }
    }
    while taps.len() < total {
        let t = rng.unit() * 420.0;
        taps.push(if t >= 180.0 { t + 60.0 } else { t });
    }
    taps.sort_by(f64::total_cmp);
    taps
}

fn push_change(id: &DocId, bytes: &[u8]) -> PushChange {
    PushChange {
        doc: id.to_string(),
        kind: id.kind(),
        subject: id.subject().map(str::to_string),
        data: base64::engine::general_purpose::STANDARD.encode(bytes),
    }
}

/// One rep's device: what to push at each tap (the first with the week
/// log's genesis), and its pull cursor.
struct Rep {
    team: usize,
    relay: usize,
    token: String,
    taps: Vec<f64>,
    batches: Vec<Vec<PushChange>>,
    pending: Vec<PushChange>,
    cursor: i64,
    /// The cursor before its last pull (the pull-only phase repeats that pull).
    prev_cursor: i64,
}

/// The week log's genesis and one real change per tap (an activity as
/// `docs::log::insert` writes it, committed with the tap's time).
fn make_changes(member: &str, taps: &[f64], rng: &mut Rng) -> Vec<Vec<PushChange>> {
    const KINDS: &[&str] = &["call", "call", "call", "call", "email", "meeting", "demo", "proposal"];
    const OUTCOMES: &[&str] = &["connected", "voicemail", "no answer", "booked a demo", "follow-up next week"];
    let id = DocId::log(member, "2026-W49".parse().expect("week"));
    let mut doc = kept_core::docs::genesis(&id).expect("genesis");
    let genesis: Vec<PushChange> = doc.get_changes(&[]).iter().map(|c| push_change(&id, c.raw_bytes())).collect();
    let mut actor = [0u8; 16];
    for pair in actor.chunks_mut(8) {
        pair.copy_from_slice(&rng.next().to_le_bytes());
    }
    doc.set_actor(automerge::ActorId::from(actor.to_vec()));
    // Wednesday 2026-12-02, 09:00 UTC.
    let day0 = 1_796_202_000i64;
    let mut out = Vec::with_capacity(taps.len());
    for (i, minute) in taps.iter().enumerate() {
        let at = day0 + (*minute * 60.0) as i64;
        let time = chrono::DateTime::from_timestamp(at, 0).expect("time");
        let kind = KINDS[rng.below(KINDS.len() as u64) as usize];
        let a = Activity {
            id: format!(
                "{:08x}-{:04x}-7{:03x}-{:04x}-{:012x}",
                (at * 1000) >> 16,
                (at * 1000) & 0xffff,
                rng.below(0x1000),
                0x8000 | rng.below(0x4000),
                rng.next() & 0xffff_ffff_ffff
            ),
            rep: member.to_string(),
            kind: kind.to_string(),
            kare: Some([Kare::Keep, Kare::Attain, Kare::Recapture, Kare::Expand][rng.below(4) as usize]),
            occurred_at: time.format("%Y-%m-%dT%H:%M:%S+00:00").to_string(),
            count: 1,
            duration_min: (kind != "email").then(|| 5 + rng.below(40) as i64),
            outcome: (kind == "call").then(|| OUTCOMES[rng.below(OUTCOMES.len() as u64) as usize].to_string()),
            account: Some(format!("Account {}", rng.below(400))),
            deal: None,
            note: (rng.below(4) == 0).then(|| "asked for pricing; send the deck".to_string()),
            logged_by: member.to_string(),
        };
        let coll = kept_core::docs::log::activities(&doc).expect("a log has its activities map");
        kept_core::docs::log::insert(&mut doc, &coll, &a).expect("insert activity");
        doc.commit_with(CommitOptions::default().with_time(at * 1000));
        let c = doc.get_last_local_change().expect("change");
        let mut batch = if i == 0 { genesis.clone() } else { Vec::new() };
        batch.push(push_change(&id, c.raw_bytes()));
        out.push(batch);
    }
    out
}

/// A team's manager: the token and the relay it watches from.
struct Manager {
    team: usize,
    relay: usize,
    token: String,
}

/// Creates the teams (admin CLI), joins each manager on one relay and its
/// reps on the other, and makes every rep's changes. Not timed.
fn setup(cfg: &Config, db: &str, relays: &[RelayProc; 2]) -> (Vec<Manager>, Vec<Rep>) {
    let next = AtomicUsize::new(0);
    let out: Mutex<(Vec<Manager>, Vec<Rep>)> = Mutex::new((Vec::new(), Vec::new()));
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| loop {
                let t = next.fetch_add(1, Ordering::SeqCst);
                if t >= cfg.teams {
                    break;
                }
                let (rep_relay, mgr_relay) = (t % 2, 1 - t % 2);
                let created = relay::admin(
                    db,
                    &["team", "create", "--name", &format!("Team {t}"), "--manager", &format!("Manager {t}")],
                );
                let anon = RelayClient::new(&relays[mgr_relay].url, None);
                let boss = anon
                    .join(&JoinRequest {
                        invite: created["invite"].as_str().expect("invite").into(),
                        name: None,
                        device_name: "laptop".into(),
                    })
                    .expect("manager joins");
                let manager = RelayClient::new(&relays[mgr_relay].url, Some(boss.token.clone()));
                let anon = RelayClient::new(&relays[rep_relay].url, None);
                let mut rng = Rng(t as u64 * 7919 + 1);
                let mut reps = Vec::with_capacity(cfg.reps);
                for r in 0..cfg.reps {
                    let inv = manager
                        .invite(&InviteRequest { role: Role::Rep, name: Some(format!("Rep {t}-{r}")), member_id: None })
                        .expect("invite");
                    let j = anon
                        .join(&JoinRequest { invite: inv.code, name: None, device_name: "phone".into() })
                        .expect("rep joins");
                    let taps = day_taps(&mut rng);
                    let batches = make_changes(&j.member_id, &taps, &mut rng);
                    reps.push(Rep {
                        team: t,
                        relay: rep_relay,
                        token: j.token,
                        taps,
                        batches,
                        pending: Vec::new(),
                        cursor: 0,
                        prev_cursor: 0,
                    });
                }
                let mut g = out.lock().expect("setup lock");
                g.0.push(Manager { team: t, relay: mgr_relay, token: boss.token });
                g.1.extend(reps);
            });
        }
    });
    let (mut managers, mut reps) = out.into_inner().expect("setup lock");
    managers.sort_by_key(|m| m.team);
    reps.sort_by_key(|r| r.team);
    (managers, reps)
}

/// What one worker thread saw.
#[derive(Default)]
struct WorkerOut {
    push_ms: Vec<f64>,
    pull_ms: Vec<f64>,
    late_ms: Vec<f64>,
    acks: Vec<(usize, i64, Instant)>,
    pushes: usize,
    pulls: usize,
    taps: usize,
    dropped: usize,
    errors: usize,
    samples: Vec<String>,
}

impl WorkerOut {
    fn error(&mut self, what: String) {
        self.errors += 1;
        if self.samples.len() < 3 {
            self.samples.push(what);
        }
    }
}

/// A rep's sync after a tap: push what is pending, then pull until done.
fn sync(rep: &mut Rep, client: &RelayClient, out: &mut WorkerOut) {
    let t0 = Instant::now();
    match client.push(&PushRequest { changes: rep.pending.clone() }) {
        Ok(r) => {
            let now = Instant::now();
            out.push_ms.push((now - t0).as_secs_f64() * 1e3);
            out.acks.push((rep.team, r.seq, now));
            rep.pending.clear();
        }
        Err(e) => out.error(format!("push: {e}")),
    }
    out.pushes += 1;
    rep.prev_cursor = rep.cursor;
    loop {
        let t0 = Instant::now();
        let r = client.pull(rep.cursor, 1000);
        out.pulls += 1;
        match r {
            Ok(p) => {
                out.pull_ms.push(t0.elapsed().as_secs_f64() * 1e3);
                rep.cursor = p.next;
                if !p.more {
                    break;
                }
            }
            Err(e) => {
                out.error(format!("pull: {e}"));
                break;
            }
        }
    }
}

/// Serves `reps` on their schedule from `start` until every tap is done or
/// `deadline` passes (later taps are dropped and counted).
fn worker(mut reps: Vec<Rep>, urls: [String; 2], start: Instant, day: f64, deadline: Instant) -> (Vec<Rep>, WorkerOut) {
    let base = [RelayClient::new(&urls[0], None), RelayClient::new(&urls[1], None)];
    let mut events: Vec<(f64, usize, usize)> = Vec::new();
    for (i, r) in reps.iter().enumerate() {
        for (k, &minute) in r.taps.iter().enumerate() {
            events.push((minute, i, k));
        }
    }
    events.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut out = WorkerOut::default();
    for (minute, i, k) in events {
        let due = start + Duration::from_secs_f64(minute / DAY_MIN * day);
        let now = Instant::now();
        if now >= deadline {
            out.dropped += 1;
            continue;
        }
        if due > now {
            std::thread::sleep(due - now);
        }
        out.late_ms.push(Instant::now().saturating_duration_since(due).as_secs_f64() * 1e3);
        let rep = &mut reps[i];
        let batch = std::mem::take(&mut rep.batches[k]);
        rep.pending.extend(batch);
        let client = base[rep.relay].with_token(Some(rep.token.clone()));
        sync(rep, &client, &mut out);
        out.taps += 1;
    }
    (reps, out)
}

/// What a manager thread saw: (team, seq, when its pull returned it).
#[derive(Default)]
struct ManagerOut {
    seen: Vec<(usize, i64, Instant)>,
    pull_ms: Vec<f64>,
    pulls: usize,
    /// Events after the first (the head on connect).
    events: usize,
    errors: usize,
    samples: Vec<String>,
}

/// A manager's app: the live socket, a pull on every event that moves past
/// its cursor; ends when the relay closes the socket after `stop`.
fn manager(m: Manager, url: String, cursor_out: Arc<AtomicI64>, stop: Arc<AtomicBool>) -> ManagerOut {
    let mut out = ManagerOut::default();
    let client = RelayClient::new(&url, Some(m.token));
    let mut live = match client.live() {
        Ok(l) => l,
        Err(e) => {
            out.errors += 1;
            out.samples.push(format!("live: {e}"));
            return out;
        }
    };
    let mut cursor = 0i64;
    let mut first = true;
    loop {
        let event = live.next_event();
        if matches!(event, Ok(Some(_))) && !std::mem::take(&mut first) {
            out.events += 1;
        }
        match event {
            Ok(Some(ev)) if ev.seq <= cursor => continue,
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(e) => {
                if !stop.load(Ordering::SeqCst) {
                    out.errors += 1;
                    out.samples.push(format!("live: {e}"));
                }
                break;
            }
        }
        loop {
            let t0 = Instant::now();
            out.pulls += 1;
            match client.pull(cursor, 1000) {
                Ok(p) => {
                    let now = Instant::now();
                    out.pull_ms.push((now - t0).as_secs_f64() * 1e3);
                    out.seen.extend(p.changes.iter().map(|c| (m.team, c.seq, now)));
                    cursor = p.next;
                    if !p.more {
                        break;
                    }
                }
                Err(e) => {
                    if !stop.load(Ordering::SeqCst) {
                        out.errors += 1;
                        if out.samples.len() < 3 {
                            out.samples.push(format!("manager pull: {e}"));
                        }
                    }
                    break;
                }
            }
        }
        cursor_out.store(cursor, Ordering::SeqCst);
    }
    out
}

/// A `status` field in kB, 0 when it cannot be read.
fn status_kb(pid: u32, field: &str) -> u64 {
    procfs::status_kb(pid, field).unwrap_or(0)
}

/// The PostgreSQL processes that serve this database (its backends) or every
/// database (the postmaster, WAL writer, checkpointer, …): other databases'
/// backends (other benches on the same server) are left out.
fn pg_pids(db: &str) -> Vec<u32> {
    let sql = format!(
        "SELECT pid FROM pg_stat_activity WHERE (datname = '{db}' OR backend_type <> 'client backend') \
         AND pid <> pg_backend_pid()"
    );
    let mut pids: Vec<u32> =
        relay::psql_in("postgres", &sql).unwrap_or_default().lines().filter_map(|l| l.trim().parse().ok()).collect();
    // The postmaster is not in pg_stat_activity: the parent of any backend.
    if let Some(&p) = pids.first() {
        let ppid = std::fs::read_to_string(format!("/proc/{p}/stat"))
            .ok()
            .and_then(|s| s.rsplit_once(')')?.1.split_whitespace().nth(1)?.parse().ok());
        if let Some(pp) = ppid {
            pids.push(pp);
        }
    }
    pids.sort_unstable();
    pids.dedup();
    pids
}

/// PostgreSQL's memory: private memory of each process plus the shared
/// buffers once (RssShmem is counted in every process that touched them).
fn pg_rss_mb(pids: &[u32]) -> f64 {
    let anon: u64 = pids.iter().map(|&p| status_kb(p, "RssAnon:")).sum();
    let shm = pids.iter().map(|&p| status_kb(p, "RssShmem:")).max().unwrap_or(0);
    (anon + shm) as f64 / 1024.0
}

fn ticks_of(pids: &[u32]) -> HashMap<u32, u64> {
    pids.iter().map(|&p| (p, cpu_ticks(p))).collect()
}

/// CPU seconds since `before` of the processes in `pids` (new ones from zero).
fn cpu_since(before: &HashMap<u32, u64>, pids: &[u32], tck: f64) -> f64 {
    pids.iter().map(|&p| cpu_ticks(p).saturating_sub(before.get(&p).copied().unwrap_or(0))).sum::<u64>() as f64 / tck
}

fn query_i64s(db: &str, sql: &str) -> Vec<i64> {
    relay::psql_in(db, sql).unwrap_or_default().split('|').map(|v| v.trim().parse().unwrap_or(0)).collect()
}

/// The open-files limit of this process (soft), from /proc.
fn open_files_limit() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/limits").ok()?;
    let l = s.lines().find(|l| l.starts_with("Max open files"))?;
    l.split_whitespace().nth(3)?.parse().ok()
}

/// Runs the company; None when no PostgreSQL answers (the caller notes it).
pub fn run(cfg: Config) -> Option<Report> {
    let db = PgDb::create()?;
    let mut rep = Report::default();
    let need = (2 * cfg.teams + 2 * cfg.workers + 256) as u64;
    match open_files_limit() {
        Some(n) if n < need => rep.notes.push(format!(
            "company: ulimit -n is {n}, the bench needs about {need} (raise it: `ulimit -n 20000`); sockets may fail"
        )),
        _ => {}
    }
    let tck = ticks_per_s();
    let setup_t0 = Instant::now();
    let (after, every) = (cfg.compact_after.to_string(), cfg.compact_every.to_string());
    let extra: [&str; 4] = ["--compact-after", &after, "--compact-every", &every];
    let relays = [RelayProc::start_with(&db.url, &extra), RelayProc::start_with(&db.url, &extra)];
    let (managers, reps) = setup(&cfg, &db.url, &relays);
    rep.taps_planned = reps.iter().map(|r| r.taps.len()).sum();
    // The schedule's busiest ten minutes against the day's mean.
    let mut bins = [0usize; 48];
    for m in reps.iter().flat_map(|r| r.taps.iter()) {
        bins[((m / 10.0) as usize).min(47)] += 1;
    }
    rep.peak_ratio = bins.iter().max().copied().unwrap_or(0) as f64 * 48.0 / rep.taps_planned.max(1) as f64;
    rep.storage.db_setup = query_i64s(&db.name, "SELECT pg_database_size(current_database())")[0];
    rep.setup_s = setup_t0.elapsed().as_secs_f64();
    let urls = [relays[0].url.clone(), relays[1].url.clone()];
    let relay_pids = [relays[0].pid(), relays[1].pid()];

    // Managers watch first (each on the relay its reps do not use).
    let stop = Arc::new(AtomicBool::new(false));
    let cursors: Vec<Arc<AtomicI64>> = (0..cfg.teams).map(|_| Arc::new(AtomicI64::new(0))).collect();
    let manager_threads: Vec<_> = managers
        .into_iter()
        .map(|m| {
            let (url, cur, stop) = (urls[m.relay].clone(), cursors[m.team].clone(), stop.clone());
            std::thread::Builder::new()
                .stack_size(512 * 1024)
                .spawn(move || manager(m, url, cur, stop))
                .expect("manager thread")
        })
        .collect();
    // Reps whose app is open: a live socket on their relay, a pull on every event.
    let watcher_threads: Vec<_> = reps
        .chunk_by(|a, b| a.team == b.team)
        .flat_map(|team| team.iter().take(cfg.reps_watching))
        .map(|r| {
            let m = Manager { team: r.team, relay: r.relay, token: r.token.clone() };
            let (url, stop) = (urls[r.relay].clone(), stop.clone());
            std::thread::Builder::new()
                .stack_size(512 * 1024)
                .spawn(move || manager(m, url, Arc::new(AtomicI64::new(0)), stop))
                .expect("watcher thread")
        })
        .collect();
    rep.live_sockets = manager_threads.len() + watcher_threads.len();
    std::thread::sleep(Duration::from_millis(500));

    // The reference: a loopback round trip (GET /health) to both relays, all along.
    let load_done = Arc::new(AtomicBool::new(false));
    let health = {
        let (urls, done) = (urls.clone(), load_done.clone());
        std::thread::spawn(move || {
            let c = [RelayClient::new(&urls[0], None), RelayClient::new(&urls[1], None)];
            let mut ms = Vec::new();
            let mut i = 0;
            while !done.load(Ordering::SeqCst) {
                let t0 = Instant::now();
                if c[i % 2].health().is_ok() {
                    ms.push(t0.elapsed().as_secs_f64() * 1e3);
                }
                i += 1;
                std::thread::sleep(Duration::from_millis(25));
            }
            ms
        })
    };

    let pg = pg_pids(&db.name);
    rep.relay_rss_before_mb = relay_pids.iter().map(|&p| status_kb(p, "VmRSS:")).sum::<u64>() as f64 / 1024.0;
    rep.pg_rss_before_mb = pg_rss_mb(&pg);
    let relay_before = ticks_of(&relay_pids);
    let pg_before = ticks_of(&pg);
    let me = std::process::id();
    let bench_before = cpu_ticks(me);

    // The day.
    let mut shares: Vec<Vec<Rep>> = (0..cfg.workers).map(|_| Vec::new()).collect();
    for (i, r) in reps.into_iter().enumerate() {
        shares[i % cfg.workers].push(r);
    }
    let start = Instant::now() + Duration::from_millis(200);
    let deadline = start + Duration::from_secs_f64(cfg.day_secs * 2.0);
    let handles: Vec<_> = shares
        .into_iter()
        .map(|share| {
            let urls = urls.clone();
            std::thread::Builder::new()
                .stack_size(512 * 1024)
                .spawn(move || worker(share, urls, start, cfg.day_secs, deadline))
                .expect("worker thread")
        })
        .collect();
    let mut reps: Vec<Rep> = Vec::new();
    let mut acks: Vec<(usize, i64, Instant)> = Vec::new();
    for h in handles {
        let (r, o) = h.join().expect("worker");
        reps.extend(r);
        rep.push_ms.extend(o.push_ms);
        rep.pull_ms.extend(o.pull_ms);
        rep.late_ms.extend(o.late_ms);
        acks.extend(o.acks);
        rep.pushes += o.pushes;
        rep.rep_pulls += o.pulls;
        rep.taps_done += o.taps;
        rep.taps_dropped += o.dropped;
        rep.errors += o.errors;
        rep.error_samples.extend(o.samples);
    }
    rep.day_s = start.elapsed().as_secs_f64();
    // Let the managers catch up with the last pushes (at most 10 s).
    let mut last = vec![0i64; cfg.teams];
    for &(t, seq, _) in &acks {
        last[t] = last[t].max(seq);
    }
    let t_wait = Instant::now();
    while t_wait.elapsed() < Duration::from_secs(10)
        && (0..cfg.teams).any(|t| cursors[t].load(Ordering::SeqCst) < last[t])
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    rep.load_s = start.elapsed().as_secs_f64();
    load_done.store(true, Ordering::SeqCst);
    rep.health_ms = health.join().expect("health thread");
    let pg = pg_pids(&db.name);
    rep.relay_cpu_s = cpu_since(&relay_before, &relay_pids, tck);
    rep.pg_cpu_s = cpu_since(&pg_before, &pg, tck);
    rep.bench_cpu_s = cpu_ticks(me).saturating_sub(bench_before) as f64 / tck;
    rep.relay_rss_after_mb = relay_pids.iter().map(|&p| status_kb(p, "VmRSS:")).sum::<u64>() as f64 / 1024.0;
    rep.relay_hwm_mb = relay_pids.iter().map(|&p| status_kb(p, "VmHWM:")).sum::<u64>() as f64 / 1024.0;
    rep.pg_rss_after_mb = pg_rss_mb(&pg);
    let b = query_i64s(
        &db.name,
        "SELECT COALESCE(SUM(seq - compacted), 0), COALESCE(MAX(seq - compacted), 0), \
         COUNT(*) FILTER (WHERE compacted > 0), COALESCE(SUM(seq), 0) FROM team_seq",
    );
    (rep.backlog_end, rep.backlog_max_team, rep.teams_compacted, rep.stored_end) =
        (b[0], b.get(1).copied().unwrap_or(0), b.get(2).copied().unwrap_or(0) as usize, b.get(3).copied().unwrap_or(0));

    // Prices a pull on its own: the reps' last pulls again, for a few seconds.
    rep.pull_phase = pull_phase(&cfg, &reps, &urls, &relay_pids, &db.name, tck);

    // Storage per activity after one full compaction (what the background
    // compactor converges to), and the live delays.
    stop.store(true, Ordering::SeqCst);
    let mut seen: HashMap<(usize, i64), Instant> = HashMap::new();
    drop(relays);
    for h in manager_threads {
        let o = h.join().expect("manager thread");
        for (t, seq, at) in o.seen {
            seen.entry((t, seq)).or_insert(at);
        }
        rep.manager_pulls += o.pulls;
        rep.live_events += o.events;
        rep.pull_ms.extend(o.pull_ms);
        rep.errors += o.errors;
        rep.error_samples.extend(o.samples);
    }
    for h in watcher_threads {
        // What a rep's app pulled is not a manager's view: only its counts.
        let o = h.join().expect("watcher thread");
        rep.watcher_pulls += o.pulls;
        rep.live_events += o.events;
        rep.pull_ms.extend(o.pull_ms);
        rep.errors += o.errors;
        rep.error_samples.extend(o.samples);
    }
    for (t, seq, acked) in acks {
        match seen.get(&(t, seq)) {
            Some(at) => rep.live_ms.push(at.saturating_duration_since(acked).as_secs_f64() * 1e3),
            None => rep.live_unseen += 1,
        }
    }
    relay::compact(&db.url);
    relay::psql_in(&db.name, "VACUUM ANALYZE");
    let s = query_i64s(
        &db.name,
        "SELECT pg_database_size(current_database()), pg_total_relation_size('changes'), \
         pg_total_relation_size('snapshots'), (SELECT COUNT(*) FROM changes), \
         (SELECT COALESCE(SUM(length(data)), 0) FROM changes), (SELECT COALESCE(SUM(length(data)), 0) FROM snapshots)",
    );
    let g = |i: usize| s.get(i).copied().unwrap_or(0);
    (
        rep.storage.db_end,
        rep.storage.changes_rel,
        rep.storage.snapshots_rel,
        rep.storage.changes,
        rep.storage.change_bytes,
        rep.storage.snapshot_bytes,
    ) = (g(0), g(1), g(2), g(3), g(4), g(5));
    Some(rep)
}

/// Each worker repeats its reps' last pulls (from the cursor before their
/// last sync, so each returns what a rep's pull returned in the day) for
/// `pull_phase_secs`; the relays' and PostgreSQL's CPU over it.
fn pull_phase(cfg: &Config, reps: &[Rep], urls: &[String; 2], relay_pids: &[u32], db: &str, tck: f64) -> PullPhase {
    let pg = pg_pids(db);
    let (relay_before, pg_before) = (ticks_of(relay_pids), ticks_of(&pg));
    let n = AtomicUsize::new(0);
    let t0 = Instant::now();
    let end = t0 + Duration::from_secs_f64(cfg.pull_phase_secs);
    std::thread::scope(|s| {
        for w in 0..cfg.workers {
            let n = &n;
            s.spawn(move || {
                let base = [RelayClient::new(&urls[0], None), RelayClient::new(&urls[1], None)];
                let mine: Vec<&Rep> = reps.iter().skip(w).step_by(cfg.workers).collect();
                let mut i = 0;
                while Instant::now() < end && !mine.is_empty() {
                    let r = mine[i % mine.len()];
                    if base[r.relay].with_token(Some(r.token.clone())).pull(r.prev_cursor, 1000).is_ok() {
                        n.fetch_add(1, Ordering::Relaxed);
                    }
                    i += 1;
                }
            });
        }
    });
    let secs = t0.elapsed().as_secs_f64();
    PullPhase {
        pulls: n.into_inner(),
        secs,
        relay_cpu_s: cpu_since(&relay_before, relay_pids, tck),
        pg_cpu_s: cpu_since(&pg_before, &pg_pids(db), tck),
    }
}
