//! PostgreSQL specifics: unreachable server, versioned migrations, backend choice, the command.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use kept_relay::storage::{is_postgres_url, postgres::schema_version, PostgresStorage};

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

#[test]
fn an_unreachable_server_is_a_clear_error() {
    let err = rt().block_on(PostgresStorage::connect("postgres://postgres@127.0.0.1:1/kept")).err().unwrap();
    let msg = err.to_string();
    assert!(msg.contains("cannot reach PostgreSQL at 127.0.0.1:1/kept"), "{msg}");
}

#[test]
fn migrations_are_versioned_idempotent_and_a_newer_schema_is_refused() {
    let db = TestDb::create();
    let rt = rt();
    let pg = rt.block_on(PostgresStorage::connect_unmigrated(&db.url)).unwrap();
    assert_eq!(rt.block_on(pg.current_version()).unwrap(), 0);
    assert_eq!(rt.block_on(pg.migrate()).unwrap(), schema_version());
    assert_eq!(rt.block_on(pg.current_version()).unwrap(), schema_version());
    // Again (as every relay does at start): nothing to do.
    let again = rt.block_on(PostgresStorage::connect(&db.url)).unwrap();
    assert_eq!(rt.block_on(again.current_version()).unwrap(), schema_version());
    drop((pg, again));
    rt.block_on(async {
        let (c, conn) = tokio_postgres::connect(&db.url, tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(conn);
        c.execute("INSERT INTO schema_migrations(version, applied_at) VALUES (999, 0)", &[]).await.unwrap();
    });
    let msg = rt.block_on(PostgresStorage::connect(&db.url)).err().unwrap().to_string();
    assert!(msg.contains("schema version 999") && msg.contains("newer"), "{msg}");
}

#[test]
fn the_backend_is_picked_from_the_db_value() {
    assert!(is_postgres_url("postgres://u@h/db"));
    assert!(is_postgres_url("postgresql://u@h:5433/db"));
    assert!(is_postgres_url("PostgreSQL://u@h/db"));
    assert!(!is_postgres_url("./kept-relay.sqlite3"));
    assert!(!is_postgres_url("/var/lib/postgres/relay.sqlite3"));
}

#[test]
fn the_command_migrates_and_creates_teams_on_postgres() {
    let db = TestDb::create();
    let bin = env!("CARGO_BIN_EXE_kept-relay");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(bin).args(args).env("RUST_LOG", "off").output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let out = run(&["migrate", "--db", &db.url]);
    assert!(out.contains(&format!("schema version {}", schema_version())), "{out}");
    let out = run(&["team", "create", "--name", "North", "--manager", "Maria", "--json", "--db", &db.url]);
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert!(v["team_id"].is_string() && v["invite"].is_string(), "{v}");
    let out = std::process::Command::new(bin)
        .args(["migrate", "--db", "postgres://postgres@127.0.0.1:1/kept"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot reach PostgreSQL at 127.0.0.1:1/kept"), "{err}");
}
