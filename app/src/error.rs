//! The error every command returns to the UI: `{kind, message}`, where the
//! message is written for the person holding the phone.

use kept_core::CoreError;
use serde::Serialize;

/// A serialisable error for the UI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UiError {
    /// Machine-readable kind (`invalid`, `not_found`, `network`, `relay`, …).
    pub kind: String,
    /// What went wrong and what to do, in plain words.
    pub message: String,
}

impl UiError {
    /// An error of `kind` with `message`.
    pub fn new(kind: &str, message: impl Into<String>) -> UiError {
        UiError { kind: kind.into(), message: message.into() }
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
        UiError { kind: e.kind().to_string(), message }
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
    }
}
