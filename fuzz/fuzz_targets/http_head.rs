//! The transport's response-head parser.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = b2c_core::http::parse_response_head(data);
    // As the transport sees it: terminated by an empty line.
    let mut v = data.to_vec();
    v.extend_from_slice(b"\r\n\r\n");
    let _ = b2c_core::http::parse_response_head(&v);
});
