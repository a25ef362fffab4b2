//! Token stores the host provides (Redis, the CRM's database), as C callbacks, and the
//! process-wide registry of shared handles.

use std::ffi::{c_char, c_void, CString};
use std::sync::Arc;
use std::time::Duration;

use super::guard::*;
use super::status::b2c_status;
use b2c_core::error::{Error, ErrorKind, Result};
use b2c_core::store::{StoreLock, TokenStore, MAX_RECORD};
use zeroize::Zeroizing;

/// What a `b2c_token_store` callback returns.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum b2c_store_result {
    /// Done: loaded (`*out_len` bytes written), saved, or locked.
    B2C_STORE_OK = 0,
    /// `load`: nothing is stored under the key.
    B2C_STORE_NOT_FOUND = 1,
    /// `load`: the value is longer than `buf_len` (set `*out_len` to its length). Values are
    /// never longer than 65536 bytes, the size of the buffer b2c passes.
    B2C_STORE_BUFFER_TOO_SMALL = 2,
    /// `lock`: another process held the lock for the whole `timeout_ms`.
    B2C_STORE_LOCK_TIMEOUT = 3,
    /// Any failure of the store itself (b2c logs it and goes on without the store).
    B2C_STORE_ERROR = -1,
}

/// A token store the host provides: four callbacks and their `userdata`. b2c keeps one
/// record per credential under `key` (a NUL-terminated name such as `b2copy-<40 hex>`,
/// derived from the base URL and the account, never from a secret).
///
/// - `load(userdata, key, buf, buf_len, out_len)`: copy the value saved under `key` into
///   `buf` (`buf_len` is 65536) and set `*out_len`; return a `b2c_store_result`.
/// - `save(userdata, key, value, value_len)`: store the bytes under `key`, replacing any
///   previous value atomically (a reader sees the old or the new value).
/// - `lock(userdata, key, timeout_ms, lease_ms)`: take a lock on `key` shared by every
///   process using the store, waiting at most `timeout_ms`; b2c releases it (with `unlock`)
///   within `lease_ms`, so a store whose locks expire (Redis `SET NX PX`) can use `lease_ms`
///   as the expiry: a holder that died must not block the others. Return B2C_STORE_OK,
///   B2C_STORE_LOCK_TIMEOUT or B2C_STORE_ERROR.
/// - `unlock(userdata, key)`: release the lock this process took (only its owner may).
///
/// The values are secrets (they hold the tokens): store them where only the CRM can read
/// them. b2c calls the callbacks on the thread that made the library call, possibly from
/// several threads at once; they must not call b2c functions on the same handle. Every
/// callback is required. `struct_size` is `sizeof(b2c_token_store)` as the caller knows it
/// (fields are only ever appended).
#[repr(C)]
pub struct b2c_token_store {
    pub struct_size: usize,
    pub userdata: *mut c_void,
    pub load: Option<
        unsafe extern "C" fn(
            userdata: *mut c_void,
            key: *const c_char,
            buf: *mut u8,
            buf_len: usize,
            out_len: *mut usize,
        ) -> i32,
    >,
    pub save: Option<
        unsafe extern "C" fn(
            userdata: *mut c_void,
            key: *const c_char,
            value: *const u8,
            value_len: usize,
        ) -> i32,
    >,
    pub lock: Option<
        unsafe extern "C" fn(
            userdata: *mut c_void,
            key: *const c_char,
            timeout_ms: u32,
            lease_ms: u32,
        ) -> i32,
    >,
    pub unlock: Option<unsafe extern "C" fn(userdata: *mut c_void, key: *const c_char)>,
}

type LoadFn = unsafe extern "C" fn(*mut c_void, *const c_char, *mut u8, usize, *mut usize) -> i32;
type SaveFn = unsafe extern "C" fn(*mut c_void, *const c_char, *const u8, usize) -> i32;
type LockFn = unsafe extern "C" fn(*mut c_void, *const c_char, u32, u32) -> i32;
type UnlockFn = unsafe extern "C" fn(*mut c_void, *const c_char);

/// The host's callbacks as a core [`TokenStore`].
struct CallbackStore {
    userdata: usize,
    load: LoadFn,
    save: SaveFn,
    lock: LockFn,
    unlock: UnlockFn,
}

struct CallbackLock {
    unlock: UnlockFn,
    userdata: usize,
    key: CString,
}

impl StoreLock for CallbackLock {}

impl Drop for CallbackLock {
    fn drop(&mut self) {
        // SAFETY: the host's callback, with the userdata it registered and a live key.
        unsafe { (self.unlock)(self.userdata as *mut c_void, self.key.as_ptr()) };
    }
}

fn key_c(key: &str) -> Result<CString> {
    CString::new(key).map_err(|_| Error::invalid_arg("token store: invalid key"))
}

fn failed(what: &str, rc: i32) -> Error {
    Error::new(
        ErrorKind::Io,
        format!("token store callback `{what}` failed (returned {rc})"),
    )
}

fn ms(d: Duration) -> u32 {
    u32::try_from(d.as_millis()).unwrap_or(u32::MAX)
}

impl TokenStore for CallbackStore {
    fn load(&self, key: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
        let k = key_c(key)?;
        let mut buf = Zeroizing::new(vec![0u8; MAX_RECORD]);
        let mut len = 0usize;
        // SAFETY: the host's callback; the buffer is MAX_RECORD bytes, len a live usize.
        let rc = unsafe {
            (self.load)(
                self.userdata as *mut c_void,
                k.as_ptr(),
                buf.as_mut_ptr(),
                buf.len(),
                &mut len,
            )
        };
        match rc {
            0 if len <= buf.len() => {
                buf.truncate(len);
                Ok(Some(buf))
            }
            // Too long to be one of ours: read as an unreadable record (ignored, replaced).
            0 | 2 => Ok(Some(Zeroizing::new(Vec::new()))),
            1 => Ok(None),
            rc => Err(failed("load", rc)),
        }
    }

    fn save(&self, key: &str, record: &[u8]) -> Result<()> {
        let k = key_c(key)?;
        // SAFETY: the host's callback with a live key and value.
        let rc = unsafe {
            (self.save)(
                self.userdata as *mut c_void,
                k.as_ptr(),
                record.as_ptr(),
                record.len(),
            )
        };
        if rc == 0 {
            Ok(())
        } else {
            Err(failed("save", rc))
        }
    }

    fn lock(
        &self,
        key: &str,
        timeout: Duration,
        lease: Duration,
    ) -> Result<Option<Box<dyn StoreLock>>> {
        let k = key_c(key)?;
        // SAFETY: the host's callback with a live key.
        let rc = unsafe {
            (self.lock)(
                self.userdata as *mut c_void,
                k.as_ptr(),
                ms(timeout),
                ms(lease),
            )
        };
        match rc {
            0 => Ok(Some(Box::new(CallbackLock {
                unlock: self.unlock,
                userdata: self.userdata,
                key: k,
            }))),
            3 => Ok(None),
            rc => Err(failed("lock", rc)),
        }
    }

    fn kind(&self) -> &'static str {
        "callbacks"
    }
}

/// Check and copy a `b2c_token_store` (NULL: none).
pub(crate) unsafe fn callback_store(
    store: *const b2c_token_store,
) -> std::result::Result<Option<Arc<dyn TokenStore>>, Fail> {
    let Some(s) = store.as_ref() else {
        return Ok(None);
    };
    let bad = |m: &str| {
        Fail(
            b2c_status::B2C_INVALID_ARGUMENT,
            format!("token store: {m}"),
            0,
        )
    };
    if s.struct_size < std::mem::size_of::<b2c_token_store>() {
        return Err(bad(&format!(
            "struct_size is {}, this library needs {} (set it to sizeof(b2c_token_store))",
            s.struct_size,
            std::mem::size_of::<b2c_token_store>()
        )));
    }
    let (Some(load), Some(save), Some(lock), Some(unlock)) = (s.load, s.save, s.lock, s.unlock)
    else {
        return Err(bad("load, save, lock and unlock are all required"));
    };
    Ok(Some(Arc::new(CallbackStore {
        userdata: s.userdata as usize,
        load,
        save,
        lock,
        unlock,
    })))
}

/// Drop the shared clients and B2BINPAY handles (`b2c_client_shared`,
/// `b2c_b2binpay_shared`) that no handle holds any more; returns how many were dropped.
/// Handles still held are untouched.
#[no_mangle]
pub extern "C" fn b2c_shared_clear() -> usize {
    std::panic::catch_unwind(b2c_core::shared::clear_idle).unwrap_or(0)
}
