//! The CRM Open API's JSON normal form (what `b2c_crm_call` sends): never a panic; what it
//! produces is JSON, and normalising it again changes nothing.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(out) = b2c_core::json_normal::normalize(data) {
        assert!(serde_json::from_slice::<serde_json::Value>(&out).is_ok() || out.windows(2).any(|w| w == b"\\u"));
        let again = b2c_core::json_normal::normalize(&out).expect("the normal form normalises");
        assert_eq!(again, out, "the normal form is a fixed point");
    }
});
