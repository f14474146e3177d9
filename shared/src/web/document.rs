//! The bill as a document answered over HTTP: HTML, or PDF with `?format=pdf`.

use super::*;

/// The `format` of a bill document (`?format=html|pdf`, html by default).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocumentFormat {
    Html,
    Pdf,
}

pub fn document_format(query: Option<&str>) -> Result<DocumentFormat, AppError> {
    let format = query
        .unwrap_or("")
        .split('&')
        .find_map(|pair| pair.strip_prefix("format="))
        .unwrap_or("html");
    match format {
        "html" => Ok(DocumentFormat::Html),
        "pdf" => Ok(DocumentFormat::Pdf),
        _ => Err(AppError::invalid("format", "give html or pdf")),
    }
}

/// The credit note a query asks for: `number=` one of the bill's, else the one that cancelled
/// its invoice.
pub fn credit_note_asked(query: Option<&str>) -> crate::app::bills::BillDocument {
    let number = query
        .unwrap_or("")
        .split('&')
        .find_map(|pair| pair.strip_prefix("number="))
        .map(str::to_owned);
    crate::app::bills::BillDocument::CreditNote(number)
}

/// A bill's order or invoice, as HTML or as a PDF named after its number.
pub fn document_response(
    document: crate::invoice::InvoiceDocument,
    format: DocumentFormat,
) -> Response {
    match format {
        DocumentFormat::Pdf => {
            let name = format!(
                "inline; filename=\"{}.pdf\"",
                document.number.as_deref().unwrap_or(&document.reference)
            );
            let headers = [
                (header::CONTENT_TYPE, "application/pdf".to_owned()),
                (header::CONTENT_DISPOSITION, name),
            ];
            (headers, document.pdf()).into_response()
        }
        DocumentFormat::Html => (
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            document.html(),
        )
            .into_response(),
    }
}
