//! Benchmark: logging one activity into a store that holds a year of a rep's
//! history (document change + outbox + materialised rows + commit), beside a
//! bare SQLite INSERT + commit of a comparable row measured in the same run.
//! Goal (DESIGN.md §3): p99 under 5 ms and within 3× of the bare insert.
//!
//! `cargo bench -p kept-core --bench log_activity [-- N]` (N samples, default 2000).

use chrono::{Duration, TimeZone, Utc};
use kept_core::model::{ActivityInput, Role};
use kept_core::{FixedClock, IdSource, InitOptions, Kept};
use rusqlite::{params, Connection};
use std::sync::Arc;
use std::time::Instant;

const TYPES: &[&str] = &["call", "call", "call", "conversation", "meeting-set", "email", "proposal"];

fn pct(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn main() {
    let samples: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(2000);
    let dir = tempfile::tempdir().expect("temp dir");
    let start = Utc.with_ymd_and_hms(2025, 11, 24, 9, 0, 0).single().expect("valid");
    let clock = FixedClock::new(start);
    let opts =
        InitOptions { team: "Bench".into(), me: "Rep".into(), role: Role::Rep, time_zone: None, week_start: None };
    let mut k = Kept::init(&dir.path().join("rep"), opts, Arc::new(clock.clone()), IdSource::seeded(1)).expect("init");

    // A year of history: 52 weeks × 5 days × 10 activities.
    let t0 = Instant::now();
    let mut n = 0;
    for day in 0..364 {
        let date = start + Duration::days(day);
        if chrono::Datelike::weekday(&date).num_days_from_monday() >= 5 {
            continue;
        }
        clock.set(date + Duration::hours(8));
        for i in 0..10 {
            let input = ActivityInput {
                occurred_at: Some((date + Duration::minutes(i * 25)).to_rfc3339()),
                account: Some(Some(format!("Account {}", (day * 7 + i) % 97))),
                ..Default::default()
            };
            k.log_activity(TYPES[(n as usize) % TYPES.len()], input, None).expect("log");
            n += 1;
        }
    }
    let setup = t0.elapsed();
    clock.set(start + Duration::days(364) + Duration::hours(10));

    // Kept: one user action per sample, each its own transaction. Every 200
    // samples the app's idle maintenance runs (outside the timed region; its
    // time is reported separately).
    let mut kept_ms = Vec::with_capacity(samples);
    let mut maintain_ms = Vec::new();
    for i in 0..samples {
        if i % 200 == 199 {
            let t = Instant::now();
            k.store_mut().maintain().expect("maintain");
            maintain_ms.push(t.elapsed().as_secs_f64() * 1e3);
        }
        let input = ActivityInput { account: Some(Some(format!("Account {}", i % 97))), ..Default::default() };
        let t = Instant::now();
        k.log_activity(TYPES[i % TYPES.len()], input, None).expect("log");
        kept_ms.push(t.elapsed().as_secs_f64() * 1e3);
        // A busy rep: one activity an hour, round the clock, so the samples
        // spread over about twelve weekly documents as real use would.
        clock.advance(Duration::hours(1));
    }

    // Reference: a bare INSERT + commit of a comparable row, same pragmas.
    let conn = Connection::open(dir.path().join("bare.sqlite3")).expect("open");
    conn.pragma_update(None, "journal_mode", "WAL").expect("wal");
    conn.pragma_update(None, "synchronous", "NORMAL").expect("sync");
    conn.execute_batch(
        "CREATE TABLE a (id TEXT PRIMARY KEY, rep TEXT, type TEXT, occurred_at TEXT, occurred_utc INTEGER, count INTEGER, account TEXT);
         CREATE INDEX a_rep ON a (rep, occurred_utc);",
    )
    .expect("schema");
    let ids = IdSource::seeded(9);
    let mut bare_ms = Vec::with_capacity(samples);
    for i in 0..samples {
        let id = ids.uuid_at(Utc::now()).to_string();
        let t = Instant::now();
        conn.execute_batch("BEGIN IMMEDIATE").expect("begin");
        conn.execute(
            "INSERT INTO a VALUES (?1, 'rep', ?2, '2026-11-23T10:00:00+00:00', ?3, 1, ?4)",
            params![id, TYPES[i % TYPES.len()], i as i64, format!("Account {}", i % 97)],
        )
        .expect("insert");
        conn.execute_batch("COMMIT").expect("commit");
        bare_ms.push(t.elapsed().as_secs_f64() * 1e3);
    }

    if std::env::var_os("KEPT_BENCH_SPIKES").is_some() {
        let mut idx: Vec<usize> = (0..kept_ms.len()).collect();
        idx.sort_by(|a, b| kept_ms[*b].total_cmp(&kept_ms[*a]));
        for i in idx.iter().take(25) {
            eprintln!("spike: sample {i} took {:.2} ms", kept_ms[*i]);
        }
    }
    kept_ms.sort_by(f64::total_cmp);
    bare_ms.sort_by(f64::total_cmp);
    let (k50, k99) = (pct(&kept_ms, 0.5), pct(&kept_ms, 0.99));
    let (b50, b99) = (pct(&bare_ms, 0.5), pct(&bare_ms, 0.99));
    println!("history: {n} activities logged in {:.1} s", setup.as_secs_f64());
    maintain_ms.sort_by(f64::total_cmp);
    if !maintain_ms.is_empty() {
        println!(
            "idle maintenance (compaction + WAL checkpoint), {} runs: median {:.1} ms, max {:.1} ms",
            maintain_ms.len(),
            pct(&maintain_ms, 0.5),
            pct(&maintain_ms, 1.0)
        );
    }
    println!("{:<44} {:>9} {:>9}", "log one activity (ms)", "p50", "p99");
    println!("{:<44} {:>9.3} {:>9.3}", "kept: document + outbox + views + commit", k50, k99);
    println!("{:<44} {:>9.3} {:>9.3}", "reference: bare SQLite INSERT + commit", b50, b99);
    println!("{:<44} {:>9.1}x {:>8.1}x", "ratio kept / reference", k50 / b50, k99 / b99);
    println!(
        "goal: p99 < 5 ms [{}], within 3x of the reference at p99 [{}]",
        if k99 < 5.0 { "met" } else { "MISSED" },
        if k99 <= 3.0 * b99 { "met" } else { "MISSED" }
    );
}
