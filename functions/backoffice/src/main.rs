//! Lambda entry point: build the adapters once from the environment, then serve the router.

use std::sync::Arc;

use shop_core::app::admin::ShopAdmin;
use shop_core::config::LambdaConfig;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let config = LambdaConfig::from_env()?;
    let token = config.admin_token()?.to_owned();
    let app = Arc::new(ShopAdmin::new(config.store().await));
    let router = backoffice::router(app, &token).fallback(shop_core::web::no_route);
    lambda_http::run(router).await
}
