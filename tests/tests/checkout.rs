//! Placement, bills and the payments that need no gateway, over HTTP, on DynamoDB (moto) and,
//! for the concurrency proofs, on the embedded store too.

use chrono::Datelike;
use enrolshop_tests::Stack;
use futures::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};

fn year() -> i32 {
    chrono::Utc::now().year()
}

async fn bill(stack: &Stack, id: &str, token: &str) -> Value {
    let r = stack
        .with_token(Method::GET, &format!("/bills/{id}"), token, None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

fn ids(placed: &Value) -> (String, String) {
    (
        placed["bill_id"].as_str().unwrap().to_owned(),
        placed["access_token"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn a_transfer_order_waits_for_the_money_and_shows_its_instructions() {
    let stack = Stack::start().await;
    let cart = stack.ready_cart("EXCEL-ESS", 5).await;
    let placed = stack.order(&cart, "transfer").await;
    assert_eq!(placed.status, 201, "{}", placed.body);
    assert_eq!(placed.body["status"], "PENDING");
    assert_eq!(placed.body["total"], "594.00");
    assert_eq!(placed.body["currency"], "EUR");
    let (id, token) = ids(&placed.body);
    assert!(id.len() <= 30 && id.chars().all(|c| c.is_ascii_alphanumeric()));
    assert!(token.len() >= 32);
    let action = &placed.body["payment"]["action"];
    assert_eq!(action["type"], "instructions");
    let text = action["text"].as_str().unwrap();
    assert!(text.contains(&id) && text.contains("594.00"), "{text}");

    let b = bill(&stack, &id, &token).await;
    assert_eq!(b["status"], "PENDING");
    assert_eq!(b["invoice_number"], Value::Null);
    assert_eq!(b["payment_method"], "transfer");
    assert_eq!(b["lines"][0]["unit_price"], "99.00");
    assert_eq!(b["customer"]["email"], "ada@example.org");
    assert_eq!(b["production"][0]["state"], "awaiting_payment");
    let statuses: Vec<&str> = b["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["to"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["PLACED", "PENDING"]);
    let by_query = stack.get(&format!("/bills/{id}?token={token}")).await;
    assert_eq!(by_query.status, 200);

    // Without the token, or with another, the bill does not exist.
    stack
        .get(&format!("/bills/{id}"))
        .await
        .assert_problem(404, "not_found");
    stack
        .with_token(Method::GET, &format!("/bills/{id}"), "wrong", None)
        .await
        .assert_problem(404, "not_found");
    // The order is frozen; the cart answers that.
    let edit = stack
        .put(
            &format!("/carts/{cart}/lines/EXCEL-ESS"),
            json!({"quantity": 1}),
        )
        .await;
    edit.assert_problem(409, "invalid_state");
    assert!(
        stack.queue.sent().is_empty(),
        "nothing is produced before payment"
    );
}

#[tokio::test]
async fn a_test_payment_pays_numbers_the_invoice_and_queues_production_once() {
    let stack = Stack::start().await;
    let cart = stack.ready_cart("GUIDE-BOOK", 2).await;
    let placed = stack.order(&cart, "test").await;
    assert_eq!(placed.body["status"], "PLACED", "{}", placed.body);
    assert_eq!(placed.body["payment"]["action"]["type"], "form");
    let (id, token) = ids(&placed.body);
    let pay = stack.test_payment(&id, &token, "paid").await;
    assert_eq!(pay.status, 200, "{}", pay.body);
    assert_eq!(pay.body["status"], "PAID");
    assert_eq!(
        pay.body["invoice_number"],
        format!("DEMO-TEST-{}-000001", year())
    );
    assert_eq!(pay.body["received"], pay.body["total"]);
    assert_eq!(pay.body["production"][0]["state"], "queued");
    assert_eq!(stack.queue.sent().len(), 1);
    assert_eq!(stack.queue.sent()[0].bill.as_str(), id);

    let again = stack.test_payment(&id, &token, "paid").await;
    again.assert_problem(409, "invalid_state");
    let late = stack.test_payment(&id, &token, "pending").await;
    late.assert_problem(409, "invalid_state");
    let b = bill(&stack, &id, &token).await;
    assert_eq!(
        b["status"], "PAID",
        "a late pending never downgrades a paid bill"
    );
    assert_eq!(
        stack.queue.sent().len(),
        1,
        "production is queued exactly once"
    );
    let bad = stack.test_payment(&id, &token, "maybe").await;
    assert_eq!(bad.assert_problem(422, "validation_failed"), ["outcome"]);
}

#[tokio::test]
async fn a_free_order_is_paid_at_placement_and_a_paying_one_cannot_be_free() {
    let stack = Stack::start().await;
    let cart = stack.ready_cart("WELCOME-WEBINAR", 1).await;
    let not_free = stack.order(&cart, "transfer").await;
    assert_eq!(
        not_free.assert_problem(422, "validation_failed"),
        ["payment_method"]
    );
    let placed = stack.order(&cart, "free").await;
    assert_eq!(placed.status, 201, "{}", placed.body);
    assert_eq!(placed.body["status"], "PAID");
    let (id, token) = ids(&placed.body);
    let b = bill(&stack, &id, &token).await;
    assert_eq!(b["invoice_number"], format!("DEMO-TEST-{}-000001", year()));
    assert_eq!(stack.queue.sent().len(), 1);

    let paying = stack.ready_cart("GUIDE-BOOK", 1).await;
    let free = stack.order(&paying, "free").await;
    assert_eq!(
        free.assert_problem(422, "validation_failed"),
        ["payment_method"]
    );
}

#[tokio::test]
async fn a_failed_test_payment_is_retried_with_a_check() {
    let stack = Stack::start().await;
    let cart = stack.ready_cart("GUIDE-BOOK", 1).await;
    let (id, token) = ids(&stack.order(&cart, "test").await.body);
    let failed = stack.test_payment(&id, &token, "failed").await;
    assert_eq!(failed.body["status"], "FAILED");
    let retry = stack
        .with_token(
            Method::POST,
            &format!("/bills/{id}/payment"),
            &token,
            Some(json!({"payment_method": "check"})),
        )
        .await;
    assert_eq!(retry.status, 200, "{}", retry.body);
    assert_eq!(retry.body["status"], "PENDING");
    assert_eq!(retry.body["payment"]["method"], "check");
    assert!(retry.body.get("access_token").is_none());
    let b = bill(&stack, &id, &token).await;
    let statuses: Vec<&str> = b["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["to"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["PLACED", "FAILED", "PLACED", "PENDING"]);
    // A PENDING bill no longer changes method, and a test payment needs the test method.
    let twice = stack
        .with_token(
            Method::POST,
            &format!("/bills/{id}/payment"),
            &token,
            Some(json!({"payment_method": "transfer"})),
        )
        .await;
    twice.assert_problem(409, "invalid_state");
    let test = stack.test_payment(&id, &token, "paid").await;
    test.assert_problem(409, "invalid_state");
}

#[tokio::test]
async fn placement_refuses_what_is_not_ready_and_changes_nothing() {
    let stack = Stack::start().await;
    let cart = stack.new_cart().await;
    let empty = stack.order(&cart, "transfer").await;
    let paths = empty.assert_problem(422, "validation_failed");
    assert!(
        paths.contains(&"lines".to_owned()) && paths.contains(&"steps.customer".to_owned()),
        "{paths:?}"
    );
    stack
        .put(
            &format!("/carts/{cart}/lines/CERT-EXAM"),
            json!({"quantity": 1}),
        )
        .await;
    let not_ready = stack.order(&cart, "transfer").await;
    let paths = not_ready.assert_problem(422, "validation_failed");
    assert_eq!(paths, ["steps.requirements", "steps.customer"]);

    let ready = stack.ready_cart("GUIDE-BOOK", 1).await;
    let terms = stack
        .post_json(
            &format!("/carts/{ready}/order"),
            json!({"payment_method": "transfer", "accept_terms": false}),
        )
        .await;
    assert_eq!(
        terms.assert_problem(422, "validation_failed"),
        ["accept_terms"]
    );
    let disabled = stack.order(&ready, "stripe").await;
    assert_eq!(
        disabled.assert_problem(422, "validation_failed"),
        ["payment_method"]
    );
    let unknown = stack.order(&ready, "cash").await;
    assert_eq!(
        unknown.assert_problem(422, "validation_failed"),
        ["payment_method"]
    );
    stack
        .post_json(
            &format!("/carts/{ready}/order"),
            json!({"payment_method": "transfer", "extra": 1}),
        )
        .await
        .assert_problem(400, "malformed_request");
    stack
        .order("0123456789abcdef0123456789abcdef", "transfer")
        .await
        .assert_problem(404, "not_found");
    // Nothing was placed: the cart still changes.
    assert_eq!(
        stack
            .put(
                &format!("/carts/{ready}/lines/GUIDE-BOOK"),
                json!({"quantity": 2})
            )
            .await
            .status,
        200
    );
    assert!(stack.queue.sent().is_empty());
}

#[tokio::test]
async fn placing_a_cart_twice_or_concurrently_yields_one_bill() {
    for stack in [Stack::start().await, Stack::start_embedded().await] {
        let cart = stack.ready_cart("GUIDE-BOOK", 1).await;
        let first = stack.order(&cart, "transfer").await;
        let again = stack.order(&cart, "transfer").await;
        assert_eq!(first.status, 201);
        assert_eq!(again.status, 200);
        assert_eq!(first.body["bill_id"], again.body["bill_id"]);
        assert_eq!(first.body["access_token"], again.body["access_token"]);

        let cart = stack.ready_cart("GUIDE-BOOK", 1).await;
        let tries = (0..8).map(|_| stack.order(&cart, "transfer"));
        let replies = join_all(tries).await;
        let bills: std::collections::BTreeSet<String> = replies
            .iter()
            .map(|r| {
                assert!(r.status == 200 || r.status == 201, "{}", r.body);
                r.body["bill_id"].as_str().unwrap().to_owned()
            })
            .collect();
        assert_eq!(bills.len(), 1, "one cart, one bill");
        assert_eq!(replies.iter().filter(|r| r.status == 201).count(), 1);
    }
}

/// An order called off or refunded gives its units back to the stock: an abandoned cheque
/// order does not hold exam places for ever (until 2026-12-07 it did).
#[tokio::test]
async fn a_cancelled_or_refunded_order_gives_its_stock_back() {
    for stack in [Stack::start().await, Stack::start_embedded().await] {
        let stock = async || stack.stock_left("CERT-EXAM").await;
        let move_to = async |bill: &str, to: &str| {
            let moved = stack.move_bill(bill, to, "asked by the customer").await;
            assert_eq!(moved.status, 200, "{}", moved.body);
        };
        assert_eq!(stock().await, 40);
        let placed = stack.order(&stack.exam_cart(38).await, "check").await;
        assert_eq!(stock().await, 2);
        move_to(placed.body["bill_id"].as_str().unwrap(), "CANCELLED").await;
        assert_eq!(stock().await, 40, "the cancelled order's places are back");

        let (paid, _) = stack.place_and_pay(&stack.exam_cart(3).await).await;
        assert_eq!(stock().await, 37);
        move_to(&paid, "PAYBACK").await;
        assert_eq!(stock().await, 37, "owed back, not yet refunded");
        move_to(&paid, "REFUNDED").await;
        assert_eq!(stock().await, 40, "the refunded order's places are back");
    }
}

#[tokio::test]
async fn stock_never_goes_below_zero_under_concurrent_placements() {
    for stack in [Stack::start().await, Stack::start_embedded().await] {
        // CERT-EXAM has 40 in stock: take 38, then race 6 carts for the last 2 units.
        let big = stack.new_cart().await;
        let form = json!({"candidate_name": "A", "birthdate": "1990-01-01", "session": "2027-01"});
        stack
            .put(
                &format!("/carts/{big}/lines/CERT-EXAM"),
                json!({"quantity": 38}),
            )
            .await;
        stack
            .put(
                &format!("/carts/{big}/requirements"),
                json!({"CERT-EXAM": vec![form.clone(); 38]}),
            )
            .await;
        let customer = json!({"customer": {"firstname": "A", "lastname": "B", "email": "a@example.org",
            "address": "1 St", "zip": "1", "city": "C", "country": "FR"}});
        stack
            .put(&format!("/carts/{big}/customer"), customer.clone())
            .await;
        assert_eq!(stack.order(&big, "transfer").await.status, 201);
        let mut carts = Vec::new();
        for _ in 0..6 {
            let c = stack.new_cart().await;
            stack
                .put(
                    &format!("/carts/{c}/lines/CERT-EXAM"),
                    json!({"quantity": 1}),
                )
                .await;
            stack
                .put(
                    &format!("/carts/{c}/requirements"),
                    json!({"CERT-EXAM": [form.clone()]}),
                )
                .await;
            stack
                .put(&format!("/carts/{c}/customer"), customer.clone())
                .await;
            carts.push(c);
        }
        let replies = join_all(carts.iter().map(|c| stack.order(c, "transfer"))).await;
        let placed = replies.iter().filter(|r| r.status == 201).count();
        assert_eq!(
            placed,
            2,
            "{:?}",
            replies
                .iter()
                .map(|r| (r.status, r.body.to_string()))
                .collect::<Vec<_>>()
        );
        for r in replies.iter().filter(|r| r.status != 201) {
            assert_eq!(
                r.assert_problem(422, "validation_failed"),
                ["lines.CERT-EXAM"]
            );
        }
        let catalog = stack.get("/shops/demo/catalog").await.body;
        let exam = catalog["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["code"] == "CERT-EXAM")
            .unwrap()
            .clone();
        assert_eq!(exam["stock"], 0);
        let more = stack.new_cart().await;
        stack
            .put(
                &format!("/carts/{more}/lines/CERT-EXAM"),
                json!({"quantity": 1}),
            )
            .await
            .assert_problem(422, "validation_failed");
    }
}

#[tokio::test]
async fn fifty_bills_paid_concurrently_take_invoice_numbers_1_to_50() {
    for stack in [Stack::start().await, Stack::start_embedded().await] {
        let mut bills = Vec::new();
        for _ in 0..50 {
            let cart = stack.ready_cart("GUIDE-BOOK", 1).await;
            bills.push(ids(&stack.order(&cart, "test").await.body));
        }
        let started = std::time::Instant::now();
        let payments = bills
            .iter()
            .map(|(id, token)| stack.test_payment(id, token, "paid"));
        let replies = join_all(payments).await;
        eprintln!("50 concurrent payments: {:?}", started.elapsed());
        let mut numbers: Vec<String> = replies
            .iter()
            .map(|r| {
                assert_eq!(r.status, 200, "{}", r.body);
                r.body["invoice_number"].as_str().unwrap().to_owned()
            })
            .collect();
        numbers.sort();
        let expected: Vec<String> = (1..=50)
            .map(|n| format!("DEMO-TEST-{}-{n:06}", year()))
            .collect();
        assert_eq!(numbers, expected);
        assert_eq!(stack.queue.sent().len(), 50);
    }
}

#[tokio::test]
async fn dynamodb_requests_per_placement_and_per_payment_confirmation() {
    let stack = Stack::start().await;
    let cart = stack.ready_cart("GUIDE-BOOK", 1).await;
    stack.requests.reset();
    let placed = stack.order(&cart, "test").await;
    assert_eq!(placed.status, 201);
    // The cart, its shop's settings, its items with their stock counters (one batch), then one
    // transaction: bill + cart; after the commit, the customer record created if this is the
    // buyer's first order.
    assert_eq!(
        stack.requests.operations(),
        [
            "GetItem",
            "GetItem",
            "BatchGetItem",
            "TransactWriteItems",
            "PutItem"
        ],
        "placement"
    );

    let (id, token) = ids(&placed.body);
    stack.requests.reset();
    let paid = stack.test_payment(&id, &token, "paid").await;
    assert_eq!(paid.status, 200);
    // The bill, its shop (test mode?), the invoice sequence, then one transaction: bill +
    // sequence + production outbox (which stays until the job is produced).
    assert_eq!(
        stack.requests.operations(),
        ["GetItem", "GetItem", "GetItem", "TransactWriteItems"],
        "payment confirmation"
    );
}

#[tokio::test]
async fn the_bill_is_an_order_then_an_invoice_in_html_and_pdf() {
    let stack = Stack::start().await;
    let cart = stack.new_cart().await;
    stack
        .put(
            &format!("/carts/{cart}/lines/GUIDE-BOOK"),
            json!({"quantity": 2}),
        )
        .await;
    // A name may not hold `<` (Moodle refuses it); an address line may, and is escaped.
    let customer = json!({"customer": {"firstname": "Ada", "lastname": "Lovelace", "email": "ada@example.org",
        "address": "1 Analytical <script> Street", "zip": "75001", "city": "Paris", "country": "FR"}});
    stack
        .put(&format!("/carts/{cart}/customer"), customer)
        .await;
    let (id, token) = ids(&stack.order(&cart, "test").await.body);

    let order = stack
        .with_token(Method::GET, &format!("/bills/{id}/invoice"), &token, None)
        .await;
    assert_eq!(order.status, 200);
    assert!(order.content_type.starts_with("text/html"));
    let html = order.body.as_str().unwrap();
    assert!(html.contains(&format!("Order form {id}")), "{html}");
    assert!(!html.contains("Invoice DEMO"));
    assert!(
        html.contains("Analytical &#60;script&#62;") || html.contains("Analytical &lt;script&gt;"),
        "escaped: {html}"
    );
    assert!(html.contains("Demo Training Academy SAS") && html.contains("FR00123456789"));

    stack.test_payment(&id, &token, "paid").await;
    let number = format!("DEMO-TEST-{}-000001", year());
    let html = stack
        .get(&format!("/bills/{id}/invoice?token={token}"))
        .await
        .body;
    let html = html.as_str().unwrap();
    assert!(html.contains(&format!("Invoice {number}")));
    assert!(
        html.contains("€49.80") && html.contains("€2.74") && html.contains("€52.54"),
        "lines, tax, total: {html}"
    );
    assert!(
        html.contains("<dt>Payment method</dt><dd>Test payment</dd>"),
        "{html}"
    );

    let response = stack
        .http
        .get(stack.url(&format!("/bills/{id}/invoice?format=pdf&token={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-type"], "application/pdf");
    let bytes = response.bytes().await.unwrap();
    let pdf = lopdf::Document::load_mem(&bytes).expect("a well-formed PDF");
    let pages: Vec<u32> = pdf.get_pages().keys().copied().collect();
    let text = pdf.extract_text(&pages).unwrap();
    assert!(text.contains(&format!("Invoice {number}")), "{text}");
    assert!(text.contains("€52.54"), "{text}");

    stack
        .get(&format!("/bills/{id}/invoice"))
        .await
        .assert_problem(404, "not_found");
    stack
        .get(&format!("/bills/{id}/invoice?format=doc&token={token}"))
        .await
        .assert_problem(422, "validation_failed");
}

#[tokio::test]
async fn an_expired_cart_cannot_be_placed() {
    use shop_core::domain::cart::Cart;
    let stack = Stack::start().await;
    let shop = shop_core::app::repo::load_shop(
        stack.store.as_ref(),
        &"demo".parse().unwrap(),
        shop_core::app::repo::Items::All,
    )
    .await
    .unwrap()
    .shop;
    let week_ago = chrono::Utc::now() - chrono::Duration::days(8);
    let mut cart = Cart::new(
        shop_core::domain::ids::CartId::random(),
        shop.id.clone(),
        week_ago,
        chrono::Duration::days(7),
    );
    cart.set_line(&shop, &"GUIDE-BOOK".parse().unwrap(), 1, None)
        .unwrap();
    let write =
        shop_core::app::repo::cart_write(&mut cart, None, week_ago, chrono::Duration::days(7));
    stack.store.write(vec![write]).await.unwrap();
    stack
        .order(cart.id.as_str(), "transfer")
        .await
        .assert_problem(404, "not_found");
    stack
        .get(&format!("/carts/{}", cart.id))
        .await
        .assert_problem(404, "not_found");
}

#[tokio::test]
async fn a_shop_out_of_test_mode_refuses_test_payments() {
    let stack = Stack::start().await;
    // A bill placed with `test` while the shop was in test mode...
    let cart = stack.ready_cart("GUIDE-BOOK", 1).await;
    let (id, token) = ids(&stack.order(&cart, "test").await.body);
    // ...then the shop goes live.
    let mut live = stack
        .with_token(
            Method::GET,
            "/admin/shops/demo",
            enrolshop_tests::ADMIN_TOKEN,
            None,
        )
        .await
        .body;
    live["test_mode"] = json!(false);
    live["payment_methods"] = json!(["check", "transfer", "free"]);
    live["default_payment_method"] = json!("transfer");
    let put = stack
        .with_token(
            Method::PUT,
            "/admin/shops/demo",
            enrolshop_tests::ADMIN_TOKEN,
            Some(live),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.body);
    let pay = stack.test_payment(&id, &token, "paid").await;
    pay.assert_problem(409, "invalid_state");
    let other = stack.ready_cart("GUIDE-BOOK", 1).await;
    assert_eq!(
        stack
            .order(&other, "test")
            .await
            .assert_problem(422, "validation_failed"),
        ["payment_method"]
    );
    assert!(stack.queue.sent().is_empty());
}

/// The orders a shop paid while in test mode number their invoices and credit notes apart
/// (`DEMO-TEST-…`): once live, its first real invoice is its number 1, with no gap before it
/// for the accountant to explain.
#[tokio::test]
async fn a_live_shops_first_real_invoice_is_number_one_whatever_was_tested_before() {
    let stack = Stack::start_embedded().await;
    let tried = stack.ready_cart("GUIDE-BOOK", 1).await;
    let (tried, _) = stack.place_and_pay(&tried).await;
    for to in ["PAYBACK", "REFUNDED"] {
        stack.move_bill(&tried, to, "a try").await;
    }
    let tried = stack
        .admin(Method::GET, &format!("/admin/bills/{tried}"), None)
        .await;
    assert_eq!(
        tried.body["invoice_number"],
        format!("DEMO-TEST-{}-000001", year())
    );
    let credit = format!("DEMO-TEST-AV-{}-000001", year());
    assert_eq!(tried.body["credit_note_number"], credit.as_str());

    stack
        .edit_demo(|shop| {
            shop["test_mode"] = json!(false);
            shop["payment_methods"] = json!(["check", "transfer", "free"]);
            shop["default_payment_method"] = json!("transfer");
        })
        .await;
    let cart = stack.ready_cart("GUIDE-BOOK", 1).await;
    let placed = stack.order(&cart, "transfer").await;
    let (id, _) = ids(&placed.body);
    let total = placed.body["total"].clone();
    let payment = json!({"amount": total, "method": "transfer", "reference": "VIR-1"});
    let path = format!("/admin/bills/{id}/payments");
    let paid = stack.admin(Method::POST, &path, Some(payment)).await;
    assert_eq!(paid.body["status"], "PAID", "{}", paid.body);
    assert_eq!(
        paid.body["invoice_number"],
        format!("DEMO-{}-000001", year())
    );
    for to in ["PAYBACK", "REFUNDED"] {
        stack.move_bill(&id, to, "withdrawn").await;
    }
    let refunded = stack
        .admin(Method::GET, &format!("/admin/bills/{id}"), None)
        .await;
    let credit = format!("DEMO-AV-{}-000001", year());
    assert_eq!(refunded.body["credit_note_number"], credit.as_str());
}
