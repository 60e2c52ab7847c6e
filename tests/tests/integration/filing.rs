//! Filing complaints: what is stored, and idempotent retries.

use serde_json::json;

use crate::support::{Backend, TestStore, file, get, new_complaint, post_json, send};

async fn filing_stores_every_field_and_a_history_event(backend: Backend) {
    let store = TestStore::new(backend).await;
    let app = store.app().await;
    let (status, body) = send(&app, post_json("/v1/complaints", &new_complaint())).await;
    assert_eq!(status, 201, "{body}");
    let c = &body["complaint"];
    let year = chrono::Utc::now().format("%Y").to_string();
    assert_eq!(c["reference"], format!("RDR-{year}-000001"));
    assert_eq!(c["status"], "received");
    assert_eq!(
        c["allowed_transitions"],
        json!(["acknowledged", "withdrawn", "merged"])
    );
    assert_eq!(
        c["amount_disputed"],
        json!({"amount": "125.50", "currency": "GBP"})
    );
    assert_eq!(c["customer"]["customer_number"], "CUST-99812");
    assert_eq!(c["customer_time_zone"], "Europe/London");
    assert_eq!(c["tags"], json!(["Older American"]));
    assert!(body["tracking_token"].as_str().unwrap().len() >= 32);

    // Due 15 calendar days after receipt until a region's rules say otherwise.
    let received =
        chrono::DateTime::parse_from_rfc3339(c["received_at"].as_str().unwrap()).unwrap();
    let due = chrono::DateTime::parse_from_rfc3339(c["due_at"].as_str().unwrap()).unwrap();
    assert_eq!(due - received, chrono::Duration::days(15));

    let (_, events) = send(&app, get("/v1/complaints/1/events")).await;
    assert_eq!(events.as_array().unwrap().len(), 1);
    assert_eq!(events[0]["kind"], "filed");

    // A second filing in the same year takes the next number; the reference finds it too.
    let (second, _) = file(&app, &new_complaint()).await;
    let (_, by_reference) = send(&app, get(&format!("/v1/complaints/RDR-{year}-000002"))).await;
    assert_eq!(by_reference["id"], second);
    // The same customer number reuses the customer record.
    assert_eq!(by_reference["customer"]["id"], c["customer"]["id"]);
    store.finish().await;
}

async fn a_retried_filing_returns_the_first_complaint(backend: Backend) {
    let store = TestStore::new(backend).await;
    let app = store.app().await;
    let request = || {
        post_json("/v1/complaints", &new_complaint())
            .insert_header(("Idempotency-Key", "retry-7f3a"))
    };
    let (first_status, first) = send(&app, request()).await;
    let (second_status, second) = send(&app, request()).await;
    assert_eq!((first_status, second_status), (201, 200));
    assert_eq!(first, second);
    assert_eq!(store.complaint_rows().await, 1);
    assert_eq!(store.event_rows().await, 1);

    // The same key with another body is a client error and writes nothing.
    let mut other = new_complaint();
    other["product"] = json!("Mortgage");
    let (status, body) = send(
        &app,
        post_json("/v1/complaints", &other).insert_header(("Idempotency-Key", "retry-7f3a")),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "idempotency_key_reused");
    assert_eq!(body["error"]["field"], "Idempotency-Key");
    assert_eq!(store.complaint_rows().await, 1);

    // Keys belong to their caller: another caller's identical request is a new filing,
    // never a replay of the first (its complaint and tracking token), nor a refusal.
    let other = store
        .token_for("t-second-agent", &[("agent", "default/UK")])
        .await;
    let (status, theirs) = send(
        &app,
        request().insert_header(("Authorization", format!("Bearer {other}"))),
    )
    .await;
    assert_eq!(status, 201, "{theirs}");
    assert_ne!(theirs["complaint"]["id"], first["complaint"]["id"]);
    assert_ne!(theirs["tracking_token"], first["tracking_token"]);
    assert_eq!(store.complaint_rows().await, 2);
    store.finish().await;
}

async fn concurrent_retries_create_one_complaint(backend: Backend) {
    let store = TestStore::new(backend).await;
    let filings = (0..6).map(|_| {
        let complaints = store.complaints.clone();
        async move {
            let input = serde_json::from_value(new_complaint()).unwrap();
            let body = serde_json::to_vec(&new_complaint()).unwrap();
            complaints
                .file(
                    input,
                    Some(("same-key", body.as_slice())),
                    &redress::service::Caller::system("test"),
                )
                .await
        }
    });
    let results = futures_util::future::join_all(filings).await;
    let ids: std::collections::BTreeSet<i64> = results
        .into_iter()
        .map(|r| r.expect("filed").complaint.id)
        .collect();
    assert_eq!(ids.len(), 1);
    assert_eq!(store.complaint_rows().await, 1);
    store.finish().await;
}

crate::on_both_backends!(
    filing_stores_every_field_and_a_history_event,
    a_retried_filing_returns_the_first_complaint,
    concurrent_retries_create_one_complaint,
);
