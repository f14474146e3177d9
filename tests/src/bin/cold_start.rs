//! Cold-start benchmark: each function's binary (and a hello-world `lambda_http` baseline built
//! with the same profile) started again and again against the local Runtime API, in rounds that
//! start every binary once; per start, the time from process start to its first
//! `invocation/next` (init) and to its first answer.
//!
//! `cargo build --release --bins && cargo run --release -p enrolshop-tests --bin cold_start [-- STARTS [FUNCTION@TRIAL=BINARY ...]]`
//! (default 21 rounds). DynamoDB is moto (started here), Moodle the simulator. Each
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
    let config = shop_core::adapters::aws::sdk_config(Some(moto_harness::endpoint()));
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

    let trials: Vec<Run> = std::env::args().skip(2).map(|arg| trial(&arg)).collect();
    let mut runs: Vec<Run> = FUNCTIONS
        .iter()
        .map(|(f, _)| Run {
            label: f.to_string(),
            function: f.to_string(),
            binary: function_binary(f),
            env: Vec::new(),
        })
        .chain(trials)
        .collect();
    // Every binary started from a fresh copy in one directory: the same executable started
    // where the linker wrote it measured 0.4–0.5 ms slower than a copy of it (the file's state
    // on disk and in the page cache), a difference between rows that is not the binaries'.
    let copies = tempfile::tempdir().unwrap();
    for (i, run) in runs.iter_mut().enumerate() {
        let copy = copies.path().join(format!("{i}-{}", run.function));
        std::fs::copy(&run.binary, &copy).unwrap();
        run.binary = copy;
    }
    let event = |function: &str| match FUNCTIONS.iter().find(|(f, _)| *f == function) {
        Some((_, Some((dir, name)))) => events(dir).into_iter().find(|(n, _)| n == name).unwrap().1,
        _ => hello_event.clone(),
    };
    let events: Vec<serde_json::Value> = runs.iter().map(|r| event(&r.function)).collect();
    let env = Env {
        table: &table,
        moodle: &moodle,
    };
    // Rounds: each binary started once a round, so that a machine getting slower or faster
    // during the run weighs on every row alike (the ratios compare rows).
    let mut times: Vec<(Vec<f64>, Vec<f64>)> = vec![(Vec::new(), Vec::new()); runs.len()];
    for _ in 0..starts {
        for ((run, event), (inits, firsts)) in runs.iter().zip(&events).zip(&mut times) {
            let (init, first) = start_once(run, event.clone(), &env).await;
            inits.push(init);
            firsts.push(first);
        }
    }
    println!("| function | init (median ms) | first answer (median ms) | init ÷ hello-world |");
    println!("|---|---|---|---|");
    let mut baseline = None;
    for (run, (inits, firsts)) in runs.iter().zip(times) {
        let (init, first) = (median(inits), median(firsts));
        let base = *baseline.get_or_insert(init);
        println!(
            "| {} | {init:.1} | {first:.1} | {:.2} |",
            run.label,
            init / base
        );
    }
    println!(
        "\n{starts} rounds, each binary started once a round; medians; init = process start → first `invocation/next`."
    );
}

/// What every start gets in its environment besides the function's own.
struct Env<'a> {
    table: &'a str,
    moodle: &'a str,
}

/// Starts `run`'s binary once and answers `event`: (init, first answer) in milliseconds.
async fn start_once(run: &Run, event: serde_json::Value, shared: &Env<'_>) -> (f64, f64) {
    let function = run.function.as_str();
    let api = RuntimeApi::start().await;
    let mut env = lambda_env(function, &api.addr);
    for (k, v) in [
        ("TABLE_NAME", shared.table),
        ("DYNAMODB_ENDPOINT", moto_harness::endpoint()),
        ("MOODLE_URL", shared.moodle),
        ("MOODLE_TOKEN", "bench-token"),
        ("ADMIN_TOKEN", "bench-admin-token"),
    ] {
        env.push((k.to_owned(), v.to_owned()));
    }
    env.extend(run.env.iter().cloned());
    let process = FunctionProcess::spawn(&run.binary, &env);
    let answer = tokio::time::timeout(Duration::from_secs(30), api.invoke(event))
        .await
        .expect("an answer");
    let answered = Instant::now();
    assert!(
        matches!(answer, Outcome::Response(_)),
        "{function}: {answer:?}"
    );
    let init = api.first_next().expect("asked for an event") - process.started;
    (
        init.as_secs_f64() * 1000.0,
        (answered - process.started).as_secs_f64() * 1000.0,
    )
}
