//! Every kind of bad input gets a 4xx with `{"error": {"code", "message", "field"}}` and
//! writes nothing.

use actix_web::test::TestRequest;
use serde_json::{Value, json};

use crate::support::{Backend, TestStore, new_complaint, send};

fn raw(body: impl Into<Vec<u8>>) -> TestRequest {
    TestRequest::post()
        .uri("/v1/complaints")
        .insert_header(("content-type", "application/json"))
        .set_payload(body.into())
}

fn with(change: impl FnOnce(&mut Value)) -> TestRequest {
    let mut body = new_complaint();
    change(&mut body);
    raw(serde_json::to_vec(&body).unwrap())
}

async fn bad_filings_are_refused_with_the_field_named(backend: Backend) {
    let store = TestStore::new(backend).await;
    let app = store.app().await;
    let cases: Vec<(&str, TestRequest, u16, &str, Option<&str>)> = vec![
        (
            "malformed JSON",
            raw(&b"{\"channel\": \"web\","[..]),
            400,
            "invalid_json",
            None,
        ),
        (
            "not an object",
            raw(&b"[1, 2]"[..]),
            400,
            "invalid_json",
            None,
        ),
        (
            "wrong type",
            with(|b| b["product"] = json!(42)),
            422,
            "invalid_value",
            Some("product"),
        ),
        (
            "nested wrong type",
            with(|b| b["customer"]["email"] = json!(["a"])),
            422,
            "invalid_value",
            Some("customer.email"),
        ),
        (
            "unknown enum value",
            with(|b| b["channel"] = json!("carrier_pigeon")),
            422,
            "invalid_value",
            Some("channel"),
        ),
        (
            "unknown region",
            with(|b| b["region"] = json!("XX")),
            422,
            "invalid_value",
            Some("region"),
        ),
        (
            "unknown field",
            with(|b| b["favourite_colour"] = json!("red")),
            422,
            "unknown_field",
            None,
        ),
        (
            "missing required field",
            with(|b| {
                b.as_object_mut().unwrap().remove("issue");
            }),
            422,
            "required",
            Some("issue"),
        ),
        (
            "blank required field",
            with(|b| b["product"] = json!("   ")),
            422,
            "required",
            Some("product"),
        ),
        (
            "invalid UTF-8",
            raw(&b"{\"product\": \"caf\xe9\"}"[..]),
            400,
            "invalid_utf8",
            None,
        ),
        (
            "future date",
            with(|b| b["received_at"] = json!("2099-01-01T00:00:00Z")),
            422,
            "in_future",
            Some("received_at"),
        ),
        (
            "negative amount",
            with(|b| b["amount_disputed"]["amount"] = json!("-0.01")),
            422,
            "invalid_amount",
            Some("amount_disputed.amount"),
        ),
        (
            "unknown currency",
            with(|b| b["amount_disputed"]["currency"] = json!("ZZZ")),
            422,
            "invalid_amount",
            Some("amount_disputed.currency"),
        ),
        (
            "the code for no currency",
            with(|b| b["amount_disputed"]["currency"] = json!("XXX")),
            422,
            "invalid_amount",
            Some("amount_disputed.currency"),
        ),
        (
            "too many decimals",
            with(|b| b["amount_disputed"]["amount"] = json!("1.001")),
            422,
            "invalid_amount",
            Some("amount_disputed.amount"),
        ),
        (
            "an amount in exponent form",
            with(|b| b["amount_disputed"]["amount"] = json!("1e10")),
            422,
            "invalid_value",
            Some("amount_disputed.amount"),
        ),
        (
            "an empty customer",
            with(|b| b["customer"] = json!({})),
            422,
            "required",
            Some("customer"),
        ),
        (
            "bad e-mail",
            with(|b| b["customer"]["email"] = json!("not an address")),
            422,
            "invalid_email",
            Some("customer.email"),
        ),
        (
            "a phone number with letters",
            with(|b| b["customer"]["phone"] = json!("call my mother")),
            422,
            "invalid_phone",
            Some("customer.phone"),
        ),
        (
            "a phone number too short to dial",
            with(|b| b["customer"]["phone"] = json!("12-34")),
            422,
            "invalid_phone",
            Some("customer.phone"),
        ),
        (
            "a state that does not exist",
            with(|b| b["consumer_state"] = json!("ZZ")),
            422,
            "invalid_state",
            Some("consumer_state"),
        ),
        (
            "a state written out",
            with(|b| b["consumer_state"] = json!("California")),
            422,
            "invalid_state",
            Some("consumer_state"),
        ),
        (
            "bad time zone",
            with(|b| b["customer_time_zone"] = json!("Mars/Olympus_Mons")),
            422,
            "unknown_time_zone",
            Some("customer_time_zone"),
        ),
        (
            "bad language",
            with(|b| b["language"] = json!("english please")),
            422,
            "invalid_language",
            Some("language"),
        ),
        (
            "bad date",
            with(|b| b["received_at"] = json!("yesterday")),
            422,
            "invalid_value",
            Some("received_at"),
        ),
        (
            "overlong narrative",
            with(|b| b["narrative"] = json!("x".repeat(50_001))),
            422,
            "too_long",
            Some("narrative"),
        ),
        (
            "control characters",
            with(|b| b["product"] = json!("Mort\u{0}gage")),
            422,
            "control_characters",
            Some("product"),
        ),
        (
            "body over the limit",
            raw(vec![b' '; 1024 * 1024 + 1]),
            413,
            "body_too_large",
            None,
        ),
        (
            "not JSON at all",
            TestRequest::post()
                .uri("/v1/complaints")
                .insert_header(("content-type", "text/plain"))
                .set_payload("hello"),
            415,
            "unsupported_media_type",
            None,
        ),
    ];
    for (what, req, status, code, field) in cases {
        let (got, body) = send(&app, req).await;
        assert_eq!(got, status, "{what}: {body}");
        assert_eq!(body["error"]["code"], code, "{what}: {body}");
        assert_eq!(body["error"]["field"].as_str(), field, "{what}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{what}"
        );
    }
    assert_eq!(store.complaint_rows().await, 0);
    assert_eq!(store.event_rows().await, 0);
    store.finish().await;
}

async fn error_messages_never_echo_personal_data(backend: Backend) {
    let store = TestStore::new(backend).await;
    let app = store.app().await;
    for req in [
        with(|b| b["customer"]["name"] = json!(["Jane Q. Customer"])),
        with(|b| b["channel"] = json!("Jane Q. Customer")),
        with(|b| b["amount_disputed"]["amount"] = json!("Jane Q. Customer")),
    ] {
        let (status, body) = send(&app, req).await;
        assert_eq!(status, 422, "{body}");
        assert!(!body.to_string().contains("Jane"), "{body}");
    }
    store.finish().await;
}

async fn bad_queries_and_paths_are_refused(backend: Backend) {
    let store = TestStore::new(backend).await;
    let app = store.app().await;
    for (uri, status, field) in [
        ("/v1/complaints?limit=0", 422, Some("limit")),
        ("/v1/complaints?limit=lots", 422, Some("limit")),
        ("/v1/complaints?status=lost", 422, Some("status")),
        (
            "/v1/complaints?received_from=2020-13-01",
            422,
            Some("received_from"),
        ),
        (
            "/v1/complaints?received_from=2020-02-01&received_to=2020-01-01",
            422,
            Some("received_from"),
        ),
        ("/v1/complaints?cursor=%21%21", 422, Some("cursor")),
        ("/v1/complaints?q=%28%29%2A", 422, Some("q")),
        // An unknown parameter is not named: its name is the client's own text.
        ("/v1/complaints?colour=red", 422, None),
        ("/v1/reports/counts", 422, Some("by")),
        ("/v1/reports/counts?by=shoe_size", 422, Some("by")),
        ("/v1/tasks?after=-1", 422, Some("after")),
        ("/v1/audit/records?after=-1", 422, Some("after")),
        // A route that reads no query parameter refuses them all, not naming them.
        ("/v1/complaints/1?x=1", 422, None),
        ("/v1/admin/tokens?subject=anyone", 422, None),
        ("/v1/complaints/not-an-id", 404, None),
        ("/v1/complaints/999999", 404, None),
        ("/v1/nowhere", 404, None),
    ] {
        let (got, body) = send(&app, actix_web::test::TestRequest::get().uri(uri)).await;
        assert_eq!(got, status, "{uri}: {body}");
        assert_eq!(body["error"]["field"].as_str(), field, "{uri}: {body}");
    }
    // HEAD stands for GET: the same checks, so the same refusals.
    let (got, body) = send(
        &app,
        actix_web::test::TestRequest::default()
            .method(actix_web::http::Method::HEAD)
            .uri("/v1/complaints?limit=0"),
    )
    .await;
    assert_eq!((got, body["error"]["field"].as_str()), (422, Some("limit")));
    let (got, _) = send(
        &app,
        actix_web::test::TestRequest::default()
            .method(actix_web::http::Method::HEAD)
            .uri("/v1/complaints"),
    )
    .await;
    assert_eq!(got, 200);
    let (got, body) = send(
        &app,
        actix_web::test::TestRequest::delete().uri("/v1/complaints"),
    )
    .await;
    assert_eq!(
        (got, body["error"]["code"].as_str()),
        (405, Some("method_not_allowed")),
        "{body}"
    );
    store.finish().await;
}

crate::on_both_backends!(
    bad_filings_are_refused_with_the_field_named,
    error_messages_never_echo_personal_data,
    bad_queries_and_paths_are_refused,
);
