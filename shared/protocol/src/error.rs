//! The one error type of kept-protocol: what was wrong with an id, a week or a document, for a person.

use thiserror::Error;

/// Errors from kept-protocol.
#[derive(Debug, Error)]
pub enum ProtocolError {
    /// A value (an id, a week, a role) is not acceptable; the message says which and why.
    #[error("{0}")]
    Invalid(String),
    /// Automerge refused to build a canonical change (a bug, never input).
    #[error("document error: {0}")]
    Document(#[from] automerge::AutomergeError),
}

impl ProtocolError {
    /// Shorthand for [`ProtocolError::Invalid`].
    pub fn invalid(msg: impl Into<String>) -> Self {
        ProtocolError::Invalid(msg.into())
    }
}

/// Result alias for kept-protocol.
pub type Result<T, E = ProtocolError> = std::result::Result<T, E>;
