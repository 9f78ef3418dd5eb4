//! Sign-in throttling: after a few wrong passwords in a row for one address, that address
//! must wait before the next try, longer after each further failure. It stops password
//! guessing against an account without locking its owner out for long, and it refuses
//! before the password hash is computed, so a flood of guesses costs little CPU.
//!
//! The runs are kept in the database (`sign_in_failures`): every instance on it counts the
//! same run, and a restart forgets nothing.

use leadpool_domain::Timestamp;
use leadpool_store::Tx;
use leadpool_store::credentials::SignInFailures;

use crate::{App, AppError};

/// Failures in a row that are let through before the first wait.
const FREE_FAILURES: u32 = 5;
/// The first wait; each further failure doubles it.
const FIRST_WAIT_MS: i64 = 30_000;
/// The longest wait.
const MAX_WAIT_MS: i64 = 15 * 60_000;
/// An address with no attempt for this long starts afresh.
const FORGET_AFTER_MS: i64 = 60 * 60_000;

/// When the next try after `run` is allowed.
fn open_at(run: SignInFailures) -> Timestamp {
    if run.failures < FREE_FAILURES {
        return run.last;
    }
    let doublings = (run.failures - FREE_FAILURES).min(16);
    run.last
        .plus_millis((FIRST_WAIT_MS << doublings).min(MAX_WAIT_MS))
}

/// `Err(seconds)` when an address with `run` must wait that long before trying again.
fn wait(run: Option<SignInFailures>, now: Timestamp) -> Result<(), u64> {
    match run.map(open_at) {
        Some(open) if open > now => {
            let ms = open.as_millis() - now.as_millis();
            Err(u64::try_from((ms + 999) / 1000).unwrap_or(1))
        }
        _ => Ok(()),
    }
}

impl App {
    /// Refuses with `Throttled` while `address` must wait after its wrong passwords; read in
    /// the caller's transaction, before any password is checked.
    pub(crate) async fn check_sign_in(&self, tx: &mut Tx, address: &str) -> Result<(), AppError> {
        let run = tx.sign_in_failures(address).await?;
        wait(run, self.now()).map_err(|retry_after_secs| AppError::Throttled { retry_after_secs })
    }

    /// Counts a wrong password (or an unknown address) for `address`.
    pub(crate) async fn sign_in_failed(&self, address: &str) -> Result<(), AppError> {
        let now = self.now();
        let mut tx = self.store().write().await?;
        tx.record_sign_in_failure(address, now, now.plus_millis(-FORGET_AFTER_MS))
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{FIRST_WAIT_MS, FREE_FAILURES, MAX_WAIT_MS, wait};
    use leadpool_domain::Timestamp;
    use leadpool_store::credentials::SignInFailures;
    use proptest::prelude::*;

    fn at(ms: i64) -> Timestamp {
        Timestamp::from_millis(1_800_000_000_000 + ms)
    }

    fn run(failures: u32, last_ms: i64) -> Option<SignInFailures> {
        Some(SignInFailures {
            failures,
            last: at(last_ms),
        })
    }

    #[test]
    fn a_few_failures_pass_then_each_further_one_doubles_the_wait() {
        assert_eq!(wait(None, at(0)), Ok(()), "an address with no run");
        assert_eq!(wait(run(FREE_FAILURES - 1, 0), at(0)), Ok(()));
        assert_eq!(wait(run(FREE_FAILURES, 0), at(0)), Err(30));
        assert_eq!(
            wait(run(FREE_FAILURES, 0), at(29_001)),
            Err(1),
            "rounded up"
        );
        assert_eq!(wait(run(FREE_FAILURES, 0), at(FIRST_WAIT_MS)), Ok(()));
        assert_eq!(wait(run(FREE_FAILURES + 1, 0), at(0)), Err(60));
        assert_eq!(
            wait(run(FREE_FAILURES + 30, 0), at(0)),
            Err(15 * 60),
            "capped"
        );
    }

    proptest! {
        #[test]
        fn the_wait_never_exceeds_the_cap_and_never_shrinks_with_more_failures(n in 0u32..200) {
            let mut last_wait = 0;
            for failures in 0..n {
                let wait = wait(run(failures, 0), at(0)).err().unwrap_or(0);
                prop_assert!(i64::try_from(wait).unwrap_or(i64::MAX) * 1000 <= MAX_WAIT_MS);
                prop_assert!(wait >= last_wait);
                last_wait = wait;
            }
        }
    }
}
