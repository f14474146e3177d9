//! The back-office function (`/admin/...`, bearer token): the shop document (import, export)
//! and the bill desk (find, read, transitions with a note, payments received).

use std::sync::Arc;

use axum::extract::Query;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use shop_core::app::AppError;
use shop_core::app::admin::{Imported, ShopAdmin};
use shop_core::app::bill_admin::{
    BillAdmin, BillFilter, PaymentInput, SampleQuery, TransitionInput,
};
use shop_core::app::products::ProductAdmin;
use shop_core::domain::FieldError;
use shop_core::domain::product::ProductStatus;
use shop_core::web::JsonBody;
use shop_core::web::{self, DOCUMENT_LIMIT};

#[derive(Clone)]
struct Ctx {
    app: Arc<ShopAdmin>,
    bills: Arc<BillAdmin>,
    products: Arc<ProductAdmin>,
}

pub fn router(
    app: Arc<ShopAdmin>,
    bills: Arc<BillAdmin>,
    products: Arc<ProductAdmin>,
    admin_token: &str,
) -> Router {
    let token: Arc<str> = admin_token.into();
    Router::new()
        .route("/admin/shops/{shop}", get(export_shop).put(import_shop))
        .route("/admin/shops/{shop}/bills", get(list_bills))
        .route("/admin/shops/{shop}/bills/counts", get(count_bills))
        .route("/admin/shops/{shop}/messages/failed", get(failed_messages))
        .route("/admin/bills/{bill}", get(view_bill))
        .route("/admin/bills/{bill}/transitions", post(transition))
        .route("/admin/bills/{bill}/payments", post(record_payment))
        .route(
            "/admin/bills/{bill}/sample-notification",
            get(sample_notification),
        )
        .route(
            "/admin/bills/{bill}/retry-production",
            post(retry_production),
        )
        .route("/admin/shops/{shop}/products", get(list_products))
        .route("/admin/products/{reference}", get(view_product))
        .route("/admin/products/{reference}/suspend", post(suspend_product))
        .route("/admin/products/{reference}/restore", post(restore_product))
        .method_not_allowed_fallback(web::wrong_method)
        .route_layer(middleware::from_fn(move |req: Request, next: Next| {
            let token = token.clone();
            async move {
                if web::bearer_matches(req.headers(), &token) {
                    next.run(req).await
                } else {
                    web::unauthorized()
                }
            }
        }))
        .with_state(Ctx {
            app,
            bills,
            products,
        })
}

#[tracing::instrument(skip(ctx))]
async fn export_shop(
    State(ctx): State<Ctx>,
    Path(shop): Path<String>,
) -> Result<Response, AppError> {
    Ok(Json(ctx.app.export(&shop).await?).into_response())
}

#[tracing::instrument(skip(ctx, req))]
async fn import_shop(State(ctx): State<Ctx>, Path(shop): Path<String>, req: Request) -> Response {
    let body = match web::read_body::<DOCUMENT_LIMIT>(req).await {
        Ok(body) => body,
        Err(too_large) => return too_large,
    };
    match ctx.app.import(&shop, &body).await {
        Ok((outcome, document)) => {
            let status = match outcome {
                Imported::Created => StatusCode::CREATED,
                Imported::Replaced => StatusCode::OK,
            };
            tracing::info!(?outcome, items = document.items.len(), "shop imported");
            (status, Json(document)).into_response()
        }
        Err(e) => e.into_response(),
    }
}

#[tracing::instrument(skip(ctx, filter))]
async fn list_bills(
    State(ctx): State<Ctx>,
    Path(shop): Path<String>,
    filter: Result<Query<BillFilter>, QueryRejection>,
) -> Result<Response, AppError> {
    let Query(filter) =
        filter.map_err(|e| AppError::Malformed(vec![FieldError::new("", e.body_text())]))?;
    Ok(Json(ctx.bills.list(&shop, &filter).await?).into_response())
}

/// The shop's messages given up on, for an operator to act on.
#[tracing::instrument(skip(ctx))]
async fn failed_messages(
    State(ctx): State<Ctx>,
    Path(shop): Path<String>,
) -> Result<Response, AppError> {
    let messages = ctx.bills.failed_messages(&shop).await?;
    Ok(Json(serde_json::json!({ "messages": messages })).into_response())
}

#[tracing::instrument(skip(ctx))]
async fn count_bills(
    State(ctx): State<Ctx>,
    Path(shop): Path<String>,
) -> Result<Response, AppError> {
    let counts = ctx.bills.counts(&shop).await?;
    Ok(Json(serde_json::json!({ "counts": counts })).into_response())
}

#[tracing::instrument(skip(ctx))]
async fn view_bill(State(ctx): State<Ctx>, Path(bill): Path<String>) -> Result<Response, AppError> {
    Ok(Json(ctx.bills.get(&bill).await?).into_response())
}

#[tracing::instrument(skip(ctx, body))]
async fn transition(
    State(ctx): State<Ctx>,
    Path(bill): Path<String>,
    JsonBody(body): JsonBody<TransitionInput>,
) -> Result<Response, AppError> {
    Ok(Json(ctx.bills.transition(&bill, &body).await?).into_response())
}

#[tracing::instrument(skip(ctx, body))]
async fn record_payment(
    State(ctx): State<Ctx>,
    Path(bill): Path<String>,
    JsonBody(body): JsonBody<PaymentInput>,
) -> Result<Response, AppError> {
    Ok(Json(ctx.bills.record_payment(&bill, &body).await?).into_response())
}

/// `GET /admin/bills/{bill}/sample-notification?gateway=..`: a signed notification to post
/// (test-mode shops only).
#[tracing::instrument(skip(ctx, query))]
async fn sample_notification(
    State(ctx): State<Ctx>,
    Path(bill): Path<String>,
    query: Result<Query<SampleQuery>, QueryRejection>,
) -> Result<Response, AppError> {
    let Query(query) =
        query.map_err(|e| AppError::Malformed(vec![FieldError::new("", e.body_text())]))?;
    Ok(Json(ctx.bills.sample_notification(&bill, &query).await?).into_response())
}

#[tracing::instrument(skip(ctx))]
async fn retry_production(
    State(ctx): State<Ctx>,
    Path(bill): Path<String>,
) -> Result<Response, AppError> {
    Ok(Json(ctx.bills.retry_production(&bill).await?).into_response())
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ProductFilter {
    customer: Option<String>,
    state: Option<String>,
}

/// `GET /admin/shops/{shop}/products?customer=<email>&state=running|expiring|expired|suspended`
#[tracing::instrument(skip(ctx, filter))]
async fn list_products(
    State(ctx): State<Ctx>,
    Path(shop): Path<String>,
    filter: Result<Query<ProductFilter>, QueryRejection>,
) -> Result<Response, AppError> {
    let Query(filter) =
        filter.map_err(|e| AppError::Malformed(vec![FieldError::new("", e.body_text())]))?;
    let shop = shop_core::app::repo::parse_id("shop", &shop)?;
    let products = ctx
        .products
        .list(&shop, filter.customer.as_deref(), filter.state.as_deref())
        .await?;
    Ok(Json(serde_json::json!({ "products": products })).into_response())
}

#[tracing::instrument(skip(ctx))]
async fn view_product(
    State(ctx): State<Ctx>,
    Path(reference): Path<String>,
) -> Result<Response, AppError> {
    Ok(Json(ctx.products.get(&reference).await?).into_response())
}

#[tracing::instrument(skip(ctx))]
async fn suspend_product(
    State(ctx): State<Ctx>,
    Path(reference): Path<String>,
) -> Result<Response, AppError> {
    let view = ctx
        .products
        .set_status(&reference, ProductStatus::Suspended, "admin", None)
        .await?;
    Ok(Json(view).into_response())
}

#[tracing::instrument(skip(ctx))]
async fn restore_product(
    State(ctx): State<Ctx>,
    Path(reference): Path<String>,
) -> Result<Response, AppError> {
    let view = ctx
        .products
        .set_status(&reference, ProductStatus::Running, "admin", None)
        .await?;
    Ok(Json(view).into_response())
}
