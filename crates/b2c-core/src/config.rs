//! The configuration objects as UTF-8 JSON (the form the C ABI takes).
//!
//! Unknown keys are an error, not ignored. Error messages name the key and never echo a
//! value (a misplaced private key must not end up in a log). Every value that ends up in an
//! HTTP header or a URL is checked here, when the configuration is read (`B2C_CONFIG`), so
//! nothing from a configuration can make a request fail later in an unexpected way. Numbers
//! have ranges: no duration can overflow the clock.

use std::path::Path;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::b2copy::{ClientConfig, ExternalTokenParams};
use crate::error::{Error, ErrorKind, Result};
use crate::http::{ExtraRoots, HttpConfig, Proxy, ProxySetting, Url};
use crate::keys::PrivateKey;
use crate::store::StoreSpec;

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
    TOKEN_STORE_KEY,
];

/// The `token_store` key, on the B2COPY client and the B2BINPAY handle.
pub const TOKEN_STORE_KEY: (&str, &str) = (
    "token_store",
    "object, default {\"type\": \"memory\"}: {\"type\": \"file\", \"path\": DIR} shares the \
     token pair between processes",
);

/// Transport keys, accepted by every configuration object (B2COPY client, B2BINPAY handle,
/// CRM Open API handle, RetailCRM calls).
pub const HTTP_KEYS: &[(&str, &str)] = &[
    ("connect_timeout_ms", "number, default 5000"),
    ("read_timeout_ms", "number, default 30000"),
    ("request_timeout_ms", "number, default 60000: one HTTP exchange"),
    ("max_response_bytes", "number, default 1048576"),
    ("extra_ca_pem", "string: PEM CA certificates trusted besides the Mozilla roots"),
    ("allow_insecure_http", "bool, default false: allow http to non-loopback hosts"),
    ("user_agent", "string, default b2c/VERSION"),
    ("max_idle_connections", "number, default 16: idle connections kept per host"),
    ("idle_timeout_s", "number, default 90: an idle connection is closed after this"),
    ("dns_cache_s", "number, default 60: how long a resolved name is reused; 0 = never"),
    ("proxy", "string: http://, https://, socks5:// or socks5h:// URL; \"\" = none; default: the environment"),
    ("no_proxy", "string: hosts that bypass the proxy; default: the NO_PROXY environment"),
];

/// The deadline key of the handles that have no other (CRM Open API, RetailCRM calls).
pub const DEADLINE_KEYS: &[(&str, &str)] = &[(
    "deadline_ms",
    "number, default 30000: one operation with its retries",
)];

/// Longest duration accepted for any `*_ms` / `*_s` key (one day).
pub const MAX_DURATION: Duration = Duration::from_secs(86_400);

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
            let shown: String = k.chars().filter(|c| !c.is_control()).take(64).collect();
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
    fn duration(&self, key: &str, default: u64, unit: Duration, zero_ok: bool) -> Result<Duration> {
        let v = self.u64(key)?.unwrap_or(default);
        if v == 0 && !zero_ok {
            return Err(cfg_err(format!("config key `{key}` must be > 0")));
        }
        let d = unit
            .checked_mul(u32::try_from(v).unwrap_or(u32::MAX))
            .filter(|d| *d <= MAX_DURATION)
            .ok_or_else(|| cfg_err(format!("config key `{key}` must be at most one day")))?;
        Ok(d)
    }
    /// A positive number of milliseconds, at most a day.
    pub fn ms(&self, key: &str, default: u64) -> Result<Duration> {
        self.duration(key, default, Duration::from_millis(1), false)
    }
    /// A number of seconds (0 allowed), at most a day.
    pub fn secs(&self, key: &str, default: u64) -> Result<Duration> {
        self.duration(key, default, Duration::from_secs(1), true)
    }
    pub fn bool(&self, key: &str) -> Result<Option<bool>> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(cfg_err(format!("config key `{key}` must be true or false"))),
        }
    }
    /// The raw value of a key (for nested objects such as `token_store`).
    pub fn value(&self, key: &str) -> Option<&Value> {
        self.0.get(key).filter(|v| !v.is_null())
    }
}

/// A vendor base URL: parsed, no credentials, https unless loopback (or allowed).
pub fn base_url(o: &Obj, key: &str, http: &HttpConfig) -> Result<Url> {
    let s = o.req_string(key)?;
    let url =
        Url::parse(&s).map_err(|e| cfg_err(format!("config key `{key}`: {}", e.message())))?;
    crate::http::check_scheme(&url, http.allow_insecure_http)?;
    if url.path.contains('?') {
        return Err(cfg_err(format!(
            "config key `{key}` must not have a query string"
        )));
    }
    Ok(url)
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
        ttl: o.secs("jwt_ttl_s", 300)?,
        kid_header: o.bool("jwt_kid_header")?.unwrap_or(false),
    };
    jwt.validate()
        .map_err(|e| cfg_err(e.message().to_string()))?;
    let http = http_config(&o)?;
    let base = base_url(&o, "base_url", &http)?;
    let mut cfg = ClientConfig::new(base.to_string(), jwt);
    cfg.base = base;
    cfg.http = http;
    cfg.call_deadline = o.ms("call_deadline_ms", 60_000)?;
    cfg.poll_interval = o.ms("poll_interval_ms", 4_000)?;
    cfg.retry.base = o.ms("retry_base_ms", 250)?;
    cfg.retry.max = o.ms("retry_max_ms", 8_000)?;
    cfg.refresh_margin = o.secs("refresh_margin_s", 30)?;
    cfg.token_store = token_store(&o)?;
    Ok((cfg, key))
}

/// The transport settings of [`HTTP_KEYS`] from a parsed object.
pub fn http_config(o: &Obj) -> Result<HttpConfig> {
    let defaults = HttpConfig::default();
    let user_agent = o.string("user_agent")?.unwrap_or(defaults.user_agent);
    if user_agent.is_empty()
        || user_agent.len() > 1024
        || !crate::http::valid_header_value(&user_agent)
    {
        return Err(cfg_err(
            "config key `user_agent` must be 1..1024 characters an HTTP header can carry".into(),
        ));
    }
    let extra_ca = match o.string("extra_ca_pem")? {
        Some(pem) if !pem.is_empty() => Some(ExtraRoots::from_pem(&pem)?),
        _ => None,
    };
    let proxy = match o.string("proxy")? {
        None => ProxySetting::FromEnv,
        Some(s) if s.is_empty() => ProxySetting::Off,
        Some(s) => ProxySetting::Url(Proxy::parse(&s)?),
    };
    let max_response_bytes = o
        .u64("max_response_bytes")?
        .unwrap_or(defaults.max_response_bytes);
    if max_response_bytes == 0 || max_response_bytes > 1 << 30 {
        return Err(cfg_err(
            "config key `max_response_bytes` must be 1..1073741824".into(),
        ));
    }
    let max_idle = o
        .u64("max_idle_connections")?
        .unwrap_or(defaults.max_idle_connections as u64);
    if max_idle > 1024 {
        return Err(cfg_err(
            "config key `max_idle_connections` must be at most 1024".into(),
        ));
    }
    Ok(HttpConfig {
        connect_timeout: o.ms("connect_timeout_ms", 5_000)?,
        read_timeout: o.ms("read_timeout_ms", 30_000)?,
        request_timeout: o.ms("request_timeout_ms", 60_000)?,
        max_response_bytes,
        extra_ca,
        allow_insecure_http: o.bool("allow_insecure_http")?.unwrap_or(false),
        user_agent,
        max_idle_connections: max_idle as usize,
        idle_timeout: o.secs("idle_timeout_s", 90)?,
        dns_cache: o.secs("dns_cache_s", 60)?,
        proxy,
        no_proxy: o.string("no_proxy")?,
    })
}

/// Transport settings and the deadline from an optional JSON object of [`HTTP_KEYS`] and
/// `deadline_ms` (None = defaults): the form the RetailCRM calls take.
pub fn http_config_from_json(json: Option<&str>) -> Result<(HttpConfig, Duration)> {
    match json {
        None => Ok((HttpConfig::default(), Duration::from_secs(30))),
        Some(j) => {
            let o = parse_object(j, &[HTTP_KEYS, DEADLINE_KEYS])?;
            Ok((http_config(&o)?, o.ms("deadline_ms", 30_000)?))
        }
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
    TOKEN_STORE_KEY,
    (
        "token_path",
        "string, default /token/: the login endpoint, relative to base_url",
    ),
    (
        "refresh_path",
        "string, default /token/refresh/: the refresh endpoint, relative to base_url",
    ),
];

/// The `token_store` object: `{"type": "memory"}` or `{"type": "file", "path": DIR}`.
pub fn token_store(o: &Obj) -> Result<StoreSpec> {
    let Some(v) = o.value("token_store") else {
        return Ok(StoreSpec::Memory);
    };
    let bad = |m: &str| cfg_err(format!("config key `token_store`: {m}"));
    let Value::Object(m) = v else {
        return Err(bad(
            "must be an object such as {\"type\": \"file\", \"path\": \"/var/lib/crm/b2c\"}",
        ));
    };
    for k in m.keys() {
        if k != "type" && k != "path" {
            let shown: String = k.chars().filter(|c| !c.is_control()).take(64).collect();
            return Err(bad(&format!("unknown key `{shown}` (known: type, path)")));
        }
    }
    match (m.get("type").and_then(Value::as_str), m.get("path")) {
        (Some("memory"), None) => Ok(StoreSpec::Memory),
        (Some("memory"), Some(_)) => Err(bad("the memory store takes no `path`")),
        (Some("file"), Some(Value::String(p))) if !p.is_empty() => {
            let path = std::path::PathBuf::from(p);
            if !path.is_absolute() {
                return Err(bad("`path` must be an absolute directory path"));
            }
            Ok(StoreSpec::File(path))
        }
        (Some("file"), _) => Err(bad("the file store needs `path`, an absolute directory")),
        _ => Err(bad("`type` must be \"memory\" or \"file\" (a host store is attached with b2c_*_set_token_store)")),
    }
}

/// Keys of the CRM Open API handle configuration besides [`HTTP_KEYS`].
pub const CRM_KEYS: &[(&str, &str)] = &[
    (
        "base_url",
        "string, required: the CRM's https base URL (the paths of calls are relative to it)",
    ),
    ("api_key", "string, required: the CRM Open API key"),
    (
        "deadline_ms",
        "number, default 30000: one call with its retries",
    ),
    (
        "raw_body",
        "bool, default false: send and sign bodies untouched instead of in the JSON normal form",
    ),
];

/// Parse the CRM Open API handle configuration.
pub fn crm_config_from_json(json: &str) -> Result<(crate::crm_openapi::CrmConfig, HttpConfig)> {
    let o = parse_object(json, &[CRM_KEYS, HTTP_KEYS])?;
    let api_key = zeroize::Zeroizing::new(o.req_string("api_key")?);
    let http = http_config(&o)?;
    let base_url = base_url(&o, "base_url", &http)?;
    let cfg = crate::crm_openapi::CrmConfig {
        base_url,
        api_key,
        deadline: o.ms("deadline_ms", 30_000)?,
        raw_body: o.bool("raw_body")?.unwrap_or(false),
        retry: crate::retry::RetryPolicy::default(),
    };
    Ok((cfg, http))
}

/// Parse the B2BINPAY handle configuration.
pub fn b2binpay_config_from_json(
    json: &str,
) -> Result<(crate::b2binpay::B2binpayConfig, HttpConfig)> {
    let o = parse_object(json, &[B2BINPAY_KEYS, HTTP_KEYS])?;
    let login = zeroize::Zeroizing::new(o.req_string("login")?);
    let password = zeroize::Zeroizing::new(o.req_string("password")?);
    let http = http_config(&o)?;
    let base = base_url(&o, "base_url", &http)?;
    let mut cfg = crate::b2binpay::B2binpayConfig::new(&base.to_string(), &login, &password);
    cfg.refresh_margin = o.secs("refresh_margin_s", cfg.refresh_margin.as_secs())?;
    cfg.deadline = o.ms("deadline_ms", cfg.deadline.as_millis() as u64)?;
    cfg.token_store = token_store(&o)?;
    if let Some(p) = o.string("token_path")? {
        cfg.token_path = p;
    }
    if let Some(p) = o.string("refresh_path")? {
        cfg.refresh_path = p;
    }
    Ok((cfg, http))
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
        v["max_idle_connections"] = 32.into();
        v["dns_cache_s"] = 0.into();
        v["proxy"] = "".into();
        let (cfg, _) = client_config_from_json(&v.to_string()).unwrap();
        assert_eq!(cfg.poll_interval, Duration::from_millis(50));
        assert_eq!(cfg.jwt.ttl, Duration::from_secs(120));
        assert_eq!(cfg.jwt.issuer, "b2c");
        assert_eq!(cfg.http.max_idle_connections, 32);
        assert_eq!(cfg.http.dns_cache, Duration::ZERO);
        assert_eq!(cfg.http.proxy, ProxySetting::Off);
        let (d, _) = client_config_from_json(&base().to_string()).unwrap();
        assert_eq!(d.http.max_idle_connections, 16);
        assert_eq!(d.http.idle_timeout, Duration::from_secs(90));
        assert_eq!(d.http.dns_cache, Duration::from_secs(60));
        assert_eq!(d.http.proxy, ProxySetting::FromEnv);
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
    fn header_and_url_bound_values_are_checked_when_read() {
        for (k, bad) in [
            ("user_agent", serde_json::json!("b2c\r\nX-Injected: 1")),
            ("user_agent", serde_json::json!("")),
            ("base_url", serde_json::json!("https://h/\r\n")),
            ("base_url", serde_json::json!("https://user:pw@host/")),
            ("base_url", serde_json::json!("https://h/?a=1")),
            ("proxy", serde_json::json!("ftp://p")),
            (
                "extra_ca_pem",
                serde_json::json!("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
            ),
            ("extra_ca_pem", serde_json::json!("no pem here")),
            ("call_deadline_ms", serde_json::json!(u64::MAX)),
            ("read_timeout_ms", serde_json::json!(86_400_001u64)),
            ("max_response_bytes", serde_json::json!(0)),
        ] {
            let mut v = base();
            v[k] = bad.clone();
            let e = client_config_from_json(&v.to_string()).unwrap_err();
            assert!(
                matches!(e.kind(), ErrorKind::Config | ErrorKind::InsecureUrl),
                "{k}={bad}: {e:?}"
            );
            assert!(
                !e.message().contains("pw@") && !e.message().contains("Injected"),
                "{e}"
            );
        }
    }

    #[test]
    fn errors_never_echo_values() {
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
        let mut v = base();
        v["proxy"] = "http://u:hunter2@p:3128/x".into();
        let e = client_config_from_json(&v.to_string()).unwrap_err();
        assert!(!e.message().contains("hunter2"), "{e}");
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
