use super::*;

fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.insert(*k, HeaderValue::from_str(v).unwrap());
    }
    h
}

#[test]
fn the_client_is_the_peer_unless_a_trusted_proxy_forwarded_it() {
    let none = TrustedProxies::default();
    let peer: std::net::IpAddr = "203.0.113.9".parse().unwrap();
    let spoofed = headers(&[("x-forwarded-for", "1.2.3.4")]);
    assert_eq!(
        none.client(peer, &spoofed).0,
        peer,
        "an untrusted peer's header is ignored"
    );
    let lb: TrustedProxies = "10.0.0.0/8, 192.0.2.1".parse().unwrap();
    let proxy: std::net::IpAddr = "10.1.2.3".parse().unwrap();
    let chain = headers(&[("x-forwarded-for", "1.2.3.4, 198.51.100.7, 192.0.2.1")]);
    assert_eq!(
        lb.client(proxy, &chain).0.to_string(),
        "198.51.100.7",
        "the rightmost hop no trusted proxy wrote"
    );
    assert_eq!(lb.client(proxy, &HeaderMap::new()).0, proxy);
    assert!("10.0.0.0/33".parse::<TrustedProxies>().is_err());
}

#[tokio::test]
async fn a_panicking_handler_answers_a_500_problem() {
    use tower::ServiceExt;
    async fn boom() -> &'static str {
        panic!("overflow")
    }
    let app = hardened(axum::Router::new().route("/boom", axum::routing::get(boom)));
    let request = axum::http::Request::get("/boom")
        .body(axum::body::Body::empty())
        .unwrap();
    let response = app.oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "application/problem+json"
    );
    let body = axum::body::to_bytes(response.into_body(), 4096)
        .await
        .unwrap();
    let problem: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(problem["code"], "internal_error");
}

#[test]
fn cart_ids_are_logged_as_short_hashes() {
    let id = "0123456789abcdef0123456789abcdef";
    let logged = loggable_path(&format!("/carts/{id}/lines/EXCEL-ESS"));
    assert!(!logged.contains(id), "{logged}");
    assert_eq!(logged, format!("/carts/{}/lines/EXCEL-ESS", log_tag(id)));
    assert_eq!(loggable_path("/shops/demo/carts"), "/shops/demo/carts");
}

#[test]
fn trailing_characters_and_control_characters_are_refused() {
    #[derive(serde::Deserialize, Debug)]
    struct Line {
        #[allow(dead_code)]
        name: String,
    }
    assert!(matches!(
        parse_json::<Line>(br#"{"name": "a"} x"#),
        Err(AppError::Malformed(_))
    ));
    match parse_json::<Line>(br#"{"name": "a\u0000"}"#) {
        Err(AppError::Invalid(errors)) => assert_eq!(errors[0].path, "name"),
        other => panic!("{other:?}"),
    }
    assert!(parse_json::<Line>(b"{\"name\": \"two\\nlines\"}").is_ok());
}

#[test]
fn origin_takes_only_a_plain_host_and_scheme() {
    let ok = headers(&[
        ("host", "shop.example:8443"),
        ("x-forwarded-proto", "https"),
    ]);
    assert_eq!(origin(&ok), "https://shop.example:8443");
    // A `|` would add a pair to a Sips form's sealed Data.
    let forged = headers(&[("host", "x|responseCode=00"), ("x-forwarded-proto", "ftp")]);
    assert_eq!(origin(&forged), "http://localhost");
}
