use super::*;
use serde_json::json;

fn doc(value: Value) -> ShopDocument {
    serde_json::from_value(value).unwrap()
}

fn minimal() -> Value {
    json!({
        "name": "Demo", "currency": "EUR", "test_mode": true,
        "payment_methods": ["test", "check"], "seller": {"email": "sales@shop.example"},
        "gateways": {"stripe": {"secret_key": "sk_live_1", "api_base": "https://api"}},
        "taxes": [{"code": "standard", "rate": "20"}],
        "categories": [{"id": "c1", "name": "Cat"}],
        "items": [{"code": "A", "name": "A", "category": "c1", "tax": "standard",
                   "prices": [{"up_to": null, "unit_price": "10.00"}], "password": "pw"}]
    })
}

fn shop_id() -> ShopId {
    "demo".parse().unwrap()
}

#[test]
fn a_valid_document_builds_a_shop() {
    let shop = doc(minimal()).validate(&shop_id()).unwrap();
    assert_eq!(shop.items.len(), 1);
    assert_eq!(shop.default_payment_method, PaymentMethod::Test);
    assert_eq!(shop.items[0].seat_roles, vec!["student".to_string()]);
}

#[test]
fn every_problem_is_reported_with_its_path() {
    let mut v = minimal();
    v["currency"] = json!("EURO");
    v["payment_methods"] = json!(["test", "cash"]);
    v["taxes"][0]["rate"] = json!("120");
    v["items"][0]["category"] = json!("nope");
    v["items"][0]["prices"] = json!([{"up_to": 5, "unit_price": "1"}]);
    let errors = doc(v).validate(&shop_id()).unwrap_err();
    let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
    for p in [
        "currency",
        "payment_methods[1]",
        "taxes[0].rate",
        "items[0].category",
    ] {
        assert!(paths.contains(&p), "{p} missing from {paths:?}");
    }
}

#[test]
fn item_problems_are_all_found() {
    let mut v = minimal();
    v["items"][0]["tax"] = json!("missing");
    v["items"][0]["prices"] = json!([{"up_to": null, "unit_price": "1.001"}]);
    v["items"][0]["seat_mode"] = json!("many");
    v["items"][0]["required_data"] = json!([{"field": "x", "label": "X", "type": "select"}]);
    let duplicate = v["items"][0].clone();
    v["items"].as_array_mut().unwrap().push(duplicate);
    let errors = doc(v).validate(&shop_id()).unwrap_err();
    let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
    for p in [
        "items[0].tax",
        "items[0].prices[0].unit_price",
        "items[0].seat_mode",
        "items[0].required_data[0].options",
        "items[1].code",
    ] {
        assert!(paths.contains(&p), "{p} missing from {paths:?}");
    }
}

#[test]
fn test_payments_need_test_mode() {
    let mut v = minimal();
    v["test_mode"] = json!(false);
    let errors = doc(v).validate(&shop_id()).unwrap_err();
    assert_eq!(errors[0].path, "payment_methods");
}

#[test]
fn category_cycles_are_refused() {
    let mut v = minimal();
    v["categories"] =
        json!([{"id": "a", "name": "A", "parent": "b"}, {"id": "b", "name": "B", "parent": "a"}]);
    v["items"][0]["category"] = json!("a");
    assert!(doc(v).validate(&shop_id()).is_err());
}

#[test]
fn secrets_are_masked_and_kept_on_reimport() {
    let stored = doc(minimal());
    let exported = stored.masked();
    assert_eq!(
        exported.gateways["stripe"]["secret_key"],
        json!(SECRET_MARKER)
    );
    assert_eq!(
        exported.gateways["stripe"]["api_base"],
        json!("https://api")
    );
    assert_eq!(exported.items[0].password.as_deref(), Some(SECRET_MARKER));
    let mut reimported = exported.clone();
    let mut e = Errors::default();
    reimported.keep_secrets_from(Some(&stored), &mut e);
    assert!(e.is_empty());
    assert_eq!(reimported, stored);
}

#[test]
fn ogone_passphrases_must_differ() {
    let mut v = minimal();
    v["gateways"]["ogone"] = json!({"pspid": "p", "sha_in": "same", "sha_out": "same"});
    let errors = doc(v).validate(&shop_id()).unwrap_err();
    assert!(
        errors.iter().any(|e| e.path == "gateways.ogone.sha_out"),
        "{errors:?}"
    );
}

#[test]
fn a_marker_without_a_stored_secret_is_an_error() {
    let mut fresh = doc(minimal()).masked();
    let mut e = Errors::default();
    fresh.keep_secrets_from(None, &mut e);
    let paths: Vec<String> = e.into_vec().into_iter().map(|e| e.path).collect();
    assert_eq!(
        paths,
        vec!["gateways.stripe.secret_key", "items[0].password"]
    );
}

#[test]
fn secret_names_are_recognised() {
    for s in [
        "secret_key",
        "webhook_secret",
        "sha_in",
        "SHA_OUT",
        "password",
        "key",
        "hmac_key",
    ] {
        assert!(is_secret_setting(s), "{s}");
    }
    for s in [
        "api_base",
        "site_id",
        "merchant_id",
        "key_version",
        "business",
    ] {
        assert!(!is_secret_setting(s), "{s}");
    }
}

#[test]
fn structural_errors_carry_their_path() {
    let mut v = minimal();
    v["taxes"][0]["rate"] = json!(20.0);
    let err = ShopDocument::from_json(v.to_string().as_bytes()).unwrap_err();
    assert_eq!(err.path, "taxes[0].rate");
    let mut v = minimal();
    v["surprise"] = json!(1);
    assert!(ShopDocument::from_json(v.to_string().as_bytes()).is_err());
}

#[test]
fn reminder_days_default_to_two_weeks_and_three_days_and_are_checked() {
    let shop = doc(minimal()).validate(&shop_id()).unwrap();
    assert_eq!(shop.reminder_days, [14, 3]);
    let mut v = minimal();
    v["reminder_days"] = json!([3, 30]);
    assert_eq!(doc(v).validate(&shop_id()).unwrap().reminder_days, [30, 3]);
    for bad in [
        json!([0]),
        json!([400]),
        json!([3, 3]),
        json!([1, 2, 3, 4, 5, 6]),
    ] {
        let mut v = minimal();
        v["reminder_days"] = bad.clone();
        let errors = doc(v).validate(&shop_id()).unwrap_err();
        assert!(
            errors.iter().any(|e| e.path == "reminder_days"),
            "{bad}: {errors:?}"
        );
    }
}

#[test]
fn an_import_needs_a_sales_address_that_is_an_address() {
    let mut v = minimal();
    assert!(doc(v.clone()).import_problems().is_empty());
    v["seller"] = json!({"email": "nope"});
    let errors = doc(v.clone()).validate(&shop_id()).unwrap_err();
    assert!(
        errors.iter().any(|e| e.path == "seller.email"),
        "{errors:?}"
    );
    v["seller"] = json!({"name": "No address SAS"});
    assert!(
        doc(v.clone()).validate(&shop_id()).is_ok(),
        "a stored shop still loads"
    );
    assert_eq!(doc(v).import_problems()[0].path, "seller.email");
}

#[test]
fn staff_are_moodle_usernames_with_a_role_each_listed_once() {
    let mut v = minimal();
    v["staff"] =
        json!([{"username": " Ann ", "role": "manager"}, {"username": "bob", "role": "operator"}]);
    let shop = doc(v.clone()).validate(&shop_id()).unwrap();
    assert_eq!(
        shop.staff_member("ANN").map(|m| m.role),
        Some(StaffRole::Manager)
    );
    assert_eq!(
        shop.staff_member("bob").map(|m| m.role),
        Some(StaffRole::Operator)
    );
    assert!(shop.staff_member("carl").is_none());
    v["staff"] = json!([
        {"username": "ann", "role": "boss"},
        {"username": "a b", "role": "operator"},
        {"username": "bob", "role": "operator"},
        {"username": "BOB", "role": "manager"}
    ]);
    let errors = doc(v).validate(&shop_id()).unwrap_err();
    let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        paths,
        ["staff[0].role", "staff[1].username", "staff[3].username"]
    );
}

#[test]
fn texts_in_other_languages_are_read_and_checked() {
    let mut v = minimal();
    v["items"][0]["required_data"] = json!([
        {"field": "session", "label": "Session", "type": "select", "required": true,
         "options": ["2027-01", "2027-02"]}
    ]);
    v["items"][0]["texts"] = json!({"fr": {
        "name": "Article A", "description": "Un article",
        "labels": {"session": "Session d’examen"},
        "options": {"session": {"2027-01": "Janvier 2027"}}
    }});
    v["categories"][0]["texts"] = json!({"fr": {"name": "Catégorie"}});
    v["texts"] = json!({"fr": {"terms": "Conditions de vente"}});
    let mut shop = doc(v.clone()).validate(&shop_id()).unwrap();
    shop.localize(Language::En);
    assert_eq!(
        shop.items[0].name, "A",
        "English keeps the document's words"
    );
    shop.localize(Language::Fr);
    let item = &shop.items[0];
    assert_eq!(
        (item.name.as_str(), item.description.as_str()),
        ("Article A", "Un article")
    );
    let field = &item.required_data[0];
    assert_eq!(field.label, "Session d’examen");
    assert_eq!(
        field.options,
        ["2027-01", "2027-02"],
        "values stay the same"
    );
    assert_eq!(
        field.option_labels,
        ["Janvier 2027", "2027-02"],
        "an option without words reads as itself"
    );
    assert_eq!(shop.categories[0].name, "Catégorie");
    assert_eq!(shop.terms.as_deref(), Some("Conditions de vente"));

    v["items"][0]["texts"] = json!({
        "de": {"name": "Artikel"},
        "fr": {"name": "", "labels": {"nope": "X"}, "options": {"session": {"2030-01": "X"}}}
    });
    let errors = doc(v).validate(&shop_id()).unwrap_err();
    let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "items[0].texts.de",
            "items[0].texts.fr.name",
            "items[0].texts.fr.labels.nope",
            "items[0].texts.fr.options.session.2030-01"
        ]
    );
}

/// The rules staff meet in the settings and the editor carry a code (and what the sentence
/// names), so that a French page says them in French; the English stays the `reason`.
#[test]
fn the_rules_staff_meet_carry_their_codes() {
    let mut v = minimal();
    v["currency"] = json!("EURO");
    v["taxes"] = json!([
        {"code": "standard", "rate": "20"},
        {"code": "standard", "rate": "5"},
        {"code": "high", "rate": "120"}
    ]);
    v["categories"] = json!([{"id": "c1", "name": "Cat", "parent": "c1"}, {"id": "c2", "name": "", "parent": "nope"}]);
    v["payment_methods"] = json!([]);
    v["staff"] = json!([{"username": "a b", "role": "manager"}]);
    v["items"][0]["prices"] = json!([{"up_to": 5, "unit_price": "1"}]);
    v["items"][0]["tax"] = json!("gone");
    v["items"][0]["required_data"] =
        json!([{"field": "moment", "label": "Moment", "type": "select"}]);
    let errors = doc(v).validate(&shop_id()).unwrap_err();
    let code = |path: &str| {
        errors
            .iter()
            .filter(|e| e.path == path)
            .map(|e| e.code)
            .collect::<Vec<_>>()
    };
    assert_eq!(code("currency"), ["currency_code"]);
    assert_eq!(code("taxes[2].rate"), ["tax_rate"]);
    assert_eq!(code("taxes[1].code"), ["twice"]);
    assert_eq!(code("categories[0].parent"), ["category_cycle"]);
    assert_eq!(code("categories[1].name"), ["required"]);
    assert_eq!(code("categories[1].parent"), ["no_category"]);
    assert_eq!(code("payment_methods"), ["no_payment_method"]);
    assert_eq!(code("staff[0].username"), ["moodle_username"]);
    assert_eq!(code("items[0].prices"), ["last_tier_open"]);
    assert_eq!(code("items[0].tax"), ["no_tax_code"]);
    assert_eq!(
        code("items[0].required_data[0].options"),
        ["choice_options"]
    );
    let gone = errors.iter().find(|e| e.path == "items[0].tax").unwrap();
    assert_eq!(gone.params["tax"], "gone");
    assert_eq!(gone.reason, "no tax code `gone`");
}

/// A team session enrols the participants the buyer names: an item naming none is refused at
/// its participants' setting.
#[test]
fn a_session_names_its_participants() {
    let mut v = minimal();
    v["items"][0]["handler"] = json!({"type": "course_session", "params": {"course": "SAFETY"}});
    let errors = doc(v.clone()).validate(&shop_id()).unwrap_err();
    let found: Vec<_> = errors.iter().map(|e| (e.path.as_str(), e.code)).collect();
    assert_eq!(
        found,
        [("items[0].seat_mode", "session_needs_participants")]
    );
    v["items"][0]["seat_mode"] = json!("per_unit");
    assert!(doc(v).validate(&shop_id()).is_ok());
}

/// The delivery rules are checked at import and at an item's save, not when a stored shop is
/// read or its settings change: a rule added later leaves a shop holding an item it refuses
/// readable, and its settings changeable.
#[test]
fn a_stored_shop_reads_though_a_later_rule_refuses_one_of_its_items() {
    let mut v = minimal();
    v["items"][0]["handler"] = json!({"type": "course_session", "params": {"course": "SAFETY"}});
    let stored = doc(v);
    assert!(stored.validate(&shop_id()).is_err(), "refused at import");
    assert!(stored.validate_part(&shop_id()).is_ok(), "read once stored");
    assert!(
        stored.validate_settings(&shop_id()).is_ok(),
        "its settings still change"
    );
}

/// A field the buyer fills in is named by its label above it (and to a screen reader): one
/// without a label is refused at import and at an item's save, and still read once stored.
#[test]
fn a_required_data_field_needs_a_label() {
    let mut v = minimal();
    v["items"][0]["required_data"] = json!([
        {"field": "employee_id", "label": "Employee number", "type": "text"},
        {"field": "site", "label": "  ", "type": "text"}
    ]);
    let stored = doc(v.clone());
    let errors = stored.validate(&shop_id()).unwrap_err();
    let found: Vec<_> = errors.iter().map(|e| (e.path.as_str(), e.code)).collect();
    assert_eq!(found, [("items[0].required_data[1].label", "required")]);
    let item = stored.items[0].clone();
    let saved: Vec<_> = stored
        .check_item(&item, &[])
        .into_iter()
        .map(|e| (e.path, e.code))
        .collect();
    assert_eq!(saved, [("required_data[1].label".to_string(), "required")]);
    assert!(stored.validate_part(&shop_id()).is_ok(), "read once stored");
    v["items"][0]["required_data"][1]["label"] = json!("Site");
    assert!(doc(v).validate(&shop_id()).is_ok());
}

/// A shop that had a manager keeps one (an import or new settings without any would leave
/// nobody to change it from the back office); a shop that never had staff may still be saved.
#[test]
fn the_last_manager_cannot_be_taken_away() {
    let mut v = minimal();
    v["staff"] =
        json!([{"username": "manager", "role": "manager"}, {"username": "op", "role": "operator"}]);
    let before = doc(v.clone());
    v["staff"] = json!([{"username": "op", "role": "operator"}]);
    let problem = doc(v.clone())
        .last_manager_problem(&before)
        .expect("refused");
    assert_eq!(
        (problem.path.as_str(), problem.code),
        ("staff", "manager_required")
    );
    v["staff"] = json!([{"username": "op", "role": "manager"}]);
    assert!(
        doc(v.clone()).last_manager_problem(&before).is_none(),
        "another manager"
    );
    v["staff"] = json!([]);
    assert!(
        doc(v).last_manager_problem(&doc(minimal())).is_none(),
        "never had one"
    );
}

/// The shop's terms are bounded as their translations are, with the bound for the page to say;
/// a shop stored before the bound still reads.
#[test]
fn the_terms_have_a_bound() {
    let mut v = minimal();
    v["terms"] = json!("x".repeat(20_001));
    v["texts"] = json!({"fr": {"terms": "x".repeat(20_001)}});
    let errors = doc(v.clone()).validate(&shop_id()).unwrap_err();
    let found: Vec<_> = errors
        .iter()
        .map(|e| (e.path.as_str(), e.code, e.params.get("max").cloned()))
        .collect();
    assert_eq!(
        found,
        [
            ("texts.fr.terms", "too_long", Some(json!(20_000))),
            ("terms", "too_long", Some(json!(20_000)))
        ]
    );
    v["texts"]["fr"]["terms"] = json!("x".repeat(20_000));
    let stored = doc(v.clone());
    let settings = stored.validate_settings(&shop_id()).unwrap_err();
    assert_eq!(settings[0].path, "terms", "nor as settings");
    assert!(stored.validate_part(&shop_id()).is_ok(), "read once stored");
    v["terms"] = json!("x".repeat(20_000));
    assert!(doc(v).validate(&shop_id()).is_ok());
}
