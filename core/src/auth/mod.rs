//! Identities and permissions: who is calling (API tokens, JWTs) and what they may reach
//! (the casbin policy, turned into [`crate::service::Scope`]s).

mod adapter;
pub mod jwt;
pub mod policy;
pub mod tokens;

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::config::AuthSettings;
use crate::error::ServiceError;
pub use jwt::{JwtIdentity, JwtSettingsError, JwtVerifier};
pub use policy::{Policy, PolicyLine};
pub use tokens::{IssuedToken, TokenView, Tokens};

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The name casbin knows: a token's subject, or `jwt:<sub>`.
    pub subject: String,
    /// Roles the identity provider vouches for, as (role, domain).
    pub roles: Vec<(String, String)>,
}

/// Everything the API needs to authenticate and authorise a request.
#[derive(Clone)]
pub struct Auth {
    pub tokens: Tokens,
    pub policy: Policy,
    jwt: Option<Arc<JwtVerifier>>,
}

impl Auth {
    /// Loads the policy and sets up token and JWT checks.
    ///
    /// # Errors
    /// The store failed, or the JWT settings are unusable.
    pub async fn new(
        db: DatabaseConnection,
        settings: &AuthSettings,
    ) -> Result<Self, AuthSetupError> {
        let jwt = match &settings.jwt {
            Some(j) => Some(Arc::new(JwtVerifier::new(j)?)),
            None => None,
        };
        Ok(Self {
            tokens: Tokens::new(db.clone(), settings.token_cache_secs),
            policy: Policy::load(db).await?,
            jwt,
        })
    }

    /// Who the bearer token speaks for; None when it is not valid.
    ///
    /// # Errors
    /// The store failed.
    pub async fn authenticate(&self, bearer: &str) -> Result<Option<Principal>, ServiceError> {
        if bearer.starts_with("rdr_") {
            return Ok(self
                .tokens
                .authenticate(bearer)
                .await?
                .map(|subject| Principal {
                    subject,
                    roles: Vec::new(),
                }));
        }
        Ok(self
            .jwt
            .as_ref()
            .and_then(|j| j.verify(bearer))
            .map(|id| Principal {
                subject: id.subject,
                roles: id.roles,
            }))
    }
}

/// Why authentication could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum AuthSetupError {
    #[error(transparent)]
    Jwt(#[from] JwtSettingsError),
    #[error("cannot load the access policy")]
    Policy(#[from] ServiceError),
}
