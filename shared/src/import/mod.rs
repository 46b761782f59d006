//! CSV import of activities from a CRM's export, for one rep or (a manager)
//! a whole team. Every row gets the checks of a tap before anything is
//! written; a dry run lists each rejected row with its line in the file, its
//! column and why; the default is all or nothing; [`ImportMode::SkipBad`]
//! writes exactly the good rows, in one transaction.
//!
//! - Columns: an explicit [`ColumnMap`], else a preset recognised from the
//!   header row (Salesforce, HubSpot, Pipedrive, a Kept export; see
//!   `presets`), else generic header names.
//! - Dates: ISO, US, European, serial; the day/month order from the whole
//!   column, asked for when ambiguous (`dates`); local times are in the
//!   team's zone.
//! - Durations: seconds, minutes, `h:mm:ss`, `1h 20m` (`durations`).
//! - Reps: a rep column routes each row to that member's documents (names
//!   matched case- and accent-insensitively, or mapped); a rep imports only
//!   their own rows.
//! - Nothing twice: each activity keeps an `import_key` (the CRM's row id,
//!   else a hash of rep, time, type, account and subject); a row whose key the
//!   rep's log already holds is counted as already there, not written again.

mod dates;
mod durations;
mod presets;

pub use dates::DateFormat;
pub use durations::DurationUnit;
pub use presets::fold;

use crate::docs::{self, DocId, DocKind};
use crate::error::{CoreError, Result};
use crate::model::{Activity, ActivityInput, Kare, Member, Role, TeamSettings, MAX_COUNT};
use crate::service::Kept;
use automerge::{AutoCommit, ObjType, ReadDoc, ScalarValue, Value, ValueRef, ROOT};
use chrono::{DateTime, Utc};
use presets::{Preset, ALIASES, FIELDS};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;

/// An explicit mapping for a CRM's export: which header holds each field,
/// which of the CRM's activity names is which type, which CRM user is which
/// member, and how to read dates and durations. What it leaves out is
/// recognised from the header row.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ColumnMap {
    /// Field (`type`, `date`, `count`, `kare`, `account`, `outcome`, `note`, `duration`, `rep`, `id`) → header.
    pub columns: BTreeMap<String, String>,
    /// The CRM's activity name (any case) → activity type key.
    pub types: BTreeMap<String, String>,
    /// The CRM's user name (folded, see [`fold`]) → member name.
    #[serde(default)]
    pub reps: BTreeMap<String, String>,
    /// The day/month order of year-last dates; `None`: from the column.
    #[serde(default)]
    pub date_format: Option<DateFormat>,
    /// The unit of plain-number durations; `None`: from the header or the values.
    #[serde(default)]
    pub duration_unit: Option<DurationUnit>,
}

fn pair<'a>(s: &'a str, what: &str, example: &str) -> Result<(&'a str, &'a str)> {
    s.split_once('=')
        .map(|(a, b)| (a.trim(), b.trim()))
        .filter(|(a, b)| !a.is_empty() && !b.is_empty())
        .ok_or_else(|| CoreError::invalid(format!("bad {what} '{s}': expected {example}")))
}

impl ColumnMap {
    /// Parses `field=Header` pairs (e.g. `date=Activity Date`) and
    /// `Name=type` pairs (e.g. `Logged Call=call`).
    pub fn parse(columns: &[String], types: &[String]) -> Result<ColumnMap> {
        let mut m = ColumnMap::default();
        for c in columns {
            let (f, h) = pair(c, "column mapping", "field=Header, like date=Activity Date")?;
            m.columns.insert(canonical_field(f)?.to_string(), h.to_string());
        }
        for t in types {
            let (name, key) = pair(t, "type mapping", "CRM name=type, like Logged Call=call")?;
            m.types.insert(name.to_lowercase(), key.to_string());
        }
        Ok(m)
    }

    /// True when it maps nothing (every field recognised from the header row).
    pub fn is_empty(&self) -> bool {
        self == &ColumnMap::default()
    }

    /// Adds `CRM name=Member` pairs (e.g. `J. Alvarez=Julia Álvarez`).
    pub fn with_reps(mut self, pairs: &[String]) -> Result<ColumnMap> {
        for p in pairs {
            let (crm, member) = pair(p, "rep mapping", "CRM name=Member, like J. Alvarez=Julia Álvarez")?;
            self.reps.insert(fold(crm), member.to_string());
        }
        Ok(self)
    }

    /// Sets the date format (`us`, `eu`, `iso`; empty or `None`: detect).
    pub fn with_date_format(mut self, f: Option<&str>) -> Result<ColumnMap> {
        self.date_format = f.map(str::trim).filter(|s| !s.is_empty()).map(str::parse).transpose()?;
        Ok(self)
    }

    /// Sets the unit of plain-number durations (`sec`, `min`, `hours`, `ms`; empty or `None`: detect).
    pub fn with_duration_unit(mut self, u: Option<&str>) -> Result<ColumnMap> {
        self.duration_unit = u.map(str::trim).filter(|s| !s.is_empty()).map(str::parse).transpose()?;
        Ok(self)
    }
}

/// The field a mapping names (`date`, `duration` and `owner` are accepted for short).
fn canonical_field(f: &str) -> Result<&'static str> {
    let f = f.trim().to_lowercase();
    let f = match f.as_str() {
        "date" | "time" => "occurred_at",
        "duration" => "duration_min",
        "owner" | "assigned" | "user" => "rep",
        other => other,
    };
    FIELDS.iter().copied().find(|k| *k == f).ok_or_else(|| {
        CoreError::invalid(format!(
            "unknown field '{f}' in the column mapping: expected type, date, count, kare, account, outcome, note, \
             duration, rep or id"
        ))
    })
}

/// Most rows one import takes.
pub const MAX_ROWS: usize = 50_000;
/// Largest file one import reads.
pub const MAX_BYTES: u64 = 64 << 20;
/// Most activities written in one Automerge change (a change stays well
/// under the relay's 2 MiB bound).
const CHUNK: usize = 200;

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
    /// Line in the file where the row starts (the header is line 1; a
    /// newline inside a quoted field counts).
    pub line: usize,
    /// The header of the column at fault (none when the row as a whole is).
    pub column: Option<String>,
    /// Why, and what to do about it.
    pub reason: String,
}

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ImportReport {
    /// Activities written (0 in a dry run).
    pub imported: usize,
    /// Rows that pass every check (new ones and those already there).
    pub good: usize,
    /// Good rows already in Kept (an earlier import of the same rows), not written again.
    pub already: usize,
    /// Every rejected row, in file order.
    pub rejected: Vec<Rejected>,
    /// True for a dry run.
    pub dry_run: bool,
    /// The CRM export recognised from the header row, if any ("Salesforce activity report").
    pub recognised: Option<String>,
    /// Field → the header it was read from.
    pub columns: BTreeMap<String, String>,
    /// How the file, dates and durations were read.
    pub notes: Vec<String>,
    /// New activities per rep (by name).
    pub per_rep: BTreeMap<String, usize>,
    /// New activities per type.
    pub per_type: BTreeMap<String, usize>,
    /// The first good rows as Kept reads them (the preview of the mapping).
    #[serde(default)]
    pub first_rows: Vec<PreviewRow>,
}

/// How many good rows [`ImportReport::first_rows`] shows.
pub const PREVIEW_ROWS: usize = 5;

/// One good row as Kept reads it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PreviewRow {
    /// Line in the file.
    pub line: usize,
    /// The rep it goes to (name).
    pub rep: String,
    /// Activity type key.
    pub kind: String,
    /// When (RFC 3339, in the team's time zone).
    pub occurred_at: String,
    /// Account, if any.
    pub account: Option<String>,
    /// Duration in minutes, if any.
    pub duration_min: Option<i64>,
    /// Outcome, if any.
    pub outcome: Option<String>,
}

/// A row at fault: the column (if one) and why.
struct Bad {
    column: Option<String>,
    reason: String,
}

/// A good row, ready to write.
struct Good {
    rep: Member,
    kind: String,
    input: ActivityInput,
    key: String,
}

/// Windows-1252's characters for 0x80–0x9F (the rest is Latin-1).
const CP1252: [char; 32] = [
    '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž', '\u{8f}', '\u{90}', '‘', '’',
    '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}', 'ž', 'Ÿ',
];

/// The file as text: UTF-8 (a byte-order mark dropped), else Windows-1252
/// (what spreadsheets on Windows save), with a note saying so.
fn decode(bytes: Vec<u8>) -> (String, Option<String>) {
    let bytes = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => rest.to_vec(),
        None => bytes,
    };
    match String::from_utf8(bytes) {
        Ok(s) => (s, None),
        Err(e) => {
            let s = e
                .into_bytes()
                .iter()
                .map(|&b| match b {
                    0x80..=0x9F => CP1252[(b - 0x80) as usize],
                    b => b as char,
                })
                .collect();
            (s, Some("the file is not UTF-8: read as Windows-1252".into()))
        }
    }
}

/// The separator of the header line (`,`, `;` or tab), and how many lines a
/// leading `sep=;` line (Excel's hint) takes.
fn delimiter(text: &str) -> (u8, usize) {
    let first = text.lines().next().unwrap_or("");
    if let Some(d) = first.strip_prefix("sep=").and_then(|r| r.trim_end().bytes().next()) {
        return (d, 1);
    }
    let mut quoted = false;
    let mut n = [0usize; 3];
    for c in first.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => n[0] += 1,
            ';' if !quoted => n[1] += 1,
            '\t' if !quoted => n[2] += 1,
            _ => {}
        }
    }
    let best = if n[1] > n[0] && n[1] >= n[2] {
        b';'
    } else if n[2] > n[0] && n[2] > n[1] {
        b'\t'
    } else {
        b','
    };
    (best, 0)
}

/// The type key a CRM's activity name is: the mapping, a key or label of the
/// team's catalog, or a common CRM name of a type the catalog has.
fn type_of(team: &TeamSettings, mapped: &BTreeMap<String, String>, given: &str) -> std::result::Result<String, String> {
    let live = |k: &str| team.catalog.iter().any(|t| !t.retired && t.key == k);
    if let Some(k) = mapped.get(&given.to_lowercase()) {
        return Ok(k.clone());
    }
    let folded = fold(given);
    let as_key = folded.replace([' ', '_'], "-");
    if live(&as_key) {
        return Ok(as_key);
    }
    if let Some(t) = team.catalog.iter().find(|t| !t.retired && fold(&t.label) == folded) {
        return Ok(t.key.clone());
    }
    if let Some((_, k)) = presets::TYPE_NAMES.iter().find(|(n, k)| *n == folded && live(k)) {
        return Ok(k.to_string());
    }
    let keys: Vec<&str> = team.catalog.iter().filter(|t| !t.retired).map(|t| t.key.as_str()).collect();
    Err(if given.is_empty() {
        format!("missing activity type: the cell is empty; this team's types are {}", keys.join(", "))
    } else {
        format!(
            "unknown activity type '{given}': this team's types are {}; map it with --map-type \"{given}=TYPE\" \
             (or leave the row out)",
            keys.join(", ")
        )
    })
}

/// The stable key of a row: the CRM's row id, else a hash of what makes an
/// activity the same one (rep, time, type, account, subject).
fn row_key(source: &str, id: Option<&str>, rep: &str, at: &DateTime<Utc>, kind: &str, input: &ActivityInput) -> String {
    if let Some(id) = id {
        return format!("{source}:{id}");
    }
    let text = |v: &Option<Option<String>>| fold(v.clone().flatten().as_deref().unwrap_or(""));
    let mut h = Sha256::new();
    for part in [rep, &at.to_rfc3339(), kind, &text(&input.account), &text(&input.note)] {
        h.update(part.as_bytes());
        h.update([0x1f]);
    }
    format!("row:{}", &hex::encode(h.finalize())[..32])
}

/// The `import_key`s in a log document, with how often each occurs.
fn keys_in(doc: &AutoCommit, out: &mut HashMap<String, usize>) -> Result<()> {
    let Some((Value::Object(_), coll)) = doc.get(ROOT, "activities")? else {
        return Ok(());
    };
    for item in doc.map_range(&coll, ..) {
        if !matches!(item.value, ValueRef::Object(ObjType::Map)) {
            continue;
        }
        if let Some((Value::Scalar(v), _)) = doc.get(item.id(), "import_key")? {
            if let ScalarValue::Str(s) = v.as_ref() {
                *out.entry(s.to_string()).or_default() += 1;
            }
        }
    }
    Ok(())
}

/// Puts `import_key` on the activity `id` just inserted.
fn put_key(doc: &mut AutoCommit, coll: &automerge::ObjId, id: &str, key: &str) -> Result<()> {
    use automerge::transaction::Transactable;
    let Some((Value::Object(_), rec)) = doc.get(coll, id)? else {
        return Err(CoreError::Document(format!("activity {id} was not written")));
    };
    doc.put(&rec, "import_key", key)?;
    Ok(())
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

    /// Imports activities from CSV with an explicit mapping (what it does
    /// not name is recognised from the header row). `rep`: the member the
    /// rows are for when the file has no rep column; with one, only that
    /// member's rows are taken. A manager's file with a rep column goes to
    /// each row's rep; a rep's import takes only the rep's own rows.
    pub fn import_csv_mapped(
        &mut self,
        input: impl Read,
        rep: Option<&str>,
        mode: ImportMode,
        map: &ColumnMap,
    ) -> Result<ImportReport> {
        let mut bytes = Vec::new();
        input
            .take(MAX_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| CoreError::invalid(format!("cannot read the CSV file: {e}")))?;
        if bytes.len() as u64 > MAX_BYTES {
            return Err(CoreError::invalid(format!("the file is larger than {} MiB: split it", MAX_BYTES >> 20)));
        }
        let (text, encoding) = decode(bytes);
        let (delim, skip) = delimiter(&text);
        let body = text.splitn(skip + 1, '\n').last().unwrap_or("");
        let mut r =
            csv::ReaderBuilder::new().delimiter(delim).flexible(true).trim(csv::Trim::All).from_reader(body.as_bytes());
        let headers: Vec<String> = r
            .headers()
            .map_err(|e| CoreError::invalid(format!("not a CSV file with a header row: {e}")))?
            .iter()
            .map(str::to_string)
            .collect();
        let mut rows: Vec<(usize, csv::StringRecord)> = Vec::new();
        let mut rec = csv::StringRecord::new();
        // Lines are counted from the bytes: the reader's own line count runs
        // one behind after a CRLF (it counts the '\n' as the next record's).
        let (mut counted_to, mut counted_line) = (0usize, 1usize);
        loop {
            match r.read_record(&mut rec) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => return Err(CoreError::invalid(format!("the CSV cannot be read: {e}"))),
            }
            if rec.iter().all(str::is_empty) {
                continue; // a spreadsheet's empty trailing row
            }
            if rows.len() >= MAX_ROWS {
                return Err(CoreError::invalid(format!(
                    "too many rows: at most {MAX_ROWS} per import; split the file"
                )));
            }
            let mut start = rec.position().map_or(0, |p| p.byte() as usize);
            while body.as_bytes().get(start).is_some_and(|b| *b == b'\r' || *b == b'\n') {
                start += 1;
            }
            // A line ends with '\n', '\r\n' or a lone '\r' (as the reader sees it).
            let b = body.as_bytes();
            counted_line += (counted_to..start.min(b.len()))
                .filter(|&i| b[i] == b'\n' || (b[i] == b'\r' && b.get(i + 1) != Some(&b'\n')))
                .count();
            counted_to = counted_to.max(start);
            let line = counted_line + skip;
            rows.push((line, rec.clone()));
        }
        let team = self.team()?;
        // No mapping given: the one the team saved with its last mapped import, if any.
        let mut notes: Vec<String> = encoding.into_iter().collect();
        let saved = if map.is_empty() { self.saved_import_map(&mut notes)? } else { None };
        let explicit = map;
        let map = saved.as_ref().unwrap_or(map);
        let plan = Plan::new(self, &team, &headers, map, rep)?;
        let order = dates::detect(
            &headers[plan.at],
            rows.iter().filter_map(|(line, rec)| rec.get(plan.at).map(|v| (*line, v))),
            map.date_format,
        )?;
        notes.push(match (order, map.date_format) {
            (Some(o), Some(_)) => format!("dates read as {} (as given)", o.describe()),
            (Some(o), None) => format!("dates read as {} (from the whole column)", o.describe()),
            (None, _) => "dates read as ISO (YYYY-MM-DD), serial or dotted European dates".into(),
        });
        notes.push(format!("dates without a zone are in the team's time zone, {}", team.time_zone));
        let unit = plan.duration.map(|c| {
            let (unit, why) = if let Some(u) = map.duration_unit {
                (u, "as given".to_string())
            } else if let Some(u) = DurationUnit::from_header(&headers[c]) {
                (u, format!("from the header '{}'", headers[c]))
            } else if let Some(u) = plan.preset.and_then(|p| p.duration_unit) {
                (u, format!("as {} exports them", plan.preset.map_or("", |p| p.name)))
            } else {
                durations::guess_unit(rows.iter().filter_map(|(_, rec)| rec.get(c)))
                    .map(|(u, why)| (u, format!("{why}; say --duration-unit if not")))
                    .unwrap_or((DurationUnit::Minutes, "no plain numbers".into()))
            };
            notes.push(format!("plain-number durations read as {unit} ({why})"));
            unit
        });
        let tz = team.tz();
        let now = self.clock.now();
        let source = plan.preset.map_or("csv", |p| p.slug);
        let mut good = Vec::new();
        let mut rejected = Vec::new();
        let mut first_rows = Vec::new();
        for (line, rec) in &rows {
            match plan.row(self, &team, rec, order, unit, tz, now, source) {
                Ok(g) => {
                    if first_rows.len() < PREVIEW_ROWS {
                        first_rows.push(PreviewRow {
                            line: *line,
                            rep: g.rep.name.clone(),
                            kind: g.kind.clone(),
                            occurred_at: g.input.occurred_at.clone().unwrap_or_default(),
                            account: g.input.account.clone().flatten(),
                            duration_min: g.input.duration_min.flatten(),
                            outcome: g.input.outcome.clone().flatten(),
                        });
                    }
                    good.push(g)
                }
                Err(b) => rejected.push(Rejected { line: *line, column: b.column, reason: b.reason }),
            }
        }
        if good.is_empty() && rejected.is_empty() {
            return Err(CoreError::invalid("the CSV has no rows to import"));
        }
        // Nothing twice: what the reps' logs already hold (and ids of a Kept export already here).
        let reps: HashSet<String> = good.iter().map(|g: &Good| g.rep.id.clone()).collect();
        let mut existing = HashMap::new();
        for id in self.store.doc_ids()? {
            if id.kind() == DocKind::Log && id.subject().is_some_and(|s| reps.contains(s)) {
                if let Some(doc) = self.store.load(&id)? {
                    keys_in(&doc, &mut existing)?;
                }
            }
        }
        let n_good = good.len();
        let mut seen_ids = HashSet::new();
        let mut new = Vec::new();
        for g in good {
            let there = match existing.get_mut(&g.key) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    true
                }
                _ if g.key.starts_with("row:") => false,
                _ => {
                    let kept_id = g.key.strip_prefix("kept:");
                    !seen_ids.insert(g.key.clone())
                        || kept_id.map_or(Ok(false), |i| self.store.activity(i).map(|a| a.is_some()))?
                }
            };
            if !there {
                new.push(g);
            }
        }
        let mut per_rep = BTreeMap::new();
        let mut per_type = BTreeMap::new();
        for g in &new {
            *per_rep.entry(g.rep.name.clone()).or_insert(0) += 1;
            *per_type.entry(g.kind.clone()).or_insert(0) += 1;
        }
        let already = n_good - new.len();
        if already > 0 {
            notes.push(format!("{already} rows are already in Kept (imported before) and are left as they are"));
        }
        let report = |imported| ImportReport {
            imported,
            good: n_good,
            already,
            rejected: rejected.clone(),
            dry_run: mode == ImportMode::DryRun,
            recognised: plan.preset.map(|p| p.name.to_string()),
            columns: plan.columns.iter().map(|(f, c)| (f.to_string(), headers[*c].clone())).collect(),
            notes: notes.clone(),
            per_rep: per_rep.clone(),
            per_type: per_type.clone(),
            first_rows: first_rows.clone(),
        };
        match mode {
            ImportMode::DryRun => Ok(report(0)),
            ImportMode::AllOrNothing if !rejected.is_empty() => {
                let shown: Vec<String> = rejected
                    .iter()
                    .take(10)
                    .map(|r| match &r.column {
                        Some(c) => format!("line {}, column '{c}': {}", r.line, r.reason),
                        None => format!("line {}: {}", r.line, r.reason),
                    })
                    .collect();
                Err(CoreError::invalid(format!(
                    "nothing imported: {} of {} rows are bad ({}{}); fix them, or import only the good rows (--skip-bad)",
                    rejected.len(),
                    rejected.len() + n_good,
                    shown.join("; "),
                    if rejected.len() > 10 { "; …" } else { "" }
                )))
            }
            _ => {
                let n = new.len();
                // A manager's mapping is saved in the team, so the next import needs none.
                let save = (!explicit.is_empty() && self.me().role == Role::Manager)
                    .then(|| serde_json::to_string(explicit))
                    .transpose()
                    .map_err(|e| CoreError::invalid(format!("cannot save the mapping: {e}")))?
                    .filter(|json| {
                        let doc = self.store.load(&DocId::team()).ok().flatten();
                        doc.and_then(|d| docs::team::import_map(&d)).as_deref() != Some(json.as_str())
                    });
                if n > 0 || save.is_some() {
                    self.write_imported(&team, new, save.as_deref())?;
                }
                Ok(report(n))
            }
        }
    }

    /// Writes the rows, each in its rep's log of its week (logged by me), in
    /// ONE transaction, with its `import_key`.
    fn write_imported(&mut self, team: &TeamSettings, rows: Vec<Good>, save_map: Option<&str>) -> Result<()> {
        let now = self.clock.now();
        let mut by_doc: BTreeMap<String, (DocId, Vec<(Activity, String)>)> = BTreeMap::new();
        for g in rows {
            if g.input.occurred_at.is_none() {
                return Err(CoreError::invalid("an imported row has no date"));
            }
            let (doc, a) = self.stamp().new_activity(team, &g.rep.id, g.kind, g.input)?;
            by_doc.entry(doc.to_string()).or_insert_with(|| (doc, Vec::new())).1.push((a, g.key));
        }
        let time = now.timestamp();
        self.store.write(|tx| {
            for (doc, list) in by_doc.values() {
                for chunk in list.chunks(CHUNK) {
                    let added: Vec<&Activity> = chunk.iter().map(|(a, _)| a).collect();
                    tx.edit_new_activities(doc, time, &added, |d, coll| {
                        for (a, key) in chunk {
                            docs::log::insert(d, coll, a)?;
                            put_key(d, coll, &a.id, key)?;
                        }
                        Ok(())
                    })?;
                }
            }
            if let Some(json) = save_map {
                tx.edit(&DocId::team(), time, |d| docs::team::set_import_map(d, json))?;
            }
            Ok(())
        })
    }

    /// The mapping the team saved (none, or one this version cannot read:
    /// it came from another device, and the file's headers are used instead).
    fn saved_import_map(&self, notes: &mut Vec<String>) -> Result<Option<ColumnMap>> {
        let Some(doc) = self.store.load(&DocId::team())? else { return Ok(None) };
        let Some(json) = docs::team::import_map(&doc) else { return Ok(None) };
        match serde_json::from_str::<ColumnMap>(&json) {
            Ok(m) => {
                notes.push("the team's saved mapping was used (from its last import with a mapping)".into());
                Ok(Some(m))
            }
            Err(e) => {
                notes.push(format!("the team's saved mapping cannot be read ({e}); the file's headers were used"));
                Ok(None)
            }
        }
    }
}

/// How one file is read: its columns, the preset, who its rows may be for.
struct Plan {
    preset: Option<&'static Preset>,
    /// Field → column index.
    columns: BTreeMap<&'static str, usize>,
    headers: Vec<String>,
    ty: usize,
    at: usize,
    time_of_day: Option<usize>,
    duration: Option<usize>,
    types: BTreeMap<String, String>,
    /// Folded name or id → member.
    members: HashMap<String, Member>,
    /// Folded CRM name → member (`--map-rep`).
    mapped_reps: HashMap<String, Member>,
    /// The member rows go to without a rep column.
    default_rep: Member,
    /// The only member rows may be for (a rep's import, or a manager's `--rep`).
    only: Option<Member>,
}

impl Plan {
    fn new(k: &Kept, team: &TeamSettings, headers: &[String], map: &ColumnMap, rep: Option<&str>) -> Result<Plan> {
        let folded: Vec<String> = headers.iter().map(|h| fold(h)).collect();
        let preset = presets::recognise(&folded);
        let mut columns: BTreeMap<&'static str, usize> = BTreeMap::new();
        for (field, h) in &map.columns {
            let Some(c) = folded.iter().position(|x| *x == fold(h)) else {
                return Err(CoreError::invalid(format!(
                    "the column mapping names '{h}' for {field}, but the CSV has no such column; it has {}",
                    headers.join(", ")
                )));
            };
            let f = canonical_field(field)?;
            columns.insert(f, c);
        }
        let taken = |columns: &BTreeMap<&str, usize>, c: usize| columns.values().any(|x| *x == c);
        let find = |columns: &BTreeMap<&str, usize>, names: &[&str]| {
            names.iter().find_map(|n| folded.iter().position(|h| h == n).filter(|c| !taken(columns, *c)))
        };
        if let Some(p) = preset {
            for (field, names) in p.columns {
                if !columns.contains_key(field) {
                    if let Some(c) = find(&columns, names) {
                        columns.insert(field, c);
                    }
                }
            }
        }
        for (field, names) in ALIASES {
            if !columns.contains_key(field) {
                // "Duration (sec)", "Call Duration (seconds)": the unit is read from the header.
                let c = find(&columns, names).or_else(|| {
                    let durational = |h: &str| h.starts_with("duration") || h.starts_with("call duration");
                    (*field == "duration_min")
                        .then(|| (0..folded.len()).find(|c| durational(&folded[*c]) && !taken(&columns, *c)))
                        .flatten()
                });
                if let Some(c) = c {
                    columns.insert(field, c);
                }
            }
        }
        let time_of_day = preset.and_then(|p| find(&columns, p.time_of_day));
        for key in map.types.values() {
            team.activity_type(key)?;
        }
        let (Some(&ty), Some(&at)) = (columns.get("type"), columns.get("occurred_at")) else {
            return Err(CoreError::invalid(format!(
                "the CSV needs a type column and a date column; found {} (name them with --map type=HEADER --map \
                 date=HEADER)",
                headers.join(", ")
            )));
        };
        let roster = k.members()?;
        let named = |name: &str| -> Result<Member> {
            let f = fold(name);
            roster.iter().find(|m| fold(&m.name) == f || m.id == name).cloned().ok_or_else(|| {
                CoreError::invalid(format!(
                    "the rep mapping names '{name}', who is not a member of the team; members are {}",
                    roster.iter().map(|m| m.name.as_str()).collect::<Vec<_>>().join(", ")
                ))
            })
        };
        let mut mapped_reps = HashMap::new();
        for (crm, member) in &map.reps {
            mapped_reps.insert(crm.clone(), named(member)?);
        }
        let mut members = HashMap::new();
        for m in &roster {
            members.insert(m.id.clone(), m.clone());
            members.insert(fold(&m.name), m.clone());
        }
        let default_rep = k.resolve_rep(rep)?;
        let only = if k.me().role != Role::Manager || rep.is_some() { Some(default_rep.clone()) } else { None };
        Ok(Plan {
            preset,
            duration: columns.get("duration_min").copied(),
            columns,
            headers: headers.to_vec(),
            ty,
            at,
            time_of_day,
            types: map.types.clone(),
            members,
            mapped_reps,
            default_rep,
            only,
        })
    }

    fn bad(&self, c: usize, reason: String) -> Bad {
        Bad { column: self.headers.get(c).cloned(), reason }
    }

    /// One row checked as a tap would be, or why not.
    #[allow(clippy::too_many_arguments)]
    fn row(
        &self,
        k: &Kept,
        team: &TeamSettings,
        rec: &csv::StringRecord,
        order: Option<DateFormat>,
        unit: Option<DurationUnit>,
        tz: chrono_tz::Tz,
        now: DateTime<Utc>,
        source: &str,
    ) -> std::result::Result<Good, Bad> {
        let cell = |f: &str| self.columns.get(f).map(|c| rec.get(*c).unwrap_or("").trim());
        let given = |f: &str| cell(f).filter(|s| !s.is_empty());
        let col = |f: &str| self.columns.get(f).copied().unwrap_or(0);
        // Who.
        let rep = match cell("rep") {
            None => self.default_rep.clone(),
            Some("") => {
                return Err(self.bad(
                    col("rep"),
                    "missing rep: the cell is empty; fill in the member the activity belongs to".into(),
                ))
            }
            Some(name) => {
                let f = fold(name);
                match self.mapped_reps.get(&f).or_else(|| self.members.get(&f)).or_else(|| self.members.get(name)) {
                    Some(m) => m.clone(),
                    None => {
                        let mut names: Vec<&str> = self.members.values().map(|m| m.name.as_str()).collect();
                        names.sort_unstable();
                        names.dedup();
                        return Err(self.bad(
                            col("rep"),
                            format!(
                                "unknown rep '{name}': no member of the team has that name (members: {}); map it \
                                 with --map-rep \"{name}=MEMBER\"",
                                names.join(", ")
                            ),
                        ));
                    }
                }
            }
        };
        if let Some(only) = self.only.as_ref().filter(|o| o.id != rep.id) {
            let why = if k.me().role == Role::Manager {
                format!("this row is for {}, and this import is only for {} (--rep)", rep.name, only.name)
            } else {
                format!("this row is for {}: a rep imports only their own activities (a manager can import the whole team's file)", rep.name)
            };
            return Err(self.bad(col("rep"), why));
        }
        // What.
        let kind = type_of(team, &self.types, cell("type").unwrap_or("")).map_err(|r| self.bad(self.ty, r))?;
        // When.
        let date = cell("occurred_at").unwrap_or("");
        if date.is_empty() {
            return Err(self.bad(self.at, "missing date: the cell is empty; every activity needs its date".into()));
        }
        let value = match self.time_of_day.and_then(|c| rec.get(c)).map(str::trim).filter(|s| !s.is_empty()) {
            Some(t) => format!("{date} {t}"),
            None => date.to_string(),
        };
        let at = dates::parse(&value, order, tz).map_err(|r| self.bad(self.at, r))?;
        let utc = at.with_timezone(&Utc);
        if utc > now + chrono::Duration::days(1) {
            return Err(
                self.bad(self.at, format!("date '{value}' is in the future: an activity is logged once it happened"))
            );
        }
        if chrono::Datelike::year(&utc) < 2000 {
            return Err(self.bad(self.at, format!("date '{value}' is before 2000: Kept keeps activities from 2000 on")));
        }
        // How many, how long.
        let count = match given("count") {
            None => None,
            Some(v) => {
                let c: i64 = v
                    .parse()
                    .map_err(|_| self.bad(col("count"), format!("bad count '{v}': expected a whole number")))?;
                if !(1..=MAX_COUNT).contains(&c) {
                    return Err(self.bad(col("count"), format!("bad count {c}: must be between 1 and {MAX_COUNT}")));
                }
                Some(c)
            }
        };
        let duration = match (given("duration_min"), unit) {
            (Some(v), Some(u)) => durations::parse(v, u).map_err(|r| self.bad(col("duration_min"), r))?,
            _ => None,
        };
        let kare = match given("kare") {
            None => None,
            Some(v) if v.eq_ignore_ascii_case("none") => Some(None),
            Some(v) => Some(Some(v.parse::<Kare>().map_err(|e| self.bad(col("kare"), e.to_string()))?)),
        };
        let text = |f: &str| given(f).map(|s| Some(s.to_string()));
        let input = ActivityInput {
            kind: Some(kind.clone()),
            kare,
            occurred_at: Some(at.to_rfc3339()),
            count,
            duration_min: duration.map(Some),
            outcome: text("outcome"),
            account: text("account"),
            deal: None,
            note: text("note"),
        };
        // The same checks as a tap in the app (type, ranges, text lengths).
        let input = k.check_input(&input).map_err(|e| {
            let msg = e.to_string();
            let field = ["outcome", "account", "note"].into_iter().find(|f| msg.starts_with(f));
            Bad {
                column: field.and_then(|f| self.columns.get(f)).and_then(|c| self.headers.get(*c)).cloned(),
                reason: msg,
            }
        })?;
        let id = given("id");
        let key = row_key(source, id, &rep.id, &utc, &kind, &input);
        Ok(Good { rep, kind: kind.clone(), input: ActivityInput { kind: None, ..input }, key })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_is_decoded_and_its_separator_found() {
        let (s, note) = decode(b"\xEF\xBB\xBFType,Date\n".to_vec());
        assert_eq!((s.as_str(), note), ("Type,Date\n", None));
        let (s, note) = decode(b"Name\nM\xF8ller \x80\n".to_vec());
        assert_eq!(s, "Name\nMøller €\n");
        assert!(note.is_some_and(|n| n.contains("Windows-1252")));
        assert_eq!(delimiter("Type;Date;\"a,b\"\n"), (b';', 0));
        assert_eq!(delimiter("Type,Date\n"), (b',', 0));
        assert_eq!(delimiter("Type\tDate\n"), (b'\t', 0));
        assert_eq!(delimiter("sep=;\nType;Date\n"), (b';', 1));
    }

    #[test]
    fn mappings_parse_and_say_what_is_wrong() {
        let m = ColumnMap::parse(&["owner=Assigned".into(), "date=When".into()], &["Logged Call=call".into()])
            .and_then(|m| m.with_reps(&["J. ÁLVAREZ=Julia".into()]))
            .and_then(|m| m.with_date_format(Some("us")))
            .and_then(|m| m.with_duration_unit(Some("sec")))
            .expect("map");
        assert_eq!(m.columns.get("rep").map(String::as_str), Some("Assigned"));
        assert_eq!(m.columns.get("occurred_at").map(String::as_str), Some("When"));
        assert_eq!(m.types.get("logged call").map(String::as_str), Some("call"));
        assert_eq!(m.reps.get("j. alvarez").map(String::as_str), Some("Julia"));
        assert_eq!((m.date_format, m.duration_unit), (Some(DateFormat::Us), Some(DurationUnit::Seconds)));
        assert!(ColumnMap::default().with_reps(&["nobody".into()]).is_err());
        assert!(ColumnMap::default().with_date_format(Some("martian")).is_err());
        assert!(ColumnMap::parse(&["colour=Body".into()], &[]).is_err());
    }

    #[test]
    fn a_row_key_is_stable_and_ignores_case_and_accents_of_its_texts() {
        let at = Utc::now();
        let input = |acc: &str| ActivityInput { account: Some(Some(acc.into())), ..Default::default() };
        let a = row_key("csv", None, "r1", &at, "call", &input("Møller AG"));
        assert_eq!(a, row_key("csv", None, "r1", &at, "call", &input("moller ag")));
        assert_ne!(a, row_key("csv", None, "r2", &at, "call", &input("Møller AG")));
        assert_eq!(row_key("salesforce", Some("00T1"), "r1", &at, "call", &input("x")), "salesforce:00T1");
    }
}
