//! CSV export of what this device may see, one table per record kind that
//! the registry gives a table (`RecordKind::export`): activities, actions,
//! targets, commitments, goals, deals, meetings (with both ratings),
//! assessments (self and managers', one row per criterion), development and
//! kudos. Reps export their own rows only.

use crate::docs::{self, DocId};
use crate::error::{CoreError, Result};
use crate::records::{Export, RecordKind};
use crate::service::Kept;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::io::Write;

/// The record kind exported under table name `name` (`kept export --what NAME`).
pub fn table(name: &str) -> Result<RecordKind> {
    RecordKind::export_tables().find(|(n, _)| *n == name.trim()).map(|(_, k)| k).ok_or_else(|| {
        CoreError::invalid(format!(
            "cannot export '{name}': expected one of {}",
            RecordKind::export_tables().map(|(n, _)| n).collect::<Vec<_>>().join(", ")
        ))
    })
}

fn csv_err(e: csv::Error) -> CoreError {
    CoreError::Io(std::io::Error::other(e.to_string()))
}

type Rows = (&'static [&'static str], Vec<Vec<String>>);

impl Kept {
    /// Writes the table of `what` as CSV (with a header row) to `out`;
    /// returns the number of data rows.
    pub fn export_csv(&self, what: RecordKind, out: impl Write) -> Result<usize> {
        let (header, rows) = self.export_rows(what)?;
        let mut w = csv::Writer::from_writer(out);
        w.write_record(header).map_err(csv_err)?;
        for r in &rows {
            w.write_record(r).map_err(csv_err)?;
        }
        w.flush()?;
        Ok(rows.len())
    }

    /// The header and rows of `what`'s table.
    fn export_rows(&self, what: RecordKind) -> Result<Rows> {
        match what.export() {
            Export::Table(_) => {}
            Export::Within(host) => {
                return Err(CoreError::invalid(format!("{} are exported within {}", what.name(), host.name())))
            }
            Export::Configuration => {
                return Err(CoreError::invalid(format!("{} are team configuration, not exported as rows", what.name())))
            }
        }
        let names: HashMap<String, String> = self.members()?.into_iter().map(|m| (m.id, m.name)).collect();
        let name = |id: &str| names.get(id).cloned().unwrap_or_else(|| id.to_string());
        let reps = self.reps()?;
        // Rows about me or the reps I may see (a rep: only me).
        let mut mine: Vec<&str> = reps.iter().map(|m| m.id.as_str()).collect();
        mine.push(self.me().id.as_str());
        let opt = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
        let mut rows: Vec<Vec<String>> = Vec::new();
        let header: &'static [&'static str] = match what {
            RecordKind::Activity => {
                for a in self.store.activities_between(None, DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC)? {
                    if !mine.contains(&a.rep.as_str()) {
                        continue;
                    }
                    rows.push(vec![
                        a.id,
                        name(&a.rep),
                        a.kind,
                        a.kare.map(|k| k.as_str().to_string()).unwrap_or_default(),
                        a.occurred_at,
                        a.count.to_string(),
                        opt(a.duration_min),
                        a.outcome.unwrap_or_default(),
                        a.account.unwrap_or_default(),
                        a.deal.unwrap_or_default(),
                        a.note.unwrap_or_default(),
                    ]);
                }
                &[
                    "id",
                    "rep",
                    "type",
                    "kare",
                    "occurred_at",
                    "count",
                    "duration_min",
                    "outcome",
                    "account",
                    "deal",
                    "note",
                ]
            }
            RecordKind::ActionItem => {
                for a in self.action_items(&Default::default())? {
                    rows.push(vec![
                        a.id.clone(),
                        name(&a.rep),
                        name(&a.owner),
                        a.text.clone(),
                        a.due.clone(),
                        a.status.as_str().to_string(),
                        a.result.clone().unwrap_or_default(),
                        a.created_at.clone(),
                    ]);
                }
                &["id", "rep", "owner", "text", "due", "status", "result", "created_at"]
            }
            RecordKind::Target => {
                for t in self.store.all_targets()? {
                    if mine.contains(&t.rep.as_str()) {
                        let from = if t.standing { "from" } else { "only" };
                        rows.push(vec![
                            name(&t.rep),
                            t.kind,
                            format!("{from} {}", t.week),
                            t.count.to_string(),
                            name(&t.set_by),
                        ]);
                    }
                }
                &["rep", "type", "week", "count", "set_by"]
            }
            RecordKind::Commitment => {
                for c in self.store.commitments(None)? {
                    if mine.contains(&c.rep.as_str()) {
                        let activity = c.activity.unwrap_or_default();
                        rows.push(vec![
                            c.id,
                            name(&c.rep),
                            c.week,
                            c.kind.as_str().into(),
                            activity,
                            c.count.to_string(),
                            c.text,
                        ]);
                    }
                }
                &["id", "rep", "week", "kind", "activity", "count", "text"]
            }
            RecordKind::Goal => {
                for r in &reps {
                    if let Some(g) = self.agreed_goal(Some(&r.id))? {
                        rows.push(vec![
                            r.name.clone(),
                            g.goal.income.to_string(),
                            g.goal.commission.to_string(),
                            g.goal.deal_size.to_string(),
                            g.goal.working_weeks.to_string(),
                            name(&g.agreed_by),
                            g.agreed_at,
                        ]);
                    }
                }
                &["rep", "income", "commission", "deal_size", "working_weeks", "agreed_by", "agreed_at"]
            }
            RecordKind::Deal => {
                for r in &reps {
                    for d in self.deals(Some(&r.id), true)? {
                        rows.push(vec![
                            d.id,
                            r.name.clone(),
                            d.name,
                            d.amount.to_string(),
                            d.stage,
                            d.kare.map(|k| k.as_str().to_string()).unwrap_or_default(),
                            d.expected_close.unwrap_or_default(),
                            d.status.as_str().to_string(),
                            d.created_at.unwrap_or_default(),
                            d.closed_at.unwrap_or_default(),
                        ]);
                    }
                }
                &["id", "rep", "name", "amount", "stage", "kare", "expected_close", "status", "created_at", "closed_at"]
            }
            RecordKind::Meeting => {
                for r in &reps {
                    for m in self.meetings(Some(&r.id))? {
                        rows.push(vec![
                            m.id,
                            r.name.clone(),
                            m.kind,
                            m.date,
                            m.notes,
                            opt(m.rep_rating),
                            m.rep_comment.unwrap_or_default(),
                            opt(m.manager_rating),
                        ]);
                    }
                }
                &["id", "rep", "type", "date", "notes", "rep_rating", "rep_comment", "manager_rating"]
            }
            RecordKind::SelfAssessment => {
                for r in &reps {
                    for a in self.assessments(Some(&r.id))? {
                        for (criterion, score) in &a.scores {
                            rows.push(vec![
                                a.id.clone(),
                                r.name.clone(),
                                a.interaction.clone(),
                                if a.by_self { "self".into() } else { name(&a.by) },
                                a.at.clone(),
                                criterion.clone(),
                                crate::agenda::SCALE.get(*score as usize).unwrap_or(&"").to_string(),
                            ]);
                        }
                    }
                }
                &["id", "rep", "interaction", "by", "at", "criterion", "score"]
            }
            RecordKind::DevEntry => {
                for r in &reps {
                    let Some(doc) = self.store.load(&DocId::coaching(&r.id))? else { continue };
                    for e in docs::coaching::dev_entries(&doc)? {
                        rows.push(vec![
                            e.id,
                            r.name.clone(),
                            e.kind,
                            e.interaction.unwrap_or_default(),
                            e.text,
                            name(&e.by),
                            e.at,
                            e.done.to_string(),
                        ]);
                    }
                }
                &["id", "rep", "type", "interaction", "text", "by", "at", "done"]
            }
            RecordKind::Kudos => {
                for k in self.kudos()? {
                    rows.push(vec![k.id, name(&k.from), name(&k.to), k.text, k.about_label.unwrap_or_default(), k.at]);
                }
                &["id", "from", "to", "text", "for", "at"]
            }
            RecordKind::Calibration => {
                // One row per scorer and criterion of each revealed session.
                for v in self.calibrations()? {
                    for c in &v.spread {
                        for s in &c.scores {
                            rows.push(vec![
                                v.session.id.clone(),
                                v.session.title.clone(),
                                v.session.interaction.clone(),
                                v.session.at.clone(),
                                s.name.clone(),
                                c.criterion.clone(),
                                s.score.to_string(),
                                opt(c.agreed),
                            ]);
                        }
                    }
                }
                &["id", "title", "interaction", "at", "scorer", "criterion", "score", "agreed"]
            }
            RecordKind::Challenge => {
                // One row per challenge; its scores and comments as columns.
                for v in self.challenges(None)? {
                    let c = &v.challenge;
                    let answer = c.answer.as_ref();
                    let scores: Vec<String> = v.scores.iter().map(|(k, s)| format!("{k}={s}")).collect();
                    let comments: Vec<String> =
                        v.comments.iter().map(|m| format!("{}s: {}", m.comment.at_ms / 1000, m.comment.text)).collect();
                    rows.push(vec![
                        c.id.clone(),
                        v.rep_name.clone(),
                        c.prompt.clone(),
                        c.interaction.clone(),
                        c.due.clone(),
                        v.by_name.clone(),
                        answer.map(|a| a.at.clone()).unwrap_or_default(),
                        answer.map(|a| a.hash.clone()).unwrap_or_default(),
                        opt(answer.and_then(|a| a.ms).map(|ms| ms / 1000)),
                        scores.join("; "),
                        comments.join(" | "),
                    ]);
                }
                &[
                    "id",
                    "rep",
                    "prompt",
                    "interaction",
                    "due",
                    "set_by",
                    "answered_at",
                    "recording",
                    "seconds",
                    "scores",
                    "comments",
                ]
            }
            RecordKind::SignNote => {
                for r in &reps {
                    for n in self.sign_notes(Some(&r.id))? {
                        rows.push(vec![n.id, r.name.clone(), n.week, n.kind, n.message, n.note, name(&n.by), n.at]);
                    }
                }
                &["id", "rep", "week", "sign", "message", "note", "by", "at"]
            }
            // Exported within another table or not at all (returned above).
            RecordKind::ChallengeComment
            | RecordKind::CalibrationScore
            | RecordKind::Settings
            | RecordKind::ActivityType
            | RecordKind::Agenda
            | RecordKind::Criteria
            | RecordKind::ManagerAssessment
            | RecordKind::MeetingRating => &[],
        };
        Ok((header, rows))
    }
}
