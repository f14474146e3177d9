//! The HTTP boundary shared by every function: problem+json errors (RFC 9457), the JSON body
//! extractor with its size cap, bearer-token checks and the fallbacks.
//!
//! [`AppError`] is mapped to HTTP here and nowhere else. A problem carries a stable machine
//! `code` (also the last segment of `type`), a human `detail`, and `errors[]` with the path of
//! each offending field.

use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;

use crate::app::AppError;
use crate::domain::FieldError;

mod document;
#[cfg(feature = "lambda")]
pub mod lambda;

pub use document::{DocumentFormat, credit_note_asked, document_format, document_response};

/// Cap on request bodies of the buyer-facing routes.
pub const BODY_LIMIT: usize = 64 * 1024;
/// Cap on a shop document import: 10,000 items with descriptions are some 3 MB of JSON;
/// 5 MiB stays under what a Lambda request carries (6 MB, the API Gateway event's envelope
/// included).
pub const DOCUMENT_LIMIT: usize = 5 * 1024 * 1024;

/// One error of a problem answer. `field` and `path` carry the same path (`field` is what a
/// form shows next to; `path` is what the shop document import speaks of).
#[derive(Debug, Serialize)]
pub struct ProblemError {
    pub field: String,
    pub path: String,
    /// What the pages translate (`required`, `too_long`, ...), with its parameters beside it.
    pub code: &'static str,
    #[serde(flatten)]
    pub params: serde_json::Map<String, serde_json::Value>,
    pub reason: String,
}

/// An `application/problem+json` answer.
#[derive(Debug, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: &'static str,
    pub status: u16,
    pub code: &'static str,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemError>,
    /// With `precondition_failed`: who changed the resource since it was read, and when (for
    /// the pages to say it in their own words).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changed_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changed_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl Problem {
    pub fn new(
        status: StatusCode,
        code: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            kind: format!("/problems/{code}"),
            title,
            status: status.as_u16(),
            code,
            detail: detail.into(),
            errors: Vec::new(),
            changed_by: None,
            changed_at: None,
        }
    }

    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Self {
        self.errors = errors
            .into_iter()
            .map(|e| ProblemError {
                field: e.path.clone(),
                path: e.path,
                code: e.code,
                params: e.params,
                reason: e.reason,
            })
            .collect();
        self
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).expect("a problem serializes");
        let mut response = (status, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        response
    }
}

/// Sums up field errors for `detail`.
fn summary(errors: &[FieldError]) -> String {
    match errors {
        [one] if one.path.is_empty() => one.reason.clone(),
        [one] => format!("{}: {}", one.path, one.reason),
        many => format!("{} problems; see errors", many.len()),
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let problem = match self {
            AppError::Malformed(errors) => Problem::new(
                StatusCode::BAD_REQUEST,
                "malformed_request",
                "The request could not be read",
                summary(&errors),
            )
            .with_errors(errors),
            AppError::Invalid(errors) => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                "The request breaks a rule",
                summary(&errors),
            )
            .with_errors(errors),
            AppError::NotFound { what, id } => Problem::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "Not found",
                format!("no {what} `{id}`"),
            ),
            AppError::Unauthentic(detail) => Problem::new(
                StatusCode::BAD_REQUEST,
                "invalid_signature",
                "The notification is not authentic",
                detail,
            ),
            AppError::Unavailable(detail) => Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Temporarily unavailable",
                detail,
            ),
            AppError::State(detail) => Problem::new(
                StatusCode::CONFLICT,
                "invalid_state",
                "Not allowed in the current state",
                detail,
            ),
            AppError::Conflict(detail) => Problem::new(
                StatusCode::CONFLICT,
                "conflict",
                "Conflicting change",
                detail,
            ),
            AppError::Unauthorized(detail) => {
                let mut r = Problem::new(
                    StatusCode::UNAUTHORIZED,
                    "unauthorized",
                    "Authentication required",
                    detail,
                )
                .into_response();
                r.headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                return r;
            }
            AppError::Stale {
                detail,
                changed_by,
                changed_at,
            } => Problem {
                changed_by,
                changed_at,
                ..Problem::new(
                    StatusCode::PRECONDITION_FAILED,
                    "precondition_failed",
                    "Changed since you read it",
                    detail,
                )
            },
            AppError::PreconditionRequired(detail) => Problem::new(
                StatusCode::PRECONDITION_REQUIRED,
                "precondition_required",
                "Say which version you changed",
                detail,
            ),
            AppError::Forbidden(detail) => Problem::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "Not allowed for you",
                detail,
            ),
            AppError::TooMany(seconds) => {
                let mut r = Problem::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too_many_attempts",
                    "Too many attempts",
                    format!("too many failed attempts; try again in {seconds} s"),
                )
                .into_response();
                r.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
                return r;
            }
            AppError::Store(e) => {
                tracing::error!(error = %e, "store failure");
                Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "store_unavailable",
                    "Temporarily unavailable",
                    "the shop's storage did not answer; try again shortly",
                )
            }
        };
        problem.into_response()
    }
}

/// Reads a body of at most `LIMIT` bytes; too large is a 413 problem.
pub async fn read_body<const LIMIT: usize>(req: Request) -> Result<axum::body::Bytes, Response> {
    axum::body::to_bytes(req.into_body(), LIMIT)
        .await
        .map_err(|_| {
            Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "The request body is too large",
                format!("send at most {LIMIT} bytes"),
            )
            .into_response()
        })
}

/// A JSON body parsed into `T`, with the path of the first error when it cannot be read.
/// The content type is not required (curl users often omit it); the body must be JSON.
pub struct JsonBody<T, const LIMIT: usize = BODY_LIMIT>(pub T);

impl<S: Send + Sync, T: DeserializeOwned, const LIMIT: usize> FromRequest<S>
    for JsonBody<T, LIMIT>
{
    type Rejection = Response;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let bytes = read_body::<LIMIT>(req).await?;
        parse_json(&bytes)
            .map(JsonBody)
            .map_err(IntoResponse::into_response)
    }
}

/// A query string parsed into `T`; one that cannot be read (an unknown or malformed
/// parameter) is a 400 `malformed_request` problem naming it.
pub struct QueryOf<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> axum::extract::FromRequestParts<S> for QueryOf<T> {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| QueryOf(q.0))
            .map_err(|e| {
                AppError::Malformed(vec![FieldError::new("", e.body_text())]).into_response()
            })
    }
}

/// [`JsonBody`] for a route whose body may be left out: an empty body is `T::default()`.
pub struct JsonBodyOrDefault<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Default> FromRequest<S> for JsonBodyOrDefault<T> {
    type Rejection = Response;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let bytes = read_body::<BODY_LIMIT>(req).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(JsonBodyOrDefault(T::default()));
        }
        parse_json(&bytes)
            .map(JsonBodyOrDefault)
            .map_err(IntoResponse::into_response)
    }
}

/// Parses JSON, locating the first problem (`lines[0].quantity: invalid type ...`). Nothing
/// may follow the JSON value but whitespace (400), and no text may hold a control character
/// other than tab and line breaks (422 at its field).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut *de).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." { String::new() } else { path };
        AppError::Malformed(vec![FieldError::new(path, e.into_inner().to_string())])
    })?;
    de.end().map_err(|_| {
        AppError::Malformed(vec![FieldError::new(
            "",
            "nothing may follow the JSON value",
        )])
    })?;
    let tree: serde_json::Value = serde_json::from_slice(bytes).expect("parsed above");
    let mut errors = Vec::new();
    control_characters(&tree, String::new(), &mut errors);
    if errors.is_empty() {
        Ok(value)
    } else {
        Err(AppError::Invalid(errors))
    }
}

/// Whether a character has no place in text a person typed: the C0 and C1 controls and DEL,
/// except tab, line feed and carriage return.
pub fn is_forbidden_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

fn control_characters(value: &serde_json::Value, path: String, errors: &mut Vec<FieldError>) {
    use serde_json::Value;
    let join = |key: &str| {
        if path.is_empty() {
            key.to_owned()
        } else {
            format!("{path}.{key}")
        }
    };
    match value {
        Value::String(text) if text.chars().any(is_forbidden_control) => {
            errors.push(FieldError::new(path, "must not contain control characters"))
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                control_characters(item, format!("{path}[{i}]"), errors);
            }
        }
        Value::Object(fields) => {
            for (key, item) in fields {
                if key.chars().any(is_forbidden_control) {
                    errors.push(FieldError::new(
                        join(key),
                        "must not contain control characters",
                    ));
                } else {
                    control_characters(item, join(key), errors);
                }
            }
        }
        _ => {}
    }
}

/// True when the request carries `Authorization: Bearer <expected>` (constant-time compare).
pub fn bearer_matches(headers: &HeaderMap, expected: &str) -> bool {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    !expected.is_empty() && bool::from(given.as_bytes().ct_eq(expected.as_bytes()))
}

/// The customer session's cookie (set by a login, `Path=/`: the catalogue and cart routes read
/// it too, for what a logged-in customer may see and buy).
pub const CUSTOMER_COOKIE: &str = "enrolshop_session";

/// The customer session token a request carries: `Authorization: Bearer`, else the cookie.
pub fn customer_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .or_else(|| cookie(headers, CUSTOMER_COOKIE))
        .filter(|t| !t.is_empty())
}

/// The value of the cookie `name` the request carries, if any.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// 401 answer for a missing or wrong token.
pub fn unauthorized() -> Response {
    let mut r = Problem::new(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "Authentication required",
        "send the back-office token as `Authorization: Bearer <token>`",
    )
    .into_response();
    r.headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    r
}

/// Fallback for unknown routes.
pub async fn no_route() -> Response {
    Problem::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "Not found",
        "no such route",
    )
    .into_response()
}

/// Fallback for a known route called with the wrong method.
pub async fn wrong_method() -> Response {
    Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "Method not allowed",
        "this route does not take this method",
    )
    .into_response()
}

/// The bill access token of a request, as a handler argument (see [`access_token`]). Its
/// `Debug` never shows the token, so that a traced handler does not log it.
pub struct BillToken(pub String);

impl std::fmt::Debug for BillToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BillToken(..)")
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for BillToken {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(BillToken(access_token(&parts.headers, parts.uri.query())))
    }
}

/// The bill access token of a request: `Authorization: Bearer <token>` or `?token=`.
pub fn access_token(headers: &HeaderMap, query: Option<&str>) -> String {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let from_query = || {
        query?
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(k, _)| *k == "token")
            .map(|(_, v)| v)
    };
    bearer.or_else(from_query).unwrap_or("").to_owned()
}

/// The base URL a request reached the API by (`https://host`), from `X-Forwarded-Proto` (set
/// by API Gateway and proxies) and `Host`.
///
/// Both are written by the client: only `http`/`https` and a plain host name or address with
/// an optional port are taken (anything else gives `http://localhost`), so that nothing a
/// client writes can reach a signed payment form except a well-formed URL base.
pub fn origin(headers: &HeaderMap) -> String {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let proto = match get("x-forwarded-proto") {
        Some("https") => "https",
        _ => "http",
    };
    let plain = |h: &&str| {
        !h.is_empty()
            && h.len() <= 255
            && h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
    };
    let host = get("host").filter(plain).unwrap_or("localhost");
    format!("{proto}://{host}")
}

/// The address of the client that sent a request, from a source the client cannot write: in
/// Lambda the API Gateway request context's `sourceIp`, locally the TCP peer, and an
/// `X-Forwarded-For` hop only where a trusted proxy wrote it ([`TrustedProxies`]). Set as a
/// request extension by the host (the Lambda main, `shopctl`); absent when the host knows
/// none, which the failed-login limit treats as one shared client `unknown`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub std::net::IpAddr);

/// The proxies whose `X-Forwarded-For` entries are believed (`--trusted-proxies`: addresses
/// or CIDR blocks). None by default: the TCP peer is the client.
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(Vec<ipnet::IpNet>);

impl std::str::FromStr for TrustedProxies {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        text.split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|t| {
                t.parse::<ipnet::IpNet>()
                    .or_else(|_| t.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| format!("`{t}` is not an IP address or CIDR block"))
            })
            .collect::<Result<_, _>>()
            .map(TrustedProxies)
    }
}

impl TrustedProxies {
    fn trusts(&self, ip: &std::net::IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(ip))
    }

    /// The client behind `peer`: the peer itself unless it is a trusted proxy; then the
    /// rightmost `X-Forwarded-For` hop that is not a trusted proxy (hops further left were
    /// written by whoever reached the first trusted proxy, maybe the client itself).
    pub fn client(&self, peer: std::net::IpAddr, headers: &HeaderMap) -> ClientAddr {
        if !self.trusts(&peer) {
            return ClientAddr(peer);
        }
        let hops: Vec<std::net::IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map_while(|hop| hop.trim().parse().ok())
            .collect();
        let client = hops
            .iter()
            .rev()
            .find(|hop| !self.trusts(hop))
            .or(hops.first())
            .copied()
            .unwrap_or(peer);
        ClientAddr(client)
    }
}

/// A short, stable stand-in for a secret id in logs (cart ids give back a bill's token on
/// re-placement): the first 8 hex digits of its SHA-256.
pub fn log_tag(secret: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(secret.as_bytes());
    format!("h:{}", hex::encode(&digest[..4]))
}

/// A request path fit for logs: the cart id after `/carts/` replaced by its [`log_tag`].
pub fn loggable_path(path: &str) -> String {
    let mut out = Vec::new();
    let mut secret_next = false;
    for segment in path.split('/') {
        if secret_next && !segment.is_empty() {
            out.push(log_tag(segment));
        } else {
            out.push(segment.to_owned());
        }
        secret_next = segment == "carts";
    }
    out.join("/")
}

/// Every router's outer layers: a handler panic becomes a logged 500 problem (the client gets
/// an answer, not a closed connection), and every answer carries the browser hardening
/// headers ([`security_headers`]).
pub fn hardened(router: axum::Router) -> axum::Router {
    router
        .layer(axum::middleware::from_fn(security_headers))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(panicked))
}

fn panicked(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    tracing::error!(panic = %what, "handler panicked");
    Problem::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal_error",
        "Internal error",
        "the shop could not handle this request; nothing was changed by it",
    )
    .into_response()
}

/// The policy of every HTML answer (pages, invoices): scripts and styles from the shop only
/// (invoices carry their own `<style>`), forms to the shop or a payment gateway, never framed.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'none'; \
form-action 'self' https:; frame-ancestors 'none'";

/// `X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer` (a bill link carries
/// its token) on every answer; `Content-Security-Policy` and `X-Frame-Options: DENY` on HTML.
pub async fn security_headers(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    let html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html"));
    if html {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        );
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    response
}

/// Cross-site forgery guard of the routes a cookie authenticates: a state-changing request
/// that carries a cookie and no `Authorization` header (so the cookie speaks for it) must come from
/// the shop's own pages (`Sec-Fetch-Site` same-origin or none, `Origin` the shop's own when
/// sent) and send `application/json` (which a cross-site form cannot); otherwise 403
/// `cross_site_request`. Requests with a bearer token are not concerned: a browser never
/// adds one by itself.
pub async fn refuse_cross_site(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let safe = matches!(
        *req.method(),
        http::Method::GET | http::Method::HEAD | http::Method::OPTIONS
    );
    let by_cookie = req.headers().contains_key(header::COOKIE)
        && !req.headers().contains_key(header::AUTHORIZATION);
    if safe || !by_cookie {
        return next.run(req).await;
    }
    let headers = req.headers();
    let get = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    let site_ok = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_none_or(|s| s == "same-origin" || s == "none");
    let origin_ok = get(header::ORIGIN).is_none_or(|o| {
        let host = get(header::HOST).unwrap_or("");
        o.split_once("://").is_some_and(|(_, h)| h == host)
    });
    let json = get(header::CONTENT_TYPE).is_some_and(|t| {
        t.split(';')
            .next()
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
    });
    if site_ok && origin_ok && json {
        return next.run(req).await;
    }
    Problem::new(
        StatusCode::FORBIDDEN,
        "cross_site_request",
        "Cross-site request refused",
        "send this request from the shop's own pages, as application/json",
    )
    .into_response()
}

#[cfg(test)]
mod tests;
