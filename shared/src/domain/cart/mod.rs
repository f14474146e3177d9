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

use crate::domain::catalog::{Item, SeatMode, Shop, Step, Viewer};
use crate::domain::ids::{CartId, Email, ItemCode, Quantity, ShopId};
use crate::domain::pricing::{LinePrice, Totals};
use crate::domain::{Errors, FieldError, Reason};

mod input;
mod view;

pub use input::*;
use input::{parse_assignment, parse_form, parse_participants};
pub use view::*;

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
    /// A business buyer's VAT number, printed on the invoice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vat_number: Option<String>,
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
    /// The buyer's language, kept on the bill for its messages and documents.
    #[serde(default)]
    pub language: super::Language,
}

/// Who logged in on this cart.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartAccount {
    pub email: Email,
    pub moodle_user_id: u64,
    /// Their names on the Moodle account, for the customer step of a first order.
    #[serde(default)]
    pub firstname: String,
    #[serde(default)]
    pub lastname: String,
    /// They had ordered here before they logged in (a customer record): what items shown to
    /// `customers` ask.
    #[serde(default)]
    pub has_bought: bool,
}

impl CartAccount {
    /// The customer this account is, for the items' visibility.
    pub fn viewer(&self) -> Viewer {
        Viewer::Customer {
            has_bought: self.has_bought,
        }
    }
}

/// The cart's account state, as the checkout page needs it.
#[derive(Debug, Serialize)]
pub struct AccountView {
    pub logged_in: bool,
    pub email: Option<String>,
    /// The account's names (the customer step starts from them when it has nothing yet).
    pub firstname: Option<String>,
    pub lastname: Option<String>,
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
    /// The item asks its password, and it was not given right.
    WrongPassword,
}

impl Rejection {
    /// A wrong password's field error (at `password`).
    pub fn wrong_password() -> FieldError {
        FieldError::new(
            "password",
            Reason::new("wrong_password", "this item needs its password"),
        )
    }
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
            language: super::Language::En,
        }
    }

    pub fn quantity_of(&self, code: &ItemCode) -> Option<Quantity> {
        self.lines
            .iter()
            .find(|l| &l.code == code)
            .map(|l| l.quantity)
    }

    /// Whether setting `code` to a quantity checks a password: an item with one, not yet in
    /// the cart (a line in the cart was let in by its password, so its quantity changes
    /// without it).
    pub fn asks_password(&self, shop: &Shop, code: &ItemCode) -> bool {
        shop.item(code).is_some_and(|i| i.password.is_some()) && self.quantity_of(code).is_none()
    }

    /// A customer logs in on the cart: their account buys it, and what they told the shop last
    /// time fills the customer step if it is still empty.
    pub fn log_in(&mut self, account: CartAccount, known: Option<Identity>) {
        if self.customer.is_none() {
            self.customer = known;
        }
        self.account = Some(account);
        self.login_proposed = false;
    }

    /// Who is buying, for the items' visibility: the account logged in on the cart, else a
    /// guest.
    pub fn viewer(&self) -> Viewer {
        self.account
            .as_ref()
            .map_or(Viewer::Guest, CartAccount::viewer)
    }

    /// Sets a line's quantity; 0 removes the line with its forms and seats.
    /// Quantities are checked against status, visibility, max quantity and stock, and a new
    /// line of an item with a password against it ([`Cart::asks_password`]).
    pub fn set_line(
        &mut self,
        shop: &Shop,
        code: &ItemCode,
        quantity: u32,
        password: Option<&str>,
    ) -> Result<(), Rejection> {
        if quantity == 0 {
            self.remove_line(code);
            return Ok(());
        }
        let viewer = self.viewer();
        let item = shop
            .item(code)
            .filter(|i| i.purchasable_by(viewer) || i.listed_for(viewer))
            .ok_or_else(|| Rejection::UnknownItem(code.clone()))?;
        let invalid =
            |path: &str, reason: Reason| Rejection::Invalid(vec![FieldError::new(path, reason)]);
        if !item.purchasable_by(viewer) {
            return Err(invalid(
                "code",
                Reason::new(
                    "not_for_sale",
                    format!("`{code}` is not for sale at the moment"),
                ),
            ));
        }
        let limit = item.quantity_limit();
        if quantity > limit {
            let (code, why) = if item.stock == Some(limit) {
                ("out_of_stock", "in stock")
            } else {
                ("over_limit", "allowed per order")
            };
            let reason = Reason::new(code, format!("at most {limit} {why}")).with("max", limit);
            return Err(invalid("quantity", reason));
        }
        if let Some(expected) = &item.password
            && self.asks_password(shop, code)
            && !bool::from(password.unwrap_or("").as_bytes().ct_eq(expected.as_bytes()))
        {
            return Err(Rejection::WrongPassword);
        }
        let quantity = Quantity::try_from(quantity)
            .map_err(|r| invalid("quantity", Reason::new("invalid_quantity", r)))?;
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
                e.add(
                    code_text.as_str(),
                    Reason::new("not_in_cart", "no such line in the cart"),
                );
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
                    Reason::new("not_in_cart", "no such line in the cart"),
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
                .filter(|i| i.purchasable_by(self.viewer()))
            {
                Some(item) => lines.push((line, item, price(shop, item, line.quantity))),
                None => unavailable.push(line.code.clone()),
            }
        }
        (lines, unavailable)
    }

    /// The cart as the buyer sees it, in the cart's language: priced lines, totals, step
    /// states and the next step.
    pub fn view(&self, shop: &Shop) -> CartView {
        let mut shop = shop.clone();
        shop.localize(self.language);
        let shop = &shop;
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

#[cfg(test)]
mod tests;
