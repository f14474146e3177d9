//! Bad input and browser hardening, as an attacker tries them: prices that would overflow,
//! JSON with trailing characters, control characters in text, cross-site requests on
//! cookie-authenticated routes, and the security headers of pages and documents.

use enrolshop_tests::{ADMIN_TOKEN, Stack};
use reqwest::Method;
use serde_json::json;

fn shop(unit_price: &str) -> serde_json::Value {
    json!({
        "name": "Big shop", "currency": "EUR", "test_mode": true,
        "payment_methods": ["test"], "default_payment_method": "test",
        "seller": {"email": "sales@shop.example", "name": "Academy"},
        "taxes": [{"code": "std", "rate": "20"}],
        "items": [{"code": "GOLD", "name": "Gold", "tax": "std",
                   "prices": [{"up_to": null, "unit_price": unit_price}]}]
    })
}

/// A price near `Decimal::MAX` is refused at import (at its field), so that no quantity can
/// make a total overflow; the highest allowed price times the highest quantity is priced.
async fn prices_are_bounded_so_every_total_fits(stack: Stack) {
    let huge = stack
        .with_token(
            Method::PUT,
            "/admin/shops/big",
            ADMIN_TOKEN,
            Some(shop("79228162514264337593543950335")),
        )
        .await;
    let paths = huge.assert_problem(422, "validation_failed");
    assert_eq!(paths, ["items[0].prices[0].unit_price"]);
    let max = stack
        .with_token(
            Method::PUT,
            "/admin/shops/big",
            ADMIN_TOKEN,
            Some(shop("1000000000")),
        )
        .await;
    assert_eq!(max.status, 201, "{}", max.body);
    let cart = stack.new_cart_in("big").await;
    let line = stack
        .put(
            &format!("/carts/{cart}/lines/GOLD"),
            json!({"quantity": 9999}),
        )
        .await;
    assert_eq!(line.status, 200, "{}", line.body);
    assert_eq!(line.body["totals"]["incl_tax"], "11998800000000.00");
}

#[tokio::test]
async fn prices_are_bounded_on_dynamodb() {
    prices_are_bounded_so_every_total_fits(Stack::start().await).await;
}

#[tokio::test]
async fn prices_are_bounded_on_the_embedded_store() {
    prices_are_bounded_so_every_total_fits(Stack::start_embedded().await).await;
}

#[tokio::test]
async fn json_with_trailing_characters_is_refused_and_changes_nothing() {
    let stack = Stack::start_embedded().await;
    let cart = stack.new_cart().await;
    let r = stack
        .http
        .put(stack.url(&format!("/carts/{cart}/lines/EXCEL-ESS")))
        .body(r#"{"quantity": 3} trailing"#)
        .send()
        .await
        .unwrap();
    enrolshop_tests::Reply::from(r)
        .await
        .assert_problem(400, "malformed_request");
    let view = stack.get(&format!("/carts/{cart}")).await;
    assert_eq!(view.body["lines"], json!([]), "{}", view.body);
    let ok = stack
        .http
        .put(stack.url(&format!("/carts/{cart}/lines/EXCEL-ESS")))
        .body("{\"quantity\": 3}\n  ")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200, "trailing whitespace is fine");
}

#[tokio::test]
async fn control_characters_in_text_are_refused_at_their_field() {
    let stack = Stack::start_embedded().await;
    let cart = stack.new_cart().await;
    let mut customer = enrolshop_tests::customer();
    customer["customer"]["firstname"] = json!("Ada\u{0}");
    customer["customer"]["city"] = json!("Par\u{1b}[31mis");
    let r = stack
        .put(&format!("/carts/{cart}/customer"), customer)
        .await;
    let mut paths = r.assert_problem(422, "validation_failed");
    paths.sort();
    assert_eq!(paths, ["customer.city", "customer.firstname"]);
    assert_eq!(
        stack.get(&format!("/carts/{cart}")).await.body["customer"],
        json!(null)
    );
    // A name is one line; a participant's name too is checked.
    let mut two_lines = enrolshop_tests::customer();
    two_lines["customer"]["lastname"] = json!("Love\nlace");
    let r = stack
        .put(&format!("/carts/{cart}/customer"), two_lines)
        .await;
    assert_eq!(
        r.assert_problem(422, "validation_failed"),
        ["customer.lastname"]
    );
    let r = stack
        .put(
            &format!("/carts/{cart}/participants"),
            json!({"participants": [{"email": "a@example.org", "firstname": "A\u{7f}", "lastname": "B"}]}),
        )
        .await;
    assert_eq!(
        r.assert_problem(422, "validation_failed"),
        ["participants[0].firstname"]
    );
}

/// A state-changing request that a cookie would authenticate must come from the shop's pages.
#[tokio::test]
async fn cross_site_requests_on_cookie_routes_are_refused() {
    let stack = Stack::start_embedded().await;
    let session = stack
        .customer_session("ada", "ada@example.org", "Secret-123")
        .await;
    let cookie = format!("enrolshop_session={session}");
    let logout = |headers: Vec<(&'static str, String)>| {
        let mut req = stack
            .http
            .post(stack.url("/account/logout"))
            .header("cookie", cookie.clone());
        for (k, v) in headers {
            req = req.header(k, v);
        }
        req.send()
    };
    let forged = [
        vec![
            ("origin", "https://evil.example".to_owned()),
            ("content-type", "application/json".to_owned()),
        ],
        vec![
            ("sec-fetch-site", "cross-site".to_owned()),
            ("content-type", "application/json".to_owned()),
        ],
        vec![(
            "content-type",
            "application/x-www-form-urlencoded".to_owned(),
        )],
        vec![],
    ];
    for headers in forged {
        let r = enrolshop_tests::Reply::from(logout(headers.clone()).await.unwrap()).await;
        r.assert_problem(403, "cross_site_request");
    }
    let who = stack
        .http
        .get(stack.url("/account/session"))
        .header("cookie", cookie.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(who.status(), 200, "the session survived every forgery");
    let host = stack.base.trim_start_matches("http://").to_owned();
    let own = logout(vec![
        ("origin", format!("http://{host}")),
        ("sec-fetch-site", "same-origin".to_owned()),
        ("content-type", "application/json".to_owned()),
    ])
    .await
    .unwrap();
    assert_eq!(own.status(), 204, "the shop's own page logs out");
}

#[tokio::test]
async fn pages_and_documents_carry_the_browser_hardening_headers() {
    let stack = Stack::start_embedded().await;
    let cart = stack.ready_cart("EXCEL-ESS", 1).await;
    let (bill, token) = stack.place_and_pay(&cart).await;
    for path in [
        "/?shop=demo".to_owned(),
        "/checkout?shop=demo".to_owned(),
        format!("/bills/{bill}/invoice?token={token}"),
    ] {
        let r = stack.http.get(stack.url(&path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let h = r.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
    }
    let json = stack
        .http
        .get(stack.url("/shops/demo/catalog"))
        .send()
        .await
        .unwrap();
    assert_eq!(json.headers()["x-content-type-options"], "nosniff");
}
