//! The HTTP functions' Lambda entry: one place that says how a router is served behind API
//! Gateway, so that every function gets the same fallback, hardening and client address.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use lambda_http::request::RequestContext;
use subtle::ConstantTimeEq;

use super::ClientAddr;

/// The header the shop's CloudFront front (template `ShopFront`) proves itself with: its value
/// is `FRONT_SECRET`, which CloudFront adds to every request it sends to the API and which
/// overrides one a viewer sends.
pub const FRONT_SECRET_HEADER: &str = "x-enrolshop-front";
/// The viewer's address, as the front's viewer-request function saw it (`infra/front.js`).
pub const FRONT_CLIENT_HEADER: &str = "x-enrolshop-client";
/// The host the viewer reached (the shop's own address), as the front saw it.
pub const FRONT_HOST_HEADER: &str = "x-enrolshop-host";

/// Serves `router` as an API Gateway function: unknown routes answer [`super::no_route`],
/// every answer is [`super::hardened`], and each request carries its client's address
/// ([`client_address`]) for the limits that count per client.
pub async fn run(router: Router) -> Result<(), lambda_http::Error> {
    let front = Front::from_env();
    let router = router
        .fallback(super::no_route)
        .layer(axum::middleware::from_fn_with_state(front, client_address));
    lambda_http::run(super::hardened(router)).await
}

/// The shop's CloudFront front, known by its secret (`FRONT_SECRET`); none without one.
#[derive(Clone, Default)]
pub struct Front {
    secret: Option<Arc<str>>,
}

impl Front {
    pub fn from_env() -> Self {
        Self::with_secret(crate::config::var("FRONT_SECRET").as_deref())
    }

    pub fn with_secret(secret: Option<&str>) -> Self {
        Self {
            secret: secret.filter(|s| !s.is_empty()).map(Arc::from),
        }
    }

    /// True when the request came through the front: it carries the front's secret.
    fn sent(&self, headers: &HeaderMap) -> bool {
        let Some(secret) = &self.secret else {
            return false;
        };
        let given = headers
            .get(FRONT_SECRET_HEADER)
            .map(HeaderValue::as_bytes)
            .unwrap_or_default();
        bool::from(given.ct_eq(secret.as_bytes()))
    }
}

/// Who sent a request, in Lambda, from what the client cannot write. Called directly, API
/// Gateway's request context (`sourceIp`) is the client; an `X-Forwarded-For` it sends is not
/// read. Through the front, `sourceIp` is CloudFront's own address, shared by every viewer of
/// that edge: the front's word is taken instead — the viewer's address and the host they
/// reached (for the links given to payment gateways, [`super::origin`]) — once it has proved
/// itself with its secret. The front's headers are dropped either way, so that neither a forged
/// one nor the secret reaches a handler or a log. Without a client address the failed-login
/// limits would count every client as one, `unknown`: a stranger's failures would lock out
/// everyone.
pub async fn client_address(State(front): State<Front>, mut req: Request, next: Next) -> Response {
    let headers = req.headers_mut();
    let from_front = front.sent(headers);
    let told = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let front_client = told(FRONT_CLIENT_HEADER).and_then(|ip| ip.parse().ok());
    let front_host = told(FRONT_HOST_HEADER).and_then(|h| HeaderValue::from_str(h).ok());
    for name in [FRONT_SECRET_HEADER, FRONT_CLIENT_HEADER, FRONT_HOST_HEADER] {
        headers.remove(name);
    }
    if from_front && let Some(host) = front_host {
        headers.insert(header::HOST, host);
        headers.insert("x-forwarded-proto", HeaderValue::from_static("https"));
    }
    let source = match req.extensions().get::<RequestContext>() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.http.source_ip.clone(),
        Some(RequestContext::ApiGatewayV1(ctx)) => ctx.identity.source_ip.clone(),
        _ => None,
    };
    let client = if from_front {
        front_client
    } else {
        source.and_then(|s| s.parse().ok())
    };
    if let Some(ip) = client {
        req.extensions_mut().insert(ClientAddr(ip));
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Extension;
    use tower::ServiceExt;

    /// What the handler behind [`client_address`] sees: the client, the host, the scheme and
    /// whether any of the front's headers is left.
    async fn seen(front: Front, headers: &[(&str, &str)]) -> String {
        let event = include_str!("../../../events/account/login-wrong-password.json");
        let request = lambda_http::request::from_str(event).expect("an API Gateway event");
        let (mut parts, _) = request.into_parts();
        for (name, value) in headers {
            parts.headers.insert(
                axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        let request = Request::from_parts(parts, axum::body::Body::empty());
        let echo = Router::new()
            .fallback(
                |client: Option<Extension<ClientAddr>>, headers: HeaderMap| async move {
                    let client =
                        client.map_or_else(|| "none".to_owned(), |Extension(c)| c.0.to_string());
                    let left = [FRONT_SECRET_HEADER, FRONT_CLIENT_HEADER, FRONT_HOST_HEADER]
                        .iter()
                        .any(|h| headers.contains_key(*h));
                    format!("{client} {} left:{left}", super::super::origin(&headers))
                },
            )
            .layer(axum::middleware::from_fn_with_state(front, client_address));
        let response = echo.oneshot(request).await.unwrap();
        let body = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .unwrap();
        String::from_utf8(body.to_vec()).unwrap()
    }

    const FRONT: [(&str, &str); 3] = [
        (FRONT_SECRET_HEADER, "s3cret"),
        (FRONT_CLIENT_HEADER, "198.51.100.7"),
        (FRONT_HOST_HEADER, "shop.example"),
    ];

    /// Called directly, the client address comes from API Gateway's request context, whatever
    /// `X-Forwarded-For` the client wrote.
    #[tokio::test]
    async fn the_lambda_client_address_is_the_request_context_source_ip() {
        let forwarded = [("x-forwarded-for", "1.2.3.4")];
        let seen = seen(Front::with_secret(Some("s3cret")), &forwarded).await;
        assert!(seen.starts_with("203.0.113.10 "), "{seen}");
    }

    /// Through the front (its secret given), the viewer's address and the host they reached.
    #[tokio::test]
    async fn through_the_front_the_viewer_and_their_host_are_taken() {
        let seen = seen(Front::with_secret(Some("s3cret")), &FRONT).await;
        assert_eq!(seen, "198.51.100.7 https://shop.example left:false");
    }

    /// The front's headers without its secret, with a wrong one, or in a function that knows
    /// no front: the request context's address, and the headers dropped.
    #[tokio::test]
    async fn the_fronts_headers_without_its_secret_are_dropped() {
        let mut forged = FRONT;
        forged[0].1 = "guess";
        for (front, headers) in [
            (Front::with_secret(Some("s3cret")), &forged[..]),
            (Front::with_secret(Some("s3cret")), &FRONT[1..]),
            (Front::with_secret(None), &FRONT[..]),
            (
                Front::with_secret(Some("")),
                &[(FRONT_SECRET_HEADER, ""), FRONT[1]][..],
            ),
        ] {
            let seen = seen(front, headers).await;
            assert!(seen.starts_with("203.0.113.10 "), "{seen}");
            assert!(!seen.contains("shop.example"), "{seen}");
            assert!(seen.ends_with("left:false"), "{seen}");
        }
    }
}
