//! CSV export of what this device may see: activities or action items.

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
        }
        w.flush()?;
        Ok(n)
    }
}
