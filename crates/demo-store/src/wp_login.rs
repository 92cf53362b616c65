//! `/wp-login.php` as WordPress 6.5 runs it: the test cookie, the form, and the POST login (`wp_signon`): auth cookies + 302 on success (`wplogin-01`), the form with WordPress's exact error otherwise (`wplogin-02`).

use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::Response;
use hmac::{Hmac, Mac};
use rand::distributions::Alphanumeric;
use rand::Rng;

use super::accounts::{AuthFailure, User};
use super::coupons::esc_html;
use super::wp::{parse_str, rawurlencode, PhpArray};
use super::wp_login_page::{lost_password_url, LoginPage};
use super::StoreState;

const DAY: i64 = 86_400;
const TEST_COOKIE: &str = "wordpress_test_cookie";
const COOKIES_BLOCKED: &str = "<strong>Error:</strong> Cookies are blocked or not supported by your browser. You must <a href=\"https://developer.wordpress.org/advanced-administration/wordpress/cookies/#enable-cookies-in-your-browser\">enable cookies</a> to use WordPress.";

/// `COOKIEHASH`: md5 of the site URL.
fn cookie_hash(state: &StoreState) -> String {
    super::tokens::md5_hex(state.home.as_bytes())
}

fn hmac_hex(key: &[u8], msg: &str) -> String {
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(msg.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// PHP `setcookie` expiry attributes (`expires=Mon, 14-Dec-2026 07:40:57 GMT; Max-Age=N`).
fn expiry_attrs(expire: i64, now: i64) -> String {
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(u64::try_from(expire).unwrap_or(0));
    let http = httpdate::fmt_http_date(at);
    let w: Vec<&str> = http.split(' ').collect();
    let date = match w.as_slice() {
        [day, d, m, y, t, z] => format!("{day} {d}-{m}-{y} {t} {z}"),
        _ => http.clone(),
    };
    format!("; expires={date}; Max-Age={}", expire - now)
}

/// `wp_set_auth_cookie`: the auth cookie for the plugins and admin paths, then the logged-in cookie.
fn auth_cookies(state: &StoreState, user: &User, key: &[u8], ssl: bool, remember: bool, now: i64) -> Vec<String> {
    let expiration = now + if remember { 14 * DAY } else { 2 * DAY };
    let token: String = rand::thread_rng().sample_iter(&Alphanumeric).take(43).map(char::from).collect();
    let value = |scheme: &str| {
        let derived = hmac_hex(key, &format!("{scheme}|{}|{}|{expiration}|{token}", user.login, user.pass_frag()));
        let hash = hmac_hex(derived.as_bytes(), &format!("{}|{expiration}|{token}", user.login));
        rawurlencode(&format!("{}|{expiration}|{token}|{hash}", user.login))
    };
    let attrs = if remember { expiry_attrs(expiration + 12 * 3600, now) } else { String::new() };
    let hash = cookie_hash(state);
    let (auth_name, secure) = if ssl { (format!("wordpress_sec_{hash}"), "; secure") } else { (format!("wordpress_{hash}"), "") };
    let auth = value(if ssl { "secure_auth" } else { "auth" });
    vec![
        format!("{auth_name}={auth}{attrs}; path=/wp-content/plugins{secure}; HttpOnly"),
        format!("{auth_name}={auth}{attrs}; path=/wp-admin{secure}; HttpOnly"),
        format!("wordpress_logged_in_{hash}={}{attrs}; path=/; HttpOnly", value("logged_in")),
    ]
}

/// Cookie names the request carries with a non-empty value (`$_COOKIE`).
fn has_cookie(headers: &HeaderMap, name: &str) -> bool {
    headers
        .get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .any(|(k, v)| k == name && !v.is_empty())
}

/// `wp_validate_redirect` against the home host; `None` means "use the fallback".
fn validate_redirect(location: &str, home: &str) -> Option<String> {
    let loc = location.trim();
    let test = if loc.starts_with("//") { format!("http:{loc}") } else { loc.to_string() };
    let scheme_end = test.find(':').filter(|&i| !test[..i].contains('/') && !test[..i].contains('?'));
    match scheme_end {
        Some(_) => {
            let url = url::Url::parse(&test).ok().filter(|u| matches!(u.scheme(), "http" | "https"))?;
            let home_host = url::Url::parse(home).ok()?.host_str()?.to_ascii_lowercase();
            (url.host_str()?.to_ascii_lowercase() == home_host).then(|| loc.to_string())
        }
        None => Some(loc.to_string()),
    }
}

/// WordPress's messages for a failed `wp_authenticate`.
fn messages(failure: &AuthFailure, home: &str) -> Vec<String> {
    let lost = format!(" <a href=\"{}\">Lost your password?</a>", lost_password_url(home));
    match failure {
        AuthFailure::Empty { username, password } => {
            let mut v = Vec::new();
            if *username {
                v.push("<strong>Error:</strong> The username field is empty.".to_string());
            }
            if *password {
                v.push("<strong>Error:</strong> The password field is empty.".to_string());
            }
            v
        }
        AuthFailure::UnknownUsername(name) => vec![format!(
            "<strong>Error:</strong> The username <strong>{}</strong> is not registered on this site. If you are unsure of your username, try your email address instead.",
            esc_html(name)
        )],
        AuthFailure::UnknownEmail => vec!["<strong>Error:</strong> Unknown email address. Check again or try your username.".to_string()],
        AuthFailure::WrongPassword { login, by_email } => {
            let what = if *by_email { "email address" } else { "username" };
            vec![format!("<strong>Error:</strong> The password you entered for the {what} <strong>{}</strong> is incorrect.{lost}", esc_html(login))]
        }
    }
}

fn respond(status: u16, headers: Vec<(&'static str, String)>, body: String) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    for (name, value) in headers {
        if let Ok(v) = HeaderValue::from_str(&value) {
            r.headers_mut().append(HeaderName::from_static(name), v);
        }
    }
    r
}

/// `GET|POST /wp-login.php` (the default `login` action).
pub(crate) async fn page(State(state): State<Arc<StoreState>>, req: Request) -> Response {
    let ssl = super::server::is_ssl(&state, &req);
    let home = state.home_for(ssl);
    let admin_url = format!("{home}/wp-admin/");
    let (parts, body) = req.into_parts();
    let body = to_bytes(body, 1 << 20).await.unwrap_or_default();
    let query = parts.uri.query().map(parse_str).unwrap_or_default();
    let post = if parts.method == Method::POST { parse_str(&String::from_utf8_lossy(&body)) } else { PhpArray::default() };
    let secure = if ssl { "; secure" } else { "" };
    let mut headers = vec![
        ("content-type", "text/html; charset=UTF-8".to_string()),
        ("expires", "Wed, 11 Jan 1984 05:00:00 GMT".to_string()),
        ("cache-control", "no-cache, must-revalidate, max-age=0".to_string()),
        ("set-cookie", format!("{TEST_COOKIE}=WP%20Cookie%20check; path=/{secure}")),
        ("x-frame-options", "SAMEORIGIN".to_string()),
    ];
    let redirect_to = post.get_str("redirect_to").or_else(|| query.get_str("redirect_to")).unwrap_or(&admin_url).to_string();
    let remember = post.get("rememberme").is_some_and(|v| !v.is_empty_php());
    let log = post.get_str("log").unwrap_or("").to_string();
    // An empty POST is treated like GET: `wp_signon` fails with both "empty" errors, which WordPress then hides.
    let mut errors: Vec<String> = Vec::new();
    let mut echo_login = false;
    if !post.0.is_empty() {
        let now = super::checkout::now();
        let data = state.shop.lock();
        let signed_on = data.accounts.authenticate(&log, post.get_str("pwd").unwrap_or(""));
        if let Ok(user) = &signed_on {
            let cookies = auth_cookies(&state, user, &data.accounts.cookie_key, ssl, remember, now);
            headers.extend(cookies.into_iter().map(|c| ("set-cookie", c)));
        }
        let logged_in_cookie = format!("wordpress_logged_in_{}", cookie_hash(&state));
        let blocked =
            !has_cookie(&parts.headers, &logged_in_cookie) && post.get("testcookie").is_some() && !has_cookie(&parts.headers, TEST_COOKIE);
        match signed_on {
            // Credentials were fine (and the cookies above are still sent), but the browser rejected the test cookie.
            _ if blocked => errors.push(COOKIES_BLOCKED.to_string()),
            Ok(user) => {
                let profile = user.role != "administrator";
                let location = if redirect_to.is_empty() || redirect_to == "wp-admin/" || redirect_to == admin_url {
                    if profile {
                        format!("{home}/wp-admin/profile.php")
                    } else {
                        admin_url.clone()
                    }
                } else {
                    validate_redirect(&redirect_to, &state.home).unwrap_or_else(|| admin_url.clone())
                };
                headers.push(("x-redirect-by", "WordPress".to_string()));
                headers.push(("location", location));
                return respond(302, headers, String::new());
            }
            Err(failure) => {
                echo_login = matches!(failure, AuthFailure::WrongPassword { .. } | AuthFailure::Empty { username: false, .. });
                errors = messages(&failure, &home);
            }
        }
    }
    let page = LoginPage {
        home: &home,
        errors: &errors,
        user_login: if echo_login { &log } else { "" },
        redirect_to: &redirect_to,
        rememberme: remember,
    };
    respond(200, headers, page.render())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_stay_on_the_store() {
        let home = "http://127.0.0.1:8881";
        assert_eq!(validate_redirect("http://127.0.0.1:9999/my-account/", home).as_deref(), Some("http://127.0.0.1:9999/my-account/"));
        assert_eq!(validate_redirect("/my-account/", home).as_deref(), Some("/my-account/"));
        assert_eq!(validate_redirect("https://evil.example/x", home), None);
        assert_eq!(validate_redirect("//evil.example/x", home), None);
        assert_eq!(validate_redirect("javascript:alert(1)", home), None);
    }

    #[test]
    fn php_cookie_expiry_format() {
        assert_eq!(expiry_attrs(1_796_067_657, 1_796_067_600), "; expires=Mon, 30-Nov-2026 19:40:57 GMT; Max-Age=57");
    }

    #[test]
    fn cookie_header_lookup() {
        let mut h = HeaderMap::new();
        h.insert("cookie", HeaderValue::from_static("a=1; wordpress_test_cookie=WP%20Cookie%20check; empty="));
        assert!(has_cookie(&h, TEST_COOKIE) && !has_cookie(&h, "empty") && !has_cookie(&h, "missing"));
    }
}
