//! B2COPY wire format: every path and JSON field name of the external-CRM protocol is named
//! here and nowhere else (the client and the sandbox both use these types).

use serde::{Deserialize, Serialize};

/// `POST` — exchange an external JWT for a token pair.
pub const PATH_AUTH: &str = "/api/admin/auth/v2/admin/adminservice/authexternalcrm";
/// `POST` with `Authorization: Bearer <refreshToken>` — a new token pair.
pub const PATH_REFRESH: &str = "/api/admin/auth/v2/admin/adminservice/refreshtoken";
/// `POST` with `Authorization: Bearer <accessToken>` — charge the fees for a withdrawal.
pub const PATH_PROCESS: &str = "/api/admin/fees/v2/fee/feeservice/processext";

pub const CONTENT_TYPE_JSON: &str = "application/json";
pub const HEADER_AUTHORIZATION: &str = "Authorization";
pub const BEARER_PREFIX: &str = "Bearer ";

/// JWS header of the external token.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
pub struct JwtHeader {
    pub alg: String,
    pub typ: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub kid: Option<String>,
}

pub const JWT_ALG: &str = "ES256";
pub const JWT_TYP: &str = "JWT";

/// Claims of the external token. `admin_id` is a JSON number.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
pub struct ExternalClaims {
    pub admin_id: u64,
    pub device_ip: String,
    pub key_id: String,
    pub iss: String,
    pub iat: u64,
    pub exp: u64,
}

/// Body of [`PATH_AUTH`].
#[derive(Serialize, Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct AuthRequest {
    pub external_token: String,
}

/// A token as B2COPY returns it: a plain string (external-CRM docs) or an object
/// `{"token","createdAt","expiresAt"}` (the product's back-office login). Both are accepted.
#[derive(Serialize, Deserialize, Clone)]
#[serde(untagged)]
pub enum TokenField {
    Plain(String),
    Object {
        token: String,
        #[serde(rename = "createdAt", default, skip_serializing_if = "Option::is_none")]
        created_at: Option<serde_json::Value>,
        #[serde(rename = "expiresAt", default, skip_serializing_if = "Option::is_none")]
        expires_at: Option<serde_json::Value>,
    },
}

impl std::fmt::Debug for TokenField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenField(<redacted>)")
    }
}

/// Response of [`PATH_AUTH`] and [`PATH_REFRESH`].
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct TokenPair {
    #[serde(rename = "accessToken")]
    pub access_token: TokenField,
    #[serde(rename = "refreshToken")]
    pub refresh_token: TokenField,
}

/// Body of [`PATH_PROCESS`]; both fields are strings.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FeeRequest {
    pub account_login: String,
    pub request_id: String,
}

/// Fee status on the wire: the number (1, 2, 3) or, from a gRPC gateway that emits enum
/// names, `"FEE_PROCESS_STATUS_PENDING"` etc. Both are accepted.
pub const STATUS_PENDING: i64 = 1;
pub const STATUS_SUCCESS: i64 = 2;
pub const STATUS_ERROR: i64 = 3;
pub const STATUS_NAMES: [(&str, i64); 3] = [
    ("FEE_PROCESS_STATUS_PENDING", STATUS_PENDING),
    ("FEE_PROCESS_STATUS_SUCCESS", STATUS_SUCCESS),
    ("FEE_PROCESS_STATUS_ERROR", STATUS_ERROR),
];

/// Response of [`PATH_PROCESS`]. Fields other than the three documented ones are kept in
/// `extra` (they carry the error details of status 3).
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct FeeResponse {
    #[serde(default)]
    pub account_login: Option<String>,
    #[serde(default)]
    pub request_id: Option<String>,
    pub status: serde_json::Value,
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl FeeResponse {
    /// The numeric status, from either wire form.
    pub fn status_code(&self) -> Option<i64> {
        match &self.status {
            serde_json::Value::Number(n) => n.as_i64(),
            serde_json::Value::String(s) => STATUS_NAMES
                .iter()
                .find(|(name, _)| name == s)
                .map(|(_, v)| *v)
                .or_else(|| s.parse().ok()),
            _ => None,
        }
    }
}

/// gRPC-gateway style error body, as the sandbox emits it.
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct GatewayError {
    pub code: i64,
    pub message: String,
    #[serde(default)]
    pub details: Vec<serde_json::Value>,
}
