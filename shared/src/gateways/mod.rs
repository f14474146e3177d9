//! Payment gateways: the buyer's payment form for a bill, and a raw notification turned into a
//! verified, typed payment event. Protocol facts and vectors: each gateway's module and its tests.
//!
//! Verification always runs on the raw bytes as received, before anything is parsed for use;
//! settings come from the shop document's `gateways.<method>` section (secrets write-only).

mod dispatch;
pub mod fields;
mod lyra;
mod ogone;
mod paypal;
pub mod samples;
pub mod signatures;
mod sips;
mod stripe;

pub use dispatch::{DailyNumbers, Gateway, Received, StartWith, Started};
pub(crate) use lyra::{lyra_algorithm, lyra_key};
pub(crate) use ogone::sha_algorithm;
pub(crate) use sips::{seal_algorithm, sips_encoded};

use std::collections::BTreeMap;

use base64::Engine;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::{Map, Value};

use crate::domain::bill::Bill;
use crate::domain::catalog::PaymentMethod;
use crate::domain::document::ShopDocument;
use crate::domain::money::Currency;
use crate::domain::{FieldError, Reason};
use signatures::{LyraAlgorithm, SealAlgorithm, ShaAlgorithm};

/// What a notification says happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Paid,
    Pending,
    Failed,
    Refunded,
}

/// A verified notification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentEvent {
    pub gateway: PaymentMethod,
    /// Unique per gateway and per state change (the same transaction can come back with
    /// another status, which is another event).
    pub event_id: String,
    pub bill: String,
    pub outcome: Outcome,
    pub amount: Option<Decimal>,
    pub currency: Option<Currency>,
    pub reference: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// Not from the gateway, or tampered with: nothing is stored.
    #[error("{0}")]
    Unauthentic(String),
    /// The shop has no usable settings for this gateway.
    #[error("{0}")]
    NotConfigured(String),
    /// The gateway's API could not be reached or answered nonsense (the Stripe session, the
    /// PayPal postback): the buyer or the gateway should retry.
    #[error("{0}")]
    Unavailable(String),
}

/// A gateway's settings in the shop document.
pub struct Settings<'a>(pub &'a Map<String, Value>);

impl Settings<'_> {
    pub fn get(&self, name: &str) -> Option<String> {
        let v = self.0.get(name)?;
        let text = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
        (!text.is_empty()).then_some(text)
    }

    /// A setting naming a choice (an algorithm, a mode), as the readers compare it: in
    /// capitals, without `-` (`sha-1`, `SHA1` and `SHA-1` are one choice).
    pub fn choice(&self, name: &str) -> Option<String> {
        self.get(name).map(|v| choice_word(&v))
    }

    pub fn need(&self, name: &str) -> Result<String, VerifyError> {
        self.get(name).ok_or_else(|| {
            VerifyError::NotConfigured(format!("the gateway setting `{name}` is missing"))
        })
    }
}

/// What stops a document's offered gateways from taking a payment: a setting missing or a
/// choice the gateway does not know, each at its field (`gateways.stripe.secret_key`). Checked
/// at import and when settings are saved, not when a stored shop is read.
pub fn setup_problems(doc: &ShopDocument) -> Vec<FieldError> {
    let empty = Map::new();
    let offered = doc
        .payment_methods
        .iter()
        .filter_map(|m| Gateway::of(m.parse().ok()?));
    let mut problems = Vec::new();
    for gateway in offered {
        let method = gateway.method().as_str();
        let settings = Settings(doc.gateways.get(method).unwrap_or(&empty));
        for name in gateway.missing_settings(&settings) {
            let reason = Reason::new(
                "gateway_setting_required",
                format!("needed to take payments with `{method}`"),
            );
            problems.push(FieldError::new(format!("gateways.{method}.{name}"), reason));
        }
        for (name, known) in gateway.unknown_choices(&settings) {
            let choices = known.join(", ");
            let reason = Reason::new("gateway_choice", format!("give one of: {choices}"))
                .with("choices", choices);
            problems.push(FieldError::new(format!("gateways.{method}.{name}"), reason));
        }
    }
    problems
}

/// A choice as the readers compare it (see [`Settings::choice`]).
fn choice_word(text: &str) -> String {
    text.to_ascii_uppercase().replace('-', "")
}

/// Where a gateway sends the buyer and its notifications for a bill.
pub struct Urls {
    pub notify: String,
    /// The return URL (bill id in the query).
    pub back: String,
}

fn currency_of_numeric(text: Option<&str>) -> Option<Currency> {
    text.and_then(|t| t.parse().ok())
        .and_then(Currency::from_numeric)
}

fn minor(currency: Option<Currency>, text: Option<&str>) -> Option<Decimal> {
    let value: i64 = text?.parse().ok()?;
    Some(currency?.from_minor(value))
}

fn bill_currency(bill: &Bill) -> Currency {
    bill.currency
}

fn minor_text(bill: &Bill) -> String {
    bill_currency(bill)
        .to_minor(bill.remaining())
        .unwrap_or(0)
        .to_string()
}

// What the gateway modules share (they `use super::*`).
use crate::domain::money::parse_decimal;
use fields::{FormBody, Names, Signed};
use samples::{Sample, form, form_type, pairs};
use serde::Deserialize;
use signatures::same;

/// A notification that fails verification.
fn refused(why: impl Into<String>) -> VerifyError {
    VerifyError::Unauthentic(why.into())
}
