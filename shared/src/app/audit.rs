//! The audit list: what staff (and the automation token) did to a shop, newest first. One
//! record per action, written in the action's own transaction, so the list never misses an
//! action and never shows one that did not happen.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::staff::Caller;
use super::{AppError, keys, repo};
use crate::domain::bill::{Actor, Bill, BillStatus, Cause};
use crate::domain::ids::ShopId;
use crate::ports::{Item, Key, PutIf, Query, Store, Write};

const PAGE: usize = 50;

/// What was done.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// A bill event: a status change, a payment recorded, a note, a retried delivery.
    Bill,
    ProductSuspended,
    ProductRestored,
    CustomerUpdated,
    ShopImported,
    /// A catalogue item created, changed, duplicated or deleted (`subject` its code, `detail`
    /// what was done and the fields changed).
    ItemChanged,
    /// The shop's settings changed (`detail` the fields changed).
    SettingsChanged,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    /// The staff member's Moodle username, or `API-TOKEN` for the bearer token.
    pub actor: String,
    pub action: Action,
    /// The bill id, product reference, customer email or shop id acted on.
    pub subject: String,
    /// The note, the fields changed, what the product is: in the actor's words.
    pub detail: String,
    /// A bill's status before and after (the same when it did not move).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<BillStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<BillStatus>,
    /// A product's item code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    /// A bill event the shop worded (a payment recorded, a delivery retried): `detail` is its
    /// English, the pages say it in theirs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<Cause>,
}

#[derive(Debug, Serialize)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    pub next_cursor: Option<String>,
    /// The names, in each language, of the items the entries act on (an item's change, a
    /// product's item), while the shop has them: the page names them, listed or not.
    pub items: repo::ItemNames,
}

fn partition(shop: &ShopId) -> String {
    format!("AUDIT#{shop}")
}

/// The write recording `entry` (a fresh key: two actions in the same microsecond both stay).
pub(crate) fn record(shop: &ShopId, entry: &AuditEntry) -> Write {
    let sk = format!(
        "{}#{}",
        keys::sortable(entry.at),
        crate::domain::ids::random_hex(4)
    );
    Write::Put {
        item: Item::new(
            Key::new(partition(shop), sk),
            serde_json::to_string(entry).expect("serializes"),
        ),
        when: PutIf::Absent,
    }
}

/// An entry by `actor` when it is staff or the token (`operator:<name>`); none otherwise.
pub(crate) fn by(
    actor: &str,
    action: Action,
    subject: &str,
    detail: String,
    at: DateTime<Utc>,
) -> Option<AuditEntry> {
    let name = actor.strip_prefix("operator:")?;
    Some(AuditEntry {
        at,
        actor: name.to_owned(),
        action,
        subject: subject.to_owned(),
        detail,
        from: None,
        to: None,
        item: None,
        cause: None,
    })
}

/// The entries of a bill's new events (from index `since`) written by staff.
pub(crate) fn bill_events(bill: &Bill, since: usize) -> Vec<Write> {
    bill.events[since.min(bill.events.len())..]
        .iter()
        .filter(|e| matches!(e.actor, Actor::Operator(_)))
        .filter_map(|e| {
            let entry = by(
                &e.actor.to_string(),
                Action::Bill,
                bill.id.as_str(),
                e.reason.clone(),
                e.at,
            )?;
            Some(AuditEntry {
                from: e.from,
                to: Some(e.to),
                cause: e.cause.clone(),
                ..entry
            })
        })
        .map(|entry| record(&bill.shop, &entry))
        .collect()
}

/// `GET /admin/shops/{shop}/audit?cursor=`: a page of the shop's entries, newest first.
pub async fn list(
    store: &dyn Store,
    caller: &Caller,
    shop: &str,
    cursor: Option<&str>,
) -> Result<AuditPage, AppError> {
    let id: ShopId = repo::parse_id("shop", shop)?;
    caller.check_shop(&id, "shop", shop)?;
    let before = match cursor {
        Some(c) => Some(
            hex::decode(c)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| AppError::invalid("cursor", "not a cursor from this API"))?,
        ),
        None => None,
    };
    let query = Query {
        pk: partition(&id),
        descending: true,
        before,
        limit: Some(PAGE),
        ..Query::default()
    };
    let records = store.query(&query).await?;
    let next_cursor = (records.len() == PAGE)
        .then(|| records.last().map(|r| hex::encode(&r.item.key.sk)))
        .flatten();
    let entries: Vec<AuditEntry> = records
        .iter()
        .filter_map(|r| serde_json::from_str(&r.item.body).ok())
        .collect();
    let codes = entries.iter().filter_map(|e| match e.action {
        Action::ItemChanged => Some(e.subject.as_str()),
        _ => e.item.as_deref(),
    });
    let (_, items) = repo::load_shop_naming(store, &id, codes).await?;
    Ok(AuditPage {
        entries,
        next_cursor,
        items,
    })
}
