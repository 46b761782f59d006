//! Ingest over HTTP on both backends in one run: an in-process relay on SQLite,
//! then one on a throwaway PostgreSQL database (created and dropped here);
//! `CLIENTS` rep threads push their own week log in 100-change batches.
//!
//! `cargo run --release -p kept-relay --example ingest [-- CLIENTS PER_CLIENT [postgres://server]]`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use automerge::transaction::Transactable;
use base64::Engine;
use kept_core::docs::DocId;
use kept_relay::{admin, serve, AppState, PostgresStorage, SqliteStorage, Storage};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Instant;

const BATCH: usize = 100;

fn post(agent: &ureq::Agent, url: &str, token: Option<&str>, body: &Value) -> Value {
    let mut r = agent.post(url);
    if let Some(t) = token {
        r = r.header("Authorization", format!("Bearer {t}"));
    }
    let mut resp = r.send_json(body).expect("request");
    assert_eq!(resp.status(), 200);
    resp.body_mut().read_json().expect("json")
}

fn changes(member: &str, n: usize) -> Vec<Value> {
    let id = DocId::log(member, "2026-W48".parse().expect("week"));
    let mut doc = automerge::AutoCommit::new();
    (0..n)
        .map(|i| {
            doc.put(automerge::ROOT, format!("a{i:06}"), i as i64).expect("put");
            doc.commit();
            let raw = doc.get_last_local_change().expect("change").raw_bytes().to_vec();
            json!({"doc": id.to_string(), "kind": id.kind(), "subject": id.subject(),
                   "data": base64::engine::general_purpose::STANDARD.encode(raw)})
        })
        .collect()
}

/// `open` runs on the relay's runtime: a PostgreSQL pool's connections are driven by the runtime that opened them.
fn run<F>(name: &str, open: F, clients: usize, per_client: usize)
where
    F: std::future::Future<Output = Result<Arc<dyn Storage>, kept_relay::storage::StorageError>>,
{
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let storage = match rt.block_on(open) {
        Ok(s) => s,
        Err(e) => return eprintln!("{name}: {e}"),
    };
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    rt.spawn(serve(listener, AppState::new(storage.clone()), std::future::pending()));
    let team = rt.block_on(admin::create_team(storage.as_ref(), "Bench", "Boss", None)).unwrap();
    let agent = ureq::Agent::new_with_defaults();
    let boss = post(&agent, &format!("{base}/v1/join"), None, &json!({"invite": team.invite}));
    let boss_token = boss["token"].as_str().unwrap().to_string();
    let work: Vec<_> = (0..clients)
        .map(|i| {
            let inv = post(
                &agent,
                &format!("{base}/v1/invites"),
                Some(&boss_token),
                &json!({"role": "rep", "name": format!("rep{i}")}),
            );
            let j = post(&agent, &format!("{base}/v1/join"), None, &json!({"invite": inv["code"]}));
            (j["token"].as_str().unwrap().to_string(), changes(j["member_id"].as_str().unwrap(), per_client))
        })
        .collect();
    let t0 = Instant::now();
    let threads: Vec<_> = work
        .into_iter()
        .map(|(token, changes)| {
            let url = format!("{base}/v1/push");
            std::thread::spawn(move || {
                let agent = ureq::Agent::new_with_defaults();
                for chunk in changes.chunks(BATCH) {
                    post(&agent, &url, Some(&token), &json!({ "changes": chunk }));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let secs = t0.elapsed().as_secs_f64();
    let total = clients * per_client;
    println!(
        "{name:>10}: {total} changes from {clients} clients in {secs:.2} s = {:.0} changes/s",
        total as f64 / secs
    );
}

fn main() {
    // Usage: ingest [CLIENTS [PER_CLIENT [POSTGRES_URL]]]
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |i: usize, what: &str, default: usize| -> usize {
        match args.get(i) {
            None => default,
            Some(a) => a.parse().unwrap_or_else(|_| {
                eprintln!("ingest: bad {what} '{a}': expected a whole number (usage: ingest [CLIENTS [PER_CLIENT [POSTGRES_URL]]])");
                std::process::exit(2)
            }),
        }
    };
    let clients = number(0, "CLIENTS", 50);
    let per_client = number(1, "PER_CLIENT", 400);
    let server = args.get(2).cloned().unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432".into());

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("relay.sqlite3");
    let sqlite = async move { Ok(Arc::new(SqliteStorage::open(&path)?) as Arc<dyn Storage>) };
    run("SQLite", sqlite, clients, per_client);

    let name = format!("kept_bench_{}", std::process::id());
    let admin_sql = |sql: String| {
        let server = server.clone();
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async move {
            let (c, conn) = tokio_postgres::connect(&format!("{server}/postgres"), tokio_postgres::NoTls).await?;
            tokio::spawn(conn);
            c.batch_execute(&sql).await
        })
    };
    admin_sql(format!("CREATE DATABASE {name}")).expect("create the bench database");
    let url = format!("{server}/{name}");
    let pg = async move { Ok(Arc::new(PostgresStorage::connect(&url).await?) as Arc<dyn Storage>) };
    run("PostgreSQL", pg, clients, per_client);
    let _ = admin_sql(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
}
