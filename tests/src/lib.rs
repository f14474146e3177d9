//! Test support for the end-to-end tests: the local stack (every router on one port) over a
//! DynamoDB store on a real moto server, with a fresh table per test and an SDK interceptor
//! that counts the DynamoDB requests each API call makes.

pub mod cost;
pub mod fixtures;
pub mod purchase;
pub mod runtime;
pub mod ses;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use serde_json::Value;
use shop_core::adapters::aws;
use shop_core::adapters::dynamo::{self, DynamoStore};
use shop_core::adapters::embedded::EmbeddedStore;
use shop_core::adapters::mail::catcher::MailCatcher;
use shop_core::adapters::memory_queue::InProcessQueue;
use shop_core::app::mail::postman::{MailSite, Postman};
use shop_core::ports::{JobQueue, Mail, MailError, Mailer, Store};
use shopctl::{StackOptions, load_demo, stack};

/// Counts DynamoDB requests sent (each attempt, retries included), by operation, and what IAM
/// must allow for each ([`Need`]).
#[derive(Clone, Debug, Default)]
pub struct RequestCounter {
    operations: Arc<Mutex<Vec<String>>>,
    needs: Arc<Mutex<Vec<Need>>>,
}

/// What IAM must allow one DynamoDB request: an action (`dynamodb:UpdateItem`) on the table
/// (`index` none) or on one of its indexes. A transaction needs each of its items' actions.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Need {
    pub action: String,
    pub index: Option<String>,
}

impl RequestCounter {
    pub fn reset(&self) {
        self.operations.lock().unwrap().clear();
        self.needs.lock().unwrap().clear();
    }

    /// Operations sent since the last reset, e.g. `["GetItem", "GetItem", "PutItem"]`.
    pub fn operations(&self) -> Vec<String> {
        self.operations.lock().unwrap().clone()
    }

    pub fn by_operation(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for op in self.operations() {
            *counts.entry(op).or_default() += 1;
        }
        counts
    }

    /// What the requests since the last call needed, forgotten as they are handed out.
    pub fn take_needs(&self) -> Vec<Need> {
        std::mem::take(&mut *self.needs.lock().unwrap())
    }
}

/// What IAM must allow `operation` sent with `body` (DynamoDB's JSON protocol).
fn needs_of(operation: &str, body: &Value) -> Vec<Need> {
    let need = |action: &str, index: Option<&str>| Need {
        action: format!("dynamodb:{action}"),
        index: index.map(str::to_owned),
    };
    match operation {
        "TransactWriteItems" => body["TransactItems"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|item| {
                let kind = item.as_object()?.keys().next()?.as_str();
                let action = match kind {
                    "Put" => "PutItem",
                    "Update" => "UpdateItem",
                    "Delete" => "DeleteItem",
                    "ConditionCheck" => "ConditionCheckItem",
                    other => panic!("a transaction item of kind {other}"),
                };
                Some(need(action, None))
            })
            .collect(),
        other => vec![need(other, body["IndexName"].as_str())],
    }
}

impl Intercept for RequestCounter {
    fn name(&self) -> &'static str {
        "RequestCounter"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let name = cfg
            .load::<Metadata>()
            .map_or("unknown", |m| m.name())
            .to_owned();
        let body: Value = context
            .request()
            .body()
            .bytes()
            .and_then(|b| serde_json::from_slice(b).ok())
            .unwrap_or_default();
        self.needs.lock().unwrap().extend(needs_of(&name, &body));
        self.operations.lock().unwrap().push(name);
        Ok(())
    }
}

/// Received SQS messages as Lambda's SQS event source hands them to the production function.
pub fn sqs_event(
    messages: &[aws_sdk_sqs::types::Message],
) -> aws_lambda_events::event::sqs::SqsEvent {
    let mut event = aws_lambda_events::event::sqs::SqsEvent::default();
    for m in messages {
        let mut message = aws_lambda_events::event::sqs::SqsMessage::default();
        message.message_id = m.message_id.clone();
        message.receipt_handle = m.receipt_handle.clone();
        message.body = m.body.clone();
        for (name, value) in m.attributes().into_iter().flatten() {
            message
                .attributes
                .insert(name.as_str().to_owned(), value.clone());
        }
        event.records.push(message);
    }
    event
}

/// The body of `PUT /carts/{cart}/customer` for the test buyer, Ada Lovelace.
pub fn customer() -> Value {
    serde_json::json!({"customer": {
        "firstname": "Ada", "lastname": "Lovelace", "email": "ada@example.org",
        "address": "1 Analytical Street", "zip": "75001", "city": "Paris", "country": "FR"}})
}

/// The local stack on DynamoDB (moto), serving on a free loopback port.
pub struct Stack {
    pub base: String,
    pub requests: RequestCounter,
    client: Option<aws_sdk_dynamodb::Client>,
    pub table: String,
    pub http: reqwest::Client,
    /// The production jobs the stack sent.
    pub queue: Arc<InProcessQueue>,
    pub store: Arc<dyn Store>,
    /// The embedded store's directory, removed with the stack.
    _data: Option<tempfile::TempDir>,
    /// The Moodle simulator, seeded with the demo courses (ids 2 to 7).
    pub moodle: moodle_sim::Simulator,
    /// Production against the simulator, on [`Stack::clock`].
    pub producer: Arc<shop_core::app::production::Producer>,
    /// The producer's clock: tests move it forward instead of sleeping.
    pub clock: Arc<TestClock>,
    pub moodle_url: String,
    /// The Moodle client production uses (the simulator's web services, for checks).
    pub lms: Arc<shop_core::adapters::moodle::MoodleClient>,
    /// Where the stack's production jobs go.
    pub jobs: Arc<dyn JobQueue>,
    /// The messages the stack sent (also at `/dev/mail`).
    pub catcher: MailCatcher,
    _mail: tempfile::TempDir,
    /// The mail system as the postman sees it: the catcher, which a test can take down.
    pub mailer: Arc<Switch>,
    /// The postman over this stack, on [`Stack::clock`] ([`Stack::deliver_mail`]).
    pub postman: Arc<Postman>,
}

/// A mailer that fails (as a mail server that does not answer) while it is down.
pub struct Switch {
    pub inner: Arc<dyn Mailer>,
    down: std::sync::atomic::AtomicBool,
}

impl Switch {
    pub fn new(inner: Arc<dyn Mailer>) -> Self {
        Self {
            inner,
            down: false.into(),
        }
    }

    pub fn set_down(&self, down: bool) {
        self.down.store(down, std::sync::atomic::Ordering::SeqCst);
    }
}

#[async_trait::async_trait]
impl Mailer for Switch {
    async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        if self.down.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(MailError {
                permanent: false,
                message: "the mail server does not answer".into(),
            });
        }
        self.inner.send(mail).await
    }
}

pub const ADMIN_TOKEN: &str = shopctl::DEV_ADMIN_TOKEN;

/// The system time plus an offset that tests move forward ([`TestClock::advance`]), so that
/// "later" costs no sleep.
#[derive(Debug, Default)]
pub struct TestClock {
    offset_ms: std::sync::atomic::AtomicI64,
}

impl TestClock {
    pub fn advance(&self, by: chrono::Duration) {
        let ms = by.num_milliseconds();
        self.offset_ms
            .fetch_add(ms, std::sync::atomic::Ordering::SeqCst);
    }
}

impl shop_core::app::Clock for TestClock {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        let offset = self.offset_ms.load(std::sync::atomic::Ordering::SeqCst);
        chrono::Utc::now() + chrono::Duration::milliseconds(offset)
    }
}

impl Stack {
    /// A fresh table with the demo shop, and the stack serving it.
    pub async fn start() -> Self {
        Self::start_with(None).await
    }

    /// The stack on DynamoDB (moto) handing its production jobs to `jobs` (e.g. SQS on moto)
    /// instead of the in-process queue.
    pub async fn start_with_jobs(jobs: Arc<dyn JobQueue>) -> Self {
        Self::start_with(Some(jobs)).await
    }

    /// The stack on DynamoDB (moto) with `meter` seeing every DynamoDB request from the
    /// table's creation on (for the cost benchmark), its jobs going to `jobs`.
    pub async fn start_metered(meter: cost::CapacityMeter, jobs: Arc<dyn JobQueue>) -> Self {
        Self::start_on(Some(jobs), Some(meter)).await
    }

    async fn start_with(jobs: Option<Arc<dyn JobQueue>>) -> Self {
        Self::start_on(jobs, None).await
    }

    async fn start_on(jobs: Option<Arc<dyn JobQueue>>, meter: Option<cost::CapacityMeter>) -> Self {
        let config = aws::sdk_config(Some(moto_harness::endpoint()));
        let requests = RequestCounter::default();
        let mut sdk =
            aws_sdk_dynamodb::config::Builder::from(&config).interceptor(requests.clone());
        if let Some(meter) = meter {
            sdk = sdk.interceptor(meter);
        }
        let sdk = sdk.build();
        let client = aws_sdk_dynamodb::Client::from_conf(sdk);
        let table = moto_harness::unique_name("e2e");
        dynamo::ensure_table(&client, &table)
            .await
            .expect("table created");
        let store = Arc::new(DynamoStore::new(client.clone(), &table));
        Self::serve(
            store.clone(),
            requests,
            Some((client, table, store)),
            jobs,
            None,
        )
        .await
    }

    /// The same stack on the embedded store (a temporary redb file).
    pub async fn start_embedded() -> Self {
        Self::start_embedded_with(None).await
    }

    /// The stack on the embedded store handing its production jobs to `jobs`.
    pub async fn start_embedded_with_jobs(jobs: Arc<dyn JobQueue>) -> Self {
        Self::start_embedded_with(Some(jobs)).await
    }

    async fn start_embedded_with(jobs: Option<Arc<dyn JobQueue>>) -> Self {
        Self::embedded(jobs, None).await
    }

    /// The stack on the embedded store delivering into another Moodle (`url`, web-service
    /// `token`) instead of its own simulator (then `moodle` is an idle, empty simulator).
    pub async fn start_embedded_on_moodle(url: &str, token: &str) -> Self {
        Self::embedded(None, Some((url.to_owned(), token.to_owned()))).await
    }

    async fn embedded(jobs: Option<Arc<dyn JobQueue>>, moodle: Option<(String, String)>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(EmbeddedStore::open(&dir.path().join("store.redb")).unwrap());
        let mut stack = Self::serve(store, RequestCounter::default(), None, jobs, moodle).await;
        stack._data = Some(dir);
        stack
    }

    async fn serve(
        store: Arc<dyn Store>,
        requests: RequestCounter,
        dynamo: Option<(aws_sdk_dynamodb::Client, String, Arc<DynamoStore>)>,
        jobs: Option<Arc<dyn JobQueue>>,
        other_moodle: Option<(String, String)>,
    ) -> Self {
        load_demo(store.clone()).await.expect("demo shop loads");
        let listener_api = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener_api.local_addr().unwrap());
        let queue = Arc::new(InProcessQueue::default());
        let jobs = jobs.unwrap_or_else(|| queue.clone());
        let http = shop_core::adapters::https::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let (client, table) = match dynamo {
            Some((client, table, _)) => (Some(client), table),
            None => (None, String::new()),
        };
        let moodle = moodle_sim::Simulator::new("test-moodle-token");
        let (moodle_url, token, timeout) = match other_moodle {
            // A real site copies a course in seconds.
            Some((url, token)) => (url, token, std::time::Duration::from_secs(60)),
            None => {
                for (shortname, fullname) in shopctl::DEMO_COURSES {
                    moodle.add_course(shortname, fullname);
                }
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                let url = format!("http://{}", listener.local_addr().unwrap());
                tokio::spawn(moodle.clone().serve(listener));
                let timeout = std::time::Duration::from_secs(2);
                (url, "test-moodle-token".to_owned(), timeout)
            }
        };
        let lms = Arc::new(shop_core::adapters::moodle::MoodleClient::new(
            &moodle_url,
            &token,
            timeout,
        ));
        let mail_dir = tempfile::tempdir().unwrap();
        let catcher = MailCatcher::new(mail_dir.path()).unwrap();
        let options = StackOptions {
            mail_catcher: Some(catcher.clone()),
            moodle_url: Some(moodle_url.clone()),
            ..StackOptions::default()
        };
        let app = stack(store.clone(), jobs.clone(), lms.clone(), &options);
        tokio::spawn(async move {
            let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
            axum::serve(listener_api, app).await.unwrap()
        });
        let clock = Arc::new(TestClock::default());
        let desk = shop_core::app::bills::Bills {
            store: store.clone(),
            clock: clock.clone(),
            queue: jobs.clone(),
        };
        let producer = Arc::new(shop_core::app::production::Producer::new(
            desk.clone(),
            lms.clone(),
        ));
        let mailer = Arc::new(Switch::new(Arc::new(catcher.clone())));
        let postman = Arc::new(Postman {
            bills: desk,
            mailer: mailer.clone(),
            site: MailSite {
                from: "shop@enrolshop.test".into(),
                pages_url: base.clone(),
                bill_path: "/bill".into(),
                moodle_url: Some(moodle_url.clone()),
                api_url: base.clone(),
            },
        });
        Self {
            base,
            requests,
            client,
            table,
            http,
            queue,
            store,
            _data: None,
            moodle,
            producer,
            clock,
            moodle_url,
            lms,
            jobs,
            catcher,
            _mail: mail_dir,
            mailer,
            postman,
        }
    }

    /// Sends the messages due now; how many were sent.
    pub async fn deliver_mail(&self) -> usize {
        self.postman.send_due().await.expect("the mailbox reads")
    }

    /// `GET /dev/mail` as JSON: the messages sent, newest first.
    pub async fn mail(&self) -> Vec<Value> {
        let reply = self
            .http
            .get(self.url("/dev/mail"))
            .header("accept", "application/json")
            .send()
            .await
            .unwrap();
        let body: Value = reply.json().await.unwrap();
        body["messages"].as_array().cloned().unwrap_or_default()
    }

    /// `GET /dev/mail/{id}` as JSON.
    pub async fn mail_message(&self, id: &str) -> Value {
        let path = format!("/dev/mail/{id}");
        let reply = self
            .http
            .get(self.url(&path))
            .header("accept", "application/json")
            .send()
            .await
            .unwrap();
        reply.json().await.unwrap()
    }

    /// A producer over this stack whose clock reads `clock` (e.g. a year ago).
    pub fn producer_at(
        &self,
        clock: Arc<dyn shop_core::app::Clock>,
    ) -> shop_core::app::production::Producer {
        let desk = shop_core::app::bills::Bills {
            store: self.store.clone(),
            clock,
            queue: self.jobs.clone(),
        };
        shop_core::app::production::Producer::new(desk, self.lms.clone())
    }

    /// Calls a web-service function of the Moodle simulator, as any client would.
    pub async fn moodle_ws(&self, function: &str, params: Value) -> Value {
        self.lms
            .call(function, params)
            .await
            .unwrap_or_else(|e| panic!("{function}: {e}"))
    }

    /// Runs the production consumer over the queue until nothing is visible: handled jobs are
    /// acknowledged, failed ones stay for redelivery. The outcomes, in order.
    pub async fn produce_all(&self) -> Vec<Result<shop_core::app::production::Produced, String>> {
        let mut outcomes = Vec::new();
        loop {
            let deliveries = self.queue.receive(10);
            if deliveries.is_empty() {
                return outcomes;
            }
            for d in deliveries {
                match self.producer.handle(&d.job).await {
                    Ok(done) => {
                        self.queue.ack(d.id);
                        outcomes.push(Ok(done));
                    }
                    Err(e) => outcomes.push(Err(e.0)),
                }
            }
        }
    }

    /// The DynamoDB client of a stack on DynamoDB.
    pub fn dynamodb(&self) -> &aws_sdk_dynamodb::Client {
        self.client.as_ref().expect("a stack on DynamoDB")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Reply {
        let mut req = self.http.request(method, self.url(path));
        if let Some(body) = body {
            req = req.json(&body);
        }
        Reply::from(req.send().await.expect("the stack answers")).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(reqwest::Method::GET, path, None).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Reply {
        self.send(reqwest::Method::PUT, path, Some(body)).await
    }

    pub async fn post(&self, path: &str) -> Reply {
        self.send(reqwest::Method::POST, path, None).await
    }

    /// A new cart of the demo shop; its id.
    pub async fn new_cart(&self) -> String {
        self.new_cart_in("demo").await
    }

    /// A new cart of `shop`; its id.
    pub async fn new_cart_in(&self, shop: &str) -> String {
        let reply = self.post(&format!("/shops/{shop}/carts")).await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        reply.body["id"].as_str().unwrap().to_owned()
    }

    /// A cart of the demo shop holding `quantity` of `code`, with its customer: ready to order
    /// when the item needs no data and no seats.
    pub async fn ready_cart(&self, code: &str, quantity: u32) -> String {
        self.ready_cart_as(code, quantity, customer()).await
    }

    /// [`Stack::ready_cart`] for another buyer: `buyer` is the body of the customer step (the
    /// test buyer's, [`customer`], with some fields changed).
    pub async fn ready_cart_as(&self, code: &str, quantity: u32, buyer: Value) -> String {
        let cart = self.new_cart().await;
        let line = self
            .put(
                &format!("/carts/{cart}/lines/{code}"),
                serde_json::json!({"quantity": quantity}),
            )
            .await;
        assert_eq!(line.status, 200, "{}", line.body);
        let view = self.put(&format!("/carts/{cart}/customer"), buyer).await;
        assert_eq!(view.body["next_step"], "order", "{}", view.body);
        cart
    }

    /// A cart of the test buyer holding `quantity` places of the demo's exam (`CERT-EXAM`,
    /// 40 in stock), each with its candidate's form: ready to order.
    pub async fn exam_cart(&self, quantity: usize) -> String {
        let cart = self.new_cart().await;
        let form = serde_json::json!({"candidate_name": "A", "birthdate": "1990-01-01",
            "session": "2027-01"});
        let forms = serde_json::json!({"CERT-EXAM": vec![form; quantity]});
        let units = u32::try_from(quantity).unwrap();
        self.fill_cart(&cart, "CERT-EXAM", units, Some(forms), None)
            .await;
        let view = self
            .put(&format!("/carts/{cart}/customer"), customer())
            .await;
        assert_eq!(view.body["next_step"], "order", "{}", view.body);
        cart
    }

    /// Moves `bill` to `to` with the operator's `note` (`POST /admin/bills/{bill}/transitions`,
    /// bearer token).
    pub async fn move_bill(&self, bill: &str, to: &str, note: &str) -> Reply {
        let path = format!("/admin/bills/{bill}/transitions");
        let body = serde_json::json!({"to": to, "note": note});
        self.admin(reqwest::Method::POST, &path, Some(body)).await
    }

    /// The kinds of the bill's messages, oldest first, as the staff's bill lists them.
    pub async fn message_kinds(&self, bill: &str) -> Vec<String> {
        let path = format!("/admin/bills/{bill}");
        let view = self.admin(reqwest::Method::GET, &path, None).await;
        view.body["messages"]
            .as_array()
            .unwrap_or_else(|| panic!("no messages in {}", view.body))
            .iter()
            .map(|m| m["kind"].as_str().unwrap().to_owned())
            .collect()
    }

    /// How many of `code` the catalogue says are left in stock.
    pub async fn stock_left(&self, code: &str) -> Value {
        let catalog = self.get("/shops/demo/catalog").await.body;
        catalog["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["code"] == code)
            .unwrap_or_else(|| panic!("{code} not in the catalogue's first page"))["stock"]
            .clone()
    }

    /// Puts `quantity` of `code` in the cart, with the required data and participants given.
    pub async fn fill_cart(
        &self,
        cart: &str,
        code: &str,
        quantity: u32,
        requirements: Option<Value>,
        people: Option<Value>,
    ) {
        let line = self
            .put(
                &format!("/carts/{cart}/lines/{code}"),
                serde_json::json!({"quantity": quantity}),
            )
            .await;
        assert_eq!(line.status, 200, "{}", line.body);
        if let Some(forms) = requirements {
            let r = self
                .put(&format!("/carts/{cart}/requirements"), forms)
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
        }
        if let Some(people) = people {
            let r = self
                .put(&format!("/carts/{cart}/participants"), people)
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
        }
    }

    /// Places a ready cart with the `test` method and pays it: the bill's id and access token.
    pub async fn place_and_pay(&self, cart: &str) -> (String, String) {
        let placed = self.order(cart, "test").await;
        assert_eq!(placed.status, 201, "{}", placed.body);
        let id = placed.body["bill_id"].as_str().unwrap().to_owned();
        let token = placed.body["access_token"].as_str().unwrap().to_owned();
        let paid = self.test_payment(&id, &token, "paid").await;
        assert_eq!(paid.body["status"], "PAID", "{}", paid.body);
        (id, token)
    }

    /// Imports the demo shop again with copies of `EXCEL-ESS`, one per (code, visibility),
    /// named `Excel for {visibility}` (no French words).
    pub async fn add_excel_copies(&self, copies: &[(&str, &str)]) {
        let mut document = self
            .admin(reqwest::Method::GET, "/admin/shops/demo", None)
            .await
            .body;
        let items = document["items"].as_array_mut().unwrap();
        let excel = items
            .iter()
            .find(|i| i["code"] == "EXCEL-ESS")
            .unwrap()
            .clone();
        for (code, visibility) in copies {
            let mut item = excel.clone();
            item["code"] = (*code).into();
            item["visibility"] = (*visibility).into();
            item["name"] = format!("Excel for {visibility}").into();
            item.as_object_mut().unwrap().remove("texts");
            items.push(item);
        }
        let imported = self
            .admin(reqwest::Method::PUT, "/admin/shops/demo", Some(document))
            .await;
        assert_eq!(imported.status, 200, "{}", imported.body);
    }

    /// A Moodle account made on the simulator, logged in to the demo shop's customer area: its
    /// session token (the `enrolshop_session` cookie's value).
    pub async fn customer_session(&self, username: &str, email: &str, password: &str) -> String {
        self.moodle.add_user(username, email, password);
        let login = self
            .post_json(
                "/shops/demo/account/login",
                serde_json::json!({"username": username, "password": password}),
            )
            .await;
        assert_eq!(login.status, 200, "{}", login.body);
        login.body["session"].as_str().unwrap().to_owned()
    }

    pub async fn post_json(&self, path: &str, body: Value) -> Reply {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    /// Places a cart; the reply of `POST /carts/{cart}/order`.
    pub async fn order(&self, cart: &str, method: &str) -> Reply {
        let body = serde_json::json!({"payment_method": method, "accept_terms": true});
        self.post_json(&format!("/carts/{cart}/order"), body).await
    }

    /// `POST /bills/{bill}/test-payment` with the bill's token: the `test` method's outcome
    /// (`paid`, `pending`, `failed`, ...).
    pub async fn test_payment(&self, bill: &str, token: &str, outcome: &str) -> Reply {
        let path = format!("/bills/{bill}/test-payment");
        let body = serde_json::json!({ "outcome": outcome });
        self.with_token(reqwest::Method::POST, &path, token, Some(body))
            .await
    }

    /// A back-office route called with the admin bearer token.
    pub async fn admin(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Reply {
        self.with_token(method, path, ADMIN_TOKEN, body).await
    }

    /// Imports the demo shop's document again, as `edit` changes it (`PUT /admin/shops/demo`).
    pub async fn edit_demo(&self, edit: impl FnOnce(&mut Value)) {
        let mut document = self
            .admin(reqwest::Method::GET, "/admin/shops/demo", None)
            .await
            .body;
        edit(&mut document);
        let saved = self
            .admin(reqwest::Method::PUT, "/admin/shops/demo", Some(document))
            .await;
        assert!(saved.status < 300, "{}", saved.body);
    }

    /// A bill route called with the bill's access token as bearer.
    pub async fn with_token(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> Reply {
        let mut req = self.http.request(method, self.url(path)).bearer_auth(token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        Reply::from(req.send().await.unwrap()).await
    }
}

/// An HTTP answer, body parsed as JSON when it is JSON.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub location: Option<String>,
    pub body: Value,
}

impl Reply {
    pub async fn from(response: reqwest::Response) -> Self {
        let status = response.status().as_u16();
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let content_type = header("content-type").unwrap_or_default();
        let location = header("location");
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Self {
            status,
            content_type,
            location,
            body,
        }
    }

    /// Asserts a problem+json answer with this status and code; returns the error paths.
    pub fn assert_problem(&self, status: u16, code: &str) -> Vec<String> {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(self.content_type, "application/problem+json");
        assert_eq!(self.body["code"], code, "{}", self.body);
        assert_eq!(self.body["status"], status);
        assert!(self.body["title"].is_string() && self.body["detail"].is_string());
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| e["field"].as_str().unwrap().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A problem's field errors as (field, code), in order.
    pub fn field_codes(&self) -> Vec<(&str, &str)> {
        let errors = self.body["errors"].as_array().into_iter().flatten();
        errors
            .map(|e| (e["field"].as_str().unwrap(), e["code"].as_str().unwrap()))
            .collect()
    }
}

/// Runs each named case, an `async fn(Stack)` of the calling test file, on both stores:
/// DynamoDB (moto) and the embedded one.
#[macro_export]
macro_rules! on_both_stores {
    ($($case:ident),+ $(,)?) => {
        mod dynamodb_store {
            $(
                #[tokio::test]
                async fn $case() {
                    super::$case(enrolshop_tests::Stack::start().await).await;
                }
            )+
        }
        mod embedded_store {
            $(
                #[tokio::test]
                async fn $case() {
                    super::$case(enrolshop_tests::Stack::start_embedded().await).await;
                }
            )+
        }
    };
}
