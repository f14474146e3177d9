//! Benchmark: how many production messages per second the local consumer sustains against the
//! Moodle simulator, for N one-line paid bills (default 1,000) on the embedded store.
//!
//! `cargo run --release -p enrolshop-tests --bin consumer_bench -- [N]`

use std::time::Instant;

use enrolshop_tests::Stack;
use serde_json::json;
use shop_core::app::production::Produced;

#[tokio::main]
async fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1000);
    let stack = Stack::start_embedded().await;
    let setup = Instant::now();
    for i in 0..n {
        let cart = stack.new_cart().await;
        stack
            .put(
                &format!("/carts/{cart}/lines/EXCEL-ESS"),
                json!({"quantity": 1}),
            )
            .await;
        let customer = json!({"customer": {"firstname": "Buyer", "lastname": format!("N{i}"), "email": format!("buyer{i}@example.org"),
            "address": "1 St", "zip": "1", "city": "Paris", "country": "FR"}});
        stack
            .put(&format!("/carts/{cart}/customer"), customer)
            .await;
        stack.place_and_pay(&cart).await;
    }
    eprintln!(
        "{n} paid bills set up in {:.1} s",
        setup.elapsed().as_secs_f64()
    );
    let calls_before = stack.moodle.calls().len();
    let started = Instant::now();
    let outcomes = stack.produce_all().await;
    let elapsed = started.elapsed().as_secs_f64();
    let complete = outcomes
        .iter()
        .filter(|o| matches!(o, Ok(Produced::Complete)))
        .count();
    assert_eq!(complete, n, "every bill produced");
    let calls = stack.moodle.calls().len() - calls_before;
    println!(
        "{n} messages in {elapsed:.2} s: {:.0} messages/s, {:.1} Moodle calls per message",
        n as f64 / elapsed,
        calls as f64 / n as f64
    );
}
