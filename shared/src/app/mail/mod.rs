//! Messages (ARCHITECTURE.md, "Messages"): what a bill's events tell the buyer and the shop's
//! sales address, written as outbox records ("letters") in the same transaction as the bill
//! change that causes them, then sent by the [`postman::Postman`].
//!
//! Exactly once: the letters are those of the events a change adds to the bill as read, and
//! the bill is written on the version read (`bills::Read`), so an event's letters are written
//! once whatever the retries, duplicate notifications or redelivered jobs. A letter's id is its bill, event
//! and kind; it stays (marked sent) once sent.

mod access;
mod compose;
mod own_words;
pub mod postman;
pub mod preview;
mod reminders;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::keys;
use crate::domain::Language;
use crate::domain::bill::{AccessToken, Actor, Bill, BillEvent, BillId, BillStatus, Cause};
use crate::domain::ids::ShopId;
use crate::ports::{Index, Item, Key, PutIf, Write};

pub use crate::domain::message::MessageKind;

impl MessageKind {
    /// Who a kind of message goes to.
    pub fn recipient(self) -> Recipient {
        match self {
            MessageKind::NewOrder
            | MessageKind::AwaitingPayment
            | MessageKind::GatewayNote
            | MessageKind::ProductionFailed
            | MessageKind::NotComplete => Recipient::Sales,
            MessageKind::SeatAssigned => Recipient::Holder,
            _ => Recipient::Buyer,
        }
    }
}

/// The buyer (the bill's customer), the shop's sales address (`seller.email`), or a seat's
/// holder (the address in the letter's [`SeatNote`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recipient {
    Buyer,
    Sales,
    Holder,
}

/// A seat given to someone: who, where, until when, and how they sign in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeatNote {
    pub holder_email: String,
    pub holder_name: String,
    pub username: String,
    pub course_id: u64,
    /// The bill line the seat was bought with.
    pub line: usize,
    pub start: DateTime<Utc>,
    pub end: Option<DateTime<Utc>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LetterState {
    /// Waiting in the mailbox (listed by when it is due).
    Due,
    Sent,
    /// Given up on: refused by the mail system, or failed too often. Listed for operators.
    Failed,
}

/// Which product an expiry reminder is about, and how many days before its end it is sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reminder {
    pub product: String,
    pub days: u32,
}

/// A message's outbox record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Letter {
    pub id: String,
    pub shop: ShopId,
    pub bill: BillId,
    /// The bill event that caused it (index into the bill's events).
    pub event: usize,
    pub kind: MessageKind,
    pub language: Language,
    /// The bill's access token for the buyer's link, until the letter is sent; only its
    /// digest is on the bill.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_token: Option<String>,
    /// "Find my orders": each bill found, with an access token of its own (removed once sent).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<(BillId, String)>,
    /// An expiry reminder's product and threshold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reminder: Option<Reminder>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seat: Option<SeatNote>,
    pub state: LetterState,
    pub attempts: u32,
    pub due_at: DateTime<Utc>,
    /// Claimed by a postman until then (it is sending it); another leaves it alone till then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leased_until: Option<DateTime<Utc>>,
    #[serde(default)]
    pub last_error: Option<String>,
    /// Given up on at a refusal for good (the mail system's, or no address to send to), not
    /// after [`postman::MAX_ATTEMPTS`] tries: the operator checks an address, not the mail system.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub refused: bool,
    #[serde(default)]
    pub sent_at: Option<DateTime<Utc>>,
    /// The address it went to, once sent (or was refused).
    #[serde(default)]
    pub to: Option<String>,
    /// The address staff gave when sending it again (a mistyped one corrected), instead of its
    /// recipient's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_to: Option<String>,
}

impl Letter {
    /// A letter due now about the bill's event `event`.
    pub(super) fn due(
        bill: &Bill,
        event: usize,
        kind: MessageKind,
        id: String,
        now: DateTime<Utc>,
    ) -> Self {
        Letter {
            id,
            shop: bill.shop.clone(),
            bill: bill.id.clone(),
            event,
            kind,
            language: bill.language,
            link_token: None,
            links: Vec::new(),
            reminder: None,
            seat: None,
            state: LetterState::Due,
            attempts: 0,
            due_at: now,
            leased_until: None,
            last_error: None,
            refused: false,
            sent_at: None,
            to: None,
            send_to: None,
        }
    }

    pub fn key(&self) -> Key {
        keys::letter(&self.bill, &self.id)
    }

    /// The record: listed in the mailbox while due, in the operators' list once failed.
    pub fn item(&self) -> Item {
        let body = serde_json::to_string(self).expect("a letter serializes");
        let mut item = Item::new(self.key(), body);
        // Anyone may ask for a buyer's orders (3 times an hour): once gone, such a letter
        // cannot go again (its links' tokens are gone), so it goes from the table after a
        // while, and strangers' requests neither stay nor lengthen the bill's list for ever.
        if self.kind == MessageKind::OrdersLookup && self.state != LetterState::Due {
            let at = self.sent_at.unwrap_or(self.due_at);
            item = item.expiring_at(at + chrono::Duration::days(LOOKUP_LETTER_DAYS));
        }
        let listing = match self.state {
            LetterState::Due => Some((keys::MAILBOX.to_owned(), self.due_at)),
            LetterState::Failed => Some((
                keys::mail_failed(&self.shop),
                self.sent_at.unwrap_or(self.due_at),
            )),
            LetterState::Sent => None,
        };
        match listing {
            Some((pk, at)) => {
                item.indexed(Index::Gsi1, Key::new(pk, keys::mailbox_entry(at, &self.id)))
            }
            None => item,
        }
    }
}

/// Days a "find my orders" letter is kept once sent (or given up on).
pub const LOOKUP_LETTER_DAYS: i64 = 30;

/// What an event of a bill tells, and to whom. Notes (a status kept) are only told when a
/// gateway wrote them (to the shop: an amount mismatch, a payment on a settled bill) or when
/// the shop delivered a bill before its payment (to the buyer: the access is ready).
fn kinds_of(event: &BillEvent) -> Vec<MessageKind> {
    if event.from == Some(event.to) {
        return match (&event.actor, &event.cause) {
            (Actor::Gateway(_), _) => vec![MessageKind::GatewayNote],
            (_, Some(Cause::PartialRefund { .. })) => vec![MessageKind::PartialRefund],
            (Actor::System, Some(Cause::Delivered)) => vec![MessageKind::Delivered],
            (Actor::System, Some(Cause::PaymentReminder { .. })) => {
                vec![MessageKind::PaymentReminder]
            }
            _ => Vec::new(),
        };
    }
    match (event.from, event.to) {
        (None, _) => vec![MessageKind::OrderPlaced, MessageKind::NewOrder],
        (_, BillStatus::Pending) => vec![MessageKind::AwaitingPayment],
        (_, BillStatus::Paid) => vec![MessageKind::PaymentReceived],
        // Delivered before payment: the buyer was told then.
        (_, BillStatus::Complete) if event.cause == Some(Cause::PaidAfterDelivery) => Vec::new(),
        (_, BillStatus::Complete) => vec![MessageKind::Delivered],
        (_, BillStatus::Failed) => vec![MessageKind::PaymentFailed],
        // Once the money is back and the access closed (REFUNDED), not when it is owed
        // (PAYBACK): a refund passes through both, and the buyer is told once, truly.
        (_, BillStatus::Refunded) => vec![MessageKind::Refunded],
        // Called off by an operator or by the shop (days unpaid), the buyer who placed it (and
        // may still mean to pay, or was given access on trust) is told.
        (_, BillStatus::Cancelled) if !matches!(event.actor, Actor::Buyer) => {
            vec![MessageKind::Cancelled]
        }
        _ => Vec::new(),
    }
}

/// The letters of the bill's events from index `since` (those the change adds), as writes for the bill's transaction.
/// Each buyer's letter carries an access token of its own (its digest added to the bill), so
/// that its link opens the bill from any mailbox. The bill is changed: write it with these.
pub(crate) fn letters(bill: &mut Bill, since: usize, now: DateTime<Utc>) -> Vec<Write> {
    let mut writes = Vec::new();
    for index in since..bill.events.len() {
        for kind in kinds_of(&bill.events[index]) {
            let link_token = (kind.recipient() == Recipient::Buyer).then(|| link_token(bill));
            let id = format!("{}-{index}-{}", bill.id, kind.as_str());
            let letter = Letter {
                link_token,
                ..Letter::due(bill, index, kind, id, now)
            };
            writes.push(Write::Put {
                item: letter.item(),
                when: PutIf::Absent,
            });
        }
    }
    writes
}

/// A message given up on, as the operators' list shows it (no token, no body).
#[derive(Clone, Debug, Serialize)]
pub struct FailedMessage {
    pub id: String,
    pub bill: BillId,
    pub kind: MessageKind,
    pub to: Option<String>,
    pub attempts: u32,
    /// Refused for good (see [`Letter::refused`]); false: given up after its last try.
    pub refused: bool,
    pub error: Option<String>,
    pub at: Option<DateTime<Utc>>,
}

/// The shop's messages given up on (refused, or failed too often), newest first, at most 1,000:
/// its own list, and the list of every shop's kept before 2026-12-07.
pub async fn failed_messages(
    store: &dyn crate::ports::Store,
    shop: &ShopId,
) -> Result<Vec<FailedMessage>, super::AppError> {
    let mut failed = Vec::new();
    for pk in [
        keys::mail_failed(shop),
        keys::MAIL_FAILED_ALL_SHOPS.to_owned(),
    ] {
        let query = crate::ports::Query {
            index: Some(Index::Gsi1),
            pk,
            descending: true,
            limit: Some(1000),
            ..crate::ports::Query::default()
        };
        for record in store.query(&query).await? {
            let letter: Letter = super::record::decode("letter", &record)?;
            if &letter.shop == shop {
                failed.push(FailedMessage::from(letter));
            }
        }
    }
    failed.sort_by_key(|m| std::cmp::Reverse(m.at));
    failed.truncate(1000);
    Ok(failed)
}

impl From<Letter> for FailedMessage {
    fn from(letter: Letter) -> Self {
        FailedMessage {
            id: letter.id,
            bill: letter.bill,
            kind: letter.kind,
            to: letter.to,
            attempts: letter.attempts,
            // A letter given up before its last try was refused for good, whether or not it
            // was given up before `refused` was recorded (2026-12-07).
            refused: letter.refused || letter.attempts < postman::MAX_ATTEMPTS,
            error: letter.last_error,
            at: letter.sent_at,
        }
    }
}

/// One of a bill's messages, as the staff's bill page lists it (no token, no body).
#[derive(Clone, Debug, Serialize)]
pub struct BillMessage {
    pub id: String,
    pub kind: MessageKind,
    /// Where it went, or goes: the address staff gave, else its recipient's once known.
    pub to: Option<String>,
    /// `due` (waiting to go), `sent` or `failed` (given up on).
    pub state: LetterState,
    pub attempts: u32,
    /// When it went or was given up on; when it is due while waiting.
    pub at: DateTime<Utc>,
    pub error: Option<String>,
    /// Given up on at a refusal for good, as [`FailedMessage::refused`].
    pub refused: bool,
    /// Whether staff may send it again: sent or given up on, and not a "find my orders" one.
    pub can_send_again: bool,
}

/// The messages of `bill` (those its events caused, "find my orders" ones filed under it),
/// oldest first.
pub async fn bill_messages(
    store: &dyn crate::ports::Store,
    bill: &BillId,
) -> Result<Vec<BillMessage>, super::AppError> {
    let query = crate::ports::Query {
        pk: keys::letter(bill, "").pk,
        ..crate::ports::Query::default()
    };
    let mut messages = Vec::new();
    for record in store.query(&query).await? {
        let letter: Letter = super::record::decode("letter", &record)?;
        messages.push(BillMessage {
            can_send_again: letter.state != LetterState::Due
                && letter.kind != MessageKind::OrdersLookup,
            refused: letter.state == LetterState::Failed
                && (letter.refused || letter.attempts < postman::MAX_ATTEMPTS),
            to: letter.send_to.clone().or(letter.to.clone()),
            at: match letter.state {
                LetterState::Due => letter.due_at,
                _ => letter.sent_at.unwrap_or(letter.due_at),
            },
            id: letter.id,
            kind: letter.kind,
            state: letter.state,
            attempts: letter.attempts,
            error: letter.last_error,
        });
    }
    messages.sort_by_key(|m| m.at);
    Ok(messages)
}

/// A fresh access token for a letter's link to its bill, its digest added to the bill.
fn link_token(bill: &mut Bill) -> String {
    let token = AccessToken::random();
    bill.mail_token_digests
        .push(AccessToken::digest(token.as_str()));
    token.as_str().to_owned()
}

/// Puts a letter sent or given up on back in the mailbox, due now, with its tries counted
/// afresh and, when `to` is given, that address instead of its recipient's: a buyer who lost a
/// message, or typed their address wrong and never had it, gets it again. A buyer's letter gets
/// a fresh link token, as [`letters`] gives (the one it had was dropped once sent or given up
/// on). The bill is changed: write it with the letter. A letter still waiting goes as it is; a
/// "find my orders" letter cannot go again: the tokens of its links are gone (the customer asks
/// again).
pub(crate) fn send_again(
    letter: &mut Letter,
    bill: &mut Bill,
    to: Option<String>,
    now: DateTime<Utc>,
) -> Result<(), super::AppError> {
    if letter.state == LetterState::Due {
        return Err(super::AppError::State(
            "this message is waiting to go: it leaves within a minute".into(),
        ));
    }
    if letter.kind == MessageKind::OrdersLookup {
        return Err(super::AppError::State(
            "the links of a \"find my orders\" message are gone: the customer asks again".into(),
        ));
    }
    if letter.kind.recipient() == Recipient::Buyer {
        letter.link_token = Some(link_token(bill));
    }
    letter.state = LetterState::Due;
    letter.attempts = 0;
    letter.refused = false;
    letter.last_error = None;
    letter.sent_at = None;
    letter.leased_until = None;
    letter.due_at = now;
    letter.to = None;
    letter.send_to = to;
    Ok(())
}

/// The "find my orders" letter: the links to `found` (newest first, each with its token) sent
/// to their customer. Filed under the newest bill.
pub(crate) fn lookup_letter(found: &[(Bill, String)], now: DateTime<Utc>) -> Option<Write> {
    let (newest, _) = found.first()?;
    let kind = MessageKind::OrdersLookup;
    let id = format!(
        "{}-{}-{}",
        newest.id,
        kind.as_str(),
        crate::domain::ids::random_hex(8)
    );
    let letter = Letter {
        links: found
            .iter()
            .map(|(b, t)| (b.id.clone(), t.clone()))
            .collect(),
        ..Letter::due(newest, newest.events.len(), kind, id, now)
    };
    Some(Write::Put {
        item: letter.item(),
        when: PutIf::Absent,
    })
}

/// The letters of a seat just given (to its holder, and a copy to the buyer), as writes for
/// the seat's own write: once per assignment (its time, to the microsecond, is in their ids:
/// until 2026-12-08 to the second, and a seat given back and given again within a second
/// found its letters' ids taken, so that the new holder's seat was never written).
pub(crate) fn seat_letters(
    bill: &Bill,
    reference: &str,
    note: &SeatNote,
    now: DateTime<Utc>,
) -> Vec<Write> {
    [MessageKind::SeatAssigned, MessageKind::SeatAssignedCopy]
        .into_iter()
        .map(|kind| {
            let id = seat_letter_id(&bill.id.to_string(), kind, reference, note.start);
            let letter = Letter {
                seat: Some(note.clone()),
                ..Letter::due(bill, bill.events.len(), kind, id, now)
            };
            Write::Put {
                item: letter.item(),
                when: PutIf::Absent,
            }
        })
        .collect()
}

/// A seat letter's id: one per bill, kind, seat and assignment (by its time).
fn seat_letter_id(bill: &str, kind: MessageKind, seat: &str, given: DateTime<Utc>) -> String {
    let at = given.timestamp_micros();
    format!("{bill}-{}-{seat}-{at}", kind.as_str())
}

/// Tells the shop's sales address that the bill's production needs an operator: once per
/// production generation (an operator's retry that fails again is told again). Written before
/// the job is finished, so a crash before it only repeats the job, which writes it then.
pub(crate) async fn alert_production_failed(
    store: &dyn crate::ports::Store,
    bill: &Bill,
    now: DateTime<Utc>,
) -> Result<(), crate::ports::StoreError> {
    alert_once(store, bill, MessageKind::ProductionFailed, now).await
}

/// Tells the shop's sales address that a bill paid longer ago than the reconciliation delay is
/// still not delivered: once per production generation.
pub(crate) async fn alert_not_complete(
    store: &dyn crate::ports::Store,
    bill: &Bill,
    now: DateTime<Utc>,
) -> Result<(), crate::ports::StoreError> {
    alert_once(store, bill, MessageKind::NotComplete, now).await
}

async fn alert_once(
    store: &dyn crate::ports::Store,
    bill: &Bill,
    kind: MessageKind,
    now: DateTime<Utc>,
) -> Result<(), crate::ports::StoreError> {
    let id = format!(
        "{}-{}-{}",
        bill.id,
        kind.as_str(),
        bill.production_generation
    );
    let letter = Letter::due(bill, bill.events.len(), kind, id, now);
    let write = Write::Put {
        item: letter.item(),
        when: PutIf::Absent,
    };
    match store.write(vec![write]).await {
        Ok(()) | Err(crate::ports::StoreError::ConditionFailed) => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A seat given back and given again within the same second is a new assignment, with
    /// letters of its own: the same ids would fail the seat's write for good.
    #[test]
    fn a_seat_given_again_at_once_has_letters_of_its_own() {
        let first = DateTime::from_timestamp(1_796_686_107, 100_000_000).unwrap();
        let again = first + chrono::Duration::milliseconds(300);
        let id = |at| seat_letter_id("B1", MessageKind::SeatAssigned, "SEAT-1", at);
        assert_ne!(id(first), id(again));
        assert_eq!(id(first), id(first), "a redelivery writes the same letter");
    }

    fn event(from: Option<BillStatus>, to: BillStatus, actor: Actor) -> BillEvent {
        BillEvent {
            at: Utc::now(),
            from,
            to,
            actor,
            reason: String::new(),
            reference: None,
            cause: None,
        }
    }

    /// A "find my orders" letter goes from the table 30 days after it went; the bill's own
    /// letters, and one still waiting, stay.
    #[test]
    fn a_sent_lookup_letter_expires_and_the_bills_own_stay() {
        let (_, shop) = preview::demo_shop();
        let bill = preview::sample_bill(&shop, crate::domain::Language::En);
        let now = Utc::now();
        let mut lookup = Letter::due(&bill, 0, MessageKind::OrdersLookup, "x".into(), now);
        assert_eq!(lookup.item().expires_at, None, "waiting to go");
        lookup.state = LetterState::Sent;
        lookup.sent_at = Some(now);
        let days = chrono::Duration::days(LOOKUP_LETTER_DAYS);
        assert_eq!(lookup.item().expires_at, Some((now + days).timestamp()));
        let mut delivered = Letter::due(&bill, 2, MessageKind::Delivered, "y".into(), now);
        delivered.state = LetterState::Sent;
        delivered.sent_at = Some(now);
        assert_eq!(delivered.item().expires_at, None);
    }

    fn caused(event: BillEvent, cause: Cause) -> BillEvent {
        BillEvent {
            cause: Some(cause),
            ..event
        }
    }

    #[test]
    fn each_event_tells_what_a_buyer_or_the_shop_needs_to_know() {
        use BillStatus::*;
        use MessageKind::*;
        let gateway = || Actor::Gateway("stripe".into());
        let cases = [
            (
                event(None, Placed, Actor::Buyer),
                vec![OrderPlaced, NewOrder],
            ),
            (
                event(Some(Placed), Pending, Actor::Buyer),
                vec![AwaitingPayment],
            ),
            (event(Some(Pending), Paid, gateway()), vec![PaymentReceived]),
            (event(Some(Paid), Complete, Actor::System), vec![Delivered]),
            (event(Some(Placed), Failed, gateway()), vec![PaymentFailed]),
            (
                event(Some(Payback), BillStatus::Refunded, gateway()),
                vec![MessageKind::Refunded],
            ),
            (
                event(Some(Complete), Payback, Actor::Operator("ann".into())),
                vec![],
            ),
            (event(Some(Paid), Paid, gateway()), vec![GatewayNote]),
            (
                event(Some(Paid), Paid, Actor::Operator("ann".into())),
                vec![],
            ),
            (
                event(Some(Placed), BillStatus::Cancelled, Actor::Buyer),
                vec![],
            ),
            (
                event(
                    Some(Pending),
                    BillStatus::Cancelled,
                    Actor::Operator("ann".into()),
                ),
                vec![MessageKind::Cancelled],
            ),
            (
                event(Some(Placed), BillStatus::Cancelled, Actor::System),
                vec![MessageKind::Cancelled],
            ),
            (
                caused(
                    event(Some(Pending), Pending, Actor::System),
                    Cause::PaymentReminder { days: 7 },
                ),
                vec![MessageKind::PaymentReminder],
            ),
            // Delivered before payment: told at delivery, not again once paid.
            (
                caused(
                    event(Some(Preprod), Preprod, Actor::System),
                    Cause::Delivered,
                ),
                vec![Delivered],
            ),
            (
                caused(
                    event(Some(Paid), Complete, Actor::System),
                    Cause::PaidAfterDelivery,
                ),
                vec![],
            ),
        ];
        for (event, kinds) in cases {
            assert_eq!(kinds_of(&event), kinds, "{event:?}");
        }
    }
}
