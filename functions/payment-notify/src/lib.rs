//! The payment-notify function: gateway notifications and browser return URLs (ARCHITECTURE.md, "The four request paths").
//!
//! A notification is verified on the raw body bytes before anything else; the return URLs only
//! send the browser to the bill page and never change a payment's state.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use shop_core::app::AppError;
use shop_core::app::notify::Notifier;
use shop_core::gateways::Received;
use shop_core::web::{self, BODY_LIMIT};

/// Where return URLs send the browser: the bill page, given `?shop=..&bill=..&payment=confirming`.
pub const DEFAULT_BILL_PATH: &str = "/bill";

#[derive(Clone)]
struct Ctx {
    app: Arc<Notifier>,
    bill_path: Arc<str>,
}

pub fn router(app: Arc<Notifier>, bill_path: &str) -> Router {
    Router::new()
        .route("/shops/{shop}/notify/{gateway}", post(notify))
        .route("/shops/{shop}/return/{gateway}", get(back).post(back))
        .method_not_allowed_fallback(web::wrong_method)
        .with_state(Ctx {
            app,
            bill_path: bill_path.into(),
        })
}

#[tracing::instrument(skip(ctx, req))]
async fn notify(
    State(ctx): State<Ctx>,
    Path((shop, gateway)): Path<(String, String)>,
    req: Request,
) -> Response {
    let signature = req
        .headers()
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = match web::read_body::<BODY_LIMIT>(req).await {
        Ok(body) => body,
        Err(too_large) => return too_large,
    };
    let raw = Received {
        signature_header: signature.as_deref(),
        body: &body,
    };
    match ctx.app.notify(&shop, &gateway, raw).await {
        Ok(outcome) => Json(serde_json::json!({ "outcome": outcome })).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "notification refused");
            e.into_response()
        }
    }
}

/// `GET|POST /shops/{shop}/return/{gateway}?bill=..`: 303 to the bill page, which shows
/// "payment being confirmed" until a verified notification changes the bill.
#[tracing::instrument(skip(ctx, query))]
async fn back(
    State(ctx): State<Ctx>,
    Path((shop, gateway)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let shop: shop_core::domain::ids::ShopId = shop_core::app::repo::parse_id("shop", &shop)?;
    let bill = query
        .as_deref()
        .unwrap_or("")
        .split('&')
        .find_map(|p| p.strip_prefix("bill="))
        .and_then(|b| b.parse::<shop_core::domain::bill::BillId>().ok());
    let mut location = format!("{}?shop={shop}&payment=confirming", ctx.bill_path);
    if let Some(bill) = bill {
        location.push_str(&format!("&bill={bill}"));
    }
    tracing::info!(%gateway, "browser back from the gateway");
    let mut response = StatusCode::SEE_OTHER.into_response();
    response.headers_mut().insert(
        header::LOCATION,
        HeaderValue::from_str(&location).expect("ids are URL-safe"),
    );
    Ok(response)
}
