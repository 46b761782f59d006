//! Targets: standing weekly targets and one-week overrides per rep and type.

use super::Kept;
use crate::docs::{self, DocId};
use crate::error::{CoreError, Result};
use crate::metrics;
use crate::week::Week;
use std::collections::BTreeMap;

const MAX_TARGET: i64 = 10_000;

impl Kept {
    /// Sets a weekly target for `kind`: standing from this week on, or for
    /// `week` only. For me, or (managers) for the rep named `rep`.
    pub fn set_target(&mut self, kind: &str, count: i64, rep: Option<&str>, week: Option<Week>) -> Result<()> {
        match week {
            Some(w) => self.write_target(kind, count, rep, false, w),
            None => {
                let w = self.current_week()?;
                self.write_target(kind, count, rep, true, w)
            }
        }
    }

    /// Sets a standing weekly target that applies from week `from` on.
    pub fn set_standing_target(&mut self, kind: &str, count: i64, rep: Option<&str>, from: Week) -> Result<()> {
        self.write_target(kind, count, rep, true, from)
    }

    fn write_target(&mut self, kind: &str, count: i64, rep: Option<&str>, standing: bool, week: Week) -> Result<()> {
        let rep = self.resolve_rep(rep)?;
        self.team()?.activity_type(kind)?;
        if !(0..=MAX_TARGET).contains(&count) {
            return Err(CoreError::invalid(format!("bad target {count}: must be between 0 and {MAX_TARGET}")));
        }
        let now = self.clock.now();
        let (me, at) = (self.me().id.clone(), now.to_rfc3339());
        self.store.write(|tx| {
            tx.edit(&DocId::plan(&rep.id), now.timestamp(), |d| {
                docs::plan::set_target(d, standing, week, kind, count, &me, &at)
            })
        })
    }

    /// The targets that apply to a rep in a week (default: me, this week).
    pub fn targets(&self, rep: Option<&str>, week: Option<Week>) -> Result<BTreeMap<String, i64>> {
        let rep = self.resolve_rep(rep)?;
        let week = match week {
            Some(w) => w,
            None => self.current_week()?,
        };
        metrics::targets(self.store.conn(), &rep.id, week)
    }
}
