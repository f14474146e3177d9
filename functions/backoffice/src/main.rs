//! Lambda entry point: build the adapters once from the environment, then serve the router.

use std::sync::Arc;
use std::time::Duration;

use shop_core::adapters::moodle::MoodleClient;
use shop_core::app::products::ProductAdmin;

use shop_core::app::SystemClock;
use shop_core::app::admin::ShopAdmin;
use shop_core::app::bill_admin::BillAdmin;
use shop_core::app::bills::Bills;
use shop_core::app::staff::StaffDesk;
use shop_core::config::LambdaConfig;

// One event at a time per execution environment: a current-thread runtime starts faster than
// a multi-thread one (README "Cold start") and its workers would have nothing to do.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    shop_core::config::init_logs();
    let config = shop_core::config::init(LambdaConfig::from_env()).await;
    let token = shop_core::config::init(config.admin_token())
        .await
        .to_owned();
    let store = config.store();
    let desk = Bills {
        store: store.clone(),
        clock: Arc::new(SystemClock),
        queue: config.queue(),
    };
    let (url, moodle_token) = shop_core::config::init(config.moodle()).await;
    let moodle_url = url.to_string();
    let lms = Arc::new(MoodleClient::new(
        url,
        moodle_token,
        Duration::from_secs(10),
    ));
    let desks = backoffice::Desks {
        app: Arc::new(ShopAdmin::new(store.clone())),
        customers: Arc::new(shop_core::app::customer_admin::CustomerAdmin {
            store: store.clone(),
            clock: desk.clock.clone(),
            moodle_url: Some(moodle_url.clone()),
        }),
        exports: Arc::new(shop_core::app::exports::Exports {
            store: store.clone(),
        }),
        settings: Arc::new(shop_core::app::settings::SettingsAdmin::new(
            store.clone(),
            desk.clock.clone(),
        )),
        items: Arc::new(shop_core::app::items::ItemAdmin::new(
            store.clone(),
            desk.clock.clone(),
            lms.clone(),
        )),
        products: Arc::new(ProductAdmin {
            store: store.clone(),
            clock: desk.clock.clone(),
            lms: lms.clone(),
        }),
        staff: Arc::new(StaffDesk {
            store,
            clock: desk.clock.clone(),
            lms,
        }),
        bills: Arc::new(BillAdmin::new(desk)),
    };
    let router = backoffice::router(desks, &token);
    shop_core::web::lambda::run(router).await
}
