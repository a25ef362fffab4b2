use std::ffi::{c_char, CString};

use zeroize::Zeroize;

use super::status::b2c_status;

/// Details of a failure: status, message, HTTP status. Created by the library, freed with
/// `b2c_error_free`. Immutable; may be read from any thread.
pub struct b2c_error {
    status: b2c_status,
    message: CString,
    http_status: u16,
}

pub(crate) unsafe fn set_error(
    err: *mut *mut b2c_error,
    status: b2c_status,
    message: String,
    http_status: u16,
) {
    if err.is_null() {
        return;
    }
    let message = CString::new(message.replace('\0', " ")).unwrap_or_default();
    *err = Box::into_raw(Box::new(b2c_error {
        status,
        message,
        http_status,
    }));
}

/// The status of an error (`B2C_NULL_POINTER` for NULL).
#[no_mangle]
pub unsafe extern "C" fn b2c_error_status(err: *const b2c_error) -> b2c_status {
    match err.as_ref() {
        Some(e) => e.status,
        None => b2c_status::B2C_NULL_POINTER,
    }
}

/// The error message, UTF-8, owned by the error (valid until `b2c_error_free`). "" for NULL.
#[no_mangle]
pub unsafe extern "C" fn b2c_error_message(err: *const b2c_error) -> *const c_char {
    match err.as_ref() {
        Some(e) => e.message.as_ptr(),
        None => c"".as_ptr(),
    }
}

/// The HTTP status involved, or 0 when none (or for NULL).
#[no_mangle]
pub unsafe extern "C" fn b2c_error_http_status(err: *const b2c_error) -> i32 {
    err.as_ref().map_or(0, |e| e.http_status as i32)
}

/// Free an error. NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn b2c_error_free(err: *mut b2c_error) {
    if !err.is_null() {
        drop(Box::from_raw(err));
    }
}

/// Free a string returned by the library (it is zeroed first: it may be a key or a token).
/// NULL is a no-op. Never pass a string the library did not allocate.
#[no_mangle]
pub unsafe extern "C" fn b2c_string_free(s: *mut c_char) {
    if !s.is_null() {
        let mut bytes = CString::from_raw(s).into_bytes();
        bytes.zeroize();
    }
}
