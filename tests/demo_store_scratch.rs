use std::time::Instant;
use storefront_bff::demo_store::*;
#[tokio::test(flavor = "multi_thread")]
async fn scratch() {
    let t = Instant::now();
    let h = spawn(
        "127.0.0.1:0".parse().unwrap(),
        DemoStoreConfig {
            products: 100_000,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    println!("spawn 100k: {:?}", t.elapsed());
    let c = reqwest::Client::new();
    for path in ["/products", "/products", "/products?per_page=100", "/products?orderby=price&order=asc", "/products?orderby=title", "/products?orderby=title", "/products?orderby=title", "/products", "/products?orderby=price&order=asc", "/products/categories", "/products?category=clothing&on_sale=true", "/products?search=tee", "/products?stock_status=outofstock", "/products/categories", "/products/collection-data?calculate_price_range=true&calculate_stock_status_counts=true&calculate_attribute_counts[0][taxonomy]=pa_color", "/products/reviews?product_id=43"] {
        let t = Instant::now();
        let r = c.get(format!("{}/wp-json/wc/store/v1{}", h.url(), path)).send().await.unwrap();
        let st = r.status();
        let n = r.bytes().await.unwrap().len();
        println!("{path}: {st} {n}B {:?}", t.elapsed());
    }
}
