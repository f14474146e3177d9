//! The production function: SQS (FIFO) batches of production jobs, with partial batch failure
//! reporting. FIFO rule: at the first failure, that message and every later one of the batch
//! are reported failed (they come back, in order); earlier ones are done. A scheduled
//! invocation (EventBridge, every few minutes) relays jobs left in the outbox.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use chrono::Timelike;
use shop_core::adapters::sqs::MAX_RECEIVES;
use shop_core::app::mail::postman::Postman;
use shop_core::app::production::{Producer, RelayTiming};
use shop_core::ports::ProductionJob;

/// Whether this is the message's last receive before the dead-letter queue (the queue's
/// `maxReceiveCount` is [`MAX_RECEIVES`]).
fn last_receive(message: &SqsMessage) -> bool {
    message
        .attributes
        .get("ApproximateReceiveCount")
        .and_then(|n| n.parse::<u32>().ok())
        .is_some_and(|n| n >= MAX_RECEIVES)
}

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
            Ok(job) => match producer.handle(&job).await {
                Ok(o) => Ok(format!("{o:?}")),
                Err(e) if last_receive(&message) => {
                    // The queue moves it to the dead-letter queue after this failure: the bill
                    // shows the error, and an operator's retry sends a new job.
                    if let Err(record) = producer.give_up(&job, &e.0).await {
                        tracing::error!(message = %id, error = %record, "could not record the failure");
                    }
                    Err(e.0)
                }
                Err(e) => Err(e.0),
            },
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

/// One invocation: an SQS batch (it has `Records`), or a scheduled event that relays the outbox
/// and sends the messages that are due.
pub async fn handle_event(
    producer: &Producer,
    postman: Option<&Postman>,
    event: serde_json::Value,
) -> Result<serde_json::Value, String> {
    if event.get("Records").is_some() {
        let batch: SqsEvent = serde_json::from_value(event).map_err(|e| e.to_string())?;
        let response = handle_batch(producer, batch).await;
        return serde_json::to_value(response).map_err(|e| e.to_string());
    }
    let done = producer.relay_outbox().await.map_err(|e| e.to_string())?;
    tracing::info!(
        resent = done.resent,
        requeued = done.requeued,
        "outbox relayed"
    );
    // Once an hour, what is counted in days: bills left at a gateway, reminders.
    let hourly = chrono::Utc::now().minute() == 0;
    if hourly {
        let now = chrono::Utc::now();
        let called_off = producer
            .call_off_abandoned(now)
            .await
            .map_err(|e| e.to_string())?;
        tracing::info!(called_off, "bills left at a gateway called off");
        let reminded = producer
            .remind_awaited(now)
            .await
            .map_err(|e| e.to_string())?;
        tracing::info!(reminded, "buyers reminded of a payment awaited");
    }
    let mailed = match postman {
        Some(postman) => {
            if hourly {
                let written = postman.write_reminders().await.map_err(|e| e.to_string())?;
                tracing::info!(written, "expiry reminders written");
            }
            postman.send_due().await.map_err(|e| e.to_string())?
        }
        None => 0,
    };
    Ok(serde_json::json!({ "relayed": done.resent, "requeued": done.requeued, "mailed": mailed }))
}

/// The relay's timing from the function's environment: `OUTBOX_RESEND_AFTER_SECONDS` (the
/// queue's visibility timeout, 360 by default as in the template) and
/// `RECONCILE_AFTER_SECONDS` (1800 by default).
pub fn timing_from_env() -> RelayTiming {
    let seconds = |name: &str, default: i64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse::<i64>().ok())
            .filter(|s| *s > 0)
            .unwrap_or(default)
    };
    RelayTiming {
        resend_after: chrono::Duration::seconds(seconds("OUTBOX_RESEND_AFTER_SECONDS", 360)),
        reconcile_after: chrono::Duration::seconds(seconds("RECONCILE_AFTER_SECONDS", 1800)),
        ..RelayTiming::default()
    }
}
