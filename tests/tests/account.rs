//! The customer area through the API: login with Moodle credentials (the simulator), sessions,
//! the failed-login limit, login inside the checkout with pre-fill, bills, products and seats.

use enrolshop_tests::{Stack, customer};
use reqwest::Method;
use serde_json::{Value, json};
use shop_core::app::production::Produced;

const ADA: &str = "ada@example.org";
const PASSWORD: &str = "Analytical-Engine-1843";

/// A stack where Ada has a Moodle account with a password, and has bought `code` once.
async fn returning_customer(code: &str, quantity: u32) -> (Stack, String) {
    let stack = Stack::start().await;
    stack.moodle.add_user("ada", ADA, PASSWORD);
    let cart = stack.ready_cart(code, quantity).await;
    let (bill, _) = stack.place_and_pay(&cart).await;
    assert_eq!(stack.produce_all().await, [Ok(Produced::Complete)]);
    (stack, bill)
}

async fn login(stack: &Stack, password: &str) -> enrolshop_tests::Reply {
    stack
        .post_json(
            "/shops/demo/account/login",
            json!({"username": "ada", "password": password}),
        )
        .await
}

async fn session(stack: &Stack) -> String {
    let r = login(stack, PASSWORD).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["session"].as_str().unwrap().to_owned()
}

async fn get(stack: &Stack, path: &str, token: &str) -> enrolshop_tests::Reply {
    stack.with_token(Method::GET, path, token, None).await
}

#[tokio::test]
async fn a_customer_logs_in_and_finds_bills_and_products() {
    let (stack, bill) = returning_customer("EXCEL-ESS", 1).await;
    login(&stack, "wrong")
        .await
        .assert_problem(401, "unauthorized");
    let r = stack
        .http
        .post(stack.url("/shops/demo/account/login"))
        .json(&json!({"username": "ada", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("Secure") && cookie.contains("SameSite"),
        "{cookie}"
    );
    let body: Value = r.json().await.unwrap();
    let token = body["session"].as_str().unwrap().to_owned();
    assert_eq!(body["customer"]["email"], ADA);
    assert_eq!(body["profile"]["city"], "Paris", "the customer record");

    let bills = get(&stack, "/account/bills", &token).await;
    assert_eq!(bills.status, 200, "{}", bills.body);
    assert_eq!(bills.body["bills"][0]["id"], bill.as_str());
    let link = bills.body["bills"][0]["links"]["self"].as_str().unwrap();
    assert_eq!(get(&stack, link, &token).await.body["status"], "COMPLETE");
    let invoice = bills.body["bills"][0]["links"]["invoice"].as_str().unwrap();
    let html = get(&stack, invoice, &token).await;
    assert_eq!(html.status, 200);
    assert!(html.content_type.starts_with("text/html"));
    let products = get(&stack, "/account/products", &token).await;
    assert_eq!(products.body["products"][0]["item_code"], "EXCEL-ESS");
    assert_eq!(products.body["products"][0]["status"], "running");

    // The cookie opens the same session; without either, 401.
    let by_cookie = stack
        .http
        .get(stack.url("/account/bills"))
        .header("cookie", cookie.split(';').next().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(by_cookie.status(), 200);
    stack
        .get("/account/bills")
        .await
        .assert_problem(401, "unauthorized");

    // Someone else's bill is not found; after logout the session is gone.
    let other = stack.ready_cart("GUIDE-BOOK", 1).await;
    let grace = json!({"customer": {"firstname": "Grace", "lastname": "Hopper", "email": "grace@example.org",
        "address": "1 Navy St", "zip": "75001", "city": "Paris", "country": "FR"}});
    stack.put(&format!("/carts/{other}/customer"), grace).await;
    let (grace_bill, _) = stack.place_and_pay(&other).await;
    get(&stack, &format!("/account/bills/{grace_bill}"), &token)
        .await
        .assert_problem(404, "not_found");
    let out = stack
        .with_token(Method::POST, "/account/logout", &token, None)
        .await;
    assert_eq!(out.status, 204);
    get(&stack, "/account/bills", &token)
        .await
        .assert_problem(401, "unauthorized");
}

#[tokio::test]
async fn a_customer_signs_in_with_the_address_they_bought_with() {
    // Ada's Moodle account (`ada`) is from before the shop: she knows her address.
    let (stack, _) = returning_customer("EXCEL-ESS", 1).await;
    let by_address = |password: &'static str| {
        let stack = &stack;
        async move {
            stack
                .post_json(
                    "/shops/demo/account/login",
                    json!({"username": " Ada@Example.org ", "password": password}),
                )
                .await
        }
    };
    let r = by_address(PASSWORD).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["customer"]["email"], ADA);
    // Its failures are the account's: with `ada`'s, 5 in all.
    for _ in 0..3 {
        by_address("guess")
            .await
            .assert_problem(401, "unauthorized");
    }
    for _ in 0..2 {
        login(&stack, "guess")
            .await
            .assert_problem(401, "unauthorized");
    }
    by_address(PASSWORD)
        .await
        .assert_problem(429, "too_many_attempts");
    // An address the shop never delivered to is Moodle's to read: a wrong login.
    stack
        .post_json(
            "/shops/demo/account/login",
            json!({"username": "nobody@example.org", "password": PASSWORD}),
        )
        .await
        .assert_problem(401, "unauthorized");
}

#[tokio::test]
async fn failed_logins_are_limited_per_username() {
    let stack = Stack::start().await;
    stack.moodle.add_user("ada", ADA, PASSWORD);
    for _ in 0..shop_core::app::account::FAILURES_PER_USERNAME {
        login(&stack, "guess")
            .await
            .assert_problem(401, "unauthorized");
    }
    let calls = stack.moodle.calls().len();
    // Moodle signs in `ADA`, ` a da ` and `a!da` as `ada`: the same account, the same limit.
    for spelling in ["ada", "ADA", " a da ", "a!da"] {
        let r = stack
            .http
            .post(stack.url("/shops/demo/account/login"))
            .json(&json!({"username": spelling, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            429,
            "{spelling:?}: even the right password waits"
        );
        assert!(r.headers().contains_key("retry-after"));
    }
    assert_eq!(stack.moodle.calls().len(), calls, "Moodle was not asked");
    login(&stack, "")
        .await
        .assert_problem(422, "validation_failed");
}

#[tokio::test]
async fn logging_in_during_checkout_prefills_and_saves_the_customer() {
    let (stack, _) = returning_customer("EXCEL-ESS", 1).await;
    // As a guest with Ada's email, the checkout proposes to log in.
    let guest = stack.new_cart().await;
    stack
        .put(
            &format!("/carts/{guest}/lines/GUIDE-BOOK"),
            json!({"quantity": 1}),
        )
        .await;
    let view = stack
        .put(&format!("/carts/{guest}/customer"), customer())
        .await;
    assert_eq!(
        view.body["account"]["login_proposed"], true,
        "{}",
        view.body
    );

    let cart = stack.new_cart().await;
    stack
        .put(
            &format!("/carts/{cart}/lines/GUIDE-BOOK"),
            json!({"quantity": 1}),
        )
        .await;
    let r = stack
        .post_json(
            &format!("/carts/{cart}/login"),
            json!({"username": "ada", "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["cart"]["customer"]["email"], ADA, "pre-filled");
    assert_eq!(r.body["cart"]["customer"]["city"], "Paris");
    assert_eq!(r.body["cart"]["account"]["logged_in"], true);
    assert_eq!(r.body["cart"]["next_step"], "order");

    let mut edited = customer();
    edited["customer"]["city"] = json!("Lyon");
    stack.put(&format!("/carts/{cart}/customer"), edited).await;
    let record = shop_core::app::customers::find(stack.store.as_ref(), "demo", ADA)
        .await
        .unwrap()
        .unwrap()
        .value;
    assert_eq!(
        record.identity.city, "Lyon",
        "edits saved back to the record"
    );
}

#[tokio::test]
async fn a_buyer_of_seats_assigns_one_and_the_participant_is_enrolled() {
    let (stack, _) = returning_customer("EXCEL-SEATS", 1).await;
    // Seats enrol no one yet, the buyer included: they have bought all the same (items shown
    // to `customers` are theirs).
    let record = shop_core::app::customers::find(stack.store.as_ref(), "demo", ADA).await;
    assert!(record.unwrap().unwrap().value.has_bought());
    let token = session(&stack).await;
    let seats = get(&stack, "/account/seats", &token).await;
    let seats = seats.body["seats"].as_array().unwrap().clone();
    assert_eq!(seats.len(), 5);
    let (first, second) = (
        seats[0]["reference"].as_str().unwrap(),
        seats[1]["reference"].as_str().unwrap(),
    );
    let grace = json!({"email": "grace@example.org", "firstname": "Grace", "lastname": "Hopper"});
    let assign = |reference: &str, body: Value| {
        let path = format!("/account/seats/{reference}/assign");
        let token = token.clone();
        let stack = &stack;
        async move {
            stack
                .with_token(Method::POST, &path, &token, Some(body))
                .await
        }
    };
    let r = assign(first, grace.clone()).await;
    assert_eq!(r.status, 202, "{}", r.body);
    assign(first, grace.clone())
        .await
        .assert_problem(409, "invalid_state");
    // Grace again, in capitals, on another seat of the course: Moodle keeps her one
    // enrolment, so that seat would be lost, and giving it back would close the course to her
    // while she holds the first.
    let again = json!({"email": "GRACE@example.org", "firstname": "Grace", "lastname": "Hopper"});
    let twice = assign(second, again).await;
    twice.assert_problem(422, "validation_failed");
    assert_eq!(twice.field_codes(), [("email", "seat_in_course")]);
    assign(
        second,
        json!({"email": "nope", "firstname": "A", "lastname": "B"}),
    )
    .await
    .assert_problem(422, "validation_failed");
    // A seat holder's name is a participant's, by the same rule: one Moodle takes.
    let tagged = assign(
        second,
        json!({"email": "eve@example.org", "firstname": "Eve <3", "lastname": "A\nB"}),
    )
    .await;
    tagged.assert_problem(422, "validation_failed");
    assert_eq!(
        tagged.field_codes(),
        [("firstname", "angle_bracket"), ("lastname", "one_line")]
    );
    stack.produce_all().await;
    let grace_id = stack.moodle.user_by_email("grace@example.org").unwrap().id;
    let enrolment = stack.moodle.enrolment(grace_id, 3).expect("enrolled");
    assert!(!enrolment.suspended);
    // 365 days; the start 100 s early so that Moodle lists the course at once.
    assert_eq!(enrolment.timeend - enrolment.timestart, 365 * 86_400 + 100);
    // Grace is told where her seat is and how to sign in; the buyer gets a copy. Once.
    stack.deliver_mail().await;
    stack.produce_all().await;
    stack.deliver_mail().await;
    let mail = stack.mail().await;
    let to = |who: &str| mail.iter().filter(|m| m["to"] == who).collect::<Vec<_>>();
    let grace_mail = to("grace@example.org");
    assert_eq!(grace_mail.len(), 1, "{mail:?}");
    assert!(
        grace_mail[0]["subject"]
            .as_str()
            .unwrap()
            .starts_with("Your seat: ")
    );
    let text = stack
        .mail_message(grace_mail[0]["id"].as_str().unwrap())
        .await["text"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        text.contains(&format!("{}/course/view.php?id=3", stack.moodle_url)),
        "{text}"
    );
    assert!(text.contains("Your username: "), "{text}");
    let copies: Vec<_> = to(ADA)
        .into_iter()
        .filter(|m| {
            m["subject"]
                .as_str()
                .unwrap()
                .starts_with("Seat given to Grace Hopper")
        })
        .collect();
    assert_eq!(copies.len(), 1, "{mail:?}");

    // Alan gets the second seat, then gives it back before starting: suspended in Moodle.
    let alan = json!({"email": "alan@example.org", "firstname": "Alan", "lastname": "Turing"});
    assert_eq!(assign(second, alan).await.status, 202);
    stack.produce_all().await;
    let alan_id = stack.moodle.user_by_email("alan@example.org").unwrap().id;
    let back = stack
        .with_token(
            Method::POST,
            &format!("/account/seats/{second}/unassign"),
            &token,
            None,
        )
        .await;
    assert_eq!(back.status, 202, "{}", back.body);
    stack.produce_all().await;
    assert!(stack.moodle.enrolment(alan_id, 3).unwrap().suspended);

    // Grace has started: her seat stays hers.
    stack
        .moodle
        .open_course(grace_id, 3, chrono::Utc::now().timestamp());
    stack
        .with_token(
            Method::POST,
            &format!("/account/seats/{first}/unassign"),
            &token,
            None,
        )
        .await
        .assert_problem(409, "invalid_state");
}

/// 30 wrong passwords at once for one username: each attempt is reserved before Moodle is
/// asked, so at most the limit reach Moodle and the rest wait (429).
async fn parallel_guesses_stop_at_the_limit(stack: Stack) {
    stack.moodle.add_user("ada", ADA, PASSWORD);
    let guesses = (0..30).map(|n| {
        let stack = &stack;
        async move { login(stack, &format!("guess-{n}")).await.status }
    });
    let statuses = futures::future::join_all(guesses).await;
    let limit = shop_core::app::account::FAILURES_PER_USERNAME as usize;
    assert!(
        stack.moodle.logins() <= limit,
        "{} guesses reached Moodle",
        stack.moodle.logins()
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 401).count(),
        stack.moodle.logins()
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        30 - stack.moodle.logins()
    );
    login(&stack, PASSWORD)
        .await
        .assert_problem(429, "too_many_attempts");
}

#[tokio::test]
async fn parallel_guesses_stop_at_the_limit_on_dynamodb() {
    parallel_guesses_stop_at_the_limit(Stack::start().await).await;
}

#[tokio::test]
async fn parallel_guesses_stop_at_the_limit_on_the_embedded_store() {
    parallel_guesses_stop_at_the_limit(Stack::start_embedded().await).await;
}

/// The per-client limit counts the TCP peer: an `X-Forwarded-For` written by a client that is
/// not a trusted proxy changes nothing, however it rotates; a right password is not counted.
#[tokio::test]
async fn a_rotated_forwarded_for_does_not_bypass_the_client_limit() {
    let stack = Stack::start_embedded().await;
    stack.moodle.add_user("ada", ADA, PASSWORD);
    for _ in 0..3 {
        assert_eq!(
            login(&stack, PASSWORD).await.status,
            200,
            "successes are not failures"
        );
    }
    let guess = |n: u64| {
        stack
            .http
            .post(stack.url("/shops/demo/account/login"))
            .header("x-forwarded-for", format!("198.51.100.{n}"))
            .json(&json!({"username": format!("user{n}"), "password": "guess"}))
            .send()
    };
    for n in 0..shop_core::app::account::FAILURES_PER_CLIENT {
        assert_eq!(guess(n).await.unwrap().status(), 401);
    }
    let next = guess(99).await.unwrap();
    assert_eq!(next.status(), 429, "same peer, whatever the header says");
    assert_eq!(
        stack.moodle.logins() as u64,
        3 + shop_core::app::account::FAILURES_PER_CLIENT
    );
}

/// A logged-in buyer who types another customer's email: the order may be for them, but that
/// customer's record is never changed (and neither is the buyer's own).
async fn typed_emails_never_overwrite_another_customers_record(stack: Stack) {
    stack.moodle.add_user("ada", ADA, PASSWORD);
    // Grace bought here before: her record holds her address.
    let mut grace = customer();
    grace["customer"]["email"] = json!("grace@example.org");
    grace["customer"]["firstname"] = json!("Grace");
    grace["customer"]["city"] = json!("Arlington");
    let cart = stack.new_cart().await;
    stack
        .put(
            &format!("/carts/{cart}/lines/GUIDE-BOOK"),
            json!({"quantity": 1}),
        )
        .await;
    stack
        .put(&format!("/carts/{cart}/customer"), grace.clone())
        .await;
    stack.place_and_pay(&cart).await;
    let find = |email: &'static str| {
        let store = stack.store.clone();
        async move {
            shop_core::app::customers::find(store.as_ref(), "demo", email)
                .await
                .unwrap()
                .map(|r| r.value.identity)
        }
    };
    let graces = find("grace@example.org").await.expect("Grace's record");
    let adas = find(ADA).await;

    // Ada logs in on a cart, then types Grace's email with another address.
    let cart = stack.new_cart().await;
    stack
        .put(
            &format!("/carts/{cart}/lines/GUIDE-BOOK"),
            json!({"quantity": 1}),
        )
        .await;
    let r = stack
        .post_json(
            &format!("/carts/{cart}/login"),
            json!({"username": "ada", "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let mut forged = grace.clone();
    forged["customer"]["city"] = json!("Nowhere");
    forged["customer"]["address"] = json!("1 Attacker Road");
    let view = stack.put(&format!("/carts/{cart}/customer"), forged).await;
    assert_eq!(view.status, 200, "{}", view.body);
    assert_eq!(
        find("grace@example.org").await.unwrap(),
        graces,
        "Grace's record as it was"
    );
    assert_eq!(
        find(ADA).await,
        adas,
        "Ada's record not given Grace's email"
    );
}

#[tokio::test]
async fn typed_emails_never_overwrite_another_customers_record_on_dynamodb() {
    typed_emails_never_overwrite_another_customers_record(Stack::start().await).await;
}

#[tokio::test]
async fn typed_emails_never_overwrite_another_customers_record_on_the_embedded_store() {
    typed_emails_never_overwrite_another_customers_record(Stack::start_embedded().await).await;
}
