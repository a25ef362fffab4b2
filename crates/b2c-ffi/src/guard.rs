//! The panic boundary and pointer helpers.

use std::ffi::{c_char, CStr};

use super::error::{b2c_error, set_error};
use super::status::b2c_status;

/// Failure inside an exported function: a status and a message.
pub(crate) struct Fail(pub b2c_status, pub String, pub u16);

impl From<b2c_core::Error> for Fail {
    fn from(e: b2c_core::Error) -> Self {
        Fail(
            e.kind().into(),
            e.message().to_string(),
            e.http_status().unwrap_or(0),
        )
    }
}

pub(crate) fn null(name: &str) -> Fail {
    Fail(
        b2c_status::B2C_NULL_POINTER,
        format!("argument `{name}` is NULL"),
        0,
    )
}

/// Run `body`, catching panics; report failures through `err`.
pub(crate) fn guard(
    err: *mut *mut b2c_error,
    body: impl FnOnce() -> Result<(), Fail>,
) -> b2c_status {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)) {
        Ok(Ok(())) => b2c_status::B2C_OK,
        Ok(Err(Fail(status, msg, http))) => {
            unsafe { set_error(err, status, msg, http) };
            status
        }
        Err(_) => {
            unsafe {
                set_error(
                    err,
                    b2c_status::B2C_PANIC,
                    "internal panic caught at the C boundary (a bug in b2c)".into(),
                    0,
                )
            };
            b2c_status::B2C_PANIC
        }
    }
}

/// Borrow a NUL-terminated UTF-8 string argument.
pub(crate) unsafe fn str_arg<'a>(p: *const c_char, name: &str) -> Result<&'a str, Fail> {
    if p.is_null() {
        return Err(null(name));
    }
    CStr::from_ptr(p).to_str().map_err(|_| {
        Fail(
            b2c_status::B2C_INVALID_UTF8,
            format!("argument `{name}` is not valid UTF-8"),
            0,
        )
    })
}

/// Borrow an optional string (NULL = None).
pub(crate) unsafe fn opt_str_arg<'a>(
    p: *const c_char,
    name: &str,
) -> Result<Option<&'a str>, Fail> {
    if p.is_null() {
        Ok(None)
    } else {
        str_arg(p, name).map(Some)
    }
}

/// Borrow `ptr + len` bytes; NULL is allowed only with `len == 0`.
pub(crate) unsafe fn bytes_arg<'a>(p: *const u8, len: usize, name: &str) -> Result<&'a [u8], Fail> {
    if p.is_null() {
        if len == 0 {
            return Ok(&[]);
        }
        return Err(null(name));
    }
    Ok(std::slice::from_raw_parts(p, len))
}

/// Borrow a handle.
pub(crate) unsafe fn ref_arg<'a, T>(p: *const T, name: &str) -> Result<&'a T, Fail> {
    p.as_ref().ok_or_else(|| null(name))
}

/// Check an output pointer.
pub(crate) fn out_arg<T>(p: *mut T, name: &str) -> Result<(), Fail> {
    if p.is_null() {
        Err(null(name))
    } else {
        Ok(())
    }
}

/// Hand a library-owned string to C (freed by `b2c_string_free`).
pub(crate) fn owned_string(s: &str) -> Result<*mut c_char, Fail> {
    std::ffi::CString::new(s)
        .map(|c| c.into_raw())
        .map_err(|_| Fail(b2c_status::B2C_PROTOCOL, "string contains NUL".into(), 0))
}
