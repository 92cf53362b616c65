//! HS256 keys shared by app-session and partner tokens: the algorithm is
//! pinned, `iss`/`aud`/`exp`/`nbf` are validated with a small leeway, and the
//! key never shows in `Debug`. Each token type brings its own claims.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{de::DeserializeOwned, Serialize};

/// Seconds of clock skew tolerated on `exp` and `nbf`.
const LEEWAY_SECS: u64 = 30;

#[derive(Clone)]
pub struct Hs256Key(SecretString);

impl fmt::Debug for Hs256Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Hs256Key([redacted])")
    }
}

/// Seconds since the epoch.
pub fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

impl Hs256Key {
    pub fn new(secret: SecretString) -> Self {
        Self(secret)
    }

    /// A random key for demo mode and tests: its tokens die with the process.
    pub fn generated() -> Self {
        use rand::RngCore;
        let mut bytes = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut bytes);
        Self(SecretString::from(hex::encode(bytes)))
    }

    pub fn sign<C: Serialize>(&self, claims: &C) -> String {
        encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(self.0.expose_secret().as_bytes()))
            .expect("HS256 signing cannot fail")
    }

    /// The claims, if the token is ours (HS256 with this key), for this
    /// issuer and audience, within its validity window, and unaltered.
    pub fn verify<C: DeserializeOwned>(&self, token: &str, issuer: &str, audience: &str) -> Option<C> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_SECS;
        decode::<C>(token, &DecodingKey::from_secret(self.0.expose_secret().as_bytes()), &validation).ok().map(|d| d.claims)
    }
}
