//! One link of the audit hash chain: who did what to which object, in which domain, in
//! which request. `hash` is the SHA-256 of the record's canonical content and `prev_hash`.
//! Details never hold personal data: references and hashes only.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_records")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub seq: i64,
    pub at: DateTimeUtc,
    pub actor: String,
    pub action: String,
    pub object: String,
    pub domain: Option<String>,
    pub request_id: Option<String>,
    /// JSON text, hashed exactly as stored.
    #[sea_orm(column_type = "Text")]
    pub details: String,
    pub prev_hash: String,
    pub hash: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
