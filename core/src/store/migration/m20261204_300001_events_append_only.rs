//! The history of a complaint is append-only in the database itself, not only by the
//! habit of the code: triggers refuse every UPDATE and DELETE of `complaint_events` (and,
//! on PostgreSQL, TRUNCATE), whoever connects.

use sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const REFUSAL: &str = "complaint_events is append-only: history rows are never changed or removed";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let statements = match manager.get_database_backend() {
            DbBackend::Sqlite => vec![
                format!(
                    "CREATE TRIGGER complaint_events_no_update BEFORE UPDATE ON complaint_events \
                     BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
                ),
                format!(
                    "CREATE TRIGGER complaint_events_no_delete BEFORE DELETE ON complaint_events \
                     BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
                ),
            ],
            DbBackend::Postgres => vec![
                // restrict_violation (23001): an integrity rule refused the change.
                format!(
                    "CREATE FUNCTION complaint_events_refuse_change() RETURNS trigger \
                     LANGUAGE plpgsql AS $$ BEGIN \
                     RAISE EXCEPTION '{REFUSAL}' USING ERRCODE = 'restrict_violation'; \
                     END $$"
                ),
                "CREATE TRIGGER complaint_events_no_change BEFORE UPDATE OR DELETE \
                 ON complaint_events FOR EACH ROW EXECUTE FUNCTION complaint_events_refuse_change()"
                    .to_owned(),
                "CREATE TRIGGER complaint_events_no_truncate BEFORE TRUNCATE \
                 ON complaint_events FOR EACH STATEMENT EXECUTE FUNCTION complaint_events_refuse_change()"
                    .to_owned(),
            ],
            other => {
                return Err(DbErr::Migration(format!(
                    "unsupported database backend {other:?}"
                )));
            }
        };
        for statement in statements {
            db.execute_unprepared(&statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let statements: &[&str] = match manager.get_database_backend() {
            DbBackend::Sqlite => &[
                "DROP TRIGGER IF EXISTS complaint_events_no_update",
                "DROP TRIGGER IF EXISTS complaint_events_no_delete",
            ],
            _ => &[
                "DROP TRIGGER IF EXISTS complaint_events_no_truncate ON complaint_events",
                "DROP TRIGGER IF EXISTS complaint_events_no_change ON complaint_events",
                "DROP FUNCTION IF EXISTS complaint_events_refuse_change()",
            ],
        };
        for statement in statements {
            db.execute_unprepared(statement).await?;
        }
        Ok(())
    }
}
