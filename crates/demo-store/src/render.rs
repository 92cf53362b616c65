//! Rendering helpers shared by both APIs: money and `price_html`, dates, permalinks, image URLs and the generated descriptions.

use std::fmt::Write as _;

use super::catalogue::{Catalogue, Product, ProductType, Taxonomy, Term, Variation};
use super::wp::urlencode;

/// Store currency settings as `get_woocommerce_currency*` would report them.
#[derive(Debug, Clone)]
pub struct Currency {
    pub code: String,
    pub symbol: String,
    /// The symbol's HTML entity in Store API `price_html` (kses-normalised, e.g. `&#036;`).
    pub entity_store: String,
    /// The symbol's HTML entity in REST API `price_html` (e.g. `&#36;`).
    pub entity_rest: String,
    pub minor_unit: u32,
}

impl Currency {
    pub fn for_code(code: &str) -> Currency {
        let code = code.trim().to_ascii_uppercase();
        let (symbol, store, rest, minor) = match code.as_str() {
            "USD" | "" => ("$", "&#036;", "&#36;", 2),
            "EUR" => ("€", "&euro;", "&euro;", 2),
            "GBP" => ("£", "&pound;", "&pound;", 2),
            "JPY" => ("¥", "&yen;", "&yen;", 0),
            "CHF" => ("CHF", "&#067;&#072;&#070;", "&#67;&#72;&#70;", 2),
            _ => ("", "", "", 2),
        };
        let code = if code.is_empty() { "USD".to_string() } else { code };
        let symbol = if symbol.is_empty() { code.clone() } else { symbol.to_string() };
        let entity_store = if store.is_empty() { code.clone() } else { store.to_string() };
        let entity_rest = if rest.is_empty() { code.clone() } else { rest.to_string() };
        Currency { code, symbol, entity_store, entity_rest, minor_unit: minor }
    }

    /// "12.00" for 1200 minor units (REST API money, `wc_format_decimal`).
    pub fn decimal(&self, minor: u32) -> String {
        decimal(u64::from(minor), self.minor_unit, false)
    }

    /// `wc_price` as the Store API or the REST API renders it.
    pub fn wc_price(&self, minor: u32, flavour: Flavour) -> String {
        let amount = decimal(u64::from(minor), self.minor_unit, true);
        match flavour {
            Flavour::Store => format!(
                "<span class=\"woocommerce-Price-amount amount\"><span class=\"woocommerce-Price-currencySymbol\">{}</span>{amount}</span>",
                self.entity_store
            ),
            Flavour::Rest => format!(
                "<span class=\"woocommerce-Price-amount amount\"><bdi><span class=\"woocommerce-Price-currencySymbol\">{}</span>{amount}</bdi></span>",
                self.entity_rest
            ),
        }
    }

    fn plain(&self, minor: u32, flavour: Flavour) -> String {
        let entity = match flavour {
            Flavour::Store => &self.entity_store,
            Flavour::Rest => &self.entity_rest,
        };
        format!("{entity}{}", decimal(u64::from(minor), self.minor_unit, true))
    }

    /// `wc_format_sale_price`.
    pub fn sale_html(&self, regular: u32, price: u32, flavour: Flavour) -> String {
        format!(
            "<del aria-hidden=\"true\">{}</del> <span class=\"screen-reader-text\">Original price was: {}.</span><ins aria-hidden=\"true\">{}</ins><span class=\"screen-reader-text\">Current price is: {}.</span>",
            self.wc_price(regular, flavour),
            self.plain(regular, flavour),
            self.wc_price(price, flavour),
            self.plain(price, flavour)
        )
    }

    /// `wc_format_price_range`.
    pub fn range_html(&self, min: u32, max: u32, flavour: Flavour) -> String {
        format!("{} &ndash; {}", self.wc_price(min, flavour), self.wc_price(max, flavour))
    }
}

/// Which API's markup to produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    Store,
    Rest,
}

/// Minor units to a decimal string, optionally with `,` thousand separators.
pub fn decimal(minor: u64, places: u32, thousands: bool) -> String {
    let div = 10u64.pow(places);
    let (units, frac) = (minor / div, minor % div);
    let mut int = units.to_string();
    if thousands && int.len() > 3 {
        let mut grouped = String::with_capacity(int.len() + int.len() / 3);
        for (i, c) in int.chars().enumerate() {
            if i > 0 && (int.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(c);
        }
        int = grouped;
    }
    if places == 0 {
        int
    } else {
        format!("{int}.{frac:0width$}", width = places as usize)
    }
}

impl Catalogue {
    /// `price_html` of a product or the parent of a variation.
    pub fn price_html(&self, p: &Product, cur: &Currency, flavour: Flavour) -> String {
        match p.kind {
            ProductType::Variable | ProductType::Grouped => {
                let prices: Vec<(u32, u32)> = match p.kind {
                    ProductType::Variable => self.variations_of(p).iter().map(|v| (v.price(), v.regular)).collect(),
                    _ => p
                        .children
                        .iter()
                        .filter_map(|&id| self.product_by_id(id.into()))
                        .filter_map(|k| self.lookup(k).min_price.map(|m| (m, k.regular.unwrap_or(m))))
                        .collect(),
                };
                let (Some(min), Some(max)) = (prices.iter().map(|x| x.0).min(), prices.iter().map(|x| x.0).max()) else {
                    return String::new();
                };
                let min_reg = prices.iter().map(|x| x.1).min().unwrap_or(min);
                let max_reg = prices.iter().map(|x| x.1).max().unwrap_or(max);
                if min != max {
                    cur.range_html(min, max, flavour)
                } else if self.lookup(p).on_sale && min_reg == max_reg {
                    cur.sale_html(max_reg, min, flavour)
                } else {
                    cur.wc_price(min, flavour)
                }
            }
            _ => match p.regular {
                Some(r) if super::pricing::is_on_sale(r, p.sale) => cur.sale_html(r, super::pricing::active_price(r, p.sale), flavour),
                Some(r) => cur.wc_price(r, flavour),
                None => String::new(),
            },
        }
    }

    pub fn variation_price_html(&self, v: &Variation, cur: &Currency, flavour: Flavour) -> String {
        if v.on_sale() {
            cur.sale_html(v.regular, v.price(), flavour)
        } else {
            cur.wc_price(v.price(), flavour)
        }
    }

    /// `/product-category/parent/child/` path of a category.
    pub fn term_link(&self, home: &str, t: &Term) -> String {
        match t.taxonomy {
            Taxonomy::Category => {
                let mut chain = vec![t.slug.to_string()];
                let mut parent = t.parent;
                while let Some(p) = (parent != 0).then(|| self.term(parent)).flatten() {
                    chain.push(p.slug.to_string());
                    parent = p.parent;
                    if chain.len() > 16 {
                        break;
                    }
                }
                chain.reverse();
                format!("{home}/product-category/{}/", chain.join("/"))
            }
            Taxonomy::Tag => format!("{home}/product-tag/{}/", t.slug),
            Taxonomy::Attribute(_) => format!("{home}/?taxonomy=pa&term={}", t.slug),
        }
    }

    /// Terms of a product sorted by name, as `get_the_terms` returns them.
    pub fn sorted_terms<'a>(&'a self, ids: &[u32]) -> Vec<&'a Term> {
        let mut terms: Vec<&Term> = ids.iter().filter_map(|&id| self.term(id)).collect();
        terms.sort_by_cached_key(|t| t.name.to_ascii_lowercase());
        terms
    }

    /// The `?attribute_pa_size=s&attribute_pa_color=red` pairs of a variation.
    pub fn variation_query_pairs(&self, v: &Variation) -> Vec<(String, String)> {
        let parent = self.parent_of(v);
        parent
            .attrs
            .iter()
            .zip(v.values.iter())
            .map(|(a, &val)| match &a.spec {
                super::catalogue::AttrSpec::Global { attr_id, terms } => {
                    let key = self.attribute(*attr_id).map(|x| x.slug.to_string()).unwrap_or_default();
                    let slug = terms.get(usize::from(val)).and_then(|&t| self.term(t)).map(|t| t.slug.to_string()).unwrap_or_default();
                    (format!("attribute_{key}"), slug)
                }
                super::catalogue::AttrSpec::Local { name, options } => {
                    let opt = options.get(usize::from(val)).map(|o| o.to_string()).unwrap_or_default();
                    (format!("attribute_{}", super::wp::sanitize_title(name)), opt)
                }
            })
            .collect()
    }

    /// Variation permalink: the parent's with the attribute choices appended.
    pub fn variation_permalink(&self, home: &str, v: &Variation) -> String {
        let mut url = permalink(home, &self.parent_of(v).slug);
        for (i, (k, val)) in self.variation_query_pairs(v).iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            let _ = write!(url, "{k}={}", urlencode(val));
        }
        url
    }
}

pub fn permalink(home: &str, slug: &str) -> String {
    format!("{home}/product/{slug}/")
}

/// Image URLs of a product's main image: (src, thumbnail, srcset).
pub fn image_urls(home: &str, p: &Product, image_id: u32) -> (String, String, String) {
    let (y, m, _) = ymd(super::generate::post_time(image_id));
    let base = format!("{home}/wp-content/uploads/{y}/{m:02}/img-{}", p.sku);
    let src = format!("{base}.png");
    let size = |s: &str| format!("{base}-{s}.png");
    let srcset = format!(
        "{src} 800w, {} 300w, {} 150w, {} 768w, {} 600w, {} 100w",
        size("300x300"),
        size("150x150"),
        size("768x768"),
        size("600x600"),
        size("100x100")
    );
    (src, size("300x300"), srcset)
}

/// Generated short description (REST adds a trailing newline, as `wpautop` leaves it).
pub fn short_description(p: &Product) -> String {
    match p.kind {
        ProductType::Variable => format!("<p>{} &mdash; pick your options.</p>", p.name),
        ProductType::Simple => format!("<p>{} &mdash; short description.</p>", p.name),
        _ => String::new(),
    }
}

pub fn description(p: &Product) -> String {
    match p.kind {
        ProductType::Variable => format!("<p>{} is a variable product in the demo catalogue.</p>", p.name),
        ProductType::Simple => format!("<p>{} is part of the demo catalogue.</p>\n<p>SKU {}.</p>", p.name, p.sku),
        _ => String::new(),
    }
}

/// WordPress `wpautop` output keeps a trailing newline after the last paragraph.
pub fn with_newline(s: String) -> String {
    if s.is_empty() {
        s
    } else {
        s + "\n"
    }
}

/// Days since 1970-01-01 to (year, month, day) — Howard Hinnant's civil_from_days.
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

pub fn ymd(ts: i64) -> (i64, u32, u32) {
    civil(ts.div_euclid(86_400))
}

/// `2026-11-28T19:38:46` (the store runs on UTC, so local and GMT agree).
pub fn iso(ts: i64) -> String {
    let (y, m, d) = ymd(ts);
    let secs = ts.rem_euclid(86_400);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}", secs / 3600, secs % 3600 / 60, secs % 60)
}

/// `get_comment_date( 'F j, Y' )`.
pub fn long_date(ts: i64) -> String {
    const MONTHS: [&str; 12] =
        ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
    let (y, m, d) = ymd(ts);
    format!("{} {d}, {y}", MONTHS[(m as usize).saturating_sub(1) % 12])
}

/// Days from civil date (inverse of `civil`).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `rest_parse_date`: `YYYY-MM-DDTHH:MM:SS[.frac][Z|±HH[:MM]]`; no zone means site time (UTC).
pub fn parse_rest_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 19 {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(r)?;
        part.bytes().all(|c| c.is_ascii_digit()).then(|| part.parse().ok()).flatten()
    };
    if b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (y, mo, d, h, mi, se) = (num(0..4)?, num(5..7)?, num(8..10)?, num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return None;
        }
        rest = &frac[n..];
    }
    let offset = match rest {
        "" | "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let tz = &rest[1..];
            let (hh, mm) = match tz.len() {
                2 => (tz, "00"),
                5 if tz.as_bytes()[2] == b':' => (&tz[..2], &tz[3..]),
                _ => return None,
            };
            let (hh, mm): (i64, i64) = (hh.parse().ok()?, mm.parse().ok()?);
            sign * (hh * 3600 + mm * 60)
        }
    };
    let days = days_from_civil(y, mo as u32, d as u32);
    Some(days * 86_400 + h * 3600 + mi * 60 + se - offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        assert_eq!(iso(1_795_894_727), "2026-11-28T19:38:47");
        assert_eq!(parse_rest_date("2026-11-28T19:38:47"), Some(1_795_894_727));
        assert_eq!(parse_rest_date("2026-11-28T20:38:47+01:00"), Some(1_795_894_727));
        assert_eq!(parse_rest_date("yesterday"), None);
        assert_eq!(long_date(1_795_894_727), "November 28, 2026");
    }

    #[test]
    fn money() {
        let usd = Currency::for_code("USD");
        assert_eq!(usd.decimal(1250), "12.50");
        assert_eq!(decimal(12_345_678, 2, true), "123,456.78");
        assert_eq!(
            usd.wc_price(49900, Flavour::Store),
            "<span class=\"woocommerce-Price-amount amount\"><span class=\"woocommerce-Price-currencySymbol\">&#036;</span>499.00</span>"
        );
    }
}
