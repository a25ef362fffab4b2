//! The one retry policy of the core: capped exponential backoff with jitter, `Retry-After`
//! honoured, never past the caller's deadline. Every vendor client retries through
//! [`RetryPolicy::run`]; what is retryable is decided on the error's [`Cause`].

use std::time::{Duration, Instant};

use crate::clock::Clock;
use crate::error::{Cause, Error, ErrorKind, Result};
use crate::telemetry::{events, Level, Telemetry};

/// Backoff settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// First backoff; doubled per retry.
    pub base: Duration,
    /// Backoff cap.
    pub max: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            base: Duration::from_millis(250),
            max: Duration::from_secs(8),
        }
    }
}

/// What an operation allows to be retried.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Retryable {
    /// Also retry answers that could not be parsed (only for idempotent calls whose answer
    /// carries no state that a retry could lose, e.g. processext).
    pub malformed: bool,
}

/// Longest wait a `Retry-After` may impose (a bigger value is capped, not obeyed).
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// Whether `e` is worth another attempt.
pub fn is_retryable(e: &Error, what: Retryable) -> bool {
    match e.cause() {
        Cause::DnsTemporary
        | Cause::Connect
        | Cause::Reset
        | Cause::ReadTimeout
        | Cause::Status5xx
        | Cause::Throttled => true,
        Cause::Malformed => what.malformed,
        Cause::None | Cause::DnsNotFound | Cause::Deadline | Cause::Tls | Cause::Proxy => false,
    }
}

impl RetryPolicy {
    /// The pause before retry number `retry` (0-based): uniform in [cap/2, cap] with
    /// cap = min(base * 2^retry, max).
    pub fn backoff(&self, retry: u32) -> Duration {
        let cap = self
            .base
            .saturating_mul(1u32 << retry.min(20))
            .min(self.max)
            .max(Duration::from_millis(1));
        let cap_ms = cap.as_millis() as u64;
        Duration::from_millis(fastrand::u64(cap_ms / 2..=cap_ms))
    }

    /// The pause after `e` before retry number `retry`: its `Retry-After` if it has one
    /// (capped at [`MAX_RETRY_AFTER`]), else [`RetryPolicy::backoff`].
    pub fn pause(&self, e: &Error, retry: u32) -> Duration {
        match e.retry_after() {
            Some(ra) => ra.min(MAX_RETRY_AFTER),
            None => self.backoff(retry),
        }
    }

    /// Run `op` (given the attempt number, from 1) until it succeeds, fails in a way that is
    /// not retryable, or the next pause would end past `deadline`. Each retry is counted
    /// (by cause) and logged. The error returned is the last one, with the number of
    /// attempts in its message when there were retries.
    pub fn run<T>(
        &self,
        clock: &dyn Clock,
        tel: &Telemetry,
        target: &str,
        deadline: Instant,
        what: Retryable,
        mut op: impl FnMut(u32) -> Result<T>,
    ) -> Result<T> {
        let mut retry = 0u32;
        let mut last: Option<Error> = None;
        loop {
            let e = match op(retry + 1) {
                Ok(v) => return Ok(v),
                Err(e) => e,
            };
            // The deadline ran out during a retry: the failure that made the call retry is
            // the one to report (its status is what the caller can act on), not the cut-off
            // attempt's TIMEOUT.
            if e.cause() == Cause::Deadline {
                if let Some(prev) = last.take() {
                    return Err(prev
                        .context(&format!(
                            "gave up after {} attempts (the deadline ran out during the last)",
                            retry + 1
                        ))
                        .with_deadline_ran_out());
                }
            }
            if !is_retryable(&e, what) {
                return Err(if retry > 0 {
                    e.context(&format!("after {} attempts", retry + 1))
                } else {
                    e
                });
            }
            let pause = self.pause(&e, retry);
            let left = clock.remaining(deadline);
            if pause >= left {
                // The call's end is logged (and counted) once, where it returns to the caller.
                crate::log!(
                    tel,
                    Level::Info,
                    target,
                    events::RETRY,
                    "giving up after {} attempts: the deadline leaves {} ms, the next retry \
                     would wait {} ms (last: {})",
                    retry + 1,
                    left.as_millis(),
                    pause.as_millis(),
                    e.message()
                );
                return Err(e
                    .context(&format!("gave up after {} attempts (deadline)", retry + 1))
                    .with_deadline_ran_out());
            }
            tel.stats.retry(e.cause());
            crate::log!(
                tel,
                Level::Info,
                target,
                events::RETRY,
                "retry {} in {} ms: {} ({})",
                retry + 1,
                pause.as_millis(),
                e.cause().name(),
                e.message()
            );
            clock.sleep(pause);
            retry += 1;
            last = Some(e);
        }
    }
}

/// The error of a deadline that ran out before (or while) doing `what`.
pub fn deadline_error(what: &str) -> Error {
    Error::new(ErrorKind::Timeout, format!("deadline exceeded {what}")).with_cause(Cause::Deadline)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    fn transient() -> Error {
        Error::new(ErrorKind::Network, "connection refused").with_cause(Cause::Connect)
    }

    #[test]
    fn backoff_is_capped_exponential_with_jitter() {
        let p = RetryPolicy {
            base: Duration::from_millis(100),
            max: Duration::from_millis(1000),
        };
        for _ in 0..200 {
            let b0 = p.backoff(0);
            assert!(b0 >= Duration::from_millis(50) && b0 <= Duration::from_millis(100));
            let b3 = p.backoff(3);
            assert!(b3 >= Duration::from_millis(400) && b3 <= Duration::from_millis(800));
            let b9 = p.backoff(9);
            assert!(b9 >= Duration::from_millis(500) && b9 <= Duration::from_millis(1000));
            assert!(p.backoff(u32::MAX) <= Duration::from_millis(1000));
        }
    }

    #[test]
    fn retries_until_success_with_virtual_sleeps() {
        let clock = ManualClock::new();
        let tel = Telemetry::default();
        let p = RetryPolicy::default();
        let deadline = clock.now() + Duration::from_secs(60);
        let mut n = 0;
        let r = p.run(
            &*clock,
            &tel,
            "t",
            deadline,
            Retryable::default(),
            |attempt| {
                n += 1;
                assert_eq!(attempt, n);
                if n < 4 {
                    Err(transient())
                } else {
                    Ok(n)
                }
            },
        );
        assert_eq!(r.unwrap(), 4);
        assert_eq!(clock.sleeps().len(), 3);
        assert_eq!(tel.stats.retries_total(), 3);
        assert_eq!(tel.stats.retries_by_cause()["connect"], 3);
    }

    #[test]
    fn retry_after_is_honoured_and_the_deadline_bounds_everything() {
        let clock = ManualClock::new();
        let tel = Telemetry::default();
        let p = RetryPolicy::default();
        let deadline = clock.now() + Duration::from_secs(10);
        let throttled = || {
            Error::new(ErrorKind::Throttled, "429")
                .with_cause(Cause::Throttled)
                .with_retry_after(Some(Duration::from_secs(3)))
        };
        let r: Result<()> = p.run(&*clock, &tel, "t", deadline, Retryable::default(), |_| {
            Err(throttled())
        });
        let e = r.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Throttled);
        assert_eq!(clock.sleeps(), vec![Duration::from_secs(3); 3]);
        assert!(e.message().contains("gave up after 4 attempts"), "{e}");
        assert!(clock.elapsed() < Duration::from_secs(10));
        assert!(e.deadline_ran_out(), "marked for the caller");
    }

    #[test]
    fn a_deadline_during_a_retry_reports_the_failure_that_caused_it() {
        let clock = ManualClock::new();
        let tel = Telemetry::default();
        let p = RetryPolicy::default();
        let deadline = clock.now() + Duration::from_secs(10);
        let r: Result<()> = p.run(&*clock, &tel, "t", deadline, Retryable::default(), |n| {
            Err(if n == 1 {
                Error::new(ErrorKind::HttpStatus, "503")
                    .with_cause(Cause::Status5xx)
                    .with_http_status(503)
            } else {
                deadline_error("reading the answer")
            })
        });
        let e = r.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::HttpStatus, "{e}");
        assert_eq!(e.http_status(), Some(503));
        assert!(e.deadline_ran_out());
        assert!(e.message().contains("gave up after 2 attempts"), "{e}");
        // A first attempt cut by the deadline has nothing better to report.
        let r: Result<()> = p.run(&*clock, &tel, "t", deadline, Retryable::default(), |_| {
            Err(deadline_error("connecting"))
        });
        assert_eq!(r.unwrap_err().kind(), ErrorKind::Timeout);
    }

    #[test]
    fn permanent_failures_are_not_retried() {
        let clock = ManualClock::new();
        let tel = Telemetry::default();
        let deadline = clock.now() + Duration::from_secs(60);
        for cause in [
            Cause::DnsNotFound,
            Cause::Tls,
            Cause::Deadline,
            Cause::None,
            Cause::Malformed,
        ] {
            let mut n = 0;
            let r: Result<()> = RetryPolicy::default().run(
                &*clock,
                &tel,
                "t",
                deadline,
                Retryable::default(),
                |_| {
                    n += 1;
                    Err(Error::new(ErrorKind::Network, "x").with_cause(cause))
                },
            );
            assert!(r.is_err());
            assert_eq!(n, 1, "{cause:?} is not retried");
        }
        let mut n = 0;
        let _ = RetryPolicy::default().run(
            &*clock,
            &tel,
            "t",
            deadline,
            Retryable { malformed: true },
            |_| -> Result<()> {
                n += 1;
                Err(Error::protocol("bad json").with_cause(Cause::Malformed))
            },
        );
        assert!(n > 1, "malformed answers are retried when the call says so");
        assert!(clock.sleeps().is_empty() || n > 1);
    }
}
