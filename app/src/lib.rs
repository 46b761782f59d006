//! kept-app: the Tauri v2 shell. Thin commands over kept-core (`commands`,
//! `coaching`, `pipeline`, `develop`, `templates`),
//! shared state (`state`), the background sync worker (`worker`) and the
//! UI-facing error (`error`); `bindings` (a test) keeps the UI's generated
//! TypeScript types current. `run()` is the entry point for desktop
//! (`main.rs`) and mobile (`mobile_entry_point`): Android/iOS need no code
//! changes, only their SDKs, which this build machine does not have.

#[cfg(test)]
mod bindings;
pub mod coaching;
pub mod commands;
pub mod develop;
pub mod error;
pub mod org;
pub mod pipeline;
pub mod practice;
pub mod state;
pub mod templates;
pub mod worker;

use state::AppState;
use std::path::PathBuf;
use tauri::Manager;

/// Where this device's store lives: `$KEPT_HOME` if set (tests, the demo),
/// else the OS's app-data folder.
fn home(app: &tauri::App) -> PathBuf {
    if let Some(h) = std::env::var_os("KEPT_HOME") {
        return PathBuf::from(h);
    }
    app.path().app_data_dir().unwrap_or_else(|_| PathBuf::from("kept-data")).join("store")
}

/// Builds and runs the app.
#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_dialog::init())
        .setup(|app| {
            let state = AppState::new(home(app));
            worker::spawn(app.handle().clone(), state.clone());
            app.manage(state);
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            org::org_overview,
            org::org_sync,
            org::org_catch_up,
            org::org_team_board,
            org::org_rep_week,
            org::calibrations,
            practice::challenges,
            practice::challenge_set,
            practice::challenge_answer,
            practice::challenge_recording,
            practice::challenge_score,
            practice::challenge_comment,
            practice::challenge_withdraw,
            commands::status,
            commands::init_local,
            commands::join_relay,
            commands::log_activity,
            commands::edit_activity,
            commands::delete_activity,
            commands::activities,
            commands::week_summary,
            commands::board,
            commands::trends,
            commands::action_items,
            commands::add_action,
            commands::action_done,
            commands::action_drop,
            commands::set_target,
            commands::targets,
            commands::invite,
            commands::invite_my_device,
            commands::retry_quarantined,
            commands::discard_quarantined,
            commands::quarantined_bytes,
            commands::export_tables,
            commands::sync_now,
            commands::sync_status,
            commands::members,
            commands::set_team_settings,
            commands::set_team_format,
            commands::upsert_activity_type,
            commands::sign_out,
            commands::shift_week,
            commands::weeks_ending,
            coaching::signs,
            coaching::acknowledge_sign,
            coaching::news,
            coaching::commitments,
            coaching::add_commitment,
            coaching::plan_goal,
            coaching::prep,
            coaching::meetings,
            coaching::open_meeting,
            coaching::meeting_notes,
            coaching::meeting_notes_edit,
            coaching::meeting_action,
            coaching::action_edit,
            coaching::assess,
            coaching::assessment_map,
            coaching::weakest_criteria,
            coaching::give_kudos,
            coaching::kudos,
            coaching::import_csv,
            coaching::export_csv,
            coaching::export_csv_to,
            pipeline::deal_stages,
            pipeline::add_deal,
            pipeline::edit_deal,
            pipeline::close_deal,
            pipeline::deals,
            pipeline::kare_split,
            pipeline::benchmarks,
            develop::dev_plan,
            develop::dev_add_skill,
            develop::dev_add_goal,
            develop::dev_add_milestone,
            develop::dev_goal_done,
            develop::dev_remove,
            develop::coaching_habit,
            develop::rate_meeting,
            templates::vocabulary,
            templates::agenda,
            templates::agendas,
            templates::set_agenda,
            templates::interactions,
            templates::criteria,
            templates::set_criteria,
            templates::set_thresholds,
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("kept: the app stopped with an error: {e}");
        std::process::exit(1);
    }
}
