//! PayPal: the Payments Standard form, the IPN (verified by the postback), its sample.

use super::*;

/// PayPal Website Payments Standard form (`invoice` = bill id).
pub fn paypal_form(
    settings: &Settings,
    bill: &Bill,
    urls: &Urls,
) -> Result<(String, BTreeMap<String, String>), VerifyError> {
    let url = settings
        .get("form_url")
        .unwrap_or_else(|| "https://www.paypal.com/cgi-bin/webscr".into());
    let fields = BTreeMap::from([
        ("cmd".into(), "_xclick".into()),
        ("business".into(), settings.need("business")?),
        ("item_name".into(), format!("Order {}", bill.id)),
        ("invoice".into(), bill.id.to_string()),
        (
            "amount".into(),
            bill_currency(bill).format(bill.remaining()),
        ),
        ("currency_code".into(), bill.currency.code().to_owned()),
        ("notify_url".into(), urls.notify.clone()),
        ("return".into(), urls.back.clone()),
        ("cancel_return".into(), urls.back.clone()),
        ("no_shipping".into(), "1".into()),
        ("charset".into(), "utf-8".into()),
    ]);
    Ok((url, fields))
}

/// The body PayPal wants back to verify an IPN: `cmd=_notify-validate&` + the body unchanged.
pub fn paypal_postback(body: &[u8]) -> Vec<u8> {
    let mut out = b"cmd=_notify-validate&".to_vec();
    out.extend_from_slice(body);
    out
}

/// PayPal's answer to a postback: `VERIFIED` is the only proof an IPN came from PayPal.
pub(super) fn verdict(answer: &str) -> Result<(), VerifyError> {
    match answer.trim() {
        "VERIFIED" => Ok(()),
        "INVALID" => Err(refused("PayPal answered INVALID")),
        other => Err(VerifyError::Unavailable(format!(
            "PayPal's verifier answered `{}`",
            other.chars().take(40).collect::<String>()
        ))),
    }
}

/// The IPN fields the shop reads; PayPal spells them in lower case.
pub(super) const PAYPAL_FIELDS: &[&str] = &[
    "txn_id",
    "parent_txn_id",
    "payment_status",
    "invoice",
    "mc_gross",
    "mc_currency",
    "receiver_email",
    "business",
];

pub(super) fn paypal_name(lower: &str) -> Option<String> {
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

/// A PayPal IPN (authenticated by the postback, so nothing to sign).
pub(super) fn sample(settings: &Settings, s: &Sample) -> Result<samples::Signed, VerifyError> {
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
