//! Keys, JWT minting and payload signing.

use std::ffi::c_char;
use std::time::Duration;

use super::error::b2c_error;
use super::guard::*;
use super::status::b2c_status;
use b2c_core::b2copy::{mint_external_token, ExternalTokenParams};
use b2c_core::keys::PrivateKey;
use b2c_core::signature::{sign_payload_into, SIGNATURE_LEN};

/// A loaded P-256 private key. Immutable once created: safe to share between threads.
/// Its memory is cleansed when freed.
pub struct b2c_key {
    key: PrivateKey,
}

/// Generate a new P-256 key pair. Free `*out` with `b2c_key_free`.
#[no_mangle]
pub unsafe extern "C" fn b2c_key_generate(
    out: *mut *mut b2c_key,
    err: *mut *mut b2c_error,
) -> b2c_status {
    guard(err, || {
        out_arg(out, "out")?;
        let key = PrivateKey::generate()?;
        *out = Box::into_raw(Box::new(b2c_key { key }));
        Ok(())
    })
}

/// Load a PKCS#8 (`BEGIN PRIVATE KEY`) or SEC1 (`BEGIN EC PRIVATE KEY`) PEM of `pem_len`
/// bytes. Errors: B2C_KEY_INVALID, B2C_KEY_UNSUPPORTED_CURVE, B2C_KEY_UNSUPPORTED_TYPE,
/// B2C_KEY_ENCRYPTED.
#[no_mangle]
pub unsafe extern "C" fn b2c_key_from_pem(
    pem: *const c_char,
    pem_len: usize,
    out: *mut *mut b2c_key,
    err: *mut *mut b2c_error,
) -> b2c_status {
    guard(err, || {
        let bytes = bytes_arg(pem.cast(), pem_len, "pem")?;
        out_arg(out, "out")?;
        let text = std::str::from_utf8(bytes).map_err(|_| {
            Fail(
                b2c_status::B2C_KEY_INVALID,
                "PEM is not UTF-8 text".into(),
                0,
            )
        })?;
        let key = PrivateKey::from_pem(text)?;
        *out = Box::into_raw(Box::new(b2c_key { key }));
        Ok(())
    })
}

/// Load a private key PEM file.
#[no_mangle]
pub unsafe extern "C" fn b2c_key_from_file(
    path: *const c_char,
    out: *mut *mut b2c_key,
    err: *mut *mut b2c_error,
) -> b2c_status {
    guard(err, || {
        let path = str_arg(path, "path")?;
        out_arg(out, "out")?;
        let key = PrivateKey::from_pem_file(std::path::Path::new(path))?;
        *out = Box::into_raw(Box::new(b2c_key { key }));
        Ok(())
    })
}

/// The private key as PKCS#8 PEM. Free `*out` with `b2c_string_free` (which zeroes it).
#[no_mangle]
pub unsafe extern "C" fn b2c_key_private_pem(
    key: *const b2c_key,
    out: *mut *mut c_char,
    err: *mut *mut b2c_error,
) -> b2c_status {
    guard(err, || {
        let key = ref_arg(key, "key")?;
        out_arg(out, "out")?;
        let pem = key.key.to_pkcs8_pem()?;
        *out = owned_string(&pem)?;
        Ok(())
    })
}

/// The public key as SPKI PEM (`BEGIN PUBLIC KEY`), the form B2COPY support registers.
/// Free `*out` with `b2c_string_free`.
#[no_mangle]
pub unsafe extern "C" fn b2c_key_public_pem(
    key: *const b2c_key,
    out: *mut *mut c_char,
    err: *mut *mut b2c_error,
) -> b2c_status {
    guard(err, || {
        let key = ref_arg(key, "key")?;
        out_arg(out, "out")?;
        let pem = key.key.public_key_pem()?;
        *out = owned_string(&pem)?;
        Ok(())
    })
}

/// Free a key (its memory is cleansed). NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn b2c_key_free(key: *mut b2c_key) {
    if !key.is_null() {
        drop(Box::from_raw(key));
    }
}

/// Mint a B2COPY external token: ES256 JWS with claims admin_id (number), device_ip,
/// key_id, iss, iat, exp = iat + ttl_s. `issuer` may be NULL (then "b2c"); `ttl_s` 0 means
/// the default 300 s; `kid_header` non-zero adds `kid` = key_id to the header.
/// Free `*out_jwt` with `b2c_string_free`.
#[no_mangle]
pub unsafe extern "C" fn b2c_jwt_mint(
    key: *const b2c_key,
    admin_id: u64,
    device_ip: *const c_char,
    key_id: *const c_char,
    issuer: *const c_char,
    ttl_s: u32,
    kid_header: i32,
    out_jwt: *mut *mut c_char,
    err: *mut *mut b2c_error,
) -> b2c_status {
    guard(err, || {
        let key = ref_arg(key, "key")?;
        let params = ExternalTokenParams {
            admin_id,
            device_ip: str_arg(device_ip, "device_ip")?.to_string(),
            key_id: str_arg(key_id, "key_id")?.to_string(),
            issuer: opt_str_arg(issuer, "issuer")?.unwrap_or("b2c").to_string(),
            ttl: Duration::from_secs(if ttl_s == 0 { 300 } else { ttl_s as u64 }),
            kid_header: kid_header != 0,
        };
        out_arg(out_jwt, "out_jwt")?;
        let jwt = mint_external_token(&key.key, &params, b2c_core::timeutil::unix_now())?;
        *out_jwt = owned_string(&jwt)?;
        Ok(())
    })
}

/// Write `sha256=<64 lowercase hex HMAC-SHA256(key, payload)>` and a NUL into `out`
/// (72 bytes). `payload` may be NULL only when `payload_len` is 0; an empty key is
/// B2C_INVALID_ARGUMENT (a signature under an empty key authenticates nothing).
/// Returns B2C_BUFFER_TOO_SMALL without writing anything when `out_len < 72`.
#[no_mangle]
pub unsafe extern "C" fn b2c_sign_payload(
    key: *const u8,
    key_len: usize,
    payload: *const u8,
    payload_len: usize,
    out: *mut c_char,
    out_len: usize,
) -> b2c_status {
    guard(std::ptr::null_mut(), || {
        let key = bytes_arg(key, key_len, "key")?;
        let payload = bytes_arg(payload, payload_len, "payload")?;
        out_arg(out, "out")?;
        if key.is_empty() {
            return Err(Fail(
                b2c_status::B2C_INVALID_ARGUMENT,
                "the key is empty".into(),
                0,
            ));
        }
        if out_len < SIGNATURE_LEN + 1 {
            return Err(Fail(b2c_status::B2C_BUFFER_TOO_SMALL, String::new(), 0));
        }
        let mut buf = [0u8; SIGNATURE_LEN];
        sign_payload_into(key, payload, &mut buf);
        let dst = std::slice::from_raw_parts_mut(out.cast::<u8>(), SIGNATURE_LEN + 1);
        dst[..SIGNATURE_LEN].copy_from_slice(&buf);
        dst[SIGNATURE_LEN] = 0;
        Ok(())
    })
}
