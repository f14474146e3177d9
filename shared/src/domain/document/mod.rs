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

use crate::domain::catalog::{
    Category, FieldSpec, FieldType, Handler, Item, ItemKind, ItemStatus, Localized, PaymentMethod,
    SeatMode, Seller, Shop, StaffMember, StaffRole, Step, Translations, Visibility,
};
use crate::domain::ids::{CategoryId, ItemCode, ShopId, TaxCode};
use crate::domain::message::{
    MessageKind, MessageText, MessageTexts, TemplateSource, check_template,
};
use crate::domain::money::{Currency, parse_decimal};
use crate::domain::pricing::{MAX_UNIT_PRICE, PriceTier, PriceTiers, TaxRate};
use crate::domain::{Errors, FieldError, Language, Reason};

mod item;

use item::text;

/// Shown instead of a secret on export; sending it back on import keeps the stored secret.
pub const SECRET_MARKER: &str = "********";

/// The largest shop settings (the document without its items): they are stored as one
/// DynamoDB item, which holds at most 400 KB. Items are stored one record each.
pub const MAX_DOCUMENT_BYTES: usize = 350_000;

/// The most items a shop sells (an import of 20,000 items is some 6 MB of JSON, what a Lambda
/// request body holds).
pub const MAX_ITEMS: usize = 20_000;

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
    /// Every buyer is enrolled here (as a student); an id, a short name or `{"idnumber"}`.
    #[serde(default)]
    pub customer_support_course: Option<crate::domain::handler::CourseRef>,
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
    /// Days before an enrolment ends when its buyer is reminded (default 14 and 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reminder_days: Option<Vec<u32>>,
    /// The shop's own words for messages: `{"order_placed": {"fr": {"subject", "body"}}}`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub messages: BTreeMap<String, BTreeMap<String, MessageTextDoc>>,
    /// Who signs in to the back office: Moodle usernames with their role.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub staff: Vec<StaffDoc>,
    /// The shop's words in another language than the document's: `{"fr": {"terms": ...}}`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub texts: BTreeMap<String, TextsDoc>,
    /// Printed on invoices: when payment is due (`Payable on receipt`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_terms: Option<String>,
    /// Printed on invoices: the penalties for late payment a business invoice must state in
    /// France (rate, fixed recovery fee).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub late_payment: Option<String>,
}

impl ShopDocument {
    /// The shop's name in `language`: its `texts.<language>.name`, else the document's.
    pub fn name_in(&self, language: Language) -> String {
        self.text_in(language, |t| t.name.as_ref(), Some(&self.name))
            .unwrap_or_default()
    }

    /// One of the shop's own texts in `language`: its `texts.<language>` words, else the
    /// document's.
    pub fn text_in(
        &self,
        language: Language,
        pick: impl Fn(&TextsDoc) -> Option<&String>,
        own: Option<&String>,
    ) -> Option<String> {
        self.texts
            .get(language.as_str())
            .and_then(pick)
            .or(own)
            .cloned()
    }
}

/// What a buyer of one language reads instead of the document's own words (for the shop,
/// a category or an item; each uses the fields it has). Missing texts fall back to the
/// document's.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextsDoc {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eula: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terms: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_terms: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub late_payment: Option<String>,
    /// Required-data labels, by field.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// How a select field's options read, by field then option (the value kept stays the
    /// option itself).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, BTreeMap<String, String>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffDoc {
    pub username: String,
    pub role: String,
}

/// A message's subject and body in one language, with the message's placeholders.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageTextDoc {
    pub subject: String,
    pub body: String,
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
    /// The name in other languages: `{"fr": {"name": ...}}`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub texts: BTreeMap<String, TextsDoc>,
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
    /// Name, description, EULA and required-data words in other languages.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub texts: BTreeMap<String, TextsDoc>,
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

/// How much of a document a build checks.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// An import: everything.
    Import,
    /// New settings over the stored items.
    Settings,
    /// A stored shop read with some of its items: what a shop needs to be built.
    Stored,
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
                        Reason::new(
                            "no_stored_secret",
                            "the secret marker stands for a stored secret, and none is stored",
                        ),
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
                    Reason::new(
                        "no_stored_secret",
                        "the secret marker stands for a stored password, and none is stored",
                    ),
                ),
            }
        }
    }

    /// Checks the whole document and builds the shop, or lists every problem found.
    pub fn validate(&self, expected_id: &ShopId) -> Result<Shop, Vec<FieldError>> {
        self.build(expected_id, Scope::Import)
    }

    /// Checks new settings over the stored items: everything an import checks but the items'
    /// deliveries, which the settings do not change (each was checked when saved).
    pub fn validate_settings(&self, expected_id: &ShopId) -> Result<Shop, Vec<FieldError>> {
        self.build(expected_id, Scope::Settings)
    }

    /// Builds a stored shop read with only some of its items (its settings and the items a
    /// request needs). The whole was checked at import; the checks that need every item
    /// (a bundle's parts exist, sizes) are left out.
    pub fn validate_part(&self, expected_id: &ShopId) -> Result<Shop, Vec<FieldError>> {
        self.build(expected_id, Scope::Stored)
    }

    fn build(&self, expected_id: &ShopId, scope: Scope) -> Result<Shop, Vec<FieldError>> {
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
        let currency = e.check(
            "currency",
            Currency::from_str(&self.currency).map_err(Reason::coded("currency_code")),
        );
        let methods = self.payment_methods(&mut e);
        let default_method = self.default_method(&mut e, &methods);
        if let Some(seller) = self.seller.get("name") {
            text(&mut e, "seller.name", seller, 200);
        }
        self.sales_address(&mut e);
        if let Some(course) = &self.customer_support_course {
            e.check("customer_support_course", course.check("course"));
        }
        self.check_gateways(&mut e);
        let step_order = self.step_order(&mut e);
        let taxes = self.taxes(&mut e);
        let categories = self.categories(&mut e);
        let known_categories: HashSet<&str> =
            self.categories.iter().map(|c| c.id.as_str()).collect();
        let declared_taxes: HashSet<&str> = self.taxes.iter().map(|t| t.code.as_str()).collect();
        let items = self.items(&mut e, currency, &declared_taxes, &known_categories);
        let reminder_days = self.reminder_days(&mut e);
        let messages = self.messages(&mut e);
        let staff = self.staff(&mut e);
        let texts = translations(&mut e, "texts", &self.texts, &[]);
        for (field, value) in [
            ("payment_terms", &self.payment_terms),
            ("late_payment", &self.late_payment),
        ] {
            if let Some(v) = value {
                text(&mut e, field, v, 2_000);
            }
        }
        for (lang, t) in &self.texts {
            let shop_texts = [
                ("name", &t.name),
                ("terms", &t.terms),
                ("payment_terms", &t.payment_terms),
                ("late_payment", &t.late_payment),
            ];
            for (field, value) in shop_texts {
                if let Some(v) = value {
                    text(&mut e, &format!("texts.{lang}.{field}"), v, 20_000);
                }
            }
        }
        if scope != Scope::Stored {
            // The terms as long as their translations (a bound of 2026-12-08: a shop stored
            // before is still read).
            if (self.terms.as_deref()).is_some_and(|t| t.trim().chars().count() > 20_000) {
                e.add("terms", Reason::too_long(20_000));
            }
            self.check_parts(&mut e);
            self.check_sizes(&mut e);
        }
        if scope == Scope::Import {
            for (i, item) in self.items.iter().enumerate() {
                item.check_on_save(&mut e, &format!("items[{i}]"));
            }
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
            customer_support_course: self.customer_support_course.clone(),
            terms: self.terms.clone(),
            seller: Seller {
                name: seller.remove("name").unwrap_or_default(),
                fields: seller,
            },
            step_order,
            taxes,
            categories,
            items,
            reminder_days,
            messages,
            staff,
            texts,
        })
    }

    /// Checks one item against these settings (currency, taxes, categories) and the items
    /// its parts name, as an import would; each problem's path is the item's own
    /// (`prices[0].unit_price`).
    pub fn check_item(&self, item: &ItemDoc, parts: &[ItemDoc]) -> Vec<FieldError> {
        let mut e = Errors::default();
        let currency = Currency::from_str(&self.currency).ok();
        let taxes: HashSet<&str> = self.taxes.iter().map(|t| t.code.as_str()).collect();
        let categories: HashSet<&str> = self.categories.iter().map(|c| c.id.as_str()).collect();
        item.validate(&mut e, "item", currency, &taxes, &categories);
        item.check_on_save(&mut e, "item");
        let with_parts = Self {
            items: std::iter::once(item.clone())
                .chain(parts.iter().cloned())
                .collect(),
            ..self.clone()
        };
        with_parts.check_parts(&mut e);
        e.into_vec()
            .into_iter()
            .filter_map(|mut p| {
                let own = p
                    .path
                    .strip_prefix("item.")
                    .or_else(|| p.path.strip_prefix("items[0]."))?;
                p.path = own.to_owned();
                Some(p)
            })
            .collect()
    }

    /// The settings fit one stored record, and the items are at most [`MAX_ITEMS`].
    fn check_sizes(&self, e: &mut Errors) {
        let settings = Self {
            items: Vec::new(),
            ..self.clone()
        };
        if serde_json::to_vec(&settings).is_ok_and(|json| json.len() > MAX_DOCUMENT_BYTES) {
            e.add(
                "",
                format!(
                    "the shop's settings (the document without its items) are larger than \
                     {MAX_DOCUMENT_BYTES} bytes"
                ),
            );
        }
        if self.items.len() > MAX_ITEMS {
            let text = format!("a shop sells at most {MAX_ITEMS} items");
            e.add(
                "items",
                Reason::new("too_many", text).with("max", MAX_ITEMS),
            );
        }
    }

    /// At most 100 members, each a Moodle username (one line, no space) listed once.
    fn staff(&self, e: &mut Errors) -> Vec<StaffMember> {
        if self.staff.len() > 100 {
            let text = "list at most 100 members of staff";
            e.add("staff", Reason::new("too_many", text).with("max", 100));
        }
        let mut seen = HashSet::new();
        let mut staff = Vec::new();
        for (i, member) in self.staff.iter().enumerate() {
            let path = format!("staff[{i}]");
            let username = member.username.trim().to_lowercase();
            if username.is_empty()
                || username.chars().count() > 100
                || username
                    .chars()
                    .any(|c| c.is_whitespace() || c.is_control())
            {
                e.add(
                    format!("{path}.username"),
                    Reason::new(
                        "moodle_username",
                        "give a Moodle username: 1 to 100 characters, no space",
                    ),
                );
            } else if !seen.insert(username.clone()) {
                e.add(format!("{path}.username"), twice("listed twice"));
            }
            if let Some(role) = e.check(format!("{path}.role"), member.role.parse::<StaffRole>()) {
                staff.push(StaffMember { username, role });
            }
        }
        staff
    }

    /// The shop's message texts: known messages and languages, placeholders the message knows.
    fn messages(&self, e: &mut Errors) -> MessageTexts {
        let mut texts = MessageTexts::new();
        for (kind_name, languages) in &self.messages {
            let path = format!("messages.{kind_name}");
            let Some(kind) = e.check(&path, kind_name.parse::<MessageKind>()) else {
                continue;
            };
            for (language_name, doc) in languages {
                let path = format!("{path}.{language_name}");
                let Some(language) = e.check(&path, language_name.parse::<Language>()) else {
                    continue;
                };
                let source = |field: &str, text, max_chars, one_line| TemplateSource {
                    path: format!("{path}.{field}"),
                    text,
                    max_chars,
                    one_line,
                };
                let subject = check_template(e, kind, source("subject", &doc.subject, 200, true));
                let body = check_template(e, kind, source("body", &doc.body, 20_000, false));
                if let (Some(mut subject), Some(body)) = (subject, body) {
                    let subject = subject.remove(0);
                    texts.insert((kind, language), MessageText { subject, body });
                }
            }
        }
        texts
    }

    /// At most 5 distinct days, from 1 to 365, largest first.
    fn reminder_days(&self, e: &mut Errors) -> Vec<u32> {
        let Some(days) = &self.reminder_days else {
            return Shop::DEFAULT_REMINDER_DAYS.to_vec();
        };
        let mut sorted: Vec<u32> = days.clone();
        sorted.sort_unstable_by(|a, b| b.cmp(a));
        sorted.dedup();
        if days.len() > 5
            || sorted.len() != days.len()
            || days.iter().any(|d| !(1..=365).contains(d))
        {
            e.add(
                "reminder_days",
                Reason::new(
                    "reminder_days",
                    "give at most 5 different numbers of days, each from 1 to 365",
                ),
            );
        }
        sorted
    }

    fn payment_methods(&self, e: &mut Errors) -> Vec<PaymentMethod> {
        if self.payment_methods.is_empty() {
            let text = "enable at least one payment method";
            e.add("payment_methods", Reason::new("no_payment_method", text));
        }
        let mut seen = BTreeSet::new();
        let mut methods = Vec::new();
        for (i, m) in self.payment_methods.iter().enumerate() {
            if let Some(m) = e.check(format!("payment_methods[{i}]"), m.parse::<PaymentMethod>()) {
                if seen.insert(m) {
                    methods.push(m);
                } else {
                    e.add(format!("payment_methods[{i}]"), twice("listed twice"));
                }
            }
        }
        if methods.contains(&PaymentMethod::Test) && !self.test_mode {
            let text = "`test` can only be enabled in test mode";
            e.add("payment_methods", Reason::new("test_needs_test_mode", text));
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
                Reason::new(
                    "method_not_offered",
                    "must be one of the enabled payment_methods",
                ),
            );
        }
        Some(m)
    }

    /// `seller.email`, the shop's sales address, when given, is an address.
    fn sales_address(&self, e: &mut Errors) {
        if let Some(address) = self.seller.get("email") {
            e.check(
                "seller.email",
                address
                    .trim()
                    .parse::<crate::domain::ids::Email>()
                    .map_err(Reason::coded("invalid_email")),
            );
        }
    }

    /// What an import requires beyond a valid document: a sales address (`seller.email`),
    /// since the buyers' replies and the operators' alerts go to it. Shops stored before it was
    /// required still load (their messages to the shop are then given up on, and listed).
    pub fn import_problems(&self) -> Vec<FieldError> {
        match self.seller.get("email") {
            Some(_) => Vec::new(),
            None => vec![FieldError::new(
                "seller.email",
                Reason::new(
                    "sales_address_required",
                    "give the shop's sales address: the buyers' replies and the operators' alerts go to it",
                ),
            )],
        }
    }

    /// Taking away the shop's last manager (an import or new settings over a shop that had
    /// one) would leave nobody to change its catalogue or settings from the back office: only
    /// the deployment's API token could.
    pub fn last_manager_problem(&self, before: &ShopDocument) -> Option<FieldError> {
        let manager = StaffRole::Manager.as_str();
        let has_manager = |d: &ShopDocument| d.staff.iter().any(|s| s.role == manager);
        (has_manager(before) && !has_manager(self)).then(|| {
            let text = "keep at least one manager: without one, nobody can change the \
                        catalogue or these settings from the back office";
            FieldError::new("staff", Reason::new("manager_required", text))
        })
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
                    Reason::new(
                        "sha_out_same",
                        "the SHA-OUT passphrase must differ from the SHA-IN one",
                    ),
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
            let text = "define at least one tax code (a 0 rate is fine)";
            e.add("taxes", Reason::new("no_tax", text));
        }
        for (i, tax) in self.taxes.iter().enumerate() {
            let code = e.check(
                format!("taxes[{i}].code"),
                tax.code.parse::<TaxCode>().map_err(identifier(20)),
            );
            let rate = e.check(
                format!("taxes[{i}].rate"),
                parse_decimal(&tax.rate)
                    .map_err(Reason::coded("invalid_number"))
                    .and_then(TaxRate::new),
            );
            if let (Some(code), Some(rate)) = (code, rate)
                && taxes.insert(code, rate).is_some()
            {
                e.add(format!("taxes[{i}].code"), twice("defined twice"));
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
            let id = e.check(
                format!("{path}.id"),
                c.id.parse::<CategoryId>().map_err(identifier(40)),
            );
            if !seen.insert(c.id.as_str()) {
                e.add(format!("{path}.id"), twice("defined twice"));
            }
            text(e, &format!("{path}.name"), &c.name, 200);
            let texts = translations(e, &format!("{path}.texts"), &c.texts, &[]);
            let parent = c.parent.as_deref().and_then(|p| {
                if !ids.contains(p) {
                    e.add(format!("{path}.parent"), no_category(p));
                }
                p.parse::<CategoryId>().ok()
            });
            if let Some(id) = id {
                out.push(Category {
                    id,
                    name: c.name.clone(),
                    parent,
                    texts,
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
                            Reason::new("category_cycle", "the category tree has a cycle"),
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
                    Reason::new("code_taken", "an item with this code is already defined"),
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
                    Reason::new("parts_required", "a set or bundle lists its parts"),
                );
            }
            if !grouping && !item.parts.is_empty() {
                e.add(
                    format!("items[{i}].parts"),
                    Reason::new("parts_not_allowed", "only sets and bundles have parts"),
                );
            }
            for (j, part) in item.parts.iter().enumerate() {
                let path = format!("items[{i}].parts[{j}]");
                match kinds.get(part.code.as_str()) {
                    Some(&"product") => {}
                    Some(_) => e.add(
                        format!("{path}.code"),
                        Reason::new("part_not_product", "a part must be a product"),
                    ),
                    None => e.add(
                        format!("{path}.code"),
                        Reason::new("unknown_item", format!("no item `{}`", part.code)),
                    ),
                }
                if part.quantity == 0 {
                    e.add(
                        format!("{path}.quantity"),
                        at_least_one("must be at least 1"),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;

/// Something listed twice where each must be once (a tax code, a member of staff...).
pub(super) fn twice(text: &str) -> Reason {
    Reason::new("twice", text)
}

/// A number that must be at least 1.
pub(super) fn at_least_one(text: &str) -> Reason {
    Reason::new("at_least_one", text)
}

/// A category named that the shop does not define.
pub(super) fn no_category(id: &str) -> Reason {
    Reason::new("no_category", format!("no category `{id}`")).with("category", id)
}

/// An identifier the shop chooses (a tax code, a category id): letters, digits, `-`, `_`.
pub(super) fn identifier(max: usize) -> impl Fn(String) -> Reason {
    move |text| Reason::new("identifier", text).with("max", max)
}

/// Reads a `texts` object: languages the shop speaks (`en`, `fr`), texts of sane sizes,
/// labels and options only for required-data fields and options that exist.
pub(super) fn translations(
    e: &mut Errors,
    path: &str,
    texts: &BTreeMap<String, TextsDoc>,
    fields: &[FieldSpec],
) -> Translations {
    let mut out = Translations::new();
    for (lang, t) in texts {
        let at = format!("{path}.{lang}");
        let Some(language) = e.check(&at, lang.parse::<Language>()) else {
            continue;
        };
        for (name, value, max) in [
            ("name", &t.name, 200),
            ("description", &t.description, 20_000),
            ("eula", &t.eula, 20_000),
        ] {
            if let Some(v) = value {
                text(e, &format!("{at}.{name}"), v, max);
            }
        }
        for (field, label) in &t.labels {
            if !fields.iter().any(|f| &f.field == field) {
                e.add(
                    format!("{at}.labels.{field}"),
                    format!("no required-data field `{field}`"),
                );
            }
            text(e, &format!("{at}.labels.{field}"), label, 200);
        }
        for (field, shown) in &t.options {
            let Some(spec) = fields.iter().find(|f| &f.field == field) else {
                e.add(
                    format!("{at}.options.{field}"),
                    format!("no required-data field `{field}`"),
                );
                continue;
            };
            for (option, label) in shown {
                if !spec.options.contains(option) {
                    e.add(
                        format!("{at}.options.{field}.{option}"),
                        format!("`{field}` has no option `{option}`"),
                    );
                }
                text(e, &format!("{at}.options.{field}.{option}"), label, 200);
            }
        }
        out.insert(
            language,
            Localized {
                name: t.name.clone(),
                description: t.description.clone(),
                eula: t.eula.clone(),
                terms: t.terms.clone(),
                labels: t.labels.clone(),
                options: t.options.clone(),
            },
        );
    }
    out
}
