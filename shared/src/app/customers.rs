//! Customer records (`CUSTOMER#{shop}#{email}` / `PROFILE`): who bought from a shop, as they
//! last described themselves, and their Moodle account once production found or made it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::AppError;
use super::record::{Versioned, decode_versioned};
use super::retry::until_written;
use crate::domain::cart::Identity;
use crate::ports::{Index, Item, Key, PutIf, Store, StoreError, Write};

/// A change of a customer's identity by staff: who, when, which fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityChange {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub fields: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerRecord {
    pub shop: String,
    pub identity: Identity,
    pub moodle_user_id: Option<u64>,
    /// The Moodle username the buyer signs in with (the shop's derived one, or an account's
    /// own when Moodle already had one for the email).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moodle_username: Option<String>,
    pub updated_at: DateTime<Utc>,
    /// When an order of theirs was first delivered (paid, or on trust): from then on they
    /// are a customer who bought here, whom items shown to `customers` are for. Placing an
    /// order, or signing in and typing one's details, makes a record but not this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bought_at: Option<DateTime<Utc>>,
    /// The staff's changes of the identity, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<IdentityChange>,
}

/// The record as stored: listed by name among the shop's customers (GSI1).
pub(crate) fn customer_item(record: &CustomerRecord) -> Item {
    let body = serde_json::to_string(record).expect("a customer serializes");
    let email = record.identity.email.normalized();
    Item::new(super::keys::customer_profile(&record.shop, &email), body).indexed(
        Index::Gsi1,
        Key::new(
            super::keys::customers_of_shop(&record.shop),
            super::keys::customer_name(&record.identity),
        ),
    )
}

pub async fn find(
    store: &dyn Store,
    shop: &str,
    email: &str,
) -> Result<Option<Versioned<CustomerRecord>>, AppError> {
    let Some(r) = store
        .get(&super::keys::customer_profile(shop, email))
        .await?
    else {
        return Ok(None);
    };
    decode_versioned("customer", &r).map(Some)
}

impl CustomerRecord {
    /// They have had an order delivered here: what items shown to `customers` ask.
    pub fn has_bought(&self) -> bool {
        self.bought_at.is_some()
    }
}

/// Links the buyer whose order is being delivered to their Moodle account, creating the
/// record from the bill's identity the first time, and makes them a customer who bought.
/// Nothing is written when all of it is there already.
pub async fn link_moodle_user(
    store: &dyn Store,
    shop: &str,
    identity: &Identity,
    user: &crate::ports::LmsUser,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let username = (!user.username.is_empty()).then(|| user.username.clone());
    upsert(store, shop, identity, now, |r| {
        let same =
            r.moodle_user_id == Some(user.id) && r.moodle_username == username && r.has_bought();
        (!same).then(|| CustomerRecord {
            moodle_user_id: Some(user.id),
            moodle_username: username.clone(),
            bought_at: r.bought_at.or(Some(now)),
            ..r.clone()
        })
    })
    .await
}

/// Makes the buyer of an order being delivered a customer who bought, for a buyer who is
/// not among its participants (a course bought for someone else, in a shop without a support
/// course: production never looks them up in Moodle). Nothing is written when they are one
/// already.
pub async fn mark_bought(
    store: &dyn Store,
    shop: &str,
    identity: &Identity,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    upsert(store, shop, identity, now, |r| {
        (!r.has_bought()).then(|| CustomerRecord {
            bought_at: Some(now),
            ..r.clone()
        })
    })
    .await
}

/// Saves the identity a logged-in buyer typed at checkout back to their record.
pub async fn save_identity(
    store: &dyn Store,
    shop: &str,
    identity: &Identity,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    upsert(store, shop, identity, now, |r| {
        (&r.identity != identity).then(|| CustomerRecord {
            identity: identity.clone(),
            ..r.clone()
        })
    })
    .await
}

/// Applies `change` to the customer's record (a new one from `identity` when absent) on the
/// version read, retrying when another writer got there first; `None` means nothing to write.
async fn upsert(
    store: &dyn Store,
    shop: &str,
    identity: &Identity,
    now: DateTime<Utc>,
    change: impl Fn(&CustomerRecord) -> Option<CustomerRecord>,
) -> Result<(), AppError> {
    let email = identity.email.normalized();
    let (email, change) = (&email, &change);
    until_written("the customer record is too busy; retry", |_| async move {
        let (current, when) = match find(store, shop, email).await? {
            Some(Versioned { value, version }) => (value, PutIf::Version(version)),
            None => {
                let fresh = CustomerRecord {
                    shop: shop.to_owned(),
                    identity: identity.clone(),
                    moodle_user_id: None,
                    moodle_username: None,
                    updated_at: now,
                    bought_at: None,
                    changes: Vec::new(),
                };
                (fresh, PutIf::Absent)
            }
        };
        let record = match (change(&current), when) {
            (Some(changed), _) => changed,
            (None, PutIf::Absent) => current,
            (None, PutIf::Version(_)) => return Ok(()),
        };
        let record = CustomerRecord {
            updated_at: now,
            ..record
        };
        store
            .write(vec![Write::Put {
                item: customer_item(&record),
                when,
            }])
            .await?;
        Ok(())
    })
    .await
}

/// A first order makes the buyer a customer: their record is created from the bill's
/// identity, never overwritten (a guest must not change an existing customer's details; a
/// logged-in buyer's edits are saved by the customer step). Best effort, after the commit.
pub async fn remember(store: &dyn Store, bill: &crate::domain::bill::Bill, now: DateTime<Utc>) {
    let record = CustomerRecord {
        shop: bill.shop.to_string(),
        identity: bill.customer.clone(),
        moodle_user_id: None,
        moodle_username: None,
        updated_at: now,
        bought_at: None,
        changes: Vec::new(),
    };
    let write = Write::Put {
        item: customer_item(&record),
        when: PutIf::Absent,
    };
    match store.write(vec![write]).await {
        Ok(()) | Err(StoreError::ConditionFailed) => {}
        Err(e) => tracing::warn!(bill = %bill.id, error = %e, "customer record not written"),
    }
}
