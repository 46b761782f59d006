//! Weekly commitments: a rep commits to activity numbers for a week ("6
//! meetings set"); each is kept or missed from the log at week end, and the
//! Thursday-afternoon view says what is still needed. Outcome commitments
//! ("close $25k") are accepted but marked as not within the rep's control.

use super::Kept;
use crate::docs::{self, DocId};
use crate::error::{CoreError, Result};
use crate::metrics;
use crate::model::{clean_text, Commitment, CommitmentKind};
use crate::week::Week;
use serde::{Deserialize, Serialize};

/// Where a commitment stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CommitmentStatus {
    /// The commitment.
    pub commitment: Commitment,
    /// Logged so far in its week (activity commitments).
    pub actual: Option<i64>,
    /// `open`, `kept`, `missed`, or `not-in-control` (outcomes).
    pub state: String,
    /// What is still needed, in words.
    pub advice: Option<String>,
}

impl Kept {
    /// Commits to `count` of activity `kind` in `week` (default this week), or,
    /// with `kind` None, to an outcome described by `text`.
    pub fn add_commitment(
        &mut self,
        text: &str,
        kind: Option<&str>,
        count: Option<i64>,
        week: Option<Week>,
        rep: Option<&str>,
    ) -> Result<Commitment> {
        let rep = self.resolve_rep(rep)?;
        let text = clean_text("commitment", text, 300)?;
        let week = match week {
            Some(w) => w,
            None => self.current_week()?,
        };
        let (ckind, activity, count) = match kind {
            Some(k) => {
                self.team()?.activity_type(k)?;
                let c = count.ok_or_else(|| CoreError::invalid("an activity commitment needs --count"))?;
                if !(1..=10_000).contains(&c) {
                    return Err(CoreError::invalid(format!("bad count {c}: must be between 1 and 10000")));
                }
                (CommitmentKind::Activity, Some(k.to_string()), c)
            }
            None => (CommitmentKind::Outcome, None, count.unwrap_or(0).max(0)),
        };
        let now = self.clock.now();
        let c = Commitment {
            id: self.ids.uuid_at(now).to_string(),
            rep: rep.id.clone(),
            week: week.to_string(),
            kind: ckind,
            activity,
            count,
            text,
        };
        self.store
            .write(|tx| tx.edit(&DocId::plan(&rep.id), now.timestamp(), |d| docs::plan::add_commitment(d, &c)))?;
        Ok(c)
    }

    /// Commitments of a week with their state (default: me, this week).
    pub fn commitments(&self, week: Option<Week>, rep: Option<&str>) -> Result<Vec<CommitmentStatus>> {
        let rep = self.resolve_rep(rep)?;
        let week = match week {
            Some(w) => w,
            None => self.current_week()?,
        };
        let team = self.team()?;
        let reader = if rep.id == self.me().id { metrics::Reader::Rep } else { metrics::Reader::About(&rep.name) };
        let summary = metrics::week_summary(&self.store, &team, &rep.id, &rep.name, week, self.clock.now(), reader)?;
        let over = summary.progress.over() || week < self.current_week()?;
        let mut out = Vec::new();
        for c in self.store.commitments(Some((&rep.id, week)))? {
            let status = match (&c.kind, &c.activity) {
                (CommitmentKind::Activity, Some(k)) => {
                    let row = summary.rows.iter().find(|r| &r.kind == k);
                    let actual = row.map(|r| r.count).unwrap_or(0);
                    let label = row.map(|r| r.label.to_lowercase()).unwrap_or_else(|| k.clone());
                    let (state, advice) = if actual >= c.count {
                        ("kept", None)
                    } else if over {
                        ("missed", Some(format!("{actual} of {} {label}", c.count)))
                    } else {
                        let left = summary.progress.left().max(0.1);
                        let need = c.count - actual;
                        (
                            "open",
                            Some(format!("{need} more {label} to keep it ({:.1} a working day)", need as f64 / left)),
                        )
                    };
                    CommitmentStatus { commitment: c.clone(), actual: Some(actual), state: state.into(), advice }
                }
                _ => CommitmentStatus {
                    commitment: c.clone(),
                    actual: None,
                    state: "not-in-control".into(),
                    advice: Some("an outcome, not a behaviour: commit to the activities that lead to it".into()),
                },
            };
            out.push(status);
        }
        Ok(out)
    }

    /// Share of activity commitments kept over the last `weeks` complete weeks.
    pub fn commitments_kept_ratio(&self, rep: Option<&str>, weeks: i64) -> Result<Option<f64>> {
        let this = self.current_week()?;
        let (mut kept, mut total) = (0, 0);
        for back in 1..=weeks {
            for c in self.commitments(Some(this.plus(-back)), rep)? {
                match c.state.as_str() {
                    "kept" => {
                        kept += 1;
                        total += 1
                    }
                    "missed" => total += 1,
                    _ => {}
                }
            }
        }
        Ok((total > 0).then(|| kept as f64 / total as f64))
    }
}
