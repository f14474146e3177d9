//! The checkout function: order placement (ORDER), the bill and its invoice, and the payments
//! that need no gateway, with retry. ARCHITECTURE.md, "The four request paths".
//!
//! Bill routes need the bill's access token (`Authorization: Bearer` or `?token=`); without
//! the right one a bill answers 404, exactly as a bill that does not exist.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use shop_core::app::AppError;
use shop_core::app::bills::BillDocument;
use shop_core::app::checkout::{Checkout, LookupInput, OrderInput, RetryInput, TestPaymentInput};
use shop_core::web::{self, BillToken, JsonBody};

#[derive(Clone)]
struct Ctx {
    app: Arc<Checkout>,
}

pub fn router(app: Arc<Checkout>) -> Router {
    Router::new()
        .route("/carts/{cart}/order", post(place_order))
        .route("/bills/{bill}", get(view_bill))
        .route("/bills/{bill}/invoice", get(invoice))
        .route("/bills/{bill}/credit-note", get(credit_note))
        .route("/bills/{bill}/payment", post(retry_payment))
        .route("/bills/{bill}/test-payment", post(test_payment))
        .route("/shops/{shop}/orders/lookup", post(lookup))
        .method_not_allowed_fallback(web::wrong_method)
        .with_state(Ctx { app })
}

type Answer = Result<Response, AppError>;

#[tracing::instrument(skip(ctx, headers, body, cart), fields(cart = %web::log_tag(&cart)))]
async fn place_order(
    State(ctx): State<Ctx>,
    Path(cart): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<OrderInput>,
) -> Answer {
    let (view, created) = ctx.app.place(&cart, &body, &web::origin(&headers)).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(view)).into_response())
}

/// `POST /shops/{shop}/orders/lookup`: always 202, whether the address has orders or not.
#[tracing::instrument(skip(ctx, body))]
async fn lookup(
    State(ctx): State<Ctx>,
    Path(shop): Path<String>,
    JsonBody(body): JsonBody<LookupInput>,
) -> Answer {
    ctx.app.lookup(&shop, &body).await?;
    let detail =
        "If this address has orders at this shop, a message with their links is on its way.";
    Ok((
        StatusCode::ACCEPTED,
        Json(serde_json::json!({ "detail": detail })),
    )
        .into_response())
}

#[tracing::instrument(skip(ctx, token))]
async fn view_bill(
    State(ctx): State<Ctx>,
    Path(bill): Path<String>,
    BillToken(token): BillToken,
) -> Answer {
    Ok(Json(ctx.app.view(&bill, &token).await?).into_response())
}

#[tracing::instrument(skip(ctx, headers, token, body))]
async fn retry_payment(
    State(ctx): State<Ctx>,
    Path(bill): Path<String>,
    headers: HeaderMap,
    BillToken(token): BillToken,
    JsonBody(body): JsonBody<RetryInput>,
) -> Answer {
    let origin = web::origin(&headers);
    Ok(Json(ctx.app.retry_payment(&bill, &token, &body, &origin).await?).into_response())
}

#[tracing::instrument(skip(ctx, token, body))]
async fn test_payment(
    State(ctx): State<Ctx>,
    Path(bill): Path<String>,
    BillToken(token): BillToken,
    JsonBody(body): JsonBody<TestPaymentInput>,
) -> Answer {
    Ok(Json(ctx.app.test_payment(&bill, &token, &body).await?).into_response())
}

/// `GET /bills/{bill}/invoice` (HTML) or `?format=pdf`.
#[tracing::instrument(skip(ctx, token, query))]
async fn invoice(
    State(ctx): State<Ctx>,
    Path(bill): Path<String>,
    BillToken(token): BillToken,
    RawQuery(query): RawQuery,
) -> Answer {
    document(ctx, bill, token, query, BillDocument::Current).await
}

/// `GET /bills/{bill}/credit-note` (HTML) or `?format=pdf`: 404 until the bill has one.
#[tracing::instrument(skip(ctx, token, query))]
async fn credit_note(
    State(ctx): State<Ctx>,
    Path(bill): Path<String>,
    BillToken(token): BillToken,
    RawQuery(query): RawQuery,
) -> Answer {
    let which = web::credit_note_asked(query.as_deref());
    document(ctx, bill, token, query, which).await
}

async fn document(
    ctx: Ctx,
    bill: String,
    token: String,
    query: Option<String>,
    which: BillDocument,
) -> Answer {
    let format = web::document_format(query.as_deref())?;
    let document = ctx.app.document(&bill, &token, which).await?;
    Ok(web::document_response(document, format))
}
