//! Bill persistence and the one way a bill changes: read it, apply a domain change, write it
//! back on the version read, in the same transaction as what the change implies: the invoice
//! number taken from the shop's yearly sequence, the production job's outbox record, and the
//! letters (messages) of its new events.
//!
//! Gapless invoice numbers: the sequence counter is read (count `c`), the bill takes `c + 1`
//! and the transaction adds 1 to the counter on condition that it stays at most `c + 1`. If
//! another bill took `c + 1` first, nothing is written and the change is retried on fresh
//! reads, so a number is consumed only together with the bill that carries it.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::record::{Versioned, decode_versioned};
use super::retry::{Attempt, until_written};
use super::{AppError, Clock, keys};
use crate::domain::bill::{Bill, BillId, BillRejection, BillStatus};
use crate::ports::{
    Expect, Index, Item, JobKind, JobQueue, Key, ProductionJob, PutIf, Query, Store, StoreError,
    Write,
};

/// A job's outbox record, listed under the time it was (or is about to be) sent.
pub(crate) fn outbox_item(job: &ProductionJob, sent_at: DateTime<Utc>) -> Item {
    let body = serde_json::to_string(job).expect("a job serializes");
    let listed = Key::new(keys::OUTBOX, keys::outbox_entry(job, sent_at));
    Item::new(keys::job(job), body).indexed(Index::Gsi1, listed)
}

/// The bill's item: GSI1 lists a shop's bills of one status by date, GSI2 a customer's bills,
/// GSI3 all of a shop's bills by date.
pub fn bill_item(bill: &Bill) -> Item {
    let body = serde_json::to_string(bill).expect("a bill serializes");
    let date = keys::bill_date(bill);
    let customer = keys::customer(bill.shop.as_str(), &bill.customer.email.normalized());
    let in_status = keys::bills_in_status(&bill.shop, bill.status);
    Item::new(keys::bill(&bill.id), body)
        .indexed(Index::Gsi1, Key::new(in_status, date.clone()))
        .indexed(Index::Gsi2, Key::new(customer, keys::customer_bill(bill)))
        .indexed(Index::Gsi3, Key::new(keys::bills_of_shop(&bill.shop), date))
}

pub async fn find_bill(
    store: &dyn Store,
    id: &BillId,
) -> Result<Option<Versioned<Bill>>, AppError> {
    let record = store.get(&keys::bill(id)).await?;
    record.map(|r| decode_versioned("bill", &r)).transpose()
}

/// The writes a bill's new state implies besides the bill itself: its invoice number (read
/// from the sequence now), the first time it is PAID or PREPROD (or REFUNDED) the
/// production (or revoke) job's outbox record, and the messages of its new events (letters,
/// `app::mail`). Returns the jobs to send once the write succeeds.
async fn consequences(
    store: &dyn Store,
    bill: &mut Bill,
    read: Read,
    now: DateTime<Utc>,
) -> Result<(Vec<Write>, Vec<ProductionJob>), AppError> {
    let mut writes = Vec::new();
    if bill.status.takes_invoice_number() && bill.invoice_number.is_none() {
        let year = Bill::invoice_year(now);
        let key = keys::invoice_sequence(&bill.shop, year, bill.test);
        let next = next_in_sequence(store, &key, &mut writes).await?;
        bill.assign_invoice_number(year, next);
    }
    if bill.needs_credit_note() {
        let year = Bill::invoice_year(now);
        let key = keys::credit_note_sequence(&bill.shop, year, bill.test);
        let next = next_in_sequence(store, &key, &mut writes).await?;
        bill.assign_credit_note(year, next, now);
    }
    let mut jobs = Vec::new();
    if matches!(bill.status, BillStatus::Paid | BillStatus::Preprod) && !bill.production_queued {
        bill.production_queued = true;
        jobs.push(JobKind::Produce);
    }
    // Refunded, or called off after delivery before payment: what it delivered is closed.
    let closed = matches!(bill.status, BillStatus::Refunded | BillStatus::Cancelled);
    if closed && bill.production_queued && !bill.revoke_queued {
        bill.revoke_queued = true;
        jobs.push(JobKind::Revoke);
    }
    let jobs: Vec<ProductionJob> = jobs
        .into_iter()
        .map(|kind| ProductionJob {
            shop: bill.shop.clone(),
            bill: bill.id.clone(),
            kind,
            generation: match kind {
                JobKind::Produce => bill.production_generation,
                _ => 0,
            },
        })
        .collect();
    for job in &jobs {
        // A retried production replaces the record of the generation before it, if any.
        let when = if job.generation > 0 {
            let existing = store.get(&keys::job(job)).await?;
            existing.map_or(PutIf::Absent, |r| PutIf::Version(r.version))
        } else {
            PutIf::Absent
        };
        writes.push(Write::Put {
            item: outbox_item(job, now),
            when,
        });
    }
    writes.extend(stock_given_back(bill, read.events()));
    writes.extend(super::stats::counters(bill, read.events()));
    writes.extend(super::audit::bill_events(bill, read.events()));
    writes.extend(super::mail::letters(bill, read.events(), now));
    Ok((writes, jobs))
}

/// Which of a bill's documents a route answers: the bill as it stands (its order form, or its
/// invoice once it has one), or a credit note: the one numbered so, or (`None`) the one that
/// cancelled its invoice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BillDocument {
    Current,
    CreditNote(Option<String>),
}

impl BillDocument {
    /// The document; a credit note the bill has not (yet) taken is 404.
    pub fn of(
        self,
        bill: &Bill,
        shop: &crate::domain::document::ShopDocument,
    ) -> Result<crate::invoice::InvoiceDocument, AppError> {
        match self {
            Self::Current => Ok(crate::invoice::InvoiceDocument::new(bill, shop)),
            Self::CreditNote(number) => {
                crate::invoice::InvoiceDocument::credit_note(bill, shop, number.as_deref())
                    .ok_or_else(|| AppError::not_found("credit note of bill", bill.id.as_str()))
            }
        }
    }
}

/// The next number of a shop's sequence (invoices, credit notes), with the write that takes
/// it: an add that fails if another bill took it first (the bill's transaction is retried).
async fn next_in_sequence(
    store: &dyn Store,
    key: &Key,
    writes: &mut Vec<Write>,
) -> Result<u64, AppError> {
    let next = store.get(key).await?.map_or(0, |r| r.count) + 1;
    writes.push(Write::Add {
        key: key.clone(),
        by: 1,
        at_most: Some(next),
        expires_at: None,
    });
    Ok(next)
}

/// A bill called off or refunded gives its units back to the stock they were taken from at
/// placement (the item's stock as sold, [`crate::domain::bill::BillLine::item`]): an abandoned
/// cheque order must not hold an exam place for ever. Once: both statuses are final.
fn stock_given_back(bill: &Bill, since: usize) -> Vec<Write> {
    let closed = bill.events[since..].iter().any(|e| {
        e.from != Some(e.to) && matches!(e.to, BillStatus::Cancelled | BillStatus::Refunded)
    });
    if !closed {
        return Vec::new();
    }
    bill.lines
        .iter()
        .filter(|line| line.item.stock.is_some())
        .map(|line| Write::Add {
            key: keys::sold(&bill.shop, line.code.as_str()),
            by: -i64::from(line.quantity),
            at_most: None,
            expires_at: None,
        })
        .collect()
}

/// Sends jobs whose outbox records were just written. The records stay until the consumer is
/// done with the job ([`finish_job`]): a job lost with the queue (the local queue dies with
/// its process) or never sent is sent again by [`relay_outbox`].
pub(crate) async fn send_jobs(queue: &dyn JobQueue, jobs: Vec<ProductionJob>) {
    for job in jobs {
        match queue.enqueue(job.clone()).await {
            Ok(()) => tracing::info!(bill = %job.bill, kind = ?job.kind, "job queued"),
            Err(e) => {
                tracing::error!(bill = %job.bill, kind = ?job.kind, error = %e, "job not sent; the outbox relay sends it later")
            }
        }
    }
}

/// The consumer is done with `job` (produced, nothing to do, needs an operator, or given up
/// after the last receive): its outbox record goes, unless a newer generation replaced it.
pub async fn finish_job(store: &dyn Store, job: &ProductionJob) -> Result<(), StoreError> {
    let key = keys::job(job);
    let Some(record) = store.get(&key).await? else {
        return Ok(());
    };
    let stored: Option<ProductionJob> = serde_json::from_str(&record.item.body).ok();
    if stored.is_some_and(|s| s.generation != job.generation) {
        return Ok(());
    }
    let clear = Write::Delete {
        key,
        when: Expect::Version(record.version),
    };
    match store.write(vec![clear]).await {
        Ok(()) | Err(StoreError::ConditionFailed) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Sends again every job whose outbox record was last sent more than `resend_after` ago (the
/// queue's visibility timeout: a job still in the queue would have come back by then, so it
/// was lost or never sent), and dates each record anew. Run at start (locally with no
/// delay: the in-process queue starts empty) and periodically (the local relay loop; a
/// schedule on the production function in AWS). How many were sent.
pub async fn relay_outbox(
    store: &dyn Store,
    queue: &dyn JobQueue,
    now: DateTime<Utc>,
    resend_after: chrono::Duration,
) -> Result<usize, AppError> {
    let query = Query {
        index: Some(Index::Gsi1),
        pk: keys::OUTBOX.into(),
        before: Some(keys::sortable(now - resend_after)),
        limit: Some(100),
        ..Query::default()
    };
    let mut sent = 0;
    for record in store.query(&query).await? {
        let Ok(job) = serde_json::from_str::<ProductionJob>(&record.item.body) else {
            tracing::error!(key = ?record.item.key, "unreadable outbox record");
            continue;
        };
        queue
            .enqueue(job.clone())
            .await
            .map_err(|e| AppError::Unavailable(e.to_string()))?;
        let touch = Write::Put {
            item: outbox_item(&job, now),
            when: PutIf::Version(record.version),
        };
        match store.write(vec![touch]).await {
            // A condition failure: finished or replaced meanwhile, nothing left to date.
            Ok(()) | Err(StoreError::ConditionFailed) => sent += 1,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(sent)
}

/// What a bill was when it was read, which its write is conditioned on: absent (a new bill),
/// or stored at a version with a number of events (the events after those are new, and so
/// are their messages: a lost race writes nothing, so each event's messages are written once).
#[derive(Clone, Copy, Debug)]
pub enum Read {
    New,
    Stored { version: u64, events: usize },
}

impl Read {
    pub fn of(stored: &Versioned<Bill>) -> Self {
        Read::Stored {
            version: stored.version,
            events: stored.value.events.len(),
        }
    }

    fn events(self) -> usize {
        match self {
            Read::New => 0,
            Read::Stored { events, .. } => events,
        }
    }

    fn condition(self) -> PutIf {
        match self {
            Read::New => PutIf::Absent,
            Read::Stored { version, .. } => PutIf::Version(version),
        }
    }
}

/// The bills as stored, and the one way a bill changes ([`Bills::change`], [`Bills::commit`]).
/// The operator's features on bills are [`super::bill_admin::BillAdmin`]'s.
#[derive(Clone)]
pub struct Bills {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub queue: Arc<dyn JobQueue>,
}

impl From<BillRejection> for AppError {
    fn from(r: BillRejection) -> Self {
        AppError::State(r.to_string())
    }
}

impl Bills {
    pub async fn load(&self, id: &BillId) -> Result<Versioned<Bill>, AppError> {
        find_bill(self.store.as_ref(), id)
            .await?
            .ok_or_else(|| AppError::not_found("bill", id.as_str()))
    }

    /// Applies `change` to the bill as stored and writes it with its consequences, retrying on
    /// fresh reads when another writer got there first. `change` sees the latest bill each
    /// time, so a change that is no longer allowed fails with the domain's reason.
    pub async fn change(
        &self,
        id: &BillId,
        change: impl Fn(&mut Bill, DateTime<Utc>) -> Result<(), AppError>,
    ) -> Result<Bill, AppError> {
        let first = self.load(id).await?;
        self.change_from(first, change).await
    }

    /// [`Bills::change`] starting from a bill just read (saves that read).
    pub async fn change_from(
        &self,
        first: Versioned<Bill>,
        change: impl Fn(&mut Bill, DateTime<Utc>) -> Result<(), AppError>,
    ) -> Result<Bill, AppError> {
        let id = first.value.id.clone();
        let (id, change) = (&id, &change);
        let mut read = Some(first);
        until_written("the bill is too busy; retry", |_| {
            let first = read.take();
            async move {
                let stored = match first {
                    Some(stored) => stored,
                    None => self.load(id).await?,
                };
                let read = Read::of(&stored);
                let mut bill = stored.value;
                let now = self.clock.now();
                change(&mut bill, now)?;
                self.commit(&mut bill, read, Vec::new(), now).await?;
                Ok(bill)
            }
        })
        .await
    }

    /// The one way a bill is written. The bill goes in one transaction with `with` (the cart,
    /// stock counters, a notification's event record) and with what its new state implies: its
    /// invoice number, the first time it is PAID or PREPROD (or REFUNDED) the production
    /// (or revoke) job's outbox record, and the letters of its new events. Once written, the
    /// jobs are sent. The bill is written on what it was when `read`: a lost race changes
    /// nothing.
    pub async fn commit(
        &self,
        bill: &mut Bill,
        read: Read,
        with: Vec<Write>,
        now: DateTime<Utc>,
    ) -> Result<(), Attempt> {
        let (implied, jobs) = consequences(self.store.as_ref(), bill, read, now).await?;
        let mut writes = vec![Write::Put {
            item: bill_item(bill),
            when: read.condition(),
        }];
        writes.extend(with);
        writes.extend(implied);
        self.store.write(writes).await?;
        send_jobs(self.queue.as_ref(), jobs).await;
        Ok(())
    }
}
