//! The shopper's IP: the peer address, or the `X-Forwarded-For` entry added
//! by a proxy we trust. Used for rate limits and forwarded to the store.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRef, FromRequestParts};
use axum::http::request::Parts;

/// Proxies whose `X-Forwarded-For` we believe.
#[derive(Clone, Default, Debug)]
pub struct TrustedProxies(pub Arc<Vec<IpAddr>>);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl ClientIp {
    pub fn as_string(&self) -> String {
        self.0.to_string()
    }
}

/// Walks `X-Forwarded-For` from the right, skipping trusted proxies: the
/// first untrusted hop is the client. Anything unparsable stops the walk.
pub fn resolve(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let Some(header) = forwarded_for else {
        return peer;
    };
    let mut candidate = peer;
    for hop in header.rsplit(',') {
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) => {
                candidate = ip;
                if !trusted.contains(&ip) {
                    return ip;
                }
            }
            Err(_) => return candidate,
        }
    }
    candidate
}

impl<S> FromRequestParts<S> for ClientIp
where
    TrustedProxies: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()).unwrap_or(IpAddr::from([127, 0, 0, 1]));
        let trusted = TrustedProxies::from_ref(state);
        let header = parts.headers.get("x-forwarded-for").and_then(|v| v.to_str().ok());
        Ok(ClientIp(resolve(peer, header, &trusted.0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn only_trusted_proxies_may_name_the_client() {
        let trusted = [ip("10.0.0.1")];
        assert_eq!(resolve(ip("203.0.113.9"), Some("1.2.3.4"), &trusted), ip("203.0.113.9"), "untrusted peer: header ignored");
        assert_eq!(resolve(ip("10.0.0.1"), Some("1.2.3.4"), &trusted), ip("1.2.3.4"));
        assert_eq!(
            resolve(ip("10.0.0.1"), Some("6.6.6.6, 1.2.3.4, 10.0.0.1"), &trusted),
            ip("1.2.3.4"),
            "spoofed left entries are ignored"
        );
        assert_eq!(resolve(ip("10.0.0.1"), Some("garbage"), &trusted), ip("10.0.0.1"));
        assert_eq!(resolve(ip("10.0.0.1"), None, &trusted), ip("10.0.0.1"));
    }
}
