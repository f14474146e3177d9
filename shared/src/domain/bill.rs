//! Bills (ARCHITECTURE.md, "Bill states"): the placed order and, once paid, the invoice.
//!
//! A bill freezes everything the buyer agreed to: each line with the item as sold, its price and
//! tax, the required data and the seats, the customer and invoicing identities and the totals.
//! Its status moves only along [`BillStatus::can_go_to`], and every move appends a
//! [`BillEvent`]: the transaction trace an operator reads.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::cart::{Form, Identity, Participant};
use super::catalog::PaymentMethod;
use super::document::ItemDoc;
use super::ids::{CartId, Email, ItemCode, ShopId, random_hex};
use super::message::MessageKind;
use super::money::Currency;

/// Bill statuses (local_shop's, made consistent; its SOLDOUT is PAID).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BillStatus {
    Placed,
    Pending,
    Partial,
    Paid,
    Preprod,
    Complete,
    Failed,
    Cancelled,
    Payback,
    Refunded,
}

impl BillStatus {
    pub const ALL: [BillStatus; 10] = [
        BillStatus::Placed,
        BillStatus::Pending,
        BillStatus::Partial,
        BillStatus::Paid,
        BillStatus::Preprod,
        BillStatus::Complete,
        BillStatus::Failed,
        BillStatus::Cancelled,
        BillStatus::Payback,
        BillStatus::Refunded,
    ];

    /// The one table of allowed transitions.
    ///
    /// - Before payment (PLACED, PENDING, FAILED) a bill can be paid (fully or partly), fail,
    ///   be produced on trust (PREPROD) or be abandoned; a FAILED bill goes back to PLACED when
    ///   the buyer retries with another method.
    /// - Money received (PARTIAL, PAID, PREPROD, COMPLETE) is never simply cancelled: it is
    ///   owed back (PAYBACK), then REFUNDED. CANCELLED and REFUNDED are final.
    pub fn can_go_to(self, to: BillStatus) -> bool {
        use BillStatus::*;
        let allowed: &[BillStatus] = match self {
            Placed => &[Pending, Partial, Paid, Preprod, Failed, Cancelled],
            Pending => &[Partial, Paid, Preprod, Failed, Cancelled],
            Failed => &[Placed, Pending, Partial, Paid, Cancelled],
            Partial => &[Paid, Payback],
            // Delivered before payment, the money still owed: paid, it becomes COMPLETE
            // (see [`Bill::record_payment`]); never paid, it is called off and what it
            // delivered is closed.
            Preprod => &[Partial, Paid, Cancelled],
            Paid => &[Complete, Payback],
            Complete => &[Payback],
            Payback => &[Refunded],
            Cancelled | Refunded => &[],
        };
        allowed.contains(&to)
    }

    /// Where an operator may move the bill ([`BillStatus::can_go_to`]), in the table's order:
    /// PAID and PARTIAL come from the money recorded, never from a bare move.
    pub fn operator_moves(self) -> Vec<BillStatus> {
        BillStatus::ALL
            .into_iter()
            .filter(|to| {
                self.can_go_to(*to) && !matches!(to, BillStatus::Paid | BillStatus::Partial)
            })
            .collect()
    }

    /// Statuses on which the bill takes its invoice number.
    pub fn takes_invoice_number(self) -> bool {
        matches!(self, BillStatus::Paid | BillStatus::Preprod)
    }

    /// Statuses on which an invoiced bill takes its credit note: no money is owed for it.
    pub fn takes_credit_note(self) -> bool {
        matches!(self, BillStatus::Refunded | BillStatus::Cancelled)
    }

    /// Statuses from which a payment is still expected.
    pub fn awaits_payment(self) -> bool {
        matches!(
            self,
            BillStatus::Placed
                | BillStatus::Pending
                | BillStatus::Failed
                | BillStatus::Partial
                | BillStatus::Preprod
        )
    }

    pub fn as_str(self) -> &'static str {
        use BillStatus::*;
        match self {
            Placed => "PLACED",
            Pending => "PENDING",
            Partial => "PARTIAL",
            Paid => "PAID",
            Preprod => "PREPROD",
            Complete => "COMPLETE",
            Failed => "FAILED",
            Cancelled => "CANCELLED",
            Payback => "PAYBACK",
            Refunded => "REFUNDED",
        }
    }
}

impl FromStr for BillStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        BillStatus::ALL
            .into_iter()
            .find(|b| b.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("`{s}` is not a bill status"))
    }
}

impl fmt::Display for BillStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A bill's public reference, sent to gateways as the order reference: 20 upper-case letters
/// and digits (`YYMMDD` + 14 random), within every gateway's limit (Ogone: 30).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BillId(String);

impl BillId {
    pub fn new(now: DateTime<Utc>) -> Self {
        const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        let mut random = [0u8; 14];
        getrandom::fill(&mut random).expect("the operating system's random source is available");
        let tail: String = random
            .iter()
            .map(|b| ALPHABET[usize::from(*b) % 32] as char)
            .collect();
        Self(format!("{}{tail}", now.format("%y%m%d")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for BillId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if (1..=30).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        {
            Ok(Self(s.to_owned()))
        } else {
            Err("not a bill id".into())
        }
    }
}

impl TryFrom<String> for BillId {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<BillId> for String {
    fn from(b: BillId) -> String {
        b.0
    }
}

impl fmt::Display for BillId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The secret that opens a bill's pages: 192 random bits. The bill stores only its SHA-256.
pub struct AccessToken(String);

impl AccessToken {
    pub fn random() -> Self {
        Self(random_hex(24))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn digest(token: &str) -> String {
        hex::encode(Sha256::digest(token.as_bytes()))
    }
}

/// Who changed a bill. Stored and shown as its text (`buyer`, `system`, `gateway:<name>`,
/// `operator:<id>`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Actor {
    Buyer,
    Gateway(String),
    Operator(String),
    /// A member of staff as the buyer reads the trace ([`BillEvent::for_buyer`]): unnamed.
    /// Written to buyers only, never stored (a stored entry names its operator).
    Staff,
    System,
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::Buyer => f.write_str("buyer"),
            Actor::Gateway(g) => write!(f, "gateway:{g}"),
            Actor::Operator(o) => write!(f, "operator:{o}"),
            Actor::Staff => f.write_str("operator"),
            Actor::System => f.write_str("system"),
        }
    }
}

impl FromStr for Actor {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once(':') {
            None if s == "buyer" => Ok(Actor::Buyer),
            None if s == "system" => Ok(Actor::System),
            Some(("gateway", g)) if !g.is_empty() => Ok(Actor::Gateway(g.to_owned())),
            Some(("operator", o)) if !o.is_empty() => Ok(Actor::Operator(o.to_owned())),
            _ => Err(format!("`{s}` is not an actor")),
        }
    }
}

impl TryFrom<String> for Actor {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<Actor> for String {
    fn from(a: Actor) -> String {
        a.to_string()
    }
}

/// One entry of the bill's trace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillEvent {
    pub at: DateTime<Utc>,
    pub from: Option<BillStatus>,
    pub to: BillStatus,
    pub actor: Actor,
    /// In English: the shop's words for a [`Cause`], or an operator's own note.
    pub reason: String,
    pub reference: Option<String>,
    /// What the shop itself wrote, by code, for the pages and messages to say in their
    /// reader's language. None for an operator's note, and for entries written before causes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<Cause>,
}

/// Why the shop wrote an entry on a bill's trace. Serialized with its `code` beside its
/// parameters (`{"code": "awaiting_payment", "method": "transfer"}`), through [`CauseWire`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "CauseWire", try_from = "CauseWire")]
pub enum Cause {
    OrderPlaced {
        method: PaymentMethod,
    },
    AwaitingPayment {
        method: PaymentMethod,
    },
    FreeOrder,
    PaymentRetried {
        method: PaymentMethod,
    },
    TestPaymentAccepted,
    TestPaymentPending,
    TestPaymentRefused,
    GatewayPaid,
    GatewayPending,
    GatewayRefused,
    GatewayRefunded,
    OperatorPayment,
    Delivered,
    /// Paid in full after every line was delivered (a PREPROD bill): settled.
    PaidAfterDelivery,
    ProductionRetried {
        units: usize,
    },
    /// A payment notified on a bill that awaits none.
    NotifiedWhenSettled {
        status: BillStatus,
    },
    /// A payment notified for another amount or currency (`notified` as the gateway said it).
    AmountMismatch {
        notified: String,
        due: Decimal,
        currency: Currency,
    },
    MessageNotDelivered {
        message: MessageKind,
        to: Option<String>,
        error: String,
    },
    /// Left at a gateway (never paid, not retried) `days` after placement: called off by the
    /// shop, its stock given back.
    Abandoned {
        days: i64,
    },
    /// A cheque or transfer still awaited `days` after placement: the buyer is reminded how to
    /// pay, once.
    PaymentReminder {
        days: i64,
    },
    /// The gateway refunded part of what was received (`refunded`, as it said it): the bill
    /// and its access stand; operators decide what follows.
    GatewayPartialRefund {
        refunded: Decimal,
        currency: Currency,
    },
    /// Staff recorded money given back on a bill that stands (part of what it received), with
    /// their `note` saying why; its credit note is the bill's [`Refund`] of that time.
    PartialRefund {
        refunded: Decimal,
        currency: Currency,
        note: String,
    },
    /// Staff sent a message given up on again: to `to` when they gave an address.
    MessageSentAgain {
        message: MessageKind,
        to: Option<String>,
    },
}

super::names! {
    /// A [`Cause`]'s code.
    CauseCode {
        OrderPlaced = "order_placed",
        AwaitingPayment = "awaiting_payment",
        FreeOrder = "free_order",
        PaymentRetried = "payment_retried",
        TestPaymentAccepted = "test_payment_accepted",
        TestPaymentPending = "test_payment_pending",
        TestPaymentRefused = "test_payment_refused",
        GatewayPaid = "gateway_paid",
        GatewayPending = "gateway_pending",
        GatewayRefused = "gateway_refused",
        GatewayRefunded = "gateway_refunded",
        OperatorPayment = "operator_payment",
        Delivered = "delivered",
        PaidAfterDelivery = "paid_after_delivery",
        ProductionRetried = "production_retried",
        NotifiedWhenSettled = "notified_when_settled",
        AmountMismatch = "amount_mismatch",
        MessageNotDelivered = "message_not_delivered",
        MessageSentAgain = "message_sent_again",
        GatewayPartialRefund = "gateway_partial_refund",
        PartialRefund = "partial_refund",
        Abandoned = "abandoned",
        PaymentReminder = "payment_reminder",
    }
}

/// A [`Cause`] as stored and sent: its code and the parameters it has. A flat struct, not
/// serde's internally tagged enum, whose code for each variant and each JSON reader and
/// writer cost every function that reads bills some 60 KB.
#[derive(Serialize, Deserialize)]
struct CauseWire {
    code: CauseCode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    method: Option<PaymentMethod>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    units: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status: Option<BillStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    notified: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    due: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refunded: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    days: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    currency: Option<Currency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    message: Option<MessageKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    to: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    note: Option<String>,
}

impl From<Cause> for CauseWire {
    fn from(cause: Cause) -> Self {
        let mut w = CauseWire {
            code: CauseCode::FreeOrder,
            method: None,
            units: None,
            status: None,
            notified: None,
            due: None,
            refunded: None,
            days: None,
            currency: None,
            message: None,
            to: None,
            error: None,
            note: None,
        };
        w.code = match cause {
            Cause::OrderPlaced { method } => {
                w.method = Some(method);
                CauseCode::OrderPlaced
            }
            Cause::AwaitingPayment { method } => {
                w.method = Some(method);
                CauseCode::AwaitingPayment
            }
            Cause::PaymentRetried { method } => {
                w.method = Some(method);
                CauseCode::PaymentRetried
            }
            Cause::FreeOrder => CauseCode::FreeOrder,
            Cause::TestPaymentAccepted => CauseCode::TestPaymentAccepted,
            Cause::TestPaymentPending => CauseCode::TestPaymentPending,
            Cause::TestPaymentRefused => CauseCode::TestPaymentRefused,
            Cause::GatewayPaid => CauseCode::GatewayPaid,
            Cause::GatewayPending => CauseCode::GatewayPending,
            Cause::GatewayRefused => CauseCode::GatewayRefused,
            Cause::GatewayRefunded => CauseCode::GatewayRefunded,
            Cause::OperatorPayment => CauseCode::OperatorPayment,
            Cause::Delivered => CauseCode::Delivered,
            Cause::PaidAfterDelivery => CauseCode::PaidAfterDelivery,
            Cause::ProductionRetried { units } => {
                w.units = Some(units);
                CauseCode::ProductionRetried
            }
            Cause::NotifiedWhenSettled { status } => {
                w.status = Some(status);
                CauseCode::NotifiedWhenSettled
            }
            Cause::AmountMismatch {
                notified,
                due,
                currency,
            } => {
                (w.notified, w.due, w.currency) = (Some(notified), Some(due), Some(currency));
                CauseCode::AmountMismatch
            }
            Cause::Abandoned { days } => {
                w.days = Some(days);
                CauseCode::Abandoned
            }
            Cause::PaymentReminder { days } => {
                w.days = Some(days);
                CauseCode::PaymentReminder
            }
            Cause::GatewayPartialRefund { refunded, currency } => {
                (w.refunded, w.currency) = (Some(refunded), Some(currency));
                CauseCode::GatewayPartialRefund
            }
            Cause::PartialRefund {
                refunded,
                currency,
                note,
            } => {
                let note = (!note.is_empty()).then_some(note);
                (w.refunded, w.currency, w.note) = (Some(refunded), Some(currency), note);
                CauseCode::PartialRefund
            }
            Cause::MessageNotDelivered { message, to, error } => {
                (w.message, w.to, w.error) = (Some(message), to, Some(error));
                CauseCode::MessageNotDelivered
            }
            Cause::MessageSentAgain { message, to } => {
                (w.message, w.to) = (Some(message), to);
                CauseCode::MessageSentAgain
            }
        };
        w
    }
}

impl TryFrom<CauseWire> for Cause {
    type Error = String;
    fn try_from(w: CauseWire) -> Result<Self, String> {
        let code = w.code;
        let missing = |name: &str| format!("cause `{}` without its `{name}`", code.as_str());
        let method = || w.method.ok_or_else(|| missing("method"));
        Ok(match code {
            CauseCode::OrderPlaced => Cause::OrderPlaced { method: method()? },
            CauseCode::AwaitingPayment => Cause::AwaitingPayment { method: method()? },
            CauseCode::FreeOrder => Cause::FreeOrder,
            CauseCode::PaymentRetried => Cause::PaymentRetried { method: method()? },
            CauseCode::TestPaymentAccepted => Cause::TestPaymentAccepted,
            CauseCode::TestPaymentPending => Cause::TestPaymentPending,
            CauseCode::TestPaymentRefused => Cause::TestPaymentRefused,
            CauseCode::GatewayPaid => Cause::GatewayPaid,
            CauseCode::GatewayPending => Cause::GatewayPending,
            CauseCode::GatewayRefused => Cause::GatewayRefused,
            CauseCode::GatewayRefunded => Cause::GatewayRefunded,
            CauseCode::OperatorPayment => Cause::OperatorPayment,
            CauseCode::Delivered => Cause::Delivered,
            CauseCode::PaidAfterDelivery => Cause::PaidAfterDelivery,
            CauseCode::ProductionRetried => Cause::ProductionRetried {
                units: w.units.ok_or_else(|| missing("units"))?,
            },
            CauseCode::NotifiedWhenSettled => Cause::NotifiedWhenSettled {
                status: w.status.ok_or_else(|| missing("status"))?,
            },
            CauseCode::AmountMismatch => Cause::AmountMismatch {
                notified: w.notified.ok_or_else(|| missing("notified"))?,
                due: w.due.ok_or_else(|| missing("due"))?,
                currency: w.currency.ok_or_else(|| missing("currency"))?,
            },
            CauseCode::Abandoned => Cause::Abandoned {
                days: w.days.ok_or_else(|| missing("days"))?,
            },
            CauseCode::PaymentReminder => Cause::PaymentReminder {
                days: w.days.ok_or_else(|| missing("days"))?,
            },
            CauseCode::GatewayPartialRefund => Cause::GatewayPartialRefund {
                refunded: w.refunded.ok_or_else(|| missing("refunded"))?,
                currency: w.currency.ok_or_else(|| missing("currency"))?,
            },
            CauseCode::PartialRefund => Cause::PartialRefund {
                refunded: w.refunded.ok_or_else(|| missing("refunded"))?,
                currency: w.currency.ok_or_else(|| missing("currency"))?,
                note: w.note.unwrap_or_default(),
            },
            CauseCode::MessageNotDelivered => Cause::MessageNotDelivered {
                message: w.message.ok_or_else(|| missing("message"))?,
                to: w.to,
                error: w.error.ok_or_else(|| missing("error"))?,
            },
            CauseCode::MessageSentAgain => Cause::MessageSentAgain {
                message: w.message.ok_or_else(|| missing("message"))?,
                to: w.to,
            },
        })
    }
}

impl Cause {
    /// The entry's words in English (its `reason`).
    pub fn english(&self) -> String {
        use Cause::*;
        match self {
            OrderPlaced { method } => format!("order placed, payment by {}", method.as_str()),
            AwaitingPayment { method } => format!("awaiting payment by {}", method.as_str()),
            FreeOrder => "free order".into(),
            PaymentRetried { method } => format!("payment retried with {}", method.as_str()),
            TestPaymentAccepted => "test payment accepted".into(),
            TestPaymentPending => "test payment pending".into(),
            TestPaymentRefused => "test payment refused".into(),
            GatewayPaid => "payment confirmed by the gateway".into(),
            GatewayPending => "payment pending at the gateway".into(),
            GatewayRefused => "payment refused or abandoned at the gateway".into(),
            GatewayRefunded => "refunded by the gateway".into(),
            OperatorPayment => "payment recorded by an operator".into(),
            Delivered => "every line produced".into(),
            PaidAfterDelivery => "paid in full, every line delivered before".into(),
            ProductionRetried { units } => format!("production retried ({units} line units reset)"),
            NotifiedWhenSettled { status } => {
                format!("payment notification on a {status} bill: operators, check it")
            }
            AmountMismatch {
                notified,
                due,
                currency,
            } => {
                format!("amount mismatch: notified {notified}, due {due} {currency}")
            }
            Abandoned { days } => {
                format!("no payment {days} days after the order: called off by the shop")
            }
            PaymentReminder { days } => {
                format!("payment still awaited {days} days after the order: the buyer reminded")
            }
            GatewayPartialRefund { refunded, currency } => format!(
                "the gateway refunded {refunded} {currency}, part of what was received: \
                 the bill and its access stand; operators, check it, then record it on the bill \
                 (refund part of the order) unless it is there already, which makes its credit note"
            ),
            PartialRefund {
                refunded,
                currency,
                note,
            } if note.is_empty() => {
                format!("{refunded} {currency} refunded, part of what was received")
            }
            PartialRefund {
                refunded,
                currency,
                note,
            } => format!("{refunded} {currency} refunded, part of what was received: {note}"),
            MessageNotDelivered { message, to, error } => format!(
                "message `{}` to {} not delivered: {error}",
                message.as_str(),
                to.as_deref().unwrap_or("nobody")
            ),
            MessageSentAgain { message, to } => format!(
                "message `{}` sent again{}",
                message.as_str(),
                to.as_ref()
                    .map(|to| format!(" to {to}"))
                    .unwrap_or_default()
            ),
        }
    }
}

/// What an entry of the trace says: the shop's [`Cause`] or an operator's note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Said {
    reason: String,
    cause: Option<Cause>,
}

impl From<Cause> for Said {
    fn from(cause: Cause) -> Self {
        Self {
            reason: cause.english(),
            cause: Some(cause),
        }
    }
}

impl From<String> for Said {
    /// An operator's own note, shown as typed in every language.
    fn from(note: String) -> Self {
        Self {
            reason: note,
            cause: None,
        }
    }
}

impl BillEvent {
    fn new(
        at: DateTime<Utc>,
        from: Option<BillStatus>,
        to: BillStatus,
        actor: Actor,
        said: Said,
        reference: Option<String>,
    ) -> Self {
        Self {
            at,
            from,
            to,
            actor,
            reason: said.reason,
            reference,
            cause: said.cause,
        }
    }

    /// The entry as the buyer reads it (`GET /bills/{bill}`): staff unnamed (their Moodle
    /// username is their back-office login) and their note left out (it is the staff's).
    pub fn for_buyer(&self) -> BillEvent {
        let mut event = self.clone();
        if !matches!(event.actor, Actor::Operator(_)) {
            return event;
        }
        event.actor = Actor::Staff;
        event.cause = match event.cause {
            Some(Cause::PartialRefund {
                refunded, currency, ..
            }) => Some(Cause::PartialRefund {
                refunded,
                currency,
                note: String::new(),
            }),
            other => other,
        };
        event.reason = match &event.cause {
            Some(cause) => cause.english(),
            None => "by the shop's staff".into(),
        };
        event
    }

    /// The first entry of a new bill.
    pub fn placed(at: DateTime<Utc>, method: PaymentMethod) -> Self {
        let said = Cause::OrderPlaced { method }.into();
        Self::new(at, None, BillStatus::Placed, Actor::Buyer, said, None)
    }
}

/// One line as sold.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BillLine {
    pub code: ItemCode,
    pub name: String,
    pub quantity: u32,
    pub unit_price: Decimal,
    pub total_excl_tax: Decimal,
    pub tax_code: super::ids::TaxCode,
    pub tax_rate: Decimal,
    pub tax: Decimal,
    pub total_incl_tax: Decimal,
    /// One form per unit (PURCHASEREQUIS).
    pub required_data: Vec<Form>,
    /// Role → participant emails (USERS).
    pub seats: BTreeMap<String, Vec<Email>>,
    /// The catalogue item exactly as it was sold (password masked).
    pub item: ItemDoc,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BillTotals {
    pub excl_tax: Decimal,
    pub tax: Decimal,
    pub incl_tax: Decimal,
    pub taxes: Vec<BillTax>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BillTax {
    pub code: super::ids::TaxCode,
    pub rate: Decimal,
    pub base: Decimal,
    pub amount: Decimal,
}

/// A payment recorded on the bill (by a gateway, the test method or an operator).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Payment {
    pub at: DateTime<Utc>,
    pub amount: Decimal,
    pub method: PaymentMethod,
    pub reference: Option<String>,
    pub actor: Actor,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bill {
    pub id: BillId,
    pub shop: ShopId,
    pub cart: CartId,
    /// SHA-256 of the access token, hex.
    pub token_digest: String,
    pub status: BillStatus,
    pub placed_at: DateTime<Utc>,
    pub currency: super::money::Currency,
    pub lines: Vec<BillLine>,
    pub totals: BillTotals,
    pub customer: Identity,
    pub invoicing: Option<Identity>,
    pub participants: Vec<Participant>,
    pub payment_method: PaymentMethod,
    /// The shop was in test mode: nothing real was sold.
    pub test: bool,
    pub invoice_number: Option<String>,
    /// The credit note that cancels the invoice, once an invoiced bill is refunded or called
    /// off: an invoice is never deleted nor changed, it is credited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit_note: Option<CreditNote>,
    pub paid_at: Option<DateTime<Utc>>,
    pub payments: Vec<Payment>,
    /// Money given back while the bill stands (part of what it received), each with its own
    /// credit note; a refund of everything is the move to REFUNDED instead.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refunds: Vec<Refund>,
    pub events: Vec<BillEvent>,
    /// A production job was handed to the queue (exactly once per bill).
    pub production_queued: bool,
    /// A revoke job (refund: suspend what was delivered) was handed to the queue, once.
    #[serde(default)]
    pub revoke_queued: bool,
    /// When every line was delivered. A PREPROD bill stays PREPROD once delivered, the money
    /// still owed; paid, it is COMPLETE at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<DateTime<Utc>>,
    /// Bumped by each operator retry of production, so that the queue lets the new job through.
    #[serde(default)]
    pub production_generation: u32,
    /// The buyer's language (from the cart): of the bill's messages and documents.
    #[serde(default)]
    pub language: super::Language,
    /// SHA-256 of the access tokens sent in the buyer's messages: each message's link opens
    /// the bill from any mailbox, and none of the tokens is stored.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mail_token_digests: Vec<String>,
    /// SHA-256 of the tokens sent by "find my orders", newest last, at most
    /// [`Bill::LOOKUP_LINKS_KEPT`]: anyone may ask for a buyer's address, so these are kept apart
    /// and few (the bill must not grow with strangers' requests, nor their requests undo the
    /// links of the shop's own messages).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lookup_token_digests: Vec<String>,
}

/// A credit note: its number, in the shop's own yearly sequence of credit notes, and date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditNote {
    pub number: String,
    pub at: DateTime<Utc>,
}

/// Money given back on a bill paid in full that stands: the buyer keeps the rest (one
/// participant of two withdrew, a goodwill gesture).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Refund {
    pub at: DateTime<Utc>,
    /// Incl. tax, in the bill's currency: more than 0, less than what the bill kept.
    pub amount: Decimal,
    /// The bank's or gateway's reference of the money sent back.
    pub reference: Option<String>,
    pub actor: Actor,
    /// Taken in the bill's transaction (its invoice's yearly sequence of credit notes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit_note: Option<CreditNote>,
}

/// Why a bill change was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum BillRejection {
    Transition {
        from: BillStatus,
        to: BillStatus,
    },
    Overpaid {
        remaining: Decimal,
    },
    NotAwaitingPayment(BillStatus),
    /// Only a bill paid in full and standing (PAID, COMPLETE) is refunded in part.
    NotRefundable(BillStatus),
    /// A part refund is less than what the bill kept: all of it is the move to REFUNDED.
    RefundTooLarge {
        kept: Decimal,
    },
}

impl fmt::Display for BillRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BillRejection::Transition { from, to } => write!(f, "a {from} bill cannot become {to}"),
            BillRejection::Overpaid { remaining } => {
                write!(f, "the payment exceeds what remains due ({remaining})")
            }
            BillRejection::NotAwaitingPayment(s) => write!(f, "a {s} bill takes no payment"),
            BillRejection::NotRefundable(s) => {
                write!(
                    f,
                    "a {s} bill is not refunded in part: only a bill paid in full"
                )
            }
            BillRejection::RefundTooLarge { kept } => write!(
                f,
                "less than what the bill kept ({kept}); to refund all of it, move it to PAYBACK"
            ),
        }
    }
}

impl Bill {
    /// How many "find my orders" links of a bill open it: the newest.
    pub const LOOKUP_LINKS_KEPT: usize = 10;

    /// True when `token` opens this bill (constant-time compare of digests).
    pub fn opens_with(&self, token: &str) -> bool {
        let digest = AccessToken::digest(token);
        let mailed = self
            .mail_token_digests
            .iter()
            .chain(&self.lookup_token_digests)
            .fold(subtle::Choice::from(0), |any, d| {
                any | digest.as_bytes().ct_eq(d.as_bytes())
            });
        bool::from(mailed | digest.as_bytes().ct_eq(self.token_digest.as_bytes()))
    }

    /// A "find my orders" link's token now opens the bill; the oldest beyond
    /// [`Bill::LOOKUP_LINKS_KEPT`] no longer does.
    pub fn remember_lookup(&mut self, digest: String) {
        self.lookup_token_digests.push(digest);
        let over = self
            .lookup_token_digests
            .len()
            .saturating_sub(Self::LOOKUP_LINKS_KEPT);
        self.lookup_token_digests.drain(..over);
    }

    pub fn total(&self) -> Decimal {
        self.totals.incl_tax
    }

    pub fn received(&self) -> Decimal {
        self.payments.iter().map(|p| p.amount).sum()
    }

    pub fn remaining(&self) -> Decimal {
        self.total() - self.received()
    }

    /// What was given back in part ([`Bill::refunds`]).
    pub fn refunded_in_part(&self) -> Decimal {
        self.refunds.iter().map(|r| r.amount).sum()
    }

    /// What the bill received and still keeps.
    pub fn kept(&self) -> Decimal {
        self.received() - self.refunded_in_part()
    }

    /// Records money given back on a bill paid in full that stands, with its trace entry: the
    /// bill, its status and its access are unchanged. Its credit note is taken with the write
    /// ([`Bill::assign_credit_note`]).
    pub fn refund_part(&mut self, refund: Refund, note: String) -> Result<(), BillRejection> {
        if !matches!(self.status, BillStatus::Paid | BillStatus::Complete) {
            return Err(BillRejection::NotRefundable(self.status));
        }
        let kept = self.kept();
        if refund.amount <= Decimal::ZERO || refund.amount >= kept {
            return Err(BillRejection::RefundTooLarge { kept });
        }
        let cause = Cause::PartialRefund {
            refunded: refund.amount,
            currency: self.currency,
            note,
        };
        let (at, reference, actor) = (refund.at, refund.reference.clone(), refund.actor.clone());
        self.refunds.push(refund);
        self.note(&actor, cause, reference, at);
        Ok(())
    }

    /// `amount` (incl. tax) of the bill spread over its tax rates as its total is: the base
    /// and tax per rate of a credit note for an amount. Each rate's share is rounded to the
    /// currency; the last takes what rounding left, so the shares add up to `amount`.
    pub fn split_by_rate(&self, amount: Decimal) -> Vec<BillTax> {
        let total = self.totals.incl_tax;
        let mut left = amount;
        let count = self.totals.taxes.len();
        let mut shares = Vec::with_capacity(count);
        for (i, tax) in self.totals.taxes.iter().enumerate() {
            let share = if i + 1 == count || total.is_zero() {
                left
            } else {
                let of_rate = tax.base.checked_add(tax.amount).expect("a bill's sums fit");
                let share = amount
                    .checked_mul(of_rate)
                    .and_then(|s| s.checked_div(total))
                    .expect("a part of a bill's total fits");
                self.currency.round(share)
            };
            left -= share;
            let divisor = Decimal::ONE_HUNDRED + tax.rate;
            let base = self.currency.round(
                share
                    .checked_mul(Decimal::ONE_HUNDRED)
                    .and_then(|b| b.checked_div(divisor))
                    .expect("a share of a bill's total fits"),
            );
            shares.push(BillTax {
                code: tax.code.clone(),
                rate: tax.rate,
                base,
                amount: share - base,
            });
        }
        shares
    }

    /// Moves the bill to `to`, appending the event. Does not assign the invoice number (that
    /// needs the shop's sequence: see [`Bill::assign_invoice_number`]).
    pub fn transition(
        &mut self,
        to: BillStatus,
        actor: &Actor,
        said: impl Into<Said>,
        reference: Option<String>,
        at: DateTime<Utc>,
    ) -> Result<(), BillRejection> {
        self.move_to(to, actor.clone(), said.into(), reference, at)
    }

    fn move_to(
        &mut self,
        to: BillStatus,
        actor: Actor,
        said: Said,
        reference: Option<String>,
        at: DateTime<Utc>,
    ) -> Result<(), BillRejection> {
        if !self.status.can_go_to(to) {
            return Err(BillRejection::Transition {
                from: self.status,
                to,
            });
        }
        let from = Some(self.status);
        self.events
            .push(BillEvent::new(at, from, to, actor, said, reference));
        if to == BillStatus::Paid && self.paid_at.is_none() {
            self.paid_at = Some(at);
        }
        self.status = to;
        Ok(())
    }

    /// Adds an entry to the trace without changing the status (something operators must see,
    /// such as a notification whose amount does not match).
    pub fn note(
        &mut self,
        actor: &Actor,
        said: impl Into<Said>,
        reference: Option<String>,
        at: DateTime<Utc>,
    ) {
        let status = self.status;
        self.events.push(BillEvent::new(
            at,
            Some(status),
            status,
            actor.clone(),
            said.into(),
            reference,
        ));
    }

    /// Records money received and moves to PARTIAL or PAID accordingly (a further partial
    /// payment is traced with the status unchanged); PAID and already delivered (delivered
    /// before payment), it is COMPLETE. A payment beyond what remains due is refused, as is any
    /// payment on a bill that awaits none.
    pub fn record_payment(&mut self, payment: Payment, cause: Cause) -> Result<(), BillRejection> {
        if !self.status.awaits_payment() {
            return Err(BillRejection::NotAwaitingPayment(self.status));
        }
        if payment.amount <= Decimal::ZERO || payment.amount > self.remaining() {
            return Err(BillRejection::Overpaid {
                remaining: self.remaining(),
            });
        }
        let (at, reference, actor) = (payment.at, payment.reference.clone(), payment.actor.clone());
        self.payments.push(payment);
        let to = if self.remaining().is_zero() {
            BillStatus::Paid
        } else {
            BillStatus::Partial
        };
        if to == self.status {
            let from = Some(self.status);
            let said = cause.into();
            self.events
                .push(BillEvent::new(at, from, to, actor, said, reference));
            return Ok(());
        }
        self.move_to(to, actor, cause.into(), reference, at)?;
        if to == BillStatus::Paid && self.delivered_at.is_some() {
            let settled = Cause::PaidAfterDelivery.into();
            self.move_to(BillStatus::Complete, Actor::System, settled, None, at)?;
        }
        Ok(())
    }

    /// Every line is delivered: a PAID bill is COMPLETE; a PREPROD one (delivered before
    /// payment) says so on its trace and stays PREPROD until paid. Once: a repeat does nothing.
    pub fn delivered(&mut self, at: DateTime<Utc>) -> Result<(), BillRejection> {
        if self.delivered_at.is_some() {
            return Ok(());
        }
        match self.status {
            BillStatus::Paid => self.move_to(
                BillStatus::Complete,
                Actor::System,
                Cause::Delivered.into(),
                None,
                at,
            )?,
            BillStatus::Preprod => self.note(&Actor::System, Cause::Delivered, None, at),
            _ => return Ok(()),
        }
        self.delivered_at = Some(at);
        Ok(())
    }

    /// The year and sequence key of the invoice number this bill would take now.
    pub fn invoice_year(at: DateTime<Utc>) -> i32 {
        at.year()
    }

    /// Sets the invoice number `<SHOP>-<YEAR>-<6 digits>` (`<SHOP>-TEST-…` in test mode), once.
    pub fn assign_invoice_number(&mut self, year: i32, sequence: u64) {
        if self.invoice_number.is_none() {
            let number = document_number(&self.shop, self.test, None, year, sequence);
            self.invoice_number = Some(number);
        }
    }

    /// An invoiced bill refunded or called off, or refunded in part, not yet credited.
    pub fn needs_credit_note(&self) -> bool {
        let cancelled = self.status.takes_credit_note() && self.credit_note.is_none();
        self.invoice_number.is_some()
            && (cancelled || self.refunds.iter().any(|r| r.credit_note.is_none()))
    }

    /// Sets the credit note `<SHOP>-AV-<YEAR>-<6 digits>` (AV for *avoir*; `<SHOP>-TEST-AV-…`
    /// in test mode) of what [`Bill::needs_credit_note`]: the part refund without one, else
    /// the bill's own. One a change: a change records one part refund, or one status.
    pub fn assign_credit_note(&mut self, year: i32, sequence: u64, at: DateTime<Utc>) {
        if !self.needs_credit_note() {
            return;
        }
        let number = document_number(&self.shop, self.test, Some("AV"), year, sequence);
        let note = Some(CreditNote { number, at });
        match self.refunds.iter_mut().find(|r| r.credit_note.is_none()) {
            Some(refund) => refund.credit_note = note,
            None => self.credit_note = note,
        }
    }

    /// The part refund that the trace entry `event` records (its credit note, its amount).
    pub fn refund_of_event(&self, event: usize) -> Option<&Refund> {
        let entry = self.events.get(event)?;
        let Some(Cause::PartialRefund { refunded, .. }) = &entry.cause else {
            return None;
        };
        let mut found = self.refunds.iter();
        found.find(|r| r.at == entry.at && r.amount == *refunded)
    }

    /// The bill's credit notes in the order they were taken (each part refund's, then its
    /// own), with what each credits.
    pub fn credit_notes(&self) -> Vec<(&CreditNote, Credited)> {
        let parts = self.refunds.iter().filter_map(|r| {
            let note = r.credit_note.as_ref()?;
            Some((note, Credited::Part(r.amount)))
        });
        let own = self
            .credit_note
            .as_ref()
            .map(|note| (note, self.own_credit()));
        parts.chain(own).collect()
    }

    /// What the bill's own credit note credits, refunded or called off: all of the invoice,
    /// or what its part refunds left.
    pub fn own_credit(&self) -> Credited {
        if self.refunds.is_empty() {
            Credited::InFull
        } else {
            Credited::Rest(self.total() - self.refunded_in_part())
        }
    }
}

/// What a credit note credits of its invoice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Credited {
    /// All of it, line by line: the invoice cancelled, no part refund before.
    InFull,
    /// A part refund's amount (incl. tax).
    Part(Decimal),
    /// What the part refunds left, when the bill is refunded or called off after them.
    Rest(Decimal),
}

impl Credited {
    /// The amount credited, incl. tax.
    pub fn amount(self, bill: &Bill) -> Decimal {
        match self {
            Credited::InFull => bill.total(),
            Credited::Part(amount) | Credited::Rest(amount) => amount,
        }
    }

    /// The amount credited excl. tax: the amount less its taxes.
    pub fn excl_tax(self, bill: &Bill) -> Decimal {
        let tax: Decimal = self.taxes(bill).iter().map(|t| t.amount).sum();
        self.amount(bill) - tax
    }

    /// Its base and tax per rate: the invoice's, or the amount spread over them
    /// ([`Bill::split_by_rate`]).
    pub fn taxes(self, bill: &Bill) -> Vec<BillTax> {
        match self {
            Credited::InFull => bill.totals.taxes.clone(),
            _ => bill.split_by_rate(self.amount(bill)),
        }
    }
}

/// A bill document's number: the shop's code, `TEST` for a test-mode bill (whose documents
/// count apart: a shop's first real invoice is its number 1, whatever was tried before it
/// opened), the kind of document (none for an invoice), the year and the sequence.
fn document_number(
    shop: &ShopId,
    test: bool,
    kind: Option<&str>,
    year: i32,
    sequence: u64,
) -> String {
    let shop = shop.as_str().to_uppercase();
    let parts = [Some(shop.as_str()), test.then_some("TEST"), kind];
    let prefix = parts.into_iter().flatten().collect::<Vec<_>>().join("-");
    format!("{prefix}-{year}-{sequence:06}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use BillStatus::*;

    /// An operator refunds a delivered bill in two moves and never marks money received.
    #[test]
    fn an_operator_moves_along_the_table_but_never_to_paid() {
        assert_eq!(Complete.operator_moves(), [Payback]);
        assert_eq!(Payback.operator_moves(), [Refunded]);
        assert_eq!(Paid.operator_moves(), [Complete, Payback]);
        assert_eq!(Pending.operator_moves(), [Preprod, Failed, Cancelled]);
        assert_eq!(
            Preprod.operator_moves(),
            [Cancelled],
            "delivered unpaid: never COMPLETE by hand"
        );
        assert_eq!(Partial.operator_moves(), [Payback]);
        assert!(Cancelled.operator_moves().is_empty() && Refunded.operator_moves().is_empty());
    }

    /// Delivered before payment, a bill stays PREPROD and owed (its trace says it was
    /// delivered, once); paid in full, it is COMPLETE at once. Paid first, delivery completes it.
    #[test]
    fn a_bill_delivered_before_payment_is_complete_only_once_paid() {
        let (_, shop) = crate::app::mail::preview::demo_shop();
        let mut bill = crate::app::mail::preview::sample_bill(&shop, crate::domain::Language::En);
        let now = Utc::now();
        bill.status = Preprod;
        bill.payments.clear();
        bill.delivered(now).unwrap();
        bill.delivered(now).unwrap();
        assert_eq!(bill.status, Preprod);
        let notes = bill
            .events
            .iter()
            .filter(|e| e.cause == Some(Cause::Delivered));
        assert_eq!(notes.count(), 1, "said once");
        let payment = |amount| Payment {
            at: now,
            amount,
            method: PaymentMethod::Transfer,
            reference: None,
            actor: Actor::Operator("ann".into()),
        };
        let half = (bill.remaining() / Decimal::TWO).round_dp(2);
        bill.record_payment(payment(half), Cause::OperatorPayment)
            .unwrap();
        assert_eq!(bill.status, Partial);
        bill.record_payment(payment(bill.remaining()), Cause::OperatorPayment)
            .unwrap();
        assert_eq!(bill.status, Complete);
        assert_eq!(
            bill.events.last().unwrap().cause,
            Some(Cause::PaidAfterDelivery)
        );

        let mut paid = crate::app::mail::preview::sample_bill(&shop, crate::domain::Language::En);
        paid.status = Paid;
        paid.delivered(now).unwrap();
        assert_eq!((paid.status, paid.delivered_at), (Complete, Some(now)));
    }

    /// A part refund leaves a bill paid in full standing: less than it kept, traced with the
    /// staff's note; a second one counts the first; all of it, or a bill not paid in full, is
    /// refused.
    #[test]
    fn a_part_refund_is_less_than_what_the_bill_kept() {
        let (_, shop) = crate::app::mail::preview::demo_shop();
        let mut bill = crate::app::mail::preview::sample_bill(&shop, crate::domain::Language::En);
        let now = Utc::now();
        bill.payments.push(Payment {
            at: now,
            amount: bill.total(),
            method: PaymentMethod::Transfer,
            reference: None,
            actor: Actor::Operator("ann".into()),
        });
        let refund = |amount: &str| Refund {
            at: now,
            amount: amount.parse().unwrap(),
            reference: Some("bank 7".into()),
            actor: Actor::Operator("ann".into()),
            credit_note: None,
        };
        let note = || "one participant withdrew".to_owned();
        bill.refund_part(refund("30"), note()).unwrap();
        assert_eq!((bill.status, bill.kept()), (Paid, "70".parse().unwrap()));
        assert_eq!(
            bill.events.last().unwrap().cause,
            Some(Cause::PartialRefund {
                refunded: "30".parse().unwrap(),
                currency: bill.currency,
                note: note()
            })
        );
        let kept = "70".parse().unwrap();
        for all_or_more in ["70", "70.01", "0", "-1"] {
            assert_eq!(
                bill.refund_part(refund(all_or_more), note()),
                Err(BillRejection::RefundTooLarge { kept })
            );
        }
        bill.refund_part(refund("69.99"), note()).unwrap();
        assert_eq!(bill.refunds.len(), 2);
        bill.status = Partial;
        assert_eq!(
            bill.refund_part(refund("0.01"), note()),
            Err(BillRejection::NotRefundable(Partial))
        );
    }

    /// A credit note for an amount spreads it over the bill's rates as its total is, each
    /// share's base and tax rounded to the cent, the shares adding up to the amount.
    #[test]
    fn an_amount_is_split_over_the_rates_as_the_total_is() {
        let (_, shop) = crate::app::mail::preview::demo_shop();
        let mut bill = crate::app::mail::preview::sample_bill(&shop, crate::domain::Language::En);
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        let tax = |code: &str, rate: &str, base: &str, amount: &str| BillTax {
            code: code.parse().unwrap(),
            rate: d(rate),
            base: d(base),
            amount: d(amount),
        };
        // 120 incl. 20 % and 105.50 incl. 5.5 %: a total of 225.50.
        bill.totals = BillTotals {
            excl_tax: d("200"),
            tax: d("25.50"),
            incl_tax: d("225.50"),
            taxes: vec![
                tax("standard", "20", "100", "20"),
                tax("reduced", "5.5", "100", "5.50"),
            ],
        };
        let split = bill.split_by_rate(d("100"));
        // 100 × 120 / 225.50 = 53.215... → 53.22 (44.35 + 8.87); the rest 46.78 (44.34 + 2.44).
        assert_eq!(
            split,
            vec![
                tax("standard", "20", "44.35", "8.87"),
                tax("reduced", "5.5", "44.34", "2.44"),
            ]
        );
        let whole: Decimal = bill
            .split_by_rate(d("225.50"))
            .iter()
            .map(|t| t.base + t.amount)
            .sum();
        assert_eq!(whole, d("225.50"));
    }

    /// The buyer reads that staff moved the bill, not who (a back-office login) nor their note;
    /// the shop's and the gateways' entries as they are.
    #[test]
    fn the_buyer_reads_the_trace_without_the_staff_names_and_notes() {
        let (_, shop) = crate::app::mail::preview::demo_shop();
        let mut bill = crate::app::mail::preview::sample_bill(&shop, crate::domain::Language::En);
        bill.status = Placed;
        let at = Utc::now();
        let note = "Rude on the phone; do not sell again.".to_owned();
        let jdoe = Actor::Operator("jdoe".into());
        bill.transition(Cancelled, &jdoe, note.clone(), None, at)
            .unwrap();
        let seen = bill.events.last().unwrap().for_buyer();
        assert_eq!(
            (seen.actor.to_string(), seen.reason.as_str()),
            ("operator".into(), "by the shop's staff")
        );
        assert_eq!(bill.events.last().unwrap().reason, note, "kept for staff");
        let placed = &bill.events[0];
        assert_eq!(&placed.for_buyer(), placed);
    }

    /// "Find my orders" links are few and apart: the newest ten open the bill, an older one no
    /// longer does, and the links of the shop's own messages are untouched.
    #[test]
    fn a_bill_keeps_its_newest_lookup_links_and_every_message_link() {
        let (_, shop) = crate::app::mail::preview::demo_shop();
        let mut bill = crate::app::mail::preview::sample_bill(&shop, crate::domain::Language::En);
        let message = AccessToken::random();
        bill.mail_token_digests
            .push(AccessToken::digest(message.as_str()));
        let lookups: Vec<AccessToken> = (0..Bill::LOOKUP_LINKS_KEPT + 2)
            .map(|_| AccessToken::random())
            .collect();
        for token in &lookups {
            bill.remember_lookup(AccessToken::digest(token.as_str()));
        }
        assert_eq!(bill.lookup_token_digests.len(), Bill::LOOKUP_LINKS_KEPT);
        let opens: Vec<bool> = lookups
            .iter()
            .map(|t| bill.opens_with(t.as_str()))
            .collect();
        assert_eq!(opens[..2], [false, false], "the two oldest");
        assert!(opens[2..].iter().all(|o| *o), "the ten newest");
        assert!(bill.opens_with(message.as_str()), "the message's link");
    }

    /// The shop's entries carry their cause by code for the pages, beside the English words
    /// the API always gave; an operator's note has no cause; entries stored before causes read.
    #[test]
    fn a_trace_entry_keeps_its_cause_by_code_and_its_english_words() {
        let (_, shop) = crate::app::mail::preview::demo_shop();
        let mut bill = crate::app::mail::preview::sample_bill(&shop, crate::domain::Language::En);
        bill.status = Placed;
        let at = Utc::now();
        let cause = Cause::AwaitingPayment {
            method: PaymentMethod::Transfer,
        };
        bill.transition(Pending, &Actor::Buyer, cause, None, at)
            .unwrap();
        let note = "The customer asked to cancel by phone.".to_owned();
        bill.transition(
            Cancelled,
            &Actor::Operator("jdoe".into()),
            note.clone(),
            None,
            at,
        )
        .unwrap();
        let json = serde_json::to_value(&bill.events).unwrap();
        assert_eq!(json[1]["reason"], "awaiting payment by transfer");
        assert_eq!(
            json[1]["cause"],
            serde_json::json!({"code": "awaiting_payment", "method": "transfer"})
        );
        assert_eq!(json[2]["reason"], note.as_str());
        assert!(json[2].get("cause").is_none(), "{json}");
        let back: Vec<BillEvent> = serde_json::from_value(json).unwrap();
        assert_eq!(back, bill.events);
        let mismatch = Cause::AmountMismatch {
            notified: "999.00 EUR".into(),
            due: Decimal::new(12000, 2),
            currency: "EUR".parse().unwrap(),
        };
        assert_eq!(
            serde_json::to_value(&mismatch).unwrap(),
            serde_json::json!({"code": "amount_mismatch", "notified": "999.00 EUR", "due": "120.00", "currency": "EUR"})
        );
        assert_eq!(
            mismatch.english(),
            "amount mismatch: notified 999.00 EUR, due 120.00 EUR"
        );
        for bad in [
            serde_json::json!({"code": "awaiting_payment"}),
            serde_json::json!({"code": "amount_mismatch", "notified": "1 EUR", "due": "2.00"}),
            serde_json::json!({"code": "nope"}),
        ] {
            assert!(
                serde_json::from_value::<Cause>(bad.clone()).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn an_actor_is_stored_as_its_text_and_read_back() {
        let actors = [
            Actor::Buyer,
            Actor::System,
            Actor::Gateway("paypal".into()),
            Actor::Operator("jdoe".into()),
        ];
        for actor in actors {
            let json = serde_json::to_string(&actor).unwrap();
            assert_eq!(json, format!("\"{actor}\""));
            assert_eq!(serde_json::from_str::<Actor>(&json).unwrap(), actor);
        }
        for text in ["", "gateway:", "operator", "customer", "buyer:x"] {
            assert!(text.parse::<Actor>().is_err(), "{text}");
        }
    }

    #[test]
    fn final_statuses_lead_nowhere() {
        for to in BillStatus::ALL {
            assert!(!Cancelled.can_go_to(to));
            assert!(!Refunded.can_go_to(to));
        }
    }

    /// A PREPROD bill holds no money (a payment on it makes it PARTIAL or PAID): it may be
    /// called off; one that holds money is refunded.
    #[test]
    fn money_received_is_never_simply_cancelled() {
        for from in [Partial, Paid, Complete] {
            assert!(!from.can_go_to(Cancelled), "{from}");
            assert!(!from.can_go_to(Placed), "{from}");
        }
        assert!(Paid.can_go_to(Payback) && Payback.can_go_to(Refunded));
        assert!(Preprod.can_go_to(Cancelled) && !Preprod.can_go_to(Placed));
    }

    #[test]
    fn a_failed_bill_can_be_retried() {
        assert!(Failed.can_go_to(Placed));
        assert!(Failed.can_go_to(Pending));
        assert!(
            !Placed.can_go_to(Complete),
            "production comes after payment or PREPROD"
        );
    }

    #[test]
    fn bill_ids_fit_every_gateway() {
        let id = BillId::new(Utc::now());
        assert_eq!(id.as_str().len(), 20);
        assert!(id.as_str().parse::<BillId>().is_ok());
        assert_ne!(id, BillId::new(Utc::now()));
        assert!("abc".parse::<BillId>().is_err());
    }

    #[test]
    fn invoice_numbers_have_the_agreed_format() {
        let demo = "demo".parse().unwrap();
        let number = |test, kind| document_number(&demo, test, kind, 2026, 1);
        assert_eq!(number(false, None), "DEMO-2026-000001");
        assert_eq!(number(false, Some("AV")), "DEMO-AV-2026-000001");
        assert_eq!(number(true, None), "DEMO-TEST-2026-000001");
        assert_eq!(number(true, Some("AV")), "DEMO-TEST-AV-2026-000001");
    }

    #[test]
    fn tokens_are_compared_by_digest() {
        let token = AccessToken::random();
        assert_eq!(token.as_str().len(), 48);
        let digest = AccessToken::digest(token.as_str());
        assert_ne!(digest, token.as_str());
        assert_eq!(digest.len(), 64);
    }
}
