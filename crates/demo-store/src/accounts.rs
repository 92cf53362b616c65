//! Customer accounts (WordPress users): salted password hashes, `wp_authenticate` (login or email, with its distinct failures), WooCommerce's username rules, the seeded users and the XML-RPC switch.

use std::collections::BTreeMap;

use rand::{Rng, RngCore};
use sha2::{Digest, Sha256};

use super::auth::constant_time_eq;
use super::http::WpError;
use super::shop::Address;
use super::user_text::{is_email, nicename, sanitize_user};

/// How `/xmlrpc.php` answers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum XmlRpcMode {
    /// Stock WordPress.
    #[default]
    Enabled,
    /// The `xmlrpc_enabled` filter returns false: methods that log in get fault 405 (HTTP 200).
    Disabled,
    /// The host blocks the file: HTTP 403 with an HTML page.
    Blocked,
}

/// A customer as the tests see it (no password material).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerInfo {
    pub id: u64,
    pub username: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub display_name: String,
    /// `customer`, or `administrator` for user 1.
    pub role: String,
    pub locked: bool,
    /// `user_registered`, seconds since the epoch.
    pub registered: i64,
}

/// One `wp_users` row with its meta.
#[derive(Debug, Clone)]
pub(crate) struct User {
    pub(crate) id: u64,
    pub(crate) login: String,
    pub(crate) email: String,
    pub(crate) first_name: String,
    pub(crate) last_name: String,
    pub(crate) display_name: String,
    pub(crate) nicename: String,
    pub(crate) role: String,
    pub(crate) registered: i64,
    pub(crate) modified: Option<i64>,
    pub(crate) billing: Address,
    pub(crate) shipping: Address,
    pub(crate) locked: bool,
    salt: [u8; 16],
    hash: [u8; 32],
}

fn digest(salt: &[u8], password: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(salt);
    h.update(password.as_bytes());
    h.finalize().into()
}

impl User {
    pub(crate) fn set_password(&mut self, password: &str) {
        rand::thread_rng().fill_bytes(&mut self.salt);
        self.hash = digest(&self.salt, password);
    }

    /// `wp_check_password`; a locked account never matches (as a lockout plugin rejects it).
    pub(crate) fn check_password(&self, password: &str) -> bool {
        !self.locked && constant_time_eq(&digest(&self.salt, password), &self.hash)
    }

    /// Four characters of the hash, as `wp_generate_auth_cookie` uses `substr( $user_pass, 8, 4 )`.
    pub(crate) fn pass_frag(&self) -> String {
        hex::encode(&self.hash[4..6])
    }

    pub(crate) fn info(&self) -> CustomerInfo {
        CustomerInfo {
            id: self.id,
            username: self.login.clone(),
            email: self.email.clone(),
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            display_name: self.display_name.clone(),
            role: self.role.clone(),
            locked: self.locked,
            registered: self.registered,
        }
    }
}

/// An empty address (new WooCommerce customers have no base-location defaults, see `v3-23`).
pub(crate) fn blank_address() -> Address {
    Address { state: String::new(), country: String::new(), ..Address::default() }
}

/// Why `wp_authenticate` refused (each has its own wp-login.php message; XML-RPC folds them into one fault).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AuthFailure {
    Empty { username: bool, password: bool },
    UnknownUsername(String),
    UnknownEmail,
    WrongPassword { login: String, by_email: bool },
}

/// All users, the XML-RPC switch and the auth cookie secret (behind the shop mutex).
pub(crate) struct Accounts {
    pub(crate) users: BTreeMap<u64, User>,
    pub(crate) next_id: u64,
    pub(crate) xmlrpc: XmlRpcMode,
    /// Stands in for `AUTH_KEY`/`LOGGED_IN_KEY` + salts.
    pub(crate) cookie_key: [u8; 32],
}

/// The demo customer documented in the module docs.
pub(crate) const DEMO_LOGIN: &str = "shopper";
pub(crate) const DEMO_EMAIL: &str = "shopper@example.test";
pub(crate) const DEMO_PASSWORD: &str = "shopper-demo-pass";

impl Accounts {
    /// User 1 is the site administrator (random password, never printed); user 2 the demo customer.
    pub(crate) fn seed(now: i64) -> Accounts {
        let mut cookie_key = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut cookie_key);
        let mut a = Accounts { users: BTreeMap::new(), next_id: 1, xmlrpc: XmlRpcMode::Enabled, cookie_key };
        let admin_pass = super::tokens::random_hex(16);
        let admin = a.insert("admin", "admin@example.test", &admin_pass, now - 60);
        if let Some(u) = a.users.get_mut(&admin) {
            u.role = "administrator".into();
            u.modified = None;
        }
        let id = a.insert(DEMO_LOGIN, DEMO_EMAIL, DEMO_PASSWORD, now);
        if let Some(u) = a.users.get_mut(&id) {
            u.first_name = "Sam".into();
            u.last_name = "Shopper".into();
            let home = |email: &str, phone: &str| Address {
                first_name: "Sam".into(),
                last_name: "Shopper".into(),
                address_1: "1 Demo Way".into(),
                city: "San Francisco".into(),
                state: "CA".into(),
                postcode: "94105".into(),
                country: "US".into(),
                email: email.into(),
                phone: phone.into(),
                ..blank_address()
            };
            u.billing = home(DEMO_EMAIL, "+1 415 555 0123");
            u.shipping = home("", "");
        }
        a
    }

    /// `wc_create_new_customer` after its checks: a `customer` whose display name is the login.
    pub(crate) fn insert(&mut self, login: &str, email: &str, password: &str, now: i64) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        let mut u = User {
            id,
            login: login.to_string(),
            email: email.to_string(),
            first_name: String::new(),
            last_name: String::new(),
            display_name: login.to_string(),
            nicename: nicename(login),
            role: "customer".into(),
            registered: now,
            modified: Some(now),
            billing: blank_address(),
            shipping: blank_address(),
            locked: false,
            salt: [0; 16],
            hash: [0; 32],
        };
        u.set_password(password);
        self.users.insert(id, u);
        id
    }

    /// `get_user_by( 'login' )` (MySQL compares case-insensitively).
    pub(crate) fn by_login(&self, login: &str) -> Option<&User> {
        self.users.values().find(|u| u.login.eq_ignore_ascii_case(login))
    }

    /// `get_user_by( 'email' )` / `email_exists`.
    pub(crate) fn by_email(&self, email: &str) -> Option<&User> {
        let email = email.trim();
        self.users.values().find(|u| !email.is_empty() && u.email.eq_ignore_ascii_case(email))
    }

    /// `wp_authenticate`: the username is `sanitize_user`'d and the password trimmed; an email works as the username.
    pub(crate) fn authenticate(&self, raw_login: &str, raw_password: &str) -> Result<&User, AuthFailure> {
        let login = sanitize_user(raw_login, false);
        let password = raw_password.trim();
        if login.is_empty() || password.is_empty() {
            return Err(AuthFailure::Empty { username: login.is_empty(), password: password.is_empty() });
        }
        let (user, by_email) = match self.by_login(&login) {
            Some(u) => (u, false),
            None if is_email(&login) => (self.by_email(&login).ok_or(AuthFailure::UnknownEmail)?, true),
            None => return Err(AuthFailure::UnknownUsername(login)),
        };
        if user.check_password(password) {
            Ok(user)
        } else {
            Err(AuthFailure::WrongPassword { login, by_email })
        }
    }

    /// `customer_id` of an order write: absent, 0 (a guest) or an existing user (`save_object`'s check).
    pub(crate) fn order_customer(&self, args: &serde_json::Value) -> Result<Option<u64>, WpError> {
        let Some(obj) = args.as_object() else {
            return Ok(None);
        };
        match super::cart_routes::int_arg(obj, "customer_id")? {
            None => Ok(None),
            Some(0) => Ok(Some(0)),
            Some(n) => u64::try_from(n)
                .ok()
                .filter(|id| self.users.contains_key(id))
                .map(Some)
                .ok_or_else(|| WpError::new(400, "woocommerce_rest_invalid_customer_id", "Customer ID is invalid.")),
        }
    }

    /// `wc_create_new_customer_username`: the email's local part (the domain for `info@` and the like), made unique with `-NNNN`.
    pub(crate) fn generate_username(&self, email: &str) -> String {
        let (local, domain) = email.split_once('@').unwrap_or((email, ""));
        let base = if ["sales", "hello", "mail", "contact", "info"].contains(&local) { domain } else { local };
        let base = sanitize_user(base, true).to_lowercase();
        let mut name = base.clone();
        while self.by_login(&name).is_some() {
            name = format!("{base}-{:04}", rand::thread_rng().gen_range(0..10_000));
        }
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authenticate_like_wordpress() {
        let a = Accounts::seed(1_800_000_000);
        assert_eq!(a.authenticate(" shopper ", " shopper-demo-pass ").map(|u| u.id), Ok(2));
        assert_eq!(a.authenticate("SHOPPER@example.test", "shopper-demo-pass").map(|u| u.id), Ok(2));
        assert_eq!(a.authenticate("shopper", "nope").err(), Some(AuthFailure::WrongPassword { login: "shopper".into(), by_email: false }));
        assert_eq!(a.authenticate("nobody@example.test", "x").err(), Some(AuthFailure::UnknownEmail));
        assert_eq!(a.authenticate("<b>ghost</b>", "x").err(), Some(AuthFailure::UnknownUsername("ghost".into())));
        assert_eq!(a.authenticate("", "").err(), Some(AuthFailure::Empty { username: true, password: true }));
    }
}
