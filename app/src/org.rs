//! Tauri commands for a leader (a manager of an organisation's leadership
//! team): the organisation's teams side by side, syncing them, a team's
//! board read-only, and calibration sessions. Each a few lines over kept-core.

use crate::error::UiError;
use crate::state::AppState;
use kept_core::metrics::{Board, WeekSummary};
use kept_core::org::overview::OrgOverview;
use kept_core::org::{OrgSyncOptions, OrgTeamSync};
use kept_core::service::CalibrationView;
use kept_core::{CoreError, Kept};
use tauri::State;

type R<T> = Result<T, UiError>;

/// The leader's view (no teams when this home leads no organisation).
#[tauri::command(rename_all = "snake_case")]
pub async fn org_overview(state: State<'_, AppState>) -> R<OrgOverview> {
    state.with(|k| k.org_overview()).await
}

/// Joins the organisation's teams not held yet and syncs them all, the
/// weeks the leader's view reads first (network); the older weeks wait for
/// [`org_catch_up`], which the screen calls once the view is drawn.
#[tauri::command(rename_all = "snake_case")]
pub async fn org_sync(state: State<'_, AppState>) -> R<Vec<OrgTeamSync>> {
    state.network(|k| k.org_sync_with("Kept app", OrgSyncOptions::first_screen())).await
}

/// Opens the older weeks the teams' first pulls kept for later; how many
/// documents it opened. A team that cannot is named in the error, after the
/// others were caught up.
#[tauri::command(rename_all = "snake_case")]
pub async fn org_catch_up(state: State<'_, AppState>) -> R<usize> {
    state
        .network(|k| {
            let done = k.org_catch_up()?;
            if done.failed.is_empty() {
                return Ok(done.opened);
            }
            let why: Vec<String> = done.failed.iter().map(|(home, e)| format!("{}: {e}", home.display())).collect();
            Err(CoreError::Document(format!("older weeks of some teams could not be opened: {}", why.join("; "))))
        })
        .await
}

/// The home of one team of the organisation held here.
fn team_home(k: &Kept, team_id: &str) -> kept_core::Result<Kept> {
    let team = k.org_teams()?.into_iter().find(|t| t.team_id() == team_id);
    team.ok_or_else(|| CoreError::NotFound(format!("no team '{team_id}' on this device")))
}

/// One team's board, read-only (drill-down from the leader's view).
#[tauri::command(rename_all = "snake_case")]
pub async fn org_team_board(state: State<'_, AppState>, team_id: String) -> R<Board> {
    state.with(move |k| team_home(k, &team_id)?.board(None)).await
}

/// One rep's week in a team, read-only (drill-down from a team's board).
#[tauri::command(rename_all = "snake_case")]
pub async fn org_rep_week(state: State<'_, AppState>, team_id: String, rep: String) -> R<WeekSummary> {
    state.with(move |k| team_home(k, &team_id)?.week_summary(None, Some(&rep))).await
}

/// Every calibration session of this team (the leadership team, for a leader).
#[tauri::command(rename_all = "snake_case")]
pub async fn calibrations(state: State<'_, AppState>) -> R<Vec<CalibrationView>> {
    state.with(|k| k.calibrations()).await
}
