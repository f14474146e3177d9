//! The AWS SDK configuration every client shares (DynamoDB, SQS, SES): region and credentials
//! from the environment, as Lambda gives them, and the shop's HTTP client trusting Amazon's roots.
//!
//! Built without `aws-config`'s loader on purpose: its default chains (profile files, SSO, STS,
//! IMDS, container credentials) are dead weight in a function whose role credentials Lambda puts
//! in the environment: 0.7 MB of each package (README "Package sizes"). Developers who call AWS
//! from a laptop export their credentials (`aws configure export-credentials --format env`).

use std::sync::Mutex;
use std::time::Duration;

use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_smithy_async::rt::sleep::TokioSleep;
use aws_smithy_runtime_api::client::behavior_version::BehaviorVersion;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;
use aws_types::SdkConfig;
use aws_types::region::Region;

use crate::config::var;

/// The roots of Amazon Trust Services, which issue the certificates of every AWS endpoint the
/// SDK clients call (DynamoDB, SQS, SES): Amazon Root CA 1 to 4 and Starfield Services Root
/// CA G2 (`shared/certs/amazon-trust-services.pem`).
const AMAZON_ROOTS: &[u8] = include_bytes!("../../certs/amazon-trust-services.pem");

/// The region when a local endpoint (moto) is named and the environment has none.
const LOCAL_REGION: &str = "us-east-1";

/// The configuration for a service at `endpoint` (moto, DynamoDB Local) or, with `None`, at
/// AWS's. Credentials come from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and
/// `AWS_SESSION_TOKEN` (Lambda sets them to the function's role); a local endpoint without them
/// gets dummy ones, which local servers accept. The region comes from `AWS_REGION` or
/// `AWS_DEFAULT_REGION`. Retries and the connect timeout are `aws-config`'s defaults.
pub fn sdk_config(endpoint: Option<&str>) -> SdkConfig {
    let mut config = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .retry_config(RetryConfig::standard())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_millis(3100))
                .build(),
        )
        .sleep_impl(TokioSleep::new());
    config.set_region(region(&var, endpoint.is_some()));
    config.set_credentials_provider(credentials(&var, endpoint.is_some()));
    config.set_http_client(Some(https_client()));
    config.set_endpoint_url(endpoint.map(str::to_owned));
    config.build()
}

type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

fn region(var: Env, local: bool) -> Option<Region> {
    var("AWS_REGION")
        .or_else(|| var("AWS_DEFAULT_REGION"))
        .or_else(|| local.then(|| LOCAL_REGION.to_owned()))
        .map(Region::new)
}

/// The environment's credentials; `None` (every call refused by the SDK, and logged) when
/// there are none for AWS's own endpoints.
fn credentials(var: Env, local: bool) -> Option<SharedCredentialsProvider> {
    let credentials = match (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) {
        (Some(key), Some(secret)) => {
            Credentials::new(key, secret, var("AWS_SESSION_TOKEN"), None, "environment")
        }
        _ if local => Credentials::new("local", "local", None, None, "local"),
        _ => {
            tracing::error!("no AWS credentials in the environment (AWS_ACCESS_KEY_ID)");
            return None;
        }
    };
    Some(SharedCredentialsProvider::new(credentials))
}

/// The SDK's HTTP client: the shop's `reqwest` ([`super::https`]), so that one HTTP/1.1 client
/// carries every call the shop makes. The SDK's own (`aws-smithy-http-client`) turns on HTTP/2,
/// which no endpoint the shop calls needs, and with it a copy of `h2` in each of the binary's
/// HTTP clients (README "Package sizes"). It trusts Amazon's roots alone: the platform's store
/// is some 150 certificates to load and decode at init (on Debian some 300 files), and trust in
/// authorities an AWS endpoint never uses (README "Cold start"); the platform's store when
/// `SSL_CERT_FILE` or `SSL_CERT_DIR` names the certificates to trust (an inspecting proxy, a
/// private endpoint).
fn https_client() -> SharedHttpClient {
    SharedHttpClient::new(SdkHttp::default())
}

/// One `reqwest` client per set of timeouts the SDK asks for (its connectors are asked for on
/// every attempt; a client keeps its connections).
#[derive(Debug, Default)]
struct SdkHttp {
    connectors: Mutex<Vec<(Timeouts, SharedHttpConnector)>>,
}

type Timeouts = (Option<Duration>, Option<Duration>);

impl HttpClient for SdkHttp {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        _: &RuntimeComponents,
    ) -> SharedHttpConnector {
        let timeouts = (settings.connect_timeout(), settings.read_timeout());
        let mut connectors = self.connectors.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, connector)) = connectors.iter().find(|(t, _)| *t == timeouts) {
            return connector.clone();
        }
        let connector = SharedHttpConnector::new(SdkConnector(sdk_reqwest(timeouts)));
        connectors.push((timeouts, connector.clone()));
        connector
    }
}

fn sdk_reqwest((connect, read): Timeouts) -> reqwest::Client {
    let platform_store =
        std::env::var_os("SSL_CERT_FILE").is_some() || std::env::var_os("SSL_CERT_DIR").is_some();
    let mut builder = if platform_store {
        super::https::builder()
    } else {
        super::https::builder_trusting(amazon_roots())
    }
    // The SDK reads AWS's answers as they are, redirects included.
    .redirect(reqwest::redirect::Policy::none());
    if let Some(timeout) = connect {
        builder = builder.connect_timeout(timeout);
    }
    if let Some(timeout) = read {
        builder = builder.read_timeout(timeout);
    }
    builder.build().expect("the SDK's HTTP client builds")
}

fn amazon_roots() -> rustls::RootCertStore {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    roots.add_parsable_certificates(CertificateDer::pem_slice_iter(AMAZON_ROOTS).flatten());
    roots
}

/// A request of the SDK sent with `reqwest`, its answer streamed back; failures sorted as the
/// SDK's retries need them (a timeout, a connection never made, an I/O error).
#[derive(Debug)]
struct SdkConnector(reqwest::Client);

impl HttpConnector for SdkConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let client = self.0.clone();
        HttpConnectorFuture::new(async move {
            let request = request
                .try_into_http1x()
                .map_err(|e| ConnectorError::user(e.into()))?
                .map(reqwest::Body::wrap);
            let request = reqwest::Request::try_from(request).map_err(connector_error)?;
            let response = client.execute(request).await.map_err(connector_error)?;
            let response = http::Response::from(response).map(SdkBody::from_body_1_x);
            HttpResponse::try_from(response).map_err(|e| ConnectorError::other(e.into(), None))
        })
    }
}

/// `reqwest` calls any failure while sending "a request error" (a reset connection too): only
/// a request it could not build is the caller's; the rest is transport, worth a retry.
fn connector_error(e: reqwest::Error) -> ConnectorError {
    if e.is_timeout() {
        ConnectorError::timeout(e.into())
    } else if e.is_connect() {
        ConnectorError::io(e.into()).never_connected()
    } else if e.is_builder() {
        ConnectorError::user(e.into())
    } else {
        ConnectorError::io(e.into())
    }
}

#[cfg(test)]
mod tests {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;

    /// All five of Amazon's roots are usable trust anchors (one rustls refused would be left
    /// out of the SDK's trust store without a word).
    #[test]
    fn amazons_five_roots_are_usable_trust_anchors() {
        let certificates: Vec<CertificateDer> = CertificateDer::pem_slice_iter(super::AMAZON_ROOTS)
            .collect::<Result<_, _>>()
            .unwrap();
        let (usable, refused) =
            rustls::RootCertStore::empty().add_parsable_certificates(certificates);
        assert_eq!((usable, refused), (5, 0));
    }

    /// A request of the SDK over the shop's client: the answer comes back; a port nobody
    /// listens on is an I/O error before any connection (the SDK retries it) and an endpoint
    /// that does not answer in the read timeout a timeout, never the caller's fault.
    #[tokio::test]
    async fn the_sdks_requests_go_through_reqwest_and_failures_are_sorted_for_retries() {
        use super::{HttpConnector, HttpRequest, SdkBody, SdkConnector, sdk_reqwest};
        use std::time::Duration;
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let request = |url: String| {
            let request = http::Request::post(url).body(SdkBody::from("{}")).unwrap();
            HttpRequest::try_from(request).unwrap()
        };
        let connector = SdkConnector(sdk_reqwest((
            Some(Duration::from_secs(1)),
            Some(Duration::from_millis(300)),
        )));

        let answering = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", answering.local_addr().unwrap());
        tokio::spawn(async move {
            let (mut socket, _) = answering.accept().await.unwrap();
            let mut buffer = [0u8; 1024];
            let _ = socket.read(&mut buffer).await;
            let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok";
            socket.write_all(answer).await.unwrap();
        });
        let response = connector.call(request(url)).await.unwrap();
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(response.body().bytes(), None, "streamed, not buffered");
        let body = http_body_util::BodyExt::collect(response.into_body());
        assert_eq!(&body.await.unwrap().to_bytes()[..], b"ok");

        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", closed.local_addr().unwrap());
        drop(closed);
        let refused = connector.call(request(url)).await.unwrap_err();
        assert!(refused.is_io() && !refused.is_user(), "{refused:?}");

        let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", silent.local_addr().unwrap());
        let _held = tokio::spawn(async move {
            let (socket, _) = silent.accept().await.unwrap();
            tokio::time::sleep(Duration::from_secs(5)).await;
            drop(socket);
        });
        let late = connector.call(request(url)).await.unwrap_err();
        assert!(late.is_timeout(), "{late:?}");
    }

    /// A local endpoint works without an AWS environment: dummy credentials and a region.
    #[test]
    fn a_local_endpoint_gets_a_region_and_credentials() {
        let config = super::sdk_config(Some("http://127.0.0.1:1"));
        assert_eq!(config.endpoint_url(), Some("http://127.0.0.1:1"));
        assert!(config.region().is_some());
        assert!(config.credentials_provider().is_some());
        assert!(config.behavior_version().is_some());
    }

    fn env(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        |name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    /// Lambda's role credentials, session token included, are the ones signed with; without
    /// any, AWS's endpoints get none (and refuse) rather than a dummy.
    #[tokio::test]
    async fn the_roles_credentials_come_from_the_environment() {
        use aws_credential_types::provider::ProvideCredentials;
        let lambda = env(&[
            ("AWS_ACCESS_KEY_ID", "ASIAEXAMPLE"),
            ("AWS_SECRET_ACCESS_KEY", "secret"),
            ("AWS_SESSION_TOKEN", "token"),
        ]);
        let provider = super::credentials(&lambda, false).unwrap();
        let credentials = provider.provide_credentials().await.unwrap();
        assert_eq!(credentials.access_key_id(), "ASIAEXAMPLE");
        assert_eq!(credentials.session_token(), Some("token"));
        assert!(super::credentials(&env(&[]), false).is_none());
        let local = super::credentials(&env(&[]), true).unwrap();
        assert_eq!(
            local.provide_credentials().await.unwrap().access_key_id(),
            "local"
        );
    }

    /// `AWS_REGION` first, as Lambda sets it; the local default only for a local endpoint.
    #[test]
    fn the_region_comes_from_the_environment() {
        let both = env(&[
            ("AWS_REGION", "eu-west-3"),
            ("AWS_DEFAULT_REGION", "us-west-2"),
        ]);
        assert_eq!(super::region(&both, false).unwrap().as_ref(), "eu-west-3");
        assert_eq!(
            super::region(&env(&[]), true).unwrap().as_ref(),
            "us-east-1"
        );
        assert!(super::region(&env(&[]), false).is_none());
    }
}
