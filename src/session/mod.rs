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
pub use store::SharedStore;
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
        let id = session.id().ok_or(ApiError::Internal)?;
        Ok((self.tokens.issue(&id.to_string()), self.tokens.ttl()))
    }

    async fn lock(&self, id: Id) -> OwnedMutexGuard<()> {
        let lock = self.locks.get_with(id, || Arc::new(Mutex::new(())));
        lock.lock_owned().await
    }
}

const CREATED_KEY: &str = "created";

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

    /// A stable id for per-session scoping (idempotency, rate limits).
    /// Saves a new cookie session so it has one.
    pub async fn id(&self) -> Result<String, ApiError> {
        if self.session.id().is_none() {
            self.session.insert(CREATED_KEY, true).await.map_err(store_error)?;
            self.session.save().await.map_err(store_error)?;
        }
        self.session.id().map(|id| id.to_string()).ok_or(ApiError::Internal)
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
        let session = parts.extensions.get::<Session>().cloned().ok_or_else(|| ApiError::Internal.into_response())?;
        let guard = match session.id() {
            Some(id) => Some(sessions.lock(id).await),
            None => None,
        };
        Ok(Shopper { session, kind: ClientKind::Cookie, _guard: guard })
    }
}
