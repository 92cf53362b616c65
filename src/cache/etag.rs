//! Strong ETags over the rendered body, and `If-None-Match` matching.

use sha2::{Digest, Sha256};

/// A strong validator: same bytes, same tag.
pub fn etag_for(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    format!("\"{}\"", hex::encode(&digest[..16]))
}

/// RFC 9110 §13.1.2: `If-None-Match` uses weak comparison, so `W/"x"`
/// matches `"x"`; `*` matches any current representation.
pub fn if_none_match_matches(header: &str, etag: &str) -> bool {
    header.split(',').map(str::trim).any(|candidate| candidate == "*" || candidate.strip_prefix("W/").unwrap_or(candidate) == etag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_bytes_same_tag_and_different_bytes_differ() {
        assert_eq!(etag_for(b"abc"), etag_for(b"abc"));
        assert_ne!(etag_for(b"abc"), etag_for(b"abd"));
        assert!(etag_for(b"abc").starts_with('"'));
    }

    #[test]
    fn if_none_match_forms() {
        let tag = etag_for(b"x");
        assert!(if_none_match_matches(&tag, &tag));
        assert!(if_none_match_matches(&format!("\"other\", W/{tag}"), &tag));
        assert!(if_none_match_matches("*", &tag));
        assert!(!if_none_match_matches("\"other\"", &tag));
    }
}
