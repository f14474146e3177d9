//! The bill as a document (ARCHITECTURE.md, "Bill states"): an order form before payment, an
//! invoice with its number once paid, in the bill's language (English or French): the seller's
//! legal identity, the buyer's (with their VAT numbers), the lines, the tax per rate, totals,
//! the payment and the shop's payment terms and late-payment mentions. Rendered as HTML
//! (askama, escaped) or PDF ([`pdf`]: fonts embedded, names wrapped, amounts right-aligned).

mod pdf;
pub(crate) mod words;

use askama::Template;

use crate::domain::Language;
use crate::domain::bill::{Bill, Credited};
use crate::domain::cart::Identity;
use crate::domain::document::ShopDocument;
use words::Words;

pub struct LineRow {
    pub name: String,
    pub quantity: u32,
    pub unit_price: String,
    pub total_excl_tax: String,
    pub tax_rate: String,
    pub total_incl_tax: String,
}

pub struct TaxRow {
    pub rate: String,
    pub base: String,
    pub amount: String,
}

/// What the document is: the bill before payment, its invoice, or the credit note that
/// cancels that invoice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocumentKind {
    OrderForm,
    Invoice,
    CreditNote,
}

/// Everything the document shows, already worded and formatted in its language.
pub struct InvoiceDocument {
    pub language: Language,
    pub kind: DocumentKind,
    /// The invoice's or credit note's number; `None` for an order form.
    pub number: Option<String>,
    pub reference: String,
    /// Labelled facts under the title: numbers, dates, status, payment method.
    pub facts: Vec<(String, String)>,
    pub seller: Vec<String>,
    pub customer: Vec<String>,
    pub invoicing: Option<Vec<String>>,
    pub lines: Vec<LineRow>,
    pub taxes: Vec<TaxRow>,
    pub total_excl_tax: String,
    pub total_tax: String,
    pub total_incl_tax: String,
    /// How it was paid, or what is due.
    pub settlement: String,
    /// The shop's payment terms and late-payment mentions, in the document's language.
    pub mentions: Vec<String>,
    pub test: bool,
    words: &'static Words,
}

impl InvoiceDocument {
    pub fn new(bill: &Bill, shop: &ShopDocument) -> Self {
        let language = bill.language;
        let w = Words::of(language);
        let money = |d: rust_decimal::Decimal| bill.currency.display(d, language);
        let number = bill.invoice_number.clone();
        let mut facts = Vec::new();
        if let Some(n) = &number {
            facts.push((w.invoice_number.into(), n.clone()));
        }
        if let Some(paid) = bill.paid_at.filter(|_| number.is_some()) {
            facts.push((w.invoice_date.into(), w.date(paid)));
        }
        if number.is_some() {
            let parts = bill.refunds.iter().filter_map(|r| r.credit_note.as_ref());
            facts.extend(parts.map(|c| (w.refunded_in_part_by.into(), c.number.clone())));
            let all = bill.credit_note.as_ref();
            facts.extend(all.map(|c| (w.cancelled_by.into(), c.number.clone())));
        }
        facts.push((w.order_reference.into(), bill.id.to_string()));
        facts.push((w.order_date.into(), w.date(bill.placed_at)));
        facts.push((w.status.into(), w.status_name(bill.status).into()));
        facts.push((w.payment_method.into(), w.method_name(bill.payment_method)));
        // Paid once, an invoice says so for ever (refunded, it is cancelled by a credit note).
        let settlement = match bill.paid_at {
            Some(at) => format!("{} {}", w.paid_on, w.date(at)),
            None => format!("{} {}", w.amount_due, money(bill.remaining())),
        };
        let mentions = [
            shop.text_in(
                language,
                |t| t.payment_terms.as_ref(),
                shop.payment_terms.as_ref(),
            ),
            shop.text_in(
                language,
                |t| t.late_payment.as_ref(),
                shop.late_payment.as_ref(),
            ),
        ]
        .into_iter()
        .flatten()
        .collect();
        Self {
            language,
            kind: match number {
                Some(_) => DocumentKind::Invoice,
                None => DocumentKind::OrderForm,
            },
            number,
            reference: bill.id.to_string(),
            facts,
            seller: seller(shop, w),
            customer: identity(&bill.customer, w),
            invoicing: bill.invoicing.as_ref().map(|i| identity(i, w)),
            lines: bill
                .lines
                .iter()
                .map(|l| LineRow {
                    name: l.name.clone(),
                    quantity: l.quantity,
                    unit_price: money(l.unit_price),
                    total_excl_tax: money(l.total_excl_tax),
                    tax_rate: w.percent(l.tax_rate),
                    total_incl_tax: money(l.total_incl_tax),
                })
                .collect(),
            taxes: tax_rows(&bill.totals.taxes, w, money),
            total_excl_tax: money(bill.totals.excl_tax),
            total_tax: money(bill.totals.tax),
            total_incl_tax: money(bill.totals.incl_tax),
            settlement,
            mentions,
            test: bill.test,
            words: w,
        }
    }

    /// A credit note of the bill (`None` until it has it): `number`, or the bill's own (refunded
    /// or called off after its invoice) when `None`. In full, it is the invoice's lines and
    /// totals with the opposite sign; for an amount (a part refund, or the rest after them), the
    /// amount spread over the invoice's rates ([`Credited`]).
    pub fn credit_note(bill: &Bill, shop: &ShopDocument, number: Option<&str>) -> Option<Self> {
        let invoice = bill.invoice_number.as_ref()?;
        let own = bill.credit_note.as_ref();
        let (note, credited) = bill
            .credit_notes()
            .into_iter()
            .find(|(note, _)| match number {
                Some(n) => note.number == n,
                None => own.is_some_and(|own| own.number == note.number),
            })?;
        let w = Words::of(bill.language);
        let money = |d: rust_decimal::Decimal| bill.currency.display(-d, bill.language);
        let doc = Self::new(bill, shop);
        let refers = match credited {
            Credited::Part(_) => w.refers_to_invoice,
            _ => w.cancels_invoice,
        };
        let mut facts = vec![
            (w.credit_note_number.into(), note.number.clone()),
            (w.credit_note_date.into(), w.date(note.at)),
            (refers.into(), invoice.clone()),
        ];
        facts.extend(bill.paid_at.map(|at| (w.invoice_date.into(), w.date(at))));
        facts.extend(
            doc.facts
                .into_iter()
                .skip_while(|(label, _)| label != w.order_reference),
        );
        let settlement = match credited {
            Credited::InFull => format!("{} {invoice}.", w.cancels_in_full),
            Credited::Part(_) => format!("{} {invoice}.", w.refunds_part_of),
            Credited::Rest(_) => {
                let before: Vec<&str> = bill
                    .refunds
                    .iter()
                    .filter_map(|r| r.credit_note.as_ref().map(|c| c.number.as_str()))
                    .collect();
                let before = before.join(", ");
                let (rest, after) = (w.cancels_the_rest_of, w.after_credit_notes);
                format!("{rest} {invoice} {after} {before}.")
            }
        };
        let taxes = credited.taxes(bill);
        let lines = match credited {
            Credited::InFull => bill
                .lines
                .iter()
                .zip(doc.lines)
                .map(|(line, row)| LineRow {
                    unit_price: money(line.unit_price),
                    total_excl_tax: money(line.total_excl_tax),
                    total_incl_tax: money(line.total_incl_tax),
                    ..row
                })
                .collect(),
            _ => taxes
                .iter()
                .map(|t| LineRow {
                    name: format!("{} {invoice}", w.refund_on_invoice),
                    quantity: 1,
                    unit_price: money(t.base),
                    total_excl_tax: money(t.base),
                    tax_rate: w.percent(t.rate),
                    total_incl_tax: money(t.base + t.amount),
                })
                .collect(),
        };
        let amount = credited.amount(bill);
        let tax: rust_decimal::Decimal = taxes.iter().map(|t| t.amount).sum();
        Some(Self {
            kind: DocumentKind::CreditNote,
            number: Some(note.number.clone()),
            facts,
            lines,
            taxes: tax_rows(&taxes, w, money),
            total_excl_tax: money(amount - tax),
            total_tax: money(tax),
            total_incl_tax: money(amount),
            settlement,
            mentions: Vec::new(),
            ..doc
        })
    }

    /// "Invoice DEMO-2026-000001" once paid, "Order form <reference>" before, "Credit note
    /// DEMO-AV-2026-000001" for the credit note.
    pub fn heading(&self) -> String {
        let title = match self.kind {
            DocumentKind::OrderForm => self.words.order,
            DocumentKind::Invoice => self.words.invoice,
            DocumentKind::CreditNote => self.words.credit_note,
        };
        format!(
            "{title} {}",
            self.number.as_deref().unwrap_or(&self.reference)
        )
    }

    pub fn html(&self) -> String {
        InvoiceHtml {
            doc: self,
            w: self.words,
            lang: self.language.as_str(),
        }
        .render()
        .expect("the invoice template renders")
    }

    /// A PDF of one or more A4 pages.
    pub fn pdf(&self) -> Vec<u8> {
        pdf::render(self)
    }
}

/// The tax per rate: "VAT 20%", its base and amount, each as `money` writes it.
fn tax_rows(
    taxes: &[crate::domain::bill::BillTax],
    w: &Words,
    money: impl Fn(rust_decimal::Decimal) -> String,
) -> Vec<TaxRow> {
    taxes
        .iter()
        .map(|t| TaxRow {
            rate: format!("{} {}", w.vat, w.percent(t.rate)),
            base: money(t.base),
            amount: money(t.amount),
        })
        .collect()
}

/// The seller's legal identity: name, address, and each legal fact with its label.
fn seller(shop: &ShopDocument, w: &Words) -> Vec<String> {
    let s = &shop.seller;
    let mut lines = vec![s.get("name").cloned().unwrap_or_else(|| shop.name.clone())];
    lines.extend(s.get("address").cloned());
    let town = [s.get("zip"), s.get("city")]
        .into_iter()
        .flatten()
        .cloned()
        .collect::<Vec<_>>()
        .join(" ");
    lines.extend((!town.is_empty()).then_some(town));
    lines.extend(s.get("country").map(|c| w.country(c)));
    const SHOWN: [&str; 6] = ["name", "address", "zip", "city", "country", "email"];
    for (key, value) in s.iter().filter(|(k, _)| !SHOWN.contains(&k.as_str())) {
        lines.push(format!("{}{}{value}", w.seller_field(key), w.colon));
    }
    lines.extend(s.get("email").cloned());
    lines
}

fn identity(i: &Identity, w: &Words) -> Vec<String> {
    let mut lines = vec![format!("{} {}", i.firstname, i.lastname)];
    lines.extend(i.organisation.clone());
    lines.push(i.address.clone());
    lines.push(format!("{} {}", i.zip, i.city));
    lines.push(w.country(&i.country));
    lines.extend(
        i.vat_number
            .as_ref()
            .map(|v| format!("{}{}{v}", w.vat_number, w.colon)),
    );
    lines.push(i.email.to_string());
    lines
}

#[derive(Template)]
#[template(path = "invoice.html")]
struct InvoiceHtml<'a> {
    doc: &'a InvoiceDocument,
    w: &'a Words,
    lang: &'a str,
}
