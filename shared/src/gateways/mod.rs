//! Payment gateways: the buyer's payment form for a bill, and a raw notification turned into a
//! verified, typed payment event. Protocol facts and vectors: each gateway's module and its tests.
//!
//! Verification always runs on the raw bytes as received, before anything is parsed for use;
//! settings come from the shop document's `gateways.<method>` section (secrets write-only).

pub mod fields;
mod notifications;
pub mod samples;
pub mod signatures;

pub use notifications::{ogone_event, paypal_event, sips_event, stripe_event, systempay_event};

use std::collections::BTreeMap;

use base64::Engine;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::{Map, Value};

use crate::domain::bill::Bill;
use crate::domain::catalog::PaymentMethod;
use crate::domain::money::Currency;
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

// ---------------------------------------------------------------- Stripe

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

// ---------------------------------------------------------------- Sips 2.0

/// The shop's seal algorithm: `HMAC-SHA-256` (default) or the legacy `SHA-256`.
pub(crate) fn seal_algorithm(settings: &Settings) -> SealAlgorithm {
    match settings.get("seal_algorithm").as_deref() {
        Some(a) if a.eq_ignore_ascii_case("SHA-256") => SealAlgorithm::Sha256,
        _ => SealAlgorithm::HmacSha256,
    }
}

/// `Data` as the shop sends it (Base64 when its `encode` setting says so), and whether it is.
pub(crate) fn sips_encoded(settings: &Settings, data: String) -> (String, bool) {
    let base64 = settings
        .get("encode")
        .is_some_and(|e| e.eq_ignore_ascii_case("base64"));
    if base64 {
        (base64::engine::general_purpose::STANDARD.encode(data), true)
    } else {
        (data, false)
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
    ];
    // A `|` inside a value would add a pair to the sealed text, which Sips's response echoes.
    if data.iter().any(|pair| pair.contains('|')) {
        return Err(VerifyError::NotConfigured(
            "a Sips form value holds `|`".into(),
        ));
    }
    let (data, base64) = sips_encoded(settings, data.join("|"));
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
        ("CURRENCY", bill.currency.code().to_owned()),
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
