//! `kept-relay check [--repair]` on deliberately damaged databases, on both
//! backends: every kind of damage is reported, `--repair` rebuilds what can be
//! rebuilt and records what is lost, and afterwards clients can pull and
//! apply everything and push again. SQLite only: a file damaged at the page
//! level is salvaged; a file that is not a database is refused at open.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, AutoCommit, ReadDoc, ROOT};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use common::*;
use kept_relay::check::Report;
use serde_json::json;
use std::collections::BTreeMap;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

fn db_of(relay: &Relay) -> String {
    match relay.backend {
        Backend::Sqlite => relay.db.display().to_string(),
        Backend::Postgres => relay.pg.as_ref().unwrap().url.clone(),
    }
}

fn check(relay: &Relay, repair: bool) -> Report {
    rt().block_on(kept_relay::check::run(&db_of(relay), "test db", repair)).unwrap()
}

/// Runs SQL against the relay's database (the SQLite or the PostgreSQL form).
fn sql(relay: &Relay, sqlite: &str, pg: &str) {
    match relay.backend {
        Backend::Sqlite => {
            rusqlite::Connection::open(&relay.db).unwrap().execute_batch(sqlite).unwrap();
        }
        Backend::Postgres => {
            let url = relay.pg.as_ref().unwrap().url.clone();
            rt().block_on(async move {
                let (c, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
                tokio::spawn(conn);
                c.batch_execute(pg).await.unwrap();
            });
        }
    }
}

/// Stores a change directly (bypassing the relay's checks), as damage would.
fn insert_change(relay: &Relay, team: &str, seq: i64, doc: &str, reader: &str, bytes: &[u8]) {
    let c = automerge::Change::from_bytes(bytes.to_vec()).unwrap();
    let (hash, actor, aseq) = (c.hash().0.to_vec(), c.actor_id().to_bytes().to_vec(), c.seq() as i64);
    match relay.backend {
        Backend::Sqlite => {
            let conn = rusqlite::Connection::open(&relay.db).unwrap();
            let mut key = [0u8; 8];
            key.copy_from_slice(&actor[..8]);
            conn.execute(
                "INSERT INTO changes(team_id, seq, doc_id, akey, aseq, reader, hash, data) \
                 VALUES (?1, ?2, (SELECT id FROM docs WHERE doc = ?3), ?4, ?5, ?6, ?7, ?8)",
                rusqlite::params![team, seq, doc, i64::from_be_bytes(key), aseq, reader, hash, bytes],
            )
            .unwrap();
        }
        Backend::Postgres => {
            let url = relay.pg.as_ref().unwrap().url.clone();
            let (team, doc, reader, bytes) = (team.to_string(), doc.to_string(), reader.to_string(), bytes.to_vec());
            rt().block_on(async move {
                let (c, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
                tokio::spawn(conn);
                c.execute(
                    "INSERT INTO changes(team_id, seq, doc_id, reader, hash, data, actor, aseq) \
                     VALUES ($1, $2, (SELECT id FROM docs WHERE doc = $3), $4, $5, $6, $7, $8)",
                    &[&team, &seq, &doc, &reader, &hash, &bytes, &actor, &aseq],
                )
                .await
                .unwrap();
            });
        }
    }
}

/// `n` chained changes of one document: change i sets `v` to i and a note.
fn chain(doc: &str, n: i64) -> (AutoCommit, Vec<Vec<u8>>) {
    let mut d = AutoCommit::new().with_actor(ActorId::random());
    let mut out = Vec::new();
    for i in 1..=n {
        d.put(ROOT, "v", i).unwrap();
        d.put(ROOT, "note", format!("change number {i} of {doc}")).unwrap();
        d.commit_with(CommitOptions::default().with_time(i));
        out.push(d.get_last_local_change().unwrap().raw_bytes().to_vec());
    }
    (d, out)
}

fn next_change(d: &mut AutoCommit, v: i64) -> Vec<u8> {
    d.put(ROOT, "v", v).unwrap();
    d.put(ROOT, "note", format!("change number {v}")).unwrap();
    d.commit_with(CommitOptions::default().with_time(v));
    d.get_last_local_change().unwrap().raw_bytes().to_vec()
}

fn push(m: &Member, changes: &[(String, Vec<u8>)]) {
    let body: Vec<_> = changes.iter().map(|(doc, b)| entry(doc, &B64.encode(b))).collect();
    let (st, v) = m.client.post("/v1/push", &json!({ "changes": body }));
    assert_eq!(st, 200, "{v}");
}

/// The value of `v` in every document a manager bootstraps from the relay (snapshots + tail), as a client would build it.
fn bootstrap(m: &Member) -> BTreeMap<String, i64> {
    let page = m.pull(0, 5000);
    let mut docs: BTreeMap<String, AutoCommit> = BTreeMap::new();
    for s in page.snapshots {
        docs.insert(s.doc.clone(), AutoCommit::load(&B64.decode(&s.data).unwrap()).expect("a snapshot loads"));
    }
    let mut by_doc: BTreeMap<String, Vec<automerge::Change>> = BTreeMap::new();
    for c in page.changes {
        by_doc.entry(c.doc).or_default().push(automerge::Change::from_bytes(B64.decode(&c.data).unwrap()).unwrap());
    }
    for (doc, changes) in by_doc {
        let d = docs.entry(doc.clone()).or_default();
        d.apply_changes(changes).unwrap_or_else(|e| panic!("a client cannot apply the changes of {doc}: {e}"));
        assert!(d.get_missing_deps(&[]).is_empty(), "{doc} misses changes");
    }
    docs.into_iter()
        .map(|(doc, d)| {
            let v = d.get(ROOT, "v").unwrap().and_then(|(v, _)| v.as_i64()).unwrap_or(0);
            (doc, v)
        })
        .collect()
}

fn a_healthy_database_passes(backend: Backend) {
    let relay = Relay::start(backend);
    let team = relay.team("A");
    let docs = ["team".to_string(), plan(team.ann.id())];
    for doc in &docs {
        let (_, changes) = chain(doc, 4);
        push(&team.manager, &changes.into_iter().map(|c| (doc.clone(), c)).collect::<Vec<_>>());
    }
    relay.compact(&team.team_id);
    let (_, tail) = chain("team", 1);
    push(&team.manager, &[("team".into(), tail[0].clone())]);
    let r = check(&relay, false);
    assert!(r.healthy(), "{}", r.text());
    assert_eq!((r.teams, r.changes, r.documents, r.snapshots, r.devices), (1, 9, 2, 2, 3), "{}", r.text());
    assert!(r.text().contains("no problems found"));
}

fn every_kind_of_damage_is_reported_and_repaired(backend: Backend) {
    let relay = Relay::start(backend);
    let team = relay.team("A");
    let (ann, bob) = (team.ann.id().to_string(), team.bob.id().to_string());
    let docs = ["team".to_string(), plan(&ann), log(&ann), plan(&bob)];
    let readers = ["".to_string(), ann.clone(), ann.clone(), bob.clone()];
    // Seqs 1-5 team, 6-10 plan/Ann, 11-15 log/Ann, 16-20 plan/Bob; compacted at 20;
    // then 21-22 team, 23-24 plan/Ann, 25-26 log/Ann, 27-28 plan/Bob.
    let mut heads: Vec<AutoCommit> = Vec::new();
    let mut first = Vec::new();
    for doc in &docs {
        let (d, changes) = chain(doc, 5);
        first.extend(changes.into_iter().map(|c| (doc.clone(), c)));
        heads.push(d);
    }
    push(&team.manager, &first);
    assert_eq!(relay.compact(&team.team_id), 20);
    let mut tail = Vec::new();
    let mut twin = None;
    for (doc, d) in docs.iter().zip(heads.iter_mut()) {
        tail.push((doc.clone(), next_change(d, 6)));
        if doc == &plan(&bob) {
            let mut other = d.clone();
            twin = Some(next_change(&mut other, 107));
        }
        tail.push((doc.clone(), next_change(d, 7)));
    }
    push(&team.manager, &tail);
    assert!(check(&relay, false).healthy());

    // The damage.
    let t = &team.team_id;
    let mut flipped = tail[5].1.clone(); // seq 26, the last of log/Ann
    let at = flipped.windows(6).position(|w| w == b"change").expect("the note");
    flipped[at] = b'C';
    let flipped_hex = hex::encode(&flipped);
    sql(
        &relay,
        &format!(
            "UPDATE changes SET data = x'00ff00ff' WHERE seq = 24;
             UPDATE changes SET data = x'{flipped_hex}' WHERE seq = 26;
             DELETE FROM changes WHERE seq = 22;
             UPDATE changes SET reader = '{bob}' WHERE seq = 12;
             UPDATE changes SET hash = x'{z}' WHERE seq = 13;
             UPDATE snapshots SET data = x'0102' WHERE doc = 'team';
             DELETE FROM snapshots WHERE doc = '{pb}';
             UPDATE team_seq SET seq = 25;
             UPDATE devices SET token_hash = 'not-a-hash' WHERE member_id = '{bob}';",
            z = "00".repeat(32),
            pb = plan(&bob)
        ),
        &format!(
            "UPDATE changes SET data = '\\x00ff00ff'::bytea WHERE seq = 24;
             UPDATE changes SET data = '\\x{flipped_hex}'::bytea WHERE seq = 26;
             DELETE FROM changes WHERE seq = 22;
             UPDATE changes SET reader = '{bob}' WHERE seq = 12;
             UPDATE changes SET hash = '\\x{z}'::bytea WHERE seq = 13;
             UPDATE snapshots SET data = '\\x0102'::bytea WHERE doc = 'team';
             DELETE FROM snapshots WHERE doc = '{pb}';
             UPDATE team_seq SET seq = 25;
             UPDATE devices SET token_hash = 'not-a-hash' WHERE member_id = '{bob}';",
            z = "00".repeat(32),
            pb = plan(&bob)
        ),
    );
    // A twin of seq 27 (same actor and seq, other content), stored behind the relay's back.
    insert_change(&relay, t, 29, &plan(&bob), &readers[3], twin.as_ref().unwrap());

    let r = check(&relay, false);
    let text = r.text();
    assert!(!r.healthy(), "{text}");
    for (what, needle) in [
        ("change", "seq 24 of"),
        ("change", "seq 26 of"),
        ("change", "checksum does not match"),
        ("change", "seq 12 of"),
        ("change", "seq 13 of"),
        ("sequence", "sequence number 22 is missing"),
        ("snapshot", "the snapshot of 'team' does not load"),
        ("snapshot", "no snapshot"),
        ("counter", "below the highest stored change (29)"),
        ("document", "reuses sequence number 7"),
        ("tokens", "token hash is damaged"),
    ] {
        assert!(
            r.problems.iter().any(|p| p.what == what && p.message.contains(needle)),
            "no {what} problem mentioning {needle:?}:\n{text}"
        );
    }
    assert!(text.contains("run `kept-relay check --repair"), "{text}");
    assert_eq!(r.remaining.len(), r.problems.len());
    // Before the repair a push fails (its seqs collide with stored ones).
    let (_, extra) = chain("extra", 1);
    let (st, _) =
        team.manager.client.post("/v1/push", &json!({"changes": [entry(&plan(&ann), &B64.encode(&extra[0]))]}));
    assert_eq!(st, 500, "a push on a counter below the log should fail before the repair");

    let r = check(&relay, true);
    assert!(r.healthy(), "{}", r.text());
    assert!(r.text().contains("every problem was repaired"), "{}", r.text());
    assert!(r.lost.iter().any(|l| l.contains("acknowledged")), "{:?}", r.lost);
    let again = check(&relay, false);
    assert!(again.healthy() && again.problems.is_empty(), "{}", again.text());

    // What clients see now: every document loads and applies; the lost changes are gone.
    let got = bootstrap(&team.manager);
    let want: BTreeMap<String, i64> =
        [("team", 6), (plan(&ann).as_str(), 6), (log(&ann).as_str(), 6), (plan(&bob).as_str(), 7)]
            .into_iter()
            .map(|(d, v)| (d.to_string(), v))
            .collect();
    assert_eq!(got, want);
    let (ann_changes, _) = team.ann.pull_all(5); // past 0: changes, not snapshots
    assert!(ann_changes.iter().any(|c| c.seq == 12), "the reader was put right: Ann pulls seq 12");
    // Pushing works again, after the highest stored seq.
    let (st, v) =
        team.manager.client.post("/v1/push", &json!({"changes": [entry(&plan(&ann), &B64.encode(&extra[0]))]}));
    assert_eq!((st, v["seq"].as_i64()), (200, Some(30)), "{v}");
    // Bob's damaged device was revoked: it must join again.
    assert_eq!(team.bob.client.get("/v1/members").0, 401);
}

on_both_backends!(a_healthy_database_passes, every_kind_of_damage_is_reported_and_repaired);

fn relay_bin() -> &'static str {
    env!("CARGO_BIN_EXE_kept-relay")
}

#[test]
fn the_command_reports_repairs_and_exits_non_zero_on_problems() {
    let mut relay = Relay::start(Backend::Sqlite);
    let team = relay.team("A");
    let (_, changes) = chain("team", 3);
    push(&team.manager, &changes.into_iter().map(|c| ("team".to_string(), c)).collect::<Vec<_>>());
    relay.stop();
    let db = relay.db.display().to_string();
    let run = |args: &[&str]| std::process::Command::new(relay_bin()).args(args).output().unwrap();
    let ok = run(&["check", "--db", &db]);
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stdout));
    sql(&relay, "UPDATE changes SET data = x'00' WHERE seq = 3", "");
    let bad = run(&["check", "--db", &db]);
    let out = String::from_utf8_lossy(&bad.stdout);
    assert_eq!(bad.status.code(), Some(1), "{out}");
    assert!(out.contains("seq 3 of 'team' is not an Automerge change") && out.contains("--repair"), "{out}");
    let json = run(&["check", "--json", "--db", &db]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["problems"][0]["what"], "change", "{v}");
    let fixed = run(&["check", "--repair", "--db", &db]);
    let out = String::from_utf8_lossy(&fixed.stdout);
    assert!(fixed.status.success(), "{out}");
    assert!(out.contains("dropped change seq 3") && out.contains("lost_changes"), "{out}");
    assert!(run(&["check", "--db", &db]).status.success());
}

#[test]
fn a_file_that_is_not_a_database_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("relay.sqlite3");
    std::fs::write(&path, b"these are not the bytes of a SQLite database, just a text file that is long enough")
        .unwrap();
    let err = kept_relay::SqliteStorage::open(&path).err().expect("refused").to_string();
    assert!(err.contains("is not a kept-relay database") && err.contains("not a database at all"), "{err}");
    for args in [vec!["serve", "--listen", "127.0.0.1:0", "--db"], vec!["check", "--db"]] {
        let out = std::process::Command::new(relay_bin()).args(&args).arg(&path).output().unwrap();
        let msg = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {msg}");
        assert!(msg.contains("is not a kept-relay database"), "{args:?}: {msg}");
    }
    // Another program's SQLite database (here a kept client's store) is refused too, and left untouched.
    let other = dir.path().join("kept.sqlite3");
    let c = rusqlite::Connection::open(&other).unwrap();
    c.execute_batch("CREATE TABLE meta(key TEXT); CREATE TABLE outbox(seq INTEGER);").unwrap();
    drop(c);
    let err = kept_relay::SqliteStorage::open(&other).err().expect("refused").to_string();
    assert!(err.contains("kept client's store") && err.contains("not a kept-relay database"), "{err}");
    let c = rusqlite::Connection::open(&other).unwrap();
    let n: i64 = c.query_row("SELECT COUNT(*) FROM sqlite_master WHERE name = 'changes'", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 0, "the relay's tables were created in someone else's database");
}

#[test]
fn a_file_damaged_at_the_page_level_is_salvaged() {
    let mut relay = Relay::start(Backend::Sqlite);
    let team = relay.team("A");
    // Enough changes (with some bulk) to fill many pages.
    let mut all = Vec::new();
    for i in 0..6 {
        let doc = if i % 2 == 0 { plan(team.ann.id()) } else { log(team.ann.id()) };
        let mut d = AutoCommit::new().with_actor(ActorId::random());
        for j in 0..50 {
            d.put(ROOT, "bulk", format!("{i}-{j}-{}", "x".repeat(900))).unwrap();
            d.commit_with(CommitOptions::default().with_time(j));
            all.push((doc.clone(), d.get_last_local_change().unwrap().raw_bytes().to_vec()));
        }
    }
    for batch in all.chunks(100) {
        push(&team.manager, batch);
    }
    relay.stop();
    // A copy of the database without its WAL, then pages in its middle overwritten with garbage.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("relay.sqlite3");
    let c = rusqlite::Connection::open(&relay.db).unwrap();
    c.execute("VACUUM INTO ?1", [path.to_str().unwrap()]).unwrap();
    drop(c);
    drop(relay);
    let c = rusqlite::Connection::open(&path).unwrap();
    let page = c.query_row("PRAGMA page_size", [], |r| r.get::<_, i64>(0)).unwrap() as u64;
    drop(c);
    let mut bytes = std::fs::read(&path).unwrap();
    let pages = bytes.len() as u64 / page;
    assert!(pages > 40, "{pages} pages");
    // Two pages at a third, half and two thirds of the file: some fall in the
    // changes table whatever the other tables' layout (the schema grows).
    for at in [pages / 3, pages / 2, 2 * pages / 3] {
        let start = (at * page) as usize;
        for b in &mut bytes[start..start + 2 * page as usize] {
            *b = 0xA5;
        }
    }
    std::fs::write(&path, &bytes).unwrap();

    let r = rt().block_on(kept_relay::check::run(path.to_str().unwrap(), "damaged", false)).unwrap();
    assert!(r.problems.iter().any(|p| p.what == "database"), "{}", r.text());
    let r = rt().block_on(kept_relay::check::run(path.to_str().unwrap(), "damaged", true)).unwrap();
    let text = r.text();
    assert!(r.repaired.iter().any(|x| x.contains("salvage") || x.contains("re-indexed")), "{text}");
    // What remains is what the relay cannot rebuild: changes that depend on lost ones.
    assert!(
        r.remaining.iter().all(|p| p.what == "document" && !p.repairable && p.message.contains("does not have")),
        "{text}"
    );
    // Where the garbage lands depends on the file's layout: rows the salvage
    // could not copy show as sequence gaps; rows whose bytes were hit are
    // dropped and recorded in lost_changes. Either way the loss is reported.
    let salvaged = r.repaired.iter().any(|x| x.contains("salvage"));
    let reported = if salvaged {
        r.problems.iter().any(|p| p.what == "sequence")
    } else {
        r.repaired.iter().any(|x| x.contains("recorded in lost_changes"))
    };
    assert!(reported, "the lost rows are reported: {text}");
    // The repaired file opens, passes SQLite's own check and keeps most changes.
    let c = rusqlite::Connection::open(&path).unwrap();
    let ok: String = c.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(ok, "ok");
    let kept: i64 = c.query_row("SELECT COUNT(*) FROM changes", [], |r| r.get(0)).unwrap();
    let lost: i64 = c.query_row("SELECT COUNT(*) FROM lost_changes", [], |r| r.get(0)).unwrap_or(0);
    assert_eq!(kept + lost, 300, "every change is either kept or recorded as lost");
    assert!(kept >= 250, "only {kept} of 300 changes were salvaged");
    drop(c);
    let storage = kept_relay::SqliteStorage::open(&path).expect("the relay opens the repaired file");
    drop(storage);
    // A salvage keeps the damaged file beside the new one.
    let copy = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .any(|e| e.unwrap().file_name().to_string_lossy().contains("damaged-"));
    assert_eq!(copy, salvaged, "{text}");
}

#[test]
fn migrations_2_and_3_fill_in_actors_and_document_versions_on_postgres() {
    let db = TestDb::create();
    let rt = rt();
    let pg = rt.block_on(kept_relay::PostgresStorage::connect_unmigrated(&db.url)).unwrap();
    let (_, changes) = chain("team", 2);
    rt.block_on(async {
        let c = pg.pool().get().await.unwrap();
        c.batch_execute(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL);
             INSERT INTO schema_migrations VALUES (1, 0);",
        )
        .await
        .unwrap();
        c.batch_execute(include_str!("../src/storage/postgres_v1.sql")).await.unwrap();
        c.batch_execute(
            "INSERT INTO teams VALUES ('t', 'T', 0); INSERT INTO team_seq VALUES ('t', 2, 0);
             INSERT INTO docs(team_id, doc, kind, subject) VALUES ('t', 'team', 'team', NULL);",
        )
        .await
        .unwrap();
        for (i, bytes) in changes.iter().enumerate() {
            let ch = automerge::Change::from_bytes(bytes.clone()).unwrap();
            c.execute(
                "INSERT INTO changes(team_id, seq, doc_id, reader, hash, data) VALUES ('t', $1, (SELECT id FROM docs), '', $2, $3)",
                &[&(i as i64 + 1), &ch.hash().0.to_vec(), bytes],
            )
            .await
            .unwrap();
        }
    });
    assert_eq!(rt.block_on(pg.migrate()).unwrap(), kept_relay::storage::postgres::schema_version());
    let (filled, version): (i64, i64) = rt.block_on(async {
        let c = pg.pool().get().await.unwrap();
        let filled = c
            .query_one("SELECT COUNT(*) FROM changes WHERE actor IS NOT NULL AND aseq IS NOT NULL", &[])
            .await
            .unwrap()
            .get(0);
        (filled, c.query_one("SELECT version FROM docs WHERE doc = 'team'", &[]).await.unwrap().get(0))
    });
    assert_eq!(filled, 2);
    assert_eq!(version, 2, "migration 3 counts each document's stored changes");
    let r = rt.block_on(kept_relay::check::run(&db.url, "pg", false)).unwrap();
    assert!(r.healthy(), "{}", r.text());
}
