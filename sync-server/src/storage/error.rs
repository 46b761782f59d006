//! The storage error: what went wrong in words a person can act on, with the
//! database's own error kept as the source (never flattened into a string).

use std::path::PathBuf;

/// A storage failure. Refusals (`NotFound` … `NameTaken`) carry the message
/// the client sees; failures of the database keep their cause as
/// [`std::error::Error::source`] for the log and the command's `error: …` line.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// A SQLite statement failed.
    #[error("the SQLite database failed")]
    Sqlite(#[from] rusqlite::Error),
    /// A SQLite file cannot be opened at all.
    #[error("cannot open the database {}", path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: rusqlite::Error,
    },
    /// A PostgreSQL statement failed.
    #[error("PostgreSQL failed")]
    Postgres(#[from] tokio_postgres::Error),
    /// The connection pool failed (timeout, closed).
    #[error("the PostgreSQL connection pool failed")]
    Pool(#[from] deadpool_postgres::PoolError),
    /// The PostgreSQL connection pool cannot be built.
    #[error("cannot set up the PostgreSQL connection pool")]
    PoolBuild(#[from] deadpool_postgres::BuildError),
    /// `--db` looks like a PostgreSQL URL but is not one.
    #[error("not a PostgreSQL connection URL (postgres://user[:password]@host[:port]/dbname)")]
    BadUrl(#[source] tokio_postgres::Error),
    /// The PostgreSQL server does not answer.
    #[error("cannot reach PostgreSQL at {target}")]
    Unreachable {
        /// `host:port/db` (never the password).
        target: String,
        /// Why.
        #[source]
        source: tokio_postgres::Error,
    },
    /// A schema migration failed; nothing of it was applied.
    #[error("PostgreSQL migration {version} failed (nothing of it was applied)")]
    Migration {
        /// The migration's version.
        version: i32,
        /// Why.
        #[source]
        source: tokio_postgres::Error,
    },
    /// A file operation of the relay's maintenance failed.
    #[error("{what}")]
    Io {
        /// What the relay was doing.
        what: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A blocking storage task panicked or was cancelled.
    #[error("a storage task did not finish")]
    Task(#[from] tokio::task::JoinError),
    /// The stored data breaks a rule the relay relies on (run `kept-relay check`).
    #[error("the relay's database holds something it cannot use: {0}; run `kept-relay check`")]
    Inconsistent(String),
    /// No such row in the caller's team.
    #[error("{0}")]
    NotFound(String),
    /// A uniqueness rule was broken.
    #[error("{0}")]
    Conflict(String),
    /// The request cannot be carried out as given.
    #[error("{0}")]
    Invalid(String),
    /// The caller may not do this (an actor of another member).
    #[error("{0}")]
    Forbidden(String),
    /// The invite is unknown, used, expired or its member removed.
    #[error("{0}")]
    InvalidInvite(String),
    /// A new blob would take the team past its blob quota.
    #[error(
        "this blob of {} would take the team past its blob quota of {} ({} used); \
         the relay's operator can raise the quota (kept-relay serve --blob-quota-mb)",
        mib(*size), mib(*quota), mib(*used)
    )]
    QuotaExceeded {
        /// The team's quota (bytes).
        quota: u64,
        /// What the team's blobs take (bytes).
        used: u64,
        /// The new blob's size (bytes).
        size: u64,
    },
    /// An active member of the team already has this name (compared by
    /// [`super::name_key`]).
    #[error("the team already has a member named '{name}'; join with another name")]
    NameTaken {
        /// The name asked for.
        name: String,
    },
}

impl StorageError {
    /// True for a failure of the database itself (as opposed to a refusal of the request).
    pub fn is_backend(&self) -> bool {
        matches!(
            self,
            StorageError::Sqlite(_)
                | StorageError::Open { .. }
                | StorageError::Postgres(_)
                | StorageError::Pool(_)
                | StorageError::PoolBuild(_)
                | StorageError::Unreachable { .. }
                | StorageError::Migration { .. }
                | StorageError::Io { .. }
                | StorageError::Task(_)
        )
    }
}

/// `error: cause: cause …`: an error and its sources on one line, each said
/// once (for logs and reports that show one string).
pub fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(inner) = cur {
        let t = inner.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        cur = inner.source();
    }
    s
}

/// Bytes for people: `1.5 MiB (1572864 bytes)`.
fn mib(bytes: u64) -> String {
    format!("{:.1} MiB ({bytes} bytes)", bytes as f64 / (1024.0 * 1024.0))
}

/// Shorthand.
pub type StorageResult<T> = Result<T, StorageError>;
