//! The messages the shop sends, by name, and the words a shop may write instead of the shop's
//! own: a subject and a body per message and language, with named placeholders (`{bill}`)
//! checked when the shop document is imported, so a message never fails to render later.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{Errors, Language, Reason};

names! {
    /// What a message says.
    MessageKind {
        OrderPlaced = "order_placed",
        PaymentReceived = "payment_received",
        Delivered = "delivered",
        PaymentFailed = "payment_failed",
        Refunded = "refunded",
        PartialRefund = "partial_refund",
        Cancelled = "cancelled",
        PaymentReminder = "payment_reminder",
        NewOrder = "new_order",
        AwaitingPayment = "awaiting_payment",
        GatewayNote = "gateway_note",
        ProductionFailed = "production_failed",
        OrdersLookup = "orders_lookup",
        ExpiryReminder = "expiry_reminder",
        SeatAssigned = "seat_assigned",
        SeatAssignedCopy = "seat_assigned_copy",
        NotComplete = "not_complete",
    }
}

/// The placeholders every message knows.
const COMMON: [&str; 5] = ["shop", "bill", "firstname", "lastname", "total"];

impl MessageKind {
    /// The placeholders a template of this message may use, besides [`COMMON`]'s.
    fn own_placeholders(self) -> &'static [&'static str] {
        use MessageKind::*;
        match self {
            OrderPlaced => &["bill_link", "lines", "instructions"],
            PaymentReceived => &["bill_link", "invoice_number"],
            Delivered => &[
                "bill_link",
                "courses",
                "username",
                "moodle_url",
                "password_link",
            ],
            PaymentFailed => &["bill_link"],
            Refunded | Cancelled => &["bill_link", "credit_note_number"],
            PartialRefund => &["bill_link", "refunded", "credit_note_number"],
            PaymentReminder => &["bill_link", "instructions", "remaining"],
            NewOrder => &["lines", "email", "payment_method"],
            AwaitingPayment => &["payment_method", "remaining"],
            GatewayNote => &["reason"],
            ProductionFailed => &["problems"],
            NotComplete => &["paid_at"],
            OrdersLookup => &["orders"],
            ExpiryReminder => &["item", "ends", "extend_link"],
            SeatAssigned => &[
                "course",
                "holder",
                "dates",
                "buyer",
                "username",
                "course_link",
                "password_link",
            ],
            SeatAssignedCopy => &["course", "holder", "holder_email", "dates"],
        }
    }

    /// Every placeholder a template of this message may use.
    pub fn placeholders(self) -> impl Iterator<Item = &'static str> {
        COMMON
            .into_iter()
            .chain(self.own_placeholders().iter().copied())
    }
}

/// A text with `{name}` placeholders (`{{` and `}}` write a brace).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template(Vec<Piece>);

#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    Text(String),
    Name(String),
}

impl Template {
    /// Parses a template; the reason when a brace is left open or a name is not one.
    pub fn parse(source: &str) -> Result<Self, String> {
        let mut pieces = Vec::new();
        let mut text = String::new();
        let mut chars = source.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    text.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    text.push('}');
                }
                '{' => {
                    let mut name = String::new();
                    let mut closed = false;
                    for c in chars.by_ref() {
                        if c == '}' {
                            closed = true;
                            break;
                        }
                        name.push(c);
                    }
                    if !closed {
                        return Err(format!("`{{{name}` is not closed: write {{{name}}}"));
                    }
                    if name.is_empty() || !name.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                    {
                        return Err(format!(
                            "`{{{name}` is not a placeholder: write a name such as {{bill}}, or {{{{ for a brace"
                        ));
                    }
                    pieces.push(Piece::Text(std::mem::take(&mut text)));
                    pieces.push(Piece::Name(name));
                }
                '}' => return Err("a `}` closes nothing: write }} for a brace".into()),
                c => text.push(c),
            }
        }
        pieces.push(Piece::Text(text));
        pieces.retain(|p| !matches!(p, Piece::Text(t) if t.is_empty()));
        Ok(Template(pieces))
    }

    /// The placeholders used, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().filter_map(|p| match p {
            Piece::Name(n) => Some(n.as_str()),
            Piece::Text(_) => None,
        })
    }

    /// The text with each placeholder replaced by `value(name)`.
    pub fn render(&self, value: impl Fn(&str) -> String) -> String {
        let mut out = String::new();
        for piece in &self.0 {
            match piece {
                Piece::Text(t) => out.push_str(t),
                Piece::Name(n) => out.push_str(&value(n)),
            }
        }
        out
    }

    /// The placeholder alone in this template, if it is nothing else (a paragraph that is
    /// only `{bill_link}` becomes the link itself).
    pub fn only_name(&self) -> Option<&str> {
        match self.0.as_slice() {
            [Piece::Name(n)] => Some(n),
            _ => None,
        }
    }
}

/// A shop's words for one message in one language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageText {
    pub subject: Template,
    /// Its paragraphs (separated by a blank line in the document).
    pub body: Vec<Template>,
}

/// The shop's own words, by message and language; a message without them keeps the shop's
/// default words in that language.
pub type MessageTexts = BTreeMap<(MessageKind, Language), MessageText>;

/// One template as written in the shop document.
pub struct TemplateSource<'a> {
    pub path: String,
    pub text: &'a str,
    pub max_chars: usize,
    pub one_line: bool,
}

/// Parses one template of message `kind`, as paragraphs (a subject is one), recording under
/// its path what is wrong: too long, a brace left open, a placeholder the message does not know.
pub fn check_template(
    e: &mut Errors,
    kind: MessageKind,
    source: TemplateSource,
) -> Option<Vec<Template>> {
    let TemplateSource {
        path,
        text,
        max_chars,
        one_line,
    } = source;
    if text.trim().is_empty() || text.chars().count() > max_chars {
        let text = format!("write 1 to {max_chars} characters");
        e.add(
            &path,
            Reason::new("text_length", text).with("max", max_chars),
        );
        return None;
    }
    if one_line && text.contains(['\n', '\r']) {
        e.add(&path, Reason::new("one_line", "a subject is one line"));
        return None;
    }
    let text = text.replace("\r\n", "\n");
    let paragraphs = text
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(Template::parse)
        .collect::<Result<Vec<_>, _>>();
    let paragraphs = e.check(&path, paragraphs.map_err(Reason::coded("braces")))?;
    let unknown: Vec<&str> = paragraphs
        .iter()
        .flat_map(Template::names)
        .filter(|n| !kind.placeholders().any(|p| p == *n))
        .collect();
    if unknown.is_empty() {
        return Some(paragraphs);
    }
    let mut known = String::new();
    for p in kind.placeholders() {
        let _ = write!(known, "{}{{{p}}}", if known.is_empty() { "" } else { ", " });
    }
    let text = format!(
        "unknown placeholder {{{}}}: the message `{}` knows {known}",
        unknown[0],
        kind.as_str()
    );
    let reason = Reason::new("unknown_placeholder", text)
        .with("placeholder", format!("{{{}}}", unknown[0]))
        .with("known", known);
    e.add(&path, reason);
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(source: &str) -> String {
        Template::parse(source)
            .unwrap()
            .render(|n| n.to_uppercase())
    }

    #[test]
    fn placeholders_are_replaced_and_double_braces_are_braces() {
        assert_eq!(render("Order {bill} at {shop}."), "Order BILL at SHOP.");
        assert_eq!(render("{{not}} {bill}}}"), "{not} BILL}");
        assert_eq!(render("no placeholder"), "no placeholder");
        let alone = Template::parse("{bill_link}").unwrap();
        assert_eq!(alone.only_name(), Some("bill_link"));
        assert_eq!(
            Template::parse("see {bill_link}").unwrap().only_name(),
            None
        );
    }

    #[test]
    fn a_template_that_cannot_render_is_refused_with_why() {
        for bad in ["Order {bill", "Order bill}", "{}", "{Bill}", "{bill link}"] {
            assert!(Template::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_unknown_placeholder_is_named_with_those_the_message_knows() {
        let mut e = Errors::default();
        let source = |text| TemplateSource {
            path: "messages.order_placed.fr.body".into(),
            text,
            max_chars: 100,
            one_line: false,
        };
        let kind = MessageKind::OrderPlaced;
        let paragraphs = check_template(
            &mut e,
            kind,
            source("{bill}\n\n\n{instructions}\r\n\r\nend"),
        );
        assert_eq!(paragraphs.map(|p| p.len()), Some(3));
        assert!(check_template(&mut e, kind, source("{bill} {invoice_number}")).is_none());
        let errors = e.into_vec();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].path, "messages.order_placed.fr.body");
        assert!(errors[0].reason.contains("{invoice_number}"), "{errors:?}");
        assert!(errors[0].reason.contains("{bill_link}"), "{errors:?}");
    }
}
