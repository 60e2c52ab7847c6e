//! The lifecycle rules through the API: each allowed move, each refusal with the allowed
//! states, the reopen window, and one history event per change.

use serde_json::{Value, json};

use crate::support::{Backend, TestStore, file, get, new_complaint, post_json, send};

fn to(state: &str) -> Value {
    json!({"to": state})
}

async fn the_full_path_is_walked_and_recorded(backend: Backend) {
    let store = TestStore::new(backend).await;
    let app = store.app().await;
    let (id, _) = file(&app, &new_complaint()).await;
    let path = format!("/v1/complaints/{id}/transitions");
    for step in [
        "acknowledged",
        "in_progress",
        "waiting_on_customer",
        "in_progress",
        "waiting_on_department",
        "in_progress",
    ] {
        let (status, body) = send(&app, post_json(&path, &to(step))).await;
        assert_eq!(status, 200, "{step}: {body}");
        assert_eq!(body["status"], step);
    }
    let resolve = json!({"to": "resolved", "outcome": "partly_upheld", "response_category": "Closed with monetary relief",
        "redress_paid": {"amount": "40.00", "currency": "GBP"}, "public_message": "We have refunded the duplicate charge."});
    let (status, body) = send(&app, post_json(&path, &resolve)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["outcome"], "partly_upheld");
    assert_eq!(
        body["redress_paid"],
        json!({"amount": "40.00", "currency": "GBP"})
    );
    assert!(body["resolved_at"].is_string());
    let (status, body) = send(&app, post_json(&path, &to("closed"))).await;
    assert_eq!(status, 200);
    assert!(body["closed_at"].is_string());
    assert_eq!(body["version"], 9);

    let (_, events) = send(&app, get(&format!("/v1/complaints/{id}/events"))).await;
    let moves: Vec<(&str, &str)> = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "transition")
        .map(|e| {
            (
                e["from_status"].as_str().unwrap(),
                e["to_status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(moves.len(), 8);
    assert_eq!(moves[0], ("received", "acknowledged"));
    assert_eq!(moves[7], ("resolved", "closed"));
    // No compliance plugin runs in this store: the history says the response went out
    // unchecked, rather than saying nothing.
    let resolved = events
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["to_status"] == "resolved")
        .unwrap();
    let check = resolved["data"]["closure_check"]
        .as_str()
        .unwrap_or_default();
    assert!(check.starts_with("unchecked: "), "{resolved}");
    store.finish().await;
}

async fn illegal_moves_answer_409_with_the_allowed_states_and_change_nothing(backend: Backend) {
    let store = TestStore::new(backend).await;
    let app = store.app().await;
    let (id, _) = file(&app, &new_complaint()).await;
    let path = format!("/v1/complaints/{id}/transitions");
    let events_before = store.event_rows().await;
    for (state, allowed) in [
        ("resolved", json!(["acknowledged", "withdrawn", "merged"])),
        ("closed", json!(["acknowledged", "withdrawn", "merged"])),
        (
            "in_progress",
            json!(["acknowledged", "withdrawn", "merged"]),
        ),
        ("received", json!(["acknowledged", "withdrawn", "merged"])),
    ] {
        let (status, body) = send(&app, post_json(&path, &to(state))).await;
        assert_eq!(status, 409, "{state}");
        assert_eq!(body["error"]["code"], "transition_not_allowed");
        assert_eq!(body["error"]["allowed"], allowed);
    }
    assert_eq!(store.event_rows().await, events_before);
    let (_, body) = send(&app, get(&format!("/v1/complaints/{id}"))).await;
    assert_eq!(
        (body["status"].as_str(), body["version"].as_i64()),
        (Some("received"), Some(1))
    );
    store.finish().await;
}

async fn resolving_needs_an_outcome_and_details_belong_to_resolution(backend: Backend) {
    let store = TestStore::new(backend).await;
    let app = store.app().await;
    let (id, _) = file(&app, &new_complaint()).await;
    let path = format!("/v1/complaints/{id}/transitions");
    send(&app, post_json(&path, &to("acknowledged"))).await;
    send(&app, post_json(&path, &to("in_progress"))).await;
    let (status, body) = send(&app, post_json(&path, &to("resolved"))).await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (422, Some("outcome"))
    );
    let (status, body) = send(
        &app,
        post_json(
            &path,
            &json!({"to": "waiting_on_customer", "outcome": "upheld"}),
        ),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("not_applicable"))
    );
    let (status, body) = send(&app, post_json(&path, &json!({"to": "resolved", "outcome": "upheld", "redress_paid": {"amount": "-1", "currency": "GBP"}}))).await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (422, Some("redress_paid.amount"))
    );
    let (_, body) = send(&app, get(&format!("/v1/complaints/{id}"))).await;
    assert_eq!(body["status"], "in_progress");
    store.finish().await;
}

async fn withdrawn_and_merged_are_terminal(backend: Backend) {
    let store = TestStore::new(backend).await;
    let app = store.app().await;
    let (keep, _) = file(&app, &new_complaint()).await;
    let (duplicate, _) = file(&app, &new_complaint()).await;
    let (withdrawn, _) = file(&app, &new_complaint()).await;

    let merge = |target: Value| json!({"to": "merged", "merged_into": target});
    let path = |id: i64| format!("/v1/complaints/{id}/transitions");
    let (status, body) = send(&app, post_json(&path(duplicate), &to("merged"))).await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (422, Some("merged_into"))
    );
    let (status, body) = send(
        &app,
        post_json(&path(duplicate), &merge(json!(duplicate.to_string()))),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("self_merge"))
    );
    let (status, body) = send(
        &app,
        post_json(&path(duplicate), &merge(json!("RDR-1999-000001"))),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("unknown_complaint"))
    );
    let (status, body) = send(
        &app,
        post_json(&path(duplicate), &merge(json!(keep.to_string()))),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["merged_into_id"], keep);
    assert_eq!(body["allowed_transitions"], json!([]));

    let (status, _) = send(
        &app,
        post_json(
            &path(withdrawn),
            &json!({"to": "withdrawn", "reason": "customer asked"}),
        ),
    )
    .await;
    assert_eq!(status, 200);
    // Nothing merges into a finished complaint, and nothing leaves a terminal state.
    let (status, body) = send(
        &app,
        post_json(&path(keep), &merge(json!(withdrawn.to_string()))),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("terminal_target"))
    );
    for id in [duplicate, withdrawn] {
        for state in [
            "received",
            "acknowledged",
            "in_progress",
            "resolved",
            "closed",
            "withdrawn",
        ] {
            let (status, body) = send(&app, post_json(&path(id), &to(state))).await;
            assert_eq!(status, 409, "{id} -> {state}");
            assert_eq!(body["error"]["allowed"], json!([]));
        }
    }
    store.finish().await;
}

async fn resolve_and_close(
    app: &impl actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
    >,
    id: i64,
) {
    let path = format!("/v1/complaints/{id}/transitions");
    for body in [
        to("acknowledged"),
        to("in_progress"),
        json!({"to": "resolved", "outcome": "not_upheld"}),
        to("closed"),
    ] {
        let (status, answer) = send(app, post_json(&path, &body)).await;
        assert_eq!(status, 200, "{answer}");
    }
}

async fn reopening_works_inside_the_window(backend: Backend) {
    let store = TestStore::new(backend).await;
    let app = store.app().await;
    let (id, _) = file(&app, &new_complaint()).await;
    resolve_and_close(&app, id).await;
    let (status, body) = send(
        &app,
        post_json(
            &format!("/v1/complaints/{id}/transitions"),
            &to("in_progress"),
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["reopened_count"], 1);
    assert_eq!(body["resolved_at"], Value::Null);
    assert_eq!(body["closed_at"], Value::Null);
    store.finish().await;
}

async fn reopening_is_refused_after_the_window(backend: Backend) {
    let store = TestStore::with(backend, |s| s.lifecycle.reopen_window_days = 0).await;
    let app = store.app().await;
    let (id, _) = file(&app, &new_complaint()).await;
    resolve_and_close(&app, id).await;
    let (status, body) = send(
        &app,
        post_json(
            &format!("/v1/complaints/{id}/transitions"),
            &to("in_progress"),
        ),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["message"], "the reopen window has passed");
    assert_eq!(body["error"]["allowed"], json!([]));
    store.finish().await;
}

async fn a_stale_version_is_refused(backend: Backend) {
    let store = TestStore::new(backend).await;
    let app = store.app().await;
    let (id, _) = file(&app, &new_complaint()).await;
    let path = format!("/v1/complaints/{id}/transitions");
    let (status, _) = send(
        &app,
        post_json(&path, &json!({"to": "acknowledged", "expected_version": 1})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = send(
        &app,
        post_json(&path, &json!({"to": "in_progress", "expected_version": 1})),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("version_conflict"))
    );
    store.finish().await;
}

async fn assignment_is_recorded(backend: Backend) {
    let store = TestStore::new(backend).await;
    let app = store.app().await;
    let (id, _) = file(&app, &new_complaint()).await;
    // The history names the authenticated caller.
    let supervisor = store
        .token_for("supervisor-2", &[("supervisor", "default/UK")])
        .await;
    let req = actix_web::test::TestRequest::patch()
        .uri(&format!("/v1/complaints/{id}"))
        .insert_header(("Authorization", format!("Bearer {supervisor}")))
        .set_json(json!({"assignee": "agent-7", "priority": "high", "department": "billing"}));
    let (status, body) = send(&app, req).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["assignee"].as_str(), body["priority"].as_str()),
        (Some("agent-7"), Some("high"))
    );
    let (_, events) = send(&app, get(&format!("/v1/complaints/{id}/events"))).await;
    let last = events.as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["kind"].as_str(), last["actor"].as_str()),
        (Some("updated"), Some("supervisor-2"))
    );
    assert_eq!(
        last["data"]["priority"],
        json!({"from": "normal", "to": "high"})
    );
    store.finish().await;
}

crate::on_both_backends!(
    the_full_path_is_walked_and_recorded,
    illegal_moves_answer_409_with_the_allowed_states_and_change_nothing,
    resolving_needs_an_outcome_and_details_belong_to_resolution,
    withdrawn_and_merged_are_terminal,
    reopening_works_inside_the_window,
    reopening_is_refused_after_the_window,
    a_stale_version_is_refused,
    assignment_is_recorded,
);
