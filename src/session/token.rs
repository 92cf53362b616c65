//! Signed app-session tokens (JWT, HS256 pinned): a mobile app without a
//! cookie jar sends `Authorization: Bearer <token>`, which names its
//! server-side session. The token carries no cart data and no store secret.
//! Signed-in customers get short-lived access tokens of the same kind (see
//! `accounts::refresh` for the refresh tokens that renew them). Keys come
//! from a [`KeyRing`], so they rotate by `kid`.

use std::fmt;
use std::time::Duration;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::jwt::{now, KeyRing};

pub const ISSUER: &str = "storefront-bff";
pub const AUDIENCE: &str = "storefront-bff:session";

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    iss: String,
    aud: String,
    /// The server-side session id.
    sub: String,
    iat: u64,
    nbf: u64,
    exp: u64,
}

/// Signs and verifies session tokens. `Debug` never shows the key.
#[derive(Clone)]
pub struct SessionTokens {
    key: KeyRing,
    ttl: Duration,
}

impl fmt::Debug for SessionTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionTokens").field("key", &self.key).field("ttl", &self.ttl).finish()
    }
}

impl SessionTokens {
    pub fn new(key: KeyRing, ttl: Duration) -> Self {
        Self { key, ttl }
    }

    /// One HS256 secret (`SESSION_TOKEN_SECRET`); panics if it is too short,
    /// which config validation rules out.
    pub fn from_secret(secret: SecretString, ttl: Duration) -> Self {
        Self { key: KeyRing::hs256("default", &secret).expect("secret length is checked by config"), ttl }
    }

    /// A random key for demo mode and tests: tokens die with the process.
    pub fn generated(ttl: Duration) -> Self {
        Self { key: KeyRing::generated(), ttl }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    pub fn issue(&self, session_id: &str) -> String {
        self.issue_for(session_id, self.ttl)
    }

    /// A token for `session_id` that lives `ttl` (customer access tokens are short).
    pub fn issue_for(&self, session_id: &str, ttl: Duration) -> String {
        let now = now();
        self.key.sign(&Claims {
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            sub: session_id.into(),
            iat: now,
            nbf: now,
            exp: now + ttl.as_secs(),
        })
    }

    /// The session id, if the token is ours, unexpired and unaltered.
    pub fn verify(&self, token: &str) -> Option<String> {
        self.key.verify::<Claims>(token, ISSUER, AUDIENCE).map(|c| c.sub)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};

    fn tokens() -> SessionTokens {
        SessionTokens::from_secret(SecretString::from("k".repeat(32)), Duration::from_secs(600))
    }

    #[test]
    fn round_trips_and_refuses_forgeries() {
        let t = tokens();
        let token = t.issue("abc");
        assert_eq!(t.verify(&token).as_deref(), Some("abc"));
        // Another key.
        let other = SessionTokens::from_secret(SecretString::from("x".repeat(32)), Duration::from_secs(600));
        assert_eq!(other.verify(&token), None);
        // Tampered payload.
        let mut parts: Vec<String> = token.split('.').map(str::to_string).collect();
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut claims: serde_json::Value = serde_json::from_slice(&engine.decode(&parts[1]).unwrap()).unwrap();
        claims["sub"] = "someone-else".into();
        parts[1] = engine.encode(claims.to_string());
        assert_eq!(t.verify(&parts.join(".")), None);
        // alg none.
        let header = engine.encode(r#"{"alg":"none","typ":"JWT"}"#);
        assert_eq!(t.verify(&format!("{header}.{}.", parts[1])), None);
        assert_eq!(t.verify("garbage"), None);
    }

    #[test]
    fn expired_tokens_are_refused() {
        let t = SessionTokens::from_secret(SecretString::from("k".repeat(32)), Duration::ZERO);
        let claims = Claims { iss: ISSUER.into(), aud: AUDIENCE.into(), sub: "s".into(), iat: 1, nbf: 1, exp: 2 };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some("default".into());
        let old = encode(&header, &claims, &EncodingKey::from_secret("k".repeat(32).as_bytes())).unwrap();
        assert_eq!(t.verify(&old), None);
        assert!(!format!("{t:?}").contains("kkkk"));
    }
}
