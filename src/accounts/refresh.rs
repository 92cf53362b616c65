//! Rotating refresh tokens for app sign-ins. A refresh token is opaque
//! (32 random bytes), single use, and belongs to a family started at
//! sign-in. Using one returns a new one in the same family; presenting a
//! token that was already used means it leaked (or a client raced itself),
//! so the whole family is revoked and its session ended. Only hashes of
//! tokens are stored.

use std::time::Duration;

use base64::Engine;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::kv::Kv;

/// What a refresh token stands for.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Grant {
    pub family: String,
    pub session_id: String,
    pub customer_id: u64,
}

/// Why a refresh was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// Unknown, expired, or its family was revoked.
    Invalid,
    /// Already used: the family is now revoked; end this session.
    Reused(Grant),
}

#[derive(Clone)]
pub struct RefreshTokens {
    kv: Kv,
    ttl: Duration,
}

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new random id (refresh tokens and family names).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

impl RefreshTokens {
    pub fn new(kv: Kv, ttl: Duration) -> Self {
        Self { kv, ttl }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// A fresh token for `grant`.
    pub async fn issue(&self, grant: &Grant) -> Result<String, ApiError> {
        let token = random_token();
        let record = serde_json::to_string(grant).map_err(|e| ApiError::json("storing a refresh grant", &e))?;
        self.kv.set(&format!("rt:{}", hash(&token)), &record, self.ttl).await?;
        Ok(token)
    }

    /// Consumes `token`: its grant, to be renewed with `issue`.
    pub async fn consume(&self, token: &str) -> Result<Result<Grant, Refused>, ApiError> {
        if token.is_empty() || token.len() > 128 {
            return Ok(Err(Refused::Invalid));
        }
        let key = hash(token);
        // One caller wins `take`; a second presentation finds the tombstone.
        match self.kv.take(&format!("rt:{key}")).await? {
            Some(record) => {
                let grant: Grant = serde_json::from_str(&record).map_err(|e| ApiError::json("reading a refresh grant", &e))?;
                self.kv.set(&format!("used:{key}"), &record, self.ttl).await?;
                if self.kv.get(&format!("revoked:{}", grant.family)).await?.is_some() {
                    return Ok(Err(Refused::Invalid));
                }
                Ok(Ok(grant))
            }
            None => match self.kv.get(&format!("used:{key}")).await? {
                Some(record) => {
                    let grant: Grant = serde_json::from_str(&record).map_err(|e| ApiError::json("reading a refresh grant", &e))?;
                    tracing::warn!(customer_id = grant.customer_id, "refresh token reused; revoking its family");
                    self.revoke(&grant.family).await?;
                    Ok(Err(Refused::Reused(grant)))
                }
                None => Ok(Err(Refused::Invalid)),
            },
        }
    }

    /// Revokes a family: none of its tokens refresh any more (sign-out, reuse).
    pub async fn revoke(&self, family: &str) -> Result<(), ApiError> {
        self.kv.set(&format!("revoked:{family}"), "1", self.ttl).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant() -> Grant {
        Grant { family: "f1".into(), session_id: "s1".into(), customer_id: 7 }
    }

    #[tokio::test]
    async fn rotates_and_revokes_the_family_on_reuse() {
        let tokens = RefreshTokens::new(Kv::memory("rt"), Duration::from_secs(600));
        let first = tokens.issue(&grant()).await.unwrap();
        assert_eq!(tokens.consume(&first).await.unwrap(), Ok(grant()));
        let second = tokens.issue(&grant()).await.unwrap();
        assert_ne!(first, second);
        // The old one again: reuse, and the family dies with it.
        assert_eq!(tokens.consume(&first).await.unwrap(), Err(Refused::Reused(grant())));
        assert_eq!(tokens.consume(&second).await.unwrap(), Err(Refused::Invalid));
        assert_eq!(tokens.consume("made-up").await.unwrap(), Err(Refused::Invalid));
    }
}
