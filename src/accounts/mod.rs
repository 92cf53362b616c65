//! Customer accounts on a stock WooCommerce, with no store plugin: the
//! store checks passwords itself (`upstream::wordpress`), REST v3 holds the
//! customer and their orders, and this module turns a successful check into
//! a BFF session (cookie) or an access + refresh token pair (apps).

pub mod guard;
pub mod handlers;
pub mod me;
pub mod refresh;
pub mod views;

use std::time::Duration;

use crate::cart::state::{CartState, SESSION_KEY};
use crate::cart::Cart;
use crate::error::{ApiError, FieldError};
use crate::kv::Kv;
use crate::session::{ClientKind, SessionTokens, Sessions, Shopper, SignedIn};
use crate::upstream::customers::{NewCustomer, RestCustomer};
use crate::upstream::wordpress::{PasswordCheck, WpUser};
use crate::upstream::{RestClient, UpstreamError, WordPressClient};
use guard::LoginGuard;
use refresh::{Grant, RefreshTokens};
use views::{customer_view, RegisterBody, SignInResult, TokenPair};

/// The device cookie: set at a successful sign-in, it makes this device
/// trusted for that account (see `guard`). Signed with the session token keys
/// (its subject cannot pass for a session id, nor a session token for it).
pub const DEVICE_COOKIE: &str = "sfbff_device";
/// How long a device stays trusted after its last successful sign-in.
pub const DEVICE_TTL: Duration = Duration::from_secs(365 * 24 * 3600);

/// The trusted device a device cookie names, if it is ours and unexpired.
fn device_of(tokens: &SessionTokens, raw: &str) -> Option<guard::Device> {
    let sub = tokens.verify(raw)?;
    let (account, nonce) = sub.strip_prefix("device:")?.rsplit_once(':')?;
    Some(guard::Device { account: account.to_string(), nonce: nonce.to_string() })
}

/// Token lifetimes and the brute-force guard's limits.
#[derive(Debug, Clone)]
pub struct AccountSettings {
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    pub max_failures: u32,
    pub lockout: Duration,
    /// `Secure` on the device cookie (as on the session cookie).
    pub cookie_secure: bool,
}

impl Default for AccountSettings {
    fn default() -> Self {
        Self {
            access_ttl: Duration::from_secs(900),
            refresh_ttl: Duration::from_secs(30 * 24 * 3600),
            max_failures: 5,
            lockout: Duration::from_secs(60),
            cookie_secure: true,
        }
    }
}

/// WordPress roles that may sign in to the storefront. Staff accounts
/// (administrator, shop manager, ...) use wp-admin; for them a right
/// password answers the same 401 as a wrong one.
const SHOPPER_ROLES: [&str; 2] = ["customer", "subscriber"];

pub struct Accounts {
    rest: RestClient,
    wordpress: WordPressClient,
    guard: LoginGuard,
    refresh: RefreshTokens,
    access_ttl: Duration,
    cookie_secure: bool,
    /// The cap on concurrent sign-ins and registrations at the store.
    gate: crate::gate::Gate,
}

/// Unreachable store or odd answers still fail closed: 503/502, never a sign-in.
fn upstream(err: UpstreamError) -> ApiError {
    ApiError::from_upstream(err, "customer_not_found")
}

impl Accounts {
    pub fn new(rest: RestClient, wordpress: WordPressClient, redis: Option<crate::redis::Redis>, settings: &AccountSettings) -> Self {
        Self {
            rest,
            wordpress,
            guard: LoginGuard::new(Kv::new(redis.clone(), "login"), settings.max_failures, settings.lockout),
            refresh: RefreshTokens::new(Kv::new(redis, "refresh"), settings.refresh_ttl),
            access_ttl: settings.access_ttl,
            cookie_secure: settings.cookie_secure,
            gate: crate::gate::Gate::unlimited(),
        }
    }

    /// The same accounts with their store work capped by `gate`.
    pub fn with_gate(mut self, gate: crate::gate::Gate) -> Self {
        self.gate = gate;
        self
    }

    pub fn device_cookie_secure(&self) -> bool {
        self.cookie_secure
    }

    pub fn rest(&self) -> &RestClient {
        &self.rest
    }

    pub fn refresh_tokens(&self) -> &RefreshTokens {
        &self.refresh
    }

    /// Checks the password with the store and finds the customer, behind
    /// the guard. Every failure is the same 401.
    /// `device` is the device cookie the client sent, if any; on success the
    /// answer carries the device cookie value to set (see `guard`).
    pub async fn authenticate(
        &self,
        tokens: &SessionTokens,
        login: &str,
        password: &str,
        ip: &str,
        device: Option<&str>,
    ) -> Result<(RestCustomer, String), ApiError> {
        let device = device.and_then(|raw| device_of(tokens, raw));
        self.guard.check(login, ip, device.as_ref()).await?;
        let _permit = self.gate.enter(crate::gate::Kind::Rest).await?;
        let customer = match self.wordpress.check_password(login, password).await.map_err(upstream)? {
            PasswordCheck::Valid(user) => self.customer_for(&user).await?,
            PasswordCheck::Invalid => None,
        };
        match customer {
            Some(customer) => {
                let logins = [customer.email.as_str(), customer.username.as_str()];
                let trusted = self.guard.succeeded(login, ip, device.as_ref(), customer.id, &logins).await?;
                let cookie = tokens.issue_for(&format!("device:{}:{}", trusted.account, trusted.nonce), DEVICE_TTL);
                Ok((customer, cookie))
            }
            None => {
                self.guard.failed(login, ip, device.as_ref()).await?;
                Err(ApiError::InvalidCredentials)
            }
        }
    }

    /// The WooCommerce customer of a WordPress user: by email when XML-RPC
    /// told us, else by exact login name.
    async fn customer_for(&self, user: &WpUser) -> Result<Option<RestCustomer>, ApiError> {
        let candidates = match &user.email {
            Some(email) => self.rest.customers_by_email(email).await.map_err(upstream)?,
            None => self.rest.customers_search(&user.username).await.map_err(upstream)?,
        };
        Ok(candidates.into_iter().find(|c| {
            let same = match (&user.email, user.user_id) {
                (Some(email), Some(id)) => c.email.eq_ignore_ascii_case(email) && c.id == id,
                (Some(email), None) => c.email.eq_ignore_ascii_case(email),
                (None, _) => c.username == user.username,
            };
            same && SHOPPER_ROLES.contains(&c.role.as_str())
        }))
    }

    /// Creates the customer in WooCommerce (which stores the password).
    pub async fn register(&self, body: &RegisterBody, ip: &str) -> Result<RestCustomer, ApiError> {
        body.validate()?;
        self.guard.check_ip(ip).await?;
        let _permit = self.gate.enter(crate::gate::Kind::Rest).await?;
        let new = NewCustomer {
            email: body.email.trim(),
            password: &body.password,
            first_name: body.first_name.as_deref().unwrap_or("").trim(),
            last_name: body.last_name.as_deref().unwrap_or("").trim(),
        };
        self.rest.create_customer(&new).await.map_err(|err| match err.woo_code() {
            Some("registration-error-email-exists") => ApiError::EmailTaken,
            Some("registration-error-invalid-email" | "customer_invalid_email") => {
                ApiError::Validation(vec![FieldError::new("email", "a valid email address")])
            }
            Some("registration-error-invalid-password") | Some("registration-error-missing-password") => {
                ApiError::Validation(vec![FieldError::new("password", "the store refused this password")])
            }
            _ => upstream(err),
        })
    }

    /// Turns a checked customer into a signed-in session: the guest cart is
    /// merged into the customer's saved cart first (if that fails nothing
    /// has changed and the client can retry), then a cookie session gets a
    /// new id, or an app gets a new session and a token pair.
    pub async fn start_session(
        &self,
        sessions: &Sessions,
        cart: &Cart,
        shopper: &Shopper,
        customer: &RestCustomer,
        ip: &str,
    ) -> Result<SignInResult, ApiError> {
        let guest: Option<CartState> = shopper.get(SESSION_KEY).await?;
        cart.merge_at_sign_in(customer.id, guest, Some(ip)).await?;
        let tokens = match shopper.kind {
            ClientKind::Cookie => {
                shopper.sign_in_cookie(&SignedIn { customer_id: customer.id, email: customer.email.clone(), family: None }).await?;
                None
            }
            ClientKind::Bearer => {
                let family = refresh::random_token();
                let signed_in = SignedIn { customer_id: customer.id, email: customer.email.clone(), family: Some(family.clone()) };
                let session_id = sessions.create_customer_session(&signed_in).await?.to_string();
                // The guest session (and its long-lived token) ends here.
                shopper.end().await?;
                Some(self.token_pair(sessions, Grant { family, session_id, customer_id: customer.id }).await?)
            }
        };
        tracing::info!(customer_id = customer.id, "customer signed in");
        Ok(SignInResult { customer: customer_view(customer), tokens })
    }

    async fn token_pair(&self, sessions: &Sessions, grant: Grant) -> Result<TokenPair, ApiError> {
        Ok(TokenPair {
            access_token: sessions.tokens().issue_for(&grant.session_id, self.access_ttl),
            token_type: "Bearer",
            expires_in: self.access_ttl.as_secs(),
            refresh_token: self.refresh.issue(&grant).await?,
            refresh_expires_in: self.refresh.ttl().as_secs(),
        })
    }

    /// Trades a refresh token for a new pair. Reuse ends the session and
    /// revokes the family. A session that idled out is recreated: the
    /// refresh token is the longer-lived credential.
    pub async fn refresh(&self, sessions: &Sessions, token: &str) -> Result<TokenPair, ApiError> {
        let mut grant = match self.refresh.consume(token).await? {
            Ok(grant) => grant,
            Err(refresh::Refused::Reused(grant)) => {
                sessions.destroy(&grant.session_id).await?;
                return Err(ApiError::InvalidRefreshToken);
            }
            Err(refresh::Refused::Invalid) => return Err(ApiError::InvalidRefreshToken),
        };
        if sessions.customer_of(&grant.session_id).await?.is_none() {
            let customer = self.rest.customer(grant.customer_id).await.map_err(upstream)?;
            let signed_in = SignedIn { customer_id: customer.id, email: customer.email, family: Some(grant.family.clone()) };
            grant.session_id = sessions.create_customer_session(&signed_in).await?.to_string();
        }
        self.token_pair(sessions, grant).await
    }

    /// Sign-out: an app's refresh family is revoked; the session ends.
    pub async fn sign_out(&self, shopper: &Shopper) -> Result<(), ApiError> {
        if let Some(family) = shopper.signed_in().await?.and_then(|c| c.family) {
            self.refresh.revoke(&family).await?;
        }
        shopper.end().await
    }
}
