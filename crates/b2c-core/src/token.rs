//! What every token client shares: checking a token the server gave before it is stored
//! (it goes into an `Authorization` header of every later request), and when to renew it.

use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// Longest token accepted from a server (a bearer token far longer than any real one would
/// poison every later request).
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

/// Accept `token` only if it can travel in an HTTP header as `Bearer <token>`: 1 to
/// [`MAX_TOKEN_LEN`] visible ASCII characters. A bad token is a [`crate::ErrorKind::Protocol`]
/// error (never retried: the server answered, wrongly) whose message never shows the token.
pub fn check_token(vendor: &str, what: &str, token: &str) -> Result<()> {
    if token.is_empty() {
        return Err(Error::protocol(format!(
            "{vendor} returned an empty {what}"
        )));
    }
    if token.len() > MAX_TOKEN_LEN {
        return Err(Error::protocol(format!(
            "{vendor} returned a {what} of {} bytes; at most {MAX_TOKEN_LEN} are accepted",
            token.len()
        )));
    }
    if !token.bytes().all(|b| (0x21..0x7f).contains(&b)) {
        return Err(Error::protocol(format!(
            "{vendor} returned a {what} with characters an HTTP header cannot carry \
             (whitespace, control or non-ASCII)"
        )));
    }
    Ok(())
}

/// Lifetimes below this are treated as unknown (the token is used until the server says 401):
/// a lifetime of zero from a skewed clock would otherwise renew on every call.
pub const MIN_SCHEDULED_LIFETIME: Duration = Duration::from_millis(500);

/// Longer stated lifetimes are capped (a server's "expires in 2^62 s" must not overflow the
/// clock; a token that old is renewed anyway).
pub const MAX_SCHEDULED_LIFETIME: Duration = Duration::from_secs(366 * 86_400);

/// When a token received at `received` should be renewed, and when it expires, on the
/// monotonic clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule {
    pub renew_at: Instant,
    pub expires_at: Instant,
}

impl Schedule {
    /// A token living `lifetime` from `received` is renewed `min(margin, lifetime / 5)` before
    /// it expires: a 900 s token with a 30 s margin at 870 s, a 1 s token at 0.8 s. So even
    /// very short lifetimes give one renewal per lifetime, never a storm; and the lifetime is
    /// measured from our receipt, so neither clock skew nor whole-second `exp` values
    /// shorten it. `None` when the lifetime is unknown or below [`MIN_SCHEDULED_LIFETIME`].
    pub fn new(
        received: Instant,
        lifetime: Option<Duration>,
        margin: Duration,
    ) -> Option<Schedule> {
        let life = lifetime
            .filter(|l| *l >= MIN_SCHEDULED_LIFETIME)?
            .min(MAX_SCHEDULED_LIFETIME);
        let ahead = margin.min(life / 5);
        Some(Schedule {
            renew_at: received + (life - ahead),
            expires_at: received + life,
        })
    }

    pub fn due(&self, now: Instant) -> bool {
        now >= self.renew_at
    }

    pub fn expired(&self, now: Instant) -> bool {
        now >= self.expires_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_that_cannot_travel_are_refused_once_without_being_shown() {
        assert!(check_token("V", "access token", "eyJ.abc-_~+/=").is_ok());
        for bad in ["", "a b", "a\r\nX: y", "tök", "a\u{0}b"] {
            let e = check_token("V", "access token", bad).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::Protocol);
            assert!(bad.is_empty() || !e.message().contains(bad), "{e}");
        }
        let huge = "x".repeat(900 * 1024);
        assert!(check_token("V", "access token", &huge)
            .unwrap_err()
            .message()
            .contains("921600 bytes"));
    }

    #[test]
    fn schedules() {
        let t = Instant::now();
        let s = Schedule::new(t, Some(Duration::from_secs(900)), Duration::from_secs(30)).unwrap();
        assert_eq!(s.renew_at - t, Duration::from_secs(870));
        let s = Schedule::new(t, Some(Duration::from_secs(1)), Duration::from_secs(30)).unwrap();
        assert_eq!(s.renew_at - t, Duration::from_millis(800));
        assert_eq!(s.expires_at - t, Duration::from_secs(1));
        assert!(
            Schedule::new(t, Some(Duration::from_millis(100)), Duration::from_secs(30)).is_none()
        );
        assert!(Schedule::new(t, None, Duration::from_secs(30)).is_none());
        let s = Schedule::new(t, Some(Duration::from_secs(60)), Duration::ZERO).unwrap();
        assert_eq!(s.renew_at, s.expires_at);
    }
}
