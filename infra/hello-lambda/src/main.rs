//! The cold-start baseline (`cargo run --release -p enrolshop-tests --bin cold_start`): the
//! smallest `lambda_http` function, with the same runtime, logging and profile as the shop's.

use lambda_http::{Body, Error, Request, Response, service_fn};

// The runtime the functions use, so that the baseline differs from them by their own work only.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    lambda_http::run(service_fn(|_: Request| async {
        Ok::<_, Error>(Response::new(Body::from("hello")))
    }))
    .await
}
