//! Proving one object's history (a complaint's records) to someone who trusts only the
//! checkpoint key: each record with its Merkle inclusion path to a signed checkpoint.
//! Other records appear only as sibling hashes, so nothing about other complaints leaks.
//!
//! Checking a proof offline (what [`check_proof`] and `redress audit check-proof` do):
//! 1. recompute each record's hash from its fields and `prev_hash` (see [`super`]);
//! 2. fold its `path` from `SHA-256(0x00 || hash)` up to the root as in RFC 6962,
//!    using `leaf_index` and `tree_size`, and compare with the checkpoint's `merkle_root`;
//! 3. verify the checkpoint's Ed25519 signature over its message with the public key.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use ed25519_dalek::VerifyingKey;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::checkpoint::{CheckpointView, check_signature};
use super::verify::decode;
use super::{Canonical, merkle, record_hash};
use crate::store::entity::{audit_checkpoint, audit_record};

/// One audit record as exported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RecordView {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub object: String,
    pub domain: Option<String>,
    pub request_id: Option<String>,
    /// The stored JSON text, exactly as hashed.
    pub details: String,
    pub prev_hash: String,
    pub hash: String,
}

impl From<audit_record::Model> for RecordView {
    fn from(r: audit_record::Model) -> Self {
        Self {
            seq: r.seq,
            at: r.at,
            actor: r.actor,
            action: r.action,
            object: r.object,
            domain: r.domain,
            request_id: r.request_id,
            details: r.details,
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }
}

impl RecordView {
    pub(crate) fn to_model(&self) -> audit_record::Model {
        audit_record::Model {
            seq: self.seq,
            at: self.at,
            actor: self.actor.clone(),
            action: self.action.clone(),
            object: self.object.clone(),
            domain: self.domain.clone(),
            request_id: self.request_id.clone(),
            details: self.details.clone(),
            prev_hash: self.prev_hash.clone(),
            hash: self.hash.clone(),
        }
    }
}

/// A record with the path that places it under a checkpoint.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProvenRecord {
    pub record: RecordView,
    pub checkpoint_id: i64,
    /// Position among the checkpoint's records, from 0.
    pub leaf_index: usize,
    /// How many records the checkpoint seals.
    pub tree_size: usize,
    /// Sibling hashes (hex), lowest first.
    pub path: Vec<String>,
}

/// Everything needed to check one object's history offline.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Proof {
    pub object: String,
    pub records: Vec<ProvenRecord>,
    pub checkpoints: Vec<CheckpointView>,
    /// Records of the object not yet sealed by a checkpoint; they can be proven later.
    pub pending: Vec<i64>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProofError {
    #[error("record {seq} was altered: its fields do not match its hash")]
    Altered { seq: i64 },
    #[error("record {seq} is about {found}, not {expected}")]
    OtherObject {
        seq: i64,
        found: String,
        expected: String,
    },
    #[error("record {seq} names checkpoint {id}, which the proof does not hold")]
    NoCheckpoint { seq: i64, id: i64 },
    #[error("record {seq} is not under checkpoint {id}: its path leads to another root")]
    NotIncluded { seq: i64, id: i64 },
    #[error("checkpoint {id}: {reason}")]
    Checkpoint { id: i64, reason: String },
}

/// Builds the proof for every record about `object` (`complaint:42`).
///
/// # Errors
/// The store failed.
pub async fn prove_object(db: &impl ConnectionTrait, object: &str) -> Result<Proof, DbErr> {
    let records = audit_record::Entity::find()
        .filter(audit_record::Column::Object.eq(object))
        .order_by_asc(audit_record::Column::Seq)
        .all(db)
        .await?;
    let checkpoints = audit_checkpoint::Entity::find()
        .order_by_asc(audit_checkpoint::Column::FromSeq)
        .all(db)
        .await?;
    let mut used: BTreeMap<i64, audit_checkpoint::Model> = BTreeMap::new();
    let mut leaves_of: BTreeMap<i64, Vec<merkle::Hash>> = BTreeMap::new();
    let mut proven = Vec::new();
    let mut pending = Vec::new();
    for r in records {
        let Some(c) = checkpoints
            .iter()
            .find(|c| c.from_seq <= r.seq && r.seq <= c.upto_seq)
        else {
            pending.push(r.seq);
            continue;
        };
        if let std::collections::btree_map::Entry::Vacant(slot) = leaves_of.entry(c.id) {
            let hashes: Vec<String> = audit_record::Entity::find()
                .select_only()
                .column(audit_record::Column::Hash)
                .filter(audit_record::Column::Seq.gte(c.from_seq))
                .filter(audit_record::Column::Seq.lte(c.upto_seq))
                .order_by_asc(audit_record::Column::Seq)
                .into_tuple()
                .all(db)
                .await?;
            slot.insert(hashes.iter().map(|h| decode(h)).collect());
            used.insert(c.id, c.clone());
        }
        let leaves = &leaves_of[&c.id];
        let index = (r.seq - c.from_seq) as usize;
        proven.push(ProvenRecord {
            checkpoint_id: c.id,
            leaf_index: index,
            tree_size: leaves.len(),
            path: merkle::path(index, leaves)
                .iter()
                .map(hex::encode)
                .collect(),
            record: RecordView::from(r),
        });
    }
    Ok(Proof {
        object: object.to_owned(),
        records: proven,
        checkpoints: used.into_values().map(CheckpointView::from).collect(),
        pending,
    })
}

/// Checks a proof without the database; returns how many records it proves.
///
/// # Errors
/// The first record or checkpoint that does not check.
pub fn check_proof(proof: &Proof, trusted: Option<&VerifyingKey>) -> Result<usize, ProofError> {
    for c in &proof.checkpoints {
        let model = audit_checkpoint::Model {
            id: c.id,
            from_seq: c.from_seq,
            upto_seq: c.upto_seq,
            merkle_root: c.merkle_root.clone(),
            chain_hash: c.chain_hash.clone(),
            at: c.at,
            key_id: c.key_id.clone(),
            public_key: c.public_key.clone(),
            signature: c.signature.clone(),
        };
        check_signature(&model, trusted)
            .map_err(|reason| ProofError::Checkpoint { id: c.id, reason })?;
    }
    for p in &proof.records {
        let r = &p.record;
        if r.object != proof.object {
            return Err(ProofError::OtherObject {
                seq: r.seq,
                found: r.object.clone(),
                expected: proof.object.clone(),
            });
        }
        let model = r.to_model();
        if record_hash(&r.prev_hash, &Canonical::of(&model)) != r.hash {
            return Err(ProofError::Altered { seq: r.seq });
        }
        let c = proof
            .checkpoints
            .iter()
            .find(|c| c.id == p.checkpoint_id)
            .ok_or(ProofError::NoCheckpoint {
                seq: r.seq,
                id: p.checkpoint_id,
            })?;
        let path: Vec<merkle::Hash> = p.path.iter().map(|h| decode(h)).collect();
        let in_range = c.from_seq + p.leaf_index as i64 == r.seq
            && p.tree_size as i64 == c.upto_seq - c.from_seq + 1;
        if !in_range
            || !merkle::verify(
                &decode(&r.hash),
                p.leaf_index,
                p.tree_size,
                &path,
                &decode(&c.merkle_root),
            )
        {
            return Err(ProofError::NotIncluded {
                seq: r.seq,
                id: c.id,
            });
        }
    }
    Ok(proof.records.len())
}
