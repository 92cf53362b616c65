//! Product text as the index reads it: HTML descriptions to plain words, entities decoded.

/// Entities decoded, whitespace collapsed: names and terms as the Store API sends them.
pub(super) fn entities(text: &str) -> String {
    html_escape::decode_html_entities(text).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A description's text: tags removed (a block tag separates words, an inline one does not),
/// `<script>` and `<style>` contents and comments dropped, entities decoded, whitespace collapsed.
/// Entities are decoded after tags are removed, so an escaped `&lt;script&gt;` stays text.
pub fn html_to_text(html: &str) -> String {
    // Tags that sit inside a word ("<b>W</b>ool") and so must not split it.
    const INLINE: &[&str] =
        &["a", "abbr", "b", "bdi", "bdo", "code", "em", "i", "mark", "q", "s", "small", "span", "strong", "sub", "sup", "u"];
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        let after = &rest[lt + 1..];
        // As in HTML, "<" not followed by a tag name, "/", "!" or "?" is text ("sizes <10").
        if !after.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || matches!(c, '/' | '!' | '?')) {
            out.push('<');
            rest = after;
            continue;
        }
        if let Some(comment) = after.strip_prefix("!--") {
            rest = comment.find("-->").map_or("", |end| &comment[end + 3..]);
            out.push(' ');
            continue;
        }
        // An unterminated tag swallows the rest, as a browser would.
        let Some(gt) = after.find('>') else {
            rest = "";
            break;
        };
        let tag = &after[..gt];
        rest = &after[gt + 1..];
        let name = tag.trim_start_matches('/').split(|c: char| !c.is_ascii_alphanumeric()).next().unwrap_or_default().to_ascii_lowercase();
        if !tag.starts_with('/') && (name == "script" || name == "style") {
            let close = format!("</{name}");
            rest = find_ascii_case_insensitive(rest, &close).map_or("", |at| &rest[at..]);
        }
        if !INLINE.contains(&name.as_str()) {
            out.push(' ');
        }
    }
    out.push_str(rest);
    entities(&out)
}

/// The byte offset of `needle` (ASCII) in `haystack`, ignoring ASCII case.
fn find_ascii_case_insensitive(haystack: &str, needle: &str) -> Option<usize> {
    // An ASCII needle can only match starting at a character boundary.
    haystack.as_bytes().windows(needle.len()).position(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}
