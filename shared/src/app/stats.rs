//! The sales figures of the dashboard, kept as counters in the shop's `STATS#{shop}` partition
//! and written in each bill's own transaction, so that reading them is one query however many
//! bills there are.
//!
//! Counters only ever grow (a decrement below zero would fail the bill's write): a status
//! counts the bills that entered it (`IN#`) and left it (`OUT#`), the bills in it now being the
//! difference. A bill is counted as sold the first time it is PAID: its revenue excl. tax (in
//! minor units) and one order on that day (`DAY#{date}#REV`, `#ORDERS`), its payment method,
//! and the quantity of each item. Bills written before the counters existed are not in them.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::staff::Caller;
use super::{AppError, repo};
use crate::domain::bill::{Bill, BillStatus};
use crate::domain::ids::ShopId;
use crate::ports::{Key, Query, Store, Write};

fn partition(shop: &ShopId) -> String {
    format!("STATS#{shop}")
}

fn counter(shop: &ShopId, name: String) -> Write {
    Write::Add {
        key: Key::new(partition(shop), name),
        by: 1,
        at_most: None,
    }
}

/// The counters a bill change adds: the events from `since` are the change's.
pub(crate) fn counters(bill: &Bill, since: usize) -> Vec<Write> {
    let shop = &bill.shop;
    let mut writes = Vec::new();
    let before = bill.events[..since].last().map(|e| e.to);
    if before != Some(bill.status) && since < bill.events.len() {
        if let Some(old) = before {
            writes.push(counter(shop, format!("OUT#{old}")));
        }
        writes.push(counter(shop, format!("IN#{}", bill.status)));
    }
    let paid =
        |events: &[crate::domain::bill::BillEvent]| events.iter().any(|e| e.to == BillStatus::Paid);
    if !paid(&bill.events[..since]) && paid(&bill.events[since..]) {
        let day = bill
            .paid_at
            .unwrap_or(bill.placed_at)
            .format("%Y-%m-%d")
            .to_string();
        let revenue = bill.currency.to_minor(bill.totals.excl_tax).unwrap_or(0);
        writes.push(Write::Add {
            key: Key::new(partition(shop), format!("DAY#{day}#REV")),
            by: revenue,
            at_most: None,
        });
        writes.push(counter(shop, format!("DAY#{day}#ORDERS")));
        writes.push(counter(
            shop,
            format!("METHOD#{}", bill.payment_method.as_str()),
        ));
        let mut items: BTreeMap<&str, i64> = BTreeMap::new();
        for line in &bill.lines {
            *items.entry(line.code.as_str()).or_default() += i64::from(line.quantity);
        }
        for (code, quantity) in items {
            writes.push(Write::Add {
                key: Key::new(partition(shop), format!("ITEM#{code}")),
                by: quantity,
                at_most: None,
            });
        }
    }
    writes
}

/// One day of sales.
#[derive(Debug, Serialize)]
pub struct Day {
    pub day: String,
    pub revenue_excl_tax: String,
    pub orders: u64,
}

#[derive(Debug, Serialize)]
pub struct ItemSold {
    pub code: String,
    pub quantity: u64,
}

/// The dashboard's figures.
#[derive(Debug, Serialize)]
pub struct Stats {
    pub currency: String,
    /// Bills in each status now.
    pub counts: BTreeMap<BillStatus, u64>,
    /// Each day of the range with sales, oldest first.
    pub days: Vec<Day>,
    /// Orders by payment method, since the counters exist.
    pub methods: BTreeMap<String, u64>,
    /// Items by quantity sold, most first.
    pub items: Vec<ItemSold>,
}

/// The shop's figures, days from `from` to `to` (inclusive): one query of the counters.
pub async fn read(
    store: &dyn Store,
    caller: &Caller,
    shop: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Stats, AppError> {
    let id: ShopId = repo::parse_id("shop", shop)?;
    caller.check_shop(&id, "shop", shop)?;
    let currency = repo::load_shop(store, &id, repo::Items::None)
        .await?
        .shop
        .currency;
    let mut entered: BTreeMap<BillStatus, u64> = BTreeMap::new();
    let mut left: BTreeMap<BillStatus, u64> = BTreeMap::new();
    let mut days: BTreeMap<String, (i64, u64)> = BTreeMap::new();
    let mut methods = BTreeMap::new();
    let mut items = Vec::new();
    let (first, last) = (
        from.format("%Y-%m-%d").to_string(),
        to.format("%Y-%m-%d").to_string(),
    );
    for record in store.query(&Query::partition(partition(&id))).await? {
        let name = record.item.key.sk.as_str();
        let count = record.count;
        let parts: Vec<&str> = name.split('#').collect();
        match parts.as_slice() {
            ["IN", s] => {
                if let Ok(s) = s.parse() {
                    entered.insert(s, count);
                }
            }
            ["OUT", s] => {
                if let Ok(s) = s.parse() {
                    left.insert(s, count);
                }
            }
            ["DAY", day, what] if *day >= first.as_str() && *day <= last.as_str() => {
                let entry = days.entry((*day).to_owned()).or_default();
                match *what {
                    "REV" => entry.0 = i64::try_from(count).unwrap_or(i64::MAX),
                    _ => entry.1 = count,
                }
            }
            ["METHOD", m] => {
                methods.insert((*m).to_owned(), count);
            }
            ["ITEM", code] => items.push(ItemSold {
                code: (*code).to_owned(),
                quantity: count,
            }),
            _ => {}
        }
    }
    items.sort_by(|a, b| b.quantity.cmp(&a.quantity).then(a.code.cmp(&b.code)));
    let counts = BillStatus::ALL
        .into_iter()
        .map(|s| {
            let now = entered.get(&s).copied().unwrap_or(0);
            (s, now.saturating_sub(left.get(&s).copied().unwrap_or(0)))
        })
        .collect();
    Ok(Stats {
        currency: currency.code().to_owned(),
        counts,
        days: days
            .into_iter()
            .map(|(day, (revenue, orders))| Day {
                day,
                revenue_excl_tax: currency.format(currency.from_minor(revenue)),
                orders,
            })
            .collect(),
        methods,
        items,
    })
}
