//! Stripe: the Checkout Session form, the `Stripe-Signature` webhook event, its sample.

use super::*;

/// How far a Stripe signature's timestamp may be from now, either way.
const STRIPE_TOLERANCE_SECS: i64 = 300;

/// The form body of `POST /v1/checkout/sessions` for a bill.
pub fn stripe_session_form(bill: &Bill, urls: &Urls, success: &str) -> Vec<(String, String)> {
    let currency = bill_currency(bill);
    [
        ("mode", "payment".to_owned()),
        ("client_reference_id", bill.id.to_string()),
        ("metadata[bill_id]", bill.id.to_string()),
        (
            "payment_intent_data[metadata][bill_id]",
            bill.id.to_string(),
        ),
        ("line_items[0][quantity]", "1".to_owned()),
        (
            "line_items[0][price_data][currency]",
            currency.code().to_lowercase(),
        ),
        ("line_items[0][price_data][unit_amount]", minor_text(bill)),
        (
            "line_items[0][price_data][product_data][name]",
            format!("Order {}", bill.id),
        ),
        ("success_url", success.to_owned()),
        ("cancel_url", urls.back.clone()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// The parts of a Stripe event the shop reads. Typed, so that a repeated key is refused.
#[derive(Deserialize)]
pub(super) struct StripeEvent {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    data: StripeData,
}

#[derive(Deserialize)]
pub(super) struct StripeData {
    object: StripeObject,
}

#[derive(Deserialize)]
pub(super) struct StripeObject {
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
pub(super) struct StripeMetadata {
    bill_id: Option<String>,
}

/// The `t` and `v1` values of a `Stripe-Signature` header (one `t`).
pub(super) fn stripe_header(header: &str) -> Result<(&str, Vec<&str>), VerifyError> {
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

/// A Stripe event (a Checkout Session, or a refunded charge), signed with the webhook secret.
pub(super) fn sample(
    settings: &Settings,
    s: &Sample,
    minor: i64,
) -> Result<samples::Signed, VerifyError> {
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
