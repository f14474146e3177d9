//! Every production handler, through the shop's API and the Moodle simulator: a buyer pays for
//! the demo item, production runs, and the simulator (asked through its web services) shows
//! the users, enrolments, roles, groups, courses and categories; product instances are listed
//! for the operator, who can suspend and restore them.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use enrolshop_tests::{ADMIN_TOKEN, Stack};
use reqwest::Method;
use serde_json::{Value, json};
use shop_core::app::production::Produced;

const ADA: &str = "ada@example.org";

/// A cart for `code`, with optional required data and participants, placed and paid; the bill.
async fn buy(
    stack: &Stack,
    code: &str,
    quantity: u32,
    requirements: Option<Value>,
    people: Option<Value>,
) -> String {
    let cart = stack.new_cart().await;
    stack
        .fill_cart(&cart, code, quantity, requirements, people)
        .await;
    let view = stack
        .put(
            &format!("/carts/{cart}/customer"),
            enrolshop_tests::customer(),
        )
        .await;
    assert_eq!(view.body["next_step"], "order", "{}", view.body);
    stack.place_and_pay(&cart).await.0
}

async fn admin(stack: &Stack, method: Method, path: &str) -> enrolshop_tests::Reply {
    stack.with_token(method, path, ADMIN_TOKEN, None).await
}

async fn products(stack: &Stack, query: &str) -> Vec<Value> {
    let r = admin(
        stack,
        Method::GET,
        &format!("/admin/shops/demo/products{query}"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["products"].as_array().unwrap().clone()
}

async fn bill_status(stack: &Stack, bill: &str) -> Value {
    admin(stack, Method::GET, &format!("/admin/bills/{bill}"))
        .await
        .body
}

async fn user_id(stack: &Stack, email: &str) -> u64 {
    let found = stack
        .moodle_ws(
            "core_user_get_users_by_field",
            json!({"field": "email", "values": [email]}),
        )
        .await;
    assert_eq!(
        found.as_array().unwrap().len(),
        1,
        "one Moodle user for {email}: {found}"
    );
    found[0]["id"].as_u64().unwrap()
}

async fn courses_of(stack: &Stack, userid: u64) -> Vec<u64> {
    let courses = stack
        .moodle_ws("core_enrol_get_users_courses", json!({"userid": userid}))
        .await;
    courses
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_u64().unwrap())
        .collect()
}

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn an_enrolment_is_listed_suspended_and_restored_by_an_operator() {
    let stack = Stack::start().await;
    let bill = buy(&stack, "EXCEL-ESS", 1, None, None).await;
    assert_eq!(stack.produce_all().await, [Ok(Produced::Complete)]);
    let ada = user_id(&stack, ADA).await;
    assert!(courses_of(&stack, ada).await.contains(&3));
    let customer = shop_core::app::customers::find(stack.store.as_ref(), "demo", ADA)
        .await
        .unwrap()
        .expect("a customer record")
        .value;
    assert_eq!(
        customer.moodle_user_id,
        Some(ada),
        "linked to the Moodle account"
    );
    assert_eq!(
        customer.moodle_username.as_deref(),
        Some(ADA),
        "the username she signs in with"
    );

    let listed = products(&stack, &format!("?customer={ADA}")).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    let p = &listed[0];
    assert_eq!(p["item_code"], "EXCEL-ESS");
    assert_eq!(
        p["item_names"],
        json!({"en": "Excel essentials (e-learning, 12 months)",
               "fr": "Excel, les essentiels (formation en ligne, 12 mois)"}),
        "the staff's pages name it in theirs"
    );
    assert_eq!(p["customer_email"], ADA);
    assert_eq!(p["context"], "user_enrolment");
    assert_eq!(p["instance_id"], 3);
    assert_eq!(p["status"], "running");
    assert_eq!(time(&p["end"]) - time(&p["start"]), Duration::days(365));
    let reference = p["reference"].as_str().unwrap().to_owned();
    assert!(
        reference
            .parse::<shop_core::domain::product::ProductRef>()
            .is_ok()
    );
    let view = bill_status(&stack, &bill).await;
    assert_eq!(view["production"][0]["products"][0], reference.as_str());

    let suspended = admin(
        &stack,
        Method::POST,
        &format!("/admin/products/{reference}/suspend"),
    )
    .await;
    assert_eq!(suspended.status, 200, "{}", suspended.body);
    assert_eq!(suspended.body["status"], "suspended");
    assert!(
        !courses_of(&stack, ada).await.contains(&3),
        "suspended in Moodle"
    );
    let kept = stack.moodle.enrolment(ada, 3).unwrap();
    assert!(
        kept.suspended && kept.timeend > 0,
        "suspended, never unenrolled: {kept:?}"
    );
    assert_eq!(products(&stack, "?state=suspended").await.len(), 1);
    assert_eq!(products(&stack, "?state=running").await.len(), 0);

    let restored = admin(
        &stack,
        Method::POST,
        &format!("/admin/products/{reference}/restore"),
    )
    .await;
    assert_eq!(restored.body["status"], "running");
    assert!(courses_of(&stack, ada).await.contains(&3));
    let events: Vec<&str> = restored.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(events, ["created", "suspended", "restored"]);

    admin(
        &stack,
        Method::GET,
        "/admin/shops/demo/products?state=sleeping",
    )
    .await
    .assert_problem(422, "validation_failed");
    admin(
        &stack,
        Method::POST,
        "/admin/products/AAAA-AAAA-AAAA-AAAA/suspend",
    )
    .await
    .assert_problem(404, "not_found");
}

#[tokio::test]
async fn extending_an_active_and_an_expired_enrolment() {
    let stack = Stack::start().await;
    // Active: bought now for 365 days, extended by 2 × 90 days from its end.
    buy(&stack, "EXCEL-ESS", 1, None, None).await;
    stack.produce_all().await;
    let ada = user_id(&stack, ADA).await;
    let first = stack.moodle.enrolment(ada, 3).unwrap();
    buy(&stack, "EXCEL-EXT", 2, None, None).await;
    assert_eq!(stack.produce_all().await, [Ok(Produced::Complete)]);
    let extended = stack.moodle.enrolment(ada, 3).unwrap();
    assert_eq!(extended.timeend, first.timeend + 180 * 86_400);
    assert_eq!(extended.timestart, first.timestart, "the start is kept");
    let listed = products(&stack, "").await;
    assert_eq!(
        listed.len(),
        1,
        "the extension updates the instance: {listed:?}"
    );
    assert_eq!(time(&listed[0]["end"]).timestamp(), extended.timeend);
    let kinds: Vec<&str> = listed[0]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["created", "extended"]);

    // Expired: Grace's enrolment was produced 400 days ago (ended 35 days ago); 90 days more
    // run from now.
    let stack = Stack::start().await;
    let cart = stack.new_cart().await;
    stack
        .put(
            &format!("/carts/{cart}/lines/EXCEL-ESS"),
            json!({"quantity": 1}),
        )
        .await;
    stack
        .put(
            &format!("/carts/{cart}/customer"),
            enrolshop_tests::customer(),
        )
        .await;
    stack.place_and_pay(&cart).await;
    let job = stack.queue.sent()[0].clone();
    let long_ago = Utc::now() - Duration::days(400);
    let past = stack.producer_at(Arc::new(Fixed(long_ago)));
    assert_eq!(past.handle(&job).await.unwrap(), Produced::Complete);
    stack
        .queue
        .receive(10)
        .into_iter()
        .for_each(|d| stack.queue.ack(d.id));
    assert_eq!(products(&stack, "?state=expired").await.len(), 1);
    let before = Utc::now().timestamp();
    buy(&stack, "EXCEL-EXT", 1, None, None).await;
    assert_eq!(stack.produce_all().await, [Ok(Produced::Complete)]);
    let ada = user_id(&stack, ADA).await;
    let renewed = stack.moodle.enrolment(ada, 3).unwrap();
    let after = Utc::now().timestamp();
    assert!(
        renewed.timeend >= before + 90 * 86_400 && renewed.timeend <= after + 90 * 86_400,
        "90 days from now, not from the old end: {renewed:?}"
    );
    assert!(courses_of(&stack, ada).await.contains(&3));
    assert_eq!(products(&stack, "?state=running").await.len(), 1);
}

struct Fixed(DateTime<Utc>);

impl shop_core::app::Clock for Fixed {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

#[tokio::test]
async fn a_team_is_enrolled_one_instance_per_learner_in_the_customer_group() {
    let stack = Stack::start().await;
    let people = json!({"participants": [
        {"email": "grace@example.org", "firstname": "Grace", "lastname": "Hopper"},
        {"email": "alan@example.org", "firstname": "Alan", "lastname": "Turing"}],
        "assignments": {"EXCEL-TEAM": {"student": ["grace@example.org", "alan@example.org"]}}});
    buy(&stack, "EXCEL-TEAM", 2, None, Some(people)).await;
    assert_eq!(stack.produce_all().await, [Ok(Produced::Complete)]);
    let groups = stack
        .moodle_ws("core_group_get_course_groups", json!({"courseid": 3}))
        .await;
    assert_eq!(groups.as_array().unwrap().len(), 1, "{groups}");
    assert_eq!(groups[0]["name"], ADA, "named after the buying customer");
    let members = &stack.moodle.groups(3)[0].members;
    for email in ["grace@example.org", "alan@example.org"] {
        let id = user_id(&stack, email).await;
        assert!(
            courses_of(&stack, id).await.contains(&3),
            "{email} enrolled"
        );
        assert!(members.contains(&id), "{email} in the group");
    }
    let listed = products(&stack, &format!("?customer={ADA}")).await;
    let holders: Vec<&str> = listed
        .iter()
        .map(|p| p["user_email"].as_str().unwrap())
        .collect();
    assert_eq!(listed.len(), 2, "{holders:?}");
    assert!(holders.contains(&"grace@example.org") && holders.contains(&"alan@example.org"));
}

#[tokio::test]
async fn seats_are_generated_unassigned() {
    let stack = Stack::start().await;
    buy(&stack, "EXCEL-SEATS", 2, None, None).await;
    assert_eq!(stack.produce_all().await, [Ok(Produced::Complete)]);
    let seats = products(&stack, "").await;
    assert_eq!(seats.len(), 10, "2 packs of 5");
    for seat in &seats {
        assert_eq!(seat["context"], "seat");
        assert_eq!(seat["instance_id"], Value::Null, "not assigned yet");
        assert_eq!(seat["allowed_courses"], json!([3]));
    }
    let ada = user_id(&stack, ADA).await;
    assert_eq!(
        courses_of(&stack, ada).await,
        [2],
        "only the support course so far"
    );
}

#[tokio::test]
async fn a_course_is_made_from_the_template_once_with_the_buyer_as_teacher() {
    let stack = Stack::start().await;
    let forms = json!({"MY-COURSE": [{"course_name": "Ada's analytical engines"}]});
    let bill = buy(&stack, "MY-COURSE", 1, Some(forms), None).await;
    assert_eq!(stack.produce_all().await, [Ok(Produced::Complete)]);
    let listed = products(&stack, "").await;
    assert_eq!(listed[0]["context"], "course");
    let course = listed[0]["instance_id"].as_u64().unwrap();
    let found = stack
        .moodle_ws(
            "core_course_get_courses_by_field",
            json!({"field": "id", "value": course}),
        )
        .await;
    assert_eq!(found["courses"][0]["fullname"], "Ada's analytical engines");
    let ada = user_id(&stack, ADA).await;
    let enrolment = stack.moodle.enrolment(ada, course).unwrap();
    assert!(enrolment.roles.contains(&moodle_sim::EDITINGTEACHER));
    assert!(
        stack
            .moodle
            .calls()
            .contains(&"core_course_duplicate_course".to_owned())
    );

    // Delivered again: no second course.
    let count = |stack: &Stack| {
        let stack = stack.moodle.clone();
        async move {
            stack
                .calls()
                .iter()
                .filter(|c| c.contains("duplicate"))
                .count()
        }
    };
    let made = count(&stack).await;
    let job = stack.queue.sent()[0].clone();
    stack.producer.handle(&job).await.unwrap();
    assert_eq!(count(&stack).await, made);
    assert_eq!(bill_status(&stack, &bill).await["status"], "COMPLETE");
}

#[tokio::test]
async fn a_category_is_made_with_the_buyer_as_its_manager() {
    let stack = Stack::start().await;
    let forms = json!({"MY-SCHOOL": [{"category_name": "Lovelace Academy"}]});
    buy(&stack, "MY-SCHOOL", 1, Some(forms), None).await;
    assert_eq!(stack.produce_all().await, [Ok(Produced::Complete)]);
    let listed = products(&stack, "").await;
    assert_eq!(listed[0]["context"], "coursecat");
    let id = listed[0]["instance_id"].as_u64().unwrap();
    let found = stack
        .moodle_ws(
            "core_course_get_categories",
            json!({"criteria": [{"key": "id", "value": id}]}),
        )
        .await;
    assert_eq!(found[0]["name"], "Lovelace Academy");
    let ada = user_id(&stack, ADA).await;
    assert!(
        stack
            .moodle
            .has_role(moodle_sim::MANAGER, ada, "coursecat", id)
    );
}

#[tokio::test]
async fn roles_certificates_and_credits_are_delivered() {
    let stack = Stack::start().await;
    buy(&stack, "AUTHOR-ROLE", 1, None, None).await;
    let exam = json!({"CERT-EXAM": [{"candidate_name": "Ada Lovelace", "birthdate": "1990-12-10", "session": "2027-01"}]});
    buy(&stack, "CERT-EXAM", 1, Some(exam), None).await;
    buy(&stack, "GUIDE-BOOK", 3, None, None).await;
    assert_eq!(
        stack.produce_all().await,
        [
            Ok(Produced::Complete),
            Ok(Produced::Complete),
            Ok(Produced::Complete)
        ]
    );
    let ada = user_id(&stack, ADA).await;
    assert!(
        stack
            .moodle
            .has_role(moodle_sim::COURSECREATOR, ada, "system", 0)
    );
    assert!(
        courses_of(&stack, ada).await.contains(&6),
        "in the certification course"
    );
    let listed = products(&stack, "").await;
    let by_context = |c: &str| {
        listed
            .iter()
            .find(|p| p["context"] == c)
            .unwrap_or_else(|| panic!("{c}: {listed:?}"))
            .clone()
    };
    assert_eq!(by_context("role_assignment")["item_code"], "AUTHOR-ROLE");
    assert_eq!(by_context("certificate")["instance_id"], 6);
    assert_eq!(by_context("credits")["credits"], 3);
}

#[tokio::test]
async fn a_shop_with_a_bad_handler_is_refused_at_import() {
    let stack = Stack::start().await;
    let shop = json!({"name": "Broken", "currency": "EUR", "payment_methods": ["test"], "seller": {"email": "sales@shop.example"},
        "taxes": [{"code": "std", "rate": "20"}],
        "items": [
            {"code": "A", "name": "A", "prices": [{"up_to": null, "unit_price": "10.00"}], "tax": "std",
             "handler": {"type": "teleport", "params": {}}},
            {"code": "B", "name": "B", "prices": [{"up_to": null, "unit_price": "10.00"}], "tax": "std",
             "handler": {"type": "enrol_one_course", "params": {"course_id": 3, "duration_days": -5}}}]});
    let r = stack
        .with_token(Method::PUT, "/admin/shops/broken", ADMIN_TOKEN, Some(shop))
        .await;
    r.assert_problem(422, "validation_failed");
    let errors: Vec<(&str, &str)> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap(), e["code"].as_str().unwrap()))
        .filter(|(field, _)| field.starts_with("items"))
        .collect();
    assert_eq!(
        errors,
        [
            ("items[0].handler.type", "unknown_handler"),
            ("items[1].handler.params.duration_days", "handler_value")
        ]
    );
    let gone = admin(&stack, Method::GET, "/admin/shops/broken").await;
    assert_eq!(gone.status, 404, "nothing stored");
}
