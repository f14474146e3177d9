//! A message in the shop's own words (`messages` of the shop document): its subject and
//! paragraphs with the placeholders filled. A paragraph that is only a link or a list
//! placeholder (`{bill_link}`, `{lines}`, `{courses}`) becomes that link or list.

use super::Letter;
use super::access::{courses, extend_link, password_link, seat_facts};
use super::compose::{
    Block, Extras, Site, bill_link, instructions, lines, money, order_links, said, text_of,
};
use crate::domain::Language;
use crate::domain::bill::Bill;
use crate::domain::document::ShopDocument;
use crate::domain::message::MessageText;

/// What a message's placeholders stand for.
pub(super) struct Facts<'a> {
    pub letter: &'a Letter,
    pub bill: &'a Bill,
    pub shop: &'a ShopDocument,
    pub site: &'a Site,
    pub extras: &'a Extras,
}

impl Facts<'_> {
    fn fr(&self) -> bool {
        self.letter.language == Language::Fr
    }

    fn money(&self, amount: rust_decimal::Decimal) -> String {
        money(self.bill, amount, self.letter.language)
    }

    fn date(&self, at: chrono::DateTime<chrono::Utc>) -> String {
        at.format(if self.fr() { "%d/%m/%Y" } else { "%Y-%m-%d" })
            .to_string()
    }

    fn moodle(&self) -> Option<&str> {
        self.site
            .moodle_url
            .as_deref()
            .map(|m| m.trim_end_matches('/'))
    }

    /// The value of a placeholder: empty when the message has nothing to put there, `None`
    /// for a name this function does not know (import lets through only names of
    /// `MessageKind::placeholders`, and the test below checks each has a value here).
    fn value(&self, name: &str) -> Option<Vec<Block>> {
        let (bill, fr) = (self.bill, self.fr());
        let text = |t: String| vec![Block::Para(t)];
        let seat = || seat_facts(self.letter, bill, self.site, fr);
        let expiring = self.extras.expiring.as_ref();
        Some(match name {
            "shop" => text(self.shop.name_in(self.letter.language)),
            "bill" => text(bill.id.to_string()),
            "firstname" => text(bill.customer.firstname.clone()),
            "lastname" => text(bill.customer.lastname.clone()),
            "email" => text(bill.customer.email.to_string()),
            "total" => text(self.money(bill.total())),
            "remaining" => text(self.money(bill.remaining())),
            "payment_method" => text(bill.payment_method.as_str().to_owned()),
            "bill_link" => vec![Block::Link {
                label: (if fr { "Votre commande" } else { "Your order" }).to_owned(),
                url: bill_link(self.letter, bill, self.site),
            }],
            "lines" => vec![lines(bill, fr)],
            "instructions" => instructions(bill, self.shop, fr)
                .map(Block::Para)
                .into_iter()
                .collect(),
            "invoice_number" => text(bill.invoice_number.clone().unwrap_or_default()),
            "credit_note_number" => {
                let refund = bill.refund_of_event(self.letter.event);
                let note = match refund {
                    Some(r) => r.credit_note.as_ref(),
                    None => bill.credit_note.as_ref(),
                };
                text(note.map(|c| c.number.clone()).unwrap_or_default())
            }
            "refunded" => {
                let refund = bill.refund_of_event(self.letter.event);
                text(refund.map(|r| self.money(r.amount)).unwrap_or_default())
            }
            "courses" => self
                .moodle()
                .map(|m| courses(self.extras, m))
                .unwrap_or_default(),
            "username" => match seat() {
                Some(s) => text(s.username),
                None => text(self.extras.username.clone().unwrap_or_default()),
            },
            "moodle_url" => text(self.moodle().unwrap_or_default().to_owned()),
            "password_link" => self
                .moodle()
                .map(|m| password_link(m, fr))
                .into_iter()
                .collect(),
            "reason" => text(said(bill, self.letter.event, self.letter.language)),
            "problems" => self
                .extras
                .problems
                .iter()
                .map(|(line, problem)| {
                    let said = super::compose::problem_said(problem, self.letter.language);
                    Block::Para(format!("{line}: {said}"))
                })
                .collect(),
            "paid_at" => text(bill.paid_at.map(|p| self.date(p)).unwrap_or_default()),
            "orders" => order_links(self.extras, self.site, fr),
            "item" => text(expiring.map(|e| e.item.clone()).unwrap_or_default()),
            "ends" => text(expiring.map(|e| self.date(e.ends)).unwrap_or_default()),
            "extend_link" => extend_link(bill, self.site, self.extras, fr)
                .into_iter()
                .collect(),
            "course" => text(seat().map(|s| s.course).unwrap_or_default()),
            "holder" => text(seat().map(|s| s.holder).unwrap_or_default()),
            "holder_email" => text(seat().map(|s| s.holder_email).unwrap_or_default()),
            "dates" => text(seat().map(|s| s.dates).unwrap_or_default()),
            "buyer" => text(seat().map(|s| s.buyer).unwrap_or_default()),
            "course_link" => seat()
                .and_then(|s| {
                    let (_, url) = s.moodle?;
                    Some(Block::Link {
                        label: s.course,
                        url,
                    })
                })
                .into_iter()
                .collect(),
            _ => return None,
        })
    }

    /// The blocks of a placeholder (an unknown one stays visible as `{name}`).
    fn blocks(&self, name: &str) -> Vec<Block> {
        self.value(name)
            .unwrap_or_else(|| vec![Block::Para(format!("{{{name}}}"))])
    }

    /// A placeholder's value inside a sentence: its text, a link as its address.
    fn inline(&self, name: &str) -> String {
        self.blocks(name)
            .iter()
            .map(|b| match b {
                Block::Link { url, .. } => url.clone(),
                other => text_of(other, self.letter.language),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The subject and blocks of a message in the shop's own words.
pub(super) fn own_words(text: &MessageText, facts: &Facts) -> (String, Vec<Block>) {
    let subject = text.subject.render(|n| facts.inline(n));
    let mut blocks = Vec::new();
    for paragraph in &text.body {
        match paragraph.only_name() {
            Some(name) => blocks.extend(facts.blocks(name)),
            None => blocks.push(Block::Para(paragraph.render(|n| facts.inline(n)))),
        }
    }
    (subject, blocks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::message::MessageKind;

    /// Import accepts exactly the names of `MessageKind::placeholders`: each has a value here,
    /// for every message, so a shop's words never show a placeholder unfilled.
    #[test]
    fn every_placeholder_of_every_message_has_a_value() {
        let (shop, valid) = super::super::preview::demo_shop();
        let bill = super::super::preview::sample_bill(&valid, Language::Fr);
        let site = super::super::preview::example_site();
        let extras = Extras::default();
        for &kind in MessageKind::ALL {
            let letter = Letter::due(&bill, 0, kind, "id".into(), chrono::Utc::now());
            let facts = Facts {
                letter: &letter,
                bill: &bill,
                shop: &shop,
                site: &site,
                extras: &extras,
            };
            for name in kind.placeholders() {
                assert!(
                    facts.value(name).is_some(),
                    "{kind:?}: {{{name}}} has no value"
                );
            }
            assert_eq!(facts.inline("firstname"), "Ada");
            assert!(facts.value("no_such_name").is_none());
        }
    }
}
