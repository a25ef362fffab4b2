//! The `b2c-sandbox` program: flags, the one-line leniency warnings on stderr, and the
//! profile as other processes see it (raw HTTP over loopback).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Fixed vectors (Node.js `crypto.createHmac('sha256', 'sandbox-api-key')`): a body, and
/// the signature over `JSON.stringify(JSON.parse(body))` = `{"name":"Jürgen","amount":1.5}`.
const CRM_BODY: &str = r#"{"name": "J\u00fcrgen", "amount":1.50}"#;
const CRM_SIG_NORMALIZED: &str =
    "sha256=b451d2011b8348bc27304474d0985cc87a1328c10e864b2e6f841e2faa2f541e";

struct Running {
    child: Child,
    port: u16,
}

fn start(flags: &[&str]) -> Running {
    let mut child = Command::new(env!("CARGO_BIN_EXE_b2c-sandbox"))
        .args(["--port", "0"])
        .args(flags)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line
        .trim()
        .strip_prefix("b2c-sandbox listening on http://127.0.0.1:")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .parse()
        .unwrap();
    Running { child, port }
}

impl Running {
    /// Stop the program and return its stderr.
    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let out = self.child.wait_with_output().unwrap();
        String::from_utf8(out.stderr).unwrap()
    }

    fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (u16, String) {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut req =
            format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
        s.write_all(req.as_bytes()).unwrap();
        let mut resp = String::new();
        s.read_to_string(&mut resp).unwrap();
        let status = resp.split(' ').nth(1).unwrap().parse().unwrap();
        let body = resp
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        (status, body)
    }

    fn crm_normalized(&self) -> u16 {
        self.request(
            "POST",
            "/crm/api/clients",
            &[
                ("key", "sandbox-api-key"),
                ("signature", CRM_SIG_NORMALIZED),
            ],
            CRM_BODY,
        )
        .0
    }
}

#[test]
fn lenient_by_default_warns_once_per_leniency() {
    let sb = start(&[]);
    for _ in 0..3 {
        assert_eq!(sb.crm_normalized(), 200);
    }
    // An undocumented B2COPY path without a token: 401, a second leniency.
    assert_eq!(sb.request("GET", "/api/other/path", &[], "").0, 401);
    let (status, stats) = sb.request("GET", "/_sandbox/stats", &[], "");
    assert_eq!(status, 200);
    assert!(stats.contains(r#""profile":"lenient""#), "{stats}");
    assert!(
        stats.contains(r#""leniencies":{"crm_signature_normalized":3,"undocumented_endpoint":1}"#),
        "{stats}"
    );
    let stderr = sb.stop();
    let warnings: Vec<&str> = stderr.lines().filter(|l| l.contains("leniency")).collect();
    assert_eq!(warnings.len(), 2, "{stderr}");
    assert!(warnings[0].starts_with("b2c-sandbox: warning: leniency crm_signature_normalized: "));
    assert!(warnings[1].starts_with("b2c-sandbox: warning: leniency undocumented_endpoint: "));
    // Never a secret on stderr.
    assert!(!stderr.contains("sandbox-api-key"), "{stderr}");
}

#[test]
fn strict_refuses_silently() {
    let sb = start(&["--strict"]);
    assert_eq!(sb.crm_normalized(), 403);
    assert_eq!(sb.request("GET", "/api/other/path", &[], "").0, 404);
    let (_, stats) = sb.request("GET", "/_sandbox/stats", &[], "");
    assert!(stats.contains(r#""profile":"strict""#), "{stats}");
    assert!(stats.contains(r#""leniencies":{}"#), "{stats}");
    let stderr = sb.stop();
    assert!(!stderr.contains("leniency"), "{stderr}");
}

#[test]
fn switches_from_the_command_line() {
    let sb = start(&[
        "--fee-status-names",
        "--b2binpay-refresh-wrapped",
        "--retailcrm-field-errors",
    ]);
    let (_, v) = sb.request("GET", "/_sandbox/switches", &[], "");
    assert!(v.contains(r#""fee_status_names":true"#), "{v}");
    assert!(v.contains(r#""b2binpay_refresh_wrapped":true"#), "{v}");
    let module = "%7B%22code%22%3A%22m%22%2C%22integrationCode%22%3A%22b2c%22%2C%22active%22%3Atrue%2C%22name%22%3A%22B%22%2C%22clientId%22%3A%22c%22%2C%22baseUrl%22%3A%22https%3A%2F%2Fm%22%2C%22accountUrl%22%3A%22https%3A%2F%2Fm%2Fa%22%7D";
    let (status, body) = sb.request(
        "POST",
        "/retailcrm/api/v5/integration-modules/m/edit",
        &[
            ("X-API-KEY", "sandbox-api-key"),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        &format!("integrationModule={module}"),
    );
    assert_eq!(status, 400, "{body}");
    assert!(
        body.contains(r#""errors":{"integrationModule[clientId]":"#),
        "{body}"
    );
    sb.stop();
}

#[test]
fn help_and_usage_errors() {
    let out = Command::new(env!("CARGO_BIN_EXE_b2c-sandbox"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for flag in [
        "--strict",
        "--fee-status-names",
        "--b2binpay-refresh-wrapped",
        "--retailcrm-field-errors",
        "--token-shape",
        "/_sandbox/retailcrm/field-errors",
        "/_sandbox/switches",
    ] {
        assert!(help.contains(flag), "--help lacks {flag}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_b2c-sandbox"))
        .arg("--strict=1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
