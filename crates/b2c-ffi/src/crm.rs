//! CRM Open API (Broctagon) request signing and webhook verification.
//!
//! Byte inputs of these functions are `const char *` + length so that PHP can pass its
//! (binary-safe) strings directly; they may contain NUL bytes.

use std::ffi::c_char;

use super::error::b2c_error;
use super::guard::*;
use super::status::b2c_status;
use b2c_core::crm_openapi;

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
