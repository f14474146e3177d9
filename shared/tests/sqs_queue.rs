//! The SQS production queue on a real moto server: FIFO grouping by bill, deduplication per
//! bill, job kind and generation, and redrive to the dead-letter queue.

use aws_sdk_sqs::types::MessageSystemAttributeName;
use shop_core::adapters::sqs::{self, MAX_RECEIVES, SqsQueue};
use shop_core::ports::{JobKind, JobQueue, ProductionJob};

fn job(bill: &str, generation: u32) -> ProductionJob {
    ProductionJob {
        shop: "demo".parse().unwrap(),
        bill: bill.parse().unwrap(),
        kind: JobKind::Produce,
        generation,
    }
}

async fn receive(client: &aws_sdk_sqs::Client, url: &str) -> Vec<aws_sdk_sqs::types::Message> {
    client
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .visibility_timeout(0)
        .message_system_attribute_names(MessageSystemAttributeName::MessageGroupId)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap_or_default()
}

#[tokio::test]
async fn jobs_are_deduplicated_per_bill_kind_and_generation() {
    let client = sqs::client(Some(moto_harness::endpoint()));
    let queues = sqs::ensure_queues(&client, &moto_harness::unique_name("production"), 60)
        .await
        .unwrap();
    let queue = SqsQueue::new(client.clone(), &queues.queue);
    queue.enqueue(job("BILL1", 0)).await.unwrap();
    queue.enqueue(job("BILL1", 0)).await.unwrap();
    let messages = receive(&client, &queues.queue).await;
    assert_eq!(messages.len(), 1, "the same job twice is one message");
    let m = &messages[0];
    let body: ProductionJob = serde_json::from_str(m.body().unwrap()).unwrap();
    assert_eq!(body, job("BILL1", 0));
    let group = m
        .attributes()
        .unwrap()
        .get(&MessageSystemAttributeName::MessageGroupId)
        .unwrap();
    assert_eq!(group, "BILL1");
    client
        .delete_message()
        .queue_url(&queues.queue)
        .receipt_handle(m.receipt_handle().unwrap())
        .send()
        .await
        .unwrap();
    queue.enqueue(job("BILL1", 1)).await.unwrap();
    assert_eq!(
        receive(&client, &queues.queue).await.len(),
        1,
        "an operator's retry (next generation) goes through"
    );
}

#[tokio::test]
async fn a_message_received_too_often_goes_to_the_dead_letter_queue() {
    let client = sqs::client(Some(moto_harness::endpoint()));
    let queues = sqs::ensure_queues(&client, &moto_harness::unique_name("production"), 60)
        .await
        .unwrap();
    SqsQueue::new(client.clone(), &queues.queue)
        .enqueue(job("BILL2", 0))
        .await
        .unwrap();
    for _ in 0..MAX_RECEIVES {
        assert_eq!(receive(&client, &queues.queue).await.len(), 1);
    }
    assert!(receive(&client, &queues.queue).await.is_empty());
    let dead = receive(&client, &queues.dead_letters).await;
    assert_eq!(dead.len(), 1);
    assert!(dead[0].body().unwrap().contains("BILL2"));
}
