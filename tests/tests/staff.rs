//! Staff in the back office: sign in with Moodle credentials, a session cookie scoped to one
//! shop and one role, every change written with its author, forgery and other shops refused.

use enrolshop_tests::{ADMIN_TOKEN, Reply, Stack};
use reqwest::Method;
use serde_json::{Value, json};

/// Puts `staff` on the demo shop, and Moodle accounts `ann` (manager) and `bob` (operator).
async fn staffed(stack: &Stack) {
    stack
        .moodle
        .add_user("ann", "ann@demo-academy.example", "Ann-pass-1");
    stack
        .moodle
        .add_user("bob", "bob@demo-academy.example", "Bob-pass-1");
    stack
        .moodle
        .add_user("eve", "eve@example.org", "Eve-pass-1");
    let mut shop = stack
        .with_token(Method::GET, "/admin/shops/demo", ADMIN_TOKEN, None)
        .await
        .body;
    shop["staff"] =
        json!([{"username": "ann", "role": "manager"}, {"username": "Bob", "role": "operator"}]);
    let put = stack
        .with_token(Method::PUT, "/admin/shops/demo", ADMIN_TOKEN, Some(shop))
        .await;
    assert_eq!(put.status, 200, "{}", put.body);
}

/// Signs in; the cookie to send back (`enrolshop_staff=...`), and the answer.
async fn sign_in(stack: &Stack, username: &str, password: &str) -> (Option<String>, Reply) {
    let response = stack
        .http
        .post(stack.url("/admin/login"))
        .json(&json!({"shop": "demo", "username": username, "password": password}))
        .send()
        .await
        .unwrap();
    let set_cookie = response
        .headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().to_owned());
    let reply = Reply::from(response).await;
    if let Some(c) = &set_cookie {
        for part in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/admin"] {
            assert!(c.contains(part), "{c} lacks {part}");
        }
    }
    let cookie = set_cookie.map(|c| c.split(';').next().unwrap().to_owned());
    (cookie, reply)
}

/// A request as the back-office pages send it: the cookie, JSON, same origin.
async fn as_staff(
    stack: &Stack,
    method: Method,
    path: &str,
    cookie: &str,
    body: Option<Value>,
) -> Reply {
    let mut req = stack
        .http
        .request(method, stack.url(path))
        .header("cookie", cookie)
        .header("sec-fetch-site", "same-origin");
    if let Some(body) = body {
        req = req.json(&body);
    }
    Reply::from(req.send().await.unwrap()).await
}

#[tokio::test]
async fn staff_sign_in_with_moodle_and_act_within_their_role() {
    let stack = Stack::start_embedded().await;
    staffed(&stack).await;
    let (bob, signed) = sign_in(&stack, "bob", "Bob-pass-1").await;
    assert_eq!(signed.status, 200, "{}", signed.body);
    assert_eq!(signed.body["role"], "operator");
    assert_eq!(signed.body["username"], "bob");
    let bob = bob.expect("a session cookie");
    assert!(
        !signed
            .body
            .to_string()
            .contains(bob.split('=').nth(1).unwrap()),
        "the token is in the cookie only"
    );
    let who = as_staff(&stack, Method::GET, "/admin/session", &bob, None).await;
    assert_eq!(who.body["role"], "operator", "{}", who.body);

    // An operator works the bills; the shop document is a manager's.
    let cart = stack.ready_cart("EXCEL-ESS", 1).await;
    let placed = stack.order(&cart, "transfer").await;
    let bill = placed.body["bill_id"].as_str().unwrap().to_owned();
    let listed = as_staff(&stack, Method::GET, "/admin/shops/demo/bills", &bob, None).await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    let paid = as_staff(
        &stack,
        Method::POST,
        &format!("/admin/bills/{bill}/payments"),
        &bob,
        Some(json!({"amount": "144,00", "method": "transfer", "reference": "VIR-1"})),
    )
    .await;
    assert_eq!(paid.status, 200, "{}", paid.body);
    assert_eq!(
        paid.body["status"], "PAID",
        "a French decimal comma is read"
    );
    let view = stack
        .with_token(
            Method::GET,
            &format!("/admin/bills/{bill}"),
            ADMIN_TOKEN,
            None,
        )
        .await;
    let authors: Vec<&str> = view.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["actor"].as_str().unwrap())
        .collect();
    assert!(authors.contains(&"operator:bob"), "{authors:?}");
    for (method, body) in [(Method::GET, None), (Method::PUT, Some(json!({})))] {
        let refused = as_staff(&stack, method, "/admin/shops/demo", &bob, body).await;
        assert_eq!(
            refused.assert_problem(403, "forbidden"),
            Vec::<String>::new()
        );
    }
    let (ann, _) = sign_in(&stack, "ANN", "Ann-pass-1").await;
    let export = as_staff(
        &stack,
        Method::GET,
        "/admin/shops/demo",
        &ann.unwrap(),
        None,
    )
    .await;
    assert_eq!(export.status, 200, "a manager reads the shop document");

    // Signing out ends the session at once.
    let out = as_staff(&stack, Method::POST, "/admin/logout", &bob, Some(json!({}))).await;
    assert_eq!(out.status, 204, "{}", out.body);
    let gone = as_staff(&stack, Method::GET, "/admin/session", &bob, None).await;
    assert_eq!(gone.status, 401);
}

#[tokio::test]
async fn who_is_not_staff_or_not_signed_in_is_refused() {
    let stack = Stack::start_embedded().await;
    staffed(&stack).await;
    let (cookie, wrong) = sign_in(&stack, "bob", "guess").await;
    assert!(cookie.is_none());
    wrong.assert_problem(401, "unauthorized");
    let (cookie, outsider) = sign_in(&stack, "eve", "Eve-pass-1").await;
    assert!(
        cookie.is_none(),
        "a Moodle account not on the staff gets no session"
    );
    outsider.assert_problem(403, "forbidden");
    for _ in 0..5 {
        sign_in(&stack, "ann", "guess").await;
    }
    let (_, limited) = sign_in(&stack, "ann", "Ann-pass-1").await;
    limited.assert_problem(429, "too_many_attempts");

    // A buyer's session is not a staff session; a made-up cookie neither.
    stack
        .moodle
        .add_user("ada", "ada@example.org", "Ada-pass-1");
    let buyer = stack
        .http
        .post(stack.url("/shops/demo/account/login"))
        .json(&json!({"username": "ada", "password": "Ada-pass-1"}))
        .send()
        .await
        .unwrap();
    let buyer_cookie = buyer.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let token = buyer_cookie.split('=').nth(1).unwrap();
    for cookie in [
        buyer_cookie.clone(),
        format!("enrolshop_staff={token}"),
        "enrolshop_staff=0000".into(),
    ] {
        let refused = as_staff(
            &stack,
            Method::GET,
            "/admin/shops/demo/bills",
            &cookie,
            None,
        )
        .await;
        refused.assert_problem(401, "unauthorized");
    }
    // The bearer token is automation: the pages' session route does not take it for a person.
    let automation = stack
        .with_token(Method::GET, "/admin/session", ADMIN_TOKEN, None)
        .await;
    automation.assert_problem(401, "unauthorized");
}

#[tokio::test]
async fn a_staff_session_reaches_its_own_shop_only_and_only_from_its_pages() {
    let stack = Stack::start_embedded().await;
    staffed(&stack).await;
    let other = json!({"name": "Other", "currency": "EUR", "test_mode": true, "payment_methods": ["test", "transfer"],
        "seller": {"email": "sales@other.example"}, "taxes": [{"code": "std", "rate": "20"}],
        "items": [{"code": "X", "name": "X", "tax": "std", "prices": [{"up_to": null, "unit_price": "10.00"}]}]});
    let put = stack
        .with_token(Method::PUT, "/admin/shops/other", ADMIN_TOKEN, Some(other))
        .await;
    assert_eq!(put.status, 201, "{}", put.body);
    let cart = stack.new_cart_in("other").await;
    stack.fill_cart(&cart, "X", 1, None, None).await;
    stack
        .put(
            &format!("/carts/{cart}/customer"),
            enrolshop_tests::customer(),
        )
        .await;
    let placed = stack.order(&cart, "transfer").await;
    let theirs = placed.body["bill_id"].as_str().unwrap().to_owned();

    let (ann, _) = sign_in(&stack, "ann", "Ann-pass-1").await;
    let ann = ann.unwrap();
    for path in [
        format!("/admin/bills/{theirs}"),
        "/admin/shops/other/bills".to_owned(),
        "/admin/shops/other".to_owned(),
        "/admin/shops/other/products".to_owned(),
    ] {
        let hidden = as_staff(&stack, Method::GET, &path, &ann, None).await;
        hidden.assert_problem(404, "not_found");
    }
    let pay = as_staff(
        &stack,
        Method::POST,
        &format!("/admin/bills/{theirs}/payments"),
        &ann,
        Some(json!({"amount": "12.00", "method": "transfer"})),
    )
    .await;
    pay.assert_problem(404, "not_found");

    // A form or script on another site that rides the cookie is refused, and changes nothing.
    let cart = stack.ready_cart("EXCEL-ESS", 1).await;
    let mine = stack.order(&cart, "transfer").await.body["bill_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let forged = stack
        .http
        .post(stack.url(&format!("/admin/bills/{mine}/transitions")))
        .header("cookie", &ann)
        .header("origin", "https://evil.example")
        .header("sec-fetch-site", "cross-site")
        .json(&json!({"to": "CANCELLED", "note": "forged"}))
        .send()
        .await
        .unwrap();
    Reply::from(forged)
        .await
        .assert_problem(403, "cross_site_request");
    let view = stack
        .with_token(
            Method::GET,
            &format!("/admin/bills/{mine}"),
            ADMIN_TOKEN,
            None,
        )
        .await;
    assert_ne!(view.body["status"], "CANCELLED");

    // Taken off the staff list, a member's session ends (the shop keeps a manager: without
    // one the import is refused).
    let mut shop = stack
        .with_token(Method::GET, "/admin/shops/demo", ADMIN_TOKEN, None)
        .await
        .body;
    shop["staff"] = json!([{"username": "bob", "role": "operator"}]);
    let put = |shop| stack.with_token(Method::PUT, "/admin/shops/demo", ADMIN_TOKEN, Some(shop));
    let refused = put(shop.clone()).await;
    assert_eq!(refused.field_codes(), [("staff", "manager_required")]);
    shop["staff"] = json!([{"username": "manager", "role": "manager"}, {"username": "bob", "role": "operator"}]);
    assert_eq!(put(shop).await.status, 200);
    let ended = as_staff(&stack, Method::GET, "/admin/session", &ann, None).await;
    ended.assert_problem(401, "unauthorized");
}

/// The customers desk: found by name, email or organisation; one customer with their bills
/// and products; their city corrected by an operator, who is recorded as its author.
#[tokio::test]
async fn staff_find_a_customer_and_correct_their_city() {
    let stack = Stack::start_embedded().await;
    staffed(&stack).await;
    let (bill, _) = stack
        .place_and_pay(&stack.ready_cart("EXCEL-ESS", 1).await)
        .await;
    stack.produce_all().await;
    let cart = stack.new_cart_in("demo").await;
    stack.fill_cart(&cart, "GUIDE-BOOK", 1, None, None).await;
    let grace = json!({"customer": {"firstname": "Grace", "lastname": "Hopper", "email": "grace@navy.example",
        "address": "1 Navy Road", "zip": "22201", "city": "Arlington", "country": "US", "organisation": "US Navy"}});
    stack.put(&format!("/carts/{cart}/customer"), grace).await;
    stack.place_and_pay(&cart).await;

    let (bob, _) = sign_in(&stack, "bob", "Bob-pass-1").await;
    let bob = bob.unwrap();
    let all = as_staff(
        &stack,
        Method::GET,
        "/admin/shops/demo/customers",
        &bob,
        None,
    )
    .await;
    let names: Vec<&str> = all.body["customers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["identity"]["lastname"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Hopper", "Lovelace"], "by name: {}", all.body);
    for q in ["navy", "GRACE", "grace@navy"] {
        let found = as_staff(
            &stack,
            Method::GET,
            &format!("/admin/shops/demo/customers?q={q}"),
            &bob,
            None,
        )
        .await;
        assert_eq!(
            found.body["customers"].as_array().unwrap().len(),
            1,
            "{q}: {}",
            found.body
        );
    }

    let path = "/admin/shops/demo/customers/ada@example.org";
    let ada = as_staff(&stack, Method::GET, path, &bob, None).await;
    assert_eq!(ada.status, 200, "{}", ada.body);
    assert_eq!(ada.body["bills"][0]["id"], bill.as_str());
    let profile = format!(
        "{}/user/profile.php?id={}",
        stack.moodle_url.trim_end_matches('/'),
        ada.body["moodle_user_id"]
            .as_u64()
            .expect("known in Moodle once produced")
    );
    assert_eq!(ada.body["moodle_profile_url"], profile.as_str());
    assert!(
        !ada.body["products"].as_array().unwrap().is_empty(),
        "{}",
        ada.body
    );
    assert_eq!(
        ada.body["products"][0]["item_names"]["fr"],
        "Excel, les essentiels (formation en ligne, 12 mois)",
        "named for the staff's pages, in each language"
    );
    let mut identity = ada.body["identity"].clone();
    identity["city"] = json!("Lyon");
    identity["zip"] = json!("69001");
    let saved = as_staff(&stack, Method::PUT, path, &bob, Some(identity.clone())).await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    assert_eq!(saved.body["identity"]["city"], "Lyon");
    let change = &saved.body["changes"][0];
    assert_eq!(change["actor"], "operator:bob");
    assert_eq!(change["fields"], json!(["zip", "city"]));

    // The email is who they are; a bad country is refused at its field; nothing changes.
    let mut other = identity.clone();
    other["email"] = json!("someone@example.org");
    as_staff(&stack, Method::PUT, path, &bob, Some(other))
        .await
        .assert_problem(422, "validation_failed");
    let mut bad = identity.clone();
    bad["country"] = json!("France");
    assert_eq!(
        as_staff(&stack, Method::PUT, path, &bob, Some(bad))
            .await
            .assert_problem(422, "validation_failed"),
        ["country"]
    );
    let again = as_staff(&stack, Method::GET, path, &bob, None).await;
    assert_eq!(again.body["identity"]["city"], "Lyon");
    assert_eq!(again.body["changes"].as_array().unwrap().len(), 1);
    as_staff(
        &stack,
        Method::GET,
        "/admin/shops/demo/customers/nobody@example.org",
        &bob,
        None,
    )
    .await
    .assert_problem(404, "not_found");
}

/// The customers list pages through the store's index by name: every customer once, in order,
/// a search kept across pages.
#[tokio::test]
async fn the_customers_list_pages_by_name_through_the_index() {
    let stack = Stack::start_embedded().await;
    for i in (0..45).rev() {
        let cart = stack.new_cart().await;
        stack.fill_cart(&cart, "GUIDE-BOOK", 1, None, None).await;
        let org = if i % 3 == 0 { "Navy" } else { "Bletchley" };
        let who = json!({"customer": {"firstname": "Buyer", "lastname": format!("N{i:02}"), "email": format!("b{i}@example.org"),
            "address": "1 St", "zip": "1", "city": "Paris", "country": "FR", "organisation": org}});
        stack.put(&format!("/carts/{cart}/customer"), who).await;
        assert_eq!(stack.order(&cart, "check").await.status, 201);
    }
    let pages = |q: &'static str| {
        let stack = &stack;
        async move {
            let mut names = Vec::new();
            let mut sizes = Vec::new();
            let mut cursor: Option<String> = None;
            loop {
                let mut path = format!("/admin/shops/demo/customers?q={q}");
                if let Some(c) = &cursor {
                    path.push_str(&format!("&cursor={c}"));
                }
                let page = stack
                    .with_token(Method::GET, &path, ADMIN_TOKEN, None)
                    .await;
                assert_eq!(page.status, 200, "{}", page.body);
                let customers = page.body["customers"].as_array().unwrap().clone();
                sizes.push(customers.len());
                names.extend(
                    customers
                        .iter()
                        .map(|c| c["identity"]["lastname"].as_str().unwrap().to_owned()),
                );
                match page.body["next_cursor"].as_str() {
                    Some(c) => cursor = Some(c.to_owned()),
                    None => break,
                }
            }
            (names, sizes)
        }
    };
    let (all, sizes) = pages("").await;
    assert_eq!(sizes, [20, 20, 5]);
    let expected: Vec<String> = (0..45).map(|i| format!("N{i:02}")).collect();
    assert_eq!(all, expected, "each customer once, by name");
    let (navy, sizes) = pages("navy").await;
    assert_eq!(sizes, [15]);
    assert_eq!(
        navy,
        expected.iter().step_by(3).cloned().collect::<Vec<_>>()
    );
}

/// Every staff action lands in the shop's audit list with its author, newest first; what
/// buyers, gateways and the shop itself do does not.
#[tokio::test]
async fn staff_actions_are_listed_with_their_author_newest_first() {
    let stack = Stack::start_embedded().await;
    staffed(&stack).await;
    let (paid, _) = stack
        .place_and_pay(&stack.ready_cart("EXCEL-ESS", 1).await)
        .await;
    stack.produce_all().await;
    let cart = stack.ready_cart("GUIDE-BOOK", 1).await;
    let check = stack.order(&cart, "check").await.body["bill_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (bob, _) = sign_in(&stack, "bob", "Bob-pass-1").await;
    let bob = bob.unwrap();
    let cancel = json!({"to": "CANCELLED", "note": "asked by phone"});
    let path = format!("/admin/bills/{check}/transitions");
    let cancelled = as_staff(&stack, Method::POST, &path, &bob, Some(cancel)).await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.body);
    let bill = as_staff(
        &stack,
        Method::GET,
        &format!("/admin/bills/{paid}"),
        &bob,
        None,
    )
    .await;
    let product = bill.body["production"][0]["products"][0]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/admin/products/{product}/suspend");
    assert_eq!(
        as_staff(&stack, Method::POST, &path, &bob, Some(json!({})))
            .await
            .status,
        200
    );
    let path = "/admin/shops/demo/customers/ada@example.org";
    let mut identity =
        as_staff(&stack, Method::GET, path, &bob, None).await.body["identity"].clone();
    identity["city"] = json!("Lyon");
    assert_eq!(
        as_staff(&stack, Method::PUT, path, &bob, Some(identity))
            .await
            .status,
        200
    );

    let audit = as_staff(&stack, Method::GET, "/admin/shops/demo/audit", &bob, None).await;
    assert_eq!(audit.status, 200, "{}", audit.body);
    let rows: Vec<(String, String, String)> = audit.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let s = |k: &str| e[k].as_str().unwrap().to_owned();
            (s("actor"), s("action"), s("subject"))
        })
        .collect();
    let expected = [
        ("bob", "customer_updated", "ada@example.org"),
        ("bob", "product_suspended", product.as_str()),
        ("bob", "bill", check.as_str()),
        ("API-TOKEN", "shop_imported", "demo"),
    ];
    let expected: Vec<(String, String, String)> = expected
        .iter()
        .map(|(a, b, c)| ((*a).into(), (*b).into(), (*c).into()))
        .collect();
    assert_eq!(rows[..4], expected[..], "{}", audit.body);
    let cancel = &audit.body["entries"][2];
    assert_eq!(
        (&cancel["from"], &cancel["to"], &cancel["detail"]),
        (
            &json!("PENDING"),
            &json!("CANCELLED"),
            &json!("asked by phone")
        )
    );
    assert_eq!(audit.body["entries"][1]["item"], "EXCEL-ESS");
    assert_eq!(audit.body["entries"][0]["detail"], "city");
    assert!(
        !rows.iter().any(|(_, _, s)| s == &paid),
        "the buyer's and the gateway's steps are not staff actions: {}",
        audit.body
    );
}

/// The catalogue editor's routes are a manager's: an operator is refused them.
#[tokio::test]
async fn only_managers_change_catalogue_items() {
    let stack = Stack::start_embedded().await;
    staffed(&stack).await;
    let (bob, _) = sign_in(&stack, "bob", "Bob-pass-1").await;
    let (ann, _) = sign_in(&stack, "ann", "Ann-pass-1").await;
    let item = "/admin/shops/demo/items/EXCEL-ESS";
    as_staff(&stack, Method::GET, item, &bob.unwrap(), None)
        .await
        .assert_problem(403, "forbidden");
    let read = as_staff(&stack, Method::GET, item, &ann.unwrap(), None).await;
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(read.body["item"]["code"], "EXCEL-ESS");
}

/// Moodle's own administrator is usually `admin`: on the staff list, what they do is told apart
/// from what the bearer token does, on the bill and in the audit list.
#[tokio::test]
async fn a_staff_member_named_admin_is_not_taken_for_the_token() {
    let stack = Stack::start_embedded().await;
    stack
        .moodle
        .add_user("admin", "admin@demo-academy.example", "Admin-pass-1");
    let mut shop = stack
        .with_token(Method::GET, "/admin/shops/demo", ADMIN_TOKEN, None)
        .await
        .body;
    shop["staff"] = json!([{"username": "admin", "role": "manager"}]);
    let put = stack
        .with_token(Method::PUT, "/admin/shops/demo", ADMIN_TOKEN, Some(shop))
        .await;
    assert_eq!(put.status, 200, "{}", put.body);
    let (cookie, signed) = sign_in(&stack, "admin", "Admin-pass-1").await;
    assert_eq!(signed.status, 200, "{}", signed.body);
    let cookie = cookie.unwrap();

    let bills: Vec<String> = [
        stack
            .order(&stack.ready_cart("EXCEL-ESS", 1).await, "check")
            .await,
        stack
            .order(&stack.ready_cart("EXCEL-ESS", 1).await, "check")
            .await,
    ]
    .iter()
    .map(|r| r.body["bill_id"].as_str().unwrap().to_owned())
    .collect();
    let cancel = json!({"to": "CANCELLED", "note": "asked by phone"});
    let by_admin = as_staff(
        &stack,
        Method::POST,
        &format!("/admin/bills/{}/transitions", bills[0]),
        &cookie,
        Some(cancel.clone()),
    )
    .await;
    assert_eq!(by_admin.status, 200, "{}", by_admin.body);
    let by_token = stack
        .with_token(
            Method::POST,
            &format!("/admin/bills/{}/transitions", bills[1]),
            ADMIN_TOKEN,
            Some(cancel),
        )
        .await;
    assert_eq!(by_token.status, 200, "{}", by_token.body);
    let last =
        |reply: &Reply| reply.body["events"].as_array().unwrap().last().unwrap()["actor"].clone();
    assert_eq!(last(&by_admin), "operator:admin");
    assert_eq!(last(&by_token), "operator:API-TOKEN");

    let audit = as_staff(
        &stack,
        Method::GET,
        "/admin/shops/demo/audit",
        &cookie,
        None,
    )
    .await;
    let actors: Vec<(&str, &str)> = audit.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["actor"].as_str().unwrap(), e["subject"].as_str().unwrap()))
        .collect();
    assert_eq!(
        actors[..3],
        [
            ("API-TOKEN", bills[1].as_str()),
            ("admin", bills[0].as_str()),
            ("API-TOKEN", "demo")
        ],
        "{}",
        audit.body
    );
}

/// Two operators correct one customer at once: the second, saving on the version they read
/// (`If-Match`, as the customers page does), is told (412) and changes nothing — until
/// 2026-12-07 their save silently undid the first one's correction. A script without
/// `If-Match` still saves.
#[tokio::test]
async fn a_customer_corrected_meanwhile_is_not_overwritten() {
    let stack = Stack::start_embedded().await;
    let cart = stack.ready_cart("EXCEL-ESS", 1).await;
    stack.place_and_pay(&cart).await;
    stack.produce_all().await;
    let path = stack.url("/admin/shops/demo/customers/ada@example.org");
    let get = || stack.http.get(&path).bearer_auth(ADMIN_TOKEN).send();
    let read = get().await.unwrap();
    let read_tag = read.headers()["etag"].to_str().unwrap().to_owned();
    let identity = read.json::<Value>().await.unwrap()["identity"].clone();
    let put = |identity: Value, tag: Option<String>| {
        let mut req = stack
            .http
            .put(&path)
            .bearer_auth(ADMIN_TOKEN)
            .json(&identity);
        if let Some(tag) = tag {
            req = req.header("if-match", tag);
        }
        async move { req.send().await.unwrap() }
    };

    let mut lyon = identity.clone();
    lyon["city"] = json!("Lyon");
    let first = put(lyon, Some(read_tag.clone())).await;
    assert_eq!(first.status(), 200);
    assert_ne!(
        first.headers()["etag"].to_str().unwrap(),
        read_tag,
        "a new version"
    );

    let mut phone = identity.clone();
    phone["phone"] = json!("+33 1 23 45 67 89");
    let second = Reply::from(put(phone.clone(), Some(read_tag)).await).await;
    second.assert_problem(412, "precondition_failed");
    let now = get().await.unwrap().json::<Value>().await.unwrap();
    assert_eq!(
        now["identity"]["city"], "Lyon",
        "the first correction stands"
    );
    assert!(now["identity"]["phone"].is_null(), "{}", now["identity"]);

    let script = put(phone, None).await;
    assert_eq!(script.status(), 200, "without If-Match, as before");
}
