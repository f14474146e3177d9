//! Forged notifications: for every gateway, a valid notification mutated at random (a name's
//! letter case changed, a name repeated, blank or unsigned fields added, fields reordered, the
//! shop's own signed payment form posted instead) either is refused or reads exactly as the
//! original event. Then the attacks found by the attack run, over HTTP on both stores: each
//! answers 400 `invalid_signature` and leaves the bill as it was.

use axum::Router;
use axum::routing::post;
use enrolshop_tests::{ADMIN_TOKEN, Reply, Stack};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use reqwest::Method;
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};
use shop_core::domain::catalog::PaymentMethod;
use shop_core::gateways::samples::Sample;
use shop_core::gateways::{Gateway, PaymentEvent, Received, Settings, VerifyError};

const SHOP: &str = "forge";

fn settings(gateway: &str) -> Map<String, Value> {
    let all = json!({
        "paypal": {"business": "sales@academy.example"},
        "stripe": {"secret_key": "sk_test_1", "webhook_secret": "whsec_test_secret"},
        "systempay": {"site_id": "12345678", "key": "1122334455667788", "ctx_mode": "TEST"},
        "sips": {"merchant_id": "002001000000001", "secret_key": "sips-secret", "encode": "base64"},
        "ogone": {"pspid": "academy", "sha_in": "in-passphrase-1234", "sha_out": "out-passphrase-5678"}
    });
    all[gateway].as_object().unwrap().clone()
}

fn gateway_of(name: &str) -> Gateway {
    Gateway::of(name.parse::<PaymentMethod>().unwrap()).unwrap()
}

/// Stripe's reading of a webhook with this signature header.
fn stripe_event(
    s: &Settings,
    header: &str,
    body: &[u8],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<PaymentEvent>, VerifyError> {
    let received = Received {
        signature_header: Some(header),
        body,
    };
    Gateway::Stripe.read(s, &received, now)
}

/// The shop's verification of a form-encoded notification (PayPal: after `VERIFIED`).
fn verify(gateway: &str, body: &[u8]) -> Result<Option<PaymentEvent>, VerifyError> {
    let map = settings(gateway);
    let s = Settings(&map);
    let received = Received {
        signature_header: None,
        body,
    };
    gateway_of(gateway).read(&s, &received, chrono::Utc::now())
}

/// A notification the gateway would send for `bill`, as pairs.
fn notification(gateway: &str, bill: &str, status: &str) -> (Vec<(String, String)>, Vec<u8>) {
    let map = settings(gateway);
    let sample = Sample {
        bill,
        event: "TXN0001",
        status,
        amount: Decimal::new(12000, 2),
        currency: "EUR".parse().unwrap(),
        now: chrono::Utc::now(),
    };
    let (body, _) = gateway_of(gateway)
        .sample(&Settings(&map), &sample)
        .unwrap();
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap();
    (pairs, body)
}

fn encode(pairs: &[(String, String)]) -> Vec<u8> {
    serde_urlencoded::to_string(pairs).unwrap().into_bytes()
}

/// Names worth trying per gateway: its own names in other cases, names the event is read
/// from, names outside the signature.
fn names(gateway: &str) -> Vec<&'static str> {
    match gateway {
        "systempay" => vec![
            "vads_trans_status",
            "VADS_TRANS_STATUS",
            "Vads_Amount",
            "vads_operation_type",
            "vads_order_id",
            "Signature",
            "note",
        ],
        "sips" => vec!["Data", "data", "ENCODE", "Encode", "Seal", "responseCode"],
        "ogone" => vec![
            "PAYIDSUB", "payidsub", "STATUS", "amount", "ORDERID", "LANGUAGE", "PSPID", "COMPLUS",
        ],
        _ => vec![
            "payment_status",
            "Payment_Status",
            "mc_gross",
            "MC_GROSS",
            "invoice",
            "txn_id",
            "custom",
        ],
    }
}

#[derive(Clone, Debug)]
enum Mutation {
    /// The letter case of one character of a name flipped.
    FlipCase { field: usize, at: usize },
    /// A name sent again, with its value or another one, somewhere in the body.
    Repeat {
        field: usize,
        value: Option<String>,
        at: usize,
    },
    /// A field with an empty value.
    AddBlank { name: usize, at: usize },
    /// A field the signature does not cover (or that claims to be one it does).
    AddField {
        name: usize,
        value: String,
        at: usize,
    },
    /// The fields in another order.
    Shuffle(u64),
    /// The shop's own signed payment form, plus whatever else the attacker adds.
    OwnForm,
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("AUTHORISED".to_owned()),
        Just("CREDIT".to_owned()),
        Just("9".to_owned()),
        Just("00".to_owned()),
        Just("Completed".to_owned()),
        Just("1".to_owned()),
        Just("-120.00".to_owned()),
        "[A-Za-z0-9]{1,8}",
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (0..16usize, 0..24usize).prop_map(|(field, at)| Mutation::FlipCase { field, at }),
        (0..16usize, proptest::option::of(value()), 0..16usize)
            .prop_map(|(field, value, at)| Mutation::Repeat { field, value, at }),
        (0..8usize, 0..16usize).prop_map(|(name, at)| Mutation::AddBlank { name, at }),
        (0..8usize, value(), 0..16usize).prop_map(|(name, value, at)| Mutation::AddField {
            name,
            value,
            at
        }),
        any::<u64>().prop_map(Mutation::Shuffle),
        Just(Mutation::OwnForm),
    ]
}

fn apply(
    gateway: &str,
    pairs: &mut Vec<(String, String)>,
    m: &Mutation,
    own_form: &[(String, String)],
) {
    let pool = names(gateway);
    let n = pairs.len();
    match m {
        Mutation::FlipCase { field, at } => {
            let name = &mut pairs[field % n].0;
            let chars: Vec<char> = name.chars().collect();
            let i = at % chars.len();
            let c = chars[i];
            let flipped = if c.is_ascii_lowercase() {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            };
            *name = chars
                .iter()
                .enumerate()
                .map(|(j, ch)| if j == i { flipped } else { *ch })
                .collect();
        }
        Mutation::Repeat { field, value, at } => {
            let (name, original) = pairs[field % n].clone();
            pairs.insert(at % (n + 1), (name, value.clone().unwrap_or(original)));
        }
        Mutation::AddBlank { name, at } => {
            pairs.insert(
                at % (n + 1),
                (pool[name % pool.len()].to_owned(), String::new()),
            );
        }
        Mutation::AddField { name, value, at } => {
            pairs.insert(
                at % (n + 1),
                (pool[name % pool.len()].to_owned(), value.clone()),
            );
        }
        Mutation::Shuffle(seed) => {
            let mut s = *seed;
            for i in (1..n).rev() {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                pairs.swap(i, (s >> 33) as usize % (i + 1));
            }
        }
        Mutation::OwnForm => *pairs = own_form.to_vec(),
    }
}

/// The property, for one gateway: refused, ignored (no event), or exactly the original event;
/// never another event.
fn mutations_never_change_the_event(gateway: &str, own_form: Vec<(String, String)>) {
    let bill = "261202ABCDEFGHJKLMNP";
    let (pairs, body) = notification(gateway, bill, gateway_of(gateway).paid_word());
    let original = verify(gateway, &body).unwrap().unwrap();
    assert!(
        verify(gateway, &encode(&own_form)).is_err(),
        "{gateway}: the shop's own payment form verified as a notification"
    );
    let mut runner = TestRunner::new(Config {
        cases: 400,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = proptest::collection::vec(mutation(), 1..4);
    runner
        .run(&strategy, |mutations| {
            let mut mutated = pairs.clone();
            for m in &mutations {
                apply(gateway, &mut mutated, m, &own_form);
            }
            match verify(gateway, &encode(&mutated)) {
                Err(VerifyError::Unauthentic(_)) => {}
                // Read as no event at all (PayPal's statuses the shop does not act on, such as
                // a `payment_status` of `1` added to its own form): acknowledged, nothing changes.
                Ok(None) => {}
                Ok(Some(event)) => prop_assert_eq!(&event, &original, "{:?}", mutations),
                other => prop_assert!(false, "{mutations:?} gave {other:?}"),
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{gateway}: {e}"));
}

/// The fields of the payment form the shop signs for one of its bills, as a browser gets it.
async fn own_form(stack: &Stack, gateway: &str) -> (String, Vec<(String, String)>) {
    let cart = stack.new_cart_in(SHOP).await;
    stack
        .put(
            &format!("/carts/{cart}/lines/COURSE"),
            json!({"quantity": 1}),
        )
        .await;
    stack
        .put(
            &format!("/carts/{cart}/customer"),
            enrolshop_tests::customer(),
        )
        .await;
    let placed = stack.order(&cart, gateway).await;
    assert_eq!(placed.status, 201, "{}", placed.body);
    let fields = placed.body["payment"]["action"]["fields"]
        .as_object()
        .unwrap_or_else(|| panic!("{}", placed.body))
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect();
    (placed.body["bill_id"].as_str().unwrap().to_owned(), fields)
}

/// A fake PayPal verifier that answers `VERIFIED` to anything: the worst case, so that only
/// the shop's own checks stand between a forged IPN and the bill.
async fn gullible_paypal() -> String {
    let app = Router::new().route("/", post(|| async { "VERIFIED" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

async fn shop(stack: &Stack) {
    let mut gateways = Map::new();
    for g in ["paypal", "systempay", "sips", "ogone"] {
        gateways.insert(g.into(), Value::Object(settings(g)));
    }
    gateways["paypal"]["verify_url"] = Value::String(gullible_paypal().await);
    let document = json!({
        "name": "Forgery shop", "currency": "EUR", "test_mode": false,
        "payment_methods": ["paypal", "systempay", "sips", "ogone", "transfer"],
        "default_payment_method": "transfer",
        "seller": {"email": "sales@shop.example", "name": "Academy"},
        "gateways": gateways,
        "taxes": [{"code": "std", "rate": "0"}],
        "items": [{"code": "COURSE", "name": "Course", "tax": "std", "prices": [{"up_to": null, "unit_price": "120.00"}]}]
    });
    let put = stack
        .with_token(
            Method::PUT,
            &format!("/admin/shops/{SHOP}"),
            ADMIN_TOKEN,
            Some(document),
        )
        .await;
    assert_eq!(put.status, 201, "{}", put.body);
}

async fn post_form(stack: &Stack, gateway: &str, body: Vec<u8>) -> Reply {
    let r = stack
        .http
        .post(stack.url(&format!("/shops/{SHOP}/notify/{gateway}")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    Reply::from(r).await
}

async fn bill(stack: &Stack, id: &str) -> Value {
    stack
        .with_token(
            Method::GET,
            &format!("/admin/bills/{id}"),
            ADMIN_TOKEN,
            None,
        )
        .await
        .body
}

#[tokio::test]
async fn mutated_notifications_are_refused_or_read_as_the_original() {
    let stack = Stack::start_embedded().await;
    shop(&stack).await;
    for gateway in ["systempay", "sips", "ogone", "paypal"] {
        let (_, form) = own_form(&stack, gateway).await;
        mutations_never_change_the_event(gateway, form);
    }
}

/// The attack run's forgeries over HTTP: 400 `invalid_signature`, and the bill unchanged.
async fn forgeries_change_nothing(stack: Stack) {
    shop(&stack).await;
    for gateway in ["systempay", "sips", "ogone", "paypal"] {
        let (id, mut form) = own_form(&stack, gateway).await;
        let before = bill(&stack, &id).await;
        // The buyer's own signed form, posted as a notification, with the fields a
        // case-insensitive reader would take.
        form.extend(
            [
                ("VADS_TRANS_STATUS", "AUTHORISED"),
                ("VADS_TRANS_UUID", "forged"),
                ("STATUS", "9"),
                ("PAYID", "1"),
                ("payment_status", "Completed"),
                ("txn_id", "forged"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned())),
        );
        let reply = post_form(&stack, gateway, encode(&form)).await;
        reply.assert_problem(400, "invalid_signature");
        assert_eq!(bill(&stack, &id).await, before, "{gateway}");
    }
    // Ogone: a blank PAYIDSUB (outside SHA-OUT, which skips empty values) in front of a
    // signed notification must not make a replay look new: refused when the notification has
    // its own PAYIDSUB, the same event (a duplicate) when it has none.
    let (id, _) = own_form(&stack, "ogone").await;
    let (mut pairs, _) = notification("ogone", &id, "9");
    pairs.retain(|(k, _)| k != "SHASIGN");
    pairs.push(("PAYIDSUB".into(), "1".into()));
    let sign = |p: &[(String, String)]| {
        shop_core::gateways::signatures::ogone(
            p,
            "out-passphrase-5678",
            shop_core::gateways::signatures::ShaAlgorithm::Sha256,
            shop_core::gateways::signatures::ogone_sha_out_param,
        )
    };
    let signed = [pairs.clone(), vec![("SHASIGN".into(), sign(&pairs))]].concat();
    assert_eq!(
        post_form(&stack, "ogone", encode(&signed)).await.body["outcome"],
        "applied"
    );
    let blank = [vec![("PAYIDSUB".to_owned(), String::new())], signed.clone()].concat();
    post_form(&stack, "ogone", encode(&blank))
        .await
        .assert_problem(400, "invalid_signature");
    let (plain, body) = notification("ogone", &id, "9");
    let first = post_form(&stack, "ogone", body).await;
    assert_eq!(first.body["outcome"], "ignored_status", "{}", first.body);
    let blank = [vec![("PAYIDSUB".to_owned(), String::new())], plain].concat();
    let again = post_form(&stack, "ogone", encode(&blank)).await;
    assert_eq!(again.body["outcome"], "duplicate", "{}", again.body);
    let paid = bill(&stack, &id).await;
    assert_eq!(paid["received"], "120.00", "{paid}");
    assert_eq!(paid["status"], "PAID", "{paid}");
    // PayPal: a negative gross on a payment is refused, not read as positive.
    let (id, _) = own_form(&stack, "paypal").await;
    let (mut pairs, _) = notification("paypal", &id, "Completed");
    for (k, v) in pairs.iter_mut() {
        if k == "mc_gross" {
            *v = "-120.00".into();
        }
    }
    let before = bill(&stack, &id).await;
    post_form(&stack, "paypal", encode(&pairs))
        .await
        .assert_problem(400, "invalid_signature");
    assert_eq!(bill(&stack, &id).await, before);
}

#[tokio::test]
async fn forged_notifications_change_nothing_on_the_embedded_store() {
    forgeries_change_nothing(Stack::start_embedded().await).await;
}

#[tokio::test]
async fn forged_notifications_change_nothing_on_dynamodb() {
    forgeries_change_nothing(Stack::start().await).await;
}

#[test]
fn stripe_refuses_timestamps_beyond_the_tolerance_either_way() {
    let map = settings("stripe");
    let s = Settings(&map);
    let now = chrono::Utc::now();
    let sample = |at: chrono::DateTime<chrono::Utc>| Sample {
        bill: "B1",
        event: "evt_1",
        status: "checkout.session.completed",
        amount: Decimal::new(12000, 2),
        currency: "EUR".parse().unwrap(),
        now: at,
    };
    for (offset, ok) in [
        (0, true),
        (-299, true),
        (299, true),
        (-301, false),
        (3600, false),
    ] {
        let at = now + chrono::Duration::seconds(offset);
        let (body, headers) = Gateway::Stripe.sample(&s, &sample(at)).unwrap();
        let result = stripe_event(&s, &headers[0].1, &body, now);
        assert_eq!(result.is_ok(), ok, "offset {offset}: {result:?}");
    }
    let (body, headers) = Gateway::Stripe.sample(&s, &sample(now)).unwrap();
    let original = stripe_event(&s, &headers[0].1, &body, now).unwrap();
    // Header variations: more v1 candidates, v0, reordered parts, a second timestamp.
    let header = headers[0].1.clone();
    let (t, v1) = header.split_once(',').unwrap();
    let later = format!("t={}", now.timestamp() + 1);
    for variant in [
        format!("{v1},{t}"),
        format!("{t},v1=00ff,{v1},v0=abc"),
        format!("{t},{later},{v1}"),
        format!("{later},{t},{v1}"),
    ] {
        match stripe_event(&s, &variant, &body, now) {
            Ok(event) => assert_eq!(event, original, "{variant}"),
            Err(VerifyError::Unauthentic(_)) => {}
            Err(e) => panic!("{variant}: {e}"),
        }
    }
    // A body with a repeated key is refused, even if signed.
    let text = String::from_utf8(body).unwrap();
    let doubled = text.replacen('{', "{\"type\":\"charge.refunded\",", 1);
    let t = now.timestamp().to_string();
    let sig =
        shop_core::gateways::signatures::stripe_v1("whsec_test_secret", &t, doubled.as_bytes());
    let header = format!("t={t},v1={sig}");
    assert!(stripe_event(&s, &header, doubled.as_bytes(), now).is_err());
}
