//! The cold-start baseline plus what every shop function builds at init: the AWS SDK
//! configuration and a DynamoDB client, as `shop_core::adapters::dynamo::client` builds them
//! (`cold_start -- 31 hello-lambda@sdk=target/release/hello-sdk`: how much of a function's init
//! is the SDK's).

use lambda_http::{Body, Error, Request, Response, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    let endpoint = std::env::var("DYNAMODB_ENDPOINT").ok();
    let client = shop_core::adapters::dynamo::client(endpoint.as_deref());
    lambda_http::run(service_fn(move |_: Request| {
        let _client = client.clone();
        async { Ok::<_, Error>(Response::new(Body::from("hello"))) }
    }))
    .await
}
