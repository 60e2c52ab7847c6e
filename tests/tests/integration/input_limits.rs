//! Input that reads but cannot be stored or searched: dates outside what the store keeps,
//! text longer than its column, and NUL characters PostgreSQL refuses in text. Each answers
//! a 4xx naming the field, never a panic or a 503, and writes nothing.

use actix_web::test::TestRequest;
use serde_json::{Value, json};

use crate::support::{Backend, TestStore, file, get, new_complaint, post_json, send};

async fn refused<S, B>(app: &S, req: TestRequest, field: &str, what: &str)
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let (status, body) = send(app, req).await;
    assert!(
        (400..500).contains(&status),
        "{what}: status {status}, {body}"
    );
    assert_eq!(body["error"]["field"], field, "{what}: {body}");
}

async fn date_filters_outside_the_stored_range_are_refused_by_name(backend: Backend) {
    let store = TestStore::new(backend).await;
    let app = store.app().await;
    file(&app, &new_complaint()).await;
    for path in ["/v1/complaints", "/v1/reports/counts?by=product"] {
        let sep = if path.contains('?') { '&' } else { '?' };
        for (query, field) in [
            // The last day chrono knows: the day after it does not exist.
            ("received_to=%2B262142-12-31", "received_to"),
            ("received_from=%2B262142-12-31", "received_from"),
            ("received_to=%2B10000-01-01", "received_to"),
            ("received_from=1969-12-31", "received_from"),
            ("received_to=0999-06-30", "received_to"),
            ("received_from=-5000-01-01", "received_from"),
        ] {
            let uri = format!("{path}{sep}{query}");
            let (status, body) = send(&app, get(&uri)).await;
            assert_eq!(status, 422, "{uri}: {body}");
            assert_eq!(body["error"]["field"], field, "{uri}: {body}");
            assert_eq!(body["error"]["code"], "out_of_range", "{uri}: {body}");
        }
        // The edges themselves are fine.
        let uri = format!("{path}{sep}received_from=1970-01-01&received_to=9999-12-31");
        let (status, body) = send(&app, get(&uri)).await;
        assert_eq!(status, 200, "{uri}: {body}");
    }
    let (_, page) = send(
        &app,
        get("/v1/complaints?received_from=1970-01-01&received_to=9999-12-31"),
    )
    .await;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(1), "{page}");
    store.finish().await;
}

async fn text_filters_with_nul_or_overlong_are_refused_by_name(backend: Backend) {
    let store = TestStore::new(backend).await;
    let app = store.app().await;
    file(&app, &new_complaint()).await;
    let long = "x".repeat(256);
    for path in ["/v1/complaints", "/v1/reports/counts?by=status"] {
        let sep = if path.contains('?') { '&' } else { '?' };
        for field in ["product", "issue", "company", "assignee", "q"] {
            let uri = format!("{path}{sep}{field}=late%00fee");
            let (status, body) = send(&app, get(&uri)).await;
            assert_eq!(status, 422, "{uri}: {body}");
            assert_eq!(
                (
                    body["error"]["field"].as_str(),
                    body["error"]["code"].as_str()
                ),
                (Some(field), Some("control_characters")),
                "{uri}: {body}"
            );
        }
        for field in ["product", "issue", "company", "assignee"] {
            let uri = format!("{path}{sep}{field}={long}");
            let (status, body) = send(&app, get(&uri)).await;
            assert_eq!(
                (status, body["error"]["field"].as_str()),
                (422, Some(field)),
                "{uri}: {body}"
            );
        }
    }
    store.finish().await;
}

async fn a_language_tag_longer_than_its_column_is_refused(backend: Backend) {
    let store = TestStore::new(backend).await;
    let app = store.app().await;
    let mut body = new_complaint();
    // Well formed (primary tag, then subtags of 2 to 8), but 20 characters.
    body["language"] = json!("en-abcdefgh-abcdefgh");
    let (status, answer) = send(&app, post_json("/v1/complaints", &body)).await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(
        (
            answer["error"]["field"].as_str(),
            answer["error"]["code"].as_str()
        ),
        (Some("language"), Some("too_long"))
    );
    // Sixteen characters is the column's width and fits.
    body["language"] = json!("en-abcdefg-abcde");
    let (status, answer) = send(&app, post_json("/v1/complaints", &body)).await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["complaint"]["language"], "en-abcdefg-abcde");
    store.finish().await;
}

async fn received_at_before_1970_is_refused(backend: Backend) {
    let store = TestStore::new(backend).await;
    let app = store.app().await;
    for at in [
        "1969-12-31T23:59:59Z",
        "0999-01-01T00:00:00Z",
        "0001-01-01T00:00:00Z",
    ] {
        let mut body = new_complaint();
        body["received_at"] = json!(at);
        let (status, answer) = send(&app, post_json("/v1/complaints", &body)).await;
        assert_eq!(status, 422, "{at}: {answer}");
        assert_eq!(
            (
                answer["error"]["field"].as_str(),
                answer["error"]["code"].as_str()
            ),
            (Some("received_at"), Some("too_early")),
            "{at}"
        );
    }
    assert_eq!(store.complaint_rows().await, 0);
    let mut body = new_complaint();
    body["received_at"] = json!("1970-01-01T00:00:00Z");
    let (status, answer) = send(&app, post_json("/v1/complaints", &body)).await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["complaint"]["reference"], "RDR-1970-000001");
    store.finish().await;
}

/// Puts a value into one field of a filing.
type SetField = fn(&mut Value, &str);

/// Every free-text input of filing, PATCH, notes and transitions, carrying a NUL.
async fn nul_in_any_text_input_is_refused_by_name(backend: Backend) {
    let store = TestStore::new(backend).await;
    let app = store.app().await;
    let nul = "before\u{0}after";
    let filing_fields: [(&str, SetField); 14] = [
        ("product", |b, v| b["product"] = json!(v)),
        ("sub_product", |b, v| b["sub_product"] = json!(v)),
        ("issue", |b, v| b["issue"] = json!(v)),
        ("sub_issue", |b, v| b["sub_issue"] = json!(v)),
        ("narrative", |b, v| b["narrative"] = json!(v)),
        ("company", |b, v| b["company"] = json!(v)),
        ("consumer_state", |b, v| b["consumer_state"] = json!(v)),
        ("consumer_zip", |b, v| b["consumer_zip"] = json!(v)),
        ("assignee", |b, v| b["assignee"] = json!(v)),
        ("department", |b, v| b["department"] = json!(v)),
        ("tags[0]", |b, v| b["tags"] = json!([v])),
        ("customer.name", |b, v| b["customer"]["name"] = json!(v)),
        ("customer.phone", |b, v| b["customer"]["phone"] = json!(v)),
        ("customer.customer_number", |b, v| {
            b["customer"]["customer_number"] = json!(v)
        }),
    ];
    for (field, set) in filing_fields {
        let mut body = new_complaint();
        set(&mut body, nul);
        refused(&app, post_json("/v1/complaints", &body), field, field).await;
    }
    let mut body = new_complaint();
    body["language"] = json!("en\u{0}");
    refused(
        &app,
        post_json("/v1/complaints", &body),
        "language",
        "language",
    )
    .await;
    let mut body = new_complaint();
    body["customer_time_zone"] = json!("Europe/London\u{0}");
    refused(
        &app,
        post_json("/v1/complaints", &body),
        "customer_time_zone",
        "time zone",
    )
    .await;
    let mut body = new_complaint();
    body["customer"]["email"] = json!("jane\u{0}@example.com");
    refused(
        &app,
        post_json("/v1/complaints", &body),
        "customer.email",
        "e-mail",
    )
    .await;
    assert_eq!(store.complaint_rows().await, 0);

    let (id, _) = file(&app, &new_complaint()).await;
    let events = store.event_rows().await;
    let patch = |body: Value| {
        TestRequest::patch()
            .uri(&format!("/v1/complaints/{id}"))
            .set_json(body)
    };
    refused(&app, patch(json!({"assignee": nul})), "assignee", "PATCH").await;
    refused(
        &app,
        patch(json!({"department": nul})),
        "department",
        "PATCH",
    )
    .await;
    let notes = format!("/v1/complaints/{id}/notes");
    refused(
        &app,
        post_json(&notes, &json!({"body": nul})),
        "body",
        "note",
    )
    .await;
    let moves = format!("/v1/complaints/{id}/transitions");
    refused(
        &app,
        post_json(&moves, &json!({"to": "acknowledged", "reason": nul})),
        "reason",
        "transition",
    )
    .await;
    refused(
        &app,
        post_json(
            &moves,
            &json!({"to": "acknowledged", "public_message": nul}),
        ),
        "public_message",
        "transition",
    )
    .await;
    assert_eq!(store.event_rows().await, events);
    let (_, complaint) = send(&app, get(&format!("/v1/complaints/{id}"))).await;
    assert_eq!(
        (complaint["status"].as_str(), complaint["version"].as_i64()),
        (Some("received"), Some(1))
    );
    store.finish().await;
}

crate::on_both_backends!(
    date_filters_outside_the_stored_range_are_refused_by_name,
    text_filters_with_nul_or_overlong_are_refused_by_name,
    a_language_tag_longer_than_its_column_is_refused,
    received_at_before_1970_is_refused,
    nul_in_any_text_input_is_refused_by_name,
);
