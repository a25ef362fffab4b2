//! Logs and statistics: the log callback (process-wide and per handle), the stderr switch,
//! and the statistics of each handle as JSON.

use std::ffi::{c_char, c_void, CString};
use std::sync::Arc;

use super::error::b2c_error;
use super::guard::*;
use super::status::b2c_status;
use b2c_core::telemetry::{self, Level, LogSink, Record, Telemetry};

/// Severity of a log event (`b2c_log_params.level`, and the `max_level` of the
/// `*_set_log_callback` functions, which deliver that level and every more severe one).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum b2c_log_level {
    /// Reserved for failures of the library itself; nothing is logged at this level yet
    /// (a failed call is reported to its caller, and logged at warn).
    B2C_LOG_ERROR = 1,
    /// Something an operator should look at: a deadline that ran out, a suspicious
    /// B2BINPAY refresh, a final 401, a call that failed.
    B2C_LOG_WARN = 2,
    /// Each token exchange (auth, refresh, re-auth, with the reason), each retry (cause,
    /// attempt, backoff), each 401 on the way to a renewed token.
    B2C_LOG_INFO = 3,
    /// Each HTTP exchange (method, host, path without query, status, duration), each new
    /// connection, name resolution and TLS resumption.
    B2C_LOG_DEBUG = 4,
    /// Reserved for more detail; nothing is logged at this level yet.
    B2C_LOG_TRACE = 5,
}

/// One log event, passed by pointer to a `b2c_log_callback`. Valid only during the call:
/// copy what you keep. Fields are only ever appended: read a field only if its offset lies
/// within `struct_size`.
#[repr(C)]
pub struct b2c_log_params {
    /// `sizeof(b2c_log_params)` in the library that made the call.
    pub struct_size: usize,
    /// A `b2c_log_level` value.
    pub level: i32,
    /// NUL-terminated: the part of the library (`b2copy`, `b2binpay`, `retailcrm`, `http`,
    /// `dns`).
    pub target: *const c_char,
    /// NUL-terminated stable event name: `auth`, `refresh`, `reauth`, `unauthorized`,
    /// `suspicious_refresh`, `retry`, `deadline`, `still_pending`, `call_failed`,
    /// `request`, `request_failed`, `connect`, `tls_resumed`, `dns`. Match on this, not
    /// on the message's wording.
    pub event: *const c_char,
    /// NUL-terminated UTF-8 message for people, with every secret already redacted (keys,
    /// tokens, passwords, API keys, URL userinfo).
    pub message: *const c_char,
    /// `strlen(message)`.
    pub message_len: usize,
}

/// A log callback. Called on the thread that made the library call, possibly from several
/// threads at once when a handle is shared; `userdata` is passed through untouched. It must
/// not call b2c functions on the handle that is logging (other than `b2c_*_stats`), nor
/// unwind or longjmp out.
pub type b2c_log_callback =
    Option<unsafe extern "C" fn(userdata: *mut c_void, params: *const b2c_log_params)>;

struct CallbackSink {
    cb: unsafe extern "C" fn(*mut c_void, *const b2c_log_params),
    userdata: usize,
}

fn c_text(s: &str) -> CString {
    CString::new(s.replace('\0', "\u{fffd}")).unwrap_or_default()
}

impl LogSink for CallbackSink {
    fn log(&self, r: &Record<'_>) {
        let target = c_text(r.target);
        let event = c_text(r.event);
        let message = c_text(r.message);
        let params = b2c_log_params {
            struct_size: std::mem::size_of::<b2c_log_params>(),
            level: r.level as i32,
            target: target.as_ptr(),
            event: event.as_ptr(),
            message: message.as_ptr(),
            message_len: message.as_bytes().len(),
        };
        // SAFETY: the host promised a callable function; the pointers live until it returns.
        unsafe { (self.cb)(self.userdata as *mut c_void, &params) };
    }
}

fn level_arg(max_level: i32) -> Result<Level, Fail> {
    u8::try_from(max_level)
        .ok()
        .and_then(Level::from_u8)
        .ok_or_else(|| {
            Fail(
                b2c_status::B2C_INVALID_ARGUMENT,
                format!("max_level {max_level} is not a b2c_log_level (1 error .. 5 trace)"),
                0,
            )
        })
}

fn sink(cb: b2c_log_callback, userdata: *mut c_void) -> Option<Arc<dyn LogSink>> {
    cb.map(|cb| {
        Arc::new(CallbackSink {
            cb,
            userdata: userdata as usize,
        }) as Arc<dyn LogSink>
    })
}

/// Install the process-wide log callback: it receives the events of every handle (existing
/// and future) that has no callback of its own, up to `max_level` (a `b2c_log_level`).
/// `callback == NULL` removes it (`max_level` is then ignored). While a callback receives
/// an event, nothing is written to stderr for it.
#[no_mangle]
pub unsafe extern "C" fn b2c_set_log_callback(
    callback: b2c_log_callback,
    userdata: *mut c_void,
    max_level: i32,
    err: *mut *mut b2c_error,
) -> b2c_status {
    guard(err, || {
        let level = if callback.is_some() {
            level_arg(max_level)?
        } else {
            Level::Error
        };
        telemetry::set_global_sink(sink(callback, userdata), level);
        Ok(())
    })
}

/// The one stderr line for events that must never go unseen (a suspicious B2BINPAY
/// refresh), written only when no log callback would receive the event: on (non-zero,
/// the default) or off (0). Process-wide.
#[no_mangle]
pub extern "C" fn b2c_set_log_stderr(on: i32) {
    telemetry::set_stderr_fallback(on != 0);
}

/// Install a handle's own callback (see `b2c_client_set_log_callback`).
pub(crate) unsafe fn set_handle_callback(
    tel: &Telemetry,
    callback: b2c_log_callback,
    userdata: *mut c_void,
    max_level: i32,
) -> Result<(), Fail> {
    let level = if callback.is_some() {
        level_arg(max_level)?
    } else {
        Level::Error
    };
    tel.set_sink(sink(callback, userdata), level);
    Ok(())
}

/// A handle's statistics as a JSON string (freed with `b2c_string_free`).
pub(crate) fn stats_json(tel: &Telemetry, out_json: *mut *mut c_char) -> Result<(), Fail> {
    out_arg(out_json, "out_json")?;
    let json = tel.stats.to_json().to_string();
    // SAFETY: checked non-NULL above.
    unsafe { *out_json = owned_string(&json)? };
    Ok(())
}
