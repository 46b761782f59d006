//! Relay ingest: changes/s pushed by concurrent clients over loopback to a
//! real `kept-relay` process, beside bare SQLite batched inserts of the same
//! number of rows (the ceiling the relay's storage cannot beat).

use crate::relay::{self, RelayProc};
use automerge::transaction::Transactable;
use automerge::{ObjType, ROOT};
use base64::Engine;
use kept_core::docs::DocId;
use kept_core::protocol::{PushChange, PushRequest};
use std::time::Instant;

/// `n` changes of one rep's week log, as the app would make them.
fn changes(member: &str, n: usize) -> Vec<PushChange> {
    let id = DocId::log(member, "2026-W48".parse().expect("week"));
    let mut doc = kept_core::docs::genesis(&id).expect("genesis");
    let mut out: Vec<PushChange> =
        doc.get_changes(&[]).iter().map(|c| c.raw_bytes().to_vec()).map(|b| push(&id, b)).collect();
    doc.set_actor(automerge::ActorId::random());
    let coll = match automerge::ReadDoc::get(&doc, ROOT, "activities") {
        Ok(Some((_, o))) => o,
        _ => panic!("no activities map"),
    };
    for i in 0..n {
        let o = doc.put_object(&coll, format!("a{i:06}"), ObjType::Map).expect("put");
        doc.put(&o, "type", "call").expect("put");
        doc.put(&o, "occurred_at", "2026-11-23T10:00:00+00:00").expect("put");
        doc.put(&o, "count", 1i64).expect("put");
        doc.commit();
        let c = doc.get_last_local_change().expect("change");
        out.push(push(&id, c.raw_bytes().to_vec()));
    }
    out
}

fn push(id: &DocId, bytes: Vec<u8>) -> PushChange {
    PushChange {
        doc: id.to_string(),
        kind: id.kind(),
        subject: id.subject().map(str::to_string),
        data: base64::engine::general_purpose::STANDARD.encode(bytes),
    }
}

/// What an ingest run measured.
pub struct Ingest {
    /// Changes stored per second, all clients together.
    pub rate: f64,
    /// The relay's CPU (user + system) per change stored, µs.
    pub relay_us: f64,
    /// Cores the relay and this bench (its clients) kept busy on average.
    pub relay_cores: f64,
    pub bench_cores: f64,
}

/// Changes/s into a relay on `db` (SQLite path or postgres:// URL), and the
/// CPU it took.
pub fn relay_rate(db: &str, clients: usize, per_client: usize, batch: usize) -> Ingest {
    use crate::procfs::{cpu_ticks, ticks_per_s};
    let relay = RelayProc::start(db);
    let team = relay::team(&relay, clients);
    let work: Vec<_> = team.reps.into_iter().map(|(member, client)| (client, changes(&member, per_client))).collect();
    let total: usize = work.iter().map(|w| w.1.len()).sum();
    let (relay_before, bench_before) = (cpu_ticks(relay.pid()), cpu_ticks(std::process::id()));
    let t0 = Instant::now();
    let handles: Vec<_> = work
        .into_iter()
        .map(|(client, changes)| {
            std::thread::spawn(move || {
                for chunk in changes.chunks(batch) {
                    let r = client.push(&PushRequest { changes: chunk.to_vec() }).expect("push");
                    assert_eq!(r.acked.len(), chunk.len(), "every change acknowledged");
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("client thread");
    }
    let secs = t0.elapsed().as_secs_f64();
    let tck = ticks_per_s();
    let relay_s = cpu_ticks(relay.pid()).saturating_sub(relay_before) as f64 / tck;
    let bench_s = cpu_ticks(std::process::id()).saturating_sub(bench_before) as f64 / tck;
    Ingest {
        rate: total as f64 / secs,
        relay_us: relay_s * 1e6 / total as f64,
        relay_cores: relay_s / secs,
        bench_cores: bench_s / secs,
    }
}

/// Bare SQLite, same batch size, one transaction per batch, same pragmas as the relay.
pub fn bare_rate(path: &std::path::Path, total: usize, batch: usize) -> f64 {
    use rusqlite::{params, Connection};
    let c = Connection::open(path).expect("open");
    c.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
         CREATE TABLE changes (team TEXT, seq INTEGER, doc TEXT, hash TEXT PRIMARY KEY, bytes BLOB);",
    )
    .expect("schema");
    let blob = vec![7u8; 120];
    let t0 = Instant::now();
    let mut n = 0;
    while n < total {
        c.execute_batch("BEGIN IMMEDIATE").expect("begin");
        {
            let mut st = c.prepare_cached("INSERT INTO changes VALUES ('t', ?1, 'log/x', ?2, ?3)").expect("prepare");
            for i in n..(n + batch).min(total) {
                st.execute(params![i as i64, format!("{i:064}"), blob]).expect("insert");
            }
        }
        c.execute_batch("COMMIT").expect("commit");
        n += batch;
    }
    total as f64 / t0.elapsed().as_secs_f64()
}
