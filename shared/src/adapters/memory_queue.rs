//! An in-process production queue for the local stack until the SQS adapter and the consumer
//! land (production issue): it keeps the jobs in order so that they can be listed and taken.

use std::sync::Mutex;

use async_trait::async_trait;

use crate::ports::{JobQueue, ProductionJob, QueueError};

#[derive(Default)]
pub struct InProcessQueue {
    jobs: Mutex<Vec<ProductionJob>>,
}

impl InProcessQueue {
    /// The jobs sent so far, oldest first.
    pub fn sent(&self) -> Vec<ProductionJob> {
        self.jobs.lock().expect("queue lock").clone()
    }
}

#[async_trait]
impl JobQueue for InProcessQueue {
    async fn enqueue(&self, job: ProductionJob) -> Result<(), QueueError> {
        self.jobs.lock().expect("queue lock").push(job);
        Ok(())
    }
}

/// The queue of a Lambda deployment until the SQS adapter lands (production issue): it only
/// logs. Nothing is lost meanwhile: every job owed is the `JOB#{bill}` outbox record written
/// with the bill's PAID state, which the production issue relays to SQS.
pub struct OutboxOnly;

#[async_trait]
impl JobQueue for OutboxOnly {
    async fn enqueue(&self, job: ProductionJob) -> Result<(), QueueError> {
        tracing::info!(bill = %job.bill, "production job kept in the outbox (no queue yet)");
        Ok(())
    }
}
