//! The catalogue item by item, for managers: read an item with its version (`ETag`), change,
//! create, duplicate or delete it on the version read (`If-Match`), each change recorded with
//! its author and the fields it changed (the item's history, and the shop's audit list).
//!
//! An item is one record of the shop's current catalogue (see [`repo`]); a change writes it on
//! its version together with a check that the shop still has that catalogue (an import in
//! between would otherwise swallow it), its history entry and its audit entry: one transaction.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::record::Versioned;
use super::repo::{self, ItemRecord, StoredShop};
use super::staff::Caller;
use super::{AppError, Clock, audit};
use crate::domain::document::{ItemDoc, SECRET_MARKER};
use crate::domain::handler::{CourseRef, HandlerSpec};
use crate::domain::ids::{ItemCode, ShopId, random_hex};
use crate::domain::{FieldError, Reason};
use crate::ports::{Expect, Item, Key, Lms, PutIf, Query, Store, StoreError, Write};

pub struct ItemAdmin {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    lms: Arc<dyn Lms>,
}

/// `GET /admin/shops/{shop}/items?q=&category=&status=&handler=&cursor=`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemFilter {
    #[serde(default)]
    pub q: Option<String>,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub handler: Option<String>,
    #[serde(default)]
    pub cursor: Option<String>,
}

/// A page of the editor's item list, with what its form chooses from.
#[derive(Debug, Serialize)]
pub struct ItemList {
    pub items: Vec<ItemSummary>,
    pub next_cursor: Option<String>,
    pub currency: String,
    pub taxes: Vec<crate::domain::document::TaxDoc>,
    pub categories: Vec<crate::domain::document::CategoryDoc>,
}

#[derive(Debug, Serialize)]
pub struct ItemSummary {
    pub code: String,
    pub name: String,
    /// The name in the document's other languages (`{"fr": "..."}`), for a page in one.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub names: BTreeMap<String, String>,
    pub category: Option<String>,
    pub status: String,
    pub kind: String,
    /// The handler's type, if the item delivers something.
    pub handler: Option<String>,
    /// The first tier's unit price excl. tax.
    pub price: Option<String>,
}

/// `GET /admin/shops/{shop}/moodle/courses?q=`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CourseSearch {
    #[serde(default)]
    pub q: Option<String>,
}

/// Items in one page of the editor's list.
const LIST_PAGE: usize = 50;
/// Courses the picker shows at most.
const PICKER_LIMIT: usize = 20;

/// An item as a manager reads it: the document's words (secrets masked), who changed it last
/// and when, and its version (`etag`, also the `ETag` header).
#[derive(Debug, Serialize)]
pub struct ItemView {
    pub item: ItemDoc,
    pub changed_by: Option<String>,
    pub changed_at: Option<DateTime<Utc>>,
    /// What was saved but needs a look: a course Moodle does not have, on a draft.
    pub warnings: Vec<Warning>,
    #[serde(skip)]
    pub etag: String,
}

/// A problem that did not stop the save, at its field.
#[derive(Debug, Serialize)]
pub struct Warning {
    pub field: String,
    /// `course_not_found` or `moodle_unavailable`, for the pages to say in their words.
    pub code: &'static str,
    pub reason: String,
}

/// What a change asks of the item's current version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Precondition {
    /// `If-Match: "<etag>"`: change the version read.
    Matches(String),
    /// `If-None-Match: *`: create; there must be no such item.
    Absent,
    /// Neither: refused (428), a change must say what it changes.
    Missing,
}

/// One change of an item's history.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ItemChange {
    pub at: DateTime<Utc>,
    /// The staff member's Moodle username, or `API-TOKEN` for the bearer token.
    pub actor: String,
    /// `created`, `updated`, `duplicated` (created as a copy of `from`), `deleted`.
    pub action: String,
    /// The fields of the item that changed (every field given, for a creation).
    pub fields: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
}

/// `POST /admin/shops/{shop}/items/{code}/duplicate`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DuplicateInput {
    pub code: String,
    #[serde(default)]
    pub name: Option<String>,
}

fn etag(catalogue: &str, version: u64) -> String {
    format!("\"{catalogue}.{version}\"")
}

fn history_partition(shop: &ShopId, code: &str) -> String {
    format!("ITEMLOG#{shop}#{code}")
}

impl ItemAdmin {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, lms: Arc<dyn Lms>) -> Self {
        Self { store, clock, lms }
    }

    /// A page of the catalogue as managers see it (every status), filtered by a text (code or
    /// name), a category, a status and a handler type.
    pub async fn list(
        &self,
        caller: &Caller,
        shop: &str,
        filter: &ItemFilter,
    ) -> Result<ItemList, AppError> {
        let (stored, _) = self.settings(caller, shop).await?;
        let mut after = match filter.cursor.as_deref().filter(|c| !c.is_empty()) {
            Some(c) => Some(
                c.parse::<usize>()
                    .map_err(|_| AppError::invalid("cursor", "not a cursor this list gave"))?,
            ),
            None => None,
        };
        let words = filter.q.as_deref().map(|q| q.trim().to_lowercase());
        let admits = |i: &ItemDoc| {
            let is = |want: &Option<String>, have: Option<&str>| {
                want.as_deref()
                    .filter(|w| !w.is_empty())
                    .is_none_or(|w| have == Some(w))
            };
            words.as_deref().is_none_or(|w| {
                let has = |name: &str| name.to_lowercase().contains(w);
                i.code.to_lowercase().contains(w)
                    || has(&i.name)
                    || i.other_names().any(|(_, name)| has(&name))
            }) && is(&filter.category, i.category.as_deref())
                && is(&filter.status, Some(i.status.as_str()))
                && is(&filter.handler, i.handler.as_ref().map(|h| h.kind.as_str()))
        };
        let mut items = Vec::new();
        let mut more = true;
        let mut read = 0;
        while more && items.len() < LIST_PAGE && read < 10 * LIST_PAGE {
            let page = repo::catalogue_page(self.store.as_ref(), &stored, after, LIST_PAGE).await?;
            more = page.1;
            read += page.0.len();
            for (position, doc) in page.0 {
                if items.len() == LIST_PAGE {
                    more = true;
                    break;
                }
                after = Some(position);
                if admits(&doc) {
                    items.push(summary(&doc));
                }
            }
        }
        Ok(ItemList {
            items,
            next_cursor: more.then(|| after.map(|p| p.to_string())).flatten(),
            currency: stored.document.currency.clone(),
            taxes: stored.document.taxes.clone(),
            categories: stored.document.categories.clone(),
        })
    }

    /// The Moodle courses holding every word of `q` (any case) in their names, idnumber or
    /// summary, or whose id it is, at most 20, for the course picker (which names a course
    /// stored by its id, short name or idnumber this way).
    pub async fn courses(
        &self,
        caller: &Caller,
        shop: &str,
        search: &CourseSearch,
    ) -> Result<Vec<crate::ports::LmsCourse>, AppError> {
        self.settings(caller, shop).await?;
        let q = search.q.as_deref().unwrap_or_default().trim();
        (self.lms.find_courses(q, PICKER_LIMIT).await).map_err(moodle_down)
    }

    /// Moodle's course categories, for the category picker.
    pub async fn moodle_categories(
        &self,
        caller: &Caller,
        shop: &str,
    ) -> Result<Vec<crate::ports::LmsCategory>, AppError> {
        self.settings(caller, shop).await?;
        self.lms.categories().await.map_err(moodle_down)
    }

    /// The shop's settings for a manager, with its current catalogue.
    async fn settings(
        &self,
        caller: &Caller,
        shop: &str,
    ) -> Result<(StoredShop, String), AppError> {
        let id: ShopId = repo::parse_id("shop", shop)?;
        caller.check_shop(&id, "shop", shop)?;
        caller.check_manager(&id)?;
        let stored = repo::load_shop(self.store.as_ref(), &id, repo::Items::None).await?;
        let catalogue = stored
            .catalogue
            .as_ref()
            .map(|c| c.id.clone())
            .ok_or_else(|| {
                AppError::State(
                    "this shop was stored before items had their own records: import its document \
                 once (GET then PUT /admin/shops/{shop}) to edit items one by one"
                        .into(),
                )
            })?;
        Ok((stored, catalogue))
    }

    async fn current(
        &self,
        shop: &ShopId,
        catalogue: &str,
        code: &str,
    ) -> Result<Option<Versioned<ItemRecord>>, AppError> {
        repo::find_item(self.store.as_ref(), shop, catalogue, code).await
    }

    fn view(catalogue: &str, record: Versioned<ItemRecord>) -> ItemView {
        let mut item = record.value.item;
        if item.password.is_some() {
            item.password = Some(SECRET_MARKER.into());
        }
        ItemView {
            item,
            changed_by: record.value.changed_by,
            changed_at: record.value.changed_at,
            warnings: Vec::new(),
            etag: etag(catalogue, record.version),
        }
    }

    /// `GET /admin/shops/{shop}/items/{code}`.
    pub async fn get(&self, caller: &Caller, shop: &str, code: &str) -> Result<ItemView, AppError> {
        let (stored, catalogue) = self.settings(caller, shop).await?;
        let record = self
            .current(&stored.shop.id, &catalogue, code)
            .await?
            .ok_or_else(|| AppError::not_found("item", code))?;
        Ok(Self::view(&catalogue, record))
    }

    /// `PUT /admin/shops/{shop}/items/{code}`: replaces the item on the version read, or
    /// creates it (`If-None-Match: *`) at the end of the shop's order. True when created.
    pub async fn put(
        &self,
        caller: &Caller,
        shop: &str,
        code: &str,
        precondition: &Precondition,
        body: &[u8],
    ) -> Result<(ItemView, bool), AppError> {
        if *precondition == Precondition::Missing {
            return Err(AppError::PreconditionRequired(
                "send If-Match with the ETag of the item you read (or If-None-Match: * to \
                 create one)"
                    .into(),
            ));
        }
        let (stored, catalogue) = self.settings(caller, shop).await?;
        let mut item = read_item(body)?;
        if item.code != code {
            return Err(AppError::invalid(
                "code",
                format!("must be the item code of the URL, `{code}`"),
            ));
        }
        let id = &stored.shop.id;
        let current = self.current(id, &catalogue, code).await?;
        let previous =
            Self::check_precondition(precondition, (&catalogue, code), current.as_ref())?;
        keep_password(&mut item, previous.map(|p| &p.value.item))?;
        self.check(&stored, &item).await?;
        let warnings = self.check_courses(&item).await?;
        let created = previous.is_none();
        let position = match previous {
            Some(p) => p.value.position,
            None => self.next_position(id, &catalogue).await?,
        };
        let (action, fields) = match previous {
            Some(p) => ("updated", changed_fields(&p.value.item, &item)),
            None => ("created", given_fields(&item)),
        };
        let change = self.change(caller, action, fields, None);
        let record = ItemRecord {
            position,
            item,
            changed_by: Some(caller.name().to_owned()),
            changed_at: Some(change.at),
        };
        let when = previous.map_or(PutIf::Absent, |p| PutIf::Version(p.version));
        let write = record.write(id, &catalogue, when);
        self.commit(&stored, code, write, &change).await?;
        let version = previous.map_or(1, |p| p.version + 1);
        let view = Self::view(
            &catalogue,
            Versioned {
                value: record,
                version,
            },
        );
        Ok((ItemView { warnings, ..view }, created))
    }

    /// `POST /admin/shops/{shop}/items/{code}/duplicate {"code", "name"?}`: a copy under a new
    /// code, suspended (not sold) until a manager publishes it, at the end of the order.
    pub async fn duplicate(
        &self,
        caller: &Caller,
        shop: &str,
        code: &str,
        input: &DuplicateInput,
    ) -> Result<ItemView, AppError> {
        let (stored, catalogue) = self.settings(caller, shop).await?;
        let id = &stored.shop.id;
        let source = self
            .current(id, &catalogue, code)
            .await?
            .ok_or_else(|| AppError::not_found("item", code))?;
        let new_code: ItemCode = input
            .code
            .parse()
            .map_err(|e: String| AppError::invalid("code", e))?;
        if self
            .current(id, &catalogue, new_code.as_str())
            .await?
            .is_some()
        {
            let text = "an item with this code is already defined";
            return Err(AppError::invalid(
                "code",
                crate::domain::Reason::new("code_taken", text),
            ));
        }
        let mut item = source.value.item;
        item.code = new_code.to_string();
        item.name = input.name.clone().unwrap_or_else(|| item.name.clone());
        item.status = "suspended".into();
        self.check(&stored, &item).await?;
        let change = self.change(caller, "duplicated", given_fields(&item), Some(code));
        let record = ItemRecord {
            position: self.next_position(id, &catalogue).await?,
            item,
            changed_by: Some(caller.name().to_owned()),
            changed_at: Some(change.at),
        };
        let write = record.write(id, &catalogue, PutIf::Absent);
        self.commit(&stored, new_code.as_str(), write, &change)
            .await?;
        Ok(Self::view(
            &catalogue,
            Versioned {
                value: record,
                version: 1,
            },
        ))
    }

    /// `DELETE /admin/shops/{shop}/items/{code}` on the version read. An item that a set or
    /// bundle lists as a part stays (422 naming them): change those first. Bills keep their
    /// copy of the item; carts holding it see it as no longer sold.
    pub async fn delete(
        &self,
        caller: &Caller,
        shop: &str,
        code: &str,
        precondition: &Precondition,
    ) -> Result<(), AppError> {
        if !matches!(precondition, Precondition::Matches(_)) {
            return Err(AppError::PreconditionRequired(
                "send If-Match with the ETag of the item you read".into(),
            ));
        }
        let (stored, catalogue) = self.settings(caller, shop).await?;
        let id = &stored.shop.id;
        let current = self.current(id, &catalogue, code).await?;
        let Some(previous) =
            Self::check_precondition(precondition, (&catalogue, code), current.as_ref())?
        else {
            return Err(AppError::not_found("item", code));
        };
        let whole = repo::load_shop(self.store.as_ref(), id, repo::Items::All).await?;
        let groups: Vec<&str> = whole
            .document
            .items
            .iter()
            .filter(|i| i.parts.iter().any(|p| p.code == code))
            .map(|i| i.code.as_str())
            .collect();
        if !groups.is_empty() {
            return Err(AppError::invalid(
                "code",
                format!("a part of {}: change those first", groups.join(", ")),
            ));
        }
        let change = self.change(caller, "deleted", Vec::new(), None);
        let write = Write::Delete {
            key: crate::app::keys::catalogue_item(id, &catalogue, code),
            when: Expect::Version(previous.version),
        };
        self.commit(&stored, code, write, &change).await
    }

    /// `GET /admin/shops/{shop}/items/{code}/preview`: the item as the buyers' catalogue shows
    /// it, whatever its status (a draft too), so that a manager sees it before publishing.
    pub async fn preview(
        &self,
        caller: &Caller,
        shop: &str,
        code: &str,
        query: &crate::app::storefront::LanguageQuery,
    ) -> Result<crate::app::storefront::ItemView, AppError> {
        let language = query.parse()?;
        let (stored, catalogue) = self.settings(caller, shop).await?;
        let record = self
            .current(&stored.shop.id, &catalogue, code)
            .await?
            .ok_or_else(|| AppError::not_found("item", code))?;
        let mut shop =
            repo::shop_with(self.store.as_ref(), &stored, vec![record.value.item]).await?;
        shop.localize(language);
        let item = shop
            .items
            .first()
            .ok_or_else(|| AppError::not_found("item", code))?;
        // As a buyer it is for sees it: a customer signed in for an item shown only to them.
        Ok(crate::app::storefront::ItemView::new(
            &shop,
            item,
            item.visibility.audience(),
        ))
    }

    /// `GET /admin/shops/{shop}/items/{code}/history`: the item's changes, newest first.
    pub async fn history(
        &self,
        caller: &Caller,
        shop: &str,
        code: &str,
    ) -> Result<Vec<ItemChange>, AppError> {
        let (stored, _) = self.settings(caller, shop).await?;
        let query = Query {
            descending: true,
            limit: Some(100),
            ..Query::partition(history_partition(&stored.shop.id, code))
        };
        self.store
            .query(&query)
            .await?
            .iter()
            .map(|r| super::record::decode("item change", r))
            .collect()
    }

    /// The version a change is made on, as its precondition asks: `Matches` a stale or
    /// unknown version is 412 naming who changed it and when; `Absent` an existing item 412.
    fn check_precondition<'a>(
        precondition: &Precondition,
        (catalogue, code): (&str, &str),
        current: Option<&'a Versioned<ItemRecord>>,
    ) -> Result<Option<&'a Versioned<ItemRecord>>, AppError> {
        match (precondition, current) {
            (Precondition::Absent, None) => Ok(None),
            (Precondition::Absent, Some(c)) => Err(AppError::Stale {
                detail: "an item with this code already exists: read it and send its ETag".into(),
                changed_by: c.value.changed_by.clone(),
                changed_at: c.value.changed_at,
            }),
            (_, None) => Err(AppError::not_found("item", code)),
            (Precondition::Matches(tag), Some(c)) if matches(tag, catalogue, c.version) => {
                Ok(Some(c))
            }
            (_, Some(c)) => Err(stale(&c.value)),
        }
    }

    /// The item checked as an import would, with the items its parts name.
    async fn check(&self, stored: &StoredShop, item: &ItemDoc) -> Result<(), AppError> {
        let parts: Vec<ItemCode> = item
            .parts
            .iter()
            .filter_map(|p| p.code.parse().ok())
            .collect();
        let with_parts = repo::load_shop(
            self.store.as_ref(),
            &stored.shop.id,
            repo::Items::Only(&parts),
        )
        .await?;
        let problems = stored.document.check_item(item, &with_parts.document.items);
        if problems.is_empty() {
            Ok(())
        } else {
            Err(AppError::Invalid(problems))
        }
    }

    /// The courses the item's delivery names, looked up in Moodle: one it does not have stops
    /// an item on sale (422 at the parameter naming it), and is a warning on a draft, which may wait for the
    /// course to be made. A Moodle that does not answer is a warning whatever the status.
    async fn check_courses(&self, item: &ItemDoc) -> Result<Vec<Warning>, AppError> {
        // (the item was checked: its handler reads)
        let Some(Ok(handler)) =
            (item.handler.as_ref()).map(|h| HandlerSpec::parse(&h.kind, &h.params))
        else {
            return Ok(Vec::new());
        };
        let mut missing = Vec::new();
        for (param, course) in handler.courses() {
            let (field, key) = match &course {
                CourseRef::Id(id) => ("id", id.to_string()),
                CourseRef::Shortname(s) => ("shortname", s.clone()),
                CourseRef::Idnumber { idnumber } => ("idnumber", idnumber.clone()),
            };
            match self.lms.course_id(field, &key).await {
                Ok(Some(_)) => {}
                Ok(None) => missing.push((format!("handler.params.{param}"), key)),
                Err(e) => {
                    return Ok(vec![Warning {
                        field: "handler".into(),
                        code: "moodle_unavailable",
                        reason: format!(
                            "Moodle did not answer; the course was not checked: {}",
                            e.message
                        ),
                    }]);
                }
            }
        }
        if missing.is_empty() {
            return Ok(Vec::new());
        }
        if matches!(item.status.as_str(), "available" | "available_internal") {
            let errors = missing.into_iter().map(|(path, key)| {
                let text = format!(
                    "course not found in Moodle: {key}; save the item as a draft until the course exists"
                );
                FieldError::new(path, Reason::new("course_not_found", text).with("course", key))
            });
            return Err(AppError::Invalid(errors.collect()));
        }
        let keys: Vec<String> = missing.into_iter().map(|(_, key)| key).collect();
        Ok(vec![Warning {
            field: "handler".into(),
            code: "course_not_found",
            reason: format!("course not found in Moodle: {}", keys.join(", ")),
        }])
    }

    async fn next_position(&self, shop: &ShopId, catalogue: &str) -> Result<usize, AppError> {
        let last = repo::last_position(self.store.as_ref(), shop, catalogue).await?;
        Ok(last.map_or(0, |p| p + 1))
    }

    fn change(
        &self,
        caller: &Caller,
        action: &str,
        fields: Vec<String>,
        from: Option<&str>,
    ) -> ItemChange {
        ItemChange {
            at: self.clock.now(),
            actor: caller.name().to_owned(),
            action: action.to_owned(),
            fields,
            from: from.map(str::to_owned),
        }
    }

    /// The item's write, a check that the shop still has the catalogue read, the history entry
    /// and the audit entry, in one transaction. A lost race on the item answers 412 with who
    /// won; an import in between answers 409.
    async fn commit(
        &self,
        stored: &StoredShop,
        code: &str,
        write: Write,
        change: &ItemChange,
    ) -> Result<(), AppError> {
        let id = &stored.shop.id;
        let key = write.key().clone();
        let history = Write::Put {
            item: Item::new(
                Key::new(
                    history_partition(id, code),
                    format!("{}#{}", super::keys::sortable(change.at), random_hex(4)),
                ),
                serde_json::to_string(change).expect("serializes"),
            ),
            when: PutIf::Absent,
        };
        let detail = match change.fields.as_slice() {
            [] => change.action.clone(),
            fields => format!("{}: {}", change.action, fields.join(", ")),
        };
        let entry = audit::AuditEntry {
            at: change.at,
            actor: change.actor.clone(),
            action: audit::Action::ItemChanged,
            subject: code.to_owned(),
            detail,
            from: None,
            to: None,
            item: Some(code.to_owned()),
            cause: None,
        };
        let writes = vec![
            write,
            Write::Check {
                key: super::keys::shop(id),
                when: Expect::Version(stored.version),
            },
            history,
            audit::record(id, &entry),
        ];
        match self.store.write(writes).await {
            Ok(()) => Ok(()),
            Err(StoreError::ConditionFailed) => {
                let now = self.store.get(&key).await?;
                match now {
                    Some(r) => {
                        let record: ItemRecord = super::record::decode("item", &r)?;
                        Err(stale(&record))
                    }
                    None => Err(AppError::Conflict(
                        "the item or the shop's catalogue changed meanwhile; read it again".into(),
                    )),
                }
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// Moodle could not give what a picker needs: said as the client said it ("Moodle did not
/// answer: …", or Moodle's error and its message).
fn moodle_down(e: crate::ports::LmsError) -> AppError {
    AppError::Unavailable(e.to_string())
}

fn summary(doc: &ItemDoc) -> ItemSummary {
    ItemSummary {
        code: doc.code.clone(),
        name: doc.name.clone(),
        names: doc.other_names().collect(),
        category: doc.category.clone(),
        status: doc.status.clone(),
        kind: doc.kind.clone(),
        handler: doc.handler.as_ref().map(|h| h.kind.clone()),
        price: doc.prices.first().map(|p| p.unit_price.clone()),
    }
}

/// 412: the item changed since it was read, by whom and when.
fn stale(current: &ItemRecord) -> AppError {
    let who = current.changed_by.as_deref().unwrap_or("someone");
    let when = current
        .changed_at
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default();
    AppError::Stale {
        detail: format!(
            "changed by {who} on {when} since you read it: read it again and redo your change"
        ),
        changed_by: current.changed_by.clone(),
        changed_at: current.changed_at,
    }
}

/// Whether an `If-Match` value names this version of the item (weak or strong).
fn matches(tag: &str, catalogue: &str, version: u64) -> bool {
    tag.trim().trim_start_matches("W/") == etag(catalogue, version)
}

/// The body of a PUT, read as an item of the document (a structural problem at its path).
fn read_item(body: &[u8]) -> Result<ItemDoc, AppError> {
    let de = &mut serde_json::Deserializer::from_slice(body);
    let item = serde_path_to_error::deserialize(&mut *de).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." { String::new() } else { path };
        AppError::Malformed(vec![crate::domain::FieldError::new(
            path,
            e.inner().to_string(),
        )])
    })?;
    de.end().map_err(|e| {
        AppError::Malformed(vec![crate::domain::FieldError::new("", e.to_string())])
    })?;
    Ok(item)
}

/// The secret marker keeps the stored password; it stands for nothing on a new item.
fn keep_password(item: &mut ItemDoc, previous: Option<&ItemDoc>) -> Result<(), AppError> {
    if item.password.as_deref() != Some(SECRET_MARKER) {
        return Ok(());
    }
    match previous.and_then(|p| p.password.clone()) {
        Some(old) => {
            item.password = Some(old);
            Ok(())
        }
        None => Err(AppError::invalid(
            "password",
            "the secret marker stands for a stored password, and none is stored",
        )),
    }
}

fn fields_of(item: &ItemDoc) -> BTreeMap<String, Value> {
    match serde_json::to_value(item) {
        Ok(Value::Object(map)) => map.into_iter().collect(),
        _ => BTreeMap::new(),
    }
}

/// The fields whose value differs between two versions of an item.
fn changed_fields(before: &ItemDoc, after: &ItemDoc) -> Vec<String> {
    let (before, after) = (fields_of(before), fields_of(after));
    let mut names: Vec<String> = before.keys().chain(after.keys()).cloned().collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter(|n| before.get(n) != after.get(n))
        .collect()
}

/// The fields a new item gives.
fn given_fields(item: &ItemDoc) -> Vec<String> {
    fields_of(item)
        .into_iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, _)| k)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(json: Value) -> ItemDoc {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn a_change_names_the_fields_it_changed() {
        let before = item(serde_json::json!({"code": "A", "name": "A", "tax": "std",
            "prices": [{"up_to": null, "unit_price": "10.00"}]}));
        let mut after = before.clone();
        after.name = "B".into();
        after.prices[0].unit_price = "12.00".into();
        assert_eq!(changed_fields(&before, &after), ["name", "prices"]);
        assert!(changed_fields(&before, &before).is_empty());
    }

    #[test]
    fn an_etag_matches_its_catalogue_and_version_only() {
        assert_eq!(etag("ab12", 3), "\"ab12.3\"");
        assert!(matches("\"ab12.3\"", "ab12", 3));
        assert!(matches(" W/\"ab12.3\"", "ab12", 3));
        assert!(!matches("\"ab12.2\"", "ab12", 3));
        assert!(
            !matches("\"cd34.3\"", "ab12", 3),
            "another catalogue's version 3"
        );
        assert!(!matches("*", "ab12", 3));
    }
}
