//! The rules every error follows (docs/api.md, "Errors"): what cannot be read answers 400,
//! what reads but breaks a field's rule answers 422; `field` names the field at fault; no
//! message repeats what was sent, so a personal-looking value never comes back.

use actix_web::test::TestRequest;
use serde_json::{Value, json};

use crate::support::{Backend, TestStore, file, get, new_complaint, post_json, send};

/// A value that looks like personal data: a name and an e-mail address.
const PERSONAL: &str = "Jane Doe jane@example.com";
const PERSONAL_QUERY: &str = "Jane%20Doe%20jane%40example.com";

fn raw_json(method: &str, uri: &str, body: impl Into<Vec<u8>>) -> TestRequest {
    let req = match method {
        "PATCH" => TestRequest::patch(),
        _ => TestRequest::post(),
    };
    req.uri(uri)
        .insert_header(("content-type", "application/json"))
        .set_payload(body.into())
}

fn filing_with(change: impl FnOnce(&mut Value)) -> TestRequest {
    let mut body = new_complaint();
    change(&mut body);
    post_json("/v1/complaints", &body)
}

/// Files a complaint and moves it to in progress.
async fn in_progress<S, B>(app: &S, body: &Value) -> i64
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let (id, _) = file(app, body).await;
    for to in ["acknowledged", "in_progress"] {
        let (status, answer) = send(
            app,
            post_json(
                &format!("/v1/complaints/{id}/transitions"),
                &json!({"to": to}),
            ),
        )
        .await;
        assert_eq!(status, 200, "{answer}");
    }
    id
}

async fn no_error_repeats_a_personal_looking_value(backend: Backend) {
    let store = TestStore::new(backend).await;
    let app = store.app().await;
    let id = in_progress(&app, &new_complaint()).await;
    let (moves, clock, this) = (
        format!("/v1/complaints/{id}/transitions"),
        format!("/v1/complaints/{id}/clock"),
        format!("/v1/complaints/{id}"),
    );
    let p = PERSONAL;
    let mut cases: Vec<(String, TestRequest)> = Vec::new();
    for query in [
        format!("/v1/complaints?region={PERSONAL_QUERY}"),
        format!("/v1/complaints?status={PERSONAL_QUERY}"),
        format!("/v1/complaints?channel={PERSONAL_QUERY}"),
        format!("/v1/complaints?limit={PERSONAL_QUERY}"),
        format!("/v1/complaints?overdue={PERSONAL_QUERY}"),
        format!("/v1/complaints?received_from={PERSONAL_QUERY}"),
        format!("/v1/complaints?{PERSONAL_QUERY}=1"),
        format!("/v1/complaints?cursor={PERSONAL_QUERY}"),
        format!("/v1/reports/counts?by={PERSONAL_QUERY}"),
        format!("/v1/reports/counts?by=product&{PERSONAL_QUERY}=1"),
        format!("/v1/tasks?state={PERSONAL_QUERY}"),
        format!("/v1/deadlines?before={PERSONAL_QUERY}"),
        format!("/v1/complaints/{id}/events?after={PERSONAL_QUERY}"),
    ] {
        cases.push((query.clone(), get(&query)));
    }
    for (what, req) in [
        ("channel", filing_with(|b| b["channel"] = json!(p))),
        ("region", filing_with(|b| b["region"] = json!(p))),
        ("priority", filing_with(|b| b["priority"] = json!(p))),
        ("received_at", filing_with(|b| b["received_at"] = json!(p))),
        (
            "amount",
            filing_with(|b| b["amount_disputed"]["amount"] = json!(p)),
        ),
        (
            "currency",
            filing_with(|b| b["amount_disputed"]["currency"] = json!(p)),
        ),
        (
            "name as a list",
            filing_with(|b| b["customer"]["name"] = json!([p])),
        ),
        ("tags as text", filing_with(|b| b["tags"] = json!(p))),
        ("unknown field", filing_with(|b| b[p] = json!("x"))),
        (
            "unknown nested field",
            filing_with(|b| b["customer"][p] = json!("x")),
        ),
        ("to", post_json(&moves, &json!({"to": p}))),
        (
            "outcome",
            post_json(&moves, &json!({"to": "resolved", "outcome": p})),
        ),
        (
            "response category",
            post_json(
                &moves,
                &json!({"to": "resolved", "outcome": "upheld", "response_category": p}),
            ),
        ),
        (
            "expected version",
            post_json(&moves, &json!({"to": "resolved", "expected_version": p})),
        ),
        (
            "element code",
            post_json(
                &moves,
                &json!({"to": "resolved", "outcome": "upheld", "final_response_elements": [p]}),
            ),
        ),
        ("clock change", post_json(&clock, &json!({"change": p}))),
        (
            "clock reason",
            post_json(&clock, &json!({"change": "paused", "reason": p})),
        ),
        (
            "clock days",
            post_json(
                &clock,
                &json!({"change": "extended", "days": p, "notice_given": true}),
            ),
        ),
        (
            "clock field",
            post_json(&clock, &json!({"change": "resumed", p: 1})),
        ),
        (
            "priority",
            TestRequest::patch()
                .uri(&this)
                .set_json(json!({"priority": p})),
        ),
    ] {
        cases.push((what.to_owned(), req));
    }
    for (what, body) in [
        (
            "1e400",
            r#"{"to": "resolved", "outcome": "upheld", "redress_paid": {"amount": 1e400, "currency": "GBP"}}"#,
        ),
        (
            "a lone surrogate",
            r#"{"to": "resolved", "outcome": "upheld", "reason": "Jane \ud800 Doe"}"#,
        ),
        (
            "a value shaped like serde's words",
            r#"{"to": "x`, expected one of `Jane Doe"}"#,
        ),
    ] {
        cases.push((what.to_owned(), raw_json("POST", &moves, body)));
    }
    let events = store.event_rows().await;
    let mut echoed = Vec::new();
    for (what, req) in cases {
        let (status, body) = send(&app, req).await;
        let text = body.to_string().to_lowercase();
        if !(400..500).contains(&status)
            || body["error"]["message"].as_str().is_none_or(str::is_empty)
            || text.contains("jane")
            || text.contains("example.com")
            || text.contains("1e400")
            || text.contains("ud800")
        {
            echoed.push(format!("{what}: {status} {body}"));
        }
    }
    assert!(echoed.is_empty(), "{echoed:#?}");
    assert_eq!(store.event_rows().await, events);
    store.finish().await;
}

/// What is sent, the status, code and field expected.
type Case = (
    &'static str,
    TestRequest,
    u16,
    &'static str,
    Option<&'static str>,
);

async fn unreadable_input_is_400_and_readable_input_that_breaks_a_rule_is_422(backend: Backend) {
    let store = TestStore::new(backend).await;
    let app = store.app().await;
    let id = in_progress(&app, &new_complaint()).await;
    let moves = format!("/v1/complaints/{id}/transitions");
    let cases: Vec<Case> = vec![
        (
            "broken JSON",
            raw_json("POST", &moves, r#"{"to": "acknowledged""#),
            400,
            "invalid_json",
            None,
        ),
        (
            "a number where a name from a list belongs",
            raw_json("POST", &moves, r#"{"to": 5}"#),
            422,
            "invalid_value",
            Some("to"),
        ),
        (
            "a number too large to read",
            raw_json(
                "POST",
                &moves,
                r#"{"to": "resolved", "outcome": "upheld", "redress_paid": {"amount": 1e400, "currency": "GBP"}}"#,
            ),
            422,
            "out_of_range",
            Some("redress_paid.amount"),
        ),
        (
            "a \\u escape that is no character",
            raw_json(
                "POST",
                &moves,
                r#"{"to": "resolved", "outcome": "upheld", "reason": "\ud800"}"#,
            ),
            422,
            "invalid_value",
            Some("reason"),
        ),
        (
            "a missing field",
            raw_json("POST", &moves, r#"{"reason": "late"}"#),
            422,
            "required",
            Some("to"),
        ),
        (
            "the same field twice",
            raw_json("POST", &moves, r#"{"to": "resolved", "to": "closed"}"#),
            422,
            "duplicate_field",
            Some("to"),
        ),
        (
            "an unknown nested field, named by the object that holds it",
            filing_with(|b| b["customer"]["nickname"] = json!("JJ")),
            422,
            "unknown_field",
            Some("customer"),
        ),
        (
            "a parameter that is not UTF-8 once decoded",
            get("/v1/complaints?product=%FF"),
            400,
            "invalid_parameter",
            Some("product"),
        ),
        (
            "an unknown value in a query",
            get("/v1/complaints?status=lost"),
            422,
            "invalid_value",
            Some("status"),
        ),
    ];
    let mut wrong = Vec::new();
    for (what, req, status, code, field) in cases {
        let (got, body) = send(&app, req).await;
        let error = &body["error"];
        if (got, error["code"].as_str(), error["field"].as_str()) != (status, Some(code), field) {
            wrong.push(format!("{what}: {got} {body}"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");

    // A reused Idempotency-Key with another body is well-formed input that breaks the
    // key's rule: 422, as the IETF Idempotency-Key draft has it.
    let keyed =
        |body: &Value| post_json("/v1/complaints", body).insert_header(("Idempotency-Key", "k-1"));
    let (status, _) = send(&app, keyed(&new_complaint())).await;
    assert_eq!(status, 201);
    let mut other = new_complaint();
    other["product"] = json!("Mortgage");
    let (status, body) = send(&app, keyed(&other)).await;
    assert_eq!(
        (
            status,
            body["error"]["code"].as_str(),
            body["error"]["field"].as_str()
        ),
        (422, Some("idempotency_key_reused"), Some("Idempotency-Key")),
        "{body}"
    );
    store.finish().await;
}

async fn errors_name_the_field_at_fault(backend: Backend) {
    let store = TestStore::new(backend).await;
    let app = store.app().await;
    let id = in_progress(&app, &new_complaint()).await;
    let (moves, clock) = (
        format!("/v1/complaints/{id}/transitions"),
        format!("/v1/complaints/{id}/clock"),
    );
    let cases: Vec<Case> = vec![
        (
            "an unknown currency",
            filing_with(|b| b["amount_disputed"]["currency"] = json!("ZZZ")),
            422,
            "invalid_amount",
            Some("amount_disputed.currency"),
        ),
        (
            "an unknown currency of redress",
            post_json(
                &moves,
                &json!({"to": "resolved", "outcome": "upheld", "redress_paid": {"amount": "5.00", "currency": "ZZZ"}}),
            ),
            422,
            "invalid_amount",
            Some("redress_paid.currency"),
        ),
        (
            "a limit on counts",
            get("/v1/reports/counts?by=product&limit=1"),
            422,
            "not_applicable",
            Some("limit"),
        ),
        (
            "a cursor on counts",
            get("/v1/reports/counts?by=product&cursor=abc"),
            422,
            "not_applicable",
            Some("cursor"),
        ),
        (
            "a negative extension",
            post_json(
                &clock,
                &json!({"change": "extended", "days": -3, "notice_given": true}),
            ),
            422,
            "out_of_range",
            Some("days"),
        ),
        (
            "an extension past 60 days",
            post_json(
                &clock,
                &json!({"change": "extended", "days": 61, "notice_given": true}),
            ),
            422,
            "out_of_range",
            Some("days"),
        ),
        (
            "an extension without its notice",
            post_json(&clock, &json!({"change": "extended", "days": 10})),
            422,
            "required",
            Some("notice_given"),
        ),
        (
            "an unknown pause reason",
            post_json(&clock, &json!({"change": "paused", "reason": "bogus"})),
            422,
            "invalid_value",
            Some("reason"),
        ),
        (
            "a pause without a reason",
            post_json(&clock, &json!({"change": "paused"})),
            422,
            "required",
            Some("reason"),
        ),
        (
            "an unknown change",
            post_json(&clock, &json!({"change": "rewound"})),
            422,
            "invalid_value",
            Some("change"),
        ),
    ];
    let events = store.event_rows().await;
    let mut wrong = Vec::new();
    for (what, req, status, code, field) in cases {
        let (got, body) = send(&app, req).await;
        let error = &body["error"];
        if (got, error["code"].as_str(), error["field"].as_str()) != (status, Some(code), field) {
            wrong.push(format!("{what}: {got} {body}"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert_eq!(store.event_rows().await, events);
    store.finish().await;
}

async fn the_clock_refuses_fields_its_change_does_not_take(backend: Backend) {
    let store = TestStore::new(backend).await;
    let app = store.app().await;
    let id = in_progress(&app, &new_complaint()).await;
    let clock = format!("/v1/complaints/{id}/clock");
    let events = store.event_rows().await;
    for (body, code, field) in [
        (
            json!({"change": "resumed", "colour": "red"}),
            "unknown_field",
            None,
        ),
        (
            json!({"change": "new_facts", "days": 3}),
            "not_applicable",
            Some("days"),
        ),
        (
            json!({"change": "paused", "reason": "other", "notice_given": true}),
            "not_applicable",
            Some("notice_given"),
        ),
        (
            json!({"change": "extended", "days": 5, "notice_given": true, "reason": "other"}),
            "not_applicable",
            Some("reason"),
        ),
    ] {
        let (status, answer) = send(&app, post_json(&clock, &body)).await;
        assert_eq!(
            (
                status,
                answer["error"]["code"].as_str(),
                answer["error"]["field"].as_str()
            ),
            (422, Some(code), field),
            "{body} -> {answer}"
        );
    }
    assert_eq!(store.event_rows().await, events);
    // The documented shapes still go in.
    for body in [
        json!({"change": "paused", "reason": "awaiting_customer"}),
        json!({"change": "resumed"}),
        json!({"change": "extended", "days": 15, "notice_given": true}),
        json!({"change": "new_facts"}),
    ] {
        let (status, answer) = send(&app, post_json(&clock, &body)).await;
        assert_eq!(status, 200, "{body} -> {answer}");
    }
    assert_eq!(store.event_rows().await, events + 4);
    store.finish().await;
}

async fn query_parameters_are_read_by_the_same_rules(backend: Backend) {
    let store = TestStore::new(backend).await;
    let app = store.app().await;
    let (id, _) = file(&app, &new_complaint()).await;
    for (uri, status, code, field) in [
        // A search that holds no word would match everything: refused, blank or not.
        ("/v1/complaints?q=%20%20", 422, "no_words", Some("q")),
        ("/v1/complaints?q=", 422, "no_words", Some("q")),
        ("/v1/complaints?q=%28%29", 422, "no_words", Some("q")),
        (
            "/v1/complaints?q=%FF%FE",
            400,
            "invalid_parameter",
            Some("q"),
        ),
        (
            "/v1/complaints?product=%FF",
            400,
            "invalid_parameter",
            Some("product"),
        ),
        (
            "/v1/complaints?limit=-1",
            422,
            "out_of_range",
            Some("limit"),
        ),
        (
            "/v1/complaints?limit=99999999999999999999999",
            422,
            "out_of_range",
            Some("limit"),
        ),
        (
            "/v1/complaints?limit=ten",
            422,
            "invalid_value",
            Some("limit"),
        ),
        (
            "/v1/complaints?received_from=10000-01-01",
            422,
            "out_of_range",
            Some("received_from"),
        ),
        (
            "/v1/complaints?received_to=2020-02-30",
            422,
            "invalid_value",
            Some("received_to"),
        ),
        (
            "/v1/complaints?limit=5&limit=6",
            422,
            "duplicate_field",
            Some("limit"),
        ),
        ("/v1/complaints?colour=red", 422, "unknown_parameter", None),
        ("/v1/tasks?limit=-1", 422, "out_of_range", Some("limit")),
        ("/v1/deadlines?limit=-1", 422, "out_of_range", Some("limit")),
        (
            "/v1/escalations?limit=-1",
            422,
            "out_of_range",
            Some("limit"),
        ),
        (
            "/v1/audit/records?limit=-1",
            422,
            "out_of_range",
            Some("limit"),
        ),
        (
            "/v1/reports/counts?by=product&product=%FF",
            400,
            "invalid_parameter",
            Some("product"),
        ),
    ] {
        let (got, body) = send(&app, get(uri)).await;
        assert_eq!(
            (
                got,
                body["error"]["code"].as_str(),
                body["error"]["field"].as_str()
            ),
            (status, Some(code), field),
            "{uri}: {body}"
        );
    }
    let (got, body) = send(&app, get(&format!("/v1/complaints/{id}/events?limit=-1"))).await;
    assert_eq!(
        (
            got,
            body["error"]["code"].as_str(),
            body["error"]["field"].as_str()
        ),
        (422, Some("out_of_range"), Some("limit")),
        "{body}"
    );
    // A real word still searches.
    let (got, page) = send(&app, get("/v1/complaints?q=charged")).await;
    assert_eq!(got, 200, "{page}");
    assert_eq!(page["items"].as_array().map(Vec::len), Some(1), "{page}");
    store.finish().await;
}

async fn the_openapi_document_marks_optional_fields_optional(backend: Backend) {
    let store = TestStore::new(backend).await;
    let app = store.app().await;
    let (status, doc) = send(&app, get("/openapi.json")).await;
    assert_eq!(status, 200);
    let schemas = &doc["components"]["schemas"];
    let required = |name: &str| -> Vec<String> {
        schemas[name]["required"]
            .as_array()
            .unwrap_or_else(|| panic!("{name}: {}", schemas[name]))
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect()
    };
    assert_eq!(
        required("TaskAnswer"),
        ["answer"],
        "{}",
        schemas["TaskAnswer"]
    );
    assert_eq!(
        required("ClockRequest"),
        ["change"],
        "{}",
        schemas["ClockRequest"]
    );
    for (schema, field) in [("TaskView", "answer_data"), ("EventView", "data")] {
        assert!(
            !required(schema).iter().any(|f| f == field),
            "{schema}: {}",
            schemas[schema]
        );
    }
    let body = &doc["paths"]["/v1/complaints/{id}/clock"]["post"]["requestBody"];
    assert!(body.to_string().contains("ClockRequest"), "{body}");
    store.finish().await;
}

crate::on_both_backends!(
    no_error_repeats_a_personal_looking_value,
    unreadable_input_is_400_and_readable_input_that_breaks_a_rule_is_422,
    errors_name_the_field_at_fault,
    the_clock_refuses_fields_its_change_does_not_take,
    query_parameters_are_read_by_the_same_rules,
    the_openapi_document_marks_optional_fields_optional,
);
