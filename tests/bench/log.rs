//! Logging one activity into a store holding a year of a rep's history
//! (document change + outbox + materialised rows + commit), beside a bare
//! SQLite INSERT + commit of a comparable row, same pragmas, same run (the
//! method of shared/benches/log_activity.rs).

use chrono::{Duration, TimeZone, Utc};
use kept_core::model::{ActivityInput, Role};
use kept_core::{FixedClock, IdSource, InitOptions, Kept};
use rusqlite::{params, Connection};
use std::sync::Arc;
use std::time::Instant;

const TYPES: &[&str] = &["call", "call", "call", "conversation", "meeting-set", "email", "proposal"];

pub struct LogFigures {
    pub kept_ms: Vec<f64>,
    pub bare_ms: Vec<f64>,
    /// The Automerge part alone: one activity record put into a week
    /// document held in memory and committed (no SQLite at all), a fresh
    /// document every 50 records.
    pub automerge_ms: Vec<f64>,
    /// The same change on the very document the tap wrote into (its week log
    /// as the store holds it, loaded in memory): the tap's own CRDT floor.
    pub same_doc_ms: Vec<f64>,
    /// Getting that change's bytes back out of the document after the commit
    /// (`get_change_by_hash`, which Automerge 0.12 answers by encoding the
    /// change again from its op set): what a store must do beyond the floor.
    pub change_bytes_ms: Vec<f64>,
    pub history: usize,
}

/// The CRDT floor of a tap: the same record Kept writes (six fields), into a
/// week document of ~50 activities held in memory, then `commit`. One step a
/// call, so the bench can take a floor sample beside every tap sample (the
/// two then see the same machine load).
struct Floor {
    ids: IdSource,
    doc: automerge::AutoCommit,
    coll: automerge::ObjId,
    i: usize,
}

impl Floor {
    fn new() -> Floor {
        Floor { ids: IdSource::seeded(5), doc: automerge::AutoCommit::new(), coll: automerge::ObjId::Root, i: 0 }
    }

    /// One tap's Automerge work, in ms.
    fn sample(&mut self) -> f64 {
        use automerge::transaction::Transactable;
        use automerge::{AutoCommit, ObjType, ROOT};
        let i = self.i;
        self.i += 1;
        if i.is_multiple_of(50) {
            // A new week: a fresh document, as Kept's weekly logs.
            self.doc = AutoCommit::new();
            self.coll = self.doc.put_object(ROOT, "activities", ObjType::Map).expect("map");
            self.doc.commit();
        }
        let id = self.ids.uuid_at(Utc::now()).to_string();
        let (doc, coll) = (&mut self.doc, &self.coll);
        record(doc, coll, &id, i)
    }

    /// The same change on a copy of the document the taps write into (`doc`,
    /// in memory), in ms.
    fn sample_on(&mut self, doc: &mut automerge::AutoCommit) -> f64 {
        use automerge::ReadDoc;
        let i = self.i;
        self.i += 1;
        let coll = match doc.get(automerge::ROOT, "activities").expect("read") {
            Some((automerge::Value::Object(_), o)) => o,
            _ => panic!("a week log without its activities map"),
        };
        let id = self.ids.uuid_at(Utc::now()).to_string();
        record(doc, &coll, &id, i)
    }

    /// Reads the last change's bytes back out of `doc`, in ms.
    fn change_bytes(doc: &mut automerge::AutoCommit) -> f64 {
        let t = Instant::now();
        let n = doc.get_last_local_change().map_or(0, |c| c.raw_bytes().len());
        let ms = t.elapsed().as_secs_f64() * 1e3;
        assert!(n > 0, "the change just committed has bytes");
        ms
    }
}

/// Puts one activity record (six fields) into `coll` and commits, in ms.
fn record(doc: &mut automerge::AutoCommit, coll: &automerge::ObjId, id: &str, i: usize) -> f64 {
    use automerge::transaction::{CommitOptions, Transactable};
    use automerge::ObjType;
    let t = Instant::now();
    let o = doc.put_object(coll, id, ObjType::Map).expect("record");
    doc.put(&o, "type", TYPES[i % TYPES.len()]).expect("put");
    doc.put(&o, "occurred_at", "2026-11-23T10:00:00+00:00").expect("put");
    doc.put(&o, "count", 1i64).expect("put");
    doc.put(&o, "logged_by", "0190f0a0-0000-7000-8000-000000000001").expect("put");
    doc.put(&o, "account", format!("Account {}", i % 97)).expect("put");
    doc.put(&o, "kare", "attain").expect("put");
    doc.commit_with(CommitOptions::default().with_time(i as i64));
    t.elapsed().as_secs_f64() * 1e3
}

pub fn run(weeks: i64, samples: usize) -> LogFigures {
    let dir = tempfile::tempdir().expect("temp dir");
    let start = Utc.with_ymd_and_hms(2025, 11, 24, 9, 0, 0).single().expect("valid");
    let clock = FixedClock::new(start);
    let opts =
        InitOptions { team: "Bench".into(), me: "Rep".into(), role: Role::Rep, time_zone: None, week_start: None };
    let mut k = Kept::init(&dir.path().join("rep"), opts, Arc::new(clock.clone()), IdSource::seeded(1)).expect("init");
    // History: `weeks` × 5 days × 10 activities, one tap each.
    let mut n = 0;
    for day in 0..weeks * 7 {
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
            k.log_activity(TYPES[n % TYPES.len()], input, None).expect("log");
            n += 1;
        }
        if day % 28 == 27 {
            k.store_mut().maintain().expect("maintain");
        }
    }
    k.store_mut().maintain().expect("maintain");
    clock.set(start + Duration::days(weeks * 7) + Duration::hours(10));
    let mut kept_ms = Vec::with_capacity(samples);
    let mut floor = Floor::new();
    let mut same = Floor::new();
    let mut automerge_ms = Vec::with_capacity(samples);
    let mut same_doc_ms = Vec::with_capacity(samples);
    let mut change_bytes_ms = Vec::with_capacity(samples);
    // The same-document floor writes into a copy of the week log the taps
    // write into, loaded once a week (when the taps move to a new log) and
    // then growing by one record a round, as the tap's log does.
    let mut mirror: Option<(kept_core::docs::DocId, automerge::AutoCommit)> = None;
    let mut last_doc = None;
    for i in 0..samples {
        if let Some(doc) = last_doc.take() {
            if mirror.as_ref().is_none_or(|(id, _)| *id != doc) {
                mirror = Some((doc.clone(), k.store().load(&doc).expect("load").expect("held")));
            }
        }
        if let Some((_, m)) = mirror.as_mut() {
            same_doc_ms.push(same.sample_on(m));
            change_bytes_ms.push(Floor::change_bytes(m));
        }
        automerge_ms.push(floor.sample());
        if i % 200 == 199 {
            // The app's idle maintenance, outside the timed region.
            k.store_mut().maintain().expect("maintain");
        }
        let input = ActivityInput { account: Some(Some(format!("Account {}", i % 97))), ..Default::default() };
        let t = Instant::now();
        let a = k.log_activity(TYPES[i % TYPES.len()], input, None).expect("log");
        kept_ms.push(t.elapsed().as_secs_f64() * 1e3);
        last_doc = k.store().activity_doc(&a.id).expect("read");
        clock.advance(Duration::hours(1));
    }

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
    if std::env::var("KEPT_BENCH_SLOW").is_ok() {
        // WAL frames (pages) a tap writes: checkpoint, tap 100 times, ask again.
        let c = Connection::open(dir.path().join("rep").join("kept.sqlite3")).expect("open");
        let frames = || -> i64 { c.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get(1)).expect("ckpt") };
        frames();
        for i in 0..100 {
            let input = ActivityInput { account: Some(Some(format!("Account {}", i % 97))), ..Default::default() };
            k.log_activity(TYPES[i % TYPES.len()], input, None).expect("log");
        }
        eprintln!("WAL frames per tap: {:.1}", frames() as f64 / 100.0);
        for (i, ms) in kept_ms.iter().enumerate().filter(|(_, ms)| **ms > 1.0) {
            eprintln!("slow tap {i}: {ms:.2} ms");
        }
    }
    LogFigures { kept_ms, bare_ms, automerge_ms, same_doc_ms, change_bytes_ms, history: n }
}
