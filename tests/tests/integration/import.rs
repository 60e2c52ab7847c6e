//! Importing CFPB exports: counts agree with the file, re-imports change nothing, and the
//! quirks of real exports are read or reported by line.

use std::collections::BTreeMap;

use chrono::Duration;
use redress::import::{self, Silent};

use crate::support::{Backend, TestStore, data_file, get, send};

const MIXED: &str = "complaints-mixed-2015-2020.csv";

/// Rows per product, computed with a CSV reader straight from the file.
fn products_in(file: &str) -> BTreeMap<String, i64> {
    let mut counts = BTreeMap::new();
    let mut reader = csv::Reader::from_path(data_file(file)).expect("sample file");
    let column = reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "Product")
        .unwrap();
    for row in reader.records() {
        *counts.entry(row.unwrap()[column].to_owned()).or_default() += 1;
    }
    counts
}

async fn import_file(store: &TestStore, file: &str) -> import::ImportSummary {
    let input = std::fs::File::open(data_file(file)).unwrap();
    import::import(&store.complaints, input, Duration::days(15), &Silent)
        .await
        .unwrap()
}

async fn import_counts_per_product_match_the_file(backend: Backend) {
    let store = TestStore::new(backend).await;
    let expected = products_in(MIXED);
    let total: i64 = expected.values().sum();
    assert_eq!(total, 6623);

    let summary = import_file(&store, MIXED).await;
    assert_eq!(
        (summary.imported, summary.already_present, summary.rejected),
        (6623, 0, 0),
        "{:?}",
        summary.rejections
    );

    let app = store.app().await;
    let (status, body) = send(&app, get("/v1/reports/counts?by=product")).await;
    assert_eq!(status, 200, "{body}");
    let counted: BTreeMap<String, i64> = body
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            (
                row["key"].as_str().unwrap().to_owned(),
                row["count"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(counted, expected);
    store.finish().await;
}

async fn reimporting_changes_nothing(backend: Backend) {
    let store = TestStore::new(backend).await;
    import_file(&store, "complaints-personal-loans-2023.csv").await;
    let (complaints, events) = (store.complaint_rows().await, store.event_rows().await);
    assert_eq!(complaints, 131);

    let again = import_file(&store, "complaints-personal-loans-2023.csv").await;
    assert_eq!(
        (again.imported, again.already_present, again.rejected),
        (0, 131, 0)
    );
    assert_eq!(store.complaint_rows().await, complaints);
    assert_eq!(store.event_rows().await, events);
    store.finish().await;
}

async fn every_export_shape_is_read(backend: Backend) {
    let store = TestStore::new(backend).await;
    // The four CSV fixtures hold the same 30 complaints under v1/v2 and public/intake headers.
    let first = import_file(&store, "format-fixtures/v1-public.csv").await;
    assert_eq!(
        (first.imported, first.rejected),
        (30, 0),
        "{:?}",
        first.rejections
    );
    for shape in ["v2-public.csv", "v1-intake.csv", "v2-intake.csv"] {
        let summary = import_file(&store, &format!("format-fixtures/{shape}")).await;
        assert_eq!(
            (summary.imported, summary.already_present, summary.rejected),
            (0, 30, 0),
            "{shape}"
        );
    }

    // The search-index NDJSON: its last line has no received date.
    let s3 = import_file(&store, "format-fixtures/exp_s3.ndjson").await;
    assert_eq!(s3.rejections.len(), 1);
    assert_eq!(s3.rejections[0].line, 10);
    assert!(s3.rejections[0].reason.contains("Date received"));
    assert_eq!(s3.imported + s3.already_present + s3.rejected, 10);

    // The database's own NDJSON fixture dates nine complaints in 2099 and leaves one undated.
    let ccdb = import_file(&store, "format-fixtures/ccdb.ndjson").await;
    assert_eq!((ccdb.imported, ccdb.rejected), (0, 10));
    assert!(
        ccdb.rejections[..9]
            .iter()
            .all(|r| r.reason.contains("future"))
    );
    assert!(ccdb.rejections[9].reason.contains("empty"));

    // The first complaint is the first row of the first file.
    let app = store.app().await;
    let (_, body) = send(&app, get("/v1/complaints/1")).await;
    assert_eq!(body["external_id"], "3003003");
    store.finish().await;
}

async fn broken_rows_are_reported_by_line_and_the_rest_imported(backend: Backend) {
    let store = TestStore::new(backend).await;
    let header = "Date received,Product,Sub-product,Issue,Sub-issue,Consumer complaint narrative,Company public response,Company,State,ZIP code,Tags,Consumer consent provided?,Submitted via,Date sent to company,Company response to consumer,Timely response?,Consumer disputed?,Complaint ID";
    let long = "XXXX ".repeat(4_000);
    let mut file = Vec::new();
    file.extend_from_slice(header.as_bytes());
    file.extend_from_slice(b"\r\n");
    // line 2: multi-line narrative with doubled quotes, CRLF, None literal, ZIP without its zero
    file.extend_from_slice(b"03/22/23,Mortgage,None,Trouble during payment process,None,\"They said \"\"paid\"\"\r\nthen refused.\",,Bank A,MA,2134,None,Consent provided,Web,03/23/23,Closed with explanation,Yes,N/A,9000001\r\n");
    // line 4: a date no calendar has
    file.extend_from_slice(b"2020/2/30,Mortgage,,Trouble during payment process,,,,Bank A,MA,02134,,,Web,2020/3/1,Closed,Yes,N/A,9000002\r\n");
    // line 5: a field missing
    file.extend_from_slice(b"2020/3/18,Mortgage,,Trouble during payment process,,,,Bank A,MA,02134,,,Web,2020/3/18,Closed,Yes,9000003\r\n");
    // line 6: not UTF-8 in the company name
    file.extend_from_slice(b"2020/3/18,Mortgage,,Trouble during payment process,,,,Bank \xff,MA,02134,,,Web,2020/3/18,Closed,Yes,N/A,9000004\r\n");
    // line 7: a 20,000-character narrative is a real complaint, not an error
    file.extend_from_slice(format!("2020/3/18,Debt collection,,Attempts to collect debt not owed,,\"{long}\",,Bank B,TX,75001,Servicemember,Consent provided,Phone,2020/3/18,In progress,Yes,N/A,9000005\r\n").as_bytes());
    // line 8: an unknown channel
    file.extend_from_slice(b"2020/3/18,Mortgage,,Trouble during payment process,,,,Bank A,MA,02134,,,Pigeon,2020/3/18,Closed,Yes,N/A,9000006\r\n");

    let summary = import::import(
        &store.complaints,
        file.as_slice(),
        Duration::days(15),
        &Silent,
    )
    .await
    .unwrap();
    let lines: Vec<u64> = summary.rejections.iter().map(|r| r.line).collect();
    assert_eq!(lines, vec![4, 5, 6, 8], "{:?}", summary.rejections);
    assert_eq!((summary.imported, summary.rejected), (2, 4));
    assert!(summary.rejections[0].reason.contains("Date received"));
    assert!(summary.rejections[1].reason.contains("fields"));
    assert!(summary.rejections[2].reason.contains("UTF-8"));
    assert!(summary.rejections[3].reason.contains("Submitted via"));

    let app = store.app().await;
    let (_, first) = send(&app, get("/v1/complaints/1")).await;
    assert_eq!(first["narrative"], "They said \"paid\"\r\nthen refused.");
    assert_eq!(first["consumer_zip"], "02134");
    assert_eq!(first["sub_product"], serde_json::Value::Null);
    assert_eq!(first["tags"], serde_json::json!([]));
    assert_eq!(first["received_at"], "2023-03-22T00:00:00Z");
    let (_, long_one) = send(&app, get("/v1/complaints/2")).await;
    assert_eq!(
        long_one["narrative"].as_str().unwrap().len(),
        long.trim_end().len()
    );
    assert_eq!(long_one["status"], "in_progress");
    assert_eq!(long_one["tags"], serde_json::json!(["Servicemember"]));
    store.finish().await;
}

async fn a_file_without_complaint_ids_is_refused_whole(backend: Backend) {
    let store = TestStore::new(backend).await;
    let input = std::fs::File::open(data_file("format-fixtures/complaints-subset.csv")).unwrap();
    let err = import::import(&store.complaints, input, Duration::days(15), &Silent)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("Complaint ID"), "{err}");
    assert_eq!(store.complaint_rows().await, 0);
    store.finish().await;
}

crate::on_both_backends!(
    import_counts_per_product_match_the_file,
    reimporting_changes_nothing,
    every_export_shape_is_read,
    broken_rows_are_reported_by_line_and_the_rest_imported,
    a_file_without_complaint_ids_is_refused_whole,
);
