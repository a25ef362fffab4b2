//! Every response body the clients read: B2COPY token pairs, fee answers and gRPC-gateway
//! error bodies; B2BINPAY token and refresh answers and JSON:API errors; RetailCRM answers.
#![no_main]
use libfuzzer_sys::fuzz_target;

use b2c_core::{b2binpay, b2copy, http, retailcrm};

fuzz_target!(|data: &[u8]| {
    let _ = http::ErrorBody::parse(data).to_string();
    if let Ok(pair) = serde_json::from_slice::<b2copy::wire::TokenPair>(data) {
        let _ = format!("{pair:?}");
    }
    if let Ok(fee) = serde_json::from_slice::<b2copy::wire::FeeResponse>(data) {
        let _ = fee.status_code();
    }
    let _ = b2binpay::parse_api_errors(data);
    if let Ok(t) = serde_json::from_slice::<b2binpay::wire::TokenResponse>(data) {
        let _ = b2c_core::timeutil::parse_rfc3339(&t.data.attributes.access_expired_at);
    }
    if let Ok(r) = serde_json::from_slice::<b2binpay::wire::RefreshResponse>(data) {
        let _ = r.into_parts();
    }
    let _ = serde_json::from_slice::<retailcrm::wire::ApiAnswer>(data);
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = b2c_core::token::check_token("V", "token", s);
    }
});
