//! The buyer's pages (`web/`), built into the binary so that `shopctl serve` works from any
//! directory. In AWS the same files go to the static bucket (plain files, no build step).

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

macro_rules! file {
    ($path:literal, $type:literal) => {
        get(|| async {
            (
                [
                    (header::CONTENT_TYPE, $type),
                    (header::CACHE_CONTROL, "no-cache"),
                ],
                include_str!(concat!("../../../web/", $path)),
            )
                .into_response()
        })
    };
}

/// `/` (catalogue), `/checkout`, `/bill`, `/account`, `/orders`, the back office (`/admin`,
/// `/admin/bill`) and their assets.
pub fn router() -> Router {
    Router::new()
        .route("/", file!("index.html", "text/html; charset=utf-8"))
        .route(
            "/checkout",
            file!("checkout.html", "text/html; charset=utf-8"),
        )
        .route("/bill", file!("bill.html", "text/html; charset=utf-8"))
        .route("/orders", file!("orders.html", "text/html; charset=utf-8"))
        .route(
            "/assets/orders.js",
            file!("assets/orders.js", "text/javascript; charset=utf-8"),
        )
        .route(
            "/account",
            file!("account.html", "text/html; charset=utf-8"),
        )
        .route(
            "/assets/app.js",
            file!("assets/app.js", "text/javascript; charset=utf-8"),
        )
        .route(
            "/assets/index.js",
            file!("assets/index.js", "text/javascript; charset=utf-8"),
        )
        .route(
            "/assets/checkout.js",
            file!("assets/checkout.js", "text/javascript; charset=utf-8"),
        )
        .route(
            "/assets/bill.js",
            file!("assets/bill.js", "text/javascript; charset=utf-8"),
        )
        .route(
            "/assets/account.js",
            file!("assets/account.js", "text/javascript; charset=utf-8"),
        )
        .route("/admin", file!("admin.html", "text/html; charset=utf-8"))
        .route(
            "/admin/bill",
            file!("admin-bill.html", "text/html; charset=utf-8"),
        )
        .route(
            "/admin/customers",
            file!("admin-customers.html", "text/html; charset=utf-8"),
        )
        .route(
            "/assets/admin-customers.js",
            file!(
                "assets/admin-customers.js",
                "text/javascript; charset=utf-8"
            ),
        )
        .route(
            "/admin/products",
            file!("admin-products.html", "text/html; charset=utf-8"),
        )
        .route(
            "/assets/admin-products.js",
            file!("assets/admin-products.js", "text/javascript; charset=utf-8"),
        )
        .route(
            "/admin/settings",
            file!("admin-settings.html", "text/html; charset=utf-8"),
        )
        .route(
            "/assets/admin-settings.js",
            file!("assets/admin-settings.js", "text/javascript; charset=utf-8"),
        )
        .route(
            "/admin/items",
            file!("admin-items.html", "text/html; charset=utf-8"),
        )
        .route(
            "/assets/admin-items.js",
            file!("assets/admin-items.js", "text/javascript; charset=utf-8"),
        )
        .route(
            "/assets/desk.js",
            file!("assets/desk.js", "text/javascript; charset=utf-8"),
        )
        .route(
            "/assets/delivery.js",
            file!("assets/delivery.js", "text/javascript; charset=utf-8"),
        )
        .route(
            "/assets/gateways.js",
            file!("assets/gateways.js", "text/javascript; charset=utf-8"),
        )
        .route(
            "/assets/admin.js",
            file!("assets/admin.js", "text/javascript; charset=utf-8"),
        )
        .route(
            "/assets/admin-bill.js",
            file!("assets/admin-bill.js", "text/javascript; charset=utf-8"),
        )
        .route(
            "/assets/style.css",
            file!("assets/style.css", "text/css; charset=utf-8"),
        )
        // Gzip, as the static bucket's CDN serves them in AWS: a cold checkout is ~25 KB.
        .layer(tower_http::compression::CompressionLayer::new())
}
