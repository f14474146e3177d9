//! The cart as `GET /carts/{cart}` shows it: prices, totals and step states computed from the
//! shop as it is now. The priced line and the totals are shared with the bill's view.

use super::*;

/// State of a pre-order step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepState {
    NotNeeded,
    Needed,
    Done,
}

impl StepState {
    pub(super) fn done_if(done: bool) -> Self {
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
    pub language: crate::domain::Language,
}

/// A priced line as the cart and the bill show it (amounts formatted in the currency, the
/// tax rate in percent).
#[derive(Debug, Serialize)]
pub struct PricedLineView {
    pub code: String,
    pub name: String,
    pub quantity: u32,
    pub unit_price: String,
    pub total_excl_tax: String,
    pub tax_code: String,
    pub tax_rate: String,
    pub tax: String,
    pub total_incl_tax: String,
}

#[derive(Debug, Serialize)]
pub struct LineView {
    #[serde(flatten)]
    pub priced: PricedLineView,
    /// Seats to assign for this line (0 when the item has none).
    pub seats: u32,
    /// The item's required-data forms are expected, one per unit.
    pub needs_data: bool,
    /// What the checkout asks of this line, so that it never needs the whole catalogue: the
    /// fields of each unit's form, the roles a seat may be given, the item's EULA.
    pub required_data: Vec<crate::domain::catalog::FieldView>,
    pub seat_roles: Vec<String>,
    pub eula: Option<String>,
}

/// The totals of a cart or a bill, with the per-rate tax breakdown.
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
    pub(super) fn new(
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
                    priced: PricedLineView {
                        code: line.code.to_string(),
                        name: item.name.clone(),
                        quantity: line.quantity.get(),
                        unit_price: money(p.unit_price),
                        total_excl_tax: money(p.total_excl_tax),
                        tax_code: p.tax_code.to_string(),
                        tax_rate: p.tax_rate.percent().normalize().to_string(),
                        tax: money(p.tax),
                        total_incl_tax: money(p.total_incl_tax),
                    },
                    seats: item.seats_for(line.quantity),
                    needs_data: !item.required_data.is_empty(),
                    required_data: item.required_data.iter().map(|f| f.view()).collect(),
                    seat_roles: item.seat_roles.clone(),
                    eula: item.eula.clone(),
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
                firstname: cart.account.as_ref().map(|a| a.firstname.clone()),
                lastname: cart.account.as_ref().map(|a| a.lastname.clone()),
                login_proposed: cart.login_proposed && cart.account.is_none(),
            },
            language: cart.language,
        }
    }
}
