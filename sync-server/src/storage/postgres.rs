//! PostgreSQL storage (tokio-postgres behind a deadpool pool): versioned
//! migrations, transactions for the rules in [`super::rules`] (statements in
//! [`super::postgres_ops`]), and a `LISTEN kept_seq` connection that tells
//! this instance about pushes committed by others.

use super::backend::{Backend, Mode, Work};
use super::error::chain;
use super::postgres_ops::PgOps;
use super::{RevokeCallback, SeqCallback, StorageError, StorageResult};
use crate::gate::DocCache;
use crate::live::Audience;
use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use futures_util::StreamExt;
use std::sync::Arc;
use std::time::Duration;
use tokio_postgres::{AsyncMessage, IsolationLevel, NoTls};

/// The channel every push notifies on commit, with payload
/// `<team_id>:<seq>:<audience>` ([`seq_payload`]).
pub const NOTIFY_CHANNEL: &str = "kept_seq";
/// Payload prefix on [`NOTIFY_CHANNEL`] of a revoked device (else a push's [`seq_payload`]).
pub const REVOKE_PREFIX: &str = "revoke:";
/// The longest push payload sent: a longer one names everyone (`*`) instead
/// of its subjects. PostgreSQL refuses payloads of 8,000 bytes or more.
pub const MAX_SEQ_PAYLOAD: usize = 4000;
/// `application_name` of the listening connection (visible in `pg_stat_activity`).
pub const LISTENER_NAME: &str = "kept-relay live listener";
/// Pooled connections per relay instance.
pub const POOL_SIZE: usize = 16;
/// Every migration, in order: (version, SQL).
const MIGRATIONS: &[(i32, &str)] = &[
    (1, include_str!("postgres_v1.sql")),
    (2, include_str!("postgres_v2.sql")),
    (3, include_str!("postgres_v3.sql")),
    (4, include_str!("postgres_v4.sql")),
    (5, include_str!("postgres_v5.sql")),
    (6, include_str!("postgres_v6.sql")),
    (7, include_str!("postgres_v7.sql")),
];
/// Serialises migrations of relays starting at once (an arbitrary constant).
const MIGRATION_LOCK: i64 = 0x6b65_7074_5f72_6c79;

/// The schema version this build creates and understands.
pub fn schema_version() -> i32 {
    MIGRATIONS.last().map_or(0, |m| m.0)
}

/// The PostgreSQL store. Use it on the tokio runtime that connected it: each
/// pooled connection is driven by a task spawned on that runtime.
#[derive(Clone)]
pub struct PostgresStorage {
    pool: Pool,
    config: tokio_postgres::Config,
    target: String,
    cache: Arc<DocCache>,
}

/// `host:port/dbname` of a connection config (never the password).
fn describe(cfg: &tokio_postgres::Config) -> String {
    let host = match cfg.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
        #[cfg(unix)]
        Some(tokio_postgres::config::Host::Unix(p)) => p.display().to_string(),
        None => "localhost".into(),
    };
    let port = cfg.get_ports().first().copied().unwrap_or(5432);
    format!("{host}:{port}/{}", cfg.get_dbname().or(cfg.get_user()).unwrap_or("postgres"))
}

impl PostgresStorage {
    /// Connects to `url` (`postgres://user[:password]@host[:port]/dbname`) and
    /// applies any missing migrations.
    pub async fn connect(url: &str) -> StorageResult<PostgresStorage> {
        let storage = Self::connect_unmigrated(url).await?;
        storage.migrate().await?;
        Ok(storage)
    }

    /// Connects without touching the schema (checks only that the server answers).
    pub async fn connect_unmigrated(url: &str) -> StorageResult<PostgresStorage> {
        let mut config: tokio_postgres::Config = url.parse().map_err(StorageError::BadUrl)?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(5));
        }
        if config.get_application_name().is_none() {
            config.application_name("kept-relay");
        }
        let target = describe(&config);
        let mgr =
            Manager::from_config(config.clone(), NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
        let pool = Pool::builder(mgr).max_size(POOL_SIZE).build()?;
        let storage = PostgresStorage { pool, config, target, cache: Default::default() };
        drop(storage.client().await?); // "cannot reach PostgreSQL at …" now rather than at the first request
        Ok(storage)
    }

    /// `host:port/dbname`, for messages.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The connection pool (for tests and tools).
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    async fn client(&self) -> StorageResult<deadpool_postgres::Client> {
        self.pool.get().await.map_err(|e| match e {
            deadpool_postgres::PoolError::Backend(source) => {
                StorageError::Unreachable { target: self.target.clone(), source }
            }
            other => other.into(),
        })
    }

    /// The schema version the database is at (0 when empty).
    pub async fn current_version(&self) -> StorageResult<i32> {
        let c = self.client().await?;
        let exists: bool = c.query_one("SELECT to_regclass('schema_migrations') IS NOT NULL", &[]).await?.get(0);
        if !exists {
            return Ok(0);
        }
        Ok(c.query_one("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", &[]).await?.get(0))
    }

    /// Applies missing migrations in one transaction (other relays wait on a
    /// lock); refuses a database at a newer version than this build knows.
    pub async fn migrate(&self) -> StorageResult<i32> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).await?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)",
        )
        .await?;
        let current: i32 = tx.query_one("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", &[]).await?.get(0);
        let known = schema_version();
        if current > known {
            return Err(StorageError::Invalid(format!(
                "the database at {} is at schema version {current}, newer than this kept-relay understands ({known}); \
                 upgrade kept-relay",
                self.target
            )));
        }
        let now = chrono::Utc::now().timestamp();
        for (version, sql) in MIGRATIONS.iter().filter(|m| m.0 > current) {
            tx.batch_execute(sql).await.map_err(|source| StorageError::Migration { version: *version, source })?;
            tx.execute("INSERT INTO schema_migrations(version, applied_at) VALUES ($1, $2)", &[version, &now]).await?;
            if *version == 2 {
                let n = backfill_actors(&tx).await?;
                tracing::info!(changes = n, "filled in the actor of existing changes");
            }
            if *version == 4 {
                let n = backfill_name_keys(&tx).await?;
                tracing::info!(members = n, "filled in the name key of existing members");
            }
            tracing::info!(version, target = %self.target, "applied migration");
        }
        tx.commit().await?;
        Ok(known)
    }
}

/// Migration 2: fills in `actor` and `aseq` of changes stored before it, by
/// parsing their bytes (rows that do not parse stay empty: `kept-relay check`
/// reports them). Returns how many were filled in.
async fn backfill_actors(tx: &tokio_postgres::Transaction<'_>) -> StorageResult<u64> {
    let (mut team, mut seq, mut n) = (String::new(), 0i64, 0u64);
    loop {
        let rows = tx
            .query(
                "SELECT team_id, seq, data FROM changes WHERE (team_id, seq) > ($1, $2) AND aseq IS NULL \
                 ORDER BY team_id, seq LIMIT 1000",
                &[&team, &seq],
            )
            .await?;
        let Some(last) = rows.last() else { return Ok(n) };
        (team, seq) = (last.get(0), last.get(1));
        for r in &rows {
            if let Ok(c) = automerge::Change::from_bytes(r.get::<_, Vec<u8>>(2)) {
                let (actor, aseq) = (c.actor_id().to_bytes().to_vec(), c.seq() as i64);
                tx.execute(
                    "UPDATE changes SET actor = $3, aseq = $4 WHERE team_id = $1 AND seq = $2",
                    &[&r.get::<_, String>(0), &r.get::<_, i64>(1), &actor, &aseq],
                )
                .await?;
                n += 1;
            }
        }
    }
}

/// Migration 4: fills in `name_key` of members stored before it, by
/// [`super::rules::assign_name_keys`] (the same rule as SQLite's upgrade).
async fn backfill_name_keys(tx: &tokio_postgres::Transaction<'_>) -> StorageResult<usize> {
    let missing = tx
        .query("SELECT id, team_id, name, active FROM members WHERE name_key IS NULL ORDER BY created_at, id", &[])
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    let taken = tx
        .query("SELECT team_id, name_key FROM members WHERE name_key IS NOT NULL AND active", &[])
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect::<Vec<(String, String)>>();
    let keys = super::rules::assign_name_keys(taken, missing);
    let st = tx.prepare("UPDATE members SET name_key = $2 WHERE id = $1").await?;
    for (id, key) in &keys {
        tx.execute(&st, &[id, key]).await?;
    }
    Ok(keys.len())
}

/// The [`NOTIFY_CHANNEL`] payload of a push: `<team>:<seq>:*` (everyone) or
/// `<team>:<seq>:<member>,<member>…` (those members' sockets and the team
/// readers'). Member ids are lowercase UUIDs (hex digits and `-`), so `,` and
/// `:` never occur in them; past [`MAX_SEQ_PAYLOAD`] bytes it names everyone.
pub fn seq_payload(team_id: &str, seq: i64, audience: &Audience) -> String {
    let everyone = || format!("{team_id}:{seq}:*");
    match audience {
        Audience::Everyone => everyone(),
        Audience::Subjects(s) => {
            let p = format!("{team_id}:{seq}:{}", s.iter().map(String::as_str).collect::<Vec<_>>().join(","));
            if p.len() > MAX_SEQ_PAYLOAD {
                everyone()
            } else {
                p
            }
        }
    }
}

/// A [`NOTIFY_CHANNEL`] payload that is not a push's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad live notification payload: {0}")]
pub struct BadPayload(&'static str);

/// Reads a push's payload ([`seq_payload`]) as untrusted text: (team, seq,
/// audience). `<team>:<seq>`, from a relay of the previous version, wakes
/// everyone; so do more than [`Audience::MAX_SUBJECTS`] subjects.
pub fn parse_seq_payload(payload: &str) -> Result<(&str, i64, Audience), BadPayload> {
    let (rest, last) = payload.rsplit_once(':').ok_or(BadPayload("no ':'"))?;
    // The audience is `*`, empty or member ids (with `-`); a bare number is the old form's seq.
    let (team, seq, audience) = if last == "*" || last.is_empty() || last.contains(['-', ',']) {
        let (team, seq) = rest.rsplit_once(':').ok_or(BadPayload("no sequence"))?;
        (team, seq, parse_audience(last)?)
    } else {
        (rest, last, Audience::Everyone)
    };
    if team.is_empty() {
        return Err(BadPayload("no team"));
    }
    if seq.is_empty() || !seq.bytes().all(|b| b.is_ascii_digit()) {
        return Err(BadPayload("the sequence is not a number"));
    }
    let seq = seq.parse::<i64>().map_err(|_| BadPayload("the sequence is out of range"))?;
    Ok((team, seq, audience))
}

fn parse_audience(list: &str) -> Result<Audience, BadPayload> {
    if list == "*" {
        return Ok(Audience::Everyone);
    }
    let mut subjects = std::collections::BTreeSet::new();
    for m in list.split(',').filter(|_| !list.is_empty()) {
        let canonical = uuid::Uuid::parse_str(m).is_ok_and(|u| u.hyphenated().to_string() == m);
        if !canonical {
            return Err(BadPayload("a subject is not a member id"));
        }
        subjects.insert(m.to_string());
    }
    Ok(Audience::subjects(subjects))
}

/// Listens on [`NOTIFY_CHANNEL`] over a dedicated connection, reconnecting
/// with backoff; after every (re)connect it reports every team's head, since
/// notifications sent while nobody listened are lost.
async fn listen_loop(
    mut config: tokio_postgres::Config,
    target: String,
    on_seq: SeqCallback,
    on_revoke: RevokeCallback,
) {
    config.application_name(LISTENER_NAME);
    const FIRST: Duration = Duration::from_millis(100);
    let mut backoff = FIRST;
    loop {
        let mut connected = false;
        match listen_once(&config, &on_seq, &on_revoke, &mut connected).await {
            Ok(()) => tracing::warn!(%target, "live listener connection closed; reconnecting"),
            Err(e) => tracing::warn!(%target, error = %chain(&e), "live listener failed; reconnecting"),
        }
        if connected {
            backoff = FIRST;
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(10));
    }
}

struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn listen_once(
    config: &tokio_postgres::Config,
    on_seq: &SeqCallback,
    on_revoke: &RevokeCallback,
    connected: &mut bool,
) -> Result<(), tokio_postgres::Error> {
    let (client, mut conn) = config.connect(NoTls).await?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    // The connection future must be polled for queries to progress; it also yields the notifications.
    let driver = AbortOnDrop(tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| conn.poll_message(cx));
        while let Some(m) = messages.next().await {
            if let AsyncMessage::Notification(n) = m? {
                if tx.send(n).is_err() {
                    break;
                }
            }
        }
        Ok::<(), tokio_postgres::Error>(())
    }));
    client.batch_execute(&format!("LISTEN {NOTIFY_CHANNEL}")).await?;
    *connected = true;
    // What was missed while nobody listened is unknown: every team's head, to everyone.
    for row in client.query("SELECT team_id, seq FROM team_seq", &[]).await? {
        on_seq(row.get(0), row.get(1), &Audience::Everyone);
    }
    while let Some(first) = rx.recv().await {
        // Each push as it came (not merged per team: that would wake one
        // push's readers with another's sequence); the hub coalesces.
        let mut revoked = Vec::new();
        let mut note = |payload: &str| {
            if let Some(device) = payload.strip_prefix(REVOKE_PREFIX) {
                revoked.push(device.to_string());
                return;
            }
            match parse_seq_payload(payload) {
                Ok((team, seq, audience)) => on_seq(team, seq, &audience),
                Err(e) => {
                    let shown: String = payload.chars().take(80).collect();
                    tracing::warn!(payload = %shown, error = %e, "ignored a live notification");
                }
            }
        };
        note(first.payload());
        while let Ok(n) = rx.try_recv() {
            note(n.payload());
        }
        if !revoked.is_empty() {
            on_revoke(revoked);
        }
    }
    // The driver ended (the channel closed): report why.
    drop(client);
    let mut driver = driver;
    (&mut driver.0).await.unwrap_or(Ok(()))
}

/// Tells every listening relay about a committed push, outside its
/// transaction: a NOTIFY-only statement writes no WAL, so PostgreSQL's
/// notification lock is held for microseconds instead of for a commit's
/// flush. Best effort: a failure is logged (the push is stored; listeners
/// read every team's head when they reconnect, clients sync periodically).
async fn notify_committed(client: &deadpool_postgres::Client, payloads: &[String]) {
    for p in payloads {
        if let Err(e) = client.execute("SELECT pg_notify($1, $2)", &[&NOTIFY_CHANNEL, p]).await {
            tracing::warn!(error = %chain(&e), "could not tell the other relays about a push");
        }
    }
}

#[async_trait]
impl Backend for PostgresStorage {
    async fn run<T: Send + 'static>(&self, mode: Mode, work: Work<T>) -> StorageResult<T> {
        let mut client = self.client().await?;
        if mode == Mode::Single {
            let mut ops = PgOps::new(&client);
            let out = work(&mut ops).await?;
            let notes = ops.after_commit;
            notify_committed(&client, &notes).await;
            return Ok(out);
        }
        let tx = match mode {
            Mode::Snapshot => {
                client
                    .build_transaction()
                    .isolation_level(IsolationLevel::RepeatableRead)
                    .read_only(true)
                    .start()
                    .await?
            }
            _ => client.transaction().await?,
        };
        // Dropped without commit (an Err) rolls back.
        let mut ops = PgOps::new(&tx);
        let out = work(&mut ops).await?;
        let notes = std::mem::take(&mut ops.after_commit);
        tx.commit().await?;
        notify_committed(&client, &notes).await;
        Ok(out)
    }

    fn doc_cache(&self) -> &Arc<DocCache> {
        &self.cache
    }

    fn blob_bytes(&self) -> Arc<dyn crate::blobs::BlobBytes> {
        Arc::new(crate::blobs::PgBlobs::new(self.pool.clone()))
    }

    fn listen_remote(&self, on_seq: SeqCallback, on_revoke: RevokeCallback) -> Option<tokio::task::JoinHandle<()>> {
        Some(tokio::spawn(listen_loop(self.config.clone(), self.target.clone(), on_seq, on_revoke)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEAM: &str = "0190aaaa-0000-7000-8000-000000000001";
    const A: &str = "01900000-0000-7000-8000-00000000000a";
    const B: &str = "01900000-0000-7000-8000-00000000000b";

    fn subjects(ms: &[&str]) -> Audience {
        Audience::Subjects(ms.iter().map(|m| m.to_string()).collect())
    }

    fn check(payload: &str, want: Option<(&str, i64, Audience)>) {
        assert_eq!(parse_seq_payload(payload).ok(), want, "{payload:?}");
    }

    #[test]
    fn push_payloads_round_trip_and_fall_back_to_everyone_when_long() {
        for audience in [Audience::Everyone, subjects(&[A]), subjects(&[A, B]), subjects(&[])] {
            let p = seq_payload(TEAM, 42, &audience);
            check(&p, Some((TEAM, 42, audience)));
        }
        assert_eq!(seq_payload(TEAM, 7, &subjects(&[A, B])), format!("{TEAM}:7:{A},{B}"));
        // Subjects that would not fit in a notification (a payload past the limit): everyone.
        let many: Vec<String> = (0..200).map(|i| format!("01900000-0000-7000-8000-{i:012x}")).collect();
        let p = seq_payload(TEAM, 1, &Audience::Subjects(many.into_iter().collect()));
        assert_eq!(p, format!("{TEAM}:1:*"));
    }

    #[test]
    fn hostile_payloads_are_refused_and_the_old_form_wakes_everyone() {
        // A relay of the previous version: `team:seq`.
        check(&format!("{TEAM}:12"), Some((TEAM, 12, Audience::Everyone)));
        check("a:b:5", Some(("a:b", 5, Audience::Everyone)));
        // An empty list is a push read only by managers (and leaders).
        check(&format!("{TEAM}:3:"), Some((TEAM, 3, subjects(&[]))));
        let too_many: Vec<String> =
            (0..=Audience::MAX_SUBJECTS).map(|i| format!("01900000-0000-7000-8000-{i:012x}")).collect();
        check(&format!("{TEAM}:3:{}", too_many.join(",")), Some((TEAM, 3, Audience::Everyone)));
        let bad = [
            String::new(),
            ":".into(),
            "garbage".into(),
            TEAM.to_string(),
            format!("{TEAM}:"),
            format!(":5:{A}"),
            ":5".to_string(),
            format!("{TEAM}:x"),
            format!("{TEAM}:-5"),
            format!("{TEAM}:+5:*"),
            format!("{TEAM}:5.0:*"),
            format!("{TEAM}:99999999999999999999999:*"),
            format!("{TEAM}:99999999999999999999999"),
            format!("{TEAM}::*"),
            format!("{TEAM}:*"),
            format!("{TEAM}:5:{A},"),
            format!("{TEAM}:5:,{A}"),
            format!("{TEAM}:5:{A},,{B}"),
            format!("{TEAM}:5:{}", A.to_uppercase()),
            format!("{TEAM}:5:{A},not-a-member"),
            format!("{TEAM}:5:{A}:{B}"),
            format!("{TEAM}:5:**"),
            format!("{TEAM}:5:{}", "-".repeat(7000)),
            format!("{TEAM}:5:\u{0}"),
            "revoke".into(),
        ];
        for p in &bad {
            assert!(parse_seq_payload(p).is_err(), "{p:?} should be refused, got {:?}", parse_seq_payload(p));
        }
    }
}
