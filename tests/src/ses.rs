//! Amazon SES on moto: a sender identity, and the raw messages moto received from it.

/// A new sender address, verified in SES on moto (as a shop's `MAIL_FROM` must be in AWS).
pub async fn verified_sender() -> String {
    let config = shop_core::adapters::aws::sdk_config(Some(moto_harness::endpoint()));
    let ses = aws_sdk_sesv2::Client::new(&config);
    let from = format!("{}@enrolshop.test", moto_harness::unique_name("shop"));
    ses.create_email_identity()
        .email_identity(&from)
        .send()
        .await
        .expect("the sender identity is created");
    from
}

/// The raw MIME messages SES on moto received from `from`, in the order sent.
pub async fn sent_from(from: &str) -> Vec<Vec<u8>> {
    let http = shop_core::adapters::https::builder()
        .build()
        .expect("an HTTP client");
    let data: serde_json::Value = http
        .get(format!("{}/moto-api/data.json", moto_harness::endpoint()))
        .send()
        .await
        .expect("moto answers")
        .json()
        .await
        .expect("moto's data");
    data["ses"]["RawMessage"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["source"] == from)
        .map(|m| {
            m["raw_data"]
                .as_str()
                .unwrap_or_default()
                .as_bytes()
                .to_vec()
        })
        .collect()
}
