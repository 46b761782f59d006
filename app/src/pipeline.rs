//! Tauri commands for the pipeline (deals, stages, won/lost, the KARE split
//! of effort vs results) and the team benchmarks. Each a few lines over
//! kept-core.

use crate::error::UiError;
use crate::state::AppState;
use kept_core::model::Deal;
use kept_core::service::{Benchmarks, DealEdit, KareSplit, STAGES};
use tauri::State;

type R<T> = Result<T, UiError>;

/// The stages the app offers (a deal may carry any short label).
#[tauri::command(rename_all = "snake_case")]
pub fn deal_stages() -> Vec<String> {
    STAGES.iter().map(|s| s.to_string()).collect()
}

#[tauri::command(rename_all = "snake_case")]
pub async fn add_deal(
    state: State<'_, AppState>,
    name: String,
    amount: i64,
    stage: Option<String>,
    kare: Option<String>,
    expected_close: Option<String>,
    rep: Option<String>,
) -> R<Deal> {
    state
        .write(move |k| {
            let kare = kare.filter(|s| !s.is_empty() && s != "none").map(|s| s.parse()).transpose()?;
            let stage = stage.filter(|s| !s.trim().is_empty());
            let close = expected_close.filter(|s| !s.trim().is_empty());
            k.add_deal(&name, amount, stage.as_deref(), kare, close.as_deref(), rep.as_deref())
        })
        .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn edit_deal(state: State<'_, AppState>, id: String, edit: DealEdit) -> R<Deal> {
    state.write(move |k| k.edit_deal(&id, &edit)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn close_deal(state: State<'_, AppState>, id: String, won: bool) -> R<Deal> {
    state.write(move |k| k.close_deal(&id, won)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn deals(state: State<'_, AppState>, rep: Option<String>, include_closed: Option<bool>) -> R<Vec<Deal>> {
    state.with(move |k| k.deals(rep.as_deref(), include_closed.unwrap_or(false))).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn kare_split(
    state: State<'_, AppState>,
    rep: Option<String>,
    team: Option<bool>,
    weeks: Option<i64>,
) -> R<KareSplit> {
    state.with(move |k| k.kare_split(rep.as_deref(), team.unwrap_or(false), weeks.unwrap_or(12))).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn benchmarks(state: State<'_, AppState>) -> R<Benchmarks> {
    state.with(|k| k.benchmarks()).await
}
