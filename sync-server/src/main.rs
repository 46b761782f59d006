//! The `kept-relay` command: serve, create a team, migrate, compact, check and repair.

use anyhow::Context;
use clap::{Parser, Subcommand};
use kept_relay::storage::{is_postgres_url, postgres, PostgresStorage, Storage};
use kept_relay::{admin, compact_teams, open_storage, serve, AppState};
use std::sync::Arc;

/// mimalloc instead of glibc's malloc: under ingest, `malloc`/`free` (with
/// `malloc_consolidate` and `unlink_chunk` across the worker threads) were a
/// fifth of the relay's CPU (BENCHMARKS.md, "Store v3 …", ingest).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "kept-relay", version, about = "Kept's sync relay")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(clap::Args)]
struct DbArg {
    /// SQLite database file, or a PostgreSQL URL (postgres://user@host:port/dbname).
    #[arg(long, env = "KEPT_RELAY_DB", default_value = "./kept-relay.sqlite3")]
    db: String,
}

impl DbArg {
    /// The database for messages (a PostgreSQL URL without its password).
    fn shown(&self) -> String {
        if is_postgres_url(&self.db) {
            match self.db.parse::<tokio_postgres::Config>() {
                Ok(c) => format!("postgres://{}", describe_pg(&c)),
                Err(_) => "postgres://…".into(),
            }
        } else {
            self.db.clone()
        }
    }
}

fn describe_pg(c: &tokio_postgres::Config) -> String {
    let host = match c.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
        #[cfg(unix)]
        Some(tokio_postgres::config::Host::Unix(p)) => p.display().to_string(),
        None => "localhost".into(),
    };
    format!("{host}:{}/{}", c.get_ports().first().copied().unwrap_or(5432), c.get_dbname().unwrap_or(""))
}

/// Where blobs (recordings) go and how much of them a relay takes.
#[derive(clap::Args)]
struct BlobArgs {
    /// Largest blob (MiB), at most the protocol's 100.
    #[arg(long, value_name = "MB", default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=100))]
    max_blob_mb: u64,
    /// Most MiB of blobs per team.
    #[arg(long, value_name = "MB", default_value_t = 2048, value_parser = clap::value_parser!(u64).range(1..=1 << 30))]
    blob_quota_mb: u64,
    /// Keep blob bytes in this directory (default: `<db>.blobs` beside a SQLite
    /// file; in the database itself on PostgreSQL).
    #[arg(long, value_name = "DIR")]
    blob_dir: Option<std::path::PathBuf>,
}

impl BlobArgs {
    /// The state with these blob settings.
    fn apply(self, state: AppState) -> AppState {
        const MIB: u64 = 1024 * 1024;
        let limits =
            kept_relay::blobs::BlobLimits { max_bytes: self.max_blob_mb * MIB, quota: self.blob_quota_mb * MIB };
        let state = state.with_blob_limits(limits);
        match self.blob_dir {
            Some(dir) => state.with_blobs(Arc::new(kept_relay::blobs::DirBlobs::new(dir))),
            None => state,
        }
    }
}

#[derive(Subcommand)]
enum Cmd {
    /// Serve the relay.
    Serve {
        #[command(flatten)]
        db: DbArg,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8787")]
        listen: String,
        /// A reverse proxy (its address) whose X-Forwarded-For names the client; repeatable.
        #[arg(long = "trust-proxy", value_name = "IP")]
        trust_proxy: Vec<std::net::IpAddr>,
        /// Most concurrent connections (live sockets included); more get 503.
        #[arg(long, default_value_t = kept_relay::edge::Limits::default().max_connections)]
        max_connections: usize,
        #[command(flatten)]
        blobs: BlobArgs,
        /// Compact a team once this many of its changes are not covered by snapshots.
        #[arg(long, value_name = "CHANGES", default_value_t = kept_relay::COMPACT_AFTER,
              value_parser = clap::value_parser!(i64).range(1..))]
        compact_after: i64,
        /// How often the compactor looks for such teams (seconds).
        #[arg(long, value_name = "SECONDS", default_value_t = kept_relay::COMPACT_EVERY.as_secs_f64())]
        compact_every: f64,
    },
    /// Teams.
    Team {
        #[command(subcommand)]
        cmd: TeamCmd,
    },
    /// Organisations: teams under leaders.
    Org {
        #[command(subcommand)]
        cmd: OrgCmd,
    },
    /// Create or upgrade the database schema.
    Migrate {
        #[command(flatten)]
        db: DbArg,
    },
    /// Compact every team's documents into snapshots now.
    Compact {
        #[command(flatten)]
        db: DbArg,
    },
    /// Verify the database (stop the relay first to repair): exits 1 when problems remain.
    Check {
        /// Repair what can be repaired (back the database up first).
        #[arg(long)]
        repair: bool,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// The blob directory the relay is served with (`serve --blob-dir`), if any.
        #[arg(long, value_name = "DIR")]
        blob_dir: Option<std::path::PathBuf>,
        #[command(flatten)]
        db: DbArg,
    },
}

#[derive(Subcommand)]
enum TeamCmd {
    /// Create a team and print a one-time invite for its manager.
    Create {
        /// Team name.
        #[arg(long)]
        name: String,
        /// The manager's name.
        #[arg(long)]
        manager: String,
        /// Put the team in this organisation (its id, from `kept-relay org create`).
        #[arg(long)]
        org: Option<String>,
        /// Print JSON: {"team_id","invite","expires_at"}.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArg,
    },
}

#[derive(Subcommand)]
enum OrgCmd {
    /// Create an organisation (with its leadership team) and print a one-time invite for its leader.
    Create {
        /// Organisation name.
        #[arg(long)]
        name: String,
        /// The leader's name (a director, VP or enablement lead).
        #[arg(long)]
        leader: String,
        /// Print JSON: {"org_id","leadership_team_id","invite","expires_at"}.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArg,
    },
    /// Put an existing team into an organisation.
    AddTeam {
        /// Organisation id.
        #[arg(long)]
        org: String,
        /// Team id.
        #[arg(long)]
        team: String,
        #[command(flatten)]
        db: DbArg,
    },
}

async fn open(db: &DbArg) -> anyhow::Result<Arc<dyn Storage>> {
    open_storage(&db.db).await.with_context(|| format!("opening {}", db.shown()))
}

fn main() -> std::process::ExitCode {
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match rt.block_on(run()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}

async fn run() -> anyhow::Result<std::process::ExitCode> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "kept_relay=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().cmd {
        Cmd::Serve { db, listen, trust_proxy, max_connections, blobs, compact_after, compact_every } => {
            let every = std::time::Duration::try_from_secs_f64(compact_every)
                .ok()
                .filter(|d| *d >= std::time::Duration::from_millis(100))
                .context("--compact-every must be at least 0.1 seconds")?;
            let storage = open(&db).await?;
            let listener =
                tokio::net::TcpListener::bind(&listen).await.with_context(|| format!("cannot listen on {listen}"))?;
            let addr = listener.local_addr()?;
            tracing::info!(%addr, db = %db.shown(), "kept-relay serving");
            println!("kept-relay listening on http://{addr}");
            let shutdown = async {
                #[cfg(unix)]
                {
                    use tokio::signal::unix::{signal, SignalKind};
                    match signal(SignalKind::terminate()) {
                        Ok(mut term) => {
                            tokio::select! {
                                _ = tokio::signal::ctrl_c() => {}
                                _ = term.recv() => {}
                            }
                        }
                        Err(_) => {
                            let _ = tokio::signal::ctrl_c().await;
                        }
                    }
                }
                #[cfg(not(unix))]
                {
                    let _ = tokio::signal::ctrl_c().await;
                }
                tracing::info!("shutting down");
            };
            let limits = kept_relay::edge::Limits { max_connections, ..Default::default() };
            let compaction = kept_relay::Compaction { after: compact_after, every };
            let state = blobs.apply(
                AppState::new(storage)
                    .with_limits(limits)
                    .with_trusted_proxies(trust_proxy)
                    .with_compaction(compaction),
            );
            tracing::info!(blobs = %state.blobs.describe(), "blob bytes");
            serve(listener, state, shutdown).await?;
            tracing::info!("stopped");
        }
        Cmd::Org { cmd: OrgCmd::Create { name, leader, json, db } } => {
            let storage = open(&db).await?;
            let o = admin::create_org(storage.as_ref(), &name, &leader).await?;
            if json {
                println!("{}", serde_json::to_string(&o)?);
            } else {
                println!("Organisation '{name}' created, with its leadership team '{name} leadership'.");
                println!("organisation id: {}", o.org_id);
                println!("leader invite:   {}  (for {leader}; single use; expires {})", o.invite, o.expires_at);
                println!("Add teams with: kept-relay team create --org {} ...", o.org_id);
                println!("The leader joins with: kept join <relay URL> {}", o.invite);
            }
        }
        Cmd::Org { cmd: OrgCmd::AddTeam { org, team, db } } => {
            let storage = open(&db).await?;
            storage.set_team_org(&team, &org).await?;
            println!("team {team} is now in organisation {org}");
        }
        Cmd::Team { cmd: TeamCmd::Create { name, manager, org, json, db } } => {
            let storage = open(&db).await?;
            let t = admin::create_team(storage.as_ref(), &name, &manager, org.as_deref()).await?;
            if json {
                println!("{}", serde_json::to_string(&t)?);
            } else {
                println!("Team '{name}' created.");
                println!("team id:        {}", t.team_id);
                println!("manager invite: {}  (for {manager}; single use; expires {})", t.invite, t.expires_at);
                println!("Join with: kept join <relay URL> {}", t.invite);
            }
        }
        Cmd::Migrate { db } => {
            if is_postgres_url(&db.db) {
                let pg = PostgresStorage::connect_unmigrated(db.db.trim()).await?;
                let before = pg.current_version().await?;
                let after = pg.migrate().await?;
                println!("database {} is up to date (schema version {after}; was {before})", db.shown());
                debug_assert_eq!(after, postgres::schema_version());
            } else {
                open(&db).await?;
                println!("database {} is up to date", db.shown());
            }
        }
        Cmd::Compact { db } => {
            let storage = open(&db).await?;
            let n = compact_teams(storage.as_ref(), 1).await?;
            println!("compacted {n} team(s)");
        }
        Cmd::Check { repair, json, blob_dir, db } => {
            let report = kept_relay::check::run_with_blobs(&db.db, &db.shown(), repair, blob_dir.as_deref())
                .await
                .with_context(|| format!("checking {}", db.shown()))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", report.text());
            }
            if !report.healthy() {
                return Ok(std::process::ExitCode::FAILURE);
            }
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}
