//! What the generic authenticated calls of every handle share (B2COPY `Client::call`,
//! B2BINPAY `B2binpayClient::call`, the CRM Open API handle): the method and path rules, which
//! failures a call may retry, and the answer they return.
//!
//! A generic call returns every final HTTP answer to its caller (the status and the body,
//! whatever the status), like curl. Errors are for what is not an answer: the transport,
//! the deadline, credentials the library could not renew (`Unauthorized`), a response over
//! `max_response_bytes`. Retries follow the one retry policy: an idempotent call (GET, HEAD,
//! PUT, DELETE, or any call its caller marks idempotent) is retried on transport failures and
//! on 5xx and 429 answers (honouring `Retry-After`) within its deadline, and when the
//! deadline ends the last answer is returned; a call that is not idempotent is retried only
//! when the connection could not even be made (nothing was sent).

use std::time::Instant;

use crate::clock::Clock;
use crate::error::{Cause, Error, ErrorKind, Result};
use crate::http::{Method, Response, Url};
use crate::retry::{RetryPolicy, Retryable};
use crate::telemetry::Telemetry;

/// Longest path accepted, in bytes.
pub const MAX_PATH: usize = 2048;

/// A final HTTP answer of a generic call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallResponse {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

/// Parse a method for a generic call: GET, POST, PUT, PATCH, DELETE (any case), nothing else.
pub fn method(name: &str) -> Result<Method> {
    Method::parse(name).ok_or_else(|| {
        let shown: String = name.chars().filter(|c| !c.is_control()).take(16).collect();
        Error::invalid_arg(format!(
            "unsupported HTTP method {shown:?}: use GET, POST, PUT, PATCH or DELETE"
        ))
    })
}

/// `path` (with an optional query) joined to `base`: it must start with `/`, not `//`, hold
/// only visible ASCII (percent-encode the rest), no fragment and no `.`/`..` segment, at
/// most [`MAX_PATH`] bytes.
pub fn join_path(base: &Url, path: &str) -> Result<Url> {
    let bad = |why: &str| Error::invalid_arg(format!("path: {why}"));
    if !path.starts_with('/') || path.starts_with("//") {
        return Err(bad(
            "must start with a single '/' (it is relative to base_url)",
        ));
    }
    if path.len() > MAX_PATH {
        return Err(bad(&format!("longer than {MAX_PATH} bytes")));
    }
    if !path.bytes().all(|b| (0x21..0x7f).contains(&b)) {
        return Err(bad(
            "only visible ASCII characters (percent-encode spaces and anything else)",
        ));
    }
    if path.contains('#') {
        return Err(bad("no fragment ('#')"));
    }
    let route = path.split('?').next().unwrap_or("");
    if route.split('/').any(|seg| seg == "." || seg == "..") {
        return Err(bad("no '.' or '..' segments"));
    }
    Ok(base.join(path))
}

/// Whether a call with this method is idempotent unless its caller says otherwise.
pub fn idempotent_by_default(m: Method) -> bool {
    !matches!(m, Method::Post | Method::Patch)
}

/// Send with the retry policy. `send` makes one attempt and returns the answer; 5xx and 429
/// answers of an idempotent call are retried, the rest returned. Transport failures are
/// retried for an idempotent call, and for any call when the connection could not be made.
#[allow(clippy::too_many_arguments)]
pub fn send_with_retries(
    retry: &RetryPolicy,
    clock: &dyn Clock,
    tel: &Telemetry,
    target: &str,
    deadline: Instant,
    idempotent: bool,
    mut send: impl FnMut() -> Result<Response>,
) -> Result<CallResponse> {
    let mut last: Option<Response> = None;
    let what = Retryable { malformed: false };
    let r = retry.run(clock, tel, target, deadline, what, |_| {
        let resp = match send() {
            Ok(r) => r,
            Err(e) => {
                let may_resend =
                    idempotent || matches!(e.cause(), Cause::Connect | Cause::DnsTemporary);
                if may_resend || !crate::retry::is_retryable(&e, what) {
                    return Err(e);
                }
                // Sent, perhaps processed: a call that is not idempotent is not sent again.
                return Err(e
                    .context("not retried (the call is not idempotent)")
                    .with_cause(Cause::None));
            }
        };
        let retry_cause = match resp.status {
            429 => Some((ErrorKind::Throttled, Cause::Throttled)),
            s if s >= 500 => Some((ErrorKind::HttpStatus, Cause::Status5xx)),
            _ => None,
        };
        match retry_cause {
            Some((kind, cause)) if idempotent => {
                let e = Error::new(kind, format!("HTTP {}", resp.status))
                    .with_http_status(resp.status)
                    .with_retry_after(resp.retry_after)
                    .with_cause(cause);
                last = Some(resp);
                Err(e)
            }
            _ => Ok(resp),
        }
    });
    match r {
        Ok(resp) => Ok(CallResponse {
            status: resp.status,
            content_type: resp.content_type,
            body: resp.body,
        }),
        // The retries ran out (deadline or not retryable any more): the last answer is the
        // result, as the server gave it.
        Err(e) => match last {
            Some(resp) if e.http_status() == Some(resp.status) => Ok(CallResponse {
                status: resp.status,
                content_type: resp.content_type,
                body: resp.body,
            }),
            _ => Err(e),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_relative_and_plain() {
        let base = Url::parse("https://h.example/base/").unwrap();
        assert_eq!(
            join_path(&base, "/api/x?y=1").unwrap().to_string(),
            "https://h.example/base/api/x?y=1"
        );
        for bad in [
            "api/x",
            "//evil.example/x",
            "/a b",
            "/a\r\nX: y",
            "/a#frag",
            "/a/../b",
            "/./a",
            "",
            "/\u{e9}",
        ] {
            assert!(join_path(&base, bad).is_err(), "{bad:?}");
        }
        assert!(join_path(&base, &format!("/{}", "a".repeat(MAX_PATH))).is_err());
        assert!(method("FOO").is_err() && method("POST ").is_err());
        assert_eq!(method("get").unwrap(), Method::Get);
        assert!(idempotent_by_default(Method::Put) && !idempotent_by_default(Method::Post));
    }
}
