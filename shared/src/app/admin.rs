//! Back-office use cases on the shop document (import and export).

use std::sync::Arc;

use super::{AppError, repo};
use crate::domain::Errors;
use crate::domain::document::ShopDocument;
use crate::domain::ids::ShopId;
use crate::ports::Store;

pub struct ShopAdmin {
    store: Arc<dyn Store>,
}

/// What an import did.
#[derive(Debug, PartialEq, Eq)]
pub enum Imported {
    Created,
    Replaced,
}

impl ShopAdmin {
    /// The store the shops are in.
    pub fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    /// The shop document with its secrets masked.
    pub async fn export(
        &self,
        caller: &super::staff::Caller,
        shop: &str,
    ) -> Result<ShopDocument, AppError> {
        let id: ShopId = repo::parse_id("shop", shop)?;
        caller.check_manager(&id)?;
        let stored = repo::load_shop(self.store.as_ref(), &id, repo::Items::All).await?;
        Ok(with_id(stored.document, &id).masked())
    }

    /// Validates the whole document and stores it (its items as a new catalogue, then the
    /// settings switched to it in one conditional write), or changes nothing and reports every
    /// problem. Secret markers keep the stored secrets.
    pub async fn import(
        &self,
        caller: &super::staff::Caller,
        shop: &str,
        body: &[u8],
    ) -> Result<(Imported, ShopDocument), AppError> {
        let id: ShopId = shop
            .parse()
            .map_err(|reason: String| AppError::invalid("id", reason))?;
        caller.check_manager(&id)?;
        let mut document =
            ShopDocument::from_json(body).map_err(|e| AppError::Malformed(vec![e]))?;
        let stored = repo::find_shop(self.store.as_ref(), &id, repo::Items::All).await?;
        let mut errors = Errors::default();
        document.keep_secrets_from(stored.as_ref().map(|s| &s.document), &mut errors);
        let invalid = document.validate(&id).err().unwrap_or_default();
        let gateways = crate::gateways::setup_problems(&document);
        let managers = (stored.as_ref()).and_then(|s| document.last_manager_problem(&s.document));
        for p in invalid
            .into_iter()
            .chain(document.import_problems())
            .chain(gateways)
            .chain(managers)
        {
            errors.push(p);
        }
        errors.finish(|| ()).map_err(AppError::Invalid)?;
        let document = with_id(document, &id);
        let outcome = if stored.is_some() {
            Imported::Replaced
        } else {
            Imported::Created
        };
        let detail = format!(
            "{} ({} items)",
            match outcome {
                Imported::Replaced => "shop document replaced",
                Imported::Created => "shop created",
            },
            document.items.len()
        );
        let entry = super::audit::by(
            &caller.actor().to_string(),
            super::audit::Action::ShopImported,
            id.as_str(),
            detail,
            chrono::Utc::now(),
        )
        .map(|e| super::audit::record(&id, &e));
        repo::save_shop(
            self.store.as_ref(),
            &id,
            &document,
            stored.as_ref(),
            entry,
            (caller.name(), chrono::Utc::now()),
        )
        .await?;
        Ok((outcome, document.masked()))
    }
}

fn with_id(mut document: ShopDocument, id: &ShopId) -> ShopDocument {
    document.id = Some(id.to_string());
    document
}
