//! Listing, filtering, paging and searching over the real CFPB sample.

use std::collections::BTreeSet;

use chrono::Duration;
use redress::import::{self, Silent};
use serde_json::Value;

use crate::support::{Backend, TestStore, data_file, file, get, new_complaint, send};

const MIXED: &str = "complaints-mixed-2015-2020.csv";

fn rows() -> Vec<csv::StringRecord> {
    let mut reader = csv::Reader::from_path(data_file(MIXED)).unwrap();
    reader.records().map(Result::unwrap).collect()
}

/// Follows `next_cursor` to the end and returns every item.
async fn all_pages<S, B>(app: &S, query: &str) -> Vec<Value>
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let mut items = Vec::new();
    let mut uri = format!("/v1/complaints?{query}");
    loop {
        let (status, page) = send(app, get(&uri)).await;
        assert_eq!(status, 200, "{page}");
        items.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(cursor) => uri = format!("/v1/complaints?{query}&cursor={cursor}"),
            None => return items,
        }
    }
}

async fn filters_and_cursor_pages_agree_with_the_file(backend: Backend) {
    let store = TestStore::new(backend).await;
    let input = std::fs::File::open(data_file(MIXED)).unwrap();
    import::import(&store.complaints, input, Duration::days(15), &Silent)
        .await
        .unwrap();
    let app = store.app().await;
    let rows = rows();

    // Product (column 1) and company (column 7), paged 97 at a time so pages split days.
    let mortgage: BTreeSet<String> = rows
        .iter()
        .filter(|r| &r[1] == "Mortgage")
        .map(|r| r[17].to_owned())
        .collect();
    let listed = all_pages(&app, "product=Mortgage&limit=97").await;
    let ids: BTreeSet<String> = listed
        .iter()
        .map(|i| i["external_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(listed.len(), mortgage.len());
    assert_eq!(ids, mortgage);
    let received: Vec<&str> = listed
        .iter()
        .map(|i| i["received_at"].as_str().unwrap())
        .collect();
    assert!(received.windows(2).all(|w| w[0] >= w[1]), "newest first");

    // Received in March 2020, by the file's own dates (2020/3/d).
    let march = rows.iter().filter(|r| r[0].starts_with("2020/3/")).count();
    let listed = all_pages(
        &app,
        "received_from=2020-03-01&received_to=2020-03-31&limit=500",
    )
    .await;
    assert_eq!(listed.len(), march);

    // Channel and company together.
    let phone_equifax = rows
        .iter()
        .filter(|r| &r[12] == "Phone" && &r[7] == "EQUIFAX, INC.")
        .count();
    let listed = all_pages(&app, "channel=phone&company=EQUIFAX%2C%20INC.&limit=500").await;
    assert_eq!(listed.len(), phone_equifax);
    assert!(phone_equifax > 0);

    // "In progress" complaints of 2020 were due long ago: they are the overdue ones.
    let in_progress = rows.iter().filter(|r| &r[14] == "In progress").count();
    let overdue = all_pages(&app, "overdue=true&limit=500").await;
    assert_eq!(overdue.len(), in_progress);
    assert!(
        overdue
            .iter()
            .all(|i| i["overdue"] == true && i["status"] == "in_progress")
    );
    store.finish().await;
}

async fn narrative_search_finds_the_word_and_its_forms(backend: Backend) {
    let store = TestStore::new(backend).await;
    let input = std::fs::File::open(data_file(MIXED)).unwrap();
    import::import(&store.complaints, input, Duration::days(15), &Silent)
        .await
        .unwrap();
    let app = store.app().await;

    let words = |text: &str| -> Vec<String> {
        text.split(|c: char| !c.is_alphanumeric())
            .map(str::to_lowercase)
            .collect()
    };
    let rows = rows();
    let exact: BTreeSet<String> = rows
        .iter()
        .filter(|r| words(&r[5]).iter().any(|w| w == "foreclosure"))
        .map(|r| r[17].to_owned())
        .collect();
    let stem: BTreeSet<String> = rows
        .iter()
        .filter(|r| words(&r[5]).iter().any(|w| w.starts_with("foreclos")))
        .map(|r| r[17].to_owned())
        .collect();
    assert!(!exact.is_empty());

    let found: BTreeSet<String> = all_pages(&app, "q=foreclosure&limit=500")
        .await
        .iter()
        .map(|i| i["external_id"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        found.is_superset(&exact),
        "missed {:?}",
        exact.difference(&found).collect::<Vec<_>>()
    );
    assert!(
        found.is_subset(&stem),
        "unexpected {:?}",
        found.difference(&stem).collect::<Vec<_>>()
    );

    // A complaint filed through the API is searchable at once.
    let mut complaint = new_complaint();
    complaint["narrative"] =
        serde_json::json!("The chargeback for the zeppelin tickets never arrived.");
    let (id, _) = file(&app, &complaint).await;
    let found = all_pages(&app, "q=zeppelin").await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["id"], id);
    store.finish().await;
}

async fn readiness_reports_the_store(backend: Backend) {
    let store = TestStore::new(backend).await;
    let app = store.app().await;
    let (status, body) = send(&app, get("/readyz")).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        serde_json::json!({"store_reachable": true, "migrations_applied": true})
    );
    let (status, doc) = send(&app, get("/openapi.json")).await;
    assert_eq!(status, 200);
    for path in [
        "/v1/complaints",
        "/v1/complaints/{id}/transitions",
        "/v1/track/{reference}",
        "/v1/reports/counts",
    ] {
        assert!(
            doc["paths"].get(path).is_some(),
            "{path} missing from the OpenAPI document"
        );
    }
    store.finish().await;
}

crate::on_both_backends!(
    filters_and_cursor_pages_agree_with_the_file,
    narrative_search_finds_the_word_and_its_forms,
    readiness_reports_the_store,
);
