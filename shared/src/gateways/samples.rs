//! Notifications exactly as each gateway would send them, signed with a shop's own settings:
//! for trying payments on the local stack (`shopctl sign-notification`) and for tests.
//! The signatures come from [`super::signatures`], which the reference vectors check.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::domain::money::Currency;

/// What to notify, in the gateway's own status words (`CAPTURED`, `00`, `9`, `Completed`,
/// `checkout.session.completed`, ...).
pub struct Sample<'a> {
    pub bill: &'a str,
    pub event: &'a str,
    pub status: &'a str,
    pub amount: Decimal,
    pub currency: Currency,
    pub now: DateTime<Utc>,
}

pub(super) fn form(pairs: &[(String, String)]) -> Vec<u8> {
    serde_urlencoded::to_string(pairs)
        .expect("pairs encode")
        .into_bytes()
}

pub(super) fn pairs(items: &[(&str, String)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

/// A notification's body and headers.
pub type Signed = (Vec<u8>, Vec<(String, String)>);

/// The headers of a form-encoded notification.
pub(super) fn form_type() -> Vec<(String, String)> {
    vec![(
        "content-type".to_owned(),
        "application/x-www-form-urlencoded".to_owned(),
    )]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateways::{Gateway, Outcome, Received, Settings};

    /// Each sample verifies with its gateway's own verification, as a paid event of the amount.
    #[test]
    fn samples_verify_as_paid_events() {
        let settings: serde_json::Map<String, serde_json::Value> = serde_json::from_value(serde_json::json!({
            "webhook_secret": "whsec_x", "business": "s@example.org", "site_id": "1", "key": "k",
            "merchant_id": "m", "secret_key": "sk", "sha_out": "out"
        }))
        .unwrap();
        let settings = Settings(&settings);
        let now = Utc::now();
        let amount = Decimal::new(12000, 2);
        for gateway in Gateway::ALL {
            let sample = Sample {
                bill: "B1",
                event: "e1",
                status: gateway.paid_word(),
                amount,
                currency: "EUR".parse().unwrap(),
                now,
            };
            let (body, headers) = gateway.sample(&settings, &sample).unwrap();
            let received = Received {
                signature_header: headers.first().map(|(_, v)| v.as_str()),
                body: &body,
            };
            let event = gateway.read(&settings, &received, now).unwrap().unwrap();
            assert_eq!(
                (event.bill.as_str(), event.outcome, event.amount),
                ("B1", Outcome::Paid, Some(amount)),
                "{gateway:?}"
            );
        }
    }
}
