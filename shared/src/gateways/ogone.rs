//! Ogone (Worldline e-Commerce): the SHA-IN form, the SHA-OUT post-sale request, its sample.

use super::*;

pub(crate) fn sha_algorithm(settings: &Settings) -> ShaAlgorithm {
    match settings.choice("sha_algorithm").as_deref() {
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

/// An Ogone (Worldline) post-sale request, signed with the SHA-OUT passphrase.
pub(super) fn sample(settings: &Settings, s: &Sample) -> Result<samples::Signed, VerifyError> {
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
