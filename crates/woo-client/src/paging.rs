//! WooCommerce list paging: `X-WP-Total` / `X-WP-TotalPages`, `per_page` ≤ 100,
//! and a walker for callers that need every item.

use std::future::Future;

use super::UpstreamError;

/// WooCommerce refuses `per_page` above this.
pub const MAX_PER_PAGE: u32 = 100;

/// One page of a WooCommerce list with its paging headers. The `Link` header
/// is ignored on purpose: the captures show it malformed from page 2 on.
#[derive(Debug, Clone)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub total_pages: u32,
}

impl<T> Paged<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Paged<U> {
        Paged { items: self.items.into_iter().map(f).collect(), total: self.total, total_pages: self.total_pages }
    }
}

/// Walks every page of a list: `fetch(page, per_page)` is called for page 1,
/// then for each page up to `X-WP-TotalPages`. Items added while walking can
/// shift pages; callers that need exactness re-run with `modified_after`.
pub async fn walk_all<T, F, Fut>(mut fetch: F) -> Result<Vec<T>, UpstreamError>
where
    F: FnMut(u32, u32) -> Fut,
    Fut: Future<Output = Result<Paged<T>, UpstreamError>>,
{
    let first = fetch(1, MAX_PER_PAGE).await?;
    let total_pages = first.total_pages;
    let mut items = first.items;
    for page in 2..=total_pages {
        let next = fetch(page, MAX_PER_PAGE).await?;
        if next.items.is_empty() {
            break;
        }
        items.extend(next.items);
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn walks_every_page_at_the_maximum_page_size() {
        let data: Vec<u32> = (0..250).collect();
        let mut seen_pages = Vec::new();
        let all = walk_all(|page, per_page| {
            seen_pages.push((page, per_page));
            let start = ((page - 1) * per_page) as usize;
            let items = data.iter().skip(start).take(per_page as usize).copied().collect();
            async move { Ok(Paged { items, total: 250, total_pages: 3 }) }
        })
        .await
        .unwrap();
        assert_eq!(all, (0..250).collect::<Vec<_>>());
        assert_eq!(seen_pages, vec![(1, 100), (2, 100), (3, 100)]);
    }

    #[tokio::test]
    async fn stops_at_the_first_error() {
        let result: Result<Vec<u32>, _> = walk_all(|page, _| async move {
            if page == 1 {
                Ok(Paged { items: vec![1], total: 2, total_pages: 2 })
            } else {
                Err(UpstreamError::Timeout { api: crate::Api::RestApi })
            }
        })
        .await;
        assert!(matches!(result, Err(UpstreamError::Timeout { .. })));
    }
}
