//! Store API `GET /products/reviews`: approved reviews of published products, filtered, ordered and paged like `WP_Comment_Query`.

use sha2::{Digest, Sha256};

use axum::response::Response;

use super::catalogue::{ProductStatus, Review};
use super::http::{store_paging, ApiCtx, Reply, J};
use super::params::{arg, int_param, validate, Arg, Kind};
use super::recipes::{review_text, REVIEWER_NAMES};
use super::render::{iso, long_date, permalink};
use super::store_render::View;
use super::wp::wp_parse_id_list;
use super::StoreState;

const ARGS: &[Arg] = &[
    arg("page", Kind::Int { min: Some(1), max: None }),
    arg("per_page", Kind::Int { min: Some(0), max: Some(100) }),
    arg("offset", Kind::Int { min: None, max: None }),
    arg("order", Kind::Enum(&["asc", "desc"])),
    arg("orderby", Kind::Enum(&["date", "date_gmt", "id", "rating", "product"])),
    arg("category_id", Kind::Str),
    arg("product_id", Kind::Str),
];

/// Reviewer e-mail (generated) for the avatar hash.
fn reviewer_email(author: u16) -> String {
    let name = REVIEWER_NAMES[usize::from(author) % REVIEWER_NAMES.len()];
    format!("{}@example.com", name.to_ascii_lowercase().replace(' ', "."))
}

/// `rest_get_avatar_urls`: Gravatar URLs for sizes 24, 48 and 96 (SHA-256 hashes, which Gravatar accepts).
fn avatars(author: u16) -> J {
    let hash: String = Sha256::digest(reviewer_email(author).as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    let url = |s: u32| format!("https://secure.gravatar.com/avatar/{hash}?s={s}&d=mm&r=g");
    J::obj().with("24", url(24)).with("48", url(48)).with("96", url(96))
}

pub(crate) fn store_reviews(state: &StoreState, ctx: &ApiCtx) -> Response {
    if let Err(e) = validate(&ctx.query, ARGS) {
        return ctx.respond(Reply::error(&e).allow(Some("GET")));
    }
    let cat = state.read();
    let q = &ctx.query;
    let mut products: Vec<u64> = q.get("product_id").map(wp_parse_id_list).unwrap_or_default();
    let category_ids = q.get("category_id").map(wp_parse_id_list).unwrap_or_default();
    if !category_ids.is_empty() {
        let mut family: Vec<u32> = Vec::new();
        for c in &category_ids {
            if let Ok(c) = u32::try_from(*c) {
                family.extend(cat.term_with_descendants(c));
            }
        }
        products.extend(cat.products.iter().filter(|p| p.cats.iter().any(|c| family.contains(c))).map(|p| u64::from(p.id)));
    }
    // Reviews are stored per product, so a product filter only visits those products' reviews.
    let candidates: Vec<&Review> = if products.is_empty() {
        cat.reviews.iter().collect()
    } else {
        products.sort_unstable();
        products.dedup();
        products.iter().filter_map(|&id| cat.product_by_id(id)).flat_map(|p| cat.reviews_of(p)).collect()
    };
    let mut list: Vec<&Review> = candidates
        .into_iter()
        .filter(|r| cat.product_by_id(r.product_id.into()).is_some_and(|p| p.status == ProductStatus::Publish))
        .collect();
    let desc = q.get_str("order").unwrap_or("desc") == "desc";
    match q.get_str("orderby").unwrap_or("date") {
        "id" => list.sort_by_key(|r| r.id),
        "rating" => list.sort_by_key(|r| (r.rating, r.id)),
        "product" => list.sort_by_key(|r| (r.product_id, r.id)),
        _ => list.sort_by_key(|r| (r.created, r.id)),
    }
    if desc {
        list.reverse();
    }
    let total = list.len() as u64;
    let per_page = u64::try_from(int_param(q, "per_page", 10)).unwrap_or(10);
    let page = u64::try_from(int_param(q, "page", 1)).unwrap_or(1).max(1);
    let offset = u64::try_from(int_param(q, "offset", 0)).unwrap_or(0);
    let start = if offset > 0 { offset } else { page.saturating_sub(1).saturating_mul(per_page) };
    let shown: Vec<&Review> = if per_page == 0 {
        list
    } else {
        list.into_iter().skip(usize::try_from(start).unwrap_or(usize::MAX)).take(usize::try_from(per_page).unwrap_or(usize::MAX)).collect()
    };
    let pages = if per_page == 0 { 1 } else { total.div_ceil(per_page) };
    let view = View { cat: &cat, home: &ctx.home, currency: &state.settings.currency };
    let body = J::Arr(
        shown
            .iter()
            .filter_map(|r| {
                let p = cat.product_by_id(r.product_id.into())?;
                let image = p.image.map(|i| view.image(p, i));
                let image = match image {
                    Some(img) => J::obj()
                        .with("id", i64::from(img.id))
                        .with("src", img.src)
                        .with("thumbnail", img.thumbnail)
                        .with("srcset", img.srcset)
                        .with("sizes", img.sizes)
                        .with("name", img.name)
                        .with("alt", img.alt),
                    None => J::Null,
                };
                Some(
                    J::obj()
                        .with("id", i64::from(r.id))
                        .with("date_created", iso(r.created))
                        .with("formatted_date_created", long_date(r.created))
                        .with("date_created_gmt", iso(r.created))
                        .with("product_id", i64::from(p.id))
                        .with("product_name", &*p.name)
                        .with("product_permalink", permalink(&ctx.home, &p.slug))
                        .with("product_image", image)
                        .with("reviewer", REVIEWER_NAMES[usize::from(r.author) % REVIEWER_NAMES.len()])
                        .with("review", format!("<p>{}</p>\n", review_text(r.rating, r.text)))
                        .with("rating", i64::from(r.rating))
                        .with("verified", r.verified)
                        .with("reviewer_avatar_urls", avatars(r.author)),
                )
            })
            .collect(),
    );
    ctx.respond(Reply::json(200, &body).allow(Some("GET")).paging(store_paging(ctx, "/wc/store/v1/products/reviews", page, total, pages)))
}
