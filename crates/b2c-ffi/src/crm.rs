//! CRM Open API (Broctagon): the handle for signed calls, request signing and webhook
//! verification.
//!
//! Byte inputs of these functions are `const char *` + length so that PHP can pass its
//! (binary-safe) strings directly; they may contain NUL bytes.

use std::ffi::{c_char, c_void};

use super::calls::{b2c_call_options, call_args, write_answer};
use super::error::b2c_error;
use super::guard::*;
use super::log::{b2c_log_callback, set_handle_callback, stats_json};
use super::status::b2c_status;
use b2c_core::crm_openapi::{self, Crm, CrmCallOptions};
use b2c_core::http::HttpClient;

/// A CRM Open API client for one API key: signed calls over one keep-alive pool.
/// Thread safety: may be used from several threads at once.
pub struct b2c_crm {
    inner: Crm,
}

/// Create a CRM Open API handle from a JSON object: base_url, api_key (required);
/// deadline_ms (30000: one call with its retries), raw_body (false: send JSON bodies in
/// their normal form, see `b2c_crm_call`), and the transport keys of b2c_client_new.
/// Unknown keys are B2C_CONFIG. No network traffic happens here. Free with `b2c_crm_free`.
#[no_mangle]
pub unsafe extern "C" fn b2c_crm_new(
    config_json: *const c_char,
    out: *mut *mut b2c_crm,
    err: *mut *mut b2c_error,
) -> b2c_status {
    guard(err, || {
        let json = str_arg(config_json, "config_json")?;
        out_arg(out, "out")?;
        let (cfg, http) = b2c_core::config::crm_config_from_json(json)?;
        let inner = Crm::new(cfg, HttpClient::new(http)?)?;
        *out = Box::into_raw(Box::new(b2c_crm { inner }));
        Ok(())
    })
}

/// Free a CRM handle (its API key is zeroed). NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn b2c_crm_free(crm: *mut b2c_crm) {
    if !crm.is_null() {
        drop(Box::from_raw(crm));
    }
}

/// A signed CRM Open API call: `method` (GET, POST, PUT, PATCH, DELETE) on `path`
/// (relative to base_url, with an optional query), with `key: <API key>` and, for POST,
/// PUT and PATCH with a body, `signature: sha256=<HMAC of exactly the bytes sent>`. GET and
/// DELETE take no body (B2C_INVALID_ARGUMENT).
///
/// The body: the vendor's PHP/JS samples sign `JSON.stringify(JSON.parse(body))` rather
/// than the raw bytes, so a server that verifies that way refuses a body not already in that
/// form. By default this function therefore SENDS the JSON normal form (what
/// `JSON.stringify(JSON.parse(body))` gives: no whitespace, JSON.stringify's escaping and
/// number format, array-index keys first) and signs it, so the signature holds under either
/// reading. The normal form never changes a value: a number a double cannot hold exactly (a
/// big integer, a long decimal), a duplicate key, or a body that is not JSON is
/// B2C_INVALID_ARGUMENT naming raw mode. Raw mode (`raw_body` in the configuration, or
/// `b2c_crm_call_with`) sends and signs the bytes untouched.
///
/// Every final HTTP answer is B2C_OK with its status and body (free `*out_body` with
/// `b2c_string_free`), except 403 `invalid_api_key` (B2C_AUTH_REJECTED) and 403
/// `invalid_signature` (B2C_SIGNATURE_INVALID). Retries as `b2c_client_call`.
#[no_mangle]
pub unsafe extern "C" fn b2c_crm_call(
    crm: *const b2c_crm,
    method: *const c_char,
    path: *const c_char,
    body: *const c_char,
    body_len: usize,
    out_http_status: *mut i32,
    out_body: *mut *mut c_char,
    err: *mut *mut b2c_error,
) -> b2c_status {
    b2c_crm_call_with(
        crm,
        method,
        path,
        body,
        body_len,
        std::ptr::null(),
        out_http_status,
        out_body,
        err,
    )
}

/// `b2c_crm_call` with options (`options` may be NULL): `idempotent`, and `raw_body` (1
/// raw, 2 normal form) overriding the handle's setting for this call.
#[no_mangle]
pub unsafe extern "C" fn b2c_crm_call_with(
    crm: *const b2c_crm,
    method: *const c_char,
    path: *const c_char,
    body: *const c_char,
    body_len: usize,
    options: *const b2c_call_options,
    out_http_status: *mut i32,
    out_body: *mut *mut c_char,
    err: *mut *mut b2c_error,
) -> b2c_status {
    guard(err, || {
        let crm = ref_arg(crm, "crm")?;
        let a = call_args(method, path, body, body_len, options, out_body)?;
        let resp = crm.inner.call(
            a.method,
            a.path,
            a.body,
            CrmCallOptions {
                idempotent: a.idempotent,
                raw_body: a.raw_body,
            },
        )?;
        write_answer(resp, out_http_status, out_body)
    })
}

/// Install this handle's own log callback (as `b2c_client_set_log_callback`).
#[no_mangle]
pub unsafe extern "C" fn b2c_crm_set_log_callback(
    crm: *const b2c_crm,
    callback: b2c_log_callback,
    userdata: *mut c_void,
    max_level: i32,
    err: *mut *mut b2c_error,
) -> b2c_status {
    guard(err, || {
        let crm = ref_arg(crm, "crm")?;
        set_handle_callback(crm.inner.telemetry(), callback, userdata, max_level)
    })
}

/// This handle's statistics as JSON (the keys of `b2c_client_stats`; the endpoint is
/// `call`). Free with `b2c_string_free`.
#[no_mangle]
pub unsafe extern "C" fn b2c_crm_stats(
    crm: *const b2c_crm,
    out_json: *mut *mut c_char,
    err: *mut *mut b2c_error,
) -> b2c_status {
    guard(err, || {
        let crm = ref_arg(crm, "crm")?;
        stats_json(crm.inner.telemetry(), out_json)
    })
}

fn verdict(valid: bool) -> Result<(), Fail> {
    if valid {
        Ok(())
    } else {
        Err(Fail(
            b2c_status::B2C_SIGNATURE_INVALID,
            "signature does not match".into(),
            0,
        ))
    }
}

/// The `signature` header value for a CRM Open API request: `sha256=<hex HMAC-SHA256(key =
/// API key, message = body)>` for POST/PATCH/PUT with a non-empty body, "" otherwise
/// (then send no signature header). Always send `key: <API key>` as well. An empty or
/// header-unsafe API key, or a method other than GET, POST, PUT, PATCH or DELETE (any case,
/// nothing around it), is B2C_INVALID_ARGUMENT: a typo never yields an unsigned request.
/// THE BYTES SIGNED MUST BE THE BYTES SENT: sign the exact body you put on the wire, never a
/// re-encoding of it. Free `*out_signature` with `b2c_string_free`.
#[no_mangle]
pub unsafe extern "C" fn b2c_crm_sign_request(
    api_key: *const c_char,
    method: *const c_char,
    body: *const c_char,
    body_len: usize,
    out_signature: *mut *mut c_char,
    err: *mut *mut b2c_error,
) -> b2c_status {
    guard(err, || {
        let api_key = str_arg(api_key, "api_key")?;
        let method = str_arg(method, "method")?;
        let body = bytes_arg(body.cast(), body_len, "body")?;
        out_arg(out_signature, "out_signature")?;
        let headers = crm_openapi::sign_request(api_key, method, body)?;
        let sig = headers
            .iter()
            .find(|(k, _)| k == crm_openapi::wire::HEADER_SIGNATURE)
            .map(|(_, v)| v.as_str())
            .unwrap_or("");
        *out_signature = owned_string(sig)?;
        Ok(())
    })
}

/// Check a request's `signature` header (`sha256=<hex>`) against its body with the API key,
/// in constant time. B2C_OK when valid, B2C_SIGNATURE_INVALID when not; an empty or
/// header-unsafe API key is B2C_INVALID_ARGUMENT.
#[no_mangle]
pub unsafe extern "C" fn b2c_crm_verify_signature(
    api_key: *const c_char,
    body: *const c_char,
    body_len: usize,
    signature: *const c_char,
    err: *mut *mut b2c_error,
) -> b2c_status {
    guard(err, || {
        let api_key = str_arg(api_key, "api_key")?;
        let body = bytes_arg(body.cast(), body_len, "body")?;
        let signature = str_arg(signature, "signature")?;
        verdict(crm_openapi::verify_signature(api_key, body, signature)?)
    })
}

/// Check a webhook's `X-Crm-Signature` (hex HMAC-SHA256 of the raw body keyed with the
/// webhook secret; with or without `sha256=`) in constant time. B2C_OK when valid,
/// B2C_SIGNATURE_INVALID when not; an empty secret is B2C_INVALID_ARGUMENT (anyone can
/// compute an HMAC under an empty key).
#[no_mangle]
pub unsafe extern "C" fn b2c_webhook_verify(
    secret: *const c_char,
    secret_len: usize,
    body: *const c_char,
    body_len: usize,
    signature: *const c_char,
    err: *mut *mut b2c_error,
) -> b2c_status {
    guard(err, || {
        let secret = bytes_arg(secret.cast(), secret_len, "secret")?;
        let body = bytes_arg(body.cast(), body_len, "body")?;
        let signature = str_arg(signature, "signature")?;
        verdict(crm_openapi::verify_webhook(secret, body, signature)?)
    })
}
