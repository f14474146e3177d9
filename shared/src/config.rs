//! Configuration of the Lambda functions, read and checked once at init from the environment
//! (the variables `template.yaml` sets). A missing or malformed variable fails init with an
//! error naming it.

use std::sync::Arc;

use chrono::Duration;

use crate::adapters::aws;
use crate::adapters::dynamo::DynamoStore;
use crate::app::storefront::DEFAULT_CART_TTL_DAYS;
use crate::ports::Store;

#[derive(Debug, thiserror::Error)]
#[error("configuration: {variable} {problem}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
}

pub struct LambdaConfig {
    /// `TABLE_NAME`: the DynamoDB table.
    pub table: String,
    /// `DYNAMODB_ENDPOINT`: an endpoint other than AWS's (moto, DynamoDB Local).
    pub dynamodb_endpoint: Option<String>,
    /// `CART_TTL_DAYS` (default 7).
    pub cart_ttl: Duration,
    /// `CHECKOUT_PATH` (default `/checkout`): where cart imports send the browser.
    pub checkout_path: String,
    /// `ADMIN_TOKEN`: the back-office bearer token (back office only).
    pub admin_token: Option<String>,
    /// `PUBLIC_URL`: the API's public base URL, for the URLs given to gateways.
    pub public_url: String,
    /// `BILL_PATH` (default `/bill`): the bill page that gateway returns lead to.
    pub bill_path: String,
    /// `QUEUE_URL`: the production queue (SQS FIFO); without it jobs stay in the outbox.
    pub queue_url: Option<String>,
    /// `SQS_ENDPOINT`: an endpoint other than AWS's (moto).
    pub sqs_endpoint: Option<String>,
    /// `MOODLE_URL` and `MOODLE_TOKEN`: the Moodle site (production function).
    pub moodle_url: Option<String>,
    pub moodle_token: Option<String>,
    /// `MAIL_FROM`: the sender of the shop's messages, a verified SES identity (production
    /// function). Without it, messages wait in the mailbox.
    pub mail_from: Option<String>,
    /// `SES_CONFIGURATION_SET`: the SES configuration set to send with, if any.
    pub ses_configuration_set: Option<String>,
    /// `SES_ENDPOINT`: an endpoint other than AWS's (moto).
    pub ses_endpoint: Option<String>,
    /// `PAGES_URL`: the public base URL of the shop's pages, for the links in messages.
    pub pages_url: String,
    /// The SDK configuration the function's clients share, loaded by the first one.
    sdk: std::sync::OnceLock<aws_types::SdkConfig>,
}

/// An environment variable, unset when blank.
pub(crate) fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl LambdaConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        let table = var("TABLE_NAME").ok_or(ConfigError {
            variable: "TABLE_NAME",
            problem: "is not set".into(),
        })?;
        let days = match var("CART_TTL_DAYS") {
            None => DEFAULT_CART_TTL_DAYS,
            Some(v) => v
                .parse()
                .ok()
                .filter(|d| (1..=90).contains(d))
                .ok_or(ConfigError {
                    variable: "CART_TTL_DAYS",
                    problem: format!("`{v}` is not a number of days from 1 to 90"),
                })?,
        };
        Ok(Self {
            table,
            dynamodb_endpoint: var("DYNAMODB_ENDPOINT"),
            cart_ttl: Duration::days(days),
            checkout_path: var("CHECKOUT_PATH").unwrap_or_else(|| "/checkout".into()),
            admin_token: var("ADMIN_TOKEN"),
            public_url: var("PUBLIC_URL")
                .unwrap_or_default()
                .trim_end_matches('/')
                .to_owned(),
            bill_path: var("BILL_PATH").unwrap_or_else(|| "/bill".into()),
            queue_url: var("QUEUE_URL"),
            sqs_endpoint: var("SQS_ENDPOINT"),
            moodle_url: var("MOODLE_URL"),
            moodle_token: var("MOODLE_TOKEN"),
            mail_from: var("MAIL_FROM"),
            ses_configuration_set: var("SES_CONFIGURATION_SET"),
            ses_endpoint: var("SES_ENDPOINT"),
            pages_url: var("PAGES_URL").unwrap_or_default(),
            sdk: std::sync::OnceLock::new(),
        })
    }

    /// The SDK configuration for a service at `endpoint` (AWS's with `None`). Loaded once per
    /// process — credentials, region, the HTTPS client and its trust store — however many
    /// clients the function builds (production: DynamoDB, SQS, SES; README "Cold start"); each
    /// service gets its own endpoint on a copy.
    fn sdk(&self, endpoint: Option<&str>) -> aws_types::SdkConfig {
        let local = [
            &self.dynamodb_endpoint,
            &self.sqs_endpoint,
            &self.ses_endpoint,
        ]
        .into_iter()
        .find_map(Option::as_deref);
        let shared = self.sdk.get_or_init(|| aws::sdk_config(local));
        let mut config = shared.to_builder();
        config.set_endpoint_url(endpoint.map(str::to_owned));
        config.build()
    }

    /// The back-office token, required by the back-office function.
    pub fn admin_token(&self) -> Result<&str, ConfigError> {
        self.admin_token.as_deref().ok_or(ConfigError {
            variable: "ADMIN_TOKEN",
            problem: "is not set".into(),
        })
    }

    /// The Moodle site's URL and web-service token, required by the production function.
    pub fn moodle(&self) -> Result<(&str, &str), ConfigError> {
        let missing = |variable| ConfigError {
            variable,
            problem: "is not set".into(),
        };
        Ok((
            self.moodle_url.as_deref().ok_or(missing("MOODLE_URL"))?,
            self.moodle_token
                .as_deref()
                .ok_or(missing("MOODLE_TOKEN"))?,
        ))
    }

    /// The production queue: SQS when `QUEUE_URL` is set, else the outbox alone.
    pub fn queue(&self) -> Arc<dyn crate::ports::JobQueue> {
        match &self.queue_url {
            Some(url) => {
                let client = aws_sdk_sqs::Client::new(&self.sdk(self.sqs_endpoint.as_deref()));
                Arc::new(crate::adapters::sqs::SqsQueue::new(client, url))
            }
            None => Arc::new(crate::adapters::memory_queue::OutboxOnly),
        }
    }

    /// The postman sending through SES from `MAIL_FROM`; none when it is not set (messages
    /// then wait in the mailbox, nothing is lost). A sender needs `PAGES_URL`: a message's
    /// links (the bill, the invoice) must be absolute to be followed from a mail reader.
    pub fn postman(
        &self,
        bills: crate::app::bills::Bills,
    ) -> Result<Option<crate::app::mail::postman::Postman>, ConfigError> {
        let Some(from) = self.mail_from.clone() else {
            return Ok(None);
        };
        if !(self.pages_url.starts_with("https://") || self.pages_url.starts_with("http://")) {
            return Err(ConfigError {
                variable: "PAGES_URL",
                problem: format!(
                    "`{}` is not the pages' public address (https://shop.example), which the \
                     messages' links need",
                    self.pages_url
                ),
            });
        }
        let ses = aws_sdk_sesv2::Client::new(&self.sdk(self.ses_endpoint.as_deref()));
        let mailer =
            crate::adapters::mail::ses::SesMailer::new(ses, self.ses_configuration_set.clone());
        Ok(Some(crate::app::mail::postman::Postman {
            bills,
            mailer: Arc::new(mailer),
            site: crate::app::mail::postman::MailSite {
                from,
                pages_url: self.pages_url.clone(),
                bill_path: self.bill_path.clone(),
                moodle_url: self.moodle_url.clone(),
                // An empty PUBLIC_URL: the API is reached where the pages are.
                api_url: if self.public_url.is_empty() {
                    self.pages_url.clone()
                } else {
                    self.public_url.clone()
                },
            },
        }))
    }

    /// The DynamoDB store, its SDK client built once per process.
    pub fn store(&self) -> Arc<dyn Store> {
        let client = aws_sdk_dynamodb::Client::new(&self.sdk(self.dynamodb_endpoint.as_deref()));
        Arc::new(DynamoStore::new(client, &self.table))
    }
}

/// Logs as Lambda's advanced logging controls ask: JSON lines when `AWS_LAMBDA_LOG_FORMAT` is
/// `JSON`, at the level of `AWS_LAMBDA_LOG_LEVEL` (else `RUST_LOG`, else INFO). As
/// `lambda_http`'s default subscriber, but a level rather than `EnvFilter` directives: the
/// filter's regular-expression engine is 0.2 MB of every package (README "Package sizes").
pub fn init_logs() {
    use tracing_subscriber::filter::LevelFilter;
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok()
        .and_then(|l| l.parse::<LevelFilter>().ok())
        .unwrap_or(LevelFilter::INFO);
    let logs = tracing_subscriber::fmt()
        .with_target(false)
        .without_time()
        .with_max_level(level);
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    if json {
        logs.json().init();
    } else {
        logs.init();
    }
}

/// The configured value; on a failure, one log line naming the variable, the error reported to
/// Lambda's runtime API (`/runtime/init/error`, so the console says why), and exit code 1.
pub async fn init<T>(result: Result<T, ConfigError>) -> T {
    let error = match result {
        Ok(value) => return value,
        Err(error) => error,
    };
    tracing::error!(variable = error.variable, "{error}");
    if let Ok(api) = std::env::var("AWS_LAMBDA_RUNTIME_API") {
        let body = serde_json::json!({"errorMessage": error.to_string(), "errorType": "Runtime.ConfigError"});
        let sent = crate::adapters::https::builder()
            .build()
            .expect("the HTTP client builds")
            .post(format!("http://{api}/2018-06-01/runtime/init/error"))
            .header("Lambda-Runtime-Function-Error-Type", "Runtime.ConfigError")
            .json(&body)
            .send()
            .await;
        if let Err(e) = sent {
            tracing::error!(error = %e, "could not report the init error");
        }
    }
    std::process::exit(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(dynamodb: Option<&str>, sqs: Option<&str>) -> LambdaConfig {
        LambdaConfig {
            table: "t".into(),
            dynamodb_endpoint: dynamodb.map(str::to_owned),
            cart_ttl: Duration::days(7),
            checkout_path: "/checkout".into(),
            admin_token: None,
            public_url: String::new(),
            bill_path: "/bill".into(),
            queue_url: None,
            sqs_endpoint: sqs.map(str::to_owned),
            moodle_url: None,
            moodle_token: None,
            mail_from: None,
            ses_configuration_set: None,
            ses_endpoint: None,
            pages_url: String::new(),
            sdk: std::sync::OnceLock::new(),
        }
    }

    /// One configuration for the function's clients, each with its own service's endpoint
    /// (none: AWS's), whatever client loaded it first.
    #[test]
    fn each_client_gets_its_own_endpoint_from_one_shared_configuration() {
        let c = config(Some("http://127.0.0.1:1"), Some("http://127.0.0.1:2"));
        let sqs = c.sdk(c.sqs_endpoint.as_deref());
        let dynamodb = c.sdk(c.dynamodb_endpoint.as_deref());
        let ses = c.sdk(c.ses_endpoint.as_deref());
        assert_eq!(sqs.endpoint_url(), Some("http://127.0.0.1:2"));
        assert_eq!(dynamodb.endpoint_url(), Some("http://127.0.0.1:1"));
        assert_eq!(ses.endpoint_url(), None);
        let aws = config(None, None);
        assert_eq!(aws.sdk(None).endpoint_url(), None);
    }
}
