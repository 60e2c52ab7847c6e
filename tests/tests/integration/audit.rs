//! The audit trail: every change is recorded in a hash chain; verify names the record that
//! was altered, removed, swapped or cut off, straight in the database; checkpoints are
//! signed; a complaint's history is proven without revealing other complaints.

use redress::audit::{self, Finding};
use redress::store::entity::audit_record;
use sea_orm::{ConnectionTrait, EntityTrait};
use serde_json::json;

use crate::support::{Backend, TestStore, file, get, new_complaint, post_json, send};

/// Files three complaints and moves them, so the trail has a few dozen records.
async fn busy_store(backend: Backend) -> (TestStore, Vec<i64>) {
    let store = TestStore::new(backend).await;
    let mut ids = Vec::new();
    {
        let app = store.app().await;
        for _ in 0..3 {
            let (id, _) = file(&app, &new_complaint()).await;
            let path = format!("/v1/complaints/{id}");
            send(
                &app,
                post_json(
                    &format!("{path}/transitions"),
                    &json!({"to": "acknowledged"}),
                ),
            )
            .await;
            send(
                &app,
                post_json(
                    &format!("{path}/notes"),
                    &json!({"body": "Rang the customer."}),
                ),
            )
            .await;
            ids.push(id);
        }
    }
    (store, ids)
}

async fn verify(store: &TestStore) -> Option<Finding> {
    let key = store.audit_key.verifying_key();
    audit::verify(store.complaints.db(), Some(&key))
        .await
        .expect("verify runs")
        .problem
}

async fn exec(store: &TestStore, sql: &str) {
    store
        .complaints
        .db()
        .execute_unprepared(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

async fn record(store: &TestStore, seq: i64) -> audit_record::Model {
    audit_record::Entity::find_by_id(seq)
        .one(store.complaints.db())
        .await
        .unwrap()
        .unwrap()
}

async fn put_back(store: &TestStore, row: audit_record::Model) {
    use sea_orm::ActiveModelTrait;
    let active: audit_record::ActiveModel = row.into();
    active
        .insert(store.complaints.db())
        .await
        .expect("record put back");
}

async fn every_change_is_chained_and_verify_names_each_tampered_record(backend: Backend) {
    let (store, ids) = busy_store(backend).await;
    let app = store.app().await;
    let (status, checkpoint) = send(&app, post_json("/v1/audit/checkpoints", &json!({}))).await;
    assert_eq!(status, 201, "{checkpoint}");
    assert_eq!(verify(&store).await, None);

    // Filings, moves and notes of each complaint are in the trail under its name.
    let (_, records) = send(
        &app,
        get(&format!("/v1/audit/records?object=complaint:{}", ids[1])),
    )
    .await;
    let actions: Vec<&str> = records
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    for action in [
        "complaint.filed",
        "complaint.transition",
        "complaint.note",
        "pii.read",
    ] {
        assert!(
            actions.contains(&action),
            "{action} missing from {actions:?}"
        );
    }
    assert!(records.to_string().contains("\"request_id\":\""));
    assert!(
        !records.to_string().contains("Rang the customer"),
        "note text in the trail"
    );
    assert!(
        !records.to_string().contains("Jane"),
        "customer name in the trail"
    );

    // Changed in place.
    let original = record(&store, 5).await;
    exec(
        &store,
        "UPDATE audit_records SET actor = 'mallory' WHERE seq = 5",
    )
    .await;
    assert_eq!(verify(&store).await, Some(Finding::Altered { seq: 5 }));
    exec(
        &store,
        &format!(
            "UPDATE audit_records SET actor = '{}' WHERE seq = 5",
            original.actor
        ),
    )
    .await;
    assert_eq!(verify(&store).await, None);

    // Removed from the middle.
    let removed = record(&store, 7).await;
    exec(&store, "DELETE FROM audit_records WHERE seq = 7").await;
    assert_eq!(verify(&store).await, Some(Finding::Missing { seq: 7 }));
    put_back(&store, removed).await;
    assert_eq!(verify(&store).await, None);

    // Two records swapped: their sequence numbers traded.
    exec(&store, "UPDATE audit_records SET seq = -1 WHERE seq = 9").await;
    exec(&store, "UPDATE audit_records SET seq = 9 WHERE seq = 10").await;
    exec(&store, "UPDATE audit_records SET seq = 10 WHERE seq = -1").await;
    assert_eq!(verify(&store).await, Some(Finding::Altered { seq: 9 }));
    exec(&store, "UPDATE audit_records SET seq = -1 WHERE seq = 9").await;
    exec(&store, "UPDATE audit_records SET seq = 9 WHERE seq = 10").await;
    exec(&store, "UPDATE audit_records SET seq = 10 WHERE seq = -1").await;
    assert_eq!(verify(&store).await, None);

    // Rewritten with a fresh hash: the next record's link breaks, and the seal too.
    let original = record(&store, 3).await;
    let forged = json!({"event_id": 999}).to_string();
    let mut copy = original.clone();
    copy.details = forged.clone();
    let fake = forge_hash(&copy);
    exec(
        &store,
        &format!("UPDATE audit_records SET details = '{forged}', hash = '{fake}' WHERE seq = 3"),
    )
    .await;
    assert_eq!(verify(&store).await, Some(Finding::BrokenLink { seq: 4 }));
    exec(
        &store,
        &format!(
            "UPDATE audit_records SET details = '{}', hash = '{}' WHERE seq = 3",
            original.details, original.hash
        ),
    )
    .await;

    // Cut off at the end.
    let (last, _) = last_record(&store).await;
    let tail = record(&store, last).await;
    exec(
        &store,
        &format!("DELETE FROM audit_records WHERE seq = {last}"),
    )
    .await;
    assert_eq!(
        verify(&store).await,
        Some(Finding::Truncated {
            last_seq: last - 1,
            head_seq: last
        })
    );
    put_back(&store, tail).await;
    assert_eq!(verify(&store).await, None);

    // The API reports the same walk.
    let (status, report) = send(&app, get("/v1/audit/verify")).await;
    assert_eq!(status, 200);
    assert_eq!(report["problem"], serde_json::Value::Null);
    assert!(report["sealed_upto"].as_i64().unwrap() >= 10, "{report}");
    store.finish().await;
}

fn forge_hash(r: &audit_record::Model) -> String {
    // What a forger with database access can do: recompute the record's own hash.
    use sha2::{Digest, Sha256};
    let canonical = json!([
        r.seq,
        r.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        r.actor,
        r.action,
        r.object,
        r.domain,
        r.request_id,
        r.details
    ])
    .to_string();
    let mut h = Sha256::new();
    h.update(r.prev_hash.as_bytes());
    h.update(b"\n");
    h.update(canonical.as_bytes());
    hex::encode(h.finalize())
}

async fn last_record(store: &TestStore) -> (i64, String) {
    use sea_orm::{QueryOrder, QuerySelect};
    audit_record::Entity::find()
        .select_only()
        .column(audit_record::Column::Seq)
        .column(audit_record::Column::Hash)
        .order_by_desc(audit_record::Column::Seq)
        .into_tuple()
        .one(store.complaints.db())
        .await
        .unwrap()
        .unwrap()
}

async fn a_complaint_history_is_proven_without_the_others(backend: Backend) {
    let (store, ids) = busy_store(backend).await;
    let app = store.app().await;
    let (status, proof) = send(&app, get(&format!("/v1/complaints/{}/audit-proof", ids[0]))).await;
    assert_eq!(status, 200, "{proof}");
    let proof: audit::Proof = serde_json::from_value(proof).unwrap();
    assert!(proof.pending.is_empty(), "the proof route seals first");
    assert!(proof.records.len() >= 3);
    let trusted = store.audit_key.verifying_key();
    assert_eq!(
        audit::check_proof(&proof, Some(&trusted)),
        Ok(proof.records.len())
    );
    let text = serde_json::to_string(&proof).unwrap();
    for other in &ids[1..] {
        assert!(
            !text.contains(&format!("complaint:{other}\"")),
            "another complaint leaks"
        );
    }

    // A changed record, a record moved under another index, or a foreign key all fail.
    let mut altered = proof.clone();
    altered.records[0].record.actor = "mallory".into();
    assert_eq!(
        audit::check_proof(&altered, Some(&trusted)),
        Err(audit::ProofError::Altered {
            seq: proof.records[0].record.seq
        })
    );
    let mut moved = proof.clone();
    moved.records[0].leaf_index += 1;
    assert!(matches!(
        audit::check_proof(&moved, Some(&trusted)),
        Err(audit::ProofError::NotIncluded { .. })
    ));
    let stranger = audit::parse_signing_key(&format!("{}=", "A".repeat(43)))
        .unwrap()
        .verifying_key();
    assert!(matches!(
        audit::check_proof(&proof, Some(&stranger)),
        Err(audit::ProofError::Checkpoint { .. })
    ));
    store.finish().await;
}

crate::on_both_backends!(
    every_change_is_chained_and_verify_names_each_tampered_record,
    a_complaint_history_is_proven_without_the_others,
);
