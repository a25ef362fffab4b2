//! B2BINPAY v2 wire format: every path and JSON field name of the token protocol is named
//! here and nowhere else (the client and the sandbox emulator both use these types).
//!
//! Token-carrying types have redacting `Debug` impls.

use std::fmt;

use serde::{Deserialize, Serialize};

/// `POST` — obtain a token pair with login/password.
pub const PATH_TOKEN: &str = "/token/";
/// `POST` — exchange a refresh token for a new pair (the old refresh token dies).
pub const PATH_REFRESH: &str = "/token/refresh/";
/// Content type of every request body.
pub const CONTENT_TYPE: &str = "application/vnd.api+json";
/// JSON:API resource type of the token resource.
pub const RESOURCE_TYPE: &str = "auth-token";
/// Header carrying the access token on API calls (`Bearer <access>`).
pub const HEADER_AUTHORIZATION: &str = "Authorization";
pub const BEARER_PREFIX: &str = "Bearer ";

/// Production base URL (v2).
pub const BASE_URL_PRODUCTION: &str = "https://api.b2binpay.com/";
/// Sandbox base URL (v2).
pub const BASE_URL_SANDBOX: &str = "https://api-sandbox.b2binpay.com/";

/// Error code: no active account found with the given credentials (HTTP 400, `/token/`).
pub const CODE_BAD_CREDENTIALS: i64 = 2006;
/// Error code: bad refresh token (HTTP 401, `/token/refresh/`).
pub const CODE_BAD_REFRESH: i64 = 2007;
/// Error code of HTTP 429.
pub const CODE_THROTTLED: &str = "throttled";

/// `{"data": {...}}` — the request envelope.
#[derive(Serialize, Deserialize)]
pub struct Envelope<T> {
    pub data: T,
}

/// A JSON:API resource `{"type": "auth-token", "id"?, "attributes": {...}}`.
#[derive(Serialize, Deserialize)]
pub struct Resource<A> {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub attributes: A,
}

/// Attributes of a `/token/` request.
#[derive(Serialize, Deserialize)]
pub struct LoginAttributes {
    pub login: String,
    pub password: String,
}

impl fmt::Debug for LoginAttributes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginAttributes")
            .field("login", &"<redacted>")
            .field("password", &"<redacted>")
            .finish()
    }
}

/// Attributes of a `/token/refresh/` request.
#[derive(Serialize, Deserialize)]
pub struct RefreshAttributes {
    pub refresh: String,
}

impl fmt::Debug for RefreshAttributes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshAttributes")
            .field("refresh", &"<redacted>")
            .finish()
    }
}

/// Attributes of a token response.
#[derive(Serialize, Deserialize, Clone)]
pub struct TokenAttributes {
    pub access: String,
    pub refresh: String,
    pub access_expired_at: String,
    pub refresh_expired_at: String,
    #[serde(default)]
    pub is_2fa_confirmed: bool,
}

impl fmt::Debug for TokenAttributes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenAttributes")
            .field("access", &"<redacted>")
            .field("refresh", &"<redacted>")
            .field("access_expired_at", &self.access_expired_at)
            .field("refresh_expired_at", &self.refresh_expired_at)
            .field("is_2fa_confirmed", &self.is_2fa_confirmed)
            .finish()
    }
}

/// `meta` of a `/token/` response: server time and `sign` = hex HMAC-SHA256(key =
/// SHA-256(login ‖ password), msg = time ‖ refresh).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Meta {
    pub time: String,
    pub sign: String,
}

/// A `/token/` response: `{"data": resource, "meta": {...}}`.
#[derive(Serialize, Deserialize, Debug)]
pub struct TokenResponse {
    pub data: Resource<TokenAttributes>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// A `/token/refresh/` response: documented as the `/token/` shape without `meta`, shown in
/// the example as the bare resource. Both are accepted.
#[derive(Deserialize, Debug)]
#[serde(untagged)]
pub enum RefreshResponse {
    Wrapped(TokenResponse),
    Bare(Resource<TokenAttributes>),
}

impl RefreshResponse {
    pub fn into_parts(self) -> (TokenAttributes, Option<Meta>) {
        match self {
            RefreshResponse::Wrapped(t) => (t.data.attributes, t.meta),
            RefreshResponse::Bare(r) => (r.attributes, None),
        }
    }
}

impl<A: fmt::Debug> fmt::Debug for Resource<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resource")
            .field("type", &self.kind)
            .field("id", &self.id)
            .field("attributes", &self.attributes)
            .finish()
    }
}

impl<T: fmt::Debug> fmt::Debug for Envelope<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Envelope")
            .field("data", &self.data)
            .finish()
    }
}

/// One JSON:API error object. `code` may be a number (`2006`) or a string (`"throttled"`).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct ApiError {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<serde_json::Value>,
}

/// `{"errors": [...]}`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct ApiErrors {
    #[serde(default)]
    pub errors: Vec<ApiError>,
}

/// Build the `/token/` request body.
pub fn login_body(login: &str, password: &str) -> Envelope<Resource<LoginAttributes>> {
    Envelope {
        data: Resource {
            kind: RESOURCE_TYPE.to_string(),
            id: None,
            attributes: LoginAttributes {
                login: login.to_string(),
                password: password.to_string(),
            },
        },
    }
}

/// Build the `/token/refresh/` request body.
pub fn refresh_body(refresh: &str) -> Envelope<Resource<RefreshAttributes>> {
    Envelope {
        data: Resource {
            kind: RESOURCE_TYPE.to_string(),
            id: None,
            attributes: RefreshAttributes {
                refresh: refresh.to_string(),
            },
        },
    }
}

/// Build a JSON:API error body.
pub fn error_body(status: u16, code: serde_json::Value, detail: &str) -> ApiErrors {
    ApiErrors {
        errors: vec![ApiError {
            code: Some(code),
            detail: Some(detail.to_string()),
            status: Some(serde_json::Value::String(status.to_string())),
        }],
    }
}
