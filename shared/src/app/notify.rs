//! Payment notifications (ARCHITECTURE.md, "The four request paths"): authentic, idempotent per gateway event, order-independent
//! and amount-checked.
//!
//! 1. Verify on the raw bytes (signature, or PayPal's postback): failure → `Unauthentic`, nothing
//!    stored.
//! 2. Apply it to the bill in one transaction with the event's record, created only if absent:
//!    dedupe and effect cannot be separated by a crash, and a repeat (sequential or concurrent)
//!    loses on the record's condition, finds the record and answers `duplicate`, no effect.
//!
//! DynamoDB requests per applied notification: the shop (one query: settings), the bill, the
//! invoice sequence when the bill becomes PAID, and one transaction (event record + bill +
//! sequence + production outbox).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::bills::{Bills, Read, find_bill};
use super::retry::until_written;
use super::{AppError, repo};
use crate::domain::bill::{Actor, Bill, BillId, BillStatus, Cause, Payment};
use crate::domain::catalog::PaymentMethod;
use crate::gateways::{Gateway, Outcome, PaymentEvent, Received, Settings, VerifyError};
use crate::ports::GatewayApi;
use crate::ports::{Item, Key, PutIf, StoreError, Write};

/// The answer to a notification (`{"outcome": ...}`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotifyOutcome {
    Applied,
    Duplicate,
    IgnoredUnknownBill,
    AmountMismatch,
    IgnoredStatus,
}

pub struct Notifier {
    desk: Bills,
    api: Arc<dyn GatewayApi>,
}

impl From<VerifyError> for AppError {
    fn from(e: VerifyError) -> Self {
        match e {
            VerifyError::Unauthentic(why) => AppError::Unauthentic(why),
            VerifyError::NotConfigured(why) => AppError::invalid("gateway", why),
            VerifyError::Unavailable(why) => AppError::Unavailable(why),
        }
    }
}

fn event_key(event: &PaymentEvent) -> Key {
    super::keys::gateway_event(event.gateway.as_str(), &event.event_id)
}

fn event_record(event: &PaymentEvent, outcome: NotifyOutcome, now: DateTime<Utc>) -> Write {
    let body = serde_json::json!({
        "gateway": event.gateway.as_str(),
        "event_id": event.event_id,
        "bill": event.bill,
        "outcome": outcome,
        "event": event.outcome,
        "amount": event.amount.map(|a| a.to_string()),
        "currency": event.currency.map(|c| c.code()),
        "reference": event.reference,
        "received_at": now,
    });
    Write::Put {
        item: Item::new(event_key(event), body.to_string()),
        when: PutIf::Absent,
    }
}

/// What a verified event does to a bill; the bill is changed in place.
pub fn apply(bill: &mut Bill, event: &PaymentEvent, now: DateTime<Utc>) -> NotifyOutcome {
    let actor = Actor::Gateway(event.gateway.as_str().to_owned());
    let reference = event.reference.clone();
    match event.outcome {
        Outcome::Paid => pay(bill, event, &actor, reference, now),
        Outcome::Pending if matches!(bill.status, BillStatus::Placed | BillStatus::Failed) => {
            move_to(
                bill,
                &[BillStatus::Pending],
                &actor,
                Cause::GatewayPending,
                reference,
                now,
            )
        }
        Outcome::Failed if matches!(bill.status, BillStatus::Placed | BillStatus::Pending) => {
            move_to(
                bill,
                &[BillStatus::Failed],
                &actor,
                Cause::GatewayRefused,
                reference,
                now,
            )
        }
        Outcome::Refunded => refund(bill, event, &actor, reference, now),
        _ => NotifyOutcome::IgnoredStatus,
    }
}

/// A refund notified. Of less than the bill received, in its currency (a goodwill gesture, one
/// session of several): a note for the operators (told by message), never the bill refunded and
/// its access closed. Of all of it, or of an amount the gateway does not say: the bill goes to
/// PAYBACK then REFUNDED, and what it delivered is closed.
fn refund(
    bill: &mut Bill,
    event: &PaymentEvent,
    actor: &Actor,
    reference: Option<String>,
    now: DateTime<Utc>,
) -> NotifyOutcome {
    use BillStatus::*;
    let partial = event
        .amount
        .filter(|_| event.currency == Some(bill.currency))
        .filter(|refunded| *refunded > rust_decimal::Decimal::ZERO && *refunded < bill.kept());
    let path: &[BillStatus] = match (partial, bill.status) {
        (Some(refunded), Paid | Complete | Partial | Payback) => {
            let currency = bill.currency;
            let cause = Cause::GatewayPartialRefund { refunded, currency };
            bill.note(actor, cause, reference, now);
            return NotifyOutcome::Applied;
        }
        (_, Paid | Complete | Partial | Preprod) => &[Payback, Refunded],
        (_, Payback) => &[Refunded],
        _ => return NotifyOutcome::IgnoredStatus,
    };
    move_to(bill, path, actor, Cause::GatewayRefunded, reference, now)
}

/// A payment notified: recorded when the bill awaits one and the amount is in the bill's
/// currency and at most what remains due; otherwise a note for operators.
fn pay(
    bill: &mut Bill,
    event: &PaymentEvent,
    actor: &Actor,
    reference: Option<String>,
    now: DateTime<Utc>,
) -> NotifyOutcome {
    let due = bill.remaining();
    let currency_ok = event.currency == Some(bill.currency);
    let amount = event
        .amount
        .filter(|a| currency_ok && *a > rust_decimal::Decimal::ZERO && *a <= due);
    if !bill.status.awaits_payment() {
        bill.note(
            actor,
            Cause::NotifiedWhenSettled {
                status: bill.status,
            },
            reference,
            now,
        );
        return NotifyOutcome::IgnoredStatus;
    }
    let Some(amount) = amount else {
        let got = format!(
            "{} {}",
            event.amount.map_or("?".into(), |a| a.to_string()),
            event.currency.map_or("?", |c| c.code())
        );
        bill.note(
            actor,
            Cause::AmountMismatch {
                notified: got,
                due,
                currency: bill.currency,
            },
            reference,
            now,
        );
        return NotifyOutcome::AmountMismatch;
    };
    let payment = Payment {
        at: now,
        amount,
        method: event.gateway,
        reference,
        actor: actor.clone(),
    };
    match bill.record_payment(payment, Cause::GatewayPaid) {
        Ok(()) => NotifyOutcome::Applied,
        Err(_) => NotifyOutcome::IgnoredStatus,
    }
}

fn move_to(
    bill: &mut Bill,
    path: &[BillStatus],
    actor: &Actor,
    cause: Cause,
    reference: Option<String>,
    now: DateTime<Utc>,
) -> NotifyOutcome {
    for to in path {
        if bill
            .transition(*to, actor, cause.clone(), reference.clone(), now)
            .is_err()
        {
            return NotifyOutcome::IgnoredStatus;
        }
    }
    NotifyOutcome::Applied
}

impl Notifier {
    pub fn new(desk: Bills, api: Arc<dyn GatewayApi>) -> Self {
        Self { desk, api }
    }

    /// `POST /shops/{shop}/notify/{gateway}`.
    pub async fn notify(
        &self,
        shop: &str,
        gateway: &str,
        raw: Received<'_>,
    ) -> Result<NotifyOutcome, AppError> {
        let stored = repo::load_shop(
            self.desk.store.as_ref(),
            &repo::parse_id("shop", shop)?,
            repo::Items::None,
        )
        .await?;
        let unknown = || AppError::not_found("gateway", gateway);
        let method: PaymentMethod = gateway.parse().map_err(|_| unknown())?;
        let (Some(verifier), Some(settings)) = (
            Gateway::of(method),
            stored.document.gateways.get(method.as_str()),
        ) else {
            return Err(unknown());
        };
        let now = self.desk.clock.now();
        let settings = Settings(settings);
        let verified = verifier.verify(&settings, &raw, now, self.api.as_ref());
        let Some(event) = verified.await? else {
            return Ok(NotifyOutcome::IgnoredStatus);
        };
        tracing::info!(gateway, event = %event.event_id, bill = %event.bill, outcome = ?event.outcome, "verified notification");
        self.record(&stored.shop.id, event).await
    }

    async fn record(
        &self,
        shop: &crate::domain::ids::ShopId,
        event: PaymentEvent,
    ) -> Result<NotifyOutcome, AppError> {
        let store = self.desk.store.as_ref();
        let event = &event;
        until_written("the bill is too busy; the gateway will retry", |attempt| async move {
            // A repeat loses on the event record's condition; only then is the record read.
            if attempt > 0 && store.get(&event_key(event)).await?.is_some() {
                return Ok(NotifyOutcome::Duplicate);
            }
            let now = self.desk.clock.now();
            let bill = match event.bill.parse::<BillId>() {
                Ok(id) => find_bill(store, &id)
                    .await?
                    .filter(|b| &b.value.shop == shop),
                Err(_) => None,
            };
            let Some(stored) = bill else {
                tracing::warn!(bill = %event.bill, "notification for an unknown bill, recorded");
                let record = event_record(event, NotifyOutcome::IgnoredUnknownBill, now);
                return match store.write(vec![record]).await {
                    Ok(()) => Ok(NotifyOutcome::IgnoredUnknownBill),
                    Err(StoreError::ConditionFailed) => Ok(NotifyOutcome::Duplicate),
                    Err(e) => Err(e.into()),
                };
            };
            let read = Read::of(&stored);
            let before = stored.value.clone();
            let mut bill = stored.value;
            let outcome = apply(&mut bill, event, now);
            let record = event_record(event, outcome, now);
            if bill == before {
                store.write(vec![record]).await?;
            } else {
                self.desk.commit(&mut bill, read, vec![record], now).await?;
            }
            tracing::info!(bill = %bill.id, ?outcome, status = %bill.status, "notification applied");
            Ok(outcome)
        })
        .await
    }
}
