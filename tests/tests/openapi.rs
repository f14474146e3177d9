//! `GET /openapi.json` describes the whole API: every route the functions' routers declare (read
//! from their sources) and every route the SAM template gives API Gateway is in it, nothing
//! else is; and real answers of the local stack agree with it (documented status, content type,
//! problem shape, required fields).

use std::collections::BTreeSet;
use std::path::PathBuf;

use enrolshop_tests::{ADMIN_TOKEN, Stack, customer};
use reqwest::Method;
use serde_json::{Value, json};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn spec() -> Value {
    serde_json::from_str(storefront::OPENAPI).expect("valid JSON")
}

fn described(spec: &Value) -> BTreeSet<(String, String)> {
    spec["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, ops)| {
            ops.as_object()
                .unwrap()
                .keys()
                .map(move |m| (m.to_uppercase(), path.clone()))
        })
        .collect()
}

/// `(METHOD, path)` of every `.route("path", get(..).post(..))` in the functions' routers.
fn routed() -> BTreeSet<(String, String)> {
    let mut routes = BTreeSet::new();
    for entry in std::fs::read_dir(root().join("functions")).unwrap() {
        let lib = entry.unwrap().path().join("src/lib.rs");
        let Ok(source) = std::fs::read_to_string(&lib) else {
            continue;
        };
        let compact: String = source.split_whitespace().collect();
        for part in compact.split(".route(\"").skip(1) {
            let (path, rest) = part.split_once('"').unwrap();
            let call = &rest[..rest.find(")).").or(rest.find("))")).unwrap_or(rest.len())];
            for method in ["get", "post", "put", "delete"] {
                if call.contains(&format!("{method}(")) {
                    routes.insert((method.to_uppercase(), path.to_owned()));
                }
            }
        }
    }
    routes
}

fn templated() -> BTreeSet<(String, String)> {
    let text = std::fs::read_to_string(root().join("template.yaml")).unwrap();
    text.lines()
        .filter(|l| l.contains("Type: HttpApi") || l.contains("Method:"))
        .filter_map(|l| {
            let method = l.split("Method: ").nth(1)?.split(',').next()?.trim();
            let path = l.split("Path: \"").nth(1)?.split('"').next()?;
            Some((method.to_owned(), path.to_owned()))
        })
        .collect()
}

#[test]
fn every_route_is_described_and_nothing_else() {
    let spec = spec();
    let described = described(&spec);
    let routed = routed();
    assert!(
        routed.len() >= 40,
        "the router sources were read: {routed:?}"
    );
    let undocumented: Vec<_> = routed.difference(&described).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from openapi.json: {undocumented:?}"
    );
    let phantom: Vec<_> = described.difference(&routed).collect();
    assert!(phantom.is_empty(), "described but not routed: {phantom:?}");
    assert_eq!(
        templated(),
        described,
        "template.yaml and openapi.json list the same routes"
    );
}

/// A validator for `schema`, a schema of the description: its `$ref`s resolve against the
/// description's components (JSON Schema 2020-12, which OpenAPI 3.1 uses; formats checked).
fn validator(spec: &Value, schema: &Value) -> jsonschema::Validator {
    let mut document = schema.clone();
    let document_map = document.as_object_mut().expect("a schema object");
    document_map.insert("components".into(), spec["components"].clone());
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&document)
        .unwrap_or_else(|e| panic!("the description's schema compiles: {e}"))
}

/// Checks a real answer against the description of `method path`: the status and content type
/// are documented, and the body validates, nested shapes included (lines, totals, errors).
fn check(spec: &Value, method: &str, path: &str, status: u16, content_type: &str, body: &Value) {
    let op = &spec["paths"][path][method.to_lowercase()];
    assert!(op.is_object(), "{method} {path} is not described");
    let response = &op["responses"][status.to_string()];
    assert!(
        response.is_object(),
        "{method} {path} answered {status}, which is not documented"
    );
    let media = content_type.split(';').next().unwrap().trim();
    if let Some(content) = response["content"].as_object() {
        let schema = &content
            .get(media)
            .unwrap_or_else(|| panic!("{method} {path} {status}: {media} not documented"))["schema"];
        let problems: Vec<String> = validator(spec, schema)
            .iter_errors(body)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            problems.is_empty(),
            "{method} {path} {status} does not match its description:\n{}\nbody: {body}",
            problems.join("\n")
        );
    }
}

/// The validator does catch what the description forbids, down to nested shapes: a line
/// without its price, a total that is a number, a field error without its code or reason.
#[test]
fn the_check_refuses_answers_that_break_the_description() {
    let spec = spec();
    let cart = |f: &dyn Fn(&mut Value)| {
        let mut c = json!({
            "id": "c", "shop": "demo", "currency": "EUR", "expires_at": "2026-12-03T10:00:00Z",
            "lines": [{"code": "A", "name": "A", "quantity": 1, "unit_price": "10.00",
                "total_excl_tax": "10.00", "tax_code": "std", "tax_rate": "20", "tax": "2.00",
                "total_incl_tax": "12.00", "seats": 0, "needs_data": false,
                "required_data": [{"field": "f", "label": "F", "type": "text", "required": true, "options": [], "option_labels": []}],
                "seat_roles": ["student"], "eula": null}],
            "totals": {"excl_tax": "10.00", "tax": "2.00", "incl_tax": "12.00",
                "taxes": [{"code": "std", "rate": "20", "base": "10.00", "amount": "2.00"}]},
            "steps": {"shop": "done"}, "next_step": "customer", "unavailable": [],
            "requirements": {}, "participants": [], "assignments": {}, "customer": null,
            "invoicing": null, "account": {"logged_in": false, "email": null, "firstname": null, "lastname": null, "login_proposed": false},
            "language": "en"
        });
        f(&mut c);
        c
    };
    let schema = json!({"$ref": "#/components/schemas/Cart"});
    let v = validator(&spec, &schema);
    assert!(v.is_valid(&cart(&|_| {})), "a well-formed cart validates");
    type Break<'a> = (&'a str, &'a dyn Fn(&mut Value));
    let broken: [Break; 5] = [
        ("line without its price", &|c| {
            c["lines"][0].as_object_mut().unwrap().remove("unit_price");
        }),
        ("total as a number", &|c| {
            c["totals"]["incl_tax"] = json!(12.0)
        }),
        ("tax rate as words", &|c| {
            c["totals"]["taxes"][0]["rate"] = json!("twenty")
        }),
        ("undocumented line field", &|c| {
            c["lines"][0]["cost"] = json!("1.00")
        }),
        ("bad expiry date", &|c| c["expires_at"] = json!("tomorrow")),
    ];
    for (what, f) in broken {
        assert!(!v.is_valid(&cart(f)), "{what} was not caught");
    }
    let problem = validator(&spec, &json!({"$ref": "#/components/schemas/Problem"}));
    let mut p = json!({"type": "about:blank", "title": "t", "status": 422,
        "code": "validation_failed", "detail": "d",
        "errors": [{"field": "f", "code": "too_long", "max": 100, "reason": "r"}]});
    assert!(problem.is_valid(&p));
    for part in ["reason", "code"] {
        let mut without = p.clone();
        without["errors"][0].as_object_mut().unwrap().remove(part);
        assert!(
            !problem.is_valid(&without),
            "a field error without its {part} was not caught"
        );
    }
    p["errors"][0]["code"] = json!(3);
    assert!(
        !problem.is_valid(&p),
        "a code that is not a word was not caught"
    );
}

#[tokio::test]
async fn real_answers_match_the_description() {
    let stack = Stack::start().await;
    let served = stack.get("/openapi.json").await;
    assert_eq!(served.status, 200);
    assert_eq!(
        served.body,
        spec(),
        "the local stack serves the description"
    );
    let spec = spec();
    let mut seen = 0;
    let mut expect = |method: &str, path: &str, r: &enrolshop_tests::Reply| {
        check(&spec, method, path, r.status, &r.content_type, &r.body);
        seen += 1;
    };

    expect(
        "GET",
        "/shops/{shop}/catalog",
        &stack.get("/shops/demo/catalog").await,
    );
    expect(
        "GET",
        "/shops/{shop}/catalog",
        &stack.get("/shops/nope/catalog").await,
    );
    let created = stack.post("/shops/demo/carts").await;
    expect("POST", "/shops/{shop}/carts", &created);
    let cart = created.body["id"].as_str().unwrap().to_owned();
    let line_path = format!("/carts/{cart}/lines/EXCEL-ESS");
    let line = |q: Value| stack.put(&line_path, q);
    expect(
        "PUT",
        "/carts/{cart}/lines/{code}",
        &line(json!({"quantity": 2})).await,
    );
    expect(
        "PUT",
        "/carts/{cart}/lines/{code}",
        &line(json!({"quantity": "two"})).await,
    );
    expect(
        "PUT",
        "/carts/{cart}/lines/{code}",
        &line(json!({"quantity": 100000})).await,
    );
    let bad = json!({"customer": {"firstname": "", "lastname": "L", "email": "x", "address": "a", "zip": "1", "city": "c", "country": "ZZZ"}});
    expect(
        "PUT",
        "/carts/{cart}/customer",
        &stack.put(&format!("/carts/{cart}/customer"), bad).await,
    );
    expect(
        "PUT",
        "/carts/{cart}/customer",
        &stack
            .put(&format!("/carts/{cart}/customer"), customer())
            .await,
    );
    expect(
        "GET",
        "/carts/{cart}",
        &stack.get(&format!("/carts/{cart}")).await,
    );
    let placed = stack.order(&cart, "test").await;
    expect("POST", "/carts/{cart}/order", &placed);
    let bill = placed.body["bill_id"].as_str().unwrap().to_owned();
    let token = placed.body["access_token"].as_str().unwrap().to_owned();
    expect(
        "GET",
        "/bills/{bill}",
        &stack
            .with_token(Method::GET, &format!("/bills/{bill}"), &token, None)
            .await,
    );
    expect(
        "GET",
        "/bills/{bill}",
        &stack.get(&format!("/bills/{bill}")).await,
    );
    for email in ["ada@example.org", "not an address"] {
        let asked = stack
            .post_json("/shops/demo/orders/lookup", json!({ "email": email }))
            .await;
        expect("POST", "/shops/{shop}/orders/lookup", &asked);
    }
    expect(
        "PUT",
        "/carts/{cart}/language",
        &stack
            .put(
                &format!("/carts/{cart}/language"),
                json!({"language": "fr"}),
            )
            .await,
    );
    let paid = stack.test_payment(&bill, &token, "paid").await;
    expect("POST", "/bills/{bill}/test-payment", &paid);
    let stack = &stack;
    let admin =
        |m: Method, p: String| async move { stack.with_token(m, &p, ADMIN_TOKEN, None).await };
    expect(
        "GET",
        "/admin/bills/{bill}",
        &admin(Method::GET, format!("/admin/bills/{bill}")).await,
    );
    expect(
        "GET",
        "/admin/shops/{shop}/bills",
        &admin(Method::GET, "/admin/shops/demo/bills".into()).await,
    );
    stack.produce_all().await;
    expect(
        "GET",
        "/admin/shops/{shop}/products",
        &admin(Method::GET, "/admin/shops/demo/products".into()).await,
    );
    expect(
        "GET",
        "/admin/shops/{shop}/products",
        &admin(Method::GET, "/admin/shops/demo/products?state=no".into()).await,
    );
    expect(
        "GET",
        "/admin/shops/{shop}",
        &stack.get("/admin/shops/demo").await,
    );
    expect("GET", "/account/bills", &stack.get("/account/bills").await);
    let login = stack
        .post_json(
            "/shops/demo/account/login",
            json!({"username": "ada", "password": "nope"}),
        )
        .await;
    expect("POST", "/shops/{shop}/account/login", &login);
    expect(
        "POST",
        "/admin/products/{reference}/suspend",
        &admin(
            Method::POST,
            "/admin/products/AAAA-AAAA-AAAA-AAAA/suspend".into(),
        )
        .await,
    );
    assert!(seen >= 20);
}

/// The codes a schema's `code` lists.
fn described_codes(spec: &Value, schema: &str) -> Vec<String> {
    spec["components"]["schemas"][schema]["properties"]["code"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect()
}

/// The trace's cause codes and the delivery problems' codes the description lists are the
/// shop's, all of them (a page that says them by code learns them there).
#[test]
fn the_cause_and_problem_codes_described_are_the_shops() {
    let spec = spec();
    let causes: Vec<String> = shop_core::domain::bill::CauseCode::ALL
        .iter()
        .map(|c| c.as_str().to_owned())
        .collect();
    assert_eq!(described_codes(&spec, "BillEventCause"), causes);
    let problems: Vec<String> = shop_core::domain::problem::ProblemCode::ALL
        .iter()
        .map(|c| c.as_str().to_owned())
        .collect();
    assert_eq!(described_codes(&spec, "DeliveryProblem"), problems);
}
