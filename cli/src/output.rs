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

pub fn print_json<T: Serialize + ?Sized>(v: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

/// A list as JSON, or one line per item (a word when empty).
pub fn print_json_or<T: Serialize>(list: &[T], json: bool, line: impl Fn(&T) -> String) -> anyhow::Result<()> {
    if json {
        return print_json(list);
    }
    if list.is_empty() {
        println!("Nothing yet.");
    }
    for x in list {
        println!("{}", line(x));
    }
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
            if s.revoked {
                println!("The relay no longer accepts this device (revoked or removed): ask for a new invite and join again.");
            }
        }
    }
    if s.recordings_waiting > 0 {
        println!("Recordings waiting to be sent: {}", s.recordings_waiting);
    }
    for r in &s.recordings_refused {
        println!("A recording was not sent: {r}");
    }
    if !s.quarantined.is_empty() {
        println!("Set aside ({}; everything else keeps syncing; see `kept quarantine`):", s.quarantined.len());
        for q in &s.quarantined {
            println!("  #{} {}", q.id, q.reason);
        }
    }
    Ok(())
}

pub fn quarantine(items: &[kept_core::store::quarantine::Quarantined], json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(&items);
    }
    if items.is_empty() {
        println!("Nothing is set aside: every change syncs.");
    }
    for q in items {
        let what = if q.hash.is_empty() { "snapshot".to_string() } else { q.hash.chars().take(12).collect() };
        let dir = match q.direction {
            kept_core::store::quarantine::Direction::Push => "refused by the relay",
            kept_core::store::quarantine::Direction::Pull => "from the relay, not applied",
        };
        println!("#{} {} {} ({dir}, {} bytes, {})\n    {}", q.id, q.doc, what, q.bytes, q.at, q.reason);
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
    for kept_core::metrics::Column { label, .. } in &b.columns {
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
            printable(&x.name),
            x.member_id,
            x.created_at,
            if x.revoked { "  REVOKED" } else { "" }
        );
    }
    Ok(())
}

/// A name from the relay as text a terminal shows as it is: control
/// characters (escape sequences of names stored by older relays) are escaped.
fn printable(name: &str) -> String {
    name.chars().map(|c| if c.is_control() { c.escape_default().to_string() } else { c.to_string() }).collect()
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
        if let Some(note) = &s.acknowledged {
            println!("   {:<12} acknowledged: {note}", "");
        }
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
        println!(
            "[{:<14}] {}{}",
            c.state,
            c.commitment.text,
            c.advice.as_deref().map(|a| format!(" — {a}")).unwrap_or_default()
        );
    }
    Ok(())
}

pub fn plan(p: &kept_core::funnel::Plan, agreed: bool, json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(&serde_json::json!({"plan": p, "agreed": agreed}));
    }
    println!("{:<14} {:>12} {:>10}", "stage", "per year", "per week");
    for s in &p.stages {
        println!("{:<14} {:>12.1} {:>10.1}", s.stage, s.per_year, s.per_week);
    }
    let r = &p.ratios;
    let src = |x: &kept_core::funnel::Ratio| {
        if x.own {
            format!("{:.0}% (yours, from {})", x.value * 100.0, x.basis)
        } else {
            format!("{:.0}% (team default)", x.value * 100.0)
        }
    };
    println!(
        "ratios: connect {}, meeting {}, proposal {}, win {}",
        src(&r.connect),
        src(&r.meeting),
        src(&r.proposal),
        src(&r.win)
    );
    let t: Vec<String> = p.targets.iter().map(|t| format!("{} {}", t.kind, t.count)).collect();
    println!(
        "weekly targets: {}{}",
        t.join(", "),
        if agreed { " — agreed, now your standing targets" } else { " (add --agree to make them your targets)" }
    );
    Ok(())
}

pub fn opened_meeting(m: &kept_core::service::OpenedMeeting, json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(m);
    }
    println!("{} — {} ({})", m.agenda.title, m.meeting.date, m.meeting.id);
    if !m.reconcile.is_empty() {
        println!("First, reconcile (done with a result, carry over, or drop):");
        for a in &m.reconcile {
            println!("  {}  due {}  {}", a.id, a.due, a.text);
        }
    }
    println!("Agenda:");
    for (i, item) in m.agenda.items.iter().enumerate() {
        println!("  {}. {item}", i + 1);
    }
    println!("Coaching questions:");
    for q in &m.agenda.questions {
        println!("  - {q}");
    }
    Ok(())
}

pub fn assessment_map(v: &[kept_core::service::CriterionView], json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(v);
    }
    let w = |s: Option<i64>| s.and_then(|x| kept_core::agenda::SCALE.get(x as usize)).copied().unwrap_or("-");
    println!("{:<20} {:<12} {:<12} trend", "criterion", "manager", "self");
    for c in v {
        let trend: Vec<String> = c.trend.iter().map(|x| x.to_string()).collect();
        println!("{:<20} {:<12} {:<12} {}", c.criterion, w(c.manager), w(c.own), trend.join(" "));
    }
    Ok(())
}

pub fn kudos(k: &Kept, list: &[kept_core::docs::team::Kudos], json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(list);
    }
    let n = names(k)?;
    if list.is_empty() {
        println!("No kudos yet.");
    }
    for x in list {
        println!(
            "{}  {} → {}: {}",
            short(&x.at),
            n.get(&x.from).cloned().unwrap_or_default(),
            n.get(&x.to).cloned().unwrap_or_default(),
            x.text
        );
    }
    Ok(())
}

pub fn prep(p: &kept_core::service::Prep, json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(p);
    }
    println!("== {} with {} ==", p.agenda.title, p.rep.name);
    week(&p.week, false)?;
    if !p.team_median.is_empty() {
        let m: Vec<String> = p.team_median.iter().map(|(k, v)| format!("{k} {v}")).collect();
        println!("Team median this week: {}", m.join(", "));
    }
    if let Some(t) = &p.trends {
        for (k, s) in t.series.iter().filter(|(_, s)| s.iter().any(|x| *x > 0)) {
            let v: Vec<String> = s.iter().map(|x| x.to_string()).collect();
            println!("12 weeks {k:<16} {}", v.join(" "));
        }
    }
    println!("KARE effort (12 weeks): {:?}; closed: {:?}", p.kare_effort, p.kare_closed);
    if let Some(r) = p.commitments_kept {
        println!("Commitments kept (4 weeks): {:.0}%", r * 100.0);
    }
    if !p.signs.is_empty() {
        println!("Warning signs:");
        for s in &p.signs {
            println!("  - {}", s.message);
        }
    }
    if !p.reconcile.is_empty() {
        println!("To reconcile:");
        for a in &p.reconcile {
            println!("  - {} (due {})", a.text, a.due);
        }
    }
    if let Some(a) = &p.assessment {
        println!("Latest assessment: {}", a.interaction);
        assessment_map(&a.map, false)?;
    }
    if !p.benchmarks.is_empty() {
        println!("12 weeks beside the team median:");
        for b in &p.benchmarks {
            let f = |x: Option<f64>| crate::coach::metric(&b.key, x);
            println!("  {:<32} {:>8}   median {:>8}", b.label, f(b.rep), f(b.median));
        }
    }
    if !p.deals.is_empty() {
        println!("Open deals:");
        for d in &p.deals {
            println!("  {} {} ({}, close {})", d.name, d.amount, d.stage, d.expected_close.as_deref().unwrap_or("-"));
        }
    }
    if let Some(c) = &p.cadence {
        let f = |v: Option<f64>| v.map(|x| format!("{x:.1}")).unwrap_or_else(|| "-".into());
        println!(
            "Last 1-on-1: {} ({} days ago); rated by the rep {} vs by you {}",
            c.last.as_deref().unwrap_or("never"),
            c.days_since.map(|d| d.to_string()).unwrap_or_else(|| "-".into()),
            f(c.rep_avg),
            f(c.manager_avg)
        );
    }
    crate::coach::dev_plan(&p.development, false)?;
    agenda(&p.agenda, false)
}

pub fn agenda(a: &kept_core::agenda::Agenda, json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(a);
    }
    println!("Agenda ({}):", a.title);
    for (i, item) in a.items.iter().enumerate() {
        println!("  {}. {item}", i + 1);
    }
    println!("Coaching questions:");
    for q in &a.questions {
        println!("  - {q}");
    }
    Ok(())
}

fn pct(x: Option<f64>) -> String {
    x.map_or("—".into(), |v| format!("{v:.0}%"))
}

/// `kept org`: the teams side by side, then the coaching habit per manager.
pub fn org(o: &kept_core::org::overview::OrgOverview, json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(o);
    }
    if o.teams.is_empty() {
        println!("{}: no teams held on this device yet; run `kept org sync`.", o.org);
        return Ok(());
    }
    println!("{} — {} teams, week {}", o.org, o.teams.len(), o.teams[0].week);
    println!();
    println!(
        "{:<16} {:<14} {:>4} {:>12} {:>6} {:>9} {:>6} {:>9}",
        "team", "manager", "reps", "logged", "pace", "on pace", "signs", "kept"
    );
    for t in &o.teams {
        println!(
            "{:<16} {:<14} {:>4} {:>12} {:>6} {:>9} {:>6} {:>9}",
            t.name,
            t.managers.join(", "),
            t.reps,
            format!("{} of {}", t.logged, t.target),
            pct(t.pace_pct),
            format!("{}/{}", t.reps_on_pace, t.reps),
            format!("{} ({}!)", t.signs, t.alerts),
            pct(t.commitments_kept_pct),
        );
    }
    println!();
    println!("Coaching habit (1-on-1s of the last 90 days; useful = rated 4 or 5)");
    println!(
        "{:<16} {:<14} {:>12} {:>5} {:>12} {:>14} {:>6} {:>11}",
        "team", "manager", "1-on-1s 30d", "due", "reps: useful", "manager: useful", "gap", "assessment"
    );
    for t in &o.teams {
        let low = if o.lowest_rated.as_deref() == Some(t.team_id.as_str()) { "  ← reps rate lowest" } else { "" };
        let trend = match (t.assessment_avg, t.assessment_prev) {
            (Some(a), Some(b)) => format!("{a:.1} ({:+.1})", a - b),
            (Some(a), None) => format!("{a:.1}"),
            _ => "—".into(),
        };
        println!(
            "{:<16} {:<14} {:>12} {:>5} {:>12} {:>14} {:>6} {:>11}{low}",
            t.name,
            t.managers.join(", "),
            format!("{} of {:.0}", t.one_on_ones_30d, t.expected_30d),
            t.reps_due,
            pct(t.rep_useful_pct),
            pct(t.manager_useful_pct),
            t.rating_gap.map_or("—".into(), |g| format!("{g:+.0}")),
            trend,
        );
    }
    Ok(())
}

/// `kept org sync`: one line per team.
pub fn org_sync(rows: &[kept_core::org::OrgTeamSync], json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(rows);
    }
    for r in rows {
        match &r.error {
            Some(e) => println!("{}: not synced: {e}", r.name),
            None if r.new => println!("{}: joined (read-only), {} changes", r.name, r.pulled),
            None => println!("{}: synced, {} new changes", r.name, r.pulled),
        }
    }
    if rows.is_empty() {
        println!("The organisation has no teams yet (`kept-relay team create --org …` adds one).");
    }
    Ok(())
}

/// `kept calibrate list`: each session, the spread per criterion once revealed.
pub fn calibrations(list: &[kept_core::service::CalibrationView], json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(list);
    }
    if list.is_empty() {
        println!("No calibration sessions.");
    }
    for v in list {
        let c = &v.session;
        let state = if c.revealed { "revealed" } else { "scoring" };
        println!(
            "{}  {} — {} ({state}; scored by: {})",
            &c.id[..8.min(c.id.len())],
            c.title,
            c.interaction,
            v.submitted.join(", ")
        );
        if !c.revealed {
            let mine = if v.mine.is_some() { "you have scored it" } else { "you have not scored it yet" };
            println!("    {mine}; scores stay hidden until the reveal");
            continue;
        }
        for s in &v.spread {
            let all: Vec<String> = s.scores.iter().map(|x| format!("{} {}", x.name, x.score)).collect();
            let agreed = s.agreed.map_or(String::new(), |a| format!("  agreed {a}"));
            println!("    {:<20} spread {}  ({}){agreed}", s.criterion, s.spread, all.join(", "));
        }
        if let (Some(h), Some(l)) = (v.leanings.first(), v.leanings.last()) {
            println!("    harshest: {} ({:+.2}); most lenient: {} ({:+.2})", h.name, h.bias, l.name, l.bias);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_print_without_terminal_escapes() {
        assert_eq!(super::printable("phone\u{1b}[2J\nx"), "phone\\u{1b}[2J\\nx");
        assert_eq!(super::printable("Anna's phone"), "Anna's phone");
    }
}
