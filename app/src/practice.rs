//! Tauri commands for practice challenges: set, list, answer with a
//! recording (from the webview's recorder or a picked file), play, score,
//! comment, withdraw. Each a few lines over kept-core. Recordings cross the
//! IPC as base64 inside JSON, which every platform's IPC carries (Android's
//! has no raw request bodies).

use crate::error::{ErrorKind, UiError};
use crate::state::AppState;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use kept_core::service::{ChallengeView, NewChallenge};
use serde::Serialize;
use tauri::State;
use ts_rs::TS;

type R<T> = Result<T, UiError>;

/// A recording for the webview's media element.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Recording {
    /// Its media type.
    pub mime: String,
    /// Its bytes, base64.
    pub data: String,
}

/// Challenges: mine (a rep), one rep's or the team's (managers).
#[tauri::command(rename_all = "snake_case")]
pub async fn challenges(state: State<'_, AppState>, rep: Option<String>) -> R<Vec<ChallengeView>> {
    state.with(move |k| k.challenges(rep.as_deref())).await
}

/// Sets a challenge for reps (managers).
#[tauri::command(rename_all = "snake_case")]
pub async fn challenge_set(state: State<'_, AppState>, challenge: NewChallenge) -> R<Vec<ChallengeView>> {
    state.write(move |k| k.challenge_set(&challenge)).await
}

/// Answers one of my challenges (works offline; the recording goes with the next sync).
#[tauri::command(rename_all = "snake_case")]
pub async fn challenge_answer(
    state: State<'_, AppState>,
    id: String,
    mime: String,
    data: String,
    ms: Option<i64>,
) -> R<ChallengeView> {
    let bytes = B64
        .decode(data.as_bytes())
        .map_err(|_| UiError::new(ErrorKind::Invalid, "The recording could not be read; record it again."))?;
    state.write(move |k| k.challenge_answer(&id, &bytes, &mime, ms)).await
}

/// An answer's recording: this device's copy, or downloaded now (network).
#[tauri::command(rename_all = "snake_case")]
pub async fn challenge_recording(state: State<'_, AppState>, rep: Option<String>, id: String) -> R<Recording> {
    state
        .network(move |k| {
            let (path, mime) = k.challenge_recording(rep.as_deref(), &id)?;
            Ok(Recording { mime, data: B64.encode(std::fs::read(path)?) })
        })
        .await
}

/// Scores an answer (managers): criterion → score (0–4 or a word).
#[tauri::command(rename_all = "snake_case")]
pub async fn challenge_score(
    state: State<'_, AppState>,
    rep: String,
    id: String,
    scores: Vec<(String, String)>,
) -> R<ChallengeView> {
    state.write(move |k| k.challenge_score(&rep, &id, &scores)).await
}

/// Comments on a moment of an answer (managers).
#[tauri::command(rename_all = "snake_case")]
pub async fn challenge_comment(
    state: State<'_, AppState>,
    rep: String,
    id: String,
    at_ms: i64,
    text: String,
) -> R<ChallengeView> {
    state.write(move |k| k.challenge_comment(&rep, &id, at_ms, &text)).await
}

/// Withdraws a challenge (managers).
#[tauri::command(rename_all = "snake_case")]
pub async fn challenge_withdraw(state: State<'_, AppState>, rep: String, id: String) -> R<()> {
    state.write(move |k| k.challenge_withdraw(&rep, &id)).await
}
