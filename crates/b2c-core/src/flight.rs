//! The one single-flight primitive of the core: at most one token renewal per credential at a
//! time in this process, and every other caller that needs one waits for it, **never past its
//! own deadline**.
//!
//! The leader runs the operation outside any lock; followers wait on a condition variable
//! for the flight they joined to complete and get its outcome (`Ok(None)` on success, the
//! leader's error otherwise, which their own retry policy may retry). A follower whose
//! deadline runs out first returns a timeout at once; the flight goes on for the others.

use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::retry::deadline_error;

#[derive(Default)]
struct State {
    running: bool,
    /// Flights completed so far.
    completed: u64,
    /// The outcome of the last completed flight.
    last: Option<Result<()>>,
}

/// See the module docs.
#[derive(Default)]
pub struct Flight {
    state: Mutex<State>,
    done: Condvar,
}

impl std::fmt::Debug for Flight {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let st = self.state.lock();
        f.debug_struct("Flight")
            .field("running", &st.running)
            .field("completed", &st.completed)
            .finish()
    }
}

/// Clears `running` and wakes the followers even if the leader's operation panics.
struct LeaderGuard<'a> {
    flight: &'a Flight,
    outcome: Option<Result<()>>,
}

impl Drop for LeaderGuard<'_> {
    fn drop(&mut self) {
        let mut st = self.flight.state.lock();
        st.running = false;
        st.completed += 1;
        st.last = Some(self.outcome.take().unwrap_or_else(|| {
            Err(Error::new(
                crate::error::ErrorKind::Protocol,
                "the token renewal in progress was aborted",
            ))
        }));
        drop(st);
        self.flight.done.notify_all();
    }
}

impl Flight {
    pub fn new() -> Self {
        Self::default()
    }

    /// Run `op` as the leader, or wait for the flight in progress.
    ///
    /// Returns `Ok(Some(v))` to the leader, `Ok(None)` to a follower whose flight succeeded,
    /// the flight's error to both when it failed, and a timeout to a follower whose
    /// deadline ran out while waiting.
    pub fn run<T>(
        &self,
        clock: &dyn Clock,
        deadline: Instant,
        op: impl FnOnce() -> Result<T>,
    ) -> Result<Option<T>> {
        let mut st = self.state.lock();
        if st.running {
            let joined = st.completed;
            while st.running && st.completed == joined {
                let left = clock.remaining(deadline);
                if left.is_zero() {
                    return Err(deadline_error("waiting for a token renewal in progress"));
                }
                // Wake at least every 50 ms so an injected clock's deadline is seen too.
                let _ = self
                    .done
                    .wait_for(&mut st, left.min(Duration::from_millis(50)));
            }
            return match &st.last {
                Some(Ok(())) | None => Ok(None),
                Some(Err(e)) => Err(e.clone()),
            };
        }
        st.running = true;
        drop(st);
        let mut guard = LeaderGuard {
            flight: self,
            outcome: None,
        };
        let r = op();
        guard.outcome = Some(r.as_ref().map(|_| ()).map_err(Clone::clone));
        drop(guard);
        r.map(Some)
    }

    /// Whether a flight is running now.
    pub fn is_running(&self) -> bool {
        self.state.lock().running
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::system;
    use crate::error::ErrorKind;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::{Arc, Barrier};

    #[test]
    fn one_leader_many_followers() {
        let f = Arc::new(Flight::new());
        let runs = Arc::new(AtomicU32::new(0));
        let barrier = Arc::new(Barrier::new(8));
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let (f, runs, barrier) = (f.clone(), runs.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    let clock = system();
                    f.run(&*clock, clock.now() + Duration::from_secs(5), || {
                        runs.fetch_add(1, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(100));
                        Ok(7)
                    })
                    .unwrap()
                })
            })
            .collect();
        let results: Vec<Option<i32>> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        // Threads that arrive after the first flight ended lead a flight of their own; with a
        // 100 ms flight and a barrier they all join the first.
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert_eq!(results.iter().filter(|r| r.is_some()).count(), 1);
    }

    #[test]
    fn a_follower_never_waits_past_its_deadline() {
        let f = Arc::new(Flight::new());
        let started = Arc::new(Barrier::new(2));
        let leader = {
            let (f, started) = (f.clone(), started.clone());
            std::thread::spawn(move || {
                let clock = system();
                f.run(&*clock, clock.now() + Duration::from_secs(10), || {
                    started.wait();
                    std::thread::sleep(Duration::from_millis(600));
                    Err::<(), _>(Error::new(ErrorKind::Network, "slow and failed"))
                })
            })
        };
        started.wait();
        let clock = system();
        let t = clock.now();
        let r = f.run(&*clock, t + Duration::from_millis(100), || Ok(()));
        let e = r.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Timeout);
        assert_eq!(e.cause(), crate::error::Cause::Deadline);
        assert!(
            f.is_running(),
            "the follower gave up while the flight went on"
        );
        assert!(leader.join().unwrap().is_err());
        assert!(!f.is_running());
    }

    #[test]
    fn followers_share_the_leaders_error_and_a_panic_ends_the_flight() {
        let f = Flight::new();
        let clock = system();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            f.run(
                &*clock,
                clock.now() + Duration::from_secs(1),
                || -> Result<()> { panic!("boom") },
            )
        }));
        assert!(r.is_err());
        assert!(
            !f.is_running(),
            "a panicking leader does not wedge the flight"
        );
        let r = f.run(&*clock, clock.now() + Duration::from_secs(1), || Ok(1));
        assert_eq!(r.unwrap(), Some(1));
    }
}
