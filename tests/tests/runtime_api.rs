//! The deployed artefacts' entry points: each function's real binary (the `bootstrap` of its
//! Lambda package, built natively) runs against a local Lambda Runtime API with the environment
//! `template.yaml` gives it — DynamoDB and SQS on moto, the Moodle simulator — and answers every
//! event of `events/<function>/`. A wrong configuration fails init with an `init/error` naming
//! the variable.

use std::time::Duration;

use enrolshop_tests::Stack;
use enrolshop_tests::fixtures::*;
use enrolshop_tests::runtime::{
    FRONT_SECRET, FunctionProcess, Outcome, RuntimeApi, function_binary, lambda_env, template_env,
    template_values,
};
use serde_json::Value;
use shop_core::adapters::sqs;

/// The API Gateway response's status and JSON body.
fn http(outcome: &Outcome) -> (u64, Value) {
    let Outcome::Response(r) = outcome else {
        panic!("the function failed: {outcome:?}")
    };
    let body = r["body"]
        .as_str()
        .and_then(|b| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null);
    (r["statusCode"].as_u64().expect("a status"), body)
}

/// Starts `function`'s binary with the environment `template.yaml` gives it, its parameters
/// and resources standing for the stack's (`extra` adds to it or overrides it), waiting for
/// events.
async fn start(
    function: &str,
    stack: &Stack,
    extra: &[(&str, &str)],
) -> (RuntimeApi, FunctionProcess) {
    start_with(function, stack, &[], extra).await
}

/// [`start`], with values for the template's parameters (`MailFrom`, ...).
async fn start_with(
    function: &str,
    stack: &Stack,
    parameters: &[(&str, &str)],
    extra: &[(&str, &str)],
) -> (RuntimeApi, FunctionProcess) {
    let api = RuntimeApi::start().await;
    let mut values = template_values(&stack.table, &stack.moodle_url);
    values.extend(parameters.iter().copied());
    let mut env = lambda_env(function, &api.addr);
    env.extend(template_env(function, &values));
    for (k, v) in [
        ("DYNAMODB_ENDPOINT", moto_harness::endpoint()),
        ("SQS_ENDPOINT", moto_harness::endpoint()),
        ("SES_ENDPOINT", moto_harness::endpoint()),
    ]
    .into_iter()
    .chain(extra.iter().copied())
    {
        env.push((k.to_owned(), v.to_owned()));
    }
    let process = FunctionProcess::spawn(&function_binary(function), &env);
    (api, process)
}

/// Runs `function`'s binary with the stack's resources and every event of its folder.
async fn run(function: &str, stack: &Stack, extra: &[(&str, &str)]) -> Vec<(String, Outcome)> {
    let (api, process) = start(function, stack, extra).await;
    let mut outcomes = Vec::new();
    for (name, event) in events(function) {
        outcomes.push((name, api.invoke(event).await));
    }
    assert!(api.first_next().is_some());
    let logs = process.logs();
    assert!(
        logs.lines()
            .all(|l| l.trim().is_empty() || serde_json::from_str::<Value>(l).is_ok()),
        "JSON logs only: {logs}"
    );
    outcomes
}

fn statuses(outcomes: &[(String, Outcome)]) -> Vec<(&str, u64)> {
    outcomes
        .iter()
        .map(|(name, o)| (name.as_str(), http(o).0))
        .collect()
}

#[tokio::test]
async fn storefront_bootstrap_answers_its_events() {
    let stack = Stack::start().await;
    store_with_demo_and_cart(&stack).await;
    let outcomes = run("storefront", &stack, &[]).await;
    assert_eq!(
        statuses(&outcomes),
        [
            ("cart-import.json", 303),
            ("create-cart.json", 201),
            ("get-cart.json", 200),
            ("get-catalog.json", 200),
            ("get-unknown-cart.json", 404),
            ("put-customer-invalid.json", 422),
            ("put-line-base64.json", 200),
            ("put-line.json", 200),
        ]
    );
}

#[tokio::test]
async fn checkout_bootstrap_places_an_order_and_queues_nothing_before_payment() {
    let stack = Stack::start().await;
    let store = store_with_demo_and_cart(&stack).await;
    ready_cart(store.as_ref()).await;
    let outcomes = run("checkout", &stack, &[]).await;
    assert_eq!(
        statuses(&outcomes),
        [
            ("get-bill-without-token.json", 404),
            ("place-order-not-ready.json", 422),
            ("place-order.json", 201),
        ]
    );
    assert_eq!(http(&outcomes[2].1).1["status"], "PENDING");
}

#[tokio::test]
async fn backoffice_bootstrap_needs_its_token() {
    let stack = Stack::start().await;
    let outcomes = run("backoffice", &stack, &[]).await;
    assert_eq!(
        statuses(&outcomes),
        [
            ("export-shop-no-token.json", 401),
            ("export-shop.json", 200),
            ("list-bills.json", 200),
        ]
    );
}

/// Staff sign-in in Lambda counts failures per client as API Gateway saw it (`sourceIp`, not
/// the `X-Forwarded-For` a client writes): a stranger who spends a client's 20 tries does not
/// lock out the staff signing in from elsewhere.
#[tokio::test]
async fn backoffice_bootstrap_counts_failed_sign_ins_per_client() {
    let stack = Stack::start().await;
    let (api, _process) = start("backoffice", &stack, &[]).await;
    let forwarded = [("x-forwarded-for", "198.51.100.99")];
    for n in 0..20 {
        let event = staff_sign_in(&format!("guess{n}"), "203.0.113.66", &forwarded);
        assert_eq!(http(&api.invoke(event).await).0, 401, "failure {n}");
    }
    let answer = api
        .invoke(staff_sign_in("manager", "203.0.113.66", &forwarded))
        .await;
    assert_eq!(http(&answer).0, 429, "the stranger's client is stopped");
    let answer = api
        .invoke(staff_sign_in("manager", "192.0.2.7", &forwarded))
        .await;
    assert_eq!(
        http(&answer).0,
        401,
        "another client is still asked its password (Moodle says it is wrong)"
    );
}

/// Behind ShopFront every request reaches API Gateway from CloudFront's address: each viewer is
/// counted by the address the front tells, once the front has proved itself with the secret
/// the template gives both; a viewer claiming addresses without it is counted as CloudFront's.
#[tokio::test]
async fn backoffice_bootstrap_behind_the_front_counts_each_viewer() {
    let stack = Stack::start().await;
    let (api, _process) = start("backoffice", &stack, &[]).await;
    let edge = "130.176.0.1";
    let viewer = |ip: &'static str| {
        [
            ("x-enrolshop-front", FRONT_SECRET),
            ("x-enrolshop-client", ip),
            ("x-enrolshop-host", "shop.example"),
        ]
    };
    for n in 0..20 {
        let event = staff_sign_in(&format!("guess{n}"), edge, &viewer("198.51.100.1"));
        assert_eq!(http(&api.invoke(event).await).0, 401, "failure {n}");
    }
    let stopped = api
        .invoke(staff_sign_in("manager", edge, &viewer("198.51.100.1")))
        .await;
    assert_eq!(http(&stopped).0, 429, "the guessing viewer is stopped");
    let other = api
        .invoke(staff_sign_in("manager", edge, &viewer("198.51.100.2")))
        .await;
    assert_eq!(
        http(&other).0,
        401,
        "another viewer of the same edge is not"
    );
    for n in 0..20 {
        let claimed = [("x-enrolshop-client", format!("192.0.2.{n}"))];
        let claimed: Vec<(&str, &str)> = claimed.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let event = staff_sign_in(&format!("forged{n}"), edge, &claimed);
        assert_eq!(http(&api.invoke(event).await).0, 401, "forged {n}");
    }
    let forged = api
        .invoke(staff_sign_in(
            "manager",
            edge,
            &[("x-enrolshop-client", "192.0.2.99")],
        ))
        .await;
    assert_eq!(
        http(&forged).0,
        429,
        "without the secret, the address API Gateway saw is the one counted"
    );
}

/// A staff sign-in with a wrong password as API Gateway hands it to the back office: from
/// `source` (`sourceIp`), with `headers`.
fn staff_sign_in(username: &str, source: &str, headers: &[(&str, &str)]) -> Value {
    let mut event: Value = serde_json::from_str(include_str!(
        "../../events/account/login-wrong-password.json"
    ))
    .unwrap();
    event["routeKey"] = "POST /admin/login".into();
    event["rawPath"] = "/admin/login".into();
    event["requestContext"]["routeKey"] = "POST /admin/login".into();
    event["requestContext"]["http"]["path"] = "/admin/login".into();
    event["requestContext"]["http"]["sourceIp"] = source.into();
    for (name, value) in headers {
        event["headers"][*name] = (*value).into();
    }
    event["pathParameters"] = Value::Null;
    event["body"] = serde_json::json!({
        "shop": "demo", "username": username, "password": "a-guess"
    })
    .to_string()
    .into();
    event
}

#[tokio::test]
async fn payment_notify_bootstrap_pays_the_bill_and_sends_its_job_to_sqs() {
    let stack = Stack::start().await;
    gateway_shop_with_bill(&stack).await;
    let client = sqs::client(Some(moto_harness::endpoint()));
    let queues = sqs::ensure_queues(&client, &moto_harness::unique_name("rt"), 360)
        .await
        .unwrap();
    let outcomes = run("payment-notify", &stack, &[("QUEUE_URL", &queues.queue)]).await;
    assert_eq!(
        statuses(&outcomes),
        [
            ("ogone-forged.json", 400),
            ("sips-return.json", 303),
            ("stripe-old-signature.json", 400),
            ("systempay-paid.json", 200),
        ]
    );
    let bill =
        shop_core::app::bills::find_bill(stack.store.as_ref(), &FIXTURE_BILL.parse().unwrap())
            .await
            .unwrap()
            .unwrap();
    assert_eq!(bill.value.status, shop_core::domain::bill::BillStatus::Paid);
    let messages = client
        .receive_message()
        .queue_url(&queues.queue)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap_or_default();
    assert_eq!(messages.len(), 1, "the production job is in SQS");
    assert!(messages[0].body().unwrap().contains(FIXTURE_BILL));
}

#[tokio::test]
async fn production_bootstrap_reports_partial_batch_failures_and_relays() {
    let stack = Stack::start().await;
    production_bill(&stack).await;
    let outcomes = run("production", &stack, &[]).await;
    let by_name = |n: &str| {
        let (_, o) = outcomes.iter().find(|(name, _)| name == n).unwrap();
        let Outcome::Response(r) = o else {
            panic!("{n}: {o:?}")
        };
        r.clone()
    };
    let batch = by_name("batch-with-a-poison-message.json");
    let failures: Vec<&str> = batch["batchItemFailures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["itemIdentifier"].as_str().unwrap())
        .collect();
    assert_eq!(
        failures,
        [
            "2e1424d4-f796-459a-8184-9c92662be6da",
            "7d1c6a1e-5b2f-4f0e-9d7a-1c2b3a4d5e6f"
        ]
    );
    assert_eq!(
        by_name("scheduled-relay.json"),
        serde_json::json!({"relayed": 0, "requeued": 0, "mailed": 0}),
        "no MAIL_FROM in this environment: the messages wait in the mailbox"
    );
    let ada = stack.moodle.user_by_email("ada@example.org").unwrap();
    assert!(
        stack.moodle.enrolment(ada.id, 3).is_some(),
        "enrolled by the binary"
    );
}

/// The scheduled run sends the messages a purchase left in the mailbox, with the settings
/// `template.yaml` gives the production function: its sender (`MailFrom`, through SES) and the
/// pages' address for the bill's link (`PagesUrl`, `BillPath`).
#[tokio::test]
async fn production_bootstrap_sends_the_messages_with_the_templates_settings() {
    let stack = Stack::start().await;
    let from = enrolshop_tests::ses::verified_sender().await;
    let cart = stack.ready_cart("EXCEL-ESS", 1).await;
    let (bill, _) = stack.place_and_pay(&cart).await;
    let parameters = [
        ("MailFrom", from.as_str()),
        ("PagesUrl", "https://shop.example"),
        ("HasPagesUrl", "true"),
    ];
    let (api, _process) = start_with("production", &stack, &parameters, &[]).await;
    let (_, relay) = events("production")
        .into_iter()
        .find(|(name, _)| name == "scheduled-relay.json")
        .unwrap();
    let Outcome::Response(answer) = api.invoke(relay).await else {
        panic!("the scheduled run failed")
    };
    assert_eq!(answer["mailed"], 3, "{answer}");
    // Each message's text parts, decoded.
    let sent: Vec<String> = enrolshop_tests::ses::sent_from(&from)
        .await
        .iter()
        .map(|raw| {
            let mail = mailparse::parse_mail(raw).unwrap();
            let mut texts = vec![mail.get_body().unwrap_or_default()];
            texts.extend(
                mail.subparts
                    .iter()
                    .map(|p| p.get_body().unwrap_or_default()),
            );
            texts.join("\n")
        })
        .collect();
    assert_eq!(sent.len(), 3);
    let link = format!("https://shop.example/bill?shop=demo&bill={bill}");
    assert!(
        sent.iter().any(|raw| raw.contains(&link)),
        "the bill's link on the pages' address: {:?}",
        sent.iter()
            .map(|m| m.lines().take(12).collect::<Vec<_>>())
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn account_bootstrap_guards_the_customer_area() {
    let stack = Stack::start().await;
    let outcomes = run("account", &stack, &[]).await;
    assert_eq!(
        statuses(&outcomes),
        [
            ("bills-without-session.json", 401),
            ("login-empty.json", 422),
            ("login-wrong-password.json", 401),
        ]
    );
}

#[tokio::test]
async fn a_missing_variable_fails_init_naming_it() {
    let api = RuntimeApi::start().await;
    let env = lambda_env("storefront", &api.addr);
    let process = FunctionProcess::spawn(&function_binary("storefront"), &env);
    let logs = fails_init_naming(&api, process, "TABLE_NAME").await;
    let line = logs
        .lines()
        .find(|l| l.contains("TABLE_NAME"))
        .expect("one log line naming the variable");
    assert!(serde_json::from_str::<Value>(line).is_ok(), "JSON: {line}");
    assert!(api.first_next().is_none(), "no event was asked for");
}

/// A sender without the pages' address would mail links no reader can follow: the production
/// function refuses to start, naming `PAGES_URL`.
#[tokio::test]
async fn a_sender_without_the_pages_address_fails_init() {
    let stack = Stack::start().await;
    let (api, process) = start_with(
        "production",
        &stack,
        &[("MailFrom", "shop@enrolshop.test")],
        // The template always gives one (ShopFront's address when PagesUrl is empty): a
        // function deployed otherwise.
        &[("PAGES_URL", "")],
    )
    .await;
    fails_init_naming(&api, process, "PAGES_URL").await;
}

/// The process reported an init error naming `variable` to the Runtime API and ended: its logs.
async fn fails_init_naming(api: &RuntimeApi, process: FunctionProcess, variable: &str) -> String {
    let reported = api
        .init_error(Duration::from_secs(10))
        .await
        .expect("an init error reported to the runtime API");
    assert_eq!(reported["errorType"], "Runtime.ConfigError");
    let message = reported["errorMessage"].as_str().unwrap();
    assert!(message.contains(variable), "{reported}");
    let (code, logs) = process.finish(Duration::from_secs(10)).await;
    assert_ne!(code, Some(0), "init failed");
    logs
}
