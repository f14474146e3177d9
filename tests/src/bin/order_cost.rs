//! What an order costs on AWS: drives typical purchases through the test stack (DynamoDB and
//! SQS on moto, the Moodle simulator) for a shop of 20 items and one of 2,000 side by side in one
//! run, counts what AWS would charge (API Gateway requests, Lambda invocations and their billed
//! milliseconds, DynamoDB read and write units, SQS requests, messages sent), and prints the
//! cost per 1,000 orders at public on-demand prices (`cost::prices`).
//!
//! A purchase: the catalogue's first page, a new cart, one line, the cart, the buyer's details,
//! placement (Systempay), the gateway's signed notification, the buyer's return from the
//! gateway, the bill page, production from the SQS queue into Moodle, the scheduled run that
//! sends the messages, and the bill page twice more (until it shows the course link).
//!
//! `cargo run --release -p enrolshop-tests --bin order_cost -- [ORDERS]` (default 20 a shop)

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use enrolshop_tests::cost::{CapacityMeter, PRICES_DATE, SqsMeter, latency, prices};
use enrolshop_tests::{Stack, purchase, sqs_event};
use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};
use shop_core::adapters::sqs::{self, SqsQueue};

/// What the purchases of one shop used, in total.
#[derive(Default)]
struct Usage {
    orders: usize,
    api_requests: usize,
    /// Invocations and billed milliseconds (each invocation rounded up to 1 ms), by function.
    lambda: BTreeMap<&'static str, (usize, u64)>,
    /// Billed milliseconds of the scheduled runs that sent the orders' messages (their
    /// invocations are the schedule's, counted in the fixed costs).
    scheduled_ms: u64,
    read_units: f64,
    write_units: f64,
    dynamodb_requests: BTreeMap<String, usize>,
    sqs_requests: BTreeMap<String, usize>,
    messages: usize,
}

struct Run {
    stack: Stack,
    meter: CapacityMeter,
    sqs_meter: SqsMeter,
    sqs: aws_sdk_sqs::Client,
    queue: String,
}

/// What the test stack's outside services had done at one moment.
struct Outside {
    at: Instant,
    waited: Duration,
    dynamodb: BTreeMap<String, usize>,
    sqs: usize,
    moodle: usize,
    mails: usize,
}

impl Run {
    fn outside(&self) -> Outside {
        Outside {
            at: Instant::now(),
            waited: self.meter.waited() + self.sqs_meter.waited(),
            dynamodb: self.meter.requests(),
            sqs: self.sqs_meter.requests().values().sum(),
            moodle: self.stack.moodle.calls().len(),
            mails: self.stack.catcher.list().len(),
        }
    }

    /// The milliseconds AWS would bill for the work done since `before`: the function's own
    /// time (the elapsed time less the time spent waiting for moto), plus each outside call at
    /// its `latency` in AWS's region; rounded up to 1 ms.
    fn billed_ms(&self, before: &Outside) -> u64 {
        let now = self.outside();
        let own = (now.at - before.at).saturating_sub(now.waited - before.waited);
        let mut ms = own.as_secs_f64() * 1000.0;
        for (op, n) in &now.dynamodb {
            let n = n - before.dynamodb.get(op).copied().unwrap_or(0);
            let each = if op.starts_with("Transact") {
                latency::TRANSACTION_MS
            } else {
                latency::DYNAMODB_MS
            };
            ms += n as f64 * each;
        }
        ms += (now.sqs - before.sqs) as f64 * latency::SQS_MS;
        ms += (now.moodle - before.moodle) as f64 * latency::MOODLE_MS;
        ms += (now.mails - before.mails) as f64 * latency::SES_MS;
        ms.ceil() as u64
    }

    async fn start() -> Self {
        let config = shop_core::adapters::aws::sdk_config(Some(moto_harness::endpoint()));
        let sqs_meter = SqsMeter::default();
        let sqs = aws_sdk_sqs::Client::from_conf(
            aws_sdk_sqs::config::Builder::from(&config)
                .interceptor(sqs_meter.clone())
                .build(),
        );
        let queues = sqs::ensure_queues(&sqs, &moto_harness::unique_name("cost"), 360)
            .await
            .expect("queues");
        let meter = CapacityMeter::default();
        let jobs = Arc::new(SqsQueue::new(sqs.clone(), &queues.queue));
        let stack = Stack::start_metered(meter.clone(), jobs).await;
        Self {
            stack,
            meter,
            sqs_meter,
            sqs,
            queue: queues.queue,
        }
    }

    /// One API request through `function`: its answer, which must have `status`.
    async fn call(
        &self,
        usage: &mut Usage,
        function: &'static str,
        request: RequestBuilder,
        status: u16,
    ) -> Value {
        let before = self.outside();
        let reply = request.send().await.expect("the stack answers");
        let got = reply.status().as_u16();
        let body = reply.bytes().await.expect("an answer");
        let ms = self.billed_ms(&before);
        if std::env::var_os("COST_TRACE").is_some() {
            eprintln!("{function} {got} {ms} ms");
        }
        assert_eq!(got, status, "{}", String::from_utf8_lossy(&body));
        usage.api_requests += 1;
        let entry = usage.lambda.entry(function).or_default();
        entry.0 += 1;
        entry.1 += ms;
        serde_json::from_slice(&body).unwrap_or(Value::Null)
    }

    fn http(&self, method: Method, path: &str) -> RequestBuilder {
        self.stack.http.request(method, self.stack.url(path))
    }

    /// The production function's SQS invocation: a batch received (by Lambda's poller),
    /// handled, and its handled messages deleted (by the poller).
    async fn produce(&self, usage: &mut Usage) {
        let received = self
            .sqs
            .receive_message()
            .queue_url(&self.queue)
            .max_number_of_messages(10)
            .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::All)
            .send()
            .await
            .expect("received");
        let messages = received.messages.unwrap_or_default();
        assert_eq!(messages.len(), 1, "one production job an order");
        let before = self.outside();
        let response = production::handle_batch(&self.stack.producer, sqs_event(&messages)).await;
        let ms = self.billed_ms(&before);
        assert!(response.batch_item_failures.is_empty(), "production failed");
        let entry = usage.lambda.entry("production").or_default();
        entry.0 += 1;
        entry.1 += ms;
        for m in &messages {
            self.sqs
                .delete_message()
                .queue_url(&self.queue)
                .receipt_handle(m.receipt_handle().unwrap())
                .send()
                .await
                .expect("deleted");
        }
    }

    /// The production function's scheduled run (outbox relay, messages due): its billed ms.
    async fn scheduled(&self) -> u64 {
        let before = self.outside();
        production::handle_event(
            &self.stack.producer,
            Some(self.stack.postman.as_ref()),
            json!({}),
        )
        .await
        .expect("the scheduled run");
        self.billed_ms(&before)
    }

    async fn purchase(&self, shop: &str, n: usize, usage: &mut Usage) {
        let u = usage;
        self.call(
            u,
            "storefront",
            self.http(Method::GET, &format!("/shops/{shop}/catalog")),
            200,
        )
        .await;
        let cart = self
            .call(
                u,
                "storefront",
                self.http(Method::POST, &format!("/shops/{shop}/carts")),
                201,
            )
            .await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let line = json!({"quantity": 1});
        let path = format!("/carts/{cart}/lines/{}", purchase::ITEM);
        self.call(
            u,
            "storefront",
            self.http(Method::PUT, &path).json(&line),
            200,
        )
        .await;
        self.call(
            u,
            "storefront",
            self.http(Method::GET, &format!("/carts/{cart}")),
            200,
        )
        .await;
        let buyer = purchase::customer(n);
        let path = format!("/carts/{cart}/customer");
        self.call(
            u,
            "storefront",
            self.http(Method::PUT, &path).json(&buyer),
            200,
        )
        .await;
        let path = format!("/carts/{cart}/order");
        let placed = self
            .call(
                u,
                "checkout",
                self.http(Method::POST, &path).json(&purchase::order()),
                201,
            )
            .await;
        let bill = placed["bill_id"].as_str().unwrap().to_owned();
        let token = placed["access_token"].as_str().unwrap().to_owned();
        let note = purchase::notification(&bill, "14400", &format!("uuid-{shop}-{n}"));
        let notify = self
            .http(Method::POST, &format!("/shops/{shop}/notify/systempay"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(note);
        let outcome = self.call(u, "payment-notify", notify, 200).await;
        assert_eq!(outcome["outcome"], "applied", "{outcome}");
        let back = format!("/shops/{shop}/return/systempay?bill={bill}");
        self.call(u, "payment-notify", self.http(Method::GET, &back), 303)
            .await;
        let view = format!("/bills/{bill}");
        self.call(
            u,
            "checkout",
            self.http(Method::GET, &view).bearer_auth(&token),
            200,
        )
        .await;
        self.produce(u).await;
        let before = self.stack.catcher.list().len();
        u.scheduled_ms += self.scheduled().await;
        u.messages += self.stack.catcher.list().len() - before;
        self.call(
            u,
            "checkout",
            self.http(Method::GET, &view).bearer_auth(&token),
            200,
        )
        .await;
        let done = self
            .call(
                u,
                "checkout",
                self.http(Method::GET, &view).bearer_auth(&token),
                200,
            )
            .await;
        assert_eq!(done["status"], "COMPLETE", "{done}");
        u.orders += 1;
    }

    async fn usage(&self, shop: &str, orders: usize, first: usize) -> Usage {
        self.meter.reset();
        self.sqs_meter.reset();
        let mut usage = Usage::default();
        for n in first..first + orders {
            self.purchase(shop, n, &mut usage).await;
        }
        let units = self.meter.units();
        usage.read_units = units.read;
        usage.write_units = units.write;
        usage.dynamodb_requests = self.meter.requests();
        usage.sqs_requests = self.sqs_meter.requests();
        usage
    }
}

/// The cost lines of one shop's usage, per 1,000 orders, in dollars: (what, per order, cost).
fn lines(u: &Usage) -> Vec<(String, String, f64)> {
    let per = |x: f64| x / u.orders as f64;
    let thousand = 1000.0 / u.orders as f64;
    let invocations: usize = u.lambda.values().map(|(n, _)| n).sum();
    let ms: u64 = u.lambda.values().map(|(_, ms)| ms).sum::<u64>() + u.scheduled_ms;
    let gb_seconds = ms as f64 / 1000.0 * prices::LAMBDA_MEMORY_GB;
    let sqs: usize = u.sqs_requests.values().sum();
    let by_function = u
        .lambda
        .iter()
        .map(|(f, (n, ms))| format!("{f} {} × {:.0} ms", per(*n as f64), *ms as f64 / *n as f64))
        .collect::<Vec<_>>()
        .join(", ");
    let listed = |m: &BTreeMap<String, usize>| {
        m.iter()
            .map(|(op, n)| format!("{op} {}", per(*n as f64)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    vec![
        (
            "API Gateway (HTTP API) requests".into(),
            format!("{}", per(u.api_requests as f64)),
            u.api_requests as f64 * thousand * prices::HTTP_API_MILLION / 1e6,
        ),
        (
            format!("Lambda invocations ({by_function})"),
            format!("{}", per(invocations as f64)),
            invocations as f64 * thousand * prices::LAMBDA_REQUEST_MILLION / 1e6,
        ),
        (
            "Lambda duration, billed ms at 256 MB arm64 (scheduled sending included)".into(),
            format!("{:.0} ms", per(ms as f64)),
            gb_seconds * thousand * prices::LAMBDA_ARM_GB_SECOND,
        ),
        (
            format!(
                "DynamoDB read units ({})",
                listed(&read_ops(&u.dynamodb_requests))
            ),
            format!("{:.1}", per(u.read_units)),
            u.read_units * thousand * prices::DYNAMODB_READ_MILLION / 1e6,
        ),
        (
            format!(
                "DynamoDB write units ({})",
                listed(&write_ops(&u.dynamodb_requests))
            ),
            format!("{:.1}", per(u.write_units)),
            u.write_units * thousand * prices::DYNAMODB_WRITE_MILLION / 1e6,
        ),
        (
            format!("SQS FIFO requests ({})", listed(&u.sqs_requests)),
            format!("{}", per(sqs as f64)),
            sqs as f64 * thousand * prices::SQS_FIFO_MILLION / 1e6,
        ),
    ]
}

fn read_ops(all: &BTreeMap<String, usize>) -> BTreeMap<String, usize> {
    let reads = ["GetItem", "BatchGetItem", "Query", "Scan"];
    all.iter()
        .filter(|(op, _)| reads.contains(&op.as_str()))
        .map(|(op, n)| (op.clone(), *n))
        .collect()
}

fn write_ops(all: &BTreeMap<String, usize>) -> BTreeMap<String, usize> {
    let reads = read_ops(all);
    all.iter()
        .filter(|(op, _)| !reads.contains_key(*op))
        .map(|(op, n)| (op.clone(), *n))
        .collect()
}

#[tokio::main]
async fn main() {
    let orders: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20);
    let run = Run::start().await;
    for (shop, items) in [("small", 20), ("large", 2000)] {
        let status = purchase::import(&run.stack, shop, &purchase::shop(items)).await;
        assert_eq!(status, 201, "the {items}-item shop imports");
    }
    // One purchase on each first, unmeasured: the processes' first requests (connections,
    // lazily built clients) are a cold start's, not an order's.
    run.usage("small", 1, 0).await;
    run.usage("large", 1, 0).await;
    let small = run.usage("small", orders, 1).await;
    let large = run.usage("large", orders, 1).await;
    // The schedule's own cost: a run with nothing to send, every minute of a 30-day month.
    run.meter.reset();
    let idle_ms = run.scheduled().await;
    let idle = run.meter.units();

    println!(
        "{orders} orders a shop; prices: US East on-demand, read {PRICES_DATE}; per order and per 1,000 orders:"
    );
    println!(
        "| what | 20 items: per order | 20 items: per 1,000 orders | 2,000 items: per order | 2,000 items: per 1,000 orders |"
    );
    println!("|---|---|---|---|---|");
    let (a, b) = (lines(&small), lines(&large));
    for ((what, per_a, cost_a), (_, per_b, cost_b)) in a.iter().zip(&b) {
        println!("| {what} | {per_a} | ${cost_a:.4} | {per_b} | ${cost_b:.4} |");
    }
    let total = |l: &[(String, String, f64)]| l.iter().map(|(_, _, c)| c).sum::<f64>();
    println!(
        "| **AWS, per 1,000 orders** | | **${:.4}** | | **${:.4}** |",
        total(&a),
        total(&b)
    );
    let mails = |u: &Usage| u.messages as f64 / u.orders as f64;
    println!(
        "| messages sent (SES, ${:.2} per 1,000) | {} | ${:.4} | {} | ${:.4} |",
        prices::SES_MESSAGE * 1000.0,
        mails(&small),
        mails(&small) * 1000.0 * prices::SES_MESSAGE,
        mails(&large),
        mails(&large) * 1000.0 * prices::SES_MESSAGE
    );
    let minutes = 30.0 * 24.0 * 60.0;
    let fixed = minutes
        * (prices::LAMBDA_REQUEST_MILLION / 1e6
            + idle_ms as f64 / 1000.0 * prices::LAMBDA_MEMORY_GB * prices::LAMBDA_ARM_GB_SECOND
            + idle.read * prices::DYNAMODB_READ_MILLION / 1e6);
    println!(
        "Fixed, whatever the orders: the scheduled run every minute ({idle_ms} ms and {} read units when idle) ${fixed:.3} a month.",
        idle.read
    );
}
