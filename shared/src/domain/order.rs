//! The ORDER step and placement rules (ARCHITECTURE.md, "The four request paths"): what must hold before a cart becomes a bill,
//! and the bill it becomes.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::bill::{Bill, BillId, BillLine, BillStatus, BillTax, BillTotals};
use super::cart::{Cart, StepState};
use super::catalog::{PaymentMethod, Shop, Step};
use super::document::ShopDocument;
use super::pricing::Totals;
use super::{FieldError, Reason};

/// Why a payment method cannot pay this order, if it cannot.
pub fn method_problem(shop: &Shop, method: PaymentMethod, total: Decimal) -> Option<Reason> {
    let unavailable = |text: String| Some(Reason::new("method_unavailable", text));
    if !shop.payment_methods.contains(&method) {
        return unavailable(format!("`{}` is not enabled in this shop", method.as_str()));
    }
    match method {
        PaymentMethod::Free if !total.is_zero() => {
            unavailable("`free` is only for orders whose total is 0".into())
        }
        _ if total.is_zero() && method != PaymentMethod::Free => {
            unavailable("an order whose total is 0 is placed with `free`".into())
        }
        PaymentMethod::Test if !shop.test_mode => {
            unavailable("`test` is only available in test mode".into())
        }
        _ => None,
    }
}

/// Checks everything placement needs and gives the payment method, or every problem.
pub fn check_order(
    cart: &Cart,
    shop: &Shop,
    method: &str,
    accept_terms: bool,
) -> Result<PaymentMethod, Vec<FieldError>> {
    let mut errors = Vec::new();
    let (lines, unavailable) = cart.priced_lines(shop);
    if cart.lines.is_empty() {
        errors.push(FieldError::new(
            "lines",
            Reason::new("cart_empty", "the cart is empty"),
        ));
    }
    for code in unavailable {
        errors.push(FieldError::new(
            format!("lines.{code}"),
            Reason::new("not_for_sale", "no longer for sale: remove it"),
        ));
    }
    for step in &shop.step_order {
        if cart.step_state(shop, *step) == StepState::Needed {
            errors.push(FieldError::new(
                format!("steps.{}", step.as_str()),
                Reason::new("step_needed", step_reason(*step)).with("step", step.as_str()),
            ));
        }
    }
    if !accept_terms {
        errors.push(FieldError::new(
            "accept_terms",
            Reason::new(
                "must_be_checked",
                "accept the terms of sale (and the items' EULAs) to order",
            ),
        ));
    }
    let total = Totals::of(lines.iter().map(|(_, _, p)| p)).incl_tax;
    let method = match method.parse::<PaymentMethod>() {
        Ok(m) => match method_problem(shop, m, total) {
            Some(problem) => {
                errors.push(FieldError::new("payment_method", problem));
                None
            }
            None => Some(m),
        },
        Err(e) => {
            errors.push(FieldError::new(
                "payment_method",
                Reason::new("method_unavailable", e),
            ));
            None
        }
    };
    match method {
        Some(m) if errors.is_empty() => Ok(m),
        _ => Err(errors),
    }
}

fn step_reason(step: Step) -> &'static str {
    match step {
        Step::Requirements => "fill in the required data of every unit",
        Step::Participants => "assign a participant to every seat",
        Step::Customer => "give the customer's identity",
    }
}

/// The totals as the bill keeps them (tax rates in percent).
fn bill_totals(totals: &Totals) -> BillTotals {
    BillTotals {
        excl_tax: totals.excl_tax,
        tax: totals.tax,
        incl_tax: totals.incl_tax,
        taxes: totals
            .taxes
            .iter()
            .map(|t| BillTax {
                code: t.code.clone(),
                rate: t.rate.percent(),
                base: t.base,
                amount: t.amount,
            })
            .collect(),
    }
}

/// The bill a ready cart becomes: every line frozen as sold (named in the buyer's language),
/// in status PLACED.
pub fn bill_from_cart(
    cart: &Cart,
    shop: &Shop,
    document: &ShopDocument,
    method: PaymentMethod,
    token_digest: String,
    now: DateTime<Utc>,
) -> Bill {
    let mut shop = shop.clone();
    shop.localize(cart.language);
    let shop = &shop;
    let (lines, _) = cart.priced_lines(shop);
    let totals = Totals::of(lines.iter().map(|(_, _, p)| p));
    let masked = document.masked();
    let bill_lines = lines
        .iter()
        .map(|(line, item, price)| BillLine {
            code: line.code.clone(),
            name: item.name.clone(),
            quantity: line.quantity.get(),
            unit_price: price.unit_price,
            total_excl_tax: price.total_excl_tax,
            tax_code: price.tax_code.clone(),
            tax_rate: price.tax_rate.percent(),
            tax: price.tax,
            total_incl_tax: price.total_incl_tax,
            required_data: cart
                .requirements
                .get(&line.code)
                .cloned()
                .unwrap_or_default(),
            seats: cart
                .assignments
                .get(&line.code)
                .cloned()
                .unwrap_or_else(BTreeMap::new),
            item: masked
                .items
                .iter()
                .find(|d| d.code == line.code.as_str())
                .cloned()
                .expect("a validated shop's items come from its document"),
        })
        .collect();
    Bill {
        id: BillId::new(now),
        shop: shop.id.clone(),
        cart: cart.id.clone(),
        token_digest,
        status: BillStatus::Placed,
        placed_at: now,
        currency: shop.currency,
        lines: bill_lines,
        totals: bill_totals(&totals),
        customer: cart
            .customer
            .clone()
            .expect("checked: the customer step is done"),
        invoicing: cart.invoicing.clone(),
        participants: cart.participants.clone(),
        payment_method: method,
        test: shop.test_mode,
        invoice_number: None,
        paid_at: None,
        payments: Vec::new(),
        events: vec![super::bill::BillEvent::placed(now, method)],
        production_queued: false,
        revoke_queued: false,
        production_generation: 0,
        delivered_at: None,
        language: cart.language,
        mail_token_digests: Vec::new(),
        lookup_token_digests: Vec::new(),
        refunds: Vec::new(),
        credit_note: None,
    }
}
