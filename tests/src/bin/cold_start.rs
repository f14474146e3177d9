//! Cold-start benchmark: each function's binary (and a hello-world `lambda_http` baseline built
//! with the same profile) started again and again against the local Runtime API; per start,
//! the time from process start to its first `invocation/next` (init) and to its first answer.
//!
//! `cargo build --release --bins && cargo run --release -p enrolshop-tests --bin cold_start [-- STARTS [FUNCTION@TRIAL=BINARY ...]]`
//! (default 21 starts). DynamoDB is moto (started here), Moodle the simulator. Each
//! `FUNCTION@TRIAL=BINARY[,VAR=VALUE...]` adds a variant of a function's binary (another
//! profile, another runtime, more environment) measured in the same run, with the function's
//! event and environment.

use std::time::{Duration, Instant};

use enrolshop_tests::fixtures::events;
use enrolshop_tests::runtime::{FunctionProcess, Outcome, RuntimeApi, function_binary, lambda_env};

/// A function and the event of its first invocation (a cheap one: at most one store read).
const FUNCTIONS: [(&str, Option<(&str, &str)>); 7] = [
    ("hello-lambda", None),
    ("storefront", Some(("storefront", "get-unknown-cart.json"))),
    (
        "checkout",
        Some(("checkout", "get-bill-without-token.json")),
    ),
    (
        "payment-notify",
        Some(("payment-notify", "sips-return.json")),
    ),
    (
        "backoffice",
        Some(("backoffice", "export-shop-no-token.json")),
    ),
    ("account", Some(("account", "bills-without-session.json"))),
    ("production", Some(("production", "scheduled-relay.json"))),
];

/// A binary to start, as which function, with what more in its environment.
struct Run {
    label: String,
    function: String,
    binary: std::path::PathBuf,
    env: Vec<(String, String)>,
}

/// `FUNCTION@TRIAL=BINARY[,VAR=VALUE...]`.
fn trial(arg: &str) -> Run {
    let (label, rest) = arg.split_once('=').expect("FUNCTION@TRIAL=BINARY");
    let mut parts = rest.split(',');
    let binary = parts.next().expect("a binary").into();
    let env = parts
        .map(|p| p.split_once('=').expect("VAR=VALUE"))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    Run {
        label: label.to_owned(),
        function: label.split('@').next().unwrap_or(label).to_owned(),
        binary,
        env,
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

#[tokio::main]
async fn main() {
    let starts: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(21);
    let sim = moodle_sim::Simulator::new("bench-token");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let moodle = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(sim.serve(listener));
    let config = shop_core::adapters::dynamo::sdk_config(Some(moto_harness::endpoint())).await;
    let client = aws_sdk_dynamodb::Client::new(&config);
    let table = moto_harness::unique_name("cold");
    shop_core::adapters::dynamo::ensure_table(&client, &table)
        .await
        .unwrap();
    let hello_event = events("storefront")
        .into_iter()
        .find(|(n, _)| n == "get-unknown-cart.json")
        .unwrap()
        .1;

    println!("| function | init (median ms) | first answer (median ms) | init ÷ hello-world |");
    println!("|---|---|---|---|");
    let mut baseline = None;
    let trials: Vec<Run> = std::env::args().skip(2).map(|arg| trial(&arg)).collect();
    let runs = FUNCTIONS
        .iter()
        .map(|(f, _)| Run {
            label: f.to_string(),
            function: f.to_string(),
            binary: function_binary(f),
            env: Vec::new(),
        })
        .chain(trials);
    for Run {
        label,
        function,
        binary,
        env: extra,
    } in runs
    {
        let function = function.as_str();
        let event = match FUNCTIONS.iter().find(|(f, _)| *f == function) {
            Some((_, Some((dir, name)))) => {
                events(dir).into_iter().find(|(n, _)| n == name).unwrap().1
            }
            _ => hello_event.clone(),
        };
        let (mut inits, mut firsts) = (Vec::new(), Vec::new());
        for _ in 0..starts {
            let api = RuntimeApi::start().await;
            let mut env = lambda_env(function, &api.addr);
            for (k, v) in [
                ("TABLE_NAME", table.as_str()),
                ("DYNAMODB_ENDPOINT", moto_harness::endpoint()),
                ("MOODLE_URL", moodle.as_str()),
                ("MOODLE_TOKEN", "bench-token"),
                ("ADMIN_TOKEN", "bench-admin-token"),
            ] {
                env.push((k.to_owned(), v.to_owned()));
            }
            env.extend(extra.iter().cloned());
            let process = FunctionProcess::spawn(&binary, &env);
            let answer = tokio::time::timeout(Duration::from_secs(30), api.invoke(event.clone()))
                .await
                .expect("an answer");
            let answered = Instant::now();
            assert!(
                matches!(answer, Outcome::Response(_)),
                "{function}: {answer:?}"
            );
            let init = api.first_next().expect("asked for an event") - process.started;
            inits.push(init.as_secs_f64() * 1000.0);
            firsts.push((answered - process.started).as_secs_f64() * 1000.0);
            drop(process);
        }
        let (init, first) = (median(inits), median(firsts));
        let base = *baseline.get_or_insert(init);
        println!("| {label} | {init:.1} | {first:.1} | {:.2} |", init / base);
    }
    println!(
        "\n{starts} starts per function, medians; init = process start → first `invocation/next`."
    );
}
