//! A rep's pipeline: deals with a stage, an amount, a KARE type and an
//! expected close, closed as won or lost; and the KARE split of effort
//! (activities logged) beside the KARE split of results (won amounts), per
//! rep and for the team.

use super::Kept;
use crate::docs::{self, DocId};
use crate::error::{CoreError, Result};
use crate::model::{clean_text, parse_date, Deal, DealStatus, Kare};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The stages the app offers; a team may use any short label.
pub const STAGES: &[&str] = &["prospect", "qualified", "proposal", "negotiation", "commit"];

/// What to change on a deal (each `None` leaves the field as it is).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(optional_fields = nullable))]
pub struct DealEdit {
    /// New name.
    pub name: Option<String>,
    /// New amount.
    pub amount: Option<i64>,
    /// New stage.
    pub stage: Option<String>,
    /// New expected close (YYYY-MM-DD; empty clears it).
    pub expected_close: Option<String>,
}

/// Effort and results per KARE category.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct KareSplit {
    /// The rep (member id), or `None` for the whole team.
    pub rep: Option<String>,
    /// Activities logged per category over the period (`none` = not tagged).
    pub effort: BTreeMap<String, i64>,
    /// Won deal amounts per category closed in the period.
    pub results: BTreeMap<String, i64>,
    /// Won deals per category closed in the period.
    pub won: BTreeMap<String, i64>,
    /// First day of the period (YYYY-MM-DD).
    pub since: String,
}

fn check_amount(a: i64) -> Result<i64> {
    if !(0..=1_000_000_000_000).contains(&a) {
        return Err(CoreError::invalid(format!("bad amount {a}: must be between 0 and 1000000000000")));
    }
    Ok(a)
}

fn check_stage(s: &str) -> Result<String> {
    let s = clean_text("stage", s, 40)?;
    Ok(s.to_lowercase())
}

impl Kept {
    /// Adds a deal to my pipeline (or, for a manager, to `rep`'s).
    pub fn add_deal(
        &mut self,
        name: &str,
        amount: i64,
        stage: Option<&str>,
        kare: Option<Kare>,
        expected_close: Option<&str>,
        rep: Option<&str>,
    ) -> Result<Deal> {
        let rep = self.resolve_rep(rep)?;
        let name = clean_text("deal name", name, 120)?;
        let amount = check_amount(amount)?;
        let stage = check_stage(stage.unwrap_or(STAGES[0]))?;
        let expected_close =
            expected_close.map(|d| parse_date("expected close", d).map(|x| x.to_string())).transpose()?;
        let now = self.clock.now();
        let d = Deal {
            id: self.ids.uuid_at(now).to_string(),
            rep: rep.id.clone(),
            name,
            amount,
            stage,
            kare,
            expected_close,
            status: DealStatus::Open,
            closed_at: None,
            created_at: Some(now.to_rfc3339()),
        };
        self.store
            .write(|tx| tx.edit(&DocId::pipeline(&rep.id), now.timestamp(), |doc| docs::pipeline::put_deal(doc, &d)))?;
        Ok(d)
    }

    /// One deal by id (mine, or any of the team's for a manager).
    pub fn deal(&self, id: &str) -> Result<Deal> {
        let rep = self.store.deal_rep(id)?.ok_or_else(|| CoreError::NotFound(format!("no deal with id {id}")))?;
        if rep != self.me().id && !self.me().role.reads_team() {
            return Err(CoreError::NotFound(format!("no deal with id {id}")));
        }
        let doc = self
            .store
            .load(&DocId::pipeline(&rep))?
            .ok_or_else(|| CoreError::NotFound(format!("no deal with id {id}")))?;
        docs::pipeline::deals(&doc, &rep)?
            .into_iter()
            .find(|d| d.id == id)
            .ok_or_else(|| CoreError::NotFound(format!("no deal with id {id}")))
    }

    /// Changes a deal's name, amount, stage or expected close.
    pub fn edit_deal(&mut self, id: &str, e: &DealEdit) -> Result<Deal> {
        let d = self.deal(id)?;
        let name = e.name.as_deref().map(|n| clean_text("deal name", n, 120)).transpose()?;
        let amount = e.amount.map(check_amount).transpose()?;
        let stage = e.stage.as_deref().map(check_stage).transpose()?;
        let close = match e.expected_close.as_deref().map(str::trim) {
            None => None,
            Some("") => Some(None),
            Some(s) => Some(Some(parse_date("expected close", s)?.to_string())),
        };
        if name.is_none() && amount.is_none() && stage.is_none() && close.is_none() {
            return Err(CoreError::invalid("nothing to change: give a name, amount, stage or expected close"));
        }
        let time = self.now_secs();
        self.store.write(|tx| {
            tx.edit(&DocId::pipeline(&d.rep), time, |doc| {
                docs::pipeline::update_deal(
                    doc,
                    id,
                    name.as_deref(),
                    amount,
                    stage.as_deref(),
                    close.as_ref().map(|c| c.as_deref()),
                )
            })
        })?;
        self.deal(id)
    }

    /// Closes a deal as won or lost (now).
    pub fn close_deal(&mut self, id: &str, won: bool) -> Result<Deal> {
        let d = self.deal(id)?;
        if d.status != DealStatus::Open {
            return Err(CoreError::invalid(format!("deal '{}' is already {}", d.name, d.status.as_str())));
        }
        let now = self.clock.now();
        let status = if won { DealStatus::Won } else { DealStatus::Lost };
        self.store.write(|tx| {
            tx.edit(&DocId::pipeline(&d.rep), now.timestamp(), |doc| {
                docs::pipeline::close_deal(doc, id, status, &now.to_rfc3339())
            })
        })?;
        self.deal(id)
    }

    /// Deals of a rep (default me), open ones first by expected close, then
    /// closed ones newest first.
    pub fn deals(&self, rep: Option<&str>, include_closed: bool) -> Result<Vec<Deal>> {
        let rep = self.resolve_rep(rep)?;
        let Some(doc) = self.store.load(&DocId::pipeline(&rep.id))? else {
            return Ok(Vec::new());
        };
        let mut v: Vec<Deal> = docs::pipeline::deals(&doc, &rep.id)?
            .into_iter()
            .filter(|d| include_closed || d.status == DealStatus::Open)
            .collect();
        v.sort_by(|a, b| {
            let open = |d: &Deal| d.status != DealStatus::Open;
            open(a)
                .cmp(&open(b))
                .then_with(|| match a.status {
                    DealStatus::Open => a.expected_close.cmp(&b.expected_close),
                    _ => b.closed_at.cmp(&a.closed_at),
                })
                .then(a.name.cmp(&b.name))
        });
        Ok(v)
    }

    /// The KARE split of effort and results over the last `weeks` weeks, for
    /// a rep (default: me), or for the whole team (`team` = true, managers).
    pub fn kare_split(&self, rep: Option<&str>, team: bool, weeks: i64) -> Result<KareSplit> {
        let weeks = weeks.clamp(1, 104);
        let who = if team {
            self.require_team_reader("see the team's KARE split")?;
            None
        } else {
            Some(self.resolve_rep(rep)?.id)
        };
        let settings = self.team()?;
        let (from, _) = self.current_week()?.plus(1 - weeks).bounds(settings.tz(), settings.week_start);
        let mut out = KareSplit {
            rep: who.clone(),
            since: from.with_timezone(&settings.tz()).date_naive().to_string(),
            ..Default::default()
        };
        for k in Kare::ALL {
            out.effort.insert(k.as_str().into(), 0);
            out.results.insert(k.as_str().into(), 0);
            out.won.insert(k.as_str().into(), 0);
        }
        out.effort.extend(self.store.kare_effort(who.as_deref(), from, None)?);
        for (k, (amount, n)) in self.store.kare_won(who.as_deref(), from)? {
            out.results.insert(k.clone(), amount);
            out.won.insert(k, n);
        }
        Ok(out)
    }
}
