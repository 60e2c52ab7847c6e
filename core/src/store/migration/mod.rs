//! Schema migrations. They run unchanged on SQLite and PostgreSQL; the few statements that
//! differ (full-text search) are chosen by backend inside a migration.

use sea_orm_migration::prelude::*;

mod m20261203_000001_complaints;
mod m20261203_000002_deadlines;
mod m20261204_000003_tenancy_and_tasks;
mod m20261204_100001_access_and_audit;
mod m20261204_100002_personal_data;
mod m20261204_200001_outbox_and_escalations;
mod m20261204_300001_events_append_only;

/// Applies the schema; `redress serve` and `redress import` run it at start.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261203_000001_complaints::Migration),
            Box::new(m20261203_000002_deadlines::Migration),
            Box::new(m20261204_000003_tenancy_and_tasks::Migration),
            Box::new(m20261204_100001_access_and_audit::Migration),
            Box::new(m20261204_100002_personal_data::Migration),
            Box::new(m20261204_200001_outbox_and_escalations::Migration),
            Box::new(m20261204_300001_events_append_only::Migration),
        ]
    }
}
