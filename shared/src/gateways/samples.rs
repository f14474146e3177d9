//! Notifications exactly as each gateway would send them, signed with a shop's own settings:
//! for trying payments on the local stack (`shopctl sign-notification`) and for tests.
//! The signatures come from [`super::signatures`], which the reference vectors check.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::signatures;
use super::{Settings, VerifyError};
use crate::domain::catalog::PaymentMethod;
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

/// The gateway's word for a paid transaction.
pub fn paid_word(gateway: PaymentMethod) -> &'static str {
    match gateway {
        PaymentMethod::Stripe => "checkout.session.completed",
        PaymentMethod::Paypal => "Completed",
        PaymentMethod::Systempay => "CAPTURED",
        PaymentMethod::Sips => "00",
        _ => "9",
    }
}

fn form(pairs: &[(String, String)]) -> Vec<u8> {
    serde_urlencoded::to_string(pairs)
        .expect("pairs encode")
        .into_bytes()
}

fn pairs(items: &[(&str, String)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

/// A notification's body and headers.
pub type Signed = (Vec<u8>, Vec<(String, String)>);

/// The body and headers of a notification signed with `settings`.
pub fn notification(
    gateway: PaymentMethod,
    settings: &Settings,
    s: &Sample,
) -> Result<Signed, VerifyError> {
    let minor = s.currency.to_minor(s.amount).unwrap_or(0);
    match gateway {
        PaymentMethod::Stripe => stripe(settings, s, minor),
        PaymentMethod::Paypal => paypal(settings, s),
        PaymentMethod::Systempay => systempay(settings, s, minor),
        PaymentMethod::Sips => sips(settings, s, minor),
        _ => ogone(settings, s),
    }
}

/// The headers of a form-encoded notification.
fn form_type() -> Vec<(String, String)> {
    vec![(
        "content-type".to_owned(),
        "application/x-www-form-urlencoded".to_owned(),
    )]
}

/// A Stripe event (a Checkout Session, or a refunded charge), signed with the webhook secret.
fn stripe(settings: &Settings, s: &Sample, minor: i64) -> Result<Signed, VerifyError> {
    let object = if s.status == "charge.refunded" {
        serde_json::json!({"id": "ch_sample", "object": "charge", "amount_refunded": minor,
            "currency": s.currency.code().to_lowercase(), "metadata": {"bill_id": s.bill}})
    } else {
        let paid = if s.status.ends_with(".unpaid") {
            "unpaid"
        } else {
            "paid"
        };
        serde_json::json!({"id": "cs_sample", "object": "checkout.session", "client_reference_id": s.bill,
            "payment_status": paid, "amount_total": minor, "currency": s.currency.code().to_lowercase(),
            "payment_intent": "pi_sample"})
    };
    let kind = s.status.trim_end_matches(".unpaid");
    let body = serde_json::json!({"id": s.event, "object": "event", "type": kind, "data": {"object": object}})
        .to_string()
        .into_bytes();
    let t = s.now.timestamp().to_string();
    let sig = signatures::stripe_v1(&settings.need("webhook_secret")?, &t, &body);
    Ok((
        body,
        vec![
            ("stripe-signature".into(), format!("t={t},v1={sig}")),
            ("content-type".into(), "application/json".into()),
        ],
    ))
}

/// A PayPal IPN (authenticated by the postback, so nothing to sign).
fn paypal(settings: &Settings, s: &Sample) -> Result<Signed, VerifyError> {
    let amount = if s.status == "Refunded" || s.status == "Reversed" {
        -s.amount
    } else {
        s.amount
    };
    let fields = pairs(&[
        ("txn_id", s.event.to_owned()),
        ("payment_status", s.status.to_owned()),
        ("invoice", s.bill.to_owned()),
        ("mc_gross", s.currency.format(amount)),
        ("mc_currency", s.currency.code().to_owned()),
        ("receiver_email", settings.need("business")?),
    ]);
    Ok((form(&fields), form_type()))
}

/// A Systempay (Lyra) IPN, signed with the key of its context mode.
fn systempay(settings: &Settings, s: &Sample, minor: i64) -> Result<Signed, VerifyError> {
    let mut fields = pairs(&[
        ("vads_amount", minor.to_string()),
        (
            "vads_ctx_mode",
            settings.get("ctx_mode").unwrap_or_else(|| "TEST".into()),
        ),
        ("vads_currency", s.currency.numeric().to_string()),
        ("vads_order_id", s.bill.to_owned()),
        ("vads_site_id", settings.need("site_id")?),
        ("vads_trans_status", s.status.to_owned()),
        ("vads_trans_uuid", s.event.to_owned()),
        ("vads_url_check_src", "PAY".to_owned()),
    ]);
    let ctx_mode = settings.get("ctx_mode").unwrap_or_else(|| "TEST".into());
    let key = super::lyra_key(settings, &ctx_mode)?;
    let sig = signatures::lyra(&fields, &key, super::lyra_algorithm(settings));
    fields.push(("signature".into(), sig));
    Ok((form(&fields), form_type()))
}

/// A Sips response: the `Data` string and its seal.
fn sips(settings: &Settings, s: &Sample, minor: i64) -> Result<Signed, VerifyError> {
    let data = format!(
        "amount={minor}|currencyCode={}|merchantId={}|transactionReference={}|orderId={}|responseCode={}|keyVersion={}",
        s.currency.numeric(),
        settings.need("merchant_id")?,
        s.event,
        s.bill,
        s.status,
        settings.get("key_version").unwrap_or_else(|| "1".into())
    );
    let (data, base64) = super::sips_encoded(settings, data);
    let algorithm = super::seal_algorithm(settings);
    let seal = signatures::sips_seal(&data, &settings.need("secret_key")?, algorithm);
    let mut fields = pairs(&[
        ("Data", data),
        ("Seal", seal),
        ("InterfaceVersion", "HP_2.31".into()),
        ("SealAlgorithm", algorithm.field().into()),
    ]);
    if base64 {
        fields.push(("Encode".into(), "base64".into()));
    }
    Ok((form(&fields), form_type()))
}

/// An Ogone (Worldline) post-sale request, signed with the SHA-OUT passphrase.
fn ogone(settings: &Settings, s: &Sample) -> Result<Signed, VerifyError> {
    let mut fields = pairs(&[
        ("orderID", s.bill.to_owned()),
        ("currency", s.currency.code().to_owned()),
        ("amount", s.amount.normalize().to_string()),
        ("PM", "CreditCard".into()),
        ("STATUS", s.status.to_owned()),
        ("PAYID", s.event.to_owned()),
        ("NCERROR", "0".into()),
        ("BRAND", "VISA".into()),
    ]);
    let algorithm = super::sha_algorithm(settings);
    let sig = signatures::ogone(
        &fields,
        &settings.need("sha_out")?,
        algorithm,
        signatures::ogone_sha_out_param,
    );
    fields.push(("SHASIGN".into(), sig));
    Ok((form(&fields), form_type()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateways::{self, Outcome};

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
        for gateway in [
            PaymentMethod::Stripe,
            PaymentMethod::Systempay,
            PaymentMethod::Sips,
            PaymentMethod::Ogone,
            PaymentMethod::Paypal,
        ] {
            let sample = Sample {
                bill: "B1",
                event: "e1",
                status: paid_word(gateway),
                amount,
                currency: "EUR".parse().unwrap(),
                now,
            };
            let (body, headers) = notification(gateway, &settings, &sample).unwrap();
            let event = match gateway {
                PaymentMethod::Stripe => {
                    gateways::stripe_event(&settings, Some(&headers[0].1), &body, now)
                }
                PaymentMethod::Systempay => gateways::systempay_event(&settings, &body),
                PaymentMethod::Sips => gateways::sips_event(&settings, &body),
                PaymentMethod::Ogone => gateways::ogone_event(&settings, &body),
                _ => gateways::paypal_event(&settings, &body),
            }
            .unwrap()
            .unwrap();
            assert_eq!(
                (event.bill.as_str(), event.outcome, event.amount),
                ("B1", Outcome::Paid, Some(amount)),
                "{gateway:?}"
            );
        }
    }
}
