use super::snippets::within_one_edit;
use super::*;

fn product(id: u64, name: &str) -> SearchDoc {
    SearchDoc { id, name: name.to_owned(), ..SearchDoc::default() }
}

fn index_of(docs: Vec<SearchDoc>) -> TextIndex {
    let index = TextIndex::open(None).unwrap();
    index.replace_all(docs).unwrap();
    index
}

fn ids(index: &TextIndex, q: &str) -> Vec<u64> {
    index.search(q, 100).unwrap().into_iter().map(|h| h.id).collect()
}

fn clothes() -> TextIndex {
    index_of(vec![
        SearchDoc {
            id: 1,
            name: "Blue Hoodie".into(),
            sku: "HD-001-BLU".into(),
            terms: vec!["Hoodies".into(), "Winter".into()],
            short_description_html: "<p>A warm <b>cotton</b> hoodie.</p>".into(),
            description_html: "<p>Brushed fleece inside.</p>".into(),
        },
        SearchDoc { id: 2, name: "Red Hoodie".into(), sku: "HD-002-RED".into(), ..SearchDoc::default() },
        SearchDoc { id: 3, name: "Linen Shirt".into(), sku: "SH-LIN".into(), ..SearchDoc::default() },
        SearchDoc { id: 4, name: "Wool Scarf".into(), terms: vec!["Accessories".into()], ..SearchDoc::default() },
        SearchDoc { id: 5, name: "Café Crème Mug".into(), sku: "mug-1".into(), ..SearchDoc::default() },
    ])
}

#[test]
fn an_exact_word_finds_its_products() {
    let index = clothes();
    // Both hoodies by name; the one that also says it in its short description ranks first.
    let hits = index.search("hoodie", 10).unwrap();
    assert_eq!(hits.iter().map(|h| h.id).collect::<Vec<_>>(), vec![1, 2]);
    assert!(hits[0].score > hits[1].score);
    assert_eq!(ids(&index, "scarf"), vec![4]);
    assert_eq!(ids(&index, "SHIRT"), vec![3]);
    assert!(ids(&index, "trousers").is_empty());
}

#[test]
fn one_typo_on_a_long_word_still_finds_it_but_not_on_a_short_one() {
    let index = clothes();
    assert_eq!(ids(&index, "linan"), vec![3], "substitution");
    assert_eq!(ids(&index, "blue hodie"), vec![1], "deletion");
    assert_eq!(ids(&index, "linnen"), vec![3], "insertion");
    assert!(ids(&index, "linxx").is_empty(), "two edits");
    assert!(ids(&index, "wolo scarf").is_empty(), "a typo on a 4-letter word is not forgiven");
    assert!(ids(&index, "scraf").contains(&4), "transposition on 5 letters");
}

#[test]
fn a_transposition_counts_as_one_edit() {
    let index = clothes();
    assert_eq!(ids(&index, "shrit"), vec![3]);
    assert_eq!(ids(&index, "hoodei blue"), vec![1]);
}

#[test]
fn the_last_word_also_matches_as_a_prefix() {
    let index = clothes();
    assert_eq!(ids(&index, "blue hood"), vec![1]);
    assert_eq!(ids(&index, "hood").len(), 2);
    assert_eq!(ids(&index, "sh"), vec![3]);
    assert!(ids(&index, "hood blue").is_empty(), "only the last word is a prefix");
    assert!(ids(&index, "h").is_empty(), "one letter is not a prefix");
}

#[test]
fn every_word_must_match() {
    let index = clothes();
    assert_eq!(ids(&index, "blue hoodie"), vec![1]);
    assert_eq!(ids(&index, "hoodie red"), vec![2]);
    assert!(ids(&index, "red scarf").is_empty());
    // Words may match in different fields: name + category.
    assert_eq!(ids(&index, "scarf accessories"), vec![4]);
    assert_eq!(ids(&index, "cotton blue"), vec![1]);
}

#[test]
fn a_name_match_ranks_above_a_description_match_and_exact_above_fuzzy() {
    let index = index_of(vec![
        SearchDoc { id: 1, name: "Garden chair".into(), description_html: "<p>Pairs with our lantern.</p>".into(), ..SearchDoc::default() },
        product(2, "Paper lantern"),
        SearchDoc { id: 3, name: "Table".into(), short_description_html: "A lantern hook.".into(), ..SearchDoc::default() },
        SearchDoc { id: 4, name: "Candle".into(), terms: vec!["Lantern".into()], ..SearchDoc::default() },
        product(5, "Lanterns"),
    ]);
    // Name, then category, then short description, then description; "lanterns" (one edit,
    // and a prefix) below every exact match, even the description's.
    assert_eq!(ids(&index, "lantern"), vec![2, 4, 3, 1, 5]);
    let index = index_of(vec![product(1, "Linen shirt"), product(2, "Linen skirt")]);
    assert_eq!(ids(&index, "skirt"), vec![2, 1]);
    assert_eq!(ids(&index, "shirt"), vec![1, 2]);
}

#[test]
fn equal_scores_rank_the_higher_id_first() {
    let index = index_of(vec![product(10, "Plain mug"), product(30, "Plain mug"), product(20, "Plain mug")]);
    assert_eq!(ids(&index, "mug"), vec![30, 20, 10]);
    assert_eq!(index.search("mug", 2).unwrap().iter().map(|h| h.id).collect::<Vec<_>>(), vec![30, 20]);
}

#[test]
fn a_sku_matches_whole_and_by_its_parts_in_any_case() {
    let index = clothes();
    assert_eq!(ids(&index, "HD-001-BLU"), vec![1]);
    assert_eq!(ids(&index, "hd-002-red"), vec![2]);
    assert_eq!(ids(&index, "  Sh-Lin "), vec![3]);
    assert_eq!(ids(&index, "hd 001"), vec![1]);
    assert_eq!(ids(&index, "hd-00").len(), 2, "type-ahead on a SKU");
    assert!(ids(&index, "hd-003-blu").is_empty(), "no typos on SKU parts");
    // A whole-SKU hit ranks first even against a product that has the words in its name.
    let index =
        index_of(vec![product(1, "Mug one"), SearchDoc { id: 2, name: "Teapot".into(), sku: "MUG-ONE".into(), ..SearchDoc::default() }]);
    assert_eq!(ids(&index, "mug-one"), vec![2, 1]);
}

#[test]
fn accents_fold_to_ascii_both_ways() {
    let index = clothes();
    assert_eq!(ids(&index, "cafe"), vec![5]);
    assert_eq!(ids(&index, "CRÈME café"), vec![5]);
    let index = index_of(vec![product(1, "Creme brulee dish")]);
    assert_eq!(ids(&index, "crème brûlée"), vec![1]);
}

#[test]
fn apply_upserts_and_removes_and_the_next_search_sees_it() {
    let index = clothes();
    assert_eq!(index.num_docs(), 5);
    index.apply(vec![product(3, "Silk Blouse"), product(6, "Rain Jacket")], &[4]).unwrap();
    assert_eq!(index.num_docs(), 5);
    assert!(ids(&index, "linen").is_empty(), "the old version is gone");
    assert_eq!(ids(&index, "blouse"), vec![3]);
    assert_eq!(ids(&index, "jacket"), vec![6]);
    assert!(ids(&index, "scarf").is_empty());
    // An id both upserted and removed ends removed; an unknown removal is no error.
    index.apply(vec![product(7, "Umbrella")], &[7, 999]).unwrap();
    assert!(ids(&index, "umbrella").is_empty());
    // The same id twice in one batch: the later version.
    index.apply(vec![product(8, "Green cap"), product(8, "Yellow cap")], &[]).unwrap();
    assert_eq!(ids(&index, "cap"), vec![8]);
    assert!(ids(&index, "green").is_empty());
    // Clones share the index.
    let clone = index.clone();
    clone.apply(vec![], &[8]).unwrap();
    assert!(ids(&index, "cap").is_empty());
}

#[test]
fn replace_all_replaces_everything() {
    let index = clothes();
    index.replace_all(vec![product(42, "Kettle")]).unwrap();
    assert_eq!(index.num_docs(), 1);
    assert!(ids(&index, "hoodie").is_empty());
    assert_eq!(ids(&index, "kettle"), vec![42]);
    index.replace_all(vec![product(7, "Old kettle"), product(8, "Toaster"), product(7, "New kettle")]).unwrap();
    assert_eq!(index.num_docs(), 2, "a repeated id is indexed once");
    assert_eq!(ids(&index, "kettle"), vec![7]);
    assert!(ids(&index, "old").is_empty());
    index.replace_all(Vec::new()).unwrap();
    assert_eq!(index.num_docs(), 0);
    assert!(ids(&index, "kettle").is_empty());
}

#[test]
fn any_input_is_plain_text_and_never_an_error() {
    let index = index_of(vec![product(1, "Name and more: stars * and plus +1"), product(2, "AND OR NOT")]);
    let long = "ab".repeat(5_000);
    let many = "word ".repeat(500);
    let weird = [
        "",
        "   ",
        "!!!",
        "*",
        "?",
        ":",
        "\"",
        "'",
        "\\",
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        "^2",
        "~1",
        "-",
        "+",
        "&&",
        "||",
        "🎉🎉",
        "👍🏽",
        "name:foo",
        "id:1",
        "\"unclosed",
        "a AND",
        "OR",
        "NOT",
        "*:*",
        "a~",
        "[1 TO 2]",
        "\u{0}",
        "\u{FEFF}",
        "ß",
        "İ",
        "ﬁ",
        &long,
        &many,
    ];
    for q in weird {
        assert!(index.search(q, 10).is_ok(), "{q:?}");
        assert!(index.snippets(q, &[1, 2, 3]).is_ok(), "{q:?}");
    }
    for q in ["", "   ", "!!!", "*", "🎉🎉", "*:*", "\"", "-"] {
        assert!(index.search(q, 10).unwrap().is_empty(), "{q:?}");
    }
    // Query syntax is matched as the words it contains.
    assert_eq!(ids(&index, "name:and"), vec![1]);
    let mut and = ids(&index, "AND");
    and.sort_unstable();
    assert_eq!(and, vec![1, 2]);
    assert_eq!(ids(&index, "stars*"), vec![1]);
    assert!(index.search("name", 0).unwrap().is_empty());
    assert_eq!(index.search("name", usize::MAX).unwrap().len(), 1);
    assert!(index.snippets("name", &[]).unwrap().is_empty());
}

#[test]
fn snippets_mark_matches_and_escape_store_text() {
    let index = index_of(vec![
        SearchDoc {
            id: 1,
            name: "Tom &amp; Jerry Hoodie".into(),
            short_description_html: "<p>&lt;script&gt;alert(1)&lt;/script&gt; A <em>soft</em> hoodie.</p><script>steal()</script>".into(),
            description_html: "<p>Ignored when the short description matches.</p>".into(),
            ..SearchDoc::default()
        },
        SearchDoc {
            id: 2,
            name: "Mug".into(),
            short_description_html: "<p>Nothing about it here.</p>".into(),
            description_html: format!("<p>{} the hoodies' mug comes last.</p>", "Filler words go on. ".repeat(30)),
            ..SearchDoc::default()
        },
        product(3, "Plain hat"),
    ]);
    let snippets = index.snippets("hood", &[1, 2, 3, 99]).unwrap();
    assert_eq!(snippets.len(), 3);
    let one = &snippets[&1];
    assert_eq!(one.name_html, "Tom &amp; Jerry <mark>Hoodie</mark>");
    let text = one.text_html.as_deref().unwrap();
    assert!(text.contains("&lt;script&gt;alert(1)&lt;&#x2F;script&gt;"), "{text}");
    assert!(text.contains("A soft <mark>hoodie</mark>."), "{text}");
    assert!(!text.contains("steal"), "script contents are not text: {text}");
    assert!(!text.contains("<script"), "{text}");

    // The match is deep in a long description: the fragment is cut around it.
    let two = &snippets[&2];
    assert_eq!(two.name_html, "Mug");
    let text = two.text_html.as_deref().unwrap();
    assert!(text.contains("<mark>hoodies</mark>"), "{text}");
    assert!(text.starts_with('…'), "{text}");
    let plain = text.replace("<mark>", "").replace("</mark>", "").replace("&#x27;", "'");
    assert!(plain.chars().count() <= FRAGMENT_CHARS, "{} chars: {plain}", plain.chars().count());

    assert_eq!(snippets[&3], Snippet { name_html: "Plain hat".into(), text_html: None });
    // A typo'd word is marked where it matched.
    let snippets = index.snippets("jery", &[1]).unwrap();
    assert_eq!(snippets[&1].name_html, "Tom &amp; Jerry Hoodie", "4 letters: no typo allowed");
    let snippets = index.snippets("hoddie tom", &[1]).unwrap();
    assert_eq!(snippets[&1].name_html, "<mark>Tom</mark> &amp; Jerry <mark>Hoodie</mark>");
}

#[test]
fn an_index_on_disk_persists_across_reopen() {
    let dir = std::env::temp_dir().join(format!("bff-text-index-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    {
        let index = TextIndex::open(Some(&dir)).unwrap();
        index.replace_all(vec![product(1, "Teapot"), product(2, "Kettle")]).unwrap();
        index.apply(vec![product(3, "Teacup")], &[2]).unwrap();
    }
    let reopened = TextIndex::open(Some(&dir)).unwrap();
    assert_eq!(reopened.num_docs(), 2);
    assert_eq!(ids(&reopened, "tea"), vec![3, 1]);
    assert!(ids(&reopened, "kettle").is_empty());
    drop(reopened);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn html_becomes_plain_text() {
    assert_eq!(html_to_text("<p>Soft&nbsp;<b>W</b>ool</p><p>Warm</p>"), "Soft Wool Warm");
    assert_eq!(html_to_text("Sizes <10 & up &amp; more"), "Sizes <10 & up & more");
    assert_eq!(html_to_text("a<style>p { x: 1 }</style>b<SCRIPT>x()</SCRIPT>c<!-- <p>hidden</p> -->d"), "a b c d");
    assert_eq!(html_to_text("&lt;script&gt;"), "<script>");
    assert_eq!(html_to_text("cut <a href='x"), "cut");
    assert_eq!(html_to_text("<br/>line<br>line"), "line line");
    assert_eq!(html_to_text(""), "");
}

#[test]
fn one_edit_is_what_the_fuzzy_query_accepts() {
    for (a, b) in
        [("shirt", "shirt"), ("shirt", "shrit"), ("shirt", "skirt"), ("shirt", "shirts"), ("shirt", "hirt"), ("ab", "ba"), ("", "a")]
    {
        assert!(within_one_edit(a, b) && within_one_edit(b, a), "{a} {b}");
    }
    for (a, b) in [("shirt", "shrti"), ("shirt", "short1"), ("shirt", "sh"), ("abc", "cab"), ("", "ab")] {
        assert!(!within_one_edit(a, b) && !within_one_edit(b, a), "{a} {b}");
    }
}
