//! Time and identity sources passed into the core, so tests are deterministic:
//! a [`Clock`] for "now" and an [`IdSource`] for UUIDv7 record ids.

use chrono::{DateTime, Utc};
use rand::{rngs::StdRng, RngCore, SeedableRng};
use std::sync::{Arc, Mutex};
use uuid::Uuid;

/// Where "now" comes from.
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;
}

/// The real wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stays where it is put; tests move it by hand.
#[derive(Debug, Clone)]
pub struct FixedClock(Arc<Mutex<DateTime<Utc>>>);

impl FixedClock {
    /// A clock showing `at`.
    pub fn new(at: DateTime<Utc>) -> Self {
        FixedClock(Arc::new(Mutex::new(at)))
    }
    /// Move the clock to `at`.
    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = at;
    }
    /// Move the clock forward.
    pub fn advance(&self, by: chrono::Duration) {
        let mut g = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *g += by;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Makes UUIDv7 ids (time-ordered, random tail) and random bytes.
pub struct IdSource {
    rng: Mutex<StdRng>,
}

impl IdSource {
    /// Ids from the operating system's randomness.
    pub fn random() -> Self {
        IdSource { rng: Mutex::new(StdRng::from_os_rng()) }
    }
    /// Reproducible ids for tests and the demo generator.
    pub fn seeded(seed: u64) -> Self {
        IdSource { rng: Mutex::new(StdRng::seed_from_u64(seed)) }
    }
    /// A UUIDv7 for the instant `at`.
    pub fn uuid_at(&self, at: DateTime<Utc>) -> Uuid {
        let mut tail = [0u8; 10];
        self.fill(&mut tail);
        let millis = u64::try_from(at.timestamp_millis()).unwrap_or(0);
        uuid::Builder::from_unix_timestamp_millis(millis, &tail).into_uuid()
    }
    /// A new source seeded from this one: for another home opened alongside
    /// (deterministic when this one is seeded).
    pub fn fork(&self) -> IdSource {
        let mut seed = [0u8; 8];
        self.fill(&mut seed);
        IdSource::seeded(u64::from_le_bytes(seed))
    }
    /// Fill `buf` with random bytes.
    pub fn fill(&self, buf: &mut [u8]) {
        self.rng.lock().unwrap_or_else(|p| p.into_inner()).fill_bytes(buf);
    }
}

impl std::fmt::Debug for IdSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IdSource")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn seeded_ids_repeat_and_sort_by_time() {
        let t1 = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).single().expect("valid");
        let t2 = t1 + chrono::Duration::seconds(1);
        let a = IdSource::seeded(7);
        let b = IdSource::seeded(7);
        let (a1, a2) = (a.uuid_at(t1), a.uuid_at(t2));
        assert_eq!(a1, b.uuid_at(t1));
        assert_eq!(a1.get_version_num(), 7);
        assert!(a1 < a2, "v7 ids sort by time");
    }
}
