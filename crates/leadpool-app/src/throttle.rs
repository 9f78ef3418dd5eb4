//! Sign-in throttling: after a few wrong passwords in a row for one address, that address
//! must wait before the next try, longer after each further failure. It stops password
//! guessing against an account without locking its owner out for long, and it refuses
//! before the password hash is computed, so a flood of guesses costs little CPU.
//!
//! Kept in memory per process: a restart forgets it, and each instance of a PostgreSQL
//! deployment counts on its own.

use std::collections::HashMap;

use leadpool_domain::Timestamp;

/// Failures in a row that are let through before the first wait.
const FREE_FAILURES: u32 = 5;
/// The first wait; each further failure doubles it.
const FIRST_WAIT_MS: i64 = 30_000;
/// The longest wait.
const MAX_WAIT_MS: i64 = 15 * 60_000;
/// An address with no attempt for this long starts afresh.
const FORGET_AFTER_MS: i64 = 60 * 60_000;
/// Most addresses remembered; past it the stale ones are dropped, then all if need be.
const MAX_ENTRIES: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Record {
    failures: u32,
    last: Timestamp,
}

impl Record {
    /// When the next try is allowed.
    fn open_at(&self) -> Timestamp {
        if self.failures < FREE_FAILURES {
            return self.last;
        }
        let doublings = (self.failures - FREE_FAILURES).min(16);
        self.last
            .plus_millis((FIRST_WAIT_MS << doublings).min(MAX_WAIT_MS))
    }
}

/// Failed sign-ins by address.
#[derive(Debug, Default)]
pub(crate) struct Throttle {
    records: HashMap<String, Record>,
}

impl Throttle {
    /// `Err(seconds)` when `key` must wait that long before trying again.
    pub(crate) fn check(&self, key: &str, now: Timestamp) -> Result<(), u64> {
        match self.records.get(key) {
            Some(r) if r.open_at() > now => {
                let ms = r.open_at().as_millis() - now.as_millis();
                Err(u64::try_from((ms + 999) / 1000).unwrap_or(1))
            }
            _ => Ok(()),
        }
    }

    /// Counts a wrong password (or an unknown address) for `key`.
    pub(crate) fn failed(&mut self, key: &str, now: Timestamp) {
        if self.records.len() >= MAX_ENTRIES && !self.records.contains_key(key) {
            self.records
                .retain(|_, r| now.as_millis() - r.last.as_millis() < FORGET_AFTER_MS);
            if self.records.len() >= MAX_ENTRIES {
                self.records.clear();
            }
        }
        let r = self.records.entry(key.to_owned()).or_insert(Record {
            failures: 0,
            last: now,
        });
        if now.as_millis() - r.last.as_millis() >= FORGET_AFTER_MS {
            r.failures = 0;
        }
        r.failures += 1;
        r.last = now;
    }

    /// A successful sign-in starts the address afresh.
    pub(crate) fn succeeded(&mut self, key: &str) {
        self.records.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::{FIRST_WAIT_MS, FORGET_AFTER_MS, FREE_FAILURES, MAX_WAIT_MS, Throttle};
    use leadpool_domain::Timestamp;
    use proptest::prelude::*;

    fn at(ms: i64) -> Timestamp {
        Timestamp::from_millis(1_800_000_000_000 + ms)
    }

    #[test]
    fn a_few_failures_pass_then_each_further_one_doubles_the_wait() {
        let mut t = Throttle::default();
        for _ in 0..FREE_FAILURES - 1 {
            t.failed("ana@acme.test", at(0));
            assert_eq!(t.check("ana@acme.test", at(0)), Ok(()));
        }
        t.failed("ana@acme.test", at(0));
        assert_eq!(t.check("ana@acme.test", at(0)), Err(30));
        assert_eq!(t.check("ana@acme.test", at(29_001)), Err(1), "rounded up");
        assert_eq!(t.check("ana@acme.test", at(FIRST_WAIT_MS)), Ok(()));
        assert_eq!(
            t.check("bo@acme.test", at(0)),
            Ok(()),
            "other addresses are untouched"
        );

        t.failed("ana@acme.test", at(FIRST_WAIT_MS));
        assert_eq!(t.check("ana@acme.test", at(FIRST_WAIT_MS)), Err(60));
        t.succeeded("ana@acme.test");
        assert_eq!(t.check("ana@acme.test", at(FIRST_WAIT_MS)), Ok(()));
    }

    #[test]
    fn an_address_left_alone_for_an_hour_starts_afresh() {
        let mut t = Throttle::default();
        for _ in 0..FREE_FAILURES {
            t.failed("ana@acme.test", at(0));
        }
        t.failed("ana@acme.test", at(FORGET_AFTER_MS));
        assert_eq!(t.check("ana@acme.test", at(FORGET_AFTER_MS)), Ok(()));
    }

    proptest! {
        #[test]
        fn the_wait_never_exceeds_the_cap_and_never_shrinks_with_more_failures(n in 0u32..200) {
            let mut t = Throttle::default();
            let mut last_wait = 0;
            for _ in 0..n {
                t.failed("x", at(0));
                let wait = t.check("x", at(0)).err().unwrap_or(0);
                prop_assert!(i64::try_from(wait).unwrap_or(i64::MAX) * 1000 <= MAX_WAIT_MS);
                prop_assert!(wait >= last_wait);
                last_wait = wait;
            }
        }
    }
}
