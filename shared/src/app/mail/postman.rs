//! The postman: sends the letters that are due (in-process on the local stack, on the
//! production function's schedule in AWS), marks each one sent, and retries a failure with a
//! growing pause until the mail system takes it or gives a permanent refusal.
//!
//! A letter is claimed before it is sent (a lease written on the version read), so two postmen
//! never send the same letter. The lease is not its place in the mailbox: a claim rewrites the
//! letter alone, not the mailbox index (README "What an order costs on AWS"). A crash between
//! sending and marking sent sends it again once the lease is over, with the same `Message-ID`:
//! at least once, with a key the receiving side can use to drop the repeat.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use super::compose::{Extras, Site, compose};
use super::{Letter, LetterState, MessageKind, Recipient};
use crate::app::bills::Bills;
use crate::app::bills::find_bill;
use crate::app::record::{Versioned, decode_versioned};
use crate::app::{AppError, customers, keys, production, products, repo};
use crate::domain::bill::{Actor, Bill, Cause};
use crate::domain::document::ShopDocument;
use crate::invoice::InvoiceDocument;
use crate::ports::{Index, MailError, Mailer, PutIf, Query, Store, StoreError, Write};

pub use super::compose::Site as MailSite;

/// Sends after which a letter is given up on (about a day of pauses).
pub const MAX_ATTEMPTS: u32 = 10;
/// How long a claimed letter is left to its postman before another may take it.
const LEASE_MINUTES: i64 = 5;

pub struct Postman {
    /// The bills (and the store and clock): a refused message is written on its bill's trace.
    pub bills: Bills,
    pub mailer: Arc<dyn Mailer>,
    pub site: Site,
}

/// The pause before the next try: 1, 2, 4 ... minutes, at most 4 hours.
fn backoff(attempts: u32) -> Duration {
    Duration::minutes(1i64 << attempts.saturating_sub(1).min(8))
}

fn transient(e: AppError) -> MailError {
    MailError {
        permanent: false,
        message: e.to_string(),
    }
}

fn permanent(message: impl Into<String>) -> MailError {
    MailError {
        permanent: true,
        message: message.into(),
    }
}

impl Postman {
    pub(super) fn store(&self) -> &dyn Store {
        self.bills.store.as_ref()
    }

    /// Sends every letter due now (at most 100 a round; letters another postman has claimed
    /// count among them and are passed over until their lease ends). How many were sent.
    pub async fn send_due(&self) -> Result<usize, AppError> {
        let now = self.bills.clock.now();
        let query = Query {
            index: Some(Index::Gsi1),
            pk: keys::MAILBOX.into(),
            before: Some(keys::sortable(now + Duration::milliseconds(1))),
            limit: Some(100),
            ..Query::default()
        };
        let mut sent = 0;
        for record in self.store().query(&query).await? {
            let letter = decode_versioned::<Letter>("letter", &record)?;
            if self.deliver(letter, now).await? {
                sent += 1;
            }
        }
        Ok(sent)
    }

    /// Claims, sends and marks one letter. True when it was sent now.
    async fn deliver(
        &self,
        stored: Versioned<Letter>,
        now: DateTime<Utc>,
    ) -> Result<bool, AppError> {
        let Versioned {
            value: mut letter,
            version,
        } = stored;
        if letter.state != LetterState::Due || letter.leased_until.is_some_and(|t| t > now) {
            return Ok(false); // another postman has it
        }
        letter.attempts += 1;
        letter.leased_until = Some(now + Duration::minutes(LEASE_MINUTES));
        if !self.put(&letter, version).await? {
            return Ok(false); // another postman has it
        }
        let (to, outcome) = self.send(&letter).await;
        letter.to = to;
        letter.leased_until = None;
        let sent = outcome.is_ok();
        match outcome {
            Ok(()) => {
                letter.state = LetterState::Sent;
                letter.sent_at = Some(now);
                letter.last_error = None;
                letter.link_token = None;
                letter.links.clear();
                tracing::info!(letter = %letter.id, kind = letter.kind.as_str(), "message sent");
            }
            Err(e) if e.permanent || letter.attempts >= MAX_ATTEMPTS => {
                tracing::error!(letter = %letter.id, attempts = letter.attempts, error = %e, "message given up on");
                letter.state = LetterState::Failed;
                letter.refused = e.permanent;
                letter.sent_at = Some(now);
                letter.last_error = Some(e.message);
                letter.link_token = None;
                letter.links.clear();
                self.trace_failure(&letter).await?;
            }
            Err(e) => {
                tracing::warn!(letter = %letter.id, attempts = letter.attempts, error = %e, "message not sent; retried later");
                letter.due_at = now + backoff(letter.attempts);
                letter.last_error = Some(e.message);
            }
        }
        self.put(&letter, version + 1).await?;
        Ok(sent)
    }

    /// Writes the letter on `version`; false when another writer changed it first.
    async fn put(&self, letter: &Letter, version: u64) -> Result<bool, AppError> {
        let write = Write::Put {
            item: letter.item(),
            when: PutIf::Version(version),
        };
        match self.store().write(vec![write]).await {
            Ok(()) => Ok(true),
            Err(StoreError::ConditionFailed) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Writes on the bill's trace that its message could not be delivered, for the operators
    /// who look at the bill. A bill that is gone has no trace to write on.
    async fn trace_failure(&self, letter: &Letter) -> Result<(), AppError> {
        let cause = Cause::MessageNotDelivered {
            message: letter.kind,
            to: letter.to.clone(),
            error: letter.last_error.clone().unwrap_or_default(),
        };
        let noted = self
            .bills
            .change(&letter.bill, |bill, at| {
                bill.note(&Actor::System, cause.clone(), Some(letter.id.clone()), at);
                Ok(())
            })
            .await;
        match noted {
            Ok(_) | Err(AppError::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Composes and sends: to whom (when known), and whether the mail system took it.
    async fn send(&self, letter: &Letter) -> (Option<String>, Result<(), MailError>) {
        let (bill, shop) = match self.load(letter).await {
            Ok(loaded) => loaded,
            Err(e) => return (None, Err(e)),
        };
        let to = match address(letter, &bill, &shop.document) {
            Ok(to) => to,
            Err(e) => return (None, Err(e)),
        };
        let sent = match self.mail(letter, &bill, &shop, &to).await {
            Ok(mail) => self.mailer.send(&mail).await,
            Err(e) => Err(e),
        };
        (Some(to), sent)
    }

    async fn load(&self, letter: &Letter) -> Result<(Bill, repo::StoredShop), MailError> {
        let bill = find_bill(self.store(), &letter.bill)
            .await
            .map_err(transient)?
            .ok_or_else(|| permanent("the bill is gone"))?
            .value;
        // A reminder names the item and the one that extends it; other messages show the
        // bill's own lines, and need no item.
        let items = match letter.reminder {
            Some(_) => repo::Items::All,
            None => repo::Items::None,
        };
        let shop = repo::load_shop(self.store(), &letter.shop, items)
            .await
            .map_err(transient)?;
        Ok((bill, shop))
    }

    /// The message, with what it shows besides the bill.
    async fn mail(
        &self,
        letter: &Letter,
        bill: &Bill,
        stored: &repo::StoredShop,
        to: &str,
    ) -> Result<crate::ports::Mail, MailError> {
        let shop = &stored.document;
        let mut extras = self.extras(letter, bill, shop).await.map_err(transient)?;
        if let Some(reminder) = &letter.reminder {
            extras.expiring = self
                .expiring(reminder, &stored.shop, bill, letter.language)
                .await
                .map_err(transient)?;
            if extras.expiring.is_none() {
                return Err(permanent("the product of this reminder is gone"));
            }
        }
        for (id, token) in &letter.links {
            if let Some(found) = find_bill(self.store(), id).await.map_err(transient)? {
                extras.orders.push((found.value, token.clone()));
            }
        }
        let own = stored.shop.messages.get(&(letter.kind, letter.language));
        Ok(compose(letter, bill, shop, &self.site, extras, to, own))
    }

    /// What the message shows besides the bill: the invoice, the courses reached.
    async fn extras(
        &self,
        letter: &Letter,
        bill: &Bill,
        shop: &ShopDocument,
    ) -> Result<Extras, AppError> {
        let mut extras = Extras::default();
        match letter.kind {
            MessageKind::PaymentReceived => {
                extras.document = Some(InvoiceDocument::new(bill, shop));
            }
            MessageKind::Refunded | MessageKind::Cancelled => {
                extras.document = InvoiceDocument::credit_note(bill, shop, None);
            }
            MessageKind::PartialRefund => {
                let refund = bill.refund_of_event(letter.event);
                let number = refund.and_then(|r| r.credit_note.as_ref());
                let number = number.map(|c| c.number.as_str());
                extras.document =
                    number.and_then(|n| InvoiceDocument::credit_note(bill, shop, Some(n)));
            }
            MessageKind::ProductionFailed => {
                let progress = production::progress(self.store(), &bill.id).await?;
                extras.problems = progress
                    .iter()
                    .filter_map(|(line, p)| {
                        let name = bill.lines.get(*line).map(|l| l.name.clone())?;
                        Some((name, p.problem.clone()?))
                    })
                    .collect();
                let support = production::support_progress(self.store(), &bill.id).await?;
                extras.support_problem = support.and_then(|p| p.problem);
            }
            MessageKind::Delivered => {
                let progress = production::progress(self.store(), &bill.id).await?;
                extras.reached = products::reached(self.store(), bill, &progress).await?;
                let email = bill.customer.email.normalized();
                let record = customers::find(self.store(), bill.shop.as_str(), &email).await?;
                extras.username = record.and_then(|r| r.value.moodle_username);
            }
            _ => {}
        }
        Ok(extras)
    }

    /// The product a reminder is about, and the item that extends it, named in the letter's
    /// language (an item the shop no longer has, as its bill sold it).
    async fn expiring(
        &self,
        reminder: &super::Reminder,
        shop: &crate::domain::catalog::Shop,
        bill: &Bill,
        language: crate::domain::Language,
    ) -> Result<Option<super::compose::Expiring>, AppError> {
        let Ok(reference) = reminder.product.parse() else {
            return Ok(None);
        };
        let Some(p) = products::find(self.store(), &reference).await? else {
            return Ok(None);
        };
        let p = p.value;
        let sold = || {
            let line = bill.lines.iter().find(|l| l.code.as_str() == p.item_code);
            line.map_or_else(|| p.item_code.clone(), |l| l.name.clone())
        };
        let item = shop
            .items
            .iter()
            .find(|i| i.code.as_str() == p.item_code)
            .map_or_else(sold, |i| i.name_in(language).to_owned());
        let extension =
            super::reminders::extension_for(shop, &p).map(|i| super::compose::Extension {
                code: i.code.to_string(),
                name: i.name_in(language).to_owned(),
                by_cart_link: super::reminders::by_cart_link(i),
            });
        Ok(p.end.map(|ends| super::compose::Expiring {
            item,
            ends,
            extension,
        }))
    }
}

/// Where a letter goes: the buyer, the seat's holder or the shop's sales address.
fn address(letter: &Letter, bill: &Bill, shop: &ShopDocument) -> Result<String, MailError> {
    if let Some(to) = &letter.send_to {
        return Ok(to.clone());
    }
    match letter.kind.recipient() {
        Recipient::Buyer => Ok(bill.customer.email.to_string()),
        Recipient::Holder => letter
            .seat
            .as_ref()
            .map(|s| s.holder_email.clone())
            .ok_or_else(|| permanent("a seat's letter without its holder")),
        Recipient::Sales => shop
            .seller
            .get("email")
            .cloned()
            .ok_or_else(|| permanent("the shop has no sales address (seller.email)")),
    }
}
