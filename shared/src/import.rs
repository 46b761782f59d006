//! CSV import of activities (e.g. a CRM's export). Every row is checked
//! before anything is written; one bad row refuses the whole file with the
//! line and the reason, and the store is left untouched.

use crate::error::{CoreError, Result};
use crate::model::ActivityInput;
use crate::service::Kept;
use std::io::Read;

/// Header names accepted for each field (case-insensitive).
const ALIASES: &[(&str, &[&str])] = &[
    ("type", &["type", "activity", "activity type", "activity_type", "kind"]),
    ("occurred_at", &["occurred_at", "date", "time", "timestamp", "activity date", "start"]),
    ("count", &["count", "quantity", "qty"]),
    ("kare", &["kare", "kare category"]),
    ("account", &["account", "company", "account name", "contact"]),
    ("outcome", &["outcome", "result", "status"]),
    ("note", &["note", "notes", "description", "comments", "subject"]),
    ("duration_min", &["duration_min", "duration", "minutes"]),
];

/// An explicit column mapping for a CRM's export: which header holds each
/// field, and which of the CRM's activity names is which of the team's types.
/// Fields not mapped fall back to the header aliases above.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ColumnMap {
    /// Field (`type`, `date`, `count`, `kare`, `account`, `outcome`, `note`, `duration`) → header.
    pub columns: std::collections::BTreeMap<String, String>,
    /// The CRM's activity name (any case) → activity type key.
    pub types: std::collections::BTreeMap<String, String>,
}

impl ColumnMap {
    /// Parses `field=Header` pairs (e.g. `date=Activity Date`) and
    /// `Name=type` pairs (e.g. `Logged Call=call`).
    pub fn parse(columns: &[String], types: &[String]) -> Result<ColumnMap> {
        let mut m = ColumnMap::default();
        for c in columns {
            let (f, h) =
                c.split_once('=').filter(|(f, h)| !f.trim().is_empty() && !h.trim().is_empty()).ok_or_else(|| {
                    CoreError::invalid(format!(
                        "bad column mapping '{c}': expected field=Header, like date=Activity Date"
                    ))
                })?;
            let field = canonical_field(f.trim())?;
            m.columns.insert(field.to_string(), h.trim().to_string());
        }
        for t in types {
            let (name, key) =
                t.split_once('=').filter(|(n, k)| !n.trim().is_empty() && !k.trim().is_empty()).ok_or_else(|| {
                    CoreError::invalid(format!("bad type mapping '{t}': expected CRM name=type, like Logged Call=call"))
                })?;
            m.types.insert(name.trim().to_lowercase(), key.trim().to_string());
        }
        Ok(m)
    }
}

/// The field a mapping names (`date` and `duration` are accepted for short).
fn canonical_field(f: &str) -> Result<&'static str> {
    let f = f.to_lowercase();
    let f = match f.as_str() {
        "date" | "time" => "occurred_at",
        "duration" => "duration_min",
        other => other,
    };
    ALIASES.iter().map(|(k, _)| *k).find(|k| *k == f).ok_or_else(|| {
        CoreError::invalid(format!(
            "unknown field '{f}' in the column mapping: expected type, date, count, kare, account, outcome, note or duration"
        ))
    })
}

/// Most rows one import takes.
pub const MAX_ROWS: usize = 50_000;

/// How an import treats rows it cannot take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ImportMode {
    /// Any bad row refuses the whole file; nothing is written.
    #[default]
    AllOrNothing,
    /// Check every row and report; write nothing.
    DryRun,
    /// Import exactly the good rows (one transaction), report the rejected ones.
    SkipBad,
}

/// A row that cannot be imported.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Rejected {
    /// Line number in the file (the header is line 1).
    pub line: usize,
    /// Why.
    pub reason: String,
}

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ImportReport {
    /// Activities imported (0 in a dry run).
    pub imported: usize,
    /// Rows that are good.
    pub good: usize,
    /// Every rejected row, with its line and reason.
    pub rejected: Vec<Rejected>,
    /// True for a dry run.
    pub dry_run: bool,
}

fn parse_time(s: &str) -> Result<String> {
    let t = s.trim();
    if let Ok(x) = chrono::DateTime::parse_from_rfc3339(t) {
        return Ok(x.to_rfc3339());
    }
    for f in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(x) = chrono::NaiveDateTime::parse_from_str(t, f) {
            return Ok(x.and_utc().to_rfc3339());
        }
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(12, 0, 0).unwrap_or_default().and_utc().to_rfc3339());
    }
    Err(CoreError::invalid(format!("bad date '{s}': expected 2026-11-23, 2026-11-23 14:30 or RFC 3339")))
}

impl Kept {
    /// Imports activities from CSV (with a header row) for me or (managers)
    /// `rep`, all or nothing.
    pub fn import_csv(&mut self, input: impl Read, rep: Option<&str>) -> Result<ImportReport> {
        self.import_csv_with(input, rep, ImportMode::AllOrNothing)
    }

    /// Imports activities from CSV with the given treatment of bad rows.
    pub fn import_csv_with(&mut self, input: impl Read, rep: Option<&str>, mode: ImportMode) -> Result<ImportReport> {
        self.import_csv_mapped(input, rep, mode, &ColumnMap::default())
    }

    /// Imports activities from CSV with an explicit column mapping (fields it
    /// does not name fall back to the usual header names).
    pub fn import_csv_mapped(
        &mut self,
        input: impl Read,
        rep: Option<&str>,
        mode: ImportMode,
        map: &ColumnMap,
    ) -> Result<ImportReport> {
        let mut r = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(input);
        let headers =
            r.headers().map_err(|e| CoreError::invalid(format!("not a CSV file with a header row: {e}")))?.clone();
        let catalog = self.team()?;
        for (field, h) in &map.columns {
            if !headers.iter().any(|x| x.eq_ignore_ascii_case(h)) {
                return Err(CoreError::invalid(format!(
                    "the column mapping names '{h}' for {field}, but the CSV has no such column; it has {}",
                    headers.iter().collect::<Vec<_>>().join(", ")
                )));
            }
        }
        for key in map.types.values() {
            catalog.activity_type(key)?;
        }
        let col = |field: &str| -> Option<usize> {
            if let Some(h) = map.columns.get(field) {
                return headers.iter().position(|x| x.eq_ignore_ascii_case(h));
            }
            let names = ALIASES.iter().find(|(f, _)| *f == field).map(|(_, n)| *n).unwrap_or(&[]);
            headers.iter().position(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)))
        };
        let (Some(ty), Some(at)) = (col("type"), col("occurred_at")) else {
            return Err(CoreError::invalid(format!(
                "the CSV needs a type column and a date column; found {}",
                headers.iter().collect::<Vec<_>>().join(", ")
            )));
        };
        let mut entries = Vec::new();
        let mut rejected = Vec::new();
        for (i, rec) in r.records().enumerate() {
            let line = i + 2;
            if entries.len() + rejected.len() >= MAX_ROWS {
                return Err(CoreError::invalid(format!("too many rows: at most {MAX_ROWS} per import")));
            }
            let row = || -> Result<(String, ActivityInput)> {
                let rec = rec.map_err(|e| CoreError::invalid(e.to_string()))?;
                if rec.len() != headers.len() {
                    return Err(CoreError::invalid(format!("{} fields, the header has {}", rec.len(), headers.len())));
                }
                let get = |f: &str| col(f).and_then(|c| rec.get(c)).map(str::trim).filter(|s| !s.is_empty());
                let given = rec.get(ty).unwrap_or("").trim();
                let raw_kind = match map.types.get(&given.to_lowercase()) {
                    Some(k) => k.clone(),
                    None => given.to_lowercase().replace([' ', '_'], "-"),
                };
                let kind = catalog
                    .catalog
                    .iter()
                    .find(|t| !t.retired && (t.key == raw_kind || t.label.eq_ignore_ascii_case(given)))
                    .map(|t| t.key.clone())
                    .ok_or_else(|| {
                        catalog.activity_type(&raw_kind).err().unwrap_or_else(|| CoreError::invalid("bad type"))
                    })?;
                let num = |f: &str| -> Result<Option<i64>> {
                    get(f)
                        .map(|v| {
                            v.parse::<i64>()
                                .map_err(|_| CoreError::invalid(format!("bad {f} '{v}': expected a whole number")))
                        })
                        .transpose()
                };
                let input = ActivityInput {
                    kind: Some(kind.clone()),
                    kare: get("kare").map(|k| k.parse()).transpose()?.map(Some),
                    occurred_at: Some(parse_time(rec.get(at).unwrap_or(""))?),
                    count: num("count")?,
                    duration_min: num("duration_min")?.map(Some),
                    outcome: get("outcome").map(|s| Some(s.to_string())),
                    account: get("account").map(|s| Some(s.to_string())),
                    deal: None,
                    note: get("note").map(|s| Some(s.to_string())),
                };
                // The same checks as a tap in the app (count range, not in the future, text lengths).
                self.check_input(&input)?;
                Ok((kind, ActivityInput { kind: None, ..input }))
            };
            match row() {
                Ok(e) => entries.push(e),
                Err(e) => rejected.push(Rejected { line, reason: e.to_string() }),
            }
        }
        if entries.is_empty() && rejected.is_empty() {
            return Err(CoreError::invalid("the CSV has no rows to import"));
        }
        let good = entries.len();
        let report =
            |imported| ImportReport { imported, good, rejected: rejected.clone(), dry_run: mode == ImportMode::DryRun };
        match mode {
            ImportMode::DryRun => Ok(report(0)),
            ImportMode::AllOrNothing if !rejected.is_empty() => {
                let shown: Vec<String> =
                    rejected.iter().take(10).map(|r| format!("line {}: {}", r.line, r.reason)).collect();
                Err(CoreError::invalid(format!(
                    "nothing imported: {} of {} rows are bad ({}{}); fix them, or import only the good rows",
                    rejected.len(),
                    rejected.len() + good,
                    shown.join("; "),
                    if rejected.len() > 10 { "; …" } else { "" }
                )))
            }
            _ => {
                if good > 0 {
                    self.log_many(entries, rep)?;
                }
                Ok(report(good))
            }
        }
    }
}
