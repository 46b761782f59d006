//! The one public error type of kept-core. Every message names what was wrong
//! and, where there is a fixed set, the allowed values, so a person can act on it.

use thiserror::Error;

/// Errors from kept-core. `Invalid*`/`Unknown*`/`NotAllowed` are the user's
/// input; `Storage`, `Document`, `Io` and `Network` are the machine's.
#[derive(Debug, Error)]
pub enum CoreError {
    /// A value given by the user was not acceptable.
    #[error("{0}")]
    Invalid(String),
    /// An id or name given by the user does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The caller's role does not allow this.
    #[error("{0}")]
    NotAllowed(String),
    /// The folder is not a Kept home (or is one of a newer version).
    #[error("{0}")]
    NotAStore(String),
    /// Another process holds the store's write lock for too long.
    #[error("the store at {0} is busy: another kept process is writing; try again")]
    Busy(String),
    /// SQLite failed.
    #[error("local database error: {0}")]
    Storage(#[from] rusqlite::Error),
    /// An Automerge document or change could not be read or applied.
    #[error("document error: {0}")]
    Document(String),
    /// A file could not be read or written.
    #[error("file error: {0}")]
    Io(#[from] std::io::Error),
    /// The relay could not be reached or answered with an error.
    #[error("{0}")]
    Network(String),
    /// The relay speaks another protocol version (update the relay or this app).
    #[error("{0}")]
    Incompatible(String),
    /// The relay refused us (HTTP status and its message).
    #[error("relay refused the request ({status}): {message}")]
    Relay { status: u16, message: String },
}

impl CoreError {
    /// Shorthand for an [`CoreError::Invalid`] with a formatted message.
    pub fn invalid(msg: impl Into<String>) -> Self {
        CoreError::Invalid(msg.into())
    }

    /// A stable machine-readable kind, used by the CLI's and the app's JSON errors.
    pub fn kind(&self) -> &'static str {
        match self {
            CoreError::Invalid(_) => "invalid",
            CoreError::NotFound(_) => "not_found",
            CoreError::NotAllowed(_) => "not_allowed",
            CoreError::NotAStore(_) => "not_a_store",
            CoreError::Busy(_) => "busy",
            CoreError::Storage(_) => "storage",
            CoreError::Document(_) => "document",
            CoreError::Io(_) => "io",
            CoreError::Network(_) => "network",
            CoreError::Incompatible(_) => "incompatible",
            CoreError::Relay { .. } => "relay",
        }
    }

    /// True when the error came from what the user typed (exit status 2 in the CLI).
    pub fn is_user_error(&self) -> bool {
        matches!(
            self,
            CoreError::Invalid(_) | CoreError::NotFound(_) | CoreError::NotAllowed(_) | CoreError::NotAStore(_)
        )
    }
}

impl From<automerge::AutomergeError> for CoreError {
    fn from(e: automerge::AutomergeError) -> Self {
        CoreError::Document(e.to_string())
    }
}

impl From<kept_protocol::ProtocolError> for CoreError {
    fn from(e: kept_protocol::ProtocolError) -> Self {
        match e {
            kept_protocol::ProtocolError::Invalid(m) => CoreError::Invalid(m),
            kept_protocol::ProtocolError::Document(e) => CoreError::Document(e.to_string()),
        }
    }
}

/// Result alias for kept-core.
pub type Result<T, E = CoreError> = std::result::Result<T, E>;
