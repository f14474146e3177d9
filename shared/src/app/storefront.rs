//! The storefront use cases: the catalogue and every pre-order step of the cart.
//!
//! A cart change reads the cart and its shop and writes the cart back on the version it read:
//! three store requests, the fewest this data model allows (the cart names its shop, so the
//! two reads cannot be batched, and the write must be conditional). A view is two reads.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::Duration;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::record::Versioned;
use super::repo;
use super::{AppError, Clock};
use crate::domain::cart::{
    Cart, CartAccount, CartView, CustomerInput, Identity, ParticipantsInput,
};
use crate::domain::catalog::{Item, Shop, Viewer};
use crate::domain::ids::{CartId, ItemCode, ShopId};
use crate::domain::{Errors, FieldError};
use crate::ports::{Expect, Store, Write};

/// How long an untouched cart lives (volatile, stored with a TTL).
pub const DEFAULT_CART_TTL_DAYS: i64 = 7;

pub struct Storefront {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    cart_ttl: Duration,
}

/// Body of `PUT /carts/{cart}/lines/{code}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineInput {
    pub quantity: u32,
    #[serde(default)]
    pub password: Option<String>,
}

impl Storefront {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, cart_ttl: Duration) -> Self {
        Self {
            store,
            clock,
            cart_ttl,
        }
    }

    pub async fn catalog(&self, shop: &str) -> Result<CatalogView, AppError> {
        let shop = repo::load_shop(self.store.as_ref(), &repo::parse_id("shop", shop)?).await?;
        Ok(CatalogView::new(&shop.shop, Viewer::Guest))
    }

    pub async fn create_cart(&self, shop: &str) -> Result<CartView, AppError> {
        let shop = repo::load_shop(self.store.as_ref(), &repo::parse_id("shop", shop)?).await?;
        let mut cart = Cart::new(
            CartId::random(),
            shop.shop.id.clone(),
            self.clock.now(),
            self.cart_ttl,
        );
        self.insert(&mut cart).await?;
        Ok(cart.view(&shop.shop))
    }

    pub async fn cart(&self, cart: &str) -> Result<CartView, AppError> {
        let (stored, shop) = self.load(cart).await?;
        Ok(stored.value.view(&shop))
    }

    pub async fn delete_cart(&self, cart: &str) -> Result<(), AppError> {
        let id: CartId = repo::parse_id("cart", cart)?;
        let write = Write::Delete {
            key: super::keys::cart(&id),
            when: Expect::Present,
        };
        match self.store.write(vec![write]).await {
            Err(crate::ports::StoreError::ConditionFailed) => {
                Err(AppError::not_found("cart", cart))
            }
            other => Ok(other?),
        }
    }

    pub async fn set_line(
        &self,
        cart: &str,
        code: &str,
        input: &LineInput,
    ) -> Result<CartView, AppError> {
        let code: ItemCode = repo::parse_id("item", code)?;
        self.update(cart, |cart, shop| {
            Ok(cart.set_line(
                shop,
                Viewer::Guest,
                &code,
                input.quantity,
                input.password.as_deref(),
            )?)
        })
        .await
    }

    pub async fn set_requirements(
        &self,
        cart: &str,
        input: &BTreeMap<String, Vec<Map<String, Value>>>,
    ) -> Result<CartView, AppError> {
        self.update(cart, |cart, shop| {
            cart.set_requirements(shop, input)
                .map_err(AppError::Invalid)
        })
        .await
    }

    pub async fn set_participants(
        &self,
        cart: &str,
        input: &ParticipantsInput,
    ) -> Result<CartView, AppError> {
        self.update(cart, |cart, shop| {
            cart.set_participants(shop, input)
                .map_err(AppError::Invalid)
        })
        .await
    }

    /// The CUSTOMER step. A logged-in buyer's identity is saved back to their own customer
    /// record (the session's account), and only when it is theirs (the email typed is the
    /// account's): typing another customer's email never changes that customer's record.
    /// A guest whose email has an account is proposed to log in (asked, not forced: an
    /// account the shop made may have a password its owner never set).
    pub async fn set_customer(
        &self,
        cart: &str,
        input: &CustomerInput,
    ) -> Result<CartView, AppError> {
        let (mut stored, shop) = self.load(cart).await?;
        refuse_placed(&stored.value)?;
        stored
            .value
            .set_customer(input)
            .map_err(AppError::Invalid)?;
        let identity = stored.value.customer.clone().expect("just set");
        let shop_id = shop.id.as_str();
        let now = self.clock.now();
        if let Some(account) = &stored.value.account {
            if account.email.normalized() == identity.email.normalized() {
                super::customers::save_identity(self.store.as_ref(), shop_id, &identity, now)
                    .await?;
            }
        } else {
            let email = identity.email.normalized();
            let known = super::customers::find(self.store.as_ref(), shop_id, &email).await?;
            stored.value.login_proposed = known.is_some_and(|r| r.value.moodle_user_id.is_some());
        }
        self.save(stored, &shop).await
    }

    /// A buyer logged in on this cart: the cart remembers the account, and a cart without a
    /// customer yet is pre-filled from the customer record.
    pub async fn log_in(
        &self,
        cart: &str,
        account: CartAccount,
        known: Option<Identity>,
    ) -> Result<CartView, AppError> {
        self.update(cart, |cart, _| {
            if cart.customer.is_none() {
                cart.customer = known;
            }
            cart.account = Some(account);
            cart.login_proposed = false;
            Ok(())
        })
        .await
    }

    /// The shop a cart belongs to (for a login on the cart).
    pub async fn cart_shop(&self, cart: &str) -> Result<ShopId, AppError> {
        Ok(self.load(cart).await?.0.value.shop)
    }

    async fn save(&self, mut stored: Versioned<Cart>, shop: &Shop) -> Result<CartView, AppError> {
        let write = repo::cart_write(
            &mut stored.value,
            Some(stored.version),
            self.clock.now(),
            self.cart_ttl,
        );
        self.store.write(vec![write]).await?;
        Ok(stored.value.view(shop))
    }

    /// Creates a cart holding the given `CODE=quantity` pairs (pre-filled cart links). Every
    /// bad pair is reported; then no cart is created.
    pub async fn import_cart(
        &self,
        shop: &str,
        pairs: &[(String, String)],
    ) -> Result<CartView, AppError> {
        let shop = repo::load_shop(self.store.as_ref(), &repo::parse_id("shop", shop)?)
            .await?
            .shop;
        if pairs.is_empty() {
            return Err(AppError::invalid(
                "",
                "give at least one CODE=quantity pair",
            ));
        }
        let mut cart = Cart::new(
            CartId::random(),
            shop.id.clone(),
            self.clock.now(),
            self.cart_ttl,
        );
        let mut errors = Errors::default();
        for (code, quantity) in pairs {
            if let Err(e) = import_line(&mut cart, &shop, code, quantity) {
                e.into_iter().for_each(|e| errors.add(e.path, e.reason));
            }
        }
        errors.finish(|| ()).map_err(AppError::Invalid)?;
        self.insert(&mut cart).await?;
        Ok(cart.view(&shop))
    }

    async fn load(&self, cart: &str) -> Result<(Versioned<Cart>, Shop), AppError> {
        let id: CartId = repo::parse_id("cart", cart)?;
        let stored = repo::load_cart(self.store.as_ref(), &id).await?;
        let shop = repo::load_shop(self.store.as_ref(), &stored.value.shop).await?;
        Ok((stored, shop.shop))
    }

    async fn insert(&self, cart: &mut Cart) -> Result<(), AppError> {
        let write = repo::cart_write(cart, None, self.clock.now(), self.cart_ttl);
        self.store.write(vec![write]).await?;
        Ok(())
    }

    /// Reads the cart, applies a change and writes it back on the version read; a rejected
    /// change writes nothing.
    async fn update(
        &self,
        cart: &str,
        change: impl FnOnce(&mut Cart, &Shop) -> Result<(), AppError>,
    ) -> Result<CartView, AppError> {
        let (mut stored, shop) = self.load(cart).await?;
        refuse_placed(&stored.value)?;
        change(&mut stored.value, &shop)?;
        self.save(stored, &shop).await
    }
}

fn refuse_placed(cart: &Cart) -> Result<(), AppError> {
    match &cart.placed {
        Some(placed) => Err(AppError::State(format!(
            "this cart was placed as bill {}; it can no longer change",
            placed.bill
        ))),
        None => Ok(()),
    }
}

/// One `CODE=quantity` pair of a cart import; errors are located at the code.
fn import_line(
    cart: &mut Cart,
    shop: &Shop,
    code: &str,
    quantity: &str,
) -> Result<(), Vec<FieldError>> {
    let at = |reason: String| vec![FieldError::new(code, reason)];
    let item_code: ItemCode = code.parse().map_err(at)?;
    let quantity: u32 = quantity
        .trim()
        .parse()
        .map_err(|_| at(format!("`{quantity}` is not a quantity")))?;
    if quantity == 0 {
        return Err(at("quantity must be at least 1".into()));
    }
    if cart.quantity_of(&item_code).is_some() {
        return Err(at("listed twice".into()));
    }
    cart.set_line(shop, Viewer::Guest, &item_code, quantity, None)
        .map_err(|r| match r {
            crate::domain::cart::Rejection::UnknownItem(_) => {
                at("no such item in this shop".into())
            }
            crate::domain::cart::Rejection::Invalid(errors) => errors
                .into_iter()
                .map(|e| FieldError::new(code, e.reason))
                .collect(),
        })
}

/// The public catalogue of `GET /shops/{shop}/catalog`: what a guest may see, no secrets.
#[derive(Debug, Serialize)]
pub struct CatalogView {
    pub shop: ShopView,
    pub categories: Vec<CategoryView>,
    pub items: Vec<ItemView>,
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

#[derive(Debug, Serialize)]
pub struct FieldView {
    pub field: String,
    pub label: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub required: bool,
    pub options: Vec<String>,
}

impl CatalogView {
    pub fn new(shop: &Shop, viewer: Viewer) -> Self {
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
            items: shop
                .items
                .iter()
                .filter(|i| i.listed_for(viewer))
                .map(|i| ItemView::new(shop, i, viewer))
                .collect(),
        }
    }
}

impl ItemView {
    fn new(shop: &Shop, item: &Item, viewer: Viewer) -> Self {
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
            required_data: item
                .required_data
                .iter()
                .map(|f| FieldView {
                    field: f.field.clone(),
                    label: f.label.clone(),
                    kind: f.kind.as_str(),
                    required: f.required,
                    options: f.options.clone(),
                })
                .collect(),
            password_protected: item.password.is_some(),
            eula: item.eula.clone(),
            renewable: item.renewable,
        }
    }
}
