//! Where shops and carts live in the store, and how they are read and written.
//!
//! Data model (one table, see `infra/table.json`):
//! - a shop is one item `SHOP#{shop}` / `SHOP` holding the whole shop document. One read gives
//!   the catalogue, the taxes and the rules a cart view needs; an import is one conditional
//!   put, so it is atomic whatever the number of items (bounded by the 400 KB item size).
//!   Beside it in the same partition: `SOLD#{code}` counters (stock sold, added at placement)
//!   and `INVOICE#{year}` sequences; one query reads the shop with its counters.
//! - a cart is one item `CART#{cart}` / `CART` with a TTL (`expires_at`).

use chrono::Duration;

use super::record::{Versioned, decode_versioned};
use super::{AppError, keys};
use crate::domain::cart::Cart;
use crate::domain::catalog::Shop;
use crate::domain::document::ShopDocument;
use crate::domain::ids::{CartId, ShopId};
use crate::ports::{Item, PutIf, Query, Store, Write};

/// A shop as stored: its document (with secrets), the validated shop and the item version.
pub struct StoredShop {
    pub document: ShopDocument,
    pub shop: Shop,
    pub version: u64,
}

/// Parses an id from a URL; a malformed id is simply an unknown resource.
pub fn parse_id<T: std::str::FromStr>(what: &'static str, text: &str) -> Result<T, AppError> {
    text.parse().map_err(|_| AppError::not_found(what, text))
}

/// Reads a shop with one strongly consistent query of its partition: the document, and the
/// counters of units sold per stocked item (`SOLD#{code}`), so that every item's `stock` is
/// what remains to sell.
pub async fn find_shop(store: &dyn Store, id: &ShopId) -> Result<Option<StoredShop>, AppError> {
    let partition = Query::partition(keys::shop(id).pk);
    let records = store.query(&partition).await?;
    let Some(record) = records
        .iter()
        .find(|r| r.item.key.sk == keys::SHOP_DOCUMENT)
    else {
        return Ok(None);
    };
    let corrupt = |why: String| AppError::Store(crate::ports::StoreError::Backend(why));
    let document = ShopDocument::from_json(record.item.body.as_bytes())
        .map_err(|e| corrupt(format!("stored shop {id}: {}", e.reason)))?;
    let mut shop = document
        .validate(id)
        .map_err(|e| corrupt(format!("stored shop {id} is invalid: {e:?}")))?;
    for counter in &records {
        let Some(code) = keys::sold_code(&counter.item.key.sk) else {
            continue;
        };
        if let Some(item) = shop.items.iter_mut().find(|i| i.code.as_str() == code) {
            let sold = u32::try_from(counter.count).unwrap_or(u32::MAX);
            item.stock = item.stock.map(|s| s.saturating_sub(sold));
        }
    }
    Ok(Some(StoredShop {
        document,
        shop,
        version: record.version,
    }))
}

pub async fn load_shop(store: &dyn Store, id: &ShopId) -> Result<StoredShop, AppError> {
    find_shop(store, id)
        .await?
        .ok_or_else(|| AppError::not_found("shop", id.as_str()))
}

/// Writes a shop document, new (`version` = `None`) or replacing the version that was read.
pub async fn save_shop(
    store: &dyn Store,
    id: &ShopId,
    document: &ShopDocument,
    version: Option<u64>,
    audit: Option<Write>,
) -> Result<(), AppError> {
    let body = serde_json::to_string(document).expect("a document serializes");
    let when = version.map_or(PutIf::Absent, PutIf::Version);
    let item = Item::new(keys::shop(id), body);
    let listed = Write::Put {
        item: Item::new(keys::shop_listing(id), String::new()),
        when: PutIf::Absent,
    };
    let mut writes = vec![Write::Put { item, when }];
    writes.extend(audit);
    if version.is_none() {
        writes.push(listed);
        store.write(writes).await?;
    } else {
        store.write(writes).await?;
        // A shop stored before the registry existed joins it on its next import.
        match store.write(vec![listed]).await {
            Ok(()) | Err(crate::ports::StoreError::ConditionFailed) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Every shop's id, from the registry.
pub async fn list_shops(store: &dyn Store) -> Result<Vec<ShopId>, AppError> {
    let records = store
        .query(&crate::ports::Query::partition(keys::SHOPS))
        .await?;
    Ok(records
        .iter()
        .filter_map(|r| r.item.key.sk.parse().ok())
        .collect())
}

pub async fn load_cart(store: &dyn Store, id: &CartId) -> Result<Versioned<Cart>, AppError> {
    let record = store
        .get(&keys::cart(id))
        .await?
        .ok_or_else(|| AppError::not_found("cart", id.as_str()))?;
    decode_versioned("cart", &record)
}

/// The write that stores a cart (new, or replacing the version read), its TTL pushed to
/// `ttl` from its last change.
pub fn cart_write(
    cart: &mut Cart,
    version: Option<u64>,
    now: chrono::DateTime<chrono::Utc>,
    ttl: Duration,
) -> Write {
    cart.expires_at = now + ttl;
    let body = serde_json::to_string(cart).expect("a cart serializes");
    let item = Item::new(keys::cart(&cart.id), body).expiring_at(cart.expires_at);
    Write::Put {
        item,
        when: version.map_or(PutIf::Absent, PutIf::Version),
    }
}
