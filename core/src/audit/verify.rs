//! Walking the chain: every record's hash, every link, the head, and every checkpoint's
//! Merkle root and signature. The first problem found is named by its record.

use ed25519_dalek::VerifyingKey;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;
use utoipa::ToSchema;

use super::checkpoint::check_signature;
use super::{Canonical, GENESIS, merkle, record_hash};
use crate::store::entity::{audit_checkpoint, audit_head, audit_record};

/// Records read per query while walking.
const PAGE: u64 = 20_000;

/// The first thing wrong with the trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Finding {
    /// The record's content no longer matches its hash.
    Altered { seq: i64 },
    /// The record is gone: the chain jumps over it.
    Missing { seq: i64 },
    /// The record does not link to the one before it: records were swapped, or the one
    /// before was rewritten together with its hash.
    BrokenLink { seq: i64 },
    /// Records at the end were removed: the head says the chain is longer.
    Truncated { last_seq: i64, head_seq: i64 },
    /// A checkpoint's root or signature does not match the records it seals.
    Checkpoint {
        id: i64,
        from_seq: i64,
        upto_seq: i64,
        reason: String,
    },
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Altered { seq } => write!(
                f,
                "record {seq} was altered: its content does not match its hash"
            ),
            Self::Missing { seq } => write!(f, "record {seq} is missing: the chain jumps over it"),
            Self::BrokenLink { seq } => write!(
                f,
                "record {seq} does not link to record {}: records were swapped or record {} was rewritten",
                seq - 1,
                seq - 1
            ),
            Self::Truncated { last_seq, head_seq } => write!(
                f,
                "records {} to {head_seq} were removed from the end",
                last_seq + 1
            ),
            Self::Checkpoint {
                id,
                from_seq,
                upto_seq,
                reason,
            } => write!(
                f,
                "checkpoint {id} (records {from_seq} to {upto_seq}) does not match: {reason}"
            ),
        }
    }
}

/// What a walk found.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Report {
    pub records: u64,
    pub checkpoints: u64,
    /// Records up to here are sealed by a verified checkpoint.
    pub sealed_upto: i64,
    /// None when the trail is intact.
    pub problem: Option<Finding>,
}

impl Report {
    pub fn is_intact(&self) -> bool {
        self.problem.is_none()
    }
}

/// Walks the whole trail. `trusted` is the public key checkpoints must be signed with;
/// without it, each checkpoint is checked against the key stored beside it, which proves
/// integrity but not who sealed it.
///
/// # Errors
/// The store failed.
pub async fn verify(
    db: &impl ConnectionTrait,
    trusted: Option<&VerifyingKey>,
) -> Result<Report, DbErr> {
    let mut hashes: Vec<merkle::Hash> = Vec::new();
    let mut prev = GENESIS.to_owned();
    let mut expected = 1i64;
    let mut problem = None;
    'walk: loop {
        let page = audit_record::Entity::find()
            .filter(audit_record::Column::Seq.gte(expected))
            .order_by_asc(audit_record::Column::Seq)
            .limit(PAGE)
            .all(db)
            .await?;
        if page.is_empty() {
            break;
        }
        for r in &page {
            if r.seq != expected {
                problem = Some(Finding::Missing { seq: expected });
                break 'walk;
            }
            if record_hash(&r.prev_hash, &Canonical::of(r)) != r.hash {
                problem = Some(Finding::Altered { seq: r.seq });
                break 'walk;
            }
            if r.prev_hash != prev {
                problem = Some(Finding::BrokenLink { seq: r.seq });
                break 'walk;
            }
            hashes.push(decode(&r.hash));
            prev.clone_from(&r.hash);
            expected += 1;
        }
        if (page.len() as u64) < PAGE {
            break;
        }
    }
    let records = hashes.len() as u64;
    if problem.is_none() {
        let head = audit_head::Entity::find_by_id(1).one(db).await?;
        if let Some(head) = head
            && (head.seq != records as i64 || head.hash != prev)
        {
            problem = Some(if head.seq > records as i64 {
                Finding::Truncated {
                    last_seq: records as i64,
                    head_seq: head.seq,
                }
            } else {
                Finding::Altered {
                    seq: records as i64,
                }
            });
        }
    }

    let checkpoints = audit_checkpoint::Entity::find()
        .order_by_asc(audit_checkpoint::Column::FromSeq)
        .all(db)
        .await?;
    let mut sealed_upto = 0;
    for c in &checkpoints {
        let reason = checkpoint_problem(c, &hashes, trusted);
        match reason {
            None => sealed_upto = sealed_upto.max(c.upto_seq),
            Some(reason) => {
                // A broken chain already names the record; a checkpoint adds the seal's view.
                if problem.is_none() {
                    problem = Some(Finding::Checkpoint {
                        id: c.id,
                        from_seq: c.from_seq,
                        upto_seq: c.upto_seq,
                        reason,
                    });
                }
                break;
            }
        }
    }
    Ok(Report {
        records,
        checkpoints: checkpoints.len() as u64,
        sealed_upto,
        problem,
    })
}

fn checkpoint_problem(
    c: &audit_checkpoint::Model,
    hashes: &[merkle::Hash],
    trusted: Option<&VerifyingKey>,
) -> Option<String> {
    if c.from_seq < 1 || c.upto_seq < c.from_seq {
        return Some("its range is empty".into());
    }
    let (from, upto) = (c.from_seq as usize, c.upto_seq as usize);
    if upto > hashes.len() {
        return Some(format!(
            "it seals records up to {upto} but the intact chain ends at {}",
            hashes.len()
        ));
    }
    let root = hex::encode(merkle::root(&hashes[from - 1..upto]));
    if root != c.merkle_root {
        return Some("the Merkle root of its records differs".into());
    }
    if hex::encode(hashes[upto - 1]) != c.chain_hash {
        return Some("the chain hash at its last record differs".into());
    }
    check_signature(c, trusted).err()
}

pub(crate) fn decode(hex_hash: &str) -> merkle::Hash {
    let mut out = [0u8; 32];
    if let Ok(bytes) = hex::decode(hex_hash)
        && bytes.len() == 32
    {
        out.copy_from_slice(&bytes);
    }
    out
}
