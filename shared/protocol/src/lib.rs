//! kept-protocol: what every Kept device and the relay must agree on, and
//! nothing else (no HTTP client, no local store, no CSV).
//!
//! - [`ids`]: document ids and kinds, roles
//! - [`week`]: week labels and team weeks (log documents are named by week)
//! - [`genesis`]: the canonical genesis and root-map changes every device produces byte for byte
//! - [`wire`]: the relay's JSON wire types and limits
//! - [`access`]: who may read and write which document
//! - [`change`]: the checks a pushed change must pass before anyone parses or applies it
//! - [`blob`]: attachments (recordings) as content-addressed blobs: wire types and checks
//! - [`gate`]: causal admission of changes into a document (sequence, dependencies, applies cleanly)
//!
//! The relay depends on this crate, not on kept-core; kept-core re-exports it.
//! docs/FORMAT.md and docs/PROTOCOL.md are the written contract.

pub mod access;
pub mod blob;
pub mod change;
pub mod error;
pub mod gate;
pub mod genesis;
pub mod ids;
pub mod week;
pub mod wire;

pub use error::{ProtocolError, Result};
pub use ids::{DocId, DocKind, Role};
pub use week::Week;
