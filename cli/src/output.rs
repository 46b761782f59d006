//! How `kept` prints: JSON (`--json`, stable for scripts) or short text tables.

use kept_core::metrics::Board;
use kept_core::metrics::{Pace, WeekSummary};
use kept_core::model::{ActionItem, Activity, Member, TeamSettings};
use kept_core::protocol::{DeviceInfo, InviteResponse};
use kept_core::service::MergeReport;
use kept_core::sync::{SyncReport, SyncStatus};
use kept_core::Kept;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

fn print_json<T: Serialize + ?Sized>(v: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

fn names(k: &Kept) -> anyhow::Result<HashMap<String, String>> {
    Ok(k.members()?.into_iter().map(|m| (m.id, m.name)).collect())
}

fn short(t: &str) -> &str {
    // 2026-11-23T14:30:00+01:00 -> 2026-11-23 14:30
    if t.len() >= 16 {
        &t[..16]
    } else {
        t
    }
}

pub fn activity(k: &Kept, a: &Activity, json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(a);
    }
    let n = names(k)?;
    println!(
        "{}  {} ×{}  {}  {}{}",
        a.id,
        a.kind,
        a.count,
        short(&a.occurred_at).replace('T', " "),
        n.get(&a.rep).cloned().unwrap_or_default(),
        a.account.as_deref().map(|x| format!("  @ {x}")).unwrap_or_default()
    );
    Ok(())
}

pub fn activities(k: &Kept, list: &[Activity], json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(list);
    }
    if list.is_empty() {
        println!("No activities logged in this week.");
    }
    for a in list {
        activity(k, a, false)?;
    }
    Ok(())
}

fn pace_word(p: Pace) -> &'static str {
    match p {
        Pace::Green => "on pace",
        Pace::Amber => "behind",
        Pace::Red => "well behind",
        Pace::None => "-",
    }
}

pub fn week(w: &WeekSummary, json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(w);
    }
    println!("{} — week {} ({:.1} of {} working days done)", w.rep_name, w.week, w.progress.elapsed, w.progress.total);
    println!("{:<18} {:>6} {:>7}  {:<12} to do", "activity", "done", "target", "pace");
    for r in &w.rows {
        println!(
            "{:<18} {:>6} {:>7}  {:<12} {}",
            r.label,
            r.count,
            r.target.map(|t| t.to_string()).unwrap_or_else(|| "-".into()),
            pace_word(r.pace),
            r.advice.as_deref().unwrap_or("")
        );
    }
    let kare: Vec<String> = w.kare.iter().filter(|(_, n)| **n > 0).map(|(k, n)| format!("{k} {n}")).collect();
    if !kare.is_empty() {
        println!("KARE: {}", kare.join(", "));
    }
    Ok(())
}

pub fn targets(t: &BTreeMap<String, i64>, json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(t);
    }
    if t.is_empty() {
        println!("No targets set.");
    }
    for (k, v) in t {
        println!("{k:<18} {v}");
    }
    Ok(())
}

pub fn action(k: &Kept, a: &ActionItem, json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(a);
    }
    let n = names(k)?;
    println!(
        "{}  [{}] due {}  {}  (owner {}){}",
        a.id,
        a.status,
        a.due,
        a.text,
        n.get(&a.owner).cloned().unwrap_or_else(|| a.owner.clone()),
        a.result.as_deref().map(|r| format!(" — {r}")).unwrap_or_default()
    );
    Ok(())
}

pub fn actions(k: &Kept, list: &[ActionItem], json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(list);
    }
    if list.is_empty() {
        println!("No action items.");
    }
    for a in list {
        action(k, a, false)?;
    }
    Ok(())
}

pub fn merge(r: &MergeReport, json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(r);
    }
    println!("Merged {} documents: {} changes received, {} sent", r.documents, r.received, r.sent);
    Ok(())
}

pub fn team(t: &TeamSettings, json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(t);
    }
    let days: Vec<String> = t.working_days.iter().map(|d| d.to_string()).collect();
    println!("{} — time zone {}, week starts {}, working days {}", t.name, t.time_zone, t.week_start, days.join(","));
    for a in t.catalog.iter().filter(|a| !a.retired) {
        println!(
            "  {:<16} {:<18} {}{}",
            a.key,
            a.label,
            if a.leading { "leading" } else { "" },
            a.default_kare.map(|k| format!(" kare={k}")).unwrap_or_default()
        );
    }
    Ok(())
}

pub fn members(m: &[Member], json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(m);
    }
    for x in m {
        println!("{}  {:<20} {}", x.id, x.name, x.role);
    }
    Ok(())
}

pub fn joined(k: &Kept, r: &SyncReport, json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(&serde_json::json!({"member": k.me(), "team_id": k.team_id(), "sync": r}));
    }
    println!("Joined team {} as {} ({}); pulled {} changes", k.team()?.name, k.me().name, k.me().role, r.pulled);
    Ok(())
}

pub fn synced(r: &SyncReport, json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(r);
    }
    println!("Synced: {} pushed, {} pulled (at {})", r.pushed, r.pulled, r.cursor);
    Ok(())
}

pub fn status(s: &SyncStatus, json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(s);
    }
    match &s.relay {
        None => println!("Not joined to a relay (this device only). {} changes kept locally.", s.pending),
        Some(r) => {
            let reach = match s.reachable {
                Some(true) => "reachable",
                Some(false) => "NOT reachable",
                None => "not checked",
            };
            println!("Relay {r}: {reach}");
            println!("Pending changes: {}", s.pending);
            println!("Last sync: {}", s.last_sync.as_deref().unwrap_or("never"));
            if let Some(e) = &s.last_error {
                println!("Last error: {e}");
            }
        }
    }
    Ok(())
}

pub fn invite(i: &InviteResponse, json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(i);
    }
    println!("Invite for a {}: {}  (single use, expires {})", i.role, i.code, i.expires_at);
    Ok(())
}

pub fn board(b: &Board, json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(b);
    }
    let mark = |p: Pace| match p {
        Pace::Green => "●",
        Pace::Amber => "◐",
        Pace::Red => "○",
        Pace::None => " ",
    };
    print!("{:<16}", format!("week {}", b.week));
    for (_, label) in &b.columns {
        print!(" {:>14}", label.chars().take(14).collect::<String>());
    }
    println!();
    for r in &b.rows {
        print!("{:<16}", r.name.chars().take(16).collect::<String>());
        for c in &r.cells {
            let t = c.target.map(|t| format!("{}/{}", c.count, t)).unwrap_or_else(|| c.count.to_string());
            print!(" {:>12} {}", t, mark(c.pace));
        }
        println!();
    }
    print!("{:<16}", "team median");
    for m in &b.median {
        print!(" {:>14}", m);
    }
    println!();
    println!("● on pace  ◐ behind  ○ well behind");
    Ok(())
}

pub fn devices(d: &[DeviceInfo], json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(d);
    }
    for x in d {
        println!(
            "{}  {:<20} member {}  joined {}{}",
            x.id,
            x.name,
            x.member_id,
            x.created_at,
            if x.revoked { "  REVOKED" } else { "" }
        );
    }
    Ok(())
}

pub fn signs(list: &[kept_core::signs::Sign], json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(list);
    }
    if list.is_empty() {
        println!("No warning signs.");
    }
    for s in list {
        let mark = match s.severity {
            kept_core::signs::Severity::Alert => "!!",
            kept_core::signs::Severity::Warning => "! ",
            kept_core::signs::Severity::Info => "  ",
        };
        println!("{mark} {:<12} {}", s.name, s.message);
    }
    Ok(())
}

pub fn commitments(list: &[kept_core::service::CommitmentStatus], json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(list);
    }
    if list.is_empty() {
        println!("No commitments for this week.");
    }
    for c in list {
        println!("[{:<14}] {}{}", c.state, c.commitment.text, c.advice.as_deref().map(|a| format!(" — {a}")).unwrap_or_default());
    }
    Ok(())
}

pub fn plan(p: &kept_core::funnel::Plan, agreed: bool, json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(&serde_json::json!({"plan": p, "agreed": agreed}));
    }
    println!("{:<14} {:>12} {:>10}", "stage", "per year", "per week");
    for (stage, year, week) in &p.stages {
        println!("{stage:<14} {year:>12.1} {week:>10.1}");
    }
    let r = &p.ratios;
    let src = |x: &kept_core::funnel::Ratio| if x.own { format!("{:.0}% (yours, from {})", x.value * 100.0, x.basis) } else { format!("{:.0}% (team default)", x.value * 100.0) };
    println!("ratios: connect {}, meeting {}, proposal {}, win {}", src(&r.connect), src(&r.meeting), src(&r.proposal), src(&r.win));
    let t: Vec<String> = p.targets.iter().map(|(k, v)| format!("{k} {v}")).collect();
    println!("weekly targets: {}{}", t.join(", "), if agreed { " — agreed, now your standing targets" } else { " (add --agree to make them your targets)" });
    Ok(())
}
