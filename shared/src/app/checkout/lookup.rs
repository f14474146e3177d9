//! "Find my orders": a buyer without the bill's link gives their email and is mailed the links
//! to their bills at the shop. The answer is the same whether the address has orders or not,
//! so it tells nobody who bought there.

use serde::Deserialize;

use super::Checkout;
use crate::app::record::decode;
use crate::app::{AppError, keys, mail, repo};
use crate::domain::bill::{AccessToken, Bill};
use crate::domain::ids::Email;
use crate::ports::{Index, Query, StoreError, Write};

/// Lookups per address and hour, each a message: enough for a buyer, too few to flood a
/// mailbox with.
const LOOKUPS_PER_HOUR: u64 = 3;
/// The newest bills a message links to.
const ORDERS_PER_MESSAGE: usize = 20;

/// Body of `POST /shops/{shop}/orders/lookup`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LookupInput {
    pub email: String,
}

impl Checkout {
    /// Mails `email` the links to its bills at the shop, each with an access token of its own.
    /// Nothing is sent when it has none, or after the hour's lookups.
    pub async fn lookup(&self, shop: &str, input: &LookupInput) -> Result<(), AppError> {
        let shop = repo::load_shop(
            self.store(),
            &repo::parse_id("shop", shop)?,
            repo::Items::None,
        )
        .await?;
        let email = Email::from_input(&input.email).map_err(|e| AppError::invalid("email", e))?;
        let email = email.normalized();
        let now = self.desk.clock.now();
        let hour = now.timestamp() / 3600;
        let take = Write::Add {
            key: keys::lookups(&shop.shop.id, &email, hour),
            by: 1,
            at_most: Some(LOOKUPS_PER_HOUR),
            // The hour's counter is dropped a day after it (anyone may type any address).
            expires_at: Some((hour + 25) * 3600),
        };
        match self.store().write(vec![take]).await {
            Ok(()) => {}
            Err(StoreError::ConditionFailed) => {
                tracing::warn!(shop = %shop.shop.id, "order lookups of one address over the hour's limit");
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        }
        let query = Query {
            index: Some(Index::Gsi2),
            pk: keys::customer(shop.shop.id.as_str(), &email),
            sk_prefix: keys::CUSTOMER_BILL.into(),
            descending: true,
            limit: Some(ORDERS_PER_MESSAGE),
            ..Query::default()
        };
        let mut found = Vec::new();
        for record in self.store().query(&query).await? {
            let bill: Bill = decode("bill", &record)?;
            let token = AccessToken::random();
            let digest = AccessToken::digest(token.as_str());
            let bill = self
                .desk
                .change(&bill.id, |b, _| {
                    b.remember_lookup(digest.clone());
                    Ok(())
                })
                .await?;
            found.push((bill, token.as_str().to_owned()));
        }
        if let Some(letter) = mail::lookup_letter(&found, now) {
            self.store().write(vec![letter]).await?;
        }
        Ok(())
    }
}
