//! The HTTP client of every call the shop makes (Moodle, the gateways' APIs, and DynamoDB, SQS
//! and SES through the SDK, [`super::aws`]): `reqwest` over rustls with `ring`, the one crypto
//! provider of the whole binary — SMTP (`lettre`) uses it too: `ring` is about half the size of
//! aws-lc in a package (README "Package sizes"). Server certificates are checked against the
//! platform's store (rustls-platform-verifier, as `reqwest` does by default).

use std::sync::Arc;

use rustls::ClientConfig;
use rustls::crypto::CryptoProvider;
use rustls_platform_verifier::BuilderVerifierExt;

/// The crypto provider every TLS connection of the shop uses.
pub fn crypto_provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A `reqwest` builder with the shop's TLS set-up; callers add timeouts and redirects.
pub fn builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder().tls_backend_preconfigured(tls())
}

/// A `reqwest` builder with the shop's TLS set-up, trusting `roots` alone (the SDK's client:
/// Amazon's authorities, not the platform's store).
pub fn builder_trusting(roots: rustls::RootCertStore) -> reqwest::ClientBuilder {
    let tls = ClientConfig::builder_with_provider(crypto_provider())
        .with_safe_default_protocol_versions()
        .expect("ring offers TLS 1.2 and 1.3")
        .with_root_certificates(roots)
        .with_no_client_auth();
    reqwest::Client::builder().tls_backend_preconfigured(tls)
}

fn tls() -> ClientConfig {
    ClientConfig::builder_with_provider(crypto_provider())
        .with_safe_default_protocol_versions()
        .and_then(|config| config.with_platform_verifier())
        .expect("ring offers TLS 1.2 and 1.3, and the platform verifier builds on Linux")
        .with_no_client_auth()
}

#[cfg(test)]
mod tests {
    /// The client builds with the shop's provider alone (no process-wide default installed,
    /// no other provider compiled into the packages), and speaks plain HTTP as well.
    #[tokio::test]
    async fn the_client_builds_without_a_process_wide_provider() {
        let client = super::builder().build().expect("builds");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let mut request = [0u8; 1024];
            let _ = socket.read(&mut request).await;
            let answer = b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n";
            socket.write_all(answer).await.unwrap();
        });
        assert_eq!(client.get(url).send().await.unwrap().status(), 204);
    }
}
