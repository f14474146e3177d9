//! The catalogue: a shop, its taxes, categories and items.
//!
//! These types are built only by [`super::document::ShopDocument::validate`], so a `Shop`
//! in memory is always consistent: every item's tax and category exist, codes are unique,
//! bundle parts are products of the same shop, and so on.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::Reason;
use super::ids::{CategoryId, Email, ItemCode, Quantity, ShopId, TaxCode};
use super::money::{Currency, parse_decimal};
use super::pricing::{PriceTiers, TaxRate};

names!(
    /// `set` is a display grouping (not sold itself); `bundle` is sold as one line and
    /// produced as its parts.
    ItemKind { Product = "product", Set = "set", Bundle = "bundle" }
);
names!(
    /// local_shop's statuses. Only `available` and `available_internal` can be bought;
    /// `preview` is shown but not sold; `available_internal` is sold but not listed (reached
    /// by a direct link or cart import).
    ItemStatus {
        Available = "available",
        AvailableInternal = "available_internal",
        Preview = "preview",
        Suspended = "suspended",
        Abandoned = "abandoned",
    }
);
names!(
    /// Who may see and buy an item.
    Visibility {
        Everyone = "everyone",
        LoggedIn = "logged_in",
        LoggedOut = "logged_out",
        Customers = "customers",
    }
);
names!(
    /// Participants to name for an item: none, one whatever the quantity, or one per unit.
    SeatMode { None = "none", One = "one", PerUnit = "per_unit" }
);
names!(
    /// Types of required-data fields.
    FieldType {
        Text = "text",
        Textarea = "textarea",
        Email = "email",
        Number = "number",
        Date = "date",
        Select = "select",
        Checkbox = "checkbox",
    }
);
names!(
    /// What a member of the shop's staff may do in the back office: a manager everything, an
    /// operator the bills, payments, customers and products (not the shop document).
    StaffRole { Manager = "manager", Operator = "operator" }
);

/// A member of the shop's staff: a Moodle username (lower case, as Moodle keeps them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaffMember {
    pub username: String,
    pub role: StaffRole,
}

names!(
    /// Payment methods (README, "Checkout").
    PaymentMethod {
        Test = "test",
        Free = "free",
        Check = "check",
        Transfer = "transfer",
        Paypal = "paypal",
        Stripe = "stripe",
        Systempay = "systempay",
        Sips = "sips",
        Ogone = "ogone",
    }
);
names!(
    /// The pre-order steps a shop may reorder (the original shop's PURCHASEREQUIS, USERS, CUSTOMER).
    Step {
        Requirements = "requirements",
        Participants = "participants",
        Customer = "customer",
    }
);

/// Who is looking at the catalogue: a guest, or a customer logged in (a session, or the
/// account logged in on the cart), who may have ordered here before.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Viewer {
    Guest,
    Customer { has_bought: bool },
}

impl Visibility {
    pub fn allows(self, viewer: Viewer) -> bool {
        match (self, viewer) {
            (Visibility::Everyone, _) => true,
            (Visibility::LoggedOut, Viewer::Guest) => true,
            (Visibility::LoggedIn, Viewer::Customer { .. }) => true,
            (Visibility::Customers, Viewer::Customer { has_bought }) => has_bought,
            _ => false,
        }
    }

    /// A buyer the item is for: the one a staff preview shows it as.
    pub fn audience(self) -> Viewer {
        match self {
            Visibility::Everyone | Visibility::LoggedOut => Viewer::Guest,
            Visibility::LoggedIn => Viewer::Customer { has_bought: false },
            Visibility::Customers => Viewer::Customer { has_bought: true },
        }
    }
}

/// The seller identity printed on invoices.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Seller {
    pub name: String,
    pub fields: BTreeMap<String, String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Category {
    pub id: CategoryId,
    pub name: String,
    pub parent: Option<CategoryId>,
    pub texts: Translations,
}

/// A required-data field asked once per unit (PURCHASEREQUIS).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldSpec {
    pub field: String,
    pub label: String,
    pub kind: FieldType,
    pub required: bool,
    pub options: Vec<String>,
    /// How each option reads in the language shown (the options themselves by default).
    pub option_labels: Vec<String>,
}

/// The words of a shop, a category or an item in another language than its document's
/// (`texts.fr`): what a buyer of that language reads instead; what is missing falls back.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Localized {
    pub name: Option<String>,
    pub description: Option<String>,
    pub eula: Option<String>,
    pub terms: Option<String>,
    /// Required-data labels, by field.
    pub labels: BTreeMap<String, String>,
    /// Select options as they read, by field then option.
    pub options: BTreeMap<String, BTreeMap<String, String>>,
}

pub type Translations = BTreeMap<super::Language, Localized>;

/// A required-data field as the pages show it (catalogue and cart).
#[derive(Debug, serde::Serialize)]
pub struct FieldView {
    pub field: String,
    pub label: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub required: bool,
    pub options: Vec<String>,
    pub option_labels: Vec<String>,
}

impl FieldSpec {
    pub fn view(&self) -> FieldView {
        FieldView {
            field: self.field.clone(),
            label: self.label.clone(),
            kind: self.kind.as_str(),
            required: self.required,
            options: self.options.clone(),
            option_labels: self.option_labels.clone(),
        }
    }

    fn localize(&mut self, words: &Localized) {
        if let Some(label) = words.labels.get(&self.field) {
            self.label = label.clone();
        }
        if let Some(shown) = words.options.get(&self.field) {
            self.option_labels = self
                .options
                .iter()
                .map(|o| shown.get(o).unwrap_or(o).clone())
                .collect();
        }
    }

    /// Parses one submitted value (already turned to text) for this field.
    /// An empty value is `Ok(None)` for an optional field.
    pub fn parse(&self, raw: &str) -> Result<Option<String>, Reason> {
        let value = raw.trim();
        if value.is_empty() {
            return if self.required {
                Err(Reason::new("required", "is required"))
            } else {
                Ok(None)
            };
        }
        match self.kind {
            FieldType::Text | FieldType::Textarea if value.chars().count() > 1000 => {
                Err(Reason::too_long(1000))
            }
            FieldType::Text => super::no_markup(value),
            FieldType::Email => Email::from_input(value).map(|_| ()),
            FieldType::Number => parse_decimal(value)
                .map(|_| ())
                .map_err(|text| Reason::new("invalid_number", text)),
            FieldType::Date => super::parse_day(value).map(|_| ()),
            FieldType::Select if !self.options.iter().any(|o| o == value) => Err(Reason::new(
                "not_an_option",
                format!("`{value}` is not one of: {}", self.options.join(", ")),
            )),
            FieldType::Checkbox if value != "true" && value != "false" => {
                Err(Reason::new("invalid", "must be true or false"))
            }
            FieldType::Checkbox if self.required && value != "true" => {
                Err(Reason::new("must_be_checked", "must be checked"))
            }
            _ => Ok(()),
        }?;
        Ok(Some(value.to_owned()))
    }
}

/// The production handler and its parameters (interpreted by the production issue).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Handler {
    pub kind: String,
    pub params: serde_json::Map<String, serde_json::Value>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub code: ItemCode,
    pub name: String,
    pub description: String,
    pub category: Option<CategoryId>,
    pub kind: ItemKind,
    /// For sets and bundles: the products they group, with units per unit of this item.
    pub parts: Vec<(ItemCode, u32)>,
    pub status: ItemStatus,
    pub visibility: Visibility,
    pub prices: PriceTiers,
    pub tax: TaxCode,
    pub max_quantity: Option<u32>,
    pub stock: Option<u32>,
    pub seat_mode: SeatMode,
    /// Roles a participant may be given for this item's seats (Moodle role short names).
    pub seat_roles: Vec<String>,
    pub required_data: Vec<FieldSpec>,
    pub password: Option<String>,
    pub eula: Option<String>,
    pub renewable: bool,
    pub handler: Option<Handler>,
    pub texts: Translations,
}

impl Item {
    /// The item's name in `language`'s words where the document gives them.
    pub fn name_in(&self, language: super::Language) -> &str {
        self.texts
            .get(&language)
            .and_then(|w| w.name.as_deref())
            .unwrap_or(&self.name)
    }

    /// The item in `language`'s words where the document gives them.
    pub fn localize(&mut self, language: super::Language) {
        let Some(words) = self.texts.get(&language) else {
            return;
        };
        if let Some(name) = &words.name {
            self.name = name.clone();
        }
        if let Some(description) = &words.description {
            self.description = description.clone();
        }
        if let Some(eula) = &words.eula {
            self.eula = Some(eula.clone());
        }
        let words = words.clone();
        self.required_data
            .iter_mut()
            .for_each(|f| f.localize(&words));
    }

    /// Listed in the catalogue for this viewer.
    pub fn listed_for(&self, viewer: Viewer) -> bool {
        matches!(self.status, ItemStatus::Available | ItemStatus::Preview)
            && self.visibility.allows(viewer)
    }

    /// Can be put in a cart by this viewer (sets are display groupings only).
    pub fn purchasable_by(&self, viewer: Viewer) -> bool {
        matches!(
            self.status,
            ItemStatus::Available | ItemStatus::AvailableInternal
        ) && self.kind != ItemKind::Set
            && self.visibility.allows(viewer)
    }

    /// Seats to assign for a quantity of this item.
    pub fn seats_for(&self, quantity: Quantity) -> u32 {
        match self.seat_mode {
            SeatMode::None => 0,
            SeatMode::One => 1,
            SeatMode::PerUnit => quantity.get(),
        }
    }

    /// The largest quantity a buyer may order now (max quantity, stock, domain cap).
    pub fn quantity_limit(&self) -> u32 {
        [self.max_quantity, self.stock, Some(Quantity::MAX)]
            .into_iter()
            .flatten()
            .min()
            .expect("at least the domain cap")
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shop {
    pub id: ShopId,
    pub name: String,
    pub currency: Currency,
    pub test_mode: bool,
    pub payment_methods: Vec<PaymentMethod>,
    pub default_payment_method: PaymentMethod,
    pub customer_support_course: Option<crate::domain::handler::CourseRef>,
    pub terms: Option<String>,
    pub seller: Seller,
    pub step_order: Vec<Step>,
    pub taxes: BTreeMap<TaxCode, TaxRate>,
    pub categories: Vec<Category>,
    pub items: Vec<Item>,
    /// Days before an enrolment ends when its buyer is reminded (`reminder_days`).
    pub reminder_days: Vec<u32>,
    /// The shop's own words for some messages (`messages` of the document).
    pub messages: crate::domain::message::MessageTexts,
    /// Who may sign in to the back office, with their role.
    pub staff: Vec<StaffMember>,
    pub texts: Translations,
}

impl Shop {
    /// The shop, its categories and items in `language`'s words where the document gives
    /// them (what a buyer of that language reads: the catalogue, the cart, the bill's lines).
    pub fn localize(&mut self, language: super::Language) {
        if let Some(words) = self.texts.get(&language) {
            if let Some(name) = &words.name {
                self.name = name.clone();
            }
            if let Some(terms) = &words.terms {
                self.terms = Some(terms.clone());
            }
        }
        for c in &mut self.categories {
            if let Some(name) = c.texts.get(&language).and_then(|w| w.name.clone()) {
                c.name = name;
            }
        }
        self.items.iter_mut().for_each(|i| i.localize(language));
    }

    /// The reminders of a shop that sets none: two weeks, then three days before the end.
    pub const DEFAULT_REMINDER_DAYS: [u32; 2] = [14, 3];

    pub const DEFAULT_STEP_ORDER: [Step; 3] =
        [Step::Requirements, Step::Participants, Step::Customer];

    /// The staff member with this Moodle username, if any.
    pub fn staff_member(&self, username: &str) -> Option<&StaffMember> {
        let username = username.trim().to_lowercase();
        self.staff.iter().find(|m| m.username == username)
    }

    pub fn item(&self, code: &ItemCode) -> Option<&Item> {
        self.items.iter().find(|i| &i.code == code)
    }

    pub fn tax_rate(&self, code: &TaxCode) -> TaxRate {
        *self
            .taxes
            .get(code)
            .expect("validated: every item's tax code exists")
    }

    /// An item's unit price including tax, for display (tier prices incl. tax).
    pub fn price_incl_tax(&self, item: &Item, unit_price: Decimal) -> Decimal {
        unit_price + self.tax_rate(&item.tax).tax_on(unit_price, self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(kind: FieldType, required: bool) -> FieldSpec {
        FieldSpec {
            field: "f".into(),
            label: "F".into(),
            kind,
            required,
            options: vec!["a".into(), "b".into()],
            option_labels: vec!["a".into(), "b".into()],
        }
    }

    #[test]
    fn required_fields_are_parsed_by_type() {
        assert_eq!(
            spec(FieldType::Text, true).parse(" x ").unwrap().as_deref(),
            Some("x")
        );
        assert!(spec(FieldType::Text, true).parse("  ").is_err());
        // A text may name a Moodle course or category, which refuses markup.
        let tagged = spec(FieldType::Text, true).parse("Cours <3").unwrap_err();
        assert_eq!(tagged.code, "angle_bracket");
        assert!(spec(FieldType::Textarea, true).parse("a <b>").is_ok());
        assert_eq!(spec(FieldType::Text, false).parse("").unwrap(), None);
        assert!(spec(FieldType::Email, true).parse("nope").is_err());
        assert!(spec(FieldType::Date, true).parse("2026-02-30").is_err());
        assert!(spec(FieldType::Date, true).parse("2026-02-28").is_ok());
        assert!(spec(FieldType::Select, true).parse("c").is_err());
        assert!(spec(FieldType::Select, true).parse("b").is_ok());
        assert!(spec(FieldType::Number, true).parse("12.5").is_ok());
        assert!(spec(FieldType::Number, true).parse("twelve").is_err());
        assert!(spec(FieldType::Checkbox, true).parse("false").is_err());
    }

    #[test]
    fn visibility_follows_the_viewer() {
        let guest = Viewer::Guest;
        let customer = Viewer::Customer { has_bought: true };
        assert!(Visibility::Everyone.allows(guest));
        assert!(Visibility::LoggedOut.allows(guest));
        assert!(!Visibility::LoggedOut.allows(customer));
        assert!(!Visibility::LoggedIn.allows(guest));
        assert!(!Visibility::Customers.allows(Viewer::Customer { has_bought: false }));
        for v in [
            Visibility::Everyone,
            Visibility::LoggedIn,
            Visibility::LoggedOut,
            Visibility::Customers,
        ] {
            assert!(v.allows(v.audience()), "{v:?} is shown to its audience");
        }
        assert!(Visibility::Customers.allows(customer));
    }

    #[test]
    fn names_parse_and_print_the_same() {
        for m in PaymentMethod::ALL {
            assert_eq!(m.as_str().parse::<PaymentMethod>().unwrap(), *m);
        }
        assert!("cash".parse::<PaymentMethod>().is_err());
    }
}
