//! Production through SQS (FIFO + dead-letter queue on moto), DynamoDB (moto) and the Moodle
//! simulator, with the production function's batch handler fed as Lambda's SQS event source
//! would: received messages become an `SqsEvent`, the messages the handler does not report
//! failed are deleted, failed ones come back (here at once, instead of after the visibility
//! timeout) until the queue's `maxReceiveCount` moves them to the dead-letter queue.

use std::sync::Arc;

use aws_sdk_sqs::types::MessageSystemAttributeName;
use enrolshop_tests::{ADMIN_TOKEN, Stack};
use moodle_sim::Fault;
use reqwest::Method;
use shop_core::adapters::sqs::{self, Queues, SqsQueue};

struct Sqs {
    client: aws_sdk_sqs::Client,
    queues: Queues,
}

impl Sqs {
    async fn new() -> Self {
        let client = sqs::client(Some(moto_harness::endpoint()));
        let queues = sqs::ensure_queues(&client, &moto_harness::unique_name("prod"), 360)
            .await
            .unwrap();
        Self { client, queues }
    }

    async fn receive(&self, url: &str) -> Vec<aws_sdk_sqs::types::Message> {
        self.client
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .unwrap()
            .messages
            .unwrap_or_default()
    }

    /// One poll: the batch handler's view of the received messages, then delete (handled) or
    /// make visible again (failed). How many messages were received and how many failed.
    async fn poll(&self, stack: &Stack, keep: bool) -> (usize, usize) {
        let messages = self.receive(&self.queues.queue).await;
        let event = enrolshop_tests::sqs_event(&messages);
        let response = production::handle_batch(&stack.producer, event).await;
        let failed: Vec<String> = response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.clone())
            .collect();
        for m in &messages {
            let handle = m.receipt_handle().unwrap();
            if failed.iter().any(|f| Some(f.as_str()) == m.message_id()) || keep {
                self.client
                    .change_message_visibility()
                    .queue_url(&self.queues.queue)
                    .receipt_handle(handle)
                    .visibility_timeout(0)
                    .send()
                    .await
                    .unwrap();
            } else {
                self.client
                    .delete_message()
                    .queue_url(&self.queues.queue)
                    .receipt_handle(handle)
                    .send()
                    .await
                    .unwrap();
            }
        }
        (messages.len(), failed.len())
    }
}

async fn stack_on(sqs: &Sqs) -> Stack {
    let queue = SqsQueue::new(sqs.client.clone(), &sqs.queues.queue);
    Stack::start_with_jobs(Arc::new(queue)).await
}

async fn admin_bill(stack: &Stack, bill: &str) -> serde_json::Value {
    let path = format!("/admin/bills/{bill}");
    stack
        .with_token(Method::GET, &path, ADMIN_TOKEN, None)
        .await
        .body
}

#[tokio::test]
async fn a_message_delivered_three_times_enrols_once_with_the_same_dates() {
    let sqs = Sqs::new().await;
    let stack = stack_on(&sqs).await;
    let cart = stack.ready_cart("EXCEL-ESS", 1).await;
    let (bill, _) = stack.place_and_pay(&cart).await;
    // Delivered, handled, but its deletion "lost" twice: SQS delivers it again.
    assert_eq!(sqs.poll(&stack, true).await, (1, 0));
    let ada = stack.moodle.user_by_email("ada@example.org").unwrap();
    let first = stack.moodle.enrolment(ada.id, 3).unwrap();
    // Seconds later: an intent computed again would carry other dates.
    stack.clock.advance(chrono::Duration::seconds(5));
    assert_eq!(sqs.poll(&stack, true).await, (1, 0));
    assert_eq!(sqs.poll(&stack, false).await, (1, 0));
    assert_eq!(sqs.poll(&stack, false).await, (0, 0), "deleted at last");
    let users = stack.moodle.users();
    assert_eq!(
        users
            .iter()
            .filter(|u| u.email == "ada@example.org")
            .count(),
        1
    );
    assert_eq!(
        stack.moodle.enrolment(ada.id, 3).unwrap(),
        first,
        "dates unchanged"
    );
    assert_eq!(admin_bill(&stack, &bill).await["status"], "COMPLETE");
}

#[tokio::test]
async fn an_outage_dead_letters_the_job_shows_the_error_and_a_retry_completes_it() {
    let sqs = Sqs::new().await;
    let stack = stack_on(&sqs).await;
    let cart = stack.ready_cart("EXCEL-ESS", 1).await;
    let (bill, _) = stack.place_and_pay(&cart).await;
    stack.moodle.fail_next(1000, Fault::Down);
    for _ in 0..sqs::MAX_RECEIVES {
        assert_eq!(sqs.poll(&stack, false).await, (1, 1), "retried");
    }
    assert_eq!(sqs.poll(&stack, false).await, (0, 0), "gone from the queue");
    let dead = sqs.receive(&sqs.queues.dead_letters).await;
    assert_eq!(dead.len(), 1, "in the dead-letter queue");
    assert!(dead[0].body().unwrap().contains(&bill));

    let view = admin_bill(&stack, &bill).await;
    assert_eq!(view["status"], "PAID");
    let line = &view["production"][0];
    assert_eq!(line["state"], "failed", "{view}");
    assert!(
        line["error"].as_str().unwrap().contains("HTTP 503"),
        "{line}"
    );
    assert_eq!(line["problem"]["code"], "gave_up", "{line}");
    assert_eq!(
        line["problem"]["detail"], "Moodle answered HTTP 503",
        "{line}"
    );

    // Moodle is back; the operator retries: a new job (next generation) completes the bill.
    stack.moodle.fail_next(0, Fault::None);
    let path = format!("/admin/bills/{bill}/retry-production");
    let retried = stack
        .with_token(Method::POST, &path, ADMIN_TOKEN, None)
        .await;
    assert_eq!(retried.status, 200, "{}", retried.body);
    assert_eq!(sqs.poll(&stack, false).await, (1, 0));
    assert_eq!(admin_bill(&stack, &bill).await["status"], "COMPLETE");
    let ada = stack.moodle.user_by_email("ada@example.org").unwrap();
    assert!(stack.moodle.enrolment(ada.id, 3).is_some());
}
