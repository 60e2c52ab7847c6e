//! Exporting a range of the trail with the checkpoints that seal it, for auditors.

use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::checkpoint::CheckpointView;
use super::proof::RecordView;
use crate::store::entity::{audit_checkpoint, audit_record};

/// Most records one export holds; ask for the next range after it.
pub const EXPORT_MAX: i64 = 100_000;

/// Records `from_seq..=upto_seq` and every checkpoint that overlaps them. A checkpoint
/// wholly inside the range can be checked against the records; one that reaches outside
/// it needs the neighbouring range too.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Export {
    pub from_seq: i64,
    pub upto_seq: i64,
    pub records: Vec<RecordView>,
    pub checkpoints: Vec<CheckpointView>,
}

/// Reads a range of at most [`EXPORT_MAX`] records.
///
/// # Errors
/// The store failed.
pub async fn export_range(
    db: &impl ConnectionTrait,
    from_seq: i64,
    upto_seq: i64,
) -> Result<Export, DbErr> {
    let upto_seq = upto_seq.min(from_seq + EXPORT_MAX - 1);
    let records = audit_record::Entity::find()
        .filter(audit_record::Column::Seq.gte(from_seq))
        .filter(audit_record::Column::Seq.lte(upto_seq))
        .order_by_asc(audit_record::Column::Seq)
        .limit(EXPORT_MAX as u64)
        .all(db)
        .await?;
    let checkpoints = audit_checkpoint::Entity::find()
        .filter(audit_checkpoint::Column::FromSeq.lte(upto_seq))
        .filter(audit_checkpoint::Column::UptoSeq.gte(from_seq))
        .order_by_asc(audit_checkpoint::Column::FromSeq)
        .all(db)
        .await?;
    Ok(Export {
        from_seq,
        upto_seq,
        records: records.into_iter().map(RecordView::from).collect(),
        checkpoints: checkpoints.into_iter().map(CheckpointView::from).collect(),
    })
}
