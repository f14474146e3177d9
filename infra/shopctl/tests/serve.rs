//! `shopctl serve`, the README's run command, as a user runs it: the real binary.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

/// A running `shopctl serve`, killed when dropped.
struct Served {
    child: Child,
    base: String,
    banner: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(args: &[&str]) -> Served {
    serve_logging(args, "warn", Stdio::null())
}

/// `shopctl serve` with its logs (`RUST_LOG=filter`) sent to `logs`.
fn serve_logging(args: &[&str], filter: &str, logs: Stdio) -> Served {
    let mut child = Command::new(env!("CARGO_BIN_EXE_shopctl"))
        .arg("serve")
        .args(["--addr", "127.0.0.1:0", "--moodle-addr", "127.0.0.1:0"])
        .args(args)
        .env("RUST_LOG", filter)
        .stdout(Stdio::piped())
        .stderr(logs)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut banner = String::new();
    let mut base = None;
    for line in lines.by_ref().take(8) {
        let line = line.unwrap();
        if let Some(url) = line.trim().strip_prefix("API") {
            base = Some(url.trim().to_owned());
        }
        banner.push_str(&line);
        banner.push('\n');
        if line.contains("back office") {
            break;
        }
    }
    let base = base.unwrap_or_else(|| panic!("no API line in:\n{banner}"));
    Served {
        child,
        base,
        banner,
    }
}

async fn json(method: reqwest::Method, url: String, body: Option<Value>) -> (u16, Value) {
    let mut req = shop_core::adapters::https::builder()
        .build()
        .unwrap()
        .request(method, url);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let r = req.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

#[tokio::test]
async fn serves_the_demo_shop_and_keeps_data_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let first = serve(&["--data-dir", data]);
    assert!(first.banner.contains("loaded now"), "{}", first.banner);
    assert!(
        first.banner.contains("dev-admin-token"),
        "dev defaults are printed"
    );
    let (status, catalog) = json(
        reqwest::Method::GET,
        format!("{}/shops/demo/catalog", first.base),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert!(catalog["items"].as_array().unwrap().len() >= 5);
    let (status, cart) = json(
        reqwest::Method::POST,
        format!("{}/shops/demo/carts", first.base),
        None,
    )
    .await;
    assert_eq!(status, 201);
    let id = cart["id"].as_str().unwrap().to_owned();
    let line = format!("{}/carts/{id}/lines/EXCEL-ESS", first.base);
    assert_eq!(
        json(reqwest::Method::PUT, line, Some(json!({"quantity": 3})))
            .await
            .0,
        200
    );
    drop(first);

    let second = serve(&["--data-dir", data]);
    assert!(second.banner.contains("already there"), "{}", second.banner);
    let (status, cart) = json(
        reqwest::Method::GET,
        format!("{}/carts/{id}", second.base),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(cart["lines"][0]["quantity"], 3);
}

#[tokio::test]
async fn runs_on_dynamodb_when_given_an_endpoint() {
    let table = moto_harness::unique_name("shopctl");
    // The simulator's site and the caught mail still live in a data dir (not the checkout's).
    let dir = tempfile::tempdir().unwrap();
    let served = serve(&[
        "--data-dir",
        dir.path().to_str().unwrap(),
        "--dynamodb-endpoint",
        moto_harness::endpoint(),
        "--table",
        &table,
    ]);
    assert!(served.banner.contains("DynamoDB at"), "{}", served.banner);
    let (status, catalog) = json(
        reqwest::Method::GET,
        format!("{}/shops/demo/catalog", served.base),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(catalog["shop"]["id"], "demo");
}

#[test]
fn production_mode_refuses_the_dev_token() {
    let out = Command::new(env!("CARGO_BIN_EXE_shopctl"))
        .args([
            "serve",
            "--production",
            "--addr",
            "127.0.0.1:0",
            "--no-demo",
        ])
        .env_remove("SHOP_ADMIN_TOKEN")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("dev admin token"));
}

/// A second `shopctl serve` beside a running one (the README's command run twice) stops at
/// once and says what is in the way and which flag moves it, in a sentence.
#[test]
fn a_second_serve_says_what_is_in_the_way() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let first = serve(&["--data-dir", data]);
    let addr = first.base.trim_start_matches("http://");
    let other = tempfile::tempdir().unwrap();
    let second = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_shopctl"))
            .args(["serve", "--moodle-addr", "127.0.0.1:0"])
            .args(args)
            .env("RUST_LOG", "off")
            .output()
            .unwrap();
        assert!(!out.status.success());
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let same_dir = second(&["--addr", "127.0.0.1:0", "--data-dir", data]);
    assert!(
        same_dir.starts_with("shopctl: cannot open the store") && same_dir.contains("--data-dir"),
        "{same_dir}"
    );
    let other = other.path().to_str().unwrap();
    let same_port = second(&["--addr", addr, "--data-dir", other]);
    assert!(
        same_port.starts_with(&format!("shopctl: the API cannot listen on {addr}"))
            && same_port.contains("another `shopctl serve`")
            && same_port.contains("--addr"),
        "{same_port}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_moodle_is_health_checked_at_start() {
    let sim = moodle_sim::Simulator::new("real-token");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(sim.serve(listener));
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let served = serve(&[
        "--data-dir",
        data,
        "--moodle-url",
        &url,
        "--moodle-token",
        "real-token",
    ]);
    assert!(
        served
            .banner
            .contains(&format!("{url} (all web-service functions available)")),
        "{}",
        served.banner
    );
    assert!(
        !served.banner.contains("manager-2026"),
        "a real site's staff are not the simulator's: {}",
        served.banner
    );
    assert!(
        served
            .banner
            .contains("the Moodle users manager and operator")
            && served
                .banner
                .contains("Trying the demo shop on a real Moodle"),
        "says how to sign in: {}",
        served.banner
    );
    let readme = include_str!("../../../README.md");
    assert!(readme.contains("**Trying the demo shop on a real Moodle.**"));
    drop(served);
    let wrong = serve(&[
        "--data-dir",
        data,
        "--moodle-url",
        &url,
        "--moodle-token",
        "stolen",
    ]);
    assert!(
        wrong
            .banner
            .contains("NOT REACHABLE: Moodle error invalidtoken"),
        "{}",
        wrong.banner
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paid_enrolment_is_produced_in_the_simulator() {
    let dir = tempfile::tempdir().unwrap();
    let served = serve(&["--data-dir", dir.path().to_str().unwrap()]);
    let (bill, token) = paid_bill(&served.base, "ada@example.org").await;
    assert_eq!(completed(&served.base, &bill, &token).await, "COMPLETE");
    // Seen through the simulator's own web-service API, at once.
    let client = simulator_client(&served.banner);
    let ada = client
        .user_by_email("ada@example.org")
        .await
        .unwrap()
        .expect("the buyer's account");
    let mut courses = client.user_courses(ada.id).await.unwrap();
    courses.sort();
    assert_eq!(courses, [2, 3], "the support course and EXCEL");
}

/// The bill's status once COMPLETE, or after 5 s.
async fn completed(base: &str, bill: &str, token: &str) -> String {
    let pair = [(bill.to_owned(), token.to_owned())];
    let mut state = String::new();
    for _ in 0..50 {
        state = statuses(base, &pair).await.remove(0);
        if state == "COMPLETE" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    state
}

/// A client of the simulator the banner names (the dev token).
fn simulator_client(banner: &str) -> shop_core::adapters::moodle::MoodleClient {
    let url = banner
        .lines()
        .find(|l| l.trim_start().starts_with("moodle"))
        .and_then(|l| l.split_whitespace().find(|w| w.starts_with("http://")))
        .unwrap_or_else(|| panic!("no simulator in:\n{banner}"));
    shop_core::adapters::moodle::MoodleClient::new(
        url,
        "dev-moodle-token",
        std::time::Duration::from_secs(5),
    )
}

/// Places and pays (test payment) one EXCEL-ESS bill for `email`: (bill id, access token).
async fn paid_bill(base: &str, email: &str) -> (String, String) {
    let (_, cart) = json(
        reqwest::Method::POST,
        format!("{base}/shops/demo/carts"),
        None,
    )
    .await;
    let cart = cart["id"].as_str().unwrap().to_owned();
    json(
        reqwest::Method::PUT,
        format!("{base}/carts/{cart}/lines/EXCEL-ESS"),
        Some(json!({"quantity": 1})),
    )
    .await;
    let customer = json!({"customer": {"firstname": "Ada", "lastname": "Lovelace", "email": email,
        "address": "1 St", "zip": "1", "city": "Paris", "country": "FR"}});
    json(
        reqwest::Method::PUT,
        format!("{base}/carts/{cart}/customer"),
        Some(customer),
    )
    .await;
    let (status, placed) = json(
        reqwest::Method::POST,
        format!("{base}/carts/{cart}/order"),
        Some(json!({"payment_method": "test", "accept_terms": true})),
    )
    .await;
    assert_eq!(status, 201, "{placed}");
    let (id, token) = (
        placed["bill_id"].as_str().unwrap().to_owned(),
        placed["access_token"].as_str().unwrap().to_owned(),
    );
    let (_, paid) = json(
        reqwest::Method::POST,
        format!("{base}/bills/{id}/test-payment?token={token}"),
        Some(json!({"outcome": "paid"})),
    )
    .await;
    assert_eq!(paid["status"], "PAID", "{paid}");
    (id, token)
}

async fn statuses(base: &str, bills: &[(String, String)]) -> Vec<String> {
    let mut out = Vec::new();
    for (id, token) in bills {
        let (_, bill) = json(
            reqwest::Method::GET,
            format!("{base}/bills/{id}?token={token}"),
            None,
        )
        .await;
        out.push(bill["status"].as_str().unwrap_or("?").to_owned());
    }
    out
}

/// `kill -9` during production of 24 paid bills, then a restart on the same data dir: every
/// bill is COMPLETE within a bounded time, and Moodle (a simulator that outlives the shop)
/// holds one account per buyer, each enrolled once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn production_survives_a_kill_during_production() {
    const BILLS: usize = 24;
    let sim = moodle_sim::Simulator::new("sim-token");
    for (shortname, fullname) in shopctl::DEMO_COURSES {
        sim.add_course(shortname, fullname);
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(sim.clone().serve(listener));
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let args = [
        "--data-dir",
        data,
        "--moodle-url",
        &url,
        "--moodle-token",
        "sim-token",
    ];
    let mut first = serve(&args);
    // Moodle answers slowly (a second a call, five calls a bill): production falls far
    // behind the payments.
    sim.fail_next(u32::MAX, moodle_sim::Fault::Slow(1000));
    let mut bills = Vec::new();
    for n in 0..BILLS {
        bills.push(paid_bill(&first.base, &format!("buyer{n}@example.org")).await);
    }
    let at_kill = statuses(&first.base, &bills).await;
    first.child.kill().unwrap(); // SIGKILL
    first.child.wait().unwrap();
    let unfinished = at_kill.iter().filter(|s| *s != "COMPLETE").count();
    assert!(
        unfinished >= BILLS - 4,
        "killed during production: {at_kill:?}"
    );
    sim.fail_next(0, moodle_sim::Fault::None);
    let calls_at_kill = sim.calls().len();

    let second = serve(&args);
    let started = std::time::Instant::now();
    let mut now = statuses(&second.base, &bills).await;
    while now.iter().any(|s| s != "COMPLETE") && started.elapsed().as_secs() < 60 {
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        now = statuses(&second.base, &bills).await;
    }
    assert!(
        now.iter().all(|s| s == "COMPLETE"),
        "after the restart: {now:?}"
    );
    assert!(
        sim.calls().len() > calls_at_kill,
        "the restarted shop produced what the killed one had left"
    );
    let users = sim.users();
    for n in 0..BILLS {
        let email = format!("buyer{n}@example.org");
        let accounts: Vec<_> = users.iter().filter(|u| u.email == email).collect();
        assert_eq!(accounts.len(), 1, "{email}: one Moodle account");
        let id = accounts[0].id;
        for course in [2, 3] {
            assert!(
                sim.enrolment(id, course).is_some(),
                "{email} enrolled in course {course}"
            );
        }
    }
}

/// A cart id gives back its bill's access token (placing it again answers the same bill with
/// the token): the logs carry only its short hash, at every level.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_never_carry_a_cart_id() {
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("shopctl.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let data = dir.path().join("data");
    let served = serve_logging(
        &["--data-dir", data.to_str().unwrap()],
        "debug,h2=info,hyper=info,redb=info",
        Stdio::from(log),
    );
    let (bill, token) = paid_bill(&served.base, "ada@example.org").await;
    let (_, view) = json(
        reqwest::Method::GET,
        format!("{}/bills/{bill}?token={token}", served.base),
        None,
    )
    .await;
    assert_eq!(view["id"], bill.as_str());
    // The cart of that bill, through the API: the last one created.
    let (_, cart) = json(
        reqwest::Method::POST,
        format!("{}/shops/demo/carts", served.base),
        None,
    )
    .await;
    let cart = cart["id"].as_str().unwrap().to_owned();
    json(
        reqwest::Method::PUT,
        format!("{}/carts/{cart}/lines/EXCEL-ESS", served.base),
        Some(json!({"quantity": 2})),
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    drop(served);
    let logs = std::fs::read_to_string(&log_path).unwrap();
    assert!(logs.contains("/carts/h:"), "requests are logged: {logs}");
    assert!(!logs.contains(&cart), "a cart id in the logs");
    assert!(!logs.contains(&token), "a bill token in the logs");
}

/// The simulator's site is kept in the data dir: after a restart the buyer's Moodle account,
/// password and enrolments are still there for the store that points at them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulator_keeps_its_site_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let first = serve(&["--data-dir", data]);
    assert!(first.banner.contains("new site in"), "{}", first.banner);
    let (bill, token) = paid_bill(&first.base, "ada@example.org").await;
    assert_eq!(completed(&first.base, &bill, &token).await, "COMPLETE");
    drop(first);
    let second = serve(&["--data-dir", data]);
    assert!(second.banner.contains("site kept in"), "{}", second.banner);
    let client = simulator_client(&second.banner);
    let ada = client
        .user_by_email("ada@example.org")
        .await
        .unwrap()
        .expect("the buyer's account survived the restart");
    let mut courses = client.user_courses(ada.id).await.unwrap();
    courses.sort();
    assert_eq!(courses, [2, 3]);
}
