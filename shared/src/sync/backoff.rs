//! Exponential backoff with full jitter for reconnecting to the relay.

use std::time::Duration;

/// Delays that double from `base` up to `max`, each drawn uniformly in
/// `[0, ceiling]` ("full jitter") so many devices coming back online at
/// once do not hammer the relay in step.
#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    max: Duration,
    attempt: u32,
}

impl Backoff {
    /// A backoff starting at `base`, capped at `max`.
    pub fn new(base: Duration, max: Duration) -> Backoff {
        Backoff { base, max, attempt: 0 }
    }

    /// The ceiling of the next delay (before jitter).
    pub fn ceiling(&self) -> Duration {
        let factor = 1u32.checked_shl(self.attempt.min(20)).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.max)
    }

    /// The next delay; `unit` in `[0, 1)` is the random draw (passed in for tests).
    pub fn next_delay(&mut self, unit: f64) -> Duration {
        let d = self.ceiling().mul_f64(unit.clamp(0.0, 1.0));
        self.attempt = self.attempt.saturating_add(1);
        d.max(self.base / 4)
    }

    /// Back to the first step after a success.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_to_the_cap_and_resets() {
        let mut b = Backoff::new(Duration::from_millis(500), Duration::from_secs(60));
        let ceilings: Vec<u128> = (0..10)
            .map(|_| {
                let c = b.ceiling().as_millis();
                b.next_delay(0.5);
                c
            })
            .collect();
        assert_eq!(&ceilings[..5], &[500, 1000, 2000, 4000, 8000]);
        assert_eq!(ceilings[9], 60_000);
        assert!(b.next_delay(1.0) <= Duration::from_secs(60));
        b.reset();
        assert_eq!(b.ceiling(), Duration::from_millis(500));
        assert_eq!(b.next_delay(0.0), Duration::from_millis(125), "never zero: a floor of base/4");
    }
}
