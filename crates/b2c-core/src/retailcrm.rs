//! RetailCRM (Simla) integration module — "simple connection" (docs/PROTOCOLS.md §4).
//!
//! The module (the integrator's web app) answers two requests from the CRM *system*:
//! - `configUrl` → [`config_response`];
//! - `registerUrl` (form fields `register[systemUrl]`, `register[apiKey]`,
//!   `register[token]`) → [`handle_register`]: verify `token == hex HMAC-SHA256(key =
//!   module secret, msg = apiKey)` in constant time, call
//!   `POST {systemUrl}/api/v5/integration-modules/{code}/edit` ([`edit_module`]), and answer
//!   [`register_success`] or [`error_response`].
//!
//! **Every answer to the system is sent with HTTP status 200**, failures included: the
//! system reads `success`/`errorMsg` and shows `errorMsg` to the user in the module card.
//!
//! The API key and the module secret never appear in an `errorMsg`, an error or `Debug`.

use std::fmt;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{Error, ErrorKind, Result};
use crate::http::{HttpClient, Url};
use crate::signature::{hex_lower, hmac_sha256, verify_hex_mac, PrefixRule};

/// Every RetailCRM wire name (paths, headers, form fields, JSON fields) is named here.
pub mod wire {
    use serde::{Deserialize, Serialize};

    /// `{systemUrl}` + this + `{code}` + [`EDIT_PATH_SUFFIX`].
    pub const EDIT_PATH_PREFIX: &str = "/api/v5/integration-modules/";
    pub const EDIT_PATH_SUFFIX: &str = "/edit";
    /// Header carrying the account's API key on calls to the system.
    pub const HEADER_API_KEY: &str = "X-API-KEY";
    /// Content type of the edit call and of the register request.
    pub const CONTENT_TYPE_FORM: &str = "application/x-www-form-urlencoded";
    /// Content type of every answer the module gives the system.
    pub const CONTENT_TYPE_JSON: &str = "application/json";
    /// Form field of the edit call carrying the module JSON.
    pub const FIELD_INTEGRATION_MODULE: &str = "integrationModule";
    /// Register request form fields.
    pub const FIELD_SYSTEM_URL: &str = "register[systemUrl]";
    pub const FIELD_API_KEY: &str = "register[apiKey]";
    pub const FIELD_TOKEN: &str = "register[token]";

    /// Answer to `configUrl`.
    #[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
    pub struct ConfigResponse {
        pub success: bool,
        pub scopes: Vec<String>,
        #[serde(rename = "registerUrl")]
        pub register_url: String,
    }

    /// Successful answer to `registerUrl`.
    #[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
    pub struct RegisterSuccess {
        pub success: bool,
        #[serde(rename = "accountUrl")]
        pub account_url: String,
    }

    /// Failure answer (module → system, and system → module).
    #[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
    pub struct ErrorResponse {
        pub success: bool,
        #[serde(rename = "errorMsg")]
        pub error_msg: String,
    }

    /// The system's answer to an API call, read defensively.
    #[derive(Deserialize, Debug, Clone, Default, PartialEq)]
    pub struct ApiAnswer {
        #[serde(default)]
        pub success: Option<bool>,
        #[serde(rename = "errorMsg", default)]
        pub error_msg: Option<String>,
        /// Field errors: an object `{field: message}` or a list of messages.
        #[serde(default)]
        pub errors: Option<serde_json::Value>,
    }

    /// The edit path for a module code (the code is percent-encoded as a path segment).
    pub fn edit_path(code: &str) -> String {
        format!(
            "{EDIT_PATH_PREFIX}{}{EDIT_PATH_SUFFIX}",
            super::encode_component(code, false)
        )
    }
}

/// The `integrationModule` JSON of the edit call (camelCase on the wire). Fields the
/// struct does not name go into `extra` and are sent as they are.
#[derive(Serialize, Deserialize, Clone, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct IntegrationModule {
    pub code: String,
    pub integration_code: String,
    pub active: bool,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo: Option<String>,
    /// The account's identifier in the module; the system sends it back when the user opens
    /// the module's personal account. Redacted in `Debug`.
    pub client_id: String,
    pub base_url: String,
    pub account_url: String,
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub actions: serde_json::Value,
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl fmt::Debug for IntegrationModule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IntegrationModule")
            .field("code", &self.code)
            .field("integration_code", &self.integration_code)
            .field("active", &self.active)
            .field("name", &self.name)
            .field("logo", &self.logo)
            .field("client_id", &"<redacted>")
            .field("base_url", &self.base_url)
            .field("account_url", &self.account_url)
            .field("actions", &self.actions)
            .field("extra", &self.extra)
            .finish()
    }
}

/// The register token the system sends: lowercase hex HMAC-SHA256(key = module secret,
/// msg = apiKey) (PHP `hash_hmac('sha256', $apiKey, $secret)`). An empty secret or API key
/// is an error (a token under an empty secret authenticates nothing).
pub fn register_token(secret: &str, api_key: &str) -> Result<String> {
    if secret.is_empty() || api_key.is_empty() {
        return Err(Error::invalid_arg(
            "RetailCRM: the module secret and the API key must not be empty",
        ));
    }
    Ok(hex_lower(&hmac_sha256(
        secret.as_bytes(),
        api_key.as_bytes(),
    )))
}

/// Constant-time check of a register token (hex in either case). An empty secret never
/// verifies.
pub fn verify_register_token(secret: &str, api_key: &str, token: &str) -> bool {
    !secret.is_empty()
        && verify_hex_mac(
            secret.as_bytes(),
            api_key.as_bytes(),
            token,
            PrefixRule::Absent,
        )
}

/// `{"success":true,"scopes":[...],"registerUrl":"..."}` — the answer to `configUrl`
/// (HTTP 200, `application/json`).
pub fn config_response(scopes: &[&str], register_url: &str) -> String {
    to_json(&wire::ConfigResponse {
        success: true,
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        register_url: register_url.to_string(),
    })
}

/// `{"success":true,"accountUrl":"..."}` — the answer to a successful register request
/// (HTTP 200).
pub fn register_success(account_url: &str) -> String {
    to_json(&wire::RegisterSuccess {
        success: true,
        account_url: account_url.to_string(),
    })
}

/// `{"success":false,"errorMsg":"..."}` — the answer to any failed request. **Always send it
/// with HTTP status 200**: the system shows `errorMsg` to the user in the module card.
pub fn error_response(msg: &str) -> String {
    to_json(&wire::ErrorResponse {
        success: false,
        error_msg: msg.to_string(),
    })
}

fn to_json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("plain structs always serialise")
}

/// The fields of a register request. `api_key` is redacted in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct RegisterRequest {
    pub system_url: String,
    pub api_key: String,
    pub token: String,
}

impl fmt::Debug for RegisterRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegisterRequest")
            .field("system_url", &self.system_url)
            .field("api_key", &"<redacted>")
            .field("token", &"<redacted>")
            .finish()
    }
}

/// Parse an `application/x-www-form-urlencoded` register body. Missing, empty or duplicated
/// `register[...]` fields are [`ErrorKind::InvalidArgument`] (a duplicate is ambiguous, so
/// it is refused rather than resolved first- or last-wins). Unknown fields are ignored.
pub fn parse_register_form(body: &[u8]) -> Result<RegisterRequest> {
    let pairs = parse_form(body)?;
    let field = |name: &str| -> Result<String> {
        let mut it = pairs.iter().filter(|(k, _)| k == name);
        let first = it.next();
        if it.next().is_some() {
            return Err(Error::invalid_arg(format!(
                "register request: field {name} is repeated"
            )));
        }
        match first {
            Some((_, v)) if !v.is_empty() => Ok(v.clone()),
            _ => Err(Error::invalid_arg(format!(
                "register request: field {name} is missing"
            ))),
        }
    };
    Ok(RegisterRequest {
        system_url: field(wire::FIELD_SYSTEM_URL)?,
        api_key: field(wire::FIELD_API_KEY)?,
        token: field(wire::FIELD_TOKEN)?,
    })
}

/// Decode an `application/x-www-form-urlencoded` body into `(name, value)` pairs, in order
/// (`+` is a space, `%XX` a byte; the result must be UTF-8). A malformed `%` escape or
/// invalid UTF-8 is [`ErrorKind::InvalidArgument`]. Empty segments (`a=1&&b=2`) are
/// skipped; a segment without `=` is a name with an empty value.
pub fn parse_form(body: &[u8]) -> Result<Vec<(String, String)>> {
    body.split(|&b| b == b'&')
        .filter(|seg| !seg.is_empty())
        .map(|seg| {
            let (k, v) = match seg.iter().position(|&b| b == b'=') {
                Some(i) => (&seg[..i], &seg[i + 1..]),
                None => (seg, &b""[..]),
            };
            Ok((percent_decode(k)?, percent_decode(v)?))
        })
        .collect()
}

fn percent_decode(s: &[u8]) -> Result<String> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = |c: u8| (c as char).to_digit(16);
                match (
                    s.get(i + 1).and_then(|&c| hex(c)),
                    s.get(i + 2).and_then(|&c| hex(c)),
                ) {
                    (Some(h), Some(l)) => out.push((h * 16 + l) as u8),
                    _ => return Err(Error::invalid_arg("form body: malformed %-escape")),
                }
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| Error::invalid_arg("form body: not UTF-8"))
}

/// Encode `(name, value)` pairs as `application/x-www-form-urlencoded` (alphanumerics and
/// `*-._` kept, space as `+`, everything else `%XX` of its UTF-8 bytes).
pub fn encode_form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                encode_component(k, true),
                encode_component(v, true)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Percent-encode one component; `space_as_plus` for form bodies, `%20` for path segments.
fn encode_component(s: &str, space_as_plus: bool) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                out.push(b as char)
            }
            b' ' if space_as_plus => out.push('+'),
            _ => {
                out.push('%');
                out.push(HEX[(b >> 4) as usize] as char);
                out.push(HEX[(b & 15) as usize] as char);
            }
        }
    }
    out
}

fn check_api_key(api_key: &str) -> Result<()> {
    if api_key.is_empty() || !api_key.bytes().all(|b| (0x21..0x7f).contains(&b)) {
        return Err(Error::invalid_arg(
            "RetailCRM: the API key is empty or has characters not allowed in a header",
        ));
    }
    Ok(())
}

/// Check a system URL: https (loopback http allowed), no query, fragment or credentials.
fn check_system_url(http: &HttpClient, system_url: &str) -> Result<Url> {
    let plain =
        || Error::invalid_arg("RetailCRM: systemUrl must be a plain https://host[/path] URL");
    let url = Url::parse(system_url).map_err(|_| plain())?;
    crate::http::check_scheme(&url, http.config().allow_insecure_http)?;
    if url.path.contains('?') {
        return Err(plain());
    }
    Ok(url)
}

/// The transport of the RetailCRM calls: an HTTP client and the deadline of one call, from
/// the optional JSON object of transport keys and `deadline_ms` the C ABI takes.
#[derive(Clone, Debug)]
pub struct Calls {
    pub http: HttpClient,
    pub deadline: std::time::Duration,
}

impl Calls {
    /// `None`: the defaults (30 s per call).
    pub fn from_json(json: Option<&str>) -> Result<Calls> {
        let (cfg, deadline) = crate::config::http_config_from_json(json)?;
        Ok(Calls {
            http: HttpClient::new(cfg)?,
            deadline,
        })
    }

    fn deadline(&self) -> Instant {
        self.http.clock().now() + self.deadline
    }

    /// [`edit_module`] within this transport's deadline.
    pub fn edit_module(
        &self,
        system_url: &str,
        api_key: &str,
        module: &IntegrationModule,
    ) -> Result<()> {
        let tel = self.http.telemetry();
        tel.redactor.add(api_key);
        edit_module(&self.http, system_url, api_key, module, self.deadline())
            .inspect_err(|e| tel.call_failed("retailcrm", "integration-modules edit", e))
    }

    /// [`register_account`] within this transport's deadline.
    pub fn register_account(
        &self,
        secret: &str,
        form_body: &[u8],
        module: &IntegrationModule,
    ) -> Registration {
        register_account(&self.http, secret, form_body, module, self.deadline())
    }

    /// [`handle_register`] within this transport's deadline.
    pub fn handle_register(
        &self,
        secret: &str,
        form_body: &[u8],
        module: &IntegrationModule,
    ) -> String {
        handle_register(&self.http, secret, form_body, module, self.deadline())
    }
}

/// Register or update the module in the account:
/// `POST {system_url}/api/v5/integration-modules/{code}/edit`, header `X-API-KEY`, body
/// `integrationModule=<url-encoded JSON>`.
///
/// `system_url` must be https (loopback http is allowed, for tests); redirects are never
/// followed, so a 3xx is [`ErrorKind::HttpStatus`]. An answer `{"success": false,
/// "errorMsg": "..."}` (with any status) is [`ErrorKind::Remote`] carrying the system's
/// `errorMsg` (and field `errors`, if any); any other non-2xx is [`ErrorKind::HttpStatus`];
/// an unreadable 2xx is [`ErrorKind::Protocol`].
pub fn edit_module(
    http: &HttpClient,
    system_url: &str,
    api_key: &str,
    module: &IntegrationModule,
    deadline: Instant,
) -> Result<()> {
    edit_module_detailed(http, system_url, api_key, module, deadline).map_err(|(e, _)| e)
}

/// [`edit_module`], with the system's field errors (its `errors` map, as JSON) beside the
/// error when it gave them.
pub fn edit_module_detailed(
    http: &HttpClient,
    system_url: &str,
    api_key: &str,
    module: &IntegrationModule,
    deadline: Instant,
) -> std::result::Result<(), (Error, Option<serde_json::Value>)> {
    let plain = |e: Error| (e, None);
    let system = check_system_url(http, system_url).map_err(&plain)?;
    check_api_key(api_key).map_err(&plain)?;
    if module.code.is_empty() {
        return Err(plain(Error::invalid_arg(
            "RetailCRM: the module code is empty",
        )));
    }
    let json = serde_json::to_string(module).map_err(|_| {
        plain(Error::invalid_arg(
            "RetailCRM: the module cannot be encoded as JSON",
        ))
    })?;
    let body = encode_form(&[(wire::FIELD_INTEGRATION_MODULE, &json)]);
    let url = system.join(&wire::edit_path(&module.code));
    let resp = http
        .post(
            &url,
            &[(wire::HEADER_API_KEY, api_key)],
            wire::CONTENT_TYPE_FORM,
            body.as_bytes(),
            "retailcrm_edit",
            true,
            deadline,
        )
        .map_err(&plain)?;
    let status = resp.status;
    if (300..400).contains(&status) {
        return Err(plain(
            Error::new(
                ErrorKind::HttpStatus,
                format!(
                    "RetailCRM answered a redirect (HTTP {status}); redirects are not followed"
                ),
            )
            .with_http_status(status),
        ));
    }
    let answer: Option<wire::ApiAnswer> = serde_json::from_slice(&resp.body).ok();
    if let Some(a) = &answer {
        if a.success == Some(false) {
            let mut msg = a
                .error_msg
                .clone()
                .unwrap_or_else(|| "the system reported a failure".to_string());
            let fields = a.errors.clone().filter(|e| !e.is_null());
            if let Some(errs) = &fields {
                msg.push_str(&format!(" ({})", flatten_errors(errs)));
            }
            return Err((
                Error::new(ErrorKind::Remote, scrub(&msg, &[api_key])).with_http_status(status),
                fields,
            ));
        }
    }
    if !resp.is_success() {
        return Err(plain(
            Error::new(
                ErrorKind::HttpStatus,
                format!(
                    "RetailCRM edit failed (HTTP {status}): {}",
                    scrub(&resp.error_summary(), &[api_key])
                ),
            )
            .with_http_status(status),
        ));
    }
    match answer {
        Some(a) if a.success == Some(true) => Ok(()),
        _ => Err(plain(
            Error::protocol(format!(
                "RetailCRM edit: unexpected answer (HTTP {status}) without \"success\": true"
            ))
            .with_http_status(status),
        )),
    }
}

fn flatten_errors(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Object(m) => m
            .iter()
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => format!("{k}: {s}"),
                other => format!("{k}: {other}"),
            })
            .collect::<Vec<_>>()
            .join("; "),
        serde_json::Value::Array(a) => a
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string())
            })
            .collect::<Vec<_>>()
            .join("; "),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Replace every occurrence of each non-trivial secret in `msg`.
fn scrub(msg: &str, secrets: &[&str]) -> String {
    let mut out = msg.to_string();
    for s in secrets {
        if s.len() >= 4 {
            out = out.replace(s, "<redacted>");
        }
    }
    out
}

/// The whole register step of a module's `registerUrl` handler: parse the form body,
/// verify `register[token]` **first** (a missing or wrong token gets an error answer and no
/// outgoing call), call [`edit_module`] on the system with `module` (the template: code,
/// client id, URLs...), and return the JSON answer: [`register_success`] with
/// `module.account_url`, or [`error_response`]. Send the answer with HTTP 200 either way.
/// The API key and the secret never appear in the answer.
pub fn handle_register(
    http: &HttpClient,
    secret: &str,
    form_body: &[u8],
    module: &IntegrationModule,
    deadline: Instant,
) -> String {
    register_account(http, secret, form_body, module, deadline).answer
}

/// The outcome of one register step, for a module that serves many CRM accounts: what to
/// answer the system, and what the module must store for the account.
#[derive(Clone)]
pub struct Registration {
    /// The JSON to answer the system with (HTTP 200): success with `accountUrl`, or
    /// `{"success": false, "errorMsg": ...}`.
    pub answer: String,
    /// The module is registered in the account (the edit call succeeded).
    pub registered: bool,
    /// The account's system URL, from the form (when the form parsed).
    pub system_url: Option<String>,
    /// The account's API key, only when registered: store it (a secret) to call the system
    /// on the account's behalf.
    pub api_key: Option<Zeroizing<String>>,
    /// Why it was not registered (no secret in it).
    pub error: Option<String>,
    /// The system's field errors for the edit call (its `errors` map), when it gave them.
    pub field_errors: Option<serde_json::Value>,
}

impl fmt::Debug for Registration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registration")
            .field("registered", &self.registered)
            .field("system_url", &self.system_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("error", &self.error)
            .field("field_errors", &self.field_errors)
            .finish()
    }
}

/// `module` with the account's own fields (e.g. `clientId`, `accountUrl`) laid over its
/// top-level fields: one module description, many accounts.
pub fn module_for_account(
    module: &IntegrationModule,
    account: &serde_json::Map<String, serde_json::Value>,
) -> Result<IntegrationModule> {
    let mut v = serde_json::to_value(module)
        .map_err(|_| Error::invalid_arg("RetailCRM: the module cannot be encoded as JSON"))?;
    if let Some(o) = v.as_object_mut() {
        for (k, val) in account {
            o.insert(k.clone(), val.clone());
        }
    }
    serde_json::from_value(v).map_err(|e| {
        Error::invalid_arg(format!(
            "RetailCRM: the module with the account's fields is not a valid integrationModule: {}",
            e.to_string().chars().take(200).collect::<String>()
        ))
    })
}

/// The register step (see [`handle_register`]), with everything the module must know about
/// the account: registered or not, the account's `systemUrl` and (when registered) its
/// `apiKey`, the reason and the system's field errors otherwise.
pub fn register_account(
    http: &HttpClient,
    secret: &str,
    form_body: &[u8],
    module: &IntegrationModule,
    deadline: Instant,
) -> Registration {
    let failed = |msg: String, api_key: &str, system_url: Option<String>, fields| {
        let msg = scrub(&msg, &[api_key, secret]);
        Registration {
            answer: error_response(&msg),
            registered: false,
            system_url,
            api_key: None,
            error: Some(msg),
            field_errors: fields,
        }
    };
    if secret.is_empty() {
        return failed(
            "The module is not configured (no secret)".into(),
            "",
            None,
            None,
        );
    }
    let req = match parse_register_form(form_body) {
        Ok(r) => r,
        Err(e) => {
            return failed(
                format!("Invalid registration request: {}", e.message()),
                "",
                None,
                None,
            )
        }
    };
    let system_url = Some(req.system_url.clone());
    if !verify_register_token(secret, &req.api_key, &req.token) {
        return failed(
            "Invalid registration token".into(),
            &req.api_key,
            system_url,
            None,
        );
    }
    match edit_module_detailed(http, &req.system_url, &req.api_key, module, deadline) {
        Ok(()) => Registration {
            answer: register_success(&module.account_url),
            registered: true,
            system_url,
            api_key: Some(Zeroizing::new(req.api_key.clone())),
            error: None,
            field_errors: None,
        },
        Err((e, fields)) => {
            let msg = match e.kind() {
                ErrorKind::Remote => e.message().to_string(),
                ErrorKind::InsecureUrl | ErrorKind::InvalidArgument => {
                    format!("Registration refused: {}", e.message())
                }
                _ => format!(
                    "Could not register the module in the system: {}",
                    e.message()
                ),
            };
            failed(msg, &req.api_key, system_url, fields)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn far() -> Instant {
        Instant::now() + std::time::Duration::from_secs(30)
    }
    use serde_json::{json, Value};

    #[test]
    fn token_vector_matches_php_hash_hmac() {
        // hash_hmac('sha256', 'what do ya want for nothing?', 'Jefe') — RFC 4231 case 2.
        let t = register_token("Jefe", "what do ya want for nothing?").unwrap();
        assert_eq!(
            t,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert!(verify_register_token(
            "Jefe",
            "what do ya want for nothing?",
            &t
        ));
        assert!(verify_register_token(
            "Jefe",
            "what do ya want for nothing?",
            &t.to_uppercase()
        ));
        let mut bad = t.clone();
        bad.replace_range(0..1, "6");
        assert!(!verify_register_token(
            "Jefe",
            "what do ya want for nothing?",
            &bad
        ));
        assert!(!verify_register_token("Jefe", "other key", &t));
        assert!(!verify_register_token(
            "jefe",
            "what do ya want for nothing?",
            &t
        ));
        assert!(!verify_register_token(
            "Jefe",
            "what do ya want for nothing?",
            ""
        ));
        assert!(!verify_register_token(
            "Jefe",
            "what do ya want for nothing?",
            &format!("sha256={t}")
        ));
        // an empty secret never verifies, even against its own token
        assert!(register_token("", "k").is_err() && register_token("s", "").is_err());
        assert!(!verify_register_token(
            "",
            "k",
            &hex_lower(&hmac_sha256(b"", b"k"))
        ));
    }

    #[test]
    fn json_answers() {
        let c: Value =
            serde_json::from_str(&config_response(&["integration_read", "x"], "https://m/r"))
                .unwrap();
        assert_eq!(
            c,
            json!({"success":true,"scopes":["integration_read","x"],"registerUrl":"https://m/r"})
        );
        assert_eq!(
            register_success("https://m/a?x=1"),
            r#"{"success":true,"accountUrl":"https://m/a?x=1"}"#
        );
        assert_eq!(error_response("no"), r#"{"success":false,"errorMsg":"no"}"#);
        let tricky = "quote \" back\\slash\nnewline\ttab </script> ünïcødé 🚀 \u{1}";
        let e = error_response(tricky);
        assert!(!e.contains('\n'));
        let v: Value = serde_json::from_str(&e).unwrap();
        assert_eq!(v["errorMsg"], tricky);
        assert_eq!(v["success"], false);
        let v: Value = serde_json::from_str(&config_response(&[], "a\"b")).unwrap();
        assert_eq!(v["registerUrl"], "a\"b");
        assert_eq!(v["scopes"], json!([]));
    }

    fn module() -> IntegrationModule {
        IntegrationModule {
            code: "b2c-module".into(),
            integration_code: "b2c".into(),
            active: true,
            name: "B2C \"fees\"".into(),
            logo: Some("https://m/logo.svg".into()),
            client_id: "client-secret-id-123".into(),
            base_url: "https://m".into(),
            account_url: "https://m/account".into(),
            actions: json!({"activity": "/activity"}),
            extra: Default::default(),
        }
    }

    #[test]
    fn module_wire_json_and_debug() {
        let mut m = module();
        m.extra
            .insert("integrations".into(), json!({"delivery": {"x": 1}}));
        let v: Value = serde_json::to_value(&m).unwrap();
        assert_eq!(v["integrationCode"], "b2c");
        assert_eq!(v["clientId"], "client-secret-id-123");
        assert_eq!(v["baseUrl"], "https://m");
        assert_eq!(v["accountUrl"], "https://m/account");
        assert_eq!(v["actions"]["activity"], "/activity");
        assert_eq!(v["integrations"]["delivery"]["x"], 1);
        assert!(v.get("integration_code").is_none());
        let back: IntegrationModule = serde_json::from_value(v).unwrap();
        assert_eq!(back, m);
        let mut no_logo = module();
        no_logo.logo = None;
        no_logo.actions = Value::Null;
        let v = serde_json::to_value(&no_logo).unwrap();
        assert!(v.get("logo").is_none() && v.get("actions").is_none());
        assert!(!format!("{m:?}").contains("client-secret-id-123"));
    }

    #[test]
    fn form_round_trip_and_encoding() {
        let json = r#"{"name":"a b&c=d+e%f","u":"ü"}"#;
        let enc = encode_form(&[("integrationModule", json), ("x y", "")]);
        assert_eq!(
            enc,
            "integrationModule=%7B%22name%22%3A%22a+b%26c%3Dd%2Be%25f%22%2C%22u%22%3A%22%C3%BC%22%7D&x+y="
        );
        let back = parse_form(enc.as_bytes()).unwrap();
        assert_eq!(
            back,
            vec![
                ("integrationModule".to_string(), json.to_string()),
                ("x y".to_string(), String::new())
            ]
        );
        assert_eq!(
            wire::edit_path("my code/1"),
            "/api/v5/integration-modules/my%20code%2F1/edit"
        );
    }

    #[test]
    fn form_parsing_edge_cases() {
        assert_eq!(
            parse_form(b"a=1&&b&c=%41%2b%2B+x&=v&d==").unwrap(),
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "".into()),
                ("c".into(), "A++ x".into()),
                ("".into(), "v".into()),
                ("d".into(), "=".into()),
            ]
        );
        assert!(parse_form(b"").unwrap().is_empty());
        for bad in [&b"a=%"[..], b"a=%4", b"a=%zz", b"a=%C3", b"%ff=1"] {
            assert_eq!(
                parse_form(bad).unwrap_err().kind(),
                ErrorKind::InvalidArgument,
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    fn reg_body(system_url: &str, api_key: &str, token: &str) -> String {
        encode_form(&[
            ("register[systemUrl]", system_url),
            ("register[apiKey]", api_key),
            ("register[token]", token),
        ])
    }

    #[test]
    fn register_form() {
        let body = reg_body("https://demo.retailcrm.ru", "k+e y/=", "abc");
        assert!(body.contains("register%5BsystemUrl%5D="));
        let r = parse_register_form(body.as_bytes()).unwrap();
        assert_eq!(r.system_url, "https://demo.retailcrm.ru");
        assert_eq!(r.api_key, "k+e y/=");
        assert_eq!(r.token, "abc");
        // raw brackets are fine too
        let r = parse_register_form(
            b"register[systemUrl]=https%3A%2F%2Fs&register[apiKey]=K&register[token]=T&other=1",
        )
        .unwrap();
        assert_eq!(
            (r.system_url.as_str(), r.api_key.as_str(), r.token.as_str()),
            ("https://s", "K", "T")
        );
        // missing / empty / duplicate
        let e =
            parse_register_form(b"register[systemUrl]=https://s&register[token]=T").unwrap_err();
        assert!(e.message().contains("register[apiKey]"));
        assert!(parse_register_form(
            b"register[systemUrl]=https://s&register[apiKey]=&register[token]=T"
        )
        .is_err());
        let e = parse_register_form(
            b"register[systemUrl]=https://s&register[apiKey]=K&register[token]=T&register[apiKey]=K2",
        )
        .unwrap_err();
        assert!(e.message().contains("repeated"));
        assert!(!e.message().contains("K2"));
        // Debug redacts the key and token
        let r =
            parse_register_form(reg_body("https://s", "APIKEY-SECRET-1", "TOKEN-VAL").as_bytes())
                .unwrap();
        let d = format!("{r:?}");
        assert!(
            !d.contains("APIKEY-SECRET-1") && !d.contains("TOKEN-VAL"),
            "{d}"
        );
    }

    #[test]
    fn register_rejects_before_any_call() {
        // Unroutable system URLs: any outgoing call would fail with a network error, which
        // would change the message. These all stop before the call.
        let http = HttpClient::new(Default::default()).unwrap();
        let secret = "module-secret-XYZ";
        let key = "account-api-key-ABC";
        let m = module();
        let check = |body: &str, want: &str| {
            let ans = handle_register(&http, secret, body.as_bytes(), &m, far());
            let v: Value = serde_json::from_str(&ans).unwrap();
            assert_eq!(v["success"], false, "{ans}");
            let msg = v["errorMsg"].as_str().unwrap();
            assert!(msg.contains(want), "{msg}");
            assert!(!ans.contains(secret) && !ans.contains(key), "{ans}");
        };
        check(
            &reg_body(
                "https://192.0.2.1",
                key,
                &register_token("wrong", key).unwrap(),
            ),
            "Invalid registration token",
        );
        check(
            &reg_body("https://192.0.2.1", key, "00"),
            "Invalid registration token",
        );
        check(
            "register[systemUrl]=https://192.0.2.1",
            "register[apiKey] is missing",
        );
        check("%zz", "malformed");
        // valid token, but plain http to a remote host is refused without a call
        check(
            &reg_body(
                "http://192.0.2.1",
                key,
                &register_token(secret, key).unwrap(),
            ),
            "Registration refused",
        );
        check(
            &reg_body(
                "https://192.0.2.1?x=1",
                key,
                &register_token(secret, key).unwrap(),
            ),
            "Registration refused",
        );
        check(
            &reg_body(
                "https://user@192.0.2.1",
                key,
                &register_token(secret, key).unwrap(),
            ),
            "Registration refused",
        );
        // no secret configured
        let ans = handle_register(
            &http,
            "",
            reg_body("https://s", key, "x").as_bytes(),
            &m,
            far(),
        );
        assert!(ans.contains("not configured"));
    }

    #[test]
    fn scrub_removes_secrets() {
        assert_eq!(
            scrub("bad key abcd1234!", &["abcd1234"]),
            "bad key <redacted>!"
        );
        assert_eq!(scrub("a", &["", "a"]), "a");
    }
}
