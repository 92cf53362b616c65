//! REST API v3 rendering: catalogue records to the v3 product, variation and category shapes (prices as decimal strings, WooCommerce's derived fields).

use super::catalogue::{AttrSpec, Catalogue, Product, ProductStatus, ProductType, Stock, StockStatus, Term, Variation};
use super::http::J;
use super::render::{description, image_urls, iso, permalink, short_description, with_newline, Currency, Flavour};
use super::rest_shapes::{
    Attrs, DefaultAttr, Dimensions, Href, Links, RestAttr, RestImage, RestProduct, RestVariation, TermBrief, VarAttr,
};

/// Rendering context for the REST API.
pub struct RestView<'a> {
    pub cat: &'a Catalogue,
    pub home: &'a str,
    pub currency: &'a Currency,
}

fn weight(grams: u32) -> String {
    if grams == 0 {
        return String::new();
    }
    let kg = format!("{}.{:03}", grams / 1000, grams % 1000);
    kg.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn dims(d: Option<[u16; 3]>) -> Dimensions {
    match d {
        Some([l, w, h]) => Dimensions { length: l.to_string(), width: w.to_string(), height: h.to_string() },
        None => Dimensions { length: String::new(), width: String::new(), height: String::new() },
    }
}

fn backordered(stock: &Stock) -> bool {
    stock.status == StockStatus::OnBackorder
        || (stock.manage && stock.backorders != super::catalogue::Backorders::No && stock.quantity.unwrap_or(0) < 0)
}

impl RestView<'_> {
    fn href(&self, path: &str) -> Vec<Href> {
        vec![Href { href: format!("{}/wp-json/wc/v3{path}", self.home) }]
    }

    pub fn image(&self, p: &Product, image_id: u32) -> RestImage {
        let (src, _, _) = image_urls(self.home, p, image_id);
        let t = iso(super::generate::post_time(image_id));
        RestImage {
            id: image_id,
            date_created: t.clone(),
            date_created_gmt: t.clone(),
            date_modified: t.clone(),
            date_modified_gmt: t,
            src,
            name: p.name.to_string(),
            alt: p.name.to_string(),
        }
    }

    fn terms(&self, ids: &[u32]) -> Vec<TermBrief> {
        self.cat.sorted_terms(ids).into_iter().map(|t| TermBrief { id: t.id, name: t.name.to_string(), slug: t.slug.to_string() }).collect()
    }

    fn attributes(&self, p: &Product) -> (Vec<RestAttr>, Vec<DefaultAttr>) {
        let mut attrs = Vec::new();
        let mut defaults = Vec::new();
        for (pos, a) in p.attrs.iter().enumerate() {
            match &a.spec {
                AttrSpec::Global { attr_id, terms } => {
                    let attr = self.cat.attribute(*attr_id);
                    let name = attr.map(|x| x.name.to_string()).unwrap_or_default();
                    let term_list: Vec<&Term> = terms.iter().filter_map(|&t| self.cat.term(t)).collect();
                    if let Some(d) = a.default.and_then(|d| term_list.get(usize::from(d))) {
                        defaults.push(DefaultAttr { id: *attr_id, name: name.clone(), option: d.slug.to_string() });
                    }
                    attrs.push(RestAttr {
                        id: *attr_id,
                        name,
                        slug: attr.map(|x| x.slug.to_string()).unwrap_or_default(),
                        position: pos,
                        visible: true,
                        variation: a.variation,
                        options: term_list.iter().map(|t| t.name.to_string()).collect(),
                    });
                }
                AttrSpec::Local { name, options } => {
                    if let Some(d) = a.default.and_then(|d| options.get(usize::from(d))) {
                        defaults.push(DefaultAttr { id: 0, name: name.to_string(), option: d.to_string() });
                    }
                    attrs.push(RestAttr {
                        id: 0,
                        name: name.to_string(),
                        slug: name.to_string(),
                        position: pos,
                        visible: true,
                        variation: a.variation,
                        options: options.iter().map(|o| o.to_string()).collect(),
                    });
                }
            }
        }
        (attrs, defaults)
    }

    /// Up to five other published products sharing a category or tag (WooCommerce picks them at random; this is stable).
    fn related(&self, p: &Product) -> Vec<u32> {
        let n = self.cat.products.len();
        let start = self.cat.products.iter().position(|x| x.id == p.id).unwrap_or(0);
        (1..n)
            .map(|k| &self.cat.products[(start + k) % n])
            .filter(|o| {
                o.status == ProductStatus::Publish
                    && (o.cats.iter().any(|c| p.cats.contains(c)) || o.tags.iter().any(|t| p.tags.contains(t)))
            })
            .take(5)
            .map(|o| o.id)
            .collect()
    }

    pub fn product(&self, p: &Product) -> RestProduct {
        let look = self.cat.lookup(p);
        let cur = self.currency;
        let price = look.min_price.map(|m| cur.decimal(m)).unwrap_or_default();
        let (regular, sale) = match p.kind {
            ProductType::Variable | ProductType::Grouped => (String::new(), String::new()),
            _ => (p.regular.map(|r| cur.decimal(r)).unwrap_or_default(), p.sale.map(|s| cur.decimal(s)).unwrap_or_default()),
        };
        let (attributes, default_attributes) = self.attributes(p);
        let t_created = iso(p.created);
        let t_modified = iso(p.modified);
        let (external_url, button_text) =
            p.external.as_deref().map(|(u, b)| (format!("{}{u}", self.home), b.to_string())).unwrap_or_default();
        RestProduct {
            id: p.id,
            name: p.name.to_string(),
            slug: p.slug.to_string(),
            permalink: permalink(self.home, &p.slug),
            date_created: t_created.clone(),
            date_created_gmt: t_created,
            date_modified: t_modified.clone(),
            date_modified_gmt: t_modified,
            kind: p.kind.as_str(),
            status: p.status.as_str(),
            featured: p.featured,
            catalog_visibility: p.visibility.as_str(),
            description: with_newline(description(p)),
            short_description: with_newline(short_description(p)),
            sku: p.sku.to_string(),
            price,
            regular_price: regular,
            sale_price: sale,
            date_on_sale_from: None,
            date_on_sale_from_gmt: None,
            date_on_sale_to: None,
            date_on_sale_to_gmt: None,
            on_sale: look.on_sale,
            purchasable: !matches!(p.kind, ProductType::Grouped | ProductType::External) && look.min_price.is_some(),
            total_sales: p.total_sales,
            is_virtual: p.is_virtual,
            downloadable: false,
            downloads: Vec::new(),
            download_limit: -1,
            download_expiry: -1,
            external_url,
            button_text,
            tax_status: "taxable",
            tax_class: "",
            manage_stock: p.stock.manage,
            stock_quantity: p.stock.quantity.filter(|_| p.stock.manage),
            backorders: p.stock.backorders.as_str(),
            backorders_allowed: p.stock.backorders != super::catalogue::Backorders::No,
            backordered: backordered(&p.stock),
            low_stock_amount: p.stock.low_amount,
            sold_individually: p.sold_individually,
            weight: weight(p.weight_g),
            dimensions: dims(p.dims),
            shipping_required: !p.is_virtual,
            shipping_taxable: !p.is_virtual,
            shipping_class: "",
            shipping_class_id: 0,
            reviews_allowed: true,
            average_rating: format!("{:.2}", self.cat.average_rating(p)),
            rating_count: p.review_len,
            upsell_ids: Vec::new(),
            cross_sell_ids: Vec::new(),
            parent_id: 0,
            purchase_note: "",
            categories: self.terms(&p.cats),
            tags: self.terms(&p.tags),
            images: p.image.map(|i| self.image(p, i)).into_iter().collect(),
            attributes: Attrs::Product(attributes),
            default_attributes,
            variations: self.cat.variations_of(p).iter().map(|v| v.id).collect(),
            grouped_products: p.children.to_vec(),
            menu_order: p.menu_order,
            price_html: self.cat.price_html(p, cur, Flavour::Rest),
            related_ids: self.related(p),
            meta_data: Vec::new(),
            stock_status: look.stock_status.as_str(),
            has_options: p.kind == ProductType::Variable,
            post_password: "",
            _links: Links { self_: self.href(&format!("/products/{}", p.id)), collection: self.href("/products"), up: None },
        }
    }

    pub fn variation(&self, v: &Variation) -> RestVariation {
        let parent = self.cat.parent_of(v);
        let cur = self.currency;
        let t_created = iso(v.created);
        let t_modified = iso(v.modified);
        let attributes = self.variation_attrs(v);
        RestVariation {
            id: v.id,
            date_created: t_created.clone(),
            date_created_gmt: t_created,
            date_modified: t_modified.clone(),
            date_modified_gmt: t_modified,
            description: String::new(),
            permalink: self.cat.variation_permalink(self.home, v),
            sku: v.sku.to_string(),
            price: cur.decimal(v.price()),
            regular_price: cur.decimal(v.regular),
            sale_price: v.sale.map(|s| cur.decimal(s)).unwrap_or_default(),
            date_on_sale_from: None,
            date_on_sale_from_gmt: None,
            date_on_sale_to: None,
            date_on_sale_to_gmt: None,
            on_sale: v.on_sale(),
            status: "publish",
            purchasable: parent.status == ProductStatus::Publish,
            is_virtual: false,
            downloadable: false,
            downloads: Vec::new(),
            download_limit: -1,
            download_expiry: -1,
            tax_status: "taxable",
            tax_class: "",
            manage_stock: v.stock.manage,
            stock_quantity: v.stock.quantity.filter(|_| v.stock.manage),
            stock_status: v.stock.status.as_str(),
            backorders: v.stock.backorders.as_str(),
            backorders_allowed: v.stock.backorders != super::catalogue::Backorders::No,
            backordered: backordered(&v.stock),
            low_stock_amount: v.stock.low_amount,
            weight: weight(v.weight_g),
            dimensions: dims(None),
            shipping_class: "",
            shipping_class_id: 0,
            image: parent.image.map(|i| self.image(parent, i)),
            attributes,
            menu_order: 0,
            meta_data: Vec::new(),
            name: self.cat.variation_labels(v).join(", "),
            parent_id: parent.id,
            _links: Links {
                self_: self.href(&format!("/products/{}/variations/{}", parent.id, v.id)),
                collection: self.href(&format!("/products/{}/variations", parent.id)),
                up: Some(self.href(&format!("/products/{}", parent.id))),
            },
        }
    }

    /// A variation's `{id, name, slug, option}` list.
    fn variation_attrs(&self, v: &Variation) -> Vec<VarAttr> {
        let parent = self.cat.parent_of(v);
        parent
            .attrs
            .iter()
            .zip(v.values.iter())
            .map(|(a, &val)| match &a.spec {
                AttrSpec::Global { attr_id, terms } => {
                    let attr = self.cat.attribute(*attr_id);
                    VarAttr {
                        id: *attr_id,
                        name: attr.map(|x| x.name.to_string()).unwrap_or_default(),
                        slug: attr.map(|x| x.slug.to_string()).unwrap_or_default(),
                        option: terms.get(usize::from(val)).and_then(|&t| self.cat.term(t)).map(|t| t.name.to_string()).unwrap_or_default(),
                    }
                }
                AttrSpec::Local { name, options } => VarAttr {
                    id: 0,
                    name: name.to_string(),
                    slug: super::wp::sanitize_title(name),
                    option: options.get(usize::from(val)).map(|o| o.to_string()).unwrap_or_default(),
                },
            })
            .collect()
    }

    /// A variation through the products endpoint (`GET /products/{variation_id}`, `?sku=`), as WooCommerce renders it.
    pub fn variation_as_product(&self, v: &Variation) -> RestProduct {
        let parent = self.cat.parent_of(v);
        let as_variation = self.variation(v);
        let cur = self.currency;
        RestProduct {
            id: v.id,
            name: as_variation.name,
            slug: v.slug.to_string(),
            permalink: as_variation.permalink,
            date_created: as_variation.date_created,
            date_created_gmt: as_variation.date_created_gmt,
            date_modified: as_variation.date_modified,
            date_modified_gmt: as_variation.date_modified_gmt,
            kind: ProductType::Variation.as_str(),
            status: as_variation.status,
            featured: false,
            catalog_visibility: parent.visibility.as_str(),
            description: String::new(),
            short_description: String::new(),
            sku: as_variation.sku,
            price: as_variation.price,
            regular_price: as_variation.regular_price,
            sale_price: as_variation.sale_price,
            date_on_sale_from: None,
            date_on_sale_from_gmt: None,
            date_on_sale_to: None,
            date_on_sale_to_gmt: None,
            on_sale: as_variation.on_sale,
            purchasable: as_variation.purchasable,
            total_sales: 0,
            is_virtual: false,
            downloadable: false,
            downloads: Vec::new(),
            download_limit: -1,
            download_expiry: -1,
            external_url: String::new(),
            button_text: String::new(),
            tax_status: "taxable",
            tax_class: "",
            manage_stock: as_variation.manage_stock,
            stock_quantity: as_variation.stock_quantity,
            backorders: as_variation.backorders,
            backorders_allowed: as_variation.backorders_allowed,
            backordered: as_variation.backordered,
            low_stock_amount: as_variation.low_stock_amount,
            sold_individually: parent.sold_individually,
            weight: as_variation.weight,
            dimensions: as_variation.dimensions,
            shipping_required: true,
            shipping_taxable: true,
            shipping_class: "",
            shipping_class_id: 0,
            reviews_allowed: false,
            average_rating: "0.00".into(),
            rating_count: 0,
            upsell_ids: Vec::new(),
            cross_sell_ids: Vec::new(),
            parent_id: parent.id,
            purchase_note: "",
            categories: Vec::new(),
            tags: Vec::new(),
            images: parent.image.map(|i| self.image(parent, i)).into_iter().collect(),
            attributes: Attrs::Variation(as_variation.attributes),
            default_attributes: Vec::new(),
            variations: Vec::new(),
            grouped_products: Vec::new(),
            menu_order: 0,
            price_html: self.cat.variation_price_html(v, cur, Flavour::Rest),
            related_ids: Vec::new(),
            meta_data: Vec::new(),
            stock_status: v.stock.status.as_str(),
            has_options: false,
            post_password: "",
            _links: Links {
                self_: self.href(&format!("/products/{}", v.id)),
                collection: self.href("/products"),
                up: Some(self.href(&format!("/products/{}", parent.id))),
            },
        }
    }

    /// A `product_cat` term as the REST API returns it.
    pub fn category(&self, t: &Term, count: u64) -> J {
        let mut links = J::obj()
            .with("self", J::Arr(vec![J::obj().with("href", format!("{}/wp-json/wc/v3/products/categories/{}", self.home, t.id))]))
            .with("collection", J::Arr(vec![J::obj().with("href", format!("{}/wp-json/wc/v3/products/categories", self.home))]));
        if t.parent != 0 {
            links = links
                .with("up", J::Arr(vec![J::obj().with("href", format!("{}/wp-json/wc/v3/products/categories/{}", self.home, t.parent))]));
        }
        J::obj()
            .with("id", i64::from(t.id))
            .with("name", &*t.name)
            .with("slug", &*t.slug)
            .with("parent", i64::from(t.parent))
            .with("description", &*t.description)
            .with("display", "default")
            .with("image", J::Null)
            .with("menu_order", 0i64)
            .with("count", count as i64)
            .with("_links", links)
    }
}
