//! A message as a shop's own words make it, for a sample order: what the settings page shows
//! before a manager saves new words. The same parser, checks and composer as the messages sent.

use rust_decimal::Decimal;

use super::Letter;
use super::compose::{Extras, Site, compose};
use crate::domain::Language;
use crate::domain::bill::{
    Actor, Bill, BillEvent, BillId, BillStatus, BillTotals, Cause, CreditNote, Payment, Refund,
};
use crate::domain::cart::Identity;
use crate::domain::catalog::{PaymentMethod, Shop};
use crate::domain::document::ShopDocument;
use crate::domain::ids::CartId;
use crate::domain::message::MessageKind;
use crate::domain::problem::DeliveryProblem;
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
        events: vec![BillEvent::placed(now, PaymentMethod::Transfer)],
        production_queued: false,
        revoke_queued: false,
        production_generation: 0,
        delivered_at: None,
        language,
        mail_token_digests: Vec::new(),
        lookup_token_digests: Vec::new(),
        refunds: Vec::new(),
        credit_note: None,
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
    let mut bill = sample_bill(shop, language);
    let now = chrono::Utc::now();
    if kind == MessageKind::GatewayNote {
        let cause = Cause::NotifiedWhenSettled {
            status: bill.status,
        };
        bill.note(&Actor::Gateway("paypal".into()), cause, None, now);
    }
    if kind == MessageKind::PartialRefund {
        sample_refund(&mut bill, now);
    }
    let letter = Letter::due(&bill, bill.events.len() - 1, kind, "preview".into(), now);
    let own = shop.messages.get(&(kind, language));
    let mut extras = Extras::default();
    if kind == MessageKind::ProductionFailed {
        extras.problems = vec![(sample_line(shop, language), sample_problem())];
    }
    compose(
        &letter,
        &bill,
        document,
        &example_site(),
        extras,
        "ada@example.org",
        own,
    )
}

/// A sample order's part refund (a tenth of it), with its credit note.
fn sample_refund(bill: &mut Bill, now: chrono::DateTime<chrono::Utc>) {
    let amount = bill.currency.round(bill.total() / Decimal::TEN);
    let year = now.format("%Y");
    let credit_note = CreditNote {
        number: format!("{}-AV-{year}-000001", bill.shop.as_str().to_uppercase()),
        at: now,
    };
    bill.payments.push(Payment {
        at: now,
        amount: bill.total(),
        method: bill.payment_method,
        reference: None,
        actor: Actor::System,
    });
    let refund = Refund {
        at: now,
        amount,
        reference: None,
        actor: Actor::System,
        credit_note: None,
    };
    bill.refund_part(refund, "sample".into())
        .expect("a tenth of a paid bill is refunded");
    bill.refunds[0].credit_note = Some(credit_note);
}

/// A line a sample problem is about: the shop's first item, by its name in `language`.
fn sample_line(shop: &Shop, language: Language) -> String {
    let Some(item) = shop.items.first() else {
        return "Excel".into();
    };
    let mut item = item.clone();
    item.localize(language);
    item.name
}

/// What a real Moodle answers when the shop's account may not enrol.
fn sample_problem() -> DeliveryProblem {
    DeliveryProblem::moodle_refused(
        "nopermissions".into(),
        "Sorry, but you do not currently have permissions to do that (Enrol users).".into(),
    )
}

/// The demo shop (`infra/demo-shop.json`) as imported, for tests.
#[cfg(test)]
pub(crate) fn demo_shop() -> (ShopDocument, Shop) {
    let doc: ShopDocument =
        serde_json::from_str(include_str!("../../../../infra/demo-shop.json")).unwrap();
    let shop = doc.validate(&"demo".parse().unwrap()).unwrap();
    (doc, shop)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The gateway's note is said in the message's language, never in the English of the trace.
    #[test]
    fn a_gateway_note_says_the_gateways_words_in_the_messages_language() {
        let (doc, shop) = demo_shop();
        let fr = preview(&doc, &shop, MessageKind::GatewayNote, Language::Fr).text;
        assert!(
            fr.contains("notification de paiement sur une commande « Payée » : à vérifier"),
            "{fr}"
        );
        assert!(!fr.contains("operators") && !fr.contains("PAID"), "{fr}");
        let en = preview(&doc, &shop, MessageKind::GatewayNote, Language::En).text;
        assert!(
            en.contains("payment notification on a PAID bill: operators, check it"),
            "{en}"
        );
    }

    /// A failed delivery is said in the message's language, with what Moodle's usual refusal
    /// means for the shop; Moodle's own words stay quoted.
    #[test]
    fn a_failed_delivery_is_said_in_the_messages_language() {
        let (doc, shop) = demo_shop();
        let fr = preview(&doc, &shop, MessageKind::ProductionFailed, Language::Fr).text;
        assert!(
            fr.contains(
                "Moodle a refusé : il manque une permission au compte Moodle de la boutique \
                 (nopermissions) ; Moodle dit « Sorry, but you do not"
            ),
            "{fr}"
        );
        assert!(!fr.contains("Moodle error"), "{fr}");
        let en = preview(&doc, &shop, MessageKind::ProductionFailed, Language::En).text;
        assert!(
            en.contains(
                "Moodle refused: the shop’s Moodle account lacks a permission (nopermissions); \
                 Moodle said “Sorry"
            ),
            "{en}"
        );
    }

    /// A refusal the shop has no words for is said with Moodle's code and words alone.
    #[test]
    fn an_unusual_refusal_is_said_with_moodles_code() {
        let problem = crate::domain::problem::DeliveryProblem::moodle_refused(
            "dmlwriteexception".into(),
            "Error writing to database".into(),
        );
        assert_eq!(
            super::super::compose::problem_said(&problem, Language::Fr),
            "Moodle a refusé (dmlwriteexception) : « Error writing to database »"
        );
        assert_eq!(
            super::super::compose::problem_said(&problem, Language::En),
            "Moodle error dmlwriteexception: Error writing to database"
        );
    }
}
