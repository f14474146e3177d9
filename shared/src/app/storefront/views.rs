//! What the storefront routes read and answer: a line's body, and the catalogue as buyers see it.

use super::*;
use crate::domain::catalog::{FieldSpec, FieldView};

/// Body of `PUT /carts/{cart}/language`, and the optional body of `POST /shops/{shop}/carts`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LanguageInput {
    pub language: Option<String>,
}

impl LanguageInput {
    /// The language asked for (`en` or `fr`); none given is English.
    pub fn parse(&self) -> Result<Language, AppError> {
        self.language.as_deref().map_or(Ok(Language::En), |l| {
            l.parse()
                .map_err(|e: String| AppError::invalid("language", e))
        })
    }
}

/// `?lang=` of a page that only needs a language (an item's own page, the staff's preview).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LanguageQuery {
    #[serde(default)]
    pub lang: Option<String>,
}

impl LanguageQuery {
    /// The language asked for (`en` or `fr`); none given is English.
    pub fn parse(&self) -> Result<Language, AppError> {
        self.lang.as_deref().map_or(Ok(Language::En), |l| {
            l.parse().map_err(|e: String| AppError::invalid("lang", e))
        })
    }
}

/// A pre-filled cart link read: the cart made of its valid pairs, and the pairs refused (each
/// at its code, with the reason's code).
#[derive(Debug, Serialize)]
pub struct CartImport {
    #[serde(flatten)]
    pub cart: crate::domain::cart::CartView,
    pub refused: Vec<crate::domain::FieldError>,
}

/// Body of `PUT /carts/{cart}/lines/{code}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineInput {
    pub quantity: u32,
    #[serde(default)]
    pub password: Option<String>,
}

/// The public catalogue of `GET /shops/{shop}/catalog`: what a guest may see, no secrets;
/// one page of items, `next_cursor` to ask for the next.
#[derive(Debug, Serialize)]
pub struct CatalogView {
    pub shop: ShopView,
    pub categories: Vec<CategoryView>,
    pub items: Vec<ItemView>,
    pub next_cursor: Option<String>,
}

/// `GET /shops/{shop}/catalog?category=&q=&cursor=`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogQuery {
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub q: Option<String>,
    #[serde(default)]
    pub cursor: Option<String>,
    /// The language of the names and descriptions (`en` or `fr`; the document's own words
    /// where it gives none in that language).
    #[serde(default)]
    pub lang: Option<String>,
}

/// A catalogue query read: the categories asked (one and its descendants), the words, the
/// position after which the page starts.
pub struct CatalogFilter {
    categories: Option<BTreeSet<String>>,
    words: Option<String>,
    pub after: Option<usize>,
    pub language: crate::domain::Language,
}

impl CatalogQuery {
    pub fn parse(&self, shop: &Shop) -> Result<CatalogFilter, AppError> {
        let mut e = Errors::default();
        let categories = self.category.as_deref().filter(|c| !c.is_empty()).map(|c| {
            if !shop.categories.iter().any(|k| k.id.as_str() == c) {
                e.add("category", format!("no category `{c}`"));
            }
            descendants(shop, c)
        });
        let after = self
            .cursor
            .as_deref()
            .filter(|c| !c.is_empty())
            .and_then(|c| {
                c.parse::<usize>()
                    .map_err(|_| e.add("cursor", "not a cursor this catalogue gave"))
                    .ok()
            });
        let words = self
            .q
            .as_deref()
            .map(|q| q.trim().to_lowercase())
            .filter(|q| !q.is_empty());
        if words.as_ref().is_some_and(|w| w.chars().count() > 100) {
            e.add("q", "search with at most 100 characters");
        }
        let language = self
            .lang
            .as_deref()
            .map_or(Ok(crate::domain::Language::default()), str::parse);
        let language = e.check("lang", language).unwrap_or_default();
        e.finish(|| CatalogFilter {
            categories,
            words,
            after,
            language,
        })
        .map_err(AppError::Invalid)
    }
}

/// A category and every category below it.
fn descendants(shop: &Shop, root: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::from([root.to_owned()]);
    loop {
        let before = found.len();
        for c in &shop.categories {
            if c.parent
                .as_ref()
                .is_some_and(|p| found.contains(p.as_str()))
            {
                found.insert(c.id.to_string());
            }
        }
        if found.len() == before {
            return found;
        }
    }
}

impl CatalogFilter {
    /// Listed for this viewer, in the categories asked, and holding the words in its code,
    /// name or description (any case).
    pub fn admits(&self, item: &Item, viewer: Viewer) -> bool {
        item.listed_for(viewer)
            && self.categories.as_ref().is_none_or(|cs| {
                item.category
                    .as_ref()
                    .is_some_and(|c| cs.contains(c.as_str()))
            })
            && self.words.as_ref().is_none_or(|w| {
                [&item.code.to_string(), &item.name, &item.description]
                    .iter()
                    .any(|t| t.to_lowercase().contains(w.as_str()))
            })
    }
}

#[derive(Debug, Serialize)]
pub struct ShopView {
    pub id: String,
    pub name: String,
    pub currency: String,
    pub test_mode: bool,
    pub payment_methods: Vec<&'static str>,
    pub default_payment_method: &'static str,
    pub terms: Option<String>,
    pub seller: BTreeMap<String, String>,
    pub step_order: Vec<&'static str>,
}

#[derive(Debug, Serialize)]
pub struct CategoryView {
    pub id: String,
    pub name: String,
    pub parent: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ItemView {
    pub code: String,
    pub name: String,
    pub description: String,
    pub category: Option<String>,
    pub kind: &'static str,
    pub parts: Vec<PartView>,
    pub status: &'static str,
    /// Who it is for (`everyone`, `logged_in`, `logged_out`, `customers`).
    pub visibility: &'static str,
    /// Can be put in a cart now (a `preview` item is shown but not sold).
    pub purchasable: bool,
    pub prices: Vec<PriceView>,
    pub tax: TaxView,
    pub max_quantity: Option<u32>,
    pub stock: Option<u32>,
    pub seat_mode: &'static str,
    pub seat_roles: Vec<String>,
    pub required_data: Vec<FieldView>,
    pub password_protected: bool,
    pub eula: Option<String>,
    pub renewable: bool,
}

#[derive(Debug, Serialize)]
pub struct PartView {
    pub code: String,
    pub quantity: u32,
}

#[derive(Debug, Serialize)]
pub struct PriceView {
    pub up_to: Option<u32>,
    pub unit_price: String,
    pub unit_price_incl_tax: String,
}

#[derive(Debug, Serialize)]
pub struct TaxView {
    pub code: String,
    pub rate: String,
}

impl CatalogView {
    pub fn new(shop: &Shop, items: Vec<ItemView>, next_cursor: Option<String>) -> Self {
        let mut seller = shop.seller.fields.clone();
        seller.insert("name".into(), shop.seller.name.clone());
        Self {
            shop: ShopView {
                id: shop.id.to_string(),
                name: shop.name.clone(),
                currency: shop.currency.code().to_owned(),
                test_mode: shop.test_mode,
                payment_methods: shop.payment_methods.iter().map(|m| m.as_str()).collect(),
                default_payment_method: shop.default_payment_method.as_str(),
                terms: shop.terms.clone(),
                seller,
                step_order: shop.step_order.iter().map(|s| s.as_str()).collect(),
            },
            categories: shop
                .categories
                .iter()
                .map(|c| CategoryView {
                    id: c.id.to_string(),
                    name: c.name.clone(),
                    parent: c.parent.as_ref().map(ToString::to_string),
                })
                .collect(),
            items,
            next_cursor,
        }
    }
}

impl ItemView {
    pub fn new(shop: &Shop, item: &Item, viewer: Viewer) -> Self {
        let money = |d| shop.currency.format(d);
        Self {
            code: item.code.to_string(),
            name: item.name.clone(),
            description: item.description.clone(),
            category: item.category.as_ref().map(ToString::to_string),
            kind: item.kind.as_str(),
            parts: item
                .parts
                .iter()
                .map(|(code, quantity)| PartView {
                    code: code.to_string(),
                    quantity: *quantity,
                })
                .collect(),
            status: item.status.as_str(),
            visibility: item.visibility.as_str(),
            purchasable: item.purchasable_by(viewer),
            prices: item
                .prices
                .tiers()
                .iter()
                .map(|t| PriceView {
                    up_to: t.up_to,
                    unit_price: money(t.unit_price),
                    unit_price_incl_tax: money(shop.price_incl_tax(item, t.unit_price)),
                })
                .collect(),
            tax: TaxView {
                code: item.tax.to_string(),
                rate: shop.tax_rate(&item.tax).percent().normalize().to_string(),
            },
            max_quantity: item.max_quantity,
            stock: item.stock,
            seat_mode: item.seat_mode.as_str(),
            seat_roles: item.seat_roles.clone(),
            required_data: item.required_data.iter().map(FieldSpec::view).collect(),
            password_protected: item.password.is_some(),
            eula: item.eula.clone(),
            renewable: item.renewable,
        }
    }
}
