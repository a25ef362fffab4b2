//! The configuration JSON of every handle (B2COPY client, B2BINPAY handle, the RetailCRM
//! calls' transport object): any input is an error or a configuration, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else { return };
    let Ok(json) = std::str::from_utf8(rest) else { return };
    match which % 3 {
        0 => {
            let _ = b2c_core::config::client_config_from_json(json);
        }
        1 => {
            let _ = b2c_core::config::b2binpay_config_from_json(json);
        }
        _ => {
            let _ = b2c_core::config::http_config_from_json(Some(json));
        }
    }
});
