//! The shop's settings for managers (the document without its items: name, currency, payment
//! methods, gateways, terms, seller, support course, staff, taxes, categories, messages), read
//! with their version (`ETag`) and changed on it (`If-Match`). Secrets stay write-only: read
//! as the secret marker, kept when the marker comes back, replaced only when typed.

use std::sync::Arc;

use serde_json::Value;

use super::items::Precondition;
use super::repo::{self, StoredShop};
use super::staff::Caller;
use super::{AppError, Clock, audit};
use crate::domain::document::ShopDocument;
use crate::domain::ids::ShopId;
use crate::domain::{Errors, FieldError, Reason};
use crate::ports::{Store, StoreError};

pub struct SettingsAdmin {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
}

/// The settings, secrets masked, and their version.
pub struct SettingsView {
    pub settings: ShopDocument,
    pub etag: String,
}

fn etag(version: u64) -> String {
    format!("\"settings.{version}\"")
}

impl SettingsAdmin {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    async fn load(
        &self,
        caller: &Caller,
        shop: &str,
        items: repo::Items<'_>,
    ) -> Result<StoredShop, AppError> {
        let id: ShopId = repo::parse_id("shop", shop)?;
        caller.check_shop(&id, "shop", shop)?;
        caller.check_manager(&id)?;
        let stored = repo::load_shop(self.store.as_ref(), &id, items).await?;
        if stored.catalogue.is_none() {
            return Err(AppError::State(
                "this shop was stored before its settings had a record of their own: import \
                 its document once (GET then PUT /admin/shops/{shop})"
                    .into(),
            ));
        }
        Ok(stored)
    }

    /// `GET /admin/shops/{shop}/settings`.
    pub async fn get(&self, caller: &Caller, shop: &str) -> Result<SettingsView, AppError> {
        let stored = self.load(caller, shop, repo::Items::None).await?;
        Ok(SettingsView {
            settings: with_id(stored.document.masked(), &stored.shop.id),
            etag: etag(stored.version),
        })
    }

    /// `PUT /admin/shops/{shop}/settings` on the version read: checked with the shop's items
    /// as an import would (a tax or category an item uses cannot go), stored in one
    /// conditional write with its audit entry.
    pub async fn put(
        &self,
        caller: &Caller,
        shop: &str,
        precondition: &Precondition,
        body: &[u8],
    ) -> Result<SettingsView, AppError> {
        let Precondition::Matches(tag) = precondition else {
            return Err(AppError::PreconditionRequired(
                "send If-Match with the ETag of the settings you read".into(),
            ));
        };
        let stored = self.load(caller, shop, repo::Items::All).await?;
        if tag.trim().trim_start_matches("W/") != etag(stored.version) {
            return Err(stale());
        }
        let mut settings =
            ShopDocument::from_json(body).map_err(|e| AppError::Malformed(vec![e]))?;
        if !settings.items.is_empty() {
            return Err(AppError::invalid(
                "items",
                "items are changed one by one (/items/{code}) or with the whole document",
            ));
        }
        let id = &stored.shop.id;
        let mut errors = Errors::default();
        settings.keep_secrets_from(Some(&stored.document), &mut errors);
        let whole = ShopDocument {
            items: stored.document.items.clone(),
            ..settings.clone()
        };
        let invalid = whole.validate_settings(id).err().unwrap_or_default();
        let gateways = crate::gateways::setup_problems(&whole);
        let managers = whole.last_manager_problem(&stored.document);
        for p in invalid
            .into_iter()
            .chain(whole.import_problems())
            .chain(gateways)
            .chain(managers)
        {
            errors.push(item_problem(&whole, p));
        }
        errors.finish(|| ()).map_err(AppError::Invalid)?;
        let settings = with_id(settings, id);
        let fields = changed_fields(&stored.document, &settings);
        let entry = audit::AuditEntry {
            at: self.clock.now(),
            actor: caller.name().to_owned(),
            action: audit::Action::SettingsChanged,
            subject: id.to_string(),
            detail: fields.join(", "),
            from: None,
            to: None,
            item: None,
            cause: None,
        };
        let write = audit::record(id, &entry);
        match repo::save_settings(self.store.as_ref(), &settings, &stored, write).await {
            Ok(()) => Ok(SettingsView {
                settings: settings.masked(),
                etag: etag(stored.version + 1),
            }),
            Err(StoreError::ConditionFailed) => Err(stale()),
            Err(e) => Err(e.into()),
        }
    }
}

/// `POST /admin/shops/{shop}/messages/preview`: words to try for one message and language.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessagePreviewInput {
    pub message: String,
    pub language: String,
    pub subject: String,
    pub body: String,
}

/// The message those words make for a sample order: its subject, text and HTML parts.
#[derive(Debug, serde::Serialize)]
pub struct MessagePreview {
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl SettingsAdmin {
    /// Checks the words as an import would (422 at `message`, `language`, `subject`, `body`)
    /// and renders the message with them for a sample order; nothing is saved.
    pub async fn preview_message(
        &self,
        caller: &Caller,
        shop: &str,
        input: &MessagePreviewInput,
    ) -> Result<MessagePreview, AppError> {
        let stored = self.load(caller, shop, repo::Items::None).await?;
        let mut e = Errors::default();
        let kind = e.check(
            "message",
            input.message.parse::<crate::domain::message::MessageKind>(),
        );
        let language = e.check(
            "language",
            input.language.parse::<crate::domain::Language>(),
        );
        e.finish(|| ()).map_err(AppError::Invalid)?;
        let (kind, language) = (kind.expect("checked"), language.expect("checked"));
        let text = crate::domain::document::MessageTextDoc {
            subject: input.subject.clone(),
            body: input.body.clone(),
        };
        let document = ShopDocument {
            messages: [(
                kind.as_str().to_owned(),
                [(language.as_str().to_owned(), text)].into(),
            )]
            .into(),
            ..stored.document.clone()
        };
        let prefix = format!("messages.{}.{}.", kind.as_str(), language.as_str());
        let shop = document
            .validate_part(&stored.shop.id)
            .map_err(|problems| {
                AppError::Invalid(
                    problems
                        .into_iter()
                        .map(|mut p| {
                            if let Some(field) = p.path.strip_prefix(&prefix) {
                                p.path = field.to_owned();
                            }
                            p
                        })
                        .collect(),
                )
            })?;
        let mail = super::mail::preview::preview(&document, &shop, kind, language);
        Ok(MessagePreview {
            subject: mail.subject,
            text: mail.text,
            html: mail.html,
        })
    }
}

fn stale() -> AppError {
    AppError::Stale {
        detail: "the settings changed since you read them (by another manager or an import): \
                 read them again and redo your change"
            .into(),
        changed_by: None,
        changed_at: None,
    }
}

fn with_id(mut document: ShopDocument, id: &ShopId) -> ShopDocument {
    document.id = Some(id.to_string());
    document.items = Vec::new();
    document
}

/// An item's problem caused by the settings (a tax or category it uses, gone) said at the
/// settings' field, naming the item (`item` its code, `name` and `names` per language).
fn item_problem(whole: &ShopDocument, p: FieldError) -> FieldError {
    let Some(rest) = p.path.strip_prefix("items[") else {
        return p;
    };
    let (index, field) = rest.split_once("].").unwrap_or((rest, ""));
    let item = index.parse::<usize>().ok().and_then(|i| whole.items.get(i));
    let (at, code) = match field {
        "tax" => ("taxes", "tax_in_use"),
        "category" => ("categories", "category_in_use"),
        _ => ("", "invalid"),
    };
    let text = format!(
        "item {}: {}",
        item.map_or("?", |i| i.code.as_str()),
        p.reason
    );
    let mut reason = Reason::new(code, text);
    if let Some(item) = item {
        let names: serde_json::Map<String, serde_json::Value> = item
            .other_names()
            .map(|(lang, name)| (lang, name.into()))
            .collect();
        reason = reason
            .with("item", item.code.as_str())
            .with("name", item.name.as_str())
            .with("names", names);
    }
    FieldError::new(at, reason)
}

/// The top-level settings whose value changed.
fn changed_fields(before: &ShopDocument, after: &ShopDocument) -> Vec<String> {
    let fields = |d: &ShopDocument| match serde_json::to_value(ShopDocument {
        items: Vec::new(),
        ..d.clone()
    }) {
        Ok(Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    let (before, after) = (fields(before), fields(after));
    let mut names: Vec<String> = before.keys().chain(after.keys()).cloned().collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter(|n| n != "id" && before.get(n) != after.get(n))
        .collect()
}
