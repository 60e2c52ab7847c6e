//! API tokens Redress issued. Only an argon2 hash of the secret is kept; the token itself
//! is shown once, when it is created.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_tokens")]
pub struct Model {
    /// The public part of `rdr_<id>_<secret>`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Whom the token speaks for: the subject casbin grants roles to.
    pub subject: String,
    /// What the token is for, as its creator described it.
    pub label: String,
    /// argon2id PHC string of the secret.
    pub secret_hash: String,
    pub created_by: String,
    pub created_at: DateTimeUtc,
    pub expires_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
