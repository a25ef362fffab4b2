//! The B2COPY client handle.

use std::ffi::{c_char, c_void};
use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::Duration;

use super::calls::{b2c_call_options, call_args, write_answer};
use super::error::b2c_error;
use super::guard::*;
use super::log::{b2c_log_callback, set_handle_callback, stats_json};
use super::status::b2c_status;
use super::store::{b2c_token_store, callback_store};
use b2c_core::b2copy::{Client, Progress, ProgressFn};
use b2c_core::config::client_config_from_json;

/// A B2COPY client for one service admin: configuration, key, tokens and a keep-alive
/// connection pool.
///
/// Thread safety: a `b2c_client` may be used from several threads at once (tokens are
/// shared and refreshed single-flight). It must not be freed while another thread uses it.
pub struct b2c_client {
    inner: Arc<Client>,
}

/// Progress callback of `b2c_fee_process`, called on the calling thread after each
/// processext answer with the fee status (1 PENDING, 2 SUCCESS, 3 ERROR), the poll number
/// (from 1) and the milliseconds elapsed. Return 0 to go on, non-zero to cancel
/// (the call then returns B2C_CANCELLED).
pub type b2c_progress_cb = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        fee_status: i32,
        attempt: u32,
        elapsed_ms: u64,
    ) -> i32,
>;

/// Create a client from a UTF-8 JSON configuration object. Keys: base_url, admin_id,
/// device_ip, key_id, private_key_pem | private_key_path (required); issuer, jwt_ttl_s,
/// jwt_kid_header, connect_timeout_ms, read_timeout_ms, request_timeout_ms,
/// call_deadline_ms, poll_interval_ms, retry_base_ms, retry_max_ms, refresh_margin_s, and the
/// transport keys max_response_bytes, extra_ca_pem, allow_insecure_http, user_agent,
/// max_idle_connections, idle_timeout_s, dns_cache_s, proxy, no_proxy; token_store
/// (`{"type": "memory"}`, the default, or `{"type": "file", "path": "/abs/dir"}`: the token
/// pair is shared with every process using that directory, one exchange at a time across
/// them). Unknown keys are an error (B2C_CONFIG), as are values an HTTP header or URL cannot
/// carry. No network traffic happens here. Free with `b2c_client_free`.
#[no_mangle]
pub unsafe extern "C" fn b2c_client_new(
    config_json: *const c_char,
    out: *mut *mut b2c_client,
    err: *mut *mut b2c_error,
) -> b2c_status {
    guard(err, || {
        let json = str_arg(config_json, "config_json")?;
        out_arg(out, "out")?;
        let (cfg, key) = client_config_from_json(json)?;
        let inner = Arc::new(Client::new(cfg, key)?);
        *out = Box::into_raw(Box::new(b2c_client { inner }));
        Ok(())
    })
}

/// The process-wide shared client for this configuration (the JSON of `b2c_client_new`):
/// the same configuration, whatever the order of its keys, gives the same native client,
/// with its tokens and keep-alive connections. Each call returns a new handle to it; free
/// each with `b2c_client_free`, which releases that handle only. The registry keeps the
/// client after the last handle is freed, for the next `b2c_client_shared` with the same
/// configuration (a PHP-FPM worker's next request), until `b2c_shared_clear` or process
/// exit; after `fork()` a child gets a client of its own. A log callback or token store set
/// through one handle applies to every handle of that client.
#[no_mangle]
pub unsafe extern "C" fn b2c_client_shared(
    config_json: *const c_char,
    out: *mut *mut b2c_client,
    err: *mut *mut b2c_error,
) -> b2c_status {
    guard(err, || {
        let json = str_arg(config_json, "config_json")?;
        out_arg(out, "out")?;
        let inner = b2c_core::shared::client(json)?;
        *out = Box::into_raw(Box::new(b2c_client { inner }));
        Ok(())
    })
}

/// Free a client (its key memory is cleansed, its tokens zeroed). For a handle from
/// `b2c_client_shared`, release that handle (the shared client lives on). NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn b2c_client_free(client: *mut b2c_client) {
    if !client.is_null() {
        drop(Box::from_raw(client));
    }
}

/// Exchange a fresh external JWT for a token pair (authexternalcrm). Optional: the fee
/// functions authenticate on first use.
#[no_mangle]
pub unsafe extern "C" fn b2c_authenticate(
    client: *const b2c_client,
    err: *mut *mut b2c_error,
) -> b2c_status {
    guard(err, || {
        let client = ref_arg(client, "client")?;
        client.inner.authenticate()?;
        Ok(())
    })
}

/// Mint an external JWT with the client's key and claims. Free with `b2c_string_free`.
#[no_mangle]
pub unsafe extern "C" fn b2c_client_mint_jwt(
    client: *const b2c_client,
    out_jwt: *mut *mut c_char,
    err: *mut *mut b2c_error,
) -> b2c_status {
    guard(err, || {
        let client = ref_arg(client, "client")?;
        out_arg(out_jwt, "out_jwt")?;
        let jwt = client.inner.mint_jwt()?;
        *out_jwt = owned_string(&jwt)?;
        Ok(())
    })
}

/// Charge the fees due for withdrawal `request_id` on `account_login` (processext).
///
/// `wait_ms == 0`: one logical request (transient failures retried within the client's
/// call_deadline_ms); returns B2C_OK with PENDING or SUCCESS.
/// `wait_ms > 0`: polls every poll_interval_ms (jittered 75-125 %) until a final status or
/// until `wait_ms` has passed.
///
/// Returns B2C_OK (SUCCESS, or PENDING in one-shot mode), B2C_FEE_ERROR (status ERROR; the
/// error message carries the server's details), B2C_STILL_PENDING (the wait ran out), or
/// another error. `*out_fee_status` (may be NULL) receives the last fee status (a
/// `b2c_fee_status` value) with B2C_OK, B2C_FEE_ERROR and B2C_STILL_PENDING, and is not
/// written with any other status (B2C_CANCELLED included: the callback saw the last
/// status). A wait that runs out during a request, after at least one PENDING answer, is
/// B2C_STILL_PENDING; B2C_TIMEOUT means no answer came at all. `on_progress` may be NULL;
/// `userdata` is passed to it untouched.
#[no_mangle]
pub unsafe extern "C" fn b2c_fee_process(
    client: *const b2c_client,
    account_login: *const c_char,
    request_id: *const c_char,
    wait_ms: u32,
    on_progress: b2c_progress_cb,
    userdata: *mut c_void,
    out_fee_status: *mut i32,
    err: *mut *mut b2c_error,
) -> b2c_status {
    guard(err, || {
        let client = ref_arg(client, "client")?;
        let login = str_arg(account_login, "account_login")?;
        let rid = str_arg(request_id, "request_id")?;
        let wait = (wait_ms > 0).then(|| Duration::from_millis(wait_ms as u64));
        let mut cb = on_progress.map(|f| {
            move |p: &Progress| {
                let rc = f(
                    userdata,
                    p.status as i32,
                    p.attempt,
                    p.elapsed.as_millis() as u64,
                );
                if rc == 0 {
                    ControlFlow::Continue(())
                } else {
                    ControlFlow::Break(())
                }
            }
        });
        let cb_ref = cb.as_mut().map(|c| c as ProgressFn<'_>);
        let result = client.inner.fee_process(login, rid, wait, cb_ref)?;
        if !out_fee_status.is_null() {
            *out_fee_status = result.status as i32;
        }
        match result.outcome_error(rid) {
            Some(e) => Err(e.into()),
            None => Ok(()),
        }
    })
}

/// Install this client's own log callback, used instead of the process-wide one
/// (`b2c_set_log_callback`) for this client's events up to `max_level` (a `b2c_log_level`);
/// `callback == NULL` removes it (the process-wide one applies again). See
/// `b2c_log_callback` for the rules a callback follows.
#[no_mangle]
pub unsafe extern "C" fn b2c_client_set_log_callback(
    client: *const b2c_client,
    callback: b2c_log_callback,
    userdata: *mut c_void,
    max_level: i32,
    err: *mut *mut b2c_error,
) -> b2c_status {
    guard(err, || {
        let client = ref_arg(client, "client")?;
        set_handle_callback(client.inner.telemetry(), callback, userdata, max_level)
    })
}

/// This client's statistics since creation, as a JSON object (free with `b2c_string_free`):
/// `requests`, `retries`, `retries_by_cause` (`{"status_5xx": n, ...}`), `auth_exchanges`,
/// `refreshes`, `reauths`, `unauthorized` (401 answers), `suspicious`,
/// `connections_opened`, `tls_handshakes`, `tls_resumed`, `dns_lookups`,
/// `deadline_exceeded` (calls that ended because their deadline ran out), and `latency`:
/// per endpoint (`authexternalcrm`, `refreshtoken`, `processext`) `count`, `p50_us`,
/// `p90_us`, `p99_us`, `max_us`. Keys may be added; none is removed.
#[no_mangle]
pub unsafe extern "C" fn b2c_client_stats(
    client: *const b2c_client,
    out_json: *mut *mut c_char,
    err: *mut *mut b2c_error,
) -> b2c_status {
    guard(err, || {
        let client = ref_arg(client, "client")?;
        stats_json(client.inner.telemetry(), out_json)
    })
}

/// Share this client's tokens with other processes through a store the host provides
/// (Redis, the CRM's database): see `b2c_token_store`. The struct is copied; `userdata`
/// must stay valid while the client (or, for a shared client, any handle of it) lives.
/// `store == NULL` detaches any store (a configured `token_store` too): tokens then live in
/// this client only. Set it before the first call that needs a token.
#[no_mangle]
pub unsafe extern "C" fn b2c_client_set_token_store(
    client: *const b2c_client,
    store: *const b2c_token_store,
    err: *mut *mut b2c_error,
) -> b2c_status {
    guard(err, || {
        let client = ref_arg(client, "client")?;
        let store = callback_store(store)?;
        client.inner.set_token_store(store);
        Ok(())
    })
}

/// Any other B2COPY request: `method` (GET, POST, PUT, PATCH, DELETE) on `path` (relative
/// to base_url, starting with `/`, with an optional query; visible ASCII only), `body` (may
/// be NULL with `body_len` 0) sent as `application/json` when not empty, the access token in
/// `Authorization` with the token rules of `b2c_fee_process` (renewal ahead of expiry; a 401
/// refreshes, a failed refresh re-authenticates, a 401 on the renewed token is
/// B2C_UNAUTHORIZED). Returns B2C_OK for every final HTTP answer whatever its status:
/// `*out_http_status` gets it and `*out_body` the body (free with `b2c_string_free`).
/// Errors are for what is not an answer (network, timeout, TLS, a body over
/// max_response_bytes). Retries: GET, PUT and DELETE are retried on transport failures,
/// 5xx and 429 (within call_deadline_ms; then the last answer is returned); POST and PATCH
/// only when the connection could not be made, unless `b2c_client_call_with` marks them
/// idempotent.
#[no_mangle]
pub unsafe extern "C" fn b2c_client_call(
    client: *const b2c_client,
    method: *const c_char,
    path: *const c_char,
    body: *const c_char,
    body_len: usize,
    out_http_status: *mut i32,
    out_body: *mut *mut c_char,
    err: *mut *mut b2c_error,
) -> b2c_status {
    b2c_client_call_with(
        client,
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

/// `b2c_client_call` with options (`options` may be NULL): `idempotent` overrides the
/// method's retry default.
#[no_mangle]
pub unsafe extern "C" fn b2c_client_call_with(
    client: *const b2c_client,
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
        let client = ref_arg(client, "client")?;
        let a = call_args(method, path, body, body_len, options, out_body)?;
        let resp = client.inner.call(a.method, a.path, a.body, a.idempotent)?;
        write_answer(resp, out_http_status, out_body)
    })
}

/// A valid access token (renewed ahead of expiry as for `b2c_fee_process`), for a caller
/// that must make B2COPY requests with its own HTTP stack. It is a bearer credential: never
/// log it. Free `*out_token` with `b2c_string_free` (it is zeroed). After a 401 from such a
/// request, call `b2c_authenticate`: the library cannot see that answer.
#[no_mangle]
pub unsafe extern "C" fn b2c_client_access_token(
    client: *const b2c_client,
    out_token: *mut *mut c_char,
    err: *mut *mut b2c_error,
) -> b2c_status {
    guard(err, || {
        let client = ref_arg(client, "client")?;
        out_arg(out_token, "out_token")?;
        let token = client.inner.access_token()?;
        *out_token = owned_string(&token)?;
        Ok(())
    })
}
