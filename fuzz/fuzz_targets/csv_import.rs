//! A CSV file imported into a copy of Ann's home (`Kept::import_csv_with`).
//! Invariants: a dry run changes nothing and accounts for every row; all or
//! nothing fails exactly when the dry run found a bad row (or no rows, or no
//! usable header, or dates it cannot order) and then changes nothing, else
//! imports exactly the good rows not already there; skip-bad imports exactly
//! those rows; after any import the store passes `Store::check` (views equal
//! a rebuild).
#![no_main]

use kept_core::import::ImportMode;
use kept_fuzz::{home_print, Homes};
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static HOMES: LazyLock<Homes> = LazyLock::new(Homes::new);

fn activities(k: &kept_core::Kept) -> i64 {
    rusqlite::Connection::open(k.store().path())
        .expect("db")
        .query_row("SELECT COUNT(*) FROM activities", [], |r| r.get(0))
        .expect("count")
}

fn assert_healthy(k: &mut kept_core::Kept) {
    let problems = k.store_mut().check().expect("check runs");
    // KNOWN BUG (reported to kept-core, not fixed yet): a date with a year
    // below 1000 ("226-11-24") is accepted and files the activity under the
    // document id log/<rep>/226-W47, which does not parse back; the relay
    // refuses to take it. Tolerated here so the fuzzer can go on; remove once fixed.
    // `KEPT_FUZZ_STRICT=1` turns this off.
    let strict = std::env::var_os("KEPT_FUZZ_STRICT").is_some();
    if !strict && !problems.is_empty() && problems.iter().all(|p| p.contains("the week must look like")) {
        if !SHORT_YEAR.swap(true, std::sync::atomic::Ordering::Relaxed) {
            eprintln!("note: tolerating the known short-year document id bug: {problems:?}");
        }
        return;
    }
    assert!(problems.is_empty(), "the store is damaged after an import: {problems:?}");
}

static SHORT_YEAR: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fuzz_target!(|data: &[u8]| {
    let mut k = HOMES.fresh();
    let before = home_print(&k);
    let count = activities(&k);
    let dry = k.import_csv_with(data, None, ImportMode::DryRun);
    assert_eq!(home_print(&k), before, "a dry run changed the store");
    let aon = k.import_csv_with(data, None, ImportMode::AllOrNothing);
    match &dry {
        Err(e) => {
            assert!(aon.is_err(), "the dry run refused the file ({e}) but the import took it: {aon:?}");
            assert_eq!(home_print(&k), before, "a refused import changed the store");
        }
        Ok(d) => {
            assert!(d.dry_run && d.imported == 0);
            assert!(d.good + d.rejected.len() > 0, "a dry run that saw no rows must fail");
            assert!(d.rejected.windows(2).all(|w| w[0].line < w[1].line), "rejected lines out of order");
            assert!(d.rejected.iter().all(|r| r.line >= 2 && !r.reason.is_empty()));
            // Rows already in the store (or twice in the file) are good but not written again.
            assert!(d.already <= d.good);
            let new = d.good - d.already;
            if d.rejected.is_empty() {
                let r = match &aon {
                    Ok(r) => r,
                    Err(e) => panic!("a clean dry run ({} rows) but the import failed: {e}", d.good),
                };
                assert_eq!((r.imported, r.good, r.already, r.dry_run), (new, d.good, d.already, false));
                assert_eq!(activities(&k), count + new as i64, "not exactly the new good rows were imported");
                assert_healthy(&mut k);
            } else {
                assert!(aon.is_err(), "all or nothing imported a file with bad rows: {aon:?}");
                assert_eq!(home_print(&k), before, "a refused import changed the store");
                let skip = k.import_csv_with(data, None, ImportMode::SkipBad).expect("skip-bad takes the good rows");
                assert_eq!(skip.imported, new);
                assert_eq!(skip.rejected, d.rejected, "skip-bad and the dry run disagree on the bad rows");
                assert_eq!(activities(&k), count + new as i64, "skip-bad imported not exactly the new good rows");
                if new > 0 {
                    assert_healthy(&mut k);
                } else {
                    assert_eq!(home_print(&k), before, "skip-bad with no new good rows changed the store");
                }
            }
        }
    }
});
