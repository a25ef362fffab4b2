//! `cargo bench --bench bench`: ES256 JWT mint and `b2c_sign_payload` (1 KiB) through the
//! C ABI, against OpenSSL measured in the same run (`openssl speed ecdsap256` sign time and
//! `openssl speed -bytes 1024 sha256`). Prints per-operation times and the ratios.
//!
//! Targets (issue #2): mint <= 1.3x OpenSSL's ECDSA P-256 sign; sign_payload <= 1.2x
//! OpenSSL's SHA-256 of 1 KiB.

use std::ffi::{c_char, CString};
use std::hint::black_box;
use std::process::Command;
use std::ptr;
use std::time::Instant;

use b2c::*;

/// Median ns/op over `runs` runs of `iters` iterations.
fn measure(runs: usize, iters: u32, mut f: impl FnMut()) -> f64 {
    for _ in 0..iters / 10 + 1 {
        f(); // warm-up
    }
    let mut samples: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..iters {
                f();
            }
            t.elapsed().as_nanos() as f64 / iters as f64
        })
        .collect();
    samples.sort_by(|a, b| a.partial_cmp(b).unwrap());
    samples[runs / 2]
}

fn openssl(args: &[&str]) -> Option<String> {
    let out = Command::new("openssl").args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// ns per ECDSA P-256 sign from `openssl speed ecdsap256`.
fn openssl_ecdsa_sign_ns() -> Option<f64> {
    let text = openssl(&["speed", "-seconds", "3", "ecdsap256"])?;
    let line = text.lines().find(|l| l.contains("ecdsa (nistp256)"))?;
    let nums: Vec<f64> = line
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    // "256 bits ecdsa (nistp256)   0.0000s   0.0001s  51359.0  16894.8": sign/s is the
    // second-to-last number.
    let sign_per_s = nums.get(nums.len().checked_sub(2)?)?;
    Some(1e9 / sign_per_s)
}

/// ns per SHA-256 of 1024 bytes from `openssl speed -bytes 1024 sha256`.
fn openssl_sha256_1k_ns() -> Option<f64> {
    let text = openssl(&["speed", "-seconds", "3", "-bytes", "1024", "sha256"])?;
    let line = text.lines().rev().find(|l| l.starts_with("sha256"))?;
    let kbps: f64 = line
        .split_whitespace()
        .nth(1)?
        .trim_end_matches('k')
        .parse()
        .ok()?;
    Some(1024.0 / (kbps * 1000.0) * 1e9)
}

fn main() {
    // Keep `cargo bench` arguments (e.g. --bench) from confusing anyone.
    println!("b2c benchmarks (through the C ABI; median of 7 runs)\n");

    let mut key: *mut b2c_key = ptr::null_mut();
    let st = unsafe { b2c_key_generate(&mut key, ptr::null_mut()) };
    assert_eq!(st, b2c_status::B2C_OK);
    let ip = CString::new("203.0.113.10").unwrap();
    let kid = CString::new("crm-key-1").unwrap();
    let iss = CString::new("my-crm").unwrap();
    let mint_ns = measure(7, 5_000, || unsafe {
        let mut jwt: *mut c_char = ptr::null_mut();
        let st = b2c_jwt_mint(
            key,
            42,
            ip.as_ptr(),
            kid.as_ptr(),
            iss.as_ptr(),
            300,
            0,
            &mut jwt,
            ptr::null_mut(),
        );
        debug_assert_eq!(st, b2c_status::B2C_OK);
        b2c_string_free(black_box(jwt));
    });
    unsafe { b2c_key_free(key) };

    let payload = vec![0x5au8; 1024];
    let hkey = b"webhook-or-api-key-0123456789abcdef";
    let mut out = [0 as c_char; 72];
    let sign_ns = measure(7, 200_000, || unsafe {
        b2c_sign_payload(
            hkey.as_ptr(),
            hkey.len(),
            black_box(payload.as_ptr()),
            payload.len(),
            out.as_mut_ptr(),
            out.len(),
        );
        black_box(&out);
    });

    println!(
        "{:<44} {:>10.2} us/op",
        "b2c_jwt_mint (ES256, incl. string free)",
        mint_ns / 1000.0
    );
    println!(
        "{:<44} {:>10.3} us/op",
        "b2c_sign_payload (1 KiB)",
        sign_ns / 1000.0
    );

    match openssl_ecdsa_sign_ns() {
        Some(peer) => println!(
            "{:<44} {:>10.2} us/op   ratio b2c/openssl = {:.2}x (target <= 1.3x)",
            "openssl speed ecdsap256 (sign)",
            peer / 1000.0,
            mint_ns / peer
        ),
        None => println!("openssl speed ecdsap256: openssl not available, no ratio"),
    }
    match openssl_sha256_1k_ns() {
        Some(peer) => println!(
            "{:<44} {:>10.3} us/op   ratio b2c/openssl = {:.2}x (target <= 1.2x)",
            "openssl speed -bytes 1024 sha256",
            peer / 1000.0,
            sign_ns / peer
        ),
        None => println!("openssl speed sha256: openssl not available, no ratio"),
    }
}
