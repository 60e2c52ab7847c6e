//! Rows the store could not hold are refused one by one, by line, before they reach a batch;
//! and the reasons given never repeat what the cell held.

use std::path::Path;

use chrono::Duration;
use redress::import::{self, ImportSummary, Silent};

use crate::support::{Backend, TestStore, get, send};

const HEADER: [&str; 18] = [
    "Date received",
    "Product",
    "Sub-product",
    "Issue",
    "Sub-issue",
    "Consumer complaint narrative",
    "Company public response",
    "Company",
    "State",
    "ZIP code",
    "Tags",
    "Consumer consent provided?",
    "Submitted via",
    "Date sent to company",
    "Company response to consumer",
    "Timely response?",
    "Consumer disputed?",
    "Complaint ID",
];

/// A readable complaint with `changes` made to it, in the columns of [`HEADER`].
fn row(id: u32, changes: &[(&str, &str)]) -> Vec<String> {
    let mut values: Vec<String> = [
        "2020-03-18",
        "Mortgage",
        "Conventional home mortgage",
        "Trouble during payment process",
        "",
        "",
        "",
        "Bank A",
        "MA",
        "02134",
        "Older American",
        "Consent not provided",
        "Web",
        "2020-03-19",
        "Closed with explanation",
        "Yes",
        "N/A",
        "",
    ]
    .map(str::to_owned)
    .to_vec();
    values[17] = id.to_string();
    for (column, value) in changes {
        let at = HEADER.iter().position(|h| h == column).expect("a column");
        values[at] = (*value).to_owned();
    }
    values
}

/// Writes the rows as a CSV file (line 1 the header, one line per row) and imports it.
async fn import_rows(store: &TestStore, dir: &Path, rows: &[Vec<String>]) -> ImportSummary {
    let path = dir.join("crafted.csv");
    let mut writer = csv::Writer::from_path(&path).expect("temp file");
    writer.write_record(HEADER).unwrap();
    for row in rows {
        writer.write_record(row).unwrap();
    }
    writer.flush().unwrap();
    let input = std::fs::File::open(&path).unwrap();
    import::import(&store.complaints, input, Duration::days(15), &Silent)
        .await
        .expect("one bad row must not stop the import")
}

async fn a_row_the_columns_cannot_hold_is_refused_alone_by_line(backend: Backend) {
    let store = TestStore::new(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let long_tag = "T".repeat(65);
    let rows = vec![
        row(9_100_001, &[]),                                            // line 2
        row(9_100_002, &[("ZIP code", "123456789012345678")]),          // line 3
        row(9_100_003, &[]),                                            // line 4
        row(9_100_004, &[("Tags", "Older American, Service\0member")]), // line 5
        row(9_100_005, &[("Company", "Bank\0A")]),                      // line 6
        row(9_100_006, &[("State", "Massachusetts")]),                  // line 7
        row(9_100_007, &[("Date received", "1969-12-31")]),             // line 8
        row(9_100_008, &[("Date received", "0999-01-01")]),             // line 9
        row(9_100_009, &[("ZIP code", "02\x00134")]),                   // line 10
        row(9_100_010, &[("Tags", &long_tag)]),                         // line 11
        row(9_100_011, &[("Date sent to company", "1960-01-01")]),      // line 12
        row(9_100_012, &[("Sub-issue", "Trouble\0paying")]),            // line 13
        row(
            9_100_013,
            &[("Consumer complaint narrative", "Paid\0twice")],
        ), // line 14
        row(
            9_100_014,
            &[("ZIP code", "2134"), ("Tags", "Servicemember")],
        ), // line 15
    ];
    let summary = import_rows(&store, dir.path(), &rows).await;
    let refused: Vec<(u64, &str)> = summary
        .rejections
        .iter()
        .map(|r| (r.line, r.reason.as_str()))
        .collect();
    assert_eq!(
        refused,
        vec![
            (3, "ZIP code is longer than 16 characters"),
            (5, "Tags contains control characters"),
            (6, "Company contains control characters"),
            (7, "State is longer than 8 characters"),
            (8, "Date received lies before 1970-01-01"),
            (9, "Date received lies before 1970-01-01"),
            (10, "ZIP code contains control characters"),
            (11, "Tags is longer than 64 characters"),
            (12, "Date sent to company lies before 1970-01-01"),
            (13, "Sub-issue contains control characters"),
            (
                14,
                "Consumer complaint narrative contains control characters"
            ),
        ]
    );
    assert_eq!((summary.imported, summary.rejected), (3, 11));
    assert_eq!(store.complaint_rows().await, 3);
    assert_eq!(store.event_rows().await, 3);

    let app = store.app().await;
    let (_, last) = send(&app, get("/v1/complaints/3")).await;
    assert_eq!(last["external_id"], "9100014");
    assert_eq!(last["consumer_zip"], "02134");
    assert_eq!(last["tags"], serde_json::json!(["Servicemember"]));
    store.finish().await;
}

async fn rejection_reasons_name_the_column_never_the_value(backend: Backend) {
    let store = TestStore::new(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let secret = "Jane Q Customer 4111 1111 1111 1111";
    let columns = [
        "Complaint ID",
        "Date received",
        "Date sent to company",
        "Submitted via",
        "Company response to consumer",
    ];
    let rows: Vec<Vec<String>> = columns
        .iter()
        .zip(9_200_001..)
        .map(|(column, id)| row(id, &[(column, secret)]))
        .collect();
    let summary = import_rows(&store, dir.path(), &rows).await;
    assert_eq!(summary.rejected, 5, "{:?}", summary.rejections);
    for (rejection, column) in summary.rejections.iter().zip(columns) {
        assert!(
            rejection.reason.starts_with(column),
            "{column}: {}",
            rejection.reason
        );
        assert!(
            !rejection.reason.contains("Jane") && !rejection.reason.contains("4111"),
            "{column}: {}",
            rejection.reason
        );
    }
    assert_eq!(store.complaint_rows().await, 0);
    store.finish().await;
}

crate::on_both_backends!(
    a_row_the_columns_cannot_hold_is_refused_alone_by_line,
    rejection_reasons_name_the_column_never_the_value,
);
