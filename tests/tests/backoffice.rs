//! The shop document over HTTP, on DynamoDB (moto): import, export, secrets, validation.

use enrolshop_tests::{ADMIN_TOKEN, Reply, Stack};
use serde_json::{Value, json};

async fn admin(
    stack: &Stack,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<String>,
) -> Reply {
    let mut req = stack.http.request(method, stack.url(path));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    if let Some(body) = body {
        req = req.header("content-type", "application/json").body(body);
    }
    Reply::from(req.send().await.unwrap()).await
}

async fn export(stack: &Stack, shop: &str) -> Reply {
    admin(
        stack,
        reqwest::Method::GET,
        &format!("/admin/shops/{shop}"),
        Some(ADMIN_TOKEN),
        None,
    )
    .await
}

async fn import(stack: &Stack, shop: &str, doc: &Value) -> Reply {
    admin(
        stack,
        reqwest::Method::PUT,
        &format!("/admin/shops/{shop}"),
        Some(ADMIN_TOKEN),
        Some(doc.to_string()),
    )
    .await
}

fn shop_doc() -> Value {
    json!({
        "name": "Second shop", "currency": "JPY", "test_mode": false,
        "payment_methods": ["stripe", "transfer"], "seller": {"email": "sales@shop.example"}, "default_payment_method": "transfer",
        "gateways": {"stripe": {"secret_key": "sk_test_123", "webhook_secret": "whsec_456", "api_base": "https://api.stripe.com"}},
        "taxes": [{"code": "std", "rate": "10"}],
        "categories": [{"id": "all", "name": "All"}],
        "items": [{"code": "COURSE", "name": "Course", "category": "all", "tax": "std",
                   "prices": [{"up_to": null, "unit_price": "12000"}], "password": "open-sesame"}]
    })
}

#[tokio::test]
async fn the_back_office_needs_its_token() {
    let stack = Stack::start().await;
    let none = admin(
        &stack,
        reqwest::Method::GET,
        "/admin/shops/demo",
        None,
        None,
    )
    .await;
    none.assert_problem(401, "unauthorized");
    let wrong = admin(
        &stack,
        reqwest::Method::GET,
        "/admin/shops/demo",
        Some("guess"),
        None,
    )
    .await;
    wrong.assert_problem(401, "unauthorized");
    let put = admin(
        &stack,
        reqwest::Method::PUT,
        "/admin/shops/x",
        Some("guess"),
        Some(shop_doc().to_string()),
    )
    .await;
    put.assert_problem(401, "unauthorized");
    stack
        .get("/shops/x/catalog")
        .await
        .assert_problem(404, "not_found");
}

#[tokio::test]
async fn a_shop_is_imported_exported_and_reimported_without_its_secrets_leaking() {
    let stack = Stack::start().await;
    let created = import(&stack, "second", &shop_doc()).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let exported = export(&stack, "second").await;
    assert_eq!(exported.status, 200);
    let text = exported.body.to_string();
    for secret in ["sk_test_123", "whsec_456", "open-sesame"] {
        assert!(!text.contains(secret), "{secret} leaked in {text}");
        assert!(!created.body.to_string().contains(secret));
    }
    assert_eq!(
        exported.body["gateways"]["stripe"]["secret_key"],
        "********"
    );
    assert_eq!(
        exported.body["gateways"]["stripe"]["api_base"],
        "https://api.stripe.com"
    );
    assert_eq!(exported.body["id"], "second");

    // Re-importing the export (markers included) with a change keeps the stored secrets.
    let mut edited = exported.body.clone();
    edited["name"] = json!("Second shop, renamed");
    let replaced = import(&stack, "second", &edited).await;
    assert_eq!(replaced.status, 200, "{}", replaced.body);
    let stored = stack
        .store
        .get(&shop_core::ports::Key::new("SHOP#second", "SHOP"))
        .await
        .unwrap()
        .expect("the shop's record");
    let body: Value = serde_json::from_str(&stored.item.body).unwrap();
    assert_eq!(body["settings"]["name"], "Second shop, renamed");
    assert_eq!(
        body["settings"]["gateways"]["stripe"]["secret_key"],
        "sk_test_123"
    );
    let catalogue = body["catalogue"]["id"].as_str().unwrap();
    let item = stack
        .store
        .get(&shop_core::ports::Key::new(
            format!("CATALOG#second#{catalogue}"),
            "ITEM#COURSE",
        ))
        .await
        .unwrap()
        .unwrap();
    let item: Value = serde_json::from_str(&item.item.body).unwrap();
    assert_eq!(item["item"]["password"], "open-sesame");

    // The imported shop sells at once, in its own currency (JPY: no minor unit).
    let cart = stack.post("/shops/second/carts").await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let line = stack
        .put(
            &format!("/carts/{cart}/lines/COURSE"),
            json!({"quantity": 1, "password": "open-sesame"}),
        )
        .await;
    assert_eq!(line.body["totals"]["incl_tax"], "13200", "{}", line.body);
}

#[tokio::test]
async fn a_bad_document_is_refused_whole_with_every_problem() {
    let stack = Stack::start().await;
    let before = export(&stack, "demo").await.body;
    let mut doc = before.clone();
    doc["currency"] = json!("EUROS");
    doc["default_payment_method"] = json!("paypal");
    doc["taxes"][1]["rate"] = json!("-5");
    doc["items"][0]["category"] = json!("missing");
    doc["items"][1]["tax"] = json!("none");
    doc["items"][2]["prices"] = json!([{"up_to": 3, "unit_price": "10.00"}]);
    doc["gateways"] = json!({"stripe": {"secret_key": "********"}});
    let reply = import(&stack, "demo", &doc).await;
    let paths = reply.assert_problem(422, "validation_failed");
    for p in [
        "currency",
        "default_payment_method",
        "taxes[1].rate",
        "items[0].category",
        "items[1].tax",
        "items[2].prices",
        "gateways.stripe.secret_key",
    ] {
        assert!(paths.contains(&p.to_owned()), "{p} not in {paths:?}");
    }
    assert_eq!(
        export(&stack, "demo").await.body,
        before,
        "a rejected import changes nothing"
    );

    let malformed = admin(
        &stack,
        reqwest::Method::PUT,
        "/admin/shops/demo",
        Some(ADMIN_TOKEN),
        Some("{\"name\": 1".into()),
    )
    .await;
    malformed.assert_problem(400, "malformed_request");
    let mut wrong_type = before.clone();
    wrong_type["taxes"][0]["rate"] = json!(20);
    assert_eq!(
        import(&stack, "demo", &wrong_type)
            .await
            .assert_problem(400, "malformed_request"),
        ["taxes[0].rate"]
    );
    let mut other_id = before.clone();
    other_id["id"] = json!("elsewhere");
    assert_eq!(
        import(&stack, "demo", &other_id)
            .await
            .assert_problem(422, "validation_failed"),
        ["id"]
    );
    let too_big = json!({"name": "x".repeat(5 * 1024 * 1024 + 1)});
    import(&stack, "demo", &too_big)
        .await
        .assert_problem(413, "payload_too_large");
    assert_eq!(export(&stack, "demo").await.body, before);
    export(&stack, "missing")
        .await
        .assert_problem(404, "not_found");
}
