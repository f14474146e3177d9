//! The local stack's mail catcher: every message is kept in the data dir (`mail/`, one JSON
//! file with the raw MIME beside it) instead of being sent, and shown at `/dev/mail`. Never
//! used with `--production`.

use std::path::PathBuf;

use async_trait::async_trait;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::mime;
use crate::domain::Language;
use crate::ports::{Mail, MailError, Mailer};

#[derive(Clone)]
pub struct MailCatcher {
    dir: PathBuf,
}

/// A caught message as `GET /dev/mail/{id}` shows it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Caught {
    pub id: String,
    pub to: String,
    pub from: String,
    pub reply_to: Option<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub sent_at: DateTime<Utc>,
    pub language: Language,
    pub attachments: Vec<CaughtAttachment>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CaughtAttachment {
    pub filename: String,
    pub content_type: String,
    pub size: usize,
    #[serde(skip_serializing)]
    #[serde(default)]
    pub content: Vec<u8>,
}

/// A line of `GET /dev/mail`.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub id: String,
    pub to: String,
    pub subject: String,
    pub sent_at: DateTime<Utc>,
    pub language: Language,
}

#[derive(Serialize, Deserialize)]
struct Stored {
    #[serde(flatten)]
    caught: Caught,
    /// The attachments' bytes, in order.
    contents: Vec<String>,
}

fn io(e: std::io::Error) -> MailError {
    MailError {
        permanent: false,
        message: format!("mail catcher: {e}"),
    }
}

/// Message ids are the shop's own (letters, digits, `-`, `_`); anything else names no file.
fn safe(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

impl MailCatcher {
    pub fn new(data_dir: &std::path::Path) -> std::io::Result<Self> {
        let dir = data_dir.join("mail");
        std::fs::create_dir_all(&dir)?;
        Ok(Self { dir })
    }

    /// Every caught message, newest first.
    pub fn list(&self) -> Vec<Summary> {
        let mut all: Vec<Caught> = std::fs::read_dir(&self.dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
            .filter_map(|e| read(&e.path()))
            .collect();
        all.sort_by(|a, b| b.sent_at.cmp(&a.sent_at).then(b.id.cmp(&a.id)));
        all.into_iter()
            .map(|c| Summary {
                id: c.id,
                to: c.to,
                subject: c.subject,
                sent_at: c.sent_at,
                language: c.language,
            })
            .collect()
    }

    pub fn get(&self, id: &str) -> Option<Caught> {
        safe(id)
            .then(|| read(&self.dir.join(format!("{id}.json"))))
            .flatten()
    }

    /// The raw MIME message, as a mail system would have received it.
    pub fn raw(&self, id: &str) -> Option<Vec<u8>> {
        safe(id)
            .then(|| std::fs::read(self.dir.join(format!("{id}.eml"))).ok())
            .flatten()
    }
}

fn read(path: &std::path::Path) -> Option<Caught> {
    let stored: Stored = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    let mut caught = stored.caught;
    for (a, content) in caught.attachments.iter_mut().zip(stored.contents) {
        a.content = base64::engine::general_purpose::STANDARD
            .decode(content)
            .unwrap_or_default();
    }
    Some(caught)
}

#[async_trait]
impl Mailer for MailCatcher {
    async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        if !safe(&mail.id) {
            return Err(MailError {
                permanent: true,
                message: format!("mail id `{}`", mail.id),
            });
        }
        let raw = mime(mail)?.formatted();
        let caught = Caught {
            id: mail.id.clone(),
            to: mail.to.clone(),
            from: mail.from.clone(),
            reply_to: mail.reply_to.clone(),
            subject: mail.subject.clone(),
            text: mail.text.clone(),
            html: mail.html.clone(),
            sent_at: mail.sent_at,
            language: mail.language,
            attachments: mail
                .attachments
                .iter()
                .map(|a| CaughtAttachment {
                    filename: a.filename.clone(),
                    content_type: a.content_type.clone(),
                    size: a.content.len(),
                    content: Vec::new(),
                })
                .collect(),
        };
        let contents = mail
            .attachments
            .iter()
            .map(|a| base64::engine::general_purpose::STANDARD.encode(&a.content))
            .collect();
        let json = serde_json::to_vec(&Stored { caught, contents }).expect("serializes");
        tokio::fs::write(self.dir.join(format!("{}.eml", mail.id)), raw)
            .await
            .map_err(io)?;
        // The JSON last: a message is listed only once it is whole.
        let temp = self.dir.join(format!("{}.json.part", mail.id));
        tokio::fs::write(&temp, json).await.map_err(io)?;
        tokio::fs::rename(&temp, self.dir.join(format!("{}.json", mail.id)))
            .await
            .map_err(io)
    }
}
