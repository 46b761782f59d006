//! Tauri commands for development plans (skills, goals, milestones), the
//! coaching habit (cadence of 1-on-1s and how both sides rate them) and
//! rating a meeting. Each a few lines over kept-core.

use crate::error::UiError;
use crate::state::AppState;
use kept_core::docs::coaching::{DevEntry, Meeting};
use kept_core::model::ActionItem;
use kept_core::service::{CoachingHabit, DevPlan};
use tauri::State;

type R<T> = Result<T, UiError>;

#[tauri::command(rename_all = "snake_case")]
pub async fn dev_plan(state: State<'_, AppState>, rep: Option<String>) -> R<DevPlan> {
    state.with(move |k| k.dev_plan(rep.as_deref())).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn dev_add_skill(
    state: State<'_, AppState>,
    rep: Option<String>,
    interaction: String,
    criterion: String,
) -> R<DevEntry> {
    state.write(move |k| k.dev_add_skill(rep.as_deref(), &interaction, &criterion)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn dev_add_goal(state: State<'_, AppState>, rep: Option<String>, text: String) -> R<DevEntry> {
    state.write(move |k| k.dev_add_goal(rep.as_deref(), &text)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn dev_add_milestone(
    state: State<'_, AppState>,
    rep: Option<String>,
    text: String,
    due: String,
) -> R<ActionItem> {
    state.write(move |k| k.dev_add_milestone(rep.as_deref(), &text, &due)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn dev_goal_done(state: State<'_, AppState>, id: String, done: bool) -> R<DevEntry> {
    state.write(move |k| k.dev_goal_done(&id, done)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn dev_remove(state: State<'_, AppState>, id: String) -> R<()> {
    state.write(move |k| k.dev_remove(&id)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn coaching_habit(state: State<'_, AppState>) -> R<CoachingHabit> {
    state.with(|k| k.coaching_habit()).await
}

/// The rep rates with an optional comment; a manager rates with a number only.
#[tauri::command(rename_all = "snake_case")]
pub async fn rate_meeting(state: State<'_, AppState>, id: String, rating: i64, comment: Option<String>) -> R<Meeting> {
    state.write(move |k| k.rate_meeting(&id, rating, comment.as_deref().filter(|c| !c.trim().is_empty()))).await
}
