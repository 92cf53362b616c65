//! Category and tag filters by slug: WooCommerce 8.9's Store API takes term ids only (a slug
//! is `absint`ed to 0 and matches nothing), so the BFF turns slugs into ids from its own cached
//! taxonomy lists before it asks the store.

use serde::Deserialize;

use super::Catalogue;
use crate::error::ApiError;
use crate::upstream::store::StoreProductQuery;

/// The id the store gives a term that does not exist: it matches no product, as an unknown
/// id does at the store.
const NO_TERM: &str = "0";

#[derive(Deserialize)]
struct Listed {
    items: Vec<Named>,
}

#[derive(Deserialize)]
struct Named {
    id: u64,
    slug: String,
}

fn all_ids(list: &str) -> bool {
    list.split(',').all(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
}

/// `list` (comma-separated ids or slugs) as ids; unknown slugs become [`NO_TERM`].
fn to_ids(list: &str, known: &[Named]) -> String {
    let ids: Vec<String> = list
        .split(',')
        .map(|v| {
            if v.bytes().all(|b| b.is_ascii_digit()) {
                return v.to_string();
            }
            known.iter().find(|t| t.slug == v).map_or_else(|| NO_TERM.to_string(), |t| t.id.to_string())
        })
        .collect();
    ids.join(",")
}

impl Catalogue {
    /// The store's spelling of a validated filter: slugs in `category` and `tag` become ids,
    /// read from the cached `/categories` and `/tags` answers (no store call while those are fresh).
    pub(super) async fn with_term_ids(&self, mut filter: StoreProductQuery) -> Result<StoreProductQuery, ApiError> {
        if let Some(list) = filter.category.as_deref().filter(|l| !all_ids(l)) {
            let known = self.term_list(self.categories().await?.entry.body.as_ref())?;
            filter.category = Some(to_ids(list, &known));
        }
        if let Some(list) = filter.tag.as_deref().filter(|l| !all_ids(l)) {
            let known = self.term_list(self.tags().await?.entry.body.as_ref())?;
            filter.tag = Some(to_ids(list, &known));
        }
        Ok(filter)
    }

    fn term_list(&self, body: &[u8]) -> Result<Vec<Named>, ApiError> {
        serde_json::from_slice::<Listed>(body).map(|l| l.items).map_err(|e| ApiError::json("reading a cached taxonomy list", &e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_become_ids_and_unknown_slugs_match_nothing() {
        let known = vec![Named { id: 18, slug: "hoodies".into() }, Named { id: 17, slug: "t-shirts".into() }];
        assert_eq!(to_ids("hoodies", &known), "18");
        assert_eq!(to_ids("hoodies,17,t-shirts", &known), "18,17,17");
        assert_eq!(to_ids("nosuch", &known), "0");
        assert!(all_ids("18,17"));
        assert!(!all_ids("18,hoodies"));
    }
}
