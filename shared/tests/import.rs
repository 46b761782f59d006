//! CSV import from real CRM exports (`shared/tests/fixtures/`): a
//! Salesforce-style report of a five-rep team with US dates, durations in
//! seconds and an Assigned column (the "Done means" of issue 16); HubSpot and
//! Pipedrive exports; a Kept export; ambiguous dates; 10,000 rows with a
//! byte-order mark, CRLF and newlines inside quoted fields. The dry run's
//! report is the contract: each bad row's line in the file, its column and a
//! reason a person can act on.

mod common;

use chrono::{TimeZone, Utc};
use kept_core::import::{ColumnMap, ImportMode, ImportReport, Rejected};
use kept_core::records::RecordKind;
use kept_core::{FixedClock, Kept};
use std::path::Path;

const REPS: [&str; 5] = ["Julia Álvarez", "Søren Møller", "林美玲", "Ben Carter", "Priya Nair"];

/// Wednesday 2026-11-25 16:00 UTC (week 2026-W48).
fn clock() -> FixedClock {
    FixedClock::new(Utc.with_ymd_and_hms(2026, 11, 25, 16, 0, 0).single().expect("valid"))
}

/// The team of these tests (see `common::team_in`).
fn team(dir: &std::path::Path, clock: &FixedClock, reps: &[&str]) -> (Kept, Vec<Kept>) {
    common::team_in(dir, clock, reps, Some("America/Chicago"))
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)).expect("fixture")
}

fn count(k: &Kept, rep: Option<&str>) -> i64 {
    let conn = rusqlite::Connection::open(k.store().path()).expect("db");
    match rep {
        None => conn.query_row("SELECT COUNT(*) FROM activities", [], |r| r.get(0)),
        Some(id) => conn.query_row("SELECT COUNT(*) FROM activities WHERE rep = ?1", [id], |r| r.get(0)),
    }
    .expect("count")
}

fn fingerprint(k: &Kept) -> (i64, Vec<String>) {
    (k.store().pending().expect("pending"), k.store().view_dump().expect("dump"))
}

/// The report as `kept import --dry-run` prints it.
fn printed(r: &ImportReport) -> String {
    let mut out = String::new();
    if let Some(p) = &r.recognised {
        out.push_str(&format!("recognised: {p}\n"));
    }
    for n in &r.notes {
        out.push_str(&format!("note: {n}\n"));
    }
    for x in &r.rejected {
        out.push_str(&format!(
            "rejected line {}, column '{}': {}\n",
            x.line,
            x.column.as_deref().unwrap_or("-"),
            x.reason
        ));
    }
    out.push_str(&format!("good {} (already there {}), rejected {}\n", r.good, r.already, r.rejected.len()));
    for (rep, n) in &r.per_rep {
        out.push_str(&format!("  {rep}: {n}\n"));
    }
    out
}

/// `check` one rejected row: its line, column and a part of its reason.
fn check(r: &Rejected, line: usize, column: &str, reason: &str) {
    assert_eq!((r.line, r.column.as_deref()), (line, Some(column)), "{r:?}");
    assert!(r.reason.contains(reason), "line {line}: '{}' does not say '{reason}'", r.reason);
}

#[test]
fn a_salesforce_export_of_a_five_rep_team_dry_run_skip_bad_and_again() {
    let dir = tempfile::tempdir().expect("tmp");
    let clock = clock();
    let (mut mia, mut reps) = team(dir.path(), &clock, &REPS);
    let csv = fixture("salesforce_team.csv");
    let before = fingerprint(&mia);
    let dry = mia.import_csv_mapped(csv.as_slice(), None, ImportMode::DryRun, &ColumnMap::default()).expect("dry run");
    println!("{}", printed(&dry));
    assert_eq!(fingerprint(&mia), before, "a dry run writes nothing");
    assert_eq!(dry.recognised.as_deref(), Some("Salesforce activity report"));
    assert!(dry.notes.iter().any(|n| n.contains("US (MM/DD/YYYY)")), "{:?}", dry.notes);
    assert!(dry.notes.iter().any(|n| n.contains("durations read as seconds")), "{:?}", dry.notes);
    assert_eq!(dry.columns.get("rep").map(String::as_str), Some("Assigned"));
    // Exactly the seven hand-placed bad rows, at their lines in the file
    // (rows before them hold newlines inside quoted comments).
    let r = &dry.rejected;
    assert_eq!(r.len(), 7, "{}", printed(&dry));
    check(&r[0], 28, "Date", "impossible date '02/30/2026 10:00 AM': February 2026 has no day 30");
    check(&r[1], 48, "Date", "missing date");
    check(&r[2], 88, "Type", "unknown activity type 'Lunch'");
    check(&r[2], 88, "Type", "--map-type \"Lunch=TYPE\"");
    check(&r[3], 116, "Assigned", "unknown rep 'Zed Nobody'");
    check(&r[3], 116, "Assigned", "--map-rep \"Zed Nobody=MEMBER\"");
    check(&r[4], 148, "Assigned", "missing rep");
    check(&r[5], 169, "Call Duration", "negative duration '-30'");
    check(&r[6], 211, "Call Duration", "bad duration 'n/a': expected a number of seconds");
    assert_eq!((dry.good, dry.already, dry.imported), (193, 0, 0));
    assert_eq!(dry.per_rep.len(), 5, "every rep, names matched without case or accents: {:?}", dry.per_rep);
    assert_eq!(dry.per_rep.values().sum::<usize>(), 193);
    assert!(dry.per_type.contains_key("meeting-held") && dry.per_type.contains_key("email"), "{:?}", dry.per_type);

    // All or nothing stays the default.
    let e = mia.import_csv(csv.as_slice(), None).expect_err("all or nothing");
    assert!(e.to_string().contains("nothing imported: 7 of 200 rows are bad (line 28, column 'Date'"), "{e}");
    assert_eq!(fingerprint(&mia), before);

    // --skip-bad imports exactly the rest, each row in its rep's log, logged by Mia.
    let done = mia.import_csv_with(csv.as_slice(), None, ImportMode::SkipBad).expect("skip bad");
    assert_eq!((done.imported, done.good, done.already), (193, 193, 0));
    assert_eq!(done.rejected, dry.rejected, "skip-bad and the dry run agree");
    assert_eq!(count(&mia, None), 193);
    assert!(mia.store_mut().check().expect("check").is_empty(), "views equal a rebuild");
    // The first row: Julia, 10/16/2026 5:30 AM Chicago time, a call of 934 seconds → 16 minutes.
    let mut buf = Vec::new();
    mia.export_csv(RecordKind::Activity, &mut buf).expect("export");
    let export = String::from_utf8(buf).expect("utf8");
    assert!(
        export.contains("Julia Álvarez,call,,2026-10-16T05:30:00-05:00,1,16,,Müller GmbH,,Intro call"),
        "{}",
        &export[..export.len().min(600)]
    );

    // Importing the file again adds nothing.
    let again = mia.import_csv_with(csv.as_slice(), None, ImportMode::SkipBad).expect("again");
    assert_eq!((again.imported, again.already, again.good), (0, 193, 193));
    assert_eq!(count(&mia, None), 193);
    assert!(again.notes.iter().any(|n| n.contains("193 rows are already in Kept")), "{:?}", again.notes);

    // The manager's trends show it; every rep sees their own history after a sync.
    let trends = mia.trends(None, 13).expect("trends");
    for rep in reps.iter_mut() {
        rep.merge_from(&dir.path().join("mia")).expect("sync");
        let name = rep.me().name.clone();
        let id = rep.me().id.clone();
        let n = *done.per_rep.get(&name).expect("rep has rows") as i64;
        assert_eq!(count(rep, Some(&id)), n, "{name} sees their rows");
        assert_eq!(count(rep, None), n, "{name} sees only their own");
        let row = trends.rows.iter().find(|r| r.name == name).expect("trend row");
        assert_eq!(row.series.values().flatten().sum::<i64>(), n, "{name} in the trends");
        // And a rep importing the same file takes nothing twice either.
        let theirs = rep.import_csv_with(csv.as_slice(), None, ImportMode::DryRun).expect("rep dry run");
        assert_eq!((theirs.good, theirs.already), (n as usize, n as usize), "{name}");
    }
}

#[test]
fn a_rep_imports_only_their_own_rows() {
    let dir = tempfile::tempdir().expect("tmp");
    let clock = clock();
    let (_mia, mut reps) = team(dir.path(), &clock, &REPS);
    let ben = &mut reps[3];
    let csv = fixture("salesforce_team.csv");
    let dry = ben.import_csv_with(csv.as_slice(), None, ImportMode::DryRun).expect("dry run");
    let own = dry.per_rep.get("Ben Carter").copied().expect("ben's rows");
    assert_eq!(dry.per_rep.len(), 1);
    let others: Vec<&Rejected> = dry.rejected.iter().filter(|r| r.reason.contains("imports only their own")).collect();
    // Ben's 38 good rows and 2 bad ones; every row of another member rejected; the unknown and missing reps.
    assert_eq!((own, others.len()), (38, 158), "{:?}", dry.rejected);
    assert_eq!(dry.rejected.len(), 2 + 158 + 2);
    assert!(others[0].reason.starts_with("this row is for Julia Álvarez"), "{}", others[0].reason);
    let done = ben.import_csv_with(csv.as_slice(), None, ImportMode::SkipBad).expect("skip bad");
    assert_eq!(count(ben, None), done.imported as i64);
}

#[test]
fn hubspot_pipedrive_and_kept_exports_are_recognised() {
    let dir = tempfile::tempdir().expect("tmp");
    let clock = clock();
    let (mut mia, _reps) = team(dir.path(), &clock, &REPS);
    let hub =
        mia.import_csv_with(fixture("hubspot_activities.csv").as_slice(), None, ImportMode::SkipBad).expect("hubspot");
    assert_eq!(hub.recognised.as_deref(), Some("HubSpot activities"));
    assert_eq!((hub.imported, hub.rejected.len()), (3, 1));
    check(&hub.rejected[0], 5, "Activity type", "unknown activity type 'NOTE'");
    assert_eq!(hub.per_type.get("meeting-held"), Some(&1));
    let pipe = mia
        .import_csv_with(fixture("pipedrive_activities.csv").as_slice(), None, ImportMode::SkipBad)
        .expect("pipedrive");
    assert_eq!(pipe.recognised.as_deref(), Some("Pipedrive activities"));
    assert_eq!((pipe.imported, pipe.rejected.len()), (2, 1), "{:?}", pipe.rejected);
    check(&pipe.rejected[0], 4, "Activity - Type", "unknown activity type 'Lunch'");
    let mut buf = Vec::new();
    mia.export_csv(RecordKind::Activity, &mut buf).expect("export");
    let export = String::from_utf8(buf.clone()).expect("utf8");
    // hh:mm:ss and h:mm durations; Pipedrive's separate due time; dotted European dates.
    assert!(export.contains("Søren Møller,call,,2026-11-02T09:15:00-06:00,1,5,Connected,\"Hooli, Inc.\""), "{export}");
    assert!(export.contains("林美玲,meeting-held,,2026-11-23T09:30:00-06:00,1,90,,東京商事,,Kick-off"), "{export}");
    assert!(export.contains("林美玲,call,,2026-11-24T12:00:00-06:00,1,5,,Müller GmbH,,Cold call"), "{export}");
    // A Kept export imported back: recognised, and every row is already here.
    let back = mia.import_csv_with(buf.as_slice(), None, ImportMode::SkipBad).expect("kept export");
    assert_eq!(back.recognised.as_deref(), Some("Kept export"));
    assert_eq!((back.imported, back.already, back.rejected.len()), (0, 5, 0), "{:?}", back.rejected);
}

#[test]
fn ambiguous_dates_are_refused_until_the_order_is_given() {
    let dir = tempfile::tempdir().expect("tmp");
    let clock = clock();
    let (_mia, mut reps) = team(dir.path(), &clock, &["Anna"]);
    let anna = &mut reps[0];
    let csv = "Type,Date\nCall,03/04/2026\nCall,11/10/2026 4:00 PM\n";
    let e = anna.import_csv_with(csv.as_bytes(), None, ImportMode::DryRun).expect_err("ambiguous");
    assert!(e.to_string().contains("can be read two ways") && e.to_string().contains("--date-format us"), "{e}");
    let eu = ColumnMap::default().with_date_format(Some("eu")).expect("eu");
    let done = anna.import_csv_mapped(csv.as_bytes(), None, ImportMode::AllOrNothing, &eu).expect("import");
    assert_eq!(done.imported, 2);
    let mut buf = Vec::new();
    anna.export_csv(RecordKind::Activity, &mut buf).expect("export");
    let export = String::from_utf8(buf).expect("utf8");
    assert!(export.contains("2026-04-03T12:00:00-05:00") && export.contains("2026-10-11T16:00:00-05:00"), "{export}");
    let mixed = "Type,Date\nCall,24/09/2026\nCall,09/24/2026\n";
    let e = anna.import_csv_with(mixed.as_bytes(), None, ImportMode::DryRun).expect_err("mixed");
    assert!(e.to_string().contains("mix two orders"), "{e}");
}

#[test]
fn an_overlapping_export_without_row_ids_adds_only_the_new_rows() {
    let dir = tempfile::tempdir().expect("tmp");
    let clock = clock();
    let (mut mia, _reps) = team(dir.path(), &clock, &["Anna", "Ben"]);
    let rows: Vec<String> = (1..=15)
        .map(|d| {
            format!(
                "{},Call,11/{}/2026 9:00 AM,Account {d},Call about {d}",
                if d % 2 == 0 { "anna" } else { "BEN" },
                d + 9
            )
        })
        .collect();
    let file = |r: &[String]| format!("Owner,Activity Type,Date,Company,Subject\n{}\n", r.join("\n"));
    let first = mia.import_csv(file(&rows[..10]).as_bytes(), None).expect("first");
    assert_eq!((first.imported, first.already), (10, 0));
    let second = mia.import_csv(file(&rows[5..]).as_bytes(), None).expect("second");
    assert_eq!((second.imported, second.already), (5, 5));
    assert_eq!(count(&mia, None), 15);
    // The same call twice in one file is two calls; importing that file again adds neither.
    let twin = rows[5].replace("Call about 6", "Call about 6b");
    let twice = file(&[rows[5].clone(), twin.clone(), twin]);
    let t = mia.import_csv(twice.as_bytes(), None).expect("twice");
    assert_eq!((t.imported, t.already), (2, 1));
    let t = mia.import_csv(twice.as_bytes(), None).expect("again");
    assert_eq!((t.imported, t.already), (0, 3));
    // --map-rep and a manager's --rep.
    let other = "Owner,Activity Type,Date\nB. Smith,Call,11/20/2026\nAnna,Call,11/21/2026\n";
    let map = ColumnMap::default().with_reps(&["b. smith=Ben".into()]).expect("map");
    let r = mia.import_csv_mapped(other.as_bytes(), Some("Ben"), ImportMode::DryRun, &map).expect("dry");
    assert_eq!(r.good, 1);
    check(&r.rejected[0], 3, "Owner", "this row is for Anna, and this import is only for Ben (--rep)");
    let bad_map = ColumnMap::default().with_reps(&["x=Nobody".into()]).expect("parses");
    let e = mia.import_csv_mapped(other.as_bytes(), None, ImportMode::DryRun, &bad_map).expect_err("unknown member");
    assert!(e.to_string().contains("'Nobody', who is not a member"), "{e}");
}

/// 10,000 rows as a spreadsheet writes them: a byte-order mark, CRLF, quoted
/// commas and newlines, non-ASCII names, and one bad row of each kind.
#[test]
fn ten_thousand_rows_with_bad_rows_of_each_kind() {
    let dir = tempfile::tempdir().expect("tmp");
    let clock = clock();
    let (mut mia, _reps) = team(dir.path(), &clock, &REPS);
    let names = ["julia álvarez", "SØREN MØLLER", "林美玲", "Ben  Carter", "Priya Nair"];
    let mut csv = String::from("\u{feff}Activity ID,Assigned,Subject,Date,Type,Duration (sec),Company / Account\r\n");
    let mut line = 2;
    let mut bad: Vec<(usize, &str, &str)> = Vec::new();
    for i in 0..10_000usize {
        let (mut rep, mut date, mut ty, mut dur) = (
            names[i % 5].to_string(),
            format!("{}/{}/2026 {}:{:02} PM", 9 + i % 3, 1 + i % 24, 1 + i % 12, i % 60),
            "Call",
            format!("{}", i % 3600),
        );
        let subject = if i % 7 == 0 { format!("\"Call {i}, part 1\nand part 2\"") } else { format!("Call {i}") };
        let expect = match i {
            101 => {
                date = "13/45/2026".into();
                Some(("Date", "impossible date"))
            }
            2_002 => {
                date = String::new();
                Some(("Date", "missing date"))
            }
            3_003 => {
                ty = "Fax";
                Some(("Type", "unknown activity type 'Fax'"))
            }
            4_004 => {
                rep = "Nobody Known".into();
                Some(("Assigned", "unknown rep 'Nobody Known'"))
            }
            5_005 => {
                rep = String::new();
                Some(("Assigned", "missing rep"))
            }
            6_006 => {
                dur = "-1".into();
                Some(("Duration (sec)", "negative duration"))
            }
            7_007 => {
                dur = "lots".into();
                Some(("Duration (sec)", "bad duration 'lots'"))
            }
            _ => None,
        };
        if let Some((col, why)) = expect {
            bad.push((line, col, why));
        }
        let row = format!("sf-{i},{rep},{subject},{date},{ty},{dur},\"Account {}, Ltd\"\r\n", i % 40);
        line += row.matches('\n').count();
        csv.push_str(&row);
    }
    let before = fingerprint(&mia);
    let dry = mia.import_csv_with(csv.as_bytes(), None, ImportMode::DryRun).expect("dry run");
    assert_eq!(dry.rejected.len(), bad.len(), "{:?}", dry.rejected);
    for (r, (line, col, why)) in dry.rejected.iter().zip(&bad) {
        check(r, *line, col, why);
    }
    assert_eq!((dry.good, dry.recognised.as_deref()), (9_993, Some("Salesforce activity report")));
    assert!(dry.notes.iter().any(|n| n.contains("seconds (from the header 'Duration (sec)')")), "{:?}", dry.notes);
    assert!(mia.import_csv(csv.as_bytes(), None).is_err(), "all or nothing");
    assert_eq!(fingerprint(&mia), before);
    let done = mia.import_csv_with(csv.as_bytes(), None, ImportMode::SkipBad).expect("skip bad");
    assert_eq!((done.imported, count(&mia, None)), (9_993, 9_993));
    let again = mia.import_csv_with(csv.as_bytes(), None, ImportMode::SkipBad).expect("again");
    assert_eq!((again.imported, again.already), (0, 9_993));
    assert!(mia.store_mut().check().expect("check").is_empty());
}

/// Lines end with LF, CRLF or a lone CR (old Mac exports); an Excel `sep=;`
/// line counts too; a Windows-1252 file is read as such.
#[test]
fn line_numbers_count_every_kind_of_line_end() {
    let dir = tempfile::tempdir().expect("tmp");
    let clock = clock();
    let (_mia, mut reps) = team(dir.path(), &clock, &["Anna"]);
    let anna = &mut reps[0];
    for (csv, line) in [
        ("Type,Date\rCall,2026-11-23\rFax,2026-11-23\r".as_bytes().to_vec(), 3),
        ("Type,Date\r\n\r\nCall,2026-11-23\nFax,2026-11-23\r\n".as_bytes().to_vec(), 4),
        ("sep=;\nType;Date;Note\nCall;2026-11-23;\"a\r\nb\"\nFax;2026-11-23;\n".as_bytes().to_vec(), 5),
        (b"Type,Date,Account\nCall,2026-11-23,M\xf8ller\nFax,2026-11-23,\n".to_vec(), 3),
    ] {
        let r = anna.import_csv_with(csv.as_slice(), None, ImportMode::DryRun).expect("dry run");
        assert_eq!((r.good, r.rejected.len()), (1, 1), "{r:?}");
        check(&r.rejected[0], line, "Type", "unknown activity type 'Fax'");
    }
}

/// A manager's mapping is saved in the team: the next import of the same
/// CRM's file needs none, and says it used the saved one.
#[test]
fn the_mapping_of_a_managers_import_is_saved_for_the_next_one() {
    let dir = tempfile::tempdir().expect("tmp");
    let clock = clock();
    let (mut mia, _reps) = team(dir.path(), &clock, &["Anna"]);
    let crm = "Kind,When,Who\nPhone,2026-11-24 10:00,Anna\nPhone,2026-11-24 11:00,Anna\n";
    let e = mia.import_csv_with(crm.as_bytes(), None, ImportMode::DryRun).expect_err("unmapped headers");
    assert!(!e.to_string().is_empty());
    let map = ColumnMap::parse(&["type=Kind".into(), "date=When".into(), "rep=Who".into()], &["Phone=call".into()])
        .expect("map");
    let done = mia.import_csv_mapped(crm.as_bytes(), None, ImportMode::AllOrNothing, &map).expect("mapped import");
    assert_eq!(done.imported, 2);
    // The next export of the same CRM: no mapping given, the saved one is used.
    let next = "Kind,When,Who\nPhone,2026-11-25 09:00,Anna\n";
    let again = mia.import_csv_with(next.as_bytes(), None, ImportMode::AllOrNothing).expect("saved mapping");
    assert_eq!(again.imported, 1);
    assert!(again.notes.iter().any(|n| n.contains("saved mapping was used")), "{:?}", again.notes);
    // Nothing to save again: the team document does not change.
    let heads = |k: &Kept| k.store().load(&kept_core::docs::DocId::team()).expect("load").expect("team").get_heads();
    let before = heads(&mia);
    mia.import_csv_mapped(next.as_bytes(), None, ImportMode::SkipBad, &map).expect("same mapping");
    assert_eq!(heads(&mia), before, "the same mapping is not written twice");
}
