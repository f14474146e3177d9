//! Lambda entry point: build the adapters once from the environment, then serve the router.

use std::sync::Arc;

use shop_core::adapters::gateway_api::HttpGatewayApi;
use shop_core::app::SystemClock;
use shop_core::app::bills::Bills;
use shop_core::app::checkout::{Checkout, PaymentLinks};
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
    let links = PaymentLinks {
        public_url: config.public_url.clone(),
        api: Arc::new(HttpGatewayApi::default()),
    };
    let app = Checkout::new(desk, links).with_moodle_url(config.moodle_url.clone());
    let router = checkout::router(Arc::new(app));
    shop_core::web::lambda::run(router).await
}
