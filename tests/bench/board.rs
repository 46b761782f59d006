//! Team board + 12-week trends from the local store of the bootstrapped
//! manager's device, beside a plain SQL GROUP BY over the same table and
//! the same 12 weeks, in the same run.

use kept_core::Kept;
use std::time::Instant;

pub fn run(k: &Kept, samples: usize) -> (Vec<f64>, Vec<f64>) {
    let team = k.team().expect("team");
    let week = k.current_week().expect("week");
    let (from, _) = week.plus(-11).bounds(team.tz(), team.week_start);
    let (_, to) = week.bounds(team.tz(), team.week_start);
    let mut kept_ms = Vec::with_capacity(samples);
    let mut sql_ms = Vec::with_capacity(samples);
    // The reference reads the same file through its own connection.
    let db = rusqlite::Connection::open(k.store().path()).expect("db");
    for _ in 0..samples {
        let t = Instant::now();
        let b = k.board(None).expect("board");
        let tr = k.trends(None, 12).expect("trends");
        kept_ms.push(t.elapsed().as_secs_f64() * 1e3);
        std::hint::black_box((b, tr));
        let t = Instant::now();
        let mut st = db
            .prepare_cached(
                "SELECT rep, type, SUM(count) FROM activities WHERE occurred_utc >= ?1 AND occurred_utc < ?2
                 GROUP BY rep, type",
            )
            .expect("prepare");
        let rows: Vec<(String, String, i64)> = st
            .query_map([from.timestamp(), to.timestamp()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        sql_ms.push(t.elapsed().as_secs_f64() * 1e3);
        std::hint::black_box(rows);
    }
    (kept_ms, sql_ms)
}
