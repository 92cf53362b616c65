//! The shop state behind the Store API cart and checkout: guest sessions (keyed by the Cart-Token's `user_id`), addresses, coupons, orders and the switches tests flip, all behind one mutex.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use serde_json::Value;

use super::coupons::{seed_coupons, Coupon};
use super::orders::Order;
use super::tokens::{guest_id, random_hex, CartTokens};
use super::webhooks::Webhooks;

/// A billing or shipping address (shipping ignores `email`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Address {
    pub(crate) first_name: String,
    pub(crate) last_name: String,
    pub(crate) company: String,
    pub(crate) address_1: String,
    pub(crate) address_2: String,
    pub(crate) city: String,
    pub(crate) state: String,
    pub(crate) postcode: String,
    pub(crate) country: String,
    pub(crate) email: String,
    pub(crate) phone: String,
}

impl Default for Address {
    /// A new customer sits at the store's base location (US, California), as captured.
    fn default() -> Address {
        Address {
            first_name: String::new(),
            last_name: String::new(),
            company: String::new(),
            address_1: String::new(),
            address_2: String::new(),
            city: String::new(),
            state: "CA".into(),
            postcode: String::new(),
            country: "US".into(),
            email: String::new(),
            phone: String::new(),
        }
    }
}

impl Address {
    fn field(&mut self, name: &str) -> Option<&mut String> {
        Some(match name {
            "first_name" => &mut self.first_name,
            "last_name" => &mut self.last_name,
            "company" => &mut self.company,
            "address_1" => &mut self.address_1,
            "address_2" => &mut self.address_2,
            "city" => &mut self.city,
            "state" => &mut self.state,
            "postcode" => &mut self.postcode,
            "country" => &mut self.country,
            "email" => &mut self.email,
            "phone" => &mut self.phone,
            _ => return None,
        })
    }

    /// Overwrites the fields present in `obj` (strings and numbers; other members are ignored).
    pub(crate) fn merge(&mut self, obj: &serde_json::Map<String, Value>) {
        for (k, v) in obj {
            let text = match v {
                Value::String(s) => s.trim().to_string(),
                Value::Number(n) => n.to_string(),
                Value::Null => String::new(),
                _ => continue,
            };
            if let Some(f) = self.field(k) {
                *f = if k == "country" || k == "state" { text.to_ascii_uppercase() } else { text };
            }
        }
    }

    /// The address members in WooCommerce's order; `with_email` for billing.
    pub(crate) fn pairs(&self, with_email: bool) -> Vec<(&'static str, &str)> {
        let mut v = vec![
            ("first_name", self.first_name.as_str()),
            ("last_name", self.last_name.as_str()),
            ("company", self.company.as_str()),
            ("address_1", self.address_1.as_str()),
            ("address_2", self.address_2.as_str()),
            ("city", self.city.as_str()),
            ("state", self.state.as_str()),
            ("postcode", self.postcode.as_str()),
            ("country", self.country.as_str()),
        ];
        if with_email {
            v.push(("email", self.email.as_str()));
        }
        v.push(("phone", self.phone.as_str()));
        v
    }
}

/// A cart line: what was added (parent id, variation id and the `attribute_*` choices, sorted) and how many.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Line {
    pub(crate) key: String,
    pub(crate) product_id: u32,
    /// 0 for products without variations.
    pub(crate) variation_id: u32,
    pub(crate) attrs: Vec<(String, String)>,
    pub(crate) quantity: u32,
}

impl Line {
    /// The catalogue id the line stands for (the variation for variable products).
    pub(crate) fn item_id(&self) -> u32 {
        if self.variation_id != 0 {
            self.variation_id
        } else {
            self.product_id
        }
    }
}

/// One guest's cart session.
#[derive(Debug, Clone, Default)]
pub(crate) struct Session {
    pub(crate) lines: Vec<Line>,
    pub(crate) coupons: Vec<String>,
    pub(crate) billing: Address,
    pub(crate) shipping: Address,
    /// The chosen rate of package 0 (`""`: the default, the first rate).
    pub(crate) rate: String,
    /// The session's `checkout-draft` order.
    pub(crate) draft: Option<u64>,
}

/// Everything behind the shop mutex.
pub(crate) struct ShopData {
    pub(crate) sessions: HashMap<String, Session>,
    pub(crate) orders: BTreeMap<u64, Order>,
    pub(crate) coupons: Vec<Coupon>,
    /// Next post id for orders (orders share WordPress's post id sequence).
    pub(crate) next_post_id: u64,
    /// Next order item id and meta id (`woocommerce_order_items`, `..._itemmeta`).
    pub(crate) next_item_id: u64,
    pub(crate) next_meta_id: u64,
    /// WordPress users: the customers behind REST `customers`, XML-RPC and wp-login.php (see `accounts.rs`).
    pub(crate) accounts: super::accounts::Accounts,
}

impl ShopData {
    pub(crate) fn item_id(&mut self) -> u64 {
        self.next_item_id += 1;
        self.next_item_id
    }

    pub(crate) fn meta_id(&mut self) -> u64 {
        self.next_meta_id += 1;
        self.next_meta_id
    }

    pub(crate) fn coupon(&self, code: &str) -> Option<&Coupon> {
        self.coupons.iter().find(|c| c.code == code)
    }
}

/// The shop: sessions, orders, credentials and switches.
pub(crate) struct Shop {
    data: Mutex<ShopData>,
    pub(crate) tokens: CartTokens,
    /// The nonce every guest session gets (a random 10-hex value per store, as captured).
    pub(crate) nonce: String,
    pub(crate) lose_checkout: AtomicBool,
    placed: AtomicU64,
    pub(crate) webhooks: Webhooks,
}

impl Shop {
    /// `first_free_id`: the first post id after the catalogue (coupons, then orders, take ids from there).
    pub(crate) fn new(first_free_id: u64, now: i64) -> Shop {
        let coupons = seed_coupons(first_free_id, now);
        let next_post_id = first_free_id + coupons.len() as u64 + 3;
        Shop {
            data: Mutex::new(ShopData {
                sessions: HashMap::new(),
                orders: BTreeMap::new(),
                coupons,
                next_post_id,
                next_item_id: 0,
                next_meta_id: 0,
                accounts: super::accounts::Accounts::seed(now),
            }),
            tokens: CartTokens::new(),
            nonce: random_hex(5),
            lose_checkout: AtomicBool::new(false),
            placed: AtomicU64::new(0),
            webhooks: Webhooks::default(),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, ShopData> {
        self.data.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The session a request's Cart-Token names; a missing, bad or expired token starts a new one.
    pub(crate) fn session_id(&self, token: Option<&str>) -> String {
        token.and_then(|t| self.tokens.verify(t)).unwrap_or_else(guest_id)
    }

    pub(crate) fn note_placed(&self) {
        self.placed.fetch_add(1, Ordering::SeqCst);
    }

    pub(crate) fn placed(&self) -> u64 {
        self.placed.load(Ordering::SeqCst)
    }

    /// Every Cart-Token stops working (their sessions are dropped too).
    pub(crate) fn expire_tokens(&self) {
        self.tokens.rotate();
        self.lock().sessions.clear();
    }

    /// Session data is lost, tokens still verify.
    pub(crate) fn purge_sessions(&self) {
        self.lock().sessions.clear();
    }
}
