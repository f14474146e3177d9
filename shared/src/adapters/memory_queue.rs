//! The in-process production queue of the local stack, with SQS FIFO's semantics: delivery at
//! least once (a message not acknowledged comes back after the visibility timeout), order per
//! bill (a bill's next job waits while one is in flight), deduplication for five minutes, and a
//! dead-letter list after `max_receives` receives.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;

use crate::ports::{JobQueue, ProductionJob, QueueError};

const DEDUP_WINDOW: Duration = Duration::from_secs(300);

struct Message {
    id: u64,
    job: ProductionJob,
    receives: u32,
    visible_at: Instant,
}

#[derive(Default)]
struct Inner {
    sent: Vec<ProductionJob>,
    messages: Vec<Message>,
    dedup: BTreeMap<String, Instant>,
    dead: Vec<ProductionJob>,
    next_id: u64,
}

/// A received message: acknowledge it with [`InProcessQueue::ack`] once handled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    pub id: u64,
    pub job: ProductionJob,
    pub receives: u32,
}

pub struct InProcessQueue {
    inner: Mutex<Inner>,
    visibility: Duration,
    max_receives: u32,
}

impl Default for InProcessQueue {
    /// 30 s visibility, 5 receives before the dead-letter list.
    fn default() -> Self {
        Self::new(Duration::from_secs(30), super::sqs::MAX_RECEIVES)
    }
}

impl InProcessQueue {
    pub fn new(visibility: Duration, max_receives: u32) -> Self {
        Self {
            inner: Mutex::new(Inner::default()),
            visibility,
            max_receives,
        }
    }

    /// Receives after which a failed job goes to the dead-letter list.
    pub fn max_receives(&self) -> u32 {
        self.max_receives
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().expect("queue lock")
    }

    /// The jobs accepted so far (duplicates dropped), oldest first.
    pub fn sent(&self) -> Vec<ProductionJob> {
        self.lock().sent.clone()
    }

    /// Up to `max` visible messages, at most one in flight per bill; a message past its
    /// receive limit goes to the dead-letter list instead.
    pub fn receive(&self, max: usize) -> Vec<Delivery> {
        let now = Instant::now();
        let mut inner = self.lock();
        let mut busy: Vec<crate::domain::bill::BillId> = Vec::new();
        let mut out = Vec::new();
        let mut dead = Vec::new();
        for m in inner.messages.iter_mut() {
            if busy.contains(&m.job.bill) || out.len() == max {
                continue;
            }
            busy.push(m.job.bill.clone());
            if m.visible_at > now {
                continue;
            }
            if m.receives >= self.max_receives {
                dead.push(m.id);
                continue;
            }
            m.receives += 1;
            m.visible_at = now + self.visibility;
            out.push(Delivery {
                id: m.id,
                job: m.job.clone(),
                receives: m.receives,
            });
        }
        for id in dead {
            if let Some(i) = inner.messages.iter().position(|m| m.id == id) {
                let m = inner.messages.remove(i);
                inner.dead.push(m.job);
            }
        }
        out
    }

    /// Deletes a handled message.
    pub fn ack(&self, id: u64) {
        self.lock().messages.retain(|m| m.id != id);
    }

    /// Jobs that kept failing.
    pub fn dead_letters(&self) -> Vec<ProductionJob> {
        self.lock().dead.clone()
    }
}

#[async_trait]
impl JobQueue for InProcessQueue {
    async fn enqueue(&self, job: ProductionJob) -> Result<(), QueueError> {
        let now = Instant::now();
        let mut inner = self.lock();
        inner
            .dedup
            .retain(|_, at| now.duration_since(*at) < DEDUP_WINDOW);
        if inner.dedup.insert(job.dedup_id(), now).is_some() {
            return Ok(());
        }
        inner.next_id += 1;
        let id = inner.next_id;
        inner.sent.push(job.clone());
        inner.messages.push(Message {
            id,
            job,
            receives: 0,
            visible_at: now,
        });
        Ok(())
    }
}

/// No queue configured (a Lambda without `QUEUE_URL`): every send fails, so each job stays in
/// its `JOB#{bill}` outbox record until a queue exists and the relay sends it.
pub struct OutboxOnly;

#[async_trait]
impl JobQueue for OutboxOnly {
    async fn enqueue(&self, _job: ProductionJob) -> Result<(), QueueError> {
        Err(QueueError(
            "no queue configured (QUEUE_URL); kept in the outbox".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::JobKind;

    fn job(bill: &str, kind: JobKind) -> ProductionJob {
        ProductionJob {
            shop: "demo".parse().unwrap(),
            bill: bill.parse().unwrap(),
            kind,
            generation: 0,
        }
    }

    #[tokio::test]
    async fn duplicates_are_dropped() {
        let q = InProcessQueue::new(Duration::ZERO, 5);
        q.enqueue(job("A", JobKind::Produce)).await.unwrap();
        q.enqueue(job("A", JobKind::Produce)).await.unwrap();
        assert_eq!(q.sent().len(), 1);
        assert_eq!(q.receive(10).len(), 1);
    }

    #[tokio::test]
    async fn unacknowledged_messages_come_back_then_die() {
        let q = InProcessQueue::new(Duration::ZERO, 3);
        q.enqueue(job("A", JobKind::Produce)).await.unwrap();
        let receives: Vec<u32> = (0..3).map(|_| q.receive(10)[0].receives).collect();
        assert_eq!(receives, [1, 2, 3]);
        assert!(q.receive(10).is_empty());
        assert_eq!(q.dead_letters(), [job("A", JobKind::Produce)]);
    }

    #[tokio::test]
    async fn in_flight_messages_stay_hidden_and_a_bill_waits_its_turn() {
        let q = InProcessQueue::new(Duration::from_secs(60), 5);
        q.enqueue(job("A", JobKind::Produce)).await.unwrap();
        q.enqueue(job("A", JobKind::Revoke)).await.unwrap();
        q.enqueue(job("B", JobKind::Produce)).await.unwrap();
        let first = q.receive(10);
        assert_eq!(
            first
                .iter()
                .map(|d| d.job.bill.as_str())
                .collect::<Vec<_>>(),
            ["A", "B"]
        );
        assert!(
            q.receive(10).is_empty(),
            "in flight: hidden, and A's second job waits"
        );
        q.ack(first[0].id);
        let next = q.receive(10);
        assert_eq!(next.len(), 1);
        assert_eq!(next[0].job.kind, JobKind::Revoke);
    }
}
