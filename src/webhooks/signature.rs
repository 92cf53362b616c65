//! WooCommerce webhook signatures: `X-WC-Webhook-Signature` is
//! base64(HMAC-SHA256(raw body, secret)). Checked in constant time against
//! the current secret and, during a rotation, the previous one.

use std::fmt;

use base64::{engine::general_purpose::STANDARD, Engine};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

/// The accepted secrets. `Debug` never shows them.
#[derive(Clone, Default)]
pub struct WebhookSecrets {
    pub current: Option<SecretString>,
    /// Still accepted while the store is being switched to `current`.
    pub previous: Option<SecretString>,
}

impl fmt::Debug for WebhookSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookSecrets")
            .field("current", &self.current.as_ref().map(|_| "[redacted]"))
            .field("previous", &self.previous.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

/// The signature WooCommerce would send for `body` with `secret`.
pub fn sign(body: &[u8], secret: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    STANDARD.encode(mac.finalize().into_bytes())
}

impl WebhookSecrets {
    pub fn is_configured(&self) -> bool {
        self.current.is_some()
    }

    /// Whether `signature` is valid for `body` under any accepted secret.
    pub fn verify(&self, body: &[u8], signature: &str) -> bool {
        let Ok(given) = STANDARD.decode(signature.trim()) else {
            return false;
        };
        [&self.current, &self.previous].into_iter().flatten().any(|secret| {
            let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose_secret().as_bytes()).expect("HMAC takes any key length");
            mac.update(body);
            mac.verify_slice(&given).is_ok()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifies_current_and_previous_and_nothing_else() {
        let secrets = WebhookSecrets { current: Some(SecretString::from("new")), previous: Some(SecretString::from("old")) };
        let body = br#"{"id":1}"#;
        assert!(secrets.verify(body, &sign(body, "new")));
        assert!(secrets.verify(body, &sign(body, "old")));
        assert!(!secrets.verify(body, &sign(body, "other")));
        assert!(!secrets.verify(b"{\"id\":2}", &sign(body, "new")), "the body is covered");
        assert!(!secrets.verify(body, "not base64!"));
        assert!(!WebhookSecrets::default().verify(body, &sign(body, "")), "no secret, nothing verifies");
        assert!(!format!("{secrets:?}").contains("new"));
    }
}
