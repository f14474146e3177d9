//! The local stack: every HTTP function's router mounted on one server, as `shopctl serve`
//! runs it and as the end-to-end tests drive it. One code path, two hosts (ARCHITECTURE.md, "Layers").

use std::sync::Arc;

pub mod dev_mail;
pub mod pages;

use axum::Router;
use chrono::Duration;
use shop_core::adapters::gateway_api::HttpGatewayApi;
use shop_core::app::account::Accounts;
use shop_core::app::admin::ShopAdmin;
use shop_core::app::bill_admin::BillAdmin;
use shop_core::app::bills::Bills;
use shop_core::app::checkout::{Checkout, PaymentLinks};
use shop_core::app::notify::Notifier;
use shop_core::app::products::ProductAdmin;
use shop_core::app::staff::StaffDesk;
use shop_core::app::storefront::Storefront;
use shop_core::app::{AppError, SystemClock};
use shop_core::domain::ids::ShopId;
use shop_core::ports::GatewayApi;
use shop_core::ports::{JobQueue, Lms, Store};
use shop_core::web;
use tower_http::trace::TraceLayer;

/// The demo shop loaded on first start (a realistic training catalogue, test mode).
pub const DEMO_SHOP: &str = include_str!("../../demo-shop.json");
/// The demo shop's courses, created in this order in a fresh Moodle (ids 2 to 8, as the demo
/// shop's `customer_support_course` and handler params name them; 8 is `MY-COURSE`'s template).
pub const DEMO_COURSES: [(&str, &str); 7] = [
    ("SUPPORT", "Customer support"),
    ("EXCEL", "Excel essentials"),
    ("SAFETY", "Workplace safety"),
    ("LEAD", "Leading teams"),
    ("CERT", "Certification exam"),
    ("WELCOME", "Welcome webinar"),
    ("TEMPLATE", "Course template"),
];

/// The demo shop's staff in the Moodle simulator: (username, password, role), for signing in to
/// the back office pages on the local stack.
pub const DEMO_STAFF: [(&str, &str, &str); 2] = [
    ("manager", "manager-2026", "manager"),
    ("operator", "operator-2026", "operator"),
];

/// The dev back-office token; `--production` refuses it.
pub const DEV_ADMIN_TOKEN: &str = "dev-admin-token";

pub struct StackOptions {
    pub admin_token: String,
    /// The API's public base URL (for the URLs given to payment gateways).
    pub public_url: String,
    pub cart_ttl: Duration,
    pub checkout_path: String,
    /// Proxies whose `X-Forwarded-For` is believed (`--trusted-proxies`).
    pub trusted_proxies: web::TrustedProxies,
    /// The mail catcher shown at `/dev/mail` (none with `--production`).
    pub mail_catcher: Option<shop_core::adapters::mail::catcher::MailCatcher>,
    /// The Moodle site's address as its users reach it (links in the back office).
    pub moodle_url: Option<String>,
}

impl Default for StackOptions {
    fn default() -> Self {
        Self {
            admin_token: DEV_ADMIN_TOKEN.into(),
            public_url: "http://127.0.0.1:3000".into(),
            cart_ttl: Duration::days(shop_core::app::storefront::DEFAULT_CART_TTL_DAYS),
            checkout_path: storefront::DEFAULT_CHECKOUT_PATH.into(),
            trusted_proxies: web::TrustedProxies::default(),
            mail_catcher: None,
            moodle_url: None,
        }
    }
}

/// All HTTP functions on one router, over one store and one production queue.
pub fn stack(
    store: Arc<dyn Store>,
    queue: Arc<dyn JobQueue>,
    lms: Arc<dyn Lms>,
    options: &StackOptions,
) -> Router {
    let clock = Arc::new(SystemClock);
    let shop = Arc::new(Storefront::new(
        store.clone(),
        clock.clone(),
        options.cart_ttl,
    ));
    let desk = Bills {
        store: store.clone(),
        clock,
        queue,
    };
    let bills = Arc::new(BillAdmin::new(desk.clone()));
    let api: Arc<dyn GatewayApi> = Arc::new(HttpGatewayApi::default());
    let notifier = Arc::new(Notifier::new(desk.clone(), api.clone()));
    let links = PaymentLinks {
        public_url: options.public_url.trim_end_matches('/').to_owned(),
        api,
    };
    let products = Arc::new(ProductAdmin {
        store: store.clone(),
        clock: desk.clock.clone(),
        lms,
    });
    let accounts = Arc::new(Accounts {
        store: store.clone(),
        clock: desk.clock.clone(),
        lms: products.lms.clone(),
        jobs: desk.queue.clone(),
        storefront: shop.clone(),
        moodle_url: options.moodle_url.clone(),
    });
    let admin = Arc::new(ShopAdmin::new(store));
    let dev_mail = options.mail_catcher.clone().map(dev_mail::router);
    let app = Router::new()
        .merge(dev_mail.unwrap_or_default())
        .merge(storefront::router(shop, &options.checkout_path))
        .merge(account::router(accounts))
        .merge(pages::router())
        .merge(checkout::router(Arc::new(
            Checkout::new(desk.clone(), links).with_moodle_url(options.moodle_url.clone()),
        )))
        .merge(payment_notify::router(
            notifier,
            payment_notify::DEFAULT_BILL_PATH,
        ))
        .merge(backoffice::router(
            backoffice::Desks {
                app: admin,
                customers: Arc::new(shop_core::app::customer_admin::CustomerAdmin {
                    store: products.store.clone(),
                    clock: products.clock.clone(),
                    moodle_url: options.moodle_url.clone(),
                }),
                exports: Arc::new(shop_core::app::exports::Exports {
                    store: products.store.clone(),
                }),
                settings: Arc::new(shop_core::app::settings::SettingsAdmin::new(
                    products.store.clone(),
                    products.clock.clone(),
                )),
                items: Arc::new(shop_core::app::items::ItemAdmin::new(
                    products.store.clone(),
                    products.clock.clone(),
                    products.lms.clone(),
                )),
                bills,
                staff: Arc::new(StaffDesk {
                    store: products.store.clone(),
                    clock: products.clock.clone(),
                    lms: products.lms.clone(),
                }),
                products,
            },
            &options.admin_token,
        ))
        .fallback(web::no_route);
    web::hardened(app)
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(options.trusted_proxies.clone()),
            client_from_peer,
        ))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
}

/// The client's address on the local stack: the TCP peer (served with connect info), or the
/// hop a trusted proxy forwarded.
async fn client_from_peer(
    axum::extract::State(trusted): axum::extract::State<Arc<web::TrustedProxies>>,
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let peer = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    if let Some(peer) = peer {
        let client = trusted.client(peer, req.headers());
        req.extensions_mut().insert(client);
    }
    next.run(req).await
}

/// The local postman: sends the messages that are due, every 2 s (a failed send waits for
/// its retry time, which the letter keeps).
pub async fn run_postman(postman: Arc<shop_core::app::mail::postman::Postman>) {
    for round in 0u64.. {
        // Expiry reminders at start, then every 5 minutes (their thresholds are days).
        if round % 150 == 0 {
            match postman.write_reminders().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(written = n, "expiry reminders written"),
                Err(e) => tracing::warn!(error = %e, "expiry reminders not looked for"),
            }
        }
        match postman.send_due().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(sent = n, "messages sent"),
            Err(e) => {
                tracing::warn!(error = %e, "the postman could not read the mailbox; next round in 2 s")
            }
        }
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    }
}

/// Loads the demo shop unless a shop `demo` exists. True when it was loaded now.
pub async fn load_demo(store: Arc<dyn Store>) -> Result<bool, AppError> {
    let id: ShopId = "demo".parse().expect("valid id");
    if shop_core::app::repo::find_shop(store.as_ref(), &id, shop_core::app::repo::Items::None)
        .await?
        .is_some()
    {
        return Ok(false);
    }
    ShopAdmin::new(store)
        .import(
            &shop_core::app::staff::Caller::Automation,
            "demo",
            DEMO_SHOP.as_bytes(),
        )
        .await?;
    Ok(true)
}

/// One span per request with the method and the path only: query strings may carry a bill's
/// access token (`?token=`), which must never reach the logs, and a cart id in the path is
/// logged as its short hash.
fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let path = web::loggable_path(request.uri().path());
    tracing::info_span!("request", method = %request.method(), path = %path)
}

/// The local production consumer: takes jobs from the in-process queue and produces them;
/// a job that fails for a retryable reason stays and comes back after the visibility timeout.
pub async fn run_consumer(
    queue: Arc<shop_core::adapters::memory_queue::InProcessQueue>,
    producer: Arc<shop_core::app::production::Producer>,
) {
    loop {
        let deliveries = queue.receive(10);
        if deliveries.is_empty() {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            continue;
        }
        for d in deliveries {
            let last = d.receives >= queue.max_receives();
            match producer.handle(&d.job).await {
                Ok(outcome) => {
                    tracing::info!(bill = %d.job.bill, ?outcome, "production job done");
                    queue.ack(d.id);
                }
                Err(e) if last => {
                    tracing::error!(bill = %d.job.bill, error = %e, "production job dead-lettered");
                    if let Err(e) = producer.give_up(&d.job, &e.0).await {
                        tracing::error!(bill = %d.job.bill, error = %e, "could not record the failure");
                    }
                }
                Err(e) => {
                    tracing::warn!(bill = %d.job.bill, receives = d.receives, error = %e, "production job will be retried")
                }
            }
        }
    }
}

/// The local outbox relay: at start, every job left in the outbox (the in-process queue
/// starts empty, so nothing is in flight) and stuck bills; then every 15 s, the jobs whose
/// records are older than the queue's visibility timeout, and stuck bills again; every 5
/// minutes, the bills left at a gateway.
pub async fn run_relay(producer: Arc<shop_core::app::production::Producer>) {
    for round in 0u64.. {
        // Bills left at a gateway and payments awaited, every 5 minutes (their waits are counted
        // in days).
        if round % 20 == 0 {
            match producer.call_off_abandoned(chrono::Utc::now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(called_off = n, "bills left at a gateway called off"),
                Err(e) => tracing::warn!(error = %e, "bills left at a gateway not looked for"),
            }
            match producer.remind_awaited(chrono::Utc::now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(reminded = n, "buyers reminded of a payment awaited"),
                Err(e) => tracing::warn!(error = %e, "payments awaited not looked for"),
            }
        }
        let relayed = if round == 0 {
            producer.relay_at_start().await
        } else {
            producer.relay_outbox().await
        };
        match relayed {
            Ok(done) if done == Default::default() => {}
            Ok(done) => {
                tracing::info!(
                    resent = done.resent,
                    requeued = done.requeued,
                    "outbox relayed"
                )
            }
            Err(e) => tracing::warn!(error = %e, "outbox relay failed; next round in 15 s"),
        }
        tokio::time::sleep(std::time::Duration::from_secs(15)).await;
    }
}
