//! The production queue on SQS: a FIFO queue grouped by bill (`MessageGroupId` = bill id, so a
//! bill's jobs run in order) with a deduplication id per bill, job kind and generation, and a
//! FIFO dead-letter queue after `MAX_RECEIVES` receives.

use async_trait::async_trait;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::QueueAttributeName;

use crate::ports::{JobQueue, ProductionJob, QueueError};

/// Receives before a message goes to the dead-letter queue (AWS recommends at least 5).
pub const MAX_RECEIVES: u32 = 5;

#[derive(Clone)]
pub struct SqsQueue {
    client: Client,
    url: String,
}

impl SqsQueue {
    pub fn new(client: Client, url: impl Into<String>) -> Self {
        Self {
            client,
            url: url.into(),
        }
    }
}

#[async_trait]
impl JobQueue for SqsQueue {
    async fn enqueue(&self, job: ProductionJob) -> Result<(), QueueError> {
        let body = serde_json::to_string(&job).expect("a job serializes");
        self.client
            .send_message()
            .queue_url(&self.url)
            .message_body(body)
            .message_group_id(job.bill.as_str())
            .message_deduplication_id(job.dedup_id())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| QueueError(format!("{e:?}")))
    }
}

/// The queue URLs of a production queue and its dead-letter queue.
pub struct Queues {
    pub queue: String,
    pub dead_letters: String,
}

/// Creates (or finds) `{name}.fifo` and its DLQ `{name}-dlq.fifo`, for local runs and tests
/// (deployed queues come from `template.yaml`). `visibility` is in seconds.
pub async fn ensure_queues(
    client: &Client,
    name: &str,
    visibility: u32,
) -> Result<Queues, QueueError> {
    let fail = |e: String| QueueError(e);
    let dlq = client
        .create_queue()
        .queue_name(format!("{name}-dlq.fifo"))
        .attributes(QueueAttributeName::FifoQueue, "true")
        .send()
        .await
        .map_err(|e| fail(format!("{e:?}")))?
        .queue_url
        .ok_or_else(|| fail("no DLQ url".into()))?;
    let dlq_arn = client
        .get_queue_attributes()
        .queue_url(&dlq)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| fail(format!("{e:?}")))?
        .attributes
        .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
        .ok_or_else(|| fail("no DLQ arn".into()))?;
    let redrive =
        serde_json::json!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVES})
            .to_string();
    let queue = client
        .create_queue()
        .queue_name(format!("{name}.fifo"))
        .attributes(QueueAttributeName::FifoQueue, "true")
        .attributes(
            QueueAttributeName::VisibilityTimeout,
            visibility.to_string(),
        )
        .attributes(QueueAttributeName::RedrivePolicy, redrive)
        .send()
        .await
        .map_err(|e| fail(format!("{e:?}")))?
        .queue_url
        .ok_or_else(|| fail("no queue url".into()))?;
    Ok(Queues {
        queue,
        dead_letters: dlq,
    })
}

/// An SQS client for an endpoint (moto) or, with `None`, AWS's.
pub fn client(endpoint: Option<&str>) -> Client {
    Client::new(&super::aws::sdk_config(endpoint))
}
