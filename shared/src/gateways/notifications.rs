//! Notifications turned into typed events: the body parsed once ([`FormBody`]), the signature
//! checked over the fields as received, then the event built from the signed values only
//! ([`Signed`]): bill, amount, currency, status, operation and event id.
//!
//! Each gateway also requires a field that only its notifications carry, so that a payment
//! form the shop itself signed never passes as a notification.

use base64::Engine;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;

use super::fields::{FormBody, Names, Signed};
use super::signatures::{self, same};
use super::{
    Outcome, PaymentEvent, Settings, VerifyError, currency_of_numeric, lyra_algorithm, lyra_key,
    minor, seal_algorithm, sha_algorithm,
};
use crate::domain::catalog::PaymentMethod;
use crate::domain::money::{Currency, parse_decimal};

/// How far a Stripe signature's timestamp may be from now, either way.
const STRIPE_TOLERANCE_SECS: i64 = 300;

fn refused(why: impl Into<String>) -> VerifyError {
    VerifyError::Unauthentic(why.into())
}

// ---------------------------------------------------------------- Stripe

/// The parts of a Stripe event the shop reads. Typed, so that a repeated key is refused.
#[derive(Deserialize)]
struct StripeEvent {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    data: StripeData,
}

#[derive(Deserialize)]
struct StripeData {
    object: StripeObject,
}

#[derive(Deserialize)]
struct StripeObject {
    id: Option<String>,
    client_reference_id: Option<String>,
    payment_status: Option<String>,
    amount_total: Option<i64>,
    amount_refunded: Option<i64>,
    currency: Option<String>,
    payment_intent: Option<String>,
    #[serde(default)]
    metadata: StripeMetadata,
}

#[derive(Deserialize, Default)]
struct StripeMetadata {
    bill_id: Option<String>,
}

/// The `t` and `v1` values of a `Stripe-Signature` header (one `t`).
fn stripe_header(header: &str) -> Result<(&str, Vec<&str>), VerifyError> {
    let mut timestamp = None;
    let mut candidates = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", _)) if timestamp.is_some() => {
                return Err(refused("two timestamps in Stripe-Signature"));
            }
            Some(("t", t)) => timestamp = Some(t),
            Some(("v1", v)) => candidates.push(v),
            _ => {}
        }
    }
    let t = timestamp.ok_or_else(|| refused("no timestamp in Stripe-Signature"))?;
    Ok((t, candidates))
}

/// Stripe webhook: `Stripe-Signature` checked (any `v1`; the timestamp within 300 s of now,
/// either way), then the event, which the signature covers whole.
pub fn stripe_event(
    settings: &Settings,
    signature: Option<&str>,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<Option<PaymentEvent>, VerifyError> {
    let secret = settings.need("webhook_secret")?;
    let (t, candidates) = stripe_header(signature.ok_or_else(|| refused("no Stripe-Signature"))?)?;
    let expected = signatures::stripe_v1(&secret, t, body);
    if !candidates.iter().any(|c| same(c, &expected)) {
        return Err(refused("no v1 signature matches"));
    }
    let sent: i64 = t.parse().map_err(|_| refused("bad timestamp"))?;
    if (now.timestamp() - sent).abs() > STRIPE_TOLERANCE_SECS {
        return Err(refused(
            "the signature's timestamp is more than 300 s from now",
        ));
    }
    let event: StripeEvent =
        serde_json::from_slice(body).map_err(|e| refused(format!("not a Stripe event: {e}")))?;
    let object = event.data.object;
    let currency: Option<Currency> = object
        .currency
        .as_deref()
        .and_then(|c| c.to_uppercase().parse().ok());
    let session = (object.client_reference_id, object.amount_total);
    let (outcome, (bill, amount)) = match event.kind.as_str() {
        "checkout.session.completed" if object.payment_status.as_deref() == Some("paid") => {
            (Outcome::Paid, session)
        }
        "checkout.session.completed" => (Outcome::Pending, session),
        "checkout.session.async_payment_succeeded" => (Outcome::Paid, session),
        "checkout.session.async_payment_failed" | "checkout.session.expired" => {
            (Outcome::Failed, session)
        }
        "charge.refunded" => (
            Outcome::Refunded,
            (object.metadata.bill_id, object.amount_refunded),
        ),
        _ => return Ok(None),
    };
    let Some(bill) = bill else { return Ok(None) };
    Ok(Some(PaymentEvent {
        gateway: PaymentMethod::Stripe,
        event_id: event.id,
        bill,
        outcome,
        amount: amount.zip(currency).map(|(a, c)| c.from_minor(a)),
        currency,
        reference: object.payment_intent.or(object.id),
    }))
}

// ---------------------------------------------------------------- PayPal

/// The IPN fields the shop reads; PayPal spells them in lower case.
const PAYPAL_FIELDS: &[&str] = &[
    "txn_id",
    "parent_txn_id",
    "payment_status",
    "invoice",
    "mc_gross",
    "mc_currency",
    "receiver_email",
    "business",
];

fn paypal_name(lower: &str) -> Option<String> {
    PAYPAL_FIELDS.contains(&lower).then(|| lower.to_owned())
}

/// An IPN once PayPal has said `VERIFIED` of the whole body: receiver, status, amount
/// (a positive decimal; negative only on a refund or reversal, as PayPal sends them),
/// currency.
pub fn paypal_event(settings: &Settings, body: &[u8]) -> Result<Option<PaymentEvent>, VerifyError> {
    let fields = FormBody::parse(body, Names::Exact(paypal_name))?.signed(|_, _| true);
    let business = settings.need("business")?;
    let receiver = fields
        .get("receiver_email")
        .or_else(|| fields.get("business"))
        .unwrap_or("");
    if !receiver.eq_ignore_ascii_case(&business) {
        return Err(refused(format!(
            "the payment was made to `{receiver}`, not to this shop"
        )));
    }
    let txn = fields.need("txn_id")?;
    let status = fields.need("payment_status")?;
    let outcome = match status {
        "Completed" => Outcome::Paid,
        "Pending" => Outcome::Pending,
        "Denied" | "Failed" | "Expired" | "Voided" => Outcome::Failed,
        "Refunded" | "Reversed" => Outcome::Refunded,
        _ => return Ok(None),
    };
    let gross = parse_decimal(fields.need("mc_gross")?).map_err(refused)?;
    let amount = match outcome {
        Outcome::Refunded if gross < Decimal::ZERO => -gross,
        _ if gross > Decimal::ZERO => gross,
        _ => return Err(refused(format!("`{gross}` is not a positive amount"))),
    };
    let Some(bill) = fields.get("invoice") else {
        return Ok(None);
    };
    Ok(Some(PaymentEvent {
        gateway: PaymentMethod::Paypal,
        event_id: format!("{txn}:{status}"),
        bill: bill.to_owned(),
        outcome,
        amount: Some(amount),
        currency: fields.get("mc_currency").and_then(|c| c.parse().ok()),
        reference: Some(fields.get("parent_txn_id").unwrap_or(txn).to_owned()),
    }))
}

// ---------------------------------------------------------------- Systempay (Lyra)

fn lyra_name(lower: &str) -> Option<String> {
    (lower.starts_with("vads_") || lower == "signature").then(|| lower.to_owned())
}

/// A Lyra IPN: the signature over every `vads_*` field received, the site and mode checked,
/// then the status. `vads_trans_status` and `vads_trans_uuid` are required: only an IPN
/// carries them.
pub fn systempay_event(
    settings: &Settings,
    body: &[u8],
) -> Result<Option<PaymentEvent>, VerifyError> {
    let form = FormBody::parse(body, Names::Exact(lyra_name))?;
    let sent = form
        .get("signature")
        .ok_or_else(|| refused("no signature"))?;
    let fields = form.signed(|k, _| k.starts_with("vads_"));
    let shop_mode = settings.get("ctx_mode").unwrap_or_else(|| "TEST".into());
    if fields.get("vads_ctx_mode") != Some(shop_mode.as_str()) {
        return Err(refused("not this shop's mode (vads_ctx_mode)"));
    }
    let expected = signatures::lyra(
        form.pairs(),
        &lyra_key(settings, &shop_mode)?,
        lyra_algorithm(settings),
    );
    if !same(sent, &expected) {
        return Err(refused("the signature does not match"));
    }
    if fields.get("vads_site_id") != settings.get("site_id").as_deref() {
        return Err(refused("another site's notification"));
    }
    let status = fields.need("vads_trans_status")?;
    let transaction = fields.need("vads_trans_uuid")?;
    let operation = fields.get("vads_operation_type").unwrap_or("DEBIT");
    let credit = operation == "CREDIT";
    let outcome = match status {
        "AUTHORISED" | "CAPTURED" | "ACCEPTED" if credit => Outcome::Refunded,
        "AUTHORISED" | "CAPTURED" | "ACCEPTED" => Outcome::Paid,
        "AUTHORISED_TO_VALIDATE"
        | "WAITING_AUTHORISATION"
        | "WAITING_AUTHORISATION_TO_VALIDATE"
        | "INITIAL"
        | "UNDER_VERIFICATION" => Outcome::Pending,
        "ABANDONED" | "NOT_CREATED" | "REFUSED" | "EXPIRED" | "CANCELLED" | "CAPTURE_FAILED" => {
            Outcome::Failed
        }
        _ => return Ok(None),
    };
    let Some(bill) = fields.get("vads_order_id") else {
        return Ok(None);
    };
    let currency = currency_of_numeric(fields.get("vads_currency"));
    Ok(Some(PaymentEvent {
        gateway: PaymentMethod::Systempay,
        event_id: format!("{transaction}:{status}:{operation}"),
        bill: bill.to_owned(),
        outcome,
        amount: minor(currency, fields.get("vads_amount")),
        currency,
        reference: Some(transaction.to_owned()),
    }))
}

// ---------------------------------------------------------------- Sips 2.0

fn sips_name(lower: &str) -> Option<String> {
    [
        "Data",
        "Seal",
        "Encode",
        "SealAlgorithm",
        "InterfaceVersion",
    ]
    .into_iter()
    .find(|n| n.eq_ignore_ascii_case(lower))
    .map(str::to_owned)
}

/// The pairs of a Sips `Data` text. `Encode` is outside the seal, but either reading of it
/// uses only the sealed text: a Base64 `Data` read raw has no pairs, and a raw `Data` (which
/// holds `|` and `=`) is not Base64.
fn sips_data(form: &FormBody, data: &str) -> Result<Signed, VerifyError> {
    let base64 = form
        .get("Encode")
        .is_some_and(|e| e.eq_ignore_ascii_case("base64"));
    let text = if base64 {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data)
            .map_err(|_| refused("Data is not Base64"))?;
        String::from_utf8(bytes).map_err(|_| refused("Data is not UTF-8"))?
    } else {
        data.to_owned()
    };
    Signed::from_pairs(
        text.split('|')
            .filter_map(|pair| pair.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned())),
    )
}

/// A Sips automatic response: the seal over `Data` as received (algorithm and encoding the
/// shop's), then `responseCode`, which only a response carries.
pub fn sips_event(settings: &Settings, body: &[u8]) -> Result<Option<PaymentEvent>, VerifyError> {
    let form = FormBody::parse(body, Names::Exact(sips_name))?;
    let data = form.get("Data").ok_or_else(|| refused("no Data"))?;
    let seal = form.get("Seal").ok_or_else(|| refused("no Seal"))?;
    let algorithm = seal_algorithm(settings);
    if let Some(posted) = form.get("SealAlgorithm")
        && !posted.eq_ignore_ascii_case(algorithm.field())
    {
        return Err(refused(format!(
            "seal algorithm `{posted}` is not this shop's"
        )));
    }
    let expected = signatures::sips_seal(data, &settings.need("secret_key")?, algorithm);
    if !same(&seal.to_lowercase(), &expected) {
        return Err(refused("the seal does not match"));
    }
    let values = sips_data(&form, data)?;
    if values.get("merchantId") != settings.get("merchant_id").as_deref() {
        return Err(refused("another merchant's response"));
    }
    let code = values.need("responseCode")?;
    let reference = values.need("transactionReference")?;
    let outcome = match code {
        "00" => Outcome::Paid,
        "60" => Outcome::Pending,
        _ => Outcome::Failed,
    };
    let Some(bill) = values
        .get("orderId")
        .or_else(|| reference.get(..20))
        .map(str::to_owned)
    else {
        return Ok(None);
    };
    let currency = currency_of_numeric(values.get("currencyCode"));
    Ok(Some(PaymentEvent {
        gateway: PaymentMethod::Sips,
        event_id: format!("{reference}:{code}"),
        bill,
        outcome,
        amount: minor(currency, values.get("amount")),
        currency,
        reference: Some(reference.to_owned()),
    }))
}

// ---------------------------------------------------------------- Ogone

/// Ogone feedback: names upper-cased once, SHA-OUT over the non-empty SHA-OUT parameters
/// received, then the event from those parameters only. `STATUS` and `PAYID` are required:
/// only feedback carries them (and the SHA-OUT passphrase is never the SHA-IN one).
pub fn ogone_event(settings: &Settings, body: &[u8]) -> Result<Option<PaymentEvent>, VerifyError> {
    let form = FormBody::parse(body, Names::Upper)?;
    let sent = form.get("SHASIGN").ok_or_else(|| refused("no SHASIGN"))?;
    let sha_out = settings.need("sha_out")?;
    if settings.get("sha_in").as_deref() == Some(sha_out.as_str()) {
        return Err(VerifyError::NotConfigured(
            "the SHA-OUT passphrase must differ from the SHA-IN one".into(),
        ));
    }
    let expected = signatures::ogone(
        form.pairs(),
        &sha_out,
        sha_algorithm(settings),
        signatures::ogone_sha_out_param,
    );
    if !same(&sent.to_uppercase(), &expected) {
        return Err(refused("SHASIGN does not match"));
    }
    let fields = form.signed(|k, v| !v.is_empty() && signatures::ogone_sha_out_param(k));
    let status = fields.need("STATUS")?;
    let payid = format!(
        "{}.{}",
        fields.need("PAYID")?,
        fields.get("PAYIDSUB").unwrap_or("0")
    );
    let outcome = match status {
        "5" | "9" => Outcome::Paid,
        "41" | "46" | "50" | "51" | "52" | "55" | "91" | "92" | "99" => Outcome::Pending,
        "1" | "2" | "93" => Outcome::Failed,
        "8" => Outcome::Refunded,
        _ => return Ok(None),
    };
    let Some(bill) = fields.get("ORDERID") else {
        return Ok(None);
    };
    Ok(Some(PaymentEvent {
        gateway: PaymentMethod::Ogone,
        event_id: format!("{payid}:{status}"),
        bill: bill.to_owned(),
        outcome,
        amount: fields.get("AMOUNT").and_then(|a| parse_decimal(a).ok()),
        currency: fields
            .get("CURRENCY")
            .and_then(|c| c.to_uppercase().parse().ok()),
        reference: Some(payid),
    }))
}
