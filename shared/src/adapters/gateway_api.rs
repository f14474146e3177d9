//! The gateways' APIs over HTTPS (the [`GatewayApi`] port): Stripe's Checkout Sessions and
//! PayPal's IPN postback, with a 10 s timeout. The client is built on first use, so that a
//! function that never calls a gateway never pays for it at start-up.

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;

use crate::gateways::VerifyError;
use crate::ports::GatewayApi;

#[derive(Clone, Default)]
pub struct HttpGatewayApi {
    http: Arc<OnceLock<reqwest::Client>>,
}

impl HttpGatewayApi {
    fn http(&self) -> &reqwest::Client {
        self.http.get_or_init(|| {
            super::https::builder()
                .timeout(std::time::Duration::from_secs(10))
                .build()
                .expect("the HTTP client builds")
        })
    }
}

fn unavailable(who: &str, e: impl std::fmt::Display) -> VerifyError {
    VerifyError::Unavailable(format!("{who} did not answer: {e}"))
}

#[async_trait]
impl GatewayApi for HttpGatewayApi {
    async fn stripe_session(
        &self,
        api_base: &str,
        secret_key: &str,
        form: Vec<(String, String)>,
    ) -> Result<String, VerifyError> {
        let url = format!("{}/v1/checkout/sessions", api_base.trim_end_matches('/'));
        let response = self
            .http()
            .post(url)
            .bearer_auth(secret_key)
            .form(&form)
            .send()
            .await
            .map_err(|e| unavailable("Stripe", e))?;
        if !response.status().is_success() {
            let status = response.status();
            return Err(unavailable("Stripe", format!("HTTP {status}")));
        }
        let session: serde_json::Value = response
            .json()
            .await
            .map_err(|e| unavailable("Stripe", e))?;
        session["url"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| unavailable("Stripe", "no session url"))
    }

    async fn paypal_postback(
        &self,
        verify_url: &str,
        body: Vec<u8>,
    ) -> Result<String, VerifyError> {
        let answer = self
            .http()
            .post(verify_url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| unavailable("PayPal's verifier", e))?;
        answer
            .text()
            .await
            .map_err(|e| unavailable("PayPal's verifier", e))
    }
}
