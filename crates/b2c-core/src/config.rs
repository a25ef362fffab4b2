//! The client configuration as a UTF-8 JSON object (the form the C ABI takes).
//!
//! Unknown keys are an error, not ignored. Error messages name the key and never echo a
//! value (a misplaced private key must not end up in a log).

use std::path::Path;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::b2copy::{ClientConfig, ExternalTokenParams};
use crate::error::{Error, ErrorKind, Result};
use crate::http::HttpConfig;
use crate::keys::PrivateKey;

/// Every key of the B2COPY client configuration besides [`HTTP_KEYS`].
pub const KEYS: &[(&str, &str)] = &[
    (
        "base_url",
        "string, required: https://host (http only for loopback)",
    ),
    ("admin_id", "number, required: the service admin's id"),
    (
        "device_ip",
        "string, required: the IP registered with B2COPY",
    ),
    (
        "key_id",
        "string, required: the key identifier registered with B2COPY",
    ),
    (
        "private_key_pem",
        "string: PKCS#8 or SEC1 PEM (exactly one of this and private_key_path)",
    ),
    ("private_key_path", "string: path to a PEM file"),
    ("issuer", "string, default \"b2c\": the JWT iss claim"),
    ("jwt_ttl_s", "number, default 300: JWT lifetime"),
    (
        "jwt_kid_header",
        "bool, default false: add kid=key_id to the JWT header",
    ),
    (
        "call_deadline_ms",
        "number, default 60000: a one-shot call with its retries",
    ),
    (
        "poll_interval_ms",
        "number, default 4000: jittered to 75-125 %",
    ),
    ("retry_base_ms", "number, default 250"),
    ("retry_max_ms", "number, default 8000"),
    (
        "refresh_margin_s",
        "number, default 30: refresh this long before expiry",
    ),
];

/// Transport keys, accepted by every configuration object (B2COPY client, B2BINPAY handle,
/// RetailCRM calls).
pub const HTTP_KEYS: &[(&str, &str)] = &[
    ("connect_timeout_ms", "number, default 5000"),
    ("read_timeout_ms", "number, default 30000"),
    (
        "request_timeout_ms",
        "number, default 60000: one HTTP exchange",
    ),
    ("max_response_bytes", "number, default 1048576"),
    (
        "extra_ca_pem",
        "string: PEM CA certificates trusted besides the Mozilla roots",
    ),
    (
        "allow_insecure_http",
        "bool, default false: allow http to non-loopback hosts",
    ),
    ("user_agent", "string, default b2c/VERSION"),
];

fn cfg_err(msg: String) -> Error {
    Error::new(ErrorKind::Config, msg)
}

/// A parsed configuration object whose keys were checked against the accepted lists.
pub struct Obj(Map<String, Value>);

/// Parse `json` as an object whose keys all appear in one of `allowed`.
pub fn parse_object(json: &str, allowed: &[&[(&str, &str)]]) -> Result<Obj> {
    let value: Value = serde_json::from_str(json).map_err(|e| {
        cfg_err(format!(
            "configuration is not valid JSON (line {}, column {})",
            e.line(),
            e.column()
        ))
    })?;
    let Value::Object(map) = value else {
        return Err(cfg_err("configuration must be a JSON object".into()));
    };
    for k in map.keys() {
        if !allowed
            .iter()
            .any(|list| list.iter().any(|(known, _)| known == k))
        {
            let known: Vec<&str> = allowed
                .iter()
                .flat_map(|l| l.iter().map(|(k, _)| *k))
                .collect();
            let shown: String = k.chars().take(64).collect();
            return Err(cfg_err(format!(
                "unknown config key `{shown}`; known keys: {}",
                known.join(", ")
            )));
        }
    }
    Ok(Obj(map))
}

impl Obj {
    pub fn string(&self, key: &str) -> Result<Option<String>> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(cfg_err(format!("config key `{key}` must be a string"))),
        }
    }
    pub fn req_string(&self, key: &str) -> Result<String> {
        self.string(key)?
            .filter(|s| !s.is_empty())
            .ok_or_else(|| cfg_err(format!("config key `{key}` is required")))
    }
    pub fn u64(&self, key: &str) -> Result<Option<u64>> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n.as_u64().map(Some).ok_or_else(|| {
                cfg_err(format!("config key `{key}` must be a non-negative integer"))
            }),
            Some(_) => Err(cfg_err(format!("config key `{key}` must be a number"))),
        }
    }
    pub fn ms(&self, key: &str, default: u64) -> Result<Duration> {
        let v = self.u64(key)?.unwrap_or(default);
        if v == 0 {
            return Err(cfg_err(format!("config key `{key}` must be > 0")));
        }
        Ok(Duration::from_millis(v))
    }
    pub fn bool(&self, key: &str) -> Result<Option<bool>> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(cfg_err(format!("config key `{key}` must be true or false"))),
        }
    }
}

/// Parse the JSON configuration and load the key it names.
pub fn client_config_from_json(json: &str) -> Result<(ClientConfig, PrivateKey)> {
    let o = parse_object(json, &[KEYS, HTTP_KEYS])?;
    let key = match (o.string("private_key_pem")?, o.string("private_key_path")?) {
        (Some(pem), None) => {
            let pem = zeroize::Zeroizing::new(pem);
            PrivateKey::from_pem(&pem)?
        }
        (None, Some(path)) => PrivateKey::from_pem_file(Path::new(&path))?,
        (Some(_), Some(_)) => {
            return Err(cfg_err(
                "set only one of `private_key_pem` and `private_key_path`".into(),
            ))
        }
        (None, None) => {
            return Err(cfg_err(
                "one of `private_key_pem` or `private_key_path` is required".into(),
            ))
        }
    };
    let admin_id = o
        .u64("admin_id")?
        .ok_or_else(|| cfg_err("config key `admin_id` is required".into()))?;
    let jwt = ExternalTokenParams {
        admin_id,
        device_ip: o.req_string("device_ip")?,
        key_id: o.req_string("key_id")?,
        issuer: o.string("issuer")?.unwrap_or_else(|| "b2c".into()),
        ttl: Duration::from_secs(o.u64("jwt_ttl_s")?.unwrap_or(300)),
        kid_header: o.bool("jwt_kid_header")?.unwrap_or(false),
    };
    jwt.validate()
        .map_err(|e| cfg_err(e.message().to_string()))?;
    let http = http_config(&o)?;
    let mut cfg = ClientConfig::new(o.req_string("base_url")?, jwt);
    cfg.http = http;
    cfg.call_deadline = o.ms("call_deadline_ms", 60_000)?;
    cfg.poll_interval = o.ms("poll_interval_ms", 4_000)?;
    cfg.retry.base = o.ms("retry_base_ms", 250)?;
    cfg.retry.max = o.ms("retry_max_ms", 8_000)?;
    cfg.refresh_margin = Duration::from_secs(o.u64("refresh_margin_s")?.unwrap_or(30));
    Ok((cfg, key))
}

/// The transport settings of [`HTTP_KEYS`] from a parsed object.
pub fn http_config(o: &Obj) -> Result<HttpConfig> {
    let defaults = HttpConfig::default();
    Ok(HttpConfig {
        connect_timeout: o.ms("connect_timeout_ms", 5_000)?,
        read_timeout: o.ms("read_timeout_ms", 30_000)?,
        request_timeout: o.ms("request_timeout_ms", 60_000)?,
        max_response_bytes: o
            .u64("max_response_bytes")?
            .unwrap_or(defaults.max_response_bytes),
        extra_ca_pem: o.string("extra_ca_pem")?,
        allow_insecure_http: o.bool("allow_insecure_http")?.unwrap_or(false),
        user_agent: o.string("user_agent")?.unwrap_or(defaults.user_agent),
    })
}

/// Transport settings from an optional JSON object of [`HTTP_KEYS`] (None = defaults).
pub fn http_config_from_json(json: Option<&str>) -> Result<HttpConfig> {
    match json {
        None => Ok(HttpConfig::default()),
        Some(j) => http_config(&parse_object(j, &[HTTP_KEYS])?),
    }
}

/// Keys of the B2BINPAY handle configuration besides [`HTTP_KEYS`].
pub const B2BINPAY_KEYS: &[(&str, &str)] = &[
    (
        "base_url",
        "string, required: e.g. https://api.b2binpay.com/",
    ),
    ("login", "string, required: the API key"),
    ("password", "string, required: the API secret"),
    (
        "refresh_margin_s",
        "number, default 10: renew this long before expiry",
    ),
    (
        "deadline_ms",
        "number, default 30000: one operation with its retries",
    ),
];

/// Parse the B2BINPAY handle configuration.
pub fn b2binpay_config_from_json(
    json: &str,
) -> Result<(crate::b2binpay::B2binpayConfig, HttpConfig)> {
    let o = parse_object(json, &[B2BINPAY_KEYS, HTTP_KEYS])?;
    let login = zeroize::Zeroizing::new(o.req_string("login")?);
    let password = zeroize::Zeroizing::new(o.req_string("password")?);
    let mut cfg =
        crate::b2binpay::B2binpayConfig::new(&o.req_string("base_url")?, &login, &password);
    if let Some(s) = o.u64("refresh_margin_s")? {
        cfg.refresh_margin = Duration::from_secs(s);
    }
    cfg.deadline = o.ms("deadline_ms", cfg.deadline.as_millis() as u64)?;
    Ok((cfg, http_config(&o)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEM: &str = include_str!("../../../tests/fixtures/keys/p256_pkcs8.pem");

    fn base() -> serde_json::Value {
        serde_json::json!({
            "base_url": "https://b2copy.example.com",
            "admin_id": 42,
            "device_ip": "203.0.113.10",
            "key_id": "k1",
            "private_key_pem": PEM,
        })
    }

    #[test]
    fn full_config_parses() {
        let mut v = base();
        v["poll_interval_ms"] = 50.into();
        v["jwt_ttl_s"] = 120.into();
        v["extra_ca_pem"] = serde_json::Value::Null;
        let (cfg, _) = client_config_from_json(&v.to_string()).unwrap();
        assert_eq!(cfg.poll_interval, Duration::from_millis(50));
        assert_eq!(cfg.jwt.ttl, Duration::from_secs(120));
        assert_eq!(cfg.jwt.issuer, "b2c");
    }

    #[test]
    fn unknown_keys_and_wrong_types_are_errors_that_name_the_key() {
        let mut v = base();
        v["poll_interval"] = 5.into();
        let e = client_config_from_json(&v.to_string()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        assert!(e.message().contains("`poll_interval`"), "{e}");
        let mut v = base();
        v["admin_id"] = "42".into();
        let e = client_config_from_json(&v.to_string()).unwrap_err();
        assert!(e.message().contains("`admin_id` must be a number"), "{e}");
        assert_eq!(
            client_config_from_json("[]").unwrap_err().kind(),
            ErrorKind::Config
        );
        assert_eq!(
            client_config_from_json("{").unwrap_err().kind(),
            ErrorKind::Config
        );
        let mut v = base();
        v.as_object_mut().unwrap().remove("private_key_pem");
        assert!(client_config_from_json(&v.to_string())
            .unwrap_err()
            .message()
            .contains("private_key"));
    }

    #[test]
    fn errors_never_echo_values() {
        // A private key put under the wrong key must not reach the message.
        let mut v = base();
        v["device_ip"] = serde_json::json!({"oops": PEM});
        let e = client_config_from_json(&v.to_string()).unwrap_err();
        assert!(!e.message().contains("PRIVATE"), "{e}");
        let e =
            client_config_from_json(&format!("{{\"base_url\": \"{}\"", "secret-ish")).unwrap_err();
        assert!(!e.message().contains("secret-ish"), "{e}");
        let mut v = base();
        v["private_key_pem"] =
            "-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----\n".into();
        let e = client_config_from_json(&v.to_string()).unwrap_err();
        assert!(!e.message().contains("c2VjcmV0"), "{e}");
    }

    #[test]
    fn b2binpay_config() {
        let (cfg, http) = b2binpay_config_from_json(
            r#"{"base_url":"https://api-sandbox.b2binpay.com/","login":"L","password":"P","deadline_ms":1000,"connect_timeout_ms":200}"#,
        )
        .unwrap();
        assert_eq!(cfg.deadline, Duration::from_millis(1000));
        assert_eq!(http.connect_timeout, Duration::from_millis(200));
        let e = b2binpay_config_from_json(r#"{"base_url":"x","login":"L"}"#).unwrap_err();
        assert!(e.message().contains("`password`"));
    }
}
