//! RetailCRM (Simla) integration module, "simple connection".

use std::ffi::c_char;

use super::error::b2c_error;
use super::guard::*;
use super::status::b2c_status;
use b2c_core::retailcrm::{self, IntegrationModule};

fn module_arg(json: *const c_char) -> Result<IntegrationModule, Fail> {
    let json = unsafe { str_arg(json, "module_json")? };
    serde_json::from_str(json).map_err(|e| {
        Fail(
            b2c_status::B2C_INVALID_ARGUMENT,
            format!(
                "module_json is not a valid integrationModule object (line {}, column {})",
                e.line(),
                e.column()
            ),
            0,
        )
    })
}

fn calls_arg(json: *const c_char) -> Result<retailcrm::Calls, Fail> {
    let json = unsafe { opt_str_arg(json, "http_config_json")? };
    Ok(retailcrm::Calls::from_json(json)?)
}

/// The register token RetailCRM sends: hex HMAC-SHA256(key = module secret, message =
/// apiKey). Free `*out_token` with `b2c_string_free`.
#[no_mangle]
pub unsafe extern "C" fn b2c_retailcrm_token(
    secret: *const c_char,
    api_key: *const c_char,
    out_token: *mut *mut c_char,
    err: *mut *mut b2c_error,
) -> b2c_status {
    guard(err, || {
        let (secret, api_key) = (str_arg(secret, "secret")?, str_arg(api_key, "api_key")?);
        out_arg(out_token, "out_token")?;
        let t = retailcrm::register_token(secret, api_key)?;
        *out_token = owned_string(&t)?;
        Ok(())
    })
}

/// Verify `register[token]` against the module secret and apiKey in constant time.
/// B2C_OK when valid, B2C_SIGNATURE_INVALID when not.
#[no_mangle]
pub unsafe extern "C" fn b2c_retailcrm_verify_token(
    secret: *const c_char,
    api_key: *const c_char,
    token: *const c_char,
    err: *mut *mut b2c_error,
) -> b2c_status {
    guard(err, || {
        if retailcrm::verify_register_token(
            str_arg(secret, "secret")?,
            str_arg(api_key, "api_key")?,
            str_arg(token, "token")?,
        ) {
            Ok(())
        } else {
            Err(Fail(
                b2c_status::B2C_SIGNATURE_INVALID,
                "register token does not match".into(),
                0,
            ))
        }
    })
}

/// The configUrl answer `{"success":true,"scopes":[...],"registerUrl":"..."}`.
/// `scopes_json` is a JSON array of strings. Free `*out_json` with `b2c_string_free`.
#[no_mangle]
pub unsafe extern "C" fn b2c_retailcrm_config_response(
    scopes_json: *const c_char,
    register_url: *const c_char,
    out_json: *mut *mut c_char,
    err: *mut *mut b2c_error,
) -> b2c_status {
    guard(err, || {
        let scopes: Vec<String> = serde_json::from_str(str_arg(scopes_json, "scopes_json")?)
            .map_err(|_| {
                Fail(
                    b2c_status::B2C_INVALID_ARGUMENT,
                    "scopes_json must be a JSON array of strings".into(),
                    0,
                )
            })?;
        let refs: Vec<&str> = scopes.iter().map(String::as_str).collect();
        let answer = retailcrm::config_response(&refs, str_arg(register_url, "register_url")?);
        out_arg(out_json, "out_json")?;
        *out_json = owned_string(&answer)?;
        Ok(())
    })
}

/// The register success answer `{"success":true,"accountUrl":"..."}`.
#[no_mangle]
pub unsafe extern "C" fn b2c_retailcrm_register_success(
    account_url: *const c_char,
    out_json: *mut *mut c_char,
    err: *mut *mut b2c_error,
) -> b2c_status {
    guard(err, || {
        let answer = retailcrm::register_success(str_arg(account_url, "account_url")?);
        out_arg(out_json, "out_json")?;
        *out_json = owned_string(&answer)?;
        Ok(())
    })
}

/// The error answer `{"success":false,"errorMsg":"..."}` (send it with HTTP 200; RetailCRM
/// shows errorMsg in the module card).
#[no_mangle]
pub unsafe extern "C" fn b2c_retailcrm_error_response(
    message: *const c_char,
    out_json: *mut *mut c_char,
    err: *mut *mut b2c_error,
) -> b2c_status {
    guard(err, || {
        let answer = retailcrm::error_response(str_arg(message, "message")?);
        out_arg(out_json, "out_json")?;
        *out_json = owned_string(&answer)?;
        Ok(())
    })
}

/// Register or update the module: POST {system_url}/api/v5/integration-modules/{code}/edit
/// with `X-API-KEY` and the form field `integrationModule=<module_json>`. `system_url` must
/// be https (loopback excepted); redirects are never followed. A `{"success":false,
/// "errorMsg":...}` answer is B2C_REMOTE carrying errorMsg. `http_config_json` may be NULL
/// (defaults) or a JSON object of transport keys and `deadline_ms` (default 30000: the call
/// with its retries never takes longer).
#[no_mangle]
pub unsafe extern "C" fn b2c_retailcrm_edit_module(
    system_url: *const c_char,
    api_key: *const c_char,
    module_json: *const c_char,
    http_config_json: *const c_char,
    err: *mut *mut b2c_error,
) -> b2c_status {
    guard(err, || {
        let system_url = str_arg(system_url, "system_url")?;
        let api_key = str_arg(api_key, "api_key")?;
        let module = module_arg(module_json)?;
        calls_arg(http_config_json)?.edit_module(system_url, api_key, &module)?;
        Ok(())
    })
}

/// The whole register step of a module's web handler: parse the form body
/// (`register[systemUrl]`, `register[apiKey]`, `register[token]`), verify the token first
/// (a wrong token gets an error answer and no outgoing call), call edit with `module_json`,
/// and write the JSON answer to send back with HTTP 200 (success with the module's
/// accountUrl, or `{"success":false,"errorMsg":...}`). Returns B2C_OK whenever an answer
/// was written, whatever it says. Free `*out_answer_json` with `b2c_string_free`.
#[no_mangle]
pub unsafe extern "C" fn b2c_retailcrm_handle_register(
    secret: *const c_char,
    form_body: *const c_char,
    form_len: usize,
    module_json: *const c_char,
    http_config_json: *const c_char,
    out_answer_json: *mut *mut c_char,
    err: *mut *mut b2c_error,
) -> b2c_status {
    guard(err, || {
        let secret = str_arg(secret, "secret")?;
        let body = bytes_arg(form_body.cast(), form_len, "form_body")?;
        out_arg(out_answer_json, "out_answer_json")?;
        let module = module_arg(module_json)?;
        let answer = calls_arg(http_config_json)?.handle_register(secret, body, &module);
        *out_answer_json = owned_string(&answer)?;
        Ok(())
    })
}

/// The register step for a module that serves many CRM accounts: as
/// `b2c_retailcrm_handle_register`, with the account's own module fields (`account_json`: a
/// JSON object laid over `module_json`'s top-level fields, e.g. `{"clientId": "acct-42",
/// "accountUrl": "https://module.example/acct/42"}`; NULL for none), and everything the
/// module must store: `*out_result_json` (free with `b2c_string_free`) is
/// `{"registered": bool, "answer": "<the JSON to send back with HTTP 200>", "system_url":
/// string|null, "api_key": string|null (only when registered: store it, it is a secret),
/// "error": string|null, "field_errors": object|null (the system's `errors` map)}`.
/// Returns B2C_OK whenever an answer was written; invalid module or account JSON is
/// B2C_INVALID_ARGUMENT.
#[no_mangle]
pub unsafe extern "C" fn b2c_retailcrm_register_account(
    secret: *const c_char,
    form_body: *const c_char,
    form_len: usize,
    module_json: *const c_char,
    account_json: *const c_char,
    http_config_json: *const c_char,
    out_result_json: *mut *mut c_char,
    err: *mut *mut b2c_error,
) -> b2c_status {
    guard(err, || {
        let secret = str_arg(secret, "secret")?;
        let body = bytes_arg(form_body.cast(), form_len, "form_body")?;
        out_arg(out_result_json, "out_result_json")?;
        let mut module = module_arg(module_json)?;
        if let Some(account) = opt_str_arg(account_json, "account_json")? {
            let fields: serde_json::Map<String, serde_json::Value> = serde_json::from_str(account)
                .map_err(|_| {
                    Fail(
                        b2c_status::B2C_INVALID_ARGUMENT,
                        "account_json is not a JSON object".into(),
                        0,
                    )
                })?;
            module = retailcrm::module_for_account(&module, &fields)?;
        }
        let r = calls_arg(http_config_json)?.register_account(secret, body, &module);
        let json = zeroize::Zeroizing::new(
            serde_json::json!({
                "registered": r.registered,
                "answer": r.answer,
                "system_url": r.system_url,
                "api_key": r.api_key.as_ref().map(|k| k.as_str()),
                "error": r.error,
                "field_errors": r.field_errors,
            })
            .to_string(),
        );
        *out_result_json = owned_string(&json)?;
        Ok(())
    })
}
