//! The penalty box: a client refused with 429 again and again is shed cheaply for a few seconds.
//!
//! Why: refusing an over-budget client through the whole stack (HTTP parsing, the edge's request
//! id, span and metrics, the cache front, routing, the handler, an error body) costs about as
//! much as answering it. A client flooding unique searches past its miss budget (issue 19) drew
//! ~19k refusals a second on 2 cores and another client's cached reads waited behind them (p99
//! 1.2 → 8–10 ms). Real servers shed such clients instead of answering each request in full.
//!
//! How (`serve` applies it; see there):
//! - Every 429 the application answers is one refusal of its client (the IP as resolved through
//!   `TRUSTED_PROXIES`). [`PenaltySettings::refusals`] refusals within
//!   [`PenaltySettings::window`] put the client in the box for [`PenaltySettings::penalty`]; the
//!   429 that does so, and every later one while boxed, carries `Connection: close`.
//! - While boxed, the client's requests on connections it still holds get 429 (`rate_limited`,
//!   `Retry-After`) with `Connection: close` without reaching the application, and its new
//!   connections are parked at accept, unread, until the penalty is over, then reset (`serve::park`
//!   says why not at once). Parking applies to the peer address only, and never to a trusted
//!   proxy: behind a proxy the client is the forwarded address, and the proxy's connections carry
//!   everybody else's requests too.
//! - A client that keeps coming back is boxed again by its first refusal after release while its
//!   window lasts.
//! - Memory is bounded: at most [`PenaltySettings::max_clients`] clients are remembered (a client
//!   beyond it is only never boxed), and [`PenaltyBox::sweep`] forgets, on the keyed limiters'
//!   timer, the clients whose window and penalty are over.
//!
//! Requests from clients that are not refused pay one atomic load and a clock read: the map is
//! looked up only while some client is in the box.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// When a client is boxed, and for how long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PenaltySettings {
    /// Refusals (429 answers) within `window` that put a client in the box; 0: no box.
    pub refusals: u32,
    /// How long refusals are counted together.
    pub window: Duration,
    /// How long a boxed client is shed.
    pub penalty: Duration,
    /// Clients remembered at most (each ~50 bytes); beyond it new clients are not counted.
    pub max_clients: usize,
}

impl Default for PenaltySettings {
    fn default() -> Self {
        // A browser or an app that meets a 429 backs off; 20 refusals in 10 s is a client that
        // does not (the miss budget alone allows 60 misses a minute). 5 s is short enough that a
        // shared address (a NAT, an office) wrongly boxed recovers quickly, long enough that a
        // flood pays almost nothing: per 5 s it gets at most a handful of requests routed.
        Self { refusals: 20, window: Duration::from_secs(10), penalty: Duration::from_secs(5), max_clients: 100_000 }
    }
}

#[derive(Debug, Clone, Copy)]
struct Client {
    /// Start of the current counting window, ms since the box was made.
    window_start: u64,
    refusals: u32,
    /// Boxed until then (ms since the box was made); 0: never boxed.
    until: u64,
}

/// The box. Cloning is cheap.
#[derive(Clone)]
pub struct PenaltyBox(Arc<Inner>);

struct Inner {
    settings: PenaltySettings,
    epoch: Instant,
    clients: Mutex<HashMap<IpAddr, Client>>,
    /// The latest `until` of any client (ms since `epoch`): after it nobody is boxed, and no
    /// lookup is needed.
    any_until: AtomicU64,
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl PenaltyBox {
    /// `None` when `settings.refusals` is 0 (no box).
    pub fn new(settings: &PenaltySettings) -> Option<Self> {
        (settings.refusals > 0).then(|| {
            Self(Arc::new(Inner {
                settings: settings.clone(),
                epoch: Instant::now(),
                clients: Mutex::default(),
                any_until: AtomicU64::new(0),
            }))
        })
    }

    fn now(&self) -> u64 {
        millis(self.0.epoch.elapsed())
    }

    /// How much longer `client` is boxed, if it is.
    pub fn boxed_for(&self, client: IpAddr) -> Option<Duration> {
        let now = self.now();
        if now >= self.0.any_until.load(Ordering::Relaxed) {
            return None;
        }
        let clients = self.0.clients.lock().unwrap_or_else(|e| e.into_inner());
        let until = clients.get(&client)?.until;
        (until > now).then(|| Duration::from_millis(until - now))
    }

    /// Counts one refusal of `client`; true when it is (now) in the box, and so the connection
    /// that carried the refused request should be closed.
    pub fn refused(&self, client: IpAddr) -> bool {
        let settings = &self.0.settings;
        let now = self.now();
        let mut clients = self.0.clients.lock().unwrap_or_else(|e| e.into_inner());
        let full = clients.len() >= settings.max_clients;
        let entry = match clients.get_mut(&client) {
            Some(entry) => entry,
            None if full => return false,
            None => clients.entry(client).or_insert(Client { window_start: now, refusals: 0, until: 0 }),
        };
        if now.saturating_sub(entry.window_start) >= millis(settings.window) {
            entry.window_start = now;
            entry.refusals = 0;
        }
        entry.refusals = entry.refusals.saturating_add(1);
        if entry.until > now {
            return true;
        }
        if entry.refusals < settings.refusals {
            return false;
        }
        entry.until = now.saturating_add(millis(settings.penalty)).max(1);
        self.0.any_until.fetch_max(entry.until, Ordering::Relaxed);
        tracing::debug!(penalty_secs = settings.penalty.as_secs_f64(), "a client refused repeatedly is shed for a while");
        metrics::counter!("penalty_boxed_total").increment(1);
        true
    }

    /// Forgets clients whose counting window and penalty are both over.
    pub fn sweep(&self) {
        self.0.sweep();
    }

    /// Clients remembered now.
    pub fn clients(&self) -> usize {
        self.0.clients.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Keeps sweeping on the keyed limiters' timer for as long as the box lives.
    pub fn spawn_sweeping(&self) {
        crate::ratelimit::spawn_pruning(Arc::downgrade(&self.0), crate::ratelimit::PRUNE_INTERVAL, Inner::sweep);
    }
}

impl Inner {
    fn sweep(&self) {
        let now = millis(self.epoch.elapsed());
        let window = millis(self.settings.window);
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        clients.retain(|_, c| c.until > now || now.saturating_sub(c.window_start) < window);
        clients.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn quick() -> PenaltyBox {
        PenaltyBox::new(&PenaltySettings {
            refusals: 3,
            window: Duration::from_millis(200),
            penalty: Duration::from_millis(100),
            max_clients: 2,
        })
        .unwrap()
    }

    #[test]
    fn no_box_without_refusals_to_count() {
        assert!(PenaltyBox::new(&PenaltySettings { refusals: 0, ..PenaltySettings::default() }).is_none());
    }

    #[test]
    fn repeated_refusals_box_a_client_for_a_while_and_others_not_at_all() {
        let pbox = quick();
        let (a, b) = (ip("192.0.2.1"), ip("192.0.2.2"));
        assert!(!pbox.refused(a));
        assert!(!pbox.refused(a));
        assert!(pbox.boxed_for(a).is_none());
        assert!(pbox.refused(a), "the third refusal boxes it");
        assert!(pbox.boxed_for(a).is_some_and(|d| d <= Duration::from_millis(100)));
        assert!(pbox.boxed_for(b).is_none(), "another client is not boxed");
        assert!(!pbox.refused(b));
        std::thread::sleep(Duration::from_millis(120));
        assert!(pbox.boxed_for(a).is_none(), "the penalty is over");
        assert!(pbox.refused(a), "within its window, the next refusal boxes it again");
    }

    #[test]
    fn memory_is_bounded_and_swept() {
        let pbox = quick();
        pbox.refused(ip("192.0.2.1"));
        pbox.refused(ip("192.0.2.2"));
        for _ in 0..5 {
            assert!(!pbox.refused(ip("192.0.2.3")), "beyond max_clients a client is not counted");
        }
        assert_eq!(pbox.clients(), 2);
        pbox.sweep();
        assert_eq!(pbox.clients(), 2, "windows still open are kept");
        std::thread::sleep(Duration::from_millis(220));
        pbox.sweep();
        assert_eq!(pbox.clients(), 0, "idle clients are forgotten");
    }
}
