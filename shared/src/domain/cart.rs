//! The cart and its pre-order steps (ARCHITECTURE.md, "The four request paths"): SHOP, PURCHASEREQUIS (`requirements`),
//! USERS (`participants`), CUSTOMER (`customer`).
//!
//! The cart stores only what the buyer chose; prices and step states are computed from the
//! shop as it is now ([`Cart::view`]), so a catalogue change shows up at once and placement
//! (which re-checks everything) never meets a stale figure.

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use subtle::ConstantTimeEq;

use super::catalog::{Item, SeatMode, Shop, Step, Viewer};
use super::ids::{CartId, Email, ItemCode, Quantity, ShopId};
use super::pricing::{LinePrice, Totals};
use super::{Errors, FieldError};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CartLine {
    pub code: ItemCode,
    pub quantity: Quantity,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    pub email: Email,
    pub firstname: String,
    pub lastname: String,
}

/// A customer or invoicing identity (CUSTOMER step).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub firstname: String,
    pub lastname: String,
    pub email: Email,
    pub address: String,
    pub zip: String,
    pub city: String,
    /// ISO 3166-1 alpha-2, upper case.
    pub country: String,
    pub organisation: Option<String>,
    pub phone: Option<String>,
}

/// One filled required-data form: field name → value as text.
pub type Form = BTreeMap<String, String>;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cart {
    pub id: CartId,
    pub shop: ShopId,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub lines: Vec<CartLine>,
    /// Per item code, one form per unit.
    pub requirements: BTreeMap<ItemCode, Vec<Form>>,
    pub participants: Vec<Participant>,
    /// Per item code, role → participant emails holding a seat.
    pub assignments: BTreeMap<ItemCode, BTreeMap<String, Vec<Email>>>,
    pub customer: Option<Identity>,
    pub invoicing: Option<Identity>,
    /// Set at placement: the order is frozen, and placing again answers this bill.
    #[serde(default)]
    pub placed: Option<PlacedBill>,
    /// The buyer logged in during the checkout (`POST /carts/{cart}/login`).
    #[serde(default)]
    pub account: Option<CartAccount>,
    /// The customer's email belongs to an existing account: the page proposes to log in.
    #[serde(default)]
    pub login_proposed: bool,
}

/// Who logged in on this cart.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartAccount {
    pub email: Email,
    pub moodle_user_id: u64,
}

/// The cart's account state, as the checkout page needs it.
#[derive(Debug, Serialize)]
pub struct AccountView {
    pub logged_in: bool,
    pub email: Option<String>,
    pub login_proposed: bool,
}

/// The bill a cart was placed as, with its access token so that a repeated placement (the
/// buyer's double click, a network retry) answers the same bill. Whoever holds the cart id
/// could already place it, so keeping the token here gives nothing away.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlacedBill {
    pub bill: String,
    pub access_token: String,
}

/// Why a cart change was refused.
#[derive(Debug, PartialEq)]
pub enum Rejection {
    /// The item does not exist or this buyer may not see it: answered as "not found".
    UnknownItem(ItemCode),
    /// The change is not allowed; each problem names its field.
    Invalid(Vec<FieldError>),
}

impl Cart {
    pub fn new(id: CartId, shop: ShopId, now: DateTime<Utc>, ttl: chrono::Duration) -> Self {
        Self {
            id,
            shop,
            created_at: now,
            expires_at: now + ttl,
            lines: Vec::new(),
            requirements: BTreeMap::new(),
            participants: Vec::new(),
            assignments: BTreeMap::new(),
            customer: None,
            invoicing: None,
            placed: None,
            account: None,
            login_proposed: false,
        }
    }

    pub fn quantity_of(&self, code: &ItemCode) -> Option<Quantity> {
        self.lines
            .iter()
            .find(|l| &l.code == code)
            .map(|l| l.quantity)
    }

    /// Sets a line's quantity; 0 removes the line with its forms and seats.
    /// Quantities are checked against status, visibility, max quantity and stock.
    pub fn set_line(
        &mut self,
        shop: &Shop,
        viewer: Viewer,
        code: &ItemCode,
        quantity: u32,
        password: Option<&str>,
    ) -> Result<(), Rejection> {
        if quantity == 0 {
            self.remove_line(code);
            return Ok(());
        }
        let item = shop
            .item(code)
            .filter(|i| i.purchasable_by(viewer) || i.listed_for(viewer))
            .ok_or_else(|| Rejection::UnknownItem(code.clone()))?;
        let invalid =
            |path: &str, reason: String| Rejection::Invalid(vec![FieldError::new(path, reason)]);
        if !item.purchasable_by(viewer) {
            return Err(invalid(
                "code",
                format!("`{code}` is not for sale at the moment"),
            ));
        }
        let limit = item.quantity_limit();
        if quantity > limit {
            let why = if item.stock == Some(limit) {
                "in stock"
            } else {
                "allowed per order"
            };
            return Err(invalid("quantity", format!("at most {limit} {why}")));
        }
        if let Some(expected) = &item.password
            && !bool::from(password.unwrap_or("").as_bytes().ct_eq(expected.as_bytes()))
        {
            return Err(invalid("password", "this item needs its password".into()));
        }
        let quantity = Quantity::try_from(quantity).map_err(|r| invalid("quantity", r))?;
        match self.lines.iter_mut().find(|l| &l.code == code) {
            Some(line) => line.quantity = quantity,
            None => self.lines.push(CartLine {
                code: code.clone(),
                quantity,
            }),
        }
        if let Some(forms) = self.requirements.get_mut(code) {
            forms.truncate(quantity.get() as usize);
        }
        Ok(())
    }

    fn remove_line(&mut self, code: &ItemCode) {
        self.lines.retain(|l| &l.code != code);
        self.requirements.remove(code);
        self.assignments.remove(code);
    }

    /// Replaces the required-data forms of the items named in `input` (one form per unit).
    pub fn set_requirements(
        &mut self,
        shop: &Shop,
        input: &BTreeMap<String, Vec<Map<String, Value>>>,
    ) -> Result<(), Vec<FieldError>> {
        let mut e = Errors::default();
        let mut accepted = Vec::new();
        for (code_text, forms) in input {
            let Some((code, item, quantity)) = self.line_item(shop, code_text) else {
                e.add(code_text.as_str(), "no such line in the cart");
                continue;
            };
            if item.required_data.is_empty() {
                e.add(code_text.as_str(), "this item needs no data");
                continue;
            }
            if forms.len() != quantity.get() as usize {
                e.add(
                    code_text.as_str(),
                    format!("give one form per unit: {}", quantity.get()),
                );
                continue;
            }
            let parsed: Vec<Form> = forms
                .iter()
                .enumerate()
                .map(|(i, form)| parse_form(&mut e, &format!("{code_text}[{i}]"), item, form))
                .collect();
            accepted.push((code, parsed));
        }
        e.finish(|| ())?;
        self.requirements.extend(accepted);
        Ok(())
    }

    /// Replaces the participants and their seat assignments.
    pub fn set_participants(
        &mut self,
        shop: &Shop,
        input: &ParticipantsInput,
    ) -> Result<(), Vec<FieldError>> {
        let mut e = Errors::default();
        let participants = parse_participants(&mut e, &input.participants);
        let known: BTreeSet<String> = participants.iter().map(|p| p.email.normalized()).collect();
        let mut assignments = BTreeMap::new();
        for (code_text, roles) in &input.assignments {
            let Some((code, item, quantity)) = self.line_item(shop, code_text) else {
                e.add(
                    format!("assignments.{code_text}"),
                    "no such line in the cart",
                );
                continue;
            };
            if item.seat_mode == SeatMode::None {
                e.add(format!("assignments.{code_text}"), "this item has no seats");
                continue;
            }
            let parsed = parse_assignment(&mut e, code_text, item, quantity, roles, &known);
            assignments.insert(code, parsed);
        }
        e.finish(|| ())?;
        self.participants = participants;
        self.assignments = assignments;
        Ok(())
    }

    /// Sets the buyer's identity and an optional distinct invoicing identity.
    pub fn set_customer(&mut self, input: &CustomerInput) -> Result<(), Vec<FieldError>> {
        let mut e = Errors::default();
        let customer = input.customer.parse(&mut e, "customer");
        let invoicing = input
            .invoicing
            .as_ref()
            .and_then(|i| i.parse(&mut e, "invoicing"));
        e.finish(|| ())?;
        self.customer = customer;
        self.invoicing = invoicing;
        Ok(())
    }

    fn line_item<'s>(&self, shop: &'s Shop, code: &str) -> Option<(ItemCode, &'s Item, Quantity)> {
        let code = ItemCode::from_str(code).ok()?;
        let quantity = self.quantity_of(&code)?;
        let item = shop.item(&code)?;
        Some((code, item, quantity))
    }

    /// Each step's state, computed from the cart and the shop as it is now.
    pub fn step_state(&self, shop: &Shop, step: Step) -> StepState {
        let lines = self
            .lines
            .iter()
            .filter_map(|l| shop.item(&l.code).map(|i| (l, i)));
        match step {
            Step::Requirements => {
                let mut needing = lines
                    .filter(|(_, i)| !i.required_data.is_empty())
                    .peekable();
                if needing.peek().is_none() {
                    return StepState::NotNeeded;
                }
                StepState::done_if(needing.into_iter().all(|(l, i)| self.forms_complete(l, i)))
            }
            Step::Participants => {
                let mut seated = lines
                    .filter(|(_, i)| i.seat_mode != SeatMode::None)
                    .peekable();
                if seated.peek().is_none() {
                    return StepState::NotNeeded;
                }
                StepState::done_if(seated.into_iter().all(|(l, i)| self.seats_complete(l, i)))
            }
            Step::Customer => StepState::done_if(self.customer.is_some()),
        }
    }

    fn forms_complete(&self, line: &CartLine, item: &Item) -> bool {
        let forms = self
            .requirements
            .get(&line.code)
            .map_or(&[][..], Vec::as_slice);
        forms.len() == line.quantity.get() as usize
            && forms.iter().all(|form| form_is_valid(item, form))
    }

    fn seats_complete(&self, line: &CartLine, item: &Item) -> bool {
        let Some(roles) = self.assignments.get(&line.code) else {
            return false;
        };
        let known: BTreeSet<String> = self
            .participants
            .iter()
            .map(|p| p.email.normalized())
            .collect();
        let assigned: usize = roles.values().map(Vec::len).sum();
        assigned == item.seats_for(line.quantity) as usize
            && roles.keys().all(|r| item.seat_roles.contains(r))
            && roles
                .values()
                .flatten()
                .all(|e| known.contains(&e.normalized()))
    }

    /// The lines the shop still sells, priced now, and the codes it no longer sells.
    #[allow(clippy::type_complexity)]
    pub fn priced_lines<'a>(
        &'a self,
        shop: &'a Shop,
    ) -> (Vec<(&'a CartLine, &'a Item, LinePrice)>, Vec<ItemCode>) {
        let mut lines = Vec::new();
        let mut unavailable = Vec::new();
        for line in &self.lines {
            match shop
                .item(&line.code)
                .filter(|i| i.purchasable_by(Viewer::Guest))
            {
                Some(item) => lines.push((line, item, price(shop, item, line.quantity))),
                None => unavailable.push(line.code.clone()),
            }
        }
        (lines, unavailable)
    }

    /// The cart as the buyer sees it: priced lines, totals, step states and the next step.
    pub fn view(&self, shop: &Shop) -> CartView {
        let (lines, unavailable) = self.priced_lines(shop);
        let totals = Totals::of(lines.iter().map(|(_, _, p)| p));
        let steps: BTreeMap<Step, StepState> = Step::ALL
            .iter()
            .map(|s| (*s, self.step_state(shop, *s)))
            .collect();
        let next_step = if self.lines.is_empty() || !unavailable.is_empty() {
            "shop"
        } else {
            shop.step_order
                .iter()
                .find(|s| steps[s] == StepState::Needed)
                .map_or("order", |s| s.as_str())
        };
        CartView::new(self, shop, &lines, &totals, steps, next_step, unavailable)
    }
}

fn price(shop: &Shop, item: &Item, quantity: Quantity) -> LinePrice {
    LinePrice::compute(
        &item.prices,
        quantity,
        item.tax.clone(),
        shop.tax_rate(&item.tax),
        shop.currency,
    )
}

/// A stored form is still valid against the item's current fields.
fn form_is_valid(item: &Item, form: &Form) -> bool {
    form.keys()
        .all(|k| item.required_data.iter().any(|s| &s.field == k))
        && item.required_data.iter().all(|spec| {
            spec.parse(form.get(&spec.field).map_or("", String::as_str))
                .is_ok()
        })
}

fn parse_form(e: &mut Errors, path: &str, item: &Item, form: &Map<String, Value>) -> Form {
    for name in form.keys() {
        if !item.required_data.iter().any(|s| &s.field == name) {
            e.add(format!("{path}.{name}"), "unknown field");
        }
    }
    let mut parsed = Form::new();
    for spec in &item.required_data {
        let field_path = format!("{path}.{}", spec.field);
        let raw = match form.get(&spec.field) {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(v @ (Value::Number(_) | Value::Bool(_))) => v.to_string(),
            Some(_) => {
                e.add(field_path, "give a text, number or boolean");
                continue;
            }
        };
        if let Some(Some(value)) = e.check(field_path, spec.parse(&raw)) {
            parsed.insert(spec.field.clone(), value);
        }
    }
    parsed
}

fn parse_participants(e: &mut Errors, input: &[ParticipantInput]) -> Vec<Participant> {
    const MAX: usize = 1000;
    if input.len() > MAX {
        e.add("participants", format!("at most {MAX} participants"));
        return Vec::new();
    }
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for (i, p) in input.iter().enumerate() {
        let path = format!("participants[{i}]");
        let email = e.check(format!("{path}.email"), p.email.trim().parse::<Email>());
        let firstname = name(e, &format!("{path}.firstname"), &p.firstname);
        let lastname = name(e, &format!("{path}.lastname"), &p.lastname);
        if let Some(email) = &email
            && !seen.insert(email.normalized())
        {
            e.add(format!("{path}.email"), "this participant is listed twice");
        }
        if let (Some(email), Some(firstname), Some(lastname)) = (email, firstname, lastname) {
            out.push(Participant {
                email,
                firstname,
                lastname,
            });
        }
    }
    out
}

fn parse_assignment(
    e: &mut Errors,
    code: &str,
    item: &Item,
    quantity: Quantity,
    roles: &BTreeMap<String, Vec<String>>,
    known: &BTreeSet<String>,
) -> BTreeMap<String, Vec<Email>> {
    let mut holders = BTreeSet::new();
    let mut out = BTreeMap::new();
    for (role, emails) in roles {
        let path = format!("assignments.{code}.{role}");
        if !item.seat_roles.contains(role) {
            e.add(
                &path,
                format!("role must be one of: {}", item.seat_roles.join(", ")),
            );
            continue;
        }
        let mut list = Vec::new();
        for (i, text) in emails.iter().enumerate() {
            let Some(email) = e.check(format!("{path}[{i}]"), text.trim().parse::<Email>()) else {
                continue;
            };
            if !known.contains(&email.normalized()) {
                e.add(format!("{path}[{i}]"), "not among the participants");
            } else if !holders.insert(email.normalized()) {
                e.add(format!("{path}[{i}]"), "already holds a seat of this item");
            } else {
                list.push(email);
            }
        }
        out.insert(role.clone(), list);
    }
    let seats = item.seats_for(quantity) as usize;
    let assigned: usize = roles.values().map(Vec::len).sum();
    if assigned > seats {
        e.add(
            format!("assignments.{code}"),
            format!("{assigned} seats assigned, only {seats} bought"),
        );
    }
    out
}

/// A person's name part: trimmed, 1 to 100 characters on one line.
fn name(e: &mut Errors, path: &str, value: &str) -> Option<String> {
    e.check(path, one_line(value, 100))
}

/// A single-line text: trimmed, 1 to `max` characters, no control character (not even a
/// line break: names and addresses end up in Moodle, invoices and gateway forms).
fn one_line(value: &str, max: usize) -> Result<String, String> {
    let v = value.trim();
    if v.chars().any(char::is_control) {
        Err("must be one line without control characters".into())
    } else if v.is_empty() || v.chars().count() > max {
        Err(format!("give 1 to {max} characters"))
    } else {
        Ok(v.to_owned())
    }
}

/// Body of `PUT /carts/{cart}/participants`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParticipantsInput {
    pub participants: Vec<ParticipantInput>,
    #[serde(default)]
    pub assignments: BTreeMap<String, BTreeMap<String, Vec<String>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParticipantInput {
    pub email: String,
    pub firstname: String,
    pub lastname: String,
}

/// Body of `PUT /carts/{cart}/customer`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerInput {
    pub customer: IdentityInput,
    #[serde(default)]
    pub invoicing: Option<IdentityInput>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityInput {
    pub firstname: String,
    pub lastname: String,
    pub email: String,
    pub address: String,
    pub zip: String,
    pub city: String,
    pub country: String,
    #[serde(default)]
    pub organisation: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
}

impl IdentityInput {
    fn parse(&self, e: &mut Errors, path: &str) -> Option<Identity> {
        let firstname = name(e, &format!("{path}.firstname"), &self.firstname);
        let lastname = name(e, &format!("{path}.lastname"), &self.lastname);
        let email = e.check(format!("{path}.email"), self.email.trim().parse::<Email>());
        let mut line = |field: &str, value: &str, max: usize| {
            e.check(format!("{path}.{field}"), one_line(value, max))
        };
        let address = line("address", &self.address, 300);
        let zip = line("zip", &self.zip, 20);
        let city = line("city", &self.city, 100);
        let country = e.check(format!("{path}.country"), country(&self.country));
        let optional = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let organisation = optional(&self.organisation);
        let phone = optional(&self.phone);
        if organisation
            .as_ref()
            .is_some_and(|o| o.chars().count() > 200)
        {
            e.add(format!("{path}.organisation"), "at most 200 characters");
        }
        if phone.as_ref().is_some_and(|p| {
            p.len() > 30
                || !p
                    .chars()
                    .all(|c| c.is_ascii_digit() || " +-.()".contains(c))
        }) {
            e.add(
                format!("{path}.phone"),
                "digits, spaces and + - . ( ) only, at most 30",
            );
        }
        Some(Identity {
            firstname: firstname?,
            lastname: lastname?,
            email: email?,
            address: address?,
            zip: zip?,
            city: city?,
            country: country?,
            organisation,
            phone,
        })
    }
}

/// An ISO 3166-1 alpha-2 country code, upper-cased.
fn country(text: &str) -> Result<String, String> {
    let code = text.trim().to_ascii_uppercase();
    if code.len() == 2 && iso_currency::Country::from_str(&code).is_ok() {
        Ok(code)
    } else {
        Err(format!(
            "`{text}` is not an ISO 3166 two-letter country code such as FR"
        ))
    }
}

/// State of a pre-order step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepState {
    NotNeeded,
    Needed,
    Done,
}

impl StepState {
    fn done_if(done: bool) -> Self {
        if done {
            StepState::Done
        } else {
            StepState::Needed
        }
    }
}

/// The cart view of `GET /carts/{cart}` (field names are part of the API).
#[derive(Debug, Serialize)]
pub struct CartView {
    pub id: String,
    pub shop: String,
    pub currency: String,
    pub expires_at: DateTime<Utc>,
    pub lines: Vec<LineView>,
    pub totals: TotalsView,
    pub steps: BTreeMap<&'static str, StepState>,
    pub next_step: &'static str,
    /// Codes in the cart that the shop no longer sells (removed, suspended, hidden); they are
    /// left out of the totals, and the buyer removes them to go on.
    pub unavailable: Vec<String>,
    pub requirements: BTreeMap<ItemCode, Vec<Form>>,
    pub participants: Vec<Participant>,
    pub assignments: BTreeMap<ItemCode, BTreeMap<String, Vec<Email>>>,
    pub customer: Option<Identity>,
    pub invoicing: Option<Identity>,
    pub account: AccountView,
}

#[derive(Debug, Serialize)]
pub struct LineView {
    pub code: String,
    pub name: String,
    pub quantity: u32,
    pub unit_price: String,
    pub total_excl_tax: String,
    pub tax_code: String,
    pub tax_rate: String,
    pub tax: String,
    pub total_incl_tax: String,
    /// Seats to assign for this line (0 when the item has none).
    pub seats: u32,
    /// The item's required-data forms are expected, one per unit.
    pub needs_data: bool,
}

#[derive(Debug, Serialize)]
pub struct TotalsView {
    pub excl_tax: String,
    pub tax: String,
    pub incl_tax: String,
    pub taxes: Vec<TaxView>,
}

#[derive(Debug, Serialize)]
pub struct TaxView {
    pub code: String,
    pub rate: String,
    pub base: String,
    pub amount: String,
}

impl CartView {
    fn new(
        cart: &Cart,
        shop: &Shop,
        lines: &[(&CartLine, &Item, LinePrice)],
        totals: &Totals,
        steps: BTreeMap<Step, StepState>,
        next_step: &'static str,
        unavailable: Vec<ItemCode>,
    ) -> Self {
        let money = |d| shop.currency.format(d);
        Self {
            id: cart.id.to_string(),
            shop: cart.shop.to_string(),
            currency: shop.currency.code().to_owned(),
            expires_at: cart.expires_at,
            lines: lines
                .iter()
                .map(|(line, item, p)| LineView {
                    code: line.code.to_string(),
                    name: item.name.clone(),
                    quantity: line.quantity.get(),
                    unit_price: money(p.unit_price),
                    total_excl_tax: money(p.total_excl_tax),
                    tax_code: p.tax_code.to_string(),
                    tax_rate: p.tax_rate.percent().normalize().to_string(),
                    tax: money(p.tax),
                    total_incl_tax: money(p.total_incl_tax),
                    seats: item.seats_for(line.quantity),
                    needs_data: !item.required_data.is_empty(),
                })
                .collect(),
            totals: TotalsView {
                excl_tax: money(totals.excl_tax),
                tax: money(totals.tax),
                incl_tax: money(totals.incl_tax),
                taxes: totals
                    .taxes
                    .iter()
                    .map(|t| TaxView {
                        code: t.code.to_string(),
                        rate: t.rate.percent().normalize().to_string(),
                        base: money(t.base),
                        amount: money(t.amount),
                    })
                    .collect(),
            },
            steps: steps.into_iter().map(|(s, st)| (s.as_str(), st)).collect(),
            next_step,
            unavailable: unavailable.into_iter().map(String::from).collect(),
            requirements: cart.requirements.clone(),
            participants: cart.participants.clone(),
            assignments: cart.assignments.clone(),
            customer: cart.customer.clone(),
            invoicing: cart.invoicing.clone(),
            account: AccountView {
                logged_in: cart.account.is_some(),
                email: cart.account.as_ref().map(|a| a.email.to_string()),
                login_proposed: cart.login_proposed && cart.account.is_none(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::document::ShopDocument;
    use serde_json::json;

    fn shop() -> Shop {
        ShopDocument::from_json(include_bytes!("../../../infra/demo-shop.json"))
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
        cart.set_line(shop, Viewer::Guest, &code(c), q, None)
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
        assert_eq!(v.lines[0].unit_price, "99.00");
        assert_eq!(v.lines[0].total_excl_tax, "495.00");
        assert_eq!(v.lines[0].tax, "99.00");
        // 3 × 24.90 = 74.70; 5.5 % = 4.1085 → 4.11
        assert_eq!(v.lines[1].tax, "4.11");
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
        assert!(matches!(
            add(&mut c, &shop, "PARTNER-EXCEL", 1),
            Err(Rejection::Invalid(_))
        ));
        c.set_line(
            &shop,
            Viewer::Guest,
            &code("PARTNER-EXCEL"),
            1,
            Some("partner-2026"),
        )
        .unwrap();
        assert_eq!(c.lines.len(), 1, "the password opens the item");
        add(&mut c, &shop, "PARTNER-EXCEL", 0).unwrap();
        assert!(c.lines.is_empty(), "0 removes the line");
    }

    #[test]
    fn required_data_is_one_valid_form_per_unit() {
        let shop = shop();
        let mut c = cart();
        add(&mut c, &shop, "CERT-EXAM", 2).unwrap();
        assert_eq!(c.view(&shop).next_step, "requirements");
        let form =
            json!({"candidate_name": "Ada", "birthdate": "1990-01-31", "session": "2027-01"});
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
}
