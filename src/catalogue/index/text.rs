//! Typo-tolerant product search: the tantivy index of each product's text (name, SKU, category and
//! tag names, descriptions), the queries run against it and the highlighted snippets shown with hits.
//!
//! Matching rules (what makes it better than the store's `LIKE`): text is split on anything that is
//! not a letter or digit, lowercased and ASCII-folded ("Café" is found by "cafe"); every query word
//! must match (AND); a word matches exactly, with one edit (a transposition is one) when it has at
//! least [`FUZZY_MIN_CHARS`] characters and a letter, and the last word also as a prefix of at least
//! [`PREFIX_MIN_CHARS`] characters (type-ahead). The whole query also matches a whole SKU.
//!
//! Ranking: each field has a boost (name > SKU > categories/tags > short description >
//! description). An exact match scores BM25 plus a constant; a fuzzy or prefix match only a small
//! constant (tantivy's automaton queries score every match the same), and since an exact match is
//! also a fuzzy and prefix match, exact always ranks above fuzzy/prefix in the same field. Ties go
//! to the higher product id (the newer product, in WooCommerce).
//!
//! Every method is synchronous: `search` and `snippets` take well under a millisecond on a
//! 100,000-product index, but `apply` and `replace_all` commit (and on disk, fsync), so async
//! callers run those on `spawn_blocking`.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use tantivy::collector::sort_key::{SortBySimilarityScore, SortByStaticFastValue};
use tantivy::collector::{DocSetCollector, TopDocs};
use tantivy::directory::MmapDirectory;
use tantivy::query::{BooleanQuery, BoostQuery, ConstScoreQuery, FuzzyTermQuery, Occur, Query, TermQuery, TermSetQuery};
use tantivy::schema::{Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, FAST, INDEXED, STORED};
use tantivy::tokenizer::{AsciiFoldingFilter, LowerCaser, RawTokenizer, RemoveLongFilter, SimpleTokenizer, TextAnalyzer};
use tantivy::{IndexBuilder, IndexReader, IndexWriter, Order, ReloadPolicy, Score, TantivyDocument, TantivyError, Term};

/// One product's searchable text. HTML fields arrive as the store sends them (tags, entities):
/// they are stripped of tags and decoded before indexing. `name`, `sku` and `terms` have their
/// entities decoded too, because the Store API sends names escaped ("Home &amp; Kitchen").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchDoc {
    pub id: u64,
    pub name: String,
    pub sku: String,
    /// Category and tag names.
    pub terms: Vec<String>,
    pub short_description_html: String,
    pub description_html: String,
}

/// One matching product and its relevance (only comparable within one search).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub id: u64,
    pub score: f32,
}

/// Highlighted fragments for one hit: HTML-escaped text with matched words in `<mark>…</mark>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snippet {
    /// The whole name.
    pub name_html: String,
    /// At most [`FRAGMENT_CHARS`] characters of the short description, or of the description when
    /// only it matches; `None` when the product has neither.
    pub text_html: Option<String>,
}

/// Why the index could not be opened, written or read. Display never includes document text:
/// tantivy's messages name files, fields and internal states, not indexed values.
#[derive(Debug, thiserror::Error)]
pub enum TextIndexError {
    #[error("search index: {0}")]
    Index(#[from] TantivyError),
    #[error("search index directory: {0}")]
    Io(#[from] std::io::Error),
    #[error("search index directory: {0}")]
    OpenDirectory(#[from] tantivy::directory::error::OpenDirectoryError),
    /// The directory holds an index written with another schema (an older version of this module).
    /// The index is only a copy of the store, so the fix is to remove the directory and rebuild.
    #[error("the search index directory holds an index with another schema: remove it to rebuild")]
    Incompatible,
}

/// A word of at least this many characters (and with a letter) also matches with one edit. Shorter
/// words would match too much ("wool" ~ "cool", "wood", "woll"), and numbers are sizes and model
/// numbers where "42" ~ "43" is a different product.
pub const FUZZY_MIN_CHARS: usize = 5;
/// The last query word matches as a prefix from this many characters: one letter matches most of
/// the catalogue and ranks nothing.
pub const PREFIX_MIN_CHARS: usize = 2;
/// The longest text fragment in a [`Snippet`], in characters, ellipses included.
pub const FRAGMENT_CHARS: usize = 150;

/// Field boosts: a word in the name says more about the product than one in its description.
const NAME_BOOST: Score = 5.0;
const SKU_BOOST: Score = 4.0;
const TERMS_BOOST: Score = 2.0;
const SHORT_BOOST: Score = 1.5;
const DESCRIPTION_BOOST: Score = 1.0;
/// Added (times the field boost) for an exact match, so that even a word in nearly every product
/// (BM25's idf near zero) still ranks an exact match above a typo or prefix match.
const EXACT_BONUS: Score = 1.0;
/// The constant score (times the field boost) of a fuzzy match and of a prefix match: well below
/// [`EXACT_BONUS`], so that a typo or prefix match in the name alone (at most 5 × (0.1 + 0.1))
/// ranks below an exact match in the description alone (at least 1 × 1.0 plus BM25).
const FUZZY_SCORE: Score = 0.1;
const PREFIX_SCORE: Score = 0.1;
/// A query that is a whole SKU ranks that product first.
const WHOLE_SKU_BOOST: Score = 50.0;
/// Words past this many are dropped (keeping the last, which is being typed): each word costs a
/// dozen term and automaton queries, and the caller caps queries at 100 characters anyway.
const MAX_QUERY_WORDS: usize = 10;
/// Tokens longer than this (bytes) are not indexed: they are base64 blobs and URLs, not words.
const MAX_TOKEN_BYTES: usize = 40;
/// The indexing arena: one thread (the BFF serves from the other core) and tantivy's minimum of
/// 15 MB is too small for a full walk to stay in few segments; 40 MB keeps RSS modest.
const WRITER_MEMORY_BYTES: usize = 40_000_000;

const WORDS_TOKENIZER: &str = "bff_words";
const WHOLE_TOKENIZER: &str = "bff_whole";
const ID: &str = "id";

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    name: Field,
    /// The whole SKU, lowercased: a query that is exactly a SKU.
    sku: Field,
    /// The SKU's words ("TS-001-BLK": ts, 001, blk).
    sku_parts: Field,
    terms: Field,
    short: Field,
    description: Field,
}

impl Fields {
    /// The fields a query word is looked up in, with their boosts and whether a typo may match
    /// there. SKU parts are codes: "ts002" is a different product from "ts001", not a typo.
    fn searched(&self) -> [(Field, Score, bool); 5] {
        [
            (self.name, NAME_BOOST, true),
            (self.sku_parts, SKU_BOOST, false),
            (self.terms, TERMS_BOOST, true),
            (self.short, SHORT_BOOST, true),
            (self.description, DESCRIPTION_BOOST, true),
        ]
    }
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    // Frequencies for BM25; no positions: there are no phrase queries.
    let words = TextOptions::default()
        .set_indexing_options(TextFieldIndexing::default().set_tokenizer(WORDS_TOKENIZER).set_index_option(IndexRecordOption::WithFreqs));
    // Stored (as plain text) only what snippets show.
    let words_stored = words.clone().set_stored();
    let whole = TextOptions::default()
        .set_indexing_options(TextFieldIndexing::default().set_tokenizer(WHOLE_TOKENIZER).set_index_option(IndexRecordOption::Basic));
    let fields = Fields {
        id: builder.add_u64_field(ID, INDEXED | FAST | STORED),
        name: builder.add_text_field("name", words_stored.clone()),
        sku: builder.add_text_field("sku", whole),
        sku_parts: builder.add_text_field("sku_parts", words.clone()),
        terms: builder.add_text_field("terms", words),
        short: builder.add_text_field("short", words_stored.clone()),
        description: builder.add_text_field("description", words_stored),
    };
    (builder.build(), fields)
}

/// Words: split on non-alphanumerics, lowercased, ASCII-folded. Used for indexing, for the query
/// and for highlighting, so that all three agree on what a word is.
fn words_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// The whole text as one token, lowercased and folded: whole-SKU matching.
fn whole_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(RawTokenizer::default()).filter(LowerCaser).filter(AsciiFoldingFilter).build()
}

/// A word's tokens with their byte ranges in the original text.
fn tokens(analyzer: &TextAnalyzer, text: &str) -> Vec<(usize, usize, String)> {
    // `token_stream` needs `&mut`; a clone keeps `TextIndex` shareable without a lock.
    let mut analyzer = analyzer.clone();
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        let token = stream.token();
        out.push((token.offset_from, token.offset_to, token.text.clone()));
    }
    out
}

/// The typo-tolerant product index. Cheap to clone: clones share one index, writer and reader.
#[derive(Clone)]
pub struct TextIndex {
    /// tantivy allows one writer per index; the lock also orders `apply` against `replace_all`.
    writer: Arc<Mutex<IndexWriter>>,
    reader: IndexReader,
    fields: Fields,
    words: TextAnalyzer,
    whole: TextAnalyzer,
}

impl std::fmt::Debug for TextIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextIndex").field("num_docs", &self.num_docs()).finish_non_exhaustive()
    }
}

impl TextIndex {
    /// An index in RAM, or on disk under `dir` (created if missing, opened if present).
    pub fn open(dir: Option<&Path>) -> Result<Self, TextIndexError> {
        let (schema, fields) = schema();
        let builder = IndexBuilder::new().schema(schema);
        let index = match dir {
            None => builder.create_in_ram()?,
            Some(dir) => {
                std::fs::create_dir_all(dir)?;
                builder.open_or_create(MmapDirectory::open(dir)?).map_err(|e| match e {
                    // open_or_create's only SchemaError: the directory's schema is not ours.
                    TantivyError::SchemaError(_) => TextIndexError::Incompatible,
                    other => TextIndexError::Index(other),
                })?
            }
        };
        let words = words_analyzer();
        let whole = whole_analyzer();
        // Before the writer exists: its segment writers look the tokenizers up by name.
        index.tokenizers().register(WORDS_TOKENIZER, words.clone());
        index.tokenizers().register(WHOLE_TOKENIZER, whole.clone());
        let writer = index.writer_with_num_threads(1, WRITER_MEMORY_BYTES)?;
        // Manual: `apply` reloads right after its commit, so a search never sees a stale index
        // for a reload delay, and nothing polls the directory.
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        Ok(Self { writer: Arc::new(Mutex::new(writer)), reader, fields, words, whole })
    }

    /// Replaces every document (full walk finished) and commits. On an error the previous
    /// contents stay.
    pub fn replace_all(&self, docs: impl IntoIterator<Item = SearchDoc>) -> Result<(), TextIndexError> {
        self.write(|writer| {
            writer.delete_all_documents()?;
            // A walk that saw a product twice (it moved between pages) keeps the later copy
            // instead of indexing it twice.
            let mut seen = std::collections::HashSet::new();
            for doc in docs {
                if !seen.insert(doc.id) {
                    writer.delete_term(Term::from_field_u64(self.fields.id, doc.id));
                }
                writer.add_document(self.document(&doc))?;
            }
            Ok(())
        })
    }

    /// Adds or replaces these products and removes `removed` (a removal wins over an upsert of the
    /// same id), then commits and reloads the reader so the next search sees the change.
    pub fn apply(&self, upserts: Vec<SearchDoc>, removed: &[u64]) -> Result<(), TextIndexError> {
        self.write(|writer| {
            // A delete applies to documents added before it, so each delete-then-add leaves
            // exactly the new version, and the removals after them win.
            for doc in &upserts {
                writer.delete_term(Term::from_field_u64(self.fields.id, doc.id));
                writer.add_document(self.document(doc))?;
            }
            for &id in removed {
                writer.delete_term(Term::from_field_u64(self.fields.id, id));
            }
            Ok(())
        })
    }

    /// Every product matching `q` (up to `limit`), best first (ties: higher id first). A query
    /// without words (empty, punctuation, emoji) matches nothing.
    pub fn search(&self, q: &str, limit: usize) -> Result<Vec<Hit>, TextIndexError> {
        let Some(query) = self.query(q) else { return Ok(Vec::new()) };
        let searcher = self.reader.searcher();
        // TopDocs panics on 0 and allocates 2 × limit up front: bound it by what can match.
        let limit = limit.min(usize::try_from(searcher.num_docs()).unwrap_or(usize::MAX));
        if limit == 0 {
            return Ok(Vec::new());
        }
        let collector = TopDocs::with_limit(limit)
            .order_by(((SortBySimilarityScore, Order::Desc), (SortByStaticFastValue::<u64>::for_field(ID), Order::Desc)));
        let top = searcher.search(&*query, &collector)?;
        Ok(top.into_iter().filter_map(|((score, id), _)| Some(Hit { id: id?, score })).collect())
    }

    /// Snippets for these ids (the page being returned) for query `q`. Ids not in the index are
    /// left out.
    pub fn snippets(&self, q: &str, ids: &[u64]) -> Result<HashMap<u64, Snippet>, TextIndexError> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let matcher = Matcher { words: self.query_words(q) };
        let searcher = self.reader.searcher();
        let query = TermSetQuery::new(ids.iter().map(|&id| Term::from_field_u64(self.fields.id, id)));
        let found = searcher.search(&query, &DocSetCollector)?;
        let mut out = HashMap::with_capacity(found.len());
        for address in found {
            let doc: TantivyDocument = searcher.doc(address)?;
            let Some(id) = doc.get_first(self.fields.id).and_then(|v| v.as_u64()) else { continue };
            let text = |field: Field| doc.get_first(field).and_then(|v| v.as_str()).unwrap_or_default();
            let name = text(self.fields.name);
            let name_html = highlight(name, &self.marks(&matcher, name), 0, name.len());
            let text_html = self.fragment(&matcher, text(self.fields.short), text(self.fields.description));
            out.insert(id, Snippet { name_html, text_html });
        }
        Ok(out)
    }

    /// Changes with every commit the reader has loaded: answers made from one generation are
    /// exact while it lasts (see `hits`).
    pub fn generation(&self) -> u64 {
        self.reader.searcher().generation().generation_id()
    }

    /// What identifies `q`'s matches: its analysed words (the query is built from them alone)
    /// and its whole-SKU form, so spellings that analyse alike share a key.
    pub fn query_key(&self, q: &str) -> String {
        let mut key = String::with_capacity(q.len() + 8);
        for word in self.query_words(q) {
            key.push_str(&word.text);
            key.push(' ');
        }
        key.push('\u{1}');
        if let Some((_, _, whole)) = tokens(&self.whole, q.trim()).into_iter().next() {
            key.push_str(&whole);
        }
        key
    }

    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// The writer, also after a panic while it was held: the panic may have left half a batch
    /// added, so that is rolled back, and the index stays usable rather than failing forever.
    fn writer(&self) -> Result<MutexGuard<'_, IndexWriter>, TextIndexError> {
        match self.writer.lock() {
            Ok(writer) => Ok(writer),
            Err(poisoned) => {
                let mut writer = poisoned.into_inner();
                self.writer.clear_poison();
                writer.rollback()?;
                Ok(writer)
            }
        }
    }

    /// Runs `ops` and commits; then the reader moves to the new commit. On failure the
    /// uncommitted operations are dropped, so that the next write does not commit them.
    fn write(&self, ops: impl FnOnce(&mut IndexWriter) -> Result<(), TextIndexError>) -> Result<(), TextIndexError> {
        let mut writer = self.writer()?;
        let written = ops(&mut writer).and_then(|()| writer.commit().map(drop).map_err(TextIndexError::from));
        if let Err(e) = written {
            if let Err(rollback) = writer.rollback() {
                tracing::warn!(error = %rollback, "search index: rollback after a failed write failed");
            }
            return Err(e);
        }
        drop(writer);
        self.reader.reload()?;
        Ok(())
    }

    fn document(&self, doc: &SearchDoc) -> TantivyDocument {
        let f = self.fields;
        let mut out = TantivyDocument::new();
        out.add_u64(f.id, doc.id);
        out.add_text(f.name, entities(&doc.name));
        let sku = entities(&doc.sku);
        let sku = sku.trim();
        // An empty SKU would index the empty term; no query looks for it, but it is dead weight.
        if !sku.is_empty() {
            out.add_text(f.sku, sku);
            out.add_text(f.sku_parts, sku);
        }
        for term in &doc.terms {
            out.add_text(f.terms, entities(term));
        }
        out.add_text(f.short, html_to_text(&doc.short_description_html));
        out.add_text(f.description, html_to_text(&doc.description_html));
        out
    }

    /// The query's words, in order, without repeats, at most [`MAX_QUERY_WORDS`] (keeping the
    /// last). The analyzer drops every character that is not a letter or digit, so query syntax
    /// (`AND`, `*`, `:`, quotes) is plain text by construction: no query parser sees user input.
    fn query_words(&self, q: &str) -> Vec<QueryWord> {
        let mut words: Vec<String> = Vec::new();
        for (_, _, word) in tokens(&self.words, q) {
            // A repeat adds nothing to an AND, but a repeated last word is still being typed.
            words.retain(|w| *w != word);
            words.push(word);
        }
        if words.len() > MAX_QUERY_WORDS {
            words.drain(MAX_QUERY_WORDS - 1..words.len() - 1);
        }
        let last = words.len().saturating_sub(1);
        words
            .into_iter()
            .enumerate()
            .map(|(i, text)| {
                let chars = text.chars().count();
                QueryWord {
                    fuzzy: chars >= FUZZY_MIN_CHARS && text.chars().any(char::is_alphabetic),
                    prefix: i == last && chars >= PREFIX_MIN_CHARS,
                    text,
                }
            })
            .collect()
    }

    /// All words must match (each in any field), or the whole query is a whole SKU.
    fn query(&self, q: &str) -> Option<Box<dyn Query>> {
        let words = self.query_words(q);
        if words.is_empty() {
            return None;
        }
        let all_words: Box<dyn Query> = Box::new(BooleanQuery::intersection(words.iter().map(|w| self.word_query(w)).collect()));
        let whole = tokens(&self.whole, q.trim()).into_iter().next().map(|(_, _, t)| t).filter(|t| !t.is_empty());
        match whole {
            None => Some(all_words),
            Some(sku) => {
                let sku = Box::new(TermQuery::new(Term::from_field_text(self.fields.sku, &sku), IndexRecordOption::Basic));
                let sku: Box<dyn Query> = Box::new(ConstScoreQuery::new(sku, WHOLE_SKU_BOOST));
                Some(Box::new(BooleanQuery::union(vec![all_words, sku])))
            }
        }
    }

    /// One word in any field: exact (BM25 plus a constant), fuzzy and prefix (constants). The
    /// clauses add up, so an exact match (which the fuzzy and prefix clauses also match) always
    /// outscores a fuzzy or prefix one in the same field.
    fn word_query(&self, word: &QueryWord) -> Box<dyn Query> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (field, boost, typos) in self.fields.searched() {
            let term = Term::from_field_text(field, &word.text);
            clauses.push((
                Occur::Should,
                Box::new(BoostQuery::new(Box::new(TermQuery::new(term.clone(), IndexRecordOption::WithFreqs)), boost)),
            ));
            let exact = Box::new(TermQuery::new(term.clone(), IndexRecordOption::Basic));
            clauses.push((Occur::Should, Box::new(ConstScoreQuery::new(exact, boost * EXACT_BONUS))));
            if word.fuzzy && typos {
                let fuzzy = Box::new(FuzzyTermQuery::new(term.clone(), 1, true));
                clauses.push((Occur::Should, Box::new(BoostQuery::new(fuzzy, boost * FUZZY_SCORE))));
            }
            if word.prefix {
                // Distance 0: a plain prefix; tantivy has no cheaper prefix query on a text field.
                let prefix = Box::new(FuzzyTermQuery::new_prefix(term, 0, true));
                clauses.push((Occur::Should, Box::new(BoostQuery::new(prefix, boost * PREFIX_SCORE))));
            }
        }
        Box::new(BooleanQuery::new(clauses))
    }

    /// Which tokens of `text` a query word matches, as byte ranges.
    fn marks(&self, matcher: &Matcher, text: &str) -> Vec<(usize, usize)> {
        tokens(&self.words, text).into_iter().filter(|(_, _, token)| matcher.matches(token)).map(|(from, to, _)| (from, to)).collect()
    }

    /// The text shown under a hit's name: the short description if a word matched there, else the
    /// description if one matched there, else the start of whichever is not empty.
    fn fragment(&self, matcher: &Matcher, short: &str, description: &str) -> Option<String> {
        let short_marks = self.marks(matcher, short);
        let description_marks = if short_marks.is_empty() { self.marks(matcher, description) } else { Vec::new() };
        let (text, marks) = if !short_marks.is_empty() {
            (short, short_marks)
        } else if !description_marks.is_empty() {
            (description, description_marks)
        } else if !short.is_empty() {
            (short, Vec::new())
        } else if !description.is_empty() {
            (description, Vec::new())
        } else {
            return None;
        };
        Some(fragment_html(&self.words, text, &marks))
    }
}

/// A query word and how it may match.
struct QueryWord {
    text: String,
    fuzzy: bool,
    prefix: bool,
}

/// The query's matching rules applied to one token, for highlighting: the same rules the index
/// query uses, so what is marked is what matched.
struct Matcher {
    words: Vec<QueryWord>,
}

impl Matcher {
    fn matches(&self, token: &str) -> bool {
        self.words
            .iter()
            .any(|w| token == w.text || (w.prefix && token.starts_with(&w.text)) || (w.fuzzy && within_one_edit(token, &w.text)))
    }
}

/// Whether `a` and `b` are at most one insertion, deletion, substitution or transposition of
/// adjacent characters apart (what tantivy's distance-1 automaton with transposition accepts).
fn within_one_edit(a: &str, b: &str) -> bool {
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
fn highlight(text: &str, marks: &[(usize, usize)], from: usize, to: usize) -> String {
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
fn fragment_html(analyzer: &TextAnalyzer, text: &str, marks: &[(usize, usize)]) -> String {
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

/// Entities decoded, whitespace collapsed: names and terms as the Store API sends them.
fn entities(text: &str) -> String {
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

#[cfg(test)]
mod tests {
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
            SearchDoc {
                id: 1,
                name: "Garden chair".into(),
                description_html: "<p>Pairs with our lantern.</p>".into(),
                ..SearchDoc::default()
            },
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
        let index = index_of(vec![
            product(1, "Mug one"),
            SearchDoc { id: 2, name: "Teapot".into(), sku: "MUG-ONE".into(), ..SearchDoc::default() },
        ]);
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
                short_description_html: "<p>&lt;script&gt;alert(1)&lt;/script&gt; A <em>soft</em> hoodie.</p><script>steal()</script>"
                    .into(),
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
}
