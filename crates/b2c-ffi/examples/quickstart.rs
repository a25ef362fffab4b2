//! Quickstart: the whole B2COPY flow through the C ABI against the embedded sandbox.
//!
//!     cargo run --release --example quickstart
//!
//! Every b2c call below goes through the `extern "C"` functions a PHP, Java, C# or Python
//! CRM calls (`b2c_key_generate`, `b2c_client_new`, `b2c_authenticate`, `b2c_fee_process`,
//! ...), exactly as declared in include/b2c.h. Only starting the sandbox and registering the
//! key (what B2COPY support does for you) use the Rust API.

use std::ffi::{c_char, c_void, CStr, CString};
use std::ptr;
use std::time::Duration;

use b2c::*;
use b2c_sandbox::{RegisteredKey, Sandbox, SandboxConfig};

fn check(step: &str, status: b2c_status, err: *mut b2c_error) {
    if status != b2c_status::B2C_OK {
        let msg = unsafe { CStr::from_ptr(b2c_error_message(err)) }
            .to_string_lossy()
            .into_owned();
        eprintln!("{step} failed: {status:?}: {msg}");
        unsafe { b2c_error_free(err) };
        std::process::exit(1);
    }
}

fn take_string(s: *mut c_char) -> String {
    let out = unsafe { CStr::from_ptr(s) }.to_string_lossy().into_owned();
    unsafe { b2c_string_free(s) };
    out
}

fn status_name(s: i32) -> &'static str {
    match s {
        1 => "PENDING",
        2 => "SUCCESS",
        3 => "ERROR",
        _ => "?",
    }
}

unsafe extern "C" fn on_progress(
    userdata: *mut c_void,
    fee_status: i32,
    attempt: u32,
    elapsed_ms: u64,
) -> i32 {
    let label = &*(userdata as *const &str);
    println!(
        "      {label}: poll {attempt}: {} after {elapsed_ms} ms",
        status_name(fee_status)
    );
    0 // go on
}

fn main() {
    let version = unsafe { CStr::from_ptr(b2c_version()) }.to_string_lossy();
    println!("b2c {version} quickstart: B2COPY fee processing through the C ABI\n");

    // 0. The embedded sandbox plays B2COPY.
    let sandbox = Sandbox::start(SandboxConfig {
        pending_polls: 2,
        ..SandboxConfig::default()
    })
    .expect("start sandbox");
    let base_url = sandbox.base_url();
    println!("[0] sandbox listening on {base_url}");

    // 1. Make a P-256 key pair (b2c_key_generate, b2c_key_public_pem, b2c_key_private_pem).
    let mut err: *mut b2c_error = ptr::null_mut();
    let mut key: *mut b2c_key = ptr::null_mut();
    check(
        "b2c_key_generate",
        unsafe { b2c_key_generate(&mut key, &mut err) },
        err,
    );
    let mut s: *mut c_char = ptr::null_mut();
    check(
        "b2c_key_public_pem",
        unsafe { b2c_key_public_pem(key, &mut s, &mut err) },
        err,
    );
    let public_pem = take_string(s);
    check(
        "b2c_key_private_pem",
        unsafe { b2c_key_private_pem(key, &mut s, &mut err) },
        err,
    );
    let private_pem = take_string(s);
    unsafe { b2c_key_free(key) };
    println!(
        "[1] generated a P-256 key pair; public key:\n{}",
        public_pem.trim_end()
    );

    // 2. Register it, as B2COPY support would: key id, service admin, allowed IPs.
    sandbox
        .register_key(RegisteredKey {
            key_id: "crm-key-1".into(),
            public_key_pem: public_pem,
            admin_id: 42,
            allowed_ips: vec!["127.0.0.1".into()],
        })
        .expect("register key");
    println!("[2] registered key_id crm-key-1 for service admin 42 from 127.0.0.1");

    // 3. A client from a JSON configuration (b2c_client_new).
    let config = serde_json::json!({
        "base_url": base_url,
        "admin_id": 42,
        "device_ip": "127.0.0.1",
        "key_id": "crm-key-1",
        "private_key_pem": private_pem,
        "poll_interval_ms": 200,
    })
    .to_string();
    let config = CString::new(config).unwrap();
    let mut client: *mut b2c_client = ptr::null_mut();
    check(
        "b2c_client_new",
        unsafe { b2c_client_new(config.as_ptr(), &mut client, &mut err) },
        err,
    );
    println!("[3] client created (no network traffic yet)");

    // 4. Authenticate: ES256 external JWT -> access + refresh tokens.
    check(
        "b2c_client_mint_jwt",
        unsafe { b2c_client_mint_jwt(client, &mut s, &mut err) },
        err,
    );
    let jwt = take_string(s);
    println!(
        "[4] minted an external JWT ({} bytes, header.claims.signature)",
        jwt.len()
    );
    check(
        "b2c_authenticate",
        unsafe { b2c_authenticate(client, &mut err) },
        err,
    );
    println!("    authexternalcrm -> access and refresh tokens held by the client");

    // 5. One processext request: PENDING is a normal answer.
    let login = CString::new("123456").unwrap();
    let request_id = CString::new("withdrawal_req_789").unwrap();
    let mut fee_status = 0i32;
    check(
        "b2c_fee_process (one-shot)",
        unsafe {
            b2c_fee_process(
                client,
                login.as_ptr(),
                request_id.as_ptr(),
                0,
                None,
                ptr::null_mut(),
                &mut fee_status,
                &mut err,
            )
        },
        err,
    );
    println!(
        "[5] processext account 123456, request withdrawal_req_789 -> {}",
        status_name(fee_status)
    );

    // 6. Wait for a final status, polling with the same request_id.
    println!("[6] waiting (up to 10 s) for a final status:");
    let label: &str = "withdrawal_req_789";
    check(
        "b2c_fee_process (wait)",
        unsafe {
            b2c_fee_process(
                client,
                login.as_ptr(),
                request_id.as_ptr(),
                10_000,
                Some(on_progress),
                &label as *const &str as *mut c_void,
                &mut fee_status,
                &mut err,
            )
        },
        err,
    );
    println!(
        "[7] final status: {} -- fees charged; the CRM may pay out the withdrawal",
        status_name(fee_status)
    );

    unsafe { b2c_client_free(client) };
    let stats = sandbox.stats();
    println!(
        "\nsandbox saw {} authentication(s), {} processext call(s)",
        stats.auth_ok, stats.process_calls
    );
    sandbox.shutdown();
    std::thread::sleep(Duration::from_millis(10));
}
