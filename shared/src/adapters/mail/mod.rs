//! The [`Mailer`](crate::ports::Mailer) adapters: Amazon SES (the Lambda functions), an SMTP
//! server (`--smtp-url`), and the local stack's mail catcher (`/dev/mail`). All three send the
//! same MIME message, built here with `lettre`: multipart text + HTML, attachments, and the
//! headers a mail system expects (`Message-ID`, `Date`, `Reply-To`, `Content-Language`).

pub mod catcher;
pub mod ses;
pub mod smtp;

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};

use crate::ports::{Mail, MailError};

fn refused(message: String) -> MailError {
    MailError {
        permanent: true,
        message,
    }
}

fn mailbox(address: &str, what: &str) -> Result<Mailbox, MailError> {
    address
        .parse()
        .map_err(|e| refused(format!("the {what} `{address}` is not an address: {e}")))
}

/// The message as it goes on the wire. An address that cannot be one is a permanent failure.
pub fn mime(mail: &Mail) -> Result<lettre::Message, MailError> {
    let from = mailbox(&mail.from, "sender")?;
    let domain = from.email.domain().to_owned();
    let mut message = lettre::Message::builder()
        .message_id(Some(format!("<{}@{domain}>", mail.id)))
        .date(mail.sent_at.into())
        .from(from)
        .to(mailbox(&mail.to, "recipient")?)
        .subject(mail.subject.clone())
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("Content-Language"),
            mail.language.as_str().to_owned(),
        ));
    if let Some(reply_to) = &mail.reply_to {
        message = message.reply_to(mailbox(reply_to, "reply-to address")?);
    }
    let alternative = MultiPart::alternative_plain_html(mail.text.clone(), mail.html.clone());
    let body = if mail.attachments.is_empty() {
        alternative
    } else {
        mail.attachments
            .iter()
            .fold(MultiPart::mixed().multipart(alternative), |parts, a| {
                parts.singlepart(attachment(a))
            })
    };
    message
        .multipart(body)
        .map_err(|e| refused(format!("the message could not be built: {e}")))
}

fn attachment(a: &crate::ports::Attachment) -> SinglePart {
    let content_type = ContentType::parse(&a.content_type)
        .unwrap_or_else(|_| ContentType::parse("application/octet-stream").expect("valid"));
    Attachment::new(a.filename.clone()).body(a.content.clone(), content_type)
}
