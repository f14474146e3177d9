//! Amazon SES (`aws-sdk-sesv2`): the MIME message sent raw, from the verified sender
//! identity, with the configuration set of the deployment when there is one.

use async_trait::async_trait;
use aws_sdk_sesv2::error::ProvideErrorMetadata;
use aws_sdk_sesv2::primitives::Blob;
use aws_sdk_sesv2::types::{Destination, EmailContent, RawMessage};

use super::mime;
use crate::ports::{Mail, MailError, Mailer};

#[derive(Clone)]
pub struct SesMailer {
    client: aws_sdk_sesv2::Client,
    configuration_set: Option<String>,
}

impl SesMailer {
    pub fn new(client: aws_sdk_sesv2::Client, configuration_set: Option<String>) -> Self {
        Self {
            client,
            configuration_set,
        }
    }
}

/// SES errors that resending cannot cure.
const PERMANENT: [&str; 4] = [
    "MessageRejected",
    "MailFromDomainNotVerifiedException",
    "BadRequestException",
    "NotFoundException",
];

#[async_trait]
impl Mailer for SesMailer {
    async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        let raw = mime(mail)?.formatted();
        let raw = RawMessage::builder()
            .data(Blob::new(raw))
            .build()
            .map_err(|e| MailError {
                permanent: true,
                message: e.to_string(),
            })?;
        let sent = self
            .client
            .send_email()
            .from_email_address(&mail.from)
            .destination(Destination::builder().to_addresses(&mail.to).build())
            .content(EmailContent::builder().raw(raw).build())
            .set_configuration_set_name(self.configuration_set.clone())
            .send()
            .await;
        sent.map(|_| ()).map_err(|e| {
            let code = e.code().unwrap_or_default().to_owned();
            MailError {
                permanent: PERMANENT.contains(&code.as_str()),
                message: format!("SES: {code} {}", e.message().unwrap_or_default()),
            }
        })
    }
}
