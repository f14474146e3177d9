//! Lambda entry point: build the adapters once from the environment, then handle SQS batches.

use std::sync::Arc;

use lambda_runtime::{Error, LambdaEvent, service_fn};
use shop_core::adapters::moodle::MoodleClient;
use shop_core::app::SystemClock;
use shop_core::app::bills::Bills;
use shop_core::app::production::Producer;
use shop_core::config::LambdaConfig;

// One event at a time per execution environment: a current-thread runtime starts faster than
// a multi-thread one (README "Cold start") and its workers would have nothing to do.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    shop_core::config::init_logs();
    let config = shop_core::config::init(LambdaConfig::from_env()).await;
    let (url, token) = shop_core::config::init(config.moodle()).await;
    let lms = Arc::new(MoodleClient::new(
        url,
        token,
        std::time::Duration::from_secs(20),
    ));
    let store = config.store();
    let desk = Bills {
        store,
        clock: Arc::new(SystemClock),
        queue: config.queue(),
    };
    let postman = shop_core::config::init(config.postman(desk.clone()))
        .await
        .map(Arc::new);
    if postman.is_none() {
        tracing::warn!("MAIL_FROM is not set: messages wait in the mailbox");
    }
    let producer = Arc::new(Producer::new(desk, lms).with_timing(production::timing_from_env()));
    lambda_runtime::run(service_fn(move |event: LambdaEvent<serde_json::Value>| {
        let producer = producer.clone();
        let postman = postman.clone();
        async move {
            production::handle_event(&producer, postman.as_deref(), event.payload)
                .await
                .map_err(Error::from)
        }
    }))
    .await
}
