//! The sandbox's own primitives, written from the vendor documentation and the RFCs, never
//! borrowed from the client library it checks: HMAC-SHA256 and SHA-256 (the `hmac` and
//! `sha2` crates used directly), lowercase hex, constant-time comparison, RFC 3339
//! timestamps with microseconds, and `application/x-www-form-urlencoded` encoding and
//! parsing. Each is checked against fixed vectors computed with other tools (openssl, PHP,
//! Python) in the tests at the bottom.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// HMAC-SHA256 of the concatenation of `parts`, keyed with `key`.
pub fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    // HMAC accepts keys of any length; new_from_slice never fails for it.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

/// SHA-256 of the concatenation of `parts`.
pub fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// Lowercase hex.
pub fn hex_lower(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(HEX[(b >> 4) as usize] as char);
        s.push(HEX[(b & 15) as usize] as char);
    }
    s
}

/// Equality in time independent of where the inputs differ (lengths are not secret).
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// Seconds since the Unix epoch, now.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs()
}

/// `YYYY-MM-DDTHH:MM:SS.ffffffZ` (RFC 3339, UTC, microseconds), as B2BINPAY writes its
/// `*_expired_at` and `meta.time` fields.
pub fn rfc3339_micros(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    rfc3339_micros_parts(d.as_secs(), d.subsec_micros())
}

/// [`rfc3339_micros`] from seconds since the epoch and microseconds.
pub fn rfc3339_micros_parts(secs: u64, micros: u32) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{micros:06}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

/// Proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Percent-encode one form component (WHATWG urlencoded: `*-._` and alphanumerics stay,
/// space becomes `+`, everything else `%XX`).
pub fn form_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `k=v&k=v` of `pairs`, each side encoded with [`form_component`].
pub fn form_encode(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", form_component(k), form_component(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Parse `application/x-www-form-urlencoded` bytes (also a query string): pairs in order,
/// `+` is a space, `%XX` decoded. A malformed escape or a value that is not UTF-8 is an
/// error (the sandbox refuses what it cannot read instead of guessing).
pub fn form_parse(body: &[u8]) -> Result<Vec<(String, String)>, String> {
    body.split(|&b| b == b'&')
        .filter(|seg| !seg.is_empty())
        .map(|seg| {
            let (k, v) = match seg.iter().position(|&b| b == b'=') {
                Some(i) => (&seg[..i], &seg[i + 1..]),
                None => (seg, &b""[..]),
            };
            Ok((percent_decode(k, true)?, percent_decode(v, true)?))
        })
        .collect()
}

/// Decode `%XX` escapes (and `+` as a space when `plus_is_space`); the result must be UTF-8.
pub fn percent_decode(s: &[u8], plus_is_space: bool) -> Result<String, String> {
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'+' if plus_is_space => out.push(b' '),
            b'%' => match (
                s.get(i + 1).copied().and_then(hex),
                s.get(i + 2).copied().and_then(hex),
            ) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => return Err("malformed %-escape".into()),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| "percent-decoded bytes are not UTF-8".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    // Every expected value below was computed outside Rust (commands in README.md, "Fixed
    // vectors"), never with the b2c library.

    #[test]
    fn hmac_sha256_fixed_vectors() {
        // RFC 4231 test case 2; `printf %s 'what do ya want for nothing?' | openssl dgst -sha256 -hmac Jefe`
        assert_eq!(
            hex_lower(&hmac_sha256(b"Jefe", &[b"what do ya want for nothing?"])),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Split input = one input.
        assert_eq!(
            hmac_sha256(b"Jefe", &[b"what do ya ", b"want for nothing?"]),
            hmac_sha256(b"Jefe", &[b"what do ya want for nothing?"])
        );
        // The webhook vector of docs/PROTOCOLS.md (GitHub's published one).
        assert_eq!(
            hex_lower(&hmac_sha256(
                b"It's a Secret to Everybody",
                &[b"Hello, World!"]
            )),
            "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        );
        // RetailCRM: php -r 'echo hash_hmac("sha256", "retail-api-key-abc", "module-secret-def");'
        assert_eq!(
            hex_lower(&hmac_sha256(b"module-secret-def", &[b"retail-api-key-abc"])),
            "f6269eeb9d46f0b52449a3139e27481894ead8d2156f7349cb4a21c1a68566df"
        );
    }

    #[test]
    fn sha256_fixed_vector() {
        // python3 -c 'import hashlib; print(hashlib.sha256(b"sandbox-loginsandbox-password").hexdigest())'
        assert_eq!(
            hex_lower(&sha256(&[b"sandbox-login", b"sandbox-password"])),
            "64cb07237c1cd8c89cae74483eed09e0bc7fe5989ff8a4d2c713d624dc2d9b82"
        );
        // FIPS 180-2 "abc".
        assert_eq!(
            hex_lower(&sha256(&[b"abc"])),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn ct_eq_basics() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"abcd"));
        assert!(ct_eq(b"", b""));
    }

    #[test]
    fn rfc3339_fixed_vectors() {
        // python3: datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        for (secs, micros, want) in [
            (0, 0, "1970-01-01T00:00:00.000000Z"),
            (1_609_219_631, 925_654, "2020-12-29T05:27:11.925654Z"),
            (951_782_400, 1, "2000-02-29T00:00:00.000001Z"),
            (4_102_444_799, 999_999, "2099-12-31T23:59:59.999999Z"),
            (1_709_210_096, 0, "2024-02-29T12:34:56.000000Z"),
        ] {
            assert_eq!(rfc3339_micros_parts(secs, micros), want);
        }
        let t = UNIX_EPOCH + Duration::new(1_609_219_631, 925_654_321);
        assert_eq!(rfc3339_micros(t), "2020-12-29T05:27:11.925654Z");
    }

    #[test]
    fn form_encode_and_parse() {
        let s = form_encode(&[
            ("register[apiKey]", "a b&c=d/é"),
            ("integrationModule", "{\"x\":1}"),
        ]);
        assert_eq!(
            s,
            "register%5BapiKey%5D=a+b%26c%3Dd%2F%C3%A9&integrationModule=%7B%22x%22%3A1%7D"
        );
        assert_eq!(
            form_parse(s.as_bytes()).unwrap(),
            vec![
                ("register[apiKey]".to_string(), "a b&c=d/é".to_string()),
                ("integrationModule".to_string(), "{\"x\":1}".to_string()),
            ]
        );
        // What other encoders send: lowercase hex, %20, raw brackets, empty values.
        assert_eq!(
            form_parse(b"a%5b0%5d=x%20y&b=&c&&d=1+1").unwrap(),
            vec![
                ("a[0]".to_string(), "x y".to_string()),
                ("b".to_string(), String::new()),
                ("c".to_string(), String::new()),
                ("d".to_string(), "1 1".to_string()),
            ]
        );
        assert!(form_parse(b"a=%4").is_err());
        assert!(form_parse(b"a=%zz").is_err());
        assert!(form_parse(b"a=%ff").is_err(), "not UTF-8");
        assert_eq!(percent_decode(b"a+b%2B", false).unwrap(), "a+b+");
    }
}
