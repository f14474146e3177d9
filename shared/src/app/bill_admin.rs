//! The operator's bill desk (back office): find bills, read them, move them along the
//! transition table with a note, record money received.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::AppError;
use super::bills::Bills;
use super::checkout::BillView;
use super::keys;
use super::record::decode;
use super::repo;
use super::staff::Caller;
use crate::app::record::Versioned;
use crate::domain::bill::{Bill, BillId, BillRejection, BillStatus, Cause, Payment, Refund};
use crate::domain::catalog::PaymentMethod;
use crate::domain::ids::ShopId;
use crate::domain::{Errors, FieldError, Reason};
use crate::gateways::{self, Gateway};
use crate::ports::{Index, Query};

/// Query of `GET /admin/shops/{shop}/bills`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BillFilter {
    pub status: Option<String>,
    /// First day, `YYYY-MM-DD`, inclusive.
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD`, inclusive.
    pub to: Option<String>,
    /// Case-insensitive part of the bill id, invoice number, customer name or email.
    pub q: Option<String>,
    /// Bills paid (or to be paid) this way only: `card`, `transfer`, `check`, ...
    pub method: Option<String>,
    /// Bills with a line of this item code only.
    pub item: Option<String>,
    /// `newest` (the default) or `oldest` first.
    pub sort: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<usize>,
}

#[derive(Debug, Serialize)]
pub struct BillPage {
    pub bills: Vec<BillSummary>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct BillSummary {
    pub id: String,
    pub status: BillStatus,
    pub placed_at: chrono::DateTime<chrono::Utc>,
    pub invoice_number: Option<String>,
    pub credit_note_number: Option<String>,
    /// The credit notes of its part refunds, in the order taken.
    pub refund_credit_notes: Vec<String>,
    pub total: String,
    pub received: String,
    pub currency: String,
    pub payment_method: &'static str,
    pub customer: String,
    pub email: String,
    pub test: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransitionInput {
    pub to: String,
    #[serde(default)]
    pub note: Option<String>,
}

/// Query of `GET /admin/bills/{bill}/sample-notification`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SampleQuery {
    pub gateway: String,
    /// The gateway's own status word; its "paid" word by default.
    pub status: Option<String>,
    /// Default: what remains due.
    pub amount: Option<String>,
    /// Default: a fresh random id.
    pub event: Option<String>,
}

/// A signed notification to post as the gateway would (test-mode shops only).
#[derive(Debug, Serialize)]
pub struct SampleView {
    pub method: &'static str,
    pub url: String,
    pub headers: BTreeMap<String, String>,
    pub body: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentInput {
    pub amount: String,
    pub method: String,
    #[serde(default)]
    pub reference: Option<String>,
}

/// `POST /admin/bills/{bill}/refunds`: money given back on a bill paid in full that stands.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefundInput {
    /// Incl. tax, less than what the bill kept (`120,50` accepted).
    pub amount: String,
    /// The bank's or gateway's reference of the money sent back.
    #[serde(default)]
    pub reference: Option<String>,
    /// Why (staff only; required).
    pub note: String,
}

/// `POST /admin/bills/{bill}/messages/{message}/send-again`: `to`, an address instead of the
/// message's recipient's (a mistyped one corrected); none or empty: its recipient's, as now.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendAgainInput {
    #[serde(default)]
    pub to: Option<String>,
}

/// A message put back in the mailbox: the postman sends it within its next round.
#[derive(Debug, Serialize)]
pub struct SentAgain {
    pub id: String,
    pub kind: crate::domain::message::MessageKind,
    /// The address given, when one was.
    pub to: Option<String>,
}

/// An amount as typed: `1203,75` (French) reads as `1203.75`; a comma beside a point is left
/// for the parser to refuse.
fn decimal_point(amount: &str) -> String {
    let amount = amount.trim();
    if amount.contains('.') {
        amount.to_owned()
    } else {
        amount.replacen(',', ".", 1)
    }
}

/// An amount of money moved, as typed: in the bill's currency, more than 0 (`invalid_amount`,
/// which the staff's pages say in their language, else).
fn positive_amount(
    currency: crate::domain::money::Currency,
    typed: &str,
) -> Result<rust_decimal::Decimal, Reason> {
    let refused = Reason::coded("invalid_amount");
    let amount = currency
        .parse_amount(&decimal_point(typed))
        .map_err(&refused)?;
    if amount.is_zero() {
        return Err(refused("must be more than 0".into()));
    }
    Ok(amount)
}

/// The bank's or gateway's reference of money moved, trimmed (none when empty), at most 200
/// characters.
fn bank_reference(e: &mut Errors, typed: Option<&str>) -> Option<String> {
    let reference = typed.map(str::trim).filter(|r| !r.is_empty())?;
    if reference.chars().count() > 200 {
        e.add("reference", Reason::too_long(200));
    }
    Some(reference.to_owned())
}

/// How staff may say money came in: any real way of paying, and `test` on a test order only
/// (`free` is no money; a test payment on a real order would deliver it unpaid).
fn received_by(method: PaymentMethod, test_bill: bool) -> Result<PaymentMethod, Reason> {
    let refused = |text: &str| Err(Reason::new("method_unavailable", text));
    match method {
        PaymentMethod::Free => refused("`free` records no money: choose how it was paid"),
        PaymentMethod::Test if !test_bill => {
            refused("`test` is only for orders of a shop in test mode")
        }
        m => Ok(m),
    }
}

const PAGE: usize = 20;
const MAX_PAGE: usize = 100;

pub struct BillAdmin {
    desk: Bills,
}

fn money(bill: &Bill, amount: rust_decimal::Decimal) -> String {
    bill.currency.format(amount)
}

impl BillSummary {
    pub(crate) fn new(bill: &Bill) -> Self {
        Self {
            id: bill.id.to_string(),
            status: bill.status,
            placed_at: bill.placed_at,
            invoice_number: bill.invoice_number.clone(),
            credit_note_number: bill.credit_note.as_ref().map(|c| c.number.clone()),
            refund_credit_notes: bill
                .refunds
                .iter()
                .filter_map(|r| r.credit_note.as_ref().map(|c| c.number.clone()))
                .collect(),
            total: money(bill, bill.total()),
            received: money(bill, bill.received()),
            currency: bill.currency.code().to_owned(),
            payment_method: bill.payment_method.as_str(),
            customer: format!("{} {}", bill.customer.firstname, bill.customer.lastname),
            email: bill.customer.email.to_string(),
            test: bill.test,
        }
    }
}

/// A bill matches a search text: its id, invoice or credit notes' numbers, buyer's name or
/// email.
fn matches(bill: &Bill, q: &str) -> bool {
    let q = q.to_lowercase();
    let c = &bill.customer;
    let notes = bill
        .credit_notes()
        .into_iter()
        .map(|(n, _)| n.number.clone());
    [
        bill.id.as_str().to_owned(),
        bill.invoice_number.clone().unwrap_or_default(),
        format!("{} {}", c.firstname, c.lastname),
        c.email.to_string(),
    ]
    .into_iter()
    .chain(notes)
    .any(|field| field.to_lowercase().contains(&q))
}

/// The parsed filter: status, date bounds (as sort keys), the order and the page.
struct Parsed {
    status: Option<BillStatus>,
    method: Option<PaymentMethod>,
    /// Keys from this one on (a day: every key of that day sorts after it).
    from: Option<String>,
    /// Keys before this one (the day after `to`).
    to: Option<String>,
    oldest_first: bool,
    cursor: Option<String>,
    limit: usize,
}

impl Parsed {
    /// Whether the filter keeps a bill its index bounds let through.
    fn keeps(&self, bill: &Bill, filter: &BillFilter) -> bool {
        self.method.is_none_or(|m| bill.payment_method == m)
            && filter
                .item
                .as_deref()
                .is_none_or(|code| bill.lines.iter().any(|l| l.code.as_str() == code))
            && filter.q.as_deref().is_none_or(|q| matches(bill, q))
    }

    /// Whether a key lies past the range in the reading order (the rest is past it too).
    fn past(&self, key: &str) -> bool {
        if self.oldest_first {
            self.to.as_deref().is_some_and(|to| key >= to)
        } else {
            self.from.as_deref().is_some_and(|from| key < from)
        }
    }

    /// The index query from `cursor` (the last key read) on, in the reading order.
    fn query(&self, index: Index, pk: &str, cursor: Option<&String>) -> Query {
        let bound =
            |a: Option<&String>, b: Option<&String>, pick: fn(String, String) -> String| match (
                a.cloned(),
                b.cloned(),
            ) {
                (Some(a), Some(b)) => Some(pick(a, b)),
                (a, b) => a.or(b),
            };
        let (before, after) = if self.oldest_first {
            (None, bound(cursor, self.from.as_ref(), std::cmp::max))
        } else {
            (bound(cursor, self.to.as_ref(), std::cmp::min), None)
        };
        Query {
            index: Some(index),
            pk: pk.to_owned(),
            descending: !self.oldest_first,
            before,
            after,
            limit: Some(MAX_PAGE),
            ..Query::default()
        }
    }
}

fn parse_filter(f: &BillFilter) -> Result<Parsed, AppError> {
    let mut e = Errors::default();
    let status = f
        .status
        .as_deref()
        .and_then(|s| e.check("status", s.parse::<BillStatus>()));
    let day = |e: &mut Errors, name: &str, v: &Option<String>| {
        v.as_deref()
            .and_then(|d| e.check(name, crate::domain::parse_day(d)))
    };
    let from = day(&mut e, "from", &f.from).map(|d| d.format("%Y-%m-%d").to_string());
    let to = day(&mut e, "to", &f.to)
        .and_then(|d| d.succ_opt())
        .map(|d| d.format("%Y-%m-%d").to_string());
    let cursor = f.cursor.as_deref().and_then(|c| {
        e.check(
            "cursor",
            hex::decode(c)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| "not a cursor from this API".to_owned()),
        )
    });
    let method = f
        .method
        .as_deref()
        .and_then(|m| e.check("method", m.parse::<PaymentMethod>()));
    let oldest_first = match f.sort.as_deref() {
        None | Some("newest") => false,
        Some("oldest") => true,
        Some(other) => {
            e.add(
                "sort",
                format!("`{other}` is neither `newest` nor `oldest`"),
            );
            false
        }
    };
    let limit = f.limit.unwrap_or(PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        e.add("limit", format!("give 1 to {MAX_PAGE}"));
    }
    e.finish(|| ()).map_err(AppError::Invalid)?;
    Ok(Parsed {
        status,
        method,
        from,
        to,
        oldest_first,
        cursor,
        limit,
    })
}

impl BillAdmin {
    pub fn new(desk: Bills) -> Self {
        Self { desk }
    }

    /// A shop the caller reaches (another shop's is "not found").
    async fn shop(&self, caller: &Caller, shop: &str) -> Result<ShopId, AppError> {
        let id: ShopId = repo::parse_id("shop", shop)?;
        caller.check_shop(&id, "shop", shop)?;
        repo::load_shop(self.desk.store.as_ref(), &id, repo::Items::None).await?;
        Ok(id)
    }

    /// A bill of a shop the caller reaches (another shop's is "not found").
    async fn bill(&self, caller: &Caller, bill: &str) -> Result<Versioned<Bill>, AppError> {
        let id: BillId = repo::parse_id("bill", bill)?;
        let stored = self.desk.load(&id).await?;
        caller.check_shop(&stored.value.shop, "bill", bill)?;
        Ok(stored)
    }

    /// A page of the shop's bills, newest first.
    pub async fn list(
        &self,
        caller: &Caller,
        shop: &str,
        filter: &BillFilter,
    ) -> Result<BillPage, AppError> {
        let id = self.shop(caller, shop).await?;
        let p = parse_filter(filter)?;
        let (index, pk) = match p.status {
            Some(s) => (Index::Gsi1, keys::bills_in_status(&id, s)),
            None => (Index::Gsi3, keys::bills_of_shop(&id)),
        };
        let mut found = Vec::new();
        let mut cursor = p.cursor.clone();
        'pages: loop {
            let page = self
                .desk
                .store
                .query(&p.query(index, &pk, cursor.as_ref()))
                .await?;
            let exhausted = page.len() < MAX_PAGE;
            for record in page {
                let bill: Bill = decode("bill", &record)?;
                let key = keys::bill_date(&bill);
                if p.past(&key) {
                    break 'pages;
                }
                cursor = Some(key);
                if p.keeps(&bill, filter) {
                    found.push(bill);
                    if found.len() == p.limit {
                        break 'pages;
                    }
                }
            }
            if exhausted {
                break;
            }
        }
        let next_cursor = (found.len() == p.limit)
            .then(|| hex::encode(keys::bill_date(found.last().expect("a full page"))));
        Ok(BillPage {
            bills: found.iter().map(BillSummary::new).collect(),
            next_cursor,
        })
    }

    /// `GET /admin/shops/{shop}/messages/failed`: the messages given up on, newest first.
    pub async fn failed_messages(
        &self,
        caller: &Caller,
        shop: &str,
    ) -> Result<Vec<crate::app::mail::FailedMessage>, AppError> {
        let id = self.shop(caller, shop).await?;
        crate::app::mail::failed_messages(self.desk.store.as_ref(), &id).await
    }

    /// How many bills the shop has in each status, from the shop's counters (one query).
    pub async fn counts(
        &self,
        caller: &Caller,
        shop: &str,
    ) -> Result<BTreeMap<BillStatus, u64>, AppError> {
        let today = self.desk.clock.now().date_naive();
        let stats =
            super::stats::read(self.desk.store.as_ref(), caller, shop, today, today).await?;
        Ok(stats.counts)
    }

    /// `GET /admin/bills/{bill}/invoice` (the bill's order or invoice) or `/credit-note`, as
    /// its buyer sees it.
    pub async fn document(
        &self,
        caller: &Caller,
        bill: &str,
        which: super::bills::BillDocument,
    ) -> Result<crate::invoice::InvoiceDocument, AppError> {
        let bill = self.bill(caller, bill).await?.value;
        let shop = repo::load_shop(self.desk.store.as_ref(), &bill.shop, repo::Items::None).await?;
        which.of(&bill, &shop.document)
    }

    /// The bill as staff see it: its delivery, the moves open to them, its messages.
    pub async fn get(&self, caller: &Caller, bill: &str) -> Result<BillView, AppError> {
        let bill = self.bill(caller, bill).await?.value;
        let store = self.desk.store.as_ref();
        let (progress, support, messages) = tokio::try_join!(
            super::production::progress(store, &bill.id),
            super::production::support_progress(store, &bill.id),
            super::mail::bill_messages(store, &bill.id),
        )?;
        let mut view = BillView::new(&bill)
            .with_production(&progress)
            .with_support(support)
            .for_staff(&bill);
        view.messages = Some(messages);
        Ok(view)
    }

    /// Moves a bill along the table with the operator's note. Money is recorded with
    /// [`BillAdmin::record_payment`], never by a bare move to PAID or PARTIAL.
    pub async fn transition(
        &self,
        caller: &Caller,
        bill: &str,
        input: &TransitionInput,
    ) -> Result<BillView, AppError> {
        let first = self.bill(caller, bill).await?;
        let to: BillStatus = input
            .to
            .parse()
            .map_err(|e: String| AppError::invalid("to", e))?;
        let note = input
            .note
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty());
        let mut e = Errors::default();
        if matches!(to, BillStatus::Paid | BillStatus::Partial) {
            e.add(
                "to",
                "record the money received with POST /admin/bills/{bill}/payments",
            );
        }
        if matches!(
            to,
            BillStatus::Cancelled | BillStatus::Payback | BillStatus::Refunded
        ) && note.is_none()
        {
            let why = format!("a move to {to} needs a note saying why");
            e.add("note", Reason::new("note_required", why));
        }
        if note.is_some_and(|n| n.chars().count() > 1000) {
            e.add("note", Reason::too_long(1000));
        }
        e.finish(|| ()).map_err(AppError::Invalid)?;
        let actor = caller.actor();
        let reason = note.unwrap_or("operator decision").to_owned();
        let bill = self
            .desk
            .change_from(first, |b, now| {
                Ok(b.transition(to, &actor, reason.clone(), None, now)?)
            })
            .await?;
        tracing::info!(bill = %bill.id, to = %to, "operator transition");
        Ok(BillView::new(&bill).for_staff(&bill))
    }

    /// A notification for this bill signed with its shop's gateway settings, to try payments
    /// without the gateway. Only for shops in test mode: a live shop's secrets never sign
    /// anything here.
    pub async fn sample_notification(
        &self,
        caller: &Caller,
        bill: &str,
        q: &SampleQuery,
    ) -> Result<SampleView, AppError> {
        let bill = self.bill(caller, bill).await?.value;
        let shop = repo::load_shop(self.desk.store.as_ref(), &bill.shop, repo::Items::None).await?;
        if !shop.shop.test_mode {
            return Err(AppError::State(
                "sample notifications are only for shops in test mode".into(),
            ));
        }
        let method: PaymentMethod = q
            .gateway
            .parse()
            .map_err(|e: String| AppError::invalid("gateway", e))?;
        let (Some(gateway), Some(settings)) = (
            Gateway::of(method),
            shop.document.gateways.get(method.as_str()),
        ) else {
            let why = "the shop has no settings for this gateway";
            return Err(AppError::invalid("gateway", why));
        };
        let currency = bill.currency;
        let amount = match &q.amount {
            Some(a) => currency
                .parse_amount(a)
                .map_err(|e| AppError::invalid("amount", e))?,
            None => bill.remaining(),
        };
        let event = q
            .event
            .clone()
            .unwrap_or_else(|| crate::domain::ids::random_hex(8));
        let status = q
            .status
            .clone()
            .unwrap_or_else(|| gateway.paid_word().to_owned());
        let sample = gateways::samples::Sample {
            bill: bill.id.as_str(),
            event: &event,
            status: &status,
            amount,
            currency,
            now: self.desk.clock.now(),
        };
        let (body, headers) = gateway.sample(&gateways::Settings(settings), &sample)?;
        Ok(SampleView {
            method: "POST",
            url: format!("/shops/{}/notify/{}", bill.shop, method.as_str()),
            headers: headers.into_iter().collect(),
            body: String::from_utf8(body).expect("notifications are text"),
        })
    }

    /// `POST /admin/bills/{bill}/retry-production`: forgets the failed lines' records and sends
    /// the bill's production job again (next generation, so the queue does not drop it).
    pub async fn retry_production(
        &self,
        caller: &Caller,
        bill: &str,
    ) -> Result<BillView, AppError> {
        let first = self.bill(caller, bill).await?;
        let id = first.value.id.clone();
        if !matches!(first.value.status, BillStatus::Paid | BillStatus::Preprod) {
            return Err(AppError::State(format!(
                "a {} bill has no production to retry",
                first.value.status
            )));
        }
        let reset = super::production::reset_failed(self.desk.store.as_ref(), &id).await?;
        let actor = caller.actor();
        let bill = self
            .desk
            .change_from(first, |b, now| {
                // A new generation of the production job, written to the outbox with the
                // bill (the queue dedupes by generation, so it gets through).
                b.production_generation += 1;
                b.production_queued = false;
                b.note(&actor, Cause::ProductionRetried { units: reset }, None, now);
                Ok(())
            })
            .await?;
        let progress = super::production::progress(self.desk.store.as_ref(), &bill.id).await?;
        Ok(BillView::new(&bill)
            .with_production(&progress)
            .for_staff(&bill))
    }

    /// Sends a message given up on again (see [`super::mail::send_again`]), written on the
    /// bill's trace, in one transaction with the letter and the bill's new link token.
    pub async fn send_message_again(
        &self,
        caller: &Caller,
        bill: &str,
        message: &str,
        input: &SendAgainInput,
    ) -> Result<SentAgain, AppError> {
        let to = match input.to.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => Some(
                crate::domain::ids::Email::from_input(text)
                    .map_err(|reason| AppError::invalid("to", reason))?
                    .to_string(),
            ),
        };
        let first = self.bill(caller, bill).await?;
        let id = first.value.id.clone();
        let key = keys::letter(&id, message);
        let actor = caller.actor();
        let (to, id, key, actor) = (&to, &id, &key, &actor);
        let mut read = Some(first);
        super::retry::until_written("the bill is too busy; retry", |_| {
            let first = read.take();
            async move {
                let stored = match first {
                    Some(stored) => stored,
                    None => self.desk.load(id).await?,
                };
                let store = self.desk.store.as_ref();
                let record = store
                    .get(key)
                    .await
                    .map_err(AppError::from)?
                    .ok_or_else(|| AppError::not_found("message", key.sk.clone()))?;
                let mut letter: super::mail::Letter = decode("letter", &record)?;
                let bill_read = super::bills::Read::of(&stored);
                let mut bill = stored.value;
                let now = self.desk.clock.now();
                super::mail::send_again(&mut letter, &mut bill, to.clone(), now)?;
                let cause = Cause::MessageSentAgain {
                    message: letter.kind,
                    to: to.clone(),
                };
                bill.note(actor, cause, None, now);
                let write = crate::ports::Write::Put {
                    item: letter.item(),
                    when: crate::ports::PutIf::Version(record.version),
                };
                self.desk
                    .commit(&mut bill, bill_read, vec![write], now)
                    .await?;
                Ok(SentAgain {
                    id: letter.id,
                    kind: letter.kind,
                    to: to.clone(),
                })
            }
        })
        .await
    }

    /// Records money received; amounts accumulate (PARTIAL until all is received, then PAID).
    pub async fn record_payment(
        &self,
        caller: &Caller,
        bill: &str,
        input: &PaymentInput,
    ) -> Result<BillView, AppError> {
        let first = self.bill(caller, bill).await?;
        let currency = first.value.currency;
        let mut e = Errors::default();
        let amount = e.check("amount", positive_amount(currency, &input.amount));
        let method = e.check(
            "method",
            (input.method.parse::<PaymentMethod>())
                .map_err(Reason::from)
                .and_then(|m| received_by(m, first.value.test)),
        );
        let reference = bank_reference(&mut e, input.reference.as_deref());
        e.finish(|| ()).map_err(AppError::Invalid)?;
        let (amount, method) = (amount.expect("checked"), method.expect("checked"));
        let actor = caller.actor();
        let bill = self
            .desk
            .change_from(first, |b, now| {
                let payment = Payment {
                    at: now,
                    amount,
                    method,
                    reference: reference.clone(),
                    actor: actor.clone(),
                };
                b.record_payment(payment, Cause::OperatorPayment)
                    .map_err(|r| match r {
                        BillRejection::Overpaid { remaining } => {
                            let remaining = currency.format(remaining);
                            let text = format!("more than what remains due ({remaining})");
                            let reason = Reason::new("more_than_due", text)
                                .with("remaining", remaining)
                                .with("currency", currency.code());
                            AppError::Invalid(vec![FieldError::new("amount", reason)])
                        }
                        other => other.into(),
                    })
            })
            .await?;
        tracing::info!(bill = %bill.id, status = %bill.status, "payment recorded");
        Ok(BillView::new(&bill).for_staff(&bill))
    }

    /// Records money given back on a bill paid in full that stands (PAID, COMPLETE): the
    /// bill, its access and its status are unchanged; it takes a credit note for that amount
    /// in the same write, and its buyer is told with the credit note.
    pub async fn record_refund(
        &self,
        caller: &Caller,
        bill: &str,
        input: &RefundInput,
    ) -> Result<BillView, AppError> {
        let first = self.bill(caller, bill).await?;
        let currency = first.value.currency;
        let mut e = Errors::default();
        let amount = e.check("amount", positive_amount(currency, &input.amount));
        let reference = bank_reference(&mut e, input.reference.as_deref());
        let note = input.note.trim().to_owned();
        if note.is_empty() {
            let why = "say why the money is given back";
            e.add("note", Reason::new("required", why));
        } else if note.chars().count() > 1000 {
            e.add("note", Reason::too_long(1000));
        }
        e.finish(|| ()).map_err(AppError::Invalid)?;
        let amount = amount.expect("checked");
        let actor = caller.actor();
        let bill = self
            .desk
            .change_from(first, |b, now| {
                let refund = Refund {
                    at: now,
                    amount,
                    reference: reference.clone(),
                    actor: actor.clone(),
                    credit_note: None,
                };
                b.refund_part(refund, note.clone()).map_err(|r| match r {
                    BillRejection::RefundTooLarge { kept } => {
                        let kept = currency.format(kept);
                        let text = format!(
                            "less than what the bill kept ({kept}); to refund all of it, \
                             change its status to PAYBACK"
                        );
                        let reason = Reason::new("refund_too_large", text)
                            .with("kept", kept)
                            .with("currency", currency.code());
                        AppError::Invalid(vec![FieldError::new("amount", reason)])
                    }
                    other => other.into(),
                })
            })
            .await?;
        tracing::info!(bill = %bill.id, "part refund recorded");
        Ok(BillView::new(&bill).for_staff(&bill))
    }
}
