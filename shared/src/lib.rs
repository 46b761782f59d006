//! kept-core: everything Kept knows, as plain Rust with no UI and no server.
//!
//! - [`model`]: the domain vocabulary (activities, targets, action items, KARE …)
//! - [`week`]: team weeks in the team's time zone
//! - [`docs`]: the Automerge documents and their records
//! - [`records`]: the registry of record kinds (one definition per kind)
//! - [`input`]: raw fields as typed (CLI flags, app forms) → checked core values
//! - [`store`]: the local SQLite store (documents, outbox, materialised views)
//! - [`metrics`]: a rep's week, pace, the Thursday-Afternoon check, the board
//! - [`service`]: [`Kept`], the API the CLI and the app call
//! - [`clock`]: time and ids passed in, so tests are deterministic
//!
//! Invariant: kept-core never decides access for the relay; it only mirrors
//! the relay's rules locally so a user gets a clear error before syncing.

pub mod agenda;
pub mod clock;
pub mod demo;
pub mod docs;
pub mod error;
pub mod export;
pub mod funnel;
pub mod import;
pub mod input;
pub mod metrics;
pub mod model;
pub mod org;
pub mod records;
/// The relay's wire types (kept-protocol).
pub use kept_protocol::blob;
pub use kept_protocol::wire as protocol;
pub mod service;
pub mod signs;
pub mod store;
pub mod sync;
/// Week labels and team weeks (kept-protocol).
pub use kept_protocol::week;

pub use clock::{Clock, FixedClock, IdSource, SystemClock};
pub use error::{CoreError, Result};
pub use service::{InitOptions, Kept};
pub use week::Week;
