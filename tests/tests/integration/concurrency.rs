//! Simultaneous requests on one task or complaint. The loser of a race gets the conflict
//! the API documents, never a storage failure; a change sent without `expected_version`
//! asked for no optimistic check, so it is applied to the fresh row instead of refused.

use std::cell::Cell;

use futures_util::future::{join, join_all};
use redress::audit;
use redress::bus::{Bus, BusConfig};
use redress::store::entity::{audit_record, complaint, complaint_event};
use redress::workers::relay::Relay;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

use crate::support::{
    Backend, TestStore, file, get, new_complaint, post_json, send, unique_prefix,
};

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

/// Status and error code of each answer, sorted, so a race's outcome reads as one value.
fn outcomes(answers: &[(u16, Value)]) -> Vec<(u16, String)> {
    let mut seen: Vec<(u16, String)> = answers
        .iter()
        .map(|(status, body)| {
            (
                *status,
                body["error"]["code"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect();
    seen.sort();
    seen
}

/// Eight answers to one task at once while the outbox relay writes beside them, as it does
/// on a live server (lease renewals, rows marked sent) without waiting for the service's
/// write turn. One answer wins; the other seven learn the task is answered.
async fn parallel_answers_to_one_task_leave_one_winner_and_no_storage_failure(backend: Backend) {
    let store = TestStore::new(backend).await;
    let app = store.app().await;
    let mut relay = Relay::new(
        store.complaints.db().clone(),
        Bus::memory(BusConfig::new(&unique_prefix())),
        store.settings.outbox.clone(),
        "relay-beside-the-answers",
        store.complaints.outbox_signal(),
    );
    let mut expected = vec![(200, String::new())];
    expected.extend(std::iter::repeat_n((409, "task_state".to_owned()), 7));
    // Several rounds: each answer's window between its first read and its first write is
    // short, and the race must be given every chance to show.
    for round in 0..4 {
        let id = in_progress(&app).await;
        let (status, task) = send(
            &app,
            post_json(
                &format!("/v1/complaints/{id}/tasks"),
                &json!({"department": "fraud", "question": "Was the second charge authorised?"}),
            ),
        )
        .await;
        assert_eq!(status, 201, "{task}");
        let path = format!("/v1/tasks/{}/answer", task["id"]);
        let done = Cell::new(false);
        let answers = async {
            let all = join_all((0..8).map(|n| {
                send(
                    &app,
                    post_json(&path, &json!({"answer": format!("answer {n}")})),
                )
            }))
            .await;
            done.set(true);
            all
        };
        let relaying = async {
            while !done.get() {
                relay.round().await.expect("relay round");
            }
        };
        let (answers, ()) = join(answers, relaying).await;
        assert_eq!(outcomes(&answers), expected, "round {round}: {answers:?}");
        let (_, complaint) = send(&app, get(&format!("/v1/complaints/{id}"))).await;
        assert_eq!(complaint["status"], "in_progress", "round {round}");
    }
    store.finish().await;
}

/// Six assignments at once without `expected_version`: all six go in, one after the other,
/// each recorded. With `expected_version`, the first wins and the rest get 409.
async fn parallel_updates_without_a_version_all_apply(backend: Backend) {
    let store = TestStore::new(backend).await;
    let app = store.app().await;
    let (id, _) = file(&app, &new_complaint()).await;
    let path = format!("/v1/complaints/{id}");
    let patch = |body: Value| {
        actix_web::test::TestRequest::patch()
            .uri(&path)
            .set_json(body)
    };
    let answers =
        join_all((0..6).map(|n| send(&app, patch(json!({"assignee": format!("agent-{n}")})))))
            .await;
    assert_eq!(
        outcomes(&answers),
        vec![(200, String::new()); 6],
        "{answers:?}"
    );
    let (_, complaint) = send(&app, get(&path)).await;
    assert_eq!(complaint["version"], 7, "{complaint}");
    let (_, events) = send(&app, get(&format!("{path}/events"))).await;
    let updates = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "updated")
        .count();
    assert_eq!(updates, 6, "{events}");

    let answers = join_all((0..6).map(|n| {
        send(
            &app,
            patch(
                json!({"priority": if n % 2 == 0 { "high" } else { "low" }, "expected_version": 7}),
            ),
        )
    }))
    .await;
    let mut expected = vec![(200, String::new())];
    expected.extend(std::iter::repeat_n((409, "version_conflict".to_owned()), 5));
    assert_eq!(outcomes(&answers), expected, "{answers:?}");
    let (_, complaint) = send(&app, get(&path)).await;
    assert_eq!(complaint["version"], 8, "{complaint}");
    store.finish().await;
}

/// The same move five times at once without `expected_version`: the first is made; the
/// others, checked again on the fresh row, find it no longer allowed and get the
/// transition refusal with the states allowed instead, never a version conflict.
async fn parallel_transitions_are_checked_again_on_the_fresh_row(backend: Backend) {
    let store = TestStore::new(backend).await;
    let app = store.app().await;
    let (id, _) = file(&app, &new_complaint()).await;
    let path = format!("/v1/complaints/{id}/transitions");
    let answers =
        join_all((0..5).map(|_| send(&app, post_json(&path, &json!({"to": "acknowledged"})))))
            .await;
    let mut expected = vec![(200, String::new())];
    expected.extend(std::iter::repeat_n(
        (409, "transition_not_allowed".to_owned()),
        4,
    ));
    assert_eq!(outcomes(&answers), expected, "{answers:?}");
    for (status, body) in &answers {
        if *status == 409 {
            assert_eq!(body["error"]["field"], "to", "{body}");
            assert!(
                body["error"]["allowed"]
                    .as_array()
                    .is_some_and(|a| a.contains(&json!("in_progress"))),
                "{body}"
            );
        }
    }

    // Different moves at once from `acknowledged`: each is judged on the row as the
    // earlier ones left it, so every one that the lifecycle allows at its turn goes in.
    let answers = join_all([
        send(&app, post_json(&path, &json!({"to": "in_progress"}))),
        send(
            &app,
            post_json(
                &format!("/v1/complaints/{id}/clock"),
                &json!({"change": "new_facts"}),
            ),
        ),
        send(
            &app,
            actix_web::test::TestRequest::patch()
                .uri(&format!("/v1/complaints/{id}"))
                .set_json(json!({"priority": "high"})),
        ),
    ])
    .await;
    assert!(
        answers.iter().all(|(status, _)| *status == 200),
        "{answers:?}"
    );
    let (_, complaint) = send(&app, get(&format!("/v1/complaints/{id}"))).await;
    assert_eq!(
        (complaint["status"].as_str(), complaint["priority"].as_str()),
        (Some("in_progress"), Some("high")),
        "{complaint}"
    );
    store.finish().await;
}

/// Twenty filings at once, as a busy server receives them: fresh ones, retries sent twice
/// with one Idempotency-Key, and four for one new customer number. Written together, each
/// still gets its own complaint, reference, history and audit record; the retries get
/// their first filing back; the four share one customer; and fewer transactions than
/// filings were needed.
async fn filings_sent_at_once_are_written_together_and_each_kept_apart(backend: Backend) {
    let store = TestStore::new(backend).await;
    let app = store.app().await;
    let fresh = |n: usize| {
        let mut body = new_complaint();
        body["customer"]["customer_number"] = json!(format!("CUST-GROUP-{n}"));
        body
    };
    let mut requests = Vec::new();
    for n in 0..8 {
        requests.push(post_json("/v1/complaints", &fresh(n)));
    }
    for n in 0..4 {
        for _ in 0..2 {
            requests.push(
                post_json("/v1/complaints", &fresh(100 + n))
                    .insert_header(("Idempotency-Key", format!("group-retry-{n}"))),
            );
        }
    }
    for _ in 0..4 {
        requests.push(post_json("/v1/complaints", &fresh(200)));
    }
    let answers = join_all(requests.into_iter().map(|r| send(&app, r))).await;

    let status = |i: usize| answers[i].0;
    let id = |i: usize| answers[i].1["complaint"]["id"].as_i64().expect("an id");
    for i in (0..8).chain(16..20) {
        assert_eq!(status(i), 201, "{}", answers[i].1);
    }
    for n in 0..4 {
        let (first, second) = (8 + 2 * n, 9 + 2 * n);
        let mut pair = [status(first), status(second)];
        pair.sort_unstable();
        assert_eq!(pair, [200, 201], "retry pair {n}: {answers:?}");
        assert_eq!(id(first), id(second), "retry pair {n}");
        assert_eq!(
            answers[first].1["tracking_token"], answers[second].1["tracking_token"],
            "a retry is answered with the first filing's tracking token"
        );
    }

    let filed: Vec<complaint::Model> = complaint::Entity::find()
        .order_by_asc(complaint::Column::Id)
        .all(store.complaints.db())
        .await
        .unwrap();
    assert_eq!(filed.len(), 16, "one complaint per filing, none per retry");
    let mut numbers: Vec<i64> = filed
        .iter()
        .map(|c| c.reference.rsplit('-').next().unwrap().parse().unwrap())
        .collect();
    numbers.sort_unstable();
    assert_eq!(
        numbers,
        (numbers[0]..numbers[0] + 16).collect::<Vec<_>>(),
        "references are consecutive, with no number lost to a retry"
    );
    let shared: Vec<Option<i64>> = (16..20)
        .map(|i| filed.iter().find(|c| c.id == id(i)).unwrap().customer_id)
        .collect();
    assert!(shared[0].is_some());
    assert!(shared.iter().all(|c| *c == shared[0]), "{shared:?}");
    let customers: std::collections::HashSet<Option<i64>> =
        filed.iter().map(|c| c.customer_id).collect();
    assert_eq!(customers.len(), 8 + 4 + 1);

    let records: Vec<audit_record::Model> = audit_record::Entity::find()
        .filter(audit_record::Column::Action.eq("complaint.filed"))
        .all(store.complaints.db())
        .await
        .unwrap();
    assert_eq!(records.len(), 16);
    let requests: std::collections::HashSet<_> =
        records.iter().map(|r| r.request_id.clone()).collect();
    assert_eq!(requests.len(), 16, "each filing keeps its own request id");
    assert!(requests.iter().all(Option::is_some));
    let appends: std::collections::HashSet<_> = records.iter().map(|r| r.at).collect();
    assert!(
        appends.len() < 16,
        "filings waiting together are written in one transaction"
    );
    let events = complaint_event::Entity::find()
        .filter(complaint_event::Column::Kind.eq("filed"))
        .all(store.complaints.db())
        .await
        .unwrap();
    assert_eq!(events.len(), 16);
    let report = audit::verify(store.complaints.db(), None).await.unwrap();
    assert!(report.is_intact(), "{:?}", report.problem);
    store.finish().await;
}

/// A filing the database refuses (here a trigger refuses its product) fails alone: the
/// filings written in the same group are written again without it and stand, and its
/// reference number is not lost.
async fn a_filing_the_database_refuses_does_not_sink_its_group(backend: Backend) {
    let store = TestStore::new(backend).await;
    let refused = "Refused by a trigger";
    let ddl = match backend {
        Backend::Sqlite => vec![format!(
            "CREATE TRIGGER refuse_one BEFORE INSERT ON complaints \
             WHEN NEW.product = '{refused}' BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )],
        Backend::Postgres => vec![
            format!(
                "CREATE FUNCTION refuse_one() RETURNS trigger AS $$ BEGIN \
                 IF NEW.product = '{refused}' THEN RAISE EXCEPTION 'refused'; END IF; \
                 RETURN NEW; END $$ LANGUAGE plpgsql"
            ),
            "CREATE TRIGGER refuse_one BEFORE INSERT ON complaints \
             FOR EACH ROW EXECUTE FUNCTION refuse_one()"
                .to_owned(),
        ],
    };
    for sql in ddl {
        store
            .complaints
            .db()
            .execute_unprepared(&sql)
            .await
            .unwrap();
    }
    let app = store.app().await;
    let mut poisoned = new_complaint();
    poisoned["product"] = json!(refused);
    let bodies: Vec<Value> = (0..6)
        .map(|n| {
            if n == 2 {
                poisoned.clone()
            } else {
                new_complaint()
            }
        })
        .collect();
    let answers = join_all(
        bodies
            .iter()
            .map(|b| send(&app, post_json("/v1/complaints", b))),
    )
    .await;
    for (n, (status, body)) in answers.iter().enumerate() {
        let expected = if n == 2 { 503 } else { 201 };
        assert_eq!(*status, expected, "filing {n}: {body}");
    }
    assert_eq!(answers[2].1["error"]["code"], "storage_unavailable");
    let filed = complaint::Entity::find()
        .all(store.complaints.db())
        .await
        .unwrap();
    assert_eq!(filed.len(), 5);
    assert!(filed.iter().all(|c| c.product != refused));
    let mut numbers: Vec<i64> = filed
        .iter()
        .map(|c| c.reference.rsplit('-').next().unwrap().parse().unwrap())
        .collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (numbers[0]..numbers[0] + 5).collect::<Vec<_>>());
    let report = audit::verify(store.complaints.db(), None).await.unwrap();
    assert!(report.is_intact(), "{:?}", report.problem);
    store.finish().await;
}

crate::on_both_backends!(
    parallel_answers_to_one_task_leave_one_winner_and_no_storage_failure,
    parallel_updates_without_a_version_all_apply,
    parallel_transitions_are_checked_again_on_the_fresh_row,
    filings_sent_at_once_are_written_together_and_each_kept_apart,
    a_filing_the_database_refuses_does_not_sink_its_group,
);
