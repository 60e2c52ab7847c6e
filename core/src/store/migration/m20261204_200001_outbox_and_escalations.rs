//! What the departments work needs beyond the `tasks` table: the transactional outbox the
//! relay publishes from, the lease that lets one replica relay at a time, the escalations
//! supervisors and owners work through, and when a task was given up by the bus.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("outbox")
                    .col(big_pk_auto("id"))
                    .col(string_len("subject", 255))
                    .col(string_len("msg_id", 128).unique_key())
                    .col(text("payload"))
                    .col(text_null("headers"))
                    .col(big_integer_null("complaint_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("sent_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("outbox_unsent")
                    .table("outbox")
                    .col("sent_at")
                    .col("id")
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("leases")
                    .col(string_len("name", 64).primary_key())
                    .col(string_len("holder", 128))
                    .col(timestamp_with_time_zone("expires_at"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("escalations")
                    .col(big_pk_auto("id"))
                    .col(big_integer("task_id"))
                    .col(big_integer("complaint_id"))
                    .col(string_len("department", 64))
                    .col(string_len("reason", 32))
                    .col(string_len("queue", 128))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("acknowledged_at"))
                    .col(string_null("acknowledged_by"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("escalations", "task_id")
                            .to("tasks", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        // One escalation per task and reason, whatever the number of replicas racing.
        manager
            .create_index(
                Index::create()
                    .name("escalations_once")
                    .table("escalations")
                    .col("task_id")
                    .col("reason")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("escalations_queue")
                    .table("escalations")
                    .col("queue")
                    .col("acknowledged_at")
                    .to_owned(),
            )
            .await?;

        manager
            .alter_table(
                Table::alter()
                    .table("tasks")
                    .add_column(timestamp_with_time_zone_null("dead_lettered_at"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("tasks")
                    .drop_column("dead_lettered_at")
                    .to_owned(),
            )
            .await?;
        for table in ["escalations", "leases", "outbox"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
