//! API tokens that Redress issues: `rdr_<id>_<secret>`, with only an argon2id hash of the
//! secret stored. The token is shown once, when issued.
//!
//! argon2 is slow on purpose (tens of milliseconds), too slow to run on every request at
//! thousands of requests a second. A verified token is therefore remembered in memory,
//! keyed by its SHA-256, for `auth.token_cache_secs` (at most 60 s) or until it expires.
//! Revoking a token drops it from this process's memory at once; another replica keeps
//! accepting it until its own entry lapses, at most `auth.token_cache_secs` later.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use chrono::{DateTime, Utc};
use rand::RngCore;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::audit::{self, Entry};
use crate::error::ServiceError;
use crate::store::entity::api_token;

const PREFIX: &str = "rdr_";
const ID_LEN: usize = 16;
const SECRET_LEN: usize = 64;
/// Tokens remembered at once; past it the memory is emptied and tokens verified again.
const CACHE_MAX: usize = 10_000;

/// A token just issued: the only time its secret is seen.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IssuedToken {
    pub id: String,
    pub subject: String,
    /// `rdr_<id>_<secret>`: send as `Authorization: Bearer <token>`. Shown once.
    pub token: String,
    pub expires_at: Option<DateTime<Utc>>,
}

/// A token as listed: never its secret.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TokenView {
    pub id: String,
    pub subject: String,
    pub label: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<api_token::Model> for TokenView {
    fn from(t: api_token::Model) -> Self {
        Self {
            id: t.id,
            subject: t.subject,
            label: t.label,
            created_by: t.created_by,
            created_at: t.created_at,
            expires_at: t.expires_at,
            revoked_at: t.revoked_at,
        }
    }
}

#[derive(Clone)]
struct Remembered {
    id: String,
    subject: String,
    until: Instant,
}

/// Issuing, listing, revoking and checking API tokens.
#[derive(Clone)]
pub struct Tokens {
    db: DatabaseConnection,
    cache: Arc<Mutex<HashMap<[u8; 32], Remembered>>>,
    ttl: Duration,
    /// Each argon2 check takes its memory cost (19 MiB by default): without a bound, the
    /// first burst of requests of a busy client (or a flood of forged tokens) would run as
    /// many at once, and the process's peak memory with them.
    checks: Arc<tokio::sync::Semaphore>,
}

impl Tokens {
    pub fn new(db: DatabaseConnection, cache_secs: u64) -> Self {
        Self {
            db,
            cache: Arc::new(Mutex::new(HashMap::new())),
            ttl: Duration::from_secs(cache_secs.min(60)),
            checks: Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(1, |n| n.get().min(4)),
            )),
        }
    }

    /// Issues a token for `subject`, valid until `expires_at` (forever when None).
    ///
    /// # Errors
    /// [`ServiceError::Invalid`] for a malformed subject or label, or an expiry in the past.
    pub async fn issue(
        &self,
        subject: &str,
        label: &str,
        expires_at: Option<DateTime<Utc>>,
        actor: &str,
    ) -> Result<IssuedToken, ServiceError> {
        check_subject(subject)?;
        let label =
            crate::service::validate::optional_text("label", Some(label), 128)?.unwrap_or_default();
        let now = Utc::now();
        if expires_at.is_some_and(|e| e <= now) {
            return Err(ServiceError::invalid(
                "expires_at",
                "in_past",
                "expires_at lies in the past",
            ));
        }
        let mut id_bytes = [0u8; ID_LEN / 2];
        let mut secret_bytes = [0u8; SECRET_LEN / 2];
        rand::rng().fill_bytes(&mut id_bytes);
        rand::rng().fill_bytes(&mut secret_bytes);
        let id = hex::encode(id_bytes);
        let secret = hex::encode(secret_bytes);
        let hash = tokio::task::spawn_blocking(move || hash_secret(&secret).map(|h| (h, secret)))
            .await
            .map_err(|_| internal("token hashing was interrupted"))??;
        let (secret_hash, secret) = hash;

        let txn = crate::store::begin_write(&self.db).await?;
        api_token::Entity::insert(api_token::ActiveModel {
            id: Set(id.clone()),
            subject: Set(subject.to_owned()),
            label: Set(label),
            secret_hash: Set(secret_hash),
            created_by: Set(actor.to_owned()),
            created_at: Set(now),
            expires_at: Set(expires_at),
            revoked_at: Set(None),
        })
        .exec_without_returning(&txn)
        .await?;
        audit::append(
            &txn,
            Entry::new(actor, "token.issue", format!("token:{id}"))
                .details(json!({"subject": subject, "expires_at": expires_at})),
        )
        .await?;
        txn.commit().await?;
        tracing::info!(token_id = %id, "API token issued");
        Ok(IssuedToken {
            token: format!("{PREFIX}{id}_{secret}"),
            id,
            subject: subject.to_owned(),
            expires_at,
        })
    }

    /// Every token, newest first.
    ///
    /// # Errors
    /// The store failed.
    pub async fn list(&self) -> Result<Vec<TokenView>, ServiceError> {
        Ok(api_token::Entity::find()
            .order_by_desc(api_token::Column::CreatedAt)
            .all(&self.db)
            .await?
            .into_iter()
            .map(TokenView::from)
            .collect())
    }

    /// Whether any token was ever issued: `redress admin bootstrap` runs only before.
    ///
    /// # Errors
    /// The store failed.
    pub async fn any(&self) -> Result<bool, ServiceError> {
        Ok(api_token::Entity::find().count(&self.db).await? > 0)
    }

    /// Revokes a token; false when it does not exist or was revoked already.
    ///
    /// # Errors
    /// The store failed.
    pub async fn revoke(&self, id: &str, actor: &str) -> Result<bool, ServiceError> {
        let txn = crate::store::begin_write(&self.db).await?;
        let changed = api_token::Entity::update_many()
            .col_expr(api_token::Column::RevokedAt, Expr::value(Utc::now()))
            .filter(api_token::Column::Id.eq(id))
            .filter(api_token::Column::RevokedAt.is_null())
            .exec(&txn)
            .await?
            .rows_affected;
        if changed == 0 {
            txn.rollback().await?;
            return Ok(false);
        }
        audit::append(
            &txn,
            Entry::new(actor, "token.revoke", format!("token:{id}")),
        )
        .await?;
        txn.commit().await?;
        self.lock().retain(|_, r| r.id != id);
        tracing::info!(token_id = %id, "API token revoked");
        Ok(true)
    }

    /// The subject of a valid, unexpired, unrevoked token; None for anything else.
    ///
    /// # Errors
    /// The store failed.
    pub async fn authenticate(&self, token: &str) -> Result<Option<String>, ServiceError> {
        let key: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        if let Some(subject) = self.remembered(&key) {
            return Ok(Some(subject));
        }
        let Some((id, secret)) = parse(token) else {
            return Ok(None);
        };
        let _check = self
            .checks
            .acquire()
            .await
            .map_err(|_| internal("token checks stopped"))?;
        // Requests that waited for a check of this same token find it remembered now.
        if let Some(subject) = self.remembered(&key) {
            return Ok(Some(subject));
        }
        let now = Instant::now();
        let Some(row) = api_token::Entity::find_by_id(id.to_owned())
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let wall = Utc::now();
        if row.revoked_at.is_some() || row.expires_at.is_some_and(|e| e <= wall) {
            return Ok(None);
        }
        let stored = row.secret_hash.clone();
        let secret = secret.to_owned();
        let valid = tokio::task::spawn_blocking(move || {
            Argon2::default()
                .verify_password(secret.as_bytes(), stored.as_str())
                .is_ok()
        })
        .await
        .map_err(|_| internal("token check was interrupted"))?;
        if !valid {
            return Ok(None);
        }
        let mut until = now + self.ttl;
        if let Some(expires) = row.expires_at {
            let left = (expires - wall).to_std().unwrap_or_default();
            until = until.min(now + left);
        }
        let mut cache = self.lock();
        if cache.len() >= CACHE_MAX {
            cache.clear();
        }
        cache.insert(
            key,
            Remembered {
                id: row.id,
                subject: row.subject.clone(),
                until,
            },
        );
        Ok(Some(row.subject))
    }

    fn remembered(&self, key: &[u8; 32]) -> Option<String> {
        self.lock()
            .get(key)
            .filter(|r| r.until > Instant::now())
            .map(|r| r.subject.clone())
    }

    /// Forgets every remembered token, so the next request of each is checked against the
    /// store again: what a replica does when another announces a revocation.
    pub fn forget_all(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], Remembered>> {
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Splits `rdr_<id>_<secret>`; None for anything else.
fn parse(token: &str) -> Option<(&str, &str)> {
    let rest = token.strip_prefix(PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    (hex(id, ID_LEN) && hex(secret, SECRET_LEN)).then_some((id, secret))
}

fn hash_secret(secret: &str) -> Result<String, ServiceError> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    Argon2::default()
        .hash_password_with_salt(secret.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| internal("token hashing failed"))
}

/// Subjects are names casbin grants roles to: letters, digits, `.`, `_`, `-`, `@`; never one
/// of the names Redress records its own work under ([`crate::service::actors`]).
pub fn check_subject(subject: &str) -> Result<(), ServiceError> {
    let ok = !subject.is_empty()
        && subject.len() <= 128
        && subject
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'@'));
    if !ok {
        return Err(ServiceError::invalid(
            "subject",
            "invalid_subject",
            "subject is 1 to 128 of A-Z a-z 0-9 . _ - @",
        ));
    }
    if crate::service::actors::is_reserved(subject) {
        return Err(ServiceError::invalid(
            "subject",
            "reserved_subject",
            format!(
                "subject may not be one of {}: Redress records its own work under them",
                crate::service::actors::RESERVED.join(", ")
            ),
        ));
    }
    Ok(())
}

fn internal(what: &str) -> ServiceError {
    ServiceError::Database(sea_orm::DbErr::Custom(what.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_token_shape_parses() {
        let id = "0123456789abcdef";
        let secret = "ab".repeat(32);
        let token = format!("rdr_{id}_{secret}");
        assert_eq!(parse(&token), Some((id, secret.as_str())));
        for bad in [
            "rdr_",
            "Bearer x",
            &format!("rdr_{id}{secret}"),
            &format!("rdx_{id}_{secret}"),
            &format!("rdr_{id}_{}", &secret[1..]),
            &format!("rdr_{}_{secret}", "g".repeat(16)),
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_hashed_secret_verifies_and_another_does_not() {
        let hash = hash_secret("right").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(
            Argon2::default()
                .verify_password(b"right", hash.as_str())
                .is_ok()
        );
        assert!(
            Argon2::default()
                .verify_password(b"wrong", hash.as_str())
                .is_err()
        );
    }
}
