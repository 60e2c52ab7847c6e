//! A signed seal over a run of audit records: the Merkle root of their hashes, the chain
//! hash at its last record, and an Ed25519 signature over both.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_checkpoints")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub from_seq: i64,
    pub upto_seq: i64,
    pub merkle_root: String,
    pub chain_hash: String,
    pub at: DateTimeUtc,
    pub key_id: String,
    /// Hex of the Ed25519 public key that verifies `signature`.
    pub public_key: String,
    /// Hex of the Ed25519 signature over [`crate::audit::checkpoint_message`].
    pub signature: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
