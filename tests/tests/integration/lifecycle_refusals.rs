//! Refused moves from every state a complaint can be in, through the API: 409 with the
//! states allowed instead, and nothing changed. And the one refusal imports bring: a
//! complaint closed before it came to Redress has no resolution date to reopen from.

use chrono::Duration;
use redress::import::{self, Silent};
use serde_json::{Value, json};

use crate::support::{Backend, TestStore, data_file, file, get, new_complaint, post_json, send};

const STATES: [&str; 9] = [
    "received",
    "acknowledged",
    "in_progress",
    "waiting_on_customer",
    "waiting_on_department",
    "resolved",
    "closed",
    "withdrawn",
    "merged",
];

fn move_to(state: &str) -> Value {
    match state {
        "resolved" => json!({"to": "resolved", "outcome": "upheld"}),
        _ => json!({"to": state}),
    }
}

async fn illegal_moves_from_each_state_answer_409_with_the_allowed_states(backend: Backend) {
    let store = TestStore::new(backend).await;
    let app = store.app().await;
    // How to reach each state from `received`, and where it may go from there (the reopen
    // window is the default 56 days, so a reopen is allowed).
    let cases: [(&[&str], &[&str]); 6] = [
        (&["acknowledged"], &["in_progress", "withdrawn", "merged"]),
        (
            &["acknowledged", "in_progress"],
            &[
                "waiting_on_customer",
                "waiting_on_department",
                "resolved",
                "withdrawn",
                "merged",
            ],
        ),
        (
            &["acknowledged", "in_progress", "waiting_on_customer"],
            &["in_progress", "resolved", "withdrawn", "merged"],
        ),
        (
            &["acknowledged", "in_progress", "waiting_on_department"],
            &["in_progress", "withdrawn", "merged"],
        ),
        (
            &["acknowledged", "in_progress", "resolved"],
            &["closed", "in_progress"],
        ),
        (
            &["acknowledged", "in_progress", "resolved", "closed"],
            &["in_progress"],
        ),
    ];
    for (path, allowed) in cases {
        let (id, _) = file(&app, &new_complaint()).await;
        let moves = format!("/v1/complaints/{id}/transitions");
        for step in path {
            let (status, body) = send(&app, post_json(&moves, &move_to(step))).await;
            assert_eq!(status, 200, "{step}: {body}");
        }
        let state = *path.last().unwrap();
        let (_, before) = send(&app, get(&format!("/v1/complaints/{id}"))).await;
        assert_eq!(before["allowed_transitions"], json!(allowed), "{state}");
        let events = store.event_rows().await;
        for to in STATES.iter().filter(|s| !allowed.contains(s)) {
            let (status, body) = send(&app, post_json(&moves, &move_to(to))).await;
            assert_eq!(status, 409, "{state} -> {to}: {body}");
            assert_eq!(
                (
                    body["error"]["code"].as_str(),
                    body["error"]["field"].as_str()
                ),
                (Some("transition_not_allowed"), Some("to")),
                "{state} -> {to}"
            );
            assert_eq!(body["error"]["allowed"], json!(allowed), "{state} -> {to}");
        }
        assert_eq!(store.event_rows().await, events, "{state}");
        let (_, after) = send(&app, get(&format!("/v1/complaints/{id}"))).await;
        assert_eq!(
            (after["status"].as_str(), &after["version"]),
            (Some(state), &before["version"])
        );
    }
    store.finish().await;
}

async fn an_imported_closed_complaint_cannot_be_reopened_without_its_dates(backend: Backend) {
    let store = TestStore::new(backend).await;
    let input = std::fs::File::open(data_file("complaints-personal-loans-2023.csv")).unwrap();
    import::import(&store.complaints, input, Duration::days(15), &Silent)
        .await
        .unwrap();
    let app = store.app().await;
    let (_, page) = send(&app, get("/v1/complaints?status=closed&limit=1")).await;
    let id = page["items"][0]["id"].as_i64().expect("a closed complaint");
    let (_, before) = send(&app, get(&format!("/v1/complaints/{id}"))).await;
    // The CFPB export says it was closed, not when: no date is made up.
    assert_eq!(
        (&before["resolved_at"], &before["closed_at"]),
        (&Value::Null, &Value::Null)
    );
    assert_eq!(before["allowed_transitions"], json!([]));

    let events = store.event_rows().await;
    let (status, body) = send(
        &app,
        post_json(
            &format!("/v1/complaints/{id}/transitions"),
            &json!({"to": "in_progress"}),
        ),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "reopen_window_unknown");
    assert_eq!(body["error"]["field"], "to");
    assert_eq!(body["error"]["allowed"], json!([]));
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("no resolution date")),
        "{body}"
    );
    assert_eq!(store.event_rows().await, events);
    let (_, after) = send(&app, get(&format!("/v1/complaints/{id}"))).await;
    assert_eq!(after["status"], "closed");
    assert_eq!(after["version"], before["version"]);
    store.finish().await;
}

/// A final response states only codes of the documented list, and the CFPB category
/// agrees with the money paid: "Closed with monetary relief" means the consumer was paid
/// (an amount above zero), "Closed without relief" that they were not. Each refusal names
/// the field and changes nothing.
async fn a_resolution_must_agree_with_itself(backend: Backend) {
    let store = TestStore::new(backend).await;
    let app = store.app().await;
    let mut body = new_complaint();
    body["region"] = json!("US");
    body["amount_disputed"] = json!({"amount": "125.50", "currency": "USD"});
    let (id, _) = file(&app, &body).await;
    let path = format!("/v1/complaints/{id}/transitions");
    for step in ["acknowledged", "in_progress"] {
        let (status, answer) = send(&app, post_json(&path, &move_to(step))).await;
        assert_eq!(status, 200, "{answer}");
    }
    let resolve = |extra: Value| {
        let mut body = json!({"to": "resolved", "outcome": "upheld"});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        post_json(&path, &body)
    };
    let usd = |amount: &str| json!({"amount": amount, "currency": "USD"});
    let events = store.event_rows().await;
    for (extra, code, field) in [
        (
            json!({"final_response_elements": ["reasons", "fos-referal-rights"]}),
            "unknown_element",
            "final_response_elements[1]",
        ),
        (
            json!({"response_category": "Closed with monetary relief"}),
            "required",
            "redress_paid",
        ),
        (
            json!({"response_category": "Closed with monetary relief", "redress_paid": usd("0.00")}),
            "invalid_amount",
            "redress_paid.amount",
        ),
        (
            json!({"response_category": "Closed without relief", "redress_paid": usd("10.00")}),
            "not_applicable",
            "redress_paid",
        ),
    ] {
        let (status, answer) = send(&app, resolve(extra.clone())).await;
        assert_eq!(
            (
                status,
                answer["error"]["code"].as_str(),
                answer["error"]["field"].as_str()
            ),
            (422, Some(code), Some(field)),
            "{extra} -> {answer}"
        );
    }
    assert_eq!(store.event_rows().await, events);
    let (_, still) = send(&app, get(&format!("/v1/complaints/{id}"))).await;
    assert_eq!(still["status"], "in_progress");

    // Codes compare without regard to case, as the plugins compare them.
    let (status, answer) = send(
        &app,
        resolve(json!({
            "response_category": "Closed with monetary relief",
            "redress_paid": usd("25.00"),
            "final_response_elements": ["Reasons", "redress"],
        })),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["redress_paid"], usd("25.00"));
    store.finish().await;
}

crate::on_both_backends!(
    illegal_moves_from_each_state_answer_409_with_the_allowed_states,
    an_imported_closed_complaint_cannot_be_reopened_without_its_dates,
    a_resolution_must_agree_with_itself,
);
