//! Every sample event in `events/<function>/` goes through the very conversion
//! `lambda_http::run` applies (API Gateway HTTP API payload v2 → `http::Request` → the
//! function's router → Lambda response), against DynamoDB on moto.

use std::sync::Arc;

use axum::Router;
use enrolshop_tests::Stack;
use enrolshop_tests::fixtures::*;
use lambda_http::aws_lambda_events::encodings::Body;
use lambda_http::request::LambdaRequest;
use lambda_http::tower::ServiceExt;
use lambda_http::{Adapter, Context, LambdaEvent};
use serde_json::Value;
use shop_core::adapters::dynamo::DynamoStore;
use shop_core::app::SystemClock;
use shop_core::app::admin::ShopAdmin;
use shop_core::app::storefront::Storefront;
use shop_core::ports::Store;
use shop_core::web;

/// Runs one event through `lambda_http`'s adapter and returns the Lambda response as JSON.
async fn invoke(router: Router, event: Value) -> Value {
    let request: LambdaRequest = serde_json::from_value(event).expect("a valid API Gateway event");
    let response = Adapter::from(router.into_service())
        .oneshot(LambdaEvent::new(request, Context::default()))
        .await
        .unwrap();
    serde_json::to_value(response).unwrap()
}

fn body(response: &Value) -> Value {
    let text = response["body"].as_str().unwrap_or("");
    serde_json::from_str(text).unwrap_or(Value::Null)
}

/// API Gateway's HTTP API hands a request's cookies apart (`cookies`), and `lambda_http` puts
/// them back in `Cookie`: in Lambda too, the catalogue shows a customer signed in the items
/// for signed-in customers, and a visitor not.
#[tokio::test]
async fn a_customer_cookie_reaches_the_storefront_through_the_lambda_adapter() {
    let stack = Stack::start().await;
    stack.add_excel_copies(&[("MEMBERS", "logged_in")]).await;
    let session = stack
        .customer_session("ada", "ada@example.org", "Secret-123")
        .await;
    let app = Arc::new(Storefront::new(
        stack.store.clone(),
        Arc::new(SystemClock),
        chrono::Duration::days(7),
    ));
    let router = storefront::router(app, "/checkout").fallback(web::no_route);
    let listed = |response: &Value| {
        body(response)["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["code"] == "MEMBERS")
    };
    let (_, mut event) = events("storefront")
        .into_iter()
        .find(|(name, _)| name == "get-catalog.json")
        .unwrap();
    assert!(!listed(&invoke(router.clone(), event.clone()).await));
    event["cookies"] = serde_json::json!([format!("enrolshop_session={session}"), "other=1"]);
    assert!(listed(&invoke(router, event).await), "signed in");
}

#[tokio::test]
async fn storefront_events_run_through_the_lambda_adapter() {
    let stack = Stack::start().await;
    let store = store_with_demo_and_cart(&stack).await;
    let app = Arc::new(Storefront::new(
        store,
        Arc::new(SystemClock),
        chrono::Duration::days(7),
    ));
    let router = storefront::router(app, "/checkout").fallback(web::no_route);
    let mut seen = Vec::new();
    for (name, event) in events("storefront") {
        let response = invoke(router.clone(), event).await;
        let status = response["statusCode"].as_u64().unwrap();
        let json = body(&response);
        match name.as_str() {
            "get-catalog.json" => {
                assert_eq!(status, 200);
                assert_eq!(json["shop"]["id"], "demo");
            }
            "create-cart.json" => {
                assert_eq!(status, 201);
                assert_eq!(json["next_step"], "shop");
            }
            "get-cart.json" => assert_eq!((status, &json["id"]), (200, &Value::from(EVENT_CART))),
            "put-line.json" => {
                assert_eq!(status, 200, "{json}");
                let line = json["lines"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|l| l["code"] == "EXCEL-ESS")
                    .cloned()
                    .unwrap();
                assert_eq!(line["unit_price"], "99.00");
            }
            "put-line-base64.json" => {
                assert_eq!(status, 200, "{json}");
                assert!(
                    json["lines"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|l| l["code"] == "GUIDE-BOOK" && l["quantity"] == 2)
                );
            }
            "put-customer-invalid.json" => {
                assert_eq!(status, 422);
                assert_eq!(
                    response["headers"]["content-type"],
                    "application/problem+json"
                );
                assert_eq!(json["errors"][0]["field"], "customer.email");
            }
            "get-unknown-cart.json" => assert_eq!(status, 404),
            "cart-import.json" => {
                assert_eq!(status, 303);
                let location = response["headers"]["location"].as_str().unwrap();
                assert!(
                    location.starts_with("/checkout?shop=demo&cart="),
                    "{location}"
                );
            }
            other => panic!("events/storefront/{other} has no expectation in this test"),
        }
        seen.push(name);
    }
    assert!(
        seen.len() >= 8,
        "the storefront events are all there: {seen:?}"
    );
}

#[tokio::test]
async fn backoffice_events_run_through_the_lambda_adapter() {
    let stack = Stack::start().await;
    let store: Arc<dyn Store> = Arc::new(DynamoStore::new(stack.dynamodb().clone(), &stack.table));
    let desk = shop_core::app::bills::Bills {
        store: store.clone(),
        clock: Arc::new(SystemClock),
        queue: Arc::new(shop_core::adapters::memory_queue::InProcessQueue::default()),
    };
    let bills = Arc::new(shop_core::app::bill_admin::BillAdmin::new(desk));
    let products = Arc::new(shop_core::app::products::ProductAdmin {
        store: store.clone(),
        clock: Arc::new(SystemClock),
        lms: Arc::new(shop_core::adapters::moodle::MoodleClient::new(
            &stack.moodle_url,
            "test-moodle-token",
            std::time::Duration::from_secs(2),
        )),
    });
    let staff = Arc::new(shop_core::app::staff::StaffDesk {
        store: store.clone(),
        clock: Arc::new(SystemClock),
        lms: products.lms.clone(),
    });
    let router = backoffice::router(
        backoffice::Desks {
            customers: Arc::new(shop_core::app::customer_admin::CustomerAdmin {
                store: store.clone(),
                clock: Arc::new(SystemClock),
                moodle_url: None,
            }),
            exports: Arc::new(shop_core::app::exports::Exports {
                store: store.clone(),
            }),
            settings: Arc::new(shop_core::app::settings::SettingsAdmin::new(
                store.clone(),
                Arc::new(SystemClock),
            )),
            items: Arc::new(shop_core::app::items::ItemAdmin::new(
                store.clone(),
                Arc::new(SystemClock),
                products.lms.clone(),
            )),
            app: Arc::new(ShopAdmin::new(store)),
            bills,
            products,
            staff,
        },
        "test-admin-token",
    )
    .fallback(web::no_route);
    for (name, event) in events("backoffice") {
        let response = invoke(router.clone(), event).await;
        let status = response["statusCode"].as_u64().unwrap();
        match name.as_str() {
            "export-shop.json" => {
                assert_eq!(status, 200);
                assert_eq!(body(&response)["id"], "demo");
            }
            "export-shop-no-token.json" => assert_eq!(status, 401),
            "list-bills.json" => {
                assert_eq!(status, 200);
                assert!(body(&response)["bills"].is_array());
            }
            other => panic!("events/backoffice/{other} has no expectation in this test"),
        }
    }
}

#[test]
fn event_bodies_are_read_as_the_exact_bytes_sent() {
    let (_, event) = events("storefront")
        .into_iter()
        .find(|(n, _)| n == "put-line-base64.json")
        .unwrap();
    let request: LambdaRequest = serde_json::from_value(event).unwrap();
    let request: lambda_http::Request = request.into();
    match request.body() {
        Body::Binary(bytes) => assert_eq!(bytes.as_slice(), br#"{"quantity":2}"#),
        Body::Text(text) => assert_eq!(text, r#"{"quantity":2}"#),
        Body::Empty => panic!("body lost"),
        _ => panic!("unexpected body kind"),
    }
}

#[tokio::test]
async fn checkout_events_run_through_the_lambda_adapter() {
    let stack = Stack::start().await;
    let store = store_with_demo_and_cart(&stack).await;
    ready_cart(store.as_ref()).await;
    let desk = shop_core::app::bills::Bills {
        store,
        clock: Arc::new(SystemClock),
        queue: Arc::new(shop_core::adapters::memory_queue::InProcessQueue::default()),
    };
    let router = checkout::router(Arc::new(shop_core::app::checkout::Checkout::new(
        desk,
        shop_core::app::checkout::PaymentLinks {
            public_url: "https://shop.example".into(),
            api: Arc::new(shop_core::adapters::gateway_api::HttpGatewayApi::default()),
        },
    )))
    .fallback(web::no_route);
    let mut seen = 0;
    for (name, event) in events("checkout") {
        let response = invoke(router.clone(), event).await;
        let status = response["statusCode"].as_u64().unwrap();
        let json = body(&response);
        match name.as_str() {
            "place-order.json" => {
                assert_eq!(status, 201, "{json}");
                assert_eq!(json["status"], "PENDING");
                assert!(json["access_token"].is_string());
            }
            "place-order-not-ready.json" => assert_eq!(status, 422, "{json}"),
            "get-bill-without-token.json" => assert_eq!(status, 404),
            other => panic!("events/checkout/{other} has no expectation in this test"),
        }
        seen += 1;
    }
    assert_eq!(seen, 3);

    // The invoice through API Gateway: the PDF base64-encoded (API Gateway hands the bytes
    // back as sent), the HTML page as text.
    let placed = events("checkout")
        .into_iter()
        .find(|(name, _)| name == "place-order.json")
        .unwrap()
        .1;
    let placed = body(&invoke(router.clone(), placed).await);
    let (bill, token) = (
        placed["bill_id"].as_str().unwrap(),
        placed["access_token"].as_str().unwrap(),
    );
    let invoice = |format: &str| {
        let mut event: Value = serde_json::from_str(include_str!(
            "../../events/checkout/get-bill-without-token.json"
        ))
        .unwrap();
        let path = format!("/bills/{bill}/invoice");
        event["routeKey"] = "GET /bills/{bill}/invoice".into();
        event["rawPath"] = path.clone().into();
        event["rawQueryString"] = format!("format={format}").into();
        event["requestContext"]["http"]["path"] = path.into();
        event["pathParameters"]["bill"] = bill.into();
        event["headers"]["authorization"] = format!("Bearer {token}").into();
        event
    };
    let pdf = invoke(router.clone(), invoice("pdf")).await;
    assert_eq!(pdf["statusCode"], 200, "{pdf}");
    assert_eq!(pdf["isBase64Encoded"], true, "a PDF travels as base64");
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(pdf["body"].as_str().unwrap())
        .unwrap();
    assert!(bytes.starts_with(b"%PDF-"), "the PDF's own bytes");
    lopdf::Document::load_mem(&bytes).expect("a valid PDF");
    let html = invoke(router, invoice("html")).await;
    assert_eq!(html["statusCode"], 200, "{html}");
    assert_eq!(html["isBase64Encoded"], false);
    assert!(html["body"].as_str().unwrap().contains("<html"));
}

#[tokio::test]
async fn payment_notify_events_run_through_the_lambda_adapter() {
    let stack = Stack::start().await;
    let store = gateway_shop_with_bill(&stack).await;
    let desk = shop_core::app::bills::Bills {
        store: store.clone(),
        clock: Arc::new(SystemClock),
        queue: stack.queue.clone(),
    };
    let notifier = Arc::new(shop_core::app::notify::Notifier::new(
        desk.clone(),
        Arc::new(shop_core::adapters::gateway_api::HttpGatewayApi::default()),
    ));
    let router = payment_notify::router(notifier, "/bill").fallback(web::no_route);
    let mut seen = 0;
    for (name, event) in events("payment-notify") {
        let response = invoke(router.clone(), event).await;
        let status = response["statusCode"].as_u64().unwrap();
        let json = body(&response);
        match name.as_str() {
            "systempay-paid.json" => {
                assert_eq!(
                    (status, json["outcome"].as_str()),
                    (200, Some("applied")),
                    "{json}"
                );
                let bill = desk
                    .load(&FIXTURE_BILL.parse().unwrap())
                    .await
                    .unwrap()
                    .value;
                assert_eq!(bill.status, shop_core::domain::bill::BillStatus::Paid);
                assert_eq!(stack.queue.sent().len(), 1);
            }
            "ogone-forged.json" => {
                assert_eq!(status, 400);
                assert_eq!(json["code"], "invalid_signature");
            }
            "stripe-old-signature.json" => {
                assert_eq!(status, 400, "a signature older than 300 s: {json}");
                assert_eq!(json["code"], "invalid_signature");
            }
            "sips-return.json" => {
                assert_eq!(status, 303);
                let location = response["headers"]["location"].as_str().unwrap();
                assert_eq!(
                    location,
                    format!("/bill?shop=gw&payment=confirming&bill={FIXTURE_BILL}")
                );
            }
            other => panic!("events/payment-notify/{other} has no expectation in this test"),
        }
        seen += 1;
    }
    assert_eq!(seen, 4);
}

#[tokio::test]
async fn production_events_report_partial_batch_failures_in_fifo_order() {
    let stack = Stack::start().await;
    let store = production_bill(&stack).await;
    for (name, event) in events("production") {
        let response = production::handle_event(&stack.producer, Some(&stack.postman), event)
            .await
            .expect("handled");
        let failed: Vec<&str> = response["batchItemFailures"]
            .as_array()
            .map(|f| {
                f.iter()
                    .map(|f| f["itemIdentifier"].as_str().unwrap())
                    .collect()
            })
            .unwrap_or_default();
        match name.as_str() {
            "scheduled-relay.json" => assert_eq!(
                response,
                serde_json::json!({"relayed": 0, "requeued": 0, "mailed": 1}),
                "a schedule relays the outbox (empty here) and sends the messages due: the \
                 delivery message of the bill the batch before it completed"
            ),
            "batch-with-a-poison-message.json" => {
                assert_eq!(
                    failed,
                    [
                        "2e1424d4-f796-459a-8184-9c92662be6da",
                        "7d1c6a1e-5b2f-4f0e-9d7a-1c2b3a4d5e6f"
                    ],
                    "the poison message and everything after it"
                );
                let done = shop_core::app::bills::find_bill(
                    store.as_ref(),
                    &"261122FIXTURE0000002".parse().unwrap(),
                )
                .await
                .unwrap()
                .unwrap();
                assert_eq!(
                    done.value.status,
                    shop_core::domain::bill::BillStatus::Complete
                );
                let ada = stack.moodle.user_by_email("ada@example.org").unwrap();
                let e = stack.moodle.enrolment(ada.id, 3).unwrap();
                assert_eq!(e.timeend - e.timestart, 30 * 86_400 + 100);
            }
            other => panic!("events/production/{other} has no expectation in this test"),
        }
    }
    let json = serde_json::to_value(
        production::handle_batch(
            &stack.producer,
            serde_json::from_value(serde_json::json!({"Records": []})).unwrap(),
        )
        .await,
    )
    .unwrap();
    assert_eq!(
        json,
        serde_json::json!({"batchItemFailures": []}),
        "the response shape Lambda expects"
    );
}
