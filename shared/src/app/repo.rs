//! Where shops and carts live in the store, and how they are read and written.
//!
//! Data model (one table, see `infra/table.json`):
//! - a shop's **settings** (its document without the items: name, currency, payment methods,
//!   gateways, taxes, categories, staff, messages) are one item `SHOP#{shop}` / `SHOP`, which
//!   also names the shop's current **catalogue**. Beside it in the same partition:
//!   `SOLD#{code}` counters (stock sold, added at placement) and `INVOICE#{year}` sequences.
//! - the catalogue's **items** are one record each, `CATALOG#{shop}#{catalogue}` /
//!   `ITEM#{code}`, indexed in the shop's order on GSI3. A cart change reads the settings and,
//!   in one batch, only the items of its lines (and their sold counters): its cost does not
//!   grow with the catalogue.
//! - an **import** writes the new items under a new catalogue id (100 per transaction), then
//!   points the settings at it in one conditional write: readers see the old catalogue or the
//!   new one, never a mix, whatever the number of items. The old catalogue is swept later
//!   ([`sweep_catalogues`]), once requests that read it are done.
//! - a shop stored before items had their own records keeps its whole document in `SHOP`
//!   (items inline) and is read the same way until its next import.
//! - a cart is one item `CART#{cart}` / `CART` with a TTL (`expires_at`).

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::record::{Versioned, decode_versioned};
use super::{AppError, keys};
use crate::domain::cart::Cart;
use crate::domain::catalog::Shop;
use crate::domain::document::{ItemDoc, ShopDocument};
use crate::domain::ids::{CartId, ItemCode, ShopId};
use crate::ports::{Expect, Item, Key, MAX_WRITES, PutIf, Query, Record, Store, Write};

/// Which of a shop's items a use case reads with the settings.
#[derive(Clone, Copy, Debug)]
pub enum Items<'a> {
    /// The settings only (one read).
    None,
    /// These items and nothing else (one batch read beside the settings); unknown codes are
    /// simply not there.
    Only(&'a [ItemCode]),
    /// The whole catalogue, in the shop's order (export, import, reminders).
    All,
}

/// A shop as stored: its settings document with the items read (secrets included), the
/// validated shop with the same items, and the settings' version.
pub struct StoredShop {
    pub document: ShopDocument,
    pub shop: Shop,
    pub version: u64,
    /// The current catalogue; `None` for a shop stored whole before catalogues existed.
    pub catalogue: Option<CatalogueRef>,
}

/// The catalogue a shop's settings point at.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogueRef {
    pub id: String,
    pub items: usize,
}

/// The settings record's body.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsRecord {
    settings: ShopDocument,
    catalogue: CatalogueRef,
}

/// An item record's body: the item as the document gives it, its place in the shop's order,
/// and who changed it last (an import, or a manager's edit).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemRecord {
    pub position: usize,
    pub item: ItemDoc,
    #[serde(default)]
    pub changed_by: Option<String>,
    #[serde(default)]
    pub changed_at: Option<DateTime<Utc>>,
}

impl ItemRecord {
    /// The write of this record into a catalogue, on `when`.
    pub fn write(&self, shop: &ShopId, catalogue: &str, when: PutIf) -> Write {
        let body = serde_json::to_string(self).expect("an item serializes");
        let record = Item::new(keys::catalogue_item(shop, catalogue, &self.item.code), body)
            .indexed(
                crate::ports::Index::Gsi3,
                keys::catalogue_order(shop, catalogue, self.position),
            );
        Write::Put { item: record, when }
    }
}

/// One item of a catalogue with its record's version, or `None`.
pub async fn find_item(
    store: &dyn Store,
    shop: &ShopId,
    catalogue: &str,
    code: &str,
) -> Result<Option<Versioned<ItemRecord>>, AppError> {
    match store
        .get(&keys::catalogue_item(shop, catalogue, code))
        .await?
    {
        None => Ok(None),
        Some(r) => decode_versioned("item", &r).map(Some),
    }
}

/// The last position of a catalogue's order (where a new item goes after).
pub async fn last_position(
    store: &dyn Store,
    shop: &ShopId,
    catalogue: &str,
) -> Result<Option<usize>, AppError> {
    let query = Query {
        index: Some(crate::ports::Index::Gsi3),
        pk: keys::catalogue_order(shop, catalogue, 0).pk,
        descending: true,
        limit: Some(1),
        ..Query::default()
    };
    let last = store.query(&query).await?;
    last.first()
        .map(|r| decode_item(shop, &r.item.body).map(|(p, _)| p))
        .transpose()
}

/// How long an old catalogue stays readable after an import replaced it (a request that read
/// the settings before the switch still finds its items).
const RETIRE_AFTER_SECONDS: i64 = 300;
/// An import that never switched (a crash, a lost race) leaves a catalogue swept after this.
const ABANDONED_AFTER_SECONDS: i64 = 3600;

/// Parses an id from a URL; a malformed id is simply an unknown resource.
pub fn parse_id<T: std::str::FromStr>(what: &'static str, text: &str) -> Result<T, AppError> {
    text.parse().map_err(|_| AppError::not_found(what, text))
}

fn corrupt(why: String) -> AppError {
    AppError::Store(crate::ports::StoreError::Backend(why))
}

/// Reads a shop's settings and the items asked for, with what remains in stock of each
/// stocked item (its `SOLD#{code}` counter deducted).
pub async fn find_shop(
    store: &dyn Store,
    id: &ShopId,
    items: Items<'_>,
) -> Result<Option<StoredShop>, AppError> {
    let Some(record) = store.get(&keys::shop(id)).await? else {
        return Ok(None);
    };
    let (mut document, catalogue) = read_settings(id, &record.item.body)?;
    let inline = std::mem::take(&mut document.items);
    let (docs, sold) = match &catalogue {
        Some(c) => read_items(store, id, &c.id, items).await?,
        None => (pick(inline, items), read_sold(store, id, items).await?),
    };
    document.items = docs;
    let mut shop = document
        .validate_part(id)
        .map_err(|e| corrupt(format!("stored shop {id} is invalid: {e:?}")))?;
    count_sold(&mut shop, &sold);
    Ok(Some(StoredShop {
        document,
        shop,
        version: record.version,
        catalogue,
    }))
}

/// An item's name in each language, by code.
pub type ItemNames =
    std::collections::HashMap<String, std::collections::BTreeMap<crate::domain::Language, String>>;

/// The shop (404 when none) with the names of the items `codes` name, read in one batch
/// beside the settings: how the staff's lists name the items they count, whether or not the
/// public catalogue lists them. An item deleted since has none.
pub async fn load_shop_naming(
    store: &dyn Store,
    id: &ShopId,
    codes: impl IntoIterator<Item = &str>,
) -> Result<(StoredShop, ItemNames), AppError> {
    let mut codes: Vec<ItemCode> = codes.into_iter().filter_map(|c| c.parse().ok()).collect();
    codes.sort();
    codes.dedup();
    let stored = load_shop(store, id, Items::Only(&codes)).await?;
    let names = stored
        .document
        .items
        .iter()
        .map(|i| (i.code.clone(), i.names()))
        .collect();
    Ok((stored, names))
}

pub async fn load_shop(
    store: &dyn Store,
    id: &ShopId,
    items: Items<'_>,
) -> Result<StoredShop, AppError> {
    find_shop(store, id, items)
        .await?
        .ok_or_else(|| AppError::not_found("shop", id.as_str()))
}

/// The settings document and its catalogue, or a whole document stored before catalogues.
fn read_settings(
    id: &ShopId,
    body: &str,
) -> Result<(ShopDocument, Option<CatalogueRef>), AppError> {
    let value: serde_json::Value =
        serde_json::from_str(body).map_err(|e| corrupt(format!("stored shop {id}: {e}")))?;
    if value.get("catalogue").is_some() {
        let record: SettingsRecord =
            serde_json::from_value(value).map_err(|e| corrupt(format!("stored shop {id}: {e}")))?;
        return Ok((record.settings, Some(record.catalogue)));
    }
    let document = ShopDocument::from_json(body.as_bytes())
        .map_err(|e| corrupt(format!("stored shop {id}: {}", e.reason)))?;
    Ok((document, None))
}

/// The inline items a whole stored document holds, as asked.
fn pick(inline: Vec<ItemDoc>, items: Items<'_>) -> Vec<ItemDoc> {
    match items {
        Items::None => Vec::new(),
        Items::All => inline,
        Items::Only(codes) => inline
            .into_iter()
            .filter(|i| codes.iter().any(|c| c.as_str() == i.code))
            .collect(),
    }
}

/// The items of a catalogue and their sold counters: one batch read for some, a query of the
/// catalogue (and of the counters) for all.
async fn read_items(
    store: &dyn Store,
    id: &ShopId,
    catalogue: &str,
    items: Items<'_>,
) -> Result<(Vec<ItemDoc>, Vec<Record>), AppError> {
    let records = match items {
        Items::None => return Ok((Vec::new(), Vec::new())),
        Items::Only(codes) => {
            let keys: Vec<Key> = codes
                .iter()
                .flat_map(|c| {
                    [
                        keys::catalogue_item(id, catalogue, c.as_str()),
                        keys::sold(id, c.as_str()),
                    ]
                })
                .collect();
            store.get_many(&keys).await?
        }
        Items::All => {
            let mut all = store
                .query(&Query::partition(keys::catalogue(id, catalogue)))
                .await?;
            all.extend(read_sold(store, id, Items::All).await?);
            all
        }
    };
    let (counters, items): (Vec<Record>, Vec<Record>) = records
        .into_iter()
        .partition(|r| keys::sold_code(&r.item.key.sk).is_some());
    let mut docs = items
        .iter()
        .map(|r| decode_item(id, &r.item.body))
        .collect::<Result<Vec<_>, _>>()?;
    docs.sort_by_key(|(position, _)| *position);
    Ok((docs.into_iter().map(|(_, doc)| doc).collect(), counters))
}

fn decode_item(id: &ShopId, body: &str) -> Result<(usize, ItemDoc), AppError> {
    let record: ItemRecord = serde_json::from_str(body)
        .map_err(|e| corrupt(format!("stored item of shop {id}: {e}")))?;
    Ok((record.position, record.item))
}

/// The sold counters of the items asked for.
async fn read_sold(
    store: &dyn Store,
    id: &ShopId,
    items: Items<'_>,
) -> Result<Vec<Record>, AppError> {
    Ok(match items {
        Items::None => Vec::new(),
        Items::Only(codes) => {
            let keys: Vec<Key> = codes.iter().map(|c| keys::sold(id, c.as_str())).collect();
            store.get_many(&keys).await?
        }
        Items::All => {
            let counters = Query {
                sk_prefix: keys::SOLD.to_owned(),
                ..Query::partition(keys::shop(id).pk)
            };
            store.query(&counters).await?
        }
    })
}

/// One page of a shop's catalogue in the shop's order: the items after position `after`
/// (exclusive), at most `limit`, each with its position, and whether more follow. `stored`
/// is the shop as read with [`Items::None`].
pub async fn catalogue_page(
    store: &dyn Store,
    stored: &StoredShop,
    after: Option<usize>,
    limit: usize,
) -> Result<(Vec<(usize, ItemDoc)>, bool), AppError> {
    let id = &stored.shop.id;
    let Some(catalogue) = &stored.catalogue else {
        // A shop stored whole: its items are in its settings record.
        let whole = load_shop(store, id, Items::All).await?.document.items;
        let start = after.map_or(0, |a| a + 1);
        let page: Vec<(usize, ItemDoc)> = whole
            .into_iter()
            .enumerate()
            .skip(start)
            .take(limit + 1)
            .collect();
        let more = page.len() > limit;
        return Ok((page.into_iter().take(limit).collect(), more));
    };
    let order = keys::catalogue_order(id, &catalogue.id, 0);
    let query = Query {
        index: Some(crate::ports::Index::Gsi3),
        pk: order.pk,
        after: after.map(|p| keys::catalogue_order(id, &catalogue.id, p).sk),
        limit: Some(limit + 1),
        ..Query::default()
    };
    let mut records = store.query(&query).await?;
    let more = records.len() > limit;
    records.truncate(limit);
    let docs = records
        .iter()
        .map(|r| decode_item(id, &r.item.body))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((docs, more))
}

/// The shop of `stored` (read with [`Items::None`]) with these items, their stock counted.
pub async fn shop_with(
    store: &dyn Store,
    stored: &StoredShop,
    items: Vec<ItemDoc>,
) -> Result<Shop, AppError> {
    let id = &stored.shop.id;
    let document = ShopDocument {
        items,
        ..stored.document.clone()
    };
    let mut shop = document
        .validate_part(id)
        .map_err(|e| corrupt(format!("stored shop {id} is invalid: {e:?}")))?;
    // Only a stocked item has a counter: a page of unstocked items reads none (each key read
    // costs a read unit, found or not).
    let stocked: Vec<ItemCode> = shop
        .items
        .iter()
        .filter(|i| i.stock.is_some())
        .map(|i| i.code.clone())
        .collect();
    if !stocked.is_empty() {
        let sold = read_sold(store, id, Items::Only(&stocked)).await?;
        count_sold(&mut shop, &sold);
    }
    Ok(shop)
}

/// Deducts each stocked item's sold counter from its stock.
fn count_sold(shop: &mut Shop, counters: &[Record]) {
    for counter in counters {
        let Some(code) = keys::sold_code(&counter.item.key.sk) else {
            continue;
        };
        if let Some(item) = shop.items.iter_mut().find(|i| i.code.as_str() == code) {
            let sold = u32::try_from(counter.count).unwrap_or(u32::MAX);
            item.stock = item.stock.map(|s| s.saturating_sub(sold));
        }
    }
}

/// Writes a whole shop document (validated): its items as a new catalogue, then its settings
/// pointing at that catalogue, new (`previous` = `None`) or replacing the settings read, with
/// `audit` in the same transaction. A lost race (the settings changed since they were read)
/// is `ConditionFailed` and leaves the new catalogue to be swept. Each item is marked as
/// changed by `actor` now.
pub async fn save_shop(
    store: &dyn Store,
    id: &ShopId,
    document: &ShopDocument,
    previous: Option<&StoredShop>,
    audit: Option<Write>,
    (actor, now): (&str, DateTime<Utc>),
) -> Result<(), AppError> {
    let catalogue = CatalogueRef {
        id: crate::domain::ids::random_hex(8),
        items: document.items.len(),
    };
    // Marked for sweeping before any item is written: an import that stops half-way leaves
    // nothing behind for good.
    let abandoned = keys::retired_catalogue(
        now + Duration::seconds(ABANDONED_AFTER_SECONDS),
        id,
        &catalogue.id,
    );
    store
        .write(vec![Write::Put {
            item: Item::new(abandoned.clone(), String::new()),
            when: PutIf::Absent,
        }])
        .await?;
    let records: Vec<Write> = document
        .items
        .iter()
        .enumerate()
        .map(|(position, item)| {
            let record = ItemRecord {
                position,
                item: item.clone(),
                changed_by: Some(actor.to_owned()),
                changed_at: Some(now),
            };
            record.write(id, &catalogue.id, PutIf::Absent)
        })
        .collect();
    let mut records = records.into_iter().peekable();
    while records.peek().is_some() {
        store
            .write(records.by_ref().take(MAX_WRITES).collect())
            .await?;
    }
    let settings = SettingsRecord {
        settings: ShopDocument {
            items: Vec::new(),
            ..document.clone()
        },
        catalogue,
    };
    let body = serde_json::to_string(&settings).expect("settings serialize");
    let when = previous.map_or(PutIf::Absent, |p| PutIf::Version(p.version));
    let mut writes = vec![
        Write::Put {
            item: Item::new(keys::shop(id), body),
            when,
        },
        Write::Delete {
            key: abandoned,
            when: Expect::Present,
        },
    ];
    if let Some(old) = previous.and_then(|p| p.catalogue.as_ref()) {
        let due = now + Duration::seconds(RETIRE_AFTER_SECONDS);
        writes.push(Write::Put {
            item: Item::new(keys::retired_catalogue(due, id, &old.id), String::new()),
            when: PutIf::Absent,
        });
    }
    writes.extend(audit);
    store.write(writes).await?;
    // A shop stored before the registry existed joins it on its next import.
    let listed = Write::Put {
        item: Item::new(keys::shop_listing(id), String::new()),
        when: PutIf::Absent,
    };
    match store.write(vec![listed]).await {
        Ok(()) | Err(crate::ports::StoreError::ConditionFailed) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Writes a shop's settings (a document without items) on the version read, keeping its
/// catalogue, with `audit` in the same transaction; a lost race is `ConditionFailed`.
pub async fn save_settings(
    store: &dyn Store,
    settings: &ShopDocument,
    stored: &StoredShop,
    audit: Write,
) -> Result<(), crate::ports::StoreError> {
    let catalogue = stored
        .catalogue
        .clone()
        .expect("only shops with a catalogue have settings of their own");
    let record = SettingsRecord {
        settings: ShopDocument {
            items: Vec::new(),
            ..settings.clone()
        },
        catalogue,
    };
    let body = serde_json::to_string(&record).expect("settings serialize");
    store
        .write(vec![
            Write::Put {
                item: Item::new(keys::shop(&stored.shop.id), body),
                when: PutIf::Version(stored.version),
            },
            audit,
        ])
        .await
}

/// Deletes the catalogues that are due (replaced by an import some minutes ago, or written by
/// an import that never finished), a bounded amount of work per call; run by the relay.
/// Returns how many items it deleted.
pub async fn sweep_catalogues(store: &dyn Store, now: DateTime<Utc>) -> Result<usize, AppError> {
    let due = Query {
        before: Some(keys::sortable(now)),
        limit: Some(10),
        ..Query::partition(keys::RETIRED)
    };
    let mut deleted = 0;
    for retired in store.query(&due).await? {
        let Some((shop, catalogue)) = keys::retired_parts(&retired.item.key.sk) else {
            continue;
        };
        let page = Query {
            limit: Some(MAX_WRITES),
            ..Query::partition(keys::catalogue(&shop, &catalogue))
        };
        let items = store.query(&page).await?;
        if items.is_empty() {
            store
                .write(vec![Write::Delete {
                    key: retired.item.key.clone(),
                    when: Expect::Version(retired.version),
                }])
                .await?;
            continue;
        }
        deleted += items.len();
        let writes = items
            .into_iter()
            .map(|r| Write::Delete {
                key: r.item.key,
                when: Expect::Version(r.version),
            })
            .collect();
        store.write(writes).await?;
    }
    Ok(deleted)
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
