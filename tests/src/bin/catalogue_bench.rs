//! Benchmark: catalogues of any size on the local stack (embedded store), measured side by side
//! in one run: a shop of 20 items and one of N (default 10,000). The import of the large one
//! (one document, atomic), then medians of 31 calls of an add-line and of the buyer's first
//! catalogue page on each.
//!
//! `cargo run --release -p enrolshop-tests --bin catalogue_bench -- [N]`

use std::time::{Duration, Instant};

use enrolshop_tests::purchase::shop;
use enrolshop_tests::{ADMIN_TOKEN, Stack};
use reqwest::Method;
use serde_json::{Value, json};

async fn import(stack: &Stack, shop: &str, doc: &Value) -> (Duration, usize) {
    let body = doc.to_string();
    let bytes = body.len();
    let started = Instant::now();
    let reply = stack
        .http
        .put(stack.url(&format!("/admin/shops/{shop}")))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = reply.status();
    assert!(status.is_success(), "{}", reply.text().await.unwrap());
    (started.elapsed(), bytes)
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

async fn add_line(stack: &Stack, shop: &str) -> Duration {
    let cart = stack.new_cart_in(shop).await;
    stack
        .put(
            &format!("/carts/{cart}/lines/C00001"),
            json!({"quantity": 1}),
        )
        .await;
    let mut times = Vec::new();
    for i in 0..31 {
        let started = Instant::now();
        let reply = stack
            .put(
                &format!("/carts/{cart}/lines/C00007"),
                json!({"quantity": 1 + i % 3}),
            )
            .await;
        times.push(started.elapsed());
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    median(times)
}

async fn first_page(stack: &Stack, shop: &str, items: usize) -> Duration {
    let mut times = Vec::new();
    for _ in 0..31 {
        let started = Instant::now();
        let reply = stack
            .send(Method::GET, &format!("/shops/{shop}/catalog"), None)
            .await;
        times.push(started.elapsed());
        assert_eq!(reply.status, 200, "{}", reply.body);
        let page = reply.body["items"].as_array().unwrap().len();
        assert_eq!(page, items.min(50), "a full first page");
    }
    median(times)
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    let stack = Stack::start_embedded().await;
    let (small_import, small_bytes) = import(&stack, "small", &shop(20)).await;
    let (large_import, large_bytes) = import(&stack, "large", &shop(n)).await;
    let (again, _) = import(&stack, "large", &shop(n)).await;
    let small_add = add_line(&stack, "small").await;
    let large_add = add_line(&stack, "large").await;
    let small_page = first_page(&stack, "small", 20).await;
    let large_page = first_page(&stack, "large", n).await;
    println!("| what | 20 items | {n} items | ratio |");
    println!("|---|---|---|---|");
    println!(
        "| import (`PUT /admin/shops/{{shop}}`, one document) | {} ({:.0} KB) | {} ({:.1} MB); replacing it {} | |",
        ms(small_import),
        small_bytes as f64 / 1024.0,
        ms(large_import),
        large_bytes as f64 / 1_048_576.0,
        ms(again)
    );
    println!(
        "| add a line (`PUT /carts/{{cart}}/lines/{{code}}`), median of 31 | {} | {} | {:.2} × |",
        ms(small_add),
        ms(large_add),
        large_add.as_secs_f64() / small_add.as_secs_f64()
    );
    println!(
        "| the buyer's first catalogue page (`GET /shops/{{shop}}/catalog`), median of 31 | {} | {} | {:.2} × |",
        ms(small_page),
        ms(large_page),
        large_page.as_secs_f64() / small_page.as_secs_f64()
    );
}
