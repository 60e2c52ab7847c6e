//! The deadlines a compliance plugin (or the region's fallback) set on each complaint.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("complaint_deadlines")
                    .col(big_pk_auto("id"))
                    .col(big_integer("complaint_id"))
                    .col(string_len("kind", 64))
                    .col(timestamp_with_time_zone("due_at"))
                    .col(string("rule"))
                    .col(text("basis"))
                    .col(boolean("paused"))
                    .col(string_len("source", 160))
                    .col(timestamp_with_time_zone_null("met_at"))
                    .col(timestamp_with_time_zone("computed_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("complaint_deadlines", "complaint_id")
                            .to("complaints", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("complaint_deadlines_complaint")
                    .table("complaint_deadlines")
                    .col("complaint_id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("complaint_deadlines_open_due")
                    .table("complaint_deadlines")
                    .col("met_at")
                    .col("due_at")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("complaint_deadlines").to_owned())
            .await
    }
}
