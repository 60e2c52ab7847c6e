//! Who may do what, and the record of what they did: API tokens, the casbin policy with
//! the built-in roles, the audit hash chain with its head row, and signed checkpoints.

use sea_orm::ConnectionTrait;
use sea_orm_migration::{prelude::*, schema::*};

use crate::auth::policy::BUILT_IN_RULES;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("api_tokens")
                    .col(string_len("id", 32).primary_key())
                    .col(string_len("subject", 128))
                    .col(string_len("label", 128))
                    .col(string("secret_hash"))
                    .col(string_len("created_by", 128))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("expires_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("casbin_rules")
                    .col(big_pk_auto("id"))
                    .col(string_len("ptype", 8))
                    .col(string_len("v0", 128).default(""))
                    .col(string_len("v1", 128).default(""))
                    .col(string_len("v2", 128).default(""))
                    .col(string_len("v3", 128).default(""))
                    .col(string_len("v4", 128).default(""))
                    .col(string_len("v5", 128).default(""))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("casbin_rules_unique")
                    .table("casbin_rules")
                    .col("ptype")
                    .col("v0")
                    .col("v1")
                    .col("v2")
                    .col("v3")
                    .col("v4")
                    .col("v5")
                    .unique()
                    .to_owned(),
            )
            .await?;
        let mut seed = Query::insert();
        seed.into_table("casbin_rules")
            .columns(["ptype", "v0", "v1", "v2", "v3"]);
        for rule in BUILT_IN_RULES {
            seed.values_panic([
                "p".into(),
                rule.0.into(),
                "*".into(),
                rule.1.into(),
                rule.2.into(),
            ]);
        }
        manager.get_connection().execute(&seed).await?;

        manager
            .create_table(
                Table::create()
                    .table("audit_records")
                    .col(big_integer("seq").primary_key())
                    .col(timestamp_with_time_zone("at"))
                    .col(string_len("actor", 128))
                    .col(string_len("action", 64))
                    .col(string_len("object", 128))
                    .col(string_len_null("domain", 128))
                    .col(string_len_null("request_id", 32))
                    .col(text("details"))
                    .col(string_len("prev_hash", 64))
                    .col(string_len("hash", 64))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("audit_records_object")
                    .table("audit_records")
                    .col("object")
                    .col("seq")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("audit_head")
                    .col(integer("id").primary_key())
                    .col(big_integer("seq"))
                    .col(string_len("hash", 64))
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute(
                &Query::insert()
                    .into_table("audit_head")
                    .columns(["id", "seq", "hash"])
                    .values_panic([1.into(), 0i64.into(), crate::audit::GENESIS.into()])
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("audit_checkpoints")
                    .col(big_pk_auto("id"))
                    .col(big_integer_uniq("from_seq"))
                    .col(big_integer("upto_seq"))
                    .col(string_len("merkle_root", 64))
                    .col(string_len("chain_hash", 64))
                    .col(timestamp_with_time_zone("at"))
                    .col(string_len("key_id", 32))
                    .col(string_len("public_key", 64))
                    .col(string_len("signature", 128))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "audit_checkpoints",
            "audit_head",
            "audit_records",
            "casbin_rules",
            "api_tokens",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
