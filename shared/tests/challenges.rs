//! Practice challenges in the core (no relay): a manager sets one for the
//! team, each rep answers with a recording offline, the manager scores it
//! and comments on moments of it, the rep sees the feedback; the scores feed
//! the rep's assessment trend and development plan. Bad answers are refused
//! with a reason and change nothing. Blob sync through a real relay is in
//! tests/relay_e2e.rs.

mod common;

use chrono::{TimeZone, Utc};
use kept_core::demo::tone_wav;
use kept_core::service::{ChallengeState, NewChallenge};
use kept_core::{CoreError, FixedClock};

fn clock() -> FixedClock {
    FixedClock::new(Utc.with_ymd_and_hms(2026, 11, 25, 16, 0, 0).single().expect("valid"))
}

#[test]
fn a_team_challenge_is_answered_offline_scored_and_commented_and_the_rep_sees_the_feedback() {
    let dir = tempfile::tempdir().expect("tmp");
    let clock = clock();
    let (mut mia, mut reps) = common::team_in(dir.path(), &clock, &["Anna", "Ben"], None);
    let set = mia
        .challenge_set(&NewChallenge {
            prompt: "Open a discovery call with a positioning statement".into(),
            interaction: "discovery-call".into(),
            due: "2026-11-27".into(),
            reps: vec![],
        })
        .expect("set for the team");
    assert_eq!(set.len(), 2, "one copy per rep");
    assert_eq!(set[0].challenge.group, set[1].challenge.group);
    assert!(set.iter().all(|v| v.state == ChallengeState::Open));

    // Anna's phone gets it with the next exchange and answers offline.
    reps[0].merge_from(&dir.path().join("mia")).expect("merge");
    let mine = reps[0].challenges(None).expect("anna's challenges");
    assert_eq!(mine.len(), 1, "a rep sees only her own copy");
    let id = mine[0].challenge.id.clone();
    assert!(reps[0].challenges(Some("Ben")).is_err(), "a rep cannot read another rep's challenges");
    let recording = tone_wav(2000);
    let answered = reps[0].challenge_answer(&id, &recording, "audio/wav", Some(2000)).expect("answer");
    assert_eq!(answered.state, ChallengeState::Answered);
    assert!(answered.here && !answered.sent, "kept on the phone until the relay has it");
    let to_send = reps[0].store().blobs_to_send().expect("queue");
    assert_eq!(to_send.len(), 1);
    assert_eq!(to_send[0].doc, format!("coaching/{}", reps[0].me().id));
    let file = reps[0].store().blob_file(&to_send[0].hash).expect("file");
    assert_eq!(std::fs::read(file).expect("bytes"), recording);

    // The manager sees the answer (the bytes come through the relay, not here).
    mia.merge_from(&dir.path().join("anna")).expect("merge");
    let anna = mia.challenge(Some("Anna"), &id).expect("challenge");
    assert_eq!(anna.state, ChallengeState::Answered);
    let answer = anna.challenge.answer.clone().expect("answer");
    assert_eq!((answer.size, answer.ms, answer.mime.as_str()), (recording.len() as i64, Some(2000), "audio/wav"));
    assert!(!anna.here);

    // Scores on the map and comments at moments of the recording.
    let crit = anna.criteria.clone();
    assert!(crit.len() >= 2, "{crit:?}");
    let err = mia.challenge_score("Anna", &id, &[("charm".into(), "good".into())]).expect_err("unknown criterion");
    assert!(err.to_string().contains("charm"), "{err}");
    mia.challenge_score("Anna", &id, &[(crit[0].clone(), "poor".into()), (crit[1].clone(), "good".into())])
        .expect("score");
    mia.challenge_comment("Anna", &id, 1500, "Lead with the customer's problem").expect("comment");
    mia.challenge_comment("Anna", &id, 200, "Good energy in the first seconds").expect("comment");
    let err = mia.challenge_comment("Anna", &id, 9000, "past the end").expect_err("past the end");
    assert!(matches!(err, CoreError::Invalid(_)), "{err}");

    reps[0].merge_from(&dir.path().join("mia")).expect("merge");
    let seen = reps[0].challenge(None, &id).expect("feedback");
    assert_eq!(seen.state, ChallengeState::Reviewed);
    assert_eq!(seen.scores.get(&crit[0]), Some(&1));
    assert_eq!(seen.scored_by, "Mia");
    let at: Vec<i64> = seen.comments.iter().map(|c| c.comment.at_ms).collect();
    assert_eq!(at, vec![200, 1500], "in recording order");
    assert_eq!(seen.comments[0].by_name, "Mia");

    // The scores are an assessment: they show in the map's trend and
    // suggest the weak criterion for the development plan.
    let map = reps[0].assessment_map(None, "discovery-call").expect("map");
    assert_eq!(map.iter().find(|c| c.criterion == crit[0]).and_then(|c| c.manager), Some(1));
    let plan = mia.dev_plan(Some("Anna")).expect("plan");
    assert!(plan.suggested.iter().any(|s| s.criterion == crit[0]), "{:?}", plan.suggested);

    // Ben has not answered; after the due date his copy is overdue.
    clock.set(Utc.with_ymd_and_hms(2026, 11, 28, 9, 0, 0).single().expect("valid"));
    let ben = mia.challenges(Some("Ben")).expect("ben");
    assert_eq!(ben[0].state, ChallengeState::Overdue);
}

#[test]
fn a_bad_answer_is_refused_with_a_reason_and_changes_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let clock = clock();
    let (mut mia, mut reps) = common::team_in(dir.path(), &clock, &["Anna"], None);
    let set = mia
        .challenge_set(&NewChallenge {
            prompt: "Handle the price objection".into(),
            interaction: "discovery-call".into(),
            due: "2026-11-30".into(),
            reps: vec!["Anna".into()],
        })
        .expect("set");
    let id = set[0].challenge.id.clone();
    reps[0].merge_from(&dir.path().join("mia")).expect("merge");
    let before = reps[0].store().pending().expect("pending");
    for (bytes, mime, ms) in [
        (vec![], "audio/wav", None),
        (tone_wav(10), "text/html", None),
        (tone_wav(10), "audio/wav", Some(-5)),
        (tone_wav(10), "audio/wav\r\nX-Evil: 1", None),
    ] {
        let err = reps[0].challenge_answer(&id, &bytes, mime, ms).expect_err("refused");
        assert!(matches!(err, CoreError::Invalid(_)), "{err}");
    }
    assert!(reps[0].challenge_answer("no-such-id", &tone_wav(10), "audio/wav", None).is_err());
    assert_eq!(reps[0].store().pending().expect("pending"), before, "nothing was written");
    assert!(reps[0].store().blobs_to_send().expect("queue").is_empty());
    // Only managers set, score and comment.
    let err = reps[0]
        .challenge_set(&NewChallenge {
            prompt: "x".into(),
            interaction: "discovery-call".into(),
            due: "2026-12-01".into(),
            reps: vec![],
        })
        .expect_err("a rep cannot set a challenge");
    assert!(matches!(err, CoreError::NotAllowed(_)), "{err}");
    assert!(mia
        .challenge_set(&NewChallenge {
            prompt: "x".into(),
            interaction: "juggling".into(),
            due: "2026-12-01".into(),
            reps: vec![]
        })
        .is_err());
    assert!(mia.challenge_score("Anna", &id, &[("pain".into(), "good".into())]).is_err(), "not answered yet");
}
