//! A rep's store aged through two years of taps and syncs as the app makes
//! them (a sync at the end of each working day, no maintenance calls of our
//! own: the sync engine runs maintenance after each sync), against a real
//! relay. Measured in the first weeks (the reference) and in the last:
//! tap p50/p99, the store file and WAL sizes, and the time to open the store.

use crate::relay::RelayProc;
use chrono::{Datelike, Duration, TimeZone, Utc, Weekday};
use kept_core::model::{ActivityInput, Role};
use kept_core::{Clock, FixedClock, IdSource, Kept};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

const TYPES: &[&str] = &["call", "call", "call", "conversation", "call", "meeting-set", "email", "proposal"];

/// Figures at one point of the store's life.
#[derive(Debug, Clone, Copy)]
pub struct Snapshot {
    pub tap_p50_ms: f64,
    pub tap_p99_ms: f64,
    pub db_bytes: u64,
    pub wal_bytes: u64,
    pub open_ms: f64,
    pub activities: usize,
}

pub struct Aging {
    pub start: Snapshot,
    pub end: Snapshot,
    pub weeks: i64,
    pub taps: usize,
    pub syncs: usize,
}

fn size(p: &Path) -> u64 {
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

fn open_ms(home: &Path, clock: &FixedClock) -> f64 {
    let mut v: Vec<f64> = (0..5)
        .map(|_| {
            let t = Instant::now();
            let k = Kept::open(home, Arc::new(clock.clone()), IdSource::seeded(9)).expect("open");
            let ms = t.elapsed().as_secs_f64() * 1e3;
            drop(k);
            ms
        })
        .collect();
    v.sort_by(f64::total_cmp);
    v[2]
}

fn snapshot(home: &Path, clock: &FixedClock, taps: &mut Vec<f64>, activities: usize) -> Snapshot {
    let db = home.join(kept_core::store::DB_FILE);
    let (db_bytes, wal_bytes) = (size(&db), size(&db.with_extension("sqlite3-wal")));
    let open = open_ms(home, clock);
    let (p50, p99) = (crate::pct(taps, 0.5), crate::pct(taps, 0.99));
    taps.clear();
    Snapshot { tap_p50_ms: p50, tap_p99_ms: p99, db_bytes, wal_bytes, open_ms: open, activities }
}

/// `weeks` of a rep's working days, `per_day` taps a day, a sync each evening.
pub fn run(weeks: i64, per_day: usize) -> Aging {
    let dir = tempfile::tempdir().expect("tmp");
    let relay = RelayProc::start(dir.path().join("relay.sqlite3").to_str().expect("utf-8"));
    let team = relay.admin(&["team", "create", "--name", "Aging", "--manager", "Mia"]);
    let clock = FixedClock::new(Utc.with_ymd_and_hms(2024, 12, 2, 8, 0, 0).single().expect("valid"));
    let join = |invite: &str, home: &Path, seed: u64| {
        relay.join(invite, home, Arc::new(clock.clone()), IdSource::seeded(seed))
    };
    let mia = join(team["invite"].as_str().expect("invite"), &dir.path().join("mia"), 1);
    let code = mia.invite(Role::Rep, Some("Anna")).expect("invite").code;
    let home = dir.path().join("anna");
    let mut anna = join(&code, &home, 2);
    let (mut taps_ms, mut taps, mut syncs, mut activities) = (Vec::new(), 0usize, 0usize, 0usize);
    let mut start = None;
    let first_day = clock.now();
    for day in 0..weeks * 7 {
        if day == weeks * 7 - 14 && weeks > 4 {
            taps_ms.clear(); // the end figures: the last two weeks' taps only
        }
        let date = first_day + Duration::days(day);
        if matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
            continue;
        }
        for i in 0..per_day {
            // Taps through the working day, 09:00 to 17:00.
            clock.set(date + Duration::minutes(60 + (i as i64 * 480) / per_day as i64));
            let kind = TYPES[(day as usize + i) % TYPES.len()];
            let input = ActivityInput { account: Some(Some(format!("Account {}", i % 37))), ..Default::default() };
            let t = Instant::now();
            anna.log_activity(kind, input, None).expect("log");
            taps_ms.push(t.elapsed().as_secs_f64() * 1e3);
            taps += 1;
            activities += 1;
        }
        clock.set(date + Duration::hours(10));
        anna.sync().expect("evening sync");
        syncs += 1;
        if start.is_none() && day >= 11 {
            // The reference: the store after its first two working weeks.
            start = Some(snapshot(&home, &clock, &mut taps_ms, activities));
        }
    }
    let end = snapshot(&home, &clock, &mut taps_ms, activities);
    Aging { start: start.expect("at least two weeks"), end, weeks, taps, syncs }
}
