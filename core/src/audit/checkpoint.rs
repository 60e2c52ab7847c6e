//! Signed checkpoints: each seals the records since the previous one with the Merkle root
//! of their hashes and the chain hash at its last record, signed with Ed25519.
//!
//! The signed message is the text
//! `redress-audit-checkpoint/v1\n{from_seq}\n{upto_seq}\n{merkle_root}\n{chain_hash}\n{at}`
//! (`at` in RFC 3339 with microseconds), so anyone with the public key can check a
//! checkpoint without Redress.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, SecondsFormat, Utc};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::merkle;
use super::verify::decode;
use crate::store::entity::{audit_checkpoint, audit_head, audit_record};

/// A checkpoint as the API and the CLI show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
pub struct CheckpointView {
    pub id: i64,
    pub from_seq: i64,
    pub upto_seq: i64,
    pub merkle_root: String,
    pub chain_hash: String,
    pub at: DateTime<Utc>,
    pub key_id: String,
    pub public_key: String,
    pub signature: String,
}

impl From<audit_checkpoint::Model> for CheckpointView {
    fn from(c: audit_checkpoint::Model) -> Self {
        Self {
            id: c.id,
            from_seq: c.from_seq,
            upto_seq: c.upto_seq,
            merkle_root: c.merkle_root,
            chain_hash: c.chain_hash,
            at: c.at,
            key_id: c.key_id,
            public_key: c.public_key,
            signature: c.signature,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("audit.signing_key must be 32 bytes in standard base64 (an Ed25519 seed)")]
pub struct SigningKeyError;

/// Reads the configured signing key: a 32-byte Ed25519 seed in standard base64.
///
/// # Errors
/// Not base64, or not 32 bytes.
pub fn parse_signing_key(text: &str) -> Result<SigningKey, SigningKeyError> {
    let bytes = STANDARD.decode(text.trim()).map_err(|_| SigningKeyError)?;
    let seed: [u8; 32] = bytes.try_into().map_err(|_| SigningKeyError)?;
    Ok(SigningKey::from_bytes(&seed))
}

/// The short name of a public key: the first 16 hex digits of its SHA-256.
pub fn key_id(key: &VerifyingKey) -> String {
    hex::encode(Sha256::digest(key.to_bytes()))[..16].to_owned()
}

/// The exact bytes a checkpoint's signature covers.
pub fn checkpoint_message(
    from_seq: i64,
    upto_seq: i64,
    merkle_root: &str,
    chain_hash: &str,
    at: DateTime<Utc>,
) -> String {
    format!(
        "redress-audit-checkpoint/v1\n{from_seq}\n{upto_seq}\n{merkle_root}\n{chain_hash}\n{}",
        at.to_rfc3339_opts(SecondsFormat::Micros, true)
    )
}

/// How many records no checkpoint seals yet.
///
/// # Errors
/// The store failed.
pub async fn unsealed(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    let sealed = last_sealed(db).await?;
    let head = audit_head::Entity::find_by_id(1).one(db).await?;
    Ok(head.map_or(0, |h| (h.seq - sealed).max(0) as u64))
}

async fn last_sealed(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    Ok(audit_checkpoint::Entity::find()
        .select_only()
        .column_as(audit_checkpoint::Column::UptoSeq.max(), "upto")
        .into_tuple::<Option<i64>>()
        .one(db)
        .await?
        .flatten()
        .unwrap_or(0))
}

/// Seals every record not yet under a checkpoint. None when there is nothing new, or when
/// another replica sealed the same records first.
///
/// # Errors
/// The store failed.
pub async fn seal(
    db: &impl ConnectionTrait,
    key: &SigningKey,
) -> Result<Option<CheckpointView>, DbErr> {
    let from = last_sealed(db).await? + 1;
    let Some(head) = audit_head::Entity::find_by_id(1).one(db).await? else {
        return Ok(None);
    };
    if head.seq < from {
        return Ok(None);
    }
    let hashes: Vec<String> = audit_record::Entity::find()
        .select_only()
        .column(audit_record::Column::Hash)
        .filter(audit_record::Column::Seq.gte(from))
        .filter(audit_record::Column::Seq.lte(head.seq))
        .order_by_asc(audit_record::Column::Seq)
        .into_tuple()
        .all(db)
        .await?;
    if hashes.len() as i64 != head.seq - from + 1 {
        // Records the head counts are not all visible yet (a writer is committing); the
        // next round seals them.
        return Ok(None);
    }
    let leaves: Vec<merkle::Hash> = hashes.iter().map(|h| decode(h)).collect();
    let root = hex::encode(merkle::root(&leaves));
    let chain_hash = hashes.last().cloned().unwrap_or_default();
    let at = super::now_micros();
    let message = checkpoint_message(from, head.seq, &root, &chain_hash, at);
    let signature = key.sign(message.as_bytes());
    let public = key.verifying_key();
    let row = audit_checkpoint::ActiveModel {
        from_seq: Set(from),
        upto_seq: Set(head.seq),
        merkle_root: Set(root),
        chain_hash: Set(chain_hash),
        at: Set(at),
        key_id: Set(key_id(&public)),
        public_key: Set(hex::encode(public.to_bytes())),
        signature: Set(hex::encode(signature.to_bytes())),
        ..Default::default()
    };
    let inserted = audit_checkpoint::Entity::insert(row)
        .on_conflict(
            OnConflict::column(audit_checkpoint::Column::FromSeq)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    if inserted == 0 {
        return Ok(None);
    }
    let stored = audit_checkpoint::Entity::find()
        .filter(audit_checkpoint::Column::FromSeq.eq(from))
        .one(db)
        .await?;
    tracing::info!(
        from_seq = from,
        upto_seq = head.seq,
        "audit checkpoint sealed"
    );
    Ok(stored.map(CheckpointView::from))
}

/// Checks a checkpoint's signature against `trusted`, or against its own stored key.
pub(crate) fn check_signature(
    c: &audit_checkpoint::Model,
    trusted: Option<&VerifyingKey>,
) -> Result<(), String> {
    let stored = hex::decode(&c.public_key)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .and_then(|b| VerifyingKey::from_bytes(&b).ok())
        .ok_or("its public key is unreadable")?;
    if let Some(trusted) = trusted
        && trusted != &stored
    {
        return Err("it is signed with another key than the configured one".into());
    }
    let signature = hex::decode(&c.signature)
        .ok()
        .and_then(|b| <[u8; 64]>::try_from(b).ok())
        .map(|b| Signature::from_bytes(&b))
        .ok_or("its signature is unreadable")?;
    let message = checkpoint_message(c.from_seq, c.upto_seq, &c.merkle_root, &c.chain_hash, c.at);
    stored
        .verify(message.as_bytes(), &signature)
        .map_err(|_| "its signature does not verify".to_owned())
}
