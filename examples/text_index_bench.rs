//! What the typo-tolerant product search costs (src/catalogue/index/text.rs), run on purpose:
//! `cargo run --release --example text_index_bench`. Indexes 100,000 synthetic products in RAM
//! (`N=` for another count), then times 2,000 searches of 1–2 words, half with one typo (top 24,
//! as a page), and snippets for each page. Prints build time and p50/p99/max latencies.

use std::time::{Duration, Instant};

use storefront_bff::catalogue::index::text::{SearchDoc, TextIndex};

const ADJECTIVES: &[&str] = &["classic", "vintage", "modern", "premium", "organic", "compact", "rustic", "elegant", "sturdy", "cosy"];
const COLOURS: &[&str] =
    &["black", "white", "navy", "crimson", "olive", "mustard", "charcoal", "ivory", "teal", "burgundy", "silver", "coral"];
const MATERIALS: &[&str] =
    &["cotton", "linen", "leather", "bamboo", "ceramic", "walnut", "wool", "denim", "velvet", "copper", "canvas", "marble"];
const NOUNS: &[&str] = &[
    "hoodie",
    "shirt",
    "jacket",
    "blanket",
    "teapot",
    "lantern",
    "backpack",
    "scarf",
    "sneakers",
    "cushion",
    "wallet",
    "candle",
    "mirror",
    "bookshelf",
    "kettle",
    "sweater",
    "trousers",
    "umbrella",
    "planter",
    "notebook",
];
const FILLER: &[&str] = &[
    "designed",
    "for",
    "everyday",
    "comfort",
    "and",
    "lasting",
    "quality",
    "crafted",
    "with",
    "care",
    "in",
    "small",
    "batches",
    "perfect",
    "gift",
    "easy",
    "to",
    "clean",
    "made",
    "from",
    "responsibly",
    "sourced",
    "materials",
    "our",
    "bestselling",
    "style",
];

/// xorshift64: deterministic runs without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, words: &[&'a str]) -> &'a str {
        words[self.below(words.len())]
    }
}

fn product(id: u64, rng: &mut Rng) -> SearchDoc {
    let (adjective, colour, material, noun) = (rng.pick(ADJECTIVES), rng.pick(COLOURS), rng.pick(MATERIALS), rng.pick(NOUNS));
    let sentence = |rng: &mut Rng, n: usize| (0..n).map(|_| rng.pick(FILLER)).collect::<Vec<_>>().join(" ");
    SearchDoc {
        id,
        name: format!("{} {colour} {material} {noun}", capitalise(adjective)),
        sku: format!("{}-{id:06}-{}", &noun[..3].to_uppercase(), &colour[..3].to_uppercase()),
        terms: vec![format!("{}s", capitalise(noun)), format!("Category {}", id % 60), capitalise(colour)],
        short_description_html: format!("<p>A {adjective} {noun} in {material}. {}.</p>", sentence(rng, 8)),
        description_html: format!(
            "<h2>Details</h2><p>{} <strong>{material}</strong> {}.</p><ul><li>{}</li><li>{}</li></ul>",
            sentence(rng, 25),
            sentence(rng, 20),
            sentence(rng, 6),
            sentence(rng, 6)
        ),
    }
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// One edit on a word of ≥ 5 letters: swap two neighbours, or replace one letter.
fn typo(word: &str, rng: &mut Rng) -> String {
    let mut chars: Vec<char> = word.chars().collect();
    let i = 1 + rng.below(chars.len() - 2);
    if rng.below(2) == 0 {
        chars.swap(i, i + 1);
    } else {
        chars[i] = if chars[i] == 'x' { 'q' } else { 'x' };
    }
    chars.into_iter().collect()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

fn main() {
    let n: u64 = std::env::var("N").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let docs: Vec<SearchDoc> = (1..=n).map(|id| product(id, &mut rng)).collect();
    let index = TextIndex::open(None).expect("open");
    let started = Instant::now();
    index.replace_all(docs).expect("replace_all");
    println!("indexed {} products in {:.2} s", index.num_docs(), started.elapsed().as_secs_f64());

    let mut search = Vec::new();
    let mut snippets = Vec::new();
    let (mut typo_queries, mut typo_found, mut hits_total) = (0, 0, 0);
    for q in 0..2_000 {
        // A noun, half the time after a colour: words every product name is made of, so each
        // query (typo'd or not) has products it should find.
        let mut words = vec![rng.pick(NOUNS).to_owned()];
        if rng.below(2) == 0 {
            words.insert(0, rng.pick(COLOURS).to_owned());
        }
        if q % 2 == 1 {
            // One edit on one word of ≥ 5 letters (every noun has 5 or more).
            let slot = if words.len() == 2 && words[0].len() >= 5 && rng.below(2) == 0 { 0 } else { words.len() - 1 };
            words[slot] = typo(&words[slot], &mut rng);
            typo_queries += 1;
        }
        let query = words.join(" ");
        let t = Instant::now();
        let hits = index.search(&query, 24).expect("search");
        search.push(t.elapsed());
        hits_total += hits.len();
        if q % 2 == 1 && !hits.is_empty() {
            typo_found += 1;
        }
        let ids: Vec<u64> = hits.iter().map(|h| h.id).collect();
        let t = Instant::now();
        let page = index.snippets(&query, &ids).expect("snippets");
        snippets.push(t.elapsed());
        assert_eq!(page.len(), ids.len());
    }
    for (what, times) in [("search (top 24)", &mut search), ("snippets (24 ids)", &mut snippets)] {
        times.sort_unstable();
        println!(
            "{what}: p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms over {} queries",
            percentile(times, 0.50).as_secs_f64() * 1e3,
            percentile(times, 0.99).as_secs_f64() * 1e3,
            times.last().map_or(0.0, |d| d.as_secs_f64() * 1e3),
            times.len()
        );
    }
    println!("{typo_found}/{typo_queries} typo'd queries found products; {:.1} hits per query", hits_total as f64 / 2_000.0);
}
