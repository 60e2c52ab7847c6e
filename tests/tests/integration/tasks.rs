//! Tasks through the API: asking a department, the complaint waiting on it, answers,
//! cancellations, the filing rules, overdue escalation and refusals.

use serde_json::{Value, json};

use crate::support::{Backend, TestStore, file, get, new_complaint, post_json, send};

/// Files a complaint and moves it to in progress.
async fn in_progress<S, B>(app: &S) -> i64
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let (id, _) = file(app, &new_complaint()).await;
    for to in ["acknowledged", "in_progress"] {
        let (status, body) = send(
            app,
            post_json(
                &format!("/v1/complaints/{id}/transitions"),
                &json!({"to": to}),
            ),
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }
    id
}

fn kinds(events: &Value) -> Vec<String> {
    events
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["kind"].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn a_complaint_waits_on_the_department_until_its_tasks_are_done(backend: Backend) {
    let store = TestStore::new(backend).await;
    let app = store.app().await;
    let id = in_progress(&app).await;
    // Real people with their own roles: an agent of the UK business asks, a fraud
    // analyst (a department handler working for fraud) claims and answers.
    let agent = store.token_for("agent-7", &[("agent", "default/UK")]).await;
    let analyst = store
        .token_for("fraud-analyst-2", &[("department_handler", "default/UK")])
        .await;
    store.grant(&["g2", "fraud-analyst-2", "fraud"]).await;
    let bearer = |token: &str| ("Authorization", format!("Bearer {token}"));

    let ask = |department: &str| {
        post_json(
            &format!("/v1/complaints/{id}/tasks"),
            &json!({"department": department, "question": "Was the second charge authorised?", "due_in_hours": 48}),
        )
        .insert_header(bearer(&agent))
    };
    let (status, fraud) = send(&app, ask("fraud")).await;
    assert_eq!(status, 201, "{fraud}");
    assert_eq!(fraud["state"], "open");
    assert_eq!(fraud["department"], "fraud");
    assert_eq!(fraud["region"], "UK");
    assert_eq!(fraud["created_by"], "agent-7");
    let (_, complaint) = send(&app, get(&format!("/v1/complaints/{id}"))).await;
    assert_eq!(complaint["status"], "waiting_on_department");

    // A second task while waiting: the complaint stays where it is.
    let (status, ops) = send(&app, ask("operations")).await;
    assert_eq!(status, 201, "{ops}");
    let (_, listed) = send(&app, get(&format!("/v1/complaints/{id}/tasks"))).await;
    assert_eq!(listed.as_array().unwrap().len(), 2);
    let (_, page) = send(&app, get("/v1/tasks?department=fraud&state=open")).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0]["id"], fraud["id"]);

    let fraud_id = fraud["id"].as_i64().unwrap();
    let ops_id = ops["id"].as_i64().unwrap();
    let (status, claimed) = send(
        &app,
        post_json(&format!("/v1/tasks/{fraud_id}/claim"), &json!({}))
            .insert_header(bearer(&analyst)),
    )
    .await;
    assert_eq!(status, 200, "{claimed}");
    assert_eq!(claimed["state"], "claimed");
    assert_eq!(claimed["claimed_by"], "fraud-analyst-2");
    let (status, again) = send(
        &app,
        post_json(&format!("/v1/tasks/{fraud_id}/claim"), &json!({})),
    )
    .await;
    assert_eq!(status, 409, "{again}");
    assert_eq!(again["error"]["code"], "task_state");

    let (status, answered) = send(
        &app,
        post_json(
            &format!("/v1/tasks/{fraud_id}/answer"),
            &json!({"answer": "Not authorised: the card was cloned.", "data": {"verdict": "fraud", "score": 0.97}}),
        )
        .insert_header(bearer(&analyst)),
    )
    .await;
    assert_eq!(status, 200, "{answered}");
    assert_eq!(answered["state"], "answered");
    assert_eq!(answered["answer_data"]["verdict"], "fraud");
    // One task still waits: so does the complaint.
    let (_, complaint) = send(&app, get(&format!("/v1/complaints/{id}"))).await;
    assert_eq!(complaint["status"], "waiting_on_department");

    let (status, twice) = send(
        &app,
        post_json(
            &format!("/v1/tasks/{fraud_id}/answer"),
            &json!({"answer": "A second opinion"}),
        ),
    )
    .await;
    assert_eq!(status, 409, "{twice}");

    let (status, cancelled) = send(
        &app,
        post_json(
            &format!("/v1/tasks/{ops_id}/cancel"),
            &json!({"reason": "fraud's answer settles it"}),
        ),
    )
    .await;
    assert_eq!(status, 200, "{cancelled}");
    assert_eq!(cancelled["state"], "cancelled");
    let (_, complaint) = send(&app, get(&format!("/v1/complaints/{id}"))).await;
    assert_eq!(complaint["status"], "in_progress");

    let (_, events) = send(&app, get(&format!("/v1/complaints/{id}/events"))).await;
    assert_eq!(
        kinds(&events)[3..],
        [
            "task_created",
            "transition",
            "task_created",
            "task_claimed",
            "task_answered",
            "task_cancelled",
            "transition"
        ]
    );
    let back = &events[9];
    assert_eq!(back["from_status"], "waiting_on_department");
    assert_eq!(back["to_status"], "in_progress");
    assert_eq!(back["actor"], "system");
    store.finish().await;
}

async fn bad_task_requests_are_refused_and_write_nothing(backend: Backend) {
    let store = TestStore::new(backend).await;
    let app = store.app().await;
    let id = in_progress(&app).await;
    let events_before = store.event_rows().await;
    let path = format!("/v1/complaints/{id}/tasks");
    for (body, status, field) in [
        (json!({"department": "fraud"}), 422, json!("question")),
        (
            json!({"department": "fraud", "question": "?", "colour": "red"}),
            422,
            Value::Null,
        ),
        (
            json!({"department": "fraud.uk", "question": "?"}),
            422,
            json!("department"),
        ),
        (
            json!({"department": "fraud", "question": "   "}),
            422,
            json!("question"),
        ),
        (
            json!({"department": "fraud", "question": "?", "due_at": "2020-01-01T00:00:00Z"}),
            422,
            json!("due_at"),
        ),
        (
            json!({"department": "fraud", "question": "?", "due_in_hours": 0}),
            422,
            json!("due_in_hours"),
        ),
        (
            json!({"department": "fraud", "question": "?", "due_in_hours": 2, "due_at": "2099-01-01T00:00:00Z"}),
            422,
            json!("due_in_hours"),
        ),
    ] {
        let (got, answer) = send(&app, post_json(&path, &body)).await;
        assert_eq!(got, status, "{body} -> {answer}");
        assert_eq!(answer["error"]["field"], field, "{body} -> {answer}");
    }
    let (status, _) = send(
        &app,
        post_json(
            "/v1/complaints/999999/tasks",
            &json!({"department": "fraud", "question": "?"}),
        ),
    )
    .await;
    assert_eq!(status, 404);
    for path in ["/v1/tasks/999999", "/v1/tasks/abc"] {
        let (status, body) = send(&app, get(path)).await;
        assert_eq!(status, 404, "{body}");
        assert_eq!(body["error"]["message"], "no such task");
    }
    let (status, body) = send(&app, get("/v1/tasks?state=lost")).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "state");
    // PostgreSQL refuses a NUL in text: such filters are turned away before any query.
    for (path, field) in [
        ("/v1/tasks?department=fr%00aud", "department"),
        ("/v1/escalations?queue=a%00b", "queue"),
        ("/v1/audit/records?object=complaint%3A1%00", "object"),
    ] {
        let (status, body) = send(&app, get(path)).await;
        assert_eq!(status, 422, "{path} -> {body}");
        assert_eq!(body["error"]["field"], field, "{path} -> {body}");
    }
    assert_eq!(store.event_rows().await, events_before);

    // A withdrawn complaint takes no tasks.
    let (status, _) = send(
        &app,
        post_json(
            &format!("/v1/complaints/{id}/transitions"),
            &json!({"to": "withdrawn"}),
        ),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = send(
        &app,
        post_json(&path, &json!({"department": "fraud", "question": "?"})),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "complaint_not_open");
    store.finish().await;
}

/// CFPB complaint 3192750 as filed: a card opened through identity theft.
pub fn identity_theft_complaint() -> Value {
    let mut body = new_complaint();
    body["region"] = json!("US");
    body["product"] = json!("Credit card or prepaid card");
    body["sub_product"] = json!("General-purpose credit card or charge card");
    body["issue"] = json!("Getting a credit card");
    body["sub_issue"] = json!("Card opened as result of identity theft or fraud");
    body["customer_time_zone"] = json!("America/New_York");
    body["amount_disputed"] = json!({"amount": "125.50", "currency": "USD"});
    body
}

async fn filing_rules_create_tasks(backend: Backend) {
    let store = TestStore::with(backend, |s| s.tasks.rules = vec![crate::bus::fraud_rule()]).await;
    let app = store.app().await;
    let (matched, _) = file(&app, &identity_theft_complaint()).await;
    let (_, tasks) = send(&app, get(&format!("/v1/complaints/{matched}/tasks"))).await;
    let tasks = tasks.as_array().unwrap();
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0]["department"], "fraud");
    assert_eq!(tasks[0]["region"], "US");
    assert_eq!(tasks[0]["question"], "Is this card activity fraudulent?");
    assert_eq!(tasks[0]["created_by"], "rules");
    let created =
        chrono::DateTime::parse_from_rfc3339(tasks[0]["created_at"].as_str().unwrap()).unwrap();
    let due = chrono::DateTime::parse_from_rfc3339(tasks[0]["due_at"].as_str().unwrap()).unwrap();
    assert_eq!(due - created, chrono::Duration::hours(24));
    let (_, events) = send(&app, get(&format!("/v1/complaints/{matched}/events"))).await;
    assert!(kinds(&events).contains(&"task_created".to_owned()));

    // A card complaint about a purchase does not mention fraud: no task.
    let (other, _) = file(&app, &new_complaint()).await;
    let (_, none) = send(&app, get(&format!("/v1/complaints/{other}/tasks"))).await;
    assert_eq!(none, json!([]));
    store.finish().await;
}

async fn an_overdue_task_is_escalated_once_whatever_the_replicas(backend: Backend) {
    let store = TestStore::new(backend).await;
    let app = store.app().await;
    let id = in_progress(&app).await;
    let (_, task) = send(
        &app,
        post_json(
            &format!("/v1/complaints/{id}/tasks"),
            &json!({"department": "legal", "question": "Is the clause enforceable?", "due_in_hours": 1}),
        ),
    )
    .await;
    let task_id = task["id"].as_i64().unwrap();
    assert_eq!(store.complaints.escalate_overdue(100).await.unwrap(), 0);

    // An hour passes.
    {
        use redress::store::entity::task;
        use sea_orm::sea_query::Expr;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        task::Entity::update_many()
            .col_expr(
                task::Column::DueAt,
                Expr::value(chrono::Utc::now() - chrono::Duration::minutes(1)),
            )
            .filter(task::Column::Id.eq(task_id))
            .exec(store.complaints.db())
            .await
            .unwrap();
    }
    // Four replicas sweep at once: one escalates.
    let sweeps = (0..4).map(|_| {
        let replica = store.complaints.clone();
        tokio::spawn(async move { replica.escalate_overdue(100).await.unwrap() })
    });
    let total: usize = futures_util::future::join_all(sweeps)
        .await
        .into_iter()
        .map(Result::unwrap)
        .sum();
    assert_eq!(total, 1);
    assert_eq!(store.complaints.escalate_overdue(100).await.unwrap(), 0);

    let (_, task) = send(&app, get(&format!("/v1/tasks/{task_id}"))).await;
    assert_eq!(task["state"], "overdue");
    let (_, queue) = send(&app, get("/v1/escalations?queue=supervisors&open=true")).await;
    let queue = queue.as_array().unwrap().clone();
    assert_eq!(queue.len(), 1);
    assert_eq!(queue[0]["task_id"], task_id);
    assert_eq!(queue[0]["reason"], "task_overdue");
    let (_, events) = send(&app, get(&format!("/v1/complaints/{id}/events"))).await;
    assert_eq!(
        kinds(&events)
            .iter()
            .filter(|k| *k == "task_overdue")
            .count(),
        1
    );

    let escalation = queue[0]["id"].as_i64().unwrap();
    let ack = format!("/v1/escalations/{escalation}/acknowledge");
    let supervisor = store
        .token_for("supervisor-1", &[("supervisor", "default/*")])
        .await;
    let (status, seen) = send(
        &app,
        post_json(&ack, &json!({}))
            .insert_header(("Authorization", format!("Bearer {supervisor}"))),
    )
    .await;
    assert_eq!(status, 200, "{seen}");
    assert_eq!(seen["acknowledged_by"], "supervisor-1");
    let (status, _) = send(&app, post_json(&ack, &json!({}))).await;
    assert_eq!(status, 409);
    let (_, open) = send(&app, get("/v1/escalations?queue=supervisors&open=true")).await;
    assert_eq!(open, json!([]));

    // Late is still an answer.
    let (status, answered) = send(
        &app,
        post_json(
            &format!("/v1/tasks/{task_id}/answer"),
            &json!({"answer": "Enforceable."}),
        ),
    )
    .await;
    assert_eq!(status, 200, "{answered}");
    let (_, complaint) = send(&app, get(&format!("/v1/complaints/{id}"))).await;
    assert_eq!(complaint["status"], "in_progress");
    store.finish().await;
}

async fn what_a_task_asks_is_shown_to_its_department_and_to_readers_of_personal_data(
    backend: Backend,
) {
    let store = TestStore::new(backend).await;
    let app = store.app().await;
    let id = in_progress(&app).await;
    let question = "Did Jane Q. Customer authorise the transfer from account 4417?";
    let (status, created) = send(
        &app,
        post_json(
            &format!("/v1/complaints/{id}/tasks"),
            &json!({"department": "fraud", "question": question}),
        ),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let task = created["id"].as_i64().unwrap();
    // Findings are an object, kept exactly: nothing JSON readers would round or cut.
    for data in [
        json!("x"),
        json!([1]),
        serde_json::from_str::<Value>(r#"{"n": 123456789012345678901234567890}"#).unwrap(),
        json!({"n": 9_007_199_254_740_993_u64}),
        json!({"k": "a\u{0}b"}),
    ] {
        let (status, body) = send(
            &app,
            post_json(
                &format!("/v1/tasks/{task}/answer"),
                &json!({"answer": "x", "data": data}),
            ),
        )
        .await;
        assert_eq!(status, 422, "{data} -> {body}");
        assert_eq!(body["error"]["field"], "data", "{data} -> {body}");
    }
    let (_, still) = send(&app, get(&format!("/v1/tasks/{task}"))).await;
    assert_eq!(still["state"], "open", "{still}");
    let (status, answered) = send(
        &app,
        post_json(
            &format!("/v1/tasks/{task}/answer"),
            &json!({"answer": "Not authorised by Jane", "data": {"account": "4417"}}),
        ),
    )
    .await;
    assert_eq!(status, 200, "{answered}");

    let auditor = store.token_for("t-auditor", &[("auditor", "*")]).await;
    let officer = store
        .token_for("t-officer", &[("compliance_officer", "*")])
        .await;
    let fraud = store
        .token_for("t-fraud", &[("department_handler", "*")])
        .await;
    store.grant(&["g2", "t-fraud", "fraud"]).await;
    let read = |token: &str, path: String| {
        get(&path).insert_header(("Authorization", format!("Bearer {token}")))
    };

    // Each showing of the text is a read of personal data in the audit trail; the
    // withheld one is not.
    let task_reads = || async {
        use redress::store::entity::audit_record;
        use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
        audit_record::Entity::find()
            .filter(audit_record::Column::Action.eq("pii.read"))
            .filter(audit_record::Column::Object.eq(format!("complaint:{id}")))
            .filter(audit_record::Column::Details.contains("task"))
            .count(store.complaints.db())
            .await
            .unwrap()
    };
    let reads_before = task_reads().await;
    for token in [&officer, &fraud] {
        let (status, seen) = send(&app, read(token, format!("/v1/tasks/{task}"))).await;
        assert_eq!(status, 200, "{seen}");
        assert_eq!(seen["question"], question);
        assert_eq!(seen["answer"], "Not authorised by Jane");
        assert_eq!(seen["answer_data"]["account"], "4417");
    }
    assert_eq!(task_reads().await, reads_before + 2);
    let (status, one) = send(&app, read(&auditor, format!("/v1/tasks/{task}"))).await;
    let (_, page) = send(&app, read(&auditor, "/v1/tasks".into())).await;
    let (_, of_complaint) = send(&app, read(&auditor, format!("/v1/complaints/{id}/tasks"))).await;
    assert_eq!(status, 200, "{one}");
    for seen in [&one, &page["items"][0], &of_complaint[0]] {
        assert_eq!(seen["id"], task, "{seen}");
        assert_eq!(seen["question"], "****");
        assert_eq!(seen["answer"], "****");
        assert_eq!(seen["answer_data"], "****");
        // What is not personal stays readable.
        assert_eq!(seen["department"], "fraud");
        assert_eq!(seen["state"], "answered");
    }
    assert_eq!(task_reads().await, reads_before + 2);
    store.finish().await;
}

crate::on_both_backends!(
    what_a_task_asks_is_shown_to_its_department_and_to_readers_of_personal_data,
    a_complaint_waits_on_the_department_until_its_tasks_are_done,
    bad_task_requests_are_refused_and_write_nothing,
    filing_rules_create_tasks,
    an_overdue_task_is_escalated_once_whatever_the_replicas,
);
