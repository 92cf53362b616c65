//! The router's state: every feature's part behind one `Arc`, each extractable on its own.
//!
//! Its own module, not in `app`, so that `routes` (which names the state type of its router)
//! and `app` (which builds the state and the router) both point down at it instead of at each
//! other. `app` builds it (`AppState::new`); handlers take only their part via `FromRef`.

use std::sync::Arc;

use axum::extract::FromRef;

use crate::cart::Cart;
use crate::catalogue::Catalogue;
use crate::client_ip::TrustedProxies;
use crate::csrf::AllowedOrigins;
use crate::ops::Ops;
use crate::ratelimit::RateLimits;
use crate::session::Sessions;
use crate::upstream::RestClient;
use crate::webhooks::reconcile::Reconciler;
use crate::webhooks::Webhooks;

/// Everything handlers can ask for; each takes only its part via `FromRef`.
///
/// One `Arc` around the parts: axum clones the state for every request, and
/// one reference count is cheaper than one per part.
#[derive(Clone)]
// The field is crate-visible so `app` (the composition root) can build it.
pub struct AppState(pub(crate) Arc<AppParts>);

impl std::ops::Deref for AppState {
    type Target = AppParts;
    fn deref(&self) -> &AppParts {
        &self.0
    }
}

/// `FromRef` for each part (what `#[derive(FromRef)]` writes for a plain struct).
macro_rules! parts_from_ref {
    ($($field:ident: $ty:ty),+ $(,)?) => {$(
        impl FromRef<AppState> for $ty {
            fn from_ref(state: &AppState) -> Self {
                state.0.$field.clone()
            }
        }
    )+};
}

parts_from_ref!(
    catalogue: Arc<Catalogue>,
    cart: Arc<Cart>,
    sessions: Arc<Sessions>,
    ops: Arc<Ops>,
    rest: Arc<RestClient>,
    trusted_proxies: TrustedProxies,
    allowed_origins: AllowedOrigins,
    webhooks: Arc<Webhooks>,
    reconciler: Arc<Reconciler>,
    partners: Arc<crate::partners::Partners>,
    accounts: Arc<crate::accounts::Accounts>,
    limits: RateLimits,
    gate: crate::gate::Gate,
);

/// The parts of [`AppState`]; each is cheap to clone on its own.
pub struct AppParts {
    pub catalogue: Arc<Catalogue>,
    pub cart: Arc<Cart>,
    pub sessions: Arc<Sessions>,
    pub ops: Arc<Ops>,
    pub rest: Arc<RestClient>,
    pub trusted_proxies: TrustedProxies,
    pub allowed_origins: AllowedOrigins,
    pub webhooks: Arc<Webhooks>,
    pub reconciler: Arc<Reconciler>,
    pub partners: Arc<crate::partners::Partners>,
    pub accounts: Arc<crate::accounts::Accounts>,
    /// Per-client and per-session rate limits (cart, checkout, new sessions).
    pub limits: RateLimits,
    /// The caps on concurrent store work and the per-client miss budget.
    pub gate: crate::gate::Gate,
}
