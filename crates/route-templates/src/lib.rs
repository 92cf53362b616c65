//! Route templates (`/api/v1/products/{id_or_slug}`) matched against request paths, to label
//! a request by the route it will take before routing: a bounded set of metric label values,
//! whatever paths clients invent.
//!
//! Its own crate because both the BFF's edge layer and the demo store's call counter use it,
//! and the demo store must not depend on the BFF (ARCHITECTURE.md). It uses axum's own path
//! matcher (`matchit`), so a template matches exactly the paths the router sends to it.

use std::collections::HashMap;

/// The label of requests whose path is no route of the server.
pub const UNMATCHED: &str = "unmatched";

/// The server's route templates (`/api/v1/products/{id_or_slug}`), to label a
/// request by the route it will take: a bounded set of metric label values,
/// whatever paths clients invent.
pub struct RouteTemplates {
    matcher: matchit::Router<usize>,
    /// Templates without parameters by their path: one hash lookup instead of a walk of the
    /// matcher's tree for the usual requests. (A static template is also what the matcher
    /// would pick for that path, so the answer is the same.) Read-only, seeded hash.
    exact: HashMap<Box<str>, usize, foldhash::fast::RandomState>,
    templates: Vec<Box<str>>,
}

impl RouteTemplates {
    /// Templates in axum's syntax; a repeated one is kept once.
    pub fn new<'a>(templates: impl IntoIterator<Item = &'a str>) -> Self {
        let mut matcher = matchit::Router::new();
        let mut exact = HashMap::default();
        let mut kept: Vec<Box<str>> = Vec::new();
        for template in templates {
            if kept.iter().any(|t| &**t == template) {
                continue;
            }
            // The router accepted the same template, so the matcher does too.
            matcher.insert(template, kept.len()).expect("route templates are valid and distinct");
            if !template.contains('{') {
                exact.insert(template.into(), kept.len());
            }
            kept.push(template.into());
        }
        Self { matcher, exact, templates: kept }
    }

    /// The template `path` matches, or "unmatched".
    pub fn label(&self, path: &str) -> &str {
        self.name(self.find(path))
    }

    /// The template `path` matches, if any.
    pub fn template(&self, path: &str) -> Option<&str> {
        self.find(path).map(|i| &*self.templates[i])
    }

    /// The index of the template `path` matches, if any: what [`Self::name`] and
    /// per-route tables (metrics) take.
    pub fn find(&self, path: &str) -> Option<usize> {
        if let Some(found) = self.exact.get(path) {
            return Some(*found);
        }
        self.matcher.at(path).ok().map(|m| *m.value)
    }

    /// The template at `found`, or "unmatched".
    pub fn name(&self, found: Option<usize>) -> &str {
        found.map_or(UNMATCHED, |i| &self.templates[i])
    }

    /// How many distinct templates there are (indices run below this).
    pub fn len(&self) -> usize {
        self.templates.len()
    }

    /// Whether there are no templates at all.
    pub fn is_empty(&self) -> bool {
        self.templates.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_labelled_by_the_template_they_take_or_unmatched() {
        let routes =
            RouteTemplates::new(["/api/v1/products", "/api/v1/products/{id_or_slug}", "/docs/", "/docs/{*rest}", "/api/v1/products"]);
        assert_eq!(routes.label("/api/v1/products"), "/api/v1/products");
        assert_eq!(routes.label("/api/v1/products/hoodie-blue"), "/api/v1/products/{id_or_slug}");
        assert_eq!(routes.label("/docs/"), "/docs/");
        assert_eq!(routes.label("/docs/swagger-ui.css"), "/docs/{*rest}");
        // Invented paths share one label, so clients cannot mint label values.
        assert_eq!(routes.label("/api/v1/products/1/nope"), UNMATCHED);
        assert_eq!(routes.label("/wp-admin"), UNMATCHED);
        assert_eq!(routes.label("/api/v1/products/"), UNMATCHED);
    }
}
