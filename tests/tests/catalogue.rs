//! Catalogues of any size, on DynamoDB (moto): items stored one record each, a cart change
//! that reads only its own items, the buyer's catalogue paged and filtered, an import that
//! switches catalogues at once and sweeps the one it replaced.

use enrolshop_tests::{ADMIN_TOKEN, Reply, Stack};
use serde_json::{Value, json};
use shop_core::ports::{Key, Query};

async fn import(stack: &Stack, shop: &str, doc: &Value) -> Reply {
    let req = stack
        .http
        .put(stack.url(&format!("/admin/shops/{shop}")))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "application/json")
        .body(doc.to_string());
    Reply::from(req.send().await.unwrap()).await
}

async fn export(stack: &Stack, shop: &str) -> Value {
    let req = stack
        .http
        .get(stack.url(&format!("/admin/shops/{shop}")))
        .bearer_auth(ADMIN_TOKEN);
    let reply = Reply::from(req.send().await.unwrap()).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body
}

fn item(code: &str, category: &str, price: &str) -> Value {
    json!({"code": code, "name": format!("Course {code}"), "description": format!("About {code}"),
           "category": category, "tax": "std",
           "prices": [{"up_to": null, "unit_price": price}]})
}

/// A shop of `n` items: categories `dev` (with a subcategory `rust`) and `ops`; item `I0003`
/// is a preview, `I0004` suspended (not listed), `I0005` stocked.
fn shop(n: usize) -> Value {
    let items: Vec<Value> = (0..n)
        .map(|i| {
            let category = ["dev", "rust", "ops"][i % 3];
            let mut it = item(&format!("I{i:04}"), category, "10.00");
            match i {
                3 => it["status"] = json!("preview"),
                4 => it["status"] = json!("suspended"),
                5 => it["stock"] = json!(3),
                _ => {}
            }
            it
        })
        .collect();
    json!({
        "name": "Big shop", "currency": "EUR", "test_mode": true,
        "payment_methods": ["test", "transfer"], "seller": {"email": "sales@big.example"},
        "taxes": [{"code": "std", "rate": "20"}],
        "categories": [{"id": "dev", "name": "Development"},
                       {"id": "rust", "name": "Rust", "parent": "dev"},
                       {"id": "ops", "name": "Operations"}],
        "items": items
    })
}

fn codes(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["code"].as_str().unwrap().to_owned())
        .collect()
}

/// Every page of a catalogue query, followed by its cursors.
async fn all_pages(stack: &Stack, shop: &str, query: &str) -> (Vec<String>, usize) {
    let mut found = Vec::new();
    let mut pages = 0;
    let mut cursor: Option<String> = None;
    loop {
        let cursor_part = cursor.map(|c| format!("&cursor={c}")).unwrap_or_default();
        let page = stack
            .get(&format!("/shops/{shop}/catalog?{query}{cursor_part}"))
            .await;
        assert_eq!(page.status, 200, "{}", page.body);
        pages += 1;
        found.extend(codes(&page.body));
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return (found, pages),
        }
    }
}

async fn the_catalogue_pages_in_the_shops_order_and_filters_by_category_and_text(stack: Stack) {
    assert_eq!(import(&stack, "big", &shop(130)).await.status, 201);

    let first = stack.get("/shops/big/catalog").await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.body["items"].as_array().unwrap().len(), 50);
    assert_eq!(first.body["shop"]["name"], "Big shop");
    assert_eq!(first.body["categories"].as_array().unwrap().len(), 3);
    assert!(first.body["next_cursor"].is_string());

    let (listed, pages) = all_pages(&stack, "big", "").await;
    let expected: Vec<String> = (0..130)
        .filter(|i| *i != 4)
        .map(|i| format!("I{i:04}"))
        .collect();
    assert_eq!(
        listed, expected,
        "every listed item once, in the shop's order"
    );
    assert_eq!(pages, 3);

    // A category holds its subcategories' items.
    let (dev, _) = all_pages(&stack, "big", "category=dev").await;
    assert_eq!(
        dev.len(),
        87 - 1,
        "dev and rust items, less the suspended I0004"
    );
    assert!(dev.contains(&"I0001".to_owned()) && dev.contains(&"I0000".to_owned()));
    let (ops, _) = all_pages(&stack, "big", "category=ops").await;
    assert!(
        ops.iter()
            .all(|c| c[1..].parse::<usize>().unwrap() % 3 == 2)
    );
    assert_eq!(ops.len(), 43);

    // Text in the code, name or description, any case.
    let (found, _) = all_pages(&stack, "big", "q=course%20i012").await;
    assert_eq!(
        found,
        [
            "I0120", "I0121", "I0122", "I0123", "I0124", "I0125", "I0126", "I0127", "I0128",
            "I0129"
        ]
    );
    let (found, _) = all_pages(&stack, "big", "q=ABOUT%20I0007&category=dev").await;
    assert_eq!(found, ["I0007"]);

    // The stock shown is what remains.
    let cart = stack.new_cart_in("big").await;
    let added = stack
        .put(
            &format!("/carts/{cart}/lines/I0005"),
            json!({"quantity": 2}),
        )
        .await;
    assert_eq!(added.status, 200, "{}", added.body);
    stack
        .put(
            &format!("/carts/{cart}/customer"),
            enrolshop_tests::customer(),
        )
        .await;
    assert_eq!(stack.order(&cart, "transfer").await.status, 201);
    let page = stack.get("/shops/big/catalog?q=I0005").await.body;
    assert_eq!(page["items"][0]["stock"], 1, "{page}");

    stack
        .get("/shops/big/catalog?category=nope")
        .await
        .assert_problem(422, "validation_failed");
    stack
        .get("/shops/big/catalog?cursor=abc")
        .await
        .assert_problem(422, "validation_failed");
    stack
        .get("/shops/big/catalog?colour=red")
        .await
        .assert_problem(400, "malformed_request");
}

/// The DynamoDB requests of a cart change are the same on a shop of 20 items and one of
/// 1,000: the settings, then one batch read of the cart's items and their stock counters.
#[tokio::test]
async fn a_cart_change_reads_the_same_whatever_the_catalogue_size() {
    let stack = Stack::start().await;
    assert_eq!(import(&stack, "small", &shop(20)).await.status, 201);
    assert_eq!(import(&stack, "large", &shop(1000)).await.status, 201);
    let mut seen = Vec::new();
    for shop in ["small", "large"] {
        let cart = stack.new_cart_in(shop).await;
        stack
            .put(
                &format!("/carts/{cart}/lines/I0001"),
                json!({"quantity": 1}),
            )
            .await;
        stack.requests.reset();
        let r = stack
            .put(
                &format!("/carts/{cart}/lines/I0007"),
                json!({"quantity": 2}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["lines"].as_array().unwrap().len(), 2);
        seen.push(stack.requests.operations());
    }
    assert_eq!(
        seen[0],
        ["GetItem", "GetItem", "BatchGetItem", "PutItem"],
        "the cart, the shop's settings, the cart's items, the cart written"
    );
    assert_eq!(seen[0], seen[1], "the same on a 1,000-item shop");
}

/// A catalogue page reads the stock counters of its stocked items only: a shop without stock
/// limits pays no counter reads (each key a batch asks for costs a read unit, found or not),
/// and a stocked item on the page still shows what remains.
#[tokio::test]
async fn a_catalogue_page_reads_only_its_stocked_items_counters() {
    let stack = Stack::start().await;
    let mut plain = shop(60);
    plain["items"][5].as_object_mut().unwrap().remove("stock");
    assert_eq!(import(&stack, "plain", &plain).await.status, 201);
    assert_eq!(import(&stack, "stocked", &shop(60)).await.status, 201);
    let mut seen = Vec::new();
    for shop in ["plain", "stocked"] {
        stack.requests.reset();
        let page = stack.get(&format!("/shops/{shop}/catalog")).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert_eq!(page.body["items"].as_array().unwrap().len(), 50);
        seen.push((stack.requests.operations(), page.body["items"][4].clone()));
    }
    let batches = |ops: &[String]| ops.iter().filter(|o| *o == "BatchGetItem").count();
    assert_eq!(batches(&seen[0].0), 0, "{:?}", seen[0].0);
    assert_eq!(seen[0].1["code"], "I0005");
    assert!(seen[0].1["stock"].is_null(), "{}", seen[0].1);
    assert_eq!(batches(&seen[1].0), 1, "{:?}", seen[1].0);
    assert_eq!(
        seen[1].0.len(),
        seen[0].0.len() + 1,
        "the same reads besides"
    );
    assert_eq!(seen[1].1["stock"], 3, "{}", seen[1].1);
}

/// The id of the catalogue the shop's settings point at.
async fn current_catalogue(stack: &Stack, shop: &str) -> String {
    let settings = stack
        .store
        .get(&Key::new(format!("SHOP#{shop}"), "SHOP"))
        .await
        .unwrap()
        .unwrap();
    let body: Value = serde_json::from_str(&settings.item.body).unwrap();
    body["catalogue"]["id"].as_str().unwrap().to_owned()
}

async fn items_of(stack: &Stack, shop: &str, catalogue: &str) -> usize {
    stack
        .store
        .query(&Query::partition(format!("CATALOG#{shop}#{catalogue}")))
        .await
        .unwrap()
        .len()
}

async fn an_import_switches_catalogues_at_once_and_the_replaced_one_is_swept(stack: Stack) {
    assert_eq!(import(&stack, "big", &shop(150)).await.status, 201);
    let old = current_catalogue(&stack, "big").await;
    assert_eq!(items_of(&stack, "big", &old).await, 150);
    let cart = stack.new_cart_in("big").await;
    stack
        .put(
            &format!("/carts/{cart}/lines/I0010"),
            json!({"quantity": 1}),
        )
        .await;

    // The new document: I0010 costs more, I0149 is gone, NEW is added first.
    let mut next = shop(149);
    next["items"][10]["prices"][0]["unit_price"] = json!("25.00");
    next["items"]
        .as_array_mut()
        .unwrap()
        .insert(0, item("NEW", "ops", "5.00"));
    assert_eq!(import(&stack, "big", &next).await.status, 200);
    let new = current_catalogue(&stack, "big").await;
    assert_ne!(new, old);

    let view = stack.get(&format!("/carts/{cart}")).await.body;
    assert_eq!(view["lines"][0]["unit_price"], "25.00", "{view}");
    let exported = export(&stack, "big").await;
    let exported_codes: Vec<&str> = exported["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["code"].as_str().unwrap())
        .collect();
    assert_eq!(exported_codes.len(), 150);
    assert_eq!(exported_codes[0], "NEW", "the document's order is kept");
    assert_eq!(exported_codes[11], "I0010");
    assert!(!exported_codes.contains(&"I0149"));
    assert_eq!(
        stack.get("/shops/big/catalog").await.body["items"][0]["code"],
        "NEW"
    );

    // The old catalogue stays readable for requests that read the settings before the switch,
    // then the relay sweeps it (100 items a transaction), and only it.
    let relay = |minutes: i64| {
        let clock = std::sync::Arc::new(enrolshop_tests::TestClock::default());
        clock.advance(chrono::Duration::minutes(minutes));
        stack.producer_at(clock)
    };
    relay(0).relay_outbox().await.unwrap();
    assert_eq!(items_of(&stack, "big", &old).await, 150);
    let producer = relay(6);
    let mut swept = 0;
    for _ in 0..5 {
        swept += producer.relay_outbox().await.unwrap().swept;
    }
    assert_eq!(swept, 150);
    assert_eq!(items_of(&stack, "big", &old).await, 0);
    assert_eq!(items_of(&stack, "big", &new).await, 150);
    assert!(
        stack
            .store
            .query(&Query::partition("RETIRED"))
            .await
            .unwrap()
            .is_empty(),
        "nothing left to sweep"
    );
}

/// A shop stored whole, as before items had their own records, still sells; its next import
/// moves it to a catalogue.
async fn a_shop_stored_whole_before_catalogues_still_sells_and_moves_on_import(stack: Stack) {
    let mut doc = shop(60);
    doc["id"] = json!("old");
    stack
        .store
        .write(vec![
            shop_core::ports::Write::Put {
                item: shop_core::ports::Item::new(Key::new("SHOP#old", "SHOP"), doc.to_string()),
                when: shop_core::ports::PutIf::Absent,
            },
            shop_core::ports::Write::Put {
                item: shop_core::ports::Item::new(Key::new("SHOPS", "old"), String::new()),
                when: shop_core::ports::PutIf::Absent,
            },
        ])
        .await
        .unwrap();
    let (listed, pages) = all_pages(&stack, "old", "").await;
    assert_eq!(listed.len(), 59);
    assert_eq!(pages, 2);
    let cart = stack.new_cart_in("old").await;
    let r = stack
        .put(
            &format!("/carts/{cart}/lines/I0042"),
            json!({"quantity": 3}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["totals"]["excl_tax"], "30.00");

    let mut exported = export(&stack, "old").await;
    exported["items"][42]["prices"][0]["unit_price"] = json!("12.00");
    assert_eq!(import(&stack, "old", &exported).await.status, 200);
    let catalogue = current_catalogue(&stack, "old").await;
    assert_eq!(items_of(&stack, "old", &catalogue).await, 60);
    let view = stack.get(&format!("/carts/{cart}")).await.body;
    assert_eq!(view["totals"]["excl_tax"], "36.00", "{view}");
}

enrolshop_tests::on_both_stores!(
    the_catalogue_pages_in_the_shops_order_and_filters_by_category_and_text,
    an_import_switches_catalogues_at_once_and_the_replaced_one_is_swept,
    a_shop_stored_whole_before_catalogues_still_sells_and_moves_on_import,
);
