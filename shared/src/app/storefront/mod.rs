//! The storefront use cases: the catalogue and every pre-order step of the cart.
//!
//! A cart change reads the cart and its shop and writes the cart back on the version it read:
//! three store requests, the fewest this data model allows (the cart names its shop, so the
//! two reads cannot be batched, and the write must be conditional). A view is two reads. A
//! password typed for an item adds the guess's reservation, and its release when right.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::Duration;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::attempts::Attempt;
use super::record::Versioned;
use super::repo;
use super::{AppError, Clock};
use crate::domain::cart::{
    Cart, CartAccount, CartView, CustomerInput, Identity, ParticipantsInput, Rejection,
};
use crate::domain::catalog::{Item, Shop, Viewer};
use crate::domain::ids::{CartId, Email, ItemCode, ShopId};
use crate::domain::{Errors, FieldError, Language, Reason};
use crate::ports::{Expect, Store, Write};
use crate::web::ClientAddr;

/// Items in one page of the buyer's catalogue.
pub const CATALOG_PAGE: usize = 50;
/// The most catalogue records one page request reads while filtering (a filter that matches
/// little answers a shorter page with a cursor, rather than reading everything).
const CATALOG_READ: usize = 500;

/// Wrong passwords of internal items allowed per client, and per item from every client, in
/// one window of [`super::attempts::WINDOW_MINUTES`].
pub const WRONG_PASSWORDS_PER_CLIENT: u64 = 20;
pub const WRONG_PASSWORDS_PER_ITEM: u64 = 100;

/// How long an untouched cart lives (volatile, stored with a TTL).
pub const DEFAULT_CART_TTL_DAYS: i64 = 7;

pub struct Storefront {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    cart_ttl: Duration,
}

mod views;

pub use views::*;

impl Storefront {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, cart_ttl: Duration) -> Self {
        Self {
            store,
            clock,
            cart_ttl,
        }
    }

    /// A page of the catalogue as its reader sees it (a guest, or the customer `session` names):
    /// the items listed for them in the shop's order, of a category (and its subcategories)
    /// and matching a text when asked. Reads the settings and pages of the catalogue's order
    /// index, never the whole catalogue.
    pub async fn catalog(
        &self,
        shop: &str,
        query: &CatalogQuery,
        session: Option<&str>,
    ) -> Result<CatalogView, AppError> {
        let id = repo::parse_id("shop", shop)?;
        let settings = repo::load_shop(self.store.as_ref(), &id, repo::Items::None).await?;
        let filter = query.parse(&settings.shop)?;
        let viewer = self.viewer(session, &id).await?;
        let mut after = filter.after;
        let mut found = Vec::new();
        let mut read = 0;
        let mut more = true;
        while more && found.len() < CATALOG_PAGE && read < CATALOG_READ {
            let (docs, next) =
                repo::catalogue_page(self.store.as_ref(), &settings, after, CATALOG_PAGE).await?;
            more = next;
            read += docs.len();
            let positions: Vec<(usize, String)> =
                docs.iter().map(|(p, d)| (*p, d.code.clone())).collect();
            let mut page = repo::shop_with(
                self.store.as_ref(),
                &settings,
                docs.into_iter().map(|(_, d)| d).collect(),
            )
            .await?;
            page.localize(filter.language);
            for (position, code) in positions {
                if found.len() == CATALOG_PAGE {
                    more = true;
                    break;
                }
                after = Some(position);
                let item = page.items.iter().find(|i| i.code.as_str() == code);
                if let Some(item) = item.filter(|i| filter.admits(i, viewer)) {
                    found.push(ItemView::new(&page, item, viewer));
                }
            }
        }
        let next_cursor = more.then(|| after.map(|p| p.to_string())).flatten();
        let mut shop = settings.shop;
        shop.localize(filter.language);
        Ok(CatalogView::new(&shop, found, next_cursor))
    }

    pub async fn create_cart(
        &self,
        shop: &str,
        input: &LanguageInput,
    ) -> Result<CartView, AppError> {
        let language = input.parse()?;
        let id = repo::parse_id("shop", shop)?;
        let shop = repo::load_shop(self.store.as_ref(), &id, repo::Items::None).await?;
        let mut cart = Cart::new(
            CartId::random(),
            shop.shop.id.clone(),
            self.clock.now(),
            self.cart_ttl,
        );
        cart.language = language;
        self.insert(&mut cart).await?;
        Ok(cart.view(&shop.shop))
    }

    /// `GET /shops/{shop}/items/{code}`: one item as the catalogue shows it, for the link a
    /// shop gives to it — the only way to an internal item (sold, with its password, but not
    /// listed). An item its reader may neither buy nor see is not found.
    pub async fn item(
        &self,
        shop: &str,
        code: &str,
        query: &LanguageQuery,
        session: Option<&str>,
    ) -> Result<ItemView, AppError> {
        let language = query.parse()?;
        let id = repo::parse_id("shop", shop)?;
        let viewer = self.viewer(session, &id).await?;
        let code: ItemCode = repo::parse_id("item", code)?;
        let mut shop = repo::load_shop(
            self.store.as_ref(),
            &id,
            repo::Items::Only(std::slice::from_ref(&code)),
        )
        .await?
        .shop;
        shop.localize(language);
        shop.item(&code)
            .filter(|i| i.purchasable_by(viewer) || i.listed_for(viewer))
            .map(|item| ItemView::new(&shop, item, viewer))
            .ok_or_else(|| AppError::not_found("item", code.as_str()))
    }

    /// `PUT /carts/{cart}/language`: the language of the bill's messages and documents.
    pub async fn set_language(
        &self,
        cart: &str,
        input: &LanguageInput,
    ) -> Result<CartView, AppError> {
        let language = input.parse()?;
        let (mut stored, shop) = self.load(cart, None).await?;
        refuse_placed(&stored.value)?;
        stored.value.language = language;
        self.save(stored, &shop).await
    }

    pub async fn cart(&self, cart: &str) -> Result<CartView, AppError> {
        let (stored, shop) = self.load(cart, None).await?;
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

    /// `PUT /carts/{cart}/lines/{code}`. A customer signed in (`session`) buys as themselves:
    /// the cart takes their account if it has none, so what only customers may buy is theirs
    /// to buy (and to place). A password typed for an item that asks one is a guess, limited
    /// per client and per item ([`super::attempts`]): a wrong one is counted.
    pub async fn set_line(
        &self,
        cart: &str,
        code: &str,
        input: &LineInput,
        client: Option<ClientAddr>,
        session: Option<&str>,
    ) -> Result<CartView, AppError> {
        let code: ItemCode = repo::parse_id("item", code)?;
        let (mut stored, shop) = self.load(cart, Some(&code)).await?;
        refuse_placed(&stored.value)?;
        self.take_signed_in(&mut stored.value, session).await?;
        let password = input.password.as_deref().filter(|p| !p.is_empty());
        let guess = password
            .filter(|_| input.quantity > 0 && stored.value.asks_password(&shop, &code))
            .map(|_| self.password_guess(&shop.id, &code, client));
        if let Some(guess) = &guess {
            guess.reserve(self.store.as_ref()).await?;
        }
        let set = stored
            .value
            .set_line(&shop, &code, input.quantity, password);
        // Refused for something else first (a quantity over the limit), a guess is not a wrong one.
        if let Some(guess) = &guess
            && set != Err(Rejection::WrongPassword)
        {
            guess.give_back(self.store.as_ref()).await;
        }
        set?;
        self.save(stored, &shop).await
    }

    pub async fn set_requirements(
        &self,
        cart: &str,
        input: &BTreeMap<String, Vec<Map<String, Value>>>,
    ) -> Result<CartView, AppError> {
        self.update(cart, None, |cart, shop| {
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
        self.update(cart, None, |cart, shop| {
            cart.set_participants(shop, input)
                .map_err(AppError::Invalid)
        })
        .await
    }

    /// The CUSTOMER step (by a customer signed in: the cart becomes theirs first, as a line
    /// change makes it). A logged-in buyer's identity is saved back to their own customer
    /// record (the session's account), and only when it is theirs (the email typed is the
    /// account's): typing another customer's email never changes that customer's record.
    /// A guest whose email has an account is proposed to log in (asked, not forced: an
    /// account the shop made may have a password its owner never set).
    pub async fn set_customer(
        &self,
        cart: &str,
        input: &CustomerInput,
        session: Option<&str>,
    ) -> Result<CartView, AppError> {
        let (mut stored, shop) = self.load(cart, None).await?;
        refuse_placed(&stored.value)?;
        self.take_signed_in(&mut stored.value, session).await?;
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
        self.update(cart, None, |cart, _| {
            cart.log_in(account, known);
            Ok(())
        })
        .await
    }

    /// The shop a cart belongs to (for a login on the cart).
    pub async fn cart_shop(&self, cart: &str) -> Result<ShopId, AppError> {
        let id: CartId = repo::parse_id("cart", cart)?;
        Ok(repo::load_cart(self.store.as_ref(), &id).await?.value.shop)
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

    /// Creates a cart holding the valid `CODE=quantity` pairs of a pre-filled cart link; the
    /// refused pairs come back with their reasons (a link partly out of date still brings the
    /// buyer to the checkout with what can be sold).
    pub async fn import_cart(
        &self,
        shop: &str,
        pairs: &[(String, String)],
        session: Option<&str>,
    ) -> Result<CartImport, AppError> {
        let codes: Vec<ItemCode> = pairs.iter().filter_map(|(c, _)| c.parse().ok()).collect();
        let id = repo::parse_id("shop", shop)?;
        let shop = repo::load_shop(self.store.as_ref(), &id, repo::Items::Only(&codes))
            .await?
            .shop;
        if pairs.is_empty() {
            return Err(AppError::invalid(
                "",
                Reason::new("cart_link_empty", "give at least one CODE=quantity pair"),
            ));
        }
        let mut cart = Cart::new(
            CartId::random(),
            shop.id.clone(),
            self.clock.now(),
            self.cart_ttl,
        );
        if let Some(buyer) = self.signed_in(session, &shop.id).await? {
            cart.log_in(buyer.account, buyer.profile);
        }
        let refused: Vec<FieldError> = pairs
            .iter()
            .filter_map(|(code, quantity)| import_line(&mut cart, &shop, code, quantity).err())
            .flatten()
            .collect();
        self.insert(&mut cart).await?;
        Ok(CartImport {
            cart: cart.view(&shop),
            refused,
        })
    }

    /// A password typed for `code` by `client`: a guess, counted against both of its limits.
    fn password_guess(
        &self,
        shop: &ShopId,
        code: &ItemCode,
        client: Option<ClientAddr>,
    ) -> Attempt {
        let client = super::attempts::client_key(client);
        Attempt::new(
            shop.as_str(),
            self.clock.now(),
            &[
                ("item-client", &client, WRONG_PASSWORDS_PER_CLIENT),
                ("item", code.as_str(), WRONG_PASSWORDS_PER_ITEM),
            ],
        )
    }

    /// A cart without an account becomes the signed-in customer's (`session`), if any: a
    /// customer signed in buys as themselves. Their cart from before their first order was
    /// delivered learns they have bought now (the items for `customers`).
    async fn take_signed_in(&self, cart: &mut Cart, session: Option<&str>) -> Result<(), AppError> {
        let not_yet_bought = cart.account.as_ref().is_some_and(|a| !a.has_bought);
        if cart.account.is_some() && !not_yet_bought {
            return Ok(());
        }
        let Some(buyer) = self.signed_in(session, &cart.shop).await? else {
            return Ok(());
        };
        match &mut cart.account {
            None => cart.log_in(buyer.account, buyer.profile),
            Some(account) if account.email == buyer.account.email => {
                account.has_bought = buyer.account.has_bought;
            }
            Some(_) => {}
        }
        Ok(())
    }

    /// The customer a session token signs in to `shop` (none for another shop's session, or
    /// an expired one), with their details if they ordered here before.
    async fn signed_in(
        &self,
        session: Option<&str>,
        shop: &ShopId,
    ) -> Result<Option<SignedIn>, AppError> {
        let Some(token) = session else {
            return Ok(None);
        };
        let found = super::account::find_session(self.store.as_ref(), self.clock.as_ref(), token);
        let Some(session) = found.await?.filter(|s| s.shop == shop.as_str()) else {
            return Ok(None);
        };
        let Ok(email) = session.email.parse::<Email>() else {
            return Ok(None);
        };
        let record = super::customers::find(self.store.as_ref(), shop.as_str(), &session.email)
            .await?
            .map(|r| r.value);
        let has_bought = record.as_ref().is_some_and(|r| r.has_bought());
        let profile = record.map(|r| r.identity);
        Ok(Some(SignedIn {
            account: CartAccount {
                email,
                moodle_user_id: session.moodle_user_id,
                firstname: session.firstname,
                lastname: session.lastname,
                has_bought,
            },
            profile,
        }))
    }

    /// Who reads the catalogue: the customer a session signs in, else a guest.
    async fn viewer(&self, session: Option<&str>, shop: &ShopId) -> Result<Viewer, AppError> {
        let signed_in = self.signed_in(session, shop).await?;
        Ok(signed_in.map_or(Viewer::Guest, |s| s.account.viewer()))
    }

    /// Reads a cart and its shop with the items of its lines (and `also`, the item a change
    /// adds): never the whole catalogue.
    async fn load(
        &self,
        cart: &str,
        also: Option<&ItemCode>,
    ) -> Result<(Versioned<Cart>, Shop), AppError> {
        let id: CartId = repo::parse_id("cart", cart)?;
        let stored = repo::load_cart(self.store.as_ref(), &id).await?;
        let codes: Vec<ItemCode> = stored
            .value
            .lines
            .iter()
            .map(|l| l.code.clone())
            .chain(also.cloned())
            .collect();
        let shop = repo::load_shop(
            self.store.as_ref(),
            &stored.value.shop,
            repo::Items::Only(&codes),
        )
        .await?;
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
        also: Option<&ItemCode>,
        change: impl FnOnce(&mut Cart, &Shop) -> Result<(), AppError>,
    ) -> Result<CartView, AppError> {
        let (mut stored, shop) = self.load(cart, also).await?;
        refuse_placed(&stored.value)?;
        change(&mut stored.value, &shop)?;
        self.save(stored, &shop).await
    }
}

/// A customer signed in: their account, and their details from their last order here.
struct SignedIn {
    account: CartAccount,
    profile: Option<Identity>,
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
    let at = |reason: Reason| vec![FieldError::new(code, reason)];
    let item_code: ItemCode = code
        .parse()
        .map_err(|text: String| at(Reason::new("unknown_item", text)))?;
    let quantity: u32 = quantity.trim().parse().map_err(|_| {
        at(Reason::new(
            "invalid_quantity",
            format!("`{quantity}` is not a quantity"),
        ))
    })?;
    if quantity == 0 {
        return Err(at(Reason::new(
            "invalid_quantity",
            "quantity must be at least 1",
        )));
    }
    if cart.quantity_of(&item_code).is_some() {
        return Err(at(Reason::new("listed_twice", "listed twice")));
    }
    cart.set_line(shop, &item_code, quantity, None)
        .map_err(|r| match r {
            crate::domain::cart::Rejection::UnknownItem(_) => {
                at(Reason::new("unknown_item", "no such item in this shop"))
            }
            crate::domain::cart::Rejection::Invalid(errors) => errors
                .into_iter()
                .map(|e| FieldError {
                    path: code.into(),
                    ..e
                })
                .collect(),
            crate::domain::cart::Rejection::WrongPassword => vec![FieldError {
                path: code.into(),
                ..crate::domain::cart::Rejection::wrong_password()
            }],
        })
}
