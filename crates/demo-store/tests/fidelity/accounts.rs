//! Customer accounts in the demo store: XML-RPC `wp.getProfile`, `wp-login.php`, REST v3 `customers` and the customer side of `orders`, checked against the real captures.

use crate::common;

use common::{assert_same_shape, capture, fixtures_dir, ro_key, rw_key, start};
use demo_store::{DemoKey, DemoStoreConfig, DemoStoreHandle, XmlRpcMode};
use reqwest::{header::HeaderMap, Method};
use serde_json::{json, Value};

const V3: &str = "/wp-json/wc/v3";

struct T {
    store: DemoStoreHandle,
    rw: DemoKey,
    ro: DemoKey,
    http: reqwest::Client,
}

/// A plain-http store like the capture store's port 8881 (wp-login, XML-RPC); REST calls say `X-Forwarded-Proto: https`
/// so Basic auth works, as on its HTTPS port 8882. The client does not follow redirects.
async fn setup() -> T {
    let (rw, ro) = (rw_key(), ro_key());
    let cfg = DemoStoreConfig { keys: vec![rw.clone(), ro.clone()], trust_forwarded_proto: true, products: 12, ..Default::default() };
    let store = start(cfg).await;
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    T { store, rw, ro, http }
}

impl T {
    async fn rest_as(&self, key: &DemoKey, method: Method, path: &str, body: Option<Value>) -> (u16, HeaderMap, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{V3}{path}", self.store.url()))
            .basic_auth(&key.consumer_key, Some(&key.consumer_secret))
            .header("x-forwarded-proto", "https");
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let (status, headers) = (resp.status().as_u16(), resp.headers().clone());
        (status, headers, serde_json::from_str(&resp.text().await.expect("body")).unwrap_or(Value::Null))
    }

    async fn rest(&self, method: Method, path: &str, body: Option<Value>) -> (u16, HeaderMap, Value) {
        self.rest_as(&self.rw, method, path, body).await
    }

    async fn xmlrpc_raw(&self, body: String) -> (u16, String, String) {
        let resp = self.http.post(format!("{}/xmlrpc.php", self.store.url())).body(body).send().await.expect("xmlrpc");
        let ct = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        (resp.status().as_u16(), ct, resp.text().await.expect("body"))
    }

    /// `wp.getProfile` exactly as the captures sent it.
    async fn profile(&self, user: &str, pass: &str) -> (u16, String, String) {
        let s = |v: &str| format!("<param><value><string>{v}</string></value></param>");
        let body = format!(
            "<?xml version=\"1.0\"?><methodCall><methodName>wp.getProfile</methodName><params><param><value><int>1</int></value></param>{}{}</params></methodCall>",
            s(user),
            s(pass)
        );
        self.xmlrpc_raw(body).await
    }

    async fn login(&self, form: &[(&str, &str)], test_cookie: bool) -> reqwest::Response {
        let body: String = form.iter().map(|(k, v)| format!("{k}={}", urlencode(v))).collect::<Vec<_>>().join("&");
        let mut req =
            self.http.post(format!("{}/wp-login.php", self.store.url())).header("content-type", "application/x-www-form-urlencoded");
        if test_cookie {
            req = req.header("cookie", "wordpress_test_cookie=WP%20Cookie%20check");
        }
        req.body(body).send().await.expect("wp-login")
    }
}

/// Status line and headers, and the body, of a capture whose request body is recorded too (the `xmlrpc-*` files).
fn raw_capture(name: &str) -> (String, String) {
    let text = std::fs::read_to_string(fixtures_dir().join(name)).expect("capture");
    let response = &text[text.find("HTTP/1.1").expect("status line")..];
    let (head, body) = response.split_once("\r\n\r\n").expect("blank line");
    (head.to_string(), body.to_string())
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

/// The response with every `<string>`/`<dateTime.iso8601>` value blanked: layout, member order and line endings stay.
fn skeleton(xml: &str) -> String {
    let mut out = String::new();
    let mut rest = xml;
    let first = |r: &str| ["<string>", "<dateTime.iso8601>"].into_iter().filter_map(|tag| r.find(tag).map(|i| (i, tag))).min();
    while let Some((i, open)) = first(rest) {
        let close = open.replacen('<', "</", 1);
        let end = rest[i..].find(&close).map_or(rest.len(), |e| i + e);
        out.push_str(&rest[..i + open.len()]);
        rest = &rest[end..];
    }
    out + rest
}

#[tokio::test]
async fn xmlrpc_get_profile_matches_the_captures() {
    let t = setup().await;
    let (head, ok) = raw_capture("xmlrpc-01-getprofile-ok.http");
    let (status, ct, by_name) = t.profile("shopper", "shopper-demo-pass").await;
    assert!(status == 200 && head.contains(&format!("Content-Type: {ct}\r\n")), "{status} {ct}");
    assert_eq!(skeleton(&by_name), skeleton(&ok), "same bytes as xmlrpc-01 apart from the values");
    for member in ["<string>2</string>", "<string>shopper</string>", "<string>Sam</string>", "<string>shopper@example.test</string>"] {
        assert!(by_name.contains(member), "{member} in {by_name}");
    }
    let (_, _, by_email) = t.profile("Shopper@Example.test", "shopper-demo-pass").await;
    assert_eq!(by_email, by_name, "email login answers like xmlrpc-03");
    let fault = raw_capture("xmlrpc-02-getprofile-wrong-password.http").1;
    let id = t.store.add_customer("obrien", "o.brien@example.test", "pw-1234", "O'Brien & <x>", "Smith");
    assert!(t.profile("obrien", "pw-1234").await.2.contains("<string>O&#039;Brien &amp; &lt;x&gt;</string>"));
    assert!(t.store.set_customer_locked(id, true));
    for (user, pass) in [("shopper", "wrong"), ("nobody@example.com", "wrong"), ("ghost", "x"), ("obrien", "pw-1234"), ("", "")] {
        let (status, ct, body) = t.profile(user, pass).await;
        assert_eq!((status, ct.as_str(), body.as_str()), (200, "text/xml; charset=UTF-8", fault.as_str()), "{user}");
    }
    assert_eq!(raw_capture("xmlrpc-04-getprofile-unknown-user.http").1, fault);
    assert_eq!(skeleton(&raw_capture("xmlrpc-03-getprofile-email-login.http").1), skeleton(&ok));
    let (_, _, body) = t.xmlrpc_raw("<?xml version=\"1.0\"?><methodCall><methodName>wp.nope</methodName></methodCall>".into()).await;
    assert!(body.contains("<int>-32601</int>") && body.contains("server error. requested method wp.nope does not exist."));
    assert!(t.xmlrpc_raw("<methodCall><oops></methodCall>".into()).await.2.contains("parse error. not well formed"));
    let get = t.http.get(format!("{}/xmlrpc.php", t.store.url())).send().await.expect("get");
    assert_eq!(get.status().as_u16(), 405);
    assert_eq!(get.text().await.unwrap_or_default(), "XML-RPC server accepts POST requests only.");
    assert_eq!((t.store.calls("POST /xmlrpc.php"), t.store.calls("GET /xmlrpc.php")), (10, 1));
}

#[tokio::test]
async fn xmlrpc_disabled_and_blocked() {
    let t = setup().await;
    t.store.set_xmlrpc_mode(XmlRpcMode::Disabled);
    let (status, _, body) = t.profile("shopper", "shopper-demo-pass").await;
    assert_eq!(status, 200);
    assert!(body.contains("<int>405</int>") && body.contains("XML-RPC services are disabled on this site."), "{body}");
    t.store.set_xmlrpc_mode(XmlRpcMode::Blocked);
    let (status, ct, body) = t.profile("shopper", "shopper-demo-pass").await;
    assert_eq!((status, ct.as_str()), (403, "text/html"));
    assert!(body.contains("403 Forbidden"));
    t.store.set_xmlrpc_mode(XmlRpcMode::Enabled);
    assert!(t.profile("shopper", "shopper-demo-pass").await.2.contains("<string>shopper</string>"));
}

#[tokio::test]
async fn wp_login_success_sets_the_captured_cookies() {
    let t = setup().await;
    let form = t.http.get(format!("{}/wp-login.php", t.store.url())).send().await.expect("form");
    assert_eq!(form.headers().get("set-cookie").and_then(|v| v.to_str().ok()), Some("wordpress_test_cookie=WP%20Cookie%20check; path=/"));
    assert!(form.text().await.unwrap_or_default().contains("<form name=\"loginform\" id=\"loginform\""));
    let r = t.login(&[("log", "shopper"), ("pwd", "shopper-demo-pass"), ("testcookie", "1")], true).await;
    assert_eq!(r.status().as_u16(), 302);
    let h = |n: &str| r.headers().get(n).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    assert_eq!(h("location"), format!("{}/wp-admin/profile.php", t.store.url()));
    assert_eq!(h("x-redirect-by"), "WordPress");
    let cookies: Vec<String> = r.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).map(str::to_string).collect();
    let captured: Vec<String> =
        capture("wplogin-01-ok.http").headers.into_iter().filter(|(k, _)| k == "set-cookie").map(|(_, v)| v).collect();
    assert_eq!(cookies.len(), captured.len());
    let shape = |c: &str| {
        let (name, rest) = c.split_once('=').unwrap_or_default();
        let (value, attrs) = rest.split_once(';').unwrap_or((rest, ""));
        let name = name.trim_end_matches(|ch: char| ch.is_ascii_hexdigit()).to_string();
        let parts: Vec<usize> = value.split("%7C").map(str::len).skip(1).collect();
        (name, parts, attrs.to_string())
    };
    for (got, want) in cookies.iter().zip(&captured) {
        let (g, w) = (shape(got), shape(want));
        assert_eq!((&g.0, &g.2), (&w.0, &w.2), "{got}");
        assert_eq!(g.1.get(1..), w.1.get(1..), "token and hmac lengths: {got}");
    }
    assert!(cookies[3].starts_with(&format!("wordpress_logged_in_{}=shopper%7C", &cookies[1]["wordpress_".len().."wordpress_".len() + 32])));
    let (same_host, admin) = (format!("{}/my-account/", t.store.url()), format!("{}/wp-admin/", t.store.url()));
    for (log, to, expected) in [("shopper@example.test", same_host.as_str(), &same_host), ("shopper", "https://evil.example/", &admin)] {
        let r = t.login(&[("log", log), ("pwd", "shopper-demo-pass"), ("redirect_to", to), ("testcookie", "1")], true).await;
        assert_eq!(r.headers().get("location").and_then(|v| v.to_str().ok()), Some(expected.as_str()), "wp_safe_redirect of {to}");
    }
    assert_eq!((t.store.calls("GET /wp-login.php"), t.store.calls("POST /wp-login.php")), (1, 3));
}

#[tokio::test]
async fn wp_login_failures_show_wordpress_messages() {
    let t = setup().await;
    let lost = format!(" <a href=\"{}/my-account/lost-password/\">Lost your password?</a>", t.store.url());
    let id = t.store.add_customer("locked", "locked@example.test", "pw-locked", "Lo", "Ck");
    t.store.set_customer_locked(id, true);
    let wrong = format!("<strong>Error:</strong> The password you entered for the username <strong>shopper</strong> is incorrect.{lost}");
    let cases = [
        ("shopper", "nope", true, format!("<div id=\"login_error\" class=\"notice notice-error\"><p>{wrong}</p></div>")),
        ("locked", "pw-locked", true, wrong.replace("shopper", "locked")),
        ("o'ghost&co", "x", true, "<strong>Error:</strong> The username <strong>o&#039;ghost&amp;co</strong> is not registered on this site. If you are unsure of your username, try your email address instead.".into()),
        ("who@example.test", "x", true, "<strong>Error:</strong> Unknown email address. Check again or try your username.".into()),
        ("shopper@example.test", "x", true, format!("<strong>Error:</strong> The password you entered for the email address <strong>shopper@example.test</strong> is incorrect.{lost}")),
        ("shopper", "shopper-demo-pass", false, "<strong>Error:</strong> Cookies are blocked or not supported by your browser. You must <a href=\"https://developer.wordpress.org/advanced-administration/wordpress/cookies/#enable-cookies-in-your-browser\">enable cookies</a> to use WordPress.".into()),
    ];
    for (log, pwd, cookie, message) in cases {
        let r = t.login(&[("log", log), ("pwd", pwd), ("testcookie", "1")], cookie).await;
        assert_eq!(r.status().as_u16(), 200, "{log}");
        let html = r.text().await.unwrap_or_default();
        assert!(html.contains(&message), "{log}: {message}\n{html}");
    }
    let html = t.login(&[("log", "shopper"), ("pwd", "nope"), ("testcookie", "1")], true).await.text().await.unwrap_or_default();
    let captured = capture("wplogin-02-wrong.http").body;
    let login_line = |h: &str| h.lines().find(|l| l.contains("id=\"user_login\" aria")).map(|l| l.replace("janedoe", "shopper"));
    assert_eq!(login_line(&html), login_line(&captured), "the wrong-password form echoes the login like wplogin-02");
}

#[tokio::test]
async fn customers_list_and_single_match_the_capture() {
    let t = setup().await;
    let cap = capture("v3-22-customers.http").json();
    let (status, headers, list) = t.rest(Method::GET, "/customers", None).await;
    assert_eq!(status, 200);
    assert_same_shape("GET /customers", &cap, &list);
    assert_eq!((headers.get("x-wp-total").and_then(|v| v.to_str().ok()), list[0]["username"].as_str()), (Some("1"), Some("shopper")));
    assert_eq!(list[0]["billing"]["city"], "San Francisco");
    let (_, headers, all) = t.rest(Method::GET, "/customers?role=all", None).await;
    assert_same_shape("GET /customers?role=all", &capture("v3-23-customers-guests.http").json(), &all);
    assert_eq!(headers.get("x-wp-total").and_then(|v| v.to_str().ok()), Some("2"));
    let (status, _, one) = t.rest(Method::GET, "/customers/2", None).await;
    assert_eq!(status, 200);
    assert_same_shape("GET /customers/2", &cap[0], &one);
    let (status, _, e) = t.rest(Method::GET, "/customers/999", None).await;
    assert_eq!(
        (status, e["code"].as_str(), e["message"].as_str()),
        (404, Some("woocommerce_rest_invalid_id"), Some("Invalid resource ID."))
    );
    assert_eq!(t.store.calls("GET /wp-json/wc/v3/customers"), 2);
    assert_eq!(t.store.calls("GET /wp-json/wc/v3/customers/{id}"), 2);
}

#[tokio::test]
async fn customers_create_update_and_search() {
    let t = setup().await;
    let new = json!({"email": "new.buyer@example.test", "first_name": "New", "last_name": "Buyer", "password": "pw-new-1", "billing": {"city": "Oakland", "email": "new.buyer@example.test"}});
    let (status, headers, created) = t.rest(Method::POST, "/customers", Some(new.clone())).await;
    assert_eq!(status, 201, "{created}");
    assert_same_shape("POST /customers", &capture("v3-22-customers.http").json()[0], &created);
    assert_eq!((created["username"].as_str(), created["role"].as_str()), (Some("new.buyer"), Some("customer")));
    let id = created["id"].as_u64().unwrap_or(0);
    assert!(headers.get("location").and_then(|v| v.to_str().ok()).is_some_and(|l| l.ends_with(&format!("/customers/{id}"))));
    assert_eq!(t.store.customer_by_email("NEW.BUYER@example.test").map(|c| c.id), Some(id));
    let err = |v: &Value| (v["code"].as_str().unwrap_or("").to_string(), v["message"].as_str().unwrap_or("").to_string());
    let (status, _, e) = t.rest(Method::POST, "/customers", Some(new)).await;
    assert_eq!((status, err(&e).0.as_str()), (400, "registration-error-email-exists"));
    assert_eq!(err(&e).1, "An account is already registered with your email address. <a href=\"#\" class=\"showlogin\">Please log in.</a>");
    let (_, _, e) = t.rest(Method::POST, "/customers", Some(json!({"email": "x@example.test", "username": "shopper"}))).await;
    assert_eq!(err(&e).0, "registration-error-username-exists");
    let (_, _, e) = t.rest(Method::POST, "/customers", Some(json!({"email": "not-an-email"}))).await;
    assert_eq!(err(&e), ("customer_invalid_email".into(), "Invalid email address".into()));
    let (status, _, e) = t.rest(Method::POST, "/customers", Some(json!({"first_name": "X"}))).await;
    assert_eq!((status, err(&e).0.as_str(), e["data"]["params"].clone()), (400, "rest_missing_callback_param", json!(["email"])));
    let (status, _, e) = t.rest_as(&t.ro, Method::POST, "/customers", Some(json!({"email": "ro@example.test"}))).await;
    assert_eq!((status, err(&e).0.as_str()), (401, "woocommerce_rest_authentication_error"));
    let path = format!("/customers/{id}");
    let (status, _, updated) =
        t.rest(Method::PUT, &path, Some(json!({"first_name": "Renamed", "billing": {"postcode": "94607"}, "password": "pw-new-2"}))).await;
    assert_eq!(status, 200);
    assert_eq!(
        (updated["first_name"].as_str(), updated["billing"]["city"].as_str(), updated["billing"]["postcode"].as_str()),
        (Some("Renamed"), Some("Oakland"), Some("94607"))
    );
    assert!(t.profile("new.buyer", "pw-new-2").await.2.contains("<string>Renamed</string>"));
    let (_, _, e) = t.rest(Method::PATCH, &path, Some(json!({"email": "shopper@example.test"}))).await;
    assert_eq!(err(&e), ("woocommerce_rest_customer_invalid_email".into(), "Email address is invalid.".into()));
    let (status, _, e) = t.rest(Method::PUT, "/customers/999", Some(json!({"first_name": "X"}))).await;
    assert_eq!((status, err(&e).0.as_str()), (400, "woocommerce_rest_invalid_id"));
    let (_, headers, found) = t.rest(Method::GET, "/customers?email=SHOPPER%40example.test", None).await;
    assert_eq!((headers.get("x-wp-total").and_then(|v| v.to_str().ok()), found[0]["id"].as_u64()), (Some("1"), Some(2)));
    let (_, _, found) = t.rest(Method::GET, "/customers?search=buyer", None).await;
    assert_eq!(found.as_array().map(|a| a.iter().filter_map(|c| c["id"].as_u64()).collect::<Vec<_>>()), Some(vec![id]));
    assert_eq!((t.store.calls("POST /wp-json/wc/v3/customers"), t.store.calls("PUT /wp-json/wc/v3/customers/{id}")), (6, 2));
}

#[tokio::test]
async fn orders_filter_by_customer_and_take_customer_ids() {
    let t = setup().await;
    let (_, _, mine) = t.rest(Method::POST, "/orders", Some(json!({"customer_id": 2, "status": "processing"}))).await;
    let (_, _, guest) = t.rest(Method::POST, "/orders", Some(json!({"status": "on-hold"}))).await;
    let (mine_id, guest_id) = (mine["id"].as_u64().unwrap_or(0), guest["id"].as_u64().unwrap_or(0));
    assert_eq!((mine["customer_id"].as_u64(), guest["customer_id"].as_u64()), (Some(2), Some(0)));
    assert_eq!((t.store.order_customer(mine_id), t.store.order_customer(guest_id), t.store.order_customer(1)), (Some(2), Some(0), None));
    assert!(mine["_links"]["customer"][0]["href"].as_str().is_some_and(|h| h.ends_with("/wc/v3/customers/2")));
    assert!(guest["_links"].get("customer").is_none());
    let ids = |v: &Value| v.as_array().map(|a| a.iter().filter_map(|o| o["id"].as_u64()).collect::<Vec<_>>()).unwrap_or_default();
    assert_eq!(ids(&t.rest(Method::GET, "/orders?customer=2", None).await.2), vec![mine_id]);
    assert_eq!(ids(&t.rest(Method::GET, "/orders?customer=0", None).await.2), vec![guest_id]);
    assert_eq!(ids(&t.rest(Method::GET, "/orders?orderby=id&order=asc", None).await.2), vec![mine_id, guest_id]);
    let (_, _, paying) = t.rest(Method::GET, "/customers/2", None).await;
    assert_eq!(paying["is_paying_customer"], true);
    let (status, _, e) =
        t.rest(Method::PUT, &format!("/orders/{guest_id}"), Some(json!({"customer_id": 999, "status": "completed"}))).await;
    assert_eq!(
        (status, e["code"].as_str(), e["message"].as_str()),
        (400, Some("woocommerce_rest_invalid_customer_id"), Some("Customer ID is invalid."))
    );
    assert_eq!(t.store.order_status(guest_id).as_deref(), Some("on-hold"), "nothing saved on a bad customer id");
    let (_, _, e) = t.rest(Method::POST, "/orders", Some(json!({"customer_id": 4242}))).await;
    assert_eq!(e["code"], "woocommerce_rest_invalid_customer_id");
    let buyer = t.store.add_customer("buyer", "buyer@example.test", "pw-buyer", "Bu", "Yer");
    let (status, _, moved) = t.rest(Method::PUT, &format!("/orders/{guest_id}"), Some(json!({"customer_id": buyer}))).await;
    assert_eq!((status, moved["customer_id"].as_u64()), (200, Some(buyer)));
    assert_eq!(ids(&t.rest(Method::GET, &format!("/orders?customer={buyer}"), None).await.2), vec![guest_id]);
    let (_, _, unset) = t.rest(Method::PATCH, &format!("/orders/{guest_id}"), Some(json!({"customer_id": 0}))).await;
    assert_eq!(unset["customer_id"], 0);
}
