//! The bill as a document (ARCHITECTURE.md, "Bill states"): "Order" before payment, "Invoice" with
//! its number once paid; seller, customer and invoicing identities, lines, tax breakdown,
//! totals, payment method and dates. Rendered as HTML (askama, escaped) or PDF (pdf-writer,
//! with the standard Helvetica font, so nothing is embedded).

use askama::Template;
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};

use crate::domain::bill::Bill;
use crate::domain::cart::Identity;
use crate::domain::document::ShopDocument;

pub struct LineRow {
    pub code: String,
    pub name: String,
    pub quantity: u32,
    pub unit_price: String,
    pub total_excl_tax: String,
    pub tax_rate: String,
    pub total_incl_tax: String,
}

pub struct TaxRow {
    pub code: String,
    pub rate: String,
    pub base: String,
    pub amount: String,
}

/// Everything the document shows, already formatted.
pub struct InvoiceDocument {
    /// The invoice number once paid; `None` makes the document an order.
    pub number: Option<String>,
    pub reference: String,
    pub status: String,
    pub placed: String,
    pub paid: Option<String>,
    pub seller: Vec<String>,
    pub customer: Vec<String>,
    pub invoicing: Option<Vec<String>>,
    pub lines: Vec<LineRow>,
    pub taxes: Vec<TaxRow>,
    pub total_excl_tax: String,
    pub total_tax: String,
    pub total_incl_tax: String,
    pub currency: String,
    pub payment_method: String,
    pub test: bool,
}

fn identity(i: &Identity) -> Vec<String> {
    let mut lines = vec![format!("{} {}", i.firstname, i.lastname)];
    lines.extend(i.organisation.clone());
    lines.push(i.address.clone());
    lines.push(format!("{} {}", i.zip, i.city));
    lines.push(i.country.clone());
    lines.push(i.email.to_string());
    lines
}

impl InvoiceDocument {
    pub fn new(bill: &Bill, shop: &ShopDocument) -> Self {
        let m = |d: rust_decimal::Decimal| bill.currency.format(d);
        let s = &shop.seller;
        let mut seller = vec![s.get("name").cloned().unwrap_or_else(|| shop.name.clone())];
        seller.extend(s.get("address").cloned());
        let town = [s.get("zip"), s.get("city")]
            .into_iter()
            .flatten()
            .cloned()
            .collect::<Vec<_>>()
            .join(" ");
        seller.extend((!town.is_empty()).then_some(town));
        seller.extend(s.get("country").cloned());
        seller.extend(s.get("vat_number").map(|v| format!("VAT {v}")));
        seller.extend(s.get("email").cloned());
        Self {
            number: bill.invoice_number.clone(),
            reference: bill.id.to_string(),
            status: bill.status.to_string(),
            placed: bill.placed_at.format("%Y-%m-%d").to_string(),
            paid: bill.paid_at.map(|d| d.format("%Y-%m-%d").to_string()),
            seller,
            customer: identity(&bill.customer),
            invoicing: bill.invoicing.as_ref().map(identity),
            lines: bill
                .lines
                .iter()
                .map(|l| LineRow {
                    code: l.code.to_string(),
                    name: l.name.clone(),
                    quantity: l.quantity,
                    unit_price: m(l.unit_price),
                    total_excl_tax: m(l.total_excl_tax),
                    tax_rate: l.tax_rate.normalize().to_string(),
                    total_incl_tax: m(l.total_incl_tax),
                })
                .collect(),
            taxes: bill
                .totals
                .taxes
                .iter()
                .map(|t| TaxRow {
                    code: t.code.to_string(),
                    rate: t.rate.normalize().to_string(),
                    base: m(t.base),
                    amount: m(t.amount),
                })
                .collect(),
            total_excl_tax: m(bill.totals.excl_tax),
            total_tax: m(bill.totals.tax),
            total_incl_tax: m(bill.totals.incl_tax),
            currency: bill.currency.code().to_owned(),
            payment_method: bill.payment_method.as_str().to_owned(),
            test: bill.test,
        }
    }

    /// "Invoice DEMO-2026-000001" once paid, "Order <reference>" before.
    pub fn heading(&self) -> String {
        match &self.number {
            Some(n) => format!("Invoice {n}"),
            None => format!("Order {}", self.reference),
        }
    }

    pub fn html(&self) -> String {
        InvoiceHtml { doc: self }
            .render()
            .expect("the invoice template renders")
    }

    /// A PDF of one or more A4 pages.
    pub fn pdf(&self) -> Vec<u8> {
        let mut pages = PdfPages::default();
        if self.test {
            pages.text(10.0, "TEST MODE: nothing was really sold.");
        }
        pages.text(18.0, &self.heading());
        let mut meta = format!("Reference {} - placed {}", self.reference, self.placed);
        if let Some(paid) = &self.paid {
            meta.push_str(&format!(" - paid {paid}"));
        }
        pages.text(10.0, &meta);
        pages.gap();
        pages.block("Seller", &self.seller);
        pages.block("Customer", &self.customer);
        if let Some(invoicing) = &self.invoicing {
            pages.block("Invoiced to", invoicing);
        }
        pages.row(
            true,
            [
                "Item",
                "Qty",
                "Unit price",
                "Excl. tax",
                "Tax %",
                "Incl. tax",
            ]
            .map(String::from),
        );
        for l in &self.lines {
            let name = format!("{} ({})", l.name, l.code);
            pages.row(
                false,
                [
                    name,
                    l.quantity.to_string(),
                    l.unit_price.clone(),
                    l.total_excl_tax.clone(),
                    l.tax_rate.clone(),
                    l.total_incl_tax.clone(),
                ],
            );
        }
        pages.gap();
        for t in &self.taxes {
            pages.text(
                10.0,
                &format!(
                    "Tax {} {} % on {}: {} {}",
                    t.code, t.rate, t.base, t.amount, self.currency
                ),
            );
        }
        pages.text(
            10.0,
            &format!("Total excl. tax: {} {}", self.total_excl_tax, self.currency),
        );
        pages.text(10.0, &format!("Tax: {} {}", self.total_tax, self.currency));
        pages.text(
            12.0,
            &format!("Total incl. tax: {} {}", self.total_incl_tax, self.currency),
        );
        pages.gap();
        pages.text(10.0, &format!("Payment method: {}", self.payment_method));
        pages.finish(&self.heading())
    }
}

#[derive(Template)]
#[template(path = "invoice.html")]
struct InvoiceHtml<'a> {
    doc: &'a InvoiceDocument,
}

/// A tiny top-to-bottom layout over A4 pages.
struct PdfPages {
    done: Vec<Vec<u8>>,
    content: Content,
    y: f32,
}

const TOP: f32 = 800.0;
const BOTTOM: f32 = 60.0;
const LEFT: f32 = 50.0;
const COLUMNS: [f32; 6] = [50.0, 300.0, 340.0, 410.0, 470.0, 510.0];

impl Default for PdfPages {
    fn default() -> Self {
        Self {
            done: Vec::new(),
            content: Content::new(),
            y: TOP,
        }
    }
}

/// Text in the standard fonts' WinAnsi encoding (Latin-1 plus €); other characters become `?`.
fn win_ansi(text: &str) -> Vec<u8> {
    let mut buf = [0u8; 4];
    text.chars()
        .flat_map(|c| {
            let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(c.encode_utf8(&mut buf));
            if unmappable {
                vec![b'?']
            } else {
                bytes.into_owned()
            }
        })
        .collect()
}

impl PdfPages {
    fn room(&mut self, height: f32) {
        if self.y - height < BOTTOM {
            let full = std::mem::replace(&mut self.content, Content::new());
            self.done.push(full.finish().into_vec());
            self.y = TOP;
        }
        self.y -= height;
    }

    fn at(&mut self, x: f32, size: f32, bold: bool, text: &str) {
        let font = if bold { Name(b"F2") } else { Name(b"F1") };
        self.content.begin_text();
        self.content.set_font(font, size);
        self.content
            .set_text_matrix([1.0, 0.0, 0.0, 1.0, x, self.y]);
        self.content.show(Str(&win_ansi(text)));
        self.content.end_text();
    }

    fn text(&mut self, size: f32, text: &str) {
        self.room(size * 1.5);
        self.at(LEFT, size, size > 11.0, text);
    }

    fn gap(&mut self) {
        self.room(10.0);
    }

    fn block(&mut self, title: &str, lines: &[String]) {
        self.room(14.0);
        self.at(LEFT, 11.0, true, title);
        for line in lines {
            self.text(10.0, line);
        }
        self.gap();
    }

    fn row(&mut self, header: bool, cells: [String; 6]) {
        self.room(14.0);
        for (x, cell) in COLUMNS.iter().zip(cells) {
            let cell: String = if *x == COLUMNS[0] {
                cell.chars().take(45).collect()
            } else {
                cell
            };
            self.at(*x, 9.0, header, &cell);
        }
    }

    fn finish(mut self, title: &str) -> Vec<u8> {
        self.done.push(self.content.finish().into_vec());
        let mut pdf = Pdf::new();
        let (catalog, tree, regular, bold, info) = (
            Ref::new(1),
            Ref::new(2),
            Ref::new(3),
            Ref::new(4),
            Ref::new(5),
        );
        let page_ids: Vec<Ref> = (0..self.done.len())
            .map(|i| Ref::new(10 + 2 * i as i32))
            .collect();
        pdf.catalog(catalog).pages(tree);
        pdf.pages(tree)
            .kids(page_ids.iter().copied())
            .count(page_ids.len() as i32);
        for (i, stream) in self.done.iter().enumerate() {
            let (page_id, content_id) = (page_ids[i], Ref::new(11 + 2 * i as i32));
            let mut page = pdf.page(page_id);
            page.media_box(Rect::new(0.0, 0.0, 595.0, 842.0))
                .parent(tree)
                .contents(content_id);
            page.resources()
                .fonts()
                .pair(Name(b"F1"), regular)
                .pair(Name(b"F2"), bold);
            page.finish();
            pdf.stream(content_id, stream);
        }
        pdf.type1_font(regular)
            .base_font(Name(b"Helvetica"))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
        pdf.type1_font(bold)
            .base_font(Name(b"Helvetica-Bold"))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
        pdf.document_info(info)
            .title(pdf_writer::TextStr(title))
            .producer(pdf_writer::TextStr("enrolshop"));
        pdf.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::win_ansi;

    #[test]
    fn pdf_text_is_win_ansi() {
        assert_eq!(win_ansi("Écoles 12 €"), b"\xC9coles 12 \x80");
        assert_eq!(win_ansi("日本"), b"??");
    }
}
