//! The outbox relay and the reconciliation of stuck bills (run periodically).

use super::*;
use crate::domain::bill::{Actor, Cause};
use crate::domain::ids::ShopId;

/// When the outbox relay acts.
#[derive(Clone, Copy, Debug)]
pub struct RelayTiming {
    /// A job's outbox record older than this is sent again: the queue's visibility timeout
    /// (a job still in the queue would have come back by then).
    pub resend_after: chrono::Duration,
    /// A PAID or PREPROD bill placed longer ago than this, with no job in flight and no line
    /// waiting for an operator, is queued again (self-healing reconciliation).
    pub reconcile_after: chrono::Duration,
    /// A bill left at a gateway (PLACED, or FAILED and not retried) placed longer ago than
    /// this is called off by the shop, its stock given back ([`Producer::call_off_abandoned`]).
    pub abandoned_after: chrono::Duration,
    /// A cheque or transfer awaited (PENDING) this long after placement is reminded to its
    /// buyer, once ([`Producer::remind_awaited`]).
    pub remind_after: chrono::Duration,
}

impl Default for RelayTiming {
    /// The local stack's: the in-process queue's 30 s visibility, 10 minutes.
    fn default() -> Self {
        Self {
            resend_after: chrono::Duration::seconds(30),
            reconcile_after: chrono::Duration::minutes(10),
            abandoned_after: chrono::Duration::days(ABANDONED_AFTER_DAYS),
            remind_after: chrono::Duration::days(REMIND_AFTER_DAYS),
        }
    }
}

/// Days a bill may wait at a gateway before the shop calls it off: a card payment is over in
/// minutes (a Stripe session lasts a day), and a buyer back within a week pays the same bill.
pub const ABANDONED_AFTER_DAYS: i64 = 7;

/// Days a cheque or transfer may be awaited before its buyer is reminded how to pay: a week
/// covers the post and a bank transfer's days; operators decide what follows.
pub const REMIND_AFTER_DAYS: i64 = 7;

/// What one round of the relay did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Relayed {
    /// Jobs sent again from their outbox records.
    pub resent: usize,
    /// Stuck bills queued again by the reconciliation.
    pub requeued: usize,
    /// Items of replaced (or abandoned) catalogues deleted.
    pub swept: usize,
}

impl Producer {
    /// One round of the outbox relay: the jobs whose records are older than the visibility
    /// timeout are sent again (see [`crate::app::bills::relay_outbox`]), then stuck bills are
    /// queued again ([`Producer::reconcile`]).
    pub async fn relay_outbox(&self) -> Result<Relayed, AppError> {
        self.relay(self.timing.resend_after).await
    }

    /// The relay's round at start of a process whose queue starts empty (the local stack):
    /// every job of the outbox is sent again, whatever its age.
    pub async fn relay_at_start(&self) -> Result<Relayed, AppError> {
        self.relay(chrono::Duration::zero()).await
    }

    pub(super) async fn relay(&self, resend_after: chrono::Duration) -> Result<Relayed, AppError> {
        let now = self.desk.clock.now();
        let queue = self.desk.queue.as_ref();
        let resent =
            crate::app::bills::relay_outbox(self.store(), queue, now, resend_after).await?;
        let requeued = self.reconcile(now).await?;
        let swept = repo::sweep_catalogues(self.store(), now).await?;
        Ok(Relayed {
            resent,
            requeued,
            swept,
        })
    }

    /// Self-healing reconciliation: every PAID or PREPROD bill of every shop placed before
    /// `now - reconcile_after` that has no job in flight (no outbox record) and no line
    /// waiting for an operator (a failed unit) gets its production job again, through the
    /// outbox. Such a bill should not exist; this is the net under every other guarantee.
    pub async fn reconcile(&self, now: DateTime<Utc>) -> Result<usize, AppError> {
        let before = now - self.timing.reconcile_after;
        let mut requeued = 0;
        for shop in repo::list_shops(self.store()).await? {
            for status in [BillStatus::Paid, BillStatus::Preprod] {
                for bill in self.bills_placed(&shop, status, None, before).await? {
                    if bill.paid_at.is_some_and(|paid| paid < before) {
                        crate::app::mail::alert_not_complete(self.store(), &bill, now).await?;
                    }
                    if self.requeue_if_stuck(&bill, now).await? {
                        requeued += 1;
                    }
                }
            }
        }
        Ok(requeued)
    }

    /// Every bill of every shop left at a gateway — PLACED (the buyer never came back from the
    /// payment page), or FAILED and not retried — placed more than `abandoned_after` before
    /// `now` is called off by the shop (CANCELLED, `abandoned`): the units it held go back to
    /// the stock, as an operator's cancellation would give them. A cheque or transfer awaited
    /// (PENDING) is the operators' to decide. A bill paid meanwhile is left as it is. Run once
    /// an hour in AWS (the scheduled run at minute 0), every 5 minutes locally: its days are
    /// days, and each run costs a query per shop and status.
    pub async fn call_off_abandoned(&self, now: DateTime<Utc>) -> Result<usize, AppError> {
        let before = now - self.timing.abandoned_after;
        let days = self.timing.abandoned_after.num_days();
        let mut called_off = 0;
        for shop in repo::list_shops(self.store()).await? {
            for status in [BillStatus::Placed, BillStatus::Failed] {
                for bill in self.bills_placed(&shop, status, None, before).await? {
                    let cancelled = self
                        .desk
                        .change(&bill.id, |b, at| match b.status {
                            BillStatus::Placed | BillStatus::Failed => Ok(b.transition(
                                BillStatus::Cancelled,
                                &Actor::System,
                                Cause::Abandoned { days },
                                None,
                                at,
                            )?),
                            _ => Ok(()),
                        })
                        .await?;
                    if cancelled.status == BillStatus::Cancelled {
                        tracing::info!(bill = %bill.id, "left at the gateway: called off");
                        called_off += 1;
                    }
                }
            }
        }
        Ok(called_off)
    }

    /// Every cheque or transfer still awaited (PENDING) `remind_after` after its placement is
    /// reminded to its buyer once: a note (`payment_reminder`) whose message says how to pay.
    /// Each run looks at the bills placed in the day before that age (a query per shop, the
    /// same reads whatever the backlog of older bills awaited), so a run missed for less than a
    /// day misses nobody; a bill reminded already is left as it is. Run with
    /// [`Producer::call_off_abandoned`].
    pub async fn remind_awaited(&self, now: DateTime<Utc>) -> Result<usize, AppError> {
        let before = now - self.timing.remind_after;
        let after = before - chrono::Duration::days(1);
        let days = self.timing.remind_after.num_days();
        let reminded = |b: &Bill| {
            b.events
                .iter()
                .any(|e| matches!(e.cause, Some(Cause::PaymentReminder { .. })))
        };
        let mut count = 0;
        for shop in repo::list_shops(self.store()).await? {
            let awaited = BillStatus::Pending;
            for bill in self
                .bills_placed(&shop, awaited, Some(after), before)
                .await?
            {
                if reminded(&bill) {
                    continue;
                }
                let changed = self
                    .desk
                    .change(&bill.id, |b, at| {
                        if b.status == BillStatus::Pending && !reminded(b) {
                            b.note(&Actor::System, Cause::PaymentReminder { days }, None, at);
                        }
                        Ok(())
                    })
                    .await?;
                if reminded(&changed) {
                    count += 1;
                }
            }
        }
        Ok(count)
    }

    /// The oldest 100 bills of `shop` in `status` placed before `before` (and after `after`,
    /// when given: the status index); a record that does not read as a bill is left out.
    async fn bills_placed(
        &self,
        shop: &ShopId,
        status: BillStatus,
        after: Option<DateTime<Utc>>,
        before: DateTime<Utc>,
    ) -> Result<Vec<Bill>, AppError> {
        let date = |at: DateTime<Utc>| at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
        let query = Query {
            index: Some(crate::ports::Index::Gsi1),
            pk: crate::app::keys::bills_in_status(shop, status),
            before: Some(date(before)),
            after: after.map(date),
            limit: Some(100),
            ..Query::default()
        };
        let records = self.store().query(&query).await?;
        Ok(records
            .iter()
            .filter_map(|r| serde_json::from_str::<Bill>(&r.item.body).ok())
            .collect())
    }

    pub(super) async fn requeue_if_stuck(
        &self,
        bill: &Bill,
        now: DateTime<Utc>,
    ) -> Result<bool, AppError> {
        // Delivered before payment: nothing to produce while the money is awaited.
        if bill.delivered_at.is_some() {
            return Ok(false);
        }
        let job = ProductionJob {
            shop: bill.shop.clone(),
            bill: bill.id.clone(),
            kind: JobKind::Produce,
            generation: bill.production_generation,
        };
        if self
            .store()
            .get(&crate::app::keys::job(&job))
            .await?
            .is_some()
        {
            return Ok(false);
        }
        let units = self
            .store()
            .query(&Query::partition(crate::app::keys::units(&bill.id)))
            .await?;
        let waits_for_operator = units.iter().any(|r| {
            serde_json::from_str::<UnitRecord>(&r.item.body)
                .is_ok_and(|u| u.state == UnitState::Failed)
        });
        if waits_for_operator {
            return Ok(false);
        }
        let write = Write::Put {
            item: crate::app::bills::outbox_item(&job, now),
            when: PutIf::Absent,
        };
        match self.store().write(vec![write]).await {
            Ok(()) => {}
            Err(StoreError::ConditionFailed) => return Ok(false),
            Err(e) => return Err(e.into()),
        }
        tracing::warn!(bill = %bill.id, "paid bill with no production in flight: queued again");
        crate::app::bills::send_jobs(self.desk.queue.as_ref(), vec![job]).await;
        Ok(true)
    }
}
