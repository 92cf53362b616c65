//! The OAuth 2.0 client-credentials grant (RFC 6749 §4.4) behind `POST /api/v1/partner/token`:
//! form-encoded body, client credentials by HTTP Basic or in the body, optional `scope`, and
//! RFC 6749 §5.2 errors. Unknown clients are verified against a dummy hash of the same cost, so
//! an unknown client and a wrong secret take as long and answer alike.

use std::time::Duration;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use percent_encoding::percent_decode_str;

use super::scopes::ScopeSet;
use super::views::{OAuthErrorBody, TokenResponse};
use super::Live;
use crate::error::ApiError;

/// How long a token request waits for a free verifier before answering 503.
const VERIFY_WAIT: Duration = Duration::from_secs(10);
const MAX_CLIENT_ID: usize = 128;
const MAX_SECRET: usize = 512;

/// An RFC 6749 §5.2 error.
#[derive(Debug)]
pub struct OAuthError {
    code: &'static str,
    description: String,
    /// Credentials came by HTTP Basic: 401 with `WWW-Authenticate: Basic`.
    basic: bool,
}

impl OAuthError {
    fn new(code: &'static str, description: impl Into<String>) -> Self {
        OAuthError { code, description: description.into(), basic: false }
    }

    fn invalid_client(basic: bool) -> Self {
        OAuthError { code: "invalid_client", description: "Client authentication failed.".into(), basic }
    }

    pub fn code(&self) -> &'static str {
        self.code
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let status = if self.code == "invalid_client" && self.basic { StatusCode::UNAUTHORIZED } else { StatusCode::BAD_REQUEST };
        let body = OAuthErrorBody { error: self.code.to_string(), error_description: self.description };
        let mut response = (status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"partner-api\", charset=\"UTF-8\""));
        }
        response
    }
}

/// What the token endpoint answers: a token, an OAuth error, or (503 / 404) the shared shape.
pub enum Outcome {
    Token(TokenResponse),
    OAuth(OAuthError),
    Api(ApiError),
}

impl IntoResponse for Outcome {
    fn into_response(self) -> Response {
        match self {
            Outcome::Token(token) => {
                let mut response = axum::Json(token).into_response();
                let headers = response.headers_mut();
                headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
                response
            }
            Outcome::OAuth(e) => e.into_response(),
            Outcome::Api(e) => e.into_response(),
        }
    }
}

impl From<OAuthError> for Outcome {
    fn from(e: OAuthError) -> Self {
        Outcome::OAuth(e)
    }
}

/// The client's credentials and how they came.
struct Credentials {
    client_id: String,
    secret: String,
    basic: bool,
}

fn form_value(s: &str) -> String {
    percent_decode_str(&s.replace('+', " ")).decode_utf8_lossy().into_owned()
}

/// `Authorization: Basic base64(urlencode(id):urlencode(secret))` (RFC 6749 §2.3.1).
fn basic(headers: &HeaderMap) -> Option<Result<(String, String), ()>> {
    let value = headers.get(header::AUTHORIZATION)?;
    let parsed = value
        .to_str()
        .ok()
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .and_then(|(_, b64)| base64::engine::general_purpose::STANDARD.decode(b64.trim()).ok())
        .and_then(|raw| String::from_utf8(raw).ok())
        .and_then(|text| text.split_once(':').map(|(id, secret)| (form_value(id), form_value(secret))));
    Some(parsed.ok_or(()))
}

fn credentials(headers: &HeaderMap, form: &[(String, String)]) -> Result<Credentials, OAuthError> {
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let (body_id, body_secret) = (field("client_id"), field("client_secret"));
    match basic(headers) {
        Some(Err(())) => Err(OAuthError::invalid_client(true)),
        Some(Ok((client_id, secret))) => {
            if body_secret.is_some() || body_id.as_ref().is_some_and(|id| *id != client_id) {
                return Err(OAuthError::new("invalid_request", "Use one way of client authentication: HTTP Basic or the body."));
            }
            Ok(Credentials { client_id, secret, basic: true })
        }
        None => match (body_id, body_secret) {
            (Some(client_id), Some(secret)) => Ok(Credentials { client_id, secret, basic: false }),
            _ => Err(OAuthError::invalid_client(false)),
        },
    }
}

fn form(headers: &HeaderMap, body: &[u8]) -> Result<Vec<(String, String)>, OAuthError> {
    let form_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.trim_start().to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"));
    if !form_type {
        return Err(OAuthError::new("invalid_request", "Send the body as application/x-www-form-urlencoded."));
    }
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(body).map_err(|_| OAuthError::new("invalid_request", "The body is not valid form encoding."))?;
    for (i, (key, _)) in pairs.iter().enumerate() {
        if pairs[..i].iter().any(|(k, _)| k == key) {
            let key: String = key.chars().take(32).collect();
            return Err(OAuthError::new("invalid_request", format!("Parameter {key} is given more than once.")));
        }
    }
    Ok(pairs)
}

/// Runs the grant.
pub async fn grant(live: &Live, client: std::net::IpAddr, headers: &HeaderMap, body: &[u8]) -> Outcome {
    let pairs = match form(headers, body) {
        Ok(p) => p,
        Err(e) => return e.into(),
    };
    let field = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    match field("grant_type") {
        None => return OAuthError::new("invalid_request", "grant_type is required.").into(),
        Some("client_credentials") => {}
        Some(_) => return OAuthError::new("unsupported_grant_type", "Only client_credentials is supported.").into(),
    }
    let creds = match credentials(headers, &pairs) {
        Ok(c) => c,
        Err(e) => return e.into(),
    };
    let basic = creds.basic;
    // Oversized input is refused before any work; it says nothing about any client.
    if creds.client_id.is_empty() || creds.client_id.len() > MAX_CLIENT_ID || creds.secret.len() > MAX_SECRET {
        return OAuthError::invalid_client(basic).into();
    }
    // An address that keeps failing is refused before it costs a verification.
    if let Err(limited) = live.failed_tokens.check(client, super::token::FAILURE_WINDOW) {
        return Outcome::Api(limited);
    }
    let permit = match tokio::time::timeout(VERIFY_WAIT, live.verifying.clone().acquire_owned()).await {
        Ok(Ok(permit)) => permit,
        _ => return Outcome::Api(ApiError::Busy),
    };
    let registry = live.registry.get();
    let partner = registry.by_client_id(&creds.client_id).cloned();
    let hash = partner.as_ref().map_or_else(|| registry.dummy().clone(), |p| p.secret.clone());
    let secret = creds.secret;
    let matches = tokio::task::spawn_blocking(move || {
        let ok = hash.verify(secret.as_bytes());
        drop(permit);
        ok
    })
    .await
    .unwrap_or(false);
    let Some(partner) = partner.filter(|p| matches && p.enabled) else {
        live.failed_tokens.failed(client);
        tracing::info!(known_client = false, "partner token refused");
        return OAuthError::invalid_client(basic).into();
    };
    let scopes = match field("scope") {
        None => partner.scopes,
        Some(raw) => match ScopeSet::parse_list(raw) {
            Ok(asked) if asked.is_empty() => return OAuthError::new("invalid_scope", "The scope is empty.").into(),
            Ok(asked) if !asked.is_subset_of(partner.scopes) => {
                return OAuthError::new("invalid_scope", "The scope asks for more than this client may have.").into()
            }
            Ok(asked) => asked,
            Err(unknown) => return OAuthError::new("invalid_scope", format!("Unknown scope {unknown:?}.")).into(),
        },
    };
    let access_token = live.tokens.issue(&partner.id, scopes, &partner.secret.version());
    tracing::info!(partner = %partner.id, scope = %scopes, "partner token issued");
    Outcome::Token(TokenResponse {
        access_token,
        token_type: "Bearer".into(),
        expires_in: live.tokens.ttl().as_secs(),
        scope: scopes.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_decoded() {
        let mut headers = HeaderMap::new();
        let encoded = base64::engine::general_purpose::STANDARD.encode("my%20client:p%3Ass+word");
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(&format!("Basic {encoded}")).unwrap());
        let c = credentials(&headers, &[]).unwrap();
        assert_eq!((c.client_id.as_str(), c.secret.as_str(), c.basic), ("my client", "p:ss word", true));
        let both = credentials(&headers, &[("client_secret".into(), "x".into())]);
        assert_eq!(both.err().map(|e| e.code), Some("invalid_request"));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic !!!"));
        assert_eq!(credentials(&headers, &[]).err().map(|e| (e.code, e.basic)), Some(("invalid_client", true)));
    }
}
