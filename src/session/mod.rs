//! Shopper sessions: one server-side record per shopper, found by a cookie
//! (browsers, via tower-sessions) or by a signed bearer token (apps). Both
//! resolve to the same kind of record in the same store, and requests of one
//! session are serialised so concurrent cart writes cannot lose an update.

pub mod handlers;
pub mod store;
pub mod token;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::{de::DeserializeOwned, Serialize};
pub use store::{BoundedMemoryStore, SharedStore};
use tokio::sync::{Mutex, OwnedMutexGuard};
use tower_sessions::session::Id;
use tower_sessions::{Expiry, Session};

use crate::error::ApiError;
pub use token::SessionTokens;

/// The session store and token keys. Cloning is cheap.
#[derive(Clone)]
pub struct Sessions {
    store: SharedStore,
    tokens: SessionTokens,
    ttl: Duration,
    locks: moka::sync::Cache<Id, Arc<Mutex<()>>>,
}

impl Sessions {
    pub fn new(store: SharedStore, tokens: SessionTokens, ttl: Duration) -> Self {
        Self {
            store,
            tokens,
            ttl,
            locks: moka::sync::Cache::builder().time_to_idle(Duration::from_secs(120)).max_capacity(1_000_000).build(),
        }
    }

    pub fn store(&self) -> SharedStore {
        self.store.clone()
    }

    pub fn expiry(&self) -> Expiry {
        Expiry::OnInactivity(time::Duration::seconds(self.ttl.as_secs() as i64))
    }

    /// A new, empty app session and its bearer token.
    pub async fn create_app_session(&self) -> Result<(String, Duration), ApiError> {
        let session = Session::new(None, Arc::new(self.store.clone()), Some(self.expiry()));
        session.insert(CREATED_KEY, true).await.map_err(store_error)?;
        session.save().await.map_err(store_error)?;
        let id = session.id().ok_or(ApiError::internal("a saved app session has no id"))?;
        Ok((self.tokens.issue(&id.to_string()), self.tokens.ttl()))
    }

    pub fn tokens(&self) -> &SessionTokens {
        &self.tokens
    }

    /// A new server-side session for a signed-in customer (app sign-in and
    /// refresh): a fresh id, never the guest's, so a guest token cannot
    /// become a customer credential.
    pub async fn create_customer_session(&self, customer: &SignedIn) -> Result<Id, ApiError> {
        let session = Session::new(None, Arc::new(self.store.clone()), Some(self.expiry()));
        session.insert(CREATED_KEY, true).await.map_err(store_error)?;
        session.insert(CUSTOMER_KEY, customer).await.map_err(store_error)?;
        session.save().await.map_err(store_error)?;
        session.id().ok_or(ApiError::internal("a saved customer session has no id"))
    }

    /// The customer a session belongs to, if it still exists and is signed in.
    pub async fn customer_of(&self, id: &str) -> Result<Option<SignedIn>, ApiError> {
        let Ok(id) = id.parse::<Id>() else { return Ok(None) };
        let session = Session::new(Some(id), Arc::new(self.store.clone()), Some(self.expiry()));
        session.get(CUSTOMER_KEY).await.map_err(store_error)
    }

    /// Ends a session by id (refresh-token reuse, app sign-out).
    pub async fn destroy(&self, id: &str) -> Result<(), ApiError> {
        if let Ok(id) = id.parse::<Id>() {
            use tower_sessions::SessionStore;
            self.store.delete(&id).await.map_err(|e| {
                tracing::error!(error = %e, "session store failed");
                ApiError::SessionStoreUnavailable
            })?;
        }
        Ok(())
    }

    async fn lock(&self, id: Id) -> OwnedMutexGuard<()> {
        let lock = self.locks.get_with(id, || Arc::new(Mutex::new(())));
        lock.lock_owned().await
    }
}

const CREATED_KEY: &str = "created";
const CUSTOMER_KEY: &str = "customer";
/// The guest cart's record in a session (`cart::state` keeps it there). Named here because
/// sign-in drops it, and the session must not depend on the cart that depends on it.
pub const CART_KEY: &str = "cart";
/// The session cookie's name (browsers).
pub const SESSION_COOKIE: &str = "sfbff_session";

/// Who a signed-in session belongs to. Kept server-side only.
#[derive(Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct SignedIn {
    pub customer_id: u64,
    /// The verified account email (WordPress said so at sign-in).
    pub email: String,
    /// The refresh-token family of an app session; `None` for cookies.
    pub family: Option<String>,
}

impl std::fmt::Debug for SignedIn {
    // The email is personal data: keep it out of any debug output.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedIn").field("customer_id", &self.customer_id).finish_non_exhaustive()
    }
}

fn store_error(err: tower_sessions::session::Error) -> ApiError {
    tracing::error!(error = %err, "session store failed");
    ApiError::SessionStoreUnavailable
}

/// How the shopper reached us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientKind {
    Cookie,
    Bearer,
}

/// The current shopper's session, locked for the duration of the request.
pub struct Shopper {
    pub session: Session,
    pub kind: ClientKind,
    _guard: Option<OwnedMutexGuard<()>>,
}

impl Shopper {
    pub async fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, ApiError> {
        self.session.get(key).await.map_err(store_error)
    }

    /// Stores a value and persists it now (bearer sessions have no layer to do it).
    pub async fn put<T: Serialize + Send + Sync>(&self, key: &str, value: &T) -> Result<(), ApiError> {
        self.session.insert(key, value).await.map_err(store_error)?;
        self.session.save().await.map_err(store_error)
    }

    /// The signed-in customer, if any.
    pub async fn signed_in(&self) -> Result<Option<SignedIn>, ApiError> {
        self.get(CUSTOMER_KEY).await
    }

    /// Cookie sign-in: a new session id (against session fixation), the
    /// customer recorded, the guest's cart data dropped (it was merged).
    pub async fn sign_in_cookie(&self, customer: &SignedIn) -> Result<(), ApiError> {
        self.session.cycle_id().await.map_err(store_error)?;
        self.session.remove_value(CART_KEY).await.map_err(store_error)?;
        self.session.insert(CREATED_KEY, true).await.map_err(store_error)?;
        self.session.insert(CUSTOMER_KEY, customer).await.map_err(store_error)?;
        self.session.save().await.map_err(store_error)
    }

    /// Ends this session: the record is deleted (and a cookie is expired).
    pub async fn end(&self) -> Result<(), ApiError> {
        self.session.flush().await.map_err(store_error)
    }

    /// A stable id for per-session scoping (idempotency, rate limits).
    /// Saves a new cookie session so it has one.
    pub async fn id(&self) -> Result<String, ApiError> {
        if self.session.id().is_none() {
            self.session.insert(CREATED_KEY, true).await.map_err(store_error)?;
            self.session.save().await.map_err(store_error)?;
        }
        self.session.id().map(|id| id.to_string()).ok_or(ApiError::internal("a saved session has no id"))
    }
}

/// Why a bearer token was refused (answered as 401 `invalid_token`).
pub struct InvalidToken;

impl IntoResponse for InvalidToken {
    fn into_response(self) -> Response {
        let mut response = ApiError::InvalidToken.into_response();
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(r#"Bearer error="invalid_token""#));
        response
    }
}

impl<S> FromRequestParts<S> for Shopper
where
    Arc<Sessions>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        let sessions = Arc::<Sessions>::from_ref(state);
        if let Some(auth) = parts.headers.get(header::AUTHORIZATION) {
            let token = auth
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
                .ok_or_else(|| InvalidToken.into_response())?;
            let id: Id =
                sessions.tokens.verify(token.trim()).and_then(|sub| sub.parse().ok()).ok_or_else(|| InvalidToken.into_response())?;
            let guard = sessions.lock(id).await;
            let session = Session::new(Some(id), Arc::new(sessions.store.clone()), Some(sessions.expiry()));
            // A token for a session that expired or was destroyed is no longer valid.
            let known: Option<bool> = session.get(CREATED_KEY).await.map_err(|e| store_error(e).into_response())?;
            if known.is_none() {
                return Err(InvalidToken.into_response());
            }
            return Ok(Shopper { session, kind: ClientKind::Bearer, _guard: Some(guard) });
        }
        let session = parts
            .extensions
            .get::<Session>()
            .cloned()
            .ok_or_else(|| ApiError::internal("no session layer on a shopper route").into_response())?;
        let guard = match session.id() {
            Some(id) => Some(sessions.lock(id).await),
            None => None,
        };
        Ok(Shopper { session, kind: ClientKind::Cookie, _guard: guard })
    }
}
