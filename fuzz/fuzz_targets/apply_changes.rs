//! Change and snapshot bytes as a client receives them from a relay, applied
//! to a copy of Ann's home the way the sync engine applies a pulled page (one
//! transaction, through kept-core's public `Tx::adopt_snapshot` and
//! `Tx::apply`). Input format: see `kept_fuzz::split_pieces`. Invariants: a
//! refused page changes nothing (documents, outbox, views); an applied page
//! never touches the outbox, leaves a store that passes `Store::check` (every
//! document loads, views equal a rebuild), and applying it again changes
//! nothing.
#![no_main]

use kept_fuzz::{apply_page, home_print, split_pieces, tolerate_automerge_panics, Homes};
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static HOMES: LazyLock<Homes> = LazyLock::new(|| {
    tolerate_automerge_panics();
    Homes::new()
});

fuzz_target!(|data: &[u8]| {
    let pieces = split_pieces(data);
    if pieces.is_empty() {
        return;
    }
    let mut k = HOMES.fresh();
    let before = home_print(&k);
    // Automerge 0.12 panics on some crafted changes (reported; not our code):
    // such a panic must roll the whole page back like any other refusal.
    let applied = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| apply_page(&mut k, &pieces)));
    match applied.unwrap_or_else(|_| Err(kept_core::CoreError::Document("Automerge panicked".into()))) {
        Err(_) => {
            assert_eq!(home_print(&k), before, "a refused page changed the store");
            let problems = k.store_mut().check().expect("check runs");
            assert!(problems.is_empty(), "a refused page left the store damaged: {problems:?}");
        }
        Ok(n) => {
            let after = home_print(&k);
            assert_eq!(after.1, before.1, "changes from the relay went into the outbox");
            if n > 0 || after != before {
                let problems = k.store_mut().check().expect("check runs");
                assert!(problems.is_empty(), "the store is damaged after applying a page: {problems:?}");
            }
            // Again (a page re-pulled after a crash): nothing changes. Automerge
            // may panic on a crafted change it queued the first time; that too
            // must leave the store as it was.
            let again = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| apply_page(&mut k, &pieces)));
            if let Ok(again) = again {
                assert!(again.is_ok(), "the same page failed the second time: {again:?}");
            }
            assert_eq!(home_print(&k), after, "applying the same page again changed the store");
        }
    }
});
