//! Customer access tokens against forgery: every kind of bad JWT gets 401
//! `invalid_token` with `WWW-Authenticate`, on the customer and cart routes;
//! keys rotate by `kid` (old tokens stay valid until they expire).

use std::time::Duration;

use base64::Engine;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use storefront_bff::jwt::KeyRing;
use storefront_bff::session::SessionTokens;

use crate::common::{note_secret, TestApp};

const OLD: &str = "old-signing-key-0123456789abcdef0123456789";
const NEW: &str = "new-signing-key-fedcba9876543210fedcba9876";

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

fn claims(sub: &str) -> Value {
    json!({"iss": "storefront-bff", "aud": "storefront-bff:session", "sub": sub, "iat": now(), "nbf": now(), "exp": now() + 600})
}

fn hs256(kid: &str, secret: &[u8], claims: &Value) -> String {
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(kid.into());
    encode(&header, claims, &EncodingKey::from_secret(secret)).unwrap()
}

fn b64(value: &Value) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
}

/// The session id inside one of our tokens.
fn subject(token: &str) -> String {
    let payload = token.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    claims["sub"].as_str().unwrap().to_string()
}

async fn signed_in_app(ring: &str) -> (TestApp, String) {
    note_secret(OLD);
    note_secret(NEW);
    let ring = KeyRing::parse(ring).unwrap();
    let app = TestApp::with(|c| c.options.tokens = SessionTokens::new(ring, Duration::from_secs(3600))).await;
    let password = "token-test-password-1";
    note_secret(password);
    app.store.add_customer("tokens", "tokens@example.test", password, "T", "K");
    let client = app.app_client().await;
    let r = client.post("/api/v1/auth/login", json!({"email_or_username": "tokens", "password": password})).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let token = r.json()["tokens"]["access_token"].as_str().unwrap().to_string();
    (app, token)
}

async fn assert_refused(app: &TestApp, token: &str, what: &str) {
    for path in ["/api/v1/me", "/api/v1/cart", "/api/v1/me/orders"] {
        let r = app.get_with(path, &[("authorization", &format!("Bearer {token}"))]).await;
        assert_eq!(r.status, 401, "{what} on {path}");
        assert_eq!(r.error_code(), "invalid_token", "{what} on {path}");
        assert!(r.header("www-authenticate").is_some_and(|h| h.starts_with("Bearer")), "{what} on {path}");
    }
}

#[tokio::test]
async fn forged_tokens_are_refused_and_rotation_keeps_old_tokens_valid() {
    let (app, token) = signed_in_app(&format!("new={NEW},old={OLD}")).await;
    let sub = subject(&token);
    let header = token.split('.').next().unwrap();
    assert!(String::from_utf8(base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(header).unwrap())
        .unwrap()
        .contains("\"kid\":\"new\""));
    let ok = app.get_with("/api/v1/me", &[("authorization", &format!("Bearer {token}"))]).await;
    assert_eq!(ok.status, 200);

    // Signed with the previous key (kid "old"): still accepted until it expires.
    let old = hs256("old", OLD.as_bytes(), &claims(&sub));
    assert_eq!(app.get_with("/api/v1/me", &[("authorization", &format!("Bearer {old}"))]).await.status, 200);

    let mut tampered: Vec<String> = token.split('.').map(str::to_string).collect();
    let mut changed = claims(&sub);
    changed["sub"] = json!("0000000000000000000000");
    tampered[1] = b64(&changed);
    let mut expired = claims(&sub);
    expired["exp"] = json!(now() - 3600);
    expired["iat"] = json!(now() - 4000);
    let mut early = claims(&sub);
    early["nbf"] = json!(now() + 3600);
    let mut audience = claims(&sub);
    audience["aud"] = json!("storefront-bff:partner");
    let mut issuer = claims(&sub);
    issuer["iss"] = json!("someone-else");
    let forgeries = [
        (format!("{}.{}.", b64(&json!({"alg": "none", "typ": "JWT", "kid": "new"})), b64(&claims(&sub))), "alg none"),
        (tampered.join("."), "tampered payload"),
        (hs256("new", NEW.as_bytes(), &expired), "expired"),
        (hs256("new", NEW.as_bytes(), &early), "not yet valid"),
        (hs256("new", NEW.as_bytes(), &audience), "wrong audience"),
        (hs256("new", NEW.as_bytes(), &issuer), "wrong issuer"),
        (hs256("retired", NEW.as_bytes(), &claims(&sub)), "unknown kid"),
        (encode(&Header::new(Algorithm::HS256), &claims(&sub), &EncodingKey::from_secret(NEW.as_bytes())).unwrap(), "no kid"),
        (hs256("new", b"a-guessed-key-that-is-long-enough-000", &claims(&sub)), "wrong key"),
        ("not.a.jwt".to_string(), "garbage"),
    ];
    for (forged, what) in &forgeries {
        assert_refused(&app, forged, what).await;
    }
    assert_eq!(app.get_with("/api/v1/me", &[("authorization", "Basic abc")]).await.status, 401, "not a bearer token");
}

/// An RS256 key ring: a token signed HS256 with the public key as the
/// secret (the classic confusion attack) is refused, and so is RS256 with
/// another private key.
#[tokio::test]
async fn hs_rs_confusion_is_refused() {
    use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
    let mut rng = rand::thread_rng();
    let private = rsa::RsaPrivateKey::new(&mut rng, 2048).unwrap();
    let private_pem = private.to_pkcs8_pem(LineEnding::LF).unwrap().to_string();
    let public_pem = private.to_public_key().to_public_key_pem(LineEnding::LF).unwrap();
    note_secret(private_pem.lines().nth(1).unwrap());
    let dir = std::env::temp_dir().join(format!("bff-rsa-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("r1.pem");
    std::fs::write(&path, &private_pem).unwrap();

    let (app, token) = signed_in_app(&format!("r1=@{}", path.display())).await;
    let header = token.split('.').next().unwrap();
    assert!(String::from_utf8(base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap().contains("RS256"));
    assert_eq!(app.get_with("/api/v1/me", &[("authorization", &format!("Bearer {token}"))]).await.status, 200);
    let sub = subject(&token);

    let confused = hs256("r1", public_pem.as_bytes(), &claims(&sub));
    assert_refused(&app, &confused, "HS256 signed with the RSA public key").await;
    let other = rsa::RsaPrivateKey::new(&mut rng, 2048).unwrap().to_pkcs8_pem(LineEnding::LF).unwrap().to_string();
    let mut rs_header = Header::new(Algorithm::RS256);
    rs_header.kid = Some("r1".into());
    let foreign = encode(&rs_header, &claims(&sub), &EncodingKey::from_rsa_pem(other.as_bytes()).unwrap()).unwrap();
    assert_refused(&app, &foreign, "RS256 with another private key").await;
    let _ = std::fs::remove_dir_all(dir);
}
