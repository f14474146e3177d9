//! The AWS SDK configuration every client shares (DynamoDB, SQS, SES): region and credentials
//! from the environment, as Lambda gives them, and an HTTPS client trusting Amazon's roots.
//!
//! Built without `aws-config`'s loader on purpose: its default chains (profile files, SSO, STS,
//! IMDS, container credentials) are dead weight in a function whose role credentials Lambda puts
//! in the environment: 0.7 MB of each package (README "Package sizes"). Developers who call AWS
//! from a laptop export their credentials (`aws configure export-credentials --format env`).

use std::time::Duration;

use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_smithy_async::rt::sleep::TokioSleep;
use aws_smithy_runtime_api::client::behavior_version::BehaviorVersion;
use aws_smithy_runtime_api::client::http::SharedHttpClient;
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

/// The SDK's HTTPS client, over the shop's one crypto provider ([`super::https`]), trusting
/// Amazon's roots alone: the SDK's default loads and decodes the platform's whole store (some
/// 150 certificates, and on Debian some 300 files) — most of a function's init, and trust in
/// authorities an AWS endpoint never uses (README "Cold start"). The platform's store when
/// `SSL_CERT_FILE` or `SSL_CERT_DIR` names the certificates to trust (an inspecting proxy, a
/// private endpoint).
fn https_client() -> SharedHttpClient {
    use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};
    let trust = if std::env::var_os("SSL_CERT_FILE").is_some()
        || std::env::var_os("SSL_CERT_DIR").is_some()
    {
        TrustStore::default()
    } else {
        TrustStore::empty().with_pem_certificate(AMAZON_ROOTS)
    };
    let context = TlsContext::builder()
        .with_trust_store(trust)
        .build()
        .expect("a trust store without a client certificate builds");
    // As the SDK builds its default client (timeouts, sleep, proxy from the environment), but
    // with this trust store and provider.
    aws_smithy_http_client::Builder::new().build_with_connector_fn(move |settings, components| {
        let mut connector = aws_smithy_http_client::ConnectorBuilder::default()
            .tls_provider(tls::Provider::Rustls(
                tls::rustls_provider::CryptoMode::Ring,
            ))
            .tls_context(context.clone());
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(aws_smithy_http_client::proxy::ProxyConfig::from_env()));
        connector.build()
    })
}

#[cfg(test)]
mod tests {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;

    /// The SDK panics on a trusted certificate rustls refuses: all five of Amazon's roots are
    /// usable trust anchors.
    #[test]
    fn amazons_five_roots_are_usable_trust_anchors() {
        let certificates: Vec<CertificateDer> = CertificateDer::pem_slice_iter(super::AMAZON_ROOTS)
            .collect::<Result<_, _>>()
            .unwrap();
        let (usable, refused) =
            rustls::RootCertStore::empty().add_parsable_certificates(certificates);
        assert_eq!((usable, refused), (5, 0));
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
