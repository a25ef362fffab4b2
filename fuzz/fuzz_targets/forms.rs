//! RetailCRM form bodies (the register request the module receives).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = b2c_core::retailcrm::parse_form(data);
    let _ = b2c_core::retailcrm::parse_register_form(data);
});
