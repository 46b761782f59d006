//! `kept deal`, `kept kare`, `kept benchmarks`, `kept dev`, `kept coaching`:
//! the pipeline, team benchmarks, development plans and the coaching habit.
//! Each subcommand is a few lines over kept-core's `Kept` API.

use crate::output::print_json;
use clap::Subcommand;
use kept_core::model::{Deal, Kare};
use kept_core::service::{Benchmarks, CoachingHabit, DealEdit, DevPlan, KareSplit};
use kept_core::Kept;

#[derive(Debug, Subcommand)]
pub enum DealCommand {
    /// Add a deal to the pipeline.
    Add {
        /// Account / deal name.
        name: String,
        /// Amount (whole units of the team's currency).
        #[arg(long)]
        amount: i64,
        /// Stage (prospect, qualified, proposal, negotiation, commit, or the team's own).
        #[arg(long)]
        stage: Option<String>,
        /// KARE type: keep, attain, recapture, expand.
        #[arg(long)]
        kare: Option<String>,
        /// Expected close date (YYYY-MM-DD).
        #[arg(long)]
        close: Option<String>,
        /// For this rep (managers).
        #[arg(long)]
        rep: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Change a deal's name, amount, stage or expected close.
    Edit {
        /// Deal id.
        id: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        amount: Option<i64>,
        #[arg(long)]
        stage: Option<String>,
        /// Expected close (YYYY-MM-DD; "" clears it).
        #[arg(long)]
        close: Option<String>,
    },
    /// Close a deal as won.
    Won {
        /// Deal id.
        id: String,
    },
    /// Close a deal as lost.
    Lost {
        /// Deal id.
        id: String,
    },
    /// The pipeline: open deals by expected close (--all: closed ones too).
    List {
        #[arg(long)]
        rep: Option<String>,
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum DevCommand {
    /// A rep's development plan: skills with scores, goals, milestones, suggestions.
    Show {
        #[arg(long)]
        rep: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Add a skill to build, linked to an assessment criterion.
    Skill {
        /// Interaction type, e.g. discovery-call.
        interaction: String,
        /// Criterion, e.g. upfront-contract.
        criterion: String,
        #[arg(long)]
        rep: Option<String>,
    },
    /// Add a goal.
    Goal {
        /// The goal in words.
        text: String,
        #[arg(long)]
        rep: Option<String>,
    },
    /// Add a milestone with a date (it is an action item; overdue ones show as such).
    Milestone {
        /// What.
        text: String,
        /// By when (YYYY-MM-DD).
        #[arg(long)]
        due: String,
        #[arg(long)]
        rep: Option<String>,
    },
    /// Mark a goal reached (--undo: open again).
    Reached {
        /// Goal id.
        id: String,
        #[arg(long)]
        undo: bool,
    },
    /// Remove a skill or goal from the plan.
    Remove {
        /// Entry id.
        id: String,
    },
}

fn kare(s: Option<String>) -> anyhow::Result<Option<Kare>> {
    Ok(s.map(|k| k.parse()).transpose()?)
}

pub fn deal(k: &mut Kept, command: DealCommand) -> anyhow::Result<()> {
    match command {
        DealCommand::Add { name, amount, stage, kare: kr, close, rep, json } => {
            let d = k.add_deal(&name, amount, stage.as_deref(), kare(kr)?, close.as_deref(), rep.as_deref())?;
            deals(std::slice::from_ref(&d), json)?;
        }
        DealCommand::Edit { id, name, amount, stage, close } => {
            let d = k.edit_deal(&id, &DealEdit { name, amount, stage, expected_close: close })?;
            deals(&[d], false)?;
        }
        DealCommand::Won { id } => deals(&[k.close_deal(&id, true)?], false)?,
        DealCommand::Lost { id } => deals(&[k.close_deal(&id, false)?], false)?,
        DealCommand::List { rep, all, json } => deals(&k.deals(rep.as_deref(), all)?, json)?,
    }
    Ok(())
}

fn deals(list: &[Deal], json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(list);
    }
    if list.is_empty() {
        println!("No deals in the pipeline.");
    }
    for d in list {
        println!(
            "{}  {:<28} {:>10}  {:<12} {:<9} close {}{}",
            d.id,
            d.name,
            d.amount,
            d.stage,
            d.kare.map(|k| k.as_str()).unwrap_or("-"),
            d.expected_close.as_deref().unwrap_or("-"),
            match d.status.as_str() {
                "open" => String::new(),
                s => format!("  [{s} {}]", d.closed_at.as_deref().map(|c| &c[..c.len().min(10)]).unwrap_or("")),
            }
        );
    }
    Ok(())
}

pub fn kare_split(s: &KareSplit, json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(s);
    }
    println!("KARE since {}: effort (activities) beside results (won)", s.since);
    let effort: i64 = s.effort.values().sum();
    let results: i64 = s.results.values().sum();
    let pct = |v: i64, total: i64| if total > 0 { 100.0 * v as f64 / total as f64 } else { 0.0 };
    for k in Kare::ALL {
        let key = k.as_str();
        let (e, r) = (s.effort.get(key).copied().unwrap_or(0), s.results.get(key).copied().unwrap_or(0));
        println!(
            "  {key:<10} effort {e:>6} ({:>3.0}%)   won {:>3} for {r:>10} ({:>3.0}%)",
            pct(e, effort),
            s.won.get(key).copied().unwrap_or(0),
            pct(r, results)
        );
    }
    if let Some(n) = s.effort.get("none").filter(|n| **n > 0) {
        println!("  (not tagged: {n} activities)");
    }
    Ok(())
}

/// A benchmark value as people read it: shares as percentages, money as whole units.
pub fn metric(key: &str, v: Option<f64>) -> String {
    match v {
        None => "-".into(),
        Some(x) if key.contains("-per-") && !key.ends_with("-per-week") || key == "win-rate" => {
            format!("{:.0}%", x * 100.0)
        }
        Some(x) if key == "average-won-deal" => format!("{x:.0}"),
        Some(x) => format!("{x:.1}"),
    }
}

pub fn benchmarks(b: &Benchmarks, json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(b);
    }
    println!("12 weeks through {}: each rep beside the team median", b.through);
    for kept_core::metrics::Column { key, label } in &b.metrics {
        let cells: Vec<String> = b
            .rows
            .iter()
            .map(|r| format!("{} {}", r.name, metric(key, r.values.get(key).copied().flatten())))
            .collect();
        println!("{label:<32} median {:>7}   {}", metric(key, b.median.get(key).copied().flatten()), cells.join(", "));
    }
    Ok(())
}

pub fn dev(k: &mut Kept, command: DevCommand) -> anyhow::Result<()> {
    match command {
        DevCommand::Show { rep, json } => dev_plan(&k.dev_plan(rep.as_deref())?, json)?,
        DevCommand::Skill { interaction, criterion, rep } => {
            let e = k.dev_add_skill(rep.as_deref(), &interaction, &criterion)?;
            println!("Skill added: {interaction} · {criterion} ({})", e.id);
        }
        DevCommand::Goal { text, rep } => println!("Goal added ({})", k.dev_add_goal(rep.as_deref(), &text)?.id),
        DevCommand::Milestone { text, due, rep } => {
            let m = k.dev_add_milestone(rep.as_deref(), &text, &due)?;
            println!("Milestone added, due {} ({})", m.due, m.id);
        }
        DevCommand::Reached { id, undo } => {
            let g = k.dev_goal_done(&id, !undo)?;
            println!("{}: {}", if g.done { "Reached" } else { "Open again" }, g.text);
        }
        DevCommand::Remove { id } => {
            k.dev_remove(&id)?;
            println!("Removed from the plan");
        }
    }
    Ok(())
}

pub fn dev_plan(p: &DevPlan, json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(p);
    }
    const SCALE: &[&str] = kept_core::agenda::SCALE;
    let word = |s: Option<i64>| s.and_then(|s| SCALE.get(s as usize)).copied().unwrap_or("-");
    println!("Development plan for {}", p.rep.name);
    println!("Skills:");
    for s in &p.skills {
        println!(
            "  {}  {} · {}  manager {}, self {}",
            s.entry.id,
            s.entry.interaction.as_deref().unwrap_or(""),
            s.entry.text,
            word(s.manager),
            word(s.own)
        );
    }
    for s in &p.suggested {
        let (i, c) = (&s.interaction, &s.criterion);
        println!("  suggested: {i} · {c} (manager: {})  → kept dev skill {i} {c}", word(Some(s.manager)));
    }
    println!("Goals:");
    for g in &p.goals {
        println!("  {}  [{}] {}", g.id, if g.done { "x" } else { " " }, g.text);
    }
    println!("Milestones:");
    for m in &p.milestones {
        let late = p.overdue.iter().any(|o| o.id == m.id);
        println!("  {}  {} {} ({}){}", m.id, m.due, m.text, m.status.as_str(), if late { "  OVERDUE" } else { "" });
    }
    Ok(())
}

pub fn habit(h: &CoachingHabit, json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(h);
    }
    let f = |v: Option<f64>| v.map(|x| format!("{x:.1}")).unwrap_or_else(|| "-".into());
    let p = |v: Option<f64>| v.map(|x| format!("{x:.0}%")).unwrap_or_else(|| "-".into());
    println!(
        "1-on-1 every {} days. How useful (1–5): reps say {}, managers say {} (useful: {} vs {})",
        h.cadence_days,
        f(h.rep_avg),
        f(h.manager_avg),
        p(h.rep_useful_pct),
        p(h.manager_useful_pct)
    );
    for c in &h.reps {
        println!(
            "  {:<12} last {} ({} days){}  held {} of {:.1} in 30 days  rep {} vs manager {} ({} rated)",
            c.rep.name,
            c.last.as_deref().unwrap_or("never"),
            c.days_since.map(|d| d.to_string()).unwrap_or_else(|| "-".into()),
            if c.due { " DUE" } else { "" },
            c.held_30d,
            c.expected_30d,
            f(c.rep_avg),
            f(c.manager_avg),
            c.rated
        );
        for r in &c.comments {
            println!("      {} rated {}: \"{}\"", r.date, r.rating, r.comment);
        }
    }
    Ok(())
}
