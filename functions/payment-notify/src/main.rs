//! Lambda entry point: build the adapters once from the environment, then serve the router.

use std::sync::Arc;

use shop_core::adapters::gateway_api::HttpGatewayApi;
use shop_core::app::SystemClock;
use shop_core::app::bills::Bills;
use shop_core::app::notify::Notifier;
use shop_core::config::LambdaConfig;

// One event at a time per execution environment: a current-thread runtime starts faster than
// a multi-thread one (README "Cold start") and its workers would have nothing to do.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    shop_core::config::init_logs();
    let config = shop_core::config::init(LambdaConfig::from_env()).await;
    let desk = Bills {
        store: config.store(),
        clock: Arc::new(SystemClock),
        queue: config.queue(),
    };
    let notifier = Arc::new(Notifier::new(desk, Arc::new(HttpGatewayApi::default())));
    let router = payment_notify::router(notifier, &config.bill_path);
    shop_core::web::lambda::run(router).await
}
