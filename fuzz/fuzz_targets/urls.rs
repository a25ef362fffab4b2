//! The URL rules: base URLs, the https-except-loopback check, joining, proxy URLs, no_proxy.
#![no_main]
use libfuzzer_sys::fuzz_target;

use b2c_core::http::{self, proxy};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let mut mid = s.len() / 2;
    while !s.is_char_boundary(mid) {
        mid -= 1;
    }
    let (a, b) = s.split_at(mid);
    if let Ok(u) = http::Url::parse(a) {
        let j = u.join(b);
        let _ = (j.to_string(), j.authority(), j.is_loopback());
        let np = proxy::NoProxy::parse(b);
        let _ = np.matches(&u);
    }
    let _ = http::check_url(s, false);
    if let Ok(p) = proxy::Proxy::parse(s) {
        let _ = (p.to_string(), p.authorization().is_some());
    }
});
