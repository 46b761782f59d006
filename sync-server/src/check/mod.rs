//! `kept-relay check [--repair]`: verifies a relay database and rebuilds what
//! can be rebuilt.
//!
//! Checked: the database engine's own integrity (SQLite `PRAGMA
//! integrity_check`; PostgreSQL's schema version), the tables and columns the
//! relay needs, every team's counter row, every stored change (it parses, its
//! checksum and stored hash match its bytes, its actor columns and reader
//! agree with it and its document), the per-team sequence numbers (gap-free
//! from 1, never above the counter), every document (its changes apply
//! together as a new device would apply them, no actor seq used twice, no
//! missing dependencies), every compacted snapshot (loads, holds exactly the
//! document's changes up to the compacted sequence, exists for every such
//! document), the token tables (hash shape, device → member → team) and every
//! complete blob (its bytes are all there and match its hash; reported, not
//! repaired: the devices that recorded them still hold them).
//!
//! Repaired with `--repair` (one transaction per team): counters raised to
//! the highest stored sequence; reader, hash and actor columns rewritten from
//! the change bytes; snapshots rebuilt from the changes (or the team's
//! compaction reset when a snapshot cannot be rebuilt); changes that can never
//! be delivered (unreadable, damaged, or unusable by any client) dropped and
//! recorded with their sequence numbers in `lost_changes`, as are gaps, so the
//! check does not report them again; devices whose stored token hash is
//! damaged revoked. On SQLite a damaged file is first re-indexed and, if that
//! is not enough, salvaged row by row into a new file (the damaged one is kept
//! beside it).
//!
//! What cannot be rebuilt is reported: a client deletes a change from its
//! outbox once the relay acknowledged it (see `kept_core::sync`), so devices
//! send lost changes again by themselves only if they never got the
//! acknowledgement; the devices holding those documents still have them.

mod postgres;
mod sqlite;

use crate::api::sync::checksum_ok;
use crate::blobs::{BlobBytes, BlobKey, DirBlobs};
use crate::storage::{chain, is_postgres_url, StorageResult};
use automerge::{AutoCommit, Change, ChangeHash};
use kept_protocol::ids::DocId;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::Arc;

/// Changes read per query while checking a team.
const PAGE: i64 = 5000;

/// A team as its tables have it.
#[derive(Debug, Clone)]
pub(crate) struct TeamRow {
    pub id: String,
    /// `team_seq` (None: the row is missing).
    pub counter: Option<(i64, i64)>,
    /// False for a `team_seq` row whose team does not exist.
    pub exists: bool,
}

/// A registered document.
#[derive(Debug, Clone)]
pub(crate) struct DocRow {
    pub id: i64,
    pub doc: String,
    pub kind: String,
    pub subject: Option<String>,
}

/// A stored change.
#[derive(Debug, Clone)]
pub(crate) struct ChangeRow {
    pub seq: i64,
    pub doc_id: i64,
    pub reader: String,
    pub hash: Vec<u8>,
    pub data: Vec<u8>,
    /// SQLite: the actor's first 8 bytes as an integer.
    pub akey: Option<i64>,
    /// PostgreSQL: the actor id.
    pub actor: Option<Vec<u8>>,
    pub aseq: Option<i64>,
}

/// A stored snapshot.
#[derive(Debug, Clone)]
pub(crate) struct SnapRow {
    pub doc: String,
    pub reader: String,
    pub data: Vec<u8>,
}

/// A device with what its member row says.
#[derive(Debug, Clone)]
pub(crate) struct DeviceRow {
    pub id: String,
    pub team_id: String,
    pub token_hash: String,
    pub revoked: bool,
    /// The team of its member (None: no such member).
    pub member_team: Option<String>,
}

/// One repair, applied by the backend.
#[derive(Debug, Clone)]
pub(crate) enum Fix {
    /// Delete a change and record it in `lost_changes`.
    DropChange { team: String, seq: i64, doc: Option<String>, hash: Vec<u8>, reason: String },
    /// Record a missing sequence number in `lost_changes`.
    RecordLost { team: String, seq: i64, reason: String },
    /// Rewrite a change's reader column.
    SetReader { team: String, seq: i64, reader: String },
    /// Rewrite a change's hash column.
    SetHash { team: String, seq: i64, hash: Vec<u8> },
    /// Rewrite a change's actor columns.
    SetActor { team: String, seq: i64, actor: Vec<u8>, aseq: i64 },
    /// Create or raise the team's counter row.
    SetCounter { team: String, seq: i64 },
    /// Store a rebuilt snapshot.
    PutSnapshot { team: String, doc: String, reader: String, data: Vec<u8> },
    /// Delete a snapshot.
    DeleteSnapshot { team: String, doc: String },
    /// Delete every snapshot of the team and set its compacted sequence to 0.
    ResetCompaction { team: String },
    /// Revoke a device.
    RevokeDevice { id: String },
}

/// What the backends offer the check.
#[async_trait::async_trait]
pub(crate) trait Inspect: Send + Sync {
    /// The engine's own integrity problems (empty: none), each with whether `--repair` can fix it.
    async fn integrity(&self) -> StorageResult<Vec<(String, bool)>>;
    /// The columns `table` has (none: there is no such table).
    async fn columns(&self, table: &str) -> StorageResult<BTreeSet<String>>;
    /// The tables whose columns are this backend's own (the change log's
    /// actor columns differ), besides [`TABLES`].
    fn own_tables(&self) -> &'static [Table];
    /// Said after any schema problem.
    fn schema_hint(&self) -> Option<&'static str>;
    /// Every team and counter row.
    async fn teams(&self) -> StorageResult<Vec<TeamRow>>;
    /// The team's documents.
    async fn docs(&self, team: &str) -> StorageResult<Vec<DocRow>>;
    /// The team's changes with `seq > after`, at most `limit`, in seq order.
    async fn changes(&self, team: &str, after: i64, limit: i64) -> StorageResult<Vec<ChangeRow>>;
    /// The team's snapshots.
    async fn snapshots(&self, team: &str) -> StorageResult<Vec<SnapRow>>;
    /// Sequence numbers already recorded as lost.
    async fn lost(&self, team: &str) -> StorageResult<BTreeSet<i64>>;
    /// Every device.
    async fn devices(&self) -> StorageResult<Vec<DeviceRow>>;
    /// Members whose team does not exist, and members with an unknown role.
    async fn member_problems(&self) -> StorageResult<Vec<String>>;
    /// Applies fixes in one transaction.
    async fn apply(&self, fixes: &[Fix]) -> StorageResult<()>;
    /// Every complete blob: (team, reader, hash, size); none when the table is missing.
    async fn complete_blobs(&self) -> StorageResult<Vec<(String, String, String, i64)>>;
}

/// One problem found.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    /// The team it concerns, if any.
    pub team: Option<String>,
    /// What was checked: `database`, `schema`, `counter`, `sequence`, `change`, `document`, `snapshot`, `tokens`, `blob`.
    pub what: &'static str,
    /// What is wrong, for a person.
    pub message: String,
    /// Whether `--repair` can fix it.
    pub repairable: bool,
}

/// The outcome of a check (and repair).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// The database, for messages (a PostgreSQL URL without its password).
    pub db: String,
    /// Teams seen.
    pub teams: usize,
    /// Changes read.
    pub changes: u64,
    /// Documents registered.
    pub documents: u64,
    /// Snapshots read.
    pub snapshots: u64,
    /// Devices read.
    pub devices: u64,
    /// Complete blobs read.
    pub blobs: u64,
    /// Problems found (before any repair).
    pub problems: Vec<Problem>,
    /// What `--repair` did.
    pub repaired: Vec<String>,
    /// Problems still there after the repair (with `--repair`; else the problems).
    pub remaining: Vec<Problem>,
    /// Changes the relay no longer has, by team: what to tell the team.
    pub lost: Vec<String>,
}

impl Report {
    /// True when nothing is (still) wrong.
    pub fn healthy(&self) -> bool {
        self.remaining.is_empty()
    }

    /// The report as text for a person.
    pub fn text(&self) -> String {
        let mut s = format!(
            "kept-relay check of {}: {} team(s), {} change(s), {} document(s), {} snapshot(s), {} device(s), \
             {} blob(s)\n",
            self.db, self.teams, self.changes, self.documents, self.snapshots, self.devices, self.blobs
        );
        if self.problems.is_empty() {
            s.push_str("ok: no problems found\n");
            return s;
        }
        s.push_str(&format!("{} problem(s) found:\n", self.problems.len()));
        for p in &self.problems {
            s.push_str(&format!("  - {}\n", line(p)));
        }
        if !self.repaired.is_empty() {
            s.push_str(&format!("repaired ({}):\n", self.repaired.len()));
            for r in &self.repaired {
                s.push_str(&format!("  - {r}\n"));
            }
        }
        for l in &self.lost {
            s.push_str(&format!("note: {l}\n"));
        }
        if self.remaining.is_empty() {
            s.push_str("ok: every problem was repaired; the database passes the check now\n");
        } else if self.repaired.is_empty() && self.remaining.iter().any(|p| p.repairable) {
            s.push_str(&format!(
                "{} problem(s); run `kept-relay check --repair --db …` to repair what can be repaired (back the database up first)\n",
                self.remaining.len()
            ));
        } else {
            s.push_str(&format!("{} problem(s) remain:\n", self.remaining.len()));
            for p in &self.remaining {
                s.push_str(&format!("  - {}\n", line(p)));
            }
        }
        s
    }
}

fn line(p: &Problem) -> String {
    let team = p.team.as_deref().map(|t| format!("team {t}: ")).unwrap_or_default();
    let tag = if p.repairable { "" } else { " [cannot be repaired here]" };
    format!("{}: {team}{}{tag}", p.what, p.message)
}

/// Checks the database `db` names (a SQLite file or a PostgreSQL URL); with
/// `repair`, repairs what can be repaired and checks again. `shown` is how
/// to name the database in the report. Blob bytes are looked for where the
/// relay keeps them by default (see [`run_with_blobs`]).
pub async fn run(db: &str, shown: &str, repair: bool) -> StorageResult<Report> {
    run_with_blobs(db, shown, repair, None).await
}

/// [`run`], looking for blob bytes in `blob_dir` (`kept-relay serve
/// --blob-dir`) rather than where the database keeps them by default.
pub async fn run_with_blobs(db: &str, shown: &str, repair: bool, blob_dir: Option<&Path>) -> StorageResult<Report> {
    let named = blob_dir.map(|d| Arc::new(DirBlobs::new(d)) as Arc<dyn BlobBytes>);
    if is_postgres_url(db) {
        let pg = postgres::PgInspect::connect(db.trim()).await?;
        let blobs = named.unwrap_or_else(|| pg.blob_bytes());
        run_on(&pg, shown, repair, None, blobs.as_ref()).await
    } else {
        let path = std::path::Path::new(db);
        let mut salvaged = None;
        let lite = sqlite::SqliteInspect::open(path)?;
        if repair {
            let before: Vec<String> = lite.integrity().await?.into_iter().map(|(p, _)| p).collect();
            if !before.is_empty() {
                salvaged = Some(sqlite::repair_file(path, &before)?);
            }
        }
        let lite = sqlite::SqliteInspect::open(path)?;
        let blobs = named.unwrap_or_else(|| Arc::new(DirBlobs::beside(path)));
        run_on(&lite, shown, repair, salvaged, blobs.as_ref()).await
    }
}

/// Complete blobs whose bytes are missing, cut short or no longer match
/// their hash (read by streaming, one blob at a time).
async fn check_blobs(db: &dyn Inspect, bytes: &dyn BlobBytes, report: &mut Report) -> StorageResult<Vec<Problem>> {
    let mut out = Vec::new();
    let where_ = bytes.describe();
    for (team, reader, hash, size) in db.complete_blobs().await? {
        report.blobs += 1;
        let whose = if reader.is_empty() { "the team document".to_string() } else { format!("member {reader}") };
        let bad = |why: String| problem(Some(&team), "blob", format!("blob {hash} of {whose}: {why}"), false);
        let Ok(key) = BlobKey::new(&team, &reader, &hash) else {
            out.push(bad("its hash is not a SHA-256 in hex".into()));
            continue;
        };
        let held = match bytes.received(&key).await {
            Ok(n) => n,
            Err(e) => {
                out.push(bad(format!("its bytes cannot be read in the {where_}: {}", chain(&e))));
                continue;
            }
        };
        if held != u64::try_from(size).unwrap_or(0) {
            out.push(bad(format!(
                "it is complete, but the {where_} holds {held} of its {size} bytes (restored without its \
                 blobs? the devices that recorded it still hold it)"
            )));
            continue;
        }
        match bytes.sha256(&key).await {
            Ok(got) if got == hash => {}
            Ok(got) => out.push(bad(format!("its bytes in the {where_} no longer match it (their SHA-256 is {got})"))),
            Err(e) => out.push(bad(format!("its bytes cannot be read in the {where_}: {}", chain(&e)))),
        }
    }
    Ok(out)
}

async fn run_on(
    db: &dyn Inspect,
    shown: &str,
    repair: bool,
    file_repair: Option<FileRepair>,
    blobs: &dyn BlobBytes,
) -> StorageResult<Report> {
    let mut found = inspect(db).await?;
    let blob_problems = check_blobs(db, blobs, &mut found.report).await?;
    found.report.problems.extend(blob_problems.iter().cloned());
    found.report.db = shown.to_string();
    let mut report = found.report.clone();
    if let Some(fr) = &file_repair {
        // The problems the engine reported before the file was repaired.
        report.problems.splice(0..0, fr.problems.clone());
        report.repaired.extend(fr.done.clone());
    }
    if !repair {
        report.remaining = report.problems.clone();
        return Ok(report);
    }
    let mut lost: BTreeMap<String, (usize, BTreeSet<String>)> = BTreeMap::new();
    for (team, fixes) in &found.fixes {
        if fixes.is_empty() {
            continue;
        }
        db.apply(fixes).await?;
        for f in fixes {
            report.repaired.push(describe(f));
            match f {
                Fix::DropChange { doc, .. } => {
                    let e = lost.entry(team.clone()).or_default();
                    e.0 += 1;
                    e.1.insert(doc.clone().unwrap_or_else(|| "an unknown document".into()));
                }
                Fix::RecordLost { .. } => lost.entry(team.clone()).or_default().0 += 1,
                _ => {}
            }
        }
    }
    for (team, (n, docs)) in lost {
        let docs: Vec<String> = docs.into_iter().collect();
        report.lost.push(format!(
            "team {team}: {n} change(s) are no longer on the relay{}. A device sends a change again by itself \
             only if the relay never acknowledged it (acknowledged changes leave its outbox); the devices that \
             hold these documents still have them.",
            if docs.is_empty() { String::new() } else { format!(" (documents: {})", docs.join(", ")) }
        ));
    }
    let after = inspect(db).await?;
    report.remaining = after.report.problems;
    report.remaining.extend(blob_problems);
    Ok(report)
}

/// What `--repair` did to a damaged SQLite file before the logical check.
#[derive(Debug, Clone)]
pub(crate) struct FileRepair {
    pub problems: Vec<Problem>,
    pub done: Vec<String>,
}

fn describe(f: &Fix) -> String {
    match f {
        Fix::DropChange { team, seq, doc, reason, .. } => format!(
            "team {team}: dropped change seq {seq}{} ({reason}); recorded in lost_changes",
            doc.as_deref().map(|d| format!(" of '{d}'")).unwrap_or_default()
        ),
        Fix::RecordLost { team, seq, reason } => format!("team {team}: recorded seq {seq} as lost ({reason})"),
        Fix::SetReader { team, seq, reader } => format!("team {team}: change seq {seq}: reader set to '{reader}'"),
        Fix::SetHash { team, seq, .. } => format!("team {team}: change seq {seq}: hash rewritten from its bytes"),
        Fix::SetActor { team, seq, .. } => format!("team {team}: change seq {seq}: actor columns rewritten"),
        Fix::SetCounter { team, seq } => format!("team {team}: sequence counter set to {seq}"),
        Fix::PutSnapshot { team, doc, .. } => format!("team {team}: snapshot of '{doc}' rebuilt from its changes"),
        Fix::DeleteSnapshot { team, doc } => format!("team {team}: snapshot of unknown document '{doc}' deleted"),
        Fix::ResetCompaction { team } => {
            format!("team {team}: snapshots dropped and compaction reset (new devices get every change)")
        }
        Fix::RevokeDevice { id } => format!("device {id} revoked (it must join again with a new invite)"),
    }
}

struct Found {
    report: Report,
    fixes: Vec<(String, Vec<Fix>)>,
}

fn problem(team: Option<&str>, what: &'static str, message: String, repairable: bool) -> Problem {
    Problem { team: team.map(str::to_string), what, message, repairable }
}

fn hex(b: &[u8]) -> String {
    hex::encode(b)
}

/// Runs `f`, turning a panic (inside Automerge, on bytes it does not expect) into an error.
fn guarded<T>(f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(p) => Err(format!(
            "Automerge panicked: {}",
            p.downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default()
        )),
    }
}

/// A table and the columns the relay needs in it.
pub(crate) type Table = (&'static str, &'static [&'static str]);

/// The tables and columns every relay database has, on either backend.
const TABLES: &[Table] = &[
    ("teams", &["id", "name", "created_at"]),
    ("team_seq", &["team_id", "seq", "compacted"]),
    ("members", &["id", "team_id", "name", "role", "active", "created_at"]),
    ("devices", &["id", "team_id", "member_id", "name", "token_hash", "created_at", "revoked"]),
    (
        "invites",
        &["code_hash", "team_id", "role", "name", "member_id", "expires_at", "created_at", "used_at", "device_id"],
    ),
    ("docs", &["id", "team_id", "doc", "kind", "subject"]),
    ("snapshots", &["team_id", "doc", "reader", "data"]),
];

/// Missing tables or columns.
async fn schema_problems(db: &dyn Inspect) -> StorageResult<Vec<String>> {
    let mut out = Vec::new();
    for (table, cols) in TABLES.iter().chain(db.own_tables()) {
        let have = db.columns(table).await?;
        if have.is_empty() {
            out.push(format!("table '{table}' is missing"));
            continue;
        }
        let missing: Vec<&str> = cols.iter().copied().filter(|c| !have.contains(*c)).collect();
        if !missing.is_empty() {
            out.push(format!("table '{table}' lacks column(s) {}", missing.join(", ")));
        }
    }
    if let (false, Some(hint)) = (out.is_empty(), db.schema_hint()) {
        out.push(hint.into());
    }
    Ok(out)
}

async fn inspect(db: &dyn Inspect) -> StorageResult<Found> {
    let mut report = Report::default();
    let mut fixes = Vec::new();
    for (p, repairable) in db.integrity().await? {
        report.problems.push(problem(None, "database", p, repairable));
    }
    let schema = schema_problems(db).await?;
    if !schema.is_empty() {
        for p in schema {
            report.problems.push(problem(None, "schema", p, false));
        }
        return Ok(Found { report, fixes });
    }
    let teams = db.teams().await?;
    report.teams = teams.iter().filter(|t| t.exists).count();
    for t in &teams {
        let mut f = Vec::new();
        match check_team(db, t, &mut report, &mut f).await {
            Ok(()) => {}
            Err(e) if e.is_backend() => report.problems.push(problem(
                Some(&t.id),
                "database",
                format!("cannot read the team's rows: {}", chain(&e)),
                true,
            )),
            Err(e) => return Err(e),
        }
        fixes.push((t.id.clone(), f));
    }
    let mut dev_fixes = Vec::new();
    for d in db.devices().await? {
        report.devices += 1;
        let well_formed =
            d.token_hash.len() == 64 && d.token_hash.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        let why = if !well_formed {
            Some("its stored token hash is damaged, so it can never sign in".to_string())
        } else if d.member_team.as_deref() != Some(d.team_id.as_str()) {
            Some(match &d.member_team {
                None => "its member does not exist".to_string(),
                Some(other) => format!("its member belongs to another team ({other})"),
            })
        } else {
            None
        };
        if let Some(why) = why {
            if !d.revoked {
                report.problems.push(problem(Some(&d.team_id), "tokens", format!("device {}: {why}", d.id), true));
                dev_fixes.push(Fix::RevokeDevice { id: d.id.clone() });
            }
        }
    }
    for m in db.member_problems().await? {
        report.problems.push(problem(None, "tokens", m, false));
    }
    fixes.push((String::new(), dev_fixes));
    Ok(Found { report, fixes })
}

/// A change read from the log, parsed.
struct Parsed {
    seq: i64,
    doc: String,
    hash: ChangeHash,
    actor: Vec<u8>,
    aseq: u64,
    bytes: Vec<u8>,
}

async fn check_team(db: &dyn Inspect, t: &TeamRow, report: &mut Report, fixes: &mut Vec<Fix>) -> StorageResult<()> {
    let team = t.id.as_str();
    let tp = Some(team);
    if !t.exists {
        report.problems.push(problem(
            tp,
            "counter",
            "a sequence counter row for a team that does not exist".into(),
            false,
        ));
        return Ok(());
    }
    let docs: HashMap<i64, DocRow> = db.docs(team).await?.into_iter().map(|d| (d.id, d)).collect();
    report.documents += docs.len() as u64;
    for d in docs.values() {
        match d.doc.parse::<DocId>() {
            Ok(id) if id.kind().as_str() == d.kind && id.subject() == d.subject.as_deref() => {}
            Ok(_) => report.problems.push(problem(
                tp,
                "document",
                format!(
                    "'{}' is registered with kind '{}' and subject {:?}, which its id contradicts",
                    d.doc, d.kind, d.subject
                ),
                false,
            )),
            Err(e) => {
                report.problems.push(problem(tp, "document", format!("'{}' is not a document id: {e}", d.doc), false))
            }
        }
    }
    let lost = db.lost(team).await?;
    let (mut counter, compacted) = t.counter.unwrap_or((0, 0));
    if t.counter.is_none() {
        report.problems.push(problem(tp, "counter", "the team has no sequence counter row: pushes fail".into(), true));
    }
    // Read the log in pages.
    let mut good: Vec<Parsed> = Vec::new();
    let (mut after, mut expected) = (0i64, 1i64);
    let mut gaps: Vec<(i64, i64)> = Vec::new();
    let mut max_seq = 0i64;
    loop {
        let page = db.changes(team, after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for c in page {
            report.changes += 1;
            max_seq = max_seq.max(c.seq);
            if c.seq > expected {
                gap(team, expected, c.seq - 1, &lost, &mut gaps, report, fixes);
            }
            expected = c.seq + 1;
            if let Some(p) = check_change(team, &c, &docs, report, fixes) {
                good.push(p);
            }
        }
    }
    if counter > max_seq && expected <= counter {
        gap(team, expected, counter, &lost, &mut gaps, report, fixes);
    }
    for (a, b) in &gaps {
        let what = if a == b { format!("sequence number {a} is") } else { format!("sequence numbers {a}..{b} are") };
        report.problems.push(problem(
            tp,
            "sequence",
            format!("{what} missing from the log: those changes are lost (clients skip them)"),
            true,
        ));
    }
    if max_seq > counter || t.counter.is_none() {
        if t.counter.is_some() {
            report.problems.push(problem(
                tp,
                "counter",
                format!("the sequence counter ({counter}) is below the highest stored change ({max_seq}): the next push would fail"),
                true,
            ));
        }
        counter = counter.max(max_seq);
        fixes.push(Fix::SetCounter { team: team.into(), seq: counter });
    }
    // Documents: their changes must apply together as on a new device.
    let mut by_doc: BTreeMap<String, Vec<Parsed>> = BTreeMap::new();
    for p in good {
        by_doc.entry(p.doc.clone()).or_default().push(p);
    }
    let mut usable: BTreeMap<String, Vec<&Parsed>> = BTreeMap::new();
    for (doc, changes) in &by_doc {
        usable.insert(doc.clone(), check_document(team, doc, changes, report, fixes));
    }
    // Snapshots.
    let snaps = db.snapshots(team).await?;
    report.snapshots += snaps.len() as u64;
    if compacted > counter || compacted < 0 {
        report.problems.push(problem(
            tp,
            "snapshot",
            format!("the compacted sequence ({compacted}) is beyond the team's sequence ({counter})"),
            true,
        ));
        fixes.push(Fix::ResetCompaction { team: team.into() });
        return Ok(());
    }
    let readers: HashMap<&str, String> =
        docs.values().map(|d| (d.doc.as_str(), d.subject.clone().unwrap_or_default())).collect();
    let mut snap_fixes = Vec::new();
    let mut reset = false;
    let mut have: BTreeSet<&str> = BTreeSet::new();
    for s in &snaps {
        have.insert(s.doc.as_str());
        let Some(reader) = readers.get(s.doc.as_str()) else {
            report.problems.push(problem(
                tp,
                "snapshot",
                format!("a snapshot of '{}', a document the relay does not know", s.doc),
                true,
            ));
            snap_fixes.push(Fix::DeleteSnapshot { team: team.into(), doc: s.doc.clone() });
            continue;
        };
        let upto: Vec<&Parsed> =
            usable.get(&s.doc).map(|v| v.iter().copied().filter(|p| p.seq <= compacted).collect()).unwrap_or_default();
        let wrong = match snapshot_heads(&s.data) {
            Err(e) => Some(format!("does not load: {e}")),
            Ok(heads) => match heads_of(&upto) {
                Ok(want) if want == heads => None,
                Ok(_) => Some(format!("does not hold exactly the document's changes up to seq {compacted}")),
                Err(e) => Some(format!("cannot be compared with its changes: {e}")),
            },
        };
        let wrong =
            wrong.or_else(|| (&s.reader != reader).then(|| format!("has reader '{}' instead of '{reader}'", s.reader)));
        if let Some(why) = wrong {
            report.problems.push(problem(tp, "snapshot", format!("the snapshot of '{}' {why}", s.doc), true));
            match rebuild(&s.doc, &upto) {
                Ok(data) => snap_fixes.push(Fix::PutSnapshot {
                    team: team.into(),
                    doc: s.doc.clone(),
                    reader: reader.clone(),
                    data,
                }),
                Err(_) => reset = true,
            }
        }
    }
    for (doc, changes) in &usable {
        let upto: Vec<&Parsed> = changes.iter().copied().filter(|p| p.seq <= compacted).collect();
        if compacted > 0 && !upto.is_empty() && !have.contains(doc.as_str()) {
            report.problems.push(problem(
                tp,
                "snapshot",
                format!("'{doc}' has changes up to the compacted sequence {compacted} but no snapshot: a new device would never get them"),
                true,
            ));
            match rebuild(doc, &upto) {
                Ok(data) => snap_fixes.push(Fix::PutSnapshot {
                    team: team.into(),
                    doc: doc.clone(),
                    reader: readers.get(doc.as_str()).cloned().unwrap_or_default(),
                    data,
                }),
                Err(_) => reset = true,
            }
        }
    }
    if reset {
        fixes.push(Fix::ResetCompaction { team: team.into() });
    } else {
        fixes.extend(snap_fixes);
    }
    Ok(())
}

/// Most missing sequence numbers recorded one by one; a larger jump is more
/// likely a damaged sequence number than that many lost changes.
const MAX_GAP: i64 = 1_000_000;

/// Notes the sequence numbers `from..=to` missing from the log (except those already recorded as lost).
fn gap(
    team: &str,
    from: i64,
    to: i64,
    lost: &BTreeSet<i64>,
    gaps: &mut Vec<(i64, i64)>,
    report: &mut Report,
    fixes: &mut Vec<Fix>,
) {
    if to - from + 1 > MAX_GAP {
        report.problems.push(problem(
            Some(team),
            "sequence",
            format!(
                "the sequence jumps from {} to {}: too many to be lost changes; is a sequence number damaged?",
                from - 1,
                to + 1
            ),
            false,
        ));
        return;
    }
    let missing: Vec<i64> = (from..=to).filter(|s| !lost.contains(s)).collect();
    if let (Some(a), Some(b)) = (missing.first(), missing.last()) {
        gaps.push((*a, *b));
        for seq in missing {
            fixes.push(Fix::RecordLost { team: team.into(), seq, reason: "missing from the log".into() });
        }
    }
}

/// Checks one stored change; the parsed change when it can be delivered.
fn check_change(
    team: &str,
    c: &ChangeRow,
    docs: &HashMap<i64, DocRow>,
    report: &mut Report,
    fixes: &mut Vec<Fix>,
) -> Option<Parsed> {
    let tp = Some(team);
    let Some(doc) = docs.get(&c.doc_id) else {
        report.problems.push(problem(
            tp,
            "change",
            format!("seq {}: its document row ({}) does not exist", c.seq, c.doc_id),
            true,
        ));
        fixes.push(Fix::DropChange {
            team: team.into(),
            seq: c.seq,
            doc: None,
            hash: c.hash.clone(),
            reason: "no document".into(),
        });
        return None;
    };
    let unusable = match Change::from_bytes(c.data.clone()) {
        Ok(ch) if checksum_ok(&ch) => Ok(ch),
        Ok(_) => Err((
            format!("seq {} of '{}': its checksum does not match its bytes (damaged)", c.seq, doc.doc),
            "damaged bytes",
        )),
        Err(e) => Err((format!("seq {} of '{}' is not an Automerge change: {e}", c.seq, doc.doc), "unreadable bytes")),
    };
    let change = match unusable {
        Ok(ch) => ch,
        Err((what, reason)) => {
            report.problems.push(problem(tp, "change", what, true));
            fixes.push(Fix::DropChange {
                team: team.into(),
                seq: c.seq,
                doc: Some(doc.doc.clone()),
                hash: c.hash.clone(),
                reason: reason.into(),
            });
            return None;
        }
    };
    let hash = change.hash();
    if c.hash != hash.0 {
        report.problems.push(problem(
            tp,
            "change",
            format!("seq {} of '{}': the stored hash {} is not the change's hash {hash}", c.seq, doc.doc, hex(&c.hash)),
            true,
        ));
        fixes.push(Fix::SetHash { team: team.into(), seq: c.seq, hash: hash.0.to_vec() });
    }
    let actor = change.actor_id().to_bytes().to_vec();
    let aseq = change.seq() as i64;
    let akey_ok = c.akey.is_none_or(|k| k == actor_key(&actor));
    let actor_ok = c.actor.as_ref().is_none_or(|a| a == &actor);
    let aseq_ok = c.aseq.is_none_or(|s| s == aseq);
    let filled = c.aseq.is_some();
    if !(akey_ok && actor_ok && aseq_ok && filled) {
        report.problems.push(problem(
            tp,
            "change",
            format!(
                "seq {} of '{}': its actor columns do not match the change (duplicate checks would miss it)",
                c.seq, doc.doc
            ),
            true,
        ));
        fixes.push(Fix::SetActor { team: team.into(), seq: c.seq, actor: actor.clone(), aseq });
    }
    let reader = doc.subject.clone().unwrap_or_default();
    if c.reader != reader {
        report.problems.push(problem(
            tp,
            "change",
            format!(
                "seq {} of '{}': reader '{}' instead of '{reader}' (the wrong people would pull it)",
                c.seq, doc.doc, c.reader
            ),
            true,
        ));
        fixes.push(Fix::SetReader { team: team.into(), seq: c.seq, reader });
    }
    Some(Parsed { seq: c.seq, doc: doc.doc.clone(), hash, actor, aseq: change.seq(), bytes: c.data.clone() })
}

/// The actor id's first 8 bytes as an integer (the SQLite index key).
pub(crate) fn actor_key(actor: &[u8]) -> i64 {
    let mut b = [0u8; 8];
    for (d, s) in b.iter_mut().zip(actor) {
        *d = *s;
    }
    i64::from_be_bytes(b)
}

/// Checks that a document's changes apply together; returns the ones that do
/// (dropping, with a fix, every change no client could apply).
fn check_document<'a>(
    team: &str,
    doc: &str,
    changes: &'a [Parsed],
    report: &mut Report,
    fixes: &mut Vec<Fix>,
) -> Vec<&'a Parsed> {
    let tp = Some(team);
    let mut slots: HashMap<(&[u8], u64), (ChangeHash, i64)> = HashMap::new();
    let mut ok: Vec<&Parsed> = Vec::with_capacity(changes.len());
    for p in changes {
        if let Some((_, first)) = slots.get(&(p.actor.as_slice(), p.aseq)) {
            report.problems.push(problem(
                tp,
                "document",
                format!(
                    "'{doc}': change seq {} reuses sequence number {} of actor {} already used by seq {first}: no client can apply both",
                    p.seq,
                    p.aseq,
                    hex(&p.actor)
                ),
                true,
            ));
            fixes.push(Fix::DropChange {
                team: team.into(),
                seq: p.seq,
                doc: Some(doc.into()),
                hash: p.hash.0.to_vec(),
                reason: format!("reuses the actor seq of seq {first}"),
            });
            continue;
        }
        slots.insert((p.actor.as_slice(), p.aseq), (p.hash, p.seq));
        ok.push(p);
    }
    // Apply all at once (the common, fast case); on failure find the culprits one by one.
    if apply_all(&ok).is_ok() {
        return finish_document(team, doc, ok, report);
    }
    // One change at a time onto one document; after a failure the document is
    // rebuilt from the changes kept so far (failures are rare, so this stays linear).
    let mut kept: Vec<&Parsed> = Vec::with_capacity(ok.len());
    let mut built = AutoCommit::new();
    for p in ok {
        let applied = guarded(|| {
            let c = Change::from_bytes(p.bytes.clone()).map_err(|e| e.to_string())?;
            built.apply_changes([c]).map_err(|e| e.to_string())
        });
        match applied {
            Ok(()) => kept.push(p),
            Err(e) => {
                built = guarded(|| build(&kept)).unwrap_or_default();
                report.problems.push(problem(
                    tp,
                    "document",
                    format!("'{doc}': change seq {} cannot be applied by any client: {e}", p.seq),
                    true,
                ));
                fixes.push(Fix::DropChange {
                    team: team.into(),
                    seq: p.seq,
                    doc: Some(doc.into()),
                    hash: p.hash.0.to_vec(),
                    reason: format!("cannot be applied: {e}"),
                });
            }
        }
    }
    finish_document(team, doc, kept, report)
}

fn finish_document<'a>(team: &str, doc: &str, ok: Vec<&'a Parsed>, report: &mut Report) -> Vec<&'a Parsed> {
    if let Ok(missing) = guarded(|| {
        let mut d = build(&ok)?;
        Ok(d.get_missing_deps(&[]).len())
    }) {
        if missing > 0 {
            report.problems.push(problem(
                Some(team),
                "document",
                format!(
                    "'{doc}': some changes depend on {missing} change(s) the relay does not have; clients hold them back \
                     and the team is not compacted. A device that holds the document must send them again"
                ),
                false,
            ));
        }
    }
    ok
}

fn build(changes: &[&Parsed]) -> Result<AutoCommit, String> {
    let mut d = AutoCommit::new();
    let parsed: Result<Vec<Change>, String> =
        changes.iter().map(|p| Change::from_bytes(p.bytes.clone()).map_err(|e| e.to_string())).collect();
    d.apply_changes(parsed?).map_err(|e| e.to_string())?;
    Ok(d)
}

fn apply_all(changes: &[&Parsed]) -> Result<(), String> {
    guarded(|| build(changes).map(|_| ()))
}

fn snapshot_heads(data: &[u8]) -> Result<BTreeSet<ChangeHash>, String> {
    guarded(|| {
        let mut d = AutoCommit::load(data).map_err(|e| e.to_string())?;
        Ok(d.get_heads().into_iter().collect())
    })
}

fn heads_of(changes: &[&Parsed]) -> Result<BTreeSet<ChangeHash>, String> {
    guarded(|| Ok(build(changes)?.get_heads().into_iter().collect()))
}

fn rebuild(_doc: &str, changes: &[&Parsed]) -> Result<Vec<u8>, String> {
    let raw: Vec<Vec<u8>> = changes.iter().map(|p| p.bytes.clone()).collect();
    let state = kept_protocol::gate::DocState::load(None, raw)?;
    state.save()
}
