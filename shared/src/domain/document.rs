//! The shop document: the whole shop as one JSON document (settings, taxes, categories, items),
//! as imported with `PUT /admin/shops/{shop}` and exported with `GET /admin/shops/{shop}`.
//!
//! The document is the stored form of a shop too. Leaves are plain strings here so that
//! [`ShopDocument::validate`] can report every problem at once with its path, instead of
//! stopping at the first bad value as a deserializer would.
//!
//! Secrets (gateway credentials, item passwords) are write-only: [`ShopDocument::masked`]
//! replaces them with [`SECRET_MARKER`] for export, and [`ShopDocument::keep_secrets_from`]
//! puts the stored secret back where an import sends the marker.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::catalog::{
    Category, FieldSpec, FieldType, Handler, Item, ItemKind, ItemStatus, PaymentMethod, SeatMode,
    Seller, Shop, Step, Visibility,
};
use super::ids::{CategoryId, ItemCode, ShopId, TaxCode};
use super::money::{Currency, parse_decimal};
use super::pricing::{MAX_UNIT_PRICE, PriceTier, PriceTiers, TaxRate};
use super::{Errors, FieldError};

/// Shown instead of a secret on export; sending it back on import keeps the stored secret.
pub const SECRET_MARKER: &str = "********";

/// The largest stored document: one DynamoDB item holds at most 400 KB.
pub const MAX_DOCUMENT_BYTES: usize = 350_000;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShopDocument {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub name: String,
    pub currency: String,
    #[serde(default)]
    pub test_mode: bool,
    pub payment_methods: Vec<String>,
    #[serde(default)]
    pub default_payment_method: Option<String>,
    #[serde(default)]
    pub customer_support_course: Option<u64>,
    #[serde(default)]
    pub terms: Option<String>,
    #[serde(default)]
    pub seller: BTreeMap<String, String>,
    #[serde(default)]
    pub gateways: BTreeMap<String, Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_order: Option<Vec<String>>,
    pub taxes: Vec<TaxDoc>,
    #[serde(default)]
    pub categories: Vec<CategoryDoc>,
    #[serde(default)]
    pub items: Vec<ItemDoc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaxDoc {
    pub code: String,
    pub rate: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryDoc {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub parent: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemDoc {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default = "default_kind")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<PartDoc>,
    #[serde(default = "default_status")]
    pub status: String,
    #[serde(default = "default_visibility")]
    pub visibility: String,
    pub prices: Vec<PriceDoc>,
    pub tax: String,
    #[serde(default)]
    pub max_quantity: Option<u32>,
    #[serde(default)]
    pub stock: Option<u32>,
    #[serde(default = "default_seat_mode")]
    pub seat_mode: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub seat_roles: Vec<String>,
    #[serde(default)]
    pub required_data: Vec<FieldDoc>,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub eula: Option<String>,
    #[serde(default)]
    pub renewable: bool,
    #[serde(default)]
    pub handler: Option<HandlerDoc>,
}

fn default_kind() -> String {
    "product".into()
}
fn default_status() -> String {
    "available".into()
}
fn default_visibility() -> String {
    "everyone".into()
}
fn default_seat_mode() -> String {
    "none".into()
}
fn default_field_type() -> String {
    "text".into()
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartDoc {
    pub code: String,
    #[serde(default = "one")]
    pub quantity: u32,
}

fn one() -> u32 {
    1
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceDoc {
    pub up_to: Option<u32>,
    pub unit_price: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldDoc {
    pub field: String,
    pub label: String,
    #[serde(rename = "type", default = "default_field_type")]
    pub kind: String,
    #[serde(default)]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandlerDoc {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub params: Map<String, Value>,
}

/// Whether a gateway setting holds a secret, by its name. Deliberately broad: a setting
/// wrongly taken for a secret is only hidden on export, a secret taken for a plain setting leaks.
pub fn is_secret_setting(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "secret",
        "password",
        "passphrase",
        "token",
        "certificate",
        "sha_in",
        "sha_out",
    ]
    .iter()
    .any(|w| n.contains(w))
        || n == "key"
        || n.ends_with("_key")
}

impl ShopDocument {
    /// Parses a document from JSON, reporting a structural problem with its path.
    pub fn from_json(body: &[u8]) -> Result<Self, FieldError> {
        let de = &mut serde_json::Deserializer::from_slice(body);
        serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            FieldError::new(
                if path == "." { String::new() } else { path },
                e.inner().to_string(),
            )
        })
    }

    /// This document with every secret replaced by [`SECRET_MARKER`].
    pub fn masked(&self) -> Self {
        let mut doc = self.clone();
        for settings in doc.gateways.values_mut() {
            for (name, value) in settings.iter_mut() {
                if is_secret_setting(name) && !value.is_null() {
                    *value = Value::String(SECRET_MARKER.into());
                }
            }
        }
        for item in &mut doc.items {
            if item.password.is_some() {
                item.password = Some(SECRET_MARKER.into());
            }
        }
        doc
    }

    /// Replaces each [`SECRET_MARKER`] by the secret stored in `stored` (the shop as it is),
    /// and reports a marker that stands for no stored secret.
    pub fn keep_secrets_from(&mut self, stored: Option<&ShopDocument>, errors: &mut Errors) {
        let marker = Value::String(SECRET_MARKER.into());
        for (method, settings) in self.gateways.iter_mut() {
            for (name, value) in settings.iter_mut() {
                if *value != marker {
                    continue;
                }
                let old = stored
                    .and_then(|s| s.gateways.get(method))
                    .and_then(|g| g.get(name))
                    .filter(|v| **v != marker);
                match old {
                    Some(old) => *value = old.clone(),
                    None => errors.add(
                        format!("gateways.{method}.{name}"),
                        "the secret marker stands for a stored secret, and none is stored",
                    ),
                }
            }
        }
        for (i, item) in self.items.iter_mut().enumerate() {
            if item.password.as_deref() != Some(SECRET_MARKER) {
                continue;
            }
            let old = stored
                .and_then(|s| s.items.iter().find(|o| o.code == item.code))
                .and_then(|o| o.password.clone());
            match old {
                Some(old) => item.password = Some(old),
                None => errors.add(
                    format!("items[{i}].password"),
                    "the secret marker stands for a stored password, and none is stored",
                ),
            }
        }
    }

    /// Checks the whole document and builds the shop, or lists every problem found.
    pub fn validate(&self, expected_id: &ShopId) -> Result<Shop, Vec<FieldError>> {
        let mut e = Errors::default();
        if self
            .id
            .as_deref()
            .is_some_and(|id| id != expected_id.as_str())
        {
            e.add(
                "id",
                format!("must be the shop id of the URL, `{expected_id}`"),
            );
        }
        let name = text(&mut e, "name", &self.name, 200);
        let currency = e.check("currency", Currency::from_str(&self.currency));
        let methods = self.payment_methods(&mut e);
        let default_method = self.default_method(&mut e, &methods);
        if let Some(seller) = self.seller.get("name") {
            text(&mut e, "seller.name", seller, 200);
        }
        self.check_gateways(&mut e);
        let step_order = self.step_order(&mut e);
        let taxes = self.taxes(&mut e);
        let categories = self.categories(&mut e);
        let known_categories: HashSet<&str> =
            self.categories.iter().map(|c| c.id.as_str()).collect();
        let declared_taxes: HashSet<&str> = self.taxes.iter().map(|t| t.code.as_str()).collect();
        let items = self.items(&mut e, currency, &declared_taxes, &known_categories);
        self.check_parts(&mut e);
        if let Ok(json) = serde_json::to_vec(self)
            && json.len() > MAX_DOCUMENT_BYTES
        {
            e.add(
                "",
                format!("the document is larger than {MAX_DOCUMENT_BYTES} bytes"),
            );
        }
        if !e.is_empty() {
            return Err(e.into_vec());
        }
        let mut seller = self.seller.clone();
        Ok(Shop {
            id: expected_id.clone(),
            name: name.unwrap_or_default(),
            currency: currency.expect("checked"),
            test_mode: self.test_mode,
            payment_methods: methods,
            default_payment_method: default_method.expect("checked"),
            customer_support_course: self.customer_support_course,
            terms: self.terms.clone(),
            seller: Seller {
                name: seller.remove("name").unwrap_or_default(),
                fields: seller,
            },
            step_order,
            taxes,
            categories,
            items,
        })
    }

    fn payment_methods(&self, e: &mut Errors) -> Vec<PaymentMethod> {
        if self.payment_methods.is_empty() {
            e.add("payment_methods", "enable at least one payment method");
        }
        let mut seen = BTreeSet::new();
        let mut methods = Vec::new();
        for (i, m) in self.payment_methods.iter().enumerate() {
            if let Some(m) = e.check(format!("payment_methods[{i}]"), m.parse::<PaymentMethod>()) {
                if seen.insert(m) {
                    methods.push(m);
                } else {
                    e.add(format!("payment_methods[{i}]"), "listed twice");
                }
            }
        }
        if methods.contains(&PaymentMethod::Test) && !self.test_mode {
            e.add("payment_methods", "`test` can only be enabled in test mode");
        }
        methods
    }

    fn default_method(&self, e: &mut Errors, methods: &[PaymentMethod]) -> Option<PaymentMethod> {
        let Some(text) = &self.default_payment_method else {
            return methods.first().copied();
        };
        let m = e.check("default_payment_method", text.parse::<PaymentMethod>())?;
        if !methods.contains(&m) {
            e.add(
                "default_payment_method",
                "must be one of the enabled payment_methods",
            );
        }
        Some(m)
    }

    fn check_gateways(&self, e: &mut Errors) {
        for (method, settings) in &self.gateways {
            let path = format!("gateways.{method}");
            if e.check(&path, method.parse::<PaymentMethod>()).is_none() {
                continue;
            }
            let text = |name: &str| settings.get(name).and_then(Value::as_str);
            if let (Some(sha_in), Some(sha_out)) = (text("sha_in"), text("sha_out"))
                && sha_in == sha_out
                && sha_in != SECRET_MARKER
            {
                // Otherwise a payment form the shop signs would verify as a notification.
                e.add(
                    format!("{path}.sha_out"),
                    "the SHA-OUT passphrase must differ from the SHA-IN one",
                );
            }
            for (name, value) in settings {
                if value.is_object() || value.is_array() {
                    e.add(
                        format!("{path}.{name}"),
                        "settings are strings, numbers or booleans",
                    );
                }
            }
        }
    }

    fn step_order(&self, e: &mut Errors) -> Vec<Step> {
        let Some(order) = &self.step_order else {
            return Shop::DEFAULT_STEP_ORDER.to_vec();
        };
        let steps: Vec<Step> = order
            .iter()
            .enumerate()
            .filter_map(|(i, s)| e.check(format!("step_order[{i}]"), s.parse()))
            .collect();
        let distinct: BTreeSet<Step> = steps.iter().copied().collect();
        if steps.len() != Step::ALL.len() || distinct.len() != Step::ALL.len() {
            e.add(
                "step_order",
                "list each of requirements, participants, customer once",
            );
        }
        steps
    }

    fn taxes(&self, e: &mut Errors) -> BTreeMap<TaxCode, TaxRate> {
        let mut taxes = BTreeMap::new();
        if self.taxes.is_empty() {
            e.add("taxes", "define at least one tax code (a 0 rate is fine)");
        }
        for (i, tax) in self.taxes.iter().enumerate() {
            let code = e.check(format!("taxes[{i}].code"), tax.code.parse::<TaxCode>());
            let rate = e.check(
                format!("taxes[{i}].rate"),
                parse_decimal(&tax.rate).and_then(TaxRate::new),
            );
            if let (Some(code), Some(rate)) = (code, rate)
                && taxes.insert(code, rate).is_some()
            {
                e.add(format!("taxes[{i}].code"), "defined twice");
            }
        }
        taxes
    }

    fn categories(&self, e: &mut Errors) -> Vec<Category> {
        let ids: HashSet<&str> = self.categories.iter().map(|c| c.id.as_str()).collect();
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for (i, c) in self.categories.iter().enumerate() {
            let path = format!("categories[{i}]");
            let id = e.check(format!("{path}.id"), c.id.parse::<CategoryId>());
            if !seen.insert(c.id.as_str()) {
                e.add(format!("{path}.id"), "defined twice");
            }
            text(e, &format!("{path}.name"), &c.name, 200);
            let parent = c.parent.as_deref().and_then(|p| {
                if !ids.contains(p) {
                    e.add(format!("{path}.parent"), format!("no category `{p}`"));
                }
                p.parse::<CategoryId>().ok()
            });
            if let Some(id) = id {
                out.push(Category {
                    id,
                    name: c.name.clone(),
                    parent,
                });
            }
        }
        self.check_category_cycles(e);
        out
    }

    /// A category tree has no cycles: following parents from any category ends at a root.
    fn check_category_cycles(&self, e: &mut Errors) {
        let parent: BTreeMap<&str, &str> = self
            .categories
            .iter()
            .filter_map(|c| c.parent.as_deref().map(|p| (c.id.as_str(), p)))
            .collect();
        for (i, c) in self.categories.iter().enumerate() {
            let mut at = c.id.as_str();
            for _ in 0..=self.categories.len() {
                match parent.get(at) {
                    Some(p) if *p == c.id => {
                        e.add(
                            format!("categories[{i}].parent"),
                            "the category tree has a cycle",
                        );
                        break;
                    }
                    Some(p) => at = p,
                    None => break,
                }
            }
        }
    }

    fn items(
        &self,
        e: &mut Errors,
        currency: Option<Currency>,
        taxes: &HashSet<&str>,
        categories: &HashSet<&str>,
    ) -> Vec<Item> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for (i, doc) in self.items.iter().enumerate() {
            let path = format!("items[{i}]");
            if !seen.insert(doc.code.as_str()) {
                e.add(
                    format!("{path}.code"),
                    "an item with this code is already defined",
                );
            }
            if let Some(item) = doc.validate(e, &path, currency, taxes, categories) {
                out.push(item);
            }
        }
        out
    }

    /// Set and bundle parts name products of this shop.
    fn check_parts(&self, e: &mut Errors) {
        let kinds: BTreeMap<&str, &str> = self
            .items
            .iter()
            .map(|i| (i.code.as_str(), i.kind.as_str()))
            .collect();
        for (i, item) in self.items.iter().enumerate() {
            let grouping = item.kind == "set" || item.kind == "bundle";
            if grouping && item.parts.is_empty() {
                e.add(
                    format!("items[{i}].parts"),
                    "a set or bundle lists its parts",
                );
            }
            if !grouping && !item.parts.is_empty() {
                e.add(
                    format!("items[{i}].parts"),
                    "only sets and bundles have parts",
                );
            }
            for (j, part) in item.parts.iter().enumerate() {
                let path = format!("items[{i}].parts[{j}]");
                match kinds.get(part.code.as_str()) {
                    Some(&"product") => {}
                    Some(_) => e.add(format!("{path}.code"), "a part must be a product"),
                    None => e.add(format!("{path}.code"), format!("no item `{}`", part.code)),
                }
                if part.quantity == 0 {
                    e.add(format!("{path}.quantity"), "must be at least 1");
                }
            }
        }
    }
}

impl ItemDoc {
    fn validate(
        &self,
        e: &mut Errors,
        path: &str,
        currency: Option<Currency>,
        taxes: &HashSet<&str>,
        categories: &HashSet<&str>,
    ) -> Option<Item> {
        let code = e.check(format!("{path}.code"), self.code.parse::<ItemCode>());
        let name = text(e, &format!("{path}.name"), &self.name, 200);
        let category = self.category.as_deref().and_then(|c| {
            if !categories.contains(c) {
                e.add(format!("{path}.category"), format!("no category `{c}`"));
            }
            c.parse::<CategoryId>().ok()
        });
        let kind = e.check(format!("{path}.kind"), self.kind.parse::<ItemKind>());
        let status = e.check(format!("{path}.status"), self.status.parse::<ItemStatus>());
        let visibility = e.check(
            format!("{path}.visibility"),
            self.visibility.parse::<Visibility>(),
        );
        let prices = self.prices(e, path, currency);
        let tax = e.check(format!("{path}.tax"), self.tax.parse::<TaxCode>());
        if tax.is_some() && !taxes.contains(self.tax.as_str()) {
            e.add(format!("{path}.tax"), format!("no tax code `{}`", self.tax));
        }
        if self.max_quantity == Some(0) {
            e.add(
                format!("{path}.max_quantity"),
                "must be at least 1 (or null for no limit)",
            );
        }
        let seat_mode = e.check(
            format!("{path}.seat_mode"),
            self.seat_mode.parse::<SeatMode>(),
        );
        let seat_roles = self.seat_roles(e, path);
        let required_data = self.required_data(e, path);
        if self.password.as_deref() == Some("") {
            e.add(
                format!("{path}.password"),
                "must not be empty (use null for none)",
            );
        }
        let handler = self.handler.as_ref().map(|h| {
            text(e, &format!("{path}.handler.type"), &h.kind, 60);
            if let Err(problem) = super::handler::HandlerSpec::parse(&h.kind, &h.params) {
                e.add(format!("{path}.handler"), problem);
            }
            Handler {
                kind: h.kind.clone(),
                params: h.params.clone(),
            }
        });
        Some(Item {
            code: code?,
            name: name?,
            description: self.description.clone(),
            category,
            kind: kind?,
            parts: self
                .parts
                .iter()
                .filter_map(|p| Some((p.code.parse().ok()?, p.quantity)))
                .collect(),
            status: status?,
            visibility: visibility?,
            prices: prices?,
            tax: tax?,
            max_quantity: self.max_quantity,
            stock: self.stock,
            seat_mode: seat_mode?,
            seat_roles,
            required_data: required_data?,
            password: self.password.clone(),
            eula: self.eula.clone(),
            renewable: self.renewable,
            handler,
        })
    }

    /// Price tiers; amounts are checked against the currency's minor unit when the currency
    /// is valid, as plain non-negative decimals otherwise.
    fn prices(&self, e: &mut Errors, path: &str, currency: Option<Currency>) -> Option<PriceTiers> {
        let amount = |text: &str| {
            match currency {
                Some(c) => c.parse_amount(text),
                None => parse_decimal(text).and_then(|d| {
                    if d.is_sign_negative() {
                        Err("must not be negative".into())
                    } else {
                        Ok(d)
                    }
                }),
            }
            .and_then(|d| {
                if d > MAX_UNIT_PRICE {
                    Err(format!("must be at most {MAX_UNIT_PRICE}"))
                } else {
                    Ok(d)
                }
            })
        };
        let tiers: Vec<Option<PriceTier>> = self
            .prices
            .iter()
            .enumerate()
            .map(|(j, p)| {
                let unit_price = e.check(
                    format!("{path}.prices[{j}].unit_price"),
                    amount(&p.unit_price),
                )?;
                Some(PriceTier {
                    up_to: p.up_to,
                    unit_price,
                })
            })
            .collect();
        let tiers: Vec<PriceTier> = tiers.into_iter().collect::<Option<_>>()?;
        e.check(format!("{path}.prices"), PriceTiers::new(tiers))
    }

    fn seat_roles(&self, e: &mut Errors, path: &str) -> Vec<String> {
        if self.seat_roles.is_empty() {
            return vec!["student".into()];
        }
        for (j, role) in self.seat_roles.iter().enumerate() {
            if role.is_empty() || !role.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                e.add(
                    format!("{path}.seat_roles[{j}]"),
                    "a Moodle role short name such as `student`",
                );
            }
        }
        self.seat_roles.clone()
    }

    fn required_data(&self, e: &mut Errors, path: &str) -> Option<Vec<FieldSpec>> {
        let mut names = HashSet::new();
        let specs: Vec<Option<FieldSpec>> = self
            .required_data
            .iter()
            .enumerate()
            .map(|(j, f)| {
                let p = format!("{path}.required_data[{j}]");
                let field_ok = !f.field.is_empty()
                    && f.field.len() <= 40
                    && f.field
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_');
                if !field_ok {
                    e.add(format!("{p}.field"), "1 to 40 letters, digits or `_`");
                }
                if !names.insert(f.field.as_str()) {
                    e.add(format!("{p}.field"), "defined twice");
                }
                let kind = e.check(format!("{p}.type"), f.kind.parse::<FieldType>())?;
                if (kind == FieldType::Select) == f.options.is_empty() {
                    e.add(
                        format!("{p}.options"),
                        "a select field lists options; other types have none",
                    );
                }
                Some(FieldSpec {
                    field: f.field.clone(),
                    label: f.label.clone(),
                    kind,
                    required: f.required,
                    options: f.options.clone(),
                })
            })
            .collect();
        specs.into_iter().collect()
    }
}

/// A required, trimmed, bounded text; records an error and gives `None` otherwise.
fn text(e: &mut Errors, path: &str, value: &str, max: usize) -> Option<String> {
    let value = value.trim();
    if value.is_empty() {
        e.add(path, "must not be empty");
        None
    } else if value.chars().count() > max {
        e.add(path, format!("must be at most {max} characters"));
        None
    } else {
        Some(value.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(value: Value) -> ShopDocument {
        serde_json::from_value(value).unwrap()
    }

    fn minimal() -> Value {
        json!({
            "name": "Demo", "currency": "EUR", "test_mode": true,
            "payment_methods": ["test", "check"],
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
        v["categories"] = json!([{"id": "a", "name": "A", "parent": "b"}, {"id": "b", "name": "B", "parent": "a"}]);
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
}
