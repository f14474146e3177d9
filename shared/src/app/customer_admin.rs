//! The customers desk (back office): find a shop's customers by name, email or organisation,
//! see one with their bills and products, and correct their identity, each change recorded
//! with its author.

use std::sync::Arc;

use serde::Serialize;

use super::bill_admin::BillSummary;
use super::customers::{self, CustomerRecord, IdentityChange, customer_item};
use super::items::Precondition;
use super::products::{self, ProductView};
use super::record::decode;
use super::staff::Caller;
use super::{AppError, Clock, keys, repo};
use crate::domain::bill::Bill;
use crate::domain::cart::{Identity, IdentityInput};
use crate::domain::ids::{Email, ShopId};
use crate::ports::{Index, PutIf, Query, Store, Write};

const PAGE: usize = 20;
/// Customers read from the index per request while looking for a page of matches.
const READ: usize = 100;

#[derive(Debug, Serialize)]
pub struct CustomerPage {
    pub customers: Vec<CustomerRecord>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct CustomerView {
    #[serde(flatten)]
    pub record: CustomerRecord,
    pub bills: Vec<BillSummary>,
    pub products: Vec<ProductView>,
    /// Their profile on the Moodle site, when the shop knows both.
    pub moodle_profile_url: Option<String>,
    /// The record's version, for `ETag`: a correction is made on the version read.
    #[serde(skip)]
    pub etag: String,
}

/// A customer record's version as an `ETag`.
fn etag(version: u64) -> String {
    format!("\"customer.{version}\"")
}

pub struct CustomerAdmin {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    /// The Moodle site's address, for links to a customer's profile.
    pub moodle_url: Option<String>,
}

fn matches(r: &CustomerRecord, q: &str) -> bool {
    let q = q.trim().to_lowercase();
    let i = &r.identity;
    [
        format!("{} {}", i.firstname, i.lastname),
        i.email.normalized(),
        i.organisation.clone().unwrap_or_default(),
    ]
    .iter()
    .any(|t| t.to_lowercase().contains(&q))
}

impl CustomerAdmin {
    async fn shop(&self, caller: &Caller, shop: &str) -> Result<ShopId, AppError> {
        let id: ShopId = repo::parse_id("shop", shop)?;
        caller.check_shop(&id, "shop", shop)?;
        repo::load_shop(self.store.as_ref(), &id, repo::Items::None).await?;
        Ok(id)
    }

    /// A page of the shop's customers by name, those matching `q` (name, email, organisation).
    pub async fn list(
        &self,
        caller: &Caller,
        shop: &str,
        q: Option<&str>,
        cursor: Option<&str>,
    ) -> Result<CustomerPage, AppError> {
        let id = self.shop(caller, shop).await?;
        let mut after = match cursor {
            Some(c) => Some(
                hex::decode(c)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .ok_or_else(|| AppError::invalid("cursor", "not a cursor from this API"))?,
            ),
            None => None,
        };
        // Pages of the index from the cursor on, until a page of matches or the end.
        let mut found = Vec::new();
        'pages: loop {
            let query = Query {
                index: Some(Index::Gsi1),
                pk: keys::customers_of_shop(id.as_str()),
                after: after.clone(),
                limit: Some(READ),
                ..Query::default()
            };
            let page = self.store.query(&query).await?;
            let exhausted = page.len() < READ;
            for record in page {
                after = record.item.indexes.get(&Index::Gsi1).map(|k| k.sk.clone());
                let customer: CustomerRecord = decode("customer", &record)?;
                if q.is_none_or(|q| matches(&customer, q)) {
                    found.push(customer);
                    if found.len() == PAGE {
                        break 'pages;
                    }
                }
            }
            if exhausted {
                break;
            }
        }
        let next_cursor = (found.len() == PAGE).then(|| hex::encode(after.unwrap_or_default()));
        Ok(CustomerPage {
            customers: found,
            next_cursor,
        })
    }

    async fn record(
        &self,
        caller: &Caller,
        shop: &str,
        email: &str,
    ) -> Result<(ShopId, crate::app::record::Versioned<CustomerRecord>), AppError> {
        let id = self.shop(caller, shop).await?;
        let email: Email = email
            .parse()
            .map_err(|_| AppError::not_found("customer", email))?;
        let record = customers::find(self.store.as_ref(), id.as_str(), &email.normalized())
            .await?
            .ok_or_else(|| AppError::not_found("customer", email.as_str()))?;
        Ok((id, record))
    }

    /// A customer with their bills (newest first) and products.
    pub async fn get(
        &self,
        caller: &Caller,
        shop: &str,
        email: &str,
    ) -> Result<CustomerView, AppError> {
        let (id, record) = self.record(caller, shop, email).await?;
        let version = record.version;
        let record = record.value;
        let email = record.identity.email.normalized();
        let query = Query {
            index: Some(Index::Gsi2),
            pk: keys::customer(id.as_str(), &email),
            sk_prefix: keys::CUSTOMER_BILL.into(),
            descending: true,
            limit: Some(100),
            ..Query::default()
        };
        let mut bills = Vec::new();
        for r in self.store.query(&query).await? {
            let bill: Bill = decode("bill", &r)?;
            bills.push(BillSummary::new(&bill));
        }
        let now = self.clock.now();
        let products = products::of_customer(self.store.as_ref(), id.as_str(), &email)
            .await?
            .into_iter()
            .map(|p| ProductView::new(p, now))
            .collect();
        let products = products::named(self.store.as_ref(), &id, products).await?;
        let moodle_profile_url = self
            .moodle_url
            .as_deref()
            .zip(record.moodle_user_id)
            .map(|(site, id)| format!("{}/user/profile.php?id={id}", site.trim_end_matches('/')));
        Ok(CustomerView {
            record,
            bills,
            products,
            moodle_profile_url,
            etag: etag(version),
        })
    }

    /// Corrects the customer's identity (the email stays: it is who they are here), on the
    /// version read; the change is recorded with its author and the fields it touched.
    pub async fn update(
        &self,
        caller: &Caller,
        shop: &str,
        email: &str,
        precondition: &Precondition,
        input: &IdentityInput,
    ) -> Result<(CustomerRecord, String), AppError> {
        let identity = input.parsed("").map_err(|errors| {
            AppError::Invalid(
                errors
                    .into_iter()
                    .map(|mut e| {
                        e.path = e.path.trim_start_matches('.').to_owned();
                        e
                    })
                    .collect(),
            )
        })?;
        let (id, stored) = self.record(caller, shop, email).await?;
        // Another operator's correction since this one read the record is not overwritten.
        if let Precondition::Matches(tag) = precondition
            && tag.trim().trim_start_matches("W/") != etag(stored.version)
        {
            let last = stored.value.changes.last();
            return Err(AppError::Stale {
                detail: "the customer was corrected since you read it: read it again".into(),
                changed_by: last.map(|c| c.actor.clone()),
                changed_at: last.map(|c| c.at),
            });
        }
        let mut record = stored.value;
        if identity.email.normalized() != record.identity.email.normalized() {
            return Err(AppError::invalid(
                "email",
                "the email is who the customer is here: it cannot change",
            ));
        }
        let fields = changed_fields(&record.identity, &identity);
        if fields.is_empty() {
            return Ok((record, etag(stored.version)));
        }
        record.identity = identity;
        record.updated_at = self.clock.now();
        let actor = caller.actor().to_string();
        let entry = super::audit::by(
            &actor,
            super::audit::Action::CustomerUpdated,
            record.identity.email.as_str(),
            fields.join(", "),
            record.updated_at,
        );
        record.changes.push(IdentityChange {
            at: record.updated_at,
            actor,
            fields,
        });
        let put = Write::Put {
            item: customer_item(&record),
            when: PutIf::Version(stored.version),
        };
        let writes = std::iter::once(put)
            .chain(entry.map(|e| super::audit::record(&id, &e)))
            .collect();
        self.store.write(writes).await?;
        Ok((record, etag(stored.version + 1)))
    }
}

fn changed_fields(old: &Identity, new: &Identity) -> Vec<String> {
    let pairs = [
        ("firstname", old.firstname != new.firstname),
        ("lastname", old.lastname != new.lastname),
        ("address", old.address != new.address),
        ("zip", old.zip != new.zip),
        ("city", old.city != new.city),
        ("country", old.country != new.country),
        ("organisation", old.organisation != new.organisation),
        ("phone", old.phone != new.phone),
    ];
    pairs
        .into_iter()
        .filter(|(_, changed)| *changed)
        .map(|(name, _)| name.to_owned())
        .collect()
}
