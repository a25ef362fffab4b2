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

/// Every accepted key, with its type and default, for messages and docs.
pub const KEYS: &[(&str, &str)] = &[
    ("base_url", "string, required: https://host (http only for loopback)"),
    ("admin_id", "number, required: the service admin's id"),
    ("device_ip", "string, required: the IP registered with B2COPY"),
    ("key_id", "string, required: the key identifier registered with B2COPY"),
    ("private_key_pem", "string: PKCS#8 or SEC1 PEM (exactly one of this and private_key_path)"),
    ("private_key_path", "string: path to a PEM file"),
    ("issuer", "string, default \"b2c\": the JWT iss claim"),
    ("jwt_ttl_s", "number, default 300: JWT lifetime"),
    ("jwt_kid_header", "bool, default false: add kid=key_id to the JWT header"),
    ("connect_timeout_ms", "number, default 5000"),
    ("read_timeout_ms", "number, default 30000"),
    ("request_timeout_ms", "number, default 60000: one HTTP exchange"),
    ("call_deadline_ms", "number, default 60000: a one-shot call with its retries"),
    ("poll_interval_ms", "number, default 4000: jittered to 75-125 %"),
    ("retry_base_ms", "number, default 250"),
    ("retry_max_ms", "number, default 8000"),
    ("refresh_margin_s", "number, default 30: refresh this long before expiry"),
    ("max_response_bytes", "number, default 1048576"),
    ("extra_ca_pem", "string: PEM CA certificates trusted besides the Mozilla roots"),
    ("allow_insecure_http", "bool, default false: allow http to non-loopback hosts"),
    ("user_agent", "string, default b2c/VERSION"),
];

fn cfg_err(msg: String) -> Error {
    Error::new(ErrorKind::Config, msg)
}

struct Obj(Map<String, Value>);

impl Obj {
    fn string(&self, key: &str) -> Result<Option<String>> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(cfg_err(format!("config key `{key}` must be a string"))),
        }
    }
    fn req_string(&self, key: &str) -> Result<String> {
        self.string(key)?
            .filter(|s| !s.is_empty())
            .ok_or_else(|| cfg_err(format!("config key `{key}` is required")))
    }
    fn u64(&self, key: &str) -> Result<Option<u64>> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n
                .as_u64()
                .map(Some)
                .ok_or_else(|| cfg_err(format!("config key `{key}` must be a non-negative integer"))),
            Some(_) => Err(cfg_err(format!("config key `{key}` must be a number"))),
        }
    }
    fn ms(&self, key: &str, default: u64) -> Result<Duration> {
        let v = self.u64(key)?.unwrap_or(default);
        if v == 0 {
            return Err(cfg_err(format!("config key `{key}` must be > 0")));
        }
        Ok(Duration::from_millis(v))
    }
    fn bool(&self, key: &str) -> Result<Option<bool>> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(cfg_err(format!("config key `{key}` must be true or false"))),
        }
    }
}

/// Parse the JSON configuration and load the key it names.
pub fn client_config_from_json(json: &str) -> Result<(ClientConfig, PrivateKey)> {
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
        if !KEYS.iter().any(|(known, _)| known == k) {
            let known: Vec<&str> = KEYS.iter().map(|(k, _)| *k).collect();
            let shown: String = k.chars().take(64).collect();
            return Err(cfg_err(format!(
                "unknown config key `{shown}`; known keys: {}",
                known.join(", ")
            )));
        }
    }
    let o = Obj(map);
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
    jwt.validate().map_err(|e| cfg_err(e.message().to_string()))?;
    let defaults = HttpConfig::default();
    let http = HttpConfig {
        connect_timeout: o.ms("connect_timeout_ms", 5_000)?,
        read_timeout: o.ms("read_timeout_ms", 30_000)?,
        request_timeout: o.ms("request_timeout_ms", 60_000)?,
        max_response_bytes: o.u64("max_response_bytes")?.unwrap_or(defaults.max_response_bytes),
        extra_ca_pem: o.string("extra_ca_pem")?,
        allow_insecure_http: o.bool("allow_insecure_http")?.unwrap_or(false),
        user_agent: o.string("user_agent")?.unwrap_or(defaults.user_agent),
    };
    let mut cfg = ClientConfig::new(o.req_string("base_url")?, jwt);
    cfg.http = http;
    cfg.call_deadline = o.ms("call_deadline_ms", 60_000)?;
    cfg.poll_interval = o.ms("poll_interval_ms", 4_000)?;
    cfg.retry.base = o.ms("retry_base_ms", 250)?;
    cfg.retry.max = o.ms("retry_max_ms", 8_000)?;
    cfg.refresh_margin = Duration::from_secs(o.u64("refresh_margin_s")?.unwrap_or(30));
    Ok((cfg, key))
}
