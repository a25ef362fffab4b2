//! TLS verification is never silently off: a self-signed https endpoint fails until its CA
//! is given through `extra_ca_pem`, which adds to (not replaces) the trust roots.

use crate::scan::Recorded as _;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use b2c_core::b2copy::{Client, ClientConfig, ExternalTokenParams};
use b2c_core::http::{ExtraRoots, HttpClient, HttpConfig, Url};
use b2c_core::keys::PrivateKey;
use b2c_core::ErrorKind;

/// A one-shot https server on 127.0.0.1 answering every request with `body`. Returns the
/// port and the CA certificate PEM that signed its certificate (for "localhost").
fn tls_server(body: &'static str, connections: usize) -> (u16, String) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "b2c test CA");
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let leaf_params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    let leaf = leaf_params.signed_by(&leaf_key, &issuer).unwrap();

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
        )
        .unwrap();
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(connections) {
            let Ok(mut tcp) = stream else { continue };
            tcp.set_read_timeout(Some(Duration::from_secs(5))).ok();
            let mut conn = rustls::ServerConnection::new(config.clone()).unwrap();
            let mut tls = rustls::Stream::new(&mut conn, &mut tcp);
            let mut buf = [0u8; 4096];
            let mut req = Vec::new();
            // Read the request head (the handshake fails here for an untrusting client).
            while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                match tls.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => req.extend_from_slice(&buf[..n]),
                }
            }
            if req.is_empty() {
                continue;
            }
            let resp = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = tls.write_all(resp.as_bytes());
            let _ = tls.flush();
            conn.send_close_notify();
            let _ = conn.complete_io(&mut tcp);
        }
    });
    (port, ca_cert.pem())
}

#[test]
fn self_signed_server_is_refused_without_its_ca() {
    let (port, _ca) = tls_server("{}", 1);
    let http = HttpClient::new(HttpConfig::default()).unwrap();
    let err = http
        .get(
            &Url::parse(&format!("https://localhost:{port}/")).unwrap(),
            &[],
            "tls",
            Instant::now() + Duration::from_secs(10),
        )
        .expect_err_recorded();
    assert_eq!(err.kind(), ErrorKind::Tls, "{err}");
}

#[test]
fn extra_ca_pem_makes_it_trusted() {
    let (port, ca) = tls_server(r#"{"ok":true}"#, 1);
    let http = HttpClient::new(HttpConfig {
        extra_ca: Some(ExtraRoots::from_pem(&ca).unwrap()),
        ..HttpConfig::default()
    })
    .unwrap();
    let resp = http
        .get(
            &Url::parse(&format!("https://localhost:{port}/")).unwrap(),
            &[],
            "tls",
            Instant::now() + Duration::from_secs(10),
        )
        .unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(resp.body, br#"{"ok":true}"#);
}

#[test]
fn malformed_extra_ca_is_a_config_error() {
    for pem in [
        "",
        "not a pem",
        "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n",
    ] {
        let err = ExtraRoots::from_pem(pem).expect_err_recorded();
        assert_eq!(err.kind(), ErrorKind::Config, "{pem:?}: {err}");
    }
}

#[test]
fn b2copy_client_over_https_reports_tls_failure() {
    let (port, _ca) = tls_server("{}", 1);
    let mut cfg = ClientConfig::new(
        format!("https://localhost:{port}"),
        ExternalTokenParams {
            admin_id: 1,
            device_ip: "127.0.0.1".into(),
            key_id: "k".into(),
            issuer: "t".into(),
            ttl: Duration::from_secs(60),
            kid_header: false,
        },
    );
    cfg.call_deadline = Duration::from_secs(2);
    let c = Client::new(cfg, PrivateKey::generate().unwrap()).unwrap();
    let err = c.authenticate().expect_err_recorded();
    assert_eq!(
        err.kind(),
        ErrorKind::Tls,
        "TLS failures are not retried as network errors: {err}"
    );
}
