//! A data subject's key, wrapped by a master key. Deleting the row is erasure: every
//! value encrypted under it, wherever it is left, can no longer be read.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "data_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Which configured master key wraps it.
    pub master_key_id: String,
    /// base64(nonce || AES-256-GCM(master key, data key)).
    #[sea_orm(column_type = "Text")]
    pub wrapped: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
