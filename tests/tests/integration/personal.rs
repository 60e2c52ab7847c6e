//! Personal data at rest: encrypted, searchable only through blind tokens, exported on
//! request, and erased by destroying its keys, on real imported CFPB complaints.

use std::collections::BTreeMap;

use chrono::Duration;
use redress::import::{self, Silent};
use redress::store::entity::{complaint, complaint_event, customer, data_key};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Statement};
use serde_json::{Value, json};

use crate::support::{Backend, TestStore, data_file, file, get, new_complaint, post_json, send};

const MIXED: &str = "complaints-mixed-2015-2020.csv";

async fn personal_fields_are_encrypted_at_rest_and_still_searchable(backend: Backend) {
    let store = TestStore::new(backend).await;
    let app = store.app().await;
    let (id, _) = file(&app, &new_complaint()).await;
    let path = format!("/v1/complaints/{id}");
    send(
        &app,
        post_json(
            &format!("{path}/notes"),
            &json!({"body": "Card 4417 1234 5678 9113"}),
        ),
    )
    .await;

    let db = store.complaints.db();
    let row = complaint::Entity::find_by_id(id)
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let narrative = row.narrative.unwrap();
    assert!(narrative.starts_with("v1:dk"), "{narrative}");
    assert!(!narrative.contains("charged"));
    assert!(!row.narrative_terms.unwrap().contains("charg"));
    let c = customer::Entity::find_by_id(row.customer_id.unwrap())
        .one(db)
        .await
        .unwrap()
        .unwrap();
    for value in [&c.name, &c.email, &c.phone, &c.customer_number] {
        assert!(value.as_deref().unwrap().starts_with("v1:"), "{value:?}");
    }
    let note = complaint_event::Entity::find()
        .filter(complaint_event::Column::Kind.eq("note"))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert!(!note.body.unwrap().contains("4417"));

    // Through the API the caller with pii/read sees it all, and search finds word forms.
    let (_, view) = send(&app, get(&path)).await;
    assert_eq!(view["customer"]["name"], "Jane Q. Customer");
    assert!(
        view["narrative"]
            .as_str()
            .unwrap()
            .contains("charged twice")
    );
    let (_, found) = send(&app, get("/v1/complaints?q=charges%20purchase")).await;
    assert_eq!(found["items"][0]["id"], id, "{found}");
    let (_, none) = send(&app, get("/v1/complaints?q=charged%20zeppelin")).await;
    assert_eq!(none["items"].as_array().unwrap().len(), 0);
    // The same customer number at the same institution is the same customer.
    let (second, _) = file(&app, &new_complaint()).await;
    let (_, again) = send(&app, get(&format!("/v1/complaints/{second}"))).await;
    assert_eq!(again["customer"]["id"], view["customer"]["id"]);
    store.finish().await;
}

/// Every value the store holds, as text: on PostgreSQL every row of every table of the
/// schema as JSON (what a dump holds), on SQLite the database and log files themselves.
async fn dump(store: &TestStore) -> String {
    let db = store.complaints.db();
    let backend = db.get_database_backend();
    if backend != sea_orm::DbBackend::Postgres {
        return String::from_utf8_lossy(&sqlite_bytes(store)).into_owned();
    }
    let tables = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT table_name::text AS t FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
        ))
        .await
        .unwrap();
    let mut out = String::new();
    for t in tables {
        let table: String = t.try_get("", "t").unwrap();
        let sql = format!("SELECT row_to_json(x)::text AS v FROM \"{table}\" x");
        for row in db
            .query_all_raw(Statement::from_string(backend, sql))
            .await
            .unwrap()
        {
            out.push_str(&row.try_get::<String>("", "v").unwrap());
            out.push('\n');
        }
    }
    assert!(
        out.contains("complaint_events") || out.len() > 1000,
        "the dump read nothing"
    );
    out
}

/// The files of the SQLite store, byte for byte (database and write-ahead log).
fn sqlite_bytes(store: &TestStore) -> Vec<u8> {
    let url = &store.settings.database.url;
    let path = url
        .trim_start_matches("sqlite://")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let mut bytes = Vec::new();
    for suffix in ["", "-wal"] {
        if let Ok(b) = std::fs::read(format!("{path}{suffix}")) {
            bytes.extend(b);
        }
    }
    bytes
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

async fn counts_by_product<S, B>(app: &S) -> Value
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let (status, counts) = send(app, get("/v1/reports/counts?by=product")).await;
    assert_eq!(status, 200);
    counts
}

async fn erasing_imported_cfpb_complaints_leaves_nothing_readable(backend: Backend) {
    let store = TestStore::new(backend).await;
    let input = std::fs::File::open(data_file(MIXED)).unwrap();
    import::import(&store.complaints, input, Duration::days(15), &Silent)
        .await
        .unwrap();
    let app = store.app().await;
    let before = counts_by_product(&app).await;

    // Closed complaints of the file with a narrative: by the file's own columns.
    let mut reader = csv::Reader::from_path(data_file(MIXED)).unwrap();
    let chosen: Vec<(String, String)> = reader
        .records()
        .map(Result::unwrap)
        .filter(|r| r[14].starts_with("Closed") && r[5].len() > 200)
        .take(12)
        .map(|r| (r[17].to_owned(), r[5].to_owned()))
        .collect();
    assert_eq!(chosen.len(), 12);
    let db = store.complaints.db();
    let mut erased = BTreeMap::new();
    for (external_id, narrative) in &chosen {
        let row = complaint::Entity::find()
            .filter(complaint::Column::ExternalId.eq(external_id.clone()))
            .one(db)
            .await
            .unwrap()
            .unwrap();
        let key = data_key::Entity::find_by_id(row.data_key_id.clone().unwrap())
            .one(db)
            .await
            .unwrap()
            .unwrap();
        let (_, view) = send(&app, get(&format!("/v1/complaints/{}", row.id))).await;
        let start: String = narrative.trim().chars().take(30).collect();
        assert!(view["narrative"].as_str().unwrap().starts_with(&start));
        erased.insert(
            row.id,
            (narrative.clone(), key.wrapped, row.narrative.unwrap()),
        );
    }
    if matches!(backend, Backend::Sqlite) {
        let bytes = sqlite_bytes(&store);
        let (_, (_, wrapped, _)) = erased.iter().next().unwrap();
        assert!(
            contains(&bytes, wrapped),
            "the check would find a key that is there"
        );
    }

    for id in erased.keys() {
        let (status, done) = send(
            &app,
            post_json(&format!("/v1/complaints/{id}/erase"), &json!({})),
        )
        .await;
        assert_eq!(status, 200, "{done}");
        assert_eq!(done["data_keys_destroyed"], 1);
    }

    // The facts stay: the same counts per product as before.
    assert_eq!(counts_by_product(&app).await, before);
    let text = dump(&store).await;
    let bytes = sqlite_bytes(&store);
    for (id, (narrative, wrapped, ciphertext)) in &erased {
        let (_, view) = send(&app, get(&format!("/v1/complaints/{id}"))).await;
        assert_eq!(view["narrative"], Value::Null);
        assert!(view["erased_at"].is_string());
        // No plaintext, no key: what history still holds is ciphertext nobody can open.
        let fragment: String = narrative.chars().take(60).collect();
        assert!(!text.contains(&fragment), "narrative of {id} in the dump");
        assert!(!text.contains(wrapped.as_str()), "key of {id} in the dump");
        assert!(
            !text.contains(ciphertext.as_str()),
            "narrative ciphertext of {id} kept"
        );
        if matches!(backend, Backend::Sqlite) {
            assert!(
                !contains(&bytes, &fragment),
                "narrative of {id} in the file"
            );
            assert!(!contains(&bytes, wrapped), "key of {id} in the file");
        }
        let row = complaint::Entity::find_by_id(*id)
            .one(db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.narrative_terms, None);
    }
    // Search no longer finds them by their words.
    let (first, (narrative, _, _)) = erased.iter().next().unwrap();
    let word = narrative
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| !w.chars().any(|c| c.is_uppercase()))
        .max_by_key(|w| w.len())
        .unwrap();
    let (_, found) = send(&app, get(&format!("/v1/complaints?q={word}&limit=500"))).await;
    assert!(
        !found["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["id"] == *first),
        "complaint {first} still found by {word}"
    );
    // The erasures are in the audit trail, and the chain holds.
    let (_, records) = send(&app, get("/v1/audit/records?limit=1000&after=6000")).await;
    assert!(records.to_string().contains("complaint.erased"));
    let (_, report) = send(&app, get("/v1/audit/verify")).await;
    assert_eq!(report["problem"], Value::Null);
    store.finish().await;
}

async fn a_customer_is_exported_and_erased_only_when_the_rules_allow(backend: Backend) {
    let store = TestStore::new(backend).await;
    let app = store.app().await;
    let (id, _) = file(&app, &new_complaint()).await;
    let (_, view) = send(&app, get(&format!("/v1/complaints/{id}"))).await;
    let customer = view["customer"]["id"].as_i64().unwrap();
    let path = format!("/v1/complaints/{id}");
    send(
        &app,
        post_json(
            &format!("{path}/notes"),
            &json!({"body": "Spoke to Jane at home"}),
        ),
    )
    .await;

    let (status, export) = send(&app, get(&format!("/v1/customers/{customer}/export"))).await;
    assert_eq!(status, 200, "{export}");
    assert_eq!(export["customer"]["email"], "jane.customer@example.com");
    assert_eq!(export["complaints"][0]["complaint"]["id"], id);
    assert!(export.to_string().contains("Spoke to Jane at home"));

    // Open: refused. Closed with a retention period running: refused, saying until when.
    let erase = format!("/v1/customers/{customer}/erase");
    let (status, refused) = send(&app, post_json(&erase, &json!({}))).await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (409, Some("complaint_open"))
    );
    for step in [
        json!({"to": "acknowledged"}),
        json!({"to": "in_progress"}),
        json!({"to": "resolved", "outcome": "upheld"}),
        json!({"to": "closed"}),
    ] {
        let (status, body) = send(&app, post_json(&format!("{path}/transitions"), &step)).await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, refused) = send(&app, post_json(&erase, &json!({}))).await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (409, Some("retention")),
        "{refused}"
    );

    // A withdrawn complaint keeps nothing back: its customer can go at once.
    let mut other = new_complaint();
    other["customer"]["customer_number"] = json!("CUST-55555");
    other["customer"]["name"] = json!("Ola Nordmann");
    let (second, _) = file(&app, &other).await;
    send(
        &app,
        post_json(
            &format!("/v1/complaints/{second}/transitions"),
            &json!({"to": "withdrawn"}),
        ),
    )
    .await;
    let (_, view) = send(&app, get(&format!("/v1/complaints/{second}"))).await;
    let ola = view["customer"]["id"].as_i64().unwrap();
    let (status, done) = send(
        &app,
        post_json(&format!("/v1/customers/{ola}/erase"), &json!({})),
    )
    .await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["data_keys_destroyed"], 2);
    let (_, after) = send(&app, get(&format!("/v1/customers/{ola}/export"))).await;
    assert_eq!(after["customer"]["name"], Value::Null);
    assert!(after["erased_at"].is_string());
    assert!(!dump(&store).await.contains("Ola Nordmann"));
    let (_, records) = send(
        &app,
        get(&format!("/v1/audit/records?object=customer:{ola}")),
    )
    .await;
    let text = records.to_string();
    assert!(
        text.contains("subject.erase") && text.contains("subject.export"),
        "{text}"
    );
    assert!(!text.contains("Ola"));
    store.finish().await;
}

async fn rotating_the_master_key_rewraps_every_data_key(backend: Backend) {
    let store = TestStore::new(backend).await;
    let app = store.app().await;
    let (id, _) = file(&app, &new_complaint()).await;
    let mut security = store.settings.security.clone();
    security.master_keys.insert(
        "m2".into(),
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, [7u8; 32]),
    );
    security.active_master_key = Some("m2".into());
    let db = store.complaints.db().clone();
    let both = redress::service::Complaints::new(db.clone(), store.settings.lifecycle.clone())
        .with_keys(redress::keys::Keyring::load(&security).unwrap());
    // The complaint's key and the customer's.
    assert_eq!(both.rewrap_data_keys().await.unwrap(), 2);
    assert_eq!(both.rewrap_data_keys().await.unwrap(), 0);

    // With the old master key gone from the configuration, everything still reads.
    security.master_keys.remove("m1");
    let only_new = redress::service::Complaints::new(db, store.settings.lifecycle.clone())
        .with_keys(redress::keys::Keyring::load(&security).unwrap());
    let view = only_new
        .view(&id.to_string(), &redress::service::Caller::system("test"))
        .await
        .unwrap();
    assert_eq!(
        view.customer.unwrap().name.as_deref(),
        Some("Jane Q. Customer")
    );
    assert!(view.narrative.unwrap().contains("charged twice"));
    store.finish().await;
}

async fn a_new_index_key_finds_everything_again_after_reindex(backend: Backend) {
    use redress::service::{Caller, Complaints, ListFilter, Reindexed};
    let store = TestStore::new(backend).await;
    let app = store.app().await;
    let (id, _) = file(&app, &new_complaint()).await;
    let mut security = store.settings.security.clone();
    security.index_key = Some(base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        [9u8; 32],
    ));
    let db = store.complaints.db().clone();
    let rekeyed = Complaints::new(db.clone(), store.settings.lifecycle.clone())
        .with_keys(redress::keys::Keyring::load(&security).unwrap());
    let caller = Caller::system("test");
    let search = ListFilter {
        q: Some("charges purchase".into()),
        ..ListFilter::default()
    };
    let found = |service: &Complaints| {
        let search = search.clone();
        let caller = caller.clone();
        let service = service.clone();
        async move {
            let page = service.list(&search, &caller).await.unwrap();
            page.items.iter().map(|c| c.id).collect::<Vec<_>>()
        }
    };
    // Tokens made with the old key mean nothing under the new one.
    assert_eq!(found(&rekeyed).await, Vec::<i64>::new());

    let done = rekeyed.rebuild_blind_indexes().await.unwrap();
    assert_eq!(
        done,
        Reindexed {
            complaints: 1,
            customers: 1
        }
    );
    assert_eq!(found(&rekeyed).await, vec![id]);
    assert_eq!(found(&store.complaints).await, Vec::<i64>::new());

    // The same customer number filed under the new key is the same customer.
    let again = rekeyed
        .file(
            serde_json::from_value(new_complaint()).unwrap(),
            None,
            &caller,
        )
        .await
        .unwrap();
    let customer_of = |id: i64| {
        let db = db.clone();
        async move {
            complaint::Entity::find_by_id(id)
                .one(&db)
                .await
                .unwrap()
                .unwrap()
                .customer_id
        }
    };
    let first = customer_of(id).await;
    assert!(first.is_some());
    assert_eq!(customer_of(again.complaint.id).await, first);
    // Running it again is harmless: the same tokens, now for both complaints.
    assert_eq!(
        rekeyed.rebuild_blind_indexes().await.unwrap(),
        Reindexed {
            complaints: 2,
            customers: 1
        }
    );
    assert_eq!(found(&rekeyed).await.len(), 2);
    store.finish().await;
}

crate::on_both_backends!(
    a_new_index_key_finds_everything_again_after_reindex,
    rotating_the_master_key_rewraps_every_data_key,
    personal_fields_are_encrypted_at_rest_and_still_searchable,
    erasing_imported_cfpb_complaints_leaves_nothing_readable,
    a_customer_is_exported_and_erased_only_when_the_rules_allow,
);
