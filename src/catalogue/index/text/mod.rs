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

use html::{entities, html_to_text};
use snippets::{fragment_html, highlight, Matcher};

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

mod html;
mod snippets;
#[cfg(test)]
mod tests;
