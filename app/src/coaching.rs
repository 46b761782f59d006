//! Tauri commands for coaching: warning signs, commitments, the goal
//! planner, 1-on-1 prep, meetings, assessment maps, kudos, CSV in and out.
//! Each a few lines over kept-core.

use crate::error::UiError;
use crate::state::AppState;
use kept_core::docs::coaching::{Assessment, Meeting};
use kept_core::docs::team::Kudos;
use kept_core::funnel::{Goal, Plan};
use kept_core::import::{ColumnMap, ImportMode, ImportReport};
use kept_core::model::{ActionItem, Commitment};
use kept_core::service::{CommitmentStatus, CriterionView, OpenedMeeting, Prep};
use kept_core::signs::Sign;
use kept_core::CoreError;
use serde::Serialize;
use std::collections::BTreeMap;
use tauri::State;
use ts_rs::TS;

type R<T> = Result<T, UiError>;

use crate::commands::week;

#[tauri::command(rename_all = "snake_case")]
pub async fn signs(state: State<'_, AppState>, rep: Option<String>, all: Option<bool>) -> R<Vec<Sign>> {
    // By default the three most serious per rep; `all` for the full list.
    state.with(move |k| if all.unwrap_or(false) { k.signs(rep.as_deref()) } else { k.top_signs(rep.as_deref()) }).await
}

/// What others did for me since `since` (RFC 3339; none: the last 7 days), newest first.
#[tauri::command(rename_all = "snake_case")]
pub async fn news(state: State<'_, AppState>, since: Option<String>) -> R<Vec<kept_core::service::NewsItem>> {
    state.with(move |k| k.news(since.as_deref())).await
}

/// Acknowledges a rep's sign for this week with a note (managers).
#[tauri::command(rename_all = "snake_case")]
pub async fn acknowledge_sign(
    state: State<'_, AppState>,
    rep: String,
    kind: String,
    note: String,
) -> R<kept_core::docs::coaching::SignNote> {
    state.write(move |k| k.acknowledge_sign(&rep, &kind, &note)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn commitments(
    state: State<'_, AppState>,
    week: Option<String>,
    rep: Option<String>,
) -> R<Vec<CommitmentStatus>> {
    state.with(move |k| k.commitments(self::week(week)?, rep.as_deref())).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn add_commitment(
    state: State<'_, AppState>,
    text: String,
    kind: Option<String>,
    count: Option<i64>,
    week: Option<String>,
    rep: Option<String>,
) -> R<Commitment> {
    state
        .write(move |k| {
            let kind = kind.filter(|s| !s.is_empty());
            k.add_commitment(&text, kind.as_deref(), count, self::week(week)?, rep.as_deref())
        })
        .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn plan_goal(
    state: State<'_, AppState>,
    income: f64,
    commission: f64,
    deal_size: f64,
    working_weeks: f64,
    rep: Option<String>,
    agree: bool,
) -> R<Plan> {
    state
        .write(move |k| {
            let plan = k.plan_goal(Goal { income, commission, deal_size, working_weeks }, rep.as_deref())?;
            if agree {
                k.agree_plan(&plan, rep.as_deref())?;
            }
            Ok(plan)
        })
        .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn prep(state: State<'_, AppState>, rep: Option<String>, kind: Option<String>) -> R<Prep> {
    state.with(move |k| k.prep(rep.as_deref(), kind.as_deref().filter(|s| !s.is_empty()))).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn meetings(state: State<'_, AppState>, rep: Option<String>) -> R<Vec<Meeting>> {
    state.with(move |k| k.meetings(rep.as_deref())).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn open_meeting(
    state: State<'_, AppState>,
    rep: Option<String>,
    kind: String,
    date: Option<String>,
) -> R<OpenedMeeting> {
    state.write(move |k| k.open_meeting(rep.as_deref(), &kind, date.as_deref().filter(|s| !s.is_empty()))).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn meeting_notes(state: State<'_, AppState>, id: String, notes: String) -> R<Meeting> {
    state.write(move |k| k.meeting_notes(&id, &notes)).await
}

/// My edit of a meeting's notes from `base` (read at `base_heads`), merged with what the other side typed since.
#[tauri::command(rename_all = "snake_case")]
pub async fn meeting_notes_edit(
    state: State<'_, AppState>,
    id: String,
    base: String,
    base_heads: Vec<String>,
    notes: String,
) -> R<Meeting> {
    state.write(move |k| k.meeting_notes_edit(&id, &base, &base_heads, &notes)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn meeting_action(
    state: State<'_, AppState>,
    meeting: String,
    text: String,
    due: String,
    owner: Option<String>,
) -> R<ActionItem> {
    state.write(move |k| k.meeting_action(&meeting, &text, &due, owner.as_deref().filter(|s| !s.is_empty()))).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn action_edit(
    state: State<'_, AppState>,
    id: String,
    text: Option<String>,
    due: Option<String>,
    reopen: bool,
) -> R<ActionItem> {
    state
        .write(move |k| {
            k.action_edit(
                &id,
                text.as_deref().filter(|s| !s.is_empty()),
                due.as_deref().filter(|s| !s.is_empty()),
                reopen,
            )
        })
        .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn assess(
    state: State<'_, AppState>,
    rep: Option<String>,
    interaction: String,
    scores: BTreeMap<String, String>,
) -> R<Assessment> {
    state
        .write(move |k| {
            let pairs: Vec<(String, String)> = scores.into_iter().filter(|(_, v)| !v.is_empty()).collect();
            k.assess(rep.as_deref(), &interaction, &pairs)
        })
        .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn assessment_map(
    state: State<'_, AppState>,
    rep: Option<String>,
    interaction: String,
) -> R<Vec<CriterionView>> {
    state.with(move |k| k.assessment_map(rep.as_deref(), &interaction)).await
}

/// A criterion the team scores lowest on.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct WeakCriterion {
    /// Criterion key.
    pub criterion: String,
    /// The average of the reps' latest manager scores (0–4).
    pub average: f64,
    /// How many reps have a score.
    pub reps: usize,
}

#[tauri::command(rename_all = "snake_case")]
pub async fn weakest_criteria(state: State<'_, AppState>, interaction: String) -> R<Vec<WeakCriterion>> {
    let weakest = state.with(move |k| k.weakest_criteria(&interaction)).await?;
    Ok(weakest.into_iter().map(|(criterion, average, reps)| WeakCriterion { criterion, average, reps }).collect())
}

#[tauri::command(rename_all = "snake_case")]
pub async fn give_kudos(state: State<'_, AppState>, to: String, text: String, about: Option<String>) -> R<Kudos> {
    state.write(move |k| k.give_kudos_for(&to, &text, about.as_deref().filter(|a| !a.is_empty()))).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn kudos(state: State<'_, AppState>) -> R<Vec<Kudos>> {
    state.with(|k| k.kudos()).await
}

/// `mode`: `all` (default: all or nothing), `dry-run` (check and report) or
/// `skip-bad` (import the good rows); `columns` (`date=Activity Date`) and
/// `types` (`Logged Call=call`) map a CRM's export.
// Each argument is one key of the JSON object the UI sends (`api.importCsv`).
#[allow(clippy::too_many_arguments)]
#[tauri::command(rename_all = "snake_case")]
pub async fn import_csv(
    state: State<'_, AppState>,
    csv: String,
    rep: Option<String>,
    mode: Option<String>,
    columns: Option<Vec<String>>,
    types: Option<Vec<String>>,
    date_format: Option<String>,
    duration_unit: Option<String>,
) -> R<ImportReport> {
    state
        .write(move |k| {
            let mode = match mode.as_deref().unwrap_or("all") {
                "all" | "" => ImportMode::AllOrNothing,
                "dry-run" => ImportMode::DryRun,
                "skip-bad" => ImportMode::SkipBad,
                other => {
                    return Err(CoreError::invalid(format!(
                        "unknown import mode '{other}': expected all, dry-run or skip-bad"
                    )))
                }
            };
            let map = ColumnMap::parse(&columns.unwrap_or_default(), &types.unwrap_or_default())?
                .with_date_format(date_format.as_deref())?
                .with_duration_unit(duration_unit.as_deref())?;
            k.import_csv_mapped(csv.as_bytes(), rep.as_deref(), mode, &map)
        })
        .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn export_csv(state: State<'_, AppState>, what: String) -> R<String> {
    state
        .with(move |k| {
            let kind = kept_core::export::table(&what)?;
            let mut buf = Vec::new();
            k.export_csv(kind, &mut buf)?;
            String::from_utf8(buf).map_err(|e| CoreError::Document(e.to_string()))
        })
        .await
}

/// Writes the export `what` to `path` (picked in the save dialog) and returns
/// the path written. The file is written beside the target and renamed over
/// it, so a failed export never leaves half a file under the chosen name.
#[tauri::command(rename_all = "snake_case")]
pub async fn export_csv_to(state: State<'_, AppState>, what: String, path: String) -> R<String> {
    state
        .with(move |k| {
            let kind = kept_core::export::table(&what)?;
            let target = std::path::PathBuf::from(&path);
            let tmp = target.with_extension("csv.part");
            let mut out = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
            let written = k.export_csv(kind, &mut out).and_then(|_| {
                use std::io::Write;
                out.flush()?;
                Ok(())
            });
            drop(out);
            if let Err(e) = written.and_then(|_| std::fs::rename(&tmp, &target).map_err(CoreError::from)) {
                let _ = std::fs::remove_file(&tmp);
                return Err(e);
            }
            Ok(target.display().to_string())
        })
        .await
}
