//! RetailCRM (Simla) *system* emulator under `/retailcrm`, written from the vendor page
//! (seed 004, docs/PROTOCOLS.md §4) with its own literals, form codec and HMAC:
//! `POST /retailcrm/api/v5/integration-modules/{code}/edit` checks the API key (header
//! `X-API-KEY`; lenient also the `apiKey` query or form parameter) and the
//! `integrationModule` form field, and records the module. [`post_register_form`] plays the
//! system's side of a "simple connection": it POSTs the register form to a module's
//! `registerUrl`.
//!
//! Answers: 201 `{"success": true}` (created) / 200 (updated); 403 wrong key; 405 not POST;
//! 400 `{"success": false, "errorMsg": "..."}` for a malformed request, and for a module
//! lacking a field or with a field of the wrong type also `"errors":
//! {"integrationModule[<field>]": "..."}` (the field named in both); scripted failures
//! ([`RetailcrmEmulator::fail_next_edit`]) and field errors
//! ([`RetailcrmEmulator::set_field_errors`], `--retailcrm-field-errors`).

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use serde::Serialize;
use serde_json::{json, Map, Value};

use super::profile::Leniencies;
use super::server::{HttpReply, HttpRequest};
use super::util::{form_encode, form_parse, hex_lower, hmac_sha256, percent_decode};
use super::Emulator;

/// Default mount point (the module's `systemUrl` is `{server}{prefix}`).
pub const DEFAULT_PREFIX: &str = "/retailcrm";
/// `{systemUrl}` + this + `{code}` + [`EDIT_PATH_SUFFIX`].
pub const EDIT_PATH_PREFIX: &str = "/api/v5/integration-modules/";
pub const EDIT_PATH_SUFFIX: &str = "/edit";
/// Header carrying the account's API key.
pub const HEADER_API_KEY: &str = "X-API-KEY";
/// The v5 API's query/form parameter for the API key (lenient profile).
pub const PARAM_API_KEY: &str = "apiKey";
pub const CONTENT_TYPE_FORM: &str = "application/x-www-form-urlencoded";
/// Form field of the edit call carrying the module JSON.
pub const FIELD_INTEGRATION_MODULE: &str = "integrationModule";
/// Register request form fields.
pub const FIELD_SYSTEM_URL: &str = "register[systemUrl]";
pub const FIELD_API_KEY: &str = "register[apiKey]";
pub const FIELD_TOKEN: &str = "register[token]";
/// The field errors `--retailcrm-field-errors` answers with.
pub const DEFAULT_FIELD_ERRORS: &[(&str, &str)] =
    &[("integrationModule[clientId]", "This value is already used.")];

/// The `integrationModule` JSON of the edit call, as the emulator reads it (camelCase on
/// the wire). Required: `code`, `integrationCode`, `active`, `name`, `clientId`,
/// `baseUrl`, `accountUrl`; `logo` and `actions` optional; any other field is kept in
/// `extra`.
///
/// It compares equal to any serializable value whose JSON reads as the same module (e.g.
/// the client library's own module type), so a test can `assert_eq!(emulator.module(..),
/// what_the_client_sent)` without the sandbox depending on the client.
#[derive(Serialize, Clone, Default)]
#[serde(rename_all = "camelCase")]
pub struct IntegrationModule {
    pub code: String,
    pub integration_code: String,
    pub active: bool,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logo: Option<String>,
    pub client_id: String,
    pub base_url: String,
    pub account_url: String,
    #[serde(skip_serializing_if = "Value::is_null")]
    pub actions: Value,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Why a module JSON was refused: the camelCase field and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl IntegrationModule {
    /// Read a module from its JSON; the first problem names its field.
    pub fn from_json(v: &Value) -> Result<Self, FieldError> {
        let err = |field: &str, message: &str| FieldError {
            field: field.to_string(),
            message: message.to_string(),
        };
        let Some(o) = v.as_object() else {
            return Err(err("", "must be a JSON object"));
        };
        let string = |f: &str| -> Result<String, FieldError> {
            match o.get(f) {
                Some(Value::String(s)) => Ok(s.clone()),
                Some(_) => Err(err(f, "must be a string")),
                None => Err(err(f, "is required")),
            }
        };
        let code = string("code")?;
        let integration_code = string("integrationCode")?;
        let active = match o.get("active") {
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(err("active", "must be a boolean")),
            None => return Err(err("active", "is required")),
        };
        let name = string("name")?;
        let logo = match o.get("logo") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err(err("logo", "must be a string")),
        };
        let client_id = string("clientId")?;
        let base_url = string("baseUrl")?;
        let account_url = string("accountUrl")?;
        let actions = o.get("actions").cloned().unwrap_or(Value::Null);
        const NAMED: [&str; 9] = [
            "code",
            "integrationCode",
            "active",
            "name",
            "logo",
            "clientId",
            "baseUrl",
            "accountUrl",
            "actions",
        ];
        let extra = o
            .iter()
            .filter(|(k, _)| !NAMED.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Ok(IntegrationModule {
            code,
            integration_code,
            active,
            name,
            logo,
            client_id,
            base_url,
            account_url,
            actions,
            extra,
        })
    }

    fn same(&self, o: &IntegrationModule) -> bool {
        self.code == o.code
            && self.integration_code == o.integration_code
            && self.active == o.active
            && self.name == o.name
            && self.logo == o.logo
            && self.client_id == o.client_id
            && self.base_url == o.base_url
            && self.account_url == o.account_url
            && self.actions == o.actions
            && self.extra == o.extra
    }
}

impl<T: Serialize + ?Sized> PartialEq<T> for IntegrationModule {
    /// Equal if `other` serializes to JSON that reads as the same module.
    fn eq(&self, other: &T) -> bool {
        serde_json::to_value(other)
            .ok()
            .and_then(|v| IntegrationModule::from_json(&v).ok())
            .is_some_and(|m| self.same(&m))
    }
}

impl std::fmt::Debug for IntegrationModule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
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

/// One edit call as the emulator saw it.
#[derive(Clone, Debug)]
pub struct EditCall {
    pub code: String,
    /// The status answered.
    pub status: u16,
    /// The decoded module, if it parsed.
    pub module: Option<IntegrationModule>,
}

#[derive(Default)]
struct State {
    api_keys: Vec<String>,
    modules: HashMap<String, IntegrationModule>,
    calls: Vec<EditCall>,
    fail_next: Option<(u16, String)>,
    /// Field errors to answer with, and for how many more edits (`None`: every one).
    field_errors: Option<(Map<String, Value>, Option<u32>)>,
}

/// The RetailCRM system emulator.
pub struct RetailcrmEmulator {
    prefix: String,
    state: Mutex<State>,
    leniencies: Arc<Leniencies>,
}

impl RetailcrmEmulator {
    /// An emulator accepting `api_keys`, mounted at [`DEFAULT_PREFIX`], lenient.
    pub fn new(api_keys: &[&str]) -> Self {
        Self::with_leniencies(api_keys, Arc::new(Leniencies::new(false)))
    }

    /// The same, recording its leniencies (and taking its profile) in `leniencies`.
    pub fn with_leniencies(api_keys: &[&str], leniencies: Arc<Leniencies>) -> Self {
        RetailcrmEmulator {
            prefix: DEFAULT_PREFIX.to_string(),
            state: Mutex::new(State {
                api_keys: api_keys.iter().map(|k| k.to_string()).collect(),
                ..State::default()
            }),
            leniencies,
        }
    }

    /// The profile and the leniencies granted.
    pub fn leniencies(&self) -> &Arc<Leniencies> {
        &self.leniencies
    }

    /// The `systemUrl` for a server at `server_base`.
    pub fn system_url(&self, server_base: &str) -> String {
        format!("{}{}", server_base.trim_end_matches('/'), self.prefix)
    }

    /// Every edit call seen (including rejected ones).
    pub fn calls(&self) -> Vec<EditCall> {
        self.state.lock().calls.clone()
    }

    /// The module registered under `code`, if any.
    pub fn module(&self, code: &str) -> Option<IntegrationModule> {
        self.state.lock().modules.get(code).cloned()
    }

    /// Answer the next edit call with `{"success": false, "errorMsg": msg}` and `status`.
    pub fn fail_next_edit(&self, status: u16, msg: &str) {
        self.state.lock().fail_next = Some((status, msg.to_string()));
    }

    /// Answer edits that pass every check with HTTP 400 `{"success": false, "errorMsg":
    /// "Errors in the entity format", "errors": errors}`: the next `times` of them (`None`:
    /// every one until cleared; `Some(0)` clears).
    pub fn set_field_errors(&self, errors: Map<String, Value>, times: Option<u32>) {
        self.state.lock().field_errors = match times {
            Some(0) => None,
            t => Some((errors, t)),
        };
    }

    /// [`DEFAULT_FIELD_ERRORS`] as a map.
    pub fn default_field_errors() -> Map<String, Value> {
        DEFAULT_FIELD_ERRORS
            .iter()
            .map(|(k, v)| (k.to_string(), Value::from(*v)))
            .collect()
    }

    /// Stop answering with field errors.
    pub fn clear_field_errors(&self) {
        self.state.lock().field_errors = None;
    }

    /// Answer `req` if its path is ours; `None` otherwise.
    pub fn route(&self, req: &HttpRequest) -> Option<HttpReply> {
        let rest = req.path.strip_prefix(self.prefix.as_str())?;
        if !rest.starts_with('/') {
            return None;
        }
        let code = rest
            .strip_prefix(EDIT_PATH_PREFIX)
            .and_then(|r| r.strip_suffix(EDIT_PATH_SUFFIX))
            .filter(|c| !c.is_empty() && !c.contains('/'));
        let Some(code) = code else {
            return Some(fail(404, "API method not found"));
        };
        // A path segment: %-decoded, '+' stays '+'.
        let code = percent_decode(code.as_bytes(), false).unwrap_or_else(|_| code.to_string());
        let mut st = self.state.lock();
        let (status, reply, module) = self.edit(&mut st, &code, req);
        st.calls.push(EditCall {
            code,
            status,
            module,
        });
        Some(reply)
    }

    /// The API key of the request: the `X-API-KEY` header, else (lenient) the `apiKey`
    /// query or form parameter. `(key, from a parameter)`.
    fn api_key(&self, req: &HttpRequest, form: Option<&[(String, String)]>) -> (String, bool) {
        if let Some(k) = req.header(HEADER_API_KEY) {
            return (k.to_string(), false);
        }
        let query = form_parse(req.query.as_bytes()).unwrap_or_default();
        let param = query
            .iter()
            .chain(form.unwrap_or_default())
            .find(|(k, _)| k == PARAM_API_KEY)
            .map(|(_, v)| v.clone());
        match param {
            Some(k) => (k, true),
            None => (String::new(), false),
        }
    }

    fn edit(
        &self,
        st: &mut State,
        code: &str,
        req: &HttpRequest,
    ) -> (u16, HttpReply, Option<IntegrationModule>) {
        if req.method != "POST" {
            return (405, fail(405, "Method not allowed"), None);
        }
        let is_form = req.media_type().as_deref() == Some(CONTENT_TYPE_FORM);
        let form = is_form.then(|| form_parse(&req.body));
        let (key, from_param) = self.api_key(req, form.as_ref().and_then(|f| f.as_deref().ok()));
        if key.is_empty() || !st.api_keys.contains(&key) {
            return (403, fail(403, "Wrong \"apiKey\" value."), None);
        }
        if from_param && !self.leniencies.allow("retailcrm_api_key_param") {
            return (
                403,
                fail(
                    403,
                    "The API key must be sent in the X-API-KEY header (the apiKey parameter is accepted only by the lenient profile)",
                ),
                None,
            );
        }
        let fields = match form {
            None => return (400, fail(400, "Expected a form body"), None),
            Some(Err(_)) => return (400, fail(400, "Malformed form body"), None),
            Some(Ok(f)) => f,
        };
        let mut values = fields.iter().filter(|(k, _)| k == FIELD_INTEGRATION_MODULE);
        let (Some((_, json)), None) = (values.next(), values.next()) else {
            return (
                400,
                fail(400, "Parameter 'integrationModule' is missing"),
                None,
            );
        };
        let Ok(value) = serde_json::from_str::<Value>(json) else {
            return (
                400,
                fail(400, "Parameter 'integrationModule' is not valid JSON"),
                None,
            );
        };
        let module = match IntegrationModule::from_json(&value) {
            Ok(m) => m,
            Err(e) if e.field.is_empty() => {
                return (
                    400,
                    fail(400, "Parameter 'integrationModule' must be a JSON object"),
                    None,
                )
            }
            Err(e) => {
                let key = format!("integrationModule[{}]", e.field);
                let msg = format!(
                    "Errors in the entity format: field '{}' {}",
                    e.field, e.message
                );
                let mut errors = Map::new();
                errors.insert(key, Value::from(format!("The field {}", e.message)));
                return (400, field_errors(&msg, errors), None);
            }
        };
        if module.code != code {
            return (
                400,
                fail(400, "The module code does not match the URL"),
                Some(module),
            );
        }
        if let Some((status, msg)) = st.fail_next.take() {
            return (status, fail(status, &msg), Some(module));
        }
        if let Some((errors, times)) = st.field_errors.take() {
            let reply = field_errors("Errors in the entity format", errors.clone());
            st.field_errors = match times {
                None => Some((errors, None)),
                Some(n) if n > 1 => Some((errors, Some(n - 1))),
                Some(_) => None,
            };
            return (400, reply, Some(module));
        }
        let created = !st.modules.contains_key(code);
        st.modules.insert(code.to_string(), module.clone());
        let status = if created { 201 } else { 200 };
        (
            status,
            HttpReply::json(status, &json!({"success": true})),
            Some(module),
        )
    }
}

fn fail(status: u16, msg: &str) -> HttpReply {
    HttpReply::json(status, &json!({"success": false, "errorMsg": msg}))
}

/// HTTP 400 `{"success": false, "errorMsg": msg, "errors": errors}`.
fn field_errors(msg: &str, errors: Map<String, Value>) -> HttpReply {
    HttpReply::json(
        400,
        &json!({"success": false, "errorMsg": msg, "errors": errors}),
    )
}

impl Emulator for RetailcrmEmulator {
    fn owns(&self, path: &str) -> bool {
        path.strip_prefix(self.prefix.as_str())
            .is_some_and(|r| r.starts_with('/'))
    }

    fn handle(&self, req: &HttpRequest) -> HttpReply {
        self.route(req)
            .unwrap_or_else(|| fail(404, "API method not found"))
    }
}

/// The register token the system sends: lowercase hex HMAC-SHA256(key = module secret,
/// message = API key) (PHP `hash_hmac('sha256', $apiKey, $secret)`, seed 004).
pub fn register_token(secret: &str, api_key: &str) -> String {
    hex_lower(&hmac_sha256(secret.as_bytes(), &[api_key.as_bytes()]))
}

/// [`post_register`], in the signature this function had when the sandbox used the client
/// library's HTTP client: `_transport` is ignored (pass anything; the sandbox uses its own
/// loopback HTTP client), so existing callers compile unchanged.
pub fn post_register_form<T: ?Sized>(
    _transport: &T,
    register_url: &str,
    system_url: &str,
    api_key: &str,
    secret: &str,
    token_override: Option<&str>,
    deadline: Option<Instant>,
) -> std::io::Result<(u16, Value)> {
    post_register(
        register_url,
        system_url,
        api_key,
        secret,
        token_override,
        deadline,
    )
}

/// Play the CRM system: POST `register[systemUrl]`, `register[apiKey]` and
/// `register[token]` (computed from `secret`, or `token_override` if given) as a form to a
/// module's `register_url` (`http://` only: the module under test listens on loopback),
/// over the sandbox's own HTTP/1.1 client. Returns the HTTP status and the module's JSON
/// answer (`Value::Null` if the body is not JSON). `deadline` (default 30 s from now)
/// bounds the whole exchange.
pub fn post_register(
    register_url: &str,
    system_url: &str,
    api_key: &str,
    secret: &str,
    token_override: Option<&str>,
    deadline: Option<Instant>,
) -> std::io::Result<(u16, Value)> {
    let token = match token_override {
        Some(t) => t.to_string(),
        None if secret.is_empty() || api_key.is_empty() => {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "the module secret and the API key must not be empty",
            ))
        }
        None => register_token(secret, api_key),
    };
    let body = form_encode(&[
        (FIELD_SYSTEM_URL, system_url),
        (FIELD_API_KEY, api_key),
        (FIELD_TOKEN, &token),
    ]);
    let deadline = deadline.unwrap_or_else(|| Instant::now() + Duration::from_secs(30));
    let (status, body) = http_post(register_url, CONTENT_TYPE_FORM, body.as_bytes(), deadline)?;
    Ok((status, serde_json::from_slice(&body).unwrap_or(Value::Null)))
}

fn io_err(msg: impl Into<String>) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, msg.into())
}

/// One `POST` over plain HTTP/1.1 (`Connection: close`): the status and the body.
fn http_post(
    url: &str,
    content_type: &str,
    body: &[u8],
    deadline: Instant,
) -> std::io::Result<(u16, Vec<u8>)> {
    let rest = url.strip_prefix("http://").ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "only http:// URLs are supported",
        )
    })?;
    let (authority, target) = match rest.find(['/', '?']) {
        Some(i) if rest.as_bytes()[i] == b'/' => (&rest[..i], rest[i..].to_string()),
        Some(i) => (&rest[..i], format!("/{}", &rest[i..])),
        None => (rest, "/".to_string()),
    };
    let target = target.split('#').next().unwrap_or("/").to_string();
    if authority.is_empty() || authority.contains('@') {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "malformed URL authority",
        ));
    }
    let addr_text = if authority.starts_with('[') || authority.rsplit_once(':').is_some() {
        authority.to_string()
    } else {
        format!("{authority}:80")
    };
    let left = |d: Instant| {
        d.checked_duration_since(Instant::now())
            .filter(|t| !t.is_zero())
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::TimedOut, "deadline passed"))
    };
    let addr = addr_text
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| io_err("the host has no address"))?;
    let mut s = TcpStream::connect_timeout(&addr, left(deadline)?)?;
    s.set_write_timeout(Some(left(deadline)?))?;
    let mut req = format!(
        "POST {target} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nAccept: application/json\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(body);
    s.write_all(&req)?;
    let mut raw = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        s.set_read_timeout(Some(left(deadline)?))?;
        match s.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
        if raw.len() > 16 * 1024 * 1024 {
            return Err(io_err("answer too large"));
        }
    }
    parse_response(&raw)
}

/// Status and body of a complete HTTP/1.1 response (Content-Length, chunked, or to EOF).
fn parse_response(raw: &[u8]) -> std::io::Result<(u16, Vec<u8>)> {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| io_err("incomplete response head"))?;
    let head = std::str::from_utf8(&raw[..end]).map_err(|_| io_err("response head not UTF-8"))?;
    let rest = &raw[end + 4..];
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or("");
    let status: u16 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .filter(|_| version.starts_with("HTTP/1."))
        .ok_or_else(|| io_err(format!("malformed status line {status_line:?}")))?;
    let mut length = None;
    let mut chunked = false;
    for l in lines {
        let Some((k, v)) = l.split_once(':') else {
            continue;
        };
        let v = v.trim();
        if k.eq_ignore_ascii_case("content-length") {
            length = Some(
                v.parse::<usize>()
                    .map_err(|_| io_err("malformed Content-Length"))?,
            );
        } else if k.eq_ignore_ascii_case("transfer-encoding") {
            chunked = v.to_ascii_lowercase().contains("chunked");
        }
    }
    let body = if chunked {
        decode_chunked(rest)?
    } else if let Some(n) = length {
        rest.get(..n)
            .ok_or_else(|| io_err("response body shorter than its Content-Length"))?
            .to_vec()
    } else {
        rest.to_vec()
    };
    Ok((status, body))
}

fn decode_chunked(mut b: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let eol = b
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or_else(|| io_err("truncated chunk size"))?;
        let size_text = std::str::from_utf8(&b[..eol]).map_err(|_| io_err("bad chunk size"))?;
        let size_text = size_text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| io_err("bad chunk size"))?;
        b = &b[eol + 2..];
        if size == 0 {
            return Ok(out);
        }
        let data = b.get(..size).ok_or_else(|| io_err("truncated chunk"))?;
        out.extend_from_slice(data);
        b = b.get(size + 2..).ok_or_else(|| io_err("truncated chunk"))?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module(code: &str) -> IntegrationModule {
        IntegrationModule {
            code: code.into(),
            integration_code: "b2c".into(),
            active: true,
            name: "B2C".into(),
            client_id: "cid".into(),
            base_url: "https://m".into(),
            account_url: "https://m/a".into(),
            ..Default::default()
        }
    }

    fn edit_path(code: &str) -> String {
        format!("/retailcrm/api/v5/integration-modules/{code}/edit")
    }

    fn req(path: &str, key: &str, body: String) -> HttpRequest {
        HttpRequest {
            method: "POST".into(),
            path: path.into(),
            query: String::new(),
            headers: vec![
                ("x-api-key".into(), key.into()),
                ("content-type".into(), CONTENT_TYPE_FORM.into()),
            ],
            body: body.into_bytes(),
            peer: "127.0.0.1:1".parse().unwrap(),
        }
    }

    fn form(m: &Value) -> String {
        form_encode(&[("integrationModule", &m.to_string())])
    }

    fn answer(r: &HttpReply) -> (u16, Value) {
        match r {
            HttpReply::Response { status, body, .. } => {
                (*status, serde_json::from_slice(body).unwrap())
            }
            _ => panic!("not a response"),
        }
    }

    fn emulator(strict: bool) -> RetailcrmEmulator {
        RetailcrmEmulator::with_leniencies(&["KEY"], Arc::new(Leniencies::quiet(strict)))
    }

    #[test]
    fn register_token_fixed_vector() {
        // php -r 'echo hash_hmac("sha256", "retail-api-key-abc", "module-secret-def");'
        assert_eq!(
            register_token("module-secret-def", "retail-api-key-abc"),
            "f6269eeb9d46f0b52449a3139e27481894ead8d2156f7349cb4a21c1a68566df"
        );
    }

    #[test]
    fn edit_checks_and_records() {
        let e = emulator(false);
        let m = module("mod-1");
        let body = form(&serde_json::to_value(&m).unwrap());
        let path = edit_path("mod-1");
        assert_eq!(
            e.route(&req(&path, "KEY", body.clone())).unwrap().status(),
            Some(201)
        );
        assert_eq!(
            e.route(&req(&path, "KEY", body.clone())).unwrap().status(),
            Some(200)
        );
        assert_eq!(
            e.route(&req(&path, "BAD", body.clone())).unwrap().status(),
            Some(403)
        );
        let other = edit_path("mod-2");
        assert_eq!(
            e.route(&req(&other, "KEY", body.clone())).unwrap().status(),
            Some(400)
        );
        assert_eq!(
            e.route(&req(&path, "KEY", "x=1".into())).unwrap().status(),
            Some(400)
        );
        e.fail_next_edit(400, "Module is blocked");
        assert_eq!(
            e.route(&req(&path, "KEY", body.clone())).unwrap().status(),
            Some(400)
        );
        assert!(e.route(&req("/crm/x", "KEY", body)).is_none());
        assert_eq!(e.module("mod-1").unwrap(), m);
        assert_eq!(e.calls().len(), 6);
    }

    #[test]
    fn module_equality_through_json() {
        let m = module("x");
        // Any serializable value with the same JSON compares equal.
        let same = json!({"code": "x", "integrationCode": "b2c", "active": true, "name": "B2C",
            "clientId": "cid", "baseUrl": "https://m", "accountUrl": "https://m/a", "logo": null});
        assert_eq!(m, same);
        let mut other = same.clone();
        other["name"] = json!("other");
        assert_ne!(m, other);
        assert_ne!(m, json!([1]));
        assert!(!format!("{m:?}").contains("cid"), "client_id redacted");
    }

    #[test]
    fn missing_and_mistyped_fields_are_named() {
        for strict in [false, true] {
            let e = emulator(strict);
            let mut v = serde_json::to_value(module("m")).unwrap();
            v.as_object_mut().unwrap().remove("clientId");
            let (s, a) = answer(&e.route(&req(&edit_path("m"), "KEY", form(&v))).unwrap());
            assert_eq!(s, 400);
            assert!(a["errorMsg"].as_str().unwrap().contains("clientId"), "{a}");
            assert!(!a["errorMsg"].as_str().unwrap().contains("not valid JSON"));
            assert!(
                a["errors"]["integrationModule[clientId]"].is_string(),
                "{a}"
            );
            let mut v = serde_json::to_value(module("m")).unwrap();
            v["active"] = json!("yes");
            let (s, a) = answer(&e.route(&req(&edit_path("m"), "KEY", form(&v))).unwrap());
            assert_eq!(s, 400);
            assert!(a["errors"]["integrationModule[active]"].is_string(), "{a}");
            let (s, a) = answer(
                &e.route(&req(&edit_path("m"), "KEY", form(&json!([1]))))
                    .unwrap(),
            );
            assert_eq!(s, 400);
            assert!(a["errorMsg"].as_str().unwrap().contains("JSON object"));
        }
    }

    #[test]
    fn api_key_parameter_is_a_leniency() {
        let body = form(&serde_json::to_value(module("m")).unwrap());
        let by_param = |e: &RetailcrmEmulator, in_query: bool| {
            let mut r = req(&edit_path("m"), "KEY", body.clone());
            r.headers.retain(|(k, _)| k != "x-api-key");
            if in_query {
                r.query = "apiKey=KEY".into();
            } else {
                r.body = format!("apiKey=KEY&{body}").into_bytes();
            }
            e.route(&r).unwrap().status()
        };
        let lenient = emulator(false);
        assert_eq!(by_param(&lenient, true), Some(201));
        assert_eq!(by_param(&lenient, false), Some(200));
        assert_eq!(lenient.leniencies().count("retailcrm_api_key_param"), 2);
        let strict = emulator(true);
        assert_eq!(by_param(&strict, true), Some(403));
        assert_eq!(by_param(&strict, false), Some(403));
        // A wrong key by parameter is 403 in both, and no leniency is counted for it.
        let mut r = req(&edit_path("m"), "KEY", body.clone());
        r.headers.retain(|(k, _)| k != "x-api-key");
        r.query = "apiKey=NOPE".into();
        assert_eq!(lenient.route(&r).unwrap().status(), Some(403));
        assert_eq!(lenient.leniencies().count("retailcrm_api_key_param"), 2);
    }

    #[test]
    fn field_errors_switch() {
        let e = emulator(false);
        let body = form(&serde_json::to_value(module("m")).unwrap());
        e.set_field_errors(RetailcrmEmulator::default_field_errors(), Some(2));
        for _ in 0..2 {
            let (s, a) = answer(&e.route(&req(&edit_path("m"), "KEY", body.clone())).unwrap());
            assert_eq!(s, 400);
            assert_eq!(a["success"], false);
            assert!(a["errorMsg"].is_string());
            assert_eq!(
                a["errors"],
                json!({"integrationModule[clientId]": "This value is already used."})
            );
        }
        assert_eq!(
            e.route(&req(&edit_path("m"), "KEY", body.clone()))
                .unwrap()
                .status(),
            Some(201)
        );
        e.set_field_errors(RetailcrmEmulator::default_field_errors(), None);
        for _ in 0..3 {
            assert_eq!(
                e.route(&req(&edit_path("m"), "KEY", body.clone()))
                    .unwrap()
                    .status(),
                Some(400)
            );
        }
        e.clear_field_errors();
        assert_eq!(
            e.route(&req(&edit_path("m"), "KEY", body))
                .unwrap()
                .status(),
            Some(200)
        );
    }

    #[test]
    fn response_parsing() {
        let (s, b) =
            parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}trailing").unwrap();
        assert_eq!((s, b.as_slice()), (200, &b"{}"[..]));
        let (s, b) = parse_response(
            b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{\"\r\n3;x=y\r\na\":\r\n1\r\n1\r\n1\r\n}\r\n0\r\n\r\n",
        )
        .unwrap();
        assert_eq!(
            (s, String::from_utf8(b).unwrap()),
            (201, "{\"a\":1}".into())
        );
        let (s, b) = parse_response(b"HTTP/1.0 404 Not Found\r\n\r\nnope").unwrap();
        assert_eq!((s, b.as_slice()), (404, &b"nope"[..]));
        assert!(parse_response(b"garbage").is_err());
        assert!(parse_response(b"SPDY 200 OK\r\n\r\n").is_err());
    }
}
