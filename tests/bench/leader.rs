//! A leader's new laptop: an organisation of `teams` teams × `reps` reps ×
//! `weeks` weeks (the demo generator, as `team.rs`) on one relay, and a new
//! device of the organisation's leader bootstrapped from nothing to the
//! rendered leader view (`Kept::org_overview`), then to every activity held.
//!
//! The bootstrap runs in a child process (this binary with `--leader-child`),
//! so its peak RSS (`VmHWM`) is the leader's process alone: the same
//! kept-core code the app runs, without the bench's own memory. The child
//! prints its phases as JSON.

use crate::relay::RelayProc;
use crate::team::{self, clock, join, now};
use kept_core::demo::{fill_rep, profiles, RepProfile};
use kept_core::model::Role;
use kept_core::org::OrgSyncOptions;
use kept_core::protocol::InviteRequest;
use kept_core::sync::client::RelayClient;
use kept_core::sync::JoinOptions;
use kept_core::{IdSource, Kept};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// Bump when the generated data or the relay's format changes.
const CACHE_VERSION: u32 = 1;

/// A generated organisation on a relay database.
#[derive(Debug, Clone)]
pub struct OrgData {
    pub relay_db: PathBuf,
    pub leader_token: String,
    pub leader_member: String,
    pub teams: usize,
    pub reps: usize,
    pub activities: usize,
    pub generated_s: f64,
}

/// Generates the organisation into `dir` (relay.sqlite3 + org.json): the
/// leadership team (leader Dana, with the coaching map written as her first
/// `org sync` would), then `teams` teams of `reps` demo reps each, every
/// rep's history made and synced by two workers over all teams' reps.
fn generate(dir: &Path, teams: usize, reps: usize, weeks: i64, seed: u64) -> OrgData {
    let t0 = Instant::now();
    std::fs::create_dir_all(dir).expect("mkdir");
    let db = dir.join("relay.sqlite3");
    let relay = RelayProc::start(db.to_str().expect("utf-8 path"));
    let org = relay.admin(&["org", "create", "--name", "Bench Org", "--leader", "Dana"]);
    let org_id = org["org_id"].as_str().expect("org id").to_string();
    let homes = tempfile::tempdir().expect("tmp");
    let mut leader = join(&relay.url, org["invite"].as_str().expect("invite"), &homes.path().join("leader"));
    let skills: Vec<String> = kept_core::org::COACHING_SKILLS.iter().map(|s| s.to_string()).collect();
    leader.set_criteria(kept_core::org::COACHING_MAP, Some(&skills)).expect("coaching map");
    leader.sync().expect("leader sync");
    let mut managers = Vec::new();
    let mut work: Vec<(usize, usize, RepProfile, String)> = Vec::new();
    for t in 0..teams {
        let name = format!("Team {:02}", t + 1);
        let manager_name = format!("Manager {:02}", t + 1);
        let created = relay.admin(&["team", "create", "--name", &name, "--manager", &manager_name, "--org", &org_id]);
        let manager =
            join(&relay.url, created["invite"].as_str().expect("invite"), &homes.path().join(format!("t{t}-manager")));
        for (i, p) in profiles(reps, seed.wrapping_add(t as u64 * 1000)).into_iter().enumerate() {
            let code = manager.invite(Role::Rep, Some(&p.name)).expect("invite").code;
            work.push((t, i, p, code));
        }
        managers.push(manager);
    }
    let total = AtomicUsize::new(0);
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some((t, r, p, code)) = work.get(i) else { break };
                let mut k = join(&relay.url, code, &homes.path().join(format!("t{t}-rep{r}")));
                let n = fill_rep(&mut k, p, weeks, now(), seed.wrapping_add((t * 1000 + r) as u64 + 1))
                    .expect("generate history");
                k.sync().expect("rep sync");
                drop(k);
                let _ = std::fs::remove_dir_all(homes.path().join(format!("t{t}-rep{r}")));
                total.fetch_add(n, Ordering::SeqCst);
                let d = done.fetch_add(1, Ordering::SeqCst) + 1;
                if d.is_multiple_of(reps.max(1)) {
                    eprintln!("  {d} of {} reps generated ({:.0} s)", work.len(), t0.elapsed().as_secs_f64());
                }
            });
        }
    });
    for m in &mut managers {
        m.sync().expect("manager sync");
    }
    let data = OrgData {
        relay_db: db,
        leader_token: leader.store().meta("token").expect("meta").expect("token"),
        leader_member: leader.me().id.clone(),
        teams,
        reps,
        activities: total.into_inner(),
        generated_s: t0.elapsed().as_secs_f64(),
    };
    drop(relay);
    crate::relay::compact(data.relay_db.to_str().expect("utf-8"));
    let json = serde_json::json!({
        "leader_token": data.leader_token, "leader_member": data.leader_member, "teams": teams, "reps": reps,
        "weeks": weeks, "activities": data.activities, "generated_s": data.generated_s,
    });
    std::fs::write(dir.join("org.json"), json.to_string()).expect("write");
    data
}

/// The organisation, generated now (quick mode, into `tmp`) or from the cache.
pub fn org(teams: usize, reps: usize, weeks: i64, seed: u64, cache: bool, fresh: bool, tmp: &Path) -> OrgData {
    if !cache {
        return generate(&tmp.join("org"), teams, reps, weeks, seed);
    }
    let root = crate::relay::bin_dir().parent().expect("target").join("kept-bench-cache");
    let dir = root.join(format!("org-{teams}x{reps}x{weeks}-seed{seed}-v{CACHE_VERSION}"));
    if fresh {
        let _ = std::fs::remove_dir_all(&dir);
    }
    let cached =
        std::fs::read(dir.join("org.json")).ok().and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok());
    if let Some(v) = cached {
        let o = OrgData {
            relay_db: dir.join("relay.sqlite3"),
            leader_token: v["leader_token"].as_str().unwrap_or_default().to_string(),
            leader_member: v["leader_member"].as_str().unwrap_or_default().to_string(),
            teams,
            reps,
            activities: v["activities"].as_u64().unwrap_or_default() as usize,
            generated_s: v["generated_s"].as_f64().unwrap_or_default(),
        };
        if o.relay_db.is_file() && !o.leader_token.is_empty() {
            return o;
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    let building = root.join(format!("building-org-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&building);
    eprintln!(
        "generating the bench organisation ({teams} teams × {reps} reps × {weeks} weeks) into {} …",
        dir.display()
    );
    let mut o = generate(&building, teams, reps, weeks, seed);
    std::fs::rename(&building, &dir).expect("rename cache");
    o.relay_db = dir.join("relay.sqlite3");
    eprintln!("  {} activities in {:.0} s", o.activities, o.generated_s);
    o
}

/// What the child process reports.
#[derive(Debug, Clone, Default)]
pub struct Child {
    /// Seconds from the join of the new device to the leader view rendered.
    pub first_s: f64,
    /// Of which: the organisation's sync (every team joined, first pull).
    pub sync_s: f64,
    /// Seconds from the join to every document of every team held.
    pub all_s: f64,
    /// Peak RSS at the first screen and at the end, MB.
    pub first_mb: f64,
    pub peak_mb: f64,
    /// Activities held at the first screen and at the end.
    pub first_activities: i64,
    pub activities: i64,
    pub docs: usize,
    pub teams: usize,
    /// The leader's home (for the reference peer's documents).
    pub home: PathBuf,
}

/// Runs the bootstrap in a child process (`mode`: "first" = the first
/// screen first, the rest after; "plain" = today's `org_sync`).
pub fn bootstrap(o: &OrgData, relay: &RelayProc, home: &Path, mode: &str) -> Child {
    let invite = RelayClient::new(&relay.url, Some(o.leader_token.clone()))
        .invite(&InviteRequest { role: Role::Manager, name: None, member_id: Some(o.leader_member.clone()) })
        .expect("device invite");
    let exe = std::env::current_exe().expect("bench executable");
    let out = Command::new(exe)
        .args(["--leader-child", &relay.url, &invite.code, home.to_str().expect("utf-8"), mode])
        .output()
        .expect("run the leader child");
    assert!(out.status.success(), "leader child failed: {}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("child JSON");
    let f = |k: &str| v[k].as_f64().unwrap_or(f64::NAN);
    let c = Child {
        first_s: f("first_s"),
        sync_s: f("sync_s"),
        all_s: f("all_s"),
        first_mb: f("first_mb"),
        peak_mb: f("peak_mb"),
        first_activities: v["first_activities"].as_i64().unwrap_or(-1),
        activities: v["activities"].as_i64().unwrap_or(-1),
        docs: v["docs"].as_u64().unwrap_or(0) as usize,
        teams: v["teams"].as_u64().unwrap_or(0) as usize,
        home: home.to_path_buf(),
    };
    let shown = v["reps_per_team"].as_array().map(|a| a.iter().map(|x| x.as_u64().unwrap_or(0)).collect::<Vec<_>>());
    assert_eq!(c.teams, o.teams, "the leader view shows every team");
    assert_eq!(shown, Some(vec![o.reps as u64; o.teams]), "the leader view shows every team's reps");
    assert_eq!(c.activities as usize, o.activities, "every activity arrived in the end ({mode})");
    c
}

fn vm_hwm_mb() -> f64 {
    crate::procfs::status_mb(std::process::id(), "VmHWM:")
}

fn count_activities(k: &Kept) -> i64 {
    k.org_teams()
        .expect("team homes")
        .iter()
        .map(|t| {
            rusqlite::Connection::open(t.store().path())
                .and_then(|c| c.query_row("SELECT COUNT(*) FROM activities", [], |r| r.get::<_, i64>(0)))
                .expect("count")
        })
        .sum()
}

/// The child: `--leader-child URL INVITE HOME MODE`. Prints JSON.
pub fn child(args: &[String]) {
    let [url, invite, home, mode] = args else { panic!("--leader-child URL INVITE HOME MODE") };
    let opts = JoinOptions {
        url: url.clone(),
        invite: invite.clone(),
        name: None,
        device_name: "new laptop".into(),
        allow_insecure: false,
    };
    let t0 = Instant::now();
    let (mut leader, _) = Kept::join(Path::new(home), &opts, team::clock(), IdSource::random()).expect("join");
    let opts = match mode.as_str() {
        "first" => OrgSyncOptions::first_screen(),
        _ => OrgSyncOptions::one_by_one(),
    };
    let rows = leader.org_sync_with("new laptop", opts).expect("org sync");
    for r in &rows {
        assert!(r.error.is_none(), "team {} failed: {:?}", r.name, r.error);
    }
    let sync_s = t0.elapsed().as_secs_f64();
    let view = leader.org_overview().expect("leader view");
    let first_s = t0.elapsed().as_secs_f64();
    let first_mb = vm_hwm_mb();
    let first_activities = count_activities(&leader);
    let caught = leader.org_catch_up().expect("catch up");
    assert!(caught.failed.is_empty(), "catch-up failed: {:?}", caught.failed);
    assert_eq!(leader.org_waiting().expect("waiting"), 0, "nothing waits after the catch-up");
    let all_s = t0.elapsed().as_secs_f64();
    let peak_mb = vm_hwm_mb();
    let docs: usize = leader.org_teams().expect("teams").iter().map(|t| t.store().doc_ids().expect("ids").len()).sum();
    let out = serde_json::json!({
        "first_s": first_s, "sync_s": sync_s, "all_s": all_s, "first_mb": first_mb, "peak_mb": peak_mb,
        "first_activities": first_activities, "activities": count_activities(&leader), "docs": docs,
        "teams": view.teams.len(), "reps_per_team": view.teams.iter().map(|t| t.reps).collect::<Vec<_>>(),
    });
    println!("{out}");
}

/// Every document the leader's device holds, saved for the reference peer.
pub fn save_docs(home: &Path, to: &Path) -> usize {
    std::fs::create_dir_all(to).expect("mkdir");
    let leader = Kept::open(home, clock(), IdSource::random()).expect("open leader home");
    let mut n = 0;
    for t in leader.org_teams().expect("teams") {
        for id in t.store().doc_ids().expect("doc ids") {
            let mut doc = t.store().load(&id).expect("load").expect("doc");
            std::fs::write(to.join(format!("{n:06}.bin")), doc.save()).expect("write doc");
            n += 1;
        }
    }
    n
}
