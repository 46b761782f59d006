//! Assessment maps: managers score observed interactions, reps score
//! themselves, per criterion from Not present (0) to Excellent (4); the two
//! side by side, the trend per criterion, and the team's weakest criteria.

use super::Kept;
use crate::agenda::{parse_score, SCALE};
use crate::docs::coaching::{self, Assessment};
use crate::docs::DocId;
use crate::error::{CoreError, Result};
use crate::model::Role;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One criterion of a rep's map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CriterionView {
    /// Criterion key.
    pub criterion: String,
    /// The manager's latest score (0–4).
    pub manager: Option<i64>,
    /// The rep's latest self-score.
    pub own: Option<i64>,
    /// The manager's scores over time, oldest first.
    pub trend: Vec<i64>,
    /// The latest manager score as a word (not-present … excellent).
    pub word: Option<String>,
}

impl Kept {
    /// Records an assessment: by a manager of a rep, or by a rep of themselves.
    pub fn assess(&mut self, rep: Option<&str>, interaction: &str, scores: &[(String, String)]) -> Result<Assessment> {
        let who = self.resolve_rep(rep)?;
        let by_self = who.id == self.me().id;
        if !by_self && self.me().role != Role::Manager {
            return Err(CoreError::NotAllowed("only a manager can assess another rep".into()));
        }
        let map = self.scores_on(interaction, scores)?;
        let now = self.clock.now();
        let a = Assessment {
            id: self.ids.uuid_at(now).to_string(),
            rep: who.id.clone(),
            interaction: interaction.to_string(),
            by_self,
            by: self.me().id.clone(),
            at: now.to_rfc3339(),
            scores: map,
        };
        if by_self {
            self.store
                .write(|tx| tx.edit(&DocId::coaching(&who.id), now.timestamp(), |d| coaching::add_assessment(d, &a)))?;
        } else {
            self.edit_review(&who.id, now.timestamp(), |d| coaching::add_assessment(d, &a))?;
        }
        Ok(a)
    }

    /// `criterion=score` pairs checked against the map of `interaction`:
    /// at least one, every criterion on the map, every score 0–4 or its word.
    pub(crate) fn scores_on(&self, interaction: &str, scores: &[(String, String)]) -> Result<BTreeMap<String, i64>> {
        let criteria = self.criteria(interaction)?;
        if scores.is_empty() {
            let example = criteria.first().map(String::as_str).unwrap_or("opening");
            return Err(CoreError::invalid(format!("give at least one score, e.g. {example}=good")));
        }
        let mut map = BTreeMap::new();
        for (c, s) in scores {
            if !criteria.contains(c) {
                return Err(CoreError::invalid(format!(
                    "unknown criterion '{c}' for {interaction}: expected one of {}",
                    criteria.join(", ")
                )));
            }
            map.insert(c.clone(), parse_score(s)?);
        }
        Ok(map)
    }

    /// Writes the review document of `rep` (what managers write about them;
    /// only managers may). The first write carries over what managers wrote in
    /// the rep's coaching document before review documents existed.
    pub(crate) fn edit_review<T>(
        &mut self,
        rep: &str,
        time: i64,
        f: impl FnOnce(&mut automerge::AutoCommit) -> Result<T>,
    ) -> Result<T> {
        self.require_manager("write a rep's review (scores and ratings)")?;
        let (review, coaching_id) = (DocId::review(rep), DocId::coaching(rep));
        self.store.write(|tx| {
            if !tx.holds(&review)? {
                if let Some(old) = tx.load(&coaching_id)? {
                    tx.edit(&review, time, |d| coaching::carry_into_review(&old, d, rep))?;
                }
            }
            tx.edit(&review, time, f)
        })
    }

    /// Every assessment of a rep, oldest first: self-assessments from the
    /// rep's coaching document, managers' from the review document (or, for a
    /// rep whose review document does not exist yet, the managers'
    /// assessments written in the coaching document before it existed).
    pub fn assessments(&self, rep: Option<&str>) -> Result<Vec<Assessment>> {
        let who = self.resolve_rep(rep)?;
        let own = match self.store.load(&DocId::coaching(&who.id))? {
            Some(d) => coaching::assessments(&d, &who.id)?,
            None => Vec::new(),
        };
        let mut v = match self.store.load(&DocId::review(&who.id))? {
            Some(r) => {
                let mut v: Vec<Assessment> = own.into_iter().filter(|a| a.by_self).collect();
                v.extend(coaching::assessments(&r, &who.id)?.into_iter().map(|a| Assessment { by_self: false, ..a }));
                v
            }
            None => own,
        };
        v.sort_by(|a, b| a.at.cmp(&b.at).then(a.id.cmp(&b.id)));
        Ok(v)
    }

    /// A rep's map for one interaction: manager's and self-scores side by side, with the trend.
    pub fn assessment_map(&self, rep: Option<&str>, interaction: &str) -> Result<Vec<CriterionView>> {
        let all = self.assessments(rep)?;
        Ok(self
            .criteria(interaction)?
            .into_iter()
            .map(|c| {
                let of = |own: bool| -> Vec<i64> {
                    all.iter()
                        .filter(|a| a.interaction == interaction && a.by_self == own)
                        .filter_map(|a| a.scores.get(&c).copied())
                        .collect()
                };
                let trend = of(false);
                let manager = trend.last().copied();
                CriterionView {
                    own: of(true).last().copied(),
                    word: manager.and_then(|m| SCALE.get(m as usize)).map(|s| s.to_string()),
                    manager,
                    trend,
                    criterion: c,
                }
            })
            .collect())
    }

    /// The team's weakest criteria for an interaction: the average of each
    /// rep's latest manager score, lowest first (managers).
    pub fn weakest_criteria(&self, interaction: &str) -> Result<Vec<(String, f64, usize)>> {
        self.require_team_reader("see the team's assessment maps")?;
        let mut sums: BTreeMap<String, (f64, usize)> = BTreeMap::new();
        for r in self.reps()? {
            for c in self.assessment_map(Some(&r.id), interaction)? {
                if let Some(m) = c.manager {
                    let e = sums.entry(c.criterion).or_default();
                    e.0 += m as f64;
                    e.1 += 1;
                }
            }
        }
        let mut v: Vec<(String, f64, usize)> = sums.into_iter().map(|(k, (s, n))| (k, s / n as f64, n)).collect();
        v.sort_by(|a, b| a.1.total_cmp(&b.1));
        Ok(v)
    }

    /// Gives kudos to a member; the whole team sees them (managers).
    pub fn give_kudos(&mut self, to: &str, text: &str) -> Result<crate::docs::team::Kudos> {
        self.give_kudos_for(to, text, None)
    }

    /// Gives kudos tied to what earned it: `activity:<id>`, `commitment:<id>`
    /// (a kept one) or `deal:<id>` (a won one), which must be the member's.
    pub fn give_kudos_for(&mut self, to: &str, text: &str, about: Option<&str>) -> Result<crate::docs::team::Kudos> {
        self.require_manager("give kudos")?;
        let to = self.member_named(to)?;
        let text = crate::model::clean_text("kudos", text, 500)?;
        let about = about.map(str::trim).filter(|a| !a.is_empty());
        let label = match about {
            Some(a) => Some(self.kudos_label(&to.id, a)?),
            None => None,
        };
        let now = self.clock.now();
        let k = crate::docs::team::Kudos {
            id: self.ids.uuid_at(now).to_string(),
            from: self.me().id.clone(),
            to: to.id,
            text,
            at: now.to_rfc3339(),
            about: about.map(String::from),
            about_label: label,
        };
        self.store.write(|tx| tx.edit(&DocId::team(), now.timestamp(), |d| crate::docs::team::add_kudos(d, &k)))?;
        Ok(k)
    }

    /// Checks what a kudos is for and describes it.
    fn kudos_label(&self, member: &str, about: &str) -> Result<String> {
        let bad = || {
            CoreError::invalid(format!(
                "bad kudos reason '{about}': expected activity:<id>, commitment:<id> or deal:<id> of that member"
            ))
        };
        let (kind, id) = about.split_once(':').ok_or_else(bad)?;
        match kind {
            "activity" => {
                let a = self.activity(id).map_err(|_| bad())?;
                if a.rep != member {
                    return Err(bad());
                }
                let label = self.team()?.activity_type(&a.kind).map(|t| t.label.clone()).unwrap_or(a.kind.clone());
                Ok(match a.account {
                    Some(acc) => format!("{label} · {acc}"),
                    None => format!("{label} · {}", &a.occurred_at[..a.occurred_at.len().min(10)]),
                })
            }
            "commitment" => {
                let c = (0..8)
                    .filter_map(|back| self.current_week().ok().map(|w| w.plus(-back)))
                    .flat_map(|w| self.commitments(Some(w), Some(member)).unwrap_or_default())
                    .find(|c| c.commitment.id == id)
                    .ok_or_else(bad)?;
                if c.state != "kept" {
                    return Err(CoreError::invalid(format!(
                        "commitment '{}' is {}, not kept: kudos for a commitment are for a kept one",
                        c.commitment.text, c.state
                    )));
                }
                Ok(format!("Kept: {}", c.commitment.text))
            }
            "deal" => {
                let d = self.deal(id).map_err(|_| bad())?;
                if d.rep != member {
                    return Err(bad());
                }
                if d.status != crate::model::DealStatus::Won {
                    return Err(CoreError::invalid(format!("deal '{}' is not won (yet)", d.name)));
                }
                Ok(format!("Won: {} ({})", d.name, d.amount))
            }
            _ => Err(bad()),
        }
    }

    /// The team's kudos feed, newest first.
    pub fn kudos(&self) -> Result<Vec<crate::docs::team::Kudos>> {
        match self.store.load(&DocId::team())? {
            Some(d) => crate::docs::team::kudos(&d),
            None => Ok(Vec::new()),
        }
    }
}
