//! The two storage backends agree: each table of cases runs on SQLite and on
//! PostgreSQL through the real relay and must give the answers the table
//! states — member names (Unicode-aware, the same key on both), actor
//! sequence numbers, pull pages cut by bytes, and the name keys an older
//! database gets when it is upgraded.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ROOT};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use common::*;
use kept_core::model::Role;
use kept_core::protocol::{InviteRequest, JoinResponse};
use kept_relay::auth::hash_secret;
use kept_relay::storage::backend::{work, Backend as _, Inserted, Mode, NewMember, Ops};
use kept_relay::storage::{name_key, JoinPlan, NewInvite, StorageError};
use kept_relay::{PostgresStorage, SqliteStorage, Storage};
use serde_json::{json, Value};

/// (a member of the team, removed since?, the name a newcomer asks for, may they take it?)
const NAMES: &[(&str, bool, &str, bool)] = &[
    ("Ann", false, "ann", false),
    ("Émile", false, "émile", false),
    ("émile", false, "ÉMILE", false),
    ("Åsa", false, "ÅSA", false),
    ("Zoë", false, "zoë", false),
    ("ΣΟΦΙΑ", false, "σοφια", false),
    ("Émile", false, "Emile", true), // an accent makes another name
    // Lowercase, not case folding: "ß" is not "ss", so these are two names…
    ("Straße", false, "STRASSE", true),
    // … while both spellings in capitals or not are one each.
    ("STRASSE", false, "strasse", false),
    ("Straße", false, "STRAßE", false),
    // Compared as sent: a decomposed "É" (E + U+0301) is another name.
    ("E\u{301}mile", false, "Émile", true),
    ("Émile", true, "émile", true), // a removed member's name is free again
];

/// A team with only its manager, Maria.
fn manager_only(relay: &Relay) -> Member {
    let created = relay.create_team("T", "Maria");
    let (st, v) = relay.client(None).post("/v1/join", &json!({"invite": created.invite, "device_name": "laptop"}));
    assert_eq!(st, 200, "{v}");
    let join: JoinResponse = serde_json::from_value(v).unwrap();
    Member { client: relay.client(Some(&join.token)), join }
}

fn join_named(relay: &Relay, manager: &Member, name: &str) -> Member {
    let inv = relay.invite(manager, Role::Rep, Some(name));
    let (st, v) = relay.client(None).post("/v1/join", &json!({"invite": inv.code, "device_name": "phone"}));
    assert_eq!(st, 200, "{v}");
    let join: JoinResponse = serde_json::from_value(v).unwrap();
    Member { client: relay.client(Some(&join.token)), join }
}

fn member_names_are_unique_by_their_unicode_lowercase(backend: Backend) {
    let relay = Relay::start(backend);
    let mut wrong = Vec::new();
    for &(existing, removed, asked, may) in NAMES {
        let manager = manager_only(&relay);
        let member = join_named(&relay, &manager, existing);
        if removed {
            let (st, v) = manager.client.delete(&format!("/v1/members/{}", member.id()));
            assert_eq!(st, 204, "{v}");
        }
        // The manager names the newcomer in the invite: checked when inviting.
        let req = InviteRequest { role: Role::Rep, name: Some(asked.into()), member_id: None };
        let (invited, _) = manager.client.post("/v1/invites", &req);
        // The newcomer gives the name when joining: checked by the storage rule.
        let plain = relay.invite(&manager, Role::Rep, None);
        let (joined, v) =
            relay.client(None).post("/v1/join", &json!({"invite": plain.code, "name": asked, "device_name": "phone"}));
        let want = if may { 200 } else { 409 };
        let kind_ok = may || v["error"]["kind"] == "conflict";
        if invited != want || joined != want || !kind_ok {
            wrong.push(format!("'{existing}' then '{asked}': invite {invited}, join {joined} {v}, expected {want}"));
        }
    }
    assert!(wrong.is_empty(), "{backend:?}:\n{}", wrong.join("\n"));
}

/// What a device pushes after the first change of one of its actors.
#[derive(Debug, Clone, Copy)]
enum Then {
    /// The same change again: acknowledged, nothing stored twice.
    Same,
    /// Another change with the same actor and sequence number.
    Rival,
    /// The actor's next change.
    Next,
    /// The actor's third change without its second.
    Gap,
    /// A first change of the same actor in another document (sequences are per document).
    OtherDocument,
    /// The actor's next change, pushed by another member's device.
    OtherMember,
}

const SEQS: &[(Then, u16, &str)] = &[
    (Then::Same, 200, ""),
    (Then::Rival, 409, "reuses sequence number 1"),
    (Then::Next, 200, ""),
    (Then::Gap, 400, ""),
    (Then::OtherDocument, 200, ""),
    (Then::OtherMember, 403, "belongs to another member"),
];

/// `n` changes by `actor`, each on the previous, with `tag` in their content.
fn edits(actor: &ActorId, n: usize, tag: &str) -> Vec<Vec<u8>> {
    let mut d = AutoCommit::new().with_actor(actor.clone());
    (0..n)
        .map(|i| {
            d.put(ROOT, tag, i as i64).unwrap();
            d.commit();
            d.get_last_local_change().unwrap().raw_bytes().to_vec()
        })
        .collect()
}

fn push(client: &Client, doc: &str, changes: &[Vec<u8>]) -> (u16, Value) {
    let entries: Vec<Value> = changes.iter().map(|c| entry(doc, &B64.encode(c))).collect();
    client.post("/v1/push", &json!({ "changes": entries }))
}

fn an_actor_sequence_number_is_used_once_per_document(backend: Backend) {
    let relay = Relay::start(backend);
    let team = relay.team("A");
    let (doc, other_doc) = (plan(team.ann.id()), log(team.ann.id()));
    let mut wrong = Vec::new();
    for &(then, want, words) in SEQS {
        let actor = ActorId::random();
        let mine = edits(&actor, 3, "mine");
        let (st, v) = push(&team.ann.client, &doc, &mine[..1]);
        assert_eq!(st, 200, "{v}");
        let before = v["seq"].as_i64().unwrap();
        let (st, v) = match then {
            Then::Same => push(&team.ann.client, &doc, &mine[..1]),
            Then::Rival => push(&team.ann.client, &doc, &edits(&actor, 1, "rival")),
            Then::Next => push(&team.ann.client, &doc, &mine[1..2]),
            Then::Gap => push(&team.ann.client, &doc, &mine[2..]),
            Then::OtherDocument => push(&team.ann.client, &other_doc, &edits(&actor, 1, "elsewhere")),
            Then::OtherMember => push(&team.bob.client, &plan(team.bob.id()), &mine[1..2]),
        };
        let message = v["error"]["message"].as_str().unwrap_or_default();
        if st != want || !message.contains(words) {
            wrong.push(format!("{then:?}: {st} {v}, expected {want} with {words:?}"));
        }
        let after = team.manager.pull(0, 5000).next;
        let stored = if want == 200 && !matches!(then, Then::Same) { 1 } else { 0 };
        if after != before + stored {
            wrong.push(format!("{then:?}: the team sequence went from {before} to {after}"));
        }
    }
    assert!(wrong.is_empty(), "{backend:?}:\n{}", wrong.join("\n"));
}

/// Changes of about 1.5 MiB each: a pull page stops once its changes reach
/// 4 MiB (MAX_PULL_BYTES), so three fit in a page and the fourth starts the next.
const PAGES: &[(u32, &[usize])] = &[(1000, &[3, 1]), (2, &[2, 2]), (1, &[1, 1, 1, 1])];

fn pull_pages_are_cut_by_count_and_bytes_alike(backend: Backend) {
    let relay = Relay::start(backend);
    let team = relay.team("A");
    let doc = plan(team.ann.id());
    let mut d = AutoCommit::new().with_actor(ActorId::random());
    for i in 0..4 {
        d.put(ROOT, "bulk", format!("{i}{}", "x".repeat(1_500_000))).unwrap();
        d.commit();
        let (st, v) = push(&team.ann.client, &doc, &[d.get_last_local_change().unwrap().raw_bytes().to_vec()]);
        assert_eq!(st, 200, "{v}");
    }
    let mut wrong = Vec::new();
    for &(limit, want) in PAGES {
        let (mut cursor, mut pages) = (0, Vec::new());
        loop {
            let page = team.manager.pull(cursor, limit);
            pages.push(page.changes.len());
            cursor = page.next;
            if !page.more || pages.len() > 10 {
                break;
            }
        }
        if pages != want || cursor != 4 {
            wrong.push(format!("limit {limit}: pages {pages:?} ending at {cursor}, expected {want:?} ending at 4"));
        }
    }
    assert!(wrong.is_empty(), "{backend:?}:\n{}", wrong.join("\n"));
}

/// A database from before name keys (SQLite schema 3, PostgreSQL migration 3)
/// holding two active members whose names collide only Unicode-aware, as an
/// older SQLite relay allowed: both stay, and the name is taken for newcomers.
fn an_older_database_gets_name_keys_and_keeps_its_members(backend: Backend) {
    const ROWS: &str = "INSERT INTO teams VALUES ('t', 'T', 0); INSERT INTO team_seq VALUES ('t', 0, 0);
        INSERT INTO members(id, team_id, name, role, active, created_at) VALUES
          ('m1', 't', 'Maria', 'manager', TRUE, 1), ('m2', 't', 'Émile', 'rep', TRUE, 2),
          ('m3', 't', 'émile', 'rep', TRUE, 3), ('m4', 't', 'ZOË', 'rep', FALSE, 4);";
    let invites = format!(
        "INSERT INTO invites(code_hash, team_id, role, name, member_id, expires_at, created_at) VALUES
           ('{}', 't', 'rep', 'ÉMILE', NULL, 4102444800, 0), ('{}', 't', 'rep', 'Zoë', NULL, 4102444800, 0);",
        hash_secret("code-emile"),
        hash_secret("code-zoe")
    );
    let dir = tempfile::tempdir().unwrap();
    let relay = match backend {
        Backend::Sqlite => {
            let path = dir.path().join("relay.sqlite3");
            drop(kept_relay::SqliteStorage::open(&path).unwrap());
            let c = rusqlite::Connection::open(&path).unwrap();
            c.execute_batch(
                "DROP INDEX members_name_key; ALTER TABLE members DROP COLUMN name_key;
                 CREATE UNIQUE INDEX members_name ON members(team_id, name COLLATE NOCASE) WHERE active = 1;
                 DROP TABLE orgs; DROP INDEX teams_org; ALTER TABLE teams DROP COLUMN org_id;
                 ALTER TABLE members DROP COLUMN via;
                 DROP INDEX devices_parent; ALTER TABLE devices DROP COLUMN parent;
                 PRAGMA user_version = 3;",
            )
            .unwrap();
            c.execute_batch(ROWS).unwrap();
            c.execute_batch(&invites).unwrap();
            drop(c);
            Relay::start_sqlite_file(path, "127.0.0.1:0")
        }
        Backend::Postgres => {
            let db = TestDb::create();
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                let (c, conn) = tokio_postgres::connect(&db.url, tokio_postgres::NoTls).await.unwrap();
                tokio::spawn(conn);
                c.batch_execute(
                    "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL);
                     INSERT INTO schema_migrations VALUES (1, 0), (2, 0), (3, 0);",
                )
                .await
                .unwrap();
                for sql in [
                    include_str!("../src/storage/postgres_v1.sql"),
                    include_str!("../src/storage/postgres_v2.sql"),
                    include_str!("../src/storage/postgres_v3.sql"),
                ] {
                    c.batch_execute(sql).await.unwrap();
                }
                // The old index compares lower(name), which the test server's locale may fold
                // like the relay does; drop it so both old rows can be written, as on SQLite.
                c.batch_execute("DROP INDEX members_name").await.unwrap();
                c.batch_execute(ROWS).await.unwrap();
                c.batch_execute(&invites).await.unwrap();
            });
            Relay::start_on(&db)
        }
    };
    let members = relay.rt.block_on(relay.storage.members("t")).unwrap();
    let names: Vec<(&str, bool)> = members.iter().map(|m| (m.name.as_str(), m.active)).collect();
    assert_eq!(names, [("Maria", true), ("Émile", true), ("émile", true), ("ZOË", false)], "{backend:?}");
    let join = |code: &str| relay.client(None).post("/v1/join", &json!({"invite": code, "device_name": "phone"}));
    let (st, v) = join("code-emile");
    assert_eq!((st, v["error"]["kind"].as_str()), (409, Some("conflict")), "{backend:?}: {v}");
    let (st, v) = join("code-zoe");
    assert_eq!(st, 200, "{backend:?}: a removed member's name is free: {v}");
    let r = relay.rt.block_on(kept_relay::check::run(
        relay.pg.as_ref().map_or(relay.db.to_str().unwrap(), |pg| pg.url.as_str()),
        "upgraded",
        false,
    ));
    assert!(r.unwrap().healthy(), "{backend:?}");
    // The upgraded database holds organisations (schema 5).
    let org = relay.rt.block_on(kept_relay::admin::create_org(relay.storage.as_ref(), "Acme", "Dana")).unwrap();
    relay.rt.block_on(relay.storage.set_team_org("t", &org.org_id)).unwrap();
    let led = relay.rt.block_on(relay.storage.org_led_by(&org.leadership_team_id)).unwrap().unwrap();
    assert_eq!(led.teams.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["T"], "{backend:?}");
}

/// A store of `backend` used directly (no HTTP, no handler pre-checks), on its own runtime.
struct Direct {
    rt: tokio::runtime::Runtime,
    sqlite: Option<SqliteStorage>,
    pg: Option<PostgresStorage>,
    _dir: tempfile::TempDir,
    _db: Option<std::sync::Arc<TestDb>>,
}

impl Direct {
    fn open(backend: Backend) -> Direct {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let dir = tempfile::tempdir().unwrap();
        match backend {
            Backend::Sqlite => {
                let sqlite = Some(SqliteStorage::open(&dir.path().join("relay.sqlite3")).unwrap());
                Direct { rt, sqlite, pg: None, _dir: dir, _db: None }
            }
            Backend::Postgres => {
                let db = TestDb::create();
                let pg = Some(rt.block_on(PostgresStorage::connect(&db.url)).unwrap());
                Direct { rt, sqlite: None, pg, _dir: dir, _db: Some(db) }
            }
        }
    }

    fn storage(&self) -> &dyn Storage {
        match (&self.sqlite, &self.pg) {
            (Some(s), _) => s,
            (_, Some(p)) => p,
            _ => unreachable!(),
        }
    }

    fn insert_member(&self, id: &'static str, name: &'static str) -> Inserted {
        let run = || {
            work(move |ops: &mut dyn Ops| {
                Box::pin(async move {
                    let key = name_key(name);
                    let m = NewMember { id, team_id: "t", name, name_key: &key, role: "rep", now: 0, via: None };
                    ops.insert_member(&m).await
                })
            })
        };
        match (&self.sqlite, &self.pg) {
            (Some(s), _) => self.rt.block_on(s.run(Mode::Write, run())),
            (_, Some(p)) => self.rt.block_on(p.run(Mode::Write, run())),
            _ => unreachable!(),
        }
        .unwrap()
    }
}

fn invite(code: &str, name: Option<&str>, member: Option<&str>, expires_at: i64) -> NewInvite {
    NewInvite {
        code_hash: hash_secret(code),
        team_id: "t".into(),
        role: Role::Rep,
        name: name.map(str::to_string),
        member_id: member.map(str::to_string),
        expires_at,
        created_at: 0,
    }
}

fn join_plan(code: &str, member: &str, name: Option<&str>) -> JoinPlan {
    JoinPlan {
        code_hash: hash_secret(code),
        device_id: format!("d-{member}-{code}"),
        token_hash: hash_secret(&format!("token-{member}-{code}")),
        device_name: "phone".into(),
        new_member_id: member.into(),
        name: name.map(str::to_string),
        now: 100,
        parent: None,
    }
}

/// The variant of a storage call's outcome.
fn on<T>(rt: &tokio::runtime::Runtime, call: impl std::future::Future<Output = Result<T, StorageError>>) -> String {
    outcome(rt.block_on(call))
}

/// The variant of a storage outcome.
fn outcome<T>(r: Result<T, StorageError>) -> String {
    match r {
        Ok(_) => "ok".into(),
        Err(e) => format!("{e:?}").split(['(', ' ']).next().unwrap_or_default().to_string(),
    }
}

/// The storage rules themselves (under the handlers' own checks) refuse alike.
fn the_storage_rules_refuse_alike(backend: Backend) {
    let d = Direct::open(backend);
    let s = d.storage();
    let mut manager = invite("c-maria", Some("Maria"), None, 1000);
    manager.role = Role::Manager;
    d.rt.block_on(s.create_team("t", "T", 0, manager)).unwrap();
    for inv in [
        invite("c-ann", Some("Ann"), None, 1000),
        invite("c-old", Some("Old"), None, 50),
        invite("c-free", None, None, 1000),
        invite("c-bob", Some("Bob"), None, 1000),
    ] {
        d.rt.block_on(s.insert_invite(inv)).unwrap();
    }
    for (code, member) in [("c-maria", "maria"), ("c-ann", "ann"), ("c-bob", "bob")] {
        d.rt.block_on(s.redeem_invite(join_plan(code, member, None))).unwrap();
    }
    d.rt.block_on(s.insert_invite(invite("c-bob2", None, Some("bob"), 1000))).unwrap();
    let rt = &d.rt;
    let redeem = |code, member, name| on(rt, s.redeem_invite(join_plan(code, member, name)));
    let cases = [
        ("the only manager removed", on(rt, s.remove_member("t", "maria")), "Conflict"),
        ("an unknown member removed", on(rt, s.remove_member("t", "zed")), "NotFound"),
        ("another team's member removed", on(rt, s.remove_member("u", "ann")), "NotFound"),
        ("a rep removed", on(rt, s.remove_member("t", "bob")), "ok"),
        ("a removed member's device joins", redeem("c-bob2", "x1", None), "InvalidInvite"),
        ("an unknown device revoked", on(rt, s.revoke_device("t", "nope")), "NotFound"),
        ("an invite used twice", redeem("c-ann", "x2", None), "InvalidInvite"),
        ("an expired invite", redeem("c-old", "x3", None), "InvalidInvite"),
        ("an unknown code", redeem("c-none", "x4", None), "InvalidInvite"),
        ("no name at all", redeem("c-free", "x5", None), "Invalid"),
        ("a taken name given", redeem("c-free", "x6", Some("ANN")), "NameTaken"),
        ("a free name given", redeem("c-free", "x7", Some("Bob")), "ok"),
    ];
    let wrong: Vec<String> = cases
        .iter()
        .filter(|(_, got, want)| got != want)
        .map(|(what, got, want)| format!("{what}: {got}, expected {want}"))
        .collect();
    assert!(wrong.is_empty(), "{backend:?}:\n{}", wrong.join("\n"));
}

/// Past the rule's own check (two joins racing on two relays), the unique
/// index on name keys refuses a twin on both backends, and says so.
fn the_name_index_refuses_a_twin_past_the_check(backend: Backend) {
    let d = Direct::open(backend);
    d.rt.block_on(d.storage().create_team("t", "T", 0, invite("c", None, None, 1000))).unwrap();
    let got = [d.insert_member("m1", "Émile"), d.insert_member("m2", "émile"), d.insert_member("m3", "Emile")];
    assert_eq!(got, [Inserted::Done, Inserted::NameTaken, Inserted::Done], "{backend:?}");
}

on_both_backends!(
    the_storage_rules_refuse_alike,
    the_name_index_refuses_a_twin_past_the_check,
    member_names_are_unique_by_their_unicode_lowercase,
    an_actor_sequence_number_is_used_once_per_document,
    pull_pages_are_cut_by_count_and_bytes_alike,
    an_older_database_gets_name_keys_and_keeps_its_members,
);
