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

/// Most rows one import takes.
pub const MAX_ROWS: usize = 50_000;

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImportReport {
    /// Activities imported.
    pub imported: usize,
}

fn parse_time(s: &str, line: usize) -> Result<String> {
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
    Err(CoreError::invalid(format!("line {line}: bad date '{s}': expected 2026-11-23, 2026-11-23 14:30 or RFC 3339")))
}

impl Kept {
    /// Imports activities from CSV (with a header row) for me or (managers) `rep`.
    pub fn import_csv(&mut self, input: impl Read, rep: Option<&str>) -> Result<ImportReport> {
        let mut r = csv::ReaderBuilder::new().flexible(false).trim(csv::Trim::All).from_reader(input);
        let headers =
            r.headers().map_err(|e| CoreError::invalid(format!("not a CSV file with a header row: {e}")))?.clone();
        let col = |field: &str| -> Option<usize> {
            let names = ALIASES.iter().find(|(f, _)| *f == field).map(|(_, n)| *n).unwrap_or(&[]);
            headers.iter().position(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)))
        };
        let (Some(ty), Some(at)) = (col("type"), col("occurred_at")) else {
            return Err(CoreError::invalid(format!(
                "the CSV needs a type column and a date column; found {}",
                headers.iter().collect::<Vec<_>>().join(", ")
            )));
        };
        let catalog = self.team()?;
        let mut entries = Vec::new();
        for (i, rec) in r.records().enumerate() {
            let line = i + 2;
            let rec = rec.map_err(|e| CoreError::invalid(format!("line {line}: {e}")))?;
            if entries.len() >= MAX_ROWS {
                return Err(CoreError::invalid(format!("too many rows: at most {MAX_ROWS} per import")));
            }
            let get = |f: &str| col(f).and_then(|c| rec.get(c)).map(str::trim).filter(|s| !s.is_empty());
            let raw_kind = rec.get(ty).unwrap_or("").trim().to_lowercase().replace([' ', '_'], "-");
            let kind = catalog
                .catalog
                .iter()
                .find(|t| t.key == raw_kind || t.label.eq_ignore_ascii_case(rec.get(ty).unwrap_or("").trim()))
                .map(|t| t.key.clone())
                .ok_or_else(|| {
                    CoreError::invalid(format!(
                        "line {line}: {}",
                        catalog.activity_type(&raw_kind).err().map(|e| e.to_string()).unwrap_or_default()
                    ))
                })?;
            let num = |f: &str| -> Result<Option<i64>> {
                get(f)
                    .map(|v| {
                        v.parse::<i64>().map_err(|_| {
                            CoreError::invalid(format!("line {line}: bad {f} '{v}': expected a whole number"))
                        })
                    })
                    .transpose()
            };
            let kare = get("kare")
                .map(|k| k.parse().map_err(|e: CoreError| CoreError::invalid(format!("line {line}: {e}"))))
                .transpose()?;
            let input = ActivityInput {
                kind: None,
                kare: kare.map(Some),
                occurred_at: Some(parse_time(rec.get(at).unwrap_or(""), line)?),
                count: num("count")?,
                duration_min: num("duration_min")?.map(Some),
                outcome: get("outcome").map(|s| Some(s.to_string())),
                account: get("account").map(|s| Some(s.to_string())),
                deal: None,
                note: get("note").map(|s| Some(s.to_string())),
            };
            entries.push((kind, input));
        }
        if entries.is_empty() {
            return Err(CoreError::invalid("the CSV has no rows to import"));
        }
        let n = entries.len();
        self.log_many(entries, rep).map_err(|e| match e {
            CoreError::Invalid(m) => CoreError::Invalid(format!("nothing imported: {m}")),
            other => other,
        })?;
        Ok(ImportReport { imported: n })
    }
}
