//! Partner client secrets: stored only as argon2id PHC strings, verified off the async threads,
//! and checked against a dummy hash of the same cost when the client is unknown (constant time).

use std::fmt;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Cost ceilings: a registry may not make every token request allocate gigabytes.
const MAX_MEMORY_KIB: u32 = 256 * 1024;
const MAX_ITERATIONS: u32 = 16;
const MAX_LANES: u32 = 8;

/// Shortest secret `partner hash-secret` accepts.
pub const MIN_SECRET_LEN: usize = 24;

/// A validated argon2id PHC string. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretHash(String);

impl fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretHash([redacted])")
    }
}

impl SecretHash {
    /// Accepts only `$argon2id$v=19$m=..,t=..,p=..$salt$hash` within the cost ceilings.
    pub fn parse(phc: &str) -> Result<SecretHash, String> {
        let parsed = PasswordHash::new(phc.trim()).map_err(|e| format!("not a PHC hash string ({e})"))?;
        if parsed.algorithm != argon2::ARGON2ID_IDENT {
            return Err(format!("must be argon2id, not {}", parsed.algorithm));
        }
        if parsed.hash.is_none() || parsed.salt.is_none() {
            return Err("the PHC string has no salt or hash".into());
        }
        let params = Params::try_from(&parsed).map_err(|e| format!("bad argon2 parameters ({e})"))?;
        if params.m_cost() > MAX_MEMORY_KIB || params.t_cost() > MAX_ITERATIONS || params.p_cost() > MAX_LANES {
            return Err(format!("argon2 cost too high (at most m={MAX_MEMORY_KIB}, t={MAX_ITERATIONS}, p={MAX_LANES})"));
        }
        Ok(SecretHash(phc.trim().to_string()))
    }

    /// The cost parameters (m, t, p), to build a dummy hash of the same cost.
    pub fn params(&self) -> Option<Params> {
        PasswordHash::new(&self.0).ok().and_then(|h| Params::try_from(&h).ok())
    }

    /// Checks `secret` against this hash (CPU-heavy on purpose: call from a blocking thread).
    pub fn verify(&self, secret: &[u8]) -> bool {
        match PasswordHash::new(&self.0) {
            Ok(hash) => Argon2::default().verify_password(secret, &hash).is_ok(),
            Err(_) => false,
        }
    }

    /// A short, stable fingerprint: tokens carry it, so rotating a secret revokes its tokens.
    pub fn version(&self) -> String {
        hex::encode(&Sha256::digest(self.0.as_bytes())[..6])
    }

    /// A hash of a random secret nobody knows, with `params` (for unknown clients).
    pub fn dummy(params: Params) -> SecretHash {
        let mut secret = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut secret);
        SecretHash(hash_with(&secret, params))
    }
}

/// The hash `partner hash-secret` prints: argon2id with the crate's defaults (OWASP: m=19 MiB, t=2, p=1).
pub fn hash_secret(secret: &[u8]) -> String {
    hash_with(secret, Params::default())
}

/// An argon2id PHC string of `secret` with the given cost (tests use a small one).
pub fn hash_with(secret: &[u8], params: Params) -> String {
    let mut salt = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).expect("16 bytes is a valid salt");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password(secret, &salt)
        .map(|h| h.to_string())
        .expect("argon2 hashing with valid parameters cannot fail")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> Params {
        Params::new(64, 1, 1, None).unwrap()
    }

    #[test]
    fn verifies_and_refuses() {
        let hash = SecretHash::parse(&hash_with(b"correct horse battery staple", cheap())).unwrap();
        assert!(hash.verify(b"correct horse battery staple"));
        assert!(!hash.verify(b"wrong"));
        assert_eq!(hash.params().unwrap().m_cost(), 64);
        assert_eq!(format!("{hash:?}"), "SecretHash([redacted])");
        let dummy = SecretHash::dummy(cheap());
        assert!(!dummy.verify(b"correct horse battery staple"));
    }

    #[test]
    fn refuses_other_algorithms_and_garbage() {
        assert!(SecretHash::parse("plaintext").is_err());
        let argon2i = "$argon2i$v=19$m=64,t=1,p=1$c29tZXNhbHQ$iWh06vD8Fy27wf9npn6FXWiCX4K6pW6Ue1Bnzz07Z8A";
        assert!(SecretHash::parse(argon2i).unwrap_err().contains("argon2id"));
        let huge = "$argon2id$v=19$m=4194304,t=1,p=1$c29tZXNhbHQ$iWh06vD8Fy27wf9npn6FXWiCX4K6pW6Ue1Bnzz07Z8A";
        assert!(SecretHash::parse(huge).unwrap_err().contains("too high"));
    }
}
