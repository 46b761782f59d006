//! Coaching features over a generated team history: warning signs with their
//! numbers and thresholds.

use chrono::TimeZone;
use kept_core::demo::{fill_rep, profiles};
use kept_core::model::{Member, Role};
use kept_core::service::Identity;
use kept_core::signs::Severity;
use kept_core::{Clock, FixedClock, IdSource, InitOptions, Kept};
use std::sync::Arc;

fn clock() -> FixedClock {
    // Wednesday 2026-11-25 16:00 UTC.
    FixedClock::new(chrono::Utc.with_ymd_and_hms(2026, 11, 25, 16, 0, 0).single().expect("valid"))
}

#[test]
fn a_slumping_rep_shows_the_signs_with_their_numbers() {
    let dir = tempfile::tempdir().expect("tmp");
    let clock = clock();
    let opts =
        InitOptions { team: "Acme".into(), me: "Ben".into(), role: Role::Rep, time_zone: None, week_start: None };
    let mut ben =
        Kept::init(&dir.path().join("ben"), opts, Arc::new(clock.clone()), IdSource::seeded(3)).expect("init");
    let profile = profiles(2, 42)[1].clone(); // profile 1 slumps in the last weeks
    assert!(profile.recent_trend < 0.6);
    fill_rep(&mut ben, &profile, 12, clock.now(), 7).expect("history");
    let signs = ben.signs(None).expect("signs");
    let kinds: Vec<&str> = signs.iter().map(|s| s.kind.as_str()).collect();
    assert!(kinds.contains(&"activity-drop"), "{signs:#?}");
    assert!(kinds.contains(&"overdue-actions"), "the demo leaves one item overdue: {signs:#?}");
    let drop = signs.iter().find(|s| s.kind == "activity-drop").expect("drop");
    assert!(drop.numbers["drop_pct"] >= 30.0);
    assert!(drop.numbers["last_week"] < drop.numbers["average_4_weeks"]);
    assert!(drop.message.contains("4-week average"));
    assert!(signs.windows(2).all(|w| w[0].severity >= w[1].severity), "most serious first");
}

#[test]
fn silence_and_missed_patterns_follow_the_thresholds() {
    let dir = tempfile::tempdir().expect("tmp");
    let clock = clock();
    let mia_id = Identity {
        team_id: "t".into(),
        member_id: "0190f0a0-0000-7000-8000-0000000000aa".into(),
        name: "Mia".into(),
        role: Role::Manager,
    };
    let mut mia = Kept::create_device(&dir.path().join("mia"), &mia_id, Arc::new(clock.clone()), IdSource::seeded(4))
        .expect("mia");
    let anna = Member { id: "0190f0a0-0000-7000-8000-0000000000bb".into(), name: "Anna".into(), role: Role::Rep };
    mia.set_members(std::slice::from_ref(&anna)).expect("roster");
    // A target of 10 calls from five weeks ago; Anna made 4, 12, 3 calls in the last three weeks, then nothing.
    mia.set_standing_target("call", 10, Some("Anna"), "2026-W43".parse().expect("week")).expect("target");
    for (day, n) in [("2026-11-03", 4), ("2026-11-10", 12), ("2026-11-17", 3)] {
        let input = kept_core::model::ActivityInput {
            count: Some(n),
            occurred_at: Some(format!("{day}T10:00:00+00:00")),
            ..Default::default()
        };
        mia.log_activity("call", input, Some("Anna")).expect("log");
    }
    let signs = mia.signs(Some("Anna")).expect("signs");
    let pattern = signs.iter().find(|s| s.kind == "missed-pattern").expect("2 of 3 weeks missed is a pattern");
    assert_eq!(pattern.severity, Severity::Alert);
    assert!(pattern.message.contains("2 of the last 3 weeks"), "{}", pattern.message);
    let silence = signs.iter().find(|s| s.kind == "silence").expect("silent since Tuesday last week");
    assert_eq!(silence.numbers["working_days"], 5.0, "Wed–Fri and Mon–Tue");
    // Raise the bar: 3 of 3 weeks for a pattern, a week of silence.
    mia.set_thresholds(&[("missed_weeks".into(), 3), ("silence_days".into(), 6)]).expect("thresholds");
    let signs = mia.signs(Some("Anna")).expect("signs");
    assert!(signs.iter().all(|s| s.kind != "missed-pattern" && s.kind != "silence"), "{signs:#?}");
    assert!(signs.iter().any(|s| s.kind == "missed-once"), "last week's miss is still shown, as a single miss");
    assert!(mia.set_thresholds(&[("missed_weeks".into(), 9)]).is_err(), "cannot exceed the window");
    assert!(mia.set_thresholds(&[("nonsense".into(), 1)]).is_err());
}
