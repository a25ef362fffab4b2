use std::ffi::c_char;

use b2c_core::error::ErrorKind;

/// Result of every fallible b2c function. Values are stable and never renumbered; retired
/// values stay reserved.
///
/// "Exception family" names the one exception class every binding raises for the status
/// (Python `b2c.<Family>Error`, PHP `B2c\<Family>Exception`, Java `com.b2c.<Family>Exception`,
/// C# `B2c.<Family>Exception`); each binding's tests check its mapping against this list.
/// TimeoutError/TimeoutException is a subclass of the Network one; a status this list
/// does not name (from a newer library) raises the base class.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum b2c_status {
    B2C_OK = 0,
    /// An argument is empty, too long or malformed.
    /// Exception family: InvalidArgument.
    B2C_INVALID_ARGUMENT = 1,
    /// A required pointer argument was NULL.
    /// Exception family: InvalidArgument.
    B2C_NULL_POINTER = 2,
    /// The caller's output buffer is too small; nothing was written.
    /// Exception family: InvalidArgument.
    B2C_BUFFER_TOO_SMALL = 3,
    /// A string argument is not valid UTF-8.
    /// Exception family: InvalidArgument.
    B2C_INVALID_UTF8 = 4,
    /// The configuration JSON is invalid (unknown key, wrong type, missing field).
    /// Exception family: InvalidArgument.
    B2C_CONFIG = 5,
    /// A local file could not be read or written.
    /// Exception family: Io.
    B2C_IO = 6,
    /// Not a parseable PEM private key.
    /// Exception family: KeyFormat.
    B2C_KEY_INVALID = 10,
    /// An EC key on a curve other than P-256.
    /// Exception family: KeyFormat.
    B2C_KEY_UNSUPPORTED_CURVE = 11,
    /// A key of another type (RSA, Ed25519, ...).
    /// Exception family: KeyFormat.
    B2C_KEY_UNSUPPORTED_TYPE = 12,
    /// An encrypted private key.
    /// Exception family: KeyFormat.
    B2C_KEY_ENCRYPTED = 13,
    /// Plain http to a non-loopback host.
    /// Exception family: InvalidArgument.
    B2C_INSECURE_URL = 20,
    /// Connection refused, reset or dropped; DNS failure.
    /// Exception family: Network.
    B2C_NETWORK = 21,
    /// A timeout or the overall deadline ran out.
    /// Exception family: Timeout.
    B2C_TIMEOUT = 22,
    /// TLS handshake or certificate verification failed.
    /// Exception family: Network.
    B2C_TLS = 23,
    /// An unexpected HTTP status (see b2c_error_http_status).
    /// Exception family: Protocol.
    B2C_HTTP_STATUS = 24,
    /// Throttled (HTTP 429) with no time left to retry.
    /// Exception family: Throttled.
    B2C_THROTTLED = 25,
    /// A response we could not understand.
    /// Exception family: Protocol.
    B2C_PROTOCOL = 26,
    /// A response body over the configured cap.
    /// Exception family: Protocol.
    B2C_RESPONSE_TOO_LARGE = 27,
    /// The vendor rejected the credentials (JWT, login, API key).
    /// Exception family: Auth.
    B2C_AUTH_REJECTED = 30,
    /// Still unauthorized after refresh and re-authentication.
    /// Exception family: Auth.
    B2C_UNAUTHORIZED = 31,
    /// B2COPY answered FEE_PROCESS_STATUS_ERROR; the error message carries its details.
    /// Exception family: Fee.
    B2C_FEE_ERROR = 40,
    /// The fee request was still PENDING when the wait ran out.
    /// Exception family: StillPending.
    B2C_STILL_PENDING = 41,
    /// The progress callback asked to stop.
    /// Exception family: Cancelled.
    B2C_CANCELLED = 42,
    /// An HMAC signature did not match.
    /// Exception family: Signature.
    B2C_SIGNATURE_INVALID = 50,
    /// A vendor response signature did not verify; its data was discarded.
    /// Exception family: Signature.
    B2C_RESPONSE_SIGNATURE_INVALID = 51,
    /// The remote system reported a failure in its own words.
    /// Exception family: Remote.
    B2C_REMOTE = 52,
    /// A bug: a panic was caught at the boundary. Please report it.
    /// Exception family: Internal.
    B2C_PANIC = 99,
}

/// Fee-processing status as B2COPY numbers it (written to `out_fee_status`).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum b2c_fee_status {
    B2C_FEE_STATUS_PENDING = 1,
    B2C_FEE_STATUS_SUCCESS = 2,
    B2C_FEE_STATUS_ERROR = 3,
}

impl From<ErrorKind> for b2c_status {
    fn from(k: ErrorKind) -> Self {
        use b2c_status::*;
        match k {
            ErrorKind::InvalidArgument => B2C_INVALID_ARGUMENT,
            ErrorKind::Config => B2C_CONFIG,
            ErrorKind::Io => B2C_IO,
            ErrorKind::KeyInvalid => B2C_KEY_INVALID,
            ErrorKind::KeyUnsupportedCurve => B2C_KEY_UNSUPPORTED_CURVE,
            ErrorKind::KeyUnsupportedType => B2C_KEY_UNSUPPORTED_TYPE,
            ErrorKind::KeyEncrypted => B2C_KEY_ENCRYPTED,
            ErrorKind::InsecureUrl => B2C_INSECURE_URL,
            ErrorKind::Network => B2C_NETWORK,
            ErrorKind::Timeout => B2C_TIMEOUT,
            ErrorKind::Tls => B2C_TLS,
            ErrorKind::HttpStatus => B2C_HTTP_STATUS,
            ErrorKind::Throttled => B2C_THROTTLED,
            ErrorKind::Protocol => B2C_PROTOCOL,
            ErrorKind::ResponseTooLarge => B2C_RESPONSE_TOO_LARGE,
            ErrorKind::AuthRejected => B2C_AUTH_REJECTED,
            ErrorKind::Unauthorized => B2C_UNAUTHORIZED,
            ErrorKind::FeeError => B2C_FEE_ERROR,
            ErrorKind::StillPending => B2C_STILL_PENDING,
            ErrorKind::Cancelled => B2C_CANCELLED,
            ErrorKind::SignatureInvalid => B2C_SIGNATURE_INVALID,
            ErrorKind::ResponseSignatureInvalid => B2C_RESPONSE_SIGNATURE_INVALID,
            ErrorKind::Remote => B2C_REMOTE,
        }
    }
}

fn status_text(status: i32) -> &'static [u8] {
    match status {
        0 => b"ok\0",
        1 => b"invalid argument\0",
        2 => b"NULL pointer argument\0",
        3 => b"output buffer too small\0",
        4 => b"string argument is not valid UTF-8\0",
        5 => b"invalid configuration\0",
        6 => b"I/O error\0",
        10 => b"invalid private key\0",
        11 => b"unsupported EC curve (P-256 required)\0",
        12 => b"unsupported key type (EC P-256 required)\0",
        13 => b"encrypted private key\0",
        20 => b"insecure URL (https required except for loopback)\0",
        21 => b"network error\0",
        22 => b"timeout\0",
        23 => b"TLS error\0",
        24 => b"unexpected HTTP status\0",
        25 => b"throttled\0",
        26 => b"protocol error\0",
        27 => b"response too large\0",
        30 => b"authentication rejected\0",
        31 => b"unauthorized\0",
        40 => b"fee processing ended in ERROR\0",
        41 => b"fee processing still pending\0",
        42 => b"cancelled\0",
        50 => b"signature invalid\0",
        51 => b"response signature invalid\0",
        52 => b"remote system reported an error\0",
        99 => b"internal panic (bug)\0",
        _ => b"unknown status\0",
    }
}

/// A static, NUL-terminated description of a status. Accepts any integer (unknown values
/// give "unknown status"). Never NULL; never free it.
#[no_mangle]
pub extern "C" fn b2c_status_str(status: i32) -> *const c_char {
    status_text(status).as_ptr().cast()
}

/// The library version, e.g. "0.1.0" (static; never free it).
#[no_mangle]
pub extern "C" fn b2c_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}
