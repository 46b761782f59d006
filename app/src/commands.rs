//! The `#[tauri::command]`s: each a few lines over kept-core's `Kept` API,
//! run off the main thread by `AppState::with`. Arguments arrive as one
//! object with snake_case keys; errors reach the UI as `{kind, message}`.

use crate::error::{ErrorKind, UiError};
use crate::state::{AppState, Nudge};
use kept_core::agenda::Labelled;
use kept_core::input::RawActivity;
use kept_core::metrics::{Board, Trends, WeekSummary};
use kept_core::model::{parse_weekday, ActionItem, Activity, ActivityType, Member, Role, TeamSettings};
use kept_core::protocol::InviteResponse;
use kept_core::records::RecordKind;
use kept_core::service::ActionFilter;
use kept_core::sync::{JoinOptions, SyncReport, SyncStatus};
use kept_core::{IdSource, InitOptions, Kept, SystemClock, Week};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;
use tauri::State;
use ts_rs::TS;

type R<T> = Result<T, UiError>;

/// What the UI needs to decide which screen to show.
#[derive(Debug, Clone, Serialize, TS)]
pub struct AppStatus {
    /// A store exists on this device.
    pub has_store: bool,
    /// It is joined to a relay.
    pub joined: bool,
    /// Who I am.
    pub me: Option<Member>,
    /// The team's settings and catalog.
    pub team: Option<TeamSettings>,
    /// This week's label.
    pub week: Option<String>,
    /// Sync state.
    pub sync: Option<SyncStatus>,
}

pub(crate) fn week(w: Option<String>) -> kept_core::Result<Option<Week>> {
    kept_core::input::week(w.as_deref())
}

/// The week `by` weeks after `week` (before, if negative).
#[tauri::command(rename_all = "snake_case")]
pub fn shift_week(week: String, by: i64) -> R<String> {
    let w: Week = week.parse().map_err(kept_core::CoreError::from)?;
    Ok(w.plus(by).to_string())
}

/// `count` week labels ending at `week`, oldest first (a trend chart's axis).
#[tauri::command(rename_all = "snake_case")]
pub fn weeks_ending(week: String, count: u32) -> R<Vec<String>> {
    let w: Week = week.parse().map_err(kept_core::CoreError::from)?;
    let n = i64::from(count.min(520));
    Ok((0..n).map(|i| w.plus(i + 1 - n).to_string()).collect())
}

fn app_status(k: &Kept) -> kept_core::Result<AppStatus> {
    Ok(AppStatus {
        has_store: true,
        joined: k.is_joined()?,
        me: Some(k.me().clone()),
        team: Some(k.team()?),
        week: Some(k.current_week()?.to_string()),
        sync: Some(k.sync_status(false)?),
    })
}

#[tauri::command(rename_all = "snake_case")]
pub async fn status(state: State<'_, AppState>) -> R<AppStatus> {
    match state.with(|k| app_status(k)).await {
        Err(e) if e.kind == ErrorKind::NoStore => {
            Ok(AppStatus { has_store: false, joined: false, me: None, team: None, week: None, sync: None })
        }
        other => other,
    }
}

#[tauri::command(rename_all = "snake_case")]
pub async fn init_local(
    state: State<'_, AppState>,
    team: String,
    me: String,
    role: String,
    time_zone: Option<String>,
) -> R<AppStatus> {
    let st = state.inner().clone();
    let k = tauri::async_runtime::spawn_blocking(move || -> kept_core::Result<Kept> {
        let opts = InitOptions { team, me, role: role.parse::<Role>()?, time_zone, week_start: None };
        Kept::init(&st.0.home, opts, Arc::new(SystemClock), IdSource::random())
    })
    .await
    .map_err(|e| UiError::new(ErrorKind::Internal, e.to_string()))??;
    let status = app_status(&k)?;
    *state.0.kept.lock().unwrap_or_else(|p| p.into_inner()) = Some(k);
    state.nudge(Nudge::Reconfigured);
    Ok(status)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn join_relay(
    state: State<'_, AppState>,
    url: String,
    invite: String,
    name: Option<String>,
    allow_insecure: bool,
) -> R<AppStatus> {
    let st = state.inner().clone();
    // A home used on this device only is closed here and carried over by the join.
    drop(state.0.kept.lock().unwrap_or_else(|p| p.into_inner()).take());
    let joined = tauri::async_runtime::spawn_blocking(move || -> kept_core::Result<Kept> {
        let device_name = std::env::var("HOSTNAME").unwrap_or_else(|_| "Kept app".into());
        let opts =
            JoinOptions { url, invite, name: name.filter(|n| !n.trim().is_empty()), device_name, allow_insecure };
        Ok(Kept::join_home(&st.0.home, &opts, Arc::new(SystemClock), IdSource::random())?.0)
    })
    .await
    .map_err(|e| UiError::new(ErrorKind::Internal, e.to_string()))?;
    let k = match joined {
        Ok(k) => k,
        Err(e) => {
            // Nothing changed on disk: reopen what was there.
            let reopened = Kept::open(&state.0.home, Arc::new(SystemClock), IdSource::random()).ok();
            *state.0.kept.lock().unwrap_or_else(|p| p.into_inner()) = reopened;
            return Err(e.into());
        }
    };
    let status = app_status(&k)?;
    *state.0.kept.lock().unwrap_or_else(|p| p.into_inner()) = Some(k);
    state.nudge(Nudge::Reconfigured);
    Ok(status)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn log_activity(state: State<'_, AppState>, kind: String, details: Option<RawActivity>) -> R<Activity> {
    state.write(move |k| k.log_activity(&kind, details.unwrap_or_default().into_input(None)?, None)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn edit_activity(state: State<'_, AppState>, id: String, details: RawActivity) -> R<Activity> {
    state.write(move |k| k.edit_activity(&id, details.into_input(None)?)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn delete_activity(state: State<'_, AppState>, id: String) -> R<()> {
    state.write(move |k| k.delete_activity(&id)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn activities(state: State<'_, AppState>, week: Option<String>, rep: Option<String>) -> R<Vec<Activity>> {
    state.with(move |k| k.activities(self::week(week)?, rep.as_deref(), false)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn week_summary(state: State<'_, AppState>, week: Option<String>, rep: Option<String>) -> R<WeekSummary> {
    state.with(move |k| k.week_summary(self::week(week)?, rep.as_deref())).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn board(state: State<'_, AppState>, week: Option<String>) -> R<Board> {
    state.with(move |k| k.board(self::week(week)?)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn trends(state: State<'_, AppState>, week: Option<String>, weeks: Option<usize>) -> R<Trends> {
    state.with(move |k| k.trends(self::week(week)?, weeks.unwrap_or(12))).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn action_items(
    state: State<'_, AppState>,
    status: Option<String>,
    rep: Option<String>,
) -> R<Vec<ActionItem>> {
    state
        .with(move |k| {
            let status = status.filter(|s| !s.is_empty()).map(|s| s.parse()).transpose()?;
            k.action_items(&ActionFilter { status, rep })
        })
        .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn add_action(
    state: State<'_, AppState>,
    text: String,
    due: String,
    owner: Option<String>,
    rep: Option<String>,
) -> R<ActionItem> {
    state.write(move |k| k.add_action(&text, &due, owner.as_deref(), rep.as_deref())).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn action_done(state: State<'_, AppState>, id: String, result: String) -> R<ActionItem> {
    state.write(move |k| k.action_done(&id, &result)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn action_drop(state: State<'_, AppState>, id: String, reason: Option<String>) -> R<ActionItem> {
    state.write(move |k| k.action_drop(&id, reason.as_deref())).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn set_target(
    state: State<'_, AppState>,
    kind: String,
    count: i64,
    rep: Option<String>,
    week: Option<String>,
) -> R<()> {
    state.write(move |k| k.set_target(&kind, count, rep.as_deref(), self::week(week)?)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn targets(
    state: State<'_, AppState>,
    rep: Option<String>,
    week: Option<String>,
) -> R<BTreeMap<String, i64>> {
    state.with(move |k| k.targets(rep.as_deref(), self::week(week)?)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn invite(state: State<'_, AppState>, role: String, name: Option<String>) -> R<InviteResponse> {
    state.network(move |k| k.invite(role.parse()?, name.as_deref().filter(|n| !n.trim().is_empty()))).await
}

/// A one-time invite for another device of my own (same member, its own
/// actor id). Network: on its own store connection, never the UI's.
#[tauri::command(rename_all = "snake_case")]
pub async fn invite_my_device(state: State<'_, AppState>) -> R<InviteResponse> {
    state.network(|k| k.invite_my_device()).await
}

/// Puts a set-aside change back (into the outbox, or applied again); the
/// worker then syncs. Returns how many changes left the quarantine.
#[tauri::command(rename_all = "snake_case")]
pub async fn retry_quarantined(state: State<'_, AppState>, id: i64) -> R<usize> {
    state.write(move |k| k.retry_quarantined(id)).await
}

/// Forgets a set-aside change for good (the UI asks first).
#[tauri::command(rename_all = "snake_case")]
pub async fn discard_quarantined(state: State<'_, AppState>, id: i64) -> R<()> {
    state.with(move |k| k.discard_quarantined(id)).await
}

/// The raw bytes of a set-aside change (an Automerge change or snapshot),
/// for the user to save and hand to someone who can look at it.
#[tauri::command(rename_all = "snake_case")]
pub async fn quarantined_bytes(state: State<'_, AppState>, id: i64) -> R<Vec<u8>> {
    state.with(move |k| k.quarantined_bytes(id)).await
}

/// The tables `export_csv` writes, in core's order, each with a label.
#[tauri::command(rename_all = "snake_case")]
pub fn export_tables() -> Vec<Labelled> {
    RecordKind::export_tables()
        .map(|(key, kind)| Labelled { key: key.into(), label: table_label(kind).into() })
        .collect()
}

/// What people read for a record kind's export table. Exhaustive on
/// purpose: a new record kind does not compile here until it has a label.
fn table_label(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Activity => "Activities",
        RecordKind::ActionItem => "Action items",
        RecordKind::Target => "Targets",
        RecordKind::Commitment => "Commitments",
        RecordKind::Goal => "Goals",
        RecordKind::Deal => "Deals",
        RecordKind::Meeting => "Meetings",
        RecordKind::SelfAssessment => "Assessments",
        RecordKind::DevEntry => "Development plans",
        RecordKind::Kudos => "Kudos",
        RecordKind::Calibration => "Calibration sessions",
        RecordKind::Challenge => "Practice challenges",
        RecordKind::SignNote => "Notes on warning signs",
        // Not tables of their own (configuration, or columns of another table).
        RecordKind::Settings => "Team settings",
        RecordKind::ActivityType => "Activity types",
        RecordKind::Agenda => "Agendas",
        RecordKind::Criteria => "Criteria",
        RecordKind::ManagerAssessment => "Manager assessments",
        RecordKind::MeetingRating => "Meeting ratings",
        RecordKind::CalibrationScore => "Calibration scores",
        RecordKind::ChallengeComment => "Challenge comments",
    }
}

#[tauri::command(rename_all = "snake_case")]
pub async fn sync_now(state: State<'_, AppState>) -> R<SyncReport> {
    let out = state.network(|k| k.sync()).await;
    state.nudge(Nudge::Reconfigured);
    out
}

#[tauri::command(rename_all = "snake_case")]
pub async fn sync_status(state: State<'_, AppState>) -> R<SyncStatus> {
    state.with(|k| k.sync_status(false)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn members(state: State<'_, AppState>) -> R<Vec<Member>> {
    state.with(|k| k.members()).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn set_team_settings(
    state: State<'_, AppState>,
    name: Option<String>,
    time_zone: Option<String>,
    week_start: Option<String>,
) -> R<TeamSettings> {
    state
        .write(move |k| {
            let ws = week_start.filter(|s| !s.is_empty()).map(|d| parse_weekday(&d)).transpose()?;
            k.set_team_settings(name.as_deref(), time_zone.as_deref().filter(|s| !s.is_empty()), ws, None)
        })
        .await
}

/// The team's locale and currency (managers; "" resets one).
#[tauri::command(rename_all = "snake_case")]
pub async fn set_team_format(state: State<'_, AppState>, locale: String, currency: String) -> R<TeamSettings> {
    state.write(move |k| k.set_team_format(Some(&locale), Some(&currency))).await
}

#[tauri::command(rename_all = "snake_case")]
#[allow(clippy::too_many_arguments)]
pub async fn upsert_activity_type(
    state: State<'_, AppState>,
    key: String,
    label: String,
    kare: Option<String>,
    leading: bool,
    position: i64,
    retired: bool,
) -> R<TeamSettings> {
    state
        .write(move |k| {
            let default_kare = kare.filter(|s| !s.is_empty()).map(|s| s.parse()).transpose()?;
            k.upsert_activity_type(&ActivityType { key, label, default_kare, leading, position, retired })
        })
        .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn sign_out(state: State<'_, AppState>) -> R<AppStatus> {
    let out = state.with(|k| {
        k.sign_out()?;
        app_status(k)
    });
    let out = out.await;
    state.nudge(Nudge::Reconfigured);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn week_arithmetic_is_kept_cores() {
        assert_eq!(shift_week("2026-W48".into(), -1).expect("shift"), "2026-W47");
        assert_eq!(shift_week("2021-W01".into(), -1).expect("shift"), "2020-W53");
        assert_eq!(shift_week("2020-W53".into(), 1).expect("shift"), "2021-W01");
        assert_eq!(shift_week("nonsense".into(), 1).expect_err("bad week").kind, ErrorKind::Invalid);
        assert_eq!(weeks_ending("2026-W02".into(), 3).expect("weeks"), ["2025-W52", "2026-W01", "2026-W02"]);
        assert!(weeks_ending("2026-W02".into(), 0).expect("weeks").is_empty());
    }

    #[test]
    fn export_tables_are_cores_with_labels() {
        let tables = export_tables();
        let keys: Vec<&str> = tables.iter().map(|t| t.key.as_str()).collect();
        let core: Vec<&str> = RecordKind::export_tables().map(|(n, _)| n).collect();
        assert_eq!(keys, core);
        assert!(keys.contains(&"activities") && keys.contains(&"development"), "{keys:?}");
        assert!(tables.iter().all(|t| !t.label.is_empty() && t.label != t.key), "{tables:?}");
    }
}
