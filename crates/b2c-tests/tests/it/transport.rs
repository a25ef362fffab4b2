//! The transport against real parts: an https server (rustls) reached through a real proxy
//! on loopback (Debian's tinyproxy: CONNECT, with and without Basic authentication), through
//! a SOCKS5 server, TLS session resumption on reconnect, the DNS cache and the idle timeout
//! (the latter with the injected clock).

use crate::scan::Recorded as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use b2c_core::clock::ManualClock;
use b2c_core::http::{ExtraRoots, HttpClient, HttpConfig, Proxy, ProxySetting, Url};
use b2c_core::telemetry::Telemetry;
use b2c_core::ErrorKind;
use b2c_sandbox::{Sandbox, SandboxConfig};

/// An https server for "localhost" (its CA returned) answering every request with `{"ok":1}`
/// over keep-alive; any number of connections.
fn https_server() -> (u16, String) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "b2c transport test CA");
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let leaf = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .signed_by(&leaf_key, &issuer)
        .unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![leaf.der().clone()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
            )
            .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(tcp) = stream else { continue };
            let config = config.clone();
            std::thread::spawn(move || serve_tls(tcp, config));
        }
    });
    (port, ca_cert.pem())
}

fn serve_tls(mut tcp: TcpStream, config: Arc<rustls::ServerConfig>) {
    tcp.set_read_timeout(Some(Duration::from_secs(5))).ok();
    let Ok(mut conn) = rustls::ServerConnection::new(config) else {
        return;
    };
    let mut tls = rustls::Stream::new(&mut conn, &mut tcp);
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
            match tls.read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        let end = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        buf.drain(..end);
        let body = br#"{"ok":1}"#;
        let resp = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        if tls
            .write_all(resp.as_bytes())
            .and_then(|_| tls.write_all(body))
            .is_err()
        {
            return;
        }
        let _ = tls.flush();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Debian's tinyproxy on loopback (foreground), optionally with Basic authentication.
struct Tinyproxy {
    child: Child,
    port: u16,
    log: std::path::PathBuf,
    dir: std::path::PathBuf,
}

impl Tinyproxy {
    fn start(auth: Option<(&str, &str)>) -> Tinyproxy {
        let bin = ["/usr/bin/tinyproxy", "/usr/sbin/tinyproxy"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .expect("tinyproxy is not installed (scripts/install-deps.sh installs it)");
        let dir = std::env::temp_dir().join(format!(
            "b2c-tinyproxy-{}-{}",
            std::process::id(),
            free_port()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let port = free_port();
        let log = dir.join("tinyproxy.log");
        let mut conf = format!(
            "Port {port}\nListen 127.0.0.1\nTimeout 30\nMaxClients 32\nAllow 127.0.0.1\n\
             LogFile \"{}\"\nLogLevel Info\nPidFile \"{}\"\n",
            log.display(),
            dir.join("pid").display()
        );
        if let Some((u, p)) = auth {
            conf.push_str(&format!("BasicAuth {u} {p}\n"));
        }
        std::fs::write(dir.join("tinyproxy.conf"), conf).unwrap();
        let child = Command::new(bin)
            .arg("-d")
            .arg("-c")
            .arg(dir.join("tinyproxy.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let t = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                t.elapsed() < Duration::from_secs(10),
                "tinyproxy did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Tinyproxy {
            child,
            port,
            log,
            dir,
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Tinyproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn get(http: &HttpClient, url: &str) -> b2c_core::Result<b2c_core::http::Response> {
    // The deadline comes from the client's own clock (the injected one where a test has one).
    let deadline = http.clock().now() + Duration::from_secs(5);
    http.get(&Url::parse(url).unwrap(), &[], "test", deadline)
}

#[test]
fn https_through_tinyproxy_with_connect() {
    let (port, ca) = https_server();
    let proxy = Tinyproxy::start(None);
    let http = HttpClient::new(HttpConfig {
        extra_ca: Some(ExtraRoots::from_pem(&ca).unwrap()),
        proxy: ProxySetting::Url(
            Proxy::parse(&format!("http://127.0.0.1:{}", proxy.port)).unwrap(),
        ),
        ..HttpConfig::default()
    })
    .unwrap();
    for _ in 0..3 {
        let r = get(&http, &format!("https://localhost:{port}/x")).unwrap();
        assert_eq!((r.status, r.body.as_slice()), (200, &br#"{"ok":1}"#[..]));
    }
    let log = proxy.log();
    assert!(
        log.contains("CONNECT"),
        "the proxy carried a CONNECT tunnel:\n{log}"
    );
    assert_eq!(
        http.telemetry()
            .stats
            .connections_opened
            .load(Ordering::Relaxed),
        1,
        "one tunnel, kept alive"
    );
    // The same host excluded by no_proxy: straight there, the proxy sees nothing new.
    let lines = log.lines().count();
    let direct = HttpClient::new(HttpConfig {
        extra_ca: Some(ExtraRoots::from_pem(&ca).unwrap()),
        proxy: ProxySetting::Url(
            Proxy::parse(&format!("http://127.0.0.1:{}", proxy.port)).unwrap(),
        ),
        no_proxy: Some("localhost".into()),
        ..HttpConfig::default()
    })
    .unwrap();
    assert_eq!(
        get(&direct, &format!("https://localhost:{port}/x"))
            .unwrap()
            .status,
        200
    );
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(
        proxy.log().lines().count(),
        lines,
        "no_proxy bypassed the proxy"
    );
}

#[test]
fn proxy_credentials_work_and_never_show() {
    let (port, ca) = https_server();
    let proxy = Tinyproxy::start(Some(("crm", "pr0xy-s3cret")));
    let client = |creds: &str| {
        HttpClient::new(HttpConfig {
            extra_ca: Some(ExtraRoots::from_pem(&ca).unwrap()),
            proxy: ProxySetting::Url(
                Proxy::parse(&format!("http://{creds}@127.0.0.1:{}", proxy.port)).unwrap(),
            ),
            ..HttpConfig::default()
        })
        .unwrap()
    };
    let ok = client("crm:pr0xy-s3cret");
    assert_eq!(
        get(&ok, &format!("https://localhost:{port}/"))
            .unwrap()
            .status,
        200
    );
    let bad = client("crm:wr0ng-s3cret");
    let e = get(&bad, &format!("https://localhost:{port}/")).expect_err_recorded();
    assert_eq!(e.kind(), ErrorKind::AuthRejected, "{e}");
    assert!(matches!(e.http_status(), Some(401 | 407)), "{e}");
    let shown = format!("{e} {e:?} {bad:?}");
    assert!(
        !shown.contains("s3cret") && !shown.contains("crm:"),
        "{shown}"
    );
}

#[test]
fn http_through_tinyproxy_in_absolute_form() {
    let sb = Sandbox::start(SandboxConfig::default()).unwrap();
    let proxy = Tinyproxy::start(None);
    let http = HttpClient::new(HttpConfig {
        proxy: ProxySetting::Url(
            Proxy::parse(&format!("http://127.0.0.1:{}", proxy.port)).unwrap(),
        ),
        ..HttpConfig::default()
    })
    .unwrap();
    let r = get(&http, &format!("{}/_sandbox/stats", sb.base_url())).unwrap();
    assert_eq!(r.status, 200);
    assert!(proxy.log().contains("_sandbox/stats"), "{}", proxy.log());
}

/// A minimal SOCKS5 server (RFC 1928, optional RFC 1929 user/password) that tunnels to the
/// requested host:port. Returns its port.
fn socks5_server(creds: Option<(&'static str, &'static str)>) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut c) = s else { continue };
            std::thread::spawn(move || {
                let mut b = [0u8; 2];
                if c.read_exact(&mut b).is_err() {
                    return;
                }
                let mut methods = vec![0u8; b[1] as usize];
                c.read_exact(&mut methods).unwrap();
                if let Some((u, p)) = creds {
                    c.write_all(&[5, 2]).unwrap();
                    let mut v = [0u8; 2];
                    c.read_exact(&mut v).unwrap();
                    let mut user = vec![0u8; v[1] as usize];
                    c.read_exact(&mut user).unwrap();
                    let mut pl = [0u8; 1];
                    c.read_exact(&mut pl).unwrap();
                    let mut pass = vec![0u8; pl[0] as usize];
                    c.read_exact(&mut pass).unwrap();
                    let ok = user == u.as_bytes() && pass == p.as_bytes();
                    c.write_all(&[1, if ok { 0 } else { 1 }]).unwrap();
                    if !ok {
                        return;
                    }
                } else {
                    c.write_all(&[5, 0]).unwrap();
                }
                let mut h = [0u8; 4];
                c.read_exact(&mut h).unwrap();
                let host = match h[3] {
                    1 => {
                        let mut a = [0u8; 4];
                        c.read_exact(&mut a).unwrap();
                        std::net::Ipv4Addr::from(a).to_string()
                    }
                    3 => {
                        let mut n = [0u8; 1];
                        c.read_exact(&mut n).unwrap();
                        let mut name = vec![0u8; n[0] as usize];
                        c.read_exact(&mut name).unwrap();
                        String::from_utf8(name).unwrap()
                    }
                    _ => return,
                };
                let mut p = [0u8; 2];
                c.read_exact(&mut p).unwrap();
                let Ok(up) = TcpStream::connect((host.as_str(), u16::from_be_bytes(p))) else {
                    let _ = c.write_all(&[5, 5, 0, 1, 0, 0, 0, 0, 0, 0]);
                    return;
                };
                c.write_all(&[5, 0, 0, 1, 127, 0, 0, 1, 0, 0]).unwrap();
                let (mut a, mut b2) = (c.try_clone().unwrap(), up.try_clone().unwrap());
                let (mut c2, mut up2) = (c, up);
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut a, &mut b2);
                });
                let _ = std::io::copy(&mut up2, &mut c2);
            });
        }
    });
    port
}

#[test]
fn https_through_socks5_and_socks5h() {
    let (port, ca) = https_server();
    for scheme in ["socks5", "socks5h"] {
        let sp = socks5_server(Some(("u", "socks-s3cret")));
        let http = HttpClient::new(HttpConfig {
            extra_ca: Some(ExtraRoots::from_pem(&ca).unwrap()),
            proxy: ProxySetting::Url(
                Proxy::parse(&format!("{scheme}://u:socks-s3cret@127.0.0.1:{sp}")).unwrap(),
            ),
            ..HttpConfig::default()
        })
        .unwrap();
        let r = get(&http, &format!("https://localhost:{port}/")).unwrap();
        assert_eq!(r.status, 200, "{scheme}");
        let sp = socks5_server(Some(("u", "other")));
        let bad = HttpClient::new(HttpConfig {
            extra_ca: Some(ExtraRoots::from_pem(&ca).unwrap()),
            proxy: ProxySetting::Url(
                Proxy::parse(&format!("{scheme}://u:socks-s3cret@127.0.0.1:{sp}")).unwrap(),
            ),
            ..HttpConfig::default()
        })
        .unwrap();
        let e = get(&bad, &format!("https://localhost:{port}/")).expect_err_recorded();
        assert_eq!(e.kind(), ErrorKind::AuthRejected, "{scheme}: {e}");
        assert!(!e.message().contains("s3cret"));
    }
}

#[test]
fn a_reconnect_resumes_the_tls_session() {
    let (port, ca) = https_server();
    // No pooling: every request opens a connection.
    let http = HttpClient::new(HttpConfig {
        extra_ca: Some(ExtraRoots::from_pem(&ca).unwrap()),
        max_idle_connections: 0,
        ..HttpConfig::default()
    })
    .unwrap();
    for _ in 0..3 {
        assert_eq!(
            get(&http, &format!("https://localhost:{port}/"))
                .unwrap()
                .status,
            200
        );
    }
    let s = &http.telemetry().stats;
    assert_eq!(s.tls_handshakes.load(Ordering::Relaxed), 3);
    assert_eq!(
        s.tls_resumed.load(Ordering::Relaxed),
        2,
        "the second and third resumed"
    );
    // Another client with the same anchors shares the session cache (a new PHP request's
    // client, for instance).
    let other = HttpClient::new(HttpConfig {
        extra_ca: Some(ExtraRoots::from_pem(&ca).unwrap()),
        ..HttpConfig::default()
    })
    .unwrap();
    get(&other, &format!("https://localhost:{port}/")).unwrap();
    assert_eq!(
        other.telemetry().stats.tls_resumed.load(Ordering::Relaxed),
        1
    );
}

#[test]
fn names_are_resolved_per_connection_and_cached() {
    let sb = Sandbox::start(SandboxConfig::default()).unwrap();
    let url = format!("http://localhost:{}/_sandbox/stats", sb.local_addr().port());
    for (cache, want) in [(Duration::from_secs(60), 1), (Duration::ZERO, 3)] {
        let http = HttpClient::new(HttpConfig {
            dns_cache: cache,
            max_idle_connections: 0,
            ..HttpConfig::default()
        })
        .unwrap();
        for _ in 0..3 {
            assert_eq!(get(&http, &url).unwrap().status, 200);
        }
        let s = &http.telemetry().stats;
        assert_eq!(s.connections_opened.load(Ordering::Relaxed), 3);
        assert_eq!(
            s.dns_lookups.load(Ordering::Relaxed),
            want,
            "dns_cache {cache:?}"
        );
    }
}

#[test]
fn idle_connections_are_kept_for_the_idle_timeout_and_no_longer() {
    let sb = Sandbox::start(SandboxConfig::default()).unwrap();
    let clock = ManualClock::new();
    let http = HttpClient::with(
        HttpConfig {
            idle_timeout: Duration::from_secs(90),
            ..HttpConfig::default()
        },
        Telemetry::new(),
        clock.clone(),
    )
    .unwrap();
    let url = format!("{}/_sandbox/stats", sb.base_url());
    let opened = || {
        http.telemetry()
            .stats
            .connections_opened
            .load(Ordering::Relaxed)
    };
    get(&http, &url).unwrap();
    clock.advance(Duration::from_secs(89));
    get(&http, &url).unwrap();
    assert_eq!(opened(), 1, "reused within the idle timeout");
    clock.advance(Duration::from_secs(91));
    get(&http, &url).unwrap();
    assert_eq!(opened(), 2, "closed after it");
    assert_eq!(sb.connections_accepted(), 2);
}

#[test]
fn tinyproxy_log_is_readable() {
    // The log reader above only works if tinyproxy writes where it is told.
    let p = Tinyproxy::start(None);
    let mut s = TcpStream::connect(("127.0.0.1", p.port)).unwrap();
    s.write_all(b"GET http://127.0.0.1:1/nowhere HTTP/1.0\r\n\r\n")
        .unwrap();
    let mut r = BufReader::new(s);
    let mut line = String::new();
    let _ = r.read_line(&mut line);
    std::thread::sleep(Duration::from_millis(100));
    assert!(p.log().contains("nowhere"), "{}", p.log());
}
