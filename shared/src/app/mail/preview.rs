//! A message as a shop's own words make it, for a sample order: what the settings page shows
//! before a manager saves new words. The same parser, checks and composer as the messages sent.

use rust_decimal::Decimal;

use super::Letter;
use super::compose::{Extras, Site, compose};
use crate::domain::Language;
use crate::domain::bill::{Actor, Bill, BillEvent, BillId, BillStatus, BillTotals};
use crate::domain::cart::Identity;
use crate::domain::catalog::{PaymentMethod, Shop};
use crate::domain::document::ShopDocument;
use crate::domain::ids::CartId;
use crate::domain::message::MessageKind;
use crate::ports::Mail;

/// Where a preview's links point: example addresses, not the shop's.
pub(crate) fn example_site() -> Site {
    Site {
        from: "shop@example.org".into(),
        pages_url: "https://shop.example".into(),
        bill_path: "/bill".into(),
        moodle_url: Some("https://moodle.example".into()),
        api_url: "https://api.example".into(),
    }
}

/// A paid order of 100 (the shop's currency) by Ada Lovelace, in `language`.
pub(crate) fn sample_bill(shop: &Shop, language: Language) -> Bill {
    let now = chrono::Utc::now();
    let hundred = Decimal::ONE_HUNDRED;
    Bill {
        id: BillId::new(now),
        shop: shop.id.clone(),
        cart: CartId::random(),
        token_digest: String::new(),
        status: BillStatus::Paid,
        placed_at: now,
        currency: shop.currency,
        lines: Vec::new(),
        totals: BillTotals {
            excl_tax: hundred,
            tax: Decimal::ZERO,
            incl_tax: hundred,
            taxes: Vec::new(),
        },
        customer: Identity {
            firstname: "Ada".into(),
            lastname: "Lovelace".into(),
            email: "ada@example.org".parse().expect("an address"),
            address: "1 rue des Écoles".into(),
            zip: "75005".into(),
            city: "Paris".into(),
            country: "FR".into(),
            organisation: None,
            phone: None,
            vat_number: None,
        },
        invoicing: None,
        participants: Vec::new(),
        payment_method: PaymentMethod::Transfer,
        test: true,
        invoice_number: Some(format!("{}-0001", now.format("%Y"))),
        paid_at: Some(now),
        payments: Vec::new(),
        events: vec![BillEvent {
            at: now,
            from: None,
            to: BillStatus::Placed,
            actor: Actor::Buyer,
            reason: String::new(),
            reference: None,
        }],
        production_queued: false,
        revoke_queued: false,
        production_generation: 0,
        language,
        mail_token_digests: Vec::new(),
    }
}

/// Message `kind` in `language` for a sample order, in `shop`'s own words when it has some
/// (its `messages`), else in the default words.
pub fn preview(
    document: &ShopDocument,
    shop: &Shop,
    kind: MessageKind,
    language: Language,
) -> Mail {
    let bill = sample_bill(shop, language);
    let letter = Letter::due(&bill, 0, kind, "preview".into(), chrono::Utc::now());
    let own = shop.messages.get(&(kind, language));
    compose(
        &letter,
        &bill,
        document,
        &example_site(),
        Extras::default(),
        "ada@example.org",
        own,
    )
}
