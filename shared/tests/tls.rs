//! The shop's TLS clients over its one crypto provider (`ring`): the SDK's (DynamoDB, SQS, SES),
//! `reqwest`'s (Moodle, the gateways' APIs) and SMTP's (`lettre`) against a local TLS server. A
//! server whose certificate no trusted authority signed is refused by all three, and the
//! platform's store, named by `SSL_CERT_FILE`, is honoured by the first two (in a child process:
//! the environment is the process's). SMTP trusts the Mozilla roots compiled into `lettre`.

use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use shop_core::adapters::{aws, dynamo, https};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::task::JoinHandle;

/// What DynamoDB answers to `ListTables` on an empty account.
const LIST_TABLES: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-type: application/x-amz-json-1.0\r\n\
content-length: 17\r\nconnection: close\r\n\r\n{\"TableNames\":[]}";

/// A test authority and a certificate it signed for `localhost`.
struct Pki {
    ca_pem: String,
    leaf: CertificateDer<'static>,
    key: PrivatePkcs8KeyDer<'static>,
}

fn pki() -> Pki {
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    Pki {
        ca_pem: ca.pem(),
        leaf: leaf.der().clone(),
        key: PrivatePkcs8KeyDer::from(key.serialize_der()),
    }
}

/// Serves one TLS connection with `answer`; the task's result is the handshake's outcome as
/// the server saw it (the alert a client refusing the certificate sends).
async fn serve_once(pki: &Pki, answer: &'static [u8]) -> (String, JoinHandle<Result<(), String>>) {
    let config = rustls::ServerConfig::builder_with_provider(https::crypto_provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![pki.leaf.clone()],
            PrivateKeyDer::Pkcs8(pki.key.clone_key()),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "https://localhost:{}",
        listener.local_addr().unwrap().port()
    );
    let server = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        let mut tls = acceptor.accept(socket).await.map_err(|e| e.to_string())?;
        let mut request = Vec::new();
        let mut chunk = [0u8; 4096];
        while !request.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = tls.read(&mut chunk).await.map_err(|e| e.to_string())?;
            if n == 0 {
                break;
            }
            request.extend_from_slice(&chunk[..n]);
        }
        tls.write_all(answer).await.map_err(|e| e.to_string())?;
        tls.shutdown().await.map_err(|e| e.to_string())
    });
    (url, server)
}

/// The client failed, and the server saw why: the client's alert refusing its certificate.
async fn refused_by_the_client<T, E>(
    refused: Result<T, E>,
    server: JoinHandle<Result<(), String>>,
) {
    assert!(refused.is_err(), "the client went on");
    let seen = server.await.unwrap().unwrap_err();
    assert!(seen.contains("UnknownCA"), "the server saw: {seen}");
}

#[tokio::test]
async fn the_shops_client_refuses_a_server_no_trusted_authority_signed() {
    let pki = pki();
    let (url, server) = serve_once(&pki, b"HTTP/1.1 204 No Content\r\n\r\n").await;
    let refused = https::builder().build().unwrap().get(url).send().await;
    refused_by_the_client(refused, server).await;
}

#[tokio::test]
async fn the_sdk_refuses_a_server_amazon_did_not_certify() {
    let pki = pki();
    let (url, server) = serve_once(&pki, LIST_TABLES).await;
    let refused = dynamo::client(Some(&url)).list_tables().send().await;
    refused_by_the_client(refused, server).await;
}

#[tokio::test]
async fn smtp_refuses_a_server_no_trusted_authority_signed() {
    use shop_core::ports::{Mail, Mailer};
    let pki = pki();
    let (url, server) = serve_once(&pki, b"220 localhost ESMTP\r\n").await;
    let mailer =
        shop_core::adapters::mail::smtp::SmtpMailer::from_url(&url.replace("https://", "smtps://"))
            .unwrap();
    let mail = Mail {
        id: "tls-test".into(),
        from: "shop@example.org".into(),
        to: "buyer@example.org".into(),
        reply_to: None,
        subject: "Your order".into(),
        text: "Thank you".into(),
        html: "<p>Thank you</p>".into(),
        attachments: Vec::new(),
        language: shop_core::domain::Language::En,
        sent_at: chrono::Utc::now(),
    };
    let refused = mailer.send(&mail).await;
    refused_by_the_client(refused, server).await;
}

/// Both clients trust the certificates `SSL_CERT_FILE` names, and complete a request over TLS
/// with `ring`: this test runs itself again in a child process, with that variable set and
/// `TLS_TEST_LEAF` naming the server's certificate, which makes it the child.
#[tokio::test]
async fn both_clients_trust_the_store_ssl_cert_file_names() {
    if std::env::var_os("TLS_TEST_LEAF").is_some() {
        return child_trusts_the_named_store().await;
    }
    let pki = pki();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    let leaf = dir.path().join("leaf.der");
    let key = dir.path().join("leaf.key");
    std::fs::write(&ca, &pki.ca_pem).unwrap();
    std::fs::write(&leaf, pki.leaf.as_ref()).unwrap();
    std::fs::write(&key, pki.key.secret_pkcs8_der()).unwrap();
    let child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "both_clients_trust_the_store_ssl_cert_file_names",
            "--nocapture",
        ])
        .env("SSL_CERT_FILE", &ca)
        .env_remove("SSL_CERT_DIR")
        .env("TLS_TEST_LEAF", &leaf)
        .env("TLS_TEST_KEY", &key)
        .output()
        .unwrap();
    let output = String::from_utf8_lossy(&child.stdout).into_owned()
        + &String::from_utf8_lossy(&child.stderr);
    assert!(child.status.success(), "{output}");
    assert!(output.contains("1 passed"), "{output}");
    assert!(
        output.contains("both clients completed over TLS"),
        "{output}"
    );
}

/// The child's side of [`both_clients_trust_the_store_ssl_cert_file_names`].
async fn child_trusts_the_named_store() {
    let read = |name| std::fs::read(std::env::var_os(name).unwrap()).unwrap();
    let pki = Pki {
        ca_pem: String::new(),
        leaf: CertificateDer::from(read("TLS_TEST_LEAF")),
        key: PrivatePkcs8KeyDer::from(read("TLS_TEST_KEY")),
    };
    let (url, server) = serve_once(&pki, b"HTTP/1.1 204 No Content\r\n\r\n").await;
    let answer = https::builder().build().unwrap().get(url).send().await;
    assert_eq!(answer.unwrap().status(), 204);
    server.await.unwrap().unwrap();

    let (url, server) = serve_once(&pki, LIST_TABLES).await;
    let config = aws::sdk_config(Some(&url));
    let tables = aws_sdk_dynamodb::Client::new(&config)
        .list_tables()
        .send()
        .await
        .unwrap();
    assert_eq!(tables.table_names(), &[] as &[String]);
    server.await.unwrap().unwrap();
    println!("both clients completed over TLS");
}
