//! Bad bodies on the calls that change a complaint after filing (transitions, notes, PATCH):
//! each gets a 4xx naming the field where there is one, and nothing is written. A body
//! that cannot be read answers 400; one that reads but breaks a field's rule, 422. An
//! unknown field is not named (its name is the client's own text), only what is taken.

use actix_web::test::TestRequest;
use serde_json::json;

use crate::support::{Backend, TestStore, file, get, new_complaint, send};

fn body(method: &str, uri: &str, payload: impl Into<Vec<u8>>) -> TestRequest {
    let req = match method {
        "PATCH" => TestRequest::patch(),
        _ => TestRequest::post(),
    };
    req.uri(uri)
        .insert_header(("content-type", "application/json"))
        .set_payload(payload.into())
}

/// What is sent, how, where, the body, and the status, code and field expected.
type Case<'a> = (
    &'a str,
    &'a str,
    &'a str,
    Vec<u8>,
    u16,
    &'a str,
    Option<&'a str>,
);

async fn bad_bodies_after_filing_are_refused_and_write_nothing(backend: Backend) {
    let store = TestStore::new(backend).await;
    let app = store.app().await;
    let (id, _) = file(&app, &new_complaint()).await;
    let (moves, notes, this) = (
        format!("/v1/complaints/{id}/transitions"),
        format!("/v1/complaints/{id}/notes"),
        format!("/v1/complaints/{id}"),
    );
    let (moves, notes, this) = (moves.as_str(), notes.as_str(), this.as_str());
    let over_limit = vec![b' '; 1024 * 1024 + 1];

    let cases: Vec<Case> = vec![
        (
            "malformed JSON",
            "POST",
            moves,
            b"{\"to\": ".to_vec(),
            400,
            "invalid_json",
            Some("to"),
        ),
        (
            "not an object",
            "POST",
            moves,
            b"[\"acknowledged\"]".to_vec(),
            400,
            "invalid_json",
            None,
        ),
        (
            // Well-formed JSON of the wrong kind: the field's rule is broken, not the syntax.
            "wrong type for an enum",
            "POST",
            moves,
            br#"{"to": 5}"#.to_vec(),
            422,
            "invalid_value",
            Some("to"),
        ),
        (
            "wrong type",
            "POST",
            moves,
            br#"{"to": "acknowledged", "expected_version": "one"}"#.to_vec(),
            422,
            "invalid_value",
            Some("expected_version"),
        ),
        (
            "wrong type",
            "POST",
            moves,
            br#"{"to": "acknowledged", "final_response_elements": "all"}"#.to_vec(),
            422,
            "invalid_value",
            Some("final_response_elements"),
        ),
        (
            "unknown enum",
            "POST",
            moves,
            br#"{"to": "escalated"}"#.to_vec(),
            422,
            "invalid_value",
            Some("to"),
        ),
        (
            "unknown enum",
            "POST",
            moves,
            br#"{"to": "resolved", "outcome": "maybe"}"#.to_vec(),
            422,
            "invalid_value",
            Some("outcome"),
        ),
        (
            "unknown enum",
            "POST",
            moves,
            br#"{"to": "resolved", "outcome": "upheld", "response_category": "Sorted"}"#.to_vec(),
            422,
            "invalid_value",
            Some("response_category"),
        ),
        (
            "missing field",
            "POST",
            moves,
            b"{}".to_vec(),
            422,
            "required",
            Some("to"),
        ),
        (
            "missing nested field",
            "POST",
            moves,
            br#"{"to": "resolved", "outcome": "upheld", "redress_paid": {"amount": "5.00"}}"#
                .to_vec(),
            422,
            "required",
            Some("redress_paid.currency"),
        ),
        (
            "unknown field",
            "POST",
            moves,
            br#"{"to": "acknowledged", "colour": "red"}"#.to_vec(),
            422,
            "unknown_field",
            None,
        ),
        (
            "invalid UTF-8",
            "POST",
            moves,
            b"{\"to\": \"acknowledged\", \"reason\": \"caf\xe9\"}".to_vec(),
            400,
            "invalid_utf8",
            None,
        ),
        (
            "over the limit",
            "POST",
            moves,
            over_limit.clone(),
            413,
            "body_too_large",
            None,
        ),
        (
            "malformed JSON",
            "POST",
            notes,
            b"{\"body\": \"hello".to_vec(),
            400,
            "invalid_json",
            Some("body"),
        ),
        (
            "wrong type",
            "POST",
            notes,
            br#"{"body": 5}"#.to_vec(),
            422,
            "invalid_value",
            Some("body"),
        ),
        (
            "wrong type",
            "POST",
            notes,
            br#"{"body": "hello", "public": "yes"}"#.to_vec(),
            422,
            "invalid_value",
            Some("public"),
        ),
        (
            "missing field",
            "POST",
            notes,
            br#"{"public": true}"#.to_vec(),
            422,
            "required",
            Some("body"),
        ),
        (
            "unknown field",
            "POST",
            notes,
            br#"{"body": "hello", "pinned": true}"#.to_vec(),
            422,
            "unknown_field",
            None,
        ),
        (
            "blank",
            "POST",
            notes,
            br#"{"body": "   "}"#.to_vec(),
            422,
            "required",
            Some("body"),
        ),
        (
            "too long",
            "POST",
            notes,
            json!({"body": "x".repeat(10_001)}).to_string().into_bytes(),
            422,
            "too_long",
            Some("body"),
        ),
        (
            "invalid UTF-8",
            "POST",
            notes,
            b"{\"body\": \"caf\xe9\"}".to_vec(),
            400,
            "invalid_utf8",
            None,
        ),
        (
            "over the limit",
            "POST",
            notes,
            over_limit.clone(),
            413,
            "body_too_large",
            None,
        ),
        (
            "malformed JSON",
            "PATCH",
            this,
            b"{assignee: agent-7}".to_vec(),
            400,
            "invalid_json",
            None,
        ),
        (
            "wrong type",
            "PATCH",
            this,
            br#"{"assignee": 7}"#.to_vec(),
            422,
            "invalid_value",
            Some("assignee"),
        ),
        (
            "wrong type",
            "PATCH",
            this,
            br#"{"priority": "high", "expected_version": "1"}"#.to_vec(),
            422,
            "invalid_value",
            Some("expected_version"),
        ),
        (
            "unknown enum",
            "PATCH",
            this,
            br#"{"priority": "urgent!"}"#.to_vec(),
            422,
            "invalid_value",
            Some("priority"),
        ),
        (
            "unknown field",
            "PATCH",
            this,
            br#"{"status": "closed"}"#.to_vec(),
            422,
            "unknown_field",
            None,
        ),
        (
            "nothing to change",
            "PATCH",
            this,
            b"{}".to_vec(),
            422,
            "empty_update",
            Some("body"),
        ),
        (
            "too long",
            "PATCH",
            this,
            json!({"department": "d".repeat(65)})
                .to_string()
                .into_bytes(),
            422,
            "too_long",
            Some("department"),
        ),
        (
            "a department no subject can name",
            "PATCH",
            this,
            json!({"department": "../../etc"}).to_string().into_bytes(),
            422,
            "invalid_department",
            Some("department"),
        ),
        (
            "invalid UTF-8",
            "PATCH",
            this,
            b"{\"assignee\": \"agent-\xff\"}".to_vec(),
            400,
            "invalid_utf8",
            None,
        ),
        (
            "over the limit",
            "PATCH",
            this,
            over_limit,
            413,
            "body_too_large",
            None,
        ),
    ];
    let events = store.event_rows().await;
    let mut wrong = Vec::new();
    for (what, method, path, payload, status, code, field) in cases {
        let (got, answer) = send(&app, body(method, path, payload)).await;
        let error = &answer["error"];
        let message_ok = error["message"].as_str().is_some_and(|m| !m.is_empty());
        if (
            got,
            error["code"].as_str(),
            error["field"].as_str(),
            message_ok,
        ) != (status, Some(code), field, true)
        {
            wrong.push(format!("{method} {path} {what}: {got} {answer}"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert_eq!(store.event_rows().await, events);
    let (_, complaint) = send(&app, get(&format!("/v1/complaints/{id}"))).await;
    assert_eq!(
        (
            complaint["status"].as_str(),
            complaint["version"].as_i64(),
            complaint["assignee"].as_str(),
            complaint["priority"].as_str()
        ),
        (Some("received"), Some(1), None, Some("normal"))
    );
    store.finish().await;
}

crate::on_both_backends!(bad_bodies_after_filing_are_refused_and_write_nothing);
