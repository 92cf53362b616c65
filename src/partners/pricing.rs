//! A partner's price list: a fixed price per SKU beats a per-category discount, which beats the
//! default discount; the quote says which rule priced the item.

use std::collections::HashMap;

use serde::Serialize;
use utoipa::ToSchema;

use crate::catalogue::views::TermRef;

/// Which price-list rule set the partner price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PriceRule {
    /// A fixed price for this SKU.
    Sku,
    /// A discount for one of the product's categories (the largest, when several match).
    Category,
    /// The partner's default discount.
    Default,
    /// No rule: the shop price.
    None,
}

/// A partner's prices. Discounts are in hundredths of a percent (1250 = 12.5 %).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PriceList {
    pub default_discount_bp: Option<u32>,
    /// Category slug (lower-case) or numeric id as text → discount.
    pub categories: HashMap<String, u32>,
    /// SKU → fixed unit price in minor units.
    pub skus: HashMap<String, i64>,
}

/// A priced item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quote {
    /// Unit price in minor units.
    pub amount: i64,
    pub rule: PriceRule,
    /// The discount applied, for discount rules.
    pub discount_bp: Option<u32>,
}

impl Quote {
    pub fn discount_percent(&self) -> Option<f64> {
        self.discount_bp.map(|bp| f64::from(bp) / 100.0)
    }
}

/// `amount` less `bp` hundredths of a percent, rounded half up.
pub fn discounted(amount: i64, bp: u32) -> i64 {
    let keep = i128::from(10_000u32.saturating_sub(bp));
    let scaled = i128::from(amount) * keep;
    let rounded = if scaled >= 0 { (scaled + 5_000) / 10_000 } else { (scaled - 5_000) / 10_000 };
    i64::try_from(rounded).unwrap_or(amount)
}

impl PriceList {
    /// The partner's unit price for an item whose shop price is `list_price`.
    pub fn quote(&self, sku: Option<&str>, categories: &[TermRef], list_price: i64) -> Quote {
        if let Some(&fixed) = sku.and_then(|s| self.skus.get(s)) {
            return Quote { amount: fixed, rule: PriceRule::Sku, discount_bp: None };
        }
        let category = categories
            .iter()
            .filter_map(|c| self.categories.get(&c.id.to_string()).or_else(|| self.categories.get(&c.slug.to_ascii_lowercase())))
            .copied()
            .max();
        if let Some(bp) = category {
            return Quote { amount: discounted(list_price, bp), rule: PriceRule::Category, discount_bp: Some(bp) };
        }
        match self.default_discount_bp {
            Some(bp) => Quote { amount: discounted(list_price, bp), rule: PriceRule::Default, discount_bp: Some(bp) },
            None => Quote { amount: list_price, rule: PriceRule::None, discount_bp: None },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cat(id: u64, slug: &str) -> TermRef {
        TermRef { id, name: slug.into(), slug: slug.into() }
    }

    #[test]
    fn the_most_specific_rule_wins() {
        let list = PriceList {
            default_discount_bp: Some(500),
            categories: [("shirts".to_string(), 1000), ("17".to_string(), 1500)].into(),
            skus: [("SKU-1".to_string(), 990)].into(),
        };
        let q = list.quote(Some("SKU-1"), &[cat(17, "shirts")], 2000);
        assert_eq!((q.amount, q.rule), (990, PriceRule::Sku));
        let q = list.quote(Some("SKU-2"), &[cat(3, "shirts"), cat(17, "sale")], 2000);
        assert_eq!((q.amount, q.rule, q.discount_bp), (1700, PriceRule::Category, Some(1500)));
        let q = list.quote(None, &[cat(4, "mugs")], 2000);
        assert_eq!((q.amount, q.rule), (1900, PriceRule::Default));
        let q = PriceList::default().quote(None, &[], 2000);
        assert_eq!((q.amount, q.rule), (2000, PriceRule::None));
    }

    #[test]
    fn rounds_half_up() {
        assert_eq!(discounted(999, 1250), 874); // 874.125
        assert_eq!(discounted(1001, 5000), 501); // 500.5
        assert_eq!(discounted(0, 1000), 0);
        assert_eq!(discounted(1234, 0), 1234);
        assert_eq!(discounted(1234, 10_000), 0);
    }
}
