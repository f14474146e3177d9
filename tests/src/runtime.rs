//! A local implementation of the Lambda Runtime API (`/2018-06-01/runtime/...`), to run the
//! functions' real binaries as Lambda runs their `bootstrap`: the process is started with
//! `AWS_LAMBDA_RUNTIME_API` pointing here, asks `invocation/next` for events, and posts each
//! `response` or `error` (or an `init/error` when its configuration is wrong).

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::Value;
use tokio::sync::Notify;

/// What the function answered to one invocation.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Response(Value),
    Error(Value),
}

#[derive(Default)]
struct Inner {
    queue: VecDeque<(String, Value)>,
    outcomes: HashMap<String, Outcome>,
    first_next: Option<Instant>,
    init_error: Option<Value>,
    next_id: u64,
}

#[derive(Clone, Default)]
struct Shared {
    inner: Arc<Mutex<Inner>>,
    event_ready: Arc<Notify>,
    outcome_ready: Arc<Notify>,
}

/// The runtime API server, on a free loopback port.
pub struct RuntimeApi {
    pub addr: String,
    shared: Shared,
}

impl RuntimeApi {
    pub async fn start() -> Self {
        let shared = Shared::default();
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(response),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { addr, shared }
    }

    /// Queues an event and waits for the function's answer.
    pub async fn invoke(&self, event: Value) -> Outcome {
        let id = {
            let mut inner = self.shared.inner.lock().unwrap();
            inner.next_id += 1;
            let id = format!("req-{:06}", inner.next_id);
            inner.queue.push_back((id.clone(), event));
            id
        };
        self.shared.event_ready.notify_waiters();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let waiting = self.shared.outcome_ready.notified();
            if let Some(outcome) = self.shared.inner.lock().unwrap().outcomes.remove(&id) {
                return outcome;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "no answer to {id} within 30 s");
            let _ = tokio::time::timeout(left, waiting).await;
        }
    }

    /// When the function first asked for an event (its init was over).
    pub fn first_next(&self) -> Option<Instant> {
        self.shared.inner.lock().unwrap().first_next
    }

    /// The init error the function reported, once it has.
    pub async fn init_error(&self, within: Duration) -> Option<Value> {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Some(e) = self.shared.inner.lock().unwrap().init_error.clone() {
                return Some(e);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        None
    }
}

async fn next(State(s): State<Shared>) -> Response {
    loop {
        let waiting = s.event_ready.notified();
        {
            let mut inner = s.inner.lock().unwrap();
            inner.first_next.get_or_insert_with(Instant::now);
            if let Some((id, event)) = inner.queue.pop_front() {
                let mut headers = HeaderMap::new();
                let deadline = chrono::Utc::now().timestamp_millis() + 30_000;
                headers.insert(
                    "lambda-runtime-aws-request-id",
                    HeaderValue::from_str(&id).unwrap(),
                );
                headers.insert("lambda-runtime-deadline-ms", HeaderValue::from(deadline));
                headers.insert(
                    "lambda-runtime-invoked-function-arn",
                    HeaderValue::from_static(
                        "arn:aws:lambda:eu-west-3:123456789012:function:local",
                    ),
                );
                headers.insert(
                    "lambda-runtime-trace-id",
                    HeaderValue::from_static("Root=1-00000000-000000000000000000000000"),
                );
                return (headers, event.to_string()).into_response();
            }
        }
        waiting.await;
    }
}

fn record(s: &Shared, id: String, outcome: Outcome) -> StatusCode {
    s.inner.lock().unwrap().outcomes.insert(id, outcome);
    s.outcome_ready.notify_waiters();
    StatusCode::ACCEPTED
}

fn json(body: &Bytes) -> Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()))
}

async fn response(State(s): State<Shared>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    record(&s, id, Outcome::Response(json(&body)))
}

async fn error(State(s): State<Shared>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    record(&s, id, Outcome::Error(json(&body)))
}

async fn init_error(State(s): State<Shared>, body: Bytes) -> StatusCode {
    s.inner.lock().unwrap().init_error = Some(json(&body));
    StatusCode::ACCEPTED
}

/// A function's binary, built by `cargo build --workspace --bins` in the profile the tests run
/// in (the same directory as this test binary's parent).
pub fn function_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let dir = exe
        .parent()
        .and_then(|deps| {
            if deps.ends_with("deps") {
                deps.parent()
            } else {
                Some(deps)
            }
        })
        .expect("a target directory");
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: run `cargo build --workspace --bins` first (the test command does)",
        path.display()
    );
    path
}

/// The environment Lambda gives every function, plus the function's own variables.
pub fn lambda_env(function: &str, runtime_api: &str) -> Vec<(String, String)> {
    [
        ("AWS_LAMBDA_RUNTIME_API", runtime_api),
        ("AWS_LAMBDA_FUNCTION_NAME", function),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256"),
        ("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/local"),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "local"),
        ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// The variables `template.yaml` gives `function` (the binary's name): the globals, then the
/// function's own. `values` stands for what CloudFormation would put there: a parameter's or
/// resource's name (or `Resource.Attribute`) for `!Ref` and `${...}`, a secret's name for
/// `{{resolve:secretsmanager:...}}`, `"true"` or `"false"` for a condition of `!If`. A name
/// without a value panics: the template refers to something the test does not know.
pub fn template_env(function: &str, values: &HashMap<&str, &str>) -> Vec<(String, String)> {
    use serde_yaml_ng::Value as Yaml;
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml"))
        .expect("template.yaml");
    let template: Yaml = serde_yaml_ng::from_str(&text).expect("template.yaml parses");
    let resource = template["Resources"]
        .as_mapping()
        .expect("resources")
        .values()
        .find(|r| r["Metadata"]["BuildProperties"]["Binary"].as_str() == Some(function))
        .unwrap_or_else(|| panic!("no function builds `{function}` in template.yaml"));
    let variables = |f: &Yaml| -> Vec<(String, String)> {
        f["Environment"]["Variables"]
            .as_mapping()
            .map(|vars| {
                vars.iter()
                    .map(|(k, v)| (k.as_str().expect("a name").to_owned(), resolve(v, values)))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut env = variables(&template["Globals"]["Function"]);
    env.extend(variables(&resource["Properties"]));
    env
}

/// The front's secret the tests' functions are given (the template's generated `FrontSecret`).
pub const FRONT_SECRET: &str = "front-secret-for-tests";

/// What CloudFormation would put in the template's functions here: the tests' table and
/// Moodle, no queue (jobs stay in the outbox), the parameters' defaults, test secrets (the
/// Moodle token `test-moodle-token`, the back-office token `test-admin-token`).
pub fn template_values<'a>(table: &'a str, moodle_url: &'a str) -> HashMap<&'a str, &'a str> {
    HashMap::from([
        ("ShopTable", table),
        ("ProductionQueue", ""),
        ("MoodleUrl", moodle_url),
        ("MoodleTokenSecretName", "enrolshop/moodle-token"),
        ("enrolshop/moodle-token", "test-moodle-token"),
        ("AdminTokenSecretName", "enrolshop/admin-token"),
        ("enrolshop/admin-token", "test-admin-token"),
        ("CheckoutPath", "/checkout"),
        ("BillPath", "/bill"),
        ("PublicUrl", "https://shop.example"),
        ("PagesUrl", ""),
        ("MailFrom", ""),
        ("SesConfigurationSet", ""),
        ("HasPagesUrl", "false"),
        ("ShopFront.DomainName", "front.example"),
        ("FrontSecret", "enrolshop/front"),
        ("enrolshop/front", FRONT_SECRET),
    ])
}

/// One value of `template.yaml` as CloudFormation would give it (see [`template_env`]).
fn resolve(v: &serde_yaml_ng::Value, values: &HashMap<&str, &str>) -> String {
    use serde_yaml_ng::Value as Yaml;
    let value_of = |name: &str| -> String {
        (*values
            .get(name)
            .unwrap_or_else(|| panic!("template.yaml refers to `{name}`: give it a value")))
        .to_owned()
    };
    match v {
        Yaml::String(s) => s.clone(),
        Yaml::Tagged(t) if t.tag == "Ref" => value_of(t.value.as_str().expect("a name")),
        Yaml::Tagged(t) if t.tag == "If" => {
            let [condition, then, otherwise] =
                t.value.as_sequence().expect("!If [c, a, b]").as_slice()
            else {
                panic!("!If takes three values: {t:?}")
            };
            match value_of(condition.as_str().expect("a condition")).as_str() {
                "true" => resolve(then, values),
                _ => resolve(otherwise, values),
            }
        }
        Yaml::Tagged(t) if t.tag == "Sub" => {
            let mut text = t.value.as_str().expect("a !Sub string").to_owned();
            while let Some(start) = text.find("${") {
                let end = start + text[start..].find('}').expect("a closed ${");
                let name = text[start + 2..end].to_owned();
                text.replace_range(start..=end, &value_of(&name));
            }
            match text
                .strip_prefix("{{resolve:secretsmanager:")
                .and_then(|s| s.strip_suffix("}}"))
            {
                Some(secret) => value_of(secret),
                None => text,
            }
        }
        other => panic!("an environment value the test cannot resolve: {other:?}"),
    }
}

/// A running function process (killed when dropped); its stdout and stderr go to a log file.
pub struct FunctionProcess {
    pub child: tokio::process::Child,
    pub started: Instant,
    log: tempfile::NamedTempFile,
}

impl FunctionProcess {
    pub fn spawn(binary: &std::path::Path, env: &[(String, String)]) -> Self {
        let log = tempfile::NamedTempFile::new().expect("a log file");
        let out = log.reopen().expect("log file");
        let err = log.reopen().expect("log file");
        let mut command = tokio::process::Command::new(binary);
        command
            .env_clear()
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .kill_on_drop(true);
        let started = Instant::now();
        let child = command.spawn().expect("the function starts");
        Self {
            child,
            started,
            log,
        }
    }

    /// What the process logged so far.
    pub fn logs(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
    }

    /// Waits for the process to end: its exit code and what it logged.
    pub async fn finish(mut self, within: Duration) -> (Option<i32>, String) {
        let status = tokio::time::timeout(within, self.child.wait())
            .await
            .expect("the process ends")
            .expect("waited");
        (status.code(), self.logs())
    }
}
