//! The back-office function (`/admin/...`, bearer token). For now: the shop document,
//! imported with `PUT /admin/shops/{shop}` and exported with `GET /admin/shops/{shop}`.

use std::sync::Arc;

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use shop_core::app::AppError;
use shop_core::app::admin::{Imported, ShopAdmin};
use shop_core::web::{self, DOCUMENT_LIMIT};

#[derive(Clone)]
struct Ctx {
    app: Arc<ShopAdmin>,
}

pub fn router(app: Arc<ShopAdmin>, admin_token: &str) -> Router {
    let token: Arc<str> = admin_token.into();
    Router::new()
        .route("/admin/shops/{shop}", get(export_shop).put(import_shop))
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
        .with_state(Ctx { app })
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
