//! Test-side controls for customer accounts on [`DemoStoreHandle`]: adding and locking customers, inspecting them and an order's owner, and the XML-RPC switch.

use super::accounts::{CustomerInfo, XmlRpcMode};
use super::DemoStoreHandle;

impl DemoStoreHandle {
    /// Registers a customer (role `customer`, display name = username, empty addresses) and returns its user id.
    ///
    /// # Panics
    /// If the username or email is already taken, or the email is not valid (a test set-up mistake).
    pub fn add_customer(&self, username: &str, email: &str, password: &str, first_name: &str, last_name: &str) -> u64 {
        let now = super::checkout::now();
        let mut data = self.store.inner.shop.lock();
        let accounts = &mut data.accounts;
        assert!(super::user_text::is_email(email), "add_customer: {email:?} is not a valid email address");
        assert!(accounts.by_login(username).is_none(), "add_customer: username {username:?} is taken");
        assert!(accounts.by_email(email).is_none(), "add_customer: email {email:?} is taken");
        let id = accounts.insert(username, email, password, now);
        if let Some(u) = accounts.users.get_mut(&id) {
            u.first_name = first_name.to_string();
            u.last_name = last_name.to_string();
        }
        id
    }

    /// Registers a customer under a chosen user id (e.g. the `customer_id` of a partner registry written
    /// before the store started); like [`Self::add_customer`] otherwise.
    ///
    /// # Panics
    /// If the id, username or email is taken.
    pub fn add_customer_with_id(&self, id: u64, username: &str, email: &str, password: &str) -> u64 {
        {
            let mut data = self.store.inner.shop.lock();
            let accounts = &mut data.accounts;
            assert!(!accounts.users.contains_key(&id), "add_customer_with_id: user {id} exists");
            let next = accounts.next_id;
            accounts.next_id = id;
            let now = super::checkout::now();
            let created = accounts.insert(username, email, password, now);
            accounts.next_id = next.max(id + 1);
            assert_eq!(created, id);
        }
        id
    }

    /// Locks or unlocks an account: a locked account fails every login exactly like a wrong password. False for an unknown id.
    pub fn set_customer_locked(&self, id: u64, locked: bool) -> bool {
        let mut data = self.store.inner.shop.lock();
        match data.accounts.users.get_mut(&id) {
            Some(u) => {
                u.locked = locked;
                true
            }
            None => false,
        }
    }

    /// How `/xmlrpc.php` answers from the next request on.
    pub fn set_xmlrpc_mode(&self, mode: XmlRpcMode) {
        self.store.inner.shop.lock().accounts.xmlrpc = mode;
    }

    /// A user by id (customers, and the administrator as user 1).
    pub fn customer(&self, id: u64) -> Option<CustomerInfo> {
        self.store.inner.shop.lock().accounts.users.get(&id).map(|u| u.info())
    }

    /// The `customer_id` of an order (0 for a guest order), `None` for an unknown order.
    pub fn order_customer(&self, order_id: u64) -> Option<u64> {
        self.store.inner.shop.lock().orders.get(&order_id).map(|o| o.customer_id)
    }

    /// A user by email, compared case-insensitively (as MySQL does).
    pub fn customer_by_email(&self, email: &str) -> Option<CustomerInfo> {
        self.store.inner.shop.lock().accounts.by_email(email).map(|u| u.info())
    }
}
