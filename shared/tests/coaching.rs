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

/// Mia (manager) on her own device with the rep Anna on the roster.
fn mia_with_anna(dir: &std::path::Path, seed: u64) -> Kept {
    let mia_id = Identity {
        team_id: "t".into(),
        member_id: "0190f0a0-0000-7000-8000-0000000000aa".into(),
        name: "Mia".into(),
        role: Role::Manager,
    };
    let mut mia =
        Kept::create_device(&dir.join("mia"), &mia_id, Arc::new(clock()), IdSource::seeded(seed)).expect("mia");
    let anna = Member { id: "0190f0a0-0000-7000-8000-0000000000bb".into(), name: "Anna".into(), role: Role::Rep };
    mia.set_members(std::slice::from_ref(&anna)).expect("roster");
    mia
}

#[test]
fn silence_and_missed_patterns_follow_the_thresholds() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut mia = mia_with_anna(dir.path(), 4);
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

#[test]
fn near_misses_are_not_alerts_missed_targets_are_one_sign_and_the_default_view_shows_three() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut mia = mia_with_anna(dir.path(), 5);
    let from: kept_core::Week = "2026-W43".parse().expect("week");
    mia.set_standing_target("call", 60, Some("Anna"), from).expect("target");
    let log = |k: &mut Kept, kind: &str, day: &str, n: i64| {
        let input = kept_core::model::ActivityInput {
            count: Some(n),
            occurred_at: Some(format!("{day}T10:00:00+00:00")),
            ..Default::default()
        };
        k.log_activity(kind, input, Some("Anna")).expect("log");
    };
    // The example: 50/60, 59/60, 59/60 calls. 59 is within the 10% tolerance.
    for (day, n) in [("2026-11-03", 50), ("2026-11-10", 59), ("2026-11-17", 59)] {
        log(&mut mia, "call", day, n);
    }
    let signs = mia.signs(Some("Anna")).expect("signs");
    assert!(signs.iter().all(|s| s.kind != "missed-pattern"), "one real miss in three weeks: {signs:#?}");
    let near = signs.iter().find(|s| s.kind == "near-miss").expect("near misses are named");
    assert_eq!(near.severity, Severity::Info);
    assert!(near.message.contains("calls 59/60") && near.message.contains("Within 10%"), "{}", near.message);
    // A team with no tolerance sees the pattern again.
    mia.set_thresholds(&[("near_miss_pct".into(), 0)]).expect("no tolerance");
    let signs = mia.signs(Some("Anna")).expect("signs");
    assert!(signs.iter().any(|s| s.kind == "missed-pattern" && s.message.contains("3 of the last 3")), "{signs:#?}");
    mia.set_thresholds(&[("near_miss_pct".into(), 10)]).expect("back");
    // Meetings missed by far in every week too.
    mia.set_standing_target("meeting-set", 5, Some("Anna"), from).expect("target");
    for day in ["2026-11-04", "2026-11-11", "2026-11-18"] {
        log(&mut mia, "meeting-set", day, 1);
    }
    let signs = mia.signs(Some("Anna")).expect("signs");
    let missed: Vec<_> = signs.iter().filter(|s| s.kind == "missed-pattern").collect();
    assert_eq!(missed.len(), 1, "{signs:#?}");
    assert!(
        missed[0].message.starts_with("Missed the meetings set target in 3 of the last 3"),
        "{}",
        missed[0].message
    );
    // With no tolerance the calls are a pattern too: still ONE sign, naming both.
    mia.set_thresholds(&[("near_miss_pct".into(), 0)]).expect("no tolerance");
    let signs = mia.signs(Some("Anna")).expect("signs");
    let missed: Vec<_> = signs.iter().filter(|s| s.kind == "missed-pattern").collect();
    assert_eq!(missed.len(), 1, "{signs:#?}");
    assert!(
        missed[0].message.contains("calls 3 of 3") && missed[0].message.contains("meetings set 3 of 3"),
        "{}",
        missed[0].message
    );
    assert_eq!(missed[0].numbers["activities"], 2.0);
    // The default view: at most three per rep, the most serious first.
    let top = mia.top_signs(Some("Anna")).expect("top");
    assert!(top.len() <= 3 && !top.is_empty(), "{top:#?}");
    assert!(top.windows(2).all(|w| w[0].severity >= w[1].severity));
    assert_eq!(top[0].kind, "missed-pattern");
    assert!(signs.len() >= top.len());
}

fn team_of_two(dir: &std::path::Path, clock: &FixedClock) -> (Kept, Kept) {
    let opts =
        InitOptions { team: "Acme".into(), me: "Mia".into(), role: Role::Manager, time_zone: None, week_start: None };
    let mut mia = Kept::init(&dir.join("mia"), opts, Arc::new(clock.clone()), IdSource::seeded(21)).expect("mia");
    let anna_id = Identity {
        team_id: mia.team_id().into(),
        member_id: "0190f0a0-0000-7000-8000-0000000000bb".into(),
        name: "Anna".into(),
        role: Role::Rep,
    };
    let mut anna =
        Kept::create_device(&dir.join("anna"), &anna_id, Arc::new(clock.clone()), IdSource::seeded(22)).expect("anna");
    let roster = [mia.me().clone(), Member { id: anna_id.member_id.clone(), name: "Anna".into(), role: Role::Rep }];
    mia.set_members(&roster).expect("roster");
    anna.set_members(&roster).expect("roster");
    anna.merge_from(&dir.join("mia")).expect("team doc");
    (mia, anna)
}

#[test]
fn meetings_open_with_what_to_reconcile_and_maps_sit_side_by_side() {
    let dir = tempfile::tempdir().expect("tmp");
    let clock = clock();
    let (mut mia, mut anna) = team_of_two(dir.path(), &clock);
    let first = mia.open_meeting(Some("Anna"), "one-on-one", None).expect("open");
    assert!(first.reconcile.is_empty());
    assert!(first.agenda.questions.iter().any(|q| q.starts_with("What")));
    let item =
        mia.meeting_action(&first.meeting.id, "Ask two clients for referrals", "2026-12-02", None).expect("action");
    assert_eq!(item.source, first.meeting.id);
    assert_eq!(item.owner, anna.me().id, "the rep owns it by default");
    let overdue = mia.add_action("Update the CRM", "2026-11-20", Some("Anna"), None).expect("overdue item");
    mia.meeting_notes(&first.meeting.id, "Good week; focus on referrals.").expect("notes");
    // The next meeting opens with both: the overdue item and the last meeting's item.
    let next = mia.open_meeting(Some("Anna"), "one-on-one", None).expect("open again");
    let ids: Vec<&str> = next.reconcile.iter().map(|a| a.id.as_str()).collect();
    assert!(ids.contains(&item.id.as_str()) && ids.contains(&overdue.id.as_str()), "{ids:?}");
    // Scores: the manager's and the rep's own, merged from two devices.
    mia.assess(Some("Anna"), "discovery-call", &[("pain".into(), "poor".into()), ("rapport".into(), "good".into())])
        .expect("assess");
    anna.assess(None, "discovery-call", &[("pain".into(), "good".into())]).expect("self");
    assert!(anna.assess(Some("Mia"), "discovery-call", &[("pain".into(), "good".into())]).is_err());
    assert!(mia.assess(Some("Anna"), "discovery-call", &[("charm".into(), "good".into())]).is_err());
    mia.merge_from(&dir.path().join("anna")).expect("merge");
    let map = mia.assessment_map(Some("Anna"), "discovery-call").expect("map");
    let pain = map.iter().find(|c| c.criterion == "pain").expect("pain");
    assert_eq!((pain.manager, pain.own), (Some(1), Some(3)), "manager says poor, Anna says good");
    assert_eq!(pain.word.as_deref(), Some("poor"));
    let weakest = mia.weakest_criteria("discovery-call").expect("weakest");
    assert_eq!(weakest[0].0, "pain");
    // Notes are shared with the rep (after sync/merge), and kudos are for the whole team.
    anna.merge_from(&dir.path().join("mia")).expect("merge");
    assert!(anna.meetings(None).expect("meetings").iter().any(|m| m.notes.contains("referrals")));
    mia.give_kudos("Anna", "First referral meeting booked!").expect("kudos");
    assert!(anna.give_kudos("Mia", "thanks").is_err(), "reps read the feed; managers give kudos");
    anna.merge_from(&dir.path().join("mia")).expect("merge");
    assert_eq!(anna.kudos().expect("feed")[0].text, "First referral meeting booked!");
}

#[test]
fn commitments_goal_plans_and_csv_imports() {
    let dir = tempfile::tempdir().expect("tmp");
    let clock = clock(); // Wednesday of 2026-W48
    let (_mia, mut anna) = team_of_two(dir.path(), &clock);
    anna.add_commitment("3 meetings set", Some("meeting-set"), Some(3), None, None).expect("commit");
    anna.add_commitment("close 25k", None, None, None, None).expect("outcome");
    let last = Some("2026-W47".parse().expect("week"));
    anna.add_commitment("2 proposals", Some("proposal"), Some(2), last, None).expect("last week");
    assert!(anna.add_commitment("x", Some("meeting-set"), None, None, None).is_err(), "needs a count");
    for _ in 0..3 {
        anna.log_activity("meeting-set", Default::default(), None).expect("log");
    }
    let now = anna.commitments(None, None).expect("list");
    let states: Vec<&str> = now.iter().map(|c| c.state.as_str()).collect();
    assert!(states.contains(&"kept") && states.contains(&"not-in-control"), "{states:?}");
    let before = anna.commitments(last, None).expect("last week");
    assert_eq!(before[0].state, "missed");
    assert_eq!(anna.commitments_kept_ratio(None, 4).expect("ratio"), Some(0.0));

    let goal = kept_core::funnel::Goal { income: 90_000.0, commission: 0.1, deal_size: 15_000.0, working_weeks: 46.0 };
    let plan = anna.plan_goal(goal, None).expect("plan");
    assert!(!plan.ratios.connect.own, "no history yet: team defaults");
    anna.agree_plan(&plan, None).expect("agree");
    let targets = anna.targets(None, None).expect("targets");
    assert_eq!(targets.get("call"), Some(&140));
    assert_eq!(targets.get("meeting-set"), Some(&9));

    let good = "Activity Type,Date,Company\nCall,2026-11-23 10:00,Globex\nMeetings set,2026-11-24,Initech\n";
    assert_eq!(anna.import_csv(good.as_bytes(), None).expect("import").imported, 2);
    let before = anna.store().view_dump().expect("dump");
    let bad = "Activity Type,Date\nCall,2026-11-23\nDance,2026-11-24\n";
    let e = anna.import_csv(bad.as_bytes(), None).expect_err("bad row");
    assert!(e.to_string().contains("line 3"), "{e}");
    assert_eq!(anna.store().view_dump().expect("dump"), before, "nothing half-imported");
    assert!(anna.import_csv("Date\n2026-11-23\n".as_bytes(), None).is_err(), "no type column");
}

#[test]
fn reminders_fire_once_for_items_due_today_and_the_end_of_day_nudge() {
    let dir = tempfile::tempdir().expect("tmp");
    let clock = clock(); // Wednesday 16:00 UTC, a working day
    let (_mia, mut anna) = team_of_two(dir.path(), &clock);
    let item = anna.add_action("Call Globex back", "2026-11-25", None, None).expect("item");
    anna.add_action("Later", "2026-11-27", None, None).expect("item");
    let r = anna.reminders().expect("reminders");
    let keys: Vec<&str> = r.iter().map(|x| x.key.as_str()).collect();
    assert_eq!(keys, vec![format!("2026-11-25/{}", item.id).as_str(), "2026-11-25/nudge"]);
    anna.mark_reminded(&r.iter().map(|x| x.key.clone()).collect::<Vec<_>>()).expect("mark");
    assert!(anna.reminders().expect("again").is_empty(), "each reminder is shown once");
    // Tomorrow: no item due, and a log in the afternoon silences the nudge.
    clock.set(chrono::Utc.with_ymd_and_hms(2026, 11, 26, 17, 0, 0).single().expect("valid"));
    anna.log_activity("call", Default::default(), None).expect("log");
    assert!(anna.reminders().expect("tomorrow").is_empty());
    anna.set_nudge(false).expect("off");
}

#[test]
fn a_ten_thousand_row_import_reports_bad_rows_precisely() {
    use kept_core::import::ImportMode;
    let dir = tempfile::tempdir().expect("tmp");
    let clock = clock();
    let (_mia, mut anna) = team_of_two(dir.path(), &clock);
    let mut csv = String::from("Activity Type,Date,Company,Quantity\n");
    let mut bad = Vec::new();
    for i in 0..10_000usize {
        let line = i + 2;
        let day = 1 + i % 20;
        match i {
            17 => {
                csv.push_str("Dance,2026-11-02,Globex,1\n");
                bad.push(line);
            }
            4_321 => {
                csv.push_str("Call,yesterday,Globex,1\n");
                bad.push(line);
            }
            9_998 => {
                csv.push_str("Call,2026-11-03,Globex,-4\n");
                bad.push(line);
            }
            _ => csv.push_str(&format!("Call,2026-11-{day:02} 10:00,Account {},1\n", i % 50)),
        }
    }
    let before = anna.store().view_dump().expect("dump");
    let dry = anna.import_csv_with(csv.as_bytes(), None, ImportMode::DryRun).expect("dry run");
    assert_eq!(dry.rejected.iter().map(|r| r.line).collect::<Vec<_>>(), bad);
    assert!(dry.rejected[0].reason.contains("unknown activity type 'Dance'"), "{:?}", dry.rejected[0]);
    assert!(dry.rejected[1].reason.contains("bad date 'yesterday'"));
    assert!(dry.rejected[2].reason.contains("bad count -4"));
    assert_eq!((dry.good, dry.imported), (9_997, 0));
    let e = anna.import_csv(csv.as_bytes(), None).expect_err("all or nothing");
    assert!(e.to_string().contains("nothing imported: 3 of 10000 rows are bad"), "{e}");
    assert_eq!(anna.store().view_dump().expect("dump"), before, "a dry run and a refused import change nothing");
    let done = anna.import_csv_with(csv.as_bytes(), None, ImportMode::SkipBad).expect("good rows");
    assert_eq!(done.imported, 9_997);
    let n: i64 = rusqlite::Connection::open(anna.store().path())
        .expect("db")
        .query_row("SELECT COUNT(*) FROM activities", [], |r| r.get(0))
        .expect("count");
    assert_eq!(n, 9_997);
}
