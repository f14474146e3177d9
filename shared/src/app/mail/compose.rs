//! The words of each message, in English and French, as blocks that become both the text
//! part and the HTML part (askama, escaped).

use askama::Template;

use super::own_words::{Facts, own_words};
use super::{Letter, MessageKind, access};
use crate::domain::Language;
use crate::domain::bill::{Bill, Cause};
use crate::domain::catalog::PaymentMethod;
use crate::domain::document::ShopDocument;
use crate::domain::message::MessageText;
use crate::domain::problem::{DeliveryProblem, ProblemCode};
use crate::invoice::words::Words as DocumentWords;
use crate::ports::{Attachment, Mail};

/// Where the links of a message point, and who sends it.
#[derive(Clone, Debug)]
pub struct Site {
    /// The sender address (a verified SES identity, or the SMTP account's).
    pub from: String,
    /// The public base URL of the shop's pages (`https://shop.example`).
    pub pages_url: String,
    /// The bill page's path (`/bill`).
    pub bill_path: String,
    /// The Moodle site the courses are on.
    pub moodle_url: Option<String>,
    /// The API's public base URL, for pre-filled cart links (`/shops/{shop}/cart-import`).
    pub api_url: String,
}

/// What an expiry reminder says: which access ends when, and how to keep it.
pub struct Expiring {
    pub item: String,
    pub ends: chrono::DateTime<chrono::Utc>,
    /// The item that extends it.
    pub extension: Option<Extension>,
}

/// The item that extends an access, named in the letter's language.
pub struct Extension {
    pub code: String,
    pub name: String,
    /// A visitor may put it in a cart (else the link opens the item's own page).
    pub by_cart_link: bool,
}

/// A course delivered by the bill, as the "delivered" message links it.
pub use crate::app::products::Reached;

/// What a message may need besides its bill and shop.
#[derive(Default)]
pub struct Extras {
    pub reached: Vec<Reached>,
    pub username: Option<String>,
    /// The document the message attaches as a PDF: the invoice once paid, the credit note
    /// once refunded or called off.
    pub document: Option<crate::invoice::InvoiceDocument>,
    /// Lines that could not be produced, by name, with why.
    pub problems: Vec<(String, DeliveryProblem)>,
    /// Why the buyer's enrolment in the shop's support course failed, if it did.
    pub support_problem: Option<DeliveryProblem>,
    /// "Find my orders": the bills found, each with its link's token.
    pub orders: Vec<(Bill, String)>,
    pub expiring: Option<Expiring>,
}

pub enum Block {
    Para(String),
    Link { label: String, url: String },
    Lines(Vec<Row>),
}

pub struct Row {
    pub name: String,
    pub quantity: u32,
    pub total: String,
}

#[derive(Template)]
#[template(path = "mail.html")]
struct MailHtml<'a> {
    lang: &'a str,
    title: &'a str,
    blocks: &'a [Block],
    shop: &'a str,
    words: &'a Words,
}

/// The words that frame every message.
struct Words {
    item: &'static str,
    quantity: &'static str,
    total: &'static str,
    sent_by: &'static str,
}

fn words(language: Language) -> Words {
    match language {
        Language::En => Words {
            item: "Item",
            quantity: "Quantity",
            total: "Total incl. tax",
            sent_by: "Sent by",
        },
        Language::Fr => Words {
            item: "Article",
            quantity: "Quantité",
            total: "Total TTC",
            sent_by: "Envoyé par",
        },
    }
}

/// An amount as the message's reader writes it (`€1,203.75`, `1 203,75 €`).
pub(super) fn money(bill: &Bill, amount: rust_decimal::Decimal, language: Language) -> String {
    bill.currency.display(amount, language)
}

/// What the entry `event` of the bill's trace says, in `language`: its cause in that
/// language's words, or the operator's note as typed (empty when there is no such entry).
pub(super) fn said(bill: &Bill, event: usize, language: Language) -> String {
    let Some(entry) = bill.events.get(event) else {
        return String::new();
    };
    match (&entry.cause, language) {
        (Some(cause), Language::Fr) => cause_fr(bill, cause),
        _ => entry.reason.clone(),
    }
}

/// A cause in French (its English words are [`Cause::english`]).
fn cause_fr(bill: &Bill, cause: &Cause) -> String {
    let words = DocumentWords::of(Language::Fr);
    let method = |m: &PaymentMethod| words.method_name(*m);
    match cause {
        Cause::OrderPlaced { method: m } => format!("commande passée, paiement : {}", method(m)),
        Cause::AwaitingPayment { method: m } => format!("paiement attendu : {}", method(m)),
        Cause::FreeOrder => "commande gratuite".into(),
        Cause::PaymentRetried { method: m } => format!("paiement repris : {}", method(m)),
        Cause::TestPaymentAccepted => "paiement de test accepté".into(),
        Cause::TestPaymentPending => "paiement de test en attente".into(),
        Cause::TestPaymentRefused => "paiement de test refusé".into(),
        Cause::GatewayPaid => "paiement confirmé par le prestataire".into(),
        Cause::GatewayPending => "paiement en attente chez le prestataire".into(),
        Cause::GatewayRefused => "paiement refusé ou abandonné chez le prestataire".into(),
        Cause::GatewayRefunded => "remboursée par le prestataire".into(),
        Cause::OperatorPayment => "paiement enregistré par l’équipe".into(),
        Cause::Delivered => "toutes les lignes sont livrées".into(),
        Cause::PaidAfterDelivery => "payée en totalité, livrée avant paiement".into(),
        Cause::ProductionRetried { units } => {
            format!("livraison relancée ({units} unité(s) remise(s) à zéro)")
        }
        Cause::NotifiedWhenSettled { status } => format!(
            "notification de paiement sur une commande « {} » : à vérifier par l’équipe",
            words.status_name(*status)
        ),
        Cause::AmountMismatch { notified, due, .. } => format!(
            "montant différent : {notified} notifié, {} dû",
            money(bill, *due, Language::Fr)
        ),
        Cause::Abandoned { days } => {
            format!("aucun paiement {days} jours après la commande : annulée par la boutique")
        }
        Cause::PaymentReminder { days } => {
            format!(
                "paiement toujours attendu {days} jours après la commande : rappel à l’acheteur"
            )
        }
        Cause::GatewayPartialRefund { refunded, .. } => format!(
            "le prestataire a remboursé {}, une partie de ce qui a été reçu : la commande et \
             son accès restent ; à vérifier par l’équipe, puis à enregistrer sur la commande \
             (rembourser une partie de la commande) s’il n’y est pas déjà, ce qui établit son avoir",
            money(bill, *refunded, Language::Fr)
        ),
        Cause::PartialRefund { refunded, note, .. } => format!(
            "{} remboursés, une partie de ce qui a été reçu : {note}",
            money(bill, *refunded, Language::Fr)
        ),
        Cause::MessageNotDelivered { message, to, error } => format!(
            "message « {} » non remis à {} : {error}",
            message.as_str(),
            to.as_deref().unwrap_or("personne")
        ),
        Cause::MessageSentAgain { message, to } => format!(
            "message « {} » renvoyé{}",
            message.as_str(),
            to.as_ref().map(|to| format!(" à {to}")).unwrap_or_default()
        ),
    }
}

/// Why a line was not delivered, in `language`; what Moodle or the network said stays as
/// they said it, quoted.
pub(super) fn problem_said(problem: &DeliveryProblem, language: Language) -> String {
    let fr = language == Language::Fr;
    let detail = problem.detail();
    if let (ProblemCode::MoodleRefused, Some(code)) = (problem.code(), problem.moodle_code())
        && let Some(hint) = moodle_hint(code, fr)
    {
        return if fr {
            format!("Moodle a refusé : {hint} ({code}) ; Moodle dit « {detail} »")
        } else {
            format!("Moodle refused: {hint} ({code}); Moodle said “{detail}”")
        };
    }
    if !fr {
        return problem.english();
    }
    match problem.code() {
        ProblemCode::MoodleRefused => format!(
            "Moodle a refusé ({}) : « {detail} »",
            problem.moodle_code().unwrap_or_default()
        ),
        ProblemCode::MoodleUnexpected => format!("réponse inattendue de Moodle : « {detail} »"),
        ProblemCode::CourseNotFound => {
            let (field, value) = problem.course().unwrap_or_default();
            let field = match field {
                "shortname" => "le nom abrégé",
                "idnumber" => "le numéro d’identification",
                _ => "l’identifiant",
            };
            format!("aucun cours dans Moodle n’a {field} « {value} »")
        }
        ProblemCode::GaveUp => format!("abandon après plusieurs échecs : « {detail} »"),
        ProblemCode::BadHandler => {
            format!("la livraison prévue par l’article est illisible : « {detail} »")
        }
        ProblemCode::NoIntent => "aucune livraison enregistrée à reprendre".into(),
    }
}

/// What Moodle's usual refusals mean for the shop, as the staff's bill page says them
/// (`moodleRefusal` in web/assets/desk.js), for the operators' alert.
fn moodle_hint(code: &str, fr: bool) -> Option<&'static str> {
    let (en, french) = match code {
        "nopermissions" => (
            "the shop’s Moodle account lacks a permission",
            "il manque une permission au compte Moodle de la boutique",
        ),
        "wsusercannotassign" => (
            "the shop’s Moodle account may not give this role",
            "le compte Moodle de la boutique ne peut pas attribuer ce rôle",
        ),
        "wsnoinstance" => (
            "manual enrolments are not enabled in the course",
            "l’inscription manuelle n’est pas activée dans le cours",
        ),
        "invalidrecord" | "invalidrecordunknown" => (
            "something the item names is not in Moodle",
            "un élément que l’article désigne n’existe pas dans Moodle",
        ),
        "invalidparameter" => (
            "a value the shop sent is invalid",
            "une valeur envoyée par la boutique est invalide",
        ),
        "shortnametaken" => (
            "a course already has this short name",
            "un cours porte déjà ce nom abrégé",
        ),
        "courseidnumbertaken" => (
            "a course already has this ID number",
            "un cours porte déjà ce numéro d’identification",
        ),
        "categoryidnumbertaken" => (
            "a category already has this ID number",
            "une catégorie porte déjà ce numéro d’identification",
        ),
        "invalidtoken" => (
            "the shop’s Moodle token is not valid",
            "le jeton Moodle de la boutique n’est pas valide",
        ),
        "accessexception" => (
            "the shop’s web service does not include this function",
            "le service web de la boutique ne comprend pas cette fonction",
        ),
        "errorcatcontextnotvalid" => (
            "the shop’s Moodle account cannot act in this category",
            "le compte Moodle de la boutique ne peut pas agir dans cette catégorie",
        ),
        _ => return None,
    };
    Some(if fr { french } else { en })
}

/// The message for `letter`, to `to`: in the shop's own words when it wrote some for this
/// message and language (`own`), in the shop's default words otherwise.
pub fn compose(
    letter: &Letter,
    bill: &Bill,
    shop: &ShopDocument,
    site: &Site,
    extras: Extras,
    to: &str,
    own: Option<&MessageText>,
) -> Mail {
    let language = letter.language;
    let fr = language == Language::Fr;
    let (subject, blocks) = match own {
        Some(text) => {
            let facts = Facts {
                letter,
                bill,
                shop,
                site,
                extras: &extras,
            };
            own_words(text, &facts)
        }
        None => content(letter, bill, shop, site, &extras, fr),
    };
    let text = blocks
        .iter()
        .map(|b| text_of(b, language))
        .collect::<Vec<_>>()
        .join("\n\n");
    let shop_name = shop.name_in(language);
    let html = MailHtml {
        lang: language.as_str(),
        title: &subject,
        blocks: &blocks,
        shop: &shop_name,
        words: &words(language),
    }
    .render()
    .expect("the mail template renders");
    let attachments = extras
        .document
        .as_ref()
        .map(pdf_attachment)
        .into_iter()
        .collect();
    Mail {
        id: letter.id.clone(),
        from: site.from.clone(),
        to: to.to_owned(),
        reply_to: shop.seller.get("email").cloned(),
        subject,
        text: format!("{text}\n\n-- \n{shop_name}"),
        html,
        attachments,
        language,
        sent_at: chrono::Utc::now(),
    }
}

/// An invoiced order refunded or called off: which credit note cancels which invoice (the
/// message attaches it).
fn credit_note_attached(bill: &Bill, fr: bool) -> Option<Block> {
    let (note, invoice) = (bill.credit_note.as_ref()?, bill.invoice_number.as_ref()?);
    let number = &note.number;
    Some(Block::Para(if fr {
        format!("L’avoir {number}, qui annule la facture {invoice}, est joint.")
    } else {
        format!("The credit note {number}, which cancels invoice {invoice}, is attached.")
    }))
}

/// A bill's document as a PDF attachment named in its language: `facture-DEMO-2026-000001.pdf`,
/// `credit-note-DEMO-AV-2026-000001.pdf`.
fn pdf_attachment(document: &crate::invoice::InvoiceDocument) -> Attachment {
    use crate::invoice::DocumentKind;
    let fr = document.language == Language::Fr;
    let name = match (document.kind, fr) {
        (DocumentKind::CreditNote, true) => "avoir",
        (DocumentKind::CreditNote, false) => "credit-note",
        (DocumentKind::Invoice, true) => "facture",
        (DocumentKind::Invoice, false) => "invoice",
        (DocumentKind::OrderForm, true) => "bon-de-commande",
        (DocumentKind::OrderForm, false) => "order",
    };
    let number = document.number.as_deref().unwrap_or(&document.reference);
    Attachment {
        filename: format!("{name}-{number}.pdf"),
        content_type: "application/pdf".into(),
        content: document.pdf(),
    }
}

/// A block as the text part says it, punctuated as `language` writes (French puts a space
/// before a colon).
pub(super) fn text_of(block: &Block, language: Language) -> String {
    let colon = if language == Language::Fr { " :" } else { ":" };
    match block {
        Block::Para(p) => p.clone(),
        Block::Link { label, url } => format!("{label}{colon} {url}"),
        Block::Lines(rows) => rows
            .iter()
            .map(|r| format!("- {} x {}{colon} {}", r.quantity, r.name, r.total))
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

pub(super) fn bill_link(letter: &Letter, bill: &Bill, site: &Site) -> String {
    link_with(bill, letter.link_token.as_deref(), site)
}

/// The bill page's address, with the token in the fragment: a browser never sends a fragment
/// to a server, so it reaches no log.
fn link_with(bill: &Bill, token: Option<&str>, site: &Site) -> String {
    let base = format!(
        "{}{}?shop={}&bill={}",
        site.pages_url.trim_end_matches('/'),
        site.bill_path,
        bill.shop,
        bill.id
    );
    match token {
        Some(token) => format!("{base}#token={token}"),
        None => base,
    }
}

pub(super) fn lines(bill: &Bill, fr: bool) -> Block {
    let language = if fr { Language::Fr } else { Language::En };
    Block::Lines(
        bill.lines
            .iter()
            .map(|l| Row {
                name: l.name.clone(),
                quantity: l.quantity,
                total: money(bill, l.total_incl_tax, language),
            })
            .collect(),
    )
}

/// How to pay a check or a transfer, with the reference to quote.
pub(super) fn instructions(bill: &Bill, shop: &ShopDocument, fr: bool) -> Option<String> {
    use crate::domain::catalog::PaymentMethod;
    let setting = |name: &str| {
        shop.gateways
            .get(bill.payment_method.as_str())
            .and_then(|s| s.get(name))
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    };
    let language = if fr { Language::Fr } else { Language::En };
    let due = money(bill, bill.remaining(), language);
    let id = &bill.id;
    let text = match (bill.payment_method, fr) {
        (PaymentMethod::Transfer, false) => format!(
            "Please pay {due} by bank transfer{}, quoting the reference {id}.",
            setting("iban")
                .map(|i| format!(" to IBAN {i}"))
                .unwrap_or_default()
        ),
        (PaymentMethod::Transfer, true) => format!(
            "Merci de régler {due} par virement{}, en indiquant la référence {id}.",
            setting("iban")
                .map(|i| format!(" sur l’IBAN {i}"))
                .unwrap_or_default()
        ),
        (PaymentMethod::Check, false) => {
            format!("Please send a check of {due}, writing the reference {id} on its back.")
        }
        (PaymentMethod::Check, true) => {
            format!("Merci d’envoyer un chèque de {due}, en inscrivant la référence {id} au dos.")
        }
        _ => return None,
    };
    let more = setting("instructions")
        .map(|i| format!(" {i}"))
        .unwrap_or_default();
    Some(format!("{text}{more}"))
}

/// "Find my orders": a link to each bill found, with its date and total.
pub(super) fn order_links(extras: &Extras, site: &Site, fr: bool) -> Vec<Block> {
    let language = if fr { Language::Fr } else { Language::En };
    extras
        .orders
        .iter()
        .map(|(order, token)| {
            let date = order
                .placed_at
                .format(if fr { "%d/%m/%Y" } else { "%Y-%m-%d" });
            let total = money(order, order.total(), language);
            let id = &order.id;
            Block::Link {
                label: if fr {
                    format!("Commande {id} du {date} ({total})")
                } else {
                    format!("Order {id} of {date} ({total})")
                },
                url: link_with(order, Some(token), site),
            }
        })
        .collect()
}

fn content(
    letter: &Letter,
    bill: &Bill,
    shop: &ShopDocument,
    site: &Site,
    extras: &Extras,
    fr: bool,
) -> (String, Vec<Block>) {
    let name = &bill.customer.firstname;
    let hello = Block::Para(if fr {
        format!("Bonjour {name},")
    } else {
        format!("Hello {name},")
    });
    let link = |label_en: &str, label_fr: &str| Block::Link {
        label: (if fr { label_fr } else { label_en }).to_owned(),
        url: bill_link(letter, bill, site),
    };
    let t = |en: String, fr_text: String| if fr { fr_text } else { en };
    let id = &bill.id;
    let language = if fr { Language::Fr } else { Language::En };
    let shop_name = &shop.name_in(language);
    match letter.kind {
        MessageKind::OrderPlaced => {
            let mut blocks = vec![
                hello,
                Block::Para(t(
                    format!("Thank you for your order {id} at {shop_name}."),
                    format!("Merci pour votre commande {id} chez {shop_name}."),
                )),
                lines(bill, fr),
                Block::Para(t(
                    format!("Total: {}", money(bill, bill.total(), language)),
                    format!("Total : {}", money(bill, bill.total(), language)),
                )),
            ];
            blocks.extend(instructions(bill, shop, fr).map(Block::Para));
            blocks.push(link("Your order, at any time", "Votre commande, à tout moment"));
            let subject = t(
                format!("Your order {id} at {shop_name}"),
                format!("Votre commande {id} chez {shop_name}"),
            );
            (subject, blocks)
        }
        MessageKind::PaymentReceived => {
            let number = bill.invoice_number.clone().unwrap_or_default();
            let subject = t(
                format!("Payment received: invoice {number}"),
                format!("Paiement reçu : facture {number}"),
            );
            let blocks = vec![
                hello,
                Block::Para(t(
                    format!("We received your payment for order {id}. Your invoice {number} is attached."),
                    format!("Nous avons reçu votre paiement pour la commande {id}. Votre facture {number} est jointe."),
                )),
                Block::Para(t(
                    "Your training is being prepared; another message will tell you how to reach it.".into(),
                    "Votre formation est en préparation ; un autre message vous dira comment y accéder.".into(),
                )),
                link("Your order", "Votre commande"),
            ];
            (subject, blocks)
        }
        MessageKind::Delivered => access::delivered(letter, bill, site, extras, fr, hello),
        MessageKind::PaymentFailed => (
            t(
                format!("Your payment for order {id} did not go through"),
                format!("Le paiement de votre commande {id} n’a pas abouti"),
            ),
            vec![
                hello,
                Block::Para(t(
                    "Your payment was refused or abandoned. Nothing was charged. You can try again, with the same or another method:".into(),
                    "Votre paiement a été refusé ou abandonné. Rien n’a été débité. Vous pouvez réessayer, avec le même moyen ou un autre :".into(),
                )),
                link("Pay your order", "Payer votre commande"),
            ],
        ),
        MessageKind::Refunded => {
            let mut blocks = vec![
                hello,
                Block::Para(t(
                    "Your order was refunded. The access it gave (courses, seats) is suspended.".into(),
                    "Votre commande a été remboursée. Les accès qu’elle donnait (cours, places) sont suspendus.".into(),
                )),
            ];
            blocks.extend(credit_note_attached(bill, fr));
            blocks.push(link("Your order", "Votre commande"));
            (
                t(
                    format!("Order {id} refunded"),
                    format!("Commande {id} remboursée"),
                ),
                blocks,
            )
        }
        MessageKind::PartialRefund => {
            let refund = bill.refund_of_event(letter.event);
            let amount = money(bill, refund.map_or(rust_decimal::Decimal::ZERO, |r| r.amount), language);
            let mut blocks = vec![
                hello,
                Block::Para(t(
                    format!("We have refunded {amount} of your order {id}. The rest of the order and the access it gives (courses, seats) are unchanged."),
                    format!("Nous vous avons remboursé {amount} sur votre commande {id}. Le reste de la commande et les accès qu’elle donne (cours, places) sont inchangés."),
                )),
            ];
            let note = refund.and_then(|r| r.credit_note.as_ref());
            if let (Some(note), Some(invoice)) = (note, bill.invoice_number.as_ref()) {
                let number = &note.number;
                blocks.push(Block::Para(t(
                    format!("The credit note {number}, for this amount on invoice {invoice}, is attached."),
                    format!("L’avoir {number}, de ce montant sur la facture {invoice}, est joint."),
                )));
            }
            blocks.push(link("Your order", "Votre commande"));
            (
                t(
                    format!("Part of order {id} refunded"),
                    format!("Remboursement partiel de la commande {id}"),
                ),
                blocks,
            )
        }
        MessageKind::Cancelled => {
            let said = if bill.delivered_at.is_some() {
                t(
                    "Your order was cancelled. Nothing more is due for it, and the access it gave (courses, seats) is suspended.".into(),
                    "Votre commande a été annulée. Plus rien n’est dû à son titre, et les accès qu’elle donnait (cours, places) sont suspendus.".into(),
                )
            } else {
                t(
                    "Your order was cancelled. Nothing is due for it.".into(),
                    "Votre commande a été annulée. Rien n’est dû à son titre.".into(),
                )
            };
            let mut blocks = vec![hello, Block::Para(said)];
            let cause = bill.events.get(letter.event).and_then(|e| e.cause.as_ref());
            if let Some(Cause::Abandoned { days }) = cause {
                blocks.push(Block::Para(t(
                    format!("It had not been paid {days} days after it was placed. To buy it after all, order it again from the shop."),
                    format!("Elle n’était pas payée {days} jours après avoir été passée. Pour l’acheter malgré tout, commandez-la de nouveau sur la boutique."),
                )));
            }
            blocks.extend(credit_note_attached(bill, fr));
            blocks.push(link("Your order", "Votre commande"));
            (
                t(
                    format!("Order {id} cancelled"),
                    format!("Commande {id} annulée"),
                ),
                blocks,
            )
        }
        MessageKind::PaymentReminder => {
            let due = money(bill, bill.remaining(), language);
            let mut blocks = vec![
                hello,
                Block::Para(t(
                    format!("We have not received the payment of {due} for your order {id} yet. In case it went astray, here is how to pay:"),
                    format!("Nous n’avons pas encore reçu le paiement de {due} de votre commande {id}. Au cas où il se serait égaré, voici comment payer :"),
                )),
            ];
            blocks.extend(instructions(bill, shop, fr).map(Block::Para));
            blocks.push(Block::Para(t(
                "If you have sent it meanwhile, thank you: there is nothing more to do. If you no longer want this order, just reply to tell us.".into(),
                "Si vous l’avez envoyé entre-temps, merci : il n’y a rien d’autre à faire. Si vous ne souhaitez plus cette commande, répondez-nous simplement.".into(),
            )));
            blocks.push(link("Your order", "Votre commande"));
            let subject = t(
                format!("Your order {id}: payment still awaited"),
                format!("Votre commande {id} : paiement toujours attendu"),
            );
            (subject, blocks)
        }
        MessageKind::NewOrder => (
            t(
                format!("New order {id}: {}", money(bill, bill.total(), language)),
                format!("Nouvelle commande {id} : {}", money(bill, bill.total(), language)),
            ),
            vec![
                Block::Para(t(
                    format!(
                        "{} {} ({}) placed order {id}, paid by {}.",
                        bill.customer.firstname, bill.customer.lastname, bill.customer.email,
                        bill.payment_method.as_str()
                    ),
                    format!(
                        "{} {} ({}) a passé la commande {id}, réglée par {}.",
                        bill.customer.firstname, bill.customer.lastname, bill.customer.email,
                        bill.payment_method.as_str()
                    ),
                )),
                lines(bill, fr),
            ],
        ),
        MessageKind::AwaitingPayment => (
            t(
                format!("Order {id} awaits your confirmation of payment"),
                format!("La commande {id} attend votre confirmation du paiement"),
            ),
            vec![Block::Para(t(
                format!(
                    "Order {id} ({}) will be paid by {}. Record the payment in the back office when it arrives.",
                    money(bill, bill.remaining(), language),
                    bill.payment_method.as_str()
                ),
                format!(
                    "La commande {id} ({}) sera réglée par {}. Enregistrez le paiement dans le back-office à sa réception.",
                    money(bill, bill.remaining(), language),
                    bill.payment_method.as_str()
                ),
            ))],
        ),
        MessageKind::ExpiryReminder => access::expiry(bill, site, extras, fr, hello),
        MessageKind::SeatAssigned | MessageKind::SeatAssignedCopy => {
            access::seat(letter, bill, site, fr)
        }
        MessageKind::OrdersLookup => {
            let mut blocks = vec![Block::Para(t(
                format!("Here are your orders at {shop_name}, as you asked. Each link opens the order, its invoice and its payment."),
                format!("Voici vos commandes chez {shop_name}, comme demandé. Chaque lien ouvre la commande, sa facture et son paiement."),
            ))];
            blocks.extend(order_links(extras, site, fr));
            blocks.push(Block::Para(t(
                "If you did not ask for this message, you can ignore it.".into(),
                "Si vous n’avez pas demandé ce message, ignorez-le.".into(),
            )));
            (t(format!("Your orders at {shop_name}"), format!("Vos commandes chez {shop_name}")), blocks)
        }
        MessageKind::ProductionFailed => {
            let colon = if fr { " :" } else { ":" };
            let support = extras.support_problem.as_ref();
            let blocks = match support {
                // Only the support course failed: the order itself is delivered.
                Some(problem) if extras.problems.is_empty() => {
                    let said = problem_said(problem, language);
                    vec![Block::Para(t(
                        format!("The buyer of order {id} could not be enrolled in the shop's support course{colon} {said}. Their order is delivered all the same: enrol them there by hand in Moodle, and check the support course in the shop's settings."),
                        format!("L’acheteur de la commande {id} n’a pas pu être inscrit au cours d’assistance de la boutique{colon} {said}. Sa commande est livrée malgré tout : inscrivez-le à la main dans Moodle, et vérifiez le cours d’assistance dans les réglages de la boutique."),
                    ))]
                }
                _ => {
                    let support_line = t(
                        "Enrolment in the support course".into(),
                        "Inscription au cours d’assistance".into(),
                    );
                    let failed = extras.problems.iter().map(|(line, p)| (line.clone(), p));
                    let failed = failed.chain(support.map(|p| (support_line, p)));
                    let mut blocks = vec![Block::Para(t(
                        format!("Order {id} is paid, but these lines could not be delivered in Moodle:"),
                        format!("La commande {id} est payée, mais ces lignes n’ont pas pu être livrées dans Moodle :"),
                    ))];
                    blocks.extend(failed.map(|(line, problem)| {
                        Block::Para(format!("{line}{colon} {}", problem_said(problem, language)))
                    }));
                    blocks.push(Block::Para(t(
                        "Once the cause is fixed, retry the production from the bill in the back office.".into(),
                        "Une fois la cause corrigée, relancez la livraison depuis la commande dans le back-office.".into(),
                    )));
                    blocks
                }
            };
            (
                t(
                    format!("Order {id}: delivery needs you"),
                    format!("Commande {id} : la livraison demande votre intervention"),
                ),
                blocks,
            )
        }
        MessageKind::NotComplete => (
            t(
                format!("Order {id} is paid but not delivered yet"),
                format!("La commande {id} est payée mais pas encore livrée"),
            ),
            vec![Block::Para(t(
                format!("Order {id} was paid on {}, and its delivery is not complete. Look at its production state in the back office: a line may wait for you, or Moodle may be unreachable.", bill.paid_at.map(|p| p.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_default()),
                format!("La commande {id} a été payée le {}, et sa livraison n’est pas terminée. Regardez son état de livraison dans le back-office : une ligne vous attend peut-être, ou Moodle est injoignable.", bill.paid_at.map(|p| p.format("%d/%m/%Y %H:%M UTC").to_string()).unwrap_or_default()),
            ))],
        ),
        MessageKind::GatewayNote => {
            let (en, fr) = (
                said(bill, letter.event, Language::En),
                said(bill, letter.event, Language::Fr),
            );
            (
                t(
                    format!("Order {id}: a payment notification needs you"),
                    format!("Commande {id} : une notification de paiement demande votre attention"),
                ),
                vec![Block::Para(t(
                    format!("The payment gateway wrote on order {id}: {en}."),
                    format!("La passerelle de paiement a noté sur la commande {id} : {fr}."),
                ))],
            )
        }
    }
}

#[cfg(test)]
mod tests {
    /// The staff's bill page and the operators' alert say Moodle's usual refusals alike: the
    /// page's words (`moodleRefusal` in desk.js, English then French) are the alert's.
    #[test]
    fn the_alert_says_moodles_refusals_as_the_bill_page_does() {
        let page = include_str!("../../../../web/assets/desk.js");
        let tables: Vec<&str> = page
            .split("moodleRefusal: {")
            .skip(1)
            .map(|rest| &rest[..rest.find('}').unwrap()])
            .collect();
        assert_eq!(tables.len(), 2, "English and French");
        for (table, fr) in tables.into_iter().zip([false, true]) {
            let entries: Vec<(&str, &str)> = table
                .split("',")
                .filter_map(|e| e.split_once(": '"))
                .map(|(code, words)| (code.trim(), words.trim_end_matches('\'')))
                .collect();
            assert!(entries.len() >= 10, "{entries:?}");
            for (code, words) in entries {
                assert_eq!(super::moodle_hint(code, fr), Some(words), "{code}");
            }
        }
    }
}
