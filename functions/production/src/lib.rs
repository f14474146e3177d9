//! The production function: SQS (FIFO) batches of production jobs, with partial batch failure
//! reporting. FIFO rule: at the first failure, that message and every later one of the batch
//! are reported failed (they come back, in order); earlier ones are done.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use shop_core::app::production::Producer;
use shop_core::ports::ProductionJob;

pub async fn handle_batch(producer: &Producer, event: SqsEvent) -> SqsBatchResponse {
    let mut failed: Vec<String> = Vec::new();
    for message in event.records {
        let id = message.message_id.clone().unwrap_or_default();
        if !failed.is_empty() {
            failed.push(id);
            continue;
        }
        let job: Result<ProductionJob, _> =
            serde_json::from_str(message.body.as_deref().unwrap_or(""));
        let outcome = match job {
            Ok(job) => producer
                .handle(&job)
                .await
                .map(|o| format!("{o:?}"))
                .map_err(|e| e.0),
            // Reported failed: after the queue's max receives it lands in the dead-letter queue.
            Err(e) => Err(format!("not a production job: {e}")),
        };
        match outcome {
            Ok(outcome) => tracing::info!(message = %id, %outcome, "produced"),
            Err(error) => {
                tracing::warn!(message = %id, %error, "production failed; will be redelivered");
                failed.push(id);
            }
        }
    }
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = failed
        .into_iter()
        .map(|id| {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            failure
        })
        .collect();
    response
}
