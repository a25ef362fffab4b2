//! The core error type. It knows nothing of C: `src/ffi` maps each [`ErrorKind`] to a stable
//! `b2c_status` value.
//!
//! Messages never contain secrets: no key material, token, password or API key is ever
//! formatted into an [`Error`].

use std::fmt;
use std::time::Duration;

/// What went wrong, coarse enough for a caller to act on.
///
/// Deliberately not `#[non_exhaustive]`: the C ABI crate maps every kind to a `b2c_status`
/// with an exhaustive `match`, so a new kind without a status is a compile error there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// A caller-supplied argument is empty, too long or malformed.
    InvalidArgument,
    /// The client configuration is invalid (unknown key, wrong type, missing field).
    Config,
    /// A local file could not be read or written.
    Io,
    /// The key is not a parseable PEM private key.
    KeyInvalid,
    /// An EC key on a curve other than P-256.
    KeyUnsupportedCurve,
    /// A key of another type (RSA, Ed25519, ...).
    KeyUnsupportedType,
    /// An encrypted private key (decrypt it first).
    KeyEncrypted,
    /// The URL is not https and not a loopback address.
    InsecureUrl,
    /// Connection refused, reset or dropped; DNS failure.
    Network,
    /// A timeout or the overall deadline ran out.
    Timeout,
    /// TLS handshake or certificate verification failed.
    Tls,
    /// The server answered with an HTTP status we do not handle otherwise.
    HttpStatus,
    /// The server throttled us (HTTP 429) and the deadline left no room to retry.
    Throttled,
    /// The server answered with a body we could not understand.
    Protocol,
    /// The response body exceeded the configured cap.
    ResponseTooLarge,
    /// The vendor rejected our credentials (JWT, login/password, API key).
    AuthRejected,
    /// Requests stayed unauthorized after refresh and re-authentication.
    Unauthorized,
    /// B2COPY answered FEE_PROCESS_STATUS_ERROR.
    FeeError,
    /// The fee request was still PENDING when the wait deadline ran out.
    StillPending,
    /// A progress callback asked to stop.
    Cancelled,
    /// A signature (HMAC) did not match.
    SignatureInvalid,
    /// A vendor response signature (e.g. B2BINPAY `meta.sign`) did not verify; the data was discarded.
    ResponseSignatureInvalid,
    /// The remote system reported a failure in its own words (e.g. RetailCRM `errorMsg`).
    Remote,
}

/// What exactly failed on the way, finer than [`ErrorKind`]: the retry policy decides on it
/// and the statistics count retries by it. `None` for failures that are not about the
/// network exchange.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Cause {
    #[default]
    None,
    /// The host name does not exist (the resolver said so): permanent, never retried.
    DnsNotFound,
    /// The resolver failed temporarily (no answer, SERVFAIL): retried.
    DnsTemporary,
    /// The TCP connection could not be made (refused, unreachable) or timed out.
    Connect,
    /// The connection broke during the exchange (reset, closed before the full answer).
    Reset,
    /// No data for the read timeout.
    ReadTimeout,
    /// The caller's deadline ran out: never retried.
    Deadline,
    /// The server answered 5xx.
    Status5xx,
    /// The server answered 429.
    Throttled,
    /// The answer could not be parsed (retried only where the call is idempotent and says so).
    Malformed,
    /// TLS handshake or certificate failure: never retried.
    Tls,
    /// A proxy refused or failed the tunnel.
    Proxy,
}

impl Cause {
    /// A stable lowercase name (statistics, logs).
    pub fn name(self) -> &'static str {
        match self {
            Cause::None => "none",
            Cause::DnsNotFound => "dns_not_found",
            Cause::DnsTemporary => "dns_temporary",
            Cause::Connect => "connect",
            Cause::Reset => "reset",
            Cause::ReadTimeout => "read_timeout",
            Cause::Deadline => "deadline",
            Cause::Status5xx => "status_5xx",
            Cause::Throttled => "throttled",
            Cause::Malformed => "malformed",
            Cause::Tls => "tls",
            Cause::Proxy => "proxy",
        }
    }
}

/// An error with a kind, a human-readable message and, when an HTTP exchange produced it,
/// the HTTP status, any `Retry-After` and the precise [`Cause`].
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    http_status: Option<u16>,
    retry_after: Option<Duration>,
    cause: Cause,
    /// Set by the retry policy when it stopped because the caller's deadline left no room
    /// for another attempt (the error itself is the last failure met).
    deadline_ran_out: bool,
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            http_status: None,
            retry_after: None,
            cause: Cause::None,
            deadline_ran_out: false,
        }
    }

    /// Mark that the caller's deadline ended the call (see [`Error::deadline_ran_out`]).
    pub fn with_deadline_ran_out(mut self) -> Self {
        self.deadline_ran_out = true;
        self
    }

    /// Whether the call ended because its deadline ran out: a deadline error itself, or the
    /// last failure of a call whose retries the deadline cut short.
    pub fn deadline_ran_out(&self) -> bool {
        self.deadline_ran_out || self.cause == Cause::Deadline
    }

    pub fn with_cause(mut self, cause: Cause) -> Self {
        self.cause = cause;
        self
    }

    pub fn cause(&self) -> Cause {
        self.cause
    }

    pub fn with_http_status(mut self, status: u16) -> Self {
        self.http_status = Some(status);
        self
    }

    pub fn with_retry_after(mut self, after: Option<Duration>) -> Self {
        self.retry_after = after;
        self
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn http_status(&self) -> Option<u16> {
        self.http_status
    }

    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// Prefix the message with context, keeping kind and HTTP details.
    pub fn context(mut self, ctx: &str) -> Self {
        self.message = format!("{ctx}: {}", self.message);
        self
    }

    pub fn invalid_arg(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidArgument, message)
    }

    pub fn protocol(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Protocol, message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.kind)
            .field("message", &self.message)
            .field("http_status", &self.http_status)
            .field("cause", &self.cause)
            .finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;
