//! The catalogue item by item, over HTTP on DynamoDB (moto): read with an ETag, change on the
//! version read, a stale version refused naming who changed it, create, duplicate, delete, the
//! item's history, and what the buyers see at once.

use enrolshop_tests::{ADMIN_TOKEN, Reply, Stack};
use reqwest::Method;
use serde_json::{Value, json};

/// A back-office request with the bearer token and the given precondition headers.
async fn call(
    stack: &Stack,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> (Reply, Option<String>) {
    let mut req = stack
        .http
        .request(method, stack.url(path))
        .bearer_auth(ADMIN_TOKEN);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    if let Some(body) = body {
        req = req.json(body);
    }
    let response = req.send().await.unwrap();
    let etag = response
        .headers()
        .get("etag")
        .map(|v| v.to_str().unwrap().to_owned());
    (Reply::from(response).await, etag)
}

const ITEM: &str = "/admin/shops/demo/items/EXCEL-ESS";

async fn an_item_is_changed_on_the_version_read_and_a_stale_copy_is_refused(stack: Stack) {
    let (read, etag) = call(&stack, Method::GET, ITEM, &[], None).await;
    assert_eq!(read.status, 200, "{}", read.body);
    let etag = etag.expect("an ETag");
    assert_eq!(read.body["item"]["code"], "EXCEL-ESS");
    assert_eq!(
        read.body["changed_by"], "API-TOKEN",
        "the demo was imported with the token"
    );
    let mut item = read.body["item"].clone();

    // Without If-Match: 428, nothing changes.
    item["prices"][0]["unit_price"] = json!("130.00");
    let (refused, _) = call(&stack, Method::PUT, ITEM, &[], Some(&item)).await;
    refused.assert_problem(428, "precondition_required");

    let (changed, new_etag) = call(
        &stack,
        Method::PUT,
        ITEM,
        &[("if-match", &etag)],
        Some(&item),
    )
    .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    let new_etag = new_etag.unwrap();
    assert_ne!(new_etag, etag);
    assert_eq!(changed.body["item"]["prices"][0]["unit_price"], "130.00");

    // The buyers see it at once.
    let cart = stack.new_cart().await;
    let line = stack
        .put(
            &format!("/carts/{cart}/lines/EXCEL-ESS"),
            json!({"quantity": 1}),
        )
        .await;
    assert_eq!(
        line.body["lines"][0]["unit_price"], "130.00",
        "{}",
        line.body
    );

    // A second editor still holding the first version is refused, told who changed it.
    item["name"] = json!("Excel, the other edit");
    let (stale, _) = call(
        &stack,
        Method::PUT,
        ITEM,
        &[("if-match", &etag)],
        Some(&item),
    )
    .await;
    stale.assert_problem(412, "precondition_failed");
    let detail = stale.body["detail"].as_str().unwrap();
    assert!(detail.contains("changed by API-TOKEN"), "{detail}");
    let (now, _) = call(&stack, Method::GET, ITEM, &[], None).await;
    assert_eq!(
        now.body["item"]["name"], read.body["item"]["name"],
        "the stale edit changed nothing"
    );

    // Field errors at the item's own paths; nothing changes.
    let mut bad = now.body["item"].clone();
    bad["prices"][0]["unit_price"] = json!("10.005");
    bad["tax"] = json!("nope");
    let (invalid, _) = call(
        &stack,
        Method::PUT,
        ITEM,
        &[("if-match", &new_etag)],
        Some(&bad),
    )
    .await;
    let mut fields = invalid.assert_problem(422, "validation_failed");
    fields.sort();
    assert_eq!(fields, ["prices[0].unit_price", "tax"]);
    let mut other = now.body["item"].clone();
    other["code"] = json!("ANOTHER");
    let (wrong_code, _) = call(
        &stack,
        Method::PUT,
        ITEM,
        &[("if-match", &new_etag)],
        Some(&other),
    )
    .await;
    assert_eq!(
        wrong_code.assert_problem(422, "validation_failed"),
        ["code"]
    );
    let (unknown_field, _) = call(
        &stack,
        Method::PUT,
        ITEM,
        &[("if-match", &new_etag)],
        Some(&json!({"code": "EXCEL-ESS", "colour": "red"})),
    )
    .await;
    unknown_field.assert_problem(400, "malformed_request");

    // Its history: who, when, what changed; and the shop's audit list.
    let (history, _) = call(&stack, Method::GET, &format!("{ITEM}/history"), &[], None).await;
    let changes = history.body["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{}", history.body);
    assert_eq!(changes[0]["actor"], "API-TOKEN");
    assert_eq!(changes[0]["action"], "updated");
    assert_eq!(changes[0]["fields"], json!(["prices"]));
    let (audit, _) = call(&stack, Method::GET, "/admin/shops/demo/audit", &[], None).await;
    assert!(
        audit.body["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "item_changed" && e["subject"] == "EXCEL-ESS"),
        "{}",
        audit.body
    );
    assert_eq!(
        audit.body["items"]["EXCEL-ESS"]["fr"],
        "Excel, les essentiels (formation en ligne, 12 mois)",
        "the items it names, in each language"
    );
}

async fn two_concurrent_edits_of_one_version_one_wins_the_other_is_told_who(stack: Stack) {
    let (read, etag) = call(&stack, Method::GET, ITEM, &[], None).await;
    let etag = etag.unwrap();
    let edits = ["First", "Second"].map(|name| {
        let mut item = read.body["item"].clone();
        item["name"] = json!(name);
        item
    });
    let matching = [("if-match", etag.as_str())];
    let (a, b) = tokio::join!(
        call(&stack, Method::PUT, ITEM, &matching, Some(&edits[0])),
        call(&stack, Method::PUT, ITEM, &matching, Some(&edits[1])),
    );
    let mut statuses = [a.0.status, b.0.status];
    statuses.sort();
    assert_eq!(statuses, [200, 412], "{} / {}", a.0.body, b.0.body);
    let loser = if a.0.status == 412 { &a.0 } else { &b.0 };
    assert_eq!(loser.body["code"], "precondition_failed");
}

async fn items_are_created_duplicated_and_deleted_with_their_preconditions(stack: Stack) {
    let new = json!({"code": "PYTHON-101", "name": "Python first steps", "category": "office",
        "tax": "standard", "prices": [{"up_to": 9, "unit_price": "80.00"}, {"up_to": null, "unit_price": "70.00"}]});
    let path = "/admin/shops/demo/items/PYTHON-101";
    let (missing, _) = call(&stack, Method::PUT, path, &[], Some(&new)).await;
    missing.assert_problem(428, "precondition_required");
    let (created, etag) = call(
        &stack,
        Method::PUT,
        path,
        &[("if-none-match", "*")],
        Some(&new),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let etag = etag.unwrap();
    let (again, _) = call(
        &stack,
        Method::PUT,
        path,
        &[("if-none-match", "*")],
        Some(&new),
    )
    .await;
    again.assert_problem(412, "precondition_failed");

    // Listed last in the catalogue, and sold.
    let catalog = stack.get("/shops/demo/catalog").await.body;
    let codes: Vec<&str> = catalog["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes.last(), Some(&"PYTHON-101"), "{codes:?}");

    // A copy is suspended until published.
    let (copy, _) = call(
        &stack,
        Method::POST,
        &format!("{path}/duplicate"),
        &[],
        Some(&json!({"code": "PYTHON-102", "name": "Python, next steps"})),
    )
    .await;
    assert_eq!(copy.status, 201, "{}", copy.body);
    assert_eq!(copy.body["item"]["status"], "suspended");
    assert_eq!(copy.body["item"]["prices"], new["prices"]);
    let cart = stack.new_cart().await;
    stack
        .put(
            &format!("/carts/{cart}/lines/PYTHON-102"),
            json!({"quantity": 1}),
        )
        .await
        .assert_problem(404, "not_found");
    let (taken, _) = call(
        &stack,
        Method::POST,
        &format!("{path}/duplicate"),
        &[],
        Some(&json!({"code": "PYTHON-102"})),
    )
    .await;
    assert_eq!(taken.assert_problem(422, "validation_failed"), ["code"]);

    // A part of a bundle stays; a plain item goes, on its version.
    let (part, part_etag) = call(
        &stack,
        Method::GET,
        "/admin/shops/demo/items/GUIDE-BOOK",
        &[],
        None,
    )
    .await;
    assert_eq!(part.status, 200);
    let (kept, _) = call(
        &stack,
        Method::DELETE,
        "/admin/shops/demo/items/GUIDE-BOOK",
        &[("if-match", &part_etag.unwrap())],
        None,
    )
    .await;
    let why = kept.assert_problem(422, "validation_failed");
    assert_eq!(why, ["code"]);
    let (no_tag, _) = call(&stack, Method::DELETE, path, &[], None).await;
    no_tag.assert_problem(428, "precondition_required");
    let (deleted, _) = call(&stack, Method::DELETE, path, &[("if-match", &etag)], None).await;
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    let (gone, _) = call(&stack, Method::GET, path, &[], None).await;
    gone.assert_problem(404, "not_found");
    let (history, _) = call(&stack, Method::GET, &format!("{path}/history"), &[], None).await;
    let actions: Vec<&str> = history.body["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["deleted", "created"]);
}

/// A course Moodle does not have stops an item on sale, and is a warning on a draft.
async fn a_course_moodle_lacks_is_refused_on_sale_and_flagged_on_a_draft(stack: Stack) {
    let mut item = json!({"code": "GHOST", "name": "A course to come", "tax": "standard",
        "prices": [{"up_to": null, "unit_price": "50.00"}], "status": "available",
        "handler": {"type": "enrol_one_course", "params": {"course": "NOT-YET"}}});
    let path = "/admin/shops/demo/items/GHOST";
    let create = [("if-none-match", "*")];
    let (refused, _) = call(&stack, Method::PUT, path, &create, Some(&item)).await;
    assert_eq!(
        refused.assert_problem(422, "validation_failed"),
        ["handler.params.course"]
    );
    let error = &refused.body["errors"][0];
    assert_eq!(
        (&error["code"], &error["course"]),
        (&json!("course_not_found"), &json!("NOT-YET"))
    );
    assert!(
        error["reason"]
            .as_str()
            .unwrap()
            .contains("course not found in Moodle: NOT-YET")
    );
    item["status"] = json!("suspended");
    let (draft, _) = call(&stack, Method::PUT, path, &create, Some(&item)).await;
    assert_eq!(draft.status, 201, "{}", draft.body);
    assert_eq!(draft.body["warnings"][0]["code"], "course_not_found");
    assert_eq!(draft.body["warnings"][0]["field"], "handler");
    // Once Moodle has it, it goes on sale.
    stack.moodle.add_course("NOT-YET", "A course to come");
    let (read, etag) = call(&stack, Method::GET, path, &[], None).await;
    let mut on_sale = read.body["item"].clone();
    on_sale["status"] = json!("available");
    let (published, _) = call(
        &stack,
        Method::PUT,
        path,
        &[("if-match", &etag.unwrap())],
        Some(&on_sale),
    )
    .await;
    assert_eq!(published.status, 200, "{}", published.body);
    assert_eq!(published.body["warnings"], json!([]));
}

/// Each course a delivery names is checked in Moodle and refused at its own field: a seat's
/// course, a new course's template, the course a role is given in; a bad setting is refused at
/// its field with a code the pages translate.
async fn every_course_and_setting_of_a_delivery_is_refused_at_its_field(stack: Stack) {
    stack.moodle.add_course("KNOWN", "A course Moodle has");
    let path = "/admin/shops/demo/items/DELIVERY";
    let refused = |handler: Value| {
        let item = json!({"code": "DELIVERY", "name": "Delivery", "tax": "standard",
            "prices": [{"up_to": null, "unit_price": "50.00"}], "status": "available", "handler": handler});
        let stack = &stack;
        async move {
            let (answer, _) = call(
                stack,
                Method::PUT,
                path,
                &[("if-none-match", "*")],
                Some(&item),
            )
            .await;
            let fields = answer.assert_problem(422, "validation_failed");
            let codes: Vec<String> = answer.body["errors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["code"].as_str().unwrap().to_owned())
                .collect();
            (fields, codes)
        }
    };
    let seats = json!({"type": "generate_seats", "params": {"courses": ["KNOWN", "GONE"]}});
    assert_eq!(
        refused(seats).await,
        (
            vec!["handler.params.courses[1]".to_owned()],
            vec!["course_not_found".to_owned()]
        )
    );
    let copy = json!({"type": "create_course", "params": {"template": "GONE"}});
    assert_eq!(refused(copy).await.0, ["handler.params.template"]);
    let role = json!({"type": "assign_role", "params": {"role": "teacher", "context": "course", "instance_id": 999}});
    assert_eq!(refused(role).await.0, ["handler.params.instance_id"]);
    let both = json!({"type": "course_session", "params": {"course": "KNOWN", "duration_days": 5, "end_date": "2030-01-01"}});
    assert_eq!(
        refused(both).await,
        (
            vec!["handler.params.end_date".to_owned()],
            vec!["days_or_end".to_owned()]
        )
    );
    let (missing, codes) = refused(json!({"type": "add_training_credits", "params": {}})).await;
    assert_eq!(
        (missing, codes),
        (
            vec!["handler.params.credits".to_owned()],
            vec!["required".to_owned()]
        )
    );
    let (read, _) = call(&stack, Method::GET, path, &[], None).await;
    assert_eq!(read.status, 404, "nothing was saved");
}

/// The shop's settings on their own, on the version read: secrets stay write-only, a tax an
/// item uses cannot go, a stale version is refused.
async fn settings_change_on_their_version_and_keep_what_items_need(stack: Stack) {
    let path = "/admin/shops/demo/settings";
    let (read, etag) = call(&stack, Method::GET, path, &[], None).await;
    assert_eq!(read.status, 200, "{}", read.body);
    let etag = etag.unwrap();
    assert!(read.body.get("items").is_none() || read.body["items"] == json!([]));
    assert_eq!(read.body["gateways"]["systempay"]["key"], "********");
    let mut settings = read.body.clone();
    settings["name"] = json!("Demo Academy, renamed");
    settings["terms"] = json!("Payable on receipt.");
    let (missing, _) = call(&stack, Method::PUT, path, &[], Some(&settings)).await;
    missing.assert_problem(428, "precondition_required");
    let (changed, new_etag) = call(
        &stack,
        Method::PUT,
        path,
        &[("if-match", &etag)],
        Some(&settings),
    )
    .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_ne!(new_etag.unwrap(), etag);
    assert_eq!(
        stack.get("/shops/demo/catalog").await.body["shop"]["name"],
        "Demo Academy, renamed"
    );
    // The secret stayed (a Systempay payment still starts with a signed form).
    let (export, _) = call(&stack, Method::GET, "/admin/shops/demo", &[], None).await;
    assert!(
        export.body["items"].as_array().unwrap().len() > 5,
        "the items stay with the settings change"
    );
    let stored = stack
        .store
        .get(&shop_core::ports::Key::new("SHOP#demo", "SHOP"))
        .await
        .unwrap()
        .unwrap();
    let body: Value = serde_json::from_str(&stored.item.body).unwrap();
    assert_eq!(
        body["settings"]["gateways"]["systempay"]["key"],
        "dev-systempay-key"
    );

    // The stale version is refused; so is taking away a tax items use.
    let (stale, _) = call(
        &stack,
        Method::PUT,
        path,
        &[("if-match", &etag)],
        Some(&settings),
    )
    .await;
    stale.assert_problem(412, "precondition_failed");
    let (now, now_etag) = call(&stack, Method::GET, path, &[], None).await;
    let mut no_tax = now.body.clone();
    no_tax["taxes"] = json!([{"code": "standard", "rate": "20"}]);
    let (refused, _) = call(
        &stack,
        Method::PUT,
        path,
        &[("if-match", &now_etag.unwrap())],
        Some(&no_tax),
    )
    .await;
    let fields = refused.assert_problem(422, "validation_failed");
    assert!(fields.iter().all(|f| f == "taxes"), "{fields:?}");
    assert!(
        refused.body["errors"][0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("item ")
    );
    // Coded, naming the item in each language it has a name in, for the pages to say it.
    let error = &refused.body["errors"][0];
    assert_eq!(error["code"], "tax_in_use", "{error}");
    let item = export.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == error["item"])
        .expect("the item named");
    assert_eq!(error["name"], item["name"], "{error}");
    assert!(error["names"]["fr"].is_string(), "{error}");
    assert_eq!(error["names"]["fr"], item["texts"]["fr"]["name"], "{error}");
    let (audit, _) = call(&stack, Method::GET, "/admin/shops/demo/audit", &[], None).await;
    let entry = audit.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "settings_changed")
        .cloned()
        .expect("an audit entry");
    assert_eq!(entry["detail"], "name, terms");
}

/// Settings that would fail the buyers are refused at their field, nothing saved: a card
/// gateway offered without the settings a payment needs, or with an algorithm it does not know
/// (read as written it would quietly sign with another), and the last manager taken away
/// (nobody could then change the catalogue or the settings from the back office).
async fn settings_that_would_fail_buyers_or_lock_out_managers_are_refused(stack: Stack) {
    let path = "/admin/shops/demo/settings";
    let (read, etag) = call(&stack, Method::GET, path, &[], None).await;
    let etag = etag.unwrap();
    let put = |body: Value| {
        let (stack, etag) = (&stack, etag.clone());
        async move {
            call(
                stack,
                Method::PUT,
                path,
                &[("if-match", &etag)],
                Some(&body),
            )
            .await
            .0
        }
    };

    let mut stripe = read.body.clone();
    stripe["payment_methods"]
        .as_array_mut()
        .unwrap()
        .push(json!("stripe"));
    stripe["gateways"]["stripe"] = json!({"secret_key": "sk_test_1"});
    let refused = put(stripe.clone()).await;
    refused.assert_problem(422, "validation_failed");
    assert_eq!(
        refused.field_codes(),
        [("gateways.stripe.webhook_secret", "gateway_setting_required")]
    );

    let mut systempay = read.body.clone();
    systempay["gateways"]["systempay"]["key"] = json!("");
    systempay["gateways"]["systempay"]["signature_algorithm"] = json!("MD5");
    systempay["gateways"]["systempay"]["ctx_mode"] = json!("test");
    let refused = put(systempay).await;
    refused.assert_problem(422, "validation_failed");
    let mut found = refused.field_codes();
    found.sort();
    assert_eq!(
        found,
        [
            ("gateways.systempay.ctx_mode", "gateway_choice"),
            ("gateways.systempay.key", "gateway_setting_required"),
            ("gateways.systempay.signature_algorithm", "gateway_choice"),
        ]
    );

    let mut no_manager = read.body.clone();
    no_manager["staff"] = json!([{"username": "operator", "role": "operator"}]);
    let refused = put(no_manager).await;
    refused.assert_problem(422, "validation_failed");
    assert_eq!(refused.field_codes(), [("staff", "manager_required")]);

    let (after, same) = call(&stack, Method::GET, path, &[], None).await;
    assert_eq!(same.unwrap(), etag, "nothing was saved");
    assert_eq!(after.body, read.body);

    // With what a payment needs, the same offer is taken (spelled as the gateway's pages do).
    stripe["gateways"]["stripe"]["webhook_secret"] = json!("whsec_1");
    stripe["gateways"]["systempay"]["signature_algorithm"] = json!("hmac-sha-256");
    let taken = put(stripe).await;
    assert_eq!(taken.status, 200, "{}", taken.body);
}

/// A manager tries words for a message before saving them: rendered for a sample order, or
/// refused at the field with what the message knows.
async fn a_message_is_previewed_in_the_shops_own_words(stack: Stack) {
    let path = "/admin/shops/demo/messages/preview";
    let words = json!({"message": "order_placed", "language": "fr",
        "subject": "Votre commande {bill}", "body": "Bonjour {firstname},\n\n{lines}\n\nSuivez-la ici : {bill_link}"});
    let (shown, _) = call(&stack, Method::POST, path, &[], Some(&words)).await;
    assert_eq!(shown.status, 200, "{}", shown.body);
    assert!(
        shown.body["subject"]
            .as_str()
            .unwrap()
            .starts_with("Votre commande ")
    );
    let text = shown.body["text"].as_str().unwrap();
    assert!(text.contains("Bonjour Ada,"), "{text}");
    assert!(text.contains("https://shop.example/bill"), "{text}");
    assert!(!text.contains('{'), "every placeholder filled: {text}");
    assert!(
        shown.body["html"]
            .as_str()
            .unwrap()
            .contains("Bonjour Ada,")
    );
    let mut wrong = words.clone();
    wrong["body"] = json!("Bonjour {prenom}");
    let (refused, _) = call(&stack, Method::POST, path, &[], Some(&wrong)).await;
    assert_eq!(refused.assert_problem(422, "validation_failed"), ["body"]);
    assert!(
        refused.body["errors"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("{firstname}")
    );
    let mut unknown = words.clone();
    unknown["message"] = json!("nope");
    let (refused, _) = call(&stack, Method::POST, path, &[], Some(&unknown)).await;
    assert_eq!(
        refused.assert_problem(422, "validation_failed"),
        ["message"]
    );
}

/// The editor's list gives each item's name in the document's other languages, and finds an
/// item by any of its names (a French manager types French words).
async fn the_item_list_names_items_in_every_language_and_finds_them_so(stack: Stack) {
    let path = "/admin/shops/demo/items?q=essentiels";
    let (found, _) = call(&stack, Method::GET, path, &[], None).await;
    assert_eq!(found.status, 200, "{}", found.body);
    let items = found.body["items"].as_array().unwrap();
    let excel = items
        .iter()
        .find(|i| i["code"] == "EXCEL-ESS")
        .expect("found by its French name");
    assert_eq!(excel["name"], "Excel essentials (e-learning, 12 months)");
    assert_eq!(
        excel["names"],
        json!({"fr": "Excel, les essentiels (formation en ligne, 12 mois)"})
    );
    assert!(
        items.iter().all(|i| i["names"]["fr"]
            .as_str()
            .unwrap_or("")
            .to_lowercase()
            .contains("essentiels")
            || i["name"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .contains("essentiels")),
        "only items named so: {items:?}"
    );
}

enrolshop_tests::on_both_stores!(
    the_item_list_names_items_in_every_language_and_finds_them_so,
    an_item_is_changed_on_the_version_read_and_a_stale_copy_is_refused,
    two_concurrent_edits_of_one_version_one_wins_the_other_is_told_who,
    items_are_created_duplicated_and_deleted_with_their_preconditions,
    a_course_moodle_lacks_is_refused_on_sale_and_flagged_on_a_draft,
    every_course_and_setting_of_a_delivery_is_refused_at_its_field,
    settings_change_on_their_version_and_keep_what_items_need,
    settings_that_would_fail_buyers_or_lock_out_managers_are_refused,
    a_message_is_previewed_in_the_shops_own_words,
);
