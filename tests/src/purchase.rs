//! One typical purchase, shared by the load and cost benchmarks: a shop of `n` items paid with
//! Systempay (the French card gateway: a signed form posted to the shop, no call out), and the
//! buyer's steps through the documented API.

use serde_json::{Value, json};
use shop_core::gateways::signatures::{self, LyraAlgorithm};

use crate::{ADMIN_TOKEN, Stack};

/// The bench shop's Systempay key (what signs its notifications).
pub const SYSTEMPAY_KEY: &str = "bench-systempay-key-0001";

/// The item every purchase buys: 120.00 EUR before VAT, 144.00 EUR paid.
pub const ITEM: &str = "C00007";

/// A shop document of `n` items in 20 categories, each with a description of some 200
/// characters (what a training catalogue holds), each enrolling its buyer in one of the
/// simulator's demo courses for a year.
pub fn shop(n: usize) -> Value {
    let items: Vec<Value> = (0..n)
        .map(|i| {
            json!({"code": format!("C{i:05}"), "name": format!("Course number {i}"),
                   "description": format!("{i}: a course of the catalogue, with its objectives, its audience, its duration, the skills it builds and what a learner can do after it. Delivered online in Moodle."),
                   "category": format!("cat{}", i % 20), "tax": "std",
                   "prices": [{"up_to": 10, "unit_price": "120.00"}, {"up_to": null, "unit_price": "99.00"}],
                   "handler": {"type": "enrol_one_course", "params": {"course_id": 3 + i % 5, "role": "student", "duration_days": 365}}})
        })
        .collect();
    let categories: Vec<Value> = (0..20)
        .map(|c| json!({"id": format!("cat{c}"), "name": format!("Category {c}")}))
        .collect();
    json!({
        "name": "Bench shop", "currency": "EUR", "test_mode": true,
        "payment_methods": ["systempay", "transfer"], "seller": {"email": "sales@bench.example"},
        "gateways": {"systempay": {"site_id": "12345678", "key": SYSTEMPAY_KEY, "ctx_mode": "TEST",
                                   "signature_algorithm": "HMAC-SHA-256"}},
        "taxes": [{"code": "std", "rate": "20"}], "categories": categories, "items": items
    })
}

/// Imports `doc` as `shop` through `PUT /admin/shops/{shop}`; the answer's status.
pub async fn import(stack: &Stack, shop: &str, doc: &Value) -> u16 {
    stack
        .http
        .put(stack.url(&format!("/admin/shops/{shop}")))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "application/json")
        .body(doc.to_string())
        .send()
        .await
        .expect("the stack answers")
        .status()
        .as_u16()
}

/// The buyer of purchase `n` (a new customer each time).
pub fn customer(n: usize) -> Value {
    json!({"customer": {"firstname": "Buyer", "lastname": format!("N{n}"),
        "email": format!("buyer{n}@example.org"), "address": "1 St", "zip": "75001",
        "city": "Paris", "country": "FR"}})
}

/// The body of `POST /carts/{cart}/order` paying by card through Systempay.
pub fn order() -> Value {
    json!({"payment_method": "systempay", "accept_terms": true})
}

/// Systempay's instant payment notification for `bill`: `amount` in cents, authorised, signed
/// with [`SYSTEMPAY_KEY`]; a form body.
pub fn notification(bill: &str, amount: &str, transaction: &str) -> String {
    let mut fields: Vec<(String, String)> = [
        ("vads_amount", amount),
        ("vads_ctx_mode", "TEST"),
        ("vads_currency", "978"),
        ("vads_order_id", bill),
        ("vads_site_id", "12345678"),
        ("vads_trans_status", "AUTHORISED"),
        ("vads_trans_uuid", transaction),
        ("vads_url_check_src", "PAY"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let signature = signatures::lyra(&fields, SYSTEMPAY_KEY, LyraAlgorithm::HmacSha256);
    fields.push(("signature".into(), signature));
    serde_urlencoded::to_string(&fields).expect("a form")
}
