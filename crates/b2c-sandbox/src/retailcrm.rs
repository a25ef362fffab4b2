//! RetailCRM (Simla) *system* emulator under `/retailcrm`:
//! `POST /retailcrm/api/v5/integration-modules/{code}/edit` checks `X-API-KEY` and the
//! `integrationModule` form field and records the module. [`post_register_form`] plays the
//! system's side of a "simple connection": it POSTs the register form to a module's
//! `registerUrl`.

use std::collections::HashMap;
use std::time::Instant;

use parking_lot::Mutex;
use serde_json::{json, Value};

use super::server::{HttpReply, HttpRequest};
use super::Emulator;
use b2c_core::http::HttpClient;
use b2c_core::retailcrm::{encode_form, parse_form, register_token, wire, IntegrationModule};
use b2c_core::Result;

/// Default mount point (the module's `systemUrl` is `{server}{prefix}`).
pub const DEFAULT_PREFIX: &str = "/retailcrm";

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
}

/// The RetailCRM system emulator.
pub struct RetailcrmEmulator {
    prefix: String,
    state: Mutex<State>,
}

impl RetailcrmEmulator {
    /// An emulator accepting `api_keys`, mounted at [`DEFAULT_PREFIX`].
    pub fn new(api_keys: &[&str]) -> Self {
        RetailcrmEmulator {
            prefix: DEFAULT_PREFIX.to_string(),
            state: Mutex::new(State {
                api_keys: api_keys.iter().map(|k| k.to_string()).collect(),
                ..State::default()
            }),
        }
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

    /// Answer `req` if its path is ours; `None` otherwise.
    pub fn route(&self, req: &HttpRequest) -> Option<HttpReply> {
        let rest = req.path.strip_prefix(self.prefix.as_str())?;
        if !rest.starts_with('/') {
            return None;
        }
        let code = rest
            .strip_prefix(wire::EDIT_PATH_PREFIX)
            .and_then(|r| r.strip_suffix(wire::EDIT_PATH_SUFFIX))
            .filter(|c| !c.is_empty() && !c.contains('/'));
        let Some(code) = code else {
            return Some(fail(404, "API method not found"));
        };
        // Path segments are %-decoded ('+' stays '+'); '&' and '=' cannot appear raw here
        // because the client encodes them.
        let encoded = format!("c={}", code.replace('+', "%2B"));
        let code = match parse_form(encoded.as_bytes()) {
            Ok(mut p) if p.len() == 1 => p.remove(0).1,
            _ => code.to_string(),
        };
        let mut st = self.state.lock();
        let (status, reply, module) = self.edit(&mut st, &code, req);
        st.calls.push(EditCall {
            code,
            status,
            module,
        });
        Some(reply)
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
        let key = req.header(wire::HEADER_API_KEY).unwrap_or("");
        if key.is_empty() || !st.api_keys.iter().any(|k| k == key) {
            return (403, fail(403, "Wrong \"apiKey\" value."), None);
        }
        if req.media_type().as_deref() != Some(wire::CONTENT_TYPE_FORM) {
            return (400, fail(400, "Expected a form body"), None);
        }
        let fields = match parse_form(&req.body) {
            Ok(f) => f,
            Err(_) => return (400, fail(400, "Malformed form body"), None),
        };
        let mut values = fields
            .iter()
            .filter(|(k, _)| k == wire::FIELD_INTEGRATION_MODULE);
        let (Some((_, json)), None) = (values.next(), values.next()) else {
            return (
                400,
                fail(400, "Parameter 'integrationModule' is missing"),
                None,
            );
        };
        let module: IntegrationModule = match serde_json::from_str(json) {
            Ok(m) => m,
            Err(_) => {
                return (
                    400,
                    fail(400, "Parameter 'integrationModule' is not valid JSON"),
                    None,
                )
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

/// Play the CRM system: POST `register[systemUrl]`, `register[apiKey]` and
/// `register[token]` (computed from `secret`, or `token_override` if given) to a module's
/// `register_url`. Returns the HTTP status and the module's JSON answer (`Value::Null` if
/// the body is not JSON).
pub fn post_register_form(
    http: &HttpClient,
    register_url: &str,
    system_url: &str,
    api_key: &str,
    secret: &str,
    token_override: Option<&str>,
    deadline: Option<Instant>,
) -> Result<(u16, Value)> {
    let token = match token_override {
        Some(t) => t.to_string(),
        None => register_token(secret, api_key)?,
    };
    let url = b2c_core::http::Url::parse(register_url)?;
    let deadline = deadline.unwrap_or_else(|| Instant::now() + std::time::Duration::from_secs(30));
    let body = encode_form(&[
        (wire::FIELD_SYSTEM_URL, system_url),
        (wire::FIELD_API_KEY, api_key),
        (wire::FIELD_TOKEN, &token),
    ]);
    let resp = http.post(
        &url,
        &[],
        wire::CONTENT_TYPE_FORM,
        body.as_bytes(),
        "register",
        true,
        deadline,
    )?;
    let v = serde_json::from_slice(&resp.body).unwrap_or(Value::Null);
    Ok((resp.status, v))
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

    fn req(path: &str, key: &str, body: String) -> HttpRequest {
        HttpRequest {
            method: "POST".into(),
            path: path.into(),
            query: String::new(),
            headers: vec![
                ("x-api-key".into(), key.into()),
                ("content-type".into(), wire::CONTENT_TYPE_FORM.into()),
            ],
            body: body.into_bytes(),
            peer: "127.0.0.1:1".parse().unwrap(),
        }
    }

    #[test]
    fn edit_checks_and_records() {
        let e = RetailcrmEmulator::new(&["KEY"]);
        let m = module("mod-1");
        let body = encode_form(&[("integrationModule", &serde_json::to_string(&m).unwrap())]);
        let path = format!("/retailcrm{}", wire::edit_path("mod-1"));
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
        let other = format!("/retailcrm{}", wire::edit_path("mod-2"));
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
}
