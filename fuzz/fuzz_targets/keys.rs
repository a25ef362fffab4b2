//! Private keys: PEM text, and arbitrary DER inside each PEM label the loader knows.
#![no_main]
use libfuzzer_sys::fuzz_target;

fn pem(label: &str, der: &[u8]) -> String {
    const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in der.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out.push_str(&format!("\n-----END {label}-----\n"));
    out
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = b2c_core::keys::PrivateKey::from_pem(text);
    }
    let Some((&which, der)) = data.split_first() else { return };
    let label = ["PRIVATE KEY", "EC PRIVATE KEY", "EC PARAMETERS", "ENCRYPTED PRIVATE KEY"][which as usize % 4];
    let _ = b2c_core::keys::PrivateKey::from_pem(&pem(label, der));
});
