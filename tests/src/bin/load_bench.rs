//! Benchmark: the local stack (`shopctl serve`'s routers on the embedded store) under load, 50
//! concurrent clients, next to a hello-world axum route served by the same process in the same
//! run: the catalogue's first page, adding a line, placing an order, and a gateway's signed
//! notification paying the bill. N requests a route (default 2,000); requests/s, p50 and p99.
//!
//! `cargo run --release -p enrolshop-tests --bin load_bench -- [N]`

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use enrolshop_tests::{Stack, purchase};
use serde_json::json;

const CLIENTS: usize = 50;

/// What one route did under load.
struct Figures {
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Figures {
    fn per_second(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }

    fn percentile(&self, p: f64) -> Duration {
        let at = ((self.latencies.len() as f64 * p).ceil() as usize).saturating_sub(1);
        self.latencies[at.min(self.latencies.len() - 1)]
    }
}

/// `total` calls of `call(i)` by [`CLIENTS`] concurrent clients (tasks of the multi-thread
/// runtime), each timing its own calls.
async fn load<F, Fut>(total: usize, call: F) -> Figures
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send,
{
    let call = Arc::new(call);
    let started = Instant::now();
    let mut latencies = prepare(total, move |i| {
        let call = call.clone();
        async move {
            let t = Instant::now();
            call(i).await;
            t.elapsed()
        }
    })
    .await;
    let elapsed = started.elapsed();
    latencies.sort();
    Figures { elapsed, latencies }
}

/// `total` calls made [`CLIENTS`] at a time (client `c` makes calls `c`, `c + CLIENTS`, ...):
/// their results in call order.
async fn prepare<T, F, Fut>(total: usize, call: F) -> Vec<T>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = T> + Send,
{
    let call = Arc::new(call);
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let call = call.clone();
            tokio::spawn(async move {
                let mut out = Vec::new();
                for i in (c..total).step_by(CLIENTS) {
                    out.push((i, call(i).await));
                }
                out
            })
        })
        .collect();
    let mut all = Vec::with_capacity(total);
    for client in clients {
        all.extend(client.await.expect("a client finished"));
    }
    all.sort_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, t)| t).collect()
}

/// Sends `request` and reads its whole answer, which must have `status` (the clients do no
/// more than that, so that they cost the same on every route).
async fn answer(request: reqwest::RequestBuilder, status: u16) -> bytes::Bytes {
    let reply = request.send().await.expect("the stack answers");
    let got = reply.status().as_u16();
    let body = reply.bytes().await.expect("a whole answer");
    assert_eq!(got, status, "{}", String::from_utf8_lossy(&body));
    body
}

/// A hello-world axum route on its own port of this process: its URL.
async fn hello_world() -> String {
    let app = axum::Router::new().route("/hello", axum::routing::get(|| async { "Hello, world!" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hello", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

/// A cart of the bench shop holding the bench item, with its buyer: ready to place.
async fn ready_cart(stack: &Stack, n: usize) -> String {
    let cart = stack.new_cart_in("bench").await;
    let line = stack
        .put(
            &format!("/carts/{cart}/lines/{}", purchase::ITEM),
            json!({"quantity": 1}),
        )
        .await;
    assert_eq!(line.status, 200, "{}", line.body);
    let buyer = stack
        .put(&format!("/carts/{cart}/customer"), purchase::customer(n))
        .await;
    assert_eq!(buyer.body["next_step"], "order", "{}", buyer.body);
    cart
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let total: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2000);
    let stack = Arc::new(Stack::start_embedded().await);
    assert_eq!(
        purchase::import(&stack, "bench", &purchase::shop(20)).await,
        201
    );
    let hello = Arc::new(hello_world().await);
    let http = stack.http.clone();

    // Untimed: the 50 clients' connections are opened here, not in the first timed route.
    let warm = (http.clone(), hello.clone());
    load(total, move |_| {
        let (http, hello) = (warm.0.clone(), warm.1.clone());
        async move {
            answer(http.get(hello.as_str()), 200).await;
        }
    })
    .await;
    let hello_figures = load(total, move |_| {
        let (http, hello) = (http.clone(), hello.clone());
        async move {
            answer(http.get(hello.as_str()), 200).await;
        }
    })
    .await;

    let s = stack.clone();
    let catalogue = load(total, move |_| {
        let s = s.clone();
        async move {
            answer(s.http.get(s.url("/shops/bench/catalog")), 200).await;
        }
    })
    .await;

    let s = stack.clone();
    let carts = Arc::new(
        prepare(CLIENTS, move |_| {
            let s = s.clone();
            async move { s.new_cart_in("bench").await }
        })
        .await,
    );
    let s = stack.clone();
    let add_line = load(total, move |i| {
        let (s, carts) = (s.clone(), carts.clone());
        async move {
            let path = format!("/carts/{}/lines/{}", carts[i % CLIENTS], purchase::ITEM);
            let line = json!({"quantity": 1 + i % 3});
            answer(s.http.put(s.url(&path)).json(&line), 200).await;
        }
    })
    .await;

    let s = stack.clone();
    let ready = Arc::new(
        prepare(total, move |n| {
            let s = s.clone();
            async move { ready_cart(&s, n).await }
        })
        .await,
    );
    let s = stack.clone();
    let bills = Arc::new(std::sync::Mutex::new(vec![String::new(); total]));
    let placed = bills.clone();
    let placement = load(total, move |i| {
        let (s, ready, placed) = (s.clone(), ready.clone(), placed.clone());
        async move {
            let path = format!("/carts/{}/order", ready[i]);
            let body = answer(s.http.post(s.url(&path)).json(&purchase::order()), 201).await;
            let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
            placed.lock().unwrap()[i] = body["bill_id"].as_str().unwrap().to_owned();
        }
    })
    .await;

    let s = stack.clone();
    let notification = load(total, move |i| {
        let (s, bills) = (s.clone(), bills.clone());
        async move {
            let bill = bills.lock().unwrap()[i].clone();
            let body = purchase::notification(&bill, "14400", &format!("uuid-{i}"));
            let notify = s
                .http
                .post(s.url("/shops/bench/notify/systempay"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body);
            let text = answer(notify, 200).await;
            assert!(String::from_utf8_lossy(&text).contains("applied"));
        }
    })
    .await;

    let base = hello_figures.per_second();
    println!(
        "{total} requests a route, {CLIENTS} concurrent clients, server and clients in one process:"
    );
    println!("| route | requests/s | p50 | p99 | requests/s ÷ hello-world |");
    println!("|---|---|---|---|---|");
    for (name, f) in [
        ("hello-world axum route (`GET /hello`)", &hello_figures),
        (
            "catalogue, first page (`GET /shops/{shop}/catalog`, 20 items)",
            &catalogue,
        ),
        ("add a line (`PUT /carts/{cart}/lines/{code}`)", &add_line),
        (
            "place an order (`POST /carts/{cart}/order`, Systempay)",
            &placement,
        ),
        (
            "gateway notification (`POST /shops/{shop}/notify/systempay`, signed, pays the bill)",
            &notification,
        ),
    ] {
        println!(
            "| {name} | {:.0} | {} | {} | {:.2} |",
            f.per_second(),
            ms(f.percentile(0.50)),
            ms(f.percentile(0.99)),
            f.per_second() / base
        );
    }
}
