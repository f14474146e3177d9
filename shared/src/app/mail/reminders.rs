//! Expiry reminders: before an enrolment ends (the shop's `reminder_days`, default 14 and 3),
//! its buyer is reminded, with a link to the item that extends it when the shop sells one (a
//! pre-filled cart, or the item's page when a visitor cannot fill one with it). One letter per
//! product and threshold (its id says which), so running the search again, or on several
//! schedules at once, writes nothing twice.

use chrono::{DateTime, Duration, Utc};

use super::postman::Postman;
use super::{Letter, MessageKind, Reminder};
use crate::app::bills::find_bill;
use crate::app::record::decode;
use crate::app::{AppError, keys, repo};
use crate::domain::catalog::{Shop, Viewer};
use crate::domain::handler::{CourseRef, HandlerSpec};
use crate::domain::product::{ProductContext, ProductInstance, ProductStatus};
use crate::ports::{Index, PutIf, Query, StoreError, Write};

/// A threshold is also met by a product found up to this many days late (a schedule that did
/// not run): the reminder then says the true number of days left.
const CATCH_UP_DAYS: i64 = 2;

impl Postman {
    /// Writes the reminders due now for every shop; how many were written.
    pub async fn write_reminders(&self) -> Result<usize, AppError> {
        let now = self.bills.clock.now();
        let mut written = 0;
        for id in repo::list_shops(self.store()).await? {
            let Some(shop) = repo::find_shop(self.store(), &id, repo::Items::None).await? else {
                continue;
            };
            for &days in &shop.shop.reminder_days {
                for product in self.ending_around(&shop.shop, days, now).await? {
                    if self.remind(&product, days, now).await? {
                        written += 1;
                    }
                }
            }
        }
        Ok(written)
    }

    /// Running enrolments ending `days` from now (or up to [`CATCH_UP_DAYS`] sooner).
    async fn ending_around(
        &self,
        shop: &Shop,
        days: u32,
        now: DateTime<Utc>,
    ) -> Result<Vec<ProductInstance>, AppError> {
        let mut found = Vec::new();
        let latest = now + Duration::days(i64::from(days));
        for late in 0..=CATCH_UP_DAYS {
            let day = latest - Duration::days(late);
            let query = Query {
                index: Some(Index::Gsi3),
                pk: keys::products_of_shop(shop.id.as_str()),
                sk_prefix: day.format("%Y-%m-%d").to_string(),
                ..Query::default()
            };
            for record in self.store().query(&query).await? {
                let p: ProductInstance = decode("product", &record)?;
                let ends = p.end.is_some_and(|end| end > now && end <= latest);
                if ends
                    && p.status == ProductStatus::Running
                    && p.context == ProductContext::UserEnrolment
                {
                    found.push(p);
                }
            }
        }
        Ok(found)
    }

    /// The reminder's letter, unless it was written before. True when written now.
    async fn remind(
        &self,
        p: &ProductInstance,
        days: u32,
        now: DateTime<Utc>,
    ) -> Result<bool, AppError> {
        let Some(bill) = find_bill(self.store(), &p.bill).await? else {
            return Ok(false);
        };
        let kind = MessageKind::ExpiryReminder;
        let id = format!("{}-{}-{}-{days}", p.bill, kind.as_str(), p.reference);
        let letter = Letter {
            reminder: Some(Reminder {
                product: p.reference.to_string(),
                days,
            }),
            ..Letter::due(&bill.value, bill.value.events.len(), kind, id, now)
        };
        let write = Write::Put {
            item: letter.item(),
            when: PutIf::Absent,
        };
        match self.store().write(vec![write]).await {
            Ok(()) => Ok(true),
            Err(StoreError::ConditionFailed) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}

/// The item a buyer re-buys to keep a product: an on-sale item that extends the same course,
/// else the product's own item when it is renewable — one that anybody may buy, or one for
/// the shop's customers (the buyer is one), or with a password (a partner's: they hold it).
pub(super) fn extension_for<'a>(
    shop: &'a Shop,
    p: &ProductInstance,
) -> Option<&'a crate::domain::catalog::Item> {
    let extends_course = |item: &crate::domain::catalog::Item| {
        let handler = item.handler.as_ref()?;
        let spec = serde_json::json!({"type": handler.kind, "params": handler.params});
        match serde_json::from_value::<HandlerSpec>(spec).ok()? {
            HandlerSpec::ExtendEnrolment(x) => Some(x.course == CourseRef::Id(p.instance_id?)),
            _ => Some(false),
        }
    };
    let buyer = Viewer::Customer { has_bought: true };
    let on_sale = |item: &&crate::domain::catalog::Item| {
        item.purchasable_by(Viewer::Guest) || item.purchasable_by(buyer)
    };
    shop.items
        .iter()
        .filter(on_sale)
        .find(|item| extends_course(item) == Some(true))
        .or_else(|| {
            shop.items
                .iter()
                .filter(on_sale)
                .find(|item| item.code.as_str() == p.item_code && item.renewable)
        })
}

/// How a reminder's link reaches the extension: a pre-filled cart when a visitor may put it in
/// one (the reader is seldom signed in), else the item's own page, which asks its password or
/// has the customer sign in first.
pub(super) fn by_cart_link(item: &crate::domain::catalog::Item) -> bool {
    item.purchasable_by(Viewer::Guest) && item.password.is_none()
}
