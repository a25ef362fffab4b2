//! `cargo bench --bench bench`: ES256 JWT mint and `b2c_sign_payload` (1 KiB) through the
//! C ABI, against OpenSSL measured in the same run, interleaved (`openssl speed -elapsed
//! ecdsap256` sign time and `openssl speed -elapsed -bytes 1024 sha256`; `-elapsed` makes
//! openssl divide by wall time, as the b2c side does, rather than by CPU user time). Prints
//! per-operation medians and the ratios with their min-max over sittings.
//!
//! Targets: mint <= 1.3x OpenSSL's ECDSA P-256 sign; sign_payload <= 1.2x
//! OpenSSL's SHA-256 of 1 KiB.

use std::ffi::{c_char, CString};
use std::hint::black_box;
use std::process::Command;
use std::ptr;
use std::time::Instant;

use b2c::*;

/// ns/op of one run of `iters` iterations of `f`.
fn run_once(iters: u32, f: &mut impl FnMut()) -> f64 {
    let t = Instant::now();
    for _ in 0..iters {
        f();
    }
    t.elapsed().as_nanos() as f64 / iters as f64
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn openssl(args: &[&str]) -> Option<String> {
    let out = Command::new("openssl").args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// ns per ECDSA P-256 sign from `openssl speed ecdsap256`.
fn openssl_ecdsa_sign_ns() -> Option<f64> {
    let text = openssl(&["speed", "-elapsed", "-seconds", "1", "ecdsap256"])?;
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
    let text = openssl(&[
        "speed", "-elapsed", "-seconds", "1", "-bytes", "1024", "sha256",
    ])?;
    let line = text.lines().rev().find(|l| l.starts_with("sha256"))?;
    let kbps: f64 = line
        .split_whitespace()
        .nth(1)?
        .trim_end_matches('k')
        .parse()
        .ok()?;
    Some(1024.0 / (kbps * 1000.0) * 1e9)
}

/// One operation's figures over all sittings.
struct Series {
    b2c: Vec<f64>,
    peer: Vec<f64>,
}

impl Series {
    fn report(&self, name: &str, peer_name: &str, target: f64) {
        let mut b2c = self.b2c.clone();
        println!("{:<44} {:>10.3} us/op", name, median(&mut b2c) / 1000.0);
        if self.peer.len() != self.b2c.len() {
            println!("{peer_name}: openssl not available, no ratio");
            return;
        }
        let mut peer = self.peer.clone();
        let mut ratios: Vec<f64> = self
            .b2c
            .iter()
            .zip(&self.peer)
            .map(|(b, p)| b / p)
            .collect();
        let (lo, hi) = ratios
            .iter()
            .fold((f64::MAX, f64::MIN), |(lo, hi), r| (lo.min(*r), hi.max(*r)));
        let r = median(&mut ratios);
        println!(
            "{:<44} {:>10.3} us/op   ratio b2c/openssl = {:.2}x ({:.2}-{:.2}) (target <= {target}x){}",
            peer_name,
            median(&mut peer) / 1000.0,
            r,
            lo,
            hi,
            if r <= target { "" } else { "  NOT MET" }
        );
    }
}

fn main() {
    const SITTINGS: usize = 11;
    println!(
        "b2c benchmarks (through the C ABI) against openssl speed, interleaved: {SITTINGS} sittings,\n\
         each b2c once and openssl once (alternating which goes first); the median per side and\n\
         the median ratio with its min-max over sittings\n"
    );

    let mut key: *mut b2c_key = ptr::null_mut();
    let st = unsafe { b2c_key_generate(&mut key, ptr::null_mut()) };
    assert_eq!(st, b2c_status::B2C_OK);
    let ip = CString::new("203.0.113.10").unwrap();
    let kid = CString::new("crm-key-1").unwrap();
    let iss = CString::new("my-crm").unwrap();
    let mut mint = || unsafe {
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
    };

    let payload = vec![0x5au8; 1024];
    let hkey = b"webhook-or-api-key-0123456789abcdef";
    let mut out = [0 as c_char; 72];
    let mut sign = || unsafe {
        b2c_sign_payload(
            hkey.as_ptr(),
            hkey.len(),
            black_box(payload.as_ptr()),
            payload.len(),
            out.as_mut_ptr(),
            out.len(),
        );
        black_box(&out);
    };

    // Warm-up: caches, the DRBG, page faults.
    run_once(2_000, &mut mint);
    run_once(50_000, &mut sign);

    let mut mint_s = Series {
        b2c: vec![],
        peer: vec![],
    };
    let mut sign_s = Series {
        b2c: vec![],
        peer: vec![],
    };
    for sitting in 0..SITTINGS {
        let b2c_first = sitting % 2 == 0;
        for turn in 0..2 {
            if (turn == 0) == b2c_first {
                mint_s.b2c.push(run_once(20_000, &mut mint));
                sign_s.b2c.push(run_once(500_000, &mut sign));
            } else {
                if let Some(ns) = openssl_ecdsa_sign_ns() {
                    mint_s.peer.push(ns);
                }
                if let Some(ns) = openssl_sha256_1k_ns() {
                    sign_s.peer.push(ns);
                }
            }
        }
    }
    unsafe { b2c_key_free(key) };

    mint_s.report(
        "b2c_jwt_mint (ES256, incl. string free)",
        "openssl speed ecdsap256 (sign)",
        1.3,
    );
    sign_s.report(
        "b2c_sign_payload (1 KiB)",
        "openssl speed -bytes 1024 sha256",
        1.2,
    );
}
