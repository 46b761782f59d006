//! The error every command returns to the UI: `{kind, message}`, where the
//! kind is one of [`ErrorKind`] (a string-literal union in the generated
//! TypeScript, so the UI's checks of it are type-checked) and the message is
//! written for the person holding the phone.

use kept_core::CoreError;
use serde::Serialize;
use ts_rs::TS;

/// What kind of error the UI got: each core error variant has its own, plus
/// the app's own (`no_store`, `internal`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// A value the user gave was not acceptable.
    Invalid,
    /// An id or name the user gave does not exist.
    NotFound,
    /// The user's role does not allow this.
    NotAllowed,
    /// The folder is not a Kept home (or one of a newer version).
    NotAStore,
    /// Another process holds the store's write lock.
    Busy,
    /// SQLite failed.
    Storage,
    /// A document or change could not be read or applied.
    Document,
    /// A file could not be read or written.
    Io,
    /// The relay could not be reached.
    Network,
    /// The relay speaks another protocol version.
    Incompatible,
    /// The relay refused the request.
    Relay,
    /// There is no store on this device yet (set up or join first).
    NoStore,
    /// The app itself failed (a background task did not finish).
    Internal,
}

impl ErrorKind {
    /// The kind of a core error. A new `CoreError` variant is a compile error
    /// here until it has a kind the UI knows.
    pub fn of(e: &CoreError) -> ErrorKind {
        match e {
            CoreError::Invalid(..) => ErrorKind::Invalid,
            CoreError::NotFound(..) => ErrorKind::NotFound,
            CoreError::NotAllowed(..) => ErrorKind::NotAllowed,
            CoreError::NotAStore(..) => ErrorKind::NotAStore,
            CoreError::Busy(..) => ErrorKind::Busy,
            CoreError::Storage(..) => ErrorKind::Storage,
            CoreError::Document(..) => ErrorKind::Document,
            CoreError::Io(..) => ErrorKind::Io,
            CoreError::Network(..) => ErrorKind::Network,
            CoreError::Incompatible(..) => ErrorKind::Incompatible,
            CoreError::Relay { .. } => ErrorKind::Relay,
        }
    }
}

/// A serialisable error for the UI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct UiError {
    /// Machine-readable kind.
    pub kind: ErrorKind,
    /// What went wrong and what to do, in plain words.
    pub message: String,
}

impl UiError {
    /// An error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> UiError {
        UiError { kind, message: message.into() }
    }
}

impl From<CoreError> for UiError {
    fn from(e: CoreError) -> UiError {
        let message = match &e {
            CoreError::Network(_) => {
                format!("{e}. Your entries are safe on this device and will sync when the relay is back.")
            }
            CoreError::Relay { status: 401, .. } => {
                "This device's access was revoked or has expired. Ask your manager for a new invite.".to_string()
            }
            _ => e.to_string(),
        };
        UiError { kind: ErrorKind::of(&e), message }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_to_kind_and_message() {
        let e: UiError = CoreError::invalid("unknown activity type 'dance'").into();
        let json = serde_json::to_value(&e).expect("json");
        assert_eq!(json, serde_json::json!({"kind": "invalid", "message": "unknown activity type 'dance'"}));
        let net: UiError = CoreError::Network("relay x unreachable".into()).into();
        assert!(net.message.contains("safe on this device"));
        let none = UiError::new(ErrorKind::NoStore, "set up first");
        assert_eq!(serde_json::to_value(&none).expect("json")["kind"], "no_store");
    }

    #[test]
    fn every_core_kind_is_the_same_word_as_the_core_says() {
        let errors = [
            CoreError::invalid("x"),
            CoreError::NotFound("x".into()),
            CoreError::NotAllowed("x".into()),
            CoreError::NotAStore("x".into()),
            CoreError::Busy("x".into()),
            CoreError::Document("x".into()),
            CoreError::Io(std::io::Error::other("x")),
            CoreError::Network("x".into()),
            CoreError::Incompatible("x".into()),
            CoreError::Relay { status: 400, message: "x".into() },
        ];
        for e in errors {
            let kind = serde_json::to_value(ErrorKind::of(&e)).expect("json");
            assert_eq!(kind, e.kind(), "{e:?}");
        }
    }
}
