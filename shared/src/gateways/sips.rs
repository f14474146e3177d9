//! Sips 2.0 (Worldline): the `Data`/`Seal` form, the sealed response, its sample.

use super::*;

/// The shop's seal algorithm: `HMAC-SHA-256` (default) or the legacy `SHA-256`.
pub(crate) fn seal_algorithm(settings: &Settings) -> SealAlgorithm {
    match settings.choice("seal_algorithm").as_deref() {
        Some("SHA256") => SealAlgorithm::Sha256,
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

pub(super) fn sips_name(lower: &str) -> Option<String> {
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
pub(super) fn sips_data(form: &FormBody, data: &str) -> Result<Signed, VerifyError> {
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

/// A Sips response: the `Data` string and its seal.
pub(super) fn sample(
    settings: &Settings,
    s: &Sample,
    minor: i64,
) -> Result<samples::Signed, VerifyError> {
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
