//! The institution a complaint belongs to (with its region, the access-control domain), and
//! the tasks a complaint hands to other departments.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("complaints")
                    .add_column(string_len("institution", 64).default("default"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("complaints_domain")
                    .table("complaints")
                    .col("institution")
                    .col("region")
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("tasks")
                    .col(big_pk_auto("id"))
                    .col(big_integer("complaint_id"))
                    .col(string_len("institution", 64))
                    .col(string_len("region", 8))
                    .col(string_len("department", 64))
                    .col(text("question"))
                    .col(timestamp_with_time_zone("due_at"))
                    .col(string_len("state", 16))
                    .col(text_null("answer"))
                    .col(text_null("answer_data"))
                    .col(string("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(string_null("claimed_by"))
                    .col(timestamp_with_time_zone_null("claimed_at"))
                    .col(string_null("answered_by"))
                    .col(timestamp_with_time_zone_null("answered_at"))
                    .col(timestamp_with_time_zone_null("escalated_at"))
                    .col(timestamp_with_time_zone_null("cancelled_at"))
                    .col(integer("attempts").default(0))
                    .col(integer("version").default(1))
                    .foreign_key(
                        ForeignKey::create()
                            .from("tasks", "complaint_id")
                            .to("complaints", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("tasks_complaint", &["complaint_id"][..]),
            ("tasks_department_state", &["department", "state"][..]),
            ("tasks_state_due", &["state", "due_at"][..]),
        ] {
            let mut index = Index::create();
            index.name(name).table("tasks");
            for col in cols {
                index.col(*col);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("tasks").to_owned())
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("complaints_domain")
                    .table("complaints")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("complaints")
                    .drop_column("institution")
                    .to_owned(),
            )
            .await
    }
}
