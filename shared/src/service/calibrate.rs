//! Calibration: a manager (in an organisation's leadership team, the leader)
//! shares one interaction to assess; several people score it on the same
//! assessment map without seeing each other's scores (each score lives in
//! the scorer's own coaching document, which the relay lets no other scorer
//! read); the reveal shows the spread per criterion — who scores harsh, who
//! lenient — and the agreed score is recorded. Each scorer's calibration
//! history is their distance from the agreed scores over time.

use super::Kept;
use crate::agenda::parse_score;
use crate::docs::calibration::{self, Calibration, CalibrationScore, Scores};
use crate::docs::DocId;
use crate::error::{CoreError, Result};
use crate::metrics::{mean, round_to};
use crate::model::clean_text;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One person's score of a criterion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NamedScore {
    /// Scorer's name.
    pub name: String,
    /// The score (0–4).
    pub score: i64,
}

/// The spread of one criterion once revealed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CriterionSpread {
    /// Criterion key.
    pub criterion: String,
    /// Every scorer's score, lowest first.
    pub scores: Vec<NamedScore>,
    /// Highest minus lowest.
    pub spread: i64,
    /// The average.
    pub mean: f64,
    /// The agreed score, once recorded.
    pub agreed: Option<i64>,
}

/// How far one scorer sits from the reference (the agreed score, else the
/// group's average): below zero harsh, above lenient.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Leaning {
    /// Scorer's name.
    pub name: String,
    /// Average signed difference per criterion.
    pub bias: f64,
    /// Average absolute difference per criterion.
    pub distance: f64,
}

/// A session as the reader may see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CalibrationView {
    /// The session (its `scores` are empty until revealed).
    pub session: Calibration,
    /// Who has scored so far, by name (the session's manager sees this before the reveal).
    pub submitted: Vec<String>,
    /// My own scores, if I scored.
    pub mine: Option<Scores>,
    /// Per criterion, once revealed.
    pub spread: Vec<CriterionSpread>,
    /// Per scorer, harshest first, once revealed.
    pub leanings: Vec<Leaning>,
}

/// One entry of a scorer's calibration history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CalibrationPoint {
    /// Session title.
    pub title: String,
    /// Session date (RFC 3339).
    pub at: String,
    /// Average absolute distance from the agreed score per criterion.
    pub distance: f64,
    /// Average signed difference (below zero: harsher than agreed).
    pub bias: f64,
}

/// A scorer's scores as the session can hold them: its criteria only, each
/// 0–4 (they were written on another device; anything else is left out).
fn fitting(c: &Calibration, mut scores: Scores) -> Scores {
    scores.retain(|k, v| c.criteria.contains(k) && (0..=4).contains(v));
    scores
}

fn round2(x: f64) -> f64 {
    round_to(x, 2)
}

/// The spread and leanings of a revealed session; `names` maps member ids to names.
fn spread_of(c: &Calibration, names: &BTreeMap<String, String>) -> (Vec<CriterionSpread>, Vec<Leaning>) {
    let name = |id: &str| names.get(id).cloned().unwrap_or_else(|| id.to_string());
    let mut spread = Vec::new();
    let mut reference: BTreeMap<&str, f64> = BTreeMap::new();
    for crit in &c.criteria {
        let mut scores: Vec<NamedScore> =
            c.scores.iter().filter_map(|(m, s)| s.get(crit).map(|v| NamedScore { name: name(m), score: *v })).collect();
        if scores.is_empty() {
            continue;
        }
        scores.sort_by(|a, b| a.score.cmp(&b.score).then(a.name.cmp(&b.name)));
        let lo = scores.first().map_or(0, |s| s.score);
        let hi = scores.last().map_or(0, |s| s.score);
        let avg = mean(&scores.iter().map(|s| s.score as f64).collect::<Vec<_>>()).unwrap_or(0.0);
        let agreed = c.agreed.get(crit).copied();
        reference.insert(crit, agreed.map_or(avg, |a| a as f64));
        spread.push(CriterionSpread { criterion: crit.clone(), scores, spread: hi - lo, mean: round2(avg), agreed });
    }
    let mut leanings: Vec<Leaning> = c
        .scores
        .iter()
        .filter_map(|(m, s)| {
            let diffs: Vec<f64> =
                s.iter().filter_map(|(k, v)| reference.get(k.as_str()).map(|r| *v as f64 - r)).collect();
            Some(Leaning {
                name: name(m),
                bias: round2(mean(&diffs)?),
                distance: round2(mean(&diffs.iter().map(|d| d.abs()).collect::<Vec<_>>())?),
            })
        })
        .collect();
    leanings.sort_by(|a, b| a.bias.total_cmp(&b.bias).then(a.name.cmp(&b.name)));
    (spread, leanings)
}

impl Kept {
    fn sessions(&self) -> Result<Vec<Calibration>> {
        match self.store.load(&DocId::team())? {
            Some(d) => calibration::sessions(&d),
            None => Ok(Vec::new()),
        }
    }

    fn session(&self, id: &str) -> Result<Calibration> {
        let all = self.sessions()?;
        let found = all.iter().find(|c| c.id == id || c.id.starts_with(id)).cloned();
        found.ok_or_else(|| CoreError::NotFound(format!("no calibration session '{id}'")))
    }

    /// Every score this device can read (a manager's: everyone's; a scorer's: their own).
    fn all_scores(&self) -> Result<Vec<CalibrationScore>> {
        let mut out = Vec::new();
        let mut people = self.members()?;
        people.retain(|m| m.id == self.me().id || self.me().role.reads_team());
        for m in people {
            if let Some(d) = self.store.load(&DocId::coaching(&m.id))? {
                out.extend(calibration::scores(&d)?.into_iter().map(|mut s| {
                    s.by = m.id.clone();
                    s
                }));
            }
        }
        Ok(out)
    }

    /// My own scores, every session (what this device wrote or carried over).
    pub fn my_calibration_scores(&self) -> Result<Vec<CalibrationScore>> {
        match self.store.load(&DocId::coaching(&self.me().id))? {
            Some(d) => calibration::scores(&d),
            None => Ok(Vec::new()),
        }
    }

    /// Starts a calibration session on the assessment map of `interaction` (managers).
    pub fn calibration_start(&mut self, title: &str, interaction: &str, material: &str) -> Result<Calibration> {
        self.require_manager("start a calibration session")?;
        let title = clean_text("title", title, 120)?;
        let material = material.trim().to_string();
        if material.chars().count() > 20_000 {
            return Err(CoreError::invalid("the material is longer than 20,000 characters; link to it instead"));
        }
        let criteria = self.criteria(interaction)?;
        let now = self.clock.now();
        let c = Calibration {
            id: self.ids.uuid_at(now).to_string(),
            title,
            interaction: interaction.to_string(),
            material,
            criteria,
            by: self.me().id.clone(),
            at: now.to_rfc3339(),
            revealed: false,
            scores: BTreeMap::new(),
            agreed: Scores::new(),
        };
        self.store.write(|tx| {
            tx.ensure_root_map(&DocId::team(), calibration::SESSIONS)?;
            tx.edit(&DocId::team(), now.timestamp(), |d| calibration::add_session(d, &c))
        })?;
        Ok(c)
    }

    /// Checks `pairs` (criterion, score word or 0–4) against the session's map.
    fn session_scores(c: &Calibration, pairs: &[(String, String)]) -> Result<Scores> {
        if pairs.is_empty() {
            return Err(CoreError::invalid(format!(
                "give a score per criterion, e.g. {}=good",
                c.criteria.first().map_or("rapport", String::as_str)
            )));
        }
        let mut out = Scores::new();
        for (k, v) in pairs {
            if !c.criteria.contains(k) {
                return Err(CoreError::invalid(format!(
                    "unknown criterion '{k}' for this session: expected one of {}",
                    c.criteria.join(", ")
                )));
            }
            out.insert(k.clone(), parse_score(v)?);
        }
        Ok(out)
    }

    /// Scores a session, blind (into my own coaching document); again to change my scores, until the reveal.
    pub fn calibration_score(&mut self, session: &str, pairs: &[(String, String)]) -> Result<CalibrationScore> {
        let c = self.session(session)?;
        if c.revealed {
            return Err(CoreError::invalid(format!("'{}' was revealed; its scores are final", c.title)));
        }
        let scores = Self::session_scores(&c, pairs)?;
        let now = self.clock.now();
        let s = CalibrationScore { session: c.id.clone(), by: self.me().id.clone(), at: now.to_rfc3339(), scores };
        let doc = DocId::coaching(&self.me().id);
        self.store.write(|tx| {
            tx.ensure_root_map(&doc, calibration::SCORES)?;
            tx.edit(&doc, now.timestamp(), |d| calibration::put_score(d, &s))
        })?;
        Ok(s)
    }

    /// Reveals a session (managers): every score given so far is copied into
    /// the session, for everyone in the team to see the spread.
    pub fn calibration_reveal(&mut self, session: &str) -> Result<CalibrationView> {
        self.require_manager("reveal a calibration session")?;
        let c = self.session(session)?;
        let scores: BTreeMap<String, Scores> = self
            .all_scores()?
            .into_iter()
            .filter(|s| s.session == c.id)
            .map(|s| (s.by, fitting(&c, s.scores)))
            .filter(|(_, s)| !s.is_empty())
            .collect();
        if scores.len() < 2 {
            return Err(CoreError::invalid(format!(
                "'{}' has {} score(s); wait for at least two before revealing (sync first)",
                c.title,
                scores.len()
            )));
        }
        let time = self.now_secs();
        self.store.write(|tx| tx.edit(&DocId::team(), time, |d| calibration::reveal(d, &c.id, &scores)))?;
        self.calibration(&c.id)
    }

    /// Records the agreed score of a revealed session (managers).
    pub fn calibration_agree(&mut self, session: &str, pairs: &[(String, String)]) -> Result<CalibrationView> {
        self.require_manager("record the agreed score")?;
        let c = self.session(session)?;
        if !c.revealed {
            return Err(CoreError::invalid(format!("reveal '{}' before agreeing on a score", c.title)));
        }
        let agreed = Self::session_scores(&c, pairs)?;
        let time = self.now_secs();
        self.store.write(|tx| tx.edit(&DocId::team(), time, |d| calibration::agree(d, &c.id, &agreed)))?;
        self.calibration(&c.id)
    }

    /// One session as I may see it.
    pub fn calibration(&self, session: &str) -> Result<CalibrationView> {
        let c = self.session(session)?;
        let scores = self.all_scores()?;
        self.view_of(c, &scores)
    }

    /// Every session, newest first.
    pub fn calibrations(&self) -> Result<Vec<CalibrationView>> {
        let scores = self.all_scores()?;
        let mut out = self.sessions()?.into_iter().map(|c| self.view_of(c, &scores)).collect::<Result<Vec<_>>>()?;
        out.reverse();
        Ok(out)
    }

    fn view_of(&self, c: Calibration, scores: &[CalibrationScore]) -> Result<CalibrationView> {
        let names: BTreeMap<String, String> = self.members()?.into_iter().map(|m| (m.id, m.name)).collect();
        let mine = scores.iter().find(|s| s.session == c.id && s.by == self.me().id).map(|s| s.scores.clone());
        let mut submitted: Vec<String> = scores
            .iter()
            .filter(|s| s.session == c.id)
            .map(|s| names.get(&s.by).cloned().unwrap_or_else(|| s.by.clone()))
            .collect();
        if c.revealed {
            submitted = c.scores.keys().map(|m| names.get(m).cloned().unwrap_or_else(|| m.clone())).collect();
        }
        submitted.sort();
        let (spread, leanings) = if c.revealed { spread_of(&c, &names) } else { (Vec::new(), Vec::new()) };
        Ok(CalibrationView { session: c, submitted, mine, spread, leanings })
    }

    /// A scorer's distance from the agreed scores, session by session (oldest first).
    pub fn calibration_history(&self, member: Option<&str>) -> Result<Vec<CalibrationPoint>> {
        let who = self.resolve_rep(member)?;
        let mut out = Vec::new();
        for c in self.sessions()? {
            let Some(mine) = c.scores.get(&who.id) else { continue };
            let diffs: Vec<f64> = mine.iter().filter_map(|(k, v)| c.agreed.get(k).map(|a| (*v - *a) as f64)).collect();
            let (Some(bias), Some(distance)) = (mean(&diffs), mean(&diffs.iter().map(|d| d.abs()).collect::<Vec<_>>()))
            else {
                continue;
            };
            out.push(CalibrationPoint { title: c.title, at: c.at, distance: round2(distance), bias: round2(bias) });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reveal_keeps_only_the_sessions_criteria_within_the_scale() {
        let c = Calibration {
            id: "c".into(),
            title: String::new(),
            interaction: String::new(),
            material: String::new(),
            criteria: vec!["pain".into(), "budget".into()],
            by: String::new(),
            at: String::new(),
            revealed: false,
            scores: BTreeMap::new(),
            agreed: Scores::new(),
        };
        let sent: Scores =
            [("pain", 3), ("budget", 9), ("made-up", 2), ("next-step", -1)].map(|(k, v)| (k.to_string(), v)).into();
        assert_eq!(fitting(&c, sent), [("pain".to_string(), 3)].into());
    }

    #[test]
    fn the_spread_names_the_harsh_and_the_lenient_scorer() {
        let crit = |k: &str| k.to_string();
        let s = |v: &[(&str, i64)]| v.iter().map(|(k, x)| (k.to_string(), *x)).collect::<Scores>();
        let c = Calibration {
            id: "c".into(),
            title: "Discovery call".into(),
            interaction: "discovery-call".into(),
            material: String::new(),
            criteria: vec![crit("pain"), crit("budget")],
            by: "l".into(),
            at: String::new(),
            revealed: true,
            scores: [
                ("a".to_string(), s(&[("pain", 1), ("budget", 1)])),
                ("b".to_string(), s(&[("pain", 3), ("budget", 2)])),
                ("c".to_string(), s(&[("pain", 4), ("budget", 4)])),
            ]
            .into(),
            agreed: s(&[("pain", 3), ("budget", 2)]),
        };
        let names = [("a", "Ann"), ("b", "Ben"), ("c", "Cy")].map(|(i, n)| (i.to_string(), n.to_string())).into();
        let (spread, leanings) = spread_of(&c, &names);
        assert_eq!(spread[0].criterion, "pain");
        assert_eq!((spread[0].spread, spread[0].agreed), (3, Some(3)));
        assert_eq!(spread[1].scores.iter().map(|x| x.score).collect::<Vec<_>>(), [1, 2, 4]);
        let order: Vec<_> = leanings.iter().map(|l| (l.name.as_str(), l.bias)).collect();
        assert_eq!(order, [("Ann", -1.5), ("Ben", 0.0), ("Cy", 1.5)], "harshest first, against the agreed score");
    }
}
