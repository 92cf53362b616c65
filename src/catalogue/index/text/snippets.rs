//! Highlighting: which tokens a query matched, and the HTML fragments shown with search hits.

use tantivy::tokenizer::TextAnalyzer;

use super::{tokens, QueryWord, FRAGMENT_CHARS};

/// The query's matching rules applied to one token, for highlighting: the same rules the index
/// query uses, so what is marked is what matched.
pub(super) struct Matcher {
    pub(super) words: Vec<QueryWord>,
}

impl Matcher {
    pub(super) fn matches(&self, token: &str) -> bool {
        self.words
            .iter()
            .any(|w| token == w.text || (w.prefix && token.starts_with(&w.text)) || (w.fuzzy && within_one_edit(token, &w.text)))
    }
}

/// Whether `a` and `b` are at most one insertion, deletion, substitution or transposition of
/// adjacent characters apart (what tantivy's distance-1 automaton with transposition accepts).
pub(super) fn within_one_edit(a: &str, b: &str) -> bool {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let (short, long) = if a.len() <= b.len() { (&a, &b) } else { (&b, &a) };
    if long.len() - short.len() > 1 {
        return false;
    }
    let prefix = short.iter().zip(long.iter()).take_while(|(x, y)| x == y).count();
    if prefix == short.len() {
        return true; // equal, or `long` has one extra character at the end
    }
    if short.len() == long.len() {
        // One substitution, or one transposition of the first differing pair.
        let rest = prefix + 1;
        short[rest..] == long[rest..]
            || (rest < short.len() && short[prefix] == long[rest] && short[rest] == long[prefix] && short[rest + 1..] == long[rest + 1..])
    } else {
        // One character inserted into `long` at the first difference.
        short[prefix..] == long[prefix + 1..]
    }
}

/// `text[from..to]` HTML-escaped, with the marked byte ranges (sorted, inside it) in `<mark>`.
pub(super) fn highlight(text: &str, marks: &[(usize, usize)], from: usize, to: usize) -> String {
    let mut out = String::with_capacity((to - from) + marks.len() * 13 + 16);
    let mut at = from;
    for &(start, end) in marks.iter().filter(|(start, end)| *start >= from && *end <= to) {
        out.push_str(&html_escape::encode_safe(text.get(at..start).unwrap_or_default()));
        out.push_str("<mark>");
        out.push_str(&html_escape::encode_safe(text.get(start..end).unwrap_or_default()));
        out.push_str("</mark>");
        at = end;
    }
    out.push_str(&html_escape::encode_safe(text.get(at..to).unwrap_or_default()));
    out
}

/// At most [`FRAGMENT_CHARS`] characters of `text` around its best run of marks (the window
/// holding the most), cut at word boundaries, with "…" where text was cut.
pub(super) fn fragment_html(analyzer: &TextAnalyzer, text: &str, marks: &[(usize, usize)]) -> String {
    if text.chars().count() <= FRAGMENT_CHARS {
        return highlight(text, marks, 0, text.len());
    }
    // Room for an ellipsis on both sides.
    let budget = FRAGMENT_CHARS - 2;
    // Words shown before the first mark, so it does not open the fragment without context.
    const CONTEXT_CHARS: usize = 30;
    let chars = |from: usize, to: usize| text.get(from..to).map_or(0, |s| s.chars().count());
    // The mark whose window holds the most marks; only the first few are tried, the cost is
    // quadratic and a fragment rarely holds more than a handful.
    let anchor = marks
        .iter()
        .take(32)
        .enumerate()
        .max_by_key(|&(i, &(start, _))| {
            let held = marks[i..].iter().take_while(|&&(_, end)| chars(start, end) <= budget - CONTEXT_CHARS).count();
            (held, std::cmp::Reverse(i))
        })
        .map_or(0, |(_, &(start, _))| start);
    let words = tokens(analyzer, text);
    // Start at the earliest word within the context before the anchor (or the text's start).
    // Both scans walk outwards from the anchor and stop at the budget: a description can be
    // thousands of words, and counting characters from its start for each would be quadratic.
    let mut start = words
        .iter()
        .rev()
        .map(|&(from, _, _)| from)
        .skip_while(|&from| from > anchor)
        .take_while(|&from| chars(from, anchor) <= CONTEXT_CHARS)
        .last()
        .unwrap_or(anchor);
    if words.first().is_some_and(|&(from, _, _)| from == start) {
        start = 0;
    }
    // End at the last word that still fits.
    let mut end = words
        .iter()
        .map(|&(_, to, _)| to)
        .skip_while(|&to| to <= start)
        .take_while(|&to| chars(start, to) <= budget)
        .last()
        .unwrap_or(start);
    if end <= start {
        // No word fits (one word longer than the budget): cut at a character boundary.
        end = text[start..].char_indices().nth(budget).map_or(text.len(), |(i, _)| start + i);
    }
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    out.push_str(&highlight(text, marks, start, end));
    if end < text.len() {
        out.push('…');
    }
    out
}
