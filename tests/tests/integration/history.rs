//! A complaint's history: read a page at a time however long it grows, and append-only in
//! the database itself.

use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::support::{Backend, TestStore, file, get, new_complaint, post_json, send};

/// Reads one page; answers its events and the next page's path from the `Link` header.
async fn page<S, B>(app: &S, path: &str) -> (Vec<Value>, Option<String>)
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let res = actix_web::test::call_service(app, get(path).to_request()).await;
    assert_eq!(res.status().as_u16(), 200, "{path}");
    let next = res
        .headers()
        .get("link")
        .map(|v| v.to_str().expect("ASCII link").to_owned());
    let body: Value = actix_web::test::read_body_json(res).await;
    let next = next.map(|link| {
        let (target, rel) = link.split_once(">; ").expect("one link");
        assert_eq!(rel, "rel=\"next\"");
        target.trim_start_matches('<').to_owned()
    });
    (body.as_array().expect("an array of events").clone(), next)
}

async fn the_history_is_read_in_pages_through_the_next_link(backend: Backend) {
    let store = TestStore::new(backend).await;
    let app = store.app().await;
    let (id, _) = file(&app, &new_complaint()).await;
    for n in 0..6 {
        let (status, body) = send(
            &app,
            post_json(
                &format!("/v1/complaints/{id}/notes"),
                &json!({"body": format!("call {n}")}),
            ),
        )
        .await;
        assert_eq!(status, 201, "{body}");
    }
    let (whole, next) = page(&app, &format!("/v1/complaints/{id}/events")).await;
    assert_eq!(next, None, "a short history fits the default page");
    assert!(whole.len() >= 7, "filed and six notes: {whole:?}");

    let mut read = Vec::new();
    let mut pages = 0;
    let mut path = Some(format!("/v1/complaints/{id}/events?limit=3"));
    while let Some(current) = path {
        let (events, next) = page(&app, &current).await;
        assert!(!events.is_empty() && events.len() <= 3, "{current}");
        if let Some(next) = &next {
            assert_eq!(events.len(), 3, "only the last page is short");
            let last = events.last().unwrap()["id"].as_i64().unwrap();
            assert_eq!(
                next,
                &format!("/v1/complaints/{id}/events?after={last}&limit=3")
            );
        }
        read.extend(events);
        pages += 1;
        path = next;
    }
    assert_eq!(read, whole);
    assert_eq!(pages, whole.len().div_ceil(3));

    // The reference reads the same history.
    let (_, complaint) = send(&app, get(&format!("/v1/complaints/{id}"))).await;
    let reference = complaint["reference"].as_str().unwrap();
    let (by_reference, _) = page(&app, &format!("/v1/complaints/{reference}/events")).await;
    assert_eq!(by_reference, whole);

    for (query, status, field) in [
        ("limit=0", 422, "limit"),
        ("limit=5001", 422, "limit"),
        ("after=-1", 422, "after"),
        ("after=first", 422, "after"),
    ] {
        let (got, body) = send(&app, get(&format!("/v1/complaints/{id}/events?{query}"))).await;
        assert_eq!(
            (got, body["error"]["field"].as_str()),
            (status, Some(field)),
            "{query}: {body}"
        );
    }
    let (got, body) = send(&app, get(&format!("/v1/complaints/{id}/events?since=1"))).await;
    assert_eq!(
        (got, body["error"]["code"].as_str()),
        (422, Some("unknown_parameter")),
        "{body}"
    );
    store.finish().await;
}

async fn history_rows_cannot_be_updated_or_deleted_in_the_database(backend: Backend) {
    let store = TestStore::new(backend).await;
    let app = store.app().await;
    let (id, _) = file(&app, &new_complaint()).await;
    let (_, before) = send(&app, get(&format!("/v1/complaints/{id}/events"))).await;
    let db = store.complaints.db();
    let mut statements = vec![
        "UPDATE complaint_events SET actor = 'someone else'",
        "UPDATE complaint_events SET body = 'rewritten' WHERE kind = 'filed'",
        "DELETE FROM complaint_events",
        "DELETE FROM complaint_events WHERE kind = 'filed'",
    ];
    if matches!(backend, Backend::Postgres) {
        statements.push("TRUNCATE complaint_events");
    }
    for statement in statements {
        let err = db.execute_unprepared(statement).await.expect_err(statement);
        assert!(
            err.to_string().contains("append-only"),
            "{statement}: {err}"
        );
    }
    let (_, after) = send(&app, get(&format!("/v1/complaints/{id}/events"))).await;
    assert_eq!(after, before);
    assert!(!before.as_array().unwrap().is_empty());

    // Appending is what the table is for, and still works.
    let (status, _) = send(
        &app,
        post_json(
            &format!("/v1/complaints/{id}/notes"),
            &json!({"body": "still open"}),
        ),
    )
    .await;
    assert_eq!(status, 201);
    store.finish().await;
}

crate::on_both_backends!(
    the_history_is_read_in_pages_through_the_next_link,
    history_rows_cannot_be_updated_or_deleted_in_the_database,
);
