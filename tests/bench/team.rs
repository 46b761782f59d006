//! The bench team: `reps` demo reps (profiles from `kept_core::demo`) with
//! `weeks` weeks of history each, written into their own stores with one
//! `log_many` per rep-day (the same weekday pattern, call blocks and funnel
//! rates as `demo::fill_rep`, which logs one activity per transaction and would
//! take minutes at this size), synced to a relay on SQLite. The relay database
//! is cached under target/kept-bench-cache/ (full mode) so only the first run
//! pays for generating it.

use crate::relay::RelayProc;
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use kept_core::demo::{profiles, RepProfile};
use kept_core::model::{ActivityInput, Kare};
use kept_core::sync::JoinOptions;
use kept_core::week::Week;
use kept_core::{Clock, FixedClock, IdSource, Kept};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Bump when the generated data or the relay's format changes.
const CACHE_VERSION: u32 = 1;

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

/// SplitMix64: a tiny seeded generator (the bench adds no dependency).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const ACCOUNTS: &[&str] =
    &["Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Stark Industries", "Wayne Enterprises", "Acme Corp"];
const OUTCOMES: &[&str] =
    &["no answer", "left voicemail", "spoke briefly", "booked follow-up", "not interested", "sent info"];

fn weekday_factor(d: NaiveDate) -> f64 {
    match d.weekday().num_days_from_monday() {
        0 => 1.2,
        1 | 2 => 1.1,
        3 => 1.0,
        4 => 0.6,
        _ => 0.0,
    }
}

fn draw(rng: &mut Rng, mean: f64) -> i64 {
    if mean <= 0.0 {
        return 0;
    }
    (mean * rng.range(0.6, 1.4)).round() as i64
}

/// `weeks` weeks of history for one rep, one transaction per day; returns the activities written.
fn fill(k: &mut Kept, p: &RepProfile, weeks: i64, seed: u64) -> usize {
    let mut rng = Rng(seed);
    let team = k.team().expect("team");
    let tz = team.tz();
    let now = now();
    let first = Week::of_instant(now, tz, team.week_start).plus(-(weeks - 1));
    let calls_target = (p.calls_per_day).round() as i64 * 5;
    for (kind, count) in
        [("call", calls_target), ("conversation", calls_target / 4), ("meeting-set", 4), ("proposal", 2)]
    {
        k.set_standing_target(kind, count, None, first).expect("target");
    }
    let today = now.with_timezone(&tz).date_naive();
    let mut day = first.first_day(team.week_start);
    let mut n = 0;
    while day <= today {
        let trend = if (today - day).num_days() / 7 < 3 { p.recent_trend } else { 1.0 };
        let f = weekday_factor(day) * trend;
        let calls = draw(&mut rng, p.calls_per_day * f);
        let convs = draw(&mut rng, calls as f64 * p.connect_rate);
        let meetings = draw(&mut rng, convs as f64 * p.meeting_rate);
        let proposals = usize::from(rng.unit() < 0.35 * f);
        let referrals = usize::from(rng.unit() < 0.2 * f);
        let mut kinds: Vec<(&str, i64)> = Vec::new();
        let mut left = calls;
        while left > 0 {
            let block = left.min(1 + rng.below(4) as i64);
            kinds.push(("call", block));
            left -= block;
        }
        kinds.extend(std::iter::repeat_n(("conversation", 1), convs as usize));
        kinds.extend(std::iter::repeat_n(("meeting-set", 1), meetings as usize));
        kinds.extend(std::iter::repeat_n(("proposal", 1), proposals));
        kinds.extend(std::iter::repeat_n(("referral-asked", 1), referrals));
        let mut entries = Vec::with_capacity(kinds.len());
        for (i, (kind, count)) in kinds.iter().enumerate() {
            let minute = 8 * 60 + 30 + (i as i64 * 480 / kinds.len().max(1) as i64);
            let local = day.and_hms_opt(0, 0, 0).unwrap_or_default() + Duration::minutes(minute);
            let Some(at) = tz.from_local_datetime(&local).earliest() else { continue };
            if at.with_timezone(&Utc) > now {
                break;
            }
            let kare = [Kare::Keep, Kare::Attain, Kare::Attain, Kare::Expand, Kare::Recapture][rng.below(5)];
            entries.push((
                kind.to_string(),
                ActivityInput {
                    count: Some(*count),
                    occurred_at: Some(at.to_rfc3339()),
                    kare: Some(Some(kare)),
                    account: Some(Some(ACCOUNTS[rng.below(ACCOUNTS.len())].to_string())),
                    outcome: (*kind == "call").then(|| Some(OUTCOMES[rng.below(OUTCOMES.len())].to_string())),
                    ..Default::default()
                },
            ));
        }
        if !entries.is_empty() {
            n += entries.len();
            k.log_many(entries, None).expect("log_many");
        }
        day += Duration::days(1);
    }
    let due = |days: i64| (today + Duration::days(days)).format("%Y-%m-%d").to_string();
    k.add_action("Ask Initech for two referrals", &due(2), None, None).expect("action");
    k.store_mut().maintain().expect("maintain");
    n
}

fn join(url: &str, invite: &str, home: &Path) -> Kept {
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
