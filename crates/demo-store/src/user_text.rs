//! WordPress's user-field rules: `sanitize_user`, `validate_username`, `is_email`, the nicename slug and `sanitize_text_field`.

/// `sanitize_user`: tags, percent-octets and entities removed, whitespace collapsed; `strict` keeps only `[A-Za-z0-9 _.\-@]`.
pub(crate) fn sanitize_user(raw: &str, strict: bool) -> String {
    let mut s = strip_tags(raw);
    for pattern in ["%", "&"] {
        while let Some(start) = s.find(pattern) {
            let rest = &s[start + 1..];
            let end = if pattern == "%" {
                (rest.len() >= 2 && rest.as_bytes()[..2].iter().all(u8::is_ascii_hexdigit)).then_some(start + 3)
            } else {
                rest.find(';').filter(|&i| i > 0).map(|i| start + 1 + i + 1)
            };
            match end {
                Some(end) => s.replace_range(start..end, ""),
                None => break,
            }
        }
    }
    if strict {
        s.retain(|c| c.is_ascii_alphanumeric() || " _.-@".contains(c));
    }
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `wp_strip_all_tags`, roughly: every `<…>` goes.
pub(crate) fn strip_tags(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut in_tag = false;
    for c in raw.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// `sanitize_text_field`: tags stripped, whitespace collapsed, trimmed.
pub(crate) fn sanitize_text_field(raw: &str) -> String {
    strip_tags(raw).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `validate_username`: non-empty and unchanged by strict sanitizing.
pub(crate) fn valid_username(login: &str) -> bool {
    !login.is_empty() && sanitize_user(login, true) == login
}

/// `user_nicename`: `sanitize_title` in save context (dots become dashes, `@` goes).
pub(crate) fn nicename(login: &str) -> String {
    let mut out = String::new();
    for c in login.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c);
        } else if matches!(c, '.' | '-' | ' ') && !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

/// WordPress `is_email`.
pub(crate) fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@').filter(|_| s.len() >= 6 && !s.starts_with('@')) else {
        return false;
    };
    let local_ok = !local.is_empty() && local.chars().all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
    let subs: Vec<&str> = domain.split('.').collect();
    local_ok
        && !domain.contains("..")
        && domain.trim_matches(|c: char| c.is_whitespace() || c == '.') == domain
        && subs.len() >= 2
        && subs
            .iter()
            .all(|s| !s.is_empty() && !s.starts_with('-') && !s.ends_with('-') && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_and_emails() {
        let a = super::super::accounts::Accounts::seed(0);
        assert_eq!(a.generate_username("Jo.Smith@example.test"), "jo.smith");
        assert_eq!(a.generate_username("info@shop.example"), "shop.example");
        assert!(a.generate_username("shopper@elsewhere.test").starts_with("shopper-"));
        assert!(is_email("a.b@example.test") && !is_email("a@b") && !is_email("not an email") && !is_email("x@-bad.test"));
        assert!(valid_username("sam_shopper.1") && !valid_username("sam!shopper"));
        assert_eq!(nicename("Sam.Shopper@x"), "sam-shopperx");
    }
}
