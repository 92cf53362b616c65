//! Store API session credentials and hashes: the HS256 `Cart-Token` JWT, the guest `Nonce`, random hex ids and an MD5 (cart line keys are `md5()` of the product, variation and attributes, as in `WC_Cart::generate_cart_id`).

use std::sync::RwLock;

use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};

/// How long a Cart-Token lives (WooCommerce: 48 hours).
pub(crate) const TOKEN_TTL: i64 = 48 * 3600;
const ISSUER: &str = "wc/store/v1";

/// `n` random bytes as lower-case hex.
pub(crate) fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

/// A guest session id as WooCommerce makes them: `t_` and 30 hex digits.
pub(crate) fn guest_id() -> String {
    let mut h = random_hex(16);
    h.truncate(30);
    format!("t_{h}")
}

/// The claims of a Cart-Token, in WooCommerce's order.
#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    user_id: String,
    exp: i64,
    iss: String,
    iat: i64,
}

/// Signs and checks Cart-Tokens with a per-store secret (rotating it invalidates every token).
pub(crate) struct CartTokens {
    secret: RwLock<Vec<u8>>,
    /// The last tokens handed out, for tests that prove none leaks.
    issued: std::sync::Mutex<std::collections::VecDeque<String>>,
}

/// How many issued tokens are remembered.
const REMEMBERED: usize = 50_000;

impl CartTokens {
    pub(crate) fn new() -> CartTokens {
        CartTokens { secret: RwLock::new(random_hex(32).into_bytes()), issued: Default::default() }
    }

    fn secret(&self) -> Vec<u8> {
        self.secret.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// A fresh token for `user_id`, valid for 48 hours from `now`.
    pub(crate) fn issue(&self, user_id: &str, now: i64) -> String {
        let claims = Claims { user_id: user_id.to_string(), exp: now + TOKEN_TTL, iss: ISSUER.to_string(), iat: now };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(&self.secret())).unwrap_or_default();
        let mut issued = self.issued.lock().unwrap_or_else(|e| e.into_inner());
        if issued.len() == REMEMBERED {
            issued.pop_front();
        }
        issued.push_back(token.clone());
        token
    }

    /// The most recently issued tokens (oldest first).
    pub(crate) fn issued(&self) -> Vec<String> {
        self.issued.lock().unwrap_or_else(|e| e.into_inner()).iter().cloned().collect()
    }

    /// The session id of a valid, unexpired token of this store.
    pub(crate) fn verify(&self, token: &str) -> Option<String> {
        let mut v = Validation::new(Algorithm::HS256);
        v.set_issuer(&[ISSUER]);
        v.leeway = 0;
        v.set_required_spec_claims(&["exp", "iss"]);
        let data = decode::<Claims>(token.trim(), &DecodingKey::from_secret(&self.secret()), &v).ok()?;
        let id = data.claims.user_id;
        (!id.is_empty() && id.len() <= 64).then_some(id)
    }

    /// Every token issued so far stops verifying.
    pub(crate) fn rotate(&self) {
        *self.secret.write().unwrap_or_else(|e| e.into_inner()) = random_hex(32).into_bytes();
    }
}

/// MD5 (RFC 1321) as lower-case hex, like PHP's `md5()`.
pub(crate) fn md5_hex(input: &[u8]) -> String {
    const S: [u32; 64] = [
        7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 4, 11, 16, 23,
        4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
    ];
    let k: Vec<u32> = (0..64).map(|i: i32| ((f64::from(i) + 1.0).sin().abs() * 4_294_967_296.0) as u32).collect();
    let mut msg = input.to_vec();
    let bit_len = (input.len() as u64).wrapping_mul(8);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bit_len.to_le_bytes());
    let (mut a0, mut b0, mut c0, mut d0) = (0x6745_2301u32, 0xefcd_ab89u32, 0x98ba_dcfeu32, 0x1032_5476u32);
    for chunk in msg.chunks_exact(64) {
        let m: Vec<u32> = chunk.chunks_exact(4).map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]])).collect();
        let (mut a, mut b, mut c, mut d) = (a0, b0, c0, d0);
        for i in 0..64 {
            let (f, g) = match i / 16 {
                0 => ((b & c) | (!b & d), i),
                1 => ((d & b) | (!d & c), (5 * i + 1) % 16),
                2 => (b ^ c ^ d, (3 * i + 5) % 16),
                _ => (c ^ (b | !d), (7 * i) % 16),
            };
            let f = f.wrapping_add(a).wrapping_add(k[i]).wrapping_add(m[g]);
            a = d;
            d = c;
            c = b;
            b = b.wrapping_add(f.rotate_left(S[i]));
        }
        a0 = a0.wrapping_add(a);
        b0 = b0.wrapping_add(b);
        c0 = c0.wrapping_add(c);
        d0 = d0.wrapping_add(d);
    }
    let mut out = Vec::with_capacity(16);
    for w in [a0, b0, c0, d0] {
        out.extend_from_slice(&w.to_le_bytes());
    }
    hex::encode(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_matches_php() {
        assert_eq!(md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(md5_hex(b"11"), "6512bd43d9caa6e02c990b0a82652dca");
        assert_eq!(md5_hex(b"63_67_attribute_pa_colorredattribute_pa_sizem"), "2cacf341e12c4bddcbb2215ec2480744");
    }

    #[test]
    fn tokens_verify_until_rotated() {
        let now = (crate::auth::system_clock())();
        let t = CartTokens::new();
        let tok = t.issue("t_abc", now);
        assert_eq!(t.verify(&tok).as_deref(), Some("t_abc"));
        assert!(t.verify(&t.issue("t_old", now - TOKEN_TTL - 10)).is_none());
        assert!(t.verify("not-a-jwt").is_none());
        t.rotate();
        assert!(t.verify(&tok).is_none());
    }
}
