//! Messages: what a purchase tells the buyer and the shop, seen at `/dev/mail` as a user of
//! the local stack sees it; exactly once whatever repeats; nothing lost to a mail outage.

use enrolshop_tests::{ADMIN_TOKEN, Stack};
use reqwest::Method;
use serde_json::{Value, json};

/// The messages to `to`, oldest first, as `(subject, id)`.
async fn to(stack: &Stack, address: &str) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = stack
        .mail()
        .await
        .iter()
        .filter(|m| m["to"] == address)
        .map(|m| {
            let s = |k: &str| m[k].as_str().unwrap().to_owned();
            (s("subject"), s("id"))
        })
        .collect();
    found.reverse();
    found
}

/// The first link of a message's text that starts with `prefix`.
fn link(text: &str, prefix: &str) -> String {
    let start = text
        .find(prefix)
        .unwrap_or_else(|| panic!("no link {prefix} in {text}"));
    text[start..].split_whitespace().next().unwrap().to_owned()
}

/// A French guest buys Excel essentials with the `test` method: the buyer is told of the
/// order (with a link that opens the bill from any browser), of the payment (invoice PDF
/// attached) and of the delivery (the course's link, the username, the password page); the
/// shop's sales address is told of the new order. Each message once.
#[tokio::test]
async fn a_guest_purchase_tells_the_buyer_and_the_shop_once() {
    let stack = Stack::start().await;
    let cart = stack.ready_cart("EXCEL-ESS", 1).await;
    let set = stack
        .put(
            &format!("/carts/{cart}/language"),
            json!({"language": "fr"}),
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.body);
    let (bill, _) = stack.place_and_pay(&cart).await;
    let produced = stack.produce_all().await;
    assert!(matches!(
        produced[..],
        [Ok(shop_core::app::production::Produced::Complete)]
    ));
    assert_eq!(stack.deliver_mail().await, 4);
    assert_eq!(stack.deliver_mail().await, 0, "nothing is sent twice");

    let buyer = to(&stack, "ada@example.org").await;
    let expected = [
        format!("Votre commande {bill} chez Demo Training Academy"),
        "Paiement reçu : facture ".to_owned(),
        format!("Votre formation est prête (commande {bill})"),
    ];
    assert_eq!(buyer.len(), 3, "{buyer:?}");
    for ((got, _), want) in buyer.iter().zip(&expected) {
        assert!(
            got.starts_with(want.as_str()),
            "`{got}` should start with `{want}`"
        );
    }

    // The order's link opens the bill, token and all, without the placing browser.
    let placed = stack.mail_message(&buyer[0].1).await;
    assert_eq!(placed["language"], "fr");
    assert_eq!(placed["reply_to"], "sales@demo-academy.example");
    let placed_text = placed["text"].as_str().unwrap();
    let url = link(placed_text, &stack.url("/bill?"));
    // Punctuated as French writes: a space before a colon, in the links and the lines too.
    assert!(
        placed_text.contains(&format!("à tout moment : {url}")),
        "{placed_text}"
    );
    assert!(placed_text.contains("12 mois) : 144,00"), "{placed_text}");
    let token = url
        .split("#token=")
        .nth(1)
        .expect("the token in the fragment");
    let opened = stack
        .with_token(Method::GET, &format!("/bills/{bill}"), token, None)
        .await;
    assert_eq!(opened.status, 200, "{}", opened.body);
    assert!(placed["html"].as_str().unwrap().contains("lang=\"fr\""));

    // The payment: the invoice attached, a PDF that reads.
    let paid = stack.mail_message(&buyer[1].1).await;
    let attachment = &paid["attachments"][0];
    assert_eq!(attachment["content_type"], "application/pdf");
    let pdf = stack
        .http
        .get(stack.url(&format!("/dev/mail/{}/attachments/0", buyer[1].1)))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(pdf.len() as u64, attachment["size"].as_u64().unwrap());
    lopdf::Document::load_mem(&pdf).expect("the invoice is a valid PDF");

    // The delivery: where the course is, and how to sign in.
    let delivered = stack.mail_message(&buyer[2].1).await;
    let text = delivered["text"].as_str().unwrap();
    let course = link(text, &format!("{}/course/view.php?id=", stack.moodle_url));
    let course_id: u64 = course.rsplit('=').next().unwrap().parse().unwrap();
    let excel = stack
        .moodle_ws(
            "core_course_get_courses_by_field",
            json!({"field": "shortname", "value": "EXCEL"}),
        )
        .await;
    assert_eq!(excel["courses"][0]["id"], course_id, "the course bought");
    assert!(text.contains("Votre identifiant : "), "{text}");
    assert!(text.contains(&format!("{}/login/forgot_password.php", stack.moodle_url)));

    let sales = to(&stack, "sales@demo-academy.example").await;
    assert_eq!(sales.len(), 1, "{sales:?}");
    assert!(
        sales[0].0.starts_with(&format!("Nouvelle commande {bill}")),
        "{sales:?}"
    );
}

/// A gateway's notification sent twice and a production job delivered twice: one payment
/// message, one delivery message.
#[tokio::test]
async fn repeats_send_nothing_twice() {
    let stack = Stack::start().await;
    let cart = stack.ready_cart("EXCEL-ESS", 1).await;
    let placed = stack.order(&cart, "systempay").await;
    assert_eq!(placed.status, 201, "{}", placed.body);
    let bill = placed.body["bill_id"].as_str().unwrap().to_owned();
    let sample = stack
        .with_token(
            Method::GET,
            &format!("/admin/bills/{bill}/sample-notification?gateway=systempay"),
            ADMIN_TOKEN,
            None,
        )
        .await;
    assert_eq!(sample.status, 200, "{}", sample.body);
    let body = sample.body["body"].as_str().unwrap().to_owned();
    for expected in ["applied", "duplicate"] {
        let reply = stack
            .http
            .post(stack.url(sample.body["url"].as_str().unwrap()))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        let answer: Value = reply.json().await.unwrap();
        assert_eq!(answer["outcome"], expected);
    }
    let job = stack.queue.receive(1).pop().expect("the production job");
    stack.producer.handle(&job.job).await.unwrap();
    stack.producer.handle(&job.job).await.unwrap();
    stack.deliver_mail().await;
    let kinds: Vec<String> = stack
        .mail()
        .await
        .iter()
        .map(|m| {
            m["id"]
                .as_str()
                .unwrap()
                .rsplit('-')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    for kind in ["order_placed", "payment_received", "delivered", "new_order"] {
        let n = kinds.iter().filter(|k| *k == kind).count();
        assert_eq!(n, 1, "{kind}: {kinds:?}");
    }
}

/// The mail server down for a while: nothing is lost, and once it is back every message goes
/// once.
#[tokio::test]
async fn a_mail_outage_delays_messages_and_loses_none() {
    let stack = Stack::start_embedded().await;
    stack.mailer.set_down(true);
    let cart = stack.ready_cart("EXCEL-ESS", 1).await;
    stack.place_and_pay(&cart).await;
    assert_eq!(stack.deliver_mail().await, 0);
    assert_eq!(
        stack.deliver_mail().await,
        0,
        "a failed message waits for its retry time"
    );
    stack.mailer.set_down(false);
    assert_eq!(stack.deliver_mail().await, 0, "not before its retry time");
    stack.clock.advance(chrono::Duration::minutes(2));
    let sent = stack.deliver_mail().await;
    assert_eq!(sent, 3, "order placed, payment received, new order");
    stack.clock.advance(chrono::Duration::hours(5));
    assert_eq!(stack.deliver_mail().await, 0);
    let mut ids: Vec<Value> = stack.mail().await.iter().map(|m| m["id"].clone()).collect();
    let all = ids.len();
    ids.dedup();
    assert_eq!((all, ids.len()), (3, 3));
}

/// A mail system down for good: each message is tried `MAX_ATTEMPTS` times with growing pauses,
/// then given up on and listed for the operators as given up (not refused: the addresses are
/// not in question), and never tried again.
#[tokio::test]
async fn a_mail_system_down_for_good_gets_every_try_then_the_message_is_given_up() {
    use shop_core::app::mail::postman::MAX_ATTEMPTS;
    let stack = Stack::start_embedded().await;
    stack.mailer.set_down(true);
    let cart = stack.ready_cart("EXCEL-ESS", 1).await;
    stack.place_and_pay(&cart).await;
    let shop = "demo".parse().unwrap();
    let failed = || shop_core::app::mail::failed_messages(stack.store.as_ref(), &shop);
    for _ in 1..MAX_ATTEMPTS {
        assert_eq!(stack.deliver_mail().await, 0);
        assert!(failed().await.unwrap().is_empty(), "tried again later");
        stack.clock.advance(chrono::Duration::hours(5)); // past the longest pause (4 h)
    }
    assert_eq!(stack.deliver_mail().await, 0, "the last try");
    let given_up = failed().await.unwrap();
    assert_eq!(
        given_up.len(),
        3,
        "order placed, payment received, new order"
    );
    assert!(
        given_up
            .iter()
            .all(|m| m.attempts == MAX_ATTEMPTS && !m.refused && m.error.is_some()),
        "{given_up:?}"
    );
    stack.mailer.set_down(false);
    stack.clock.advance(chrono::Duration::days(2));
    assert_eq!(stack.deliver_mail().await, 0, "never tried again");
}

/// A paid bill Moodle refuses to deliver: the shop's sales address is told once, with
/// Moodle's error, however many times the job comes back.
#[tokio::test]
async fn a_failed_delivery_alerts_the_sales_address_once() {
    let stack = Stack::start_embedded().await;
    let shop = json!({"name": "Broken", "currency": "EUR", "test_mode": true, "payment_methods": ["test"],
        "seller": {"email": "ops@broken.example"},
        "taxes": [{"code": "std", "rate": "20"}],
        "items": [{"code": "GHOST", "name": "A course Moodle does not have", "tax": "std",
                   "prices": [{"up_to": null, "unit_price": "10.00"}],
                   "handler": {"type": "enrol_one_course", "params": {"course_id": 999}}}]});
    let put = stack
        .with_token(Method::PUT, "/admin/shops/broken", ADMIN_TOKEN, Some(shop))
        .await;
    assert_eq!(put.status, 201, "{}", put.body);
    let cart = stack.new_cart_in("broken").await;
    stack.fill_cart(&cart, "GHOST", 1, None, None).await;
    stack
        .put(
            &format!("/carts/{cart}/customer"),
            enrolshop_tests::customer(),
        )
        .await;
    let (bill, _) = stack.place_and_pay(&cart).await;
    let job = stack.queue.receive(1).pop().expect("the production job");
    for _ in 0..2 {
        stack.producer.handle(&job.job).await.unwrap();
    }
    stack.deliver_mail().await;
    let alerts = to(&stack, "ops@broken.example").await;
    let failed: Vec<_> = alerts
        .iter()
        .filter(|(s, _)| s == &format!("Order {bill}: delivery needs you"))
        .collect();
    assert_eq!(failed.len(), 1, "{alerts:?}");
    let text = stack.mail_message(&failed[0].1).await["text"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(text.contains("A course Moodle does not have: "), "{text}");
}

/// The sales address is where replies and alerts go: an import without one, or with one that
/// is not an address, is refused at that field and stores nothing.
#[tokio::test]
async fn a_shop_needs_a_sales_address() {
    let stack = Stack::start_embedded().await;
    let shop = |seller: Value| {
        json!({"name": "Quiet", "currency": "EUR", "test_mode": true, "payment_methods": ["test"],
            "seller": seller, "taxes": [{"code": "std", "rate": "20"}], "items": []})
    };
    for seller in [
        json!({"name": "Quiet SAS"}),
        json!({"email": "not an address"}),
    ] {
        let put = stack
            .with_token(
                Method::PUT,
                "/admin/shops/quiet",
                ADMIN_TOKEN,
                Some(shop(seller)),
            )
            .await;
        assert_eq!(
            put.assert_problem(422, "validation_failed"),
            ["seller.email"]
        );
    }
    assert_eq!(
        stack.get("/shops/quiet/catalog").await.status,
        404,
        "nothing stored"
    );
    let put = stack
        .with_token(
            Method::PUT,
            "/admin/shops/quiet",
            ADMIN_TOKEN,
            Some(shop(json!({"email": "sales@quiet.example"}))),
        )
        .await;
    assert_eq!(put.status, 201, "{}", put.body);
}

/// "Find my orders": the same answer for any address; a known one is mailed links that open
/// its bills; three messages an hour at most.
#[tokio::test]
async fn find_my_orders_mails_links_and_tells_nobody_else_anything() {
    let stack = Stack::start_embedded().await;
    let cart = stack.ready_cart("EXCEL-ESS", 1).await;
    let (bill, _) = stack.place_and_pay(&cart).await;
    stack.deliver_mail().await;
    let ask = |email: &str| stack.post_json("/shops/demo/orders/lookup", json!({ "email": email }));
    let known = ask("ADA@example.org").await;
    let unknown = ask("nobody@example.org").await;
    assert_eq!((known.status, unknown.status), (202, 202));
    assert_eq!(known.body, unknown.body, "no difference to read");
    assert_eq!(
        ask("not an address")
            .await
            .assert_problem(422, "validation_failed"),
        ["email"]
    );
    let stored = || async {
        shop_core::app::bills::find_bill(stack.store.as_ref(), &bill.parse().unwrap())
            .await
            .unwrap()
            .expect("the bill")
            .value
    };
    let messages_links = stored().await.mail_token_digests;
    for _ in 0..3 {
        assert_eq!(ask("ada@example.org").await.status, 202);
    }
    let after = stored().await;
    assert_eq!(
        after.lookup_token_digests.len(),
        3,
        "one link per lookup mailed, kept apart"
    );
    assert_eq!(
        after.mail_token_digests, messages_links,
        "the shop's own messages' links are untouched by anyone's lookups"
    );
    stack.deliver_mail().await;
    let lookups: Vec<_> = to(&stack, "ada@example.org")
        .await
        .into_iter()
        .filter(|(s, _)| s == "Your orders at Demo Training Academy")
        .collect();
    assert_eq!(
        lookups.len(),
        3,
        "three an hour, the fourth asked for nothing"
    );
    assert!(to(&stack, "nobody@example.org").await.is_empty());
    let text = stack.mail_message(&lookups[0].1).await["text"]
        .as_str()
        .unwrap()
        .to_owned();
    let url = link(&text, &stack.url("/bill?"));
    assert!(url.contains(&bill), "{url}");
    let token = url.split("#token=").nth(1).unwrap();
    let opened = stack
        .with_token(Method::GET, &format!("/bills/{bill}"), token, None)
        .await;
    assert_eq!(opened.status, 200, "{}", opened.body);
}

/// An enrolment about to end: its buyer is reminded 14 and 3 days before (the default), once
/// per threshold, with a link that fills a cart with the item that extends it.
#[tokio::test]
async fn expiry_reminders_go_once_per_threshold_with_the_extension() {
    let stack = Stack::start_embedded().await;
    let end = bought(&stack, "en").await;
    let reminders = || async {
        to(&stack, "ada@example.org")
            .await
            .into_iter()
            .filter(|(s, _)| s.starts_with("Your access to "))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        stack.postman.write_reminders().await.unwrap(),
        0,
        "a year away"
    );
    let now = chrono::Utc::now();
    stack
        .clock
        .advance(end - now - chrono::Duration::days(14) + chrono::Duration::hours(1));
    assert_eq!(stack.postman.write_reminders().await.unwrap(), 1);
    assert_eq!(
        stack.postman.write_reminders().await.unwrap(),
        0,
        "once per threshold"
    );
    stack.deliver_mail().await;
    assert_eq!(reminders().await.len(), 1);
    stack.clock.advance(chrono::Duration::days(11));
    assert_eq!(
        stack.postman.write_reminders().await.unwrap(),
        1,
        "three days before"
    );
    stack.deliver_mail().await;
    let sent = reminders().await;
    assert_eq!(sent.len(), 2);
    let text = stack.mail_message(&sent[1].1).await["text"]
        .as_str()
        .unwrap()
        .to_owned();
    let url = link(&text, &stack.url("/shops/demo/cart-import?"));
    assert!(url.ends_with("?EXCEL-EXT=1"), "{url}");
    let import = stack.http.get(&url).send().await.unwrap();
    assert_eq!(import.status(), 303, "the link fills a cart");
}

/// Ada buys Excel essentials in `language`, delivered: the end of her access.
async fn bought(stack: &Stack, language: &str) -> chrono::DateTime<chrono::Utc> {
    let cart = stack.ready_cart("EXCEL-ESS", 1).await;
    let chosen = json!({"language": language});
    stack.put(&format!("/carts/{cart}/language"), chosen).await;
    stack.place_and_pay(&cart).await;
    stack.produce_all().await;
    stack.deliver_mail().await;
    let products = stack
        .with_token(Method::GET, "/admin/shops/demo/products", ADMIN_TOKEN, None)
        .await;
    products.body["products"][0]["end"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// The clock moves to 14 days before `end` and the reminder goes: its (subject, id).
async fn remind(stack: &Stack, end: chrono::DateTime<chrono::Utc>) -> (String, String) {
    let before = end - chrono::Utc::now() - chrono::Duration::days(14);
    stack.clock.advance(before + chrono::Duration::hours(1));
    assert_eq!(stack.postman.write_reminders().await.unwrap(), 1);
    stack.deliver_mail().await;
    to(stack, "ada@example.org")
        .await
        .into_iter()
        .find(|(subject, _)| {
            subject.starts_with("Your access to ") || subject.starts_with("Votre accès à ")
        })
        .expect("the reminder")
}

/// Ada buys Excel essentials in `language` and is reminded 14 days before its end: the
/// reminder's (subject, id), and the end.
async fn reminded(
    stack: &Stack,
    language: &str,
) -> ((String, String), chrono::DateTime<chrono::Utc>) {
    let end = bought(stack, language).await;
    (remind(stack, end).await, end)
}

/// An item the shop has since withdrawn is named in its reminder as its bill sold it, not by
/// its code.
#[tokio::test]
async fn a_reminder_names_a_withdrawn_item_as_it_was_sold() {
    let stack = Stack::start_embedded().await;
    let end = bought(&stack, "fr").await;
    stack
        .edit_demo(|document| {
            let items = document["items"].as_array_mut().unwrap();
            items.retain(|i| i["code"] != "EXCEL-ESS" && i["code"] != "STARTER-PACK");
        })
        .await;
    let (subject, _) = remind(&stack, end).await;
    assert!(
        subject
            .starts_with("Votre accès à « Excel, les essentiels (formation en ligne, 12 mois) »"),
        "{subject}"
    );
}

/// A reminder whose extension is for the shop's customers links to the item's own page (which
/// has the reader sign in first), not to a cart a visitor could not fill.
#[tokio::test]
async fn a_customers_only_extension_is_reached_through_its_page() {
    let stack = Stack::start_embedded().await;
    stack
        .edit_demo(|document| {
            for item in document["items"].as_array_mut().unwrap() {
                if item["code"] == "EXCEL-EXT" {
                    item["visibility"] = json!("customers");
                }
            }
        })
        .await;
    let ((_, id), _) = reminded(&stack, "en").await;
    let text = stack.mail_message(&id).await["text"]
        .as_str()
        .unwrap()
        .to_owned();
    let url = link(&text, &stack.url("/?shop=demo&item="));
    assert!(url.ends_with("item=EXCEL-EXT"), "{url}");
    assert!(!text.contains("cart-import"), "{text}");
}

/// A shop with a name of its own in French is named so in its French messages (subject, text,
/// signature), and by its document's name in English.
#[tokio::test]
async fn a_shop_is_named_in_each_message_s_language() {
    let stack = Stack::start_embedded().await;
    stack
        .edit_demo(|document| {
            document["texts"]["fr"]["name"] = json!("Académie de démonstration");
        })
        .await;
    for (language, name) in [
        ("fr", "Académie de démonstration"),
        ("en", "Demo Training Academy"),
    ] {
        let cart = stack.ready_cart("EXCEL-ESS", 1).await;
        stack
            .put(
                &format!("/carts/{cart}/language"),
                json!({"language": language}),
            )
            .await;
        let placed = stack.order(&cart, "transfer").await;
        let bill = placed.body["bill_id"].as_str().unwrap().to_owned();
        stack.deliver_mail().await;
        let (subject, id) = to(&stack, "ada@example.org")
            .await
            .into_iter()
            .find(|(subject, _)| subject.contains(&bill))
            .expect("the order's message");
        assert!(subject.ends_with(name), "{subject}");
        let message = stack.mail_message(&id).await;
        let text = message["text"].as_str().unwrap();
        assert!(text.trim_end().ends_with(name), "signed {name}: {text}");
        assert!(message["html"].as_str().unwrap().contains(name));
    }
}

/// A French buyer's reminder names what ends, and what extends it, in French.
#[tokio::test]
async fn a_french_buyers_reminder_names_the_items_in_french() {
    let stack = Stack::start_embedded().await;
    let (reminder, end) = reminded(&stack, "fr").await;
    assert_eq!(
        reminder.0,
        format!(
            "Votre accès à « Excel, les essentiels (formation en ligne, 12 mois) » prend fin le {}",
            end.format("%d/%m/%Y")
        )
    );
    let message = stack.mail_message(&reminder.1).await;
    let text = message["text"].as_str().unwrap();
    assert!(
        text.contains("Prolonger avec « Excel, les essentiels : 3 mois de plus »"),
        "{text}"
    );
    assert!(
        !text.contains("Excel essentials"),
        "no English name: {text}"
    );
}

/// A bill paid longer ago than the reconciliation delay and still not delivered: the sales
/// address is told, once, however often reconciliation runs.
#[tokio::test]
async fn a_paid_bill_left_undelivered_alerts_the_sales_address_once() {
    let stack = Stack::start_embedded().await;
    let cart = stack.ready_cart("EXCEL-ESS", 1).await;
    let (bill, _) = stack.place_and_pay(&cart).await;
    let later = chrono::Utc::now() + chrono::Duration::hours(2);
    stack.producer.reconcile(chrono::Utc::now()).await.unwrap();
    stack.deliver_mail().await;
    let subject = format!("Order {bill} is paid but not delivered yet");
    let alerts = || async {
        to(&stack, "sales@demo-academy.example")
            .await
            .into_iter()
            .filter(|(s, _)| *s == subject)
            .count()
    };
    assert_eq!(alerts().await, 0, "not before the delay");
    for _ in 0..2 {
        stack.producer.reconcile(later).await.unwrap();
    }
    stack.clock.advance(chrono::Duration::hours(2));
    stack.deliver_mail().await;
    assert_eq!(alerts().await, 1);
}

/// The shop's own words for every message in French, each using every placeholder the message
/// knows: what is written there is what the buyer and the shop read, every placeholder
/// filled; an English buyer keeps the default words.
#[tokio::test]
async fn a_shop_writes_its_messages_in_its_own_words() {
    use shop_core::domain::message::MessageKind;
    let stack = Stack::start_embedded().await;
    let mut shop = stack
        .with_token(Method::GET, "/admin/shops/demo", ADMIN_TOKEN, None)
        .await
        .body;
    let mut messages = serde_json::Map::new();
    for kind in MessageKind::ALL {
        let names: Vec<String> = kind.placeholders().map(|p| format!("{{{p}}}")).collect();
        let body = format!(
            "Mots de la boutique : {}\n\n{}",
            names.join(" / "),
            names.join("\n\n")
        );
        let subject = format!("[boutique] {} {{bill}}", kind.as_str());
        messages.insert(
            kind.as_str().into(),
            json!({"fr": {"subject": subject, "body": body}}),
        );
    }
    shop["messages"] = Value::Object(messages);
    let put = stack
        .with_token(Method::PUT, "/admin/shops/demo", ADMIN_TOKEN, Some(shop))
        .await;
    assert_eq!(put.status, 200, "{}", put.body);

    let french = stack.ready_cart("EXCEL-ESS", 1).await;
    stack
        .put(
            &format!("/carts/{french}/language"),
            json!({"language": "fr"}),
        )
        .await;
    let (bill, _) = stack.place_and_pay(&french).await;
    stack.produce_all().await;
    assert_eq!(stack.deliver_mail().await, 4);
    let mut kinds = Vec::new();
    for message in stack.mail().await {
        let full = stack.mail_message(message["id"].as_str().unwrap()).await;
        let subject = full["subject"].as_str().unwrap();
        let text = full["text"].as_str().unwrap();
        let rest = subject
            .strip_prefix("[boutique] ")
            .unwrap_or_else(|| panic!("{subject}"));
        assert!(rest.ends_with(&bill), "{subject}");
        kinds.push(rest.split(' ').next().unwrap().to_owned());
        assert!(text.contains("Mots de la boutique : "), "{text}");
        assert!(
            !text.contains('{') && !subject.contains('{'),
            "every placeholder filled: {text}"
        );
        assert!(!full["html"].as_str().unwrap().contains('{'));
    }
    kinds.sort();
    assert_eq!(
        kinds,
        ["delivered", "new_order", "order_placed", "payment_received"]
    );
    let placed = to(&stack, "ada@example.org").await;
    let text = stack.mail_message(&placed[0].1).await["text"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(text.contains("Excel"), "the lines: {text}");
    assert!(text.contains("#token="), "the link with its token: {text}");

    let english = stack.ready_cart("EXCEL-ESS", 1).await;
    let (other, _) = stack.place_and_pay(&english).await;
    stack.deliver_mail().await;
    let subjects: Vec<String> = stack
        .mail()
        .await
        .iter()
        .map(|m| m["subject"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        subjects.contains(&format!("Your order {other} at Demo Training Academy")),
        "{subjects:?}"
    );
}

/// Words that could not be sent are refused at import, at their field, and nothing changes:
/// an unknown placeholder, a brace left open, a message or a language that does not exist.
#[tokio::test]
async fn message_words_that_cannot_render_are_refused_at_their_field() {
    let stack = Stack::start_embedded().await;
    let before = stack
        .with_token(Method::GET, "/admin/shops/demo", ADMIN_TOKEN, None)
        .await
        .body;
    let cases = [
        (
            json!({"order_placed": {"fr": {"subject": "Commande {bill}", "body": "Facture {invoice_number}"}}}),
            "messages.order_placed.fr.body",
        ),
        (
            json!({"delivered": {"en": {"subject": "Ready {bill", "body": "Hi"}}}),
            "messages.delivered.en.subject",
        ),
        (
            json!({"order_shipped": {"en": {"subject": "x", "body": "y"}}}),
            "messages.order_shipped",
        ),
        (
            json!({"refunded": {"de": {"subject": "x", "body": "y"}}}),
            "messages.refunded.de",
        ),
    ];
    for (messages, path) in cases.clone() {
        let mut shop = before.clone();
        shop["messages"] = messages;
        let put = stack
            .with_token(Method::PUT, "/admin/shops/demo", ADMIN_TOKEN, Some(shop))
            .await;
        assert_eq!(
            put.assert_problem(422, "validation_failed"),
            [path],
            "{}",
            put.body
        );
    }
    let unknown = {
        let mut shop = before.clone();
        shop["messages"] = cases[0].0.clone();
        stack
            .with_token(Method::PUT, "/admin/shops/demo", ADMIN_TOKEN, Some(shop))
            .await
    };
    let error = &unknown.body["errors"][0];
    assert_eq!(error["code"], "unknown_placeholder", "{error}");
    assert_eq!(error["placeholder"], "{invoice_number}", "{error}");
    let reason = error["reason"].as_str().unwrap();
    assert!(
        reason.contains("{invoice_number}") && reason.contains("{bill_link}"),
        "{reason}"
    );
    let after = stack
        .with_token(Method::GET, "/admin/shops/demo", ADMIN_TOKEN, None)
        .await
        .body;
    assert_eq!(after, before, "nothing changed");
}

/// A message claimed by a postman that then stopped (a crash between its claim and its
/// sending) is left to it until its lease is over, then sent once by the next round; the other
/// messages go at once. On DynamoDB (moto): the claim is written on the letter, the mailbox
/// index keeps only keys.
#[tokio::test]
async fn a_claimed_message_waits_for_its_lease_then_goes_once() {
    use shop_core::app::mail::Letter;
    use shop_core::app::{Clock, keys};
    use shop_core::ports::{Index, PutIf, Query, Write};
    let stack = Stack::start().await;
    let cart = stack.ready_cart("EXCEL-ESS", 1).await;
    stack.place_and_pay(&cart).await;
    let due = Query {
        index: Some(Index::Gsi1),
        pk: keys::MAILBOX.into(),
        ..Query::default()
    };
    let records = stack.store.query(&due).await.unwrap();
    assert_eq!(
        records.len(),
        3,
        "order placed, payment received, new order"
    );
    let record = &records[0];
    let mut claimed: Letter = serde_json::from_str(&record.item.body).unwrap();
    claimed.attempts += 1;
    claimed.leased_until = Some(stack.clock.now() + chrono::Duration::minutes(5));
    let claim = Write::Put {
        item: claimed.item(),
        when: PutIf::Version(record.version),
    };
    stack.store.write(vec![claim]).await.unwrap();

    assert_eq!(stack.deliver_mail().await, 2, "all but the claimed one");
    assert_eq!(
        stack.deliver_mail().await,
        0,
        "not before its lease is over"
    );
    stack.clock.advance(chrono::Duration::minutes(6));
    assert_eq!(stack.deliver_mail().await, 1, "then by the next round");
    assert_eq!(stack.deliver_mail().await, 0);
    let ids: Vec<Value> = stack.mail().await.iter().map(|m| m["id"].clone()).collect();
    let claimed_id = ids
        .iter()
        .filter(|id| id.as_str().unwrap().ends_with(claimed.kind.as_str()))
        .count();
    assert_eq!((ids.len(), claimed_id), (3, 1), "{ids:?}");
}

/// A buyer who typed their address wrong never had their messages, though they went: an
/// operator sees each message of the bill on it, where it went, and sends the delivery's again
/// to the corrected address. It goes once, with the course and a link that opens the bill; the
/// trace says who sent it where; a message still waiting is not sent twice.
#[tokio::test]
async fn an_operator_sends_a_delivered_message_again_to_a_corrected_address() {
    let stack = Stack::start().await;
    let (bill, _) = stack
        .place_and_pay(&stack.ready_cart("EXCEL-ESS", 1).await)
        .await;
    stack.produce_all().await;
    assert_eq!(stack.deliver_mail().await, 4);
    let path = format!("/admin/bills/{bill}");
    let read = stack.admin(Method::GET, &path, None).await;
    assert_eq!(read.status, 200, "{}", read.body);
    let messages = read.body["messages"].as_array().unwrap().clone();
    let listed: Vec<(&str, &str, &str, bool)> = messages
        .iter()
        .map(|m| {
            (
                m["kind"].as_str().unwrap(),
                m["to"].as_str().unwrap(),
                m["state"].as_str().unwrap(),
                m["can_send_again"].as_bool().unwrap(),
            )
        })
        .collect();
    for expected in [
        ("order_placed", "ada@example.org", "sent", true),
        ("new_order", "sales@demo-academy.example", "sent", true),
        ("payment_received", "ada@example.org", "sent", true),
        ("delivered", "ada@example.org", "sent", true),
    ] {
        assert!(listed.contains(&expected), "{expected:?} in {listed:?}");
    }
    assert_eq!(listed.len(), 4, "{listed:?}");
    assert!(
        !read.body["messages"].to_string().contains("token"),
        "no capability in the list"
    );

    let delivered = messages.iter().find(|m| m["kind"] == "delivered").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let again = format!("/admin/bills/{bill}/messages/{delivered}/send-again");
    let sent = stack
        .admin(
            Method::POST,
            &again,
            Some(json!({"to": "ada.lovelace@example.org"})),
        )
        .await;
    assert_eq!(sent.status, 202, "{}", sent.body);
    let waiting = stack.admin(Method::GET, &path, None).await;
    let listed = waiting.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == delivered.as_str())
        .unwrap()
        .clone();
    assert_eq!(
        (&listed["state"], &listed["to"], &listed["can_send_again"]),
        (
            &json!("due"),
            &json!("ada.lovelace@example.org"),
            &json!(false)
        )
    );
    stack
        .admin(Method::POST, &again, None)
        .await
        .assert_problem(409, "invalid_state");

    assert_eq!(stack.deliver_mail().await, 1, "that one, once");
    assert_eq!(stack.deliver_mail().await, 0);
    let went = to(&stack, "ada.lovelace@example.org").await;
    assert_eq!(went.len(), 1, "{went:?}");
    let text = stack.mail_message(&went[0].1).await["text"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        text.contains(&format!("{}/course/view.php?id=", stack.moodle_url)),
        "{text}"
    );
    let url = link(&text, &stack.url("/bill?"));
    let token = url.split("#token=").nth(1).expect("a link with its token");
    let opened = stack
        .with_token(Method::GET, &format!("/bills/{bill}"), token, None)
        .await;
    assert_eq!(opened.status, 200, "its fresh link opens the bill");
    let events = stack.admin(Method::GET, &path, None).await.body["events"].clone();
    let noted = events
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["cause"]["code"] == "message_sent_again")
        .expect("the trace says it");
    assert_eq!(noted["cause"]["to"], "ada.lovelace@example.org");
    assert_eq!(noted["actor"], "operator:API-TOKEN");
}
