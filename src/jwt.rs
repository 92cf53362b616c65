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

/// The keys that sign and verify shopper and customer tokens, by `kid`.
///
/// The first key signs; every key verifies tokens that name it, so after a
/// rotation (new key first, old one kept) tokens signed with the old key stay
/// valid until they expire. Each key pins its algorithm: a token whose header
/// says anything else (`none`, HS256 with an RSA public key as secret, ...)
/// is refused, as is a token without a `kid` or with an unknown one.
#[derive(Clone)]
pub struct KeyRing(std::sync::Arc<Vec<RingKey>>);

struct RingKey {
    kid: String,
    alg: Algorithm,
    encoding: Option<EncodingKey>,
    decoding: DecodingKey,
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kids: Vec<String> = self.0.iter().map(|k| format!("{}:{:?}", k.kid, k.alg)).collect();
        write!(f, "KeyRing({kids:?}, keys redacted)")
    }
}

/// Shortest HS256 secret accepted (RFC 7518 §3.2: at least the hash size).
pub const MIN_HS256_BYTES: usize = 32;

impl KeyRing {
    /// Parses `kid=secret` (HS256) and `kid=@/path/key.pem` (RS256; a private
    /// key can sign, a public key only verifies) entries, comma-separated,
    /// signing key first. Errors name the key but never print a secret.
    pub fn parse(spec: &str) -> Result<Self, String> {
        let mut keys = Vec::new();
        for entry in spec.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (kid, value) = entry.split_once('=').ok_or("each entry is kid=secret or kid=@file.pem")?;
            let kid = kid.trim();
            if kid.is_empty() || kid.len() > 64 || !kid.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)) {
                return Err("a kid is 1 to 64 letters, digits, '-', '_' or '.'".into());
            }
            if keys.iter().any(|k: &RingKey| k.kid == kid) {
                return Err(format!("kid {kid} appears twice"));
            }
            let key = match value.trim().strip_prefix('@') {
                Some(path) => {
                    let pem = std::fs::read_to_string(path).map_err(|e| format!("key {kid}: cannot read {path} ({})", e.kind()))?;
                    RingKey::rsa(kid, &pem)?
                }
                None => RingKey::hs256(kid, value.trim().as_bytes())?,
            };
            keys.push(key);
        }
        match keys.first() {
            None => Err("no keys".into()),
            Some(first) if first.encoding.is_none() => {
                Err(format!("the first key ({}) signs, so it must be a secret or a private key", first.kid))
            }
            Some(_) => Ok(Self(std::sync::Arc::new(keys))),
        }
    }

    /// One HS256 key.
    pub fn hs256(kid: &str, secret: &SecretString) -> Result<Self, String> {
        Ok(Self(std::sync::Arc::new(vec![RingKey::hs256(kid, secret.expose_secret().as_bytes())?])))
    }

    /// A random HS256 key for demo mode and tests: its tokens die with the process.
    pub fn generated() -> Self {
        use rand::RngCore;
        let mut bytes = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut bytes);
        Self::hs256("generated", &SecretString::from(hex::encode(bytes))).expect("64 hex characters are long enough")
    }

    /// The kid new tokens carry.
    pub fn current_kid(&self) -> &str {
        &self.0[0].kid
    }

    pub fn sign<C: Serialize>(&self, claims: &C) -> String {
        let key = &self.0[0];
        let mut header = Header::new(key.alg);
        header.kid = Some(key.kid.clone());
        let encoding = key.encoding.as_ref().expect("KeyRing::parse checks that the first key can sign");
        encode(&header, claims, encoding).expect("signing with a parsed key cannot fail")
    }

    /// The claims, if the token names one of our keys, uses that key's
    /// algorithm, verifies, is for this issuer and audience, and is within
    /// its validity window (with a small leeway).
    pub fn verify<C: DeserializeOwned>(&self, token: &str, issuer: &str, audience: &str) -> Option<C> {
        let header = jsonwebtoken::decode_header(token).ok()?;
        let kid = header.kid?;
        let key = self.0.iter().find(|k| k.kid == kid)?;
        if header.alg != key.alg {
            return None;
        }
        let mut validation = Validation::new(key.alg);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_SECS;
        decode::<C>(token, &key.decoding, &validation).ok().map(|d| d.claims)
    }
}

impl RingKey {
    fn hs256(kid: &str, secret: &[u8]) -> Result<Self, String> {
        if secret.len() < MIN_HS256_BYTES {
            return Err(format!("key {kid} is shorter than {MIN_HS256_BYTES} bytes"));
        }
        Ok(Self {
            kid: kid.into(),
            alg: Algorithm::HS256,
            encoding: Some(EncodingKey::from_secret(secret)),
            decoding: DecodingKey::from_secret(secret),
        })
    }

    fn rsa(kid: &str, pem: &str) -> Result<Self, String> {
        use rsa::pkcs1::DecodeRsaPrivateKey;
        use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
        use rsa::traits::PublicKeyParts;
        let bad = |what: &str| format!("key {kid}: {what}");
        if pem.contains("PRIVATE KEY") {
            let private = rsa::RsaPrivateKey::from_pkcs8_pem(pem)
                .or_else(|_| rsa::RsaPrivateKey::from_pkcs1_pem(pem))
                .map_err(|_| bad("not an RSA private key in PEM (PKCS#8 or PKCS#1)"))?;
            let encoding = EncodingKey::from_rsa_pem(pem.as_bytes()).map_err(|_| bad("unreadable RSA private key"))?;
            let public = private.to_public_key();
            let decoding = DecodingKey::from_rsa_raw_components(&public.n().to_bytes_be(), &public.e().to_bytes_be());
            Ok(Self { kid: kid.into(), alg: Algorithm::RS256, encoding: Some(encoding), decoding })
        } else {
            rsa::RsaPublicKey::from_public_key_pem(pem).map_err(|_| bad("not an RSA public or private key in PEM"))?;
            let decoding = DecodingKey::from_rsa_pem(pem.as_bytes()).map_err(|_| bad("unreadable RSA public key"))?;
            Ok(Self { kid: kid.into(), alg: Algorithm::RS256, encoding: None, decoding })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Serialize, serde::Deserialize, PartialEq)]
    struct Claims {
        iss: String,
        aud: String,
        sub: String,
        nbf: u64,
        exp: u64,
    }

    fn claims() -> Claims {
        Claims { iss: "i".into(), aud: "a".into(), sub: "s".into(), nbf: now(), exp: now() + 60 }
    }

    const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1";
    const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2";

    #[test]
    fn rotation_signs_with_the_first_key_and_verifies_with_all() {
        let old = KeyRing::parse(&format!("k1={A}")).unwrap();
        let rotated = KeyRing::parse(&format!("k2={B}, k1={A}")).unwrap();
        let retired = KeyRing::parse(&format!("k2={B}")).unwrap();
        let old_token = old.sign(&claims());
        assert_eq!(rotated.verify::<Claims>(&old_token, "i", "a"), Some(claims()));
        assert_eq!(rotated.current_kid(), "k2");
        let new_token = rotated.sign(&claims());
        assert_eq!(retired.verify::<Claims>(&new_token, "i", "a"), Some(claims()));
        assert_eq!(retired.verify::<Claims>(&old_token, "i", "a"), None, "unknown kid");
        assert_eq!(rotated.verify::<Claims>(&new_token, "i", "other"), None);
        assert!(!format!("{rotated:?}").contains(A) && !format!("{rotated:?}").contains(B));
    }

    #[test]
    fn bad_specs_name_the_problem_without_the_secret() {
        for (spec, expected) in [
            ("", "no keys"),
            ("k1=short", "key k1 is shorter than 32 bytes"),
            ("nokid", "each entry is kid=secret or kid=@file.pem"),
            (&format!("k1={A},k1={B}") as &str, "kid k1 appears twice"),
            ("k1=@/nonexistent/key.pem", "key k1: cannot read /nonexistent/key.pem (entity not found)"),
        ] {
            let err = KeyRing::parse(spec).unwrap_err();
            assert!(err.starts_with(expected), "{spec}: {err}");
            assert!(!err.contains(A) && !err.contains(B));
        }
    }
}
