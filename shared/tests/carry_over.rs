//! Carry-over of a home used on one device only into a team identity: one
//! record of EVERY kind in the registry is made in the old home, carried
//! over, and found again through the API under the new identity, links kept.
//! `make` and `found` match on every kind: a kind added to the registry
//! without a case here does not compile.

use chrono::{TimeZone, Utc};
use kept_core::docs::DocId;
use kept_core::model::{ActivityInput, ActivityType, Role};
use kept_core::records::RecordKind;
use kept_core::{FixedClock, IdSource, InitOptions, Kept};
use std::sync::Arc;

/// Wednesday 2026-11-25 16:00 UTC (week 2026-W48).
fn clock() -> FixedClock {
    FixedClock::new(Utc.with_ymd_and_hms(2026, 11, 25, 16, 0, 0).single().expect("valid"))
}

fn home(dir: &std::path::Path, name: &str, team: &str, role: Role, seed: u64) -> Kept {
    let opts = InitOptions { team: team.into(), me: "Sam".into(), role, time_zone: None, week_start: None };
    Kept::init(&dir.join(name), opts, Arc::new(clock()), IdSource::seeded(seed)).expect("init")
}

/// What the old home made, to find again.
#[derive(Default)]
struct Made {
    deal: String,
    meeting: String,
    activity: String,
    session: String,
}

/// The calibration session a rep's score refers to (made on another device).
const SESSION: &str = "0190f0a0-0000-7000-8000-00000000c001";
/// A practice challenge set on another device.
const CHALLENGE: &str = "0190f0a0-0000-7000-8000-00000000d001";
/// The answer's recording.
const RECORDING: &[u8] = b"RIFF-pretend-recording";

/// Writes a record straight into one of my documents (what another device
/// would have written, merged in offline).
fn raw(k: &mut Kept, doc: DocId, map: &str, id: &str, fields: &[(&str, automerge::ScalarValue)]) {
    use automerge::transaction::Transactable;
    use automerge::ReadDoc;
    let time = 1_764_000_000;
    k.store_mut()
        .write(|tx| {
            tx.edit(&doc, time, |d| {
                let coll = match d.get(automerge::ROOT, map)? {
                    Some((automerge::Value::Object(_), o)) => o,
                    _ => panic!("no root map {map}"),
                };
                let o = d.put_object(&coll, id, automerge::ObjType::Map)?;
                for (f, v) in fields {
                    d.put(&o, *f, v.clone())?;
                }
                if map == "assessments" || map == "calibration_scores" {
                    let scores = d.put_object(&o, "scores", automerge::ObjType::Map)?;
                    d.put(&scores, "next-step", 3i64)?;
                }
                Ok(())
            })
        })
        .expect("raw write");
}

fn make(k: &mut Kept, kind: RecordKind, made: &mut Made) {
    let me = k.me().id.clone();
    match kind {
        RecordKind::Settings => {
            k.set_team_settings(None, Some("Europe/Berlin"), None, None).expect("settings");
        }
        RecordKind::ActivityType => {
            let t = ActivityType {
                key: "demo".into(),
                label: "Demos".into(),
                default_kare: None,
                leading: true,
                position: 9,
                retired: false,
            };
            k.upsert_activity_type(&t).expect("type");
        }
        RecordKind::Agenda => {
            k.set_agenda("one-on-one", Some((&["Wins".to_string()], &["What went well?".to_string()])))
                .expect("agenda");
        }
        RecordKind::Criteria => {
            k.set_criteria("negotiation", Some(&["opening".to_string(), "close".to_string()])).expect("criteria");
        }
        RecordKind::Kudos => {
            k.give_kudos("Sam", "Great week").expect("kudos");
        }
        RecordKind::Deal => {
            made.deal = k.add_deal("Globex", 12_000, None, None, None, None).expect("deal").id;
        }
        RecordKind::Activity => {
            let input = ActivityInput { deal: Some(Some(made.deal.clone())), ..Default::default() };
            made.activity = k.log_activity("call", input, None).expect("log").id;
        }
        RecordKind::Target => k.set_target("call", 30, None, None).expect("target"),
        RecordKind::Commitment => {
            k.add_commitment("Book two demos", None, None, None, None).expect("commitment");
        }
        RecordKind::Goal => {
            let goal = kept_core::funnel::Goal {
                income: 120_000.0,
                commission: 0.1,
                deal_size: 10_000.0,
                working_weeks: 46.0,
            };
            let plan = k.plan_goal(goal, None).expect("plan");
            k.agree_plan(&plan, None).expect("agree");
        }
        RecordKind::ActionItem => {
            k.add_action("Send pricing", "2026-12-01", None, None).expect("action");
        }
        RecordKind::Meeting => {
            made.meeting = k.open_meeting(None, "one-on-one", Some("2026-11-24")).expect("meeting").meeting.id;
        }
        RecordKind::SelfAssessment => {
            k.assess(None, "demo", &[("next-step".into(), "good".into())]).expect("self-assessment");
        }
        RecordKind::DevEntry => {
            k.dev_add_goal(None, "Run my own demos").expect("dev goal");
        }
        RecordKind::ManagerAssessment => raw(
            k,
            DocId::review(&me),
            "assessments",
            "0190f0a0-0000-7000-8000-00000000a001",
            &[
                ("interaction", "demo".into()),
                ("self", false.into()),
                ("by", me.as_str().into()),
                ("at", "2026-11-20T10:00:00+00:00".into()),
            ],
        ),
        RecordKind::MeetingRating => raw(
            k,
            DocId::review(&me),
            "ratings",
            &made.meeting.clone(),
            &[("rating", 4i64.into()), ("by", me.as_str().into()), ("at", "2026-11-24T12:00:00+00:00".into())],
        ),
        RecordKind::Calibration => {
            made.session = k.calibration_start("Discovery call", "demo", "The recording").expect("session").id;
        }
        RecordKind::CalibrationScore if made.session.is_empty() => {
            let doc = DocId::coaching(&me);
            k.store_mut().write(|tx| tx.ensure_root_map(&doc, "calibration_scores")).expect("root map");
            made.session = SESSION.into();
            let at = "2026-11-20T10:00:00+00:00";
            raw(k, doc, "calibration_scores", SESSION, &[("by", me.as_str().into()), ("at", at.into())]);
        }
        RecordKind::CalibrationScore => {
            k.calibration_score(&made.session.clone(), &[("next-step".into(), "good".into())]).expect("score");
        }
        RecordKind::Challenge => {
            let doc = DocId::coaching(&me);
            k.store_mut().write(|tx| tx.ensure_root_map(&doc, "challenges")).expect("root map");
            let fields = [
                ("prompt", "Pitch product X".into()),
                ("interaction", "demo".into()),
                ("due", "2026-11-30".into()),
                ("by", me.as_str().into()),
                ("at", "2026-11-20T10:00:00+00:00".into()),
            ];
            raw(k, doc, "challenges", CHALLENGE, &fields);
            k.challenge_answer(CHALLENGE, RECORDING, "audio/wav", Some(1000)).expect("answer");
        }
        RecordKind::ChallengeComment => {
            let doc = DocId::review(&me);
            k.store_mut().write(|tx| tx.ensure_root_map(&doc, "challenge_comments")).expect("root map");
            let fields = [
                ("challenge", CHALLENGE.into()),
                ("at_ms", 500i64.into()),
                ("text", "Slow down here".into()),
                ("by", me.as_str().into()),
                ("at", "2026-11-21T10:00:00+00:00".into()),
            ];
            raw(k, doc, "challenge_comments", "0190f0a0-0000-7000-8000-00000000d002", &fields);
        }
        RecordKind::SignNote => {
            let doc = DocId::review(&me);
            k.store_mut().write(|tx| tx.ensure_root_map(&doc, "sign_notes")).expect("root map");
            let fields = [
                ("kind", "missed-pattern".into()),
                ("week", "2026-W47".into()),
                ("note", "Agreed to focus on demos this week".into()),
                ("by", me.as_str().into()),
                ("at", "2026-11-19T10:00:00+00:00".into()),
            ];
            raw(k, doc, "sign_notes", "0190f0a0-0000-7000-8000-00000000e001", &fields);
        }
    }
}

/// Is the record of `kind` there in the new home, under the new identity?
fn found(k: &Kept, kind: RecordKind, made: &Made) -> bool {
    let me = k.me().id.clone();
    match kind {
        RecordKind::Settings => {
            let t = k.team().expect("team");
            t.time_zone == "Europe/Berlin" && t.name == "Acme"
        }
        RecordKind::ActivityType => k.team().expect("team").catalog.iter().any(|t| t.key == "demo"),
        RecordKind::Agenda => k.agenda("one-on-one").expect("agenda").items == ["Wins"],
        RecordKind::Criteria => k.criteria("negotiation").expect("criteria") == ["opening", "close"],
        RecordKind::Kudos => k.kudos().expect("kudos").iter().any(|x| x.text == "Great week" && x.to == me),
        RecordKind::Activity => k
            .activities(None, None, false)
            .expect("activities")
            .iter()
            .any(|a| a.id == made.activity && a.logged_by == me && a.deal.as_deref() == Some(made.deal.as_str())),
        RecordKind::Target => k.targets(None, None).expect("targets").get("call") == Some(&30),
        RecordKind::Commitment => {
            k.commitments(None, None).expect("commitments").iter().any(|c| c.commitment.text == "Book two demos")
        }
        RecordKind::Goal => {
            k.agreed_goal(None).expect("goal").is_some_and(|g| g.goal.income == 120_000.0 && g.agreed_by == me)
        }
        RecordKind::Deal => k.deals(None, true).expect("deals").iter().any(|d| d.id == made.deal),
        RecordKind::ActionItem => k
            .action_items(&Default::default())
            .expect("actions")
            .iter()
            .any(|a| a.text == "Send pricing" && a.owner == me),
        RecordKind::Meeting => k.meetings(None).expect("meetings").iter().any(|m| m.id == made.meeting),
        RecordKind::SelfAssessment => {
            k.assessments(None).expect("assessments").iter().any(|a| a.by_self && a.by == me && a.interaction == "demo")
        }
        RecordKind::DevEntry => k.dev_plan(None).expect("dev plan").goals.iter().any(|g| g.text == "Run my own demos"),
        RecordKind::ManagerAssessment => {
            k.assessments(None).expect("assessments").iter().any(|a| !a.by_self && a.by == me)
        }
        RecordKind::MeetingRating => {
            k.meetings(None).expect("meetings").iter().any(|m| m.id == made.meeting && m.manager_rating == Some(4))
        }
        RecordKind::Calibration => {
            k.calibrations().expect("calibrations").iter().any(|c| c.session.id == made.session && c.session.by == me)
        }
        RecordKind::CalibrationScore => k
            .my_calibration_scores()
            .expect("scores")
            .iter()
            .any(|s| s.session == made.session && s.by == me && s.scores.get("next-step") == Some(&3)),
        // The recording's bytes came along with the record.
        RecordKind::Challenge => k.challenge(Some(&me), CHALLENGE).is_ok_and(|v| {
            v.challenge.by == me
                && v.here
                && v.challenge.answer.is_some_and(|a| {
                    k.store().blob_file(&a.hash).and_then(|f| std::fs::read(f).ok()).as_deref() == Some(RECORDING)
                })
        }),
        RecordKind::ChallengeComment => k
            .challenge(Some(&me), CHALLENGE)
            .is_ok_and(|v| v.comments.iter().any(|c| c.comment.text == "Slow down here" && c.comment.by == me)),
        RecordKind::SignNote => k
            .sign_notes(Some(&me))
            .expect("notes")
            .iter()
            .any(|n| n.note == "Agreed to focus on demos this week" && n.by == me && n.week == "2026-W47"),
    }
}

/// Deals and meetings first (an activity links to a deal, a rating to a
/// meeting), and the goal (its plan sets standing targets) before the target.
fn in_making_order(kinds: &[RecordKind]) -> Vec<RecordKind> {
    let mut v = kinds.to_vec();
    v.sort_by_key(|k| {
        !matches!(
            k,
            RecordKind::Deal | RecordKind::Meeting | RecordKind::Goal | RecordKind::Calibration | RecordKind::Challenge
        )
    });
    v
}

#[test]
fn a_manager_carries_every_kind_of_record_over_with_links_and_ids_kept() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut old = home(dir.path(), "solo", "Just me", Role::Manager, 1);
    let mut made = Made::default();
    for kind in in_making_order(RecordKind::ALL) {
        make(&mut old, kind, &mut made);
    }
    let mut new = home(dir.path(), "team", "Acme", Role::Manager, 2);
    assert_ne!(old.me().id, new.me().id);
    for kind in RecordKind::ALL {
        assert!(!found(&new, *kind, &made), "{kind:?} there before");
    }
    let report = new.carry_over_from(&old).expect("carry over");
    assert!(report.left_behind.is_empty(), "{:?}", report.left_behind);
    for kind in RecordKind::ALL {
        assert!(report.count(*kind) >= 1, "{kind:?} not carried: {report:?}");
        assert!(found(&new, *kind, &made), "{kind:?} not found in the new home");
    }
    // The views equal a rebuild, and the new home is healthy.
    assert_eq!(new.store_mut().check().expect("check"), Vec::<String>::new());
    // Every record Kept wrote fits its kind's fields in the registry.
    assert_eq!(old.store().left_out().expect("left out"), Vec::<(String, String, String)>::new());
    assert_eq!(new.store().left_out().expect("left out"), Vec::<(String, String, String)>::new());
}

#[test]
fn a_rep_leaves_behind_only_what_a_rep_may_not_write_and_is_told_why() {
    let dir = tempfile::tempdir().expect("tmp");
    // A rep's solo home holding a manager's review records (merged in offline).
    let mut old = home(dir.path(), "solo", "Just me", Role::Rep, 3);
    let mut made = Made::default();
    let rep_kinds: Vec<RecordKind> =
        RecordKind::ALL.iter().copied().filter(|k| k.doc_kind() != kept_core::docs::DocKind::Team).collect();
    for kind in in_making_order(&rep_kinds) {
        make(&mut old, kind, &mut made);
    }
    let mut new = home(dir.path(), "team", "Acme", Role::Rep, 4);
    let report = new.carry_over_from(&old).expect("carry over");
    for kind in &rep_kinds {
        let review = kind.doc_kind() == kept_core::docs::DocKind::Review;
        assert_eq!(found(&new, *kind, &made), !review, "{kind:?}");
        assert_eq!(report.count(*kind) >= 1, !review, "{kind:?}");
    }
    let left: Vec<_> = report.left_behind.iter().map(|l| (l.kind, l.count)).collect();
    assert_eq!(
        left,
        [("manager_assessments", 1), ("meeting_ratings", 1), ("challenge_comments", 1), ("sign_notes", 1)]
    );
    assert!(report.left_behind.iter().all(|l| l.reason.contains("only managers write a review")), "{report:?}");
    // Team configuration left at its defaults is nothing to carry, and not reported.
    assert!(report.carried.keys().all(|k| !["settings", "activity_types"].contains(k)), "{report:?}");
}
