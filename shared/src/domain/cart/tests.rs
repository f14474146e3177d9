use super::*;
use crate::domain::document::ShopDocument;
use serde_json::json;

fn shop() -> Shop {
    ShopDocument::from_json(include_bytes!("../../../../infra/demo-shop.json"))
        .unwrap()
        .validate(&"demo".parse().unwrap())
        .unwrap()
}

fn cart() -> Cart {
    Cart::new(
        CartId::random(),
        "demo".parse().unwrap(),
        Utc::now(),
        chrono::Duration::days(7),
    )
}

fn code(s: &str) -> ItemCode {
    s.parse().unwrap()
}

fn add(cart: &mut Cart, shop: &Shop, c: &str, q: u32) -> Result<(), Rejection> {
    cart.set_line(shop, &code(c), q, None)
}

fn customer() -> CustomerInput {
    serde_json::from_value(json!({"customer": {
        "firstname": "Ada", "lastname": "Lovelace", "email": "ada@example.org",
        "address": "1 Analytical St", "zip": "75001", "city": "Paris", "country": "fr"
    }}))
    .unwrap()
}

#[test]
fn an_empty_cart_goes_back_to_the_shop() {
    let view = cart().view(&shop());
    assert_eq!(view.next_step, "shop");
    assert_eq!(view.totals.incl_tax, "0.00");
}

#[test]
fn tier_prices_and_tax_show_in_the_view() {
    let shop = shop();
    let mut c = cart();
    add(&mut c, &shop, "EXCEL-ESS", 5).unwrap();
    add(&mut c, &shop, "GUIDE-BOOK", 3).unwrap();
    let v = c.view(&shop);
    assert_eq!(v.lines[0].priced.unit_price, "99.00");
    assert_eq!(v.lines[0].priced.total_excl_tax, "495.00");
    assert_eq!(v.lines[0].priced.tax, "99.00");
    // 3 × 24.90 = 74.70; 5.5 % = 4.1085 → 4.11
    assert_eq!(v.lines[1].priced.tax, "4.11");
    assert_eq!(v.totals.excl_tax, "569.70");
    assert_eq!(v.totals.tax, "103.11");
    assert_eq!(v.totals.incl_tax, "672.81");
    assert_eq!(v.totals.taxes.len(), 2);
    assert_eq!(v.next_step, "customer");
}

#[test]
fn limits_status_and_passwords_are_enforced() {
    let shop = shop();
    let mut c = cart();
    assert!(matches!(
        add(&mut c, &shop, "EXCEL-ESS", 201),
        Err(Rejection::Invalid(_))
    ));
    assert!(
        matches!(
            add(&mut c, &shop, "CERT-EXAM", 41),
            Err(Rejection::Invalid(_))
        ),
        "stock"
    );
    assert!(
        matches!(
            add(&mut c, &shop, "AI-TRAINERS", 1),
            Err(Rejection::Invalid(_))
        ),
        "preview"
    );
    assert!(matches!(
        add(&mut c, &shop, "NOPE", 1),
        Err(Rejection::UnknownItem(_))
    ));
    assert_eq!(
        add(&mut c, &shop, "PARTNER-EXCEL", 1),
        Err(Rejection::WrongPassword)
    );
    c.set_line(&shop, &code("PARTNER-EXCEL"), 1, Some("partner-2026"))
        .unwrap();
    assert_eq!(c.lines.len(), 1, "the password opens the item");
    add(&mut c, &shop, "PARTNER-EXCEL", 3).unwrap();
    assert_eq!(
        c.quantity_of(&code("PARTNER-EXCEL")).map(|q| q.get()),
        Some(3),
        "its line's quantity changes without the password again (the cart page does not ask it)"
    );
    add(&mut c, &shop, "PARTNER-EXCEL", 0).unwrap();
    assert!(c.lines.is_empty(), "0 removes the line");
    assert!(
        add(&mut c, &shop, "PARTNER-EXCEL", 1) == Err(Rejection::WrongPassword),
        "once removed, it takes its password again"
    );
}

#[test]
fn required_data_is_one_valid_form_per_unit() {
    let shop = shop();
    let mut c = cart();
    add(&mut c, &shop, "CERT-EXAM", 2).unwrap();
    assert_eq!(c.view(&shop).next_step, "requirements");
    let form = json!({"candidate_name": "Ada", "birthdate": "1990-01-31", "session": "2027-01"});
    let one: BTreeMap<String, Vec<Map<String, Value>>> =
        serde_json::from_value(json!({"CERT-EXAM": [form]})).unwrap();
    let errors = c.set_requirements(&shop, &one).unwrap_err();
    assert_eq!(errors[0].path, "CERT-EXAM");
    let bad: BTreeMap<String, Vec<Map<String, Value>>> = serde_json::from_value(json!({"CERT-EXAM": [
        form, {"candidate_name": "", "birthdate": "31/01/1990", "session": "2030-01", "extra": 1}
    ]}))
    .unwrap();
    let errors = c.set_requirements(&shop, &bad).unwrap_err();
    let paths: BTreeSet<String> = errors.into_iter().map(|e| e.path).collect();
    let expected = [
        "CERT-EXAM[1].candidate_name",
        "CERT-EXAM[1].birthdate",
        "CERT-EXAM[1].session",
        "CERT-EXAM[1].extra",
    ];
    assert_eq!(paths, expected.iter().map(|s| s.to_string()).collect());
    assert!(
        c.requirements.is_empty(),
        "a rejected change changes nothing"
    );
    let good: BTreeMap<String, Vec<Map<String, Value>>> =
        serde_json::from_value(json!({"CERT-EXAM": [form, form]})).unwrap();
    c.set_requirements(&shop, &good).unwrap();
    assert_eq!(c.step_state(&shop, Step::Requirements), StepState::Done);
    add(&mut c, &shop, "CERT-EXAM", 3).unwrap();
    assert_eq!(
        c.step_state(&shop, Step::Requirements),
        StepState::Needed,
        "a new unit needs its form"
    );
}

#[test]
fn seats_need_a_participant_per_unit() {
    let shop = shop();
    let mut c = cart();
    add(&mut c, &shop, "SAFETY-TEAM", 2).unwrap();
    add(&mut c, &shop, "LEAD-COACH", 1).unwrap();
    c.set_customer(&customer()).unwrap();
    assert_eq!(c.view(&shop).next_step, "participants");
    let input = |v: Value| serde_json::from_value::<ParticipantsInput>(v).unwrap();
    let people = json!([
        {"email": "a@example.org", "firstname": "A", "lastname": "One"},
        {"email": "b@example.org", "firstname": "B", "lastname": "Two"}
    ]);
    // One seat of two: accepted but the step stays needed.
    c.set_participants(
        &shop,
        &input(json!({"participants": people,
        "assignments": {"SAFETY-TEAM": {"student": ["a@example.org"]}}})),
    )
    .unwrap();
    assert_eq!(c.step_state(&shop, Step::Participants), StepState::Needed);
    let errors = c
        .set_participants(&shop, &input(json!({"participants": people, "assignments": {
            "SAFETY-TEAM": {"student": ["a@example.org", "b@example.org", "c@example.org"], "teacher": ["a@example.org"]},
            "EXCEL-ESS": {"student": ["a@example.org"]}
        }})))
        .unwrap_err();
    let paths: BTreeSet<String> = errors.into_iter().map(|e| e.path).collect();
    assert!(
        paths.contains("assignments.SAFETY-TEAM.student[2]"),
        "{paths:?}"
    );
    assert!(
        paths.contains("assignments.SAFETY-TEAM.teacher"),
        "{paths:?}"
    );
    assert!(paths.contains("assignments.EXCEL-ESS"), "{paths:?}");
    c.set_participants(
        &shop,
        &input(json!({"participants": people, "assignments": {
            "SAFETY-TEAM": {"student": ["a@example.org", "B@example.org"]},
            "LEAD-COACH": {"student": ["a@example.org"]}
        }})),
    )
    .unwrap();
    assert_eq!(c.step_state(&shop, Step::Participants), StepState::Done);
    assert_eq!(c.view(&shop).next_step, "order");
}

#[test]
fn customer_identity_is_checked_field_by_field() {
    let mut c = cart();
    let bad: CustomerInput = serde_json::from_value(json!({"customer": {
        "firstname": "", "lastname": "L", "email": "nope", "address": "a", "zip": "1",
        "city": "c", "country": "XX", "phone": "call me"
    }, "invoicing": null}))
    .unwrap();
    let paths: Vec<String> = c
        .set_customer(&bad)
        .unwrap_err()
        .into_iter()
        .map(|e| e.path)
        .collect();
    assert_eq!(
        paths,
        [
            "customer.firstname",
            "customer.email",
            "customer.country",
            "customer.phone"
        ]
    );
    assert!(c.customer.is_none());
    c.set_customer(&customer()).unwrap();
    assert_eq!(c.customer.as_ref().unwrap().country, "FR");
}

#[test]
fn lines_the_shop_stopped_selling_block_the_order() {
    let mut shop = shop();
    let mut c = cart();
    add(&mut c, &shop, "EXCEL-ESS", 1).unwrap();
    add(&mut c, &shop, "GUIDE-BOOK", 1).unwrap();
    c.set_customer(&customer()).unwrap();
    assert_eq!(c.view(&shop).next_step, "order");
    let guide = shop
        .items
        .iter_mut()
        .find(|i| i.code.as_str() == "GUIDE-BOOK")
        .unwrap();
    guide.status = crate::domain::catalog::ItemStatus::Suspended;
    let view = c.view(&shop);
    assert_eq!(view.unavailable, ["GUIDE-BOOK"]);
    assert_eq!(view.lines.len(), 1);
    assert_eq!(view.totals.excl_tax, "120.00");
    assert_eq!(view.next_step, "shop");
    add(&mut c, &shop, "GUIDE-BOOK", 0).unwrap();
    assert_eq!(c.view(&shop).next_step, "order");
}

#[test]
fn the_shop_step_order_decides_the_next_step() {
    let mut shop = shop();
    let mut c = cart();
    add(&mut c, &shop, "CERT-EXAM", 1).unwrap();
    assert_eq!(c.view(&shop).next_step, "requirements");
    shop.step_order = vec![Step::Customer, Step::Requirements, Step::Participants];
    assert_eq!(c.view(&shop).next_step, "customer");
}
