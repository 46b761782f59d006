//! `kept`: the headless Kept client. Each subcommand is a few lines over
//! kept-core's `Kept` API; printing lives in `output`.

mod args;
mod coach;
mod output;
mod practice;

use anyhow::Context;
use args::{
    ActionCommand, ActivityFields, CalibrateCommand, Cli, Command, CommitCommand, MeetingCommand, OrgCommand,
    QuarantineCmd, TargetCommand, TeamCommand,
};
use clap::Parser;
use kept_core::import::{ColumnMap, ImportMode};
use kept_core::input::RawActivity;
use kept_core::model::{parse_weekday, ActivityInput, Role};
use kept_core::service::ActionFilter;
use kept_core::sync::adopt::Joined;
use kept_core::sync::JoinOptions;
use kept_core::{CoreError, IdSource, InitOptions, Kept, SystemClock, Week};
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn main() {
    // `kept … | head` closes our stdout early: end quietly like other Unix tools.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info.payload().downcast_ref::<String>().map(String::as_str).unwrap_or("");
        if msg.contains("failed printing to stdout") {
            std::process::exit(0);
        }
        default_hook(info);
    }));
    let cli = Cli::parse();
    if let Err(e) = run(cli) {
        let user = e.downcast_ref::<CoreError>().map(CoreError::is_user_error).unwrap_or(false);
        eprintln!("kept: {e:#}");
        std::process::exit(if user { 2 } else { 1 });
    }
}

fn home(cli_home: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    if let Some(h) = cli_home {
        return Ok(h);
    }
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .context("no --home given and neither $KEPT_HOME nor $HOME is set")?;
    Ok(base.join("kept"))
}

fn open(home: &Path) -> anyhow::Result<Kept> {
    Ok(Kept::open(home, Arc::new(SystemClock), IdSource::random())?)
}

fn week(w: Option<String>) -> Result<Option<Week>, CoreError> {
    kept_core::input::week(w.as_deref())
}

fn input(f: ActivityFields, kind: Option<String>) -> Result<ActivityInput, CoreError> {
    RawActivity {
        count: f.count,
        kare: f.kare,
        account: f.account,
        outcome: f.outcome,
        note: f.note,
        deal: f.deal,
        duration_min: f.duration,
        occurred_at: f.at,
    }
    .into_input(kind)
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let home = home(cli.home)?;
    match cli.command {
        Command::Init { team, me, role, tz, week_start } => {
            let opts = InitOptions {
                team,
                me,
                role: role.parse::<Role>()?,
                time_zone: tz,
                week_start: week_start.map(|d| parse_weekday(&d)).transpose()?,
            };
            let k = Kept::init(&home, opts, Arc::new(SystemClock), IdSource::random())?;
            println!("Created {} for {} ({}) in team {}", home.display(), k.me().name, k.me().role, k.team()?.name);
        }
        Command::Log { kind, fields, rep, json } => {
            let mut k = open(&home)?;
            let a = k.log_activity(&kind, input(fields, None)?, rep.as_deref())?;
            output::activity(&k, &a, json)?;
            k.store_mut().maintain()?;
        }
        Command::Edit { id, kind, fields, json } => {
            let mut k = open(&home)?;
            let a = k.edit_activity(&id, input(fields, kind)?)?;
            output::activity(&k, &a, json)?;
        }
        Command::Delete { id } => {
            open(&home)?.delete_activity(&id)?;
            println!("Deleted {id}");
        }
        Command::Activities { week: w, rep, all, json } => {
            let k = open(&home)?;
            let list = k.activities(week(w)?, rep.as_deref(), all)?;
            output::activities(&k, &list, json)?;
        }
        Command::Week { week: w, rep, json } => {
            let k = open(&home)?;
            output::week(&k.week_summary(week(w)?, rep.as_deref())?, json)?;
        }
        Command::Target { command } => match command {
            TargetCommand::Set { kind, count, rep, week: w } => {
                let mut k = open(&home)?;
                let w = week(w)?;
                k.set_target(&kind, count, rep.as_deref(), w)?;
                match w {
                    Some(w) => println!("Target for {kind} in {w}: {count}"),
                    None => println!("Weekly target for {kind}: {count}, from {} on", k.current_week()?),
                }
            }
            TargetCommand::List { rep, week: w, json } => {
                let k = open(&home)?;
                output::targets(&k.targets(rep.as_deref(), week(w)?)?, json)?;
            }
        },
        Command::Action { command } => action(&home, command)?,
        Command::Export { format, what, out } => {
            if format != "csv" {
                return Err(CoreError::invalid(format!("unknown format '{format}': expected csv")).into());
            }
            let k = open(&home)?;
            let what = kept_core::export::table(&what)?;
            match out {
                Some(path) => {
                    // Write beside the target and rename, so a failure never leaves half a file.
                    let tmp = path.with_extension("csv.part");
                    let n = k.export_csv(
                        what,
                        std::fs::File::create(&tmp).with_context(|| format!("cannot write {}", tmp.display()))?,
                    )?;
                    std::fs::rename(&tmp, &path)?;
                    eprintln!("Wrote {n} rows to {}", path.display());
                }
                None => {
                    k.export_csv(what, std::io::stdout().lock())?;
                }
            }
        }
        Command::MergeFrom { other, json } => {
            let report =
                if kept_core::store::Store::open(&home).is_err() && !home.join(kept_core::store::DB_FILE).exists() {
                    Kept::clone_device(&home, &other, Arc::new(SystemClock), IdSource::random())?.1
                } else {
                    open(&home)?.merge_from(&other)?
                };
            output::merge(&report, json)?;
        }
        Command::Team { command } => match command {
            TeamCommand::Show { json } => output::team(&open(&home)?.team()?, json)?,
            TeamCommand::Set { name, tz, week_start, working_days, locale, currency } => {
                let mut k = open(&home)?;
                let ws = week_start.map(|d| parse_weekday(&d)).transpose()?;
                let days =
                    working_days.map(|s| s.split(',').map(parse_weekday).collect::<Result<Vec<_>, _>>()).transpose()?;
                if locale.is_some() || currency.is_some() {
                    k.set_team_format(locale.as_deref(), currency.as_deref())?;
                }
                let t = k.set_team_settings(name.as_deref(), tz.as_deref(), ws, days.as_deref())?;
                output::team(&t, false)?;
            }
            TeamCommand::Agenda { kind, items, questions, reset, json } => {
                let mut k = open(&home)?;
                let a = if reset {
                    k.set_agenda(&kind, None)?
                } else if items.is_empty() && questions.is_empty() {
                    k.agenda(&kind)?
                } else {
                    let items = if items.is_empty() { k.agenda(&kind)?.items } else { items };
                    k.set_agenda(&kind, Some((&items, &questions)))?
                };
                output::agenda(&a, json)?;
            }
            TeamCommand::Criteria { interaction, criteria, reset } => {
                let mut k = open(&home)?;
                let list = if reset {
                    k.set_criteria(&interaction, None)?
                } else if criteria.is_empty() {
                    k.criteria(&interaction)?
                } else {
                    k.set_criteria(&interaction, Some(&criteria))?
                };
                println!("{interaction}: {}", list.join(", "));
            }
            TeamCommand::Thresholds { pairs } => {
                let mut kv = Vec::new();
                for p in &pairs {
                    let (k, v) = p
                        .split_once('=')
                        .ok_or_else(|| CoreError::invalid(format!("bad threshold '{p}': expected key=value")))?;
                    let v: i64 = v.parse().map_err(|_| {
                        CoreError::invalid(format!("bad threshold value in '{p}': expected a whole number"))
                    })?;
                    kv.push((k.to_string(), v));
                }
                let t = open(&home)?.set_thresholds(&kv)?;
                println!("{}", serde_json::to_string_pretty(&t)?);
            }
        },
        Command::Join { url, invite, name, device, insecure_http, json } => {
            let opts = JoinOptions { url, invite, name, device_name: device, allow_insecure: insecure_http };
            match Kept::join_home(&home, &opts, Arc::new(SystemClock), IdSource::random())? {
                // A home used on this device only: its records were carried over to the team.
                (k, Joined::CarriedOver(adopted)) => {
                    if json {
                        println!(
                            "{}",
                            serde_json::to_string_pretty(
                                &serde_json::json!({"member": k.me(), "carried_over": adopted})
                            )?
                        );
                    } else {
                        println!(
                            "Joined team {} as {}; carried over {} (old home kept at {})",
                            k.team()?.name,
                            k.me().name,
                            adopted.summary(),
                            adopted.backup
                        );
                        for l in &adopted.left_behind {
                            println!("  left in the old home: {} {}: {}", l.count, l.kind.replace('_', " "), l.reason);
                        }
                    }
                }
                (k, Joined::Fresh(report)) => output::joined(&k, &report, json)?,
            }
        }
        Command::Sync { watch, json } => {
            if watch {
                watch_loop(&home, json)?;
            } else {
                output::synced(&open(&home)?.sync()?, json)?;
            }
        }
        Command::Status { json } => output::status(&open(&home)?.sync_status(true)?, json)?,
        Command::Quarantine { cmd, json } => {
            let mut k = open(&home)?;
            match cmd {
                None => output::quarantine(&k.quarantined()?, json)?,
                Some(QuarantineCmd::Retry { id }) => {
                    let n = k.retry_quarantined(id)?;
                    println!("{n} change(s) left quarantine; run `kept sync` to send or apply the rest");
                }
                Some(QuarantineCmd::Discard { id }) => {
                    k.discard_quarantined(id)?;
                    println!("Discarded #{id}");
                }
                Some(QuarantineCmd::Export { id, out }) => {
                    std::fs::write(&out, k.quarantined_bytes(id)?)?;
                    println!("Wrote #{id} to {}", out.display());
                }
            }
        }
        Command::Invite { role, name, me, json } => {
            let k = open(&home)?;
            let inv = if me { k.invite_my_device()? } else { k.invite(role.parse::<Role>()?, name.as_deref())? };
            output::invite(&inv, json)?;
        }
        Command::Board { week: w, json } => output::board(&open(&home)?.board(week(w)?)?, json)?,
        Command::Devices { revoke, json } => {
            let k = open(&home)?;
            let relay = k.relay()?;
            if let Some(id) = revoke {
                relay.revoke_device(&id)?;
                println!("Revoked device {id}");
            } else {
                output::devices(&relay.devices()?, json)?;
            }
        }
        Command::Demo { relay, invite, dir, reps, weeks, seed, first_rep, coaching, json } => {
            let style = kept_core::demo::TeamStyle { first_rep, coaching: coaching.parse()? };
            let size = (reps, weeks, seed);
            let t = kept_core::demo::seed_team_styled(&relay, &invite, &dir, size, style, Arc::new(SystemClock))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&t)?);
            } else {
                println!(
                    "Demo team: {} activities for {} reps; manager home {}",
                    t.activities,
                    t.reps.len(),
                    t.manager_home.display()
                );
            }
        }
        Command::Org { command, json } => match command {
            None => output::org(&open(&home)?.org_overview()?, json)?,
            Some(OrgCommand::Sync { device, json }) => {
                let rows = open(&home)?.org_sync(&device)?;
                output::org_sync(&rows, json)?
            }
            Some(OrgCommand::Publish { interaction, criteria }) => {
                let m = open(&home)?.publish_org_map(&interaction, &criteria)?;
                println!(
                    "Published {} version {} to the organisation: {}",
                    m.interaction,
                    m.version,
                    m.criteria.join(", ")
                );
            }
            Some(OrgCommand::Join { url, invite, device }) => {
                let r = open(&home)?.org_join(&url, &invite, &device)?;
                println!("Joined the leadership team as a coachee; pulled {} changes", r.pulled);
            }
            Some(OrgCommand::Maps { json }) => {
                let maps = open(&home)?.adopt_org_maps()?;
                if json {
                    output::print_json(&maps)?
                } else {
                    for m in &maps {
                        let state = match (&m.problem, m.adopted) {
                            (Some(p), _) => format!("not adopted: {p}"),
                            (None, true) => "adopted".into(),
                            (None, false) => "up to date".into(),
                        };
                        println!("{} v{} ({}): {state}", m.interaction, m.version, m.criteria.join(", "));
                    }
                    if maps.is_empty() {
                        println!("The organisation has published no assessment maps yet.");
                    }
                }
            }
            Some(OrgCommand::Homes) => {
                for k in open(&home)?.org_teams()? {
                    println!("{}\t{}", k.team()?.name, k.home_dir().display());
                }
            }
        },
        Command::Signs { rep, all, ack, note, notes, json } => {
            let mut k = open(&home)?;
            if let (Some(kind), Some(rep), Some(note)) = (&ack, &rep, &note) {
                let n = k.acknowledge_sign(rep, kind, note)?;
                println!("Acknowledged for {}: {} — “{}” (in {rep}'s coaching record)", n.week, n.message, n.note);
            } else if notes {
                output::print_json_or(&k.sign_notes(rep.as_deref())?, json, |n| {
                    format!("{} {}: {} — “{}”", n.week, n.kind, n.message, n.note)
                })?
            } else {
                let list = if all { k.signs(rep.as_deref())? } else { k.top_signs(rep.as_deref())? };
                output::signs(&list, json)?
            }
        }
        Command::Commit { command } => match command {
            CommitCommand::Add { text, kind, count, week: w, rep } => {
                let mut k = open(&home)?;
                let c = k.add_commitment(&text, kind.as_deref(), count, week(w)?, rep.as_deref())?;
                println!("Committed for {}: {} ({})", c.week, c.text, c.id);
            }
            CommitCommand::List { week: w, rep, json } => {
                output::commitments(&open(&home)?.commitments(week(w)?, rep.as_deref())?, json)?
            }
        },
        Command::Plan { income, commission, deal_size, weeks, rep, agree, json } => {
            let mut k = open(&home)?;
            let goal = kept_core::funnel::Goal { income, commission, deal_size, working_weeks: weeks };
            let plan = k.plan_goal(goal, rep.as_deref())?;
            if agree {
                k.agree_plan(&plan, rep.as_deref())?;
            }
            output::plan(&plan, agree, json)?;
        }
        Command::Import {
            file,
            format,
            rep,
            dry_run,
            skip_bad,
            map,
            map_type,
            map_rep,
            date_format,
            duration_unit,
            json,
        } => {
            if format != "csv" {
                return Err(CoreError::invalid(format!("unknown format '{format}': expected csv")).into());
            }
            let f = std::fs::File::open(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let mode = match (dry_run, skip_bad) {
                (true, _) => ImportMode::DryRun,
                (_, true) => ImportMode::SkipBad,
                _ => ImportMode::AllOrNothing,
            };
            let map = ColumnMap::parse(&map, &map_type)?
                .with_reps(&map_rep)?
                .with_date_format(date_format.as_deref())?
                .with_duration_unit(duration_unit.as_deref())?;
            let r = open(&home)?.import_csv_mapped(f, rep.as_deref(), mode, &map)?;
            print_import(&r, json)?;
        }
        Command::Meeting { command } => meeting(&home, command)?,
        Command::Prep { rep, kind, json } => output::prep(&open(&home)?.prep(rep.as_deref(), Some(&kind))?, json)?,
        Command::Calibrate { command } => match command {
            CalibrateCommand::Start { title, interaction, material, json } => {
                let c = open(&home)?.calibration_start(&title, &interaction, &material)?;
                if json {
                    output::print_json(&c)?
                } else {
                    println!(
                        "Calibration session '{}' ({}) on {}: {}",
                        c.title,
                        c.id,
                        c.interaction,
                        c.criteria.join(", ")
                    );
                }
            }
            CalibrateCommand::List { json } => output::calibrations(&open(&home)?.calibrations()?, json)?,
            CalibrateCommand::Score { session, scores } => {
                let s = open(&home)?.calibration_score(&session, &score_pairs(&scores)?)?;
                println!("Scored {} criteria (hidden from the others until the reveal)", s.scores.len());
            }
            CalibrateCommand::Reveal { session, json } => {
                output::calibrations(&[open(&home)?.calibration_reveal(&session)?], json)?
            }
            CalibrateCommand::Agree { session, scores, json } => {
                output::calibrations(&[open(&home)?.calibration_agree(&session, &score_pairs(&scores)?)?], json)?
            }
            CalibrateCommand::History { rep, json } => {
                let h = open(&home)?.calibration_history(rep.as_deref())?;
                if json {
                    output::print_json(&h)?
                } else {
                    for p in h {
                        println!(
                            "{}  {:<30} {:.2} from agreed ({:+.2})",
                            &p.at[..10.min(p.at.len())],
                            p.title,
                            p.distance,
                            p.bias
                        );
                    }
                }
            }
        },
        Command::Assess { interaction, scores, rep } => {
            let pairs = score_pairs(&scores)?;
            let a = open(&home)?.assess(rep.as_deref(), &interaction, &pairs)?;
            println!(
                "Recorded {} assessment {} ({} criteria)",
                if a.by_self { "self" } else { "manager" },
                a.id,
                a.scores.len()
            );
        }
        Command::Assessments { interaction, rep, weakest, json } => {
            let k = open(&home)?;
            if weakest {
                let w = k.weakest_criteria(&interaction)?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&w)?);
                } else {
                    for (c, avg, n) in w {
                        println!("{c:<20} {avg:.1} of 4 ({n} reps)");
                    }
                }
            } else {
                output::assessment_map(&k.assessment_map(rep.as_deref(), &interaction)?, json)?;
            }
        }
        Command::Kudos { to, text, about, json } => {
            let mut k = open(&home)?;
            match (to, text) {
                (Some(to), Some(text)) => {
                    let given = k.give_kudos_for(&to, &text, about.as_deref())?;
                    match given.about_label {
                        Some(l) => println!("Kudos to {to} given, for {l}"),
                        None => println!("Kudos to {to} given"),
                    }
                }
                (None, None) => output::kudos(&k, &k.kudos()?, json)?,
                _ => return Err(CoreError::invalid("give kudos with both --to NAME and --text TEXT").into()),
            }
        }
        Command::Doctor { repair } => {
            let mut store = kept_core::store::Store::open(&home)?;
            for (doc, record, why) in store.left_out()? {
                println!("note: record {record} of {doc} is left out of the views: {why} (the document keeps it)");
            }
            let problems = store.check()?;
            if problems.is_empty() {
                println!("The store at {} is healthy.", home.display());
            } else {
                for p in &problems {
                    println!("problem: {p}");
                }
                if !repair {
                    return Err(CoreError::invalid(format!(
                        "{} problem(s) found: run `kept doctor --repair`",
                        problems.len()
                    ))
                    .into());
                }
                let dropped = store.repair()?;
                for d in &dropped {
                    println!(
                        "dropped {d}: rebuilt from this device's unsent changes; `kept sync` brings back the rest"
                    );
                }
                let left = store.check()?;
                if !left.is_empty() {
                    anyhow::bail!("still damaged after repair: {}", left.join("; "));
                }
                println!("Repaired; views rebuilt from the documents.");
            }
        }
        Command::Members { json } => output::members(&open(&home)?.members()?, json)?,
        Command::Deal { command } => coach::deal(&mut open(&home)?, command)?,
        Command::Kare { rep, team, weeks, json } => {
            coach::kare_split(&open(&home)?.kare_split(rep.as_deref(), team, weeks)?, json)?
        }
        Command::Benchmarks { json } => coach::benchmarks(&open(&home)?.benchmarks()?, json)?,
        Command::Dev { command } => coach::dev(&mut open(&home)?, command)?,
        Command::Challenge { command } => practice::run(&mut open(&home)?, command)?,
        Command::Coaching { json } => coach::habit(&open(&home)?.coaching_habit()?, json)?,
    }
    Ok(())
}

fn action(home: &Path, command: ActionCommand) -> anyhow::Result<()> {
    let mut k = open(home)?;
    match command {
        ActionCommand::Add { text, due, owner, rep, json } => {
            let item = k.add_action(&text, &due, owner.as_deref(), rep.as_deref())?;
            output::action(&k, &item, json)?;
        }
        ActionCommand::Done { id, result } => {
            let item = k.action_done(&id, &result)?;
            output::action(&k, &item, false)?;
        }
        ActionCommand::Drop { id, reason } => {
            let item = k.action_drop(&id, reason.as_deref())?;
            output::action(&k, &item, false)?;
        }
        ActionCommand::Edit { id, text, due, reopen } => {
            let item = k.action_edit(&id, text.as_deref(), due.as_deref(), reopen)?;
            output::action(&k, &item, false)?;
        }
        ActionCommand::List { status, rep, json } => {
            let filter = ActionFilter { status: status.map(|s| s.parse()).transpose()?, rep };
            output::actions(&k, &k.action_items(&filter)?, json)?;
        }
    }
    Ok(())
}

/// `kept sync --watch`: the core's watch loop, printing each sync; it ends
/// (with the relay's refusal) when this device is revoked or removed.
fn watch_loop(home: &Path, json: bool) -> anyhow::Result<()> {
    use kept_core::sync::watch::{Event, Watch};
    use rand::Rng;
    Watch::default().run(
        || Kept::open(home, Arc::new(SystemClock), IdSource::random()),
        || rand::rng().random::<f64>(),
        |_, ev| match ev {
            Event::Synced(report) => {
                if let Err(e) = output::synced(report, json) {
                    eprintln!("kept: {e}");
                }
            }
            Event::Offline(e) => eprintln!("kept: {e}; retrying"),
            Event::Local => eprintln!("kept: this home does not sync with a relay (kept join URL INVITE)"),
            Event::Syncing | Event::Idle => {}
        },
    )?;
    Ok(())
}

fn meeting(home: &Path, command: MeetingCommand) -> anyhow::Result<()> {
    let mut k = open(home)?;
    match command {
        MeetingCommand::Open { kind, rep, date, json } => {
            output::opened_meeting(&k.open_meeting(rep.as_deref(), &kind, date.as_deref())?, json)?
        }
        MeetingCommand::Notes { id, text } => {
            k.meeting_notes(&id, &text)?;
            println!("Notes saved");
        }
        MeetingCommand::Action { id, text, due, owner } => {
            let item = k.meeting_action(&id, &text, &due, owner.as_deref())?;
            output::action(&k, &item, false)?;
        }
        MeetingCommand::Rate { id, rating, comment } => {
            let m = k.rate_meeting(&id, rating, comment.as_deref())?;
            println!("Rated the {} of {}: {rating} of 5", m.kind, m.date);
        }
        MeetingCommand::List { rep, json } => {
            let list = k.meetings(rep.as_deref())?;
            if json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                for m in list {
                    println!("{}  {}  {}  {}", m.id, m.date, m.kind, m.notes.lines().next().unwrap_or(""));
                }
            }
        }
    }
    Ok(())
}

/// `kept import`'s report: what was recognised and how the file was read,
/// each rejected row (line, column, reason), the totals and the rows per rep.
fn print_import(r: &kept_core::import::ImportReport, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(r)?);
        return Ok(());
    }
    println!("recognised: {}", r.recognised.as_deref().unwrap_or("no CRM preset (generic column names)"));
    let cols: Vec<String> = r.columns.iter().map(|(f, h)| format!("{f}={h}")).collect();
    println!("columns: {}", cols.join(", "));
    for n in &r.notes {
        println!("note: {n}");
    }
    for x in &r.rejected {
        match &x.column {
            Some(c) => println!("rejected line {}, column '{c}': {}", x.line, x.reason),
            None => println!("rejected line {}: {}", x.line, x.reason),
        }
    }
    let new = r.good - r.already;
    if r.dry_run {
        println!("Dry run: {new} rows would be imported, {} already there, {} rejected", r.already, r.rejected.len());
    } else {
        println!(
            "Imported {} activities ({} already there, {} rows rejected)",
            r.imported,
            r.already,
            r.rejected.len()
        );
    }
    for (rep, n) in &r.per_rep {
        println!("  {rep}: {n}");
    }
    Ok(())
}

/// `criterion=score` arguments as pairs.
pub(crate) fn score_pairs(scores: &[String]) -> Result<Vec<(String, String)>, CoreError> {
    scores
        .iter()
        .map(|p| {
            p.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .ok_or_else(|| CoreError::invalid(format!("bad score '{p}': expected criterion=score")))
        })
        .collect()
}
