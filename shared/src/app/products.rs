//! Product instances in the store, and the operator's view of them: list, suspend, restore.
//!
//! One item per instance (`PRODUCT#{reference}`), indexed by shop and end date (GSI3, for the
//! operator's list) and by customer (GSI2, for the customer area and extensions). Suspending
//! an enrolment suspends it in Moodle (`suspend=1`, dates kept; never an unenrolment, which
//! would delete grades); other kinds (seats, credits, created courses and categories, role
//! assignments) are suspended in the shop's records only: the shop stops honouring them, and
//! an operator who wants Moodle changed does it there.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::record::{Versioned, decode, decode_versioned};
use super::retry::until_written;
use super::{AppError, Clock, audit, keys};
use crate::domain::ids::{Email, ShopId};
use crate::domain::product::{
    ProductContext, ProductEvent, ProductEventKind, ProductInstance, ProductRef, ProductState,
    ProductStatus,
};
use crate::ports::{EnrolIntent, Index, Item, Key, Lms, PutIf, Query, Store, Write};

/// A line of a bill, by its name on the bill, with the Moodle course it gave access to when
/// it is an enrolment or a course made for the buyer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reached {
    pub name: String,
    pub course_id: Option<u64>,
}

/// What each line of a bill reached in Moodle (from its running product instances), for the
/// delivery message and the bill page.
/// `progress` is the bill's production read (`production::progress`).
pub async fn reached(
    store: &dyn Store,
    bill: &crate::domain::bill::Bill,
    progress: &std::collections::BTreeMap<usize, super::production::LineProgress>,
) -> Result<Vec<Reached>, AppError> {
    let mut reached = Vec::new();
    for (index, line) in bill.lines.iter().enumerate() {
        let mut course_id = None;
        for reference in progress.get(&index).map_or(&[][..], |p| &p.products[..]) {
            let Ok(r) = reference.parse() else { continue };
            if let Some(p) = find(store, &r).await? {
                let p = p.value;
                // A suspended product (refunded, or suspended by staff) reaches nothing.
                if p.status == ProductStatus::Running
                    && matches!(
                        p.context,
                        ProductContext::UserEnrolment | ProductContext::Course
                    )
                {
                    course_id = course_id.or(p.instance_id);
                }
            }
        }
        reached.push(Reached {
            name: line.name.clone(),
            course_id,
        });
    }
    Ok(reached)
}

/// A course's page on the Moodle site at `site`.
pub fn course_url(site: &str, course: u64) -> String {
    format!("{}/course/view.php?id={course}", site.trim_end_matches('/'))
}

/// Moodle's page where a learner chooses a password (a first one, for an account the shop
/// created, or a forgotten one).
pub fn password_url(site: &str) -> String {
    format!("{}/login/forgot_password.php", site.trim_end_matches('/'))
}

/// The instance's item, with its index keys.
pub fn product_item(p: &ProductInstance) -> Item {
    let body = serde_json::to_string(p).expect("a product serializes");
    let end = p.end.map_or_else(
        || "9999".to_owned(),
        |e| e.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    );
    let start = p.start.format("%Y-%m-%dT%H:%M:%SZ");
    Item::new(keys::product(&p.reference), body)
        .indexed(
            Index::Gsi3,
            Key::new(
                keys::products_of_shop(p.shop.as_str()),
                format!("{end}#{}", p.reference),
            ),
        )
        .indexed(
            Index::Gsi2,
            Key::new(
                keys::customer(p.shop.as_str(), &p.customer_email),
                format!("{}{start}#{}", keys::CUSTOMER_PRODUCT, p.reference),
            ),
        )
}

pub async fn find(
    store: &dyn Store,
    reference: &ProductRef,
) -> Result<Option<Versioned<ProductInstance>>, AppError> {
    match store.get(&keys::product(reference)).await? {
        Some(r) => decode_versioned("product", &r).map(Some),
        None => Ok(None),
    }
}

/// Every instance a customer holds in a shop, oldest first.
pub async fn of_customer(
    store: &dyn Store,
    shop: &str,
    email: &str,
) -> Result<Vec<ProductInstance>, AppError> {
    let query = Query {
        index: Some(Index::Gsi2),
        pk: keys::customer(shop, email),
        sk_prefix: keys::CUSTOMER_PRODUCT.into(),
        ..Query::default()
    };
    store
        .query(&query)
        .await?
        .iter()
        .map(|r| decode("product", r))
        .collect()
}

/// The one enrolment Moodle keeps for a user in a course, as the customer's instances of it
/// say (a re-buy and an extension add instances on the same enrolment): active with the
/// dates of the running instance that ends last (renewals carry the whole window forward), or
/// suspended with the dates of the one that ends last when none runs. Suspending or
/// restoring one purchase thus never cuts what another one paid for.
pub fn shared_enrolment(
    instances: &[ProductInstance],
    user_email: &str,
    courseid: u64,
) -> Option<EnrolIntent> {
    let of_course = instances.iter().filter(|p| {
        p.context == ProductContext::UserEnrolment
            && p.instance_id == Some(courseid)
            && p.user_email.eq_ignore_ascii_case(user_email)
            && p.enrolment.is_some()
    });
    let last = |p: &&ProductInstance| p.end.map_or(i64::MAX, |e| e.timestamp());
    let running = of_course
        .clone()
        .filter(|p| p.status == ProductStatus::Running)
        .max_by_key(last);
    match running {
        Some(p) => p.enrolment.map(|e| EnrolIntent {
            suspend: false,
            ..e
        }),
        None => of_course
            .max_by_key(last)
            .and_then(|p| p.enrolment)
            .map(|e| EnrolIntent { suspend: true, ..e }),
    }
}

/// What operators and customers see of an instance.
#[derive(Debug, Serialize)]
pub struct ProductView {
    pub reference: String,
    pub item_code: String,
    pub bill: String,
    pub customer_email: String,
    pub user_email: String,
    pub context: &'static str,
    pub instance_id: Option<u64>,
    pub start: DateTime<Utc>,
    pub end: Option<DateTime<Utc>>,
    pub status: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowed_courses: Vec<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credits: Option<u32>,
    /// A seat's terms and holder.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seat: Option<crate::domain::product::SeatTerms>,
    pub events: Vec<ProductEvent>,
    /// In the staff's list: the item's name in each language, while the shop has it (an item
    /// sold by direct link only is not in the public catalogue the pages could name it from).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_names: Option<std::collections::BTreeMap<crate::domain::Language, String>>,
}

impl ProductView {
    pub fn new(p: ProductInstance, now: DateTime<Utc>) -> Self {
        Self {
            status: p.state(now).as_str(),
            reference: p.reference.to_string(),
            item_code: p.item_code,
            bill: p.bill.to_string(),
            customer_email: p.customer_email,
            user_email: p.user_email,
            context: p.context.as_str(),
            instance_id: p.instance_id,
            start: p.start,
            end: p.end,
            allowed_courses: p.allowed_courses,
            credits: p.credits,
            seat: p.seat,
            events: p.events,
            item_names: None,
        }
    }
}

/// The staff's views of `products`, each with its item's names (the shop read with the items
/// listed, one batch; 404 for no shop): the staff's pages name every item, listed or not.
pub async fn named(
    store: &dyn Store,
    shop: &ShopId,
    mut products: Vec<ProductView>,
) -> Result<Vec<ProductView>, AppError> {
    let codes = products.iter().map(|p| p.item_code.as_str());
    let (_, names) = super::repo::load_shop_naming(store, shop, codes).await?;
    for p in &mut products {
        p.item_names = names.get(&p.item_code).cloned();
    }
    Ok(products)
}

/// The operator's product desk.
pub struct ProductAdmin {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub lms: Arc<dyn Lms>,
}

impl ProductAdmin {
    /// A shop's instances, by end date, optionally one customer's and in one state.
    pub async fn list(
        &self,
        shop: &ShopId,
        customer: Option<&str>,
        state: Option<&str>,
    ) -> Result<Vec<ProductView>, AppError> {
        let mut problems = Vec::new();
        let customer = match customer.map(|c| c.parse::<Email>()) {
            Some(Err(e)) => {
                problems.push(crate::domain::FieldError::new("customer", e));
                None
            }
            Some(Ok(email)) => Some(email),
            None => None,
        };
        let state = match state.map(|s| s.parse::<ProductState>()) {
            Some(Err(e)) => {
                problems.push(crate::domain::FieldError::new("state", e));
                None
            }
            Some(Ok(s)) => Some(s),
            None => None,
        };
        if !problems.is_empty() {
            return Err(AppError::Invalid(problems));
        }
        let products: Vec<ProductInstance> = match &customer {
            Some(email) => {
                of_customer(self.store.as_ref(), shop.as_str(), &email.normalized()).await?
            }
            None => {
                let query = Query {
                    index: Some(Index::Gsi3),
                    pk: keys::products_of_shop(shop.as_str()),
                    ..Query::default()
                };
                let records = self.store.query(&query).await?;
                records
                    .iter()
                    .map(|r| decode("product", r))
                    .collect::<Result<_, _>>()?
            }
        };
        let now = self.clock.now();
        let products: Vec<ProductView> = products
            .into_iter()
            .filter(|p| state.is_none_or(|s| p.state(now) == s))
            .map(|p| ProductView::new(p, now))
            .collect();
        named(self.store.as_ref(), shop, products).await
    }

    /// One instance of a shop the caller reaches (another shop's is "not found").
    pub async fn get(
        &self,
        caller: &super::staff::Caller,
        reference: &str,
    ) -> Result<ProductView, AppError> {
        let product = self.load(reference).await?.value;
        caller.check_shop(&product.shop, "product", reference)?;
        Ok(ProductView::new(product, self.clock.now()))
    }

    /// An operator's suspend or restore, written with their name.
    pub async fn set_status_by(
        &self,
        caller: &super::staff::Caller,
        reference: &str,
        to: ProductStatus,
    ) -> Result<ProductView, AppError> {
        self.get(caller, reference).await?;
        let actor = caller.actor().to_string();
        self.set_status(reference, to, &actor, None).await
    }

    /// What Moodle must hold for the instance's user and course once the instance is as given:
    /// every instance of the customer's for them shares Moodle's one enrolment.
    async fn moodle_enrolment(
        &self,
        product: &ProductInstance,
    ) -> Result<crate::ports::EnrolIntent, AppError> {
        let own = product.enrolment.expect("an enrolment instance");
        if product.context != ProductContext::UserEnrolment {
            return Ok(own);
        }
        let mut held = of_customer(
            self.store.as_ref(),
            product.shop.as_str(),
            &product.customer_email,
        )
        .await?
        .into_iter()
        .filter(|p| p.reference != product.reference)
        .collect::<Vec<_>>();
        held.push(product.clone());
        Ok(shared_enrolment(&held, &product.user_email, own.courseid).unwrap_or(own))
    }

    async fn load(&self, reference: &str) -> Result<Versioned<ProductInstance>, AppError> {
        let not_found = || AppError::not_found("product", reference);
        let reference: ProductRef = reference.parse().map_err(|_| not_found())?;
        find(self.store.as_ref(), &reference)
            .await?
            .ok_or_else(not_found)
    }

    /// Suspends (or restores) an instance: in Moodle first for an enrolment, then in the
    /// record, on the version read. Doing it twice changes nothing the second time.
    pub async fn set_status(
        &self,
        reference: &str,
        to: ProductStatus,
        actor: &str,
        source: Option<String>,
    ) -> Result<ProductView, AppError> {
        let source = &source;
        until_written("the product is too busy; retry", |_| async move {
            let Versioned {
                value: mut product,
                version,
            } = self.load(reference).await?;
            let now = self.clock.now();
            if product.status == to {
                return Ok(ProductView::new(product, now));
            }
            if let Some(enrolment) = product.enrolment {
                let own = crate::ports::EnrolIntent {
                    suspend: to == ProductStatus::Suspended,
                    ..enrolment
                };
                product.status = to;
                product.enrolment = Some(own);
                let wanted = self.moodle_enrolment(&product).await?;
                self.lms.enrol(&wanted).await.map_err(|e| {
                    if e.retryable {
                        AppError::Unavailable(format!("Moodle: {}", e.message))
                    } else {
                        AppError::State(format!("Moodle refused: {}", e.message))
                    }
                })?;
            }
            product.status = to;
            product.events.push(ProductEvent {
                at: now,
                kind: match to {
                    ProductStatus::Suspended => ProductEventKind::Suspended,
                    ProductStatus::Running => ProductEventKind::Restored,
                },
                actor: actor.to_owned(),
                source: source.clone(),
                note: None,
            });
            let write = Write::Put {
                item: product_item(&product),
                when: PutIf::Version(version),
            };
            let action = match to {
                ProductStatus::Suspended => audit::Action::ProductSuspended,
                ProductStatus::Running => audit::Action::ProductRestored,
            };
            let subject = product.reference.to_string();
            let entry = audit::by(actor, action, &subject, product.customer_email.clone(), now)
                .map(|e| audit::AuditEntry {
                    item: Some(product.item_code.clone()),
                    ..e
                });
            let writes = std::iter::once(write)
                .chain(entry.map(|e| audit::record(&product.shop, &e)))
                .collect();
            self.store.write(writes).await?;
            Ok(ProductView::new(product, now))
        })
        .await
    }
}
