//! The one place that knows which protocol each gateway speaks: starting a payment, verifying a
//! notification and signing a sample all go through [`Gateway`].

use async_trait::async_trait;

use super::*;
use crate::ports::GatewayApi;

/// The payment methods that are paid at a gateway (the others need none: free, check,
/// transfer, test).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gateway {
    Stripe,
    Paypal,
    Systempay,
    Sips,
    Ogone,
}

/// What the buyer's browser does to pay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Started {
    /// Post these fields to the gateway's page.
    Form {
        url: String,
        fields: BTreeMap<String, String>,
    },
    /// Go to the gateway's page (a Stripe Checkout Session).
    Redirect { url: String },
}

/// Numbers a gateway needs unique per site and day (Lyra's `vads_trans_id`). The shop keeps
/// the counter; a number is taken only when a payment starts.
#[async_trait]
pub trait DailyNumbers: Send + Sync {
    async fn next(&self, site: &str) -> Result<u32, VerifyError>;
}

/// What starting a payment needs besides the gateway's settings and the bill.
pub struct StartWith<'a> {
    pub api: &'a dyn GatewayApi,
    pub numbers: &'a dyn DailyNumbers,
    pub now: DateTime<Utc>,
}

/// A notification as received: the signature header (Stripe's) and the raw body.
pub struct Received<'a> {
    pub signature_header: Option<&'a str>,
    pub body: &'a [u8],
}

impl Gateway {
    pub const ALL: [Gateway; 5] = [
        Gateway::Stripe,
        Gateway::Paypal,
        Gateway::Systempay,
        Gateway::Sips,
        Gateway::Ogone,
    ];

    /// The gateway a payment method is paid at, if any.
    pub fn of(method: PaymentMethod) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.method() == method)
    }

    pub fn method(self) -> PaymentMethod {
        match self {
            Gateway::Stripe => PaymentMethod::Stripe,
            Gateway::Paypal => PaymentMethod::Paypal,
            Gateway::Systempay => PaymentMethod::Systempay,
            Gateway::Sips => PaymentMethod::Sips,
            Gateway::Ogone => PaymentMethod::Ogone,
        }
    }

    /// The buyer's way to the gateway's payment page for what remains due on `bill`.
    pub async fn start(
        self,
        settings: &Settings<'_>,
        bill: &Bill,
        urls: &Urls,
        with: &StartWith<'_>,
    ) -> Result<Started, VerifyError> {
        let form = |(url, fields)| Started::Form { url, fields };
        match self {
            Gateway::Paypal => paypal::paypal_form(settings, bill, urls).map(form),
            Gateway::Sips => sips::sips_form(settings, bill, urls, bill.events.len()).map(form),
            Gateway::Ogone => ogone::ogone_form(settings, bill, urls).map(form),
            Gateway::Systempay => {
                let site = settings.get("site_id").unwrap_or_default();
                let number = with.numbers.next(&site).await?;
                lyra::systempay_form(settings, bill, urls, number, with.now).map(form)
            }
            Gateway::Stripe => {
                let api = settings
                    .get("api_base")
                    .unwrap_or_else(|| "https://api.stripe.com".into());
                let key = settings.need("secret_key")?;
                let fields = stripe::stripe_session_form(bill, urls, &urls.back);
                let url = with.api.stripe_session(&api, &key, fields).await?;
                Ok(Started::Redirect { url })
            }
        }
    }

    /// A notification verified (PayPal's by its postback, the others by their signature) and
    /// read: `None` for a status the shop does not act on.
    pub async fn verify(
        self,
        settings: &Settings<'_>,
        received: &Received<'_>,
        now: DateTime<Utc>,
        api: &dyn GatewayApi,
    ) -> Result<Option<PaymentEvent>, VerifyError> {
        if self == Gateway::Paypal {
            let url = settings
                .get("verify_url")
                .unwrap_or_else(|| "https://ipnpb.paypal.com/cgi-bin/webscr".into());
            let answer = api
                .paypal_postback(&url, paypal::paypal_postback(received.body))
                .await?;
            paypal::verdict(&answer)?;
        }
        self.read(settings, received, now)
    }

    /// The signature check and reading of a notification, without PayPal's postback: for
    /// samples and tests only (a PayPal IPN read this way is not verified).
    pub fn read(
        self,
        settings: &Settings<'_>,
        received: &Received<'_>,
        now: DateTime<Utc>,
    ) -> Result<Option<PaymentEvent>, VerifyError> {
        let body = received.body;
        match self {
            Gateway::Stripe => stripe::stripe_event(settings, received.signature_header, body, now),
            Gateway::Paypal => paypal::paypal_event(settings, body),
            Gateway::Systempay => lyra::systempay_event(settings, body),
            Gateway::Sips => sips::sips_event(settings, body),
            Gateway::Ogone => ogone::ogone_event(settings, body),
        }
    }

    /// The body and headers of a notification as this gateway would send it, signed with the
    /// shop's settings.
    pub fn sample(
        self,
        settings: &Settings<'_>,
        s: &Sample,
    ) -> Result<samples::Signed, VerifyError> {
        let minor = s.currency.to_minor(s.amount).unwrap_or(0);
        match self {
            Gateway::Stripe => stripe::sample(settings, s, minor),
            Gateway::Paypal => paypal::sample(settings, s),
            Gateway::Systempay => lyra::sample(settings, s, minor),
            Gateway::Sips => sips::sample(settings, s, minor),
            Gateway::Ogone => ogone::sample(settings, s),
        }
    }

    /// The settings without which a payment cannot start at this gateway or its notification
    /// be verified: a shop offering the method without them fails its buyers at the last step.
    pub fn missing_settings(self, settings: &Settings<'_>) -> Vec<&'static str> {
        let needed: &[&'static str] = match self {
            Gateway::Stripe => &["secret_key", "webhook_secret"],
            Gateway::Paypal => &["business"],
            Gateway::Systempay => &["site_id"],
            Gateway::Sips => &["merchant_id", "secret_key"],
            Gateway::Ogone => &["pspid", "sha_in", "sha_out"],
        };
        let mut missing: Vec<_> = needed
            .iter()
            .copied()
            .filter(|name| settings.get(name).is_none())
            .collect();
        // Systempay's key may also be given per mode (`test_key`, `production_key`).
        let mode = settings.get("ctx_mode").unwrap_or_else(|| "TEST".into());
        if self == Gateway::Systempay && lyra_key(settings, &mode).is_err() {
            missing.push("key");
        }
        missing
    }

    /// The settings naming a choice this gateway does not know, each with the choices it
    /// knows: read as they are, they would fall back to a default (another algorithm, the
    /// test mode) and every payment would fail at the gateway.
    pub fn unknown_choices(
        self,
        settings: &Settings<'_>,
    ) -> Vec<(&'static str, &'static [&'static str])> {
        let choices: &[(&'static str, &'static [&'static str])] = match self {
            Gateway::Systempay => &[
                ("ctx_mode", &["TEST", "PRODUCTION"]),
                ("signature_algorithm", &["HMAC-SHA-256", "SHA-1"]),
            ],
            Gateway::Sips => &[
                ("seal_algorithm", &["HMAC-SHA-256", "SHA-256"]),
                ("encode", &["base64"]),
            ],
            Gateway::Ogone => &[("sha_algorithm", &["SHA-1", "SHA-256", "SHA-512"])],
            Gateway::Stripe | Gateway::Paypal => &[],
        };
        // The mode goes to Systempay as written; an algorithm is read in any spelling.
        let unknown = |name: &str, known: &[&str]| match name {
            "ctx_mode" => settings
                .get(name)
                .is_some_and(|v| !known.contains(&v.as_str())),
            _ => settings
                .choice(name)
                .is_some_and(|v| !known.iter().any(|k| choice_word(k) == v)),
        };
        choices
            .iter()
            .filter(|(name, known)| unknown(name, known))
            .copied()
            .collect()
    }

    /// The gateway's word for a paid transaction.
    pub fn paid_word(self) -> &'static str {
        match self {
            Gateway::Stripe => "checkout.session.completed",
            Gateway::Paypal => "Completed",
            Gateway::Systempay => "CAPTURED",
            Gateway::Sips => "00",
            Gateway::Ogone => "9",
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// PayPal's verifier as a test sets it: a fixed answer, and the bodies posted to it.
    struct Verifier {
        answer: Result<&'static str, ()>,
        posted: Mutex<Vec<Vec<u8>>>,
    }

    #[async_trait]
    impl GatewayApi for Verifier {
        async fn stripe_session(
            &self,
            _: &str,
            _: &str,
            _: Vec<(String, String)>,
        ) -> Result<String, VerifyError> {
            unreachable!("PayPal never asks Stripe")
        }
        async fn paypal_postback(&self, _: &str, body: Vec<u8>) -> Result<String, VerifyError> {
            self.posted.lock().unwrap().push(body);
            self.answer
                .map(str::to_owned)
                .map_err(|()| VerifyError::Unavailable("down".into()))
        }
    }

    async fn verify_paypal(answer: Result<&'static str, ()>) -> Result<bool, VerifyError> {
        let map: Map<String, Value> =
            serde_json::from_value(serde_json::json!({"business": "s@example.org"})).unwrap();
        let settings = Settings(&map);
        let now = Utc::now();
        let sample = Sample {
            bill: "B1",
            event: "T1",
            status: "Completed",
            amount: Decimal::new(5000, 2),
            currency: "EUR".parse().unwrap(),
            now,
        };
        let (body, _) = Gateway::Paypal.sample(&settings, &sample).unwrap();
        let verifier = Verifier {
            answer,
            posted: Mutex::default(),
        };
        let received = Received {
            signature_header: None,
            body: &body,
        };
        let result = Gateway::Paypal
            .verify(&settings, &received, now, &verifier)
            .await
            .map(|event| event.is_some_and(|e| e.bill == "B1" && e.outcome == Outcome::Paid));
        let posted = verifier.posted.into_inner().unwrap();
        let mut expected = b"cmd=_notify-validate&".to_vec();
        expected.extend_from_slice(&body);
        assert_eq!(
            posted,
            [expected],
            "one postback, the body unchanged after the command"
        );
        result
    }

    /// Only PayPal's `VERIFIED` lets an IPN through; `INVALID` is a forgery; anything else,
    /// or no answer, is "try again later" (503), never accepted.
    #[tokio::test]
    async fn an_ipn_counts_only_when_paypal_says_verified() {
        assert!(verify_paypal(Ok("VERIFIED\n")).await.unwrap());
        assert!(matches!(
            verify_paypal(Ok("INVALID")).await,
            Err(VerifyError::Unauthentic(_))
        ));
        for answer in [Ok("<html>maintenance</html>"), Ok(""), Err(())] {
            assert!(matches!(
                verify_paypal(answer).await,
                Err(VerifyError::Unavailable(_))
            ));
        }
    }

    #[test]
    fn every_gateway_method_has_its_gateway_and_no_other_method_has_one() {
        for &method in PaymentMethod::ALL {
            match Gateway::of(method) {
                Some(g) => assert_eq!(g.method(), method),
                None => assert!(matches!(
                    method,
                    PaymentMethod::Free
                        | PaymentMethod::Check
                        | PaymentMethod::Transfer
                        | PaymentMethod::Test
                )),
            }
        }
    }

    fn settings(value: serde_json::Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    /// What a gateway cannot take a payment without, by its own names; Systempay's key may be
    /// the one of its mode.
    #[test]
    fn each_gateway_names_the_settings_a_payment_needs() {
        let none = Map::new();
        let missing = |g: Gateway, s: &Map<String, Value>| g.missing_settings(&Settings(s));
        assert_eq!(
            missing(Gateway::Stripe, &none),
            ["secret_key", "webhook_secret"]
        );
        assert_eq!(missing(Gateway::Paypal, &none), ["business"]);
        assert_eq!(missing(Gateway::Systempay, &none), ["site_id", "key"]);
        assert_eq!(missing(Gateway::Sips, &none), ["merchant_id", "secret_key"]);
        assert_eq!(
            missing(Gateway::Ogone, &none),
            ["pspid", "sha_in", "sha_out"]
        );
        let production = settings(serde_json::json!(
            {"site_id": "12345678", "ctx_mode": "PRODUCTION", "production_key": "k"}
        ));
        assert!(missing(Gateway::Systempay, &production).is_empty());
        let test_key_only = settings(serde_json::json!(
            {"site_id": "12345678", "ctx_mode": "PRODUCTION", "test_key": "k"}
        ));
        assert_eq!(missing(Gateway::Systempay, &test_key_only), ["key"]);
        let blank = settings(serde_json::json!({"business": ""}));
        assert_eq!(
            missing(Gateway::Paypal, &blank),
            ["business"],
            "empty is missing"
        );
    }

    /// A choice is known in any spelling the readers take (and read as it was checked); the
    /// mode, sent to Systempay as written, only as Systempay spells it.
    #[test]
    fn a_choice_the_gateway_does_not_know_is_named_with_those_it_knows() {
        use serde_json::json;
        let unknown = |g: Gateway, v: serde_json::Value| {
            let s = settings(v);
            g.unknown_choices(&Settings(&s))
                .into_iter()
                .map(|(name, _)| name)
                .collect::<Vec<_>>()
        };
        assert!(unknown(Gateway::Ogone, json!({"sha_algorithm": "sha512"})).is_empty());
        assert_eq!(
            unknown(Gateway::Ogone, json!({"sha_algorithm": "SHA-3"})),
            ["sha_algorithm"]
        );
        assert!(
            unknown(
                Gateway::Systempay,
                json!({"signature_algorithm": "sha1", "ctx_mode": "PRODUCTION"})
            )
            .is_empty()
        );
        assert_eq!(
            unknown(
                Gateway::Systempay,
                json!({"signature_algorithm": "MD5", "ctx_mode": "Production"})
            ),
            ["ctx_mode", "signature_algorithm"]
        );
        assert!(
            unknown(
                Gateway::Sips,
                json!({"seal_algorithm": "SHA256", "encode": "BASE64"})
            )
            .is_empty()
        );
        assert_eq!(unknown(Gateway::Sips, json!({"encode": "hex"})), ["encode"]);
        // What passes is read as that choice, not as the default.
        let sha256 = settings(json!({"seal_algorithm": "SHA256"}));
        assert_eq!(
            super::super::sips::seal_algorithm(&Settings(&sha256)),
            SealAlgorithm::Sha256
        );
        let sha1 = settings(json!({"signature_algorithm": "SHA-1"}));
        assert_eq!(lyra_algorithm(&Settings(&sha1)), LyraAlgorithm::Sha1);
    }
}
