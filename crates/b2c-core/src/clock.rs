//! The one clock of the core: monotonic time for deadlines and schedules, wall time for JWT
//! claims and vendor timestamps, and the sleeper every wait goes through (retry backoff,
//! PENDING polling, token-store lock polling).
//!
//! Every client takes an `Arc<dyn Clock>` ([`system`] by default). Tests inject a
//! [`ManualClock`], whose `sleep` advances virtual time at once and records the pause, so
//! token schedules, retries, `Retry-After` and the 3–5 s polling interval are tested without
//! real sleeps and without assertions on wall time.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use parking_lot::Mutex;

/// Time and waiting, injectable.
pub trait Clock: Send + Sync {
    /// Monotonic now (deadlines, token schedules).
    fn now(&self) -> Instant;
    /// Wall-clock now (JWT `iat`/`exp`, vendor timestamps).
    fn wall(&self) -> SystemTime;
    /// Block the calling thread for `d`.
    fn sleep(&self, d: Duration);

    /// Seconds since the Unix epoch, by [`Clock::wall`].
    fn unix_now(&self) -> u64 {
        self.wall()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    }

    /// Time left until `deadline` (zero when it has passed).
    fn remaining(&self, deadline: Instant) -> Duration {
        deadline.saturating_duration_since(self.now())
    }
}

/// The operating system's clocks and `std::thread::sleep`.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
    fn wall(&self) -> SystemTime {
        SystemTime::now()
    }
    fn sleep(&self, d: Duration) {
        if !d.is_zero() {
            std::thread::sleep(d);
        }
    }
}

/// The system clock, shared.
pub fn system() -> Arc<dyn Clock> {
    static SYSTEM: std::sync::OnceLock<Arc<dyn Clock>> = std::sync::OnceLock::new();
    SYSTEM.get_or_init(|| Arc::new(SystemClock)).clone()
}

/// A clock for tests: time moves only when [`ManualClock::advance`] is called or when code
/// sleeps (a sleep advances time by its duration at once and is recorded).
///
/// Monotonic and wall time move together. Real waits that cannot be virtual (socket reads)
/// are unaffected; deadlines computed from this clock still bound them.
#[derive(Debug)]
pub struct ManualClock {
    base: Instant,
    wall_base: SystemTime,
    state: Mutex<ManualState>,
}

#[derive(Debug, Default)]
struct ManualState {
    offset: Duration,
    sleeps: Vec<Duration>,
}

impl ManualClock {
    /// A clock starting at the real current time.
    pub fn new() -> Arc<ManualClock> {
        Arc::new(ManualClock {
            base: Instant::now(),
            wall_base: SystemTime::now(),
            state: Mutex::new(ManualState::default()),
        })
    }

    /// Move time forward by `d` (without recording a sleep).
    pub fn advance(&self, d: Duration) {
        self.state.lock().offset += d;
    }

    /// Every sleep so far, in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.state.lock().sleeps.clone()
    }

    /// Forget the recorded sleeps.
    pub fn clear_sleeps(&self) {
        self.state.lock().sleeps.clear();
    }

    /// Total virtual time elapsed since creation.
    pub fn elapsed(&self) -> Duration {
        self.state.lock().offset
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.base + self.state.lock().offset
    }
    fn wall(&self) -> SystemTime {
        self.wall_base + self.state.lock().offset
    }
    fn sleep(&self, d: Duration) {
        let mut st = self.state.lock();
        st.offset += d;
        st.sleeps.push(d);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let c = ManualClock::new();
        let t0 = c.now();
        let w0 = c.wall();
        c.sleep(Duration::from_secs(4));
        c.advance(Duration::from_millis(500));
        assert_eq!(c.now() - t0, Duration::from_millis(4500));
        assert_eq!(
            c.wall().duration_since(w0).unwrap(),
            Duration::from_millis(4500)
        );
        assert_eq!(c.sleeps(), vec![Duration::from_secs(4)]);
        assert_eq!(
            c.remaining(t0 + Duration::from_secs(5)),
            Duration::from_millis(500)
        );
        assert_eq!(c.remaining(t0), Duration::ZERO);
    }
}
