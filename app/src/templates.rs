//! Tauri commands for the team's own templates: agendas per meeting type,
//! assessment criteria per interaction type (including new types), and the
//! team thresholds (warning signs, the 1-on-1 cadence). Each a few lines
//! over kept-core.

use crate::error::UiError;
use crate::state::AppState;
use kept_core::agenda::{self, Agenda, Vocabulary};
use kept_core::model::Thresholds;
use std::collections::BTreeMap;
use tauri::State;

type R<T> = Result<T, UiError>;

/// The built-in meeting types, interaction types with their default
/// criteria, and the score scale, in words.
#[tauri::command(rename_all = "snake_case")]
pub fn vocabulary() -> Vocabulary {
    agenda::vocabulary()
}

#[tauri::command(rename_all = "snake_case")]
pub async fn agenda(state: State<'_, AppState>, kind: String) -> R<Agenda> {
    state.with(move |k| k.agenda(&kind)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn agendas(state: State<'_, AppState>) -> R<Vec<Agenda>> {
    state.with(|k| k.agendas()).await
}

/// Replaces a meeting type's agenda; without `items` it goes back to the default.
#[tauri::command(rename_all = "snake_case")]
pub async fn set_agenda(
    state: State<'_, AppState>,
    kind: String,
    items: Option<Vec<String>>,
    questions: Option<Vec<String>>,
) -> R<Agenda> {
    state
        .write(move |k| {
            let questions = questions.unwrap_or_default();
            k.set_agenda(&kind, items.as_deref().map(|i| (i, questions.as_slice())))
        })
        .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn interactions(state: State<'_, AppState>) -> R<Vec<String>> {
    state.with(|k| k.interactions()).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn criteria(state: State<'_, AppState>, interaction: String) -> R<Vec<String>> {
    state.with(move |k| k.criteria(&interaction)).await
}

/// Sets an interaction type's criteria (a new type is added); without
/// `criteria` a default type goes back to its default and a team's own is removed.
#[tauri::command(rename_all = "snake_case")]
pub async fn set_criteria(
    state: State<'_, AppState>,
    interaction: String,
    criteria: Option<Vec<String>>,
) -> R<Vec<String>> {
    state.write(move |k| k.set_criteria(&interaction, criteria.as_deref())).await
}

/// Sets team thresholds by key (`cadence_days`, `silence_days`, …).
#[tauri::command(rename_all = "snake_case")]
pub async fn set_thresholds(state: State<'_, AppState>, values: BTreeMap<String, i64>) -> R<Thresholds> {
    state.write(move |k| k.set_thresholds(&values.into_iter().collect::<Vec<_>>())).await
}
