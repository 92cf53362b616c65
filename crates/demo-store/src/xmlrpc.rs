//! `/xmlrpc.php` as stock WordPress serves it (IXR): `wp.getProfile` with the bytes of the `xmlrpc-01..04` captures, IXR's faults, the POST-only rule and the disabled/blocked switch.

use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::Response;
use quick_xml::events::Event;
use quick_xml::Reader;

use super::accounts::{User, XmlRpcMode};
use super::coupons::esc_html;
use super::StoreState;

/// nginx's page when the host denies the file.
const BLOCKED: &str = "<html>\r\n<head><title>403 Forbidden</title></head>\r\n<body>\r\n<center><h1>403 Forbidden</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

fn reply(status: u16, content_type: &'static str, body: String) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

/// `IXR_Error::getXml` through `IXR_Server::output` (the heredoc lines end in CRLF, as captured).
pub(crate) fn fault(code: i64, message: &str) -> String {
    let m = esc_html(message);
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<methodResponse>\r\n  <fault>\r\n    <value>\r\n      <struct>\r\n        <member>\r\n          <name>faultCode</name>\r\n          <value><int>{code}</int></value>\r\n        </member>\r\n        <member>\r\n          <name>faultString</name>\r\n          <value><string>{m}</string></value>\r\n        </member>\r\n      </struct>\r\n    </value>\r\n  </fault>\r\n</methodResponse>\r\n"
    )
}

/// `IXR_Server::serve` wrapping an `IXR_Value` struct.
fn success(value_xml: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<methodResponse>\r\n  <params>\r\n    <param>\r\n      <value>\r\n      {value_xml}\r\n      </value>\r\n    </param>\r\n  </params>\r\n</methodResponse>\r\n"
    )
}

/// `wp_xmlrpc_server::_prepare_user` with all fields, as `IXR_Value::getXml` prints a struct.
pub(crate) fn profile_xml(u: &User) -> String {
    let iso = super::render::iso(u.registered);
    let date = iso.get(..10).unwrap_or("").replace('-', "") + iso.get(10..).unwrap_or("");
    let s = |v: &str| format!("<string>{}</string>", esc_html(v));
    let members = [
        ("user_id", s(&u.id.to_string())),
        ("username", s(&u.login)),
        ("first_name", s(&u.first_name)),
        ("last_name", s(&u.last_name)),
        ("registered", format!("<dateTime.iso8601>{date}</dateTime.iso8601>")),
        ("bio", s("")),
        ("email", s(&u.email)),
        ("nickname", s(&u.login)),
        ("nicename", s(&u.nicename)),
        ("url", s("")),
        ("display_name", s(&u.display_name)),
        ("roles", format!("<array><data>\n  <value>{}</value>\n</data></array>", s(&u.role))),
    ];
    let mut out = String::from("<struct>\n");
    for (name, value) in members {
        out.push_str(&format!("  <member><name>{name}</name><value>{value}</value></member>\n"));
    }
    out.push_str("</struct>");
    out
}

/// A parsed element: name, text content and child elements.
#[derive(Debug, Default)]
struct Node {
    name: String,
    text: String,
    children: Vec<Node>,
}

impl Node {
    fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }
}

/// Parses a well-formed document into its root element (`None` = "not well formed", or a DOCTYPE, which IXR refuses).
fn parse(xml: &str) -> Option<Node> {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Node> = Vec::new();
    let mut root: Option<Node> = None;
    loop {
        let event = reader.read_event().ok()?;
        let text = match &event {
            Event::Text(t) => Some(t.unescape().ok()?.into_owned()),
            Event::CData(c) => Some(String::from_utf8(c.to_vec()).ok()?),
            _ => None,
        };
        if let Some(text) = text {
            match stack.last_mut() {
                Some(top) => top.text.push_str(&text),
                None if text.trim().is_empty() => {}
                None => return None,
            }
            continue;
        }
        match event {
            // A second root element is not well formed.
            Event::Start(_) | Event::Empty(_) if root.is_some() && stack.is_empty() => return None,
            Event::Start(e) => stack.push(Node { name: String::from_utf8_lossy(e.name().as_ref()).into_owned(), ..Node::default() }),
            Event::Empty(e) => {
                let node = Node { name: String::from_utf8_lossy(e.name().as_ref()).into_owned(), ..Node::default() };
                match stack.last_mut() {
                    Some(top) => top.children.push(node),
                    None => root = Some(node),
                }
            }
            Event::End(_) => {
                let node = stack.pop()?;
                match stack.last_mut() {
                    Some(top) => top.children.push(node),
                    None => root = Some(node),
                }
            }
            Event::DocType(_) => return None,
            Event::Eof => return if stack.is_empty() { root } else { None },
            _ => {}
        }
    }
}

/// An XML-RPC `<value>` as PHP would hand it to a method: scalars as their text, containers flattened to "".
fn scalar(value: &Node) -> String {
    match value.children.first() {
        None => value.text.clone(),
        Some(typed) => match typed.name.as_str() {
            "int" | "i4" | "double" | "boolean" => typed.text.trim().to_string(),
            "string" | "dateTime.iso8601" | "base64" => typed.text.clone(),
            _ => String::new(),
        },
    }
}

/// `POST /xmlrpc.php` (any method is routed here; WordPress answers non-POST requests with 405).
pub(crate) async fn endpoint(State(state): State<Arc<StoreState>>, req: Request) -> Response {
    let mode = state.shop.lock().accounts.xmlrpc;
    if mode == XmlRpcMode::Blocked {
        return reply(403, "text/html", BLOCKED.to_string());
    }
    let is_post = req.method() == Method::POST;
    let body = to_bytes(req.into_body(), 1 << 20).await.unwrap_or_default();
    if !is_post || body.is_empty() {
        let mut r = reply(405, "text/plain; charset=UTF-8", "XML-RPC server accepts POST requests only.".into());
        r.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
        return r;
    }
    let xml = |s: String| reply(200, "text/xml; charset=UTF-8", s);
    let Some(call) = std::str::from_utf8(&body).ok().and_then(parse) else {
        return xml(fault(-32700, "parse error. not well formed"));
    };
    if call.name != "methodCall" {
        return xml(fault(-32600, "server error. invalid xml-rpc. not conforming to spec. Request must be a methodCall"));
    }
    let method = call.child("methodName").map(|m| m.text.trim().to_string()).unwrap_or_default();
    let params: Vec<String> = call
        .child("params")
        .map(|p| p.children.iter().filter(|c| c.name == "param").filter_map(|c| c.child("value")).map(scalar).collect())
        .unwrap_or_default();
    if method != "wp.getProfile" {
        return xml(fault(-32601, &format!("server error. requested method {method} does not exist.")));
    }
    if params.len() < 3 {
        return xml(fault(400, "Insufficient arguments passed to this XML-RPC method."));
    }
    if mode == XmlRpcMode::Disabled {
        return xml(fault(405, "XML-RPC services are disabled on this site."));
    }
    let data = state.shop.lock();
    match data.accounts.authenticate(&params[1], &params[2]) {
        Ok(user) => xml(success(&profile_xml(user))),
        // Wrong password, unknown user or email, empty fields and locked accounts all look the same.
        Err(_) => xml(fault(403, "Incorrect username or password.")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_method_calls_and_rejects_junk() {
        let call = parse("<?xml version=\"1.0\"?><methodCall><methodName> wp.getProfile </methodName><params><param><value><int>1</int></value></param><param><value>a &amp; b</value></param><param><value><string><![CDATA[p<w]]></string></value></param></params></methodCall>");
        let call = call.expect("well formed");
        let params: Vec<String> =
            call.child("params").map(|p| p.children.iter().filter_map(|c| c.child("value")).map(scalar).collect()).unwrap_or_default();
        assert_eq!(params, ["1", "a & b", "p<w"]);
        assert!(parse("<methodCall><methodName>x</methodCall>").is_none());
        assert!(parse("<methodCall/><second/>").is_none());
        assert!(parse("<methodCall>").is_none());
        assert!(parse("<!DOCTYPE x><methodCall/>").is_none());
        assert!(parse("not xml").is_none());
    }

    #[test]
    fn fault_bytes_match_the_capture_layout() {
        let f = fault(403, "Incorrect username or password.");
        assert!(f.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<methodResponse>\r\n  <fault>\r\n"));
        assert!(f.contains("<value><string>Incorrect username or password.</string></value>\r\n"));
        assert!(fault(-32601, "a <b> & 'c'").contains("a &lt;b&gt; &amp; &#039;c&#039;"));
    }
}
