//! Every key of the single table: the one place that spells a record's partition and sort
//! keys, and its index keys (the table in ARCHITECTURE.md, "The store", lists them). A use case
//! never formats a key itself; it asks this module.

use chrono::{DateTime, Utc};

use crate::domain::bill::{Bill, BillId, BillStatus};
use crate::domain::ids::{CartId, ShopId};
use crate::domain::product::ProductRef;
use crate::ports::{JobKind, Key, ProductionJob};

/// Time as sortable text (microseconds, UTC), for sort keys ordered by date.
pub fn sortable(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

// ---- shops and their counters (one partition: one query reads a shop with its counters)

/// Sort key of the shop document within its partition.
pub const SHOP_DOCUMENT: &str = "SHOP";

pub fn shop(id: &ShopId) -> Key {
    Key::new(format!("SHOP#{id}"), SHOP_DOCUMENT)
}

/// The registry of shops (`SHOPS` / `{shop}`): what work spanning every shop walks.
pub const SHOPS: &str = "SHOPS";

pub fn shop_listing(id: &ShopId) -> Key {
    Key::new(SHOPS, id.to_string())
}

/// Sort-key prefix of the sold counters in a shop's partition.
pub const SOLD: &str = "SOLD#";

/// The counter of units sold of a stocked item.
pub fn sold(shop_id: &ShopId, code: &str) -> Key {
    Key::new(shop(shop_id).pk, format!("{SOLD}{code}"))
}

/// The item code of a sold counter's sort key; `None` for any other record of the partition.
pub fn sold_code(sk: &str) -> Option<&str> {
    sk.strip_prefix(SOLD)
}

/// The gapless invoice sequence of a shop's year.
pub fn invoice_sequence(shop_id: &ShopId, year: i32, test: bool) -> Key {
    Key::new(
        shop(shop_id).pk,
        format!("INVOICE#{}{year}", test_series(test)),
    )
}

/// The shop's counter of credit notes in `year`: a sequence of its own beside the invoices'.
pub fn credit_note_sequence(shop_id: &ShopId, year: i32, test: bool) -> Key {
    Key::new(
        shop(shop_id).pk,
        format!("CREDIT#{}{year}", test_series(test)),
    )
}

/// Test-mode bills number their documents apart from the real ones.
fn test_series(test: bool) -> &'static str {
    if test { "TEST#" } else { "" }
}

/// Lyra's daily transaction counter of one site.
pub fn lyra_counter(shop_id: &ShopId, site: &str, day: &str) -> Key {
    Key::new(shop(shop_id).pk, format!("LYRA#{site}#{day}"))
}

// ---- a shop's catalogue: its items, one record each, under one catalogue id

/// The partition of one catalogue (one import) of a shop. An import writes a new catalogue,
/// then points the shop's settings at it; the one before is swept later.
pub fn catalogue(shop: &ShopId, catalogue: &str) -> String {
    format!("CATALOG#{shop}#{catalogue}")
}

const ITEM: &str = "ITEM#";

/// An item of a catalogue, by its code (what a cart change reads in one batch).
pub fn catalogue_item(shop: &ShopId, catalogue_id: &str, code: &str) -> Key {
    Key::new(catalogue(shop, catalogue_id), format!("{ITEM}{code}"))
}

/// GSI3: a catalogue's items in the shop's order (the buyer's catalogue pages through it).
pub fn catalogue_order(shop: &ShopId, catalogue_id: &str, position: usize) -> Key {
    Key::new(
        format!("CATALOGUE#{shop}#{catalogue_id}"),
        format!("{position:06}"),
    )
}

/// Catalogues to delete (`RETIRED` / `{due}#{shop}#{catalogue}`): the one an import replaced,
/// once readers that saw it are done, and one whose import never finished.
pub const RETIRED: &str = "RETIRED";

pub fn retired_catalogue(due: DateTime<Utc>, shop: &ShopId, catalogue: &str) -> Key {
    Key::new(RETIRED, format!("{}#{shop}#{catalogue}", sortable(due)))
}

/// The shop and catalogue of a retirement record's sort key.
pub fn retired_parts(sk: &str) -> Option<(ShopId, String)> {
    let mut parts = sk.rsplitn(3, '#');
    let catalogue = parts.next()?.to_owned();
    let shop = parts.next()?.parse().ok()?;
    Some((shop, catalogue))
}

// ---- carts and bills

pub fn cart(id: &CartId) -> Key {
    Key::new(format!("CART#{id}"), "CART")
}

pub fn bill(id: &BillId) -> Key {
    Key::new(format!("BILL#{id}"), "BILL")
}

/// Sort key of a bill in the date indexes: placement time, then the id.
pub fn bill_date(bill: &Bill) -> String {
    format!("{}#{}", sortable(bill.placed_at), bill.id)
}

/// GSI1 partition: a shop's bills of one status, by date.
pub fn bills_in_status(shop: &ShopId, status: BillStatus) -> String {
    format!("BILLS#{shop}#{status}")
}

/// GSI3 partition: all of a shop's bills, by date.
pub fn bills_of_shop(shop: &ShopId) -> String {
    format!("BILLS#{shop}")
}

/// Prefix of a bill's sort key in its customer's GSI2 partition.
pub const CUSTOMER_BILL: &str = "BILL#";

/// A bill's sort key in its customer's GSI2 partition.
pub fn customer_bill(bill: &Bill) -> String {
    format!("{CUSTOMER_BILL}{}", bill_date(bill))
}

/// A gateway event's record, which makes a repeated notification a no-op.
pub fn gateway_event(gateway: &str, event_id: &str) -> Key {
    Key::new(format!("EVENT#{gateway}#{event_id}"), "EVENT")
}

// ---- customers and their sessions

/// GSI2 partition of a customer's bills and products; the table partition of their profile.
pub fn customer(shop: &str, email: &str) -> String {
    format!("CUSTOMER#{shop}#{}", email.to_lowercase())
}

pub fn customer_profile(shop: &str, email: &str) -> Key {
    Key::new(customer(shop, email), "PROFILE")
}

/// GSI1 partition: a shop's customers, by name (`customer_name`).
pub fn customers_of_shop(shop: &str) -> String {
    format!("CUSTOMERS#{shop}")
}

/// A customer's sort key in [`customers_of_shop`]: last name, first name, email, lower case.
pub fn customer_name(identity: &crate::domain::cart::Identity) -> String {
    format!(
        "{} {}#{}",
        identity.lastname.to_lowercase(),
        identity.firstname.to_lowercase(),
        identity.email.normalized()
    )
}

/// A session, stored under the hash of its token (never the token).
pub fn session(token_digest: &str) -> Key {
    Key::new(format!("SESSION#{token_digest}"), "SESSION")
}

/// The failed-login counter of one (shop, kind, who) in one time window.
pub fn login_failures(shop: &str, what: &str, who: &str, window: i64) -> Key {
    Key::new(
        format!("LOGINFAIL#{shop}#{what}#{}", who.to_lowercase()),
        window.to_string(),
    )
}

// ---- production: the outbox, units, product instances

/// The outbox record of a job: one per bill and kind (a seat change has one per change).
pub fn job(job: &ProductionJob) -> Key {
    let sk = match job.kind {
        JobKind::Produce => "PRODUCE".to_owned(),
        JobKind::Revoke => "REVOKE".to_owned(),
        JobKind::Seats => format!("SEATS#{}", job.generation),
    };
    Key::new(format!("JOB#{}", job.bill), sk)
}

/// GSI1 partition listing outbox records by last send time.
pub const OUTBOX: &str = "OUTBOX";

/// A job's sort key in [`OUTBOX`]: when it was last sent, then the job.
pub fn outbox_entry(job: &ProductionJob, sent_at: DateTime<Utc>) -> String {
    format!("{}#{}", sortable(sent_at), job.dedup_id())
}

/// The partition of a bill's production units.
pub fn units(bill: &BillId) -> String {
    format!("PROD#{bill}")
}

pub fn unit(bill: &BillId, unit: &str) -> Key {
    Key::new(units(bill), unit.to_owned())
}

pub fn product(reference: &ProductRef) -> Key {
    Key::new(format!("PRODUCT#{reference}"), "PRODUCT")
}

/// GSI3 partition: a shop's product instances by end date.
pub fn products_of_shop(shop: &str) -> String {
    format!("PRODUCTS#{shop}")
}

/// Prefix of a product's sort key in its customer's GSI2 partition.
pub const CUSTOMER_PRODUCT: &str = "PRODUCT#";

// ---- messages: one record per message, under its bill

/// A message of a bill: written with the bill change that causes it, kept once sent.
pub fn letter(bill: &BillId, id: &str) -> Key {
    Key::new(format!("MAIL#{bill}"), id.to_owned())
}

/// GSI1 partition of the messages waiting to be sent, by the time they are due.
pub const MAILBOX: &str = "MAILBOX";

/// GSI1 partition of a shop's messages given up on, by date: its operators' list of problems
/// (a shop's own, so that no shop's list is crowded out by another's).
pub fn mail_failed(shop: &ShopId) -> String {
    format!("{MAIL_FAILED_ALL_SHOPS}#{shop}")
}

/// Where messages given up on before 2026-12-07 were listed, every shop's together: still read.
pub const MAIL_FAILED_ALL_SHOPS: &str = "MAILFAILED";

/// A message's sort key in [`MAILBOX`] or [`mail_failed`].
pub fn mailbox_entry(at: DateTime<Utc>, id: &str) -> String {
    format!("{}#{id}", sortable(at))
}

/// The "find my orders" counter of one (shop, email) in one time window.
pub fn lookups(shop: &ShopId, email: &str, window: i64) -> Key {
    Key::new(
        format!("LOOKUP#{shop}#{}", email.to_lowercase()),
        window.to_string(),
    )
}
