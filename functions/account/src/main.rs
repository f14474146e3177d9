//! Lambda entry point: build the adapters once from the environment, then serve the router.

use std::sync::Arc;
use std::time::Duration;

use shop_core::adapters::moodle::MoodleClient;
use shop_core::app::SystemClock;
use shop_core::app::account::Accounts;
use shop_core::app::storefront::Storefront;
use shop_core::config::LambdaConfig;

// One event at a time per execution environment: a current-thread runtime starts faster than
// a multi-thread one (README "Cold start") and its workers would have nothing to do.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    shop_core::config::init_logs();
    let config = shop_core::config::init(LambdaConfig::from_env()).await;
    let (url, token) = shop_core::config::init(config.moodle()).await;
    let store = config.store();
    let clock = Arc::new(SystemClock);
    let storefront = Arc::new(Storefront::new(
        store.clone(),
        clock.clone(),
        config.cart_ttl,
    ));
    let app = Accounts {
        store,
        clock,
        lms: Arc::new(MoodleClient::new(url, token, Duration::from_secs(10))),
        jobs: config.queue(),
        storefront,
        moodle_url: config.moodle_url.clone(),
    };
    let router = account::router(Arc::new(app));
    shop_core::web::lambda::run(router).await
}
