//! SMTP (`lettre`, rustls), for shops that run their own mail server: `--smtp-url
//! smtp://user:pass@host:587?tls=required`, `smtps://host:465`, or `smtp://host:25` (plain,
//! for a relay on the same network).

use async_trait::async_trait;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::mime;
use crate::ports::{Mail, MailError, Mailer};

#[derive(Clone)]
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl SmtpMailer {
    pub fn from_url(url: &str) -> Result<Self, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("--smtp-url: {e}"))?
            .timeout(Some(std::time::Duration::from_secs(20)))
            .build();
        Ok(Self { transport })
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        let message = mime(mail)?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| MailError {
                // A 5xx answer (unknown recipient, refused sender) will not change.
                permanent: e.is_permanent(),
                message: format!("SMTP: {e}"),
            })
    }
}
