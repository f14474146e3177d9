//! The storefront over HTTP, on DynamoDB (moto): a buyer walks every pre-order step, and every
//! bad input gets a problem+json answer that changes nothing.

use enrolshop_tests::Stack;
use reqwest::Method;
use serde_json::{Value, json};

fn customer() -> Value {
    json!({"customer": {
        "firstname": "Ada", "lastname": "Lovelace", "email": "ada@example.org",
        "address": "1 Analytical Street", "zip": "75001", "city": "Paris", "country": "FR",
        "organisation": "Engines Ltd"
    }, "invoicing": null})
}

fn exam_form(name: &str) -> Value {
    json!({"candidate_name": name, "birthdate": "1990-01-31", "session": "2027-01"})
}

/// The cart as stored, without the fields that change on every write.
async fn cart_state(stack: &Stack, cart: &str) -> Value {
    let mut view = stack.get(&format!("/carts/{cart}")).await.body;
    view.as_object_mut().unwrap().remove("expires_at");
    view
}

#[tokio::test]
async fn a_buyer_goes_from_catalogue_to_order_with_required_data_and_seats() {
    let stack = Stack::start().await;
    let catalog = stack.get("/shops/demo/catalog").await;
    assert_eq!(catalog.status, 200);
    let items = catalog.body["items"].as_array().unwrap();
    let excel = items.iter().find(|i| i["code"] == "EXCEL-ESS").unwrap();
    assert_eq!(
        excel["prices"][1],
        json!({"up_to": 19, "unit_price": "99.00", "unit_price_incl_tax": "118.80"})
    );
    assert!(
        items.iter().all(|i| i["code"] != "PARTNER-EXCEL"),
        "internal items are not listed"
    );
    let preview = items.iter().find(|i| i["code"] == "AI-TRAINERS").unwrap();
    assert_eq!(preview["purchasable"], false);
    assert!(
        !catalog.body.to_string().contains("partner-2026"),
        "no password in the catalogue"
    );

    let cart = stack.new_cart().await;
    let view = stack.get(&format!("/carts/{cart}")).await.body;
    assert_eq!(view["next_step"], "shop");

    let r = stack
        .put(
            &format!("/carts/{cart}/lines/CERT-EXAM"),
            json!({"quantity": 2}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = stack
        .put(
            &format!("/carts/{cart}/lines/SAFETY-TEAM"),
            json!({"quantity": 2}),
        )
        .await;
    assert_eq!(r.body["next_step"], "requirements");
    assert_eq!(
        r.body["steps"],
        json!({"requirements": "needed", "participants": "needed", "customer": "needed"})
    );

    let r = stack
        .put(
            &format!("/carts/{cart}/requirements"),
            json!({"CERT-EXAM": [exam_form("Ada Lovelace"), exam_form("Charles Babbage")]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["steps"]["requirements"], "done");
    assert_eq!(r.body["next_step"], "participants");

    let participants = json!({
        "participants": [
            {"email": "grace@example.org", "firstname": "Grace", "lastname": "Hopper"},
            {"email": "alan@example.org", "firstname": "Alan", "lastname": "Turing"}
        ],
        "assignments": {"SAFETY-TEAM": {"student": ["grace@example.org", "alan@example.org"]}}
    });
    let r = stack
        .put(&format!("/carts/{cart}/participants"), participants)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["next_step"], "customer");

    let r = stack
        .put(&format!("/carts/{cart}/customer"), customer())
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["next_step"], "order");
    assert_eq!(
        r.body["steps"],
        json!({"requirements": "done", "participants": "done", "customer": "done"})
    );
    // 2 × 90.00 at 5.5 % + 2 × 150.00 at 20 %
    assert_eq!(r.body["totals"]["excl_tax"], "480.00");
    assert_eq!(r.body["totals"]["tax"], "69.90");
    assert_eq!(r.body["totals"]["incl_tax"], "549.90");
    assert_eq!(r.body["totals"]["taxes"].as_array().unwrap().len(), 2);

    // The state is durable: a fresh read shows the same.
    let again = stack.get(&format!("/carts/{cart}")).await;
    assert_eq!(again.body["next_step"], "order");
    assert_eq!(again.body["customer"]["email"], "ada@example.org");
}

/// A request the API must refuse, and the problem it must answer.
struct Bad {
    method: Method,
    path: String,
    body: Body,
    status: u16,
    code: &'static str,
    /// The fields the problem names, in order (`None`: not checked, e.g. a 404).
    fields: Option<&'static [&'static str]>,
}

enum Body {
    None,
    /// Sent as is: not JSON, or JSON the typed body cannot hold.
    Raw(&'static str),
    Json(Value),
}

fn bad(
    method: Method,
    path: impl Into<String>,
    body: Body,
    (status, code): (u16, &'static str),
    fields: Option<&'static [&'static str]>,
) -> Bad {
    Bad {
        method,
        path: path.into(),
        body,
        status,
        code,
        fields,
    }
}

#[tokio::test]
async fn bad_inputs_get_problems_and_change_nothing() {
    let stack = Stack::start().await;
    let cart = stack.new_cart().await;
    stack
        .put(
            &format!("/carts/{cart}/lines/CERT-EXAM"),
            json!({"quantity": 1}),
        )
        .await;
    let before = cart_state(&stack, &cart).await;
    let line = format!("/carts/{cart}/lines/CERT-EXAM");
    let step = |name: &str| format!("/carts/{cart}/{name}");
    const MALFORMED: (u16, &str) = (400, "malformed_request");
    const INVALID: (u16, &str) = (422, "validation_failed");
    const NOT_FOUND: (u16, &str) = (404, "not_found");
    let mut bad_customer = customer();
    bad_customer["customer"]["email"] = json!("ada-at-example");
    bad_customer["customer"]["country"] = json!("France");
    let cases = [
        bad(Method::PUT, &line, Body::Raw("{not json"), MALFORMED, None),
        bad(
            Method::PUT,
            &line,
            Body::Raw(r#"{"quantity": -1}"#),
            MALFORMED,
            Some(&["quantity"]),
        ),
        bad(
            Method::PUT,
            &line,
            Body::Raw(r#"{"quantity": 1.5}"#),
            MALFORMED,
            Some(&["quantity"]),
        ),
        bad(
            Method::PUT,
            &line,
            Body::Raw(r#"{"quantity": 1, "price": "0.01"}"#),
            MALFORMED,
            Some(&["price"]),
        ),
        bad(
            Method::PUT,
            &line,
            Body::Json(json!({"quantity": 41})),
            INVALID,
            Some(&["quantity"]),
        ),
        bad(
            Method::PUT,
            &line,
            Body::Json(json!({"quantity": 100000})),
            INVALID,
            Some(&["quantity"]),
        ),
        bad(
            Method::PUT,
            step("lines/NOPE"),
            Body::Json(json!({"quantity": 1})),
            NOT_FOUND,
            None,
        ),
        // Visible to logged-in buyers only.
        bad(
            Method::PUT,
            step("lines/AI-TRAINERS"),
            Body::Json(json!({"quantity": 1})),
            INVALID,
            None,
        ),
        bad(
            Method::PUT,
            step("lines/PARTNER-EXCEL"),
            Body::Json(json!({"quantity": 1, "password": "guess"})),
            INVALID,
            Some(&["password"]),
        ),
        bad(
            Method::PUT,
            "/carts/0123456789abcdef0123456789abcdef/lines/CERT-EXAM",
            Body::Json(json!({"quantity": 1})),
            NOT_FOUND,
            None,
        ),
        bad(
            Method::GET,
            "/carts/not-a-cart",
            Body::None,
            NOT_FOUND,
            None,
        ),
        bad(
            Method::GET,
            "/shops/nope/catalog",
            Body::None,
            NOT_FOUND,
            None,
        ),
        bad(
            Method::POST,
            "/shops/nope/carts",
            Body::None,
            NOT_FOUND,
            None,
        ),
        bad(
            Method::PUT,
            step("requirements"),
            Body::Json(json!({"CERT-EXAM": [{"candidate_name": "x".repeat(70_000)}]})),
            (413, "payload_too_large"),
            None,
        ),
        bad(
            Method::PUT,
            step("requirements"),
            Body::Json(
                json!({"CERT-EXAM": [{"candidate_name": "", "birthdate": "1990-13-01", "session": "never"}]}),
            ),
            INVALID,
            Some(&[
                "CERT-EXAM[0].candidate_name",
                "CERT-EXAM[0].birthdate",
                "CERT-EXAM[0].session",
            ]),
        ),
        bad(
            Method::PUT,
            step("requirements"),
            Body::Json(json!({"CERT-EXAM": [exam_form("A"), exam_form("B")]})),
            INVALID,
            Some(&["CERT-EXAM"]),
        ),
        bad(
            Method::PUT,
            step("participants"),
            Body::Json(
                json!({"participants": [{"email": "nope", "firstname": "", "lastname": "X"}], "assignments": {"CERT-EXAM": {"student": []}}}),
            ),
            INVALID,
            Some(&[
                "participants[0].email",
                "participants[0].firstname",
                "assignments.CERT-EXAM",
            ]),
        ),
        // An address and a name Moodle refuses for a user (an accent, a tag): refused here,
        // never paid for.
        bad(
            Method::PUT,
            step("participants"),
            Body::Json(
                json!({"participants": [{"email": "élodie@example.org", "firstname": "Élodie <3", "lastname": "Ça"}], "assignments": {}}),
            ),
            INVALID,
            Some(&["participants[0].email", "participants[0].firstname"]),
        ),
        bad(
            Method::PUT,
            step("customer"),
            Body::Json(bad_customer),
            INVALID,
            Some(&["customer.email", "customer.country"]),
        ),
        bad(
            Method::PUT,
            step("customer"),
            Body::Json(json!({"customer": {"firstname": "Ada"}})),
            MALFORMED,
            None,
        ),
        bad(
            Method::PATCH,
            &line,
            Body::None,
            (405, "method_not_allowed"),
            None,
        ),
        bad(Method::GET, "/no/such/route", Body::None, NOT_FOUND, None),
    ];
    for case in cases {
        let what = format!("{} {}", case.method, case.path);
        let reply = match case.body {
            Body::Raw(text) => {
                let request = stack.http.request(case.method, stack.url(&case.path));
                enrolshop_tests::Reply::from(request.body(text).send().await.unwrap()).await
            }
            Body::Json(value) => stack.send(case.method, &case.path, Some(value)).await,
            Body::None => stack.send(case.method, &case.path, None).await,
        };
        let fields = reply.assert_problem(case.status, case.code);
        if let Some(expected) = case.fields {
            assert_eq!(fields, expected, "{what}");
        }
    }
    assert_eq!(
        cart_state(&stack, &cart).await,
        before,
        "no rejected request changed the cart"
    );
}

#[tokio::test]
async fn quantity_changes_follow_tiers_and_zero_removes() {
    let stack = Stack::start().await;
    let cart = stack.new_cart().await;
    let line = format!("/carts/{cart}/lines/EXCEL-ESS");
    assert_eq!(
        stack.put(&line, json!({"quantity": 4})).await.body["lines"][0]["unit_price"],
        "120.00"
    );
    assert_eq!(
        stack.put(&line, json!({"quantity": 5})).await.body["lines"][0]["unit_price"],
        "99.00"
    );
    let view = stack.put(&line, json!({"quantity": 20})).await.body;
    assert_eq!(view["lines"][0]["unit_price"], "79.00");
    assert_eq!(view["lines"][0]["total_excl_tax"], "1580.00");
    assert_eq!(view["totals"]["incl_tax"], "1896.00");
    let view = stack.put(&line, json!({"quantity": 0})).await.body;
    assert_eq!(view["lines"], json!([]));
    assert_eq!(view["next_step"], "shop");
    let pw = stack
        .put(
            &format!("/carts/{cart}/lines/PARTNER-EXCEL"),
            json!({"quantity": 1, "password": "partner-2026"}),
        )
        .await;
    assert_eq!(pw.status, 200, "{}", pw.body);
}

#[tokio::test]
async fn carts_expire_after_seven_days_and_can_be_deleted() {
    let stack = Stack::start().await;
    let cart = stack.new_cart().await;
    let view = stack.get(&format!("/carts/{cart}")).await.body;
    let expires = view["expires_at"]
        .as_str()
        .unwrap()
        .parse::<chrono::DateTime<chrono::Utc>>()
        .unwrap();
    let week = chrono::Duration::days(7);
    assert!(
        (expires - chrono::Utc::now() - week).num_seconds().abs() < 60,
        "TTL is 7 days"
    );
    // The DynamoDB item carries the TTL attribute DynamoDB expires it by.
    let item = stack
        .dynamodb()
        .get_item()
        .table_name(&stack.table)
        .key(
            "pk",
            aws_sdk_dynamodb::types::AttributeValue::S(format!("CART#{cart}")),
        )
        .key(
            "sk",
            aws_sdk_dynamodb::types::AttributeValue::S("CART".into()),
        )
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    let ttl: i64 = item["expires_at"].as_n().unwrap().parse().unwrap();
    assert_eq!(ttl, expires.timestamp());
    assert_eq!(
        stack
            .send(Method::DELETE, &format!("/carts/{cart}"), None)
            .await
            .status,
        204
    );
    stack
        .get(&format!("/carts/{cart}"))
        .await
        .assert_problem(404, "not_found");
    stack
        .send(Method::DELETE, &format!("/carts/{cart}"), None)
        .await
        .assert_problem(404, "not_found");
}

#[tokio::test]
async fn cart_import_prefills_a_cart_and_reports_bad_codes() {
    let stack = Stack::start().await;
    let r = stack
        .get("/shops/demo/cart-import?EXCEL-ESS=5&SAFETY-TEAM=2")
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let location = r.location.unwrap();
    assert!(
        location.starts_with("/checkout?shop=demo&cart="),
        "{location}"
    );
    let cart = location.rsplit('=').next().unwrap();
    let view = stack.get(&format!("/carts/{cart}")).await.body;
    let lines: Vec<(String, u64)> = view["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["code"].as_str().unwrap().to_owned(),
                l["quantity"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [("EXCEL-ESS".to_owned(), 5), ("SAFETY-TEAM".to_owned(), 2)]
    );
    assert_eq!(view["next_step"], "participants");

    // A link partly out of date still lands on the checkout, with what can be sold and the
    // codes it refused named (for the page's notice), each with its reason's code.
    let partly = stack
        .get("/shops/demo/cart-import?EXCEL-ESS=2&NOPE=1&SAFETY-TEAM=many&AI-TRAINERS=1")
        .await;
    assert_eq!(partly.status, 303, "{}", partly.body);
    let location = partly.location.unwrap();
    assert!(
        location.ends_with("&refused=NOPE%2CSAFETY-TEAM%2CAI-TRAINERS"),
        "{location}"
    );
    let refused: Vec<(&str, &str)> = partly.body["refused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        refused,
        [
            ("NOPE", "unknown_item"),
            ("SAFETY-TEAM", "invalid_quantity"),
            ("AI-TRAINERS", "not_for_sale")
        ]
    );
    let cart = partly.body["id"].as_str().unwrap();
    let kept = stack.get(&format!("/carts/{cart}")).await.body;
    assert_eq!(kept["lines"].as_array().unwrap().len(), 1);
    assert_eq!(kept["lines"][0]["code"], "EXCEL-ESS");
    assert_eq!(kept["lines"][0]["quantity"], 2);
    stack
        .get("/shops/demo/cart-import")
        .await
        .assert_problem(422, "validation_failed");
    stack
        .get("/shops/nope/cart-import?EXCEL-ESS=1")
        .await
        .assert_problem(404, "not_found");
    // A browser is sent to the checkout page, which says the link leads nowhere.
    let browser = stack
        .http
        .get(stack.url("/shops/nope/cart-import?EXCEL-ESS=1"))
        .header("accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(browser.status(), 303);
    assert_eq!(
        browser.headers()["location"],
        "/checkout?shop=nope&link=invalid"
    );
}

#[tokio::test]
async fn dynamodb_requests_stay_at_the_minimum_per_operation() {
    let stack = Stack::start().await;
    let cart = stack.new_cart().await;
    stack
        .put(
            &format!("/carts/{cart}/lines/EXCEL-ESS"),
            json!({"quantity": 1}),
        )
        .await;

    stack.requests.reset();
    let r = stack
        .put(
            &format!("/carts/{cart}/lines/GUIDE-BOOK"),
            json!({"quantity": 2}),
        )
        .await;
    assert_eq!(r.status, 200);
    // Read the cart, the shop's settings, in one batch the cart's items and their stock
    // counters (never the whole catalogue), one conditional put.
    assert_eq!(
        stack.requests.operations(),
        ["GetItem", "GetItem", "BatchGetItem", "PutItem"],
        "add-line"
    );

    stack.requests.reset();
    assert_eq!(stack.get(&format!("/carts/{cart}")).await.status, 200);
    assert_eq!(
        stack.requests.operations(),
        ["GetItem", "GetItem", "BatchGetItem"],
        "view-cart"
    );

    stack.requests.reset();
    stack
        .put(
            &format!("/carts/{cart}/lines/GUIDE-BOOK"),
            json!({"quantity": 999}),
        )
        .await;
    assert_eq!(
        stack.requests.operations(),
        ["GetItem", "GetItem", "BatchGetItem"],
        "a rejected change writes nothing"
    );
}

/// The buyer's language: chosen when the cart is made or later, shown in the cart, refused
/// when it is not one the shop speaks, and kept on the bill for its messages and documents.
#[tokio::test]
async fn the_cart_language_is_kept_on_the_bill() {
    let stack = Stack::start().await;
    let plain = stack.post("/shops/demo/carts").await;
    assert_eq!(plain.body["language"], "en", "no body: English");
    let french = stack
        .post_json("/shops/demo/carts", json!({"language": "fr"}))
        .await;
    assert_eq!(french.status, 201, "{}", french.body);
    assert_eq!(french.body["language"], "fr");
    let bad = stack
        .post_json("/shops/demo/carts", json!({"language": "de"}))
        .await;
    assert_eq!(bad.assert_problem(422, "validation_failed"), ["language"]);

    let cart = stack.ready_cart("EXCEL-ESS", 1).await;
    let path = format!("/carts/{cart}/language");
    let refused = stack.put(&path, json!({"language": "klingon"})).await;
    assert_eq!(
        refused.assert_problem(422, "validation_failed"),
        ["language"]
    );
    assert_eq!(
        stack.get(&format!("/carts/{cart}")).await.body["language"],
        "en"
    );
    let set = stack.put(&path, json!({"language": "fr"})).await;
    assert_eq!(set.body["language"], "fr", "{}", set.body);
    let (bill, token) = stack.place_and_pay(&cart).await;
    let view = stack
        .with_token(Method::GET, &format!("/bills/{bill}"), &token, None)
        .await;
    assert_eq!(view.body["language"], "fr");
    let after = stack.put(&path, json!({"language": "en"})).await;
    assert_eq!(after.status, 409, "a placed cart keeps its language");
}

/// Every field error a buyer can meet carries a machine code and its parameters, which the
/// pages translate (English and French); `reason` stays for API users.
#[tokio::test]
async fn field_errors_carry_codes_the_pages_translate() {
    let stack = Stack::start().await;
    let cart = stack.new_cart().await;
    let codes = |reply: &enrolshop_tests::Reply| -> Vec<Value> {
        reply.body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                let mut e = e.clone();
                let e = e.as_object_mut().unwrap();
                assert!(e.remove("reason").unwrap().is_string(), "{e:?}");
                e.remove("path");
                Value::Object(e.clone())
            })
            .collect()
    };
    let form = json!({"customer": {
        "firstname": "", "lastname": "L".repeat(101), "email": "ada@", "address": "1\nStreet",
        "zip": "75001", "city": "Paris", "country": "France", "phone": "call me"
    }});
    let refused = stack.put(&format!("/carts/{cart}/customer"), form).await;
    refused.assert_problem(422, "validation_failed");
    assert_eq!(
        codes(&refused),
        [
            json!({"field": "customer.firstname", "code": "required"}),
            json!({"field": "customer.lastname", "code": "too_long", "max": 100}),
            json!({"field": "customer.email", "code": "invalid_email"}),
            json!({"field": "customer.address", "code": "one_line"}),
            json!({"field": "customer.country", "code": "invalid_country"}),
            json!({"field": "customer.phone", "code": "invalid_phone", "max": 30}),
        ]
    );
    let over = stack
        .put(
            &format!("/carts/{cart}/lines/CERT-EXAM"),
            json!({"quantity": 500}),
        )
        .await;
    over.assert_problem(422, "validation_failed");
    let limit = &codes(&over)[0];
    assert_eq!(limit["field"], "quantity");
    assert!(
        ["out_of_stock", "over_limit"].contains(&limit["code"].as_str().unwrap())
            && limit["max"].as_u64().unwrap() < 500,
        "{limit}"
    );
    let secret = stack
        .put(
            &format!("/carts/{cart}/lines/PARTNER-EXCEL"),
            json!({"quantity": 1, "password": "guess"}),
        )
        .await;
    secret.assert_problem(422, "validation_failed");
    assert_eq!(
        codes(&secret),
        [json!({"field": "password", "code": "wrong_password"})]
    );
}

/// A French buyer reads the shop's French words (`texts.fr` of the document) in the
/// catalogue, the cart and the bill's lines; the values sent stay the document's.
#[tokio::test]
async fn a_french_buyer_reads_the_shops_french_words_from_catalogue_to_bill() {
    let stack = Stack::start().await;
    let catalog = stack.get("/shops/demo/catalog?lang=fr").await.body;
    let item = |code: &str| {
        catalog["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["code"] == code)
            .unwrap()
            .clone()
    };
    assert_eq!(
        item("EXCEL-ESS")["name"],
        "Excel, les essentiels (formation en ligne, 12 mois)"
    );
    assert!(
        catalog["shop"]["terms"]
            .as_str()
            .unwrap()
            .starts_with("La formation")
    );
    let office = catalog["categories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "office");
    assert_eq!(office.unwrap()["name"], "Bureautique");
    let english = stack.get("/shops/demo/catalog?lang=en").await.body;
    assert_eq!(
        english["items"][0]["name"],
        "Excel essentials (e-learning, 12 months)"
    );
    stack
        .get("/shops/demo/catalog?lang=de")
        .await
        .assert_problem(422, "validation_failed");

    let cart = stack
        .post_json("/shops/demo/carts", json!({"language": "fr"}))
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let view = stack
        .put(
            &format!("/carts/{cart}/lines/CERT-EXAM"),
            json!({"quantity": 1}),
        )
        .await
        .body;
    assert_eq!(
        view["lines"][0]["name"],
        "Bon pour l’examen de certification"
    );
    let fields = &view["lines"][0]["required_data"];
    assert_eq!(fields[0]["label"], "Nom complet du candidat");
    assert_eq!(fields[2]["options"][0], "2026-12");
    assert_eq!(fields[2]["option_labels"][0], "Décembre 2026");
    let english = stack
        .put(
            &format!("/carts/{cart}/language"),
            json!({"language": "en"}),
        )
        .await
        .body;
    assert_eq!(english["lines"][0]["name"], "Certification exam voucher");
    assert_eq!(
        english["lines"][0]["required_data"][2]["option_labels"][0],
        "December 2026"
    );
    stack
        .put(
            &format!("/carts/{cart}/language"),
            json!({"language": "fr"}),
        )
        .await;
    stack
        .put(
            &format!("/carts/{cart}/requirements"),
            json!({"CERT-EXAM": [{"candidate_name": "Ada L", "birthdate": "1990-01-31", "session": "2026-12"}]}),
        )
        .await;
    stack
        .put(&format!("/carts/{cart}/customer"), customer())
        .await;
    let placed = stack
        .post_json(
            &format!("/carts/{cart}/order"),
            json!({"payment_method": "transfer", "accept_terms": true}),
        )
        .await;
    assert_eq!(placed.status, 201, "{}", placed.body);
    let bill = placed.body["bill_id"].as_str().unwrap();
    let token = placed.body["access_token"].as_str().unwrap();
    let seen = stack
        .with_token(Method::GET, &format!("/bills/{bill}"), token, None)
        .await
        .body;
    assert_eq!(
        seen["lines"][0]["name"],
        "Bon pour l’examen de certification"
    );
    let instructions = seen["instructions"].as_str().unwrap();
    assert!(
        instructions.starts_with("Virez ") && instructions.contains(bill),
        "{instructions}"
    );
}

/// An internal item's password takes 20 wrong guesses from one client in 15 minutes, however
/// many arrive at once; then even the right one waits (429, `Retry-After`) and the cart is
/// unchanged. A right password is not counted, and a line let in by its
/// password changes quantity without it (the cart page does not ask it again).
#[tokio::test]
async fn an_item_password_takes_twenty_wrong_guesses_from_a_client() {
    let stack = Stack::start_embedded().await;
    let cart = stack.new_cart().await;
    let path = format!("/carts/{cart}/lines/PARTNER-EXCEL");
    for _ in 0..3 {
        let opened = stack
            .put(&path, json!({"quantity": 1, "password": "partner-2026"}))
            .await;
        assert_eq!(opened.status, 200, "{}", opened.body);
        let more = stack.put(&path, json!({"quantity": 4})).await;
        assert_eq!(more.status, 200, "{}", more.body);
        assert_eq!(more.body["lines"][0]["quantity"], 4);
        assert_eq!(stack.put(&path, json!({"quantity": 0})).await.status, 200);
    }
    let guesses = (0..30).map(|n| {
        let (stack, path) = (&stack, &path);
        async move {
            stack
                .put(
                    path,
                    json!({"quantity": 1, "password": format!("guess-{n}")}),
                )
                .await
        }
    });
    let answers = futures::future::join_all(guesses).await;
    let wrong = answers.iter().filter(|a| a.status == 422).count();
    let waiting = answers.iter().filter(|a| a.status == 429).count();
    let limit = shop_core::app::storefront::WRONG_PASSWORDS_PER_CLIENT as usize;
    assert_eq!(
        (wrong, waiting),
        (limit, 30 - limit),
        "the right passwords before were not counted"
    );
    let before = cart_state(&stack, &cart).await;
    let right = stack
        .http
        .put(stack.url(&path))
        .json(&json!({"quantity": 1, "password": "partner-2026"}))
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 429, "even the right password waits");
    let retry: u64 = right.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=15 * 60).contains(&retry), "{retry}");
    let problem: Value = right.json().await.unwrap();
    assert_eq!(problem["code"], "too_many_attempts");
    assert_eq!(cart_state(&stack, &cart).await, before, "nothing changed");
    stack
        .put(&path, json!({"quantity": 1, "password": "another-guess"}))
        .await
        .assert_problem(429, "too_many_attempts");
}

/// The partner item put in `cart` with `password`, as `client` would.
async fn partner_line(
    app: &shop_core::app::storefront::Storefront,
    cart: &str,
    password: &str,
    client: shop_core::web::ClientAddr,
) -> Result<shop_core::domain::cart::CartView, &'static str> {
    let input = shop_core::app::storefront::LineInput {
        quantity: 1,
        password: Some(password.to_owned()),
    };
    let set = app.set_line(cart, "PARTNER-EXCEL", &input, Some(client), None);
    set.await.map_err(|e| match e {
        shop_core::app::AppError::Invalid(errors) => errors[0].code,
        shop_core::app::AppError::TooMany(_) => "too_many_attempts",
        other => panic!("{other:?}"),
    })
}

/// Guesses from many clients at one item stop at 100 in a window, so that a password cannot
/// be guessed from enough addresses to evade the per-client limit; the next window starts
/// from nothing.
#[tokio::test]
async fn an_item_password_takes_a_hundred_wrong_guesses_from_every_client() {
    use shop_core::app::storefront::{Storefront, WRONG_PASSWORDS_PER_ITEM};
    use shop_core::web::ClientAddr;
    let stack = Stack::start_embedded().await;
    let app = Storefront::new(
        stack.store.clone(),
        stack.clock.clone(),
        chrono::Duration::days(7),
    );
    let cart = stack.new_cart().await;
    let now = shop_core::app::Clock::now(stack.clock.as_ref()).timestamp();
    for n in 0..WRONG_PASSWORDS_PER_ITEM {
        let client = ClientAddr(format!("198.51.100.{}", n / 10).parse().unwrap());
        let refused = partner_line(&app, &cart, "guess", client).await;
        assert_eq!(refused.unwrap_err(), "wrong_password", "guess {n}");
    }
    let fresh = ClientAddr("203.0.113.50".parse().unwrap());
    let refused = partner_line(&app, &cart, "partner-2026", fresh).await;
    assert_eq!(
        refused.unwrap_err(),
        "too_many_attempts",
        "a new client waits too"
    );
    // The window's counter goes a day after the window (the table's TTL): guesses leave
    // nothing for ever.
    let window = now / (15 * 60);
    let counter = stack
        .store
        .get(&shop_core::app::keys::login_failures(
            "demo",
            "item",
            "PARTNER-EXCEL",
            window,
        ))
        .await
        .unwrap()
        .expect("the item's counter");
    assert_eq!(counter.count, WRONG_PASSWORDS_PER_ITEM);
    let expires = counter.item.expires_at.expect("an expiry");
    assert!(
        (now + 24 * 3600..=now + 24 * 3600 + 15 * 60).contains(&expires),
        "{expires} - {now}"
    );
    assert!(
        stack.get(&format!("/carts/{cart}")).await.body["lines"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    stack.clock.advance(chrono::Duration::minutes(15));
    let opened = partner_line(&app, &cart, "partner-2026", fresh).await;
    assert_eq!(opened.expect("a new window").lines.len(), 1);
}

/// An item's own link (`GET /shops/{shop}/items/{code}`) is the way to an internal item: it
/// answers as the catalogue does, in the buyer's language, for an item a guest may buy or see,
/// and as not found for one taken off sale.
#[tokio::test]
async fn an_item_link_opens_an_internal_item_and_nothing_off_sale() {
    let stack = Stack::start_embedded().await;
    let partner = stack.get("/shops/demo/items/PARTNER-EXCEL?lang=fr").await;
    assert_eq!(partner.status, 200, "{}", partner.body);
    assert_eq!(
        partner.body["name"],
        "Excel, les essentiels, tarif partenaire"
    );
    assert_eq!(partner.body["purchasable"], true);
    assert_eq!(partner.body["password_protected"], true);
    assert_eq!(partner.body["prices"][0]["unit_price_incl_tax"], "72.00");
    assert!(
        partner.body.get("password").is_none(),
        "never the password: {}",
        partner.body
    );
    let listed = stack.get("/shops/demo/items/AI-TRAINERS").await;
    assert_eq!(
        (listed.status, &listed.body["purchasable"]),
        (200, &json!(false)),
        "a preview item is shown, not sold"
    );
    stack
        .get("/shops/demo/items/NO-SUCH")
        .await
        .assert_problem(404, "not_found");
    stack
        .get("/shops/nope/items/EXCEL-ESS")
        .await
        .assert_problem(404, "not_found");
    stack
        .get("/shops/demo/items/EXCEL-ESS?lang=de")
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(
        stack.get("/shops/demo/items/EXCEL-ESS?sort=1").await.status,
        400
    );

    // Taken off sale by a manager: its link no longer opens it.
    let path = "/admin/shops/demo/items/PARTNER-EXCEL";
    let read = stack
        .http
        .get(stack.url(path))
        .bearer_auth(enrolshop_tests::ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    let etag = read.headers()["etag"].to_str().unwrap().to_owned();
    let mut item: Value = read.json().await.unwrap();
    item["item"]["status"] = json!("suspended");
    let saved = stack
        .http
        .put(stack.url(path))
        .bearer_auth(enrolshop_tests::ADMIN_TOKEN)
        .header("if-match", etag)
        .json(&item["item"])
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), 200);
    stack
        .get("/shops/demo/items/PARTNER-EXCEL")
        .await
        .assert_problem(404, "not_found");
    // The staff's preview still shows it, in the page's language.
    let preview = stack
        .admin(
            Method::GET,
            "/admin/shops/demo/items/PARTNER-EXCEL/preview?lang=fr",
            None,
        )
        .await;
    assert_eq!(
        (&preview.body["name"], &preview.body["purchasable"]),
        (
            &json!("Excel, les essentiels, tarif partenaire"),
            &json!(false)
        ),
        "{}",
        preview.body
    );
}

/// Items shown to signed-in customers (`logged_in`), to customers who bought before (an order
/// delivered: `customers`) and to visitors not signed in (`logged_out`): each is listed, opened and sold
/// to those it is for. A customer signed in (the session cookie the login set) who adds to a
/// guest's cart makes it theirs, so that what only they may buy is placed too.
#[tokio::test]
async fn each_item_is_shown_and_sold_to_those_its_visibility_names() {
    let stack = Stack::start_embedded().await;
    stack
        .add_excel_copies(&[
            ("MEMBERS", "logged_in"),
            ("LOYALTY", "customers"),
            ("VISITORS", "logged_out"),
        ])
        .await;
    let session = stack
        .customer_session("ada", "ada@example.org", "Secret-123")
        .await;
    let cookie = format!("enrolshop_session={session}");
    let as_ada = |method: Method, path: &str, body: Option<Value>| {
        let mut req = stack
            .http
            .request(method, stack.url(path))
            .header("cookie", cookie.clone());
        if let Some(body) = body {
            req = req.json(&body);
        }
        async move { enrolshop_tests::Reply::from(req.send().await.unwrap()).await }
    };
    let listed = |catalogue: &Value| -> Vec<String> {
        catalogue["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["code"].as_str().unwrap().to_owned())
            .filter(|c| ["MEMBERS", "LOYALTY", "VISITORS"].contains(&c.as_str()))
            .collect()
    };

    let guest = stack.get("/shops/demo/catalog").await.body;
    assert_eq!(listed(&guest), ["VISITORS"]);
    let ada = as_ada(Method::GET, "/shops/demo/catalog", None).await.body;
    assert_eq!(listed(&ada), ["MEMBERS"], "signed in, never ordered");
    stack
        .get("/shops/demo/items/MEMBERS")
        .await
        .assert_problem(404, "not_found");
    let opened = as_ada(Method::GET, "/shops/demo/items/MEMBERS", None).await;
    assert_eq!(opened.status, 200, "{}", opened.body);

    // A guest cannot buy it; the cart Ada started as a guest becomes hers when she adds it.
    let cart = stack.new_cart().await;
    stack
        .put(
            &format!("/carts/{cart}/lines/MEMBERS"),
            json!({"quantity": 1}),
        )
        .await
        .assert_problem(404, "not_found");
    let added = as_ada(
        Method::PUT,
        &format!("/carts/{cart}/lines/MEMBERS"),
        Some(json!({"quantity": 2})),
    )
    .await;
    assert_eq!(added.status, 200, "{}", added.body);
    assert_eq!(added.body["account"]["logged_in"], true);
    assert_eq!(added.body["account"]["email"], "ada@example.org");
    let mut details = customer();
    details["customer"]["email"] = json!("ada@example.org");
    let ready = stack.put(&format!("/carts/{cart}/customer"), details).await;
    assert_eq!(ready.body["next_step"], "order", "{}", ready.body);
    let placed = stack
        .post_json(
            &format!("/carts/{cart}/order"),
            json!({"payment_method": "transfer", "accept_terms": true}),
        )
        .await;
    assert_eq!(placed.status, 201, "{}", placed.body);
    assert_eq!(placed.body["total"], "288.00", "2 × 120.00 + 20 %");

    // A cart link followed signed in makes a cart of hers with it; a guest's is refused it.
    let linked = as_ada(Method::GET, "/shops/demo/cart-import?MEMBERS=1", None).await;
    assert_eq!(linked.status, 303, "{}", linked.body);
    assert_eq!(linked.body["lines"][0]["code"], "MEMBERS");
    assert_eq!(linked.body["account"]["email"], "ada@example.org");
    let refused = stack.get("/shops/demo/cart-import?MEMBERS=1").await;
    assert_eq!(refused.body["lines"], json!([]), "{}", refused.body);
    assert_eq!(refused.body["refused"][0]["code"], "unknown_item");

    // An order placed is not bought: her transfer is awaited, the loyalty item still hidden.
    let ada = as_ada(Method::GET, "/shops/demo/catalog", None).await.body;
    assert_eq!(listed(&ada), ["MEMBERS"], "ordered, not paid");
    as_ada(Method::GET, "/shops/demo/items/LOYALTY", None)
        .await
        .assert_problem(404, "not_found");

    // Paid and delivered, she is a customer who bought: the loyalty item is hers to see too.
    let bill = placed.body["bill_id"].as_str().unwrap();
    let transfer = json!({"amount": "288.00", "method": "transfer", "reference": "BANK-7"});
    let path = format!("/admin/bills/{bill}/payments");
    let paid = stack.admin(Method::POST, &path, Some(transfer)).await;
    assert_eq!(paid.status, 200, "{}", paid.body);
    stack.produce_all().await;
    let ada = as_ada(Method::GET, "/shops/demo/catalog", None).await.body;
    assert_eq!(listed(&ada), ["MEMBERS", "LOYALTY"]);
    // The cart she started before, signed in, learns it too: she adds the loyalty item to it.
    let earlier = linked.body["id"].as_str().unwrap();
    let path = format!("/carts/{earlier}/lines/LOYALTY");
    let loyal = as_ada(Method::PUT, &path, Some(json!({"quantity": 1}))).await;
    assert_eq!(loyal.status, 200, "{}", loyal.body);

    // The staff's preview shows each as a buyer it is for would see it: on sale.
    for code in ["MEMBERS", "LOYALTY", "VISITORS"] {
        let preview = stack
            .admin(
                Method::GET,
                &format!("/admin/shops/demo/items/{code}/preview"),
                None,
            )
            .await;
        assert_eq!(preview.body["purchasable"], true, "{}", preview.body);
    }

    // A forged cross-site change riding on her cookie is refused.
    let forged = stack
        .http
        .put(stack.url(&format!(
            "/carts/{}/lines/EXCEL-ESS",
            stack.new_cart().await
        )))
        .header("cookie", cookie.clone())
        .header("content-type", "text/plain")
        .body(r#"{"quantity": 1}"#)
        .send()
        .await
        .unwrap();
    enrolshop_tests::Reply::from(forged)
        .await
        .assert_problem(403, "cross_site_request");
}
