//! Document ids and kinds, and members' roles: the names the relay decides access from.

use crate::error::{ProtocolError, Result};
use crate::week::Week;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A member's role in a team.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Logs their own activities; reads their own documents and the team's.
    Rep,
    /// Reads and writes every document of the team.
    Manager,
    /// Above the team's manager (a director, VP or enablement): reads every
    /// document of the team and writes none. A leader is a manager of their
    /// organisation's leadership team; the relay adds them to each team of
    /// the organisation with this role (docs/PROTOCOL.md, "Organisations").
    Leader,
}

impl Role {
    /// Every value, in display order.
    pub const ALL: &'static [Role] = &[Role::Rep, Role::Manager, Role::Leader];
    /// The keyword used in documents, the CLI and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Rep => "rep",
            Role::Manager => "manager",
            Role::Leader => "leader",
        }
    }

    /// True for the roles that read every document of the team (managers and leaders).
    pub fn reads_team(self) -> bool {
        matches!(self, Role::Manager | Role::Leader)
    }
}

impl FromStr for Role {
    type Err = ProtocolError;
    fn from_str(s: &str) -> Result<Role> {
        match s.trim().to_ascii_lowercase().as_str() {
            "rep" => Ok(Role::Rep),
            "manager" => Ok(Role::Manager),
            "leader" => Ok(Role::Leader),
            other => {
                Err(ProtocolError::invalid(format!("unknown role '{other}': expected one of rep, manager, leader")))
            }
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The kinds of document (DESIGN.md §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DocKind {
    /// Team settings and catalog.
    Team,
    /// One rep's activities of one week.
    Log,
    /// One rep's targets, commitments and goal.
    Plan,
    /// One rep's deals.
    Pipeline,
    /// One rep's meetings, action items, self-assessments and development plan (the rep and managers write).
    Coaching,
    /// What managers write about one rep: their assessment scores and their ratings of 1-on-1s (only managers write; the rep reads).
    Review,
}

impl DocKind {
    /// The keyword used in document ids and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::Team => "team",
            DocKind::Log => "log",
            DocKind::Plan => "plan",
            DocKind::Pipeline => "pipeline",
            DocKind::Coaching => "coaching",
            DocKind::Review => "review",
        }
    }
}

/// A document's id within a team. Its string form names the kind, the member
/// it is about and (for logs) the week: `team`, `log/<member>/2026-W48`,
/// `plan/<member>`, `pipeline/<member>`, `coaching/<member>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocId(String);

impl DocId {
    /// The team document.
    pub fn team() -> DocId {
        DocId("team".into())
    }
    /// A rep's log for one week.
    pub fn log(member: &str, week: Week) -> DocId {
        DocId(format!("log/{member}/{week}"))
    }
    /// A rep's plan.
    pub fn plan(member: &str) -> DocId {
        DocId(format!("plan/{member}"))
    }
    /// A rep's pipeline.
    pub fn pipeline(member: &str) -> DocId {
        DocId(format!("pipeline/{member}"))
    }
    /// A rep's coaching document.
    pub fn coaching(member: &str) -> DocId {
        DocId(format!("coaching/{member}"))
    }
    /// What managers write about a rep.
    pub fn review(member: &str) -> DocId {
        DocId(format!("review/{member}"))
    }
    /// The string form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The kind, from the id.
    pub fn kind(&self) -> DocKind {
        match self.0.split('/').next() {
            Some("log") => DocKind::Log,
            Some("plan") => DocKind::Plan,
            Some("pipeline") => DocKind::Pipeline,
            Some("coaching") => DocKind::Coaching,
            Some("review") => DocKind::Review,
            _ => DocKind::Team,
        }
    }
    /// The member the document is about (none for the team document).
    pub fn subject(&self) -> Option<&str> {
        self.0.split('/').nth(1)
    }
    /// The week of a log document.
    pub fn period(&self) -> Option<Week> {
        self.0.split('/').nth(2).and_then(|w| w.parse().ok())
    }
}

impl FromStr for DocId {
    type Err = ProtocolError;
    /// Parses and validates a document id (the relay relies on this).
    fn from_str(s: &str) -> Result<DocId> {
        let bad = |why: &str| ProtocolError::invalid(format!("bad document id '{s}': {why}"));
        let parts: Vec<&str> = s.split('/').collect();
        let member_ok = |m: &str| uuid::Uuid::parse_str(m).map(|u| u.hyphenated().to_string() == m).unwrap_or(false);
        match parts.as_slice() {
            ["team"] => Ok(DocId::team()),
            ["log", m, w] => {
                if !member_ok(m) {
                    return Err(bad("the member must be a lowercase UUID"));
                }
                let week: Week = w.parse().map_err(|_| bad("the week must look like 2026-W48"))?;
                Ok(DocId::log(m, week))
            }
            [k @ ("plan" | "pipeline" | "coaching" | "review"), m] => {
                if !member_ok(m) {
                    return Err(bad("the member must be a lowercase UUID"));
                }
                Ok(DocId(format!("{k}/{m}")))
            }
            _ => Err(bad("expected team, log/<member>/<week>, plan/<member>, pipeline/<member>, coaching/<member> or review/<member>")),
        }
    }
}

impl fmt::Display for DocId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: &str = "0190f0a0-0000-7000-8000-000000000001";

    #[test]
    fn ids_round_trip_and_reject_garbage() {
        let w: Week = "2026-W48".parse().expect("valid");
        for id in
            [DocId::team(), DocId::log(M, w), DocId::plan(M), DocId::pipeline(M), DocId::coaching(M), DocId::review(M)]
        {
            let back: DocId = id.as_str().parse().expect("round trip");
            assert_eq!(back, id);
        }
        assert_eq!(DocId::log(M, w).subject(), Some(M));
        assert_eq!(DocId::log(M, w).period(), Some(w));
        for bad in ["", "teams", "log/x/2026-W48", "plan/", &format!("log/{M}/2026-48"), &format!("plan/{M}/extra")] {
            assert!(bad.parse::<DocId>().is_err(), "{bad:?} should be rejected");
        }
    }
}
