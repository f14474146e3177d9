//! The sales figures of the dashboard, kept as counters in the shop's `STATS#{shop}` partition
//! and written in each bill's own transaction, so that reading them is one query however many
//! bills there are.
//!
//! Counters only ever grow (a decrement below zero would fail the bill's write): a status
//! counts the bills created in it (`IN#{status}`) and the bills that moved from one status to
//! another (`MOVE#{from}#{to}`: one counter a move, not two, as each is a write in the bill's
//! transaction), the bills in a status now being those that entered it less those that left it
//! (`OUT#{status}`, the counters of before 2026-12-06 with `IN#` for a move, are still read). A
//! bill is counted as sold the first time it is PAID: its revenue excl. tax (in minor units) and
//! one order on that day (`DAY#{date}#REV`, `#ORDERS`), its payment method, and the quantity of
//! each item. Money given back on a bill that was paid counts on the day it is (`DAY#{date}#REFUND`,
//! excl. tax): a part refund its amount, a refund of the bill what it still kept. Bills written
//! before the counters existed are not in them.
//!
//! A test-mode bill (`Bill::test`) counts apart (`STATS#{shop}#TEST`): the dashboard shows a
//! shop in test mode its test sales, and a live shop its real ones only, not the orders its
//! staff placed while setting it up (counters written before 2026-12-07 mix both).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::staff::Caller;
use super::{AppError, repo};
use crate::domain::bill::{Bill, BillStatus};
use crate::domain::ids::ShopId;
use crate::ports::{Key, Query, Store, Write};

/// The counters of a shop's real bills, or of its test bills.
fn partition(shop: &ShopId, test: bool) -> String {
    if test {
        format!("STATS#{shop}#TEST")
    } else {
        format!("STATS#{shop}")
    }
}

fn counter(partition: &str, name: String) -> Write {
    Write::Add {
        key: Key::new(partition, name),
        by: 1,
        at_most: None,
        expires_at: None,
    }
}

/// The counters a bill change adds: the events from `since` are the change's.
pub(crate) fn counters(bill: &Bill, since: usize) -> Vec<Write> {
    let shop = &partition(&bill.shop, bill.test);
    let mut writes = Vec::new();
    let before = bill.events[..since].last().map(|e| e.to);
    if before != Some(bill.status) && since < bill.events.len() {
        writes.push(counter(
            shop,
            match before {
                Some(old) => format!("MOVE#{old}#{}", bill.status),
                None => format!("IN#{}", bill.status),
            },
        ));
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
            key: Key::new(shop.as_str(), format!("DAY#{day}#REV")),
            by: revenue,
            at_most: None,
            expires_at: None,
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
                key: Key::new(shop.as_str(), format!("ITEM#{code}")),
                by: quantity,
                at_most: None,
                expires_at: None,
            });
        }
    }
    writes.extend(refunds(bill, since, shop));
    writes
}

/// The money a change gives back on a bill that was paid (whose revenue counted), excl. tax,
/// on its day: a part refund's amount, or on REFUNDED what the bill kept.
fn refunds(bill: &Bill, since: usize, shop: &str) -> Vec<Write> {
    use crate::domain::bill::{Cause, Credited};
    if bill.paid_at.is_none() {
        return Vec::new();
    }
    bill.events[since..]
        .iter()
        .filter_map(|e| {
            let credited = match &e.cause {
                Some(Cause::PartialRefund { refunded, .. }) => Credited::Part(*refunded),
                _ if e.to == BillStatus::Refunded && e.from != Some(e.to) => bill.own_credit(),
                _ => return None,
            };
            let excl = bill.currency.to_minor(credited.excl_tax(bill)).unwrap_or(0);
            let day = e.at.format("%Y-%m-%d");
            Some(Write::Add {
                key: Key::new(shop, format!("DAY#{day}#REFUND")),
                by: excl,
                at_most: None,
                expires_at: None,
            })
        })
        .collect()
}

/// One day of sales.
#[derive(Debug, Serialize)]
pub struct Day {
    pub day: String,
    pub revenue_excl_tax: String,
    pub orders: u64,
    /// Money given back that day on bills that were paid, excl. tax.
    pub refunded_excl_tax: String,
}

#[derive(Debug, Serialize)]
pub struct ItemSold {
    pub code: String,
    pub quantity: u64,
    /// Its name in each language, while the shop still sells it (none for an item deleted
    /// since).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub names: Option<BTreeMap<crate::domain::Language, String>>,
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

/// The bills that entered and left each status, from the status counters.
#[derive(Debug, Default)]
struct Flows {
    entered: BTreeMap<BillStatus, u64>,
    left: BTreeMap<BillStatus, u64>,
}

impl Flows {
    /// Adds one counter (its name split at `#`); a name of no known status is left out.
    fn add(&mut self, name: &[&str], count: u64) {
        let status = |s: &str| s.parse::<BillStatus>().ok();
        let (into, out_of) = match name {
            ["IN", s] => (status(s), None),
            ["OUT", s] => (None, status(s)),
            ["MOVE", from, to] => match (status(from), status(to)) {
                (Some(from), Some(to)) => (Some(to), Some(from)),
                _ => return,
            },
            _ => return,
        };
        if let Some(s) = into {
            *self.entered.entry(s).or_default() += count;
        }
        if let Some(s) = out_of {
            *self.left.entry(s).or_default() += count;
        }
    }

    /// The bills in each status now.
    fn now(&self) -> BTreeMap<BillStatus, u64> {
        let get = |m: &BTreeMap<BillStatus, u64>, s| m.get(&s).copied().unwrap_or(0);
        BillStatus::ALL
            .into_iter()
            .map(|s| (s, get(&self.entered, s).saturating_sub(get(&self.left, s))))
            .collect()
    }
}

/// The shop's figures, days from `from` to `to` (inclusive): its two sets of counters (one
/// query each, at once), then the shop with the items sold, to name them (one query, one batch
/// read), whose mode says which set to show.
pub async fn read(
    store: &dyn Store,
    caller: &Caller,
    shop: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Stats, AppError> {
    let id: ShopId = repo::parse_id("shop", shop)?;
    caller.check_shop(&id, "shop", shop)?;
    let (real, tests) = (
        Query::partition(partition(&id, false)),
        Query::partition(partition(&id, true)),
    );
    let (live, test) = tokio::try_join!(store.query(&real), store.query(&tests))?;
    // The shop, naming the items sold: the dashboard names an item sold by direct link only,
    // or beyond the catalogue's first page, as any other.
    let codes = live
        .iter()
        .chain(&test)
        .filter_map(|r| r.item.key.sk.strip_prefix("ITEM#"));
    let (stored, names) = repo::load_shop_naming(store, &id, codes).await?;
    let records = if stored.shop.test_mode { test } else { live };
    let currency = stored.shop.currency;
    let mut figures = Figures::of(&records, from, to);
    for item in &mut figures.items {
        item.names = names.get(&item.code).cloned();
    }
    Ok(Stats {
        currency: currency.code().to_owned(),
        counts: figures.flows.now(),
        days: figures
            .days
            .into_iter()
            .map(|(day, sums)| Day {
                day,
                revenue_excl_tax: currency.format(currency.from_minor(sums.revenue)),
                orders: sums.orders,
                refunded_excl_tax: currency.format(currency.from_minor(sums.refunded)),
            })
            .collect(),
        methods: figures.methods,
        items: figures.items,
    })
}

/// One day's counters: revenue and refunds in minor units, orders.
#[derive(Default)]
struct DaySums {
    revenue: i64,
    orders: u64,
    refunded: i64,
}

/// The figures one set of counters holds, days from `from` to `to`.
#[derive(Default)]
struct Figures {
    flows: Flows,
    days: BTreeMap<String, DaySums>,
    methods: BTreeMap<String, u64>,
    items: Vec<ItemSold>,
}

impl Figures {
    fn of(records: &[crate::ports::Record], from: NaiveDate, to: NaiveDate) -> Self {
        let (first, last) = (
            from.format("%Y-%m-%d").to_string(),
            to.format("%Y-%m-%d").to_string(),
        );
        let mut f = Figures::default();
        for record in records {
            let count = record.count;
            let parts: Vec<&str> = record.item.key.sk.split('#').collect();
            match parts.as_slice() {
                ["IN" | "OUT" | "MOVE", ..] => f.flows.add(&parts, count),
                ["DAY", day, what] if *day >= first.as_str() && *day <= last.as_str() => {
                    let entry = f.days.entry((*day).to_owned()).or_default();
                    let minor = i64::try_from(count).unwrap_or(i64::MAX);
                    match *what {
                        "REV" => entry.revenue = minor,
                        "REFUND" => entry.refunded = minor,
                        _ => entry.orders = count,
                    }
                }
                ["METHOD", m] => {
                    f.methods.insert((*m).to_owned(), count);
                }
                ["ITEM", code] => f.items.push(ItemSold {
                    code: (*code).to_owned(),
                    quantity: count,
                    names: None,
                }),
                _ => {}
            }
        }
        f.items
            .sort_by(|a, b| b.quantity.cmp(&a.quantity).then(a.code.cmp(&b.code)));
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bills counted in a status now: those created in it or moved into it, less those moved
    /// out; the counters of before 2026-12-06 (a move as `OUT#` + `IN#`) add up with today's.
    #[test]
    fn a_status_counts_what_entered_it_less_what_left() {
        let mut flows = Flows::default();
        for (name, count) in [
            ("IN#PLACED", 5),
            ("MOVE#PLACED#PAID", 3),
            ("MOVE#PAID#COMPLETE", 2),
            ("OUT#PLACED", 1),
            ("IN#PAID", 1),
            ("MOVE#PLACED#NOSUCH", 9),
            ("IN#NOSUCH", 9),
        ] {
            flows.add(&name.split('#').collect::<Vec<_>>(), count);
        }
        let now = flows.now();
        assert_eq!(now[&BillStatus::Placed], 1);
        assert_eq!(now[&BillStatus::Paid], 2);
        assert_eq!(now[&BillStatus::Complete], 2);
        assert_eq!(now[&BillStatus::Cancelled], 0);
    }

    /// A payment is one move counter, not one out of the old status and one into the new.
    #[test]
    fn a_status_change_is_one_counter() {
        let (_, shop) = crate::app::mail::preview::demo_shop();
        let mut bill = crate::app::mail::preview::sample_bill(&shop, crate::domain::Language::En);
        bill.status = BillStatus::Placed;
        bill.paid_at = None;
        let at = chrono::Utc::now();
        bill.transition(
            BillStatus::Paid,
            &crate::domain::bill::Actor::Buyer,
            crate::domain::bill::Cause::TestPaymentAccepted,
            None,
            at,
        )
        .unwrap();
        let statuses: Vec<String> = counters(&bill, 1)
            .into_iter()
            .filter_map(|w| match w {
                Write::Add { key, .. } => Some(key.sk),
                _ => None,
            })
            .filter(|sk| ["IN#", "OUT#", "MOVE#"].iter().any(|p| sk.starts_with(p)))
            .collect();
        assert_eq!(statuses, ["MOVE#PLACED#PAID"]);
    }
}
