//! CSV export of what this device may see: every table — activities, action
//! items, targets, commitments, deals, meetings (with ratings), assessment
//! scores (one row per criterion) and kudos. Reps export their own rows only.

use crate::error::{CoreError, Result};
use crate::model::Role;
use crate::service::Kept;
use rusqlite::params;
use std::collections::HashMap;
use std::io::Write;

/// What to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    /// Every activity.
    Activities,
    /// Every action item.
    Actions,
    /// Targets (standing and one-week).
    Targets,
    /// Weekly commitments.
    Commitments,
    /// Deals.
    Deals,
    /// Meetings with their notes and ratings.
    Meetings,
    /// Assessment scores, one row per criterion.
    Assessments,
    /// The kudos feed.
    Kudos,
}

impl ExportKind {
    /// Every kind with its name (`kept export --what NAME`).
    pub const ALL: &'static [(&'static str, ExportKind)] = &[
        ("activities", ExportKind::Activities),
        ("actions", ExportKind::Actions),
        ("targets", ExportKind::Targets),
        ("commitments", ExportKind::Commitments),
        ("deals", ExportKind::Deals),
        ("meetings", ExportKind::Meetings),
        ("assessments", ExportKind::Assessments),
        ("kudos", ExportKind::Kudos),
    ];
}

impl std::str::FromStr for ExportKind {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<ExportKind> {
        ExportKind::ALL.iter().find(|(n, _)| *n == s.trim()).map(|(_, k)| *k).ok_or_else(|| {
            CoreError::invalid(format!(
                "cannot export '{s}': expected one of {}",
                ExportKind::ALL.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
            ))
        })
    }
}

fn csv_err(e: csv::Error) -> CoreError {
    CoreError::Io(std::io::Error::other(e.to_string()))
}

impl Kept {
    /// Writes CSV (with a header row) to `out`; returns the number of data rows.
    pub fn export_csv(&self, what: ExportKind, out: impl Write) -> Result<usize> {
        let names: HashMap<String, String> = self.members()?.into_iter().map(|m| (m.id, m.name)).collect();
        let name = |id: &str| names.get(id).cloned().unwrap_or_else(|| id.to_string());
        let mut w = csv::Writer::from_writer(out);
        let visible = |rep: &str| self.me().role == Role::Manager || rep == self.me().id;
        let mut n = 0;
        match what {
            ExportKind::Activities => {
                w.write_record([
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
                ])
                .map_err(csv_err)?;
                let mut st = self.store.conn().prepare(
                    "SELECT id, rep, type, COALESCE(kare, ''), occurred_at, count, COALESCE(CAST(duration_min AS TEXT), ''),
                     COALESCE(outcome, ''), COALESCE(account, ''), COALESCE(deal, ''), COALESCE(note, '')
                     FROM activities ORDER BY occurred_utc, id",
                )?;
                let mut rows = st.query(params![])?;
                while let Some(r) = rows.next()? {
                    let rep: String = r.get(1)?;
                    if !visible(&rep) {
                        continue;
                    }
                    let mut rec: Vec<String> = Vec::with_capacity(11);
                    rec.push(r.get(0)?);
                    rec.push(name(&rep));
                    rec.push(r.get(2)?);
                    rec.push(r.get(3)?);
                    rec.push(r.get(4)?);
                    rec.push(r.get::<_, i64>(5)?.to_string());
                    for i in 6..11 {
                        rec.push(r.get(i)?);
                    }
                    w.write_record(&rec).map_err(csv_err)?;
                    n += 1;
                }
            }
            ExportKind::Actions => {
                w.write_record(["id", "rep", "owner", "text", "due", "status", "result", "created_at"])
                    .map_err(csv_err)?;
                for a in self.action_items(&Default::default())? {
                    w.write_record([
                        a.id.clone(),
                        name(&a.rep),
                        name(&a.owner),
                        a.text.clone(),
                        a.due.clone(),
                        a.status.as_str().to_string(),
                        a.result.clone().unwrap_or_default(),
                        a.created_at.clone(),
                    ])
                    .map_err(csv_err)?;
                    n += 1;
                }
            }
            other => n += self.export_more(other, &mut w, &name)?,
        }
        w.flush()?;
        Ok(n)
    }

    /// The other tables; `reps()` is every rep for a manager, only me for a rep.
    fn export_more(
        &self,
        what: ExportKind,
        w: &mut csv::Writer<impl Write>,
        name: &dyn Fn(&str) -> String,
    ) -> Result<usize> {
        let mut rows: Vec<Vec<String>> = Vec::new();
        let header: &[&str] = match what {
            ExportKind::Targets => {
                let mut st = self
                    .store
                    .conn()
                    .prepare("SELECT rep, type, week, standing, count, set_by FROM targets ORDER BY rep, type, week")?;
                let mine = self.reps()?.into_iter().map(|m| m.id).collect::<Vec<_>>();
                let q = st.query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, bool>(3)?,
                        r.get::<_, i64>(4)?,
                        r.get::<_, String>(5)?,
                    ))
                })?;
                for t in q {
                    let (rep, kind, week, standing, count, by) = t?;
                    if mine.contains(&rep) {
                        let from = if standing { "from" } else { "only" };
                        rows.push(vec![name(&rep), kind, format!("{from} {week}"), count.to_string(), name(&by)]);
                    }
                }
                &["rep", "type", "week", "count", "set_by"]
            }
            ExportKind::Commitments => {
                let mut st = self.store.conn().prepare(
                    "SELECT id, rep, week, kind, COALESCE(activity, ''), count, text FROM commitments ORDER BY week, rep",
                )?;
                let mine = self.reps()?.into_iter().map(|m| m.id).collect::<Vec<_>>();
                let q = st.query_map([], |r| {
                    Ok([
                        r.get::<_, String>(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get::<_, i64>(5)?.to_string(),
                        r.get(6)?,
                    ])
                })?;
                for c in q {
                    let mut c = c?;
                    if mine.contains(&c[1]) {
                        c[1] = name(&c[1]);
                        rows.push(c.to_vec());
                    }
                }
                &["id", "rep", "week", "kind", "activity", "count", "text"]
            }
            ExportKind::Deals => {
                for r in self.reps()? {
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
            ExportKind::Meetings => {
                let opt = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
                for r in self.reps()? {
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
            ExportKind::Assessments => {
                for r in self.reps()? {
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
            ExportKind::Kudos => {
                for k in self.kudos()? {
                    rows.push(vec![k.id, name(&k.from), name(&k.to), k.text, k.about_label.unwrap_or_default(), k.at]);
                }
                &["id", "from", "to", "text", "for", "at"]
            }
            ExportKind::Activities | ExportKind::Actions => &[],
        };
        w.write_record(header).map_err(csv_err)?;
        for r in &rows {
            w.write_record(r).map_err(csv_err)?;
        }
        Ok(rows.len())
    }
}
