//! Materialised views: plain rows derived from one document at a time.
//! `refresh` replaces every row a document produced, so a view never holds
//! anything its document does not say, and rebuilding from scratch gives the
//! same rows as incremental maintenance.

use crate::docs::{self, DocId, DocKind};
use crate::error::Result;
use crate::model::Kare;
use crate::records::{RecordKind, Shape};
use crate::week::Week;
use automerge::{AutoCommit, ChangeHash, PatchAction, Prop, ReadDoc};
use chrono::Weekday;
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::BTreeSet;

/// The records of a log document's `activities` map that changed between
/// two sets of heads, or `None` when something else changed (refresh all).
pub fn touched_records(doc: &mut AutoCommit, before: &[ChangeHash], after: &[ChangeHash]) -> Option<BTreeSet<String>> {
    if before.is_empty() {
        return None;
    }
    let mut ids = BTreeSet::new();
    for p in doc.diff(before, after) {
        match p.path.as_slice() {
            [(_, Prop::Map(c))] if c == "activities" => match &p.action {
                PatchAction::PutMap { key, .. } | PatchAction::DeleteMap { key } => {
                    ids.insert(key.clone());
                }
                _ => return None,
            },
            [(_, Prop::Map(c)), (_, Prop::Map(id)), ..] if c == "activities" => {
                ids.insert(id.clone());
            }
            _ => return None,
        }
    }
    Some(ids)
}

/// Like [`refresh`], but for a log document only the `touched` records
/// (when known): logging one activity costs the same in a busy week as in a quiet one.
pub fn refresh_records(
    conn: &Connection,
    id: &DocId,
    doc: &impl ReadDoc,
    touched: Option<&BTreeSet<String>>,
) -> Result<()> {
    let (Some(touched), DocKind::Log) = (touched, id.kind()) else {
        return refresh(conn, id, doc);
    };
    let subject = id.subject().unwrap_or_default();
    let basis = week_basis(conn)?;
    let mut del = conn.prepare_cached("DELETE FROM activities WHERE id = ?1 AND doc_id = ?2")?;
    for rec in touched {
        del.execute(params![rec, id.as_str()])?;
        if let Some(a) = docs::log::read_one(doc, subject, rec)? {
            insert_activity(conn, id, &a, basis)?;
        }
    }
    Ok(())
}

/// The rows of activities just added to log `id`, from the checked records
/// themselves (a tap: nothing to read back out of the document).
pub fn insert_activities(conn: &Connection, id: &DocId, added: &[&crate::model::Activity]) -> Result<()> {
    let basis = week_basis(conn)?;
    for a in added {
        insert_activity(conn, id, a, basis)?;
    }
    Ok(())
}

/// The team's time zone and week start, as the activity rows are filed
/// under (meta `week_basis`, e.g. "Europe/Berlin Mon"; UTC weeks from
/// Monday until the team document arrives).
fn week_basis(conn: &Connection) -> Result<(chrono_tz::Tz, Weekday)> {
    let mut st = conn.prepare_cached("SELECT value FROM meta WHERE key = 'week_basis'")?;
    let v: Option<String> = st.query_row([], |r| r.get(0)).optional()?;
    Ok(parse_basis(v.as_deref().unwrap_or("")))
}

fn parse_basis(s: &str) -> (chrono_tz::Tz, Weekday) {
    let (tz, day) = s.split_once(' ').unwrap_or(("UTC", "Mon"));
    (tz.parse().unwrap_or(chrono_tz::UTC), day.parse().unwrap_or(Weekday::Mon))
}

/// Records the team's week basis; when it changed, every activity is filed
/// under its week again (the triggers move the weekly counts along).
fn set_week_basis(conn: &Connection, team: &crate::model::TeamSettings) -> Result<()> {
    let basis = format!("{} {}", team.tz(), team.week_start);
    let mut st = conn.prepare_cached("SELECT value FROM meta WHERE key = 'week_basis'")?;
    let old: Option<String> = st.query_row([], |r| r.get(0)).optional()?;
    if old.as_deref() == Some(basis.as_str()) {
        return Ok(());
    }
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('week_basis', ?1)", params![basis])?;
    let (tz, start) = parse_basis(&basis);
    let rows: Vec<(String, i64, String)> = {
        let mut st = conn.prepare("SELECT id, occurred_utc, week FROM activities")?;
        let v = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<rusqlite::Result<_>>()?;
        v
    };
    let mut up = conn.prepare_cached("UPDATE activities SET week = ?2 WHERE id = ?1")?;
    for (id, utc, week) in rows {
        let w = week_of(utc, tz, start);
        if w != week {
            up.execute(params![id, w])?;
        }
    }
    Ok(())
}

fn week_of(utc: i64, tz: chrono_tz::Tz, start: Weekday) -> String {
    let at = chrono::DateTime::from_timestamp(utc, 0).unwrap_or_default();
    Week::of_instant(at, tz, start).to_string()
}

/// The columns of an activity row, in the order [`activity_values`] binds them.
const ACTIVITY_COLUMNS: &str = "INSERT OR REPLACE INTO activities (id, doc_id, rep, type, kare, occurred_at, \
     occurred_utc, count, duration_min, outcome, account, deal, note, logged_by, week) VALUES ";
/// One row's placeholders.
const ACTIVITY_ROW: &str = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
/// Rows one statement inserts when a whole log is written: SQLite keeps a
/// statement journal for each statement (the weekly-count trigger may
/// abort), so a log's rows in a few statements copy its pages a few times,
/// not once per row. Sizes a log's rows are split into, largest first.
const ACTIVITY_CHUNKS: [usize; 4] = [32, 8, 2, 1];

/// The statement that inserts `rows` activity rows.
fn insert_rows_sql(rows: usize) -> String {
    let mut sql = String::with_capacity(ACTIVITY_COLUMNS.len() + rows * (ACTIVITY_ROW.len() + 2));
    sql.push_str(ACTIVITY_COLUMNS);
    for i in 0..rows {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(ACTIVITY_ROW);
    }
    sql
}

/// The statements of [`ACTIVITY_CHUNKS`], made once.
static INSERT_ROWS: std::sync::LazyLock<[String; 4]> =
    std::sync::LazyLock::new(|| ACTIVITY_CHUNKS.map(insert_rows_sql));

/// The statement that inserts `n` rows, `n` one of [`ACTIVITY_CHUNKS`].
fn insert_rows(n: usize) -> &'static str {
    let i = ACTIVITY_CHUNKS.iter().position(|c| *c == n).unwrap_or(ACTIVITY_CHUNKS.len() - 1);
    INSERT_ROWS[i].as_str()
}

/// An activity's row values besides the record: when it happened in UTC
/// seconds, and the week it is filed under.
fn filed(a: &crate::model::Activity, (tz, start): (chrono_tz::Tz, Weekday)) -> (i64, String) {
    let utc = chrono::DateTime::parse_from_rfc3339(&a.occurred_at).map(|t| t.timestamp()).unwrap_or(0);
    (utc, week_of(utc, tz, start))
}

/// An activity row's values, in [`ACTIVITY_COLUMNS`] order.
fn activity_values<'a>(
    doc: &'a &'a str,
    a: &'a crate::model::Activity,
    (utc, week): &'a (i64, String),
    kare: &'a Option<&'static str>,
) -> [&'a dyn rusqlite::ToSql; 15] {
    [
        &a.id,
        doc,
        &a.rep,
        &a.kind,
        kare,
        &a.occurred_at,
        utc,
        &a.count,
        &a.duration_min,
        &a.outcome,
        &a.account,
        &a.deal,
        &a.note,
        &a.logged_by,
        week,
    ]
}

fn insert_activity(
    conn: &Connection,
    id: &DocId,
    a: &crate::model::Activity,
    basis: (chrono_tz::Tz, Weekday),
) -> Result<()> {
    let (doc, filed, kare) = (id.as_str(), filed(a, basis), opt_kare(a.kare));
    conn.prepare_cached(insert_rows(1))?.execute(&activity_values(&doc, a, &filed, &kare)[..])?;
    Ok(())
}

/// Inserts the rows of `activities` of log `id`, a few statements for many rows.
fn insert_activity_rows(
    conn: &Connection,
    id: &DocId,
    activities: &[crate::model::Activity],
    basis: (chrono_tz::Tz, Weekday),
) -> Result<()> {
    let doc = id.as_str();
    let mut rest = activities;
    while !rest.is_empty() {
        let n = ACTIVITY_CHUNKS.into_iter().find(|n| *n <= rest.len()).unwrap_or(1);
        if n == 1 {
            insert_activity(conn, id, &rest[0], basis)?;
            rest = &rest[1..];
            continue;
        }
        let (chunk, after) = rest.split_at(n);
        rest = after;
        let filed: Vec<(i64, String)> = chunk.iter().map(|a| filed(a, basis)).collect();
        let kares: Vec<Option<&'static str>> = chunk.iter().map(|a| opt_kare(a.kare)).collect();
        let mut values: Vec<&dyn rusqlite::ToSql> = Vec::with_capacity(n * 15);
        for ((a, f), k) in chunk.iter().zip(&filed).zip(&kares) {
            values.extend(activity_values(&doc, a, f, k));
        }
        conn.prepare_cached(insert_rows(n))?.execute(rusqlite::params_from_iter(values))?;
    }
    Ok(())
}

fn opt_kare(k: Option<Kare>) -> Option<&'static str> {
    k.map(Kare::as_str)
}

/// The view rows one document produces, read out of it (no database work), so
/// a first pull can read documents on one thread while another writes rows.
#[derive(Debug)]
pub enum ViewRows {
    /// The team's settings.
    Team(crate::model::TeamSettings),
    /// A week log's live activities.
    Log(Vec<crate::model::Activity>),
    /// A rep's targets and commitments.
    Plan(Vec<crate::model::Target>, Vec<crate::model::Commitment>),
    /// A rep's action items.
    Coaching(Vec<crate::model::ActionItem>),
    /// A rep's deals.
    Pipeline(Vec<crate::model::Deal>),
    /// A review document (read from the document itself, no view rows).
    Review,
}

/// Reads the rows document `id` contributes to the views. A record that
/// does not fit its kind's fields (`RecordKind::problem`) is left out.
pub fn extract(id: &DocId, doc: &impl ReadDoc) -> Result<ViewRows> {
    let subject = id.subject().unwrap_or_default();
    let ok = |kind: RecordKind| {
        let bad: BTreeSet<String> = problems(kind, doc).into_iter().map(|(r, _)| r).collect();
        move |key: &str| !bad.contains(key)
    };
    Ok(match id.kind() {
        DocKind::Team => ViewRows::Team(docs::team::read(doc)?),
        DocKind::Log => ViewRows::Log(docs::log::read(doc, subject)?),
        DocKind::Plan => {
            let (t_ok, c_ok) = (ok(RecordKind::Target), ok(RecordKind::Commitment));
            let targets = docs::plan::targets(doc, subject)?
                .into_iter()
                .filter(|t| t_ok(&format!("{}:{}:{}", if t.standing { "from" } else { "week" }, t.week, t.kind)))
                .collect();
            let commitments = docs::plan::commitments(doc, subject)?.into_iter().filter(|c| c_ok(&c.id)).collect();
            ViewRows::Plan(targets, commitments)
        }
        DocKind::Coaching => {
            let keep = ok(RecordKind::ActionItem);
            ViewRows::Coaching(
                docs::coaching::action_items(doc, subject)?.into_iter().filter(|a| keep(&a.id)).collect(),
            )
        }
        DocKind::Pipeline => {
            let keep = ok(RecordKind::Deal);
            ViewRows::Pipeline(docs::pipeline::deals(doc, subject)?.into_iter().filter(|d| keep(&d.id)).collect())
        }
        DocKind::Review => ViewRows::Review,
    })
}

/// The records of `kind` in `doc` that do not fit its fields, with why.
fn problems(kind: RecordKind, doc: &impl ReadDoc) -> Vec<(String, String)> {
    let Ok(Some((automerge::Value::Object(_), coll))) = doc.get(&automerge::ROOT, kind.root_map()) else {
        return Vec::new();
    };
    kind.record_ids(doc)
        .into_iter()
        .filter_map(|rec| {
            let obj = match kind.shape() {
                Shape::Single => coll.clone(),
                Shape::Collection => docs::record(doc, &coll, &rec).ok().flatten()?,
            };
            if docs::get_bool(doc, &obj, "deleted") {
                return None;
            }
            kind.problem(doc, &obj).map(|why| (rec, why))
        })
        .collect()
}

/// Every record of document `id` that is not shown, with why (for `kept doctor`).
/// Activities are held to the stricter checks of a tap (`docs::log::malformed`).
pub fn left_out(id: &DocId, doc: &impl ReadDoc) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for kind in RecordKind::in_doc(id.kind()) {
        match kind {
            RecordKind::Activity => out.extend(docs::log::malformed(doc, id.subject().unwrap_or_default())?),
            _ => out.extend(problems(kind, doc).into_iter().map(|(r, why)| (format!("{} {r}", kind.name()), why))),
        }
    }
    Ok(out)
}

/// Replaces the rows that `doc` (with id `id`) contributes to the views.
pub fn refresh(conn: &Connection, id: &DocId, doc: &impl ReadDoc) -> Result<()> {
    write(conn, id, &extract(id, doc)?)
}

/// Replaces the rows document `id` contributes to the views with `rows`.
pub fn write(conn: &Connection, id: &DocId, rows: &ViewRows) -> Result<()> {
    match rows {
        ViewRows::Team(settings) => {
            set_week_basis(conn, settings)?;
            let json = serde_json::to_string(settings).map_err(|e| crate::CoreError::Document(e.to_string()))?;
            conn.execute(
                "INSERT INTO team_settings (id, json) VALUES (1, ?1) ON CONFLICT (id) DO UPDATE SET json = excluded.json",
                params![json],
            )?;
        }
        ViewRows::Log(activities) => {
            conn.prepare_cached("DELETE FROM activities WHERE doc_id = ?1")?.execute(params![id.as_str()])?;
            insert_activity_rows(conn, id, activities, week_basis(conn)?)?;
        }
        ViewRows::Plan(targets, commitments) => {
            conn.execute("DELETE FROM targets WHERE doc_id = ?1", params![id.as_str()])?;
            conn.execute("DELETE FROM commitments WHERE doc_id = ?1", params![id.as_str()])?;
            let mut ins = conn.prepare_cached(
                "INSERT OR REPLACE INTO targets (doc_id, rep, type, week, standing, count, set_by)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for t in targets {
                ins.execute(params![id.as_str(), t.rep, t.kind, t.week, t.standing, t.count, t.set_by])?;
            }
            let mut ins = conn.prepare_cached(
                "INSERT OR REPLACE INTO commitments (id, doc_id, rep, week, kind, activity, count, text)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?;
            for c in commitments {
                ins.execute(params![c.id, id.as_str(), c.rep, c.week, c.kind.as_str(), c.activity, c.count, c.text])?;
            }
        }
        ViewRows::Coaching(items) => {
            conn.execute("DELETE FROM action_items WHERE doc_id = ?1", params![id.as_str()])?;
            let mut ins = conn.prepare_cached(
                "INSERT OR REPLACE INTO action_items (id, doc_id, rep, owner, text, due, status, result, source, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?;
            for a in items {
                ins.execute(params![
                    a.id,
                    id.as_str(),
                    a.rep,
                    a.owner,
                    a.text,
                    a.due,
                    a.status.as_str(),
                    a.result,
                    a.source,
                    a.created_at
                ])?;
            }
        }
        ViewRows::Review => {}
        ViewRows::Pipeline(deals) => {
            conn.execute("DELETE FROM deals WHERE doc_id = ?1", params![id.as_str()])?;
            let mut ins = conn.prepare_cached(
                "INSERT OR REPLACE INTO deals (id, doc_id, rep, name, amount, stage, kare, expected_close, status, closed_at,
                 created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?;
            for d in deals {
                ins.execute(params![
                    d.id,
                    id.as_str(),
                    d.rep,
                    d.name,
                    d.amount,
                    d.stage,
                    opt_kare(d.kare),
                    d.expected_close,
                    d.status.as_str(),
                    d.closed_at,
                    d.created_at
                ])?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;
    use automerge::{ObjType, ROOT};

    const REP: &str = "01900000-0000-7000-8000-00000000000a";

    fn put_record(doc: &mut AutoCommit, map: &str, id: &str, fields: &[(&str, automerge::ScalarValue)]) {
        let coll = docs::map(doc, &ROOT, map).expect("root map");
        let o = doc.put_object(&coll, id, ObjType::Map).expect("record");
        for (k, v) in fields {
            doc.put(&o, *k, v.clone()).expect("field");
        }
    }

    #[test]
    fn records_of_the_wrong_shape_are_left_out_of_the_views_and_named() {
        let mut pipeline = docs::genesis(&DocId::pipeline(REP)).expect("genesis");
        let deal = |amount: automerge::ScalarValue| {
            vec![("name", "Globex".into()), ("amount", amount), ("stage", "prospect".into()), ("status", "open".into())]
        };
        put_record(&mut pipeline, "deals", "good", &deal(1200i64.into()));
        put_record(&mut pipeline, "deals", "words", &deal("lots".into()));
        put_record(&mut pipeline, "deals", "negative", &deal((-5i64).into()));
        let ViewRows::Pipeline(deals) = extract(&DocId::pipeline(REP), &pipeline).expect("extract") else {
            panic!("not a pipeline")
        };
        assert_eq!(deals.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(), ["good"]);
        let named = left_out(&DocId::pipeline(REP), &pipeline).expect("left out");
        assert_eq!(named.len(), 2, "{named:?}");
        assert!(named.iter().any(|(r, why)| r == "deals words" && why.contains("'amount' is a string")), "{named:?}");
        assert!(named.iter().any(|(r, why)| r == "deals negative" && why.contains("outside")), "{named:?}");

        let mut coaching = docs::genesis(&DocId::coaching(REP)).expect("genesis");
        let item = |status: &str| {
            vec![
                ("owner", REP.into()),
                ("text", "Call back".into()),
                ("due", "2026-12-01".into()),
                ("status", status.into()),
            ]
        };
        put_record(&mut coaching, "action_items", "ok", &item("open"));
        put_record(&mut coaching, "action_items", "maybe", &item("maybe"));
        put_record(&mut coaching, "meetings", "no-date", &[("type", "one-on-one".into())]);
        let ViewRows::Coaching(items) = extract(&DocId::coaching(REP), &coaching).expect("extract") else {
            panic!("not coaching")
        };
        assert_eq!(items.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), ["ok"]);
        let named = left_out(&DocId::coaching(REP), &coaching).expect("left out");
        assert!(named.iter().any(|(r, why)| r == "action_items maybe" && why.contains("not one of open")), "{named:?}");
        assert!(named.iter().any(|(r, why)| r == "meetings no-date" && why == "it has no 'date'"), "{named:?}");
    }

    /// A whole log written a few statements at a time gives the rows and
    /// weekly counts that writing its activities one by one gives (a later
    /// row of the same id replacing the earlier, as one at a time).
    #[test]
    fn a_log_written_in_chunks_equals_one_row_at_a_time() {
        let open = || {
            let conn = Connection::open_in_memory().expect("db");
            conn.execute_batch(crate::store::schema::SCHEMA).expect("schema");
            conn.execute_batch(crate::store::schema::WEEKLY).expect("weekly");
            conn
        };
        let id = DocId::log(REP, "2026-W48".parse().expect("week"));
        let kinds = ["call", "email", "meeting-set"];
        let mut acts: Vec<crate::model::Activity> = (0..45u32)
            .map(|i| crate::model::Activity {
                kind: kinds[i as usize % 3].into(),
                occurred_at: format!("2026-11-{:02}T1{}:00:00+01:00", 23 + i % 7, i % 10),
                count: i64::from(1 + i % 4),
                kare: (i % 2 == 0).then_some(Kare::Attain),
                note: Some(format!("note {i}")),
                ..crate::model::Activity::blank(format!("01900000-0000-7000-8000-0000000002{i:02}"), REP)
            })
            .collect();
        acts[44].id = acts[3].id.clone();
        let (chunked, single) = (open(), open());
        write(&chunked, &id, &ViewRows::Log(acts.clone())).expect("chunked");
        let basis = week_basis(&single).expect("basis");
        for a in &acts {
            insert_activity(&single, &id, a, basis).expect("one row");
        }
        let dump = |c: &Connection, sql: &str| -> Vec<String> {
            let mut st = c.prepare(sql).expect("sql");
            let n = st.column_count();
            st.query_map([], |r| {
                Ok((0..n).map(|i| format!("{:?}", r.get_ref(i).expect("col"))).collect::<Vec<_>>().join("|"))
            })
            .expect("rows")
            .collect::<rusqlite::Result<_>>()
            .expect("rows")
        };
        for sql in ["SELECT * FROM activities ORDER BY id", "SELECT * FROM weekly_counts ORDER BY week, rep, type"] {
            let (a, b) = (dump(&chunked, sql), dump(&single, sql));
            assert!(!a.is_empty());
            assert_eq!(a, b, "{sql}");
        }
        assert_eq!(dump(&chunked, "SELECT id FROM activities").len(), 44, "the repeated id is one row");
    }
}
