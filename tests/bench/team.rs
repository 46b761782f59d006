//! The bench team: `reps` demo reps with `weeks` weeks of history each, made
//! by `kept_core::demo` (the README's demo generator) in their own stores and
//! synced to a relay on SQLite. The relay database
//! is cached under target/kept-bench-cache/ (full mode) so only the first run
//! pays for generating it.

use crate::relay::RelayProc;
use chrono::{DateTime, TimeZone, Utc};
use kept_core::demo::{fill_rep, profiles, RepProfile};
use kept_core::sync::JoinOptions;
use kept_core::{Clock, FixedClock, IdSource, Kept};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Bump when the generated data or the relay's format changes.
const CACHE_VERSION: u32 = 2;

/// "Now" for every store in the bench: a Friday afternoon.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 16, 0, 0).single().expect("valid")
}

pub fn clock() -> Arc<dyn Clock> {
    Arc::new(FixedClock::new(now()))
}

/// A generated team on a relay database.
#[derive(Debug, Clone)]
pub struct TeamData {
    pub relay_db: PathBuf,
    pub manager_token: String,
    pub manager_member: String,
    pub reps: usize,
    pub activities: usize,
    pub generated_s: f64,
}

/// `weeks` weeks of history for one rep (the demo generator, one
/// transaction per rep-day); returns the activities written.
fn fill(k: &mut Kept, p: &RepProfile, weeks: i64, seed: u64) -> usize {
    fill_rep(k, p, weeks, now(), seed).expect("generate history")
}

/// Joins a bench device at `home` with `invite` on the bench's clock.
pub(crate) fn join(url: &str, invite: &str, home: &Path) -> Kept {
    let opts = JoinOptions {
        url: url.into(),
        invite: invite.into(),
        name: None,
        device_name: "bench".into(),
        allow_insecure: false,
    };
    Kept::join(home, &opts, clock(), IdSource::random()).expect("join").0
}

/// Generates the team into `dir` (relay.sqlite3 + team.json).
fn generate(dir: &Path, reps: usize, weeks: i64, seed: u64) -> TeamData {
    let t0 = std::time::Instant::now();
    std::fs::create_dir_all(dir).expect("mkdir");
    let db = dir.join("relay.sqlite3");
    let relay = RelayProc::start(db.to_str().expect("utf-8 path"));
    let created = relay.admin(&["team", "create", "--name", "Bench Sales", "--manager", "Mia"]);
    let homes = tempfile::tempdir().expect("tmp");
    let mut manager = join(&relay.url, created["invite"].as_str().expect("invite"), &homes.path().join("manager"));
    let profs = profiles(reps, seed);
    let invites: Vec<String> = profs
        .iter()
        .map(|p| manager.invite(kept_core::model::Role::Rep, Some(&p.name)).expect("invite").code)
        .collect();
    // Two workers (two cores): each joins, fills and syncs its share of reps.
    let work: Vec<(usize, RepProfile, String)> =
        profs.into_iter().zip(invites).enumerate().map(|(i, (p, c))| (i, p, c)).collect();
    let total = std::sync::atomic::AtomicUsize::new(0);
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some((i, p, code)) = work.get(i) else { break };
                let mut k = join(&relay.url, code, &homes.path().join(format!("rep{i}")));
                let n = fill(&mut k, p, weeks, seed.wrapping_add(*i as u64 + 1));
                k.sync().expect("rep sync");
                total.fetch_add(n, std::sync::atomic::Ordering::SeqCst);
            });
        }
    });
    manager.sync().expect("manager sync");
    let token = manager.store().meta("token").expect("meta").expect("token");
    let data = TeamData {
        relay_db: db,
        manager_token: token,
        manager_member: manager.me().id.clone(),
        reps,
        activities: total.into_inner(),
        generated_s: t0.elapsed().as_secs_f64(),
    };
    drop(relay);
    crate::relay::compact(data.relay_db.to_str().expect("utf-8"));
    let json = serde_json::json!({
        "manager_token": data.manager_token, "manager_member": data.manager_member, "reps": reps,
        "weeks": weeks, "activities": data.activities, "generated_s": data.generated_s, "compacted": true,
    });
    std::fs::write(dir.join("team.json"), json.to_string()).expect("write");
    data
}

/// The team, generated now (quick mode, into `tmp`) or taken from the cache.
pub fn team(reps: usize, weeks: i64, seed: u64, cache: bool, fresh: bool, tmp: &Path) -> TeamData {
    if !cache {
        return generate(&tmp.join("team"), reps, weeks, seed);
    }
    let root = crate::relay::bin_dir().parent().expect("target").join("kept-bench-cache");
    let dir = root.join(format!("team-{reps}x{weeks}-seed{seed}-v{CACHE_VERSION}"));
    if fresh {
        let _ = std::fs::remove_dir_all(&dir);
    }
    if let Ok(bytes) = std::fs::read(dir.join("team.json")) {
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&bytes) {
            let t = TeamData {
                relay_db: dir.join("relay.sqlite3"),
                manager_token: v["manager_token"].as_str().unwrap_or_default().to_string(),
                manager_member: v["manager_member"].as_str().unwrap_or_default().to_string(),
                reps,
                activities: v["activities"].as_u64().unwrap_or_default() as usize,
                generated_s: v["generated_s"].as_f64().unwrap_or_default(),
            };
            if t.relay_db.is_file() && !t.manager_token.is_empty() {
                if v["compacted"] != serde_json::json!(true) {
                    // A cache from before the bench compacted it.
                    crate::relay::compact(t.relay_db.to_str().expect("utf-8"));
                    let mut v = v.clone();
                    v["compacted"] = serde_json::json!(true);
                    std::fs::write(dir.join("team.json"), v.to_string()).expect("write");
                }
                return t;
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    let building = root.join(format!("building-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&building);
    eprintln!("generating the bench team ({reps} reps × {weeks} weeks) into {} …", dir.display());
    let mut t = generate(&building, reps, weeks, seed);
    std::fs::rename(&building, &dir).expect("rename cache");
    t.relay_db = dir.join("relay.sqlite3");
    eprintln!("  {} activities in {:.0} s", t.activities, t.generated_s);
    t
}

/// Copies a relay database (and its WAL) so each run starts from the same state.
pub fn copy_db(from: &Path, to: &Path) {
    std::fs::copy(from, to).expect("copy relay db");
    let wal = PathBuf::from(format!("{}-wal", from.display()));
    if wal.is_file() {
        std::fs::copy(&wal, format!("{}-wal", to.display())).expect("copy wal");
    }
}
