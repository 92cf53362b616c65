//! Catalogue mutations (REST `PUT` and the handle's test helpers): field patches with WooCommerce's save rules, and `date_modified` bumps.

use super::catalogue::{Backorders, Catalogue, ItemRef, ProductStatus, ProductType, StockStatus, Visibility};
use super::http::{WpError, J};

/// Fields a `PUT /products/{id}` (or variation) may change. `Some(None)` clears a price.
#[derive(Debug, Clone, Default)]
pub struct Patch {
    pub name: Option<String>,
    pub regular: Option<Option<u32>>,
    pub sale: Option<Option<u32>>,
    pub status: Option<ProductStatus>,
    pub featured: Option<bool>,
    pub visibility: Option<Visibility>,
    pub sku: Option<String>,
    pub manage_stock: Option<bool>,
    pub stock_quantity: Option<Option<i32>>,
    pub stock_status: Option<StockStatus>,
    pub backorders: Option<Backorders>,
    pub low_stock_amount: Option<Option<u32>>,
}

/// A new modification time: now, but always later than the previous one so every save is visible.
fn bump(old: i64, now: i64) -> i64 {
    now.max(old + 1)
}

impl Catalogue {
    /// Applies `patch` to the product or variation `id` and bumps its `date_modified` (and a variation's parent's).
    pub fn patch(&mut self, id: u64, patch: &Patch, now: i64) -> Result<ItemRef, WpError> {
        let item = self.item(id).ok_or_else(|| WpError::new(400, "woocommerce_rest_product_invalid_id", "Invalid ID."))?;
        if let Some(sku) = &patch.sku {
            let sku = sku.trim();
            if let Some(&owner) = self.skus.get(sku) {
                if u64::from(owner) != id && !sku.is_empty() {
                    let mut e = WpError::new(400, "product_invalid_sku", "Invalid or duplicated SKU.");
                    e.extra.push(("resource_id".into(), J::Int(owner.into())));
                    e.extra.push(("unique_sku".into(), J::Str(format!("{sku}-1"))));
                    return Err(e);
                }
            }
        }
        match item {
            ItemRef::Product(i) => self.patch_product(i as usize, patch, now),
            ItemRef::Variation(i) => self.patch_variation(i as usize, patch, now),
        }
        self.clear_caches();
        Ok(item)
    }

    fn patch_product(&mut self, i: usize, patch: &Patch, now: i64) {
        let old_sku = self.products[i].sku.clone();
        let p = &mut self.products[i];
        if let Some(n) = &patch.name {
            p.name = n.as_str().into();
        }
        // Variable and grouped products take their prices from children.
        if !matches!(p.kind, ProductType::Variable | ProductType::Grouped) {
            if let Some(r) = patch.regular {
                p.regular = r;
            }
            if let Some(s) = patch.sale {
                p.sale = s;
            }
        }
        if let Some(s) = patch.status {
            p.status = s;
        }
        if let Some(f) = patch.featured {
            p.featured = f;
        }
        if let Some(v) = patch.visibility {
            p.visibility = v;
        }
        apply_stock(&mut p.stock, patch);
        if let Some(sku) = &patch.sku {
            p.sku = sku.trim().into();
        }
        p.modified = bump(p.modified, now);
        let (id, modified, new_sku) = (p.id, p.modified, p.sku.clone());
        self.reindex_sku(&old_sku, &new_sku, id);
        self.last_modified = self.last_modified.max(modified);
    }

    fn patch_variation(&mut self, i: usize, patch: &Patch, now: i64) {
        let old_sku = self.variations[i].sku.clone();
        let v = &mut self.variations[i];
        if let Some(Some(r)) = patch.regular {
            v.regular = r;
        }
        if let Some(s) = patch.sale {
            v.sale = s;
        }
        apply_stock(&mut v.stock, patch);
        if let Some(sku) = &patch.sku {
            v.sku = sku.trim().into();
        }
        v.modified = bump(v.modified, now);
        let (id, parent, modified, new_sku) = (v.id, v.parent as usize, v.modified, v.sku.clone());
        // Saving a variation re-syncs (and re-saves) its parent.
        let pm = &mut self.products[parent].modified;
        *pm = bump(*pm, now);
        let parent_modified = *pm;
        self.reindex_sku(&old_sku, &new_sku, id);
        self.last_modified = self.last_modified.max(modified).max(parent_modified);
    }

    fn reindex_sku(&mut self, old: &str, new: &str, id: u32) {
        if old != new {
            if self.skus.get(old) == Some(&id) {
                self.skus.remove(old);
            }
            if !new.is_empty() {
                self.skus.insert(new.into(), id);
            }
        }
    }
}

/// WooCommerce save rules: a managed quantity decides the status; otherwise the status is taken as given.
fn apply_stock(stock: &mut super::catalogue::Stock, patch: &Patch) {
    if let Some(m) = patch.manage_stock {
        stock.manage = m;
        if !m {
            stock.quantity = None;
        }
    }
    if let Some(b) = patch.backorders {
        stock.backorders = b;
    }
    if let Some(a) = patch.low_stock_amount {
        stock.low_amount = a;
    }
    if let Some(q) = patch.stock_quantity {
        if stock.manage {
            stock.quantity = q;
        }
    }
    if stock.manage {
        if stock.quantity.is_none() {
            stock.quantity = Some(0);
        }
        stock.resync_status();
    } else if let Some(s) = patch.stock_status {
        stock.status = s;
    }
}
