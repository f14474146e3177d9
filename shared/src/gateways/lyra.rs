//! Systempay (Lyra): the signed payment form, the IPN and its signature, its sample.

use super::*;

pub(crate) fn lyra_algorithm(settings: &Settings) -> LyraAlgorithm {
    match settings.choice("signature_algorithm").as_deref() {
        Some("SHA1") => LyraAlgorithm::Sha1,
        _ => LyraAlgorithm::HmacSha256,
    }
}

pub(crate) fn lyra_key(settings: &Settings, ctx_mode: &str) -> Result<String, VerifyError> {
    let name = if ctx_mode == "PRODUCTION" {
        "production_key"
    } else {
        "test_key"
    };
    settings.get(name).map_or_else(|| settings.need("key"), Ok)
}

/// The signed `vads_*` form; `trans_id` is the site's 6-digit transaction number of the day.
pub fn systempay_form(
    settings: &Settings,
    bill: &Bill,
    urls: &Urls,
    trans_id: u32,
    now: DateTime<Utc>,
) -> Result<(String, BTreeMap<String, String>), VerifyError> {
    let url = settings
        .get("form_url")
        .unwrap_or_else(|| "https://paiement.systempay.fr/vads-payment/".into());
    let ctx_mode = settings.get("ctx_mode").unwrap_or_else(|| "TEST".into());
    let mut fields: Vec<(String, String)> = [
        ("vads_action_mode", "INTERACTIVE".to_owned()),
        ("vads_amount", minor_text(bill)),
        ("vads_ctx_mode", ctx_mode.clone()),
        ("vads_currency", bill_currency(bill).numeric().to_string()),
        ("vads_order_id", bill.id.to_string()),
        ("vads_page_action", "PAYMENT".to_owned()),
        ("vads_payment_config", "SINGLE".to_owned()),
        ("vads_site_id", settings.need("site_id")?),
        ("vads_trans_date", now.format("%Y%m%d%H%M%S").to_string()),
        ("vads_trans_id", format!("{:06}", trans_id % 1_000_000)),
        ("vads_url_check", urls.notify.clone()),
        ("vads_url_return", urls.back.clone()),
        ("vads_version", "V2".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let signature = signatures::lyra(
        &fields,
        &lyra_key(settings, &ctx_mode)?,
        lyra_algorithm(settings),
    );
    fields.push(("signature".into(), signature));
    Ok((url, fields.into_iter().collect()))
}

pub(super) fn lyra_name(lower: &str) -> Option<String> {
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

/// A Systempay (Lyra) IPN, signed with the key of its context mode.
pub(super) fn sample(
    settings: &Settings,
    s: &Sample,
    minor: i64,
) -> Result<samples::Signed, VerifyError> {
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
