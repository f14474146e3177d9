//! Benchmark: the back office's routes on the local stack (embedded store) as the shop grows,
//! measured side by side at 100 bills and at N bills (default 10,000): medians of 31 calls.
//!
//! `cargo run --release -p enrolshop-tests --bin desk_bench -- [N]`

use std::time::{Duration, Instant};

use enrolshop_tests::{ADMIN_TOKEN, Stack};
use reqwest::Method;
use serde_json::json;

const ROUTES: [(&str, &str); 5] = [
    ("bills desk, first page", "/admin/shops/demo/bills"),
    (
        "bills desk, a status",
        "/admin/shops/demo/bills?status=PAID",
    ),
    ("dashboard figures (30 days)", "/admin/shops/demo/stats"),
    ("bills by status", "/admin/shops/demo/bills/counts"),
    ("customers, first page", "/admin/shops/demo/customers"),
];

async fn add_bills(stack: &Stack, from: usize, to: usize) {
    for i in from..to {
        let cart = stack.new_cart().await;
        stack
            .put(
                &format!("/carts/{cart}/lines/GUIDE-BOOK"),
                json!({"quantity": 1}),
            )
            .await;
        let customer = json!({"customer": {"firstname": "Buyer", "lastname": format!("N{i:05}"), "email": format!("buyer{i}@example.org"),
            "address": "1 St", "zip": "1", "city": "Paris", "country": "FR"}});
        stack
            .put(&format!("/carts/{cart}/customer"), customer)
            .await;
        stack.place_and_pay(&cart).await;
    }
}

async fn median(stack: &Stack, path: &str) -> Duration {
    let mut times = Vec::new();
    for _ in 0..31 {
        let started = Instant::now();
        let reply = stack.with_token(Method::GET, path, ADMIN_TOKEN, None).await;
        times.push(started.elapsed());
        assert_eq!(reply.status, 200, "{path}: {}", reply.body);
    }
    times.sort();
    times[15]
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    let stack = Stack::start_embedded().await;
    add_bills(&stack, 0, 100).await;
    let mut small = Vec::new();
    for (_, path) in ROUTES {
        small.push(median(&stack, path).await);
    }
    let setup = Instant::now();
    add_bills(&stack, 100, n).await;
    eprintln!(
        "{} more paid bills in {:.0} s",
        n - 100,
        setup.elapsed().as_secs_f64()
    );
    println!("| route | 100 bills | {n} bills | ratio |");
    println!("|---|---|---|---|");
    for ((name, path), at_100) in ROUTES.iter().zip(small) {
        let at_n = median(&stack, path).await;
        println!(
            "| {name} (`{path}`) | {:.1} ms | {:.1} ms | {:.1} × |",
            at_100.as_secs_f64() * 1000.0,
            at_n.as_secs_f64() * 1000.0,
            at_n.as_secs_f64() / at_100.as_secs_f64()
        );
    }
}
