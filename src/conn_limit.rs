//! Connection-level limits of the accept loop (`serve`): open connections per
//! client address, and the process's open-files limit raised at start.
//!
//! Why: each open connection holds a file descriptor and a task. One address
//! opening thousands of silent connections used to exhaust the descriptors,
//! and then nobody else could connect until it let go.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

/// Raises the soft open-files limit to the hard one (the default soft limit,
/// often 1024, is far below what a busy server needs; the hard one is what
/// the operator allows). Logs what it got; a failure is logged, not fatal.
pub fn raise_open_files_limit() {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => tracing::info!(open_files = limit, "open-files limit"),
        Err(e) => tracing::warn!(error = %e, "cannot raise the open-files limit; keeping the current one"),
    }
}

/// Open connections per client address, capped. Addresses in `exempt` (the
/// trusted proxies: every client of a load balancer arrives from it) are not
/// counted.
#[derive(Clone)]
pub struct PerClient {
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
    cap: usize,
    exempt: Arc<Vec<IpAddr>>,
}

/// One counted connection; the count goes down when it is dropped.
pub struct Held {
    owner: PerClient,
    ip: Option<IpAddr>,
}

impl PerClient {
    /// `cap` 0: no cap.
    pub fn new(cap: usize, exempt: Vec<IpAddr>) -> Self {
        Self { open: Arc::default(), cap, exempt: Arc::new(exempt) }
    }

    /// A place for one more connection from `ip`, or `None` when it already holds `cap`.
    pub fn admit(&self, ip: IpAddr) -> Option<Held> {
        if self.cap == 0 || self.exempt.contains(&ip) {
            return Some(Held { owner: self.clone(), ip: None });
        }
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let count = open.entry(ip).or_insert(0);
        if *count >= self.cap {
            return None;
        }
        *count += 1;
        Some(Held { owner: self.clone(), ip: Some(ip) })
    }

    /// Addresses holding connections now.
    pub fn addresses(&self) -> usize {
        self.open.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let Some(ip) = self.ip else { return };
        let mut open = self.owner.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = open.get_mut(&ip) {
            *count -= 1;
            // Forget the address with its last connection: the map holds only live ones.
            if *count == 0 {
                open.remove(&ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_each_address_and_forgets_it_with_its_last_connection() {
        let limits = PerClient::new(2, vec!["10.0.0.1".parse().unwrap()]);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let first = limits.admit(a).unwrap();
        let _second = limits.admit(a).unwrap();
        assert!(limits.admit(a).is_none(), "two is the cap");
        assert!(limits.admit("192.0.2.2".parse().unwrap()).is_some(), "another address has its own");
        let proxied: Vec<_> = (0..10).map(|_| limits.admit("10.0.0.1".parse().unwrap())).collect();
        assert!(proxied.iter().all(Option::is_some), "a trusted proxy is not capped");
        drop(first);
        assert!(limits.admit(a).is_some(), "a closed connection frees its place");
        drop(proxied);
        assert_eq!(limits.addresses(), 1, "only the address still holding connections is remembered");
    }
}
