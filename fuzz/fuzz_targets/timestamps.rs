//! RFC 3339 (B2BINPAY expiry), IMF-fixdate and Retry-After.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Some(t) = b2c_core::timeutil::parse_rfc3339(s) {
        let _ = b2c_core::timeutil::format_rfc3339_micros(t);
    }
    let _ = b2c_core::timeutil::parse_http_date(s);
    let _ = b2c_core::http::parse_retry_after(s);
});
