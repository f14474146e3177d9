//! The storefront function: the catalogue and the pre-order steps of the cart
//! (SHOP, PURCHASEREQUIS, USERS, CUSTOMER). ARCHITECTURE.md, "The four request paths".
//!
//! Handlers only extract, call a use case of `shop_core::app::storefront` and answer; the same
//! router runs in Lambda (`main.rs`) and in `shopctl serve`.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Extension, Json, Router};
use serde_json::{Map, Value};
use shop_core::app::AppError;
use shop_core::app::storefront::{
    CatalogQuery, LanguageInput, LanguageQuery, LineInput, Storefront,
};
use shop_core::domain::FieldError;
use shop_core::domain::cart::{CustomerInput, ParticipantsInput};
use shop_core::web::{self, ClientAddr, JsonBody, JsonBodyOrDefault, QueryOf};

/// Where `cart-import` sends the browser: the checkout page, given `?shop=..&cart=..`.
pub const DEFAULT_CHECKOUT_PATH: &str = "/checkout";

#[derive(Clone)]
struct Ctx {
    app: Arc<Storefront>,
    checkout_path: Arc<str>,
}

pub fn router(app: Arc<Storefront>, checkout_path: &str) -> Router {
    let ctx = Ctx {
        app,
        checkout_path: checkout_path.into(),
    };
    Router::new()
        .route("/shops/{shop}/catalog", get(catalog))
        .route("/shops/{shop}/carts", post(create_cart))
        .route("/shops/{shop}/cart-import", get(import_cart))
        .route("/shops/{shop}/items/{code}", get(item))
        .route("/carts/{cart}", get(view_cart).delete(delete_cart))
        .route("/carts/{cart}/lines/{code}", put(set_line))
        .route("/carts/{cart}/requirements", put(set_requirements))
        .route("/carts/{cart}/participants", put(set_participants))
        .route("/carts/{cart}/customer", put(set_customer))
        .route("/carts/{cart}/language", put(set_language))
        .route("/openapi.json", get(openapi))
        .method_not_allowed_fallback(web::wrong_method)
        // A cart change reads the customer's session cookie: only from the shop's own pages.
        .route_layer(axum::middleware::from_fn(web::refuse_cross_site))
        .with_state(ctx)
}

type Answer = Result<Response, AppError>;

/// The API's description (every route, body, problem type), `shared/api/openapi.json`.
pub const OPENAPI: &str = include_str!("../../../shared/api/openapi.json");

async fn openapi() -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        OPENAPI,
    )
        .into_response()
}

// The routes a customer's session changes (what they may see and buy) read it from the
// request: never logged (`skip(headers)`).
#[tracing::instrument(skip(ctx, headers))]
async fn catalog(
    State(ctx): State<Ctx>,
    Path(shop): Path<String>,
    headers: HeaderMap,
    QueryOf(query): QueryOf<CatalogQuery>,
) -> Answer {
    let session = web::customer_token(&headers);
    Ok(Json(ctx.app.catalog(&shop, &query, session).await?).into_response())
}

#[tracing::instrument(skip(ctx, headers))]
async fn item(
    State(ctx): State<Ctx>,
    Path((shop, code)): Path<(String, String)>,
    headers: HeaderMap,
    QueryOf(query): QueryOf<LanguageQuery>,
) -> Answer {
    let session = web::customer_token(&headers);
    Ok(Json(ctx.app.item(&shop, &code, &query, session).await?).into_response())
}

#[tracing::instrument(skip(ctx))]
async fn create_cart(
    State(ctx): State<Ctx>,
    Path(shop): Path<String>,
    JsonBodyOrDefault(body): JsonBodyOrDefault<LanguageInput>,
) -> Answer {
    let view = ctx.app.create_cart(&shop, &body).await?;
    let location = format!("/carts/{}", view.id);
    tracing::info!(cart = %web::log_tag(view.id.as_str()), "cart created");
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(view),
    )
        .into_response())
}

#[tracing::instrument(skip(ctx, cart), fields(cart = %web::log_tag(&cart)))]
async fn view_cart(State(ctx): State<Ctx>, Path(cart): Path<String>) -> Answer {
    Ok(Json(ctx.app.cart(&cart).await?).into_response())
}

#[tracing::instrument(skip(ctx, cart), fields(cart = %web::log_tag(&cart)))]
async fn delete_cart(State(ctx): State<Ctx>, Path(cart): Path<String>) -> Answer {
    ctx.app.delete_cart(&cart).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[tracing::instrument(skip(ctx, body, cart, headers), fields(cart = %web::log_tag(&cart)))]
async fn set_line(
    State(ctx): State<Ctx>,
    Path((cart, code)): Path<(String, String)>,
    client: Option<Extension<ClientAddr>>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<LineInput>,
) -> Answer {
    let client = client.map(|Extension(c)| c);
    let session = web::customer_token(&headers);
    let view = ctx
        .app
        .set_line(&cart, &code, &body, client, session)
        .await?;
    Ok(Json(view).into_response())
}

#[tracing::instrument(skip(ctx, body, cart), fields(cart = %web::log_tag(&cart)))]
async fn set_requirements(
    State(ctx): State<Ctx>,
    Path(cart): Path<String>,
    JsonBody(body): JsonBody<BTreeMap<String, Vec<Map<String, Value>>>>,
) -> Answer {
    Ok(Json(ctx.app.set_requirements(&cart, &body).await?).into_response())
}

#[tracing::instrument(skip(ctx, body, cart), fields(cart = %web::log_tag(&cart)))]
async fn set_participants(
    State(ctx): State<Ctx>,
    Path(cart): Path<String>,
    JsonBody(body): JsonBody<ParticipantsInput>,
) -> Answer {
    Ok(Json(ctx.app.set_participants(&cart, &body).await?).into_response())
}

#[tracing::instrument(skip(ctx, body, cart, headers), fields(cart = %web::log_tag(&cart)))]
async fn set_customer(
    State(ctx): State<Ctx>,
    Path(cart): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<CustomerInput>,
) -> Answer {
    let session = web::customer_token(&headers);
    Ok(Json(ctx.app.set_customer(&cart, &body, session).await?).into_response())
}

#[tracing::instrument(skip(ctx, body, cart), fields(cart = %web::log_tag(&cart)))]
async fn set_language(
    State(ctx): State<Ctx>,
    Path(cart): Path<String>,
    JsonBody(body): JsonBody<LanguageInput>,
) -> Answer {
    Ok(Json(ctx.app.set_language(&cart, &body).await?).into_response())
}

/// `GET /shops/{shop}/cart-import?CODE=qty&...`: a new cart of the link's valid pairs, then
/// 303 to the checkout page, with `&refused=CODE,...` naming the pairs it could not take (the
/// body says why, per code). A browser never lands on JSON for a partly wrong link.
#[tracing::instrument(skip(ctx, query, headers))]
async fn import_cart(
    State(ctx): State<Ctx>,
    Path(shop): Path<String>,
    headers: HeaderMap,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Answer {
    let imported = match query {
        Ok(Query(pairs)) => {
            let session = web::customer_token(&headers);
            ctx.app.import_cart(&shop, &pairs, session).await
        }
        Err(e) => Err(AppError::Malformed(vec![FieldError::new(
            "",
            e.body_text(),
        )])),
    };
    let browser = headers
        .get(header::ACCEPT)
        .and_then(|a| a.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    let import = match imported {
        Ok(import) => import,
        // A browser following a link that leads nowhere (no pair, unknown shop) goes to the
        // checkout page, which says so in the buyer's language; API callers get the problem.
        Err(e) if browser && !matches!(e, AppError::Store(_)) => {
            let query = serde_urlencoded::to_string([("shop", shop.as_str()), ("link", "invalid")])
                .expect("string pairs encode");
            let location = format!("{}?{query}", ctx.checkout_path);
            let location = HeaderValue::from_str(&location).expect("percent-encoded");
            return Ok((StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response());
        }
        Err(e) => return Err(e),
    };
    let view = &import.cart;
    tracing::info!(
        cart = %web::log_tag(view.id.as_str()),
        lines = view.lines.len(),
        refused = import.refused.len(),
        "cart imported"
    );
    let mut location = format!("{}?shop={}&cart={}", ctx.checkout_path, view.shop, view.id);
    if !import.refused.is_empty() {
        let codes: Vec<String> = import
            .refused
            .iter()
            .take(MAX_REFUSED_SHOWN)
            .map(|e| e.path.chars().take(40).collect())
            .collect();
        let query = serde_urlencoded::to_string([("refused", codes.join(","))])
            .expect("a string pair encodes");
        location = format!("{location}&{query}");
    }
    let location = HeaderValue::from_str(&location).expect("percent-encoded");
    let mut response = (StatusCode::SEE_OTHER, Json(import)).into_response();
    response.headers_mut().insert(header::LOCATION, location);
    Ok(response)
}

/// How many refused codes a cart link's redirect names (the page's notice stays short).
const MAX_REFUSED_SHOWN: usize = 10;
