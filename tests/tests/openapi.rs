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

/// Checks a real answer against the description of `method path`.
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
        let schema = match schema["$ref"].as_str() {
            Some(r) => &spec["components"]["schemas"][r.rsplit('/').next().unwrap()],
            None => schema,
        };
        for field in schema["required"].as_array().into_iter().flatten() {
            let field = field.as_str().unwrap();
            assert!(
                body.get(field).is_some(),
                "{method} {path} {status}: `{field}` missing in {body}"
            );
        }
        if let Some(codes) = schema["properties"]["code"]["enum"].as_array() {
            assert!(
                codes.contains(&body["code"]),
                "undocumented problem code {}",
                body["code"]
            );
        }
        if let Some(states) = schema["properties"]["status"]["enum"].as_array()
            && body["status"].is_string()
        {
            assert!(
                states.contains(&body["status"]),
                "undocumented status {}",
                body["status"]
            );
        }
    }
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
    let paid = stack
        .with_token(
            Method::POST,
            &format!("/bills/{bill}/test-payment"),
            &token,
            Some(json!({"outcome": "paid"})),
        )
        .await;
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
