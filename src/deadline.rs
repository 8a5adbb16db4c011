//! The run's overall time limit (`--timeout`): reads and changes stop cleanly when it passes,
//! so a black-holed endpoint cannot hold a CI job for as long as every retry allows.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

/// The time limit of the run, counted from when it started.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    at: Instant,
    limit: Duration,
}

/// The limit passed before (or while) some work ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the run's time limit (--timeout {}) was reached", humantime::format_duration(*.limit))]
pub struct DeadlineReached {
    pub limit: Duration,
}

impl Deadline {
    /// A limit of `limit` from now.
    pub fn after(limit: Duration) -> Self {
        Deadline {
            at: Instant::now() + limit,
            limit,
        }
    }

    /// No practical limit (tests and library callers that bound time themselves).
    pub fn none() -> Self {
        // Far enough to never pass, near enough not to overflow Instant arithmetic.
        Self::after(Duration::from_secs(100 * 365 * 24 * 3600))
    }

    pub fn limit(&self) -> Duration {
        self.limit
    }

    /// The error for work refused or cut off by this limit.
    pub fn reached(&self) -> DeadlineReached {
        DeadlineReached { limit: self.limit }
    }

    pub fn passed(&self) -> bool {
        Instant::now() >= self.at
    }

    /// Runs `work` unless the limit has passed, cancelling it (dropping the future) if the
    /// limit passes first.
    pub async fn run<F: Future>(&self, work: F) -> Result<F::Output, DeadlineReached> {
        if self.passed() {
            return Err(self.reached());
        }
        tokio::time::timeout_at(self.at, work)
            .await
            .map_err(|_| self.reached())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn work_that_outlives_the_limit_is_stopped_and_later_work_never_starts() {
        let deadline = Deadline::after(Duration::from_secs(10));
        assert_eq!(deadline.run(async { 1 }).await, Ok(1));
        let slow = deadline
            .run(tokio::time::sleep(Duration::from_secs(60)))
            .await;
        assert_eq!(
            slow,
            Err(DeadlineReached {
                limit: Duration::from_secs(10)
            })
        );
        assert!(deadline.passed());
        let started = std::sync::atomic::AtomicBool::new(false);
        let later = deadline
            .run(async { started.store(true, std::sync::atomic::Ordering::SeqCst) })
            .await;
        assert!(later.is_err());
        assert!(!started.load(std::sync::atomic::Ordering::SeqCst));
    }

    #[test]
    fn the_message_names_the_flag_and_the_limit() {
        let e = DeadlineReached {
            limit: Duration::from_secs(90),
        };
        assert_eq!(
            e.to_string(),
            "the run's time limit (--timeout 1m 30s) was reached"
        );
    }
}
