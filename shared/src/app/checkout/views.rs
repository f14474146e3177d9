//! What the checkout routes read and answer: the order and payment bodies, the placement
//! answer with the buyer's payment action, and the bill view.

use super::*;
use crate::domain::problem::DeliveryProblem;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderInput {
    pub payment_method: String,
    #[serde(default)]
    pub accept_terms: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetryInput {
    pub payment_method: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestPaymentInput {
    pub outcome: String,
}

/// What the buyer does to pay.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    Redirect {
        url: String,
    },
    Form {
        url: String,
        fields: BTreeMap<String, String>,
    },
    Instructions {
        text: String,
    },
}

#[derive(Debug, Serialize)]
pub struct PaymentView {
    pub method: &'static str,
    pub action: Action,
}

/// The answer to a placement or a payment retry.
#[derive(Debug, Serialize)]
pub struct PlacementView {
    pub bill_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_token: Option<String>,
    pub status: BillStatus,
    pub total: String,
    pub currency: String,
    pub payment: PaymentView,
}

pub(super) fn money(bill: &Bill, amount: rust_decimal::Decimal) -> String {
    bill.currency.format(amount)
}

pub(super) fn placement_view(
    bill: &Bill,
    action: Action,
    access_token: Option<String>,
) -> PlacementView {
    PlacementView {
        bill_id: bill.id.to_string(),
        access_token,
        status: bill.status,
        total: money(bill, bill.total()),
        currency: bill.currency.code().to_owned(),
        payment: PaymentView {
            method: bill.payment_method.as_str(),
            action,
        },
    }
}

/// The bill of `GET /bills/{bill}` (field names are part of the API).
#[derive(Debug, Serialize)]
pub struct BillView {
    pub id: String,
    pub shop: String,
    pub status: BillStatus,
    pub placed_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    pub invoice_number: Option<String>,
    /// The credit note that cancelled the invoice (refunded, or called off once invoiced).
    pub credit_note_number: Option<String>,
    /// Money given back while the bill stands, each with its credit note.
    pub refunds: Vec<RefundView>,
    pub test: bool,
    pub currency: String,
    pub total: String,
    pub received: String,
    pub remaining: String,
    pub payment_method: &'static str,
    pub lines: Vec<BillLineView>,
    pub totals: TotalsView,
    pub customer: crate::domain::cart::Identity,
    pub invoicing: Option<crate::domain::cart::Identity>,
    pub participants: Vec<crate::domain::cart::Participant>,
    pub events: Vec<crate::domain::bill::BillEvent>,
    pub production: Vec<LineProductionView>,
    pub language: crate::domain::Language,
    /// What the buyer does to pay an offline method (cheque, transfer) while it is awaited,
    /// in the bill's language.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    /// How to reach what was delivered, once something is: the Moodle site, the courses, the
    /// buyer's username and where to choose a password.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access: Option<AccessView>,
    /// For staff: where an operator may move the bill (the status form offers these only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moves: Option<Vec<BillStatus>>,
    /// For staff: the bill's messages, each to send again if the buyer lost it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub messages: Option<Vec<crate::app::mail::BillMessage>>,
    /// For staff: the buyer's enrolment in the shop's support course, when it failed (it does
    /// not hold the bill back; an operator enrols the buyer by hand).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub support: Option<LineProductionView>,
}

/// A part refund as the pages show it.
#[derive(Debug, Serialize)]
pub struct RefundView {
    pub at: DateTime<Utc>,
    pub amount: String,
    pub reference: Option<String>,
    pub credit_note_number: Option<String>,
}

impl RefundView {
    pub fn new(bill: &Bill, refund: &crate::domain::bill::Refund) -> Self {
        Self {
            at: refund.at,
            amount: money(bill, refund.amount),
            reference: refund.reference.clone(),
            credit_note_number: refund.credit_note.as_ref().map(|c| c.number.clone()),
        }
    }
}

/// The learning site's links for a delivered bill.
#[derive(Debug, Serialize)]
pub struct AccessView {
    pub site_url: String,
    /// Moodle's "forgotten password" page: where a learner whose account the shop created
    /// chooses their password (the shop cannot know whether they have one yet).
    pub password_url: String,
    pub username: Option<String>,
    pub courses: Vec<CourseLink>,
}

#[derive(Debug, Serialize)]
pub struct CourseLink {
    /// The bill line's name.
    pub name: String,
    pub url: String,
}

impl AccessView {
    /// The links, when the shop knows its Moodle and something reached a course.
    pub fn new(
        moodle_url: Option<&str>,
        reached: &[crate::app::products::Reached],
        username: Option<String>,
    ) -> Option<Self> {
        let site = moodle_url?.trim_end_matches('/');
        let courses: Vec<CourseLink> = reached
            .iter()
            .filter_map(|r| {
                Some(CourseLink {
                    name: r.name.clone(),
                    url: crate::app::products::course_url(site, r.course_id?),
                })
            })
            .collect();
        (!courses.is_empty()).then(|| Self {
            site_url: site.to_owned(),
            password_url: crate::app::products::password_url(site),
            username,
            courses,
        })
    }
}

#[derive(Debug, Serialize)]
pub struct BillLineView {
    #[serde(flatten)]
    pub priced: PricedLineView,
    pub required_data: Vec<crate::domain::cart::Form>,
    pub seats: BTreeMap<String, Vec<crate::domain::ids::Email>>,
    /// For staff: the item's name in each language, as it was sold (`name` is the buyer's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub names: Option<BTreeMap<crate::domain::Language, String>>,
}

/// Production state of a line: `awaiting_payment` until the bill is PAID or PREPROD (or
/// `cancelled` with it), then `queued` (the production function reports further states).
#[derive(Debug, Serialize)]
pub struct LineProductionView {
    pub code: String,
    pub state: &'static str,
    /// Why the line could not be produced, in English (`problem` says it with a code).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Why the line could not be produced, for pages to say in their language.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<DeliveryProblem>,
    /// References of the product instances the line delivered.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub products: Vec<String>,
}

impl BillView {
    pub fn new(bill: &Bill) -> Self {
        let m = |d| money(bill, d);
        let state = if bill.production_queued {
            "queued"
        } else if bill.status == crate::domain::bill::BillStatus::Cancelled {
            "cancelled"
        } else {
            "awaiting_payment"
        };
        Self {
            id: bill.id.to_string(),
            shop: bill.shop.to_string(),
            status: bill.status,
            placed_at: bill.placed_at,
            paid_at: bill.paid_at,
            invoice_number: bill.invoice_number.clone(),
            credit_note_number: bill.credit_note.as_ref().map(|c| c.number.clone()),
            refunds: bill
                .refunds
                .iter()
                .map(|r| RefundView::new(bill, r))
                .collect(),
            test: bill.test,
            currency: bill.currency.code().to_owned(),
            total: m(bill.total()),
            received: m(bill.received()),
            remaining: m(bill.remaining()),
            payment_method: bill.payment_method.as_str(),
            lines: bill
                .lines
                .iter()
                .map(|l| BillLineView {
                    priced: PricedLineView {
                        code: l.code.to_string(),
                        name: l.name.clone(),
                        quantity: l.quantity,
                        unit_price: m(l.unit_price),
                        total_excl_tax: m(l.total_excl_tax),
                        tax_code: l.tax_code.to_string(),
                        tax_rate: l.tax_rate.normalize().to_string(),
                        tax: m(l.tax),
                        total_incl_tax: m(l.total_incl_tax),
                    },
                    required_data: l.required_data.clone(),
                    seats: l.seats.clone(),
                    names: None,
                })
                .collect(),
            totals: TotalsView {
                excl_tax: m(bill.totals.excl_tax),
                tax: m(bill.totals.tax),
                incl_tax: m(bill.totals.incl_tax),
                taxes: bill
                    .totals
                    .taxes
                    .iter()
                    .map(|t| TaxView {
                        code: t.code.to_string(),
                        rate: t.rate.normalize().to_string(),
                        base: m(t.base),
                        amount: m(t.amount),
                    })
                    .collect(),
            },
            customer: bill.customer.clone(),
            invoicing: bill.invoicing.clone(),
            participants: bill.participants.clone(),
            events: bill
                .events
                .iter()
                .map(crate::domain::bill::BillEvent::for_buyer)
                .collect(),
            production: bill
                .lines
                .iter()
                .map(|l| LineProductionView {
                    code: l.code.to_string(),
                    state,
                    error: None,
                    problem: None,
                    products: Vec::new(),
                })
                .collect(),
            language: bill.language,
            instructions: None,
            access: None,
            moves: None,
            messages: None,
            support: None,
        }
    }

    /// The staff's view of `bill`: the moves an operator may make, and each line's name in
    /// every language (the staff's pages may not be in the buyer's).
    pub fn for_staff(mut self, bill: &crate::domain::bill::Bill) -> Self {
        self.moves = Some(self.status.operator_moves());
        self.events = bill.events.clone();
        for (view, line) in self.lines.iter_mut().zip(&bill.lines) {
            view.names = Some(line.item.names());
        }
        self
    }

    /// For staff: the support course's enrolment, when Moodle refused it.
    pub fn with_support(mut self, support: Option<crate::app::production::LineProgress>) -> Self {
        self.support = support
            .filter(|p| p.state == "failed")
            .map(|p| LineProductionView {
                code: "support".into(),
                state: p.state,
                error: p.problem.as_ref().map(DeliveryProblem::english),
                problem: p.problem,
                products: Vec::new(),
            });
        self
    }

    /// The production state of each line from its units' records (`in_progress`, `done`,
    /// `failed` with the Moodle error, `revoked`) and the product instances it made.
    pub fn with_production(
        mut self,
        progress: &BTreeMap<usize, crate::app::production::LineProgress>,
    ) -> Self {
        for (i, line) in self.production.iter_mut().enumerate() {
            if let Some(p) = progress.get(&i) {
                line.state = p.state;
                line.error = p.problem.as_ref().map(DeliveryProblem::english);
                line.problem = p.problem.clone();
                line.products = p.products.clone();
            }
        }
        self
    }
}
