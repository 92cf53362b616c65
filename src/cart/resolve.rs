//! Turns "add this product" as a frontend says it (id, slug or SKU, plus
//! attributes in any of WooCommerce's spellings) into the exact Store API
//! add-item request, resolving a variable product to its variation here so
//! the shopper gets a precise 422 instead of the store's vague refusal.

use std::collections::BTreeMap;

use crate::catalogue::views::{ProductDetail, ProductType};
use crate::catalogue::{Catalogue, ProductRef};
use crate::error::{ApiError, FieldError};
use crate::upstream::cart_models::{AddItemRequest, VariationChoice};
use crate::upstream::store::StoreProductQuery;
use crate::upstream::StoreClient;

/// What identifies the product to add.
pub enum Target {
    Id(u64),
    Slug(String),
    Sku(String),
}

async fn detail(catalogue: &Catalogue, which: ProductRef) -> Result<ProductDetail, ApiError> {
    let cached = catalogue.product(&which).await?;
    serde_json::from_slice(&cached.entry.body).map_err(|e| ApiError::json("reading a cached product", &e))
}

/// Finds a product id by SKU (variations included, as WooCommerce's SKUs are).
async fn id_by_sku(store: &StoreClient, sku: &str) -> Result<u64, ApiError> {
    for kind in [None, Some("variation".to_string())] {
        let query = StoreProductQuery { page: 1, per_page: 1, sku: Some(sku.to_string()), kind, ..Default::default() };
        let found = store.products(&query).await.map_err(|e| ApiError::from_upstream(e, "product_not_found"))?;
        if let Some(p) = found.items.into_iter().find(|p| p.sku.eq_ignore_ascii_case(sku)) {
            return Ok(p.id);
        }
    }
    Err(ApiError::NotFound { code: "product_not_found", message: format!("No product with SKU {sku}.") })
}

/// `attribute_pa_size`, `pa_size`, `size` and `Size` all name the same attribute.
fn normalise_attribute(name: &str) -> String {
    let lower = name.trim().to_lowercase();
    lower.strip_prefix("attribute_").unwrap_or(&lower).to_string()
}

/// Resolves the request; returns the add-item body and the cart item id it
/// will produce (the variation id for variable products).
pub async fn resolve(
    catalogue: &Catalogue,
    store: &StoreClient,
    target: Target,
    quantity: u32,
    chosen: &BTreeMap<String, String>,
) -> Result<(AddItemRequest, u64), ApiError> {
    let which = match target {
        Target::Id(id) => ProductRef::Id(id),
        Target::Slug(slug) => ProductRef::Slug(slug),
        Target::Sku(sku) => ProductRef::Id(id_by_sku(store, &sku).await?),
    };
    let mut product = detail(catalogue, which).await?;
    let mut chosen = chosen.clone();
    if product.summary.kind == ProductType::Variation {
        // A variation named directly: add it through its parent, with its own attributes.
        let variation_id = product.summary.id;
        let parent_id = product.parent_id.ok_or(ApiError::internal("a variation without a parent id"))?;
        product = detail(catalogue, ProductRef::Id(parent_id)).await?;
        if let Some(own) = product.variations.iter().find(|v| v.id == variation_id) {
            for (name, value) in &own.attributes {
                if !value.is_empty() {
                    chosen.entry(name.clone()).or_insert_with(|| value.clone());
                }
            }
        }
    }
    if product.summary.kind != ProductType::Variable {
        if let Some(name) = chosen.keys().next() {
            return Err(ApiError::field(format!("variation.{name}"), "this product has no variations"));
        }
        let id = product.summary.id;
        return Ok((AddItemRequest { id, quantity, variation: Vec::new() }, id));
    }
    choose_variation(&product, quantity, &chosen)
}

fn choose_variation(product: &ProductDetail, quantity: u32, chosen: &BTreeMap<String, String>) -> Result<(AddItemRequest, u64), ApiError> {
    let attributes: Vec<_> = product.attributes.iter().filter(|a| a.has_variations).collect();
    let mut errors = Vec::new();
    // label → (store attribute name, term slug)
    let mut picked: BTreeMap<String, (String, String)> = BTreeMap::new();
    for (raw_name, raw_value) in chosen {
        let name = normalise_attribute(raw_name);
        let Some(attr) = attributes.iter().find(|a| {
            let taxonomy = a.taxonomy.as_deref().unwrap_or("").to_lowercase();
            taxonomy == name || a.name.to_lowercase() == name || (!taxonomy.is_empty() && taxonomy == format!("pa_{name}"))
        }) else {
            let known: Vec<&str> = attributes.iter().map(|a| a.name.as_str()).collect();
            errors.push(FieldError::new(
                format!("variation.{raw_name}"),
                format!("unknown attribute; expected one of: {}", known.join(", ")),
            ));
            continue;
        };
        let value = raw_value.trim().to_lowercase();
        match attr.terms.iter().find(|t| t.slug == value || t.name.to_lowercase() == value) {
            Some(term) => {
                let store_name = attr.taxonomy.clone().filter(|t| !t.is_empty()).unwrap_or_else(|| attr.name.clone());
                picked.insert(attr.name.clone(), (store_name, term.slug.clone()));
            }
            None => {
                let known: Vec<&str> = attr.terms.iter().map(|t| t.slug.as_str()).collect();
                errors.push(FieldError::new(
                    format!("variation.{raw_name}"),
                    format!("unknown value; expected one of: {}", known.join(", ")),
                ));
            }
        }
    }
    for attr in &attributes {
        if !picked.contains_key(&attr.name) && !errors.iter().any(|e| e.field.ends_with(&attr.name)) {
            errors.push(FieldError::new(format!("variation.{}", attr.name), "required to choose a variation"));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let matches = |v: &&crate::catalogue::views::VariationRef| {
        picked.iter().all(|(label, (_, slug))| {
            v.attributes
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(label))
                .is_none_or(|(_, value)| value.is_empty() || value.eq_ignore_ascii_case(slug))
        })
    };
    let Some(variation) = product.variations.iter().find(matches) else {
        let wanted: Vec<String> = picked.iter().map(|(label, (_, slug))| format!("{label}={slug}")).collect();
        return Err(ApiError::Rejected {
            status: axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            code: "variation_not_found",
            message: format!("No variation of this product has {}.", wanted.join(", ")),
        });
    };
    let variation_choices = picked.into_values().map(|(attribute, value)| VariationChoice { attribute, value }).collect();
    Ok((AddItemRequest { id: product.summary.id, quantity, variation: variation_choices }, variation.id))
}
