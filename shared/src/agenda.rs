//! Standard agendas per meeting type with coaching questions (C.O.A.C.H.:
//! Commit, Observe, Assess, Communicate, Habituate), and the default
//! assessment maps: criteria per interaction type, scored on a five-step
//! scale from Not present (red) to Excellent (green). Teams can override
//! both in their team document.

use crate::error::{CoreError, Result};
use serde::{Deserialize, Serialize};

/// The meeting types of a coaching cadence.
pub const MEETING_TYPES: &[&str] = &["one-on-one", "deal-review", "pipeline-review", "forecast-review", "weekly-scrum"];

/// An agenda template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Agenda {
    /// Meeting type key.
    pub kind: String,
    /// Title.
    pub title: String,
    /// Agenda items, in order.
    pub items: Vec<String>,
    /// Coaching questions (why / what / how), not yes-or-no ones.
    pub questions: Vec<String>,
}

/// The default agenda for a meeting type, or an error naming the types.
pub fn default_agenda(kind: &str) -> Result<Agenda> {
    let (title, items, questions): (&str, &[&str], &[&str]) = match kind {
        "one-on-one" => (
            "1-on-1",
            &[
                "Reconcile last meeting's action items: done, carried over or dropped",
                "The week against targets and commitments (the numbers first, no drama)",
                "Warning signs and what is behind them",
                "One skill to work on: the assessment map, manager's and self-scores side by side",
                "Development plan: milestones due, the skill being built",
                "Commitments for next week (behaviours within your control)",
                "Action items with owner and due date",
            ],
            &[
                "What got in the way of the activity you planned?",
                "What would you do differently on the calls that did not convert?",
                "How will you protect time for prospecting next week?",
                "What support do you need from me?",
            ],
        ),
        "deal-review" => (
            "Deal review",
            &[
                "Where the deal stands and what changed since last time",
                "Buyer's pain, budget and decision process: what we know and what we assume",
                "Risks and the next step that moves it forward",
                "Action items",
            ],
            &[
                "Why will they buy, and why now?",
                "Who else decides, and how do you know?",
                "What would make this deal slip?",
            ],
        ),
        "pipeline-review" => (
            "Pipeline review",
            &[
                "Pipeline coverage against the quarter's target",
                "Deals that have not moved in two weeks",
                "Where new opportunities will come from (leading activities)",
                "Action items",
            ],
            &["Which deals would you drop to focus on the best ones?", "What is your plan to fill the gap?"],
        ),
        "forecast-review" => (
            "Forecast review",
            &["Commit, best case and pipeline", "Changes since last forecast", "Risks to the commit", "Action items"],
            &["What evidence puts this deal in commit?", "What would have to happen for best case?"],
        ),
        "weekly-scrum" => (
            "Weekly sales scrum",
            &[
                "Each rep: planned vs actual key activities last week",
                "Quotes and proposals out, lead follow-up",
                "Wins and kudos",
                "This week's commitments",
            ],
            &["What is one thing that worked for you this week?", "Where can the team help?"],
        ),
        other => {
            return Err(CoreError::invalid(format!(
                "unknown meeting type '{other}': expected one of {}",
                MEETING_TYPES.join(", ")
            )))
        }
    };
    Ok(Agenda {
        kind: kind.into(),
        title: title.into(),
        items: items.iter().map(|s| s.to_string()).collect(),
        questions: questions.iter().map(|s| s.to_string()).collect(),
    })
}

/// The five steps of an assessment score, red to green.
pub const SCALE: &[&str] = &["not-present", "poor", "fair", "good", "excellent"];

/// Parses a score word (or 0–4) into 0–4.
pub fn parse_score(s: &str) -> Result<i64> {
    let t = s.trim().to_lowercase().replace(' ', "-");
    if let Ok(n) = t.parse::<i64>() {
        if (0..=4).contains(&n) {
            return Ok(n);
        }
    }
    SCALE
        .iter()
        .position(|w| *w == t)
        .map(|i| i as i64)
        .ok_or_else(|| CoreError::invalid(format!("bad score '{s}': expected one of {} (or 0–4)", SCALE.join(", "))))
}

/// The interaction types with a default assessment map.
pub const INTERACTIONS: &[&str] = &["discovery-call", "demo", "negotiation", "one-on-one"];

/// Default assessment criteria per interaction type.
pub fn default_criteria(interaction: &str) -> Result<Vec<String>> {
    let c: &[&str] = match interaction {
        "discovery-call" => &["rapport", "upfront-contract", "pain", "budget", "decision-process", "next-step"],
        "demo" => &["agenda-agreed", "tied-to-pain", "questions-handled", "next-step"],
        "negotiation" => &["preparation", "value-before-price", "concessions-traded", "close-attempted"],
        "one-on-one" => &["prepared", "owns-numbers", "commitments-kept", "open-to-coaching"],
        other => {
            return Err(CoreError::invalid(format!(
                "unknown interaction type '{other}': expected one of discovery-call, demo, negotiation, one-on-one"
            )))
        }
    };
    Ok(c.iter().map(|s| s.to_string()).collect())
}

/// A key (meeting type, interaction type, criterion, score word) with its
/// label in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Labelled {
    /// The stable key.
    pub key: String,
    /// What people read.
    pub label: String,
}

/// An interaction type with its default assessment criteria.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct InteractionDefaults {
    /// Interaction type key and label.
    pub interaction: Labelled,
    /// Its default criteria, in order.
    pub criteria: Vec<Labelled>,
}

/// The built-in coaching vocabulary in words: meeting types, interaction
/// types with their default criteria, and the score scale (for clients that
/// show them; a team's own agendas and criteria come from its team document).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Vocabulary {
    /// [`MEETING_TYPES`], labelled.
    pub meeting_types: Vec<Labelled>,
    /// [`INTERACTIONS`] with [`default_criteria`], labelled.
    pub interactions: Vec<InteractionDefaults>,
    /// [`SCALE`], labelled, 0 (not present) to 4 (excellent).
    pub scale: Vec<Labelled>,
}

/// `upfront-contract` → "Upfront contract": the label of a key nobody named.
pub fn humanize(key: &str) -> String {
    let s = key.replace(['-', '_'], " ");
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// A meeting type in words.
pub fn meeting_label(kind: &str) -> String {
    match kind {
        "one-on-one" => "1-on-1".into(),
        "deal-review" => "Deal review".into(),
        "pipeline-review" => "Pipeline review".into(),
        "forecast-review" => "Forecast review".into(),
        "weekly-scrum" => "Weekly scrum".into(),
        other => humanize(other),
    }
}

/// An interaction type in words.
pub fn interaction_label(interaction: &str) -> String {
    match interaction {
        "discovery-call" => "Discovery call".into(),
        "one-on-one" => "1-on-1".into(),
        other => humanize(other),
    }
}

/// An assessment criterion in words (a team's own criteria are humanised).
pub fn criterion_label(criterion: &str) -> String {
    let label = match criterion {
        "upfront-contract" => "Up-front contract",
        "pain" => "Pain uncovered",
        "next-step" => "Next step agreed",
        "prepared" => "Came prepared",
        "owns-numbers" => "Owns the numbers",
        other => return humanize(other),
    };
    label.into()
}

/// The built-in vocabulary, labelled.
pub fn vocabulary() -> Vocabulary {
    let labelled = |key: &str, label: String| Labelled { key: key.into(), label };
    Vocabulary {
        meeting_types: MEETING_TYPES.iter().map(|k| labelled(k, meeting_label(k))).collect(),
        interactions: INTERACTIONS
            .iter()
            .map(|i| InteractionDefaults {
                interaction: labelled(i, interaction_label(i)),
                criteria: default_criteria(i)
                    .unwrap_or_default()
                    .iter()
                    .map(|c| labelled(c, criterion_label(c)))
                    .collect(),
            })
            .collect(),
        scale: SCALE.iter().map(|w| labelled(w, humanize(w))).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_meeting_type_has_an_agenda_with_questions() {
        for t in MEETING_TYPES {
            let a = default_agenda(t).expect("agenda");
            assert!(!a.items.is_empty() && !a.questions.is_empty(), "{t}");
        }
        assert!(default_agenda("party").is_err());
    }

    #[test]
    fn scores_parse_words_and_numbers() {
        assert_eq!(parse_score("Not present").ok(), Some(0));
        assert_eq!(parse_score("excellent").ok(), Some(4));
        assert_eq!(parse_score("2").ok(), Some(2));
        assert!(parse_score("5").is_err());
        assert!(parse_score("great")
            .expect_err("bad")
            .to_string()
            .contains("not-present, poor, fair, good, excellent"));
    }

    #[test]
    fn the_vocabulary_names_every_default_in_words() {
        let v = vocabulary();
        let labels = |l: &[Labelled]| l.iter().map(|x| x.label.clone()).collect::<Vec<_>>().join(", ");
        assert_eq!(labels(&v.meeting_types), "1-on-1, Deal review, Pipeline review, Forecast review, Weekly scrum");
        assert_eq!(labels(&v.scale), "Not present, Poor, Fair, Good, Excellent");
        let discovery = &v.interactions[0];
        assert_eq!(discovery.interaction.label, "Discovery call");
        assert_eq!(
            labels(&discovery.criteria),
            "Rapport, Up-front contract, Pain uncovered, Budget, Decision process, Next step agreed"
        );
        for i in &v.interactions {
            assert_eq!(i.criteria.len(), default_criteria(&i.interaction.key).expect("criteria").len());
        }
        assert_eq!(criterion_label("tied-to-pain"), "Tied to pain");
        assert_eq!(interaction_label("cold_call"), "Cold call");
    }
}
