//! Measures what the relay's document cache really holds: RSS growth for N
//! week logs of M activity changes each, against the cache's estimate.
use automerge::transaction::Transactable;
use automerge::{ObjType, ReadDoc, ROOT};
use kept_protocol::gate::DocState;
use kept_protocol::DocId;

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let (docs, per): (usize, usize) = (50, 2000);
    let before = rss_kib();
    let mut states = Vec::new();
    let mut est = 0usize;
    let mut raw_total = 0usize;
    let t0 = std::time::Instant::now();
    for i in 0..docs {
        let id = DocId::log(&format!("0190f0a0-0000-7000-8000-{i:012}"), "2026-W48".parse().expect("w"));
        let mut doc = kept_protocol::genesis::genesis(&id).expect("g");
        let mut raw = vec![doc.get_last_local_change().expect("c").raw_bytes().to_vec()];
        doc.set_actor(automerge::ActorId::random());
        let coll = match doc.get(ROOT, "activities").expect("get") {
            Some((_, o)) => o,
            None => panic!(),
        };
        for j in 0..per {
            let o = doc.put_object(&coll, format!("a{j:06}"), ObjType::Map).expect("put");
            doc.put(&o, "type", "call").expect("put");
            doc.put(&o, "occurred_at", "2026-11-23T10:00:00+00:00").expect("put");
            doc.put(&o, "count", 1i64).expect("put");
            doc.commit();
            raw.push(doc.get_last_local_change().expect("c").raw_bytes().to_vec());
        }
        raw_total += raw.iter().map(Vec::len).sum::<usize>();
        let changes: Vec<automerge::Change> =
            raw.into_iter().map(|b| automerge::Change::from_bytes(b).expect("p")).collect();
        let refs: Vec<&automerge::Change> = changes.iter().collect();
        let mut st = DocState::new();
        let ta = std::time::Instant::now();
        st.admit(&refs).expect("admit");
        if i == 0 {
            println!("admit {per} changes one push: {:?}", ta.elapsed());
        }
        est += st.estimated_memory();
        states.push(st);
        drop(doc);
    }
    let after = rss_kib();
    println!(
        "{docs} docs x {per} changes: raw {} KiB, RSS +{} KiB, estimate {} KiB, built in {:?}",
        raw_total / 1024,
        after.saturating_sub(before),
        est / 1024,
        t0.elapsed()
    );
    // Cost of admitting one more change into a big cached document.
    let st = &mut states[0];
    let id = DocId::log("0190f0a0-0000-7000-8000-000000000000", "2026-W48".parse().expect("w"));
    let _ = id;
    let t = std::time::Instant::now();
    let n = 200;
    let mut d = automerge::AutoCommit::new();
    let mut extra = Vec::new();
    for j in 0..n {
        d.put(ROOT, format!("x{j}"), 1).expect("put");
        d.commit();
        extra.push(d.get_last_local_change().expect("c").clone());
    }
    let t1 = std::time::Instant::now();
    for c in &extra {
        st.admit(&[c]).expect("admit");
    }
    println!("admit one change into a {per}-change document: {:?} each (setup {:?})", t1.elapsed() / n, t1 - t);
}
