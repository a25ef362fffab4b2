//! The clients over a real socket with fuzzed answers: a loopback server answers every request
//! (the token exchange, processext, B2BINPAY's /token/) with the fuzz input, as raw bytes, then
//! closes. Whatever arrives, the call ends in a status, within its deadline, without a panic.
#![no_main]
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use b2c_core::b2binpay::{B2binpayClient, B2binpayConfig};
use b2c_core::b2copy::{Client, ClientConfig, ExternalTokenParams};
use b2c_core::http::{HttpClient, HttpConfig};
use b2c_core::keys::PrivateKey;
use libfuzzer_sys::fuzz_target;

struct Server {
    port: u16,
    answer: Arc<Mutex<Vec<u8>>>,
}

fn server() -> &'static Server {
    static S: OnceLock<Server> = OnceLock::new();
    S.get_or_init(|| {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let answer = Arc::new(Mutex::new(Vec::new()));
        let a = answer.clone();
        std::thread::spawn(move || {
            for s in l.incoming() {
                let Ok(mut s) = s else { continue };
                let _ = s.set_read_timeout(Some(Duration::from_millis(200)));
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                // Read the head and the announced body, then answer.
                loop {
                    match s.read(&mut chunk) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                    if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                        let len = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        if buf.len() >= end + 4 + len {
                            break;
                        }
                    }
                }
                let bytes = a.lock().unwrap().clone();
                let _ = s.write_all(&bytes);
            }
        });
        Server { port, answer }
    })
}

fn key() -> &'static str {
    static K: OnceLock<String> = OnceLock::new();
    K.get_or_init(|| PrivateKey::generate().unwrap().to_pkcs8_pem().unwrap().to_string())
}

fn http_config() -> HttpConfig {
    HttpConfig {
        // Short: an answer that never completes costs one read timeout, and a call that keeps
        // failing is retried only until its deadline (executions per second are the point).
        read_timeout: Duration::from_millis(10),
        connect_timeout: Duration::from_millis(20),
        max_response_bytes: 64 * 1024,
        ..HttpConfig::default()
    }
}

fuzz_target!(|data: &[u8]| {
    let s = server();
    *s.answer.lock().unwrap() = data.to_vec();
    let base = format!("http://127.0.0.1:{}", s.port);
    let mut cfg = ClientConfig::new(
        base.clone(),
        ExternalTokenParams {
            admin_id: 1,
            device_ip: "127.0.0.1".into(),
            key_id: "k".into(),
            issuer: "fuzz".into(),
            ttl: Duration::from_secs(60),
            kid_header: false,
        },
    );
    cfg.http = http_config();
    cfg.call_deadline = Duration::from_millis(20);
    cfg.retry.base = Duration::from_millis(1);
    cfg.retry.max = Duration::from_millis(5);
    let client = Client::new(cfg, PrivateKey::from_pem(key()).unwrap()).unwrap();
    let _ = client.fee_process("123456", "fuzz-1", None, None);
    let mut b = B2binpayConfig::new(&base, "login", "password");
    b.deadline = Duration::from_millis(20);
    let h = B2binpayClient::new(b, HttpClient::new(http_config()).unwrap()).unwrap();
    let _ = h.access_token();
});
