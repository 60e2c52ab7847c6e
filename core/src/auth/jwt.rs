//! JWTs from the institution's identity provider: signature, expiry, issuer and audience
//! are checked against configuration. The subject becomes `jwt:<sub>`; its roles come from
//! casbin grants for that name and, when `auth.jwt.roles_claim` is set, from that claim
//! (a list of `role@domain` strings, e.g. `agent@acme/UK`).

use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode};
use serde::Deserialize;

use crate::config::JwtSettings;

/// Why the JWT settings cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("auth.jwt: {0}")]
pub struct JwtSettingsError(String);

/// Checks tokens against one configured issuer.
pub struct JwtVerifier {
    key: DecodingKey,
    validation: Validation,
    roles_claim: Option<String>,
}

/// A verified identity from a JWT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwtIdentity {
    pub subject: String,
    /// (role, domain) pairs from the roles claim.
    pub roles: Vec<(String, String)>,
}

#[derive(Deserialize)]
struct Claims {
    sub: String,
    #[serde(flatten)]
    rest: serde_json::Map<String, serde_json::Value>,
}

impl JwtVerifier {
    /// # Errors
    /// An unknown algorithm, or a key that does not fit it.
    pub fn new(settings: &JwtSettings) -> Result<Self, JwtSettingsError> {
        let bad = |m: &str| JwtSettingsError(m.to_owned());
        let (algorithm, key) = match settings.algorithm.as_str() {
            "HS256" => {
                let secret = settings
                    .secret
                    .as_deref()
                    .filter(|s| s.len() >= 32)
                    .ok_or_else(|| bad("HS256 needs a secret of at least 32 bytes"))?;
                (
                    Algorithm::HS256,
                    DecodingKey::from_secret(secret.as_bytes())
                        .map_err(|_| bad("unusable secret"))?,
                )
            }
            "RS256" => {
                let pem = settings
                    .public_key_pem
                    .as_deref()
                    .ok_or_else(|| bad("RS256 needs public_key_pem"))?;
                (
                    Algorithm::RS256,
                    DecodingKey::from_rsa_pem(pem.as_bytes())
                        .map_err(|_| bad("public_key_pem is not an RSA public key"))?,
                )
            }
            "ES256" => {
                let pem = settings
                    .public_key_pem
                    .as_deref()
                    .ok_or_else(|| bad("ES256 needs public_key_pem"))?;
                (
                    Algorithm::ES256,
                    DecodingKey::from_ec_pem(pem.as_bytes())
                        .map_err(|_| bad("public_key_pem is not a P-256 public key"))?,
                )
            }
            _ => return Err(bad("algorithm must be HS256, RS256 or ES256")),
        };
        let mut validation = Validation::new(algorithm);
        validation.set_issuer(&[&settings.issuer]);
        validation.set_audience(&[&settings.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 30;
        Ok(Self {
            key,
            validation,
            roles_claim: settings.roles_claim.clone(),
        })
    }

    /// The identity in a valid token; None for a bad signature, an expired token, another
    /// issuer or audience, or a malformed one.
    pub fn verify(&self, token: &str) -> Option<JwtIdentity> {
        let data = decode::<Claims>(token, &self.key, &self.validation).ok()?;
        let sub = data.claims.sub;
        if sub.is_empty() || sub.len() > 120 || sub.chars().any(char::is_control) {
            return None;
        }
        let roles = self
            .roles_claim
            .as_ref()
            .and_then(|name| data.claims.rest.get(name))
            .and_then(|v| v.as_array())
            .map(|items| {
                items
                    .iter()
                    .filter_map(|v| v.as_str()?.split_once('@'))
                    .map(|(role, domain)| (role.to_owned(), domain.to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        Some(JwtIdentity {
            subject: format!("jwt:{sub}"),
            roles,
        })
    }
}
