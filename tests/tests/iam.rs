//! Each function's IAM policy in `template.yaml` allows every DynamoDB request its code makes.
//! moto does not enforce IAM, so a missing action passes every other test here and fails in AWS
//! only (`AccessDeniedException`, a 500 for the buyer). This walk drives every route of the
//! HTTP API through the local stack on DynamoDB, records what each request asked DynamoDB
//! ([`Need`]: an action on the table or an index; a transaction's items' actions), and checks it
//! against the policy of the function the template routes that request to; then the production
//! function's work (jobs, messages) against its own.

use std::collections::{BTreeMap, BTreeSet};

use enrolshop_tests::{ADMIN_TOKEN, Need, Stack, customer};
use reqwest::Method;
use serde_json::{Value, json};
use serde_yaml_ng::Value as Yaml;

fn template() -> Yaml {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml")).unwrap();
    serde_yaml_ng::from_str(&text).unwrap()
}

/// A function's DynamoDB grants: (action, `None` for the table or `Some(index)`).
type Grants = BTreeSet<(String, Option<String>)>;

/// Every string in a YAML value, tags (`!Sub`, `!GetAtt`) looked through.
fn texts(v: &Yaml) -> Vec<String> {
    match v {
        Yaml::String(s) => vec![s.clone()],
        Yaml::Sequence(items) => items.iter().flat_map(texts).collect(),
        Yaml::Tagged(t) => texts(&t.value),
        _ => Vec::new(),
    }
}

fn grants(function: &Yaml) -> Grants {
    let mut grants = Grants::new();
    for policy in function["Properties"]["Policies"].as_sequence().unwrap() {
        // A statement under `!If` (SES) is no DynamoDB grant.
        let Some(statements) = policy["Statement"].as_sequence() else {
            continue;
        };
        for statement in statements.iter().filter(|s| s["Effect"] == "Allow") {
            for resource in texts(&statement["Resource"]) {
                let index = match resource.as_str() {
                    "ShopTable.Arn" => None,
                    r => match r.strip_prefix("${ShopTable.Arn}/index/") {
                        Some(index) => Some(index.to_owned()),
                        None => continue,
                    },
                };
                for action in texts(&statement["Action"]) {
                    grants.insert((action, index.clone()));
                }
            }
        }
    }
    grants
}

/// The functions by logical id: their grants, and the HTTP routes (method, path) they serve.
fn functions() -> BTreeMap<String, (Grants, Vec<(String, String)>)> {
    let t = template();
    t["Resources"]
        .as_mapping()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::Serverless::Function")
        .map(|(name, f)| {
            let routes = f["Properties"]["Events"]
                .as_mapping()
                .into_iter()
                .flatten()
                .filter(|(_, e)| e["Type"] == "HttpApi")
                .map(|(_, e)| {
                    let p = &e["Properties"];
                    let text = |k: &str| p[k].as_str().unwrap().to_owned();
                    (text("Method"), text("Path"))
                })
                .collect();
            (name.as_str().unwrap().to_owned(), (grants(f), routes))
        })
        .collect()
}

/// True when `path` (no query) is an instance of the template's `route` (`{x}`: one segment).
fn route_matches(route: &str, path: &str) -> bool {
    let (route, path): (Vec<&str>, Vec<&str>) =
        (route.split('/').collect(), path.split('/').collect());
    route.len() == path.len()
        && route
            .iter()
            .zip(&path)
            .all(|(r, p)| r == p || (r.starts_with('{') && !p.is_empty()))
}

struct Walk {
    stack: Stack,
    functions: BTreeMap<String, (Grants, Vec<(String, String)>)>,
    /// The functions the walk reached, and the grants it used.
    seen: BTreeMap<String, BTreeSet<Need>>,
}

struct Answer {
    status: u16,
    etag: Option<String>,
    body: Value,
}

impl Walk {
    /// One request: its answer, after checking what it asked DynamoDB against the policy of
    /// the function the template routes it to.
    async fn call(&mut self, method: Method, path: &str, auth: Auth<'_>, body: Body) -> Answer {
        self.stack.requests.take_needs();
        let mut request = self
            .stack
            .http
            .request(method.clone(), self.stack.url(path));
        request = match auth {
            Auth::None => request,
            Auth::Bearer(token) => request.bearer_auth(token),
            Auth::Cookie(cookie) => request.header("cookie", cookie),
            Auth::IfMatch(etag) => request.bearer_auth(ADMIN_TOKEN).header("if-match", etag),
        };
        request = match body {
            Body::None => request,
            Body::Json(v) => request.json(&v),
            Body::Form(text) => request
                .header("content-type", "application/x-www-form-urlencoded")
                .body(text),
        };
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let etag = response
            .headers()
            .get("etag")
            .map(|v| v.to_str().unwrap().to_owned());
        let cookie = response
            .headers()
            .get("set-cookie")
            .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned());
        let bytes = response.bytes().await.unwrap();
        let mut body: Value = serde_json::from_slice(&bytes).unwrap_or_default();
        if let Some(cookie) = cookie {
            body["set-cookie"] = cookie.into();
        }
        assert!(status < 500, "{method} {path}: {status} {body}");
        let bare = path.split('?').next().unwrap();
        let function = self
            .functions
            .iter()
            .find(|(_, (_, routes))| {
                routes
                    .iter()
                    .any(|(m, r)| *m == method.as_str() && route_matches(r, bare))
            })
            .map(|(name, _)| name.clone())
            .unwrap_or_else(|| panic!("no function of the template serves {method} {bare}"));
        self.check(&function, &format!("{method} {bare}"));
        Answer { status, etag, body }
    }

    /// A new cart, in English.
    async fn new_cart(&mut self) -> String {
        let body = Body::Json(json!({"language": "en"}));
        let made = self
            .call(Method::POST, "/shops/demo/carts", Auth::None, body)
            .await;
        made.body["id"].as_str().unwrap().to_owned()
    }

    /// A guest's order of one Excel essentials, paid by `method`: the placement's answer.
    async fn place_one(&mut self, method: &str) -> Answer {
        let cart = self.new_cart().await;
        let line = Body::Json(json!({"quantity": 1}));
        let path = format!("/carts/{cart}/lines/EXCEL-ESS");
        self.call(Method::PUT, &path, Auth::None, line).await;
        let path = format!("/carts/{cart}/customer");
        self.call(Method::PUT, &path, Auth::None, Body::Json(customer()))
            .await;
        let order = Body::Json(json!({"payment_method": method, "accept_terms": true}));
        let path = format!("/carts/{cart}/order");
        let placed = self.call(Method::POST, &path, Auth::None, order).await;
        assert_eq!(placed.status, 201, "{}", placed.body);
        placed
    }

    /// What DynamoDB was asked since the last check, against `function`'s policy.
    fn check(&mut self, function: &str, what: &str) {
        let (grants, _) = &self.functions[function];
        for need in self.stack.requests.take_needs() {
            assert!(
                grants.contains(&(need.action.clone(), need.index.clone())),
                "{what} ({function}) needs {} on {} which template.yaml does not grant it",
                need.action,
                need.index.as_deref().unwrap_or("the table")
            );
            self.seen
                .entry(function.to_owned())
                .or_default()
                .insert(need);
        }
    }
}

enum Auth<'a> {
    None,
    Bearer(&'a str),
    Cookie(&'a str),
    IfMatch(&'a str),
}

enum Body {
    None,
    Json(Value),
    Form(String),
}

/// Every route, as a buyer, a partner, a customer, a gateway and the staff use them; the
/// production function's jobs and messages after.
#[tokio::test]
async fn every_function_is_allowed_what_its_code_asks_dynamodb() {
    let stack = Stack::start().await;
    stack.moodle.add_user("ada", "ada@example.org", "Secret-1");
    stack
        .moodle
        .add_user("manager", "manager@example.org", "Manager-1");
    let mut w = Walk {
        stack,
        functions: functions(),
        seen: BTreeMap::new(),
    };
    use Auth::{Bearer, Cookie, IfMatch};
    let none = || Auth::None;

    // A buyer: the catalogue, a cart with every step, a partner's item by its password.
    w.call(Method::GET, "/shops/demo/catalog", none(), Body::None)
        .await;
    w.call(
        Method::GET,
        "/shops/demo/items/PARTNER-EXCEL",
        none(),
        Body::None,
    )
    .await;
    w.call(
        Method::GET,
        "/shops/demo/cart-import?EXCEL-ESS=1",
        none(),
        Body::None,
    )
    .await;
    let cart = w.new_cart().await;
    let line = |code: &str| format!("/carts/{cart}/lines/{code}");
    w.call(
        Method::PUT,
        &line("EXCEL-ESS"),
        none(),
        Body::Json(json!({"quantity": 2})),
    )
    .await;
    let wrong = json!({"quantity": 1, "password": "a-guess"});
    let refused = w
        .call(
            Method::PUT,
            &line("PARTNER-EXCEL"),
            none(),
            Body::Json(wrong),
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    let right = json!({"quantity": 1, "password": "partner-2026"});
    let taken = w
        .call(
            Method::PUT,
            &line("PARTNER-EXCEL"),
            none(),
            Body::Json(right),
        )
        .await;
    assert_eq!(taken.status, 200, "{}", taken.body);
    w.call(
        Method::PUT,
        &line("CERT-EXAM"),
        none(),
        Body::Json(json!({"quantity": 1})),
    )
    .await;
    let exam = json!({"CERT-EXAM": [{"candidate_name": "Ada Lovelace", "birthdate": "1990-12-10", "session": "2027-01"}]});
    let path = format!("/carts/{cart}/requirements");
    let r = w.call(Method::PUT, &path, none(), Body::Json(exam)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    w.call(
        Method::PUT,
        &line("SAFETY-TEAM"),
        none(),
        Body::Json(json!({"quantity": 1})),
    )
    .await;
    let people = json!({"participants": [{"email": "grace@example.org", "firstname": "Grace", "lastname": "Hopper"}],
        "assignments": {"SAFETY-TEAM": {"student": ["grace@example.org"]}}});
    let path = format!("/carts/{cart}/participants");
    let r = w.call(Method::PUT, &path, none(), Body::Json(people)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let path = format!("/carts/{cart}/customer");
    w.call(Method::PUT, &path, none(), Body::Json(customer()))
        .await;
    let path = format!("/carts/{cart}/language");
    w.call(
        Method::PUT,
        &path,
        none(),
        Body::Json(json!({"language": "fr"})),
    )
    .await;
    w.call(Method::GET, &format!("/carts/{cart}"), none(), Body::None)
        .await;
    let dropped = w.new_cart().await;
    w.call(
        Method::DELETE,
        &format!("/carts/{dropped}"),
        none(),
        Body::None,
    )
    .await;

    // Placed by transfer; its pages; "find my orders".
    let order = |method: &str| Body::Json(json!({"payment_method": method, "accept_terms": true}));
    let path = format!("/carts/{cart}/order");
    let placed = w.call(Method::POST, &path, none(), order("transfer")).await;
    assert_eq!(placed.status, 201, "{}", placed.body);
    let transfer = placed.body["bill_id"].as_str().unwrap().to_owned();
    let token = placed.body["access_token"].as_str().unwrap().to_owned();
    w.call(
        Method::GET,
        &format!("/bills/{transfer}"),
        Bearer(&token),
        Body::None,
    )
    .await;
    let path = format!("/bills/{transfer}/invoice");
    w.call(Method::GET, &path, Bearer(&token), Body::None).await;
    let path = format!("/bills/{transfer}/payment");
    let retry = Body::Json(json!({"payment_method": "check"}));
    w.call(Method::POST, &path, Bearer(&token), retry).await;
    let lookup = Body::Json(json!({"email": "ada@example.org"}));
    w.call(Method::POST, "/shops/demo/orders/lookup", none(), lookup)
        .await;

    // A returning customer signs in inside the checkout, buys seats and pays by test.
    let seats_cart = w.new_cart().await;
    let credentials = json!({"username": "ada", "password": "Secret-1"});
    let path = format!("/carts/{seats_cart}/login");
    let signed = w
        .call(Method::POST, &path, none(), Body::Json(credentials.clone()))
        .await;
    assert_eq!(signed.status, 200, "{}", signed.body);
    let path = format!("/carts/{seats_cart}/lines/EXCEL-SEATS");
    w.call(
        Method::PUT,
        &path,
        none(),
        Body::Json(json!({"quantity": 1})),
    )
    .await;
    let path = format!("/carts/{seats_cart}/customer");
    w.call(Method::PUT, &path, none(), Body::Json(customer()))
        .await;
    let path = format!("/carts/{seats_cart}/order");
    let placed = w.call(Method::POST, &path, none(), order("test")).await;
    assert_eq!(placed.status, 201, "{}", placed.body);
    let seats_bill = placed.body["bill_id"].as_str().unwrap().to_owned();
    let seats_token = placed.body["access_token"].as_str().unwrap().to_owned();
    let path = format!("/bills/{seats_bill}/test-payment");
    let paid = Body::Json(json!({"outcome": "paid"}));
    w.call(Method::POST, &path, Bearer(&seats_token), paid)
        .await;

    // A gateway: Systempay's signed notification, twice; the buyer's return.
    let placed = w.place_one("systempay").await;
    let card = placed.body["bill_id"].as_str().unwrap().to_owned();
    let path = format!("/admin/bills/{card}/sample-notification?gateway=systempay");
    let sample = w
        .call(Method::GET, &path, Bearer(ADMIN_TOKEN), Body::None)
        .await;
    let url = sample.body["url"].as_str().unwrap().to_owned();
    let form = sample.body["body"].as_str().unwrap().to_owned();
    for expected in ["applied", "duplicate"] {
        let answer = w
            .call(Method::POST, &url, none(), Body::Form(form.clone()))
            .await;
        assert_eq!(answer.body["outcome"], expected, "{}", answer.body);
    }
    let back = format!("/shops/demo/return/systempay?vads_order_id={card}");
    w.call(Method::GET, &back, none(), Body::None).await;
    w.call(
        Method::POST,
        "/shops/demo/return/systempay",
        none(),
        Body::Form(form),
    )
    .await;

    // The production function: the paid bills' jobs, then the messages due.
    w.stack.requests.take_needs();
    w.stack.produce_all().await;
    w.stack.deliver_mail().await;
    w.stack.postman.write_reminders().await.unwrap();
    w.stack.producer.relay_outbox().await.unwrap();
    w.check(
        "ProductionFunction",
        "production, messages, reminders, the relay",
    );

    // The customer area.
    let login = Body::Json(credentials);
    let signed = w
        .call(Method::POST, "/shops/demo/account/login", none(), login)
        .await;
    let session = signed.body["session"].as_str().unwrap().to_owned();
    let wrong = Body::Json(json!({"username": "ada", "password": "a-guess"}));
    w.call(Method::POST, "/shops/demo/account/login", none(), wrong)
        .await;
    for path in ["/account/session", "/account/bills", "/account/products"] {
        w.call(Method::GET, path, Bearer(&session), Body::None)
            .await;
    }
    let path = format!("/account/bills/{seats_bill}");
    w.call(Method::GET, &path, Bearer(&session), Body::None)
        .await;
    w.call(
        Method::GET,
        &format!("{path}/invoice"),
        Bearer(&session),
        Body::None,
    )
    .await;
    let seats = w
        .call(Method::GET, "/account/seats", Bearer(&session), Body::None)
        .await;
    let seat = seats.body["seats"][0]["reference"]
        .as_str()
        .unwrap()
        .to_owned();
    let grace = json!({"email": "grace@example.org", "firstname": "Grace", "lastname": "Hopper"});
    let path = format!("/account/seats/{seat}/assign");
    let assigned = w
        .call(Method::POST, &path, Bearer(&session), Body::Json(grace))
        .await;
    assert_eq!(assigned.status, 202, "{}", assigned.body);
    let path = format!("/account/seats/{seat}/unassign");
    w.call(Method::POST, &path, Bearer(&session), Body::None)
        .await;
    w.call(
        Method::POST,
        "/account/logout",
        Bearer(&session),
        Body::None,
    )
    .await;

    // The staff: sign-in (a wrong password first), then every desk as the automation token.
    let wrong = json!({"shop": "demo", "username": "manager", "password": "a-guess"});
    w.call(Method::POST, "/admin/login", none(), Body::Json(wrong))
        .await;
    let right = json!({"shop": "demo", "username": "manager", "password": "Manager-1"});
    let staff = w
        .call(Method::POST, "/admin/login", none(), Body::Json(right))
        .await;
    assert_eq!(staff.status, 200, "{}", staff.body);
    let cookie = staff.body["set-cookie"].as_str().unwrap().to_owned();
    w.call(Method::GET, "/admin/session", Cookie(&cookie), Body::None)
        .await;
    w.call(Method::POST, "/admin/logout", Cookie(&cookie), Body::None)
        .await;
    let admin = || Auth::Bearer(ADMIN_TOKEN);
    for path in [
        "/admin/shops/demo/bills",
        "/admin/shops/demo/bills?status=PENDING&q=Ada",
        "/admin/shops/demo/bills/counts",
        "/admin/shops/demo/messages/failed",
        "/admin/shops/demo/exports/bills.csv",
        "/admin/shops/demo/exports/customers.csv",
        "/admin/shops/demo/exports/products.csv",
        "/admin/shops/demo/stats",
        "/admin/shops/demo/audit",
        "/admin/shops/demo/customers?q=Ada",
        "/admin/shops/demo/items?q=Excel",
        "/admin/shops/demo/moodle/courses?q=Excel",
        "/admin/shops/demo/moodle/categories",
        "/admin/shops/demo/products",
        "/admin/shops/demo/items/EXCEL-ESS/preview",
        "/admin/shops/demo/items/EXCEL-ESS/history",
    ] {
        let answer = w.call(Method::GET, path, admin(), Body::None).await;
        assert_eq!(answer.status, 200, "{path}: {}", answer.body);
    }
    let path = "/admin/shops/demo/customers/ada@example.org";
    let ada = w.call(Method::GET, path, admin(), Body::None).await;
    let mut identity = ada.body["identity"].clone();
    identity["city"] = json!("Lyon");
    let saved = w
        .call(Method::PUT, path, admin(), Body::Json(identity))
        .await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    let path = "/admin/shops/demo/settings";
    let settings = w.call(Method::GET, path, admin(), Body::None).await;
    let etag = settings.etag.unwrap();
    let saved = w
        .call(Method::PUT, path, IfMatch(&etag), Body::Json(settings.body))
        .await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    let path = "/admin/shops/demo/items/EXCEL-ESS";
    let item = w.call(Method::GET, path, admin(), Body::None).await;
    let etag = item.etag.unwrap();
    let saved = w
        .call(
            Method::PUT,
            path,
            IfMatch(&etag),
            Body::Json(item.body["item"].clone()),
        )
        .await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    let copy = json!({"code": "EXCEL-COPY"});
    let path = "/admin/shops/demo/items/EXCEL-ESS/duplicate";
    let made = w.call(Method::POST, path, admin(), Body::Json(copy)).await;
    assert_eq!(made.status, 201, "{}", made.body);
    let path = "/admin/shops/demo/items/EXCEL-COPY";
    let copy = w.call(Method::GET, path, admin(), Body::None).await;
    let etag = copy.etag.unwrap();
    let gone = w
        .call(Method::DELETE, path, IfMatch(&etag), Body::None)
        .await;
    assert!(gone.status < 300, "{}", gone.body);
    let preview = json!({"kind": "order_placed", "language": "fr", "subject": "Commande {bill_id}", "body": "Merci."});
    w.call(
        Method::POST,
        "/admin/shops/demo/messages/preview",
        admin(),
        Body::Json(preview),
    )
    .await;

    // A bill for staff: its page, invoice, a payment recorded, a cancellation, a retry.
    let path = format!("/admin/bills/{transfer}");
    w.call(Method::GET, &path, admin(), Body::None).await;
    w.call(Method::GET, &format!("{path}/invoice"), admin(), Body::None)
        .await;
    let payment = json!({"amount": placed_total(&w, &transfer).await, "method": "transfer"});
    let paid = w
        .call(
            Method::POST,
            &format!("{path}/payments"),
            admin(),
            Body::Json(payment),
        )
        .await;
    assert!(paid.status < 300, "{}", paid.body);
    let path = format!("/admin/bills/{card}/retry-production");
    w.call(Method::POST, &path, admin(), Body::Json(json!({})))
        .await;
    let path = format!("/admin/bills/{card}/messages/nothing-given-up/send-again");
    w.call(Method::POST, &path, admin(), Body::Json(json!({})))
        .await;
    let placed = w.place_one("check").await;
    let cheque = placed.body["bill_id"].as_str().unwrap().to_owned();
    let path = format!("/admin/bills/{cheque}/transitions");
    let cancel = json!({"to": "CANCELLED", "note": "changed their mind"});
    let moved = w
        .call(Method::POST, &path, admin(), Body::Json(cancel))
        .await;
    assert!(moved.status < 300, "{}", moved.body);

    // Products for staff: one suspended and restored.
    let products = w
        .call(
            Method::GET,
            "/admin/shops/demo/products",
            admin(),
            Body::None,
        )
        .await;
    let product = products.body["products"][0]["reference"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/admin/products/{product}");
    w.call(Method::GET, &path, admin(), Body::None).await;
    for to in ["suspend", "restore"] {
        let moved = w
            .call(Method::POST, &format!("{path}/{to}"), admin(), Body::None)
            .await;
        assert!(moved.status < 300, "{to}: {}", moved.body);
    }
    w.stack.requests.take_needs();
    w.stack.produce_all().await;
    w.stack.deliver_mail().await;
    w.check("ProductionFunction", "suspensions and messages");

    // The shop document, exported and imported back.
    let document = w
        .call(Method::GET, "/admin/shops/demo", admin(), Body::None)
        .await;
    let imported = w
        .call(
            Method::PUT,
            "/admin/shops/demo",
            admin(),
            Body::Json(document.body),
        )
        .await;
    assert!(imported.status < 300, "{}", imported.body);

    // A week on, the relay calls off the bills left at a gateway (their stock given back).
    let left = w.stack.exam_cart(1).await;
    assert_eq!(w.stack.order(&left, "test").await.status, 201);
    w.stack.requests.take_needs();
    let week = chrono::Utc::now() + chrono::Duration::days(8);
    let called_off = w.stack.producer.call_off_abandoned(week).await.unwrap();
    assert!(called_off > 0, "the walk left a bill at a gateway");
    w.check("ProductionFunction", "bills left at a gateway, called off");

    // ...and reminds the buyers of cheques and transfers still awaited.
    let awaited = w.stack.ready_cart("EXCEL-ESS", 1).await;
    assert_eq!(w.stack.order(&awaited, "transfer").await.status, 201);
    w.stack.requests.take_needs();
    let reminded = w.stack.producer.remind_awaited(week).await.unwrap();
    assert!(reminded > 0, "the walk left a transfer awaited");
    w.check("ProductionFunction", "payments awaited, reminded");

    let reached: BTreeSet<&str> = w.seen.keys().map(String::as_str).collect();
    let all: BTreeSet<&str> = w.functions.keys().map(String::as_str).collect();
    assert_eq!(reached, all, "the walk reached every function");
}

/// A bill's total, as the buyer's page gives it.
async fn placed_total(w: &Walk, bill: &str) -> String {
    let found = w
        .stack
        .admin(Method::GET, &format!("/admin/bills/{bill}"), None)
        .await;
    w.stack.requests.take_needs();
    found.body["total"].as_str().unwrap().to_owned()
}

#[test]
fn a_route_matches_its_paths_only() {
    assert!(route_matches(
        "/carts/{cart}/lines/{code}",
        "/carts/abc/lines/X"
    ));
    assert!(!route_matches("/carts/{cart}", "/carts/abc/lines/X"));
    assert!(!route_matches("/admin/shops/{shop}", "/admin/shops/"));
}
