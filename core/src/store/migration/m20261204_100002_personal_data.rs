//! Personal data at rest: per-subject data keys, encrypted columns wide enough for their
//! ciphertext, the customer number's blind index, and the narrative's search index moved
//! from the (plain) narrative to its blind tokens.

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
                    .table("data_keys")
                    .col(string_len("id", 40).primary_key())
                    .col(string_len("master_key_id", 64))
                    .col(text("wrapped"))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        let add = |table: &str, column: ColumnDef| {
            Table::alter()
                .table(table.to_owned())
                .add_column(column)
                .to_owned()
        };
        for statement in [
            add(
                "customers",
                string_len("institution", 64).default("default").to_owned(),
            ),
            add("customers", string_len_null("number_index", 64).to_owned()),
            add("customers", string_len_null("data_key_id", 40).to_owned()),
            add(
                "customers",
                timestamp_with_time_zone_null("erased_at").to_owned(),
            ),
            add("complaints", string_len_null("data_key_id", 40).to_owned()),
            add("complaints", text_null("narrative_terms").to_owned()),
            add(
                "complaints",
                timestamp_with_time_zone_null("erased_at").to_owned(),
            ),
        ] {
            manager.alter_table(statement).await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("customers_number_index")
                    .table("customers")
                    .col("institution")
                    .col("number_index")
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                for stmt in [
                    "ALTER TABLE customers ALTER COLUMN name TYPE text",
                    "ALTER TABLE customers ALTER COLUMN email TYPE text",
                    "ALTER TABLE customers ALTER COLUMN phone TYPE text",
                    "ALTER TABLE customers ALTER COLUMN customer_number TYPE text",
                    "DROP INDEX IF EXISTS complaints_narrative_fts",
                    "CREATE INDEX complaints_terms_fts ON complaints \
                     USING gin (to_tsvector('simple', coalesce(narrative_terms, '')))",
                ] {
                    db.execute_unprepared(stmt).await?;
                }
            }
            _ => {
                for stmt in [
                    "DROP TRIGGER IF EXISTS complaints_fts_insert",
                    "DROP TRIGGER IF EXISTS complaints_fts_delete",
                    "DROP TRIGGER IF EXISTS complaints_fts_update",
                    "DROP TABLE IF EXISTS complaints_fts",
                    "CREATE VIRTUAL TABLE complaints_terms_fts USING fts5(narrative_terms, \
                     content='complaints', content_rowid='id', tokenize='unicode61')",
                    "CREATE TRIGGER complaints_terms_insert AFTER INSERT ON complaints BEGIN \
                     INSERT INTO complaints_terms_fts(rowid, narrative_terms) VALUES (new.id, new.narrative_terms); END",
                    "CREATE TRIGGER complaints_terms_delete AFTER DELETE ON complaints BEGIN \
                     INSERT INTO complaints_terms_fts(complaints_terms_fts, rowid, narrative_terms) \
                     VALUES ('delete', old.id, old.narrative_terms); END",
                    "CREATE TRIGGER complaints_terms_update AFTER UPDATE OF narrative_terms ON complaints BEGIN \
                     INSERT INTO complaints_terms_fts(complaints_terms_fts, rowid, narrative_terms) \
                     VALUES ('delete', old.id, old.narrative_terms); \
                     INSERT INTO complaints_terms_fts(rowid, narrative_terms) VALUES (new.id, new.narrative_terms); END",
                ] {
                    db.execute_unprepared(stmt).await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if manager.get_database_backend() == DbBackend::Sqlite {
            for stmt in [
                "DROP TRIGGER IF EXISTS complaints_terms_insert",
                "DROP TRIGGER IF EXISTS complaints_terms_delete",
                "DROP TRIGGER IF EXISTS complaints_terms_update",
                "DROP TABLE IF EXISTS complaints_terms_fts",
            ] {
                db.execute_unprepared(stmt).await?;
            }
        } else {
            db.execute_unprepared("DROP INDEX IF EXISTS complaints_terms_fts")
                .await?;
        }
        manager
            .drop_table(Table::drop().table("data_keys").to_owned())
            .await
    }
}
