//! The HTTP functions' Lambda entry: one place that says how a router is served behind API
//! Gateway, so that every function gets the same fallback, hardening and client address.

use axum::Router;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use lambda_http::request::RequestContext;

use super::ClientAddr;

/// Serves `router` as an API Gateway function: unknown routes answer [`super::no_route`],
/// every answer is [`super::hardened`], and each request carries its client's address
/// ([`client_from_request_context`]) for the limits that count per client.
pub async fn run(router: Router) -> Result<(), lambda_http::Error> {
    let router = router
        .fallback(super::no_route)
        .layer(axum::middleware::from_fn(client_from_request_context));
    lambda_http::run(super::hardened(router)).await
}

/// The client's address in Lambda: API Gateway's request context (`sourceIp`), which the
/// client cannot write (an `X-Forwarded-For` it sends is not read). Without it the failed-login
/// limits would count every client as one, `unknown`: a stranger's failures would lock out
/// everyone.
pub async fn client_from_request_context(mut req: Request, next: Next) -> Response {
    let source = match req.extensions().get::<RequestContext>() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.http.source_ip.clone(),
        Some(RequestContext::ApiGatewayV1(ctx)) => ctx.identity.source_ip.clone(),
        _ => None,
    };
    if let Some(ip) = source.and_then(|s| s.parse().ok()) {
        req.extensions_mut().insert(ClientAddr(ip));
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Extension;
    use axum::http::HeaderValue;
    use tower::ServiceExt;

    /// The client address comes from API Gateway's request context, whatever
    /// `X-Forwarded-For` the client wrote.
    #[tokio::test]
    async fn the_lambda_client_address_is_the_request_context_source_ip() {
        let event = include_str!("../../../events/account/login-wrong-password.json");
        let request = lambda_http::request::from_str(event).expect("an API Gateway event");
        let (mut parts, _) = request.into_parts();
        parts
            .headers
            .insert("x-forwarded-for", HeaderValue::from_static("1.2.3.4"));
        let request = Request::from_parts(parts, axum::body::Body::empty());
        let echo = Router::new()
            .fallback(|client: Option<Extension<ClientAddr>>| async move {
                client.map_or_else(|| "none".to_owned(), |Extension(c)| c.0.to_string())
            })
            .layer(axum::middleware::from_fn(client_from_request_context));
        let response = echo.oneshot(request).await.unwrap();
        let body = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .unwrap();
        assert_eq!(&body[..], b"203.0.113.10");
    }
}
