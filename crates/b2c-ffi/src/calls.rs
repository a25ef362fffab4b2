//! What the generic calls of every handle share at the boundary: their options and how an
//! answer is handed out.

use std::ffi::{c_char, CString};

use super::guard::*;
use super::status::b2c_status;
use b2c_core::calls::CallResponse;

/// Options of the `*_call_with` functions. Zero-initialise it, set `struct_size` to
/// `sizeof(b2c_call_options)` (fields are only ever appended) and the fields you need; 0 in
/// a field means its default. A NULL options pointer means every default.
#[repr(C)]
pub struct b2c_call_options {
    pub struct_size: usize,
    /// 0: the method's default (GET, PUT, DELETE idempotent; POST, PATCH not); 1:
    /// idempotent (retried on transport failures, 5xx and 429 within the deadline); 2: not
    /// idempotent (sent again only when the connection could not be made).
    pub idempotent: i32,
    /// CRM Open API only: 0 the handle's `raw_body` setting (default: the JSON normal
    /// form); 1 raw: the bytes sent and signed untouched; 2 the JSON normal form.
    pub raw_body: i32,
}

/// The arguments every `*_call_with` function takes, checked and converted.
pub(crate) struct CallArgs<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub body: &'a [u8],
    /// The `idempotent` override.
    pub idempotent: Option<bool>,
    /// The `raw_body` override (CRM Open API only).
    pub raw_body: Option<bool>,
}

/// Check and convert the arguments of a `*_call_with` function (`out_body` must not be
/// NULL; `out_http_status` may be).
pub(crate) unsafe fn call_args<'a>(
    method: *const c_char,
    path: *const c_char,
    body: *const c_char,
    body_len: usize,
    options: *const b2c_call_options,
    out_body: *mut *mut c_char,
) -> Result<CallArgs<'a>, Fail> {
    let method = str_arg(method, "method")?;
    let path = str_arg(path, "path")?;
    let body = bytes_arg(body.cast(), body_len, "body")?;
    out_arg(out_body, "out_body")?;
    let (idempotent, raw_body) = options_arg(options)?;
    Ok(CallArgs {
        method,
        path,
        body,
        idempotent,
        raw_body,
    })
}

/// The options as the core takes them: (idempotent, raw_body) overrides.
unsafe fn options_arg(opts: *const b2c_call_options) -> Result<(Option<bool>, Option<bool>), Fail> {
    let Some(o) = opts.as_ref() else {
        return Ok((None, None));
    };
    let bad = |m: String| Fail(b2c_status::B2C_INVALID_ARGUMENT, m, 0);
    if o.struct_size < std::mem::size_of::<b2c_call_options>() {
        return Err(bad(format!(
            "options: struct_size is {}, set it to sizeof(b2c_call_options) ({})",
            o.struct_size,
            std::mem::size_of::<b2c_call_options>()
        )));
    }
    let tri = |v: i32, name: &str| match v {
        0 => Ok(None),
        1 => Ok(Some(true)),
        2 => Ok(Some(false)),
        v => Err(bad(format!(
            "options: {name} is {v}; use 0 (default), 1 or 2"
        ))),
    };
    Ok((
        tri(o.idempotent, "idempotent")?,
        tri(o.raw_body, "raw_body")?,
    ))
}

/// Hand out an answer: the HTTP status (`out_http_status` may be NULL) and the body as a
/// NUL-terminated string freed with `b2c_string_free`. A body holding a NUL byte is
/// B2C_PROTOCOL (these APIs answer JSON).
pub(crate) unsafe fn write_answer(
    resp: CallResponse,
    out_http_status: *mut i32,
    out_body: *mut *mut c_char,
) -> Result<(), Fail> {
    let status = resp.status;
    let body = CString::new(resp.body).map_err(|_| {
        Fail(
            b2c_status::B2C_PROTOCOL,
            format!("the answer (HTTP {status}) has a NUL byte in its body"),
            status,
        )
    })?;
    *out_body = body.into_raw();
    if !out_http_status.is_null() {
        *out_http_status = i32::from(status);
    }
    Ok(())
}
