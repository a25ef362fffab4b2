//! HMAC-SHA256 request signing (`sha256=<hex>`) and constant-time verification, shared by
//! the CRM Open API, B2BINPAY and RetailCRM modules.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// The prefix of a signature header value.
pub const SHA256_PREFIX: &str = "sha256=";
/// Length of `sha256=` + 64 hex digits.
pub const SIGNATURE_LEN: usize = 7 + 64;

/// HMAC-SHA256(key, msg) as raw bytes.
pub fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(msg);
    mac.finalize().into_bytes().into()
}

/// HMAC-SHA256 over the concatenation of several parts (no separator).
pub fn hmac_sha256_parts(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC accepts any key length");
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Lowercase hex of `bytes` into `out` (which must be exactly twice as long).
pub fn hex_into(bytes: &[u8], out: &mut [u8]) {
    debug_assert_eq!(out.len(), bytes.len() * 2);
    for (i, b) in bytes.iter().enumerate() {
        out[2 * i] = HEX[(b >> 4) as usize];
        out[2 * i + 1] = HEX[(b & 0x0f) as usize];
    }
}

/// Lowercase hex string.
pub fn hex_lower(bytes: &[u8]) -> String {
    let mut out = vec![0u8; bytes.len() * 2];
    hex_into(bytes, &mut out);
    String::from_utf8(out).expect("hex is ASCII")
}

/// Write `sha256=<64 lowercase hex of HMAC-SHA256(key, payload)>` (71 bytes, no NUL).
pub fn sign_payload_into(key: &[u8], payload: &[u8], out: &mut [u8; SIGNATURE_LEN]) {
    let mac = hmac_sha256(key, payload);
    out[..7].copy_from_slice(SHA256_PREFIX.as_bytes());
    hex_into(&mac, &mut out[7..]);
}

/// `sha256=<64 lowercase hex of HMAC-SHA256(key, payload)>`.
pub fn sign_payload(key: &[u8], payload: &[u8]) -> String {
    let mut out = [0u8; SIGNATURE_LEN];
    sign_payload_into(key, payload, &mut out);
    String::from_utf8(out.to_vec()).expect("ASCII")
}

/// Constant-time check that `presented` is the lowercase or uppercase hex HMAC-SHA256 of
/// `msg` under `key`. With `prefix_optional`, a leading `sha256=` is accepted and stripped;
/// otherwise the value must carry it exactly.
pub fn verify_hex_mac(key: &[u8], msg: &[u8], presented: &str, prefix: PrefixRule) -> bool {
    let presented = presented.trim();
    let hex = match (prefix, presented.strip_prefix(SHA256_PREFIX)) {
        (PrefixRule::Required, Some(h)) => h,
        (PrefixRule::Required, None) => return false,
        (PrefixRule::Optional, Some(h)) => h,
        (PrefixRule::Optional, None) => presented,
        (PrefixRule::Absent, _) => presented,
    };
    let Some(given) = decode_hex32(hex) else {
        return false;
    };
    let expected = hmac_sha256(key, msg);
    bool::from(expected.ct_eq(&given))
}

/// Whether a presented signature carries the `sha256=` prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrefixRule {
    /// Must be `sha256=<hex>`.
    Required,
    /// `sha256=<hex>` or bare `<hex>`.
    Optional,
    /// Bare `<hex>` only.
    Absent,
}

/// Decode 64 hex digits (either case) into 32 bytes; `None` for any other input. Runs in
/// time independent of the digit values.
pub fn decode_hex32(hex: &str) -> Option<[u8; 32]> {
    let h = hex.as_bytes();
    if h.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    let mut bad = 0u8;
    for i in 0..32 {
        let (hi, e1) = nibble(h[2 * i]);
        let (lo, e2) = nibble(h[2 * i + 1]);
        bad |= e1 | e2;
        out[i] = (hi << 4) | lo;
    }
    (bad == 0).then_some(out)
}

fn nibble(c: u8) -> (u8, u8) {
    match c {
        b'0'..=b'9' => (c - b'0', 0),
        b'a'..=b'f' => (c - b'a' + 10, 0),
        b'A'..=b'F' => (c - b'A' + 10, 0),
        _ => (0, 1),
    }
}

/// Constant-time equality of two byte strings (length is not secret).
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    // RFC 4231 test cases 1-4, 6, 7 (case 5 is truncated output).
    #[test]
    fn rfc4231_vectors() {
        let cases: &[(Vec<u8>, Vec<u8>, &str)] = &[
            (vec![0x0b; 20], b"Hi There".to_vec(),
             "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
            (b"Jefe".to_vec(), b"what do ya want for nothing?".to_vec(),
             "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
            (vec![0xaa; 20], vec![0xdd; 50],
             "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
            (unhex("0102030405060708090a0b0c0d0e0f10111213141516171819"), vec![0xcd; 50],
             "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
            (vec![0xaa; 131], b"Test Using Larger Than Block-Size Key - Hash Key First".to_vec(),
             "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
            (vec![0xaa; 131], b"This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.".to_vec(),
             "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
        ];
        for (key, data, want) in cases {
            assert_eq!(hex_lower(&hmac_sha256(key, data)), *want);
            assert_eq!(sign_payload(key, data), format!("sha256={want}"));
            assert!(verify_hex_mac(
                key,
                data,
                &format!("sha256={want}"),
                PrefixRule::Required
            ));
            assert!(verify_hex_mac(key, data, want, PrefixRule::Optional));
            assert!(!verify_hex_mac(key, data, want, PrefixRule::Required));
        }
    }

    #[test]
    fn vendor_webhook_vector() {
        let want = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        assert_eq!(
            hex_lower(&hmac_sha256(
                b"It's a Secret to Everybody",
                b"Hello, World!"
            )),
            want
        );
        assert!(verify_hex_mac(
            b"It's a Secret to Everybody",
            b"Hello, World!",
            &want.to_uppercase(),
            PrefixRule::Absent
        ));
        let mut tampered = want.to_string();
        tampered.replace_range(0..1, "8");
        assert!(!verify_hex_mac(
            b"It's a Secret to Everybody",
            b"Hello, World!",
            &tampered,
            PrefixRule::Optional
        ));
        assert!(!verify_hex_mac(b"k", b"m", "zz", PrefixRule::Optional));
        assert!(!verify_hex_mac(b"k", b"m", "", PrefixRule::Optional));
    }
}
