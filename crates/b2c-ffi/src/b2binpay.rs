//! B2BINPAY token handle and deposit-callback verification.

use std::ffi::{c_char, c_void};
use std::sync::Arc;

use super::calls::{b2c_call_options, call_args, write_answer};
use super::error::b2c_error;
use super::guard::*;
use super::log::{b2c_log_callback, set_handle_callback, stats_json};
use super::status::b2c_status;
use super::store::{b2c_token_store, callback_store};
use b2c_core::b2binpay::{verify_deposit_callback, B2binpayClient};
use b2c_core::config::b2binpay_config_from_json;
use b2c_core::http::HttpClient;

/// One B2BINPAY credential (login, password, base URL) and its tokens.
///
/// Thread safety: may be used from several threads at once. Refreshes are single-flight and
/// a refresh token is never sent twice. Must not be freed while another thread uses it.
pub struct b2c_b2binpay {
    inner: Arc<B2binpayClient>,
}

/// Create a B2BINPAY handle from a JSON object: base_url, login, password (required);
/// refresh_margin_s, deadline_ms, token_store (as b2c_client_new), token_path and
/// refresh_path (default /token/ and /token/refresh/, relative to base_url), and the
/// transport keys of b2c_client_new
/// (connect_timeout_ms, read_timeout_ms, request_timeout_ms, max_response_bytes,
/// extra_ca_pem, allow_insecure_http, user_agent, max_idle_connections, idle_timeout_s,
/// dns_cache_s, proxy, no_proxy). Unknown keys are B2C_CONFIG. No network traffic happens
/// here. Free with `b2c_b2binpay_free`.
#[no_mangle]
pub unsafe extern "C" fn b2c_b2binpay_new(
    config_json: *const c_char,
    out: *mut *mut b2c_b2binpay,
    err: *mut *mut b2c_error,
) -> b2c_status {
    guard(err, || {
        let json = str_arg(config_json, "config_json")?;
        out_arg(out, "out")?;
        let (cfg, http) = b2binpay_config_from_json(json)?;
        let inner = Arc::new(B2binpayClient::new(cfg, HttpClient::new(http)?)?);
        *out = Box::into_raw(Box::new(b2c_b2binpay { inner }));
        Ok(())
    })
}

/// The process-wide shared B2BINPAY handle for this configuration (as `b2c_client_shared`:
/// one native handle per configuration, kept across frees; free each returned handle with
/// `b2c_b2binpay_free`).
#[no_mangle]
pub unsafe extern "C" fn b2c_b2binpay_shared(
    config_json: *const c_char,
    out: *mut *mut b2c_b2binpay,
    err: *mut *mut b2c_error,
) -> b2c_status {
    guard(err, || {
        let json = str_arg(config_json, "config_json")?;
        out_arg(out, "out")?;
        let inner = b2c_core::shared::b2binpay(json)?;
        *out = Box::into_raw(Box::new(b2c_b2binpay { inner }));
        Ok(())
    })
}

/// Free a handle (tokens and credentials are zeroed). For a handle from
/// `b2c_b2binpay_shared`, release that handle (the shared one lives on). NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn b2c_b2binpay_free(handle: *mut b2c_b2binpay) {
    if !handle.is_null() {
        drop(Box::from_raw(handle));
    }
}

/// Obtain a token pair (POST /token/) and verify `meta.sign`. A failed check is
/// B2C_RESPONSE_SIGNATURE_INVALID and the tokens are discarded; bad credentials are
/// B2C_AUTH_REJECTED; throttling that outlasts the deadline is B2C_THROTTLED.
#[no_mangle]
pub unsafe extern "C" fn b2c_b2binpay_login(
    handle: *const b2c_b2binpay,
    err: *mut *mut b2c_error,
) -> b2c_status {
    guard(err, || {
        ref_arg(handle, "handle")?.inner.login()?;
        Ok(())
    })
}

/// Refresh the token pair now (POST /token/refresh/), single-flight.
#[no_mangle]
pub unsafe extern "C" fn b2c_b2binpay_refresh(
    handle: *const b2c_b2binpay,
    err: *mut *mut b2c_error,
) -> b2c_status {
    guard(err, || {
        ref_arg(handle, "handle")?.inner.refresh()?;
        Ok(())
    })
}

/// A valid access token for your own B2BINPAY requests (`Authorization: Bearer <token>`),
/// logging in or refreshing ahead of expiry as needed. `*out_suspicious` (may be NULL) is
/// set to 1 when this very call's renewal met a rejected unexpired refresh token (all tokens
/// were dropped and the handle logged in again): treat that as a security event. It is an
/// event, reported once to the call that met it; later calls say 0, and
/// `b2c_b2binpay_counters` keeps the history. Free `*out_token` with `b2c_string_free`.
#[no_mangle]
pub unsafe extern "C" fn b2c_b2binpay_access_token(
    handle: *const b2c_b2binpay,
    out_token: *mut *mut c_char,
    out_suspicious: *mut i32,
    err: *mut *mut b2c_error,
) -> b2c_status {
    guard(err, || {
        let h = ref_arg(handle, "handle")?;
        out_arg(out_token, "out_token")?;
        let (token, info) = h.inner.access_token_with_info()?;
        *out_token = owned_string(&token)?;
        if !out_suspicious.is_null() {
            *out_suspicious = info.suspicious_refresh as i32;
        }
        Ok(())
    })
}

/// Counters of the handle since creation: logins, refreshes, and suspicious refresh-token
/// rejections. Any out pointer may be NULL.
#[no_mangle]
pub unsafe extern "C" fn b2c_b2binpay_counters(
    handle: *const b2c_b2binpay,
    out_logins: *mut u64,
    out_refreshes: *mut u64,
    out_suspicious: *mut u64,
) -> b2c_status {
    guard(std::ptr::null_mut(), || {
        let h = ref_arg(handle, "handle")?;
        if !out_logins.is_null() {
            *out_logins = h.inner.login_count();
        }
        if !out_refreshes.is_null() {
            *out_refreshes = h.inner.refresh_count();
        }
        if !out_suspicious.is_null() {
            *out_suspicious = h.inner.suspicious_events();
        }
        Ok(())
    })
}

/// Verify a B2BINPAY v2 deposit callback signature: hex HMAC-SHA256(key = SHA-256(login ‖
/// password), message = status ‖ amount ‖ tracking_id ‖ meta_time), in constant time.
/// B2C_OK when valid, B2C_SIGNATURE_INVALID when not.
#[no_mangle]
pub unsafe extern "C" fn b2c_b2binpay_verify_callback(
    login: *const c_char,
    password: *const c_char,
    status: *const c_char,
    amount: *const c_char,
    tracking_id: *const c_char,
    meta_time: *const c_char,
    sign: *const c_char,
    err: *mut *mut b2c_error,
) -> b2c_status {
    guard(err, || {
        let valid = verify_deposit_callback(
            str_arg(login, "login")?,
            str_arg(password, "password")?,
            str_arg(status, "status")?,
            str_arg(amount, "amount")?,
            str_arg(tracking_id, "tracking_id")?,
            str_arg(meta_time, "meta_time")?,
            str_arg(sign, "sign")?,
        );
        if valid {
            Ok(())
        } else {
            Err(Fail(
                b2c_status::B2C_SIGNATURE_INVALID,
                "callback signature does not match".into(),
                0,
            ))
        }
    })
}

/// Install this handle's own log callback (as `b2c_client_set_log_callback`).
#[no_mangle]
pub unsafe extern "C" fn b2c_b2binpay_set_log_callback(
    handle: *const b2c_b2binpay,
    callback: b2c_log_callback,
    userdata: *mut c_void,
    max_level: i32,
    err: *mut *mut b2c_error,
) -> b2c_status {
    guard(err, || {
        let h = ref_arg(handle, "handle")?;
        set_handle_callback(h.inner.telemetry(), callback, userdata, max_level)
    })
}

/// This handle's statistics since creation, as JSON (the keys of `b2c_client_stats`; the
/// endpoints are `token` and `token_refresh`). Free with `b2c_string_free`.
#[no_mangle]
pub unsafe extern "C" fn b2c_b2binpay_stats(
    handle: *const b2c_b2binpay,
    out_json: *mut *mut c_char,
    err: *mut *mut b2c_error,
) -> b2c_status {
    guard(err, || {
        let h = ref_arg(handle, "handle")?;
        stats_json(h.inner.telemetry(), out_json)
    })
}

/// Share this handle's tokens through a store the host provides (as
/// `b2c_client_set_token_store`). With a store, a single-use refresh token is sent only
/// under the store's lock, after the store has recorded it as taken.
#[no_mangle]
pub unsafe extern "C" fn b2c_b2binpay_set_token_store(
    handle: *const b2c_b2binpay,
    store: *const b2c_token_store,
    err: *mut *mut b2c_error,
) -> b2c_status {
    guard(err, || {
        let h = ref_arg(handle, "handle")?;
        let store = callback_store(store)?;
        h.inner.set_token_store(store);
        Ok(())
    })
}

/// Any other B2BINPAY API request (payouts, deposits, wallets): `method` on `path`
/// (relative to base_url, with an optional query), `body` sent as JSON:API
/// (`application/vnd.api+json`) when not empty, `Authorization: Bearer <access token>` with
/// the token rules of `b2c_b2binpay_access_token`; a 401 renews the access token once and
/// sends again (a second 401 is B2C_UNAUTHORIZED). Every final HTTP answer is B2C_OK with its
/// status and body (as `b2c_client_call`; free `*out_body` with `b2c_string_free`).
#[no_mangle]
pub unsafe extern "C" fn b2c_b2binpay_call(
    handle: *const b2c_b2binpay,
    method: *const c_char,
    path: *const c_char,
    body: *const c_char,
    body_len: usize,
    out_http_status: *mut i32,
    out_body: *mut *mut c_char,
    err: *mut *mut b2c_error,
) -> b2c_status {
    b2c_b2binpay_call_with(
        handle,
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

/// `b2c_b2binpay_call` with options (`options` may be NULL).
#[no_mangle]
pub unsafe extern "C" fn b2c_b2binpay_call_with(
    handle: *const b2c_b2binpay,
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
        let h = ref_arg(handle, "handle")?;
        let a = call_args(method, path, body, body_len, options, out_body)?;
        let resp = h.inner.call(a.method, a.path, a.body, a.idempotent)?;
        write_answer(resp, out_http_status, out_body)
    })
}
