//! Personal data after erasure and across domains: no new text for an erased complaint,
//! nothing of its tasks or retries left readable, erasure answered once, customers kept
//! apart per domain, narrative search only where narratives may be read.

use actix_web::test::TestRequest;
use chrono::{Duration, Utc};
use redress::store::entity::{complaint, complaint_event, idempotency_key, outbox, task};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::support::{Backend, TestStore, file, get, new_complaint, post_json, send};

fn transition(id: i64, body: Value) -> TestRequest {
    post_json(&format!("/v1/complaints/{id}/transitions"), &body)
}

fn bearer(token: &str) -> (&'static str, String) {
    ("Authorization", format!("Bearer {token}"))
}

fn track(reference: &str, token: &str) -> TestRequest {
    TestRequest::get()
        .uri(&format!("/v1/track/{reference}"))
        .insert_header(("X-Tracking-Token", token))
}

async fn events_of(store: &TestStore, id: i64) -> Vec<complaint_event::Model> {
    complaint_event::Entity::find()
        .filter(complaint_event::Column::ComplaintId.eq(id))
        .all(store.complaints.db())
        .await
        .unwrap()
}

async fn audit_rows(store: &TestStore) -> u64 {
    redress::store::entity::audit_record::Entity::find()
        .count(store.complaints.db())
        .await
        .unwrap()
}

async fn personal_text_is_refused_once_the_complaint_is_erased(backend: Backend) {
    let store = TestStore::new(backend).await;
    let app = store.app().await;

    // A withdrawn complaint can be erased at once; a note after that is refused.
    let (withdrawn, _) = file(&app, &new_complaint()).await;
    let (status, body) = send(&app, transition(withdrawn, json!({"to": "withdrawn"}))).await;
    assert_eq!(status, 200, "{body}");
    let erase = format!("/v1/complaints/{withdrawn}/erase");
    assert_eq!(send(&app, post_json(&erase, &json!({}))).await.0, 200);
    let before = events_of(&store, withdrawn).await.len();
    let (status, refused) = send(
        &app,
        post_json(
            &format!("/v1/complaints/{withdrawn}/notes"),
            &json!({"body": "Jane rang again from 07700 900123"}),
        ),
    )
    .await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["error"]["code"], "complaint_erased");
    assert_eq!(refused["error"]["field"], "body");
    assert!(!refused.to_string().contains("07700"));
    assert_eq!(events_of(&store, withdrawn).await.len(), before);

    // A closed complaint past its retention is erased, then reopened with a message for
    // the customer: the message is refused, since there is no key left to seal it.
    let (closed, _) = file(&app, &new_complaint()).await;
    for step in [
        json!({"to": "acknowledged"}),
        json!({"to": "in_progress"}),
        json!({"to": "resolved", "outcome": "upheld"}),
        json!({"to": "closed"}),
    ] {
        let (status, body) = send(&app, transition(closed, step)).await;
        assert_eq!(status, 200, "{body}");
    }
    complaint::Entity::update_many()
        .col_expr(
            complaint::Column::RetainUntil,
            Expr::value(Utc::now() - Duration::days(1)),
        )
        .filter(complaint::Column::Id.eq(closed))
        .exec(store.complaints.db())
        .await
        .unwrap();
    let (status, body) = send(
        &app,
        post_json(&format!("/v1/complaints/{closed}/erase"), &json!({})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, refused) = send(
        &app,
        transition(
            closed,
            json!({"to": "in_progress", "public_message": "Dear Jane, we are looking again."}),
        ),
    )
    .await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["error"]["code"], "complaint_erased");
    assert_eq!(refused["error"]["field"], "public_message");
    for e in events_of(&store, closed).await {
        assert!(
            !e.body.unwrap_or_default().contains("Dear Jane"),
            "the message was stored"
        );
    }
    store.finish().await;
}

async fn a_customer_number_belongs_to_one_domain(backend: Backend) {
    let store = TestStore::new(backend).await;
    let admin = store.app().await;
    let us_agent = store
        .token_for("agent-us-1", &[("agent", "default/US")])
        .await;
    let uk_agent = store
        .token_for("agent-uk-1", &[("agent", "default/UK")])
        .await;
    let as_agent =
        |token: &str, body: &Value| post_json("/v1/complaints", body).insert_header(bearer(token));

    let mut us = new_complaint();
    us["region"] = json!("US");
    us["customer_time_zone"] = json!("America/Chicago");
    us["amount_disputed"] = json!({"amount": "125.50", "currency": "USD"});
    us["customer"] = json!({
        "name": "Ana Usuaria",
        "email": "ana@example.com",
        "phone": "+1 312 555 0142",
        "customer_number": "CUST-4242"
    });
    let (status, us_filed) = send(&admin, as_agent(&us_agent, &us)).await;
    assert_eq!(status, 201, "{us_filed}");
    let us_customer = us_filed["complaint"]["customer"]["id"].as_i64().unwrap();

    // The UK agent files with the same number: a customer of their own domain, told
    // nothing of the US one.
    let mut uk = new_complaint();
    uk["customer"] = json!({"name": "Bo Briton", "customer_number": "CUST-4242"});
    let (status, uk_filed) = send(&admin, as_agent(&uk_agent, &uk)).await;
    assert_eq!(status, 201, "{uk_filed}");
    let uk_customer = &uk_filed["complaint"]["customer"];
    assert_ne!(uk_customer["id"].as_i64().unwrap(), us_customer);
    assert_eq!(uk_customer["name"], "Bo Briton");
    let text = uk_filed.to_string();
    for us_value in ["Ana", "ana@example.com", "555 0142"] {
        assert!(!text.contains(us_value), "{us_value} crossed: {text}");
    }

    // Within the US domain the number still finds its customer.
    let (status, again) = send(&admin, as_agent(&us_agent, &us)).await;
    assert_eq!(status, 201, "{again}");
    assert_eq!(again["complaint"]["customer"]["id"], us_customer);

    // Each customer holds only their own domain's complaints.
    let (_, export) = send(&admin, get(&format!("/v1/customers/{us_customer}/export"))).await;
    let regions: Vec<&str> = export["complaints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["complaint"]["region"].as_str().unwrap())
        .collect();
    assert_eq!(regions, ["US", "US"]);
    assert!(!export.to_string().contains("Bo Briton"));
    store.finish().await;
}

async fn narratives_are_searched_only_where_they_may_be_read(backend: Backend) {
    let store = TestStore::new(backend).await;
    let admin = store.app().await;
    let mut us = new_complaint();
    us["region"] = json!("US");
    us["customer_time_zone"] = json!("America/Chicago");
    us["amount_disputed"] = json!({"amount": "125.50", "currency": "USD"});
    let (uk_id, _) = file(&admin, &new_complaint()).await;
    let (us_id, _) = file(&admin, &us).await;

    // An auditor sees narratives masked, so may not ask whether a word is in one.
    let auditor = store
        .token_for("auditor-1", &[("auditor", "default/*")])
        .await;
    let auditor = store.app_with(Some(auditor)).await;
    for path in [
        "/v1/complaints?q=jane",
        "/v1/complaints?q=charged",
        "/v1/reports/counts?by=product&q=charged",
    ] {
        let (status, refused) = send(&auditor, get(path)).await;
        assert_eq!(status, 403, "{path}: {refused}");
        assert_eq!(refused["error"]["field"], "q", "{path}");
    }
    let (status, all) = send(&auditor, get("/v1/complaints")).await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(all["items"].as_array().unwrap().len(), 2);

    // Someone who reads the UK's personal data and audits the US searches the UK only.
    let mixed = store
        .token_for(
            "mixed-1",
            &[("supervisor", "default/UK"), ("auditor", "default/US")],
        )
        .await;
    let mixed = store.app_with(Some(mixed)).await;
    let (_, listed) = send(&mixed, get("/v1/complaints")).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 2, "{listed}");
    let (status, found) = send(&mixed, get("/v1/complaints?q=charged")).await;
    assert_eq!(status, 200, "{found}");
    let ids: Vec<i64> = found["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [uk_id]);
    let (_, counts) = send(&mixed, get("/v1/reports/counts?by=region&q=charged")).await;
    assert_eq!(counts, json!([{"key": "UK", "count": 1}]));
    // The administrator reads everything and finds both.
    let (_, both) = send(&admin, get("/v1/complaints?q=charged")).await;
    assert_eq!(both["items"].as_array().unwrap().len(), 2);
    assert!(both.to_string().contains(&us_id.to_string()));
    store.finish().await;
}

async fn policy_lines_that_can_never_apply_are_refused(backend: Backend) {
    let store = TestStore::new(backend).await;
    let app = store.app().await;
    let lines_before = store.auth.policy.lines().await.unwrap().len();
    let add = |values: Value, ptype: &str| {
        post_json(
            "/v1/admin/policies",
            &json!({"ptype": ptype, "values": values}),
        )
    };
    for (ptype, values, field, code) in [
        (
            "g",
            json!(["rita", "agnet", "default/UK"]),
            "values[1]",
            "unknown_role",
        ),
        (
            "g",
            json!(["rita", "agent", "DEFAULT/uk"]),
            "values[2]",
            "invalid_domain",
        ),
        (
            "g",
            json!(["rita", "agent", "default/uk"]),
            "values[2]",
            "invalid_domain",
        ),
        (
            "g",
            json!(["rita", "agent", "default/XX"]),
            "values[2]",
            "invalid_domain",
        ),
        (
            "g",
            json!(["rita", "agent", "Acme/*"]),
            "values[2]",
            "invalid_domain",
        ),
        (
            "p",
            json!(["reviewer", "default/XX", "complaint", "read"]),
            "values[1]",
            "invalid_domain",
        ),
    ] {
        let (status, refused) = send(&app, add(values.clone(), ptype)).await;
        assert_eq!(status, 422, "{values}: {refused}");
        assert_eq!(refused["error"]["field"], field, "{values}");
        assert_eq!(refused["error"]["code"], code, "{values}");
    }
    assert_eq!(store.auth.policy.lines().await.unwrap().len(), lines_before);

    // A p line may define a new role; once defined it can be granted, and it works.
    let (status, body) = send(
        &app,
        add(json!(["reviewer", "default/UK", "complaint", "read"]), "p"),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = send(&app, add(json!(["rita", "reviewer", "default/UK"]), "g")).await;
    assert_eq!(status, 201, "{body}");
    let (id, _) = file(&app, &new_complaint()).await;
    let rita = store.token_for("rita", &[]).await;
    let rita = store.app_with(Some(rita)).await;
    let (status, seen) = send(&rita, get(&format!("/v1/complaints/{id}"))).await;
    assert_eq!(status, 200, "{seen}");
    assert_eq!(seen["personal_data"], "masked");
    store.finish().await;
}

async fn no_token_is_issued_for_the_names_redress_writes_itself(backend: Backend) {
    let store = TestStore::new(backend).await;
    let app = store.app().await;
    let (_, before) = send(&app, get("/v1/admin/tokens")).await;
    for subject in ["system", "rules", "import", "cli", "System", "IMPORT"] {
        let (status, refused) = send(
            &app,
            post_json("/v1/admin/tokens", &json!({"subject": subject})),
        )
        .await;
        assert_eq!(status, 422, "{subject}: {refused}");
        assert_eq!(refused["error"]["field"], "subject");
        assert_eq!(refused["error"]["code"], "reserved_subject");
    }
    let (_, after) = send(&app, get("/v1/admin/tokens")).await;
    assert_eq!(after, before);
    // The names are what Redress writes: a filing rule's task, an import.
    let (status, ok) = send(
        &app,
        post_json("/v1/admin/tokens", &json!({"subject": "system-owner"})),
    )
    .await;
    assert_eq!(status, 201, "{ok}");
    store.finish().await;
}

async fn erasing_twice_answers_the_first_erasure(backend: Backend) {
    let store = TestStore::new(backend).await;
    let app = store.app().await;

    let (id, _) = file(&app, &new_complaint()).await;
    send(&app, transition(id, json!({"to": "withdrawn"}))).await;
    let erase = format!("/v1/complaints/{id}/erase");
    let (status, first) = send(&app, post_json(&erase, &json!({}))).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["data_keys_destroyed"], 1);
    let (_, view) = send(&app, get(&format!("/v1/complaints/{id}"))).await;
    let events = events_of(&store, id).await.len();
    let records = audit_rows(&store).await;
    let (status, second) = send(&app, post_json(&erase, &json!({}))).await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(second, first);
    assert_eq!(events_of(&store, id).await.len(), events);
    assert_eq!(audit_rows(&store).await, records);
    let (_, again) = send(&app, get(&format!("/v1/complaints/{id}"))).await;
    assert_eq!(again["erased_at"], view["erased_at"]);

    // A customer: the same, and one of their complaints erased alone answers with the
    // customer's erasure that took its data.
    let mut body = new_complaint();
    body["customer"]["customer_number"] = json!("CUST-77001");
    let (a, _) = file(&app, &body).await;
    let (b, _) = file(&app, &body).await;
    for c in [a, b] {
        send(&app, transition(c, json!({"to": "withdrawn"}))).await;
    }
    let (_, view) = send(&app, get(&format!("/v1/complaints/{a}"))).await;
    let customer = view["customer"]["id"].as_i64().unwrap();
    let erase = format!("/v1/customers/{customer}/erase");
    let (status, first) = send(&app, post_json(&erase, &json!({}))).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["data_keys_destroyed"], 3);
    assert_eq!(first["complaints"], json!([a, b]));
    let records = audit_rows(&store).await;
    let (status, second) = send(&app, post_json(&erase, &json!({}))).await;
    assert_eq!((status, &second), (200, &first));
    let (status, of_one) = send(
        &app,
        post_json(&format!("/v1/complaints/{b}/erase"), &json!({})),
    )
    .await;
    assert_eq!((status, &of_one), (200, &first));
    assert_eq!(audit_rows(&store).await, records);
    let erased_events = complaint_event::Entity::find()
        .filter(complaint_event::Column::Kind.eq("erased"))
        .count(store.complaints.db())
        .await
        .unwrap();
    assert_eq!(erased_events, 3);
    store.finish().await;
}

async fn tracking_tokens_kept_for_retries_are_sealed_and_go_at_erasure(backend: Backend) {
    let store = TestStore::new(backend).await;
    let app = store.app().await;
    let filing = || {
        post_json("/v1/complaints", &new_complaint())
            .insert_header(("Idempotency-Key", "retry-91c2"))
    };
    let (status, filed) = send(&app, filing()).await;
    assert_eq!(status, 201, "{filed}");
    let id = filed["complaint"]["id"].as_i64().unwrap();
    let token = filed["tracking_token"].as_str().unwrap().to_owned();
    let reference = filed["complaint"]["reference"].as_str().unwrap().to_owned();
    let kept = |store: &TestStore| {
        let db = store.complaints.db().clone();
        async move {
            idempotency_key::Entity::find()
                .filter(idempotency_key::Column::ComplaintId.eq(id))
                .all(&db)
                .await
                .unwrap()
        }
    };
    let rows = kept(&store).await;
    assert_eq!(rows.len(), 1);
    let stored = rows[0].tracking_token.clone().unwrap();
    assert!(stored.starts_with("v1:"), "{stored}");
    assert!(!stored.contains(&token));
    // A retry still gets the token in the clear.
    let (status, retried) = send(&app, filing()).await;
    assert_eq!(status, 200, "{retried}");
    assert_eq!(retried["tracking_token"], token);
    assert_eq!(retried["complaint"]["id"], id);

    // A public message, seen on the tracking view until erasure.
    let (status, note) = send(
        &app,
        post_json(
            &format!("/v1/complaints/{id}/notes"),
            &json!({"body": "Dear Jane, we have withdrawn this at your request.", "public": true}),
        ),
    )
    .await;
    assert_eq!(status, 201, "{note}");
    send(&app, transition(id, json!({"to": "withdrawn"}))).await;
    let (status, seen) = send(&app, track(&reference, &token)).await;
    assert_eq!(status, 200, "{seen}");
    assert_eq!(seen["messages"].as_array().unwrap().len(), 1);
    let (status, body) = send(
        &app,
        post_json(&format!("/v1/complaints/{id}/erase"), &json!({})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(kept(&store).await.is_empty());
    // After erasure the token still opens the view: status and dates, no messages.
    let (status, after) = send(&app, track(&reference, &token)).await;
    assert_eq!(status, 200, "{after}");
    assert_eq!(after["status"], "withdrawn");
    assert_eq!(after["reference"], reference.as_str());
    assert_eq!(after["messages"], json!([]));
    store.finish().await;
}

async fn task_text_is_destroyed_at_erasure(backend: Backend) {
    let store = TestStore::new(backend).await;
    let app = store.app().await;
    let (id, _) = file(&app, &new_complaint()).await;
    for to in ["acknowledged", "in_progress"] {
        send(&app, transition(id, json!({"to": to}))).await;
    }
    let ask = |department: &str, question: &str| {
        post_json(
            &format!("/v1/complaints/{id}/tasks"),
            &json!({"department": department, "question": question}),
        )
    };
    let (status, fraud) = send(
        &app,
        ask("fraud", "Did Jane Q. Customer report card 4417 stolen?"),
    )
    .await;
    assert_eq!(status, 201, "{fraud}");
    let (status, legal) = send(
        &app,
        ask("legal", "May we write to Jane at her home address?"),
    )
    .await;
    assert_eq!(status, 201, "{legal}");
    let (status, answered) = send(
        &app,
        post_json(
            &format!("/v1/tasks/{}/answer", fraud["id"]),
            &json!({"answer": "Jane reported card 4417 stolen on 3 March.", "data": {"police_ref": "MET-55120"}}),
        ),
    )
    .await;
    assert_eq!(status, 200, "{answered}");
    // The history copies are sealed, yet read in the clear by those entitled.
    let history = events_of(&store, id).await;
    for e in history.iter().filter(|e| e.kind.starts_with("task_")) {
        let body = e.body.clone().unwrap();
        assert!(body.starts_with("v1:") && !body.contains("Jane"), "{body}");
    }
    let (_, events) = send(&app, get(&format!("/v1/complaints/{id}/events"))).await;
    assert!(
        events.to_string().contains("card 4417 stolen on 3 March"),
        "{events}"
    );

    send(&app, transition(id, json!({"to": "withdrawn"}))).await;
    let (status, body) = send(
        &app,
        post_json(&format!("/v1/complaints/{id}/erase"), &json!({})),
    )
    .await;
    assert_eq!(status, 200, "{body}");

    let db = store.complaints.db();
    let tasks = task::Entity::find()
        .filter(task::Column::ComplaintId.eq(id))
        .all(db)
        .await
        .unwrap();
    assert_eq!(tasks.len(), 2);
    for t in &tasks {
        assert_eq!(t.question, "");
        assert_eq!(t.answer, None);
        assert_eq!(t.answer_data, None);
    }
    let waiting = tasks.iter().find(|t| t.department == "legal").unwrap();
    assert_eq!(waiting.state, "cancelled");
    let task_messages = outbox::Entity::find()
        .filter(outbox::Column::ComplaintId.eq(id))
        .filter(outbox::Column::MsgId.starts_with("task-"))
        .count(db)
        .await
        .unwrap();
    assert_eq!(task_messages, 0);
    let (_, events) = send(&app, get(&format!("/v1/complaints/{id}/events"))).await;
    let text = events.to_string();
    assert!(!text.contains("Jane") && !text.contains("4417"), "{text}");
    let (_, listed) = send(&app, get(&format!("/v1/complaints/{id}/tasks"))).await;
    assert!(!listed.to_string().contains("Jane"), "{listed}");
    // A late answer to the cancelled task is refused and stores nothing.
    let (status, late) = send(
        &app,
        post_json(
            &format!("/v1/tasks/{}/answer", legal["id"]),
            &json!({"answer": "Yes, Jane lives at 10 Acacia Avenue."}),
        ),
    )
    .await;
    assert_eq!(status, 409, "{late}");
    for e in events_of(&store, id).await {
        assert!(!e.body.unwrap_or_default().contains("Acacia"));
    }
    store.finish().await;
}

async fn an_unknown_customer_is_no_such_customer(backend: Backend) {
    let store = TestStore::new(backend).await;
    let app = store.app().await;
    let mut us = new_complaint();
    us["region"] = json!("US");
    us["customer_time_zone"] = json!("America/Chicago");
    us["amount_disputed"] = json!({"amount": "125.50", "currency": "USD"});
    let (id, _) = file(&app, &us).await;
    let (_, view) = send(&app, get(&format!("/v1/complaints/{id}"))).await;
    let us_customer = view["customer"]["id"].as_i64().unwrap();
    let officer = store
        .token_for("officer-uk", &[("compliance_officer", "default/UK")])
        .await;
    let officer = store.app_with(Some(officer)).await;

    let missing = send(&officer, get("/v1/customers/987654/export")).await;
    assert_eq!(missing.0, 404);
    assert_eq!(missing.1["error"]["message"], "no such customer");
    // Another domain's customer and a malformed id answer exactly the same.
    let other = send(
        &officer,
        get(&format!("/v1/customers/{us_customer}/export")),
    )
    .await;
    assert_eq!(other, missing);
    assert_eq!(
        send(&officer, get("/v1/customers/x1/export")).await,
        missing
    );
    let erase = send(
        &officer,
        post_json(&format!("/v1/customers/{us_customer}/erase"), &json!({})),
    )
    .await;
    assert_eq!(erase, missing);
    store.finish().await;
}

crate::on_both_backends!(
    personal_text_is_refused_once_the_complaint_is_erased,
    a_customer_number_belongs_to_one_domain,
    narratives_are_searched_only_where_they_may_be_read,
    policy_lines_that_can_never_apply_are_refused,
    no_token_is_issued_for_the_names_redress_writes_itself,
    erasing_twice_answers_the_first_erasure,
    tracking_tokens_kept_for_retries_are_sealed_and_go_at_erasure,
    task_text_is_destroyed_at_erasure,
    an_unknown_customer_is_no_such_customer,
);
