//! The back-office function (`/admin/...`): the shop document (import, export), the bill desk
//! (find, read, transitions with a note, payments received) and the products.
//!
//! Two kinds of caller ([`Caller`]): automation with `Authorization: Bearer <token>`, and staff
//! signed in at `POST /admin/login` with their Moodle credentials, whose session travels as the
//! `enrolshop_staff` cookie (HttpOnly, Secure, SameSite=Strict, path `/admin`). A state-changing
//! request the cookie authenticates must come from the shop's pages (`web::refuse_cross_site`).

use std::sync::Arc;

use axum::extract::{Extension, Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use shop_core::app::AppError;
use shop_core::app::admin::{Imported, ShopAdmin};
use shop_core::app::bill_admin::{
    BillAdmin, BillFilter, PaymentInput, RefundInput, SampleQuery, SendAgainInput, TransitionInput,
};
use shop_core::app::bills::BillDocument;
use shop_core::app::customer_admin::CustomerAdmin;
use shop_core::app::exports::{ExportQuery, Exports};
use shop_core::app::items::{
    CourseSearch, DuplicateInput, ItemAdmin, ItemFilter, ItemView, Precondition,
};
use shop_core::app::products::ProductAdmin;
use shop_core::app::settings::{MessagePreviewInput, SettingsAdmin, SettingsView};
use shop_core::app::staff::{
    Caller, STAFF_SESSION_HOURS, StaffDesk, StaffLoginInput, StaffSession,
};
use shop_core::domain::cart::IdentityInput;
use shop_core::domain::product::ProductStatus;
use shop_core::web::{self, DOCUMENT_LIMIT};
use shop_core::web::{ClientAddr, JsonBody, JsonBodyOrDefault, QueryOf};

/// The staff session cookie.
pub const COOKIE: &str = "enrolshop_staff";

/// What the back office is built from.
pub struct Desks {
    pub app: Arc<ShopAdmin>,
    pub customers: Arc<CustomerAdmin>,
    pub exports: Arc<Exports>,
    pub items: Arc<ItemAdmin>,
    pub settings: Arc<SettingsAdmin>,
    pub bills: Arc<BillAdmin>,
    pub products: Arc<ProductAdmin>,
    pub staff: Arc<StaffDesk>,
}

#[derive(Clone)]
struct Ctx {
    app: Arc<ShopAdmin>,
    customers: Arc<CustomerAdmin>,
    exports: Arc<Exports>,
    items: Arc<ItemAdmin>,
    settings: Arc<SettingsAdmin>,
    bills: Arc<BillAdmin>,
    products: Arc<ProductAdmin>,
    staff: Arc<StaffDesk>,
}

/// The caller of a request: the bearer token if one is sent (a wrong one is refused, never
/// passed over for the cookie), else the staff session cookie.
async fn caller(staff: &StaffDesk, token: &str, headers: &HeaderMap) -> Result<Caller, Response> {
    if headers.contains_key(header::AUTHORIZATION) {
        return if web::bearer_matches(headers, token) {
            Ok(Caller::Automation)
        } else {
            Err(web::unauthorized())
        };
    }
    match staff
        .session(web::cookie(headers, COOKIE).unwrap_or(""))
        .await
    {
        Ok(session) => Ok(Caller::Staff(session)),
        Err(e) => Err(e.into_response()),
    }
}

pub fn router(desks: Desks, admin_token: &str) -> Router {
    let token: Arc<str> = admin_token.into();
    let ctx = Ctx {
        app: desks.app,
        customers: desks.customers,
        exports: desks.exports,
        items: desks.items,
        settings: desks.settings,
        bills: desks.bills,
        products: desks.products,
        staff: desks.staff,
    };
    let staff = ctx.staff.clone();
    let signed_in = Router::new()
        .route("/admin/shops/{shop}", get(export_shop).put(import_shop))
        .route("/admin/shops/{shop}/bills", get(list_bills))
        .route("/admin/shops/{shop}/bills/counts", get(count_bills))
        .route("/admin/shops/{shop}/messages/failed", get(failed_messages))
        .route("/admin/bills/{bill}", get(view_bill))
        .route("/admin/bills/{bill}/transitions", post(transition))
        .route("/admin/bills/{bill}/payments", post(record_payment))
        .route("/admin/bills/{bill}/refunds", post(record_refund))
        .route("/admin/bills/{bill}/invoice", get(invoice))
        .route("/admin/bills/{bill}/credit-note", get(credit_note))
        .route(
            "/admin/bills/{bill}/sample-notification",
            get(sample_notification),
        )
        .route(
            "/admin/bills/{bill}/retry-production",
            post(retry_production),
        )
        .route(
            "/admin/bills/{bill}/messages/{message}/send-again",
            post(send_message_again),
        )
        .route("/admin/shops/{shop}/products", get(list_products))
        .route("/admin/products/{reference}", get(view_product))
        .route("/admin/products/{reference}/suspend", post(suspend_product))
        .route("/admin/products/{reference}/restore", post(restore_product))
        .route("/admin/shops/{shop}/exports/{file}", get(export_csv))
        .route("/admin/shops/{shop}/customers", get(list_customers))
        .route("/admin/shops/{shop}/stats", get(shop_stats))
        .route("/admin/shops/{shop}/audit", get(audit_list))
        .route(
            "/admin/shops/{shop}/customers/{email}",
            get(view_customer).put(update_customer),
        )
        .route("/admin/shops/{shop}/items", get(list_items))
        .route(
            "/admin/shops/{shop}/messages/preview",
            post(preview_message),
        )
        .route(
            "/admin/shops/{shop}/settings",
            get(view_settings).put(put_settings),
        )
        .route("/admin/shops/{shop}/moodle/courses", get(moodle_courses))
        .route(
            "/admin/shops/{shop}/moodle/categories",
            get(moodle_categories),
        )
        .route(
            "/admin/shops/{shop}/items/{code}",
            get(view_item).put(put_item).delete(delete_item),
        )
        .route(
            "/admin/shops/{shop}/items/{code}/duplicate",
            post(duplicate_item),
        )
        .route(
            "/admin/shops/{shop}/items/{code}/history",
            get(item_history),
        )
        .route(
            "/admin/shops/{shop}/items/{code}/preview",
            get(item_preview),
        )
        .route("/admin/session", get(who))
        .route_layer(middleware::from_fn(move |mut req: Request, next: Next| {
            let (token, staff) = (token.clone(), staff.clone());
            async move {
                match caller(&staff, &token, req.headers()).await {
                    Ok(caller) => {
                        req.extensions_mut().insert(caller);
                        next.run(req).await
                    }
                    Err(refused) => refused,
                }
            }
        }));
    Router::new()
        .route("/admin/login", post(login))
        .route("/admin/logout", post(logout))
        .merge(signed_in)
        .method_not_allowed_fallback(web::wrong_method)
        .route_layer(middleware::from_fn(web::refuse_cross_site))
        .with_state(ctx)
}

fn staff_cookie(value: &str, max_age: i64) -> HeaderValue {
    let cookie = format!(
        "{COOKIE}={value}; Path=/admin; Max-Age={max_age}; HttpOnly; Secure; SameSite=Strict"
    );
    HeaderValue::from_str(&cookie).expect("a token is hex")
}

/// What the pages show of a session (never its token).
fn session_view(s: &StaffSession) -> serde_json::Value {
    serde_json::json!({
        "shop": s.shop, "username": s.username, "role": s.role,
        "firstname": s.firstname, "lastname": s.lastname, "expires_at": s.expires_at,
    })
}

/// `POST /admin/login {"shop","username","password"}`: the session cookie and who signed in.
#[tracing::instrument(skip(ctx, client, body))]
async fn login(
    State(ctx): State<Ctx>,
    client: Option<Extension<ClientAddr>>,
    JsonBody(body): JsonBody<StaffLoginInput>,
) -> Result<Response, AppError> {
    let client = client.map(|Extension(c)| c);
    let signed = ctx.staff.login(&body, client).await?;
    let mut response = Json(session_view(&signed.session)).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        staff_cookie(&signed.token, STAFF_SESSION_HOURS * 3600),
    );
    Ok(response)
}

#[tracing::instrument(skip(ctx, headers))]
async fn logout(State(ctx): State<Ctx>, headers: HeaderMap) -> Result<Response, AppError> {
    ctx.staff
        .logout(web::cookie(&headers, COOKIE).unwrap_or(""))
        .await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, staff_cookie("", 0));
    Ok(response)
}

/// `GET /admin/session`: who is signed in (the bearer token is automation, not a person).
async fn who(Extension(caller): Extension<Caller>) -> Result<Response, AppError> {
    match caller {
        Caller::Staff(s) => Ok(Json(session_view(&s)).into_response()),
        Caller::Automation => Err(AppError::Unauthorized(
            "the back-office token is for automation: sign in to use the pages".into(),
        )),
    }
}

#[tracing::instrument(skip(ctx))]
async fn export_shop(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path(shop): Path<String>,
) -> Result<Response, AppError> {
    Ok(Json(ctx.app.export(&caller, &shop).await?).into_response())
}

#[tracing::instrument(skip(ctx, req))]
async fn import_shop(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path(shop): Path<String>,
    req: Request,
) -> Response {
    let body = match web::read_body::<DOCUMENT_LIMIT>(req).await {
        Ok(body) => body,
        Err(too_large) => return too_large,
    };
    match ctx.app.import(&caller, &shop, &body).await {
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
    Extension(caller): Extension<Caller>,
    Path(shop): Path<String>,
    QueryOf(filter): QueryOf<BillFilter>,
) -> Result<Response, AppError> {
    Ok(Json(ctx.bills.list(&caller, &shop, &filter).await?).into_response())
}

/// The shop's messages given up on, for an operator to act on.
#[tracing::instrument(skip(ctx))]
async fn failed_messages(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path(shop): Path<String>,
) -> Result<Response, AppError> {
    let messages = ctx.bills.failed_messages(&caller, &shop).await?;
    Ok(Json(serde_json::json!({ "messages": messages })).into_response())
}

#[tracing::instrument(skip(ctx))]
async fn count_bills(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path(shop): Path<String>,
) -> Result<Response, AppError> {
    let counts = ctx.bills.counts(&caller, &shop).await?;
    Ok(Json(serde_json::json!({ "counts": counts })).into_response())
}

#[tracing::instrument(skip(ctx))]
async fn view_bill(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path(bill): Path<String>,
) -> Result<Response, AppError> {
    Ok(Json(ctx.bills.get(&caller, &bill).await?).into_response())
}

#[tracing::instrument(skip(ctx, body))]
async fn transition(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path(bill): Path<String>,
    JsonBody(body): JsonBody<TransitionInput>,
) -> Result<Response, AppError> {
    Ok(Json(ctx.bills.transition(&caller, &bill, &body).await?).into_response())
}

#[tracing::instrument(skip(ctx, body))]
async fn record_payment(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path(bill): Path<String>,
    JsonBody(body): JsonBody<PaymentInput>,
) -> Result<Response, AppError> {
    Ok(Json(ctx.bills.record_payment(&caller, &bill, &body).await?).into_response())
}

/// `POST /admin/bills/{bill}/refunds`: money given back on a bill paid in full that stands.
#[tracing::instrument(skip(ctx, body))]
async fn record_refund(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path(bill): Path<String>,
    JsonBody(body): JsonBody<RefundInput>,
) -> Result<Response, AppError> {
    Ok(Json(ctx.bills.record_refund(&caller, &bill, &body).await?).into_response())
}

/// `GET /admin/bills/{bill}/invoice?format=html|pdf`: the buyer's document, for staff.
#[tracing::instrument(skip(ctx, query))]
async fn invoice(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path(bill): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    document(ctx, caller, bill, query, BillDocument::Current).await
}

/// `GET /admin/bills/{bill}/credit-note?format=html|pdf`: 404 until the bill has one.
#[tracing::instrument(skip(ctx, query))]
async fn credit_note(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path(bill): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let which = web::credit_note_asked(query.as_deref());
    document(ctx, caller, bill, query, which).await
}

async fn document(
    ctx: Ctx,
    caller: Caller,
    bill: String,
    query: Option<String>,
    which: BillDocument,
) -> Result<Response, AppError> {
    let format = web::document_format(query.as_deref())?;
    let document = ctx.bills.document(&caller, &bill, which).await?;
    Ok(web::document_response(document, format))
}

/// `GET /admin/bills/{bill}/sample-notification?gateway=..`: a signed notification to post
/// (test-mode shops only).
#[tracing::instrument(skip(ctx, query))]
async fn sample_notification(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path(bill): Path<String>,
    QueryOf(query): QueryOf<SampleQuery>,
) -> Result<Response, AppError> {
    Ok(Json(
        ctx.bills
            .sample_notification(&caller, &bill, &query)
            .await?,
    )
    .into_response())
}

#[tracing::instrument(skip(ctx))]
async fn retry_production(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path(bill): Path<String>,
) -> Result<Response, AppError> {
    Ok(Json(ctx.bills.retry_production(&caller, &bill).await?).into_response())
}

/// `POST /admin/bills/{bill}/messages/{message}/send-again`: 202, the message back in the
/// mailbox.
#[tracing::instrument(skip(ctx, body))]
async fn send_message_again(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path((bill, message)): Path<(String, String)>,
    JsonBodyOrDefault(body): JsonBodyOrDefault<SendAgainInput>,
) -> Result<Response, AppError> {
    let again = ctx
        .bills
        .send_message_again(&caller, &bill, &message, &body)
        .await?;
    Ok((StatusCode::ACCEPTED, Json(again)).into_response())
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
    Extension(caller): Extension<Caller>,
    Path(shop): Path<String>,
    QueryOf(filter): QueryOf<ProductFilter>,
) -> Result<Response, AppError> {
    let shop = shop_core::app::repo::parse_id("shop", &shop)?;
    caller.check_shop(&shop, "shop", shop.as_str())?;
    let products = ctx
        .products
        .list(&shop, filter.customer.as_deref(), filter.state.as_deref())
        .await?;
    Ok(Json(serde_json::json!({ "products": products })).into_response())
}

#[tracing::instrument(skip(ctx))]
async fn view_product(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path(reference): Path<String>,
) -> Result<Response, AppError> {
    Ok(Json(ctx.products.get(&caller, &reference).await?).into_response())
}

#[tracing::instrument(skip(ctx))]
async fn suspend_product(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path(reference): Path<String>,
) -> Result<Response, AppError> {
    let view = ctx
        .products
        .set_status_by(&caller, &reference, ProductStatus::Suspended)
        .await?;
    Ok(Json(view).into_response())
}

#[tracing::instrument(skip(ctx))]
async fn restore_product(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path(reference): Path<String>,
) -> Result<Response, AppError> {
    let view = ctx
        .products
        .set_status_by(&caller, &reference, ProductStatus::Running)
        .await?;
    Ok(Json(view).into_response())
}

/// `GET /admin/shops/{shop}/exports/{bills|lines|payments|customers|products}.csv?from=&to=&separator=&decimal=`
#[tracing::instrument(skip(ctx, caller, query))]
async fn export_csv(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path((shop, file)): Path<(String, String)>,
    QueryOf(query): QueryOf<ExportQuery>,
) -> Result<Response, AppError> {
    let csv = ctx.exports.csv(&caller, &shop, &file, &query).await?;
    let range = [query.from.as_deref(), query.to.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("_");
    let name = match range.as_str() {
        "" => format!("{shop}-{file}"),
        range => format!("{shop}-{}-{range}.csv", file.trim_end_matches(".csv")),
    };
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
        .map_err(|_| AppError::not_found("export", file.clone()))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        csv,
    )
        .into_response())
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CustomerQuery {
    q: Option<String>,
    cursor: Option<String>,
}

/// `GET /admin/shops/{shop}/customers?q=&cursor=`: by name; `q` a part of the name, email or
/// organisation.
#[tracing::instrument(skip(ctx, caller, q))]
async fn list_customers(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path(shop): Path<String>,
    QueryOf(q): QueryOf<CustomerQuery>,
) -> Result<Response, AppError> {
    let page = ctx
        .customers
        .list(&caller, &shop, q.q.as_deref(), q.cursor.as_deref())
        .await?;
    Ok(Json(page).into_response())
}

#[tracing::instrument(skip(ctx, caller, email))]
async fn view_customer(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path((shop, email)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let view = ctx.customers.get(&caller, &shop, &email).await?;
    Ok(with_etag(Json(&view).into_response(), &view.etag))
}

/// `PUT /admin/shops/{shop}/customers/{email}`, on the version read when `If-Match` says it.
#[tracing::instrument(skip(ctx, caller, email, headers, body))]
async fn update_customer(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path((shop, email)): Path<(String, String)>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<IdentityInput>,
) -> Result<Response, AppError> {
    let wanted = precondition(&headers);
    let (record, etag) = ctx
        .customers
        .update(&caller, &shop, &email, &wanted, &body)
        .await?;
    Ok(with_etag(Json(&record).into_response(), &etag))
}

/// An answer with the version it shows as `ETag`.
fn with_etag(mut response: Response, etag: &str) -> Response {
    if let Ok(tag) = HeaderValue::from_str(etag) {
        response.headers_mut().insert(header::ETAG, tag);
    }
    response
}

/// An item with its version as `ETag`.
fn item_answer(status: StatusCode, view: ItemView) -> Response {
    with_etag((status, Json(&view)).into_response(), &view.etag)
}

/// What a change asks of the item's version: `If-Match`, or `If-None-Match: *` to create.
fn precondition(headers: &HeaderMap) -> Precondition {
    let text = |name| headers.get(name).and_then(|v| v.to_str().ok());
    match (text(header::IF_MATCH), text(header::IF_NONE_MATCH)) {
        (Some(tag), _) => Precondition::Matches(tag.to_owned()),
        (None, Some(any)) if any.trim() == "*" => Precondition::Absent,
        _ => Precondition::Missing,
    }
}

/// The settings with their version as `ETag`.
fn settings_answer(view: SettingsView) -> Response {
    with_etag(Json(&view.settings).into_response(), &view.etag)
}

#[tracing::instrument(skip(ctx, body))]
async fn preview_message(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path(shop): Path<String>,
    JsonBody(body): JsonBody<MessagePreviewInput>,
) -> Result<Response, AppError> {
    Ok(Json(ctx.settings.preview_message(&caller, &shop, &body).await?).into_response())
}

#[tracing::instrument(skip(ctx))]
async fn view_settings(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path(shop): Path<String>,
) -> Result<Response, AppError> {
    Ok(settings_answer(ctx.settings.get(&caller, &shop).await?))
}

#[tracing::instrument(skip(ctx, headers, req))]
async fn put_settings(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path(shop): Path<String>,
    headers: HeaderMap,
    req: Request,
) -> Response {
    let body = match web::read_body::<DOCUMENT_LIMIT>(req).await {
        Ok(body) => body,
        Err(too_large) => return too_large,
    };
    let wanted = precondition(&headers);
    match ctx.settings.put(&caller, &shop, &wanted, &body).await {
        Ok(view) => settings_answer(view),
        Err(e) => e.into_response(),
    }
}

#[tracing::instrument(skip(ctx, filter))]
async fn list_items(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path(shop): Path<String>,
    QueryOf(filter): QueryOf<ItemFilter>,
) -> Result<Response, AppError> {
    Ok(Json(ctx.items.list(&caller, &shop, &filter).await?).into_response())
}

/// The course picker: Moodle's courses matching `q`.
#[tracing::instrument(skip(ctx, search))]
async fn moodle_courses(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path(shop): Path<String>,
    QueryOf(search): QueryOf<CourseSearch>,
) -> Result<Response, AppError> {
    let courses = ctx.items.courses(&caller, &shop, &search).await?;
    Ok(Json(serde_json::json!({ "courses": courses })).into_response())
}

#[tracing::instrument(skip(ctx))]
async fn moodle_categories(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path(shop): Path<String>,
) -> Result<Response, AppError> {
    let categories = ctx.items.moodle_categories(&caller, &shop).await?;
    Ok(Json(serde_json::json!({ "categories": categories })).into_response())
}

#[tracing::instrument(skip(ctx))]
async fn view_item(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path((shop, code)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let view = ctx.items.get(&caller, &shop, &code).await?;
    Ok(item_answer(StatusCode::OK, view))
}

/// `PUT /admin/shops/{shop}/items/{code}` with `If-Match` (change) or `If-None-Match: *`
/// (create, 201).
#[tracing::instrument(skip(ctx, headers, req))]
async fn put_item(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path((shop, code)): Path<(String, String)>,
    headers: HeaderMap,
    req: Request,
) -> Response {
    let body = match web::read_body::<{ web::BODY_LIMIT }>(req).await {
        Ok(body) => body,
        Err(too_large) => return too_large,
    };
    let wanted = precondition(&headers);
    match ctx.items.put(&caller, &shop, &code, &wanted, &body).await {
        Ok((view, true)) => item_answer(StatusCode::CREATED, view),
        Ok((view, false)) => item_answer(StatusCode::OK, view),
        Err(e) => e.into_response(),
    }
}

#[tracing::instrument(skip(ctx, headers))]
async fn delete_item(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path((shop, code)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let wanted = precondition(&headers);
    ctx.items.delete(&caller, &shop, &code, &wanted).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[tracing::instrument(skip(ctx, body))]
async fn duplicate_item(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path((shop, code)): Path<(String, String)>,
    JsonBody(body): JsonBody<DuplicateInput>,
) -> Result<Response, AppError> {
    let view = ctx.items.duplicate(&caller, &shop, &code, &body).await?;
    Ok(item_answer(StatusCode::CREATED, view))
}

#[tracing::instrument(skip(ctx))]
async fn item_preview(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path((shop, code)): Path<(String, String)>,
    QueryOf(query): QueryOf<shop_core::app::storefront::LanguageQuery>,
) -> Result<Response, AppError> {
    Ok(Json(ctx.items.preview(&caller, &shop, &code, &query).await?).into_response())
}

#[tracing::instrument(skip(ctx))]
async fn item_history(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path((shop, code)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let changes = ctx.items.history(&caller, &shop, &code).await?;
    Ok(Json(serde_json::json!({ "changes": changes })).into_response())
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct StatsQuery {
    from: Option<String>,
    to: Option<String>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditQuery {
    cursor: Option<String>,
}

/// `GET /admin/shops/{shop}/audit?cursor=`: what staff did, newest first.
#[tracing::instrument(skip(ctx, caller, q))]
async fn audit_list(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path(shop): Path<String>,
    QueryOf(q): QueryOf<AuditQuery>,
) -> Result<Response, AppError> {
    let store = ctx.app.store();
    let page = shop_core::app::audit::list(store, &caller, &shop, q.cursor.as_deref()).await?;
    Ok(Json(page).into_response())
}

/// `GET /admin/shops/{shop}/stats?from=&to=`: the dashboard's figures (default: the last 30
/// days), read from the shop's counters in one query.
#[tracing::instrument(skip(ctx, caller, q))]
async fn shop_stats(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path(shop): Path<String>,
    QueryOf(q): QueryOf<StatsQuery>,
) -> Result<Response, AppError> {
    let day = |name: &str, v: Option<&str>| {
        v.map(|d| shop_core::domain::parse_day(d).map_err(|e| AppError::invalid(name, e)))
            .transpose()
    };
    let today = chrono::Utc::now().date_naive();
    let to = day("to", q.to.as_deref())?.unwrap_or(today);
    let from = day("from", q.from.as_deref())?.unwrap_or(to - chrono::Days::new(29));
    if from > to {
        return Err(AppError::invalid("to", "must not be before `from`"));
    }
    let store = ctx.app.store();
    let stats = shop_core::app::stats::read(store, &caller, &shop, from, to).await?;
    Ok(Json(stats).into_response())
}
