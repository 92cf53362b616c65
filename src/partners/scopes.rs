//! Partner scopes (`catalog:read`, `stock:read`, `orders:read`, `orders:write`) and sets of them.

use std::fmt;

/// What a partner token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    CatalogRead,
    StockRead,
    OrdersRead,
    OrdersWrite,
}

impl Scope {
    pub const ALL: [Scope; 4] = [Scope::CatalogRead, Scope::StockRead, Scope::OrdersRead, Scope::OrdersWrite];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::CatalogRead => "catalog:read",
            Scope::StockRead => "stock:read",
            Scope::OrdersRead => "orders:read",
            Scope::OrdersWrite => "orders:write",
        }
    }

    pub fn parse(raw: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    pub fn description(self) -> &'static str {
        match self {
            Scope::CatalogRead => "Read the catalogue at the partner's prices",
            Scope::StockRead => "Read stock by SKU",
            Scope::OrdersRead => "Read the partner's own orders",
            Scope::OrdersWrite => "Place bulk orders",
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// A set of scopes; prints space-delimited in a fixed order (the OAuth `scope` form).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ScopeSet(u8);

impl ScopeSet {
    pub fn all() -> Self {
        Scope::ALL.into_iter().collect()
    }

    pub fn contains(self, scope: Scope) -> bool {
        self.0 & scope.bit() != 0
    }

    pub fn insert(&mut self, scope: Scope) {
        self.0 |= scope.bit();
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn is_subset_of(self, other: ScopeSet) -> bool {
        self.0 & !other.0 == 0
    }

    pub fn intersection(self, other: ScopeSet) -> ScopeSet {
        ScopeSet(self.0 & other.0)
    }

    pub fn iter(self) -> impl Iterator<Item = Scope> {
        Scope::ALL.into_iter().filter(move |s| self.contains(*s))
    }

    /// A space-delimited list (RFC 6749 §3.3); `Err` names the first unknown scope.
    pub fn parse_list(raw: &str) -> Result<ScopeSet, String> {
        let mut set = ScopeSet::default();
        for word in raw.split(' ').filter(|w| !w.is_empty()) {
            set.insert(Scope::parse(word).ok_or_else(|| word.chars().take(64).collect::<String>())?);
        }
        Ok(set)
    }
}

impl FromIterator<Scope> for ScopeSet {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        let mut set = ScopeSet::default();
        for s in iter {
            set.insert(s);
        }
        set
    }
}

impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let words: Vec<&str> = self.iter().map(Scope::as_str).collect();
        f.write_str(&words.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_in_a_fixed_order() {
        let set = ScopeSet::parse_list("orders:write  catalog:read").unwrap();
        assert_eq!(set.to_string(), "catalog:read orders:write");
        assert!(set.is_subset_of(ScopeSet::all()));
        assert!(!ScopeSet::all().is_subset_of(set));
        assert_eq!(ScopeSet::parse_list("catalog:read admin").unwrap_err(), "admin");
        assert!(ScopeSet::parse_list("").unwrap().is_empty());
    }
}
