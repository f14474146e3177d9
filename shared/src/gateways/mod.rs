//! Payment gateways: the buyer's payment form for a bill, and a raw notification turned into a
//! verified, typed payment event. Protocol facts and vectors: `reference/payments.md`.
//!
//! Verification always runs on the raw bytes as received, before anything is parsed for use;
//! settings come from the shop document's `gateways.<method>` section (secrets write-only).

pub mod samples;
pub mod signatures;

use std::collections::BTreeMap;

use base64::Engine;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::{Map, Value};

use crate::domain::bill::Bill;
use crate::domain::catalog::PaymentMethod;
use crate::domain::money::Currency;
use signatures::{LyraAlgorithm, SealAlgorithm, ShaAlgorithm, same};

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
    /// The verifier could not be asked (PayPal postback): the gateway should retry.
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

    pub fn need(&self, name: &str) -> Result<String, VerifyError> {
        self.get(name).ok_or_else(|| {
            VerifyError::NotConfigured(format!("the gateway setting `{name}` is missing"))
        })
    }
}

/// Where a gateway sends the buyer and its notifications for a bill.
pub struct Urls {
    pub notify: String,
    /// The return URL (bill id in the query).
    pub back: String,
}

/// Form fields of a request body (`application/x-www-form-urlencoded`), in order.
pub fn form_fields(body: &[u8]) -> Result<Vec<(String, String)>, VerifyError> {
    serde_urlencoded::from_bytes(body)
        .map_err(|_| VerifyError::Unauthentic("the body is not a form".into()))
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
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
        .parse()
        .expect("a bill's currency was validated")
}

fn minor_text(bill: &Bill) -> String {
    bill_currency(bill)
        .to_minor(bill.remaining())
        .unwrap_or(0)
        .to_string()
}

// ---------------------------------------------------------------- Stripe

/// Stripe webhook: `Stripe-Signature` checked (any `v1`, 300 s tolerance), then the event.
pub fn stripe_event(
    settings: &Settings,
    signature: Option<&str>,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<Option<PaymentEvent>, VerifyError> {
    let secret = settings.need("webhook_secret")?;
    let header =
        signature.ok_or_else(|| VerifyError::Unauthentic("no Stripe-Signature header".into()))?;
    let mut timestamp = None;
    let mut candidates = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = Some(t),
            Some(("v1", v)) => candidates.push(v),
            _ => {}
        }
    }
    let t = timestamp
        .ok_or_else(|| VerifyError::Unauthentic("no timestamp in Stripe-Signature".into()))?;
    let expected = signatures::stripe_v1(&secret, t, body);
    if !candidates.iter().any(|c| same(c, &expected)) {
        return Err(VerifyError::Unauthentic("no v1 signature matches".into()));
    }
    let sent: i64 = t
        .parse()
        .map_err(|_| VerifyError::Unauthentic("bad timestamp".into()))?;
    if sent < now.timestamp() - 300 {
        return Err(VerifyError::Unauthentic(
            "the signature is older than 300 s".into(),
        ));
    }
    let event: Value =
        serde_json::from_slice(body).map_err(|_| VerifyError::Unauthentic("not JSON".into()))?;
    let text = |v: &Value| v.as_str().map(str::to_owned);
    let id = text(&event["id"]).ok_or_else(|| VerifyError::Unauthentic("no event id".into()))?;
    let object = &event["data"]["object"];
    let currency = text(&object["currency"]).and_then(|c| c.to_uppercase().parse().ok());
    let (outcome, bill, amount) = match event["type"].as_str().unwrap_or("") {
        "checkout.session.completed" => {
            let paid = object["payment_status"] == "paid";
            (
                if paid {
                    Outcome::Paid
                } else {
                    Outcome::Pending
                },
                text(&object["client_reference_id"]),
                &object["amount_total"],
            )
        }
        "checkout.session.async_payment_succeeded" => (
            Outcome::Paid,
            text(&object["client_reference_id"]),
            &object["amount_total"],
        ),
        "checkout.session.async_payment_failed" | "checkout.session.expired" => (
            Outcome::Failed,
            text(&object["client_reference_id"]),
            &object["amount_total"],
        ),
        "charge.refunded" => (
            Outcome::Refunded,
            text(&object["metadata"]["bill_id"]),
            &object["amount_refunded"],
        ),
        _ => return Ok(None),
    };
    let Some(bill) = bill else { return Ok(None) };
    let amount = amount
        .as_i64()
        .zip(currency)
        .map(|(a, c): (i64, Currency)| c.from_minor(a));
    let reference = text(&object["payment_intent"]).or_else(|| text(&object["id"]));
    Ok(Some(PaymentEvent {
        gateway: PaymentMethod::Stripe,
        event_id: id,
        bill,
        outcome,
        amount,
        currency,
        reference,
    }))
}

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

// ---------------------------------------------------------------- PayPal

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
        ("currency_code".into(), bill.currency.clone()),
        ("notify_url".into(), urls.notify.clone()),
        ("return".into(), urls.back.clone()),
        ("cancel_return".into(), urls.back.clone()),
        ("no_shipping".into(), "1".into()),
        ("charset".into(), "utf-8".into()),
    ]);
    Ok((url, fields))
}

/// The fields of an IPN once PayPal has said `VERIFIED`: receiver, status, amount, currency.
pub fn paypal_event(
    settings: &Settings,
    fields: &[(String, String)],
) -> Result<Option<PaymentEvent>, VerifyError> {
    let business = settings.need("business")?;
    let receiver = field(fields, "receiver_email")
        .or_else(|| field(fields, "business"))
        .unwrap_or("");
    if !receiver.eq_ignore_ascii_case(&business) {
        return Err(VerifyError::Unauthentic(format!(
            "the payment was made to `{receiver}`, not to this shop"
        )));
    }
    let status = field(fields, "payment_status").unwrap_or("");
    let outcome = match status {
        "Completed" => Outcome::Paid,
        "Pending" => Outcome::Pending,
        "Denied" | "Failed" | "Expired" | "Voided" => Outcome::Failed,
        "Refunded" | "Reversed" => Outcome::Refunded,
        _ => return Ok(None),
    };
    let txn =
        field(fields, "txn_id").ok_or_else(|| VerifyError::Unauthentic("no txn_id".into()))?;
    let Some(bill) = field(fields, "invoice") else {
        return Ok(None);
    };
    let currency: Option<Currency> = field(fields, "mc_currency").and_then(|c| c.parse().ok());
    let amount = field(fields, "mc_gross")
        .and_then(|a| crate::domain::money::parse_decimal(a).ok())
        .map(|a| a.abs());
    Ok(Some(PaymentEvent {
        gateway: PaymentMethod::Paypal,
        event_id: format!("{txn}:{status}"),
        bill: bill.to_owned(),
        outcome,
        amount,
        currency,
        reference: Some(field(fields, "parent_txn_id").unwrap_or(txn).to_owned()),
    }))
}

/// The body PayPal wants back to verify an IPN: `cmd=_notify-validate&` + the body unchanged.
pub fn paypal_postback(body: &[u8]) -> Vec<u8> {
    let mut out = b"cmd=_notify-validate&".to_vec();
    out.extend_from_slice(body);
    out
}

// ---------------------------------------------------------------- Systempay (Lyra)

pub(crate) fn lyra_algorithm(settings: &Settings) -> LyraAlgorithm {
    match settings.get("signature_algorithm").as_deref() {
        Some(a) if a.eq_ignore_ascii_case("sha1") || a.eq_ignore_ascii_case("sha-1") => {
            LyraAlgorithm::Sha1
        }
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

/// A Lyra IPN: the signature over the fields received, then the status.
pub fn systempay_event(
    settings: &Settings,
    fields: &[(String, String)],
) -> Result<Option<PaymentEvent>, VerifyError> {
    let sent = field(fields, "signature")
        .ok_or_else(|| VerifyError::Unauthentic("no signature".into()))?;
    let ctx_mode = field(fields, "vads_ctx_mode").unwrap_or("TEST");
    let expected = signatures::lyra(
        fields,
        &lyra_key(settings, ctx_mode)?,
        lyra_algorithm(settings),
    );
    if !same(sent, &expected) {
        return Err(VerifyError::Unauthentic(
            "the signature does not match".into(),
        ));
    }
    if field(fields, "vads_site_id") != settings.get("site_id").as_deref() {
        return Err(VerifyError::Unauthentic(
            "another site's notification".into(),
        ));
    }
    let status = field(fields, "vads_trans_status").unwrap_or("");
    let credit = field(fields, "vads_operation_type") == Some("CREDIT");
    let outcome = match status {
        _ if credit && matches!(status, "AUTHORISED" | "CAPTURED" | "ACCEPTED") => {
            Outcome::Refunded
        }
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
    let Some(bill) = field(fields, "vads_order_id") else {
        return Ok(None);
    };
    let currency = currency_of_numeric(field(fields, "vads_currency"));
    let transaction = field(fields, "vads_trans_uuid")
        .map(str::to_owned)
        .unwrap_or_else(|| {
            format!(
                "{}-{}",
                field(fields, "vads_trans_date").unwrap_or(""),
                field(fields, "vads_trans_id").unwrap_or("")
            )
        });
    Ok(Some(PaymentEvent {
        gateway: PaymentMethod::Systempay,
        event_id: format!(
            "{transaction}:{status}:{}",
            field(fields, "vads_operation_type").unwrap_or("DEBIT")
        ),
        bill: bill.to_owned(),
        outcome,
        amount: minor(currency, field(fields, "vads_amount")),
        currency,
        reference: Some(transaction),
    }))
}

// ---------------------------------------------------------------- Sips 2.0

/// The shop's seal algorithm: `HMAC-SHA-256` (default) or the legacy `SHA-256`.
pub(crate) fn seal_algorithm(settings: &Settings) -> SealAlgorithm {
    match settings.get("seal_algorithm").as_deref() {
        Some(a) if a.eq_ignore_ascii_case("SHA-256") => SealAlgorithm::Sha256,
        _ => SealAlgorithm::HmacSha256,
    }
}

/// The Paypage form: `Data` (optionally Base64), `Seal`, `InterfaceVersion`, `SealAlgorithm`.
pub fn sips_form(
    settings: &Settings,
    bill: &Bill,
    urls: &Urls,
    attempt: usize,
) -> Result<(String, BTreeMap<String, String>), VerifyError> {
    let url = settings
        .get("form_url")
        .unwrap_or_else(|| "https://payment-webinit.sips-services.com/paymentInit".into());
    let data = [
        format!("amount={}", minor_text(bill)),
        format!("currencyCode={}", bill_currency(bill).numeric()),
        format!("merchantId={}", settings.need("merchant_id")?),
        format!("normalReturnUrl={}", urls.back),
        format!("automaticResponseUrl={}", urls.notify),
        format!("transactionReference={}{attempt:02}", bill.id),
        format!("orderId={}", bill.id),
        format!(
            "keyVersion={}",
            settings.get("key_version").unwrap_or_else(|| "1".into())
        ),
    ]
    .join("|");
    let base64 = settings
        .get("encode")
        .is_some_and(|e| e.eq_ignore_ascii_case("base64"));
    let data = if base64 {
        base64::engine::general_purpose::STANDARD.encode(data)
    } else {
        data
    };
    let algorithm = seal_algorithm(settings);
    let mut fields = BTreeMap::from([
        (
            "Seal".to_owned(),
            signatures::sips_seal(&data, &settings.need("secret_key")?, algorithm),
        ),
        ("Data".to_owned(), data),
        (
            "InterfaceVersion".to_owned(),
            settings
                .get("interface_version")
                .unwrap_or_else(|| "HP_2.31".into()),
        ),
        ("SealAlgorithm".to_owned(), algorithm.field().to_owned()),
    ]);
    if base64 {
        fields.insert("Encode".into(), "base64".into());
    }
    Ok((url, fields))
}

/// A Sips automatic response: the seal over `Data` as received, then `responseCode`.
pub fn sips_event(
    settings: &Settings,
    fields: &[(String, String)],
) -> Result<Option<PaymentEvent>, VerifyError> {
    let data = field(fields, "Data").ok_or_else(|| VerifyError::Unauthentic("no Data".into()))?;
    let seal = field(fields, "Seal").ok_or_else(|| VerifyError::Unauthentic("no Seal".into()))?;
    let algorithm = seal_algorithm(settings);
    if let Some(posted) = field(fields, "SealAlgorithm")
        && !posted.eq_ignore_ascii_case(algorithm.field())
    {
        return Err(VerifyError::Unauthentic(format!(
            "seal algorithm `{posted}` is not this shop's"
        )));
    }
    let expected = signatures::sips_seal(data, &settings.need("secret_key")?, algorithm);
    if !same(&seal.to_lowercase(), &expected) {
        return Err(VerifyError::Unauthentic("the seal does not match".into()));
    }
    let text = if field(fields, "Encode").is_some_and(|e| e.eq_ignore_ascii_case("base64")) {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data)
            .map_err(|_| VerifyError::Unauthentic("Data is not Base64".into()))?;
        String::from_utf8(bytes)
            .map_err(|_| VerifyError::Unauthentic("Data is not UTF-8".into()))?
    } else {
        data.to_owned()
    };
    let values: Vec<(String, String)> = text
        .split('|')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    if field(&values, "merchantId") != settings.get("merchant_id").as_deref() {
        return Err(VerifyError::Unauthentic(
            "another merchant's response".into(),
        ));
    }
    let code = field(&values, "responseCode").unwrap_or("");
    let outcome = match code {
        "00" => Outcome::Paid,
        "60" => Outcome::Pending,
        "" => return Ok(None),
        _ => Outcome::Failed,
    };
    let reference = field(&values, "transactionReference")
        .unwrap_or("")
        .to_owned();
    let Some(bill) = field(&values, "orderId")
        .map(str::to_owned)
        .or_else(|| reference.get(..20).map(str::to_owned))
    else {
        return Ok(None);
    };
    let currency = currency_of_numeric(field(&values, "currencyCode"));
    Ok(Some(PaymentEvent {
        gateway: PaymentMethod::Sips,
        event_id: format!("{reference}:{code}"),
        bill,
        outcome,
        amount: minor(currency, field(&values, "amount")),
        currency,
        reference: Some(reference),
    }))
}

// ---------------------------------------------------------------- Ogone

pub(crate) fn sha_algorithm(settings: &Settings) -> ShaAlgorithm {
    match settings
        .get("sha_algorithm")
        .map(|a| a.to_uppercase().replace('-', ""))
        .as_deref()
    {
        Some("SHA1") => ShaAlgorithm::Sha1,
        Some("SHA512") => ShaAlgorithm::Sha512,
        _ => ShaAlgorithm::Sha256,
    }
}

/// The e-Commerce form, signed with SHA-IN.
pub fn ogone_form(
    settings: &Settings,
    bill: &Bill,
    urls: &Urls,
) -> Result<(String, BTreeMap<String, String>), VerifyError> {
    let url = settings
        .get("form_url")
        .unwrap_or_else(|| "https://secure.ogone.com/ncol/prod/orderstandard_utf8.asp".into());
    let mut fields: Vec<(String, String)> = [
        ("PSPID", settings.need("pspid")?),
        ("ORDERID", bill.id.to_string()),
        ("AMOUNT", minor_text(bill)),
        ("CURRENCY", bill.currency.clone()),
        ("LANGUAGE", "en_US".to_owned()),
        ("EMAIL", bill.customer.email.to_string()),
        ("ACCEPTURL", urls.back.clone()),
        ("DECLINEURL", urls.back.clone()),
        ("EXCEPTIONURL", urls.back.clone()),
        ("CANCELURL", urls.back.clone()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let sign = signatures::ogone(
        &fields,
        &settings.need("sha_in")?,
        sha_algorithm(settings),
        |_| true,
    );
    fields.push(("SHASIGN".into(), sign));
    Ok((url, fields.into_iter().collect()))
}

/// Ogone feedback: SHA-OUT over the SHA-OUT parameters received, then STATUS.
pub fn ogone_event(
    settings: &Settings,
    fields: &[(String, String)],
) -> Result<Option<PaymentEvent>, VerifyError> {
    let sent =
        field(fields, "SHASIGN").ok_or_else(|| VerifyError::Unauthentic("no SHASIGN".into()))?;
    let expected = signatures::ogone(
        fields,
        &settings.need("sha_out")?,
        sha_algorithm(settings),
        signatures::ogone_sha_out_param,
    );
    if !same(&sent.to_uppercase(), &expected) {
        return Err(VerifyError::Unauthentic("SHASIGN does not match".into()));
    }
    let status = field(fields, "STATUS").unwrap_or("");
    let outcome = match status {
        "5" | "9" => Outcome::Paid,
        "41" | "46" | "50" | "51" | "52" | "55" | "91" | "92" | "99" => Outcome::Pending,
        "1" | "2" | "93" => Outcome::Failed,
        "8" => Outcome::Refunded,
        _ => return Ok(None),
    };
    let Some(bill) = field(fields, "ORDERID") else {
        return Ok(None);
    };
    let currency: Option<Currency> =
        field(fields, "CURRENCY").and_then(|c| c.to_uppercase().parse().ok());
    let payid = format!(
        "{}.{}",
        field(fields, "PAYID").unwrap_or(""),
        field(fields, "PAYIDSUB").unwrap_or("0")
    );
    Ok(Some(PaymentEvent {
        gateway: PaymentMethod::Ogone,
        event_id: format!("{payid}:{status}"),
        bill: bill.to_owned(),
        outcome,
        amount: field(fields, "AMOUNT").and_then(|a| crate::domain::money::parse_decimal(a).ok()),
        currency,
        reference: Some(payid),
    }))
}
