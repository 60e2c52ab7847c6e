//! Customers, complaints, their history, idempotency keys and reference counters.

use sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("customers")
                    .col(big_pk_auto("id"))
                    .col(string_null("customer_number"))
                    .col(string_null("name"))
                    .col(string_null("email"))
                    .col(string_null("phone"))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("customers_customer_number")
                    .table("customers")
                    .col("customer_number")
                    .to_owned(),
            )
            .await?;

        manager.create_table(complaints_table()).await?;
        for (name, cols) in [
            ("complaints_received", &["received_at", "id"][..]),
            ("complaints_status_due", &["status", "due_at"][..]),
            ("complaints_product", &["product"][..]),
            ("complaints_company", &["company"][..]),
            ("complaints_customer", &["customer_id"][..]),
        ] {
            let mut index = Index::create();
            index.name(name).table("complaints");
            for col in cols {
                index.col(*col);
            }
            manager.create_index(index.to_owned()).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table("complaint_events")
                    .col(big_pk_auto("id"))
                    .col(big_integer("complaint_id"))
                    .col(string_len("kind", 32))
                    .col(string_len_null("from_status", 32))
                    .col(string_len_null("to_status", 32))
                    .col(string("actor"))
                    .col(boolean("public"))
                    .col(text_null("body"))
                    .col(text_null("data"))
                    .col(timestamp_with_time_zone("at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("complaint_events", "complaint_id")
                            .to("complaints", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("complaint_events_complaint")
                    .table("complaint_events")
                    .col("complaint_id")
                    .col("id")
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("idempotency_keys")
                    .col(string_len("key", 255).primary_key())
                    .col(string_len("request_hash", 64))
                    .col(big_integer("complaint_id"))
                    .col(string_null("tracking_token"))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("reference_counters")
                    .col(integer("year").primary_key())
                    .col(big_integer("last"))
                    .to_owned(),
            )
            .await?;

        full_text_search(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Sqlite {
            let db = manager.get_connection();
            for stmt in [
                "DROP TRIGGER IF EXISTS complaints_fts_insert",
                "DROP TRIGGER IF EXISTS complaints_fts_delete",
                "DROP TRIGGER IF EXISTS complaints_fts_update",
                "DROP TABLE IF EXISTS complaints_fts",
            ] {
                db.execute_unprepared(stmt).await?;
            }
        }
        for table in [
            "reference_counters",
            "idempotency_keys",
            "complaint_events",
            "complaints",
            "customers",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

fn complaints_table() -> TableCreateStatement {
    Table::create()
        .table("complaints")
        .col(big_pk_auto("id"))
        .col(string_len_uniq("reference", 32))
        .col(string_len_null("external_id", 64).unique_key())
        .col(string_len("source", 32))
        .col(string_len_null("tracking_token_hash", 64))
        .col(big_integer_null("customer_id"))
        .col(string_len("status", 32))
        .col(string_len("channel", 32))
        .col(string_len("region", 8))
        .col(string_len("language", 16))
        .col(string("product"))
        .col(string_null("sub_product"))
        .col(string("issue"))
        .col(string_null("sub_issue"))
        .col(text_null("narrative"))
        .col(string_null("company"))
        .col(string_len_null("consumer_state", 8))
        .col(string_len_null("consumer_zip", 16))
        .col(big_integer_null("amount_disputed_minor"))
        .col(string_len_null("amount_disputed_currency", 3))
        .col(text("tags"))
        .col(string_len("priority", 16))
        .col(string_null("assignee"))
        .col(string_null("department"))
        .col(timestamp_with_time_zone("received_at"))
        .col(string_len_null("customer_time_zone", 64))
        .col(timestamp_with_time_zone_null("sent_to_company_at"))
        .col(timestamp_with_time_zone_null("acknowledged_at"))
        .col(timestamp_with_time_zone_null("due_at"))
        .col(timestamp_with_time_zone_null("resolved_at"))
        .col(timestamp_with_time_zone_null("closed_at"))
        .col(string_len_null("outcome", 32))
        .col(string_len_null("response_category", 64))
        .col(text_null("company_public_response"))
        .col(boolean_null("timely_response"))
        .col(boolean_null("consumer_disputed"))
        .col(string_len_null("consumer_consent", 64))
        .col(string_len_null("event_tag", 64))
        .col(big_integer_null("redress_paid_minor"))
        .col(string_len_null("redress_paid_currency", 3))
        .col(big_integer_null("merged_into_id"))
        .col(integer("reopened_count"))
        .col(timestamp_with_time_zone_null("retain_until"))
        .col(string_null("retention_rule"))
        .col(integer("version"))
        .col(timestamp_with_time_zone("created_at"))
        .col(timestamp_with_time_zone("updated_at"))
        .foreign_key(
            ForeignKey::create()
                .from("complaints", "customer_id")
                .to("customers", "id"),
        )
        .to_owned()
}

/// Narrative search: an FTS5 index kept by triggers on SQLite, a GIN expression index on
/// PostgreSQL. Both use English stemming, so "charged" finds "charges".
async fn full_text_search(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    match manager.get_database_backend() {
        DbBackend::Sqlite => {
            for stmt in [
                "CREATE VIRTUAL TABLE complaints_fts USING fts5(narrative, \
                 content='complaints', content_rowid='id', tokenize='porter unicode61')",
                "CREATE TRIGGER complaints_fts_insert AFTER INSERT ON complaints BEGIN \
                 INSERT INTO complaints_fts(rowid, narrative) VALUES (new.id, new.narrative); END",
                "CREATE TRIGGER complaints_fts_delete AFTER DELETE ON complaints BEGIN \
                 INSERT INTO complaints_fts(complaints_fts, rowid, narrative) \
                 VALUES ('delete', old.id, old.narrative); END",
                "CREATE TRIGGER complaints_fts_update AFTER UPDATE OF narrative ON complaints BEGIN \
                 INSERT INTO complaints_fts(complaints_fts, rowid, narrative) \
                 VALUES ('delete', old.id, old.narrative); \
                 INSERT INTO complaints_fts(rowid, narrative) VALUES (new.id, new.narrative); END",
            ] {
                db.execute_unprepared(stmt).await?;
            }
        }
        DbBackend::Postgres => {
            db.execute_unprepared(
                "CREATE INDEX complaints_narrative_fts ON complaints \
                 USING gin (to_tsvector('english', coalesce(narrative, '')))",
            )
            .await?;
        }
        other => {
            return Err(DbErr::Migration(format!(
                "unsupported database backend {other:?}"
            )));
        }
    }
    Ok(())
}
