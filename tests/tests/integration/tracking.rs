//! The customer's tracking view shows status, dates and public messages, and nothing else.

use std::collections::BTreeSet;

use actix_web::test::TestRequest;
use serde_json::json;

use crate::support::{Backend, TestStore, file, new_complaint, post_json, send};

fn track(reference: &str, token: &str) -> TestRequest {
    TestRequest::get()
        .uri(&format!("/v1/track/{reference}"))
        .insert_header(("X-Tracking-Token", token))
}

async fn the_tracking_view_leaks_nothing_but_public_fields(backend: Backend) {
    let store = TestStore::new(backend).await;
    let app = store.app().await;
    let (id, token) = file(&app, &new_complaint()).await;
    let path = format!("/v1/complaints/{id}");
    send(
        &app,
        post_json(
            &format!("{path}/notes"),
            &json!({"body": "Internal: customer sounded upset, check account 4417 1234 5678 9113"}),
        ),
    )
    .await;
    send(
        &app,
        post_json(
            &format!("{path}/notes"),
            &json!({"body": "We are looking into the duplicate charge.", "public": true}),
        ),
    )
    .await;
    send(
        &app,
        post_json(
            &format!("{path}/transitions"),
            &json!({"to": "acknowledged", "reason": "internal routing reason"}),
        ),
    )
    .await;
    let (_, complaint) = send(&app, TestRequest::get().uri(&path)).await;
    let reference = complaint["reference"].as_str().unwrap();

    let (status, view) = send(&app, track(reference, &token)).await;
    assert_eq!(status, 200, "{view}");
    let keys: BTreeSet<&str> = view
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let public: BTreeSet<&str> = [
        "reference",
        "status",
        "received_at",
        "acknowledged_at",
        "due_at",
        "resolved_at",
        "closed_at",
        "messages",
    ]
    .into();
    assert_eq!(keys, public);
    assert_eq!(view["status"], "acknowledged");
    assert_eq!(view["messages"].as_array().unwrap().len(), 1);
    assert_eq!(
        view["messages"][0]["body"],
        "We are looking into the duplicate charge."
    );
    let text = view.to_string();
    for secret in [
        "Jane",
        "jane.customer",
        "CUST-99812",
        "charged twice",
        "4417",
        "internal routing",
        "Example Bank",
        "125.50",
    ] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
    store.finish().await;
}

async fn wrong_tokens_and_unknown_references_look_the_same(backend: Backend) {
    let store = TestStore::new(backend).await;
    let app = store.app().await;
    let (id, token) = file(&app, &new_complaint()).await;
    let (_, complaint) = send(
        &app,
        TestRequest::get().uri(&format!("/v1/complaints/{id}")),
    )
    .await;
    let reference = complaint["reference"].as_str().unwrap().to_owned();

    let wrong_token = send(&app, track(&reference, "not-the-token")).await;
    let unknown_reference = send(&app, track("RDR-1999-000042", &token)).await;
    let not_a_reference = send(&app, track("hello", &token)).await;
    let no_token = send(
        &app,
        TestRequest::get().uri(&format!("/v1/track/{reference}")),
    )
    .await;
    assert_eq!(wrong_token.0, 404);
    assert_eq!(wrong_token, unknown_reference);
    assert_eq!(wrong_token, not_a_reference);
    assert_eq!(wrong_token, no_token);
    store.finish().await;
}

crate::on_both_backends!(
    the_tracking_view_leaks_nothing_but_public_fields,
    wrong_tokens_and_unknown_references_look_the_same,
);
