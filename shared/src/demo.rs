//! A deterministic generator of realistic team history (seeded): reps with
//! their own rhythm and skill, weekday patterns, targets, action items. The
//! README's demo and the benchmarks use it (one transaction per rep-day), so
//! what you see in the demo is what was measured.

use crate::error::Result;
use crate::model::{ActivityInput, Kare};
use crate::service::Kept;
use crate::week::Week;
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Names for demo reps, in order.
pub const REP_NAMES: &[&str] = &[
    "Anna", "Ben", "Chloe", "Dev", "Elena", "Femi", "Greta", "Hugo", "Ines", "Jonas", "Kira", "Liam", "Maya", "Noah",
    "Olga", "Pablo", "Quinn", "Rosa", "Sami", "Tara",
];

const ACCOUNTS: &[&str] = &[
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Vandelay",
    "Stark Industries",
    "Wayne Enterprises",
    "Acme Corp",
    "Soylent",
    "Tyrell",
    "Cyberdyne",
    "Wonka",
    "Oscorp",
    "Gringotts",
    "Monarch",
    "Nakatomi",
];
const OUTCOMES: &[&str] =
    &["no answer", "left voicemail", "spoke briefly", "booked follow-up", "not interested", "sent info"];

/// How one demo rep works.
#[derive(Debug, Clone)]
pub struct RepProfile {
    /// Name.
    pub name: String,
    /// Dials on an average day.
    pub calls_per_day: f64,
    /// Share of dials that become a conversation.
    pub connect_rate: f64,
    /// Share of conversations that set a meeting.
    pub meeting_rate: f64,
    /// Activity multiplier in the last weeks (below 1: a slump a manager should see).
    pub recent_trend: f64,
}

/// `n` rep profiles drawn from `seed`: most steady, one slumping, one new star.
pub fn profiles(n: usize, seed: u64) -> Vec<RepProfile> {
    profiles_from(0, n, seed)
}

/// [`profiles`] named from the `first`-th demo name on (so several demo teams have different reps).
pub fn profiles_from(first: usize, n: usize, seed: u64) -> Vec<RepProfile> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n)
        .map(|i| RepProfile {
            name: REP_NAMES.get(first + i).map(|s| s.to_string()).unwrap_or_else(|| format!("Rep {}", first + i + 1)),
            calls_per_day: rng.random_range(8.0..16.0),
            connect_rate: rng.random_range(0.18..0.35),
            meeting_rate: rng.random_range(0.15..0.35),
            recent_trend: match i % 5 {
                1 => 0.45,
                3 => 1.3,
                _ => rng.random_range(0.9..1.1),
            },
        })
        .collect()
}

fn weekday_factor(d: NaiveDate) -> f64 {
    match d.weekday().num_days_from_monday() {
        0 => 1.2,
        1 | 2 => 1.1,
        3 => 1.0,
        4 => 0.6,
        _ => 0.0,
    }
}

fn draw(rng: &mut StdRng, mean: f64) -> i64 {
    // A cheap, bounded Poisson-like draw: mean ± 40%.
    if mean <= 0.0 {
        return 0;
    }
    (mean * rng.random_range(0.6..1.4)).round() as i64
}

/// Writes `weeks` weeks of history ending `now` into the rep's store `k`
/// (logged as that rep), plus standing targets and a few action items.
/// Returns the number of activity entries written.
pub fn fill_rep(k: &mut Kept, p: &RepProfile, weeks: i64, now: DateTime<Utc>, seed: u64) -> Result<usize> {
    let mut rng = StdRng::seed_from_u64(seed);
    let team = k.team()?;
    let tz = team.tz();
    let this_week = Week::of_instant(now, tz, team.week_start);
    let first = this_week.plus(-(weeks - 1));
    let calls_target = (p.calls_per_day * 5.0 / 5.0).round() as i64 * 5;
    for (kind, count) in [
        ("call", calls_target),
        ("conversation", (calls_target as f64 * 0.25).round() as i64),
        ("meeting-set", 4),
        ("proposal", 2),
    ] {
        k.set_standing_target(kind, count, None, first)?;
    }
    let mut n = 0;
    let start_day = first.first_day(team.week_start);
    let today = now.with_timezone(&tz).date_naive();
    let mut day = start_day;
    while day <= today {
        let weeks_left = (today - day).num_days() / 7;
        let trend = if weeks_left < 3 { p.recent_trend } else { 1.0 };
        let f = weekday_factor(day) * trend;
        let calls = draw(&mut rng, p.calls_per_day * f);
        let convs = draw(&mut rng, calls as f64 * p.connect_rate);
        let meetings = draw(&mut rng, convs as f64 * p.meeting_rate);
        let proposals = if rng.random_bool((0.35 * f).clamp(0.0, 1.0)) { 1 } else { 0 };
        let referrals = if rng.random_bool((0.2 * f).clamp(0.0, 1.0)) { 1 } else { 0 };
        let mut entries: Vec<(&str, i64)> = Vec::new();
        // Calls in blocks, the rest one by one.
        let mut left = calls;
        while left > 0 {
            let block = left.min(rng.random_range(1..5));
            entries.push(("call", block));
            left -= block;
        }
        entries.extend(std::iter::repeat_n(("conversation", 1), convs as usize));
        entries.extend(std::iter::repeat_n(("meeting-set", 1), meetings as usize));
        entries.extend(std::iter::repeat_n(("proposal", 1), proposals));
        entries.extend(std::iter::repeat_n(("referral-asked", 1), referrals));
        // One transaction per rep-day: the day's entries together.
        let mut batch = Vec::with_capacity(entries.len());
        for (i, (kind, count)) in entries.iter().enumerate() {
            let minute = 8 * 60 + 30 + (i as i64 * 480 / entries.len().max(1) as i64);
            let local = day.and_hms_opt(0, 0, 0).unwrap_or_default() + Duration::minutes(minute);
            let Some(at) = tz.from_local_datetime(&local).earliest() else { continue };
            if at.with_timezone(&Utc) > now {
                break;
            }
            let kare = [Kare::Keep, Kare::Attain, Kare::Attain, Kare::Expand, Kare::Recapture][rng.random_range(0..5)];
            let input = ActivityInput {
                count: Some(*count),
                occurred_at: Some(at.to_rfc3339()),
                kare: Some(Some(kare)),
                account: Some(Some(ACCOUNTS[rng.random_range(0..ACCOUNTS.len())].to_string())),
                outcome: (*kind == "call").then(|| Some(OUTCOMES[rng.random_range(0..OUTCOMES.len())].to_string())),
                ..Default::default()
            };
            batch.push((kind.to_string(), input));
        }
        if !batch.is_empty() {
            n += batch.len();
            k.log_many(batch, None)?;
        }
        day += Duration::days(1);
    }
    let due = |days: i64| (today + Duration::days(days)).format("%Y-%m-%d").to_string();
    let a = k.add_action("Follow up on the Globex proposal", &due(-3), None, None)?;
    k.action_done(&a.id, "Sent revised pricing; decision next week")?;
    k.add_action("Ask Initech for two referrals", &due(2), None, None)?;
    k.add_action("Block Tuesday 9–11 for call time", &due(-1), None, None)?;
    fill_deals(k, p, weeks, now, &mut rng)?;
    k.store_mut().maintain()?;
    Ok(n)
}

/// About one new deal a week over the history (at least 26 weeks), closed 2–10 weeks later as
/// won or lost (the youngest still open, at a stage); a slumping rep wins
/// fewer and slower lately. Written as one change to the rep's pipeline.
fn fill_deals(k: &mut Kept, p: &RepProfile, weeks: i64, now: DateTime<Utc>, rng: &mut StdRng) -> Result<()> {
    use crate::docs::{pipeline, DocId};
    use crate::model::{Deal, DealStatus};
    let slump = p.recent_trend < 0.7;
    let mut deals = Vec::new();
    // Deals go back at least half a year, so win rate and cycle have an earlier period to compare with.
    let weeks = weeks.max(26);
    for w in 0..weeks {
        let created = now - Duration::weeks(weeks - w) + Duration::hours(rng.random_range(0..96));
        let mut cycle_days = rng.random_range(14..70);
        let closes = created + Duration::days(cycle_days);
        let recent = now - closes < Duration::weeks(12);
        if slump && recent {
            cycle_days = cycle_days * 8 / 5;
        }
        let closes = created + Duration::days(cycle_days);
        let win_p = if slump && recent { 0.15 } else { 0.45 };
        let (status, closed_at, stage) = if closes < now {
            let won = rng.random_bool(win_p);
            (if won { DealStatus::Won } else { DealStatus::Lost }, Some(closes.to_rfc3339()), "closed".to_string())
        } else {
            let stages = crate::service::STAGES;
            (DealStatus::Open, None, stages[rng.random_range(0..stages.len())].to_string())
        };
        deals.push(Deal {
            id: k.ids.uuid_at(created).to_string(),
            rep: k.me().id.clone(),
            name: format!(
                "{} {}",
                ACCOUNTS[rng.random_range(0..ACCOUNTS.len())],
                ["renewal", "expansion", "pilot", "new logo"][rng.random_range(0..4)]
            ),
            amount: rng.random_range(5..60) * 1000,
            stage,
            kare: Some([Kare::Keep, Kare::Attain, Kare::Recapture, Kare::Expand][rng.random_range(0..4)]),
            expected_close: Some((created + Duration::days(cycle_days)).date_naive().to_string()),
            status,
            closed_at,
            created_at: Some(created.to_rfc3339()),
        });
    }
    let me = k.me().id.clone();
    k.store_mut().write(|tx| {
        tx.edit(&DocId::pipeline(&me), now.timestamp(), |d| deals.iter().try_for_each(|x| pipeline::put_deal(d, x)))
    })
}

/// What [`seed_team`] made.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SeededTeam {
    /// The manager's home.
    pub manager_home: std::path::PathBuf,
    /// Each rep's name and home.
    pub reps: Vec<(String, std::path::PathBuf)>,
    /// Activity entries written.
    pub activities: usize,
}

/// How a demo team's manager coaches (what the leader's view shows of them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Coaching {
    /// Weekly 1-on-1s the reps find useful more often than not.
    #[default]
    Steady,
    /// 1-on-1s that feel like status reports: the manager rates them well, the reps low.
    StatusReports,
    /// Regular 1-on-1s the reps rate highly.
    Strong,
}

impl Coaching {
    /// The range reps draw their ratings of 1-on-1s from.
    fn rep_ratings(self) -> std::ops::Range<i64> {
        match self {
            Coaching::Steady => 2..6,
            Coaching::StatusReports => 1..4,
            Coaching::Strong => 4..6,
        }
    }
}

impl std::str::FromStr for Coaching {
    type Err = crate::error::CoreError;
    fn from_str(s: &str) -> Result<Coaching> {
        match s {
            "steady" => Ok(Coaching::Steady),
            "status-reports" => Ok(Coaching::StatusReports),
            "strong" => Ok(Coaching::Strong),
            other => Err(crate::error::CoreError::invalid(format!(
                "unknown coaching style '{other}': expected steady, status-reports or strong"
            ))),
        }
    }
}

/// A demo team's shape beyond its size: who its reps are and how its manager coaches.
#[derive(Debug, Clone, Copy, Default)]
pub struct TeamStyle {
    /// The first demo name its reps take ([`REP_NAMES`]).
    pub first_rep: usize,
    /// How the manager coaches.
    pub coaching: Coaching,
}

/// Joins a relay as the team's manager (with the manager invite) into
/// `dir/manager`, invites and joins `reps` demo reps into `dir/<name>`, writes
/// `weeks` weeks of history for each, and syncs everyone.
pub fn seed_team(
    url: &str,
    manager_invite: &str,
    dir: &std::path::Path,
    reps: usize,
    weeks: i64,
    seed: u64,
    clock: std::sync::Arc<dyn crate::Clock>,
) -> Result<SeededTeam> {
    seed_team_styled(url, manager_invite, dir, (reps, weeks, seed), TeamStyle::default(), clock)
}

/// [`seed_team`] with a [`TeamStyle`]; `size` is (reps, weeks, seed).
pub fn seed_team_styled(
    url: &str,
    manager_invite: &str,
    dir: &std::path::Path,
    (reps, weeks, seed): (usize, i64, u64),
    style: TeamStyle,
    clock: std::sync::Arc<dyn crate::Clock>,
) -> Result<SeededTeam> {
    use crate::sync::JoinOptions;
    use crate::IdSource;
    let join = |invite: &str, home: &std::path::Path| -> Result<Kept> {
        let opts = JoinOptions {
            url: url.to_string(),
            invite: invite.to_string(),
            name: None,
            device_name: "demo".into(),
            allow_insecure: false,
        };
        Ok(Kept::join(home, &opts, clock.clone(), IdSource::random())?.0)
    };
    let manager_home = dir.join("manager");
    let mut manager = join(manager_invite, &manager_home)?;
    let now = clock.now();
    let mut out = SeededTeam { manager_home: manager_home.clone(), reps: Vec::new(), activities: 0 };
    for (i, p) in profiles_from(style.first_rep, reps, seed).iter().enumerate() {
        let invite = manager.invite(crate::model::Role::Rep, Some(&p.name))?;
        let home = dir.join(p.name.to_lowercase().replace(' ', "-"));
        let mut k = join(&invite.code, &home)?;
        out.activities += fill_rep(&mut k, p, weeks, now, seed.wrapping_add(i as u64 + 1))?;
        k.sync()?;
        out.reps.push((p.name.clone(), home));
    }
    manager.sync()?;
    coaching_history(&mut manager, &out.reps, seed, style.coaching, &clock)?;
    practice_history(&mut manager, &out.reps, &clock)?;
    Ok(out)
}

/// A real WAV recording: `ms` milliseconds of a soft 440 Hz tone (8 kHz,
/// 8-bit mono) — the demo's practice answers, and the tests' (this machine
/// has no microphone).
pub fn tone_wav(ms: u32) -> Vec<u8> {
    let samples = 8 * ms;
    let mut v = b"RIFF".to_vec();
    v.extend_from_slice(&(36 + samples).to_le_bytes());
    v.extend_from_slice(b"WAVEfmt ");
    v.extend_from_slice(&16u32.to_le_bytes());
    v.extend_from_slice(&[1, 0, 1, 0]); // PCM, mono
    v.extend_from_slice(&8000u32.to_le_bytes()); // samples a second
    v.extend_from_slice(&8000u32.to_le_bytes()); // bytes a second
    v.extend_from_slice(&[1, 0, 8, 0]); // one byte a frame, 8 bits
    v.extend_from_slice(b"data");
    v.extend_from_slice(&samples.to_le_bytes());
    let tone = |i: u32| 128.0 + 60.0 * (f64::from(i) * 440.0 * std::f64::consts::TAU / 8000.0).sin();
    v.extend((0..samples).map(|i| tone(i) as u8));
    v
}

/// A practice challenge for the whole team, due in three days: the first rep
/// answered and was scored with a comment, the second answered and waits for
/// review, the others still have it to do.
fn practice_history(
    manager: &mut Kept,
    reps: &[(String, std::path::PathBuf)],
    clock: &std::sync::Arc<dyn crate::Clock>,
) -> Result<()> {
    if reps.is_empty() {
        return Ok(());
    }
    let due = (clock.now().with_timezone(&manager.team()?.tz()).date_naive() + Duration::days(3)).to_string();
    let set = manager.challenge_set(&crate::service::NewChallenge {
        prompt: "Open a discovery call with a positioning statement: who we help, their problem, the result".into(),
        interaction: "discovery-call".into(),
        due,
        reps: Vec::new(),
    })?;
    manager.sync()?;
    for (i, (_, home)) in reps.iter().enumerate().take(2) {
        let mut k = Kept::open(home, clock.clone(), crate::IdSource::random())?;
        k.sync()?;
        if let Some(v) = k.challenges(None)?.first() {
            let ms = 14_000 + 5_000 * i as u32;
            k.challenge_answer(&v.challenge.id, &tone_wav(ms), "audio/wav", Some(i64::from(ms)))?;
        }
        k.sync()?;
    }
    manager.sync()?;
    let (first, home) = &reps[0];
    if let Some(v) = set.iter().find(|v| &v.rep_name == first) {
        let scores = [("rapport", "3"), ("upfront-contract", "2"), ("pain", "1"), ("next-step", "2")];
        let scores: Vec<(String, String)> = scores.iter().map(|(c, s)| (c.to_string(), s.to_string())).collect();
        manager.challenge_score(first, &v.challenge.id, &scores)?;
        manager.challenge_comment(
            first,
            &v.challenge.id,
            3_000,
            "Good energy. Name the customer's problem before the product",
        )?;
        manager.challenge_comment(
            first,
            &v.challenge.id,
            11_000,
            "Ask for the next step here: a date, not 'let's talk soon'",
        )?;
        manager.sync()?;
        Kept::open(home, clock.clone(), crate::IdSource::random())?.sync()?;
    }
    Ok(())
}

/// Weekly 1-on-1s (one rep with a gap, so the cadence shows it), the
/// manager's and the rep's ratings of them (reps rate lower, as in real
/// teams), an observed discovery call, and a development plan per rep.
fn coaching_history(
    manager: &mut Kept,
    reps: &[(String, std::path::PathBuf)],
    seed: u64,
    coaching: Coaching,
    clock: &std::sync::Arc<dyn crate::Clock>,
) -> Result<()> {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x0c0a_c400);
    let tz = manager.team()?.tz();
    let today = clock.now().with_timezone(&tz).date_naive();
    let day = |back: i64| (today - Duration::days(back)).format("%Y-%m-%d").to_string();
    const CRITERIA: &[&str] = &["rapport", "upfront-contract", "pain", "budget", "decision-process", "next-step"];
    for (i, (name, _)) in reps.iter().enumerate() {
        let gap = i % 5 == 1 || (coaching == Coaching::StatusReports && i % 2 == 0);
        let (first, count) = if gap { (24, 3) } else { (3, 6) };
        for j in 0..count {
            let m = manager.open_meeting(Some(name), "one-on-one", Some(&day(first + 7 * j)))?;
            manager.meeting_notes(
                &m.meeting.id,
                "Numbers first: calls on target, conversations a little behind.\nAgreed: two call blocks a day.",
            )?;
            manager.rate_meeting(&m.meeting.id, rng.random_range(4..6), None)?;
        }
        let scores: Vec<(String, String)> =
            CRITERIA.iter().map(|c| (c.to_string(), rng.random_range(1..5).to_string())).collect();
        manager.assess(Some(name), "discovery-call", &scores)?;
        let weakest = scores.iter().min_by_key(|(_, s)| s.clone()).map(|(c, _)| c.clone()).unwrap_or_default();
        manager.dev_add_skill(Some(name), "discovery-call", &weakest)?;
        manager.dev_add_goal(Some(name), "Run discovery calls that end with a clear next step")?;
        manager.dev_add_milestone(
            Some(name),
            &format!("Role-play {weakest} questions with your manager"),
            &day(if gap { 5 } else { -9 }),
        )?;
    }
    manager.sync()?;
    for (name, home) in reps {
        let mut k = Kept::open(home, clock.clone(), crate::IdSource::random())?;
        k.sync()?;
        for m in k.meetings(None)?.into_iter().take(4) {
            let r = rng.random_range(coaching.rep_ratings());
            let comment = match r {
                2 => Some("Felt like a status report; I'd like help with real calls"),
                5 => Some("The role-play helped"),
                _ => None,
            };
            k.rate_meeting(&m.id, r, comment)?;
        }
        k.sync()?;
        let _ = name;
    }
    manager.sync()?;
    Ok(())
}
