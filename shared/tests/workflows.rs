//! Coaching workflows with numbers worked out by hand: the pipeline and the
//! KARE split, win-rate and cycle-length signs, team benchmarks, kudos tied
//! to what earned them, development plans, the coaching cadence with both
//! sides' ratings, the team's own agendas and criteria, and CSV import with
//! an explicit column mapping.

mod common;

use chrono::{TimeZone, Utc};
use kept_core::import::{ColumnMap, ImportMode};
use kept_core::model::{ActivityInput, Kare};
use kept_core::service::DealEdit;
use kept_core::{CoreError, FixedClock, Kept};

fn at(y: i32, m: u32, d: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 10, 0, 0).single().expect("valid")
}

/// Wednesday 2026-11-25 16:00 UTC (week 2026-W48).
fn clock() -> FixedClock {
    FixedClock::new(Utc.with_ymd_and_hms(2026, 11, 25, 16, 0, 0).single().expect("valid"))
}

/// The team of these tests (see `common::team_in`).
fn team(dir: &std::path::Path, clock: &FixedClock, reps: &[&str]) -> (Kept, Vec<Kept>) {
    common::team_in(dir, clock, reps, None)
}

fn fingerprint(k: &Kept) -> (Vec<String>, i64, Vec<String>) {
    let conn = rusqlite::Connection::open(k.store().path()).expect("db");
    let mut st = conn.prepare("SELECT id || ':' || heads FROM documents ORDER BY id").expect("query");
    let docs = st.query_map([], |r| r.get(0)).expect("rows").map(|r| r.expect("row")).collect();
    (docs, k.store().pending().expect("pending"), k.store().view_dump().expect("dump"))
}

/// A deal for the fixtures: name, amount, KARE, created (month, day), closed (month, day), won.
type Fixture = (&'static str, i64, Kare, (u32, u32), (u32, u32), bool);

/// Adds each deal at its creation date and closes it at its closing date (moving the clock).
fn deals(k: &mut Kept, clock: &FixedClock, list: &[Fixture]) {
    for (name, amount, kare, created, closed, won) in list {
        clock.set(at(2026, created.0, created.1));
        let d = k.add_deal(name, *amount, Some("proposal"), Some(*kare), None, None).expect("deal");
        clock.set(at(2026, closed.0, closed.1));
        k.close_deal(&d.id, *won).expect("close");
    }
}

#[test]
fn pipeline_kare_split_and_the_deal_signs() {
    let dir = tempfile::tempdir().expect("tmp");
    let clock = clock();
    let (mut mia, mut reps) = team(dir.path(), &clock, &["Anna"]);
    let anna = &mut reps[0];
    // The 12 weeks before the last 12 (closed 2026-06-10 … 2026-09-02): 3 won of 4, cycles 30, 40, 50 days;
    // the last 12 weeks: 3 won of 6, every win took 60 days.
    deals(
        anna,
        &clock,
        &[
            ("Globex", 1_000, Kare::Keep, (6, 1), (7, 1), true),
            ("Initech", 1_000, Kare::Keep, (6, 5), (7, 15), true),
            ("Hooli", 1_000, Kare::Keep, (6, 10), (7, 30), true),
            ("Soylent", 1_000, Kare::Keep, (7, 1), (8, 1), false),
            ("Acme", 10_000, Kare::Expand, (8, 10), (10, 9), true),
            ("Wonka", 20_000, Kare::Expand, (8, 20), (10, 19), true),
            ("Tyrell", 5_000, Kare::Attain, (9, 1), (10, 31), true),
            ("Oscorp", 7_000, Kare::Attain, (9, 10), (10, 10), false),
            ("Monarch", 7_000, Kare::Attain, (9, 10), (10, 15), false),
            ("Vandelay", 7_000, Kare::Attain, (9, 10), (11, 1), false),
        ],
    );
    clock.set(Utc.with_ymd_and_hms(2026, 11, 25, 16, 0, 0).single().expect("valid"));
    let open = anna.add_deal("Cyberdyne", 12_000, None, Some(Kare::Recapture), Some("2026-12-18"), None).expect("open");
    assert_eq!(open.stage, "prospect");
    for (kind, kare, n) in [("call", Kare::Attain, 5), ("proposal", Kare::Expand, 2)] {
        let input = ActivityInput {
            count: Some(n),
            kare: Some(Some(kare)),
            occurred_at: Some("2026-11-24T10:00:00+00:00".into()),
            ..Default::default()
        };
        anna.log_activity(kind, input, None).expect("log");
    }

    // Editing: the stage and amount change, bad input changes nothing.
    let edited = anna
        .edit_deal(
            &open.id,
            &DealEdit { stage: Some("Negotiation".into()), amount: Some(15_000), ..Default::default() },
        )
        .expect("edit");
    assert_eq!((edited.stage.as_str(), edited.amount), ("negotiation", 15_000));
    let before = fingerprint(anna);
    for bad in [
        DealEdit { amount: Some(-5), ..Default::default() },
        DealEdit { expected_close: Some("next friday".into()), ..Default::default() },
        DealEdit::default(),
    ] {
        assert!(matches!(anna.edit_deal(&open.id, &bad), Err(CoreError::Invalid(_))), "{bad:?}");
    }
    assert!(anna.add_deal("  ", 10, None, None, None, None).is_err());
    let won = anna.deals(None, true).expect("deals").into_iter().find(|d| d.name == "Acme").expect("acme");
    assert!(anna.close_deal(&won.id, false).expect_err("closed").to_string().contains("already won"));
    assert_eq!(fingerprint(anna), before, "refused edits change nothing");
    let open_deals = anna.deals(None, false).expect("open deals");
    assert_eq!(open_deals.len(), 1);

    // KARE split over 12 weeks: effort from the log, results from won deals closed in the period.
    let split = anna.kare_split(None, false, 12).expect("split");
    assert_eq!((split.effort["attain"], split.effort["expand"], split.effort["keep"]), (5, 2, 0));
    assert_eq!((split.results["expand"], split.results["attain"], split.results["keep"]), (30_000, 5_000, 0));
    assert_eq!(split.won["expand"], 2);

    // The manager sees the signs with their numbers after a merge.
    mia.merge_from(&dir.path().join("anna")).expect("merge");
    let signs = mia.signs(Some("Anna")).expect("signs");
    let win = signs.iter().find(|s| s.kind == "win-rate-drop").expect("win rate fell 75% → 50%");
    assert_eq!((win.numbers["win_rate_recent_pct"], win.numbers["win_rate_before_pct"]), (50.0, 75.0));
    let cycle = signs.iter().find(|s| s.kind == "cycle-rise").expect("cycle 40 → 60 days");
    assert!((cycle.numbers["cycle_days_recent"] - 60.0).abs() < 1e-9, "{cycle:?}");
    assert!((cycle.numbers["cycle_days_before"] - 40.0).abs() < 1e-9, "{cycle:?}");
    assert!(cycle.message.contains("+50%"), "{}", cycle.message);
    let team_split = mia.kare_split(None, true, 12).expect("team split");
    assert_eq!(team_split.results["expand"], 30_000);
    // A team that tolerates more: 30 points of win rate, 60% longer cycles.
    mia.set_thresholds(&[("win_rate_drop_pts".into(), 30), ("cycle_rise_pct".into(), 60)]).expect("thresholds");
    let signs = mia.signs(Some("Anna")).expect("signs");
    assert!(signs.iter().all(|s| s.kind != "win-rate-drop" && s.kind != "cycle-rise"), "{signs:#?}");
}

#[test]
fn benchmarks_put_each_rep_beside_the_team_median() {
    let dir = tempfile::tempdir().expect("tmp");
    let clock = clock();
    let (mut mia, _reps) = team(dir.path(), &clock, &["Anna", "Ben", "Cara"]);
    // In the last 12 complete weeks (W36–W47): calls and conversations.
    for (rep, calls, convs) in [("Anna", 120, 30), ("Ben", 240, 24), ("Cara", 60, 30)] {
        for (kind, n) in [("call", calls), ("conversation", convs)] {
            let input = ActivityInput {
                count: Some(n),
                occurred_at: Some("2026-10-14T10:00:00+00:00".into()),
                ..Default::default()
            };
            mia.log_activity(kind, input, Some(rep)).expect("log");
        }
    }
    let b = mia.benchmarks().expect("benchmarks");
    assert_eq!(b.through, "2026-W47");
    let v = |rep: &str, k: &str| b.rows.iter().find(|r| r.name == rep).and_then(|r| r.values[k]);
    assert_eq!(v("Anna", "call-per-week"), Some(10.0));
    assert_eq!(v("Ben", "call-per-week"), Some(20.0));
    assert_eq!(v("Cara", "conversations-per-call"), Some(0.5));
    assert_eq!(v("Ben", "conversations-per-call"), Some(0.1));
    assert_eq!(b.median["call-per-week"], Some(10.0), "median of 5, 10, 20");
    assert_eq!(b.median["conversations-per-call"], Some(0.25), "median of 0.1, 0.25, 0.5");
    assert_eq!(v("Anna", "meetings-per-conversation"), Some(0.0));
    assert_eq!(v("Anna", "proposals-per-meeting"), None, "no meetings: nothing to divide by");
    assert_eq!(b.median["win-rate"], None);
    // The 1-on-1 prep carries Anna's number beside the median.
    let prep = mia.prep(Some("Anna"), None).expect("prep");
    let row = prep.benchmarks.iter().find(|r| r.key == "call-per-week").expect("row");
    assert_eq!((row.rep, row.median), (Some(10.0), Some(10.0)));
}

#[test]
fn kudos_are_tied_to_an_activity_a_kept_commitment_or_a_won_deal() {
    let dir = tempfile::tempdir().expect("tmp");
    let clock = clock();
    let (mut mia, mut reps) = team(dir.path(), &clock, &["Anna", "Ben"]);
    let input = ActivityInput {
        account: Some(Some("Globex".into())),
        occurred_at: Some("2026-11-24T10:00:00+00:00".into()),
        ..Default::default()
    };
    let a = reps[0].log_activity("proposal", input, None).expect("log");
    let d = reps[0].add_deal("Globex renewal", 25_000, None, None, None, None).expect("deal");
    mia.merge_from(&dir.path().join("anna")).expect("merge");
    let k = mia.give_kudos_for("Anna", "Great proposal", Some(&format!("activity:{}", a.id))).expect("kudos");
    assert_eq!(k.about_label.as_deref(), Some("Proposals · Globex"));
    let err = mia.give_kudos_for("Anna", "Nice", Some(&format!("deal:{}", d.id))).expect_err("open deal");
    assert!(err.to_string().contains("not won"), "{err}");
    assert!(mia.give_kudos_for("Ben", "Not his", Some(&format!("activity:{}", a.id))).is_err());
    assert!(mia.give_kudos_for("Anna", "?", Some("call:123")).is_err());
    reps[0].close_deal(&d.id, true).expect("won");
    mia.merge_from(&dir.path().join("anna")).expect("merge");
    let k = mia.give_kudos_for("Anna", "Big win", Some(&format!("deal:{}", d.id))).expect("kudos");
    assert_eq!(k.about_label.as_deref(), Some("Won: Globex renewal (25000)"));
    // Last week's commitment: missed at first, kept once the proposal is logged.
    let c = mia
        .add_commitment("1 proposal", Some("proposal"), Some(1), Some("2026-W47".parse().expect("week")), Some("Anna"))
        .expect("commit");
    let why = format!("commitment:{}", c.id);
    let err = mia.give_kudos_for("Anna", "Kept it", Some(&why)).expect_err("missed");
    assert!(err.to_string().contains("is missed, not kept"), "{err}");
    let input = ActivityInput { occurred_at: Some("2026-11-18T10:00:00+00:00".into()), ..Default::default() };
    mia.log_activity("proposal", input, Some("Anna")).expect("log");
    let k = mia.give_kudos_for("Anna", "Kept it", Some(&why)).expect("kept");
    assert_eq!(k.about_label.as_deref(), Some("Kept: 1 proposal"));
    // The team sees them, with what they were for.
    reps[1].merge_from(&dir.path().join("mia")).expect("merge");
    let feed = reps[1].kudos().expect("feed");
    assert!(feed.iter().any(|k| k.about_label.as_deref() == Some("Won: Globex renewal (25000)")));
}

#[test]
fn development_plans_link_skills_to_scores_and_overdue_milestones_show() {
    let dir = tempfile::tempdir().expect("tmp");
    let clock = clock();
    let (mut mia, mut reps) = team(dir.path(), &clock, &["Anna"]);
    mia.assess(Some("Anna"), "discovery-call", &[("pain".into(), "poor".into()), ("rapport".into(), "good".into())])
        .expect("assess");
    let plan = mia.dev_plan(Some("Anna")).expect("plan");
    let suggested: Vec<_> =
        plan.suggested.iter().map(|s| (s.interaction.as_str(), s.criterion.as_str(), s.manager)).collect();
    assert_eq!(suggested, vec![("discovery-call", "pain", 1)], "poor ≤ fair; good is not");
    mia.dev_add_skill(Some("Anna"), "discovery-call", "pain").expect("skill");
    assert!(mia.dev_add_skill(Some("Anna"), "discovery-call", "pain").is_err(), "already in the plan");
    assert!(mia.dev_add_skill(Some("Anna"), "discovery-call", "charm").is_err());
    let m = mia.dev_add_milestone(Some("Anna"), "Role-play pain questions", "2026-11-20").expect("milestone");
    mia.dev_add_milestone(Some("Anna"), "Record two discovery calls", "2026-12-10").expect("milestone");
    // Anna adds a goal on her phone while Mia adds one on her laptop: both land.
    reps[0].merge_from(&dir.path().join("mia")).expect("merge");
    mia.dev_add_goal(Some("Anna"), "Qualify budget on every first call").expect("goal");
    let g = reps[0].dev_add_goal(None, "Two referrals a week").expect("goal");
    mia.merge_from(&dir.path().join("anna")).expect("merge");
    reps[0].merge_from(&dir.path().join("mia")).expect("merge");
    let plan = mia.dev_plan(Some("Anna")).expect("plan");
    assert_eq!(plan.goals.len(), 2, "{:#?}", plan.goals);
    assert_eq!(plan.skills.len(), 1);
    assert_eq!((plan.skills[0].manager, plan.skills[0].own), (Some(1), None));
    assert!(plan.suggested.is_empty());
    assert_eq!(plan.milestones.len(), 2);
    assert_eq!(plan.overdue.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), vec![m.id.as_str()]);
    assert_eq!(reps[0].dev_plan(None).expect("anna's view").goals.len(), 2);
    // The overdue milestone shows up like an overdue action item.
    let signs = mia.signs(Some("Anna")).expect("signs");
    let overdue = signs.iter().find(|s| s.kind == "overdue-actions").expect("overdue");
    assert!(overdue.message.contains("milestone: Role-play pain questions"), "{}", overdue.message);
    assert!(mia.reconciliation(Some("Anna")).expect("reconcile").iter().any(|a| a.id == m.id));
    reps[0].dev_goal_done(&g.id, true).expect("reached");
    assert!(reps[0].dev_plan(None).expect("plan").goals.iter().any(|x| x.id == g.id && x.done));
    assert!(mia.dev_goal_done(&plan.skills[0].entry.id, true).is_err(), "a skill is removed, not reached");
    mia.dev_remove(&plan.skills[0].entry.id).expect("remove");
    assert!(mia.dev_plan(Some("Anna")).expect("plan").skills.is_empty());
    assert!(mia.prep(Some("Anna"), None).expect("prep").development.overdue.len() == 1);
}

#[test]
fn cadence_and_ratings_from_both_sides() {
    let dir = tempfile::tempdir().expect("tmp");
    let clock = clock();
    let (mut mia, mut reps) = team(dir.path(), &clock, &["Anna", "Ben"]);
    let m1 = mia.open_meeting(Some("Anna"), "one-on-one", Some("2026-11-04")).expect("open").meeting;
    let m2 = mia.open_meeting(Some("Anna"), "one-on-one", Some("2026-11-18")).expect("open").meeting;
    mia.open_meeting(Some("Anna"), "deal-review", Some("2026-11-24")).expect("not a 1-on-1");
    mia.rate_meeting(&m1.id, 5, None).expect("rate");
    mia.rate_meeting(&m2.id, 4, None).expect("rate");
    assert!(mia.rate_meeting(&m2.id, 4, Some("comment")).is_err(), "the comment is the rep's");
    reps[0].merge_from(&dir.path().join("mia")).expect("merge");
    reps[0].rate_meeting(&m1.id, 2, Some("Too much status, not enough coaching")).expect("rate");
    reps[0].rate_meeting(&m2.id, 4, None).expect("rate");
    let before = fingerprint(&reps[0]);
    assert!(reps[0].rate_meeting(&m2.id, 6, None).is_err());
    assert!(reps[0].rate_meeting(&m2.id, 0, None).is_err());
    assert_eq!(fingerprint(&reps[0]), before);
    mia.merge_from(&dir.path().join("anna")).expect("merge");
    let h = mia.coaching_habit().expect("habit");
    assert_eq!(h.cadence_days, 7);
    let anna = h.reps.iter().find(|c| c.rep.name == "Anna").expect("anna");
    assert_eq!((anna.last.as_deref(), anna.days_since, anna.held_30d), (Some("2026-11-18"), Some(7), 2));
    assert_eq!(anna.expected_30d, 4.3);
    assert!(anna.due, "7 days since, cadence 7");
    assert_eq!((anna.rep_avg, anna.manager_avg), (Some(3.0), Some(4.5)));
    assert_eq!((anna.rep_useful_pct, anna.manager_useful_pct), (Some(50.0), Some(100.0)));
    let comments: Vec<_> = anna.comments.iter().map(|c| (c.date.as_str(), c.rating, c.comment.as_str())).collect();
    assert_eq!(comments, vec![("2026-11-04", 2, "Too much status, not enough coaching")]);
    let ben = h.reps.iter().find(|c| c.rep.name == "Ben").expect("ben");
    assert_eq!((ben.last.clone(), ben.held_30d, ben.due), (None, 0, true));
    assert_eq!((h.rep_avg, h.manager_avg), (Some(3.0), Some(4.5)));
    mia.set_thresholds(&[("cadence_days".into(), 14)]).expect("fortnightly");
    let anna = mia.coaching_habit().expect("habit").reps.into_iter().find(|c| c.rep.name == "Anna").expect("anna");
    assert_eq!((anna.due, anna.expected_30d), (false, 2.1));
    // Anna sees her own ratings, not the manager's self-rating.
    let own = reps[0].coaching_habit().expect("own");
    assert_eq!((own.reps.len(), own.reps[0].rep_avg, own.reps[0].manager_avg), (1, Some(3.0), None));
    assert!(matches!(reps[1].rate_meeting(&m1.id, 3, None), Err(CoreError::NotFound(_))), "not Ben's meeting");
}

#[test]
fn teams_edit_their_agendas_and_assessment_maps() {
    let dir = tempfile::tempdir().expect("tmp");
    let clock = clock();
    let (mut mia, mut reps) = team(dir.path(), &clock, &["Anna"]);
    let items = vec!["Wins".to_string(), "Numbers".into(), "  ".into(), "Next week".into()];
    let questions = vec!["What will you do differently?".to_string()];
    let a = mia.set_agenda("one-on-one", Some((&items, &questions))).expect("agenda");
    assert_eq!(a.items, vec!["Wins", "Numbers", "Next week"]);
    let m = mia.open_meeting(Some("Anna"), "one-on-one", None).expect("open");
    assert_eq!(m.meeting.agenda, "Wins\nNumbers\nNext week");
    assert_eq!(m.agenda.questions, questions);
    assert!(mia.set_agenda("party", Some((&items, &questions))).is_err());
    assert!(mia.set_agenda("one-on-one", Some((&[], &questions))).is_err());
    assert!(matches!(reps[0].set_agenda("one-on-one", None), Err(CoreError::NotAllowed(_))));
    reps[0].merge_from(&dir.path().join("mia")).expect("merge");
    assert_eq!(reps[0].agenda("one-on-one").expect("agenda").items.len(), 3, "the rep sees the team's agenda");
    // A new interaction type with its own criteria.
    let crit = vec!["opener".to_string(), "reason-for-call".into()];
    assert_eq!(mia.set_criteria("cold-call", Some(&crit)).expect("criteria"), crit);
    assert!(mia.interactions().expect("types").contains(&"cold-call".to_string()));
    mia.assess(Some("Anna"), "cold-call", &[("opener".into(), "fair".into())]).expect("assess");
    assert!(mia.assess(Some("Anna"), "cold-call", &[("pain".into(), "fair".into())]).is_err());
    assert!(mia.set_criteria("cold-call", Some(&["Bad Key!".to_string()])).is_err());
    // Changing a default map, then back.
    mia.set_criteria("demo", Some(&["story".to_string()])).expect("criteria");
    assert_eq!(mia.criteria("demo").expect("demo"), vec!["story"]);
    mia.set_criteria("demo", None).expect("reset");
    assert_eq!(mia.criteria("demo").expect("demo").len(), 4, "the default again");
    mia.set_agenda("one-on-one", None).expect("reset");
    assert_eq!(mia.agenda("one-on-one").expect("agenda"), kept_core::agenda::default_agenda("one-on-one").expect("d"));
}

#[test]
fn csv_import_with_an_explicit_column_mapping() {
    let dir = tempfile::tempdir().expect("tmp");
    let clock = clock();
    let (_mia, mut reps) = team(dir.path(), &clock, &["Anna"]);
    let anna = &mut reps[0];
    let csv = "Activity date,Activity type,Company name,Body\n\
               2026-11-23 09:30,Logged call,Globex,Left a voicemail\n\
               2026-11-23 10:00,Meeting booked,Initech,Demo on Friday\n\
               2026-11-24,logged call,Hooli,\n\
               2026-11-24,Fax,Hooli,\n";
    let map = ColumnMap::parse(
        &["date=Activity date".into(), "type=Activity type".into(), "account=Company name".into(), "note=Body".into()],
        &["Logged call=call".into(), "Meeting booked=meeting-set".into()],
    )
    .expect("map");
    let before = fingerprint(anna);
    let dry = anna.import_csv_mapped(csv.as_bytes(), None, ImportMode::DryRun, &map).expect("dry run");
    assert_eq!((dry.good, dry.imported, dry.rejected.len()), (3, 0, 1));
    assert_eq!(dry.rejected[0].line, 5);
    assert!(dry.rejected[0].reason.contains("unknown activity type 'Fax'"), "{}", dry.rejected[0].reason);
    let err = anna.import_csv_mapped(csv.as_bytes(), None, ImportMode::AllOrNothing, &map).expect_err("one bad row");
    assert!(err.to_string().contains("line 5"), "{err}");
    assert_eq!(fingerprint(anna), before, "nothing written");
    let done = anna.import_csv_mapped(csv.as_bytes(), None, ImportMode::SkipBad, &map).expect("good rows");
    assert_eq!(done.imported, 3);
    let acts = anna.activities(None, None, false).expect("activities");
    assert_eq!(acts.iter().filter(|a| a.kind == "call").count(), 2);
    let meeting = acts.iter().find(|a| a.kind == "meeting-set").expect("meeting");
    assert_eq!((meeting.account.as_deref(), meeting.note.as_deref()), (Some("Initech"), Some("Demo on Friday")));
    // A mapping that names a missing column or an unknown field is refused up front.
    let bad = ColumnMap::parse(&["date=When".into()], &[]).expect("parses");
    let err = anna.import_csv_mapped(csv.as_bytes(), None, ImportMode::DryRun, &bad).expect_err("no such column");
    assert!(err.to_string().contains("has Activity date, Activity type, Company name, Body"), "{err}");
    assert!(ColumnMap::parse(&["colour=Body".into()], &[]).is_err());
    assert!(ColumnMap::parse(&["date".into()], &[]).is_err());
    let wrong_type = ColumnMap::parse(&[], &["Logged call=telegram".into()]).expect("parses");
    assert!(anna.import_csv_mapped(csv.as_bytes(), None, ImportMode::DryRun, &wrong_type).is_err());
}

#[test]
fn every_table_exports_as_csv_and_a_rep_exports_only_their_own() {
    use kept_core::records::RecordKind;
    let dir = tempfile::tempdir().expect("tmp");
    let clock = clock();
    let (mut mia, mut reps) = team(dir.path(), &clock, &["Anna", "Ben"]);
    mia.set_target("call", 40, Some("Anna"), None).expect("target");
    mia.add_commitment("6 meetings", Some("meeting-set"), Some(6), None, Some("Anna")).expect("commit");
    mia.add_deal("Globex, renewal", 25_000, None, Some(Kare::Keep), None, Some("Anna")).expect("deal");
    mia.add_deal("Initech", 9_000, None, None, None, Some("Ben")).expect("deal");
    let m = mia.open_meeting(Some("Anna"), "one-on-one", Some("2026-11-24")).expect("meeting").meeting;
    mia.rate_meeting(&m.id, 5, None).expect("rate");
    mia.assess(Some("Anna"), "demo", &[("agenda-agreed".into(), "good".into()), ("next-step".into(), "poor".into())])
        .expect("assess");
    mia.give_kudos("Anna", "Great week").expect("kudos");
    let rows = |k: &Kept, what: RecordKind| -> Vec<csv::StringRecord> {
        let mut buf = Vec::new();
        let n = k.export_csv(what, &mut buf).expect("export");
        let mut r = csv::Reader::from_reader(buf.as_slice());
        let all: Vec<csv::StringRecord> = r.records().map(|x| x.expect("row")).collect();
        assert_eq!(all.len(), n, "{what:?}: the count returned is the rows written");
        all
    };
    // Every table the registry names exports; a kind exported within another is refused with where it is.
    for (table, kind) in RecordKind::export_tables() {
        assert_eq!(kept_core::export::table(table).expect("table"), kind);
        rows(&mia, kind);
    }
    let within = mia.export_csv(RecordKind::MeetingRating, Vec::new()).expect_err("within meetings");
    assert!(within.to_string().contains("exported within meetings"), "{within}");
    mia.dev_add_goal(Some("Anna"), "Run her own demos").expect("dev goal");
    let dev = rows(&mia, RecordKind::DevEntry);
    assert_eq!((&dev[0][1], &dev[0][2], &dev[0][4]), ("Anna", "goal", "Run her own demos"));
    let deals = rows(&mia, RecordKind::Deal);
    assert_eq!(deals.len(), 2);
    let globex = deals.iter().find(|r| &r[2] == "Globex, renewal").expect("quoted comma survives");
    assert_eq!((&globex[1], &globex[3], &globex[5], &globex[7]), ("Anna", "25000", "keep", "open"));
    let meetings = rows(&mia, RecordKind::Meeting);
    assert_eq!((&meetings[0][1], &meetings[0][3], &meetings[0][7]), ("Anna", "2026-11-24", "5"));
    let scores = rows(&mia, RecordKind::SelfAssessment);
    assert_eq!(scores.len(), 2, "one row per criterion");
    assert!(scores.iter().any(|r| &r[5] == "next-step" && &r[6] == "poor" && &r[3] == "Mia"));
    assert_eq!(
        rows(&mia, RecordKind::Target)[0].iter().collect::<Vec<_>>(),
        ["Anna", "call", "from 2026-W48", "40", "Mia"]
    );
    assert_eq!(&rows(&mia, RecordKind::Commitment)[0][6], "6 meetings");
    assert_eq!(&rows(&mia, RecordKind::Kudos)[0][2], "Anna");
    // Ben's device holds only his own records and the team's.
    reps[1].merge_from(&dir.path().join("mia")).expect("merge");
    let bens = rows(&reps[1], RecordKind::Deal);
    assert_eq!(bens.iter().map(|r| r[2].to_string()).collect::<Vec<_>>(), ["Initech"]);
    assert!(rows(&reps[1], RecordKind::Meeting).is_empty());
    let unknown = kept_core::export::table("nonsense").expect_err("unknown").to_string();
    assert!(unknown.contains("deals") && unknown.contains("meetings") && unknown.contains("development"), "{unknown}");
}

#[test]
fn prep_lists_every_open_item_this_weeks_commitments_and_what_changed_since_the_last_one_on_one() {
    let dir = tempfile::tempdir().expect("tmp");
    let clock = clock(); // Wednesday 2026-11-25
    let (mut mia, _reps) = team(dir.path(), &clock, &["Anna"]);
    assert_eq!(mia.prep(Some("Anna"), None).expect("prep").since_last, None, "no 1-on-1 yet");
    let last = mia.open_meeting(Some("Anna"), "one-on-one", Some("2026-11-18")).expect("meeting").meeting;
    let from_meeting =
        mia.meeting_action(&last.id, "Send the Globex proposal", "2026-11-20", Some("Anna")).expect("item");
    mia.action_done(&from_meeting.id, "sent").expect("done");
    mia.add_action("Book two demos", "2026-12-04", Some("Anna"), Some("Anna")).expect("later item");
    mia.add_action("Call Initech back", "2026-11-23", Some("Anna"), Some("Anna")).expect("overdue item");
    mia.add_action("Sweep the CRM", "2026-12-30", Some("Anna"), Some("Anna")).expect("far item");
    mia.add_commitment("6 meetings", Some("meeting-set"), Some(6), None, Some("Anna")).expect("commit");
    for (kind, n) in [("call", 12), ("meeting-set", 2)] {
        let input = ActivityInput {
            count: Some(n),
            occurred_at: Some("2026-11-24T10:00:00+00:00".into()),
            ..Default::default()
        };
        mia.log_activity(kind, input, Some("Anna")).expect("log");
    }
    let prep = mia.prep(Some("Anna"), None).expect("prep");
    // Every open item, overdue first, then by due date; the done one is not open.
    let open: Vec<&str> = prep.open_items.iter().map(|a| a.text.as_str()).collect();
    assert_eq!(open, ["Call Initech back", "Book two demos", "Sweep the CRM"]);
    assert_eq!(prep.commitments.len(), 1);
    assert_eq!(prep.commitments[0].commitment.text, "6 meetings");
    let since = prep.since_last.expect("since the 18th");
    assert_eq!(since.date, "2026-11-18");
    assert_eq!((since.activities["call"], since.activities["meeting-set"]), (12, 2));
    assert_eq!((since.items_added, since.items_done), (4, 1));
    assert!(prep.signs.len() <= 3, "what to talk about first: {:?}", prep.signs);
}

#[test]
fn meeting_notes_typed_on_two_devices_at_once_keep_both_texts() {
    let dir = tempfile::tempdir().expect("tmp");
    let clock = clock();
    let (mut mia, mut reps) = team(dir.path(), &clock, &["Anna"]);
    let m = mia.open_meeting(Some("Anna"), "one-on-one", Some("2026-11-25")).expect("meeting").meeting;
    mia.meeting_notes(&m.id, "Agenda agreed.\n").expect("notes");
    reps[0].merge_from(&dir.path().join("mia")).expect("anna gets the meeting");
    // Offline, at the same time: Mia adds at the end, Anna at the start.
    mia.meeting_notes(&m.id, "Agenda agreed.\nMia: send Globex pricing by Friday.\n").expect("mia types");
    reps[0].meeting_notes(&m.id, "Anna: the demo went well.\nAgenda agreed.\n").expect("anna types");
    reps[0].merge_from(&dir.path().join("mia")).expect("merge both ways");
    for k in [&mia, &reps[0]] {
        let notes = k.meetings(Some("Anna")).expect("meetings").into_iter().find(|x| x.id == m.id).expect("m").notes;
        assert!(notes.contains("Mia: send Globex pricing by Friday."), "{notes}");
        assert!(notes.contains("Anna: the demo went well."), "{notes}");
        assert_eq!(notes.matches("Agenda agreed.").count(), 1, "the shared line once: {notes}");
    }
}

#[test]
fn a_sign_acknowledged_with_a_note_leaves_the_short_list_for_the_week_and_stays_in_the_record() {
    let dir = tempfile::tempdir().expect("tmp");
    let clock = clock(); // Wednesday 2026-11-25, week 2026-W48
    let (mut mia, mut reps) = team(dir.path(), &clock, &["Anna"]);
    mia.add_action("Call Initech back", "2026-11-23", Some("Anna"), Some("Anna")).expect("overdue item");
    let kinds = |k: &Kept| k.top_signs(Some("Anna")).expect("signs").into_iter().map(|s| s.kind).collect::<Vec<_>>();
    assert!(kinds(&mia).contains(&"overdue-actions".to_string()), "{:?}", kinds(&mia));
    let err = mia.acknowledge_sign("Anna", "silence", "x").expect_err("no such sign this week");
    assert!(matches!(err, CoreError::NotFound(_)), "{err}");
    let n = mia.acknowledge_sign("Anna", "overdue-actions", "Initech is on holiday until Monday").expect("ack");
    assert_eq!(n.week, "2026-W48");
    assert!(n.message.contains("Call Initech back"), "{}", n.message);
    // Out of the short list, still in the full one with the note.
    assert!(!kinds(&mia).contains(&"overdue-actions".to_string()));
    let all = mia.signs(Some("Anna")).expect("all");
    let sign = all.iter().find(|s| s.kind == "overdue-actions").expect("still a sign");
    assert_eq!(sign.acknowledged.as_deref(), Some("Initech is on holiday until Monday"));
    // In the rep's coaching record: the prep and the rep's own device.
    assert_eq!(mia.prep(Some("Anna"), None).expect("prep").sign_notes.len(), 1);
    reps[0].merge_from(&dir.path().join("mia")).expect("merge");
    assert_eq!(reps[0].sign_notes(None).expect("notes")[0].note, "Initech is on holiday until Monday");
    assert!(reps[0].acknowledge_sign("Anna", "overdue-actions", "mine").is_err(), "managers only");
    // Next week the sign is back (the item is still overdue); the note stays.
    clock.set(Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).single().expect("valid"));
    assert!(kinds(&mia).contains(&"overdue-actions".to_string()));
    assert_eq!(mia.sign_notes(Some("Anna")).expect("notes").len(), 1);
}

#[test]
fn a_notes_box_saving_from_an_older_text_keeps_what_the_other_side_typed_meanwhile() {
    let dir = tempfile::tempdir().expect("tmp");
    let clock = clock();
    let (mut mia, mut reps) = team(dir.path(), &clock, &["Anna"]);
    let m = mia.open_meeting(Some("Anna"), "one-on-one", Some("2026-11-25")).expect("meeting").meeting;
    let shown = mia.meeting_notes_edit(&m.id, &m.notes, &m.notes_heads, "Agenda agreed.\n").expect("notes");
    reps[0].merge_from(&dir.path().join("mia")).expect("anna gets the meeting");
    // Anna types on her phone (with umlauts and an emoji) while Mia's box still shows `shown`.
    let on_phone = reps[0].meetings(None).expect("meetings").remove(0);
    let anna_text = "Agenda agreed.\nAnna: Müller pipeline 🚀\n";
    reps[0].meeting_notes_edit(&m.id, &on_phone.notes, &on_phone.notes_heads, anna_text).expect("anna");
    mia.merge_from(&dir.path().join("anna")).expect("mia gets Anna's text");
    // Mia's box saves her typing from the text it showed: Anna's line stays.
    let mia_text = "Mia: two call blocks a day\nAgenda agreed.\n";
    let after = mia.meeting_notes_edit(&m.id, &shown.notes, &shown.notes_heads, mia_text).expect("mia");
    assert_eq!(after.notes, "Mia: two call blocks a day\nAgenda agreed.\nAnna: Müller pipeline 🚀\n");
    // Who wrote in them: both, each under their own key.
    let writers: Vec<&String> = after.notes_by.keys().collect();
    assert_eq!(writers.len(), 2, "{:?}", after.notes_by);
    assert!(after.notes_by.contains_key(&mia.me().id) && after.notes_by.contains_key(&reps[0].me().id));
    // A deletion from the older text deletes only what Mia saw.
    let later = mia.meeting_notes_edit(
        &m.id,
        &after.notes,
        &after.notes_heads,
        after.notes.replace("Agenda agreed.\n", "").as_str(),
    );
    assert_eq!(later.expect("delete").notes, "Mia: two call blocks a day\nAnna: Müller pipeline 🚀\n");
    // Without known heads (an older app) it is the plain smallest edit, as before.
    let plain = mia.meeting_notes_edit(&m.id, "x", &["not-a-hash".into()], "Only this").expect("plain");
    assert_eq!(plain.notes, "Only this");
}

#[test]
fn a_manager_sets_the_teams_locale_and_currency_and_bad_ones_are_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let clock = clock();
    let (mut mia, mut reps) = team(dir.path(), &clock, &["Anna"]);
    let t = mia.team().expect("team");
    assert_eq!((t.locale.as_str(), t.currency.as_str()), ("", ""), "defaults: the device's locale, USD");
    let t = mia.set_team_format(Some("de-DE"), Some("eur")).expect("format");
    assert_eq!((t.locale.as_str(), t.currency.as_str()), ("de-DE", "EUR"));
    for (locale, currency) in [(Some("de_DE<script>"), None), (None, Some("EURO")), (Some("x"), None)] {
        let err = mia.set_team_format(locale, currency).expect_err("refused");
        assert!(matches!(err, CoreError::Invalid(_)), "{err}");
    }
    assert_eq!(mia.team().expect("team").locale, "de-DE", "a refused change changes nothing");
    reps[0].merge_from(&dir.path().join("mia")).expect("merge");
    assert_eq!(reps[0].team().expect("team").currency, "EUR", "the rep's device writes amounts in euros");
    assert!(reps[0].set_team_format(Some("fr-FR"), None).is_err(), "managers only");
    let t = mia.set_team_format(Some(""), None).expect("reset");
    assert_eq!((t.locale.as_str(), t.currency.as_str()), ("", "EUR"));
}

#[test]
fn the_rep_is_told_in_words_what_her_manager_changed_for_her() {
    let dir = tempfile::tempdir().expect("tmp");
    let clock = clock();
    let (mut mia, mut reps) = team(dir.path(), &clock, &["Anna"]);
    reps[0].merge_from(&dir.path().join("mia")).expect("merge");
    assert!(reps[0].news_to_notify().expect("first look").is_empty(), "nothing old pops up on a new device");
    clock.set(at(2026, 11, 25) + chrono::Duration::hours(8));
    mia.set_target("call", 60, Some("Anna"), None).expect("target");
    mia.add_action("Send Globex the case study", "2026-11-27", Some("Anna"), Some("Anna")).expect("action");
    mia.give_kudos("Anna", "Three demos booked!").expect("kudos");
    mia.challenge_set(&kept_core::service::NewChallenge {
        prompt: "Handle the price objection".into(),
        interaction: "negotiation".into(),
        due: "2026-11-30".into(),
        reps: vec![],
    })
    .expect("challenge");
    reps[0].set_target("conversation", 12, None, None).expect("her own target is no news");
    reps[0].merge_from(&dir.path().join("mia")).expect("merge");
    let news = reps[0].news(None).expect("news");
    let texts: Vec<&str> = news.iter().map(|n| n.text.as_str()).collect();
    assert!(
        texts.iter().any(|t| t.starts_with("Mia set your Calls target to 60 a week starting 2026-W48")),
        "{texts:#?}"
    );
    assert!(texts.contains(&"New action item from Mia: Send Globex the case study"), "{texts:#?}");
    assert!(texts.contains(&"Kudos from Mia: Three demos booked!"), "{texts:#?}");
    assert!(
        texts.iter().any(|t| t.starts_with("New practice challenge from Mia: Handle the price objection")),
        "{texts:#?}"
    );
    assert!(!texts.iter().any(|t| t.contains("Conversations")), "her own change is not news: {texts:#?}");
    // Raised once: the next look has nothing new until something changes again.
    assert_eq!(reps[0].news_to_notify().expect("notify").len(), news.len());
    assert!(reps[0].news_to_notify().expect("again").is_empty());
    clock.set(at(2026, 11, 25) + chrono::Duration::hours(9));
    mia.set_target("call", 50, Some("Anna"), None).expect("target lowered");
    reps[0].merge_from(&dir.path().join("mia")).expect("merge");
    let again = reps[0].news_to_notify().expect("notify");
    assert_eq!(again.len(), 1, "{again:#?}");
    assert!(again[0].text.contains("to 50"), "{}", again[0].text);
    assert!(mia.news(None).expect("manager").is_empty(), "news is the rep's");
}
