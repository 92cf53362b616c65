//! Password checks done by the store itself, on a stock WordPress with no
//! plugin: XML-RPC `wp.getProfile` first, the `wp-login.php` form as the
//! fallback when a host disables or blocks XML-RPC. The password is sent once,
//! in the request body, and is never kept, logged or put in an error.
//!
//! Why XML-RPC first: it answers a structured profile (user id, email, roles)
//! or one uniform fault for a wrong password and an unknown user alike
//! (captures xmlrpc-01..04), it does not create a WordPress login session,
//! and it needs no cookie handling or HTML reading. `wp-login.php` works on
//! hosts that block `xmlrpc.php`, but success is only "a 302 with a
//! `wordpress_logged_in_` cookie" (wplogin-01), it creates a session token
//! in the user's meta, and it is the form that security plugins add
//! captchas to.

use quick_xml::events::Event;
use reqwest::{header, StatusCode};

use super::http::{join, Idempotency, Transport};
use super::{Api, HttpSettings, UpstreamError};

/// What WordPress said about a login and password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordCheck {
    /// Right password: the profile when XML-RPC answered, else only the login name.
    Valid(WpUser),
    /// Wrong password, unknown user or a locked account: WordPress does not say which.
    Invalid,
}

/// The account as WordPress reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WpUser {
    pub user_id: Option<u64>,
    pub username: String,
    pub email: Option<String>,
    pub roles: Vec<String>,
}

/// The XML-RPC answer, before the fallback decision.
#[derive(Debug, PartialEq, Eq)]
enum XmlRpc {
    Checked(PasswordCheck),
    /// XML-RPC is disabled (fault 405) or blocked by the host (403/404/405).
    Unavailable,
}

#[derive(Clone)]
pub struct WordPressClient {
    home: String,
    http: Transport,
}

impl std::fmt::Debug for WordPressClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WordPressClient").finish_non_exhaustive()
    }
}

const TEST_COOKIE: &str = "wordpress_test_cookie=WP%20Cookie%20check";

impl WordPressClient {
    pub fn new(store_url: &str, settings: &HttpSettings) -> Self {
        Self { home: store_url.trim_end_matches('/').to_string(), http: Transport::new(Api::WordPress, settings) }
    }

    /// Asks WordPress whether `password` is right for `login` (username or email).
    pub async fn check_password(&self, login: &str, password: &str) -> Result<PasswordCheck, UpstreamError> {
        match self.xmlrpc_profile(login, password).await? {
            XmlRpc::Checked(check) => Ok(check),
            XmlRpc::Unavailable => {
                tracing::debug!(upstream = "wordpress", "XML-RPC unavailable; using wp-login.php");
                self.form_login(login, password).await
            }
        }
    }

    async fn xmlrpc_profile(&self, login: &str, password: &str) -> Result<XmlRpc, UpstreamError> {
        let body = format!(
            "<?xml version=\"1.0\"?><methodCall><methodName>wp.getProfile</methodName><params>\
             <param><value><int>1</int></value></param>\
             <param><value><string>{}</string></value></param>\
             <param><value><string>{}</string></value></param></params></methodCall>",
            html_escape::encode_text(login),
            html_escape::encode_text(password)
        );
        let url = join(&self.home, "/xmlrpc.php");
        let raw = self
            .http
            .send("xmlrpc", Idempotency::NotIdempotent, || {
                self.http.client().post(&url).header(header::CONTENT_TYPE, "text/xml").body(body.clone())
            })
            .await?;
        if matches!(raw.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED) {
            return Ok(XmlRpc::Unavailable);
        }
        if raw.status != StatusCode::OK {
            return Err(UpstreamError::BadResponse { api: Api::WordPress, status: raw.status.as_u16() });
        }
        parse_profile_response(&raw.body).ok_or(UpstreamError::BadResponse { api: Api::WordPress, status: 200 })
    }

    async fn form_login(&self, login: &str, password: &str) -> Result<PasswordCheck, UpstreamError> {
        let url = join(&self.home, "/wp-login.php");
        let form = [("log", login), ("pwd", password), ("wp-submit", "Log In"), ("testcookie", "1")];
        let raw = self
            .http
            .send("wp-login", Idempotency::NotIdempotent, || self.http.client().post(&url).header(header::COOKIE, TEST_COOKIE).form(&form))
            .await?;
        match raw.status {
            // The auth cookies are read for the login name, then dropped: we
            // never act as the customer inside WordPress.
            StatusCode::FOUND => logged_in_user(&raw.headers)
                .map(|username| PasswordCheck::Valid(WpUser { username, ..WpUser::default() }))
                .ok_or(UpstreamError::BadResponse { api: Api::WordPress, status: 302 }),
            StatusCode::OK if is_login_form(&raw.body) => Ok(PasswordCheck::Invalid),
            status => Err(UpstreamError::BadResponse { api: Api::WordPress, status: status.as_u16() }),
        }
    }
}

/// The login name from `wordpress_logged_in_<hash>=<login>|<expiry>|<token>|<hmac>`.
fn logged_in_user(headers: &reqwest::header::HeaderMap) -> Option<String> {
    headers.get_all(header::SET_COOKIE).iter().find_map(|value| {
        let value = value.to_str().ok()?;
        let (name, rest) = value.split_once('=')?;
        if !name.starts_with("wordpress_logged_in_") {
            return None;
        }
        let cookie = rest.split(';').next()?;
        let decoded = percent_encoding::percent_decode_str(cookie).decode_utf8().ok()?;
        decoded.split('|').next().filter(|u| !u.is_empty()).map(str::to_string)
    })
}

fn is_login_form(body: &[u8]) -> bool {
    let text = String::from_utf8_lossy(body);
    text.contains("id=\"loginform\"")
}

/// Reads a `wp.getProfile` answer: the profile struct, or a fault.
fn parse_profile_response(body: &[u8]) -> Option<XmlRpc> {
    let mut reader = quick_xml::Reader::from_reader(body);
    let mut members: Vec<(String, String)> = Vec::new();
    let (mut fault, mut in_name, mut in_value) = (false, false, false);
    let mut name = String::new();
    loop {
        match reader.read_event().ok()? {
            Event::Start(tag) => match tag.local_name().as_ref() {
                b"fault" => fault = true,
                b"name" => in_name = true,
                b"string" | b"int" | b"i4" | b"dateTime.iso8601" | b"boolean" => in_value = true,
                _ => {}
            },
            Event::End(tag) => match tag.local_name().as_ref() {
                b"name" => in_name = false,
                b"string" | b"int" | b"i4" | b"dateTime.iso8601" | b"boolean" => in_value = false,
                _ => {}
            },
            Event::Text(text) => {
                let text = text.unescape().ok()?;
                if in_name {
                    name = text.trim().to_string();
                } else if in_value {
                    members.push((name.clone(), text.into_owned()));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let get = |key: &str| members.iter().find(|(n, _)| n == key).map(|(_, v)| v.clone());
    if fault {
        return match get("faultCode")?.trim() {
            // wp_authenticate failed: wrong password, unknown user, locked.
            "403" => Some(XmlRpc::Checked(PasswordCheck::Invalid)),
            // "XML-RPC services are disabled on this site."
            "405" => Some(XmlRpc::Unavailable),
            _ => None,
        };
    }
    let username = get("username").filter(|u| !u.is_empty())?;
    Some(XmlRpc::Checked(PasswordCheck::Valid(WpUser {
        user_id: get("user_id").and_then(|id| id.trim().parse().ok()),
        username,
        email: get("email").filter(|e| !e.is_empty()),
        roles: members.iter().filter(|(n, _)| n == "roles").map(|(_, v)| v.clone()).collect(),
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn capture_body(name: &str) -> Vec<u8> {
        // The workspace root: this crate lives in crates/woo-client.
        let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
        let shared = dir.join("../shared/woo-fixtures").join(name);
        let path = if shared.exists() { shared } else { dir.join("tests/fixtures/woo-fixtures").join(name) };
        let text = std::fs::read_to_string(path).unwrap();
        let start = text.find("<?xml version=\"1.0\" encoding").expect("an XML answer");
        text.as_bytes()[start..].to_vec()
    }

    #[test]
    fn reads_the_captured_profile() {
        let parsed = parse_profile_response(&capture_body("xmlrpc-01-getprofile-ok.http")).unwrap();
        let XmlRpc::Checked(PasswordCheck::Valid(user)) = parsed else { panic!("{parsed:?}") };
        assert_eq!(user.user_id, Some(2));
        assert_eq!(user.username, "janedoe");
        assert_eq!(user.email.as_deref(), Some("jane.doe@example.test"));
        assert_eq!(user.roles, vec!["customer".to_string()]);
    }

    #[test]
    fn wrong_password_and_unknown_user_read_the_same() {
        for capture in ["xmlrpc-02-getprofile-wrong-password.http", "xmlrpc-04-getprofile-unknown-user.http"] {
            assert_eq!(parse_profile_response(&capture_body(capture)), Some(XmlRpc::Checked(PasswordCheck::Invalid)), "{capture}");
        }
    }

    #[test]
    fn disabled_xmlrpc_means_fallback_and_garbage_is_an_error() {
        let disabled = br#"<?xml version="1.0" encoding="UTF-8"?><methodResponse><fault><value><struct><member><name>faultCode</name><value><int>405</int></value></member><member><name>faultString</name><value><string>XML-RPC services are disabled on this site.</string></value></member></struct></value></fault></methodResponse>"#;
        assert_eq!(parse_profile_response(disabled), Some(XmlRpc::Unavailable));
        assert_eq!(parse_profile_response(b"<html>Error establishing a database connection</html>"), None);
    }

    #[test]
    fn login_name_comes_from_the_logged_in_cookie() {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.append(header::SET_COOKIE, "wordpress_test_cookie=WP%20Cookie%20check; path=/".parse().unwrap());
        headers.append(header::SET_COOKIE, "wordpress_logged_in_bb71=jane.doe%7C1796067657%7Cabc%7Cdef; path=/; HttpOnly".parse().unwrap());
        assert_eq!(logged_in_user(&headers).as_deref(), Some("jane.doe"));
    }
}
