//! The state the sample events in `events/<function>/` expect (carts, bills, shops with the
//! ids they name), shared by the router tests and the runtime-API harness tests.

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::Value;
use shop_core::adapters::dynamo::DynamoStore;
use shop_core::app::admin::ShopAdmin;
use shop_core::app::staff::Caller;
use shop_core::domain::cart::Cart;
use shop_core::ports::Store;

use crate::Stack;

pub const EVENT_CART: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
pub const READY_CART: &str = "1a2b3c4d5e6f708192a3b4c5d6e7f809";
pub const FIXTURE_BILL: &str = "261122FIXTURE0000001";

/// The events of one function, by file name, sorted.
pub fn events(function: &str) -> Vec<(String, Value)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../events")
        .join(function);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let json = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            (name, json)
        })
        .collect()
}

/// The demo shop (loaded by the stack) and an empty cart with the id the storefront events use.
pub async fn store_with_demo_and_cart(stack: &Stack) -> Arc<dyn Store> {
    let store: Arc<dyn Store> = Arc::new(DynamoStore::new(stack.dynamodb().clone(), &stack.table));
    let mut cart = Cart::new(
        EVENT_CART.parse().unwrap(),
        "demo".parse().unwrap(),
        chrono::Utc::now(),
        chrono::Duration::days(7),
    );
    let write = shop_core::app::repo::cart_write(
        &mut cart,
        None,
        chrono::Utc::now(),
        chrono::Duration::days(7),
    );
    store.write(vec![write]).await.unwrap();
    store
}

/// A cart of the demo shop ready to order (one GUIDE-BOOK, a customer), as `place-order.json`
/// expects.
pub async fn ready_cart(store: &dyn Store) {
    let shop = shop_core::app::repo::load_shop(
        store,
        &"demo".parse().unwrap(),
        shop_core::app::repo::Items::All,
    )
    .await
    .unwrap()
    .shop;
    let now = chrono::Utc::now();
    let mut ready = Cart::new(
        READY_CART.parse().unwrap(),
        "demo".parse().unwrap(),
        now,
        chrono::Duration::days(7),
    );
    ready
        .set_line(&shop, &"GUIDE-BOOK".parse().unwrap(), 1, None)
        .unwrap();
    let customer = serde_json::from_value(serde_json::json!({"customer": {"firstname": "Ada", "lastname": "Lovelace",
        "email": "ada@example.org", "address": "1 St", "zip": "1", "city": "Paris", "country": "FR"}})).unwrap();
    ready.set_customer(&customer).unwrap();
    let write = shop_core::app::repo::cart_write(&mut ready, None, now, chrono::Duration::days(7));
    store.write(vec![write]).await.unwrap();
}

/// The gateway shop of the notification fixtures, and a bill of 120.00 EUR with the id they name.
pub async fn gateway_shop_with_bill(stack: &Stack) -> Arc<dyn Store> {
    let store: Arc<dyn Store> = stack.store.clone();
    let doc = serde_json::json!({
        "name": "Gateway shop", "currency": "EUR", "payment_methods": ["systempay", "ogone", "stripe", "sips"],
        "seller": {"email": "sales@gateway-shop.example"},
        "gateways": {
            "systempay": {"site_id": "12345678", "key": "1122334455667788", "signature_algorithm": "HMAC-SHA-256"},
            "ogone": {"pspid": "academy", "sha_in": "in", "sha_out": "out", "sha_algorithm": "SHA-256"},
            "stripe": {"secret_key": "sk", "webhook_secret": "whsec_test_secret"},
            "sips": {"merchant_id": "002001000000001", "secret_key": "k"}
        },
        "taxes": [{"code": "std", "rate": "20"}],
        "items": [{"code": "COURSE", "name": "Course", "tax": "std", "prices": [{"up_to": null, "unit_price": "100.00"}]}]
    });
    ShopAdmin::new(store.clone())
        .import(&Caller::Automation, "gw", doc.to_string().as_bytes())
        .await
        .unwrap();
    let stored = shop_core::app::repo::load_shop(
        store.as_ref(),
        &"gw".parse().unwrap(),
        shop_core::app::repo::Items::All,
    )
    .await
    .unwrap();
    let now = chrono::Utc::now();
    let mut cart = Cart::new(
        shop_core::domain::ids::CartId::random(),
        "gw".parse().unwrap(),
        now,
        chrono::Duration::days(7),
    );
    cart.set_line(&stored.shop, &"COURSE".parse().unwrap(), 1, None)
        .unwrap();
    let customer = serde_json::from_value(serde_json::json!({"customer": {"firstname": "Ada", "lastname": "Lovelace",
        "email": "ada@example.org", "address": "1 St", "zip": "1", "city": "Paris", "country": "FR"}})).unwrap();
    cart.set_customer(&customer).unwrap();
    let method = shop_core::domain::catalog::PaymentMethod::Systempay;
    let mut bill = shop_core::domain::order::bill_from_cart(
        &cart,
        &stored.shop,
        &stored.document,
        method,
        "digest".into(),
        now,
    );
    bill.id = FIXTURE_BILL.parse().unwrap();
    let item = shop_core::app::bills::bill_item(&bill);
    store
        .write(vec![shop_core::ports::Write::Put {
            item,
            when: shop_core::ports::PutIf::Absent,
        }])
        .await
        .unwrap();
    store
}

/// The gateway shop with a PAID bill whose line enrols the buyer in course 3 for 30 days, with
/// the id `events/production/*.json` name.
pub async fn production_bill(stack: &Stack) -> Arc<dyn Store> {
    let store = gateway_shop_with_bill(stack).await;
    // A paid bill of shop `gw` whose line enrols the buyer in course 3 for 30 days.
    let mut bill = shop_core::app::bills::find_bill(store.as_ref(), &FIXTURE_BILL.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    let handler = serde_json::json!({"type": "enrol_one_course", "params": {"course_id": 3, "duration_days": 30}});
    bill.value.lines[0].item.handler = Some(serde_json::from_value(handler).unwrap());
    bill.value.status = shop_core::domain::bill::BillStatus::Paid;
    bill.value.id = "261122FIXTURE0000002".parse().unwrap();
    let item = shop_core::app::bills::bill_item(&bill.value);
    store
        .write(vec![shop_core::ports::Write::Put {
            item,
            when: shop_core::ports::PutIf::Absent,
        }])
        .await
        .unwrap();
    store
}
