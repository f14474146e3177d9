//! The account function: the customer's login (Moodle credentials) and their area — bills,
//! products, seats. ARCHITECTURE.md, "The four request paths".
//!
//! The session travels as `Authorization: Bearer <session>` (API clients) or as the
//! `enrolshop_session` cookie (HttpOnly, Secure, SameSite=Lax) that a login also sets for pages.

use std::sync::Arc;

use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use shop_core::app::AppError;
use shop_core::app::account::{
    Accounts, AssignInput, LoggedIn, LoginInput, SESSION_HOURS, Session, SessionView,
};
use shop_core::app::bills::BillDocument;
use shop_core::web::{self, ClientAddr, JsonBody};

pub const COOKIE: &str = web::CUSTOMER_COOKIE;

#[derive(Clone)]
struct Ctx {
    app: Arc<Accounts>,
}

pub fn router(app: Arc<Accounts>) -> Router {
    Router::new()
        .route("/shops/{shop}/account/login", post(login))
        .route("/carts/{cart}/login", post(login_on_cart))
        .route("/account/logout", post(logout))
        .route("/account/session", get(who))
        .route("/account/bills", get(bills))
        .route("/account/bills/{bill}", get(bill))
        .route("/account/bills/{bill}/invoice", get(invoice))
        .route("/account/bills/{bill}/credit-note", get(credit_note))
        .route("/account/products", get(products))
        .route("/account/seats", get(seats))
        .route("/account/seats/{reference}/assign", post(assign))
        .route("/account/seats/{reference}/unassign", post(unassign))
        .method_not_allowed_fallback(web::wrong_method)
        .route_layer(axum::middleware::from_fn(web::refuse_cross_site))
        .with_state(Ctx { app })
}

type Answer = Result<Response, AppError>;

/// The session token: the bearer, else the cookie.
fn token(headers: &HeaderMap) -> String {
    web::customer_token(headers).unwrap_or("").to_owned()
}

fn session_cookie(value: &str, max_age: i64) -> HeaderValue {
    let cookie =
        format!("{COOKIE}={value}; Path=/; Max-Age={max_age}; HttpOnly; Secure; SameSite=Lax");
    HeaderValue::from_str(&cookie).expect("a token is hex")
}

fn with_cookie(logged: &LoggedIn, body: serde_json::Value) -> Response {
    let mut response = Json(body).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        session_cookie(&logged.session, SESSION_HOURS * 3600),
    );
    response
}

async fn session(ctx: &Ctx, headers: &HeaderMap) -> Result<Session, AppError> {
    ctx.app.session(&token(headers)).await
}

#[tracing::instrument(skip(ctx, client, body))]
async fn login(
    State(ctx): State<Ctx>,
    Path(shop): Path<String>,
    client: Option<Extension<ClientAddr>>,
    JsonBody(body): JsonBody<LoginInput>,
) -> Answer {
    let client = client.map(|Extension(c)| c);
    let logged = ctx.app.login(&shop, &body, client).await?;
    let json = serde_json::to_value(&logged).expect("serializes");
    Ok(with_cookie(&logged, json))
}

#[tracing::instrument(skip(ctx, client, body, cart), fields(cart = %web::log_tag(&cart)))]
async fn login_on_cart(
    State(ctx): State<Ctx>,
    Path(cart): Path<String>,
    client: Option<Extension<ClientAddr>>,
    JsonBody(body): JsonBody<LoginInput>,
) -> Answer {
    let client = client.map(|Extension(c)| c);
    let (logged, cart) = ctx.app.login_on_cart(&cart, &body, client).await?;
    let mut json = serde_json::to_value(&logged).expect("serializes");
    json["cart"] = serde_json::to_value(cart).expect("serializes");
    Ok(with_cookie(&logged, json))
}

#[tracing::instrument(skip(ctx, headers))]
async fn logout(State(ctx): State<Ctx>, headers: HeaderMap) -> Answer {
    ctx.app.logout(&token(&headers)).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, session_cookie("", 0));
    Ok(response)
}

#[tracing::instrument(skip(ctx, headers))]
async fn who(State(ctx): State<Ctx>, headers: HeaderMap) -> Answer {
    let s = session(&ctx, &headers).await?;
    let mut json = serde_json::to_value(SessionView::from(&s)).expect("serializes");
    json["shop"] = s.shop.into();
    json["expires_at"] = serde_json::to_value(s.expires_at).expect("serializes");
    Ok(Json(json).into_response())
}

#[tracing::instrument(skip(ctx, headers))]
async fn bills(State(ctx): State<Ctx>, headers: HeaderMap) -> Answer {
    let s = session(&ctx, &headers).await?;
    let bills = ctx.app.bills(&s).await?;
    Ok(Json(serde_json::json!({ "bills": bills })).into_response())
}

#[tracing::instrument(skip(ctx, headers))]
async fn bill(State(ctx): State<Ctx>, Path(bill): Path<String>, headers: HeaderMap) -> Answer {
    let s = session(&ctx, &headers).await?;
    Ok(Json(ctx.app.bill(&s, &bill).await?).into_response())
}

#[tracing::instrument(skip(ctx, headers, query))]
async fn invoice(
    State(ctx): State<Ctx>,
    Path(bill): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Answer {
    document(ctx, bill, headers, query, BillDocument::Current).await
}

/// `GET /account/bills/{bill}/credit-note`: 404 until the bill has one.
#[tracing::instrument(skip(ctx, headers, query))]
async fn credit_note(
    State(ctx): State<Ctx>,
    Path(bill): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Answer {
    let which = web::credit_note_asked(query.as_deref());
    document(ctx, bill, headers, query, which).await
}

async fn document(
    ctx: Ctx,
    bill: String,
    headers: HeaderMap,
    query: Option<String>,
    which: BillDocument,
) -> Answer {
    let s = session(&ctx, &headers).await?;
    let format = web::document_format(query.as_deref())?;
    let document = ctx.app.invoice(&s, &bill, which).await?;
    Ok(web::document_response(document, format))
}

#[tracing::instrument(skip(ctx, headers))]
async fn products(State(ctx): State<Ctx>, headers: HeaderMap) -> Answer {
    let s = session(&ctx, &headers).await?;
    let products = ctx.app.products(&s).await?;
    Ok(Json(serde_json::json!({ "products": products })).into_response())
}

#[tracing::instrument(skip(ctx, headers))]
async fn seats(State(ctx): State<Ctx>, headers: HeaderMap) -> Answer {
    let s = session(&ctx, &headers).await?;
    let seats = ctx.app.seats(&s).await?;
    Ok(Json(serde_json::json!({ "seats": seats })).into_response())
}

#[tracing::instrument(skip(ctx, headers, body))]
async fn assign(
    State(ctx): State<Ctx>,
    Path(reference): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<AssignInput>,
) -> Answer {
    let s = session(&ctx, &headers).await?;
    let seat = ctx.app.assign(&s, &reference, &body).await?;
    Ok((StatusCode::ACCEPTED, Json(seat)).into_response())
}

#[tracing::instrument(skip(ctx, headers))]
async fn unassign(
    State(ctx): State<Ctx>,
    Path(reference): Path<String>,
    headers: HeaderMap,
) -> Answer {
    let s = session(&ctx, &headers).await?;
    let seat = ctx.app.unassign(&s, &reference).await?;
    Ok((StatusCode::ACCEPTED, Json(seat)).into_response())
}
