//! The casbin policy: roles, what each role may do, and who holds which role in which
//! domain. Decisions are casbin's; this module turns them into [`Scope`]s.
//!
//! Lines, as `redress admin policy` and the admin API write them:
//! - `p, ROLE, DOMAIN, OBJECT, ACTION`: the role may do ACTION on OBJECT in DOMAIN (`*`
//!   for every domain; ACTION `*` for every action on OBJECT).
//! - `g, SUBJECT, ROLE, DOMAIN`: SUBJECT (an API token's subject, or `jwt:<sub>`) holds
//!   ROLE in DOMAIN (`acme/UK`, `acme/*`, or `*`).
//! - `g2, SUBJECT, DEPARTMENT`: SUBJECT works for DEPARTMENT; a role with the permission
//!   `scope/department` reaches only complaints with a task for the subject's departments.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use casbin::{CoreApi, DefaultModel, Enforcer, MgmtApi};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use strum::VariantNames;
use utoipa::ToSchema;

use super::adapter::SeaOrmAdapter;
use crate::audit::{self, Entry};
use crate::domain::Region;
use crate::error::ServiceError;
use crate::service::{Domain, Grant, Scope};
use crate::store::entity::casbin_rule;

/// The casbin model: requests are (subject, domain, object, action).
pub const MODEL: &str = r#"
[request_definition]
r = sub, dom, obj, act

[policy_definition]
p = sub, dom, obj, act

[role_definition]
g = _, _, _
g2 = _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = g(r.sub, p.sub, r.dom) && (p.dom == "*" || p.dom == r.dom) && r.obj == p.obj && (p.act == "*" || p.act == r.act)
"#;

/// The roles every installation starts with, as (role, object, action) in every domain.
/// Administrators may change them like any other policy line.
pub const BUILT_IN_RULES: &[(&str, &str, &str)] = &[
    ("customer", "tracking", "read"),
    ("agent", "complaint", "create"),
    ("agent", "complaint", "read"),
    ("agent", "complaint", "list"),
    ("agent", "complaint", "update"),
    ("agent", "complaint", "transition"),
    ("agent", "complaint", "note"),
    ("agent", "complaint", "clock"),
    ("agent", "pii", "read"),
    ("supervisor", "complaint", "*"),
    ("supervisor", "report", "read"),
    ("supervisor", "pii", "read"),
    ("supervisor", "audit", "read"),
    ("agent", "task", "create"),
    ("agent", "task", "read"),
    ("agent", "task", "list"),
    ("agent", "task", "cancel"),
    ("supervisor", "task", "*"),
    ("supervisor", "escalation", "*"),
    ("department_handler", "task", "read"),
    ("department_handler", "task", "list"),
    ("department_handler", "task", "claim"),
    ("department_handler", "task", "answer"),
    ("department_handler", "complaint", "read"),
    ("department_handler", "complaint", "note"),
    ("department_handler", "scope", "department"),
    ("compliance_officer", "complaint", "read"),
    ("compliance_officer", "complaint", "list"),
    ("compliance_officer", "report", "read"),
    ("compliance_officer", "pii", "read"),
    ("compliance_officer", "subject", "export"),
    ("compliance_officer", "subject", "erase"),
    ("compliance_officer", "audit", "read"),
    ("compliance_officer", "task", "read"),
    ("compliance_officer", "task", "list"),
    ("auditor", "complaint", "read"),
    ("auditor", "complaint", "list"),
    ("auditor", "report", "read"),
    ("auditor", "audit", "read"),
    ("auditor", "audit", "export"),
    ("auditor", "audit", "verify"),
    ("auditor", "task", "read"),
    ("auditor", "task", "list"),
    ("admin", "complaint", "*"),
    ("admin", "report", "*"),
    ("admin", "pii", "*"),
    ("admin", "subject", "*"),
    ("admin", "audit", "*"),
    ("admin", "policy", "*"),
    ("admin", "token", "*"),
    ("admin", "plugin", "*"),
    ("admin", "task", "*"),
    ("admin", "escalation", "*"),
    ("plugin_manager", "plugin", "read"),
    ("plugin_manager", "plugin", "manage"),
];

/// One policy line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyLine {
    /// `p`, `g` or `g2`.
    pub ptype: String,
    /// The line's fields after the type: 4 for `p`, 3 for `g`, 2 for `g2`.
    pub values: Vec<String>,
}

impl PolicyLine {
    fn check(&self) -> Result<(), ServiceError> {
        let arity = match self.ptype.as_str() {
            "p" => 4,
            "g" => 3,
            "g2" => 2,
            _ => {
                return Err(ServiceError::invalid(
                    "ptype",
                    "invalid_value",
                    "ptype must be p, g or g2",
                ));
            }
        };
        if self.values.len() != arity {
            return Err(ServiceError::invalid(
                "values",
                "wrong_arity",
                format!("a {} line has {arity} values", self.ptype),
            ));
        }
        for (i, v) in self.values.iter().enumerate() {
            let ok = !v.is_empty()
                && v.len() <= 128
                && v.bytes().all(|b| {
                    b.is_ascii_alphanumeric()
                        || matches!(b, b'-' | b'_' | b'.' | b':' | b'/' | b'*' | b'@')
                });
            if !ok {
                return Err(ServiceError::invalid(
                    format!("values[{i}]"),
                    "invalid_value",
                    "policy values are 1 to 128 of A-Z a-z 0-9 - _ . : / * @",
                ));
            }
        }
        let domain_at = match self.ptype.as_str() {
            "p" => Some(1),
            "g" => Some(2),
            _ => None,
        };
        if let Some(i) = domain_at
            && Domain::parse(&self.values[i]).is_none()
        {
            return Err(ServiceError::invalid(
                format!("values[{i}]"),
                "invalid_domain",
                "a domain is *, INSTITUTION/* or INSTITUTION/REGION",
            ));
        }
        Ok(())
    }
}

/// Whether a domain can ever match a complaint: `*`, or an institution as filings name it
/// (lowercase, as [`crate::service::validate::institution`] requires) with `*` or one of
/// the regions. `Domain::parse` is looser, so lines stored before this check still load.
fn applicable_domain(text: &str) -> bool {
    if text == "*" {
        return true;
    }
    let Some((institution, region)) = text.split_once('/') else {
        return false;
    };
    crate::service::validate::institution("domain", institution).is_ok_and(|v| v == institution)
        && (region == "*" || region.parse::<Region>().is_ok())
}

/// Refuses a new line that could never apply: a domain no complaint can be in, or a `g`
/// line granting a role no `p` line defines (a misspelt role would silently grant nothing).
/// `p` lines stay free to define new roles.
async fn check_applicable(
    db: &impl sea_orm::ConnectionTrait,
    line: &PolicyLine,
) -> Result<(), ServiceError> {
    let domain_at = match line.ptype.as_str() {
        "p" => Some(1),
        "g" => Some(2),
        _ => None,
    };
    if let Some(i) = domain_at
        && !applicable_domain(&line.values[i])
    {
        return Err(ServiceError::invalid(
            format!("values[{i}]"),
            "invalid_domain",
            format!(
                "a domain is *, INSTITUTION/* or INSTITUTION/REGION, the institution 1 to 64 of \
                 a-z, 0-9 and - and the region one of {}",
                Region::VARIANTS.join(", ")
            ),
        ));
    }
    if line.ptype == "g" {
        let role = &line.values[1];
        let defined = casbin_rule::Entity::find()
            .filter(casbin_rule::Column::Ptype.eq("p"))
            .filter(casbin_rule::Column::V0.eq(role.clone()))
            .count(db)
            .await?;
        if defined == 0 {
            return Err(ServiceError::invalid(
                "values[1]",
                "unknown_role",
                format!(
                    "no p line gives the role {role} a permission; define it with p lines first"
                ),
            ));
        }
    }
    Ok(())
}

type ScopeKey = (String, String, &'static str, &'static str);

/// The loaded policy and the scopes computed from it, dropped together on reload.
struct Loaded {
    enforcer: Enforcer,
    scopes: Mutex<HashMap<ScopeKey, Scope>>,
}

/// The policy shared by every request; reloaded from the database after each change made
/// here and on [`Policy::reload`] (the server calls it periodically for changes other
/// nodes made).
#[derive(Clone)]
pub struct Policy {
    db: DatabaseConnection,
    loaded: Arc<RwLock<Arc<Loaded>>>,
}

/// Computed scopes kept per policy generation; a bound keeps memory flat under many subjects.
const SCOPES_KEPT: usize = 10_000;

impl Policy {
    /// Loads the policy from `casbin_rules`.
    ///
    /// # Errors
    /// The store failed or a stored line does not fit the model.
    pub async fn load(db: DatabaseConnection) -> Result<Self, ServiceError> {
        let loaded = Self::build(&db).await?;
        Ok(Self {
            db,
            loaded: Arc::new(RwLock::new(Arc::new(loaded))),
        })
    }

    async fn build(db: &DatabaseConnection) -> Result<Loaded, ServiceError> {
        let model = DefaultModel::from_str(MODEL)
            .await
            .map_err(|e| policy_failure(&e))?;
        let enforcer = Enforcer::new(model, SeaOrmAdapter::new(db.clone()))
            .await
            .map_err(|e| policy_failure(&e))?;
        Ok(Loaded {
            enforcer,
            scopes: Mutex::new(HashMap::new()),
        })
    }

    /// Reads the policy again from the database.
    ///
    /// # Errors
    /// As [`Policy::load`]; the previous policy stays in force.
    pub async fn reload(&self) -> Result<(), ServiceError> {
        let fresh = Arc::new(Self::build(&self.db).await?);
        *self.loaded.write().unwrap_or_else(|e| e.into_inner()) = fresh;
        Ok(())
    }

    fn current(&self) -> Arc<Loaded> {
        self.loaded
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The complaints `subject` (holding `extra` roles from its identity provider as
    /// (role, domain) besides its casbin grants) may reach for `object`/`action`.
    pub fn scope(
        &self,
        subject: &str,
        extra: &[(String, String)],
        object: &'static str,
        action: &'static str,
    ) -> Scope {
        let loaded = self.current();
        let extra_key = extra
            .iter()
            .map(|(r, d)| format!("{r}@{d}"))
            .collect::<Vec<_>>()
            .join(",");
        let key = (subject.to_owned(), extra_key, object, action);
        if let Some(scope) = lock(&loaded.scopes).get(&key) {
            return scope.clone();
        }
        let scope = compute(&loaded.enforcer, subject, extra, object, action);
        let mut cache = lock(&loaded.scopes);
        if cache.len() >= SCOPES_KEPT {
            cache.clear();
        }
        cache.insert(key, scope.clone());
        scope
    }

    /// Every stored line, in the order they were added.
    ///
    /// # Errors
    /// The store failed.
    pub async fn lines(&self) -> Result<Vec<PolicyLine>, ServiceError> {
        Ok(casbin_rule::Entity::find()
            .order_by_asc(casbin_rule::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|r| {
                let mut values = vec![r.v0, r.v1, r.v2, r.v3, r.v4, r.v5];
                while values.last().is_some_and(String::is_empty) {
                    values.pop();
                }
                PolicyLine {
                    ptype: r.ptype,
                    values,
                }
            })
            .collect())
    }

    /// Checks a line as [`Policy::add`] would, without adding it: for callers that must
    /// refuse before doing anything else (issuing a token with grants).
    ///
    /// # Errors
    /// [`ServiceError::Invalid`] naming the value at fault; the store failed.
    pub async fn check_new(&self, line: &PolicyLine) -> Result<(), ServiceError> {
        line.check()?;
        check_applicable(&self.db, line).await
    }

    /// Adds a line and records it in the audit trail, in one transaction; false when the
    /// line was already there.
    ///
    /// # Errors
    /// [`ServiceError::Invalid`] for a malformed line, a domain no complaint can be in, or a
    /// `g` line for a role no `p` line defines; the store failed.
    pub async fn add(&self, line: &PolicyLine, actor: &str) -> Result<bool, ServiceError> {
        line.check()?;
        let txn = crate::store::begin_write(&self.db).await?;
        check_applicable(&txn, line).await?;
        if find_line(&txn, line).await?.is_some() {
            txn.rollback().await?;
            return Ok(false);
        }
        let v = |i: usize| Set(line.values.get(i).cloned().unwrap_or_default());
        casbin_rule::Entity::insert(casbin_rule::ActiveModel {
            ptype: Set(line.ptype.clone()),
            v0: v(0),
            v1: v(1),
            v2: v(2),
            v3: v(3),
            v4: v(4),
            v5: v(5),
            ..Default::default()
        })
        .exec_without_returning(&txn)
        .await?;
        audit::append(&txn, policy_entry(actor, "policy.add", line)).await?;
        txn.commit().await?;
        self.reload().await?;
        tracing::info!(ptype = %line.ptype, "policy line added");
        Ok(true)
    }

    /// Removes a line and records it; false when there was no such line.
    ///
    /// # Errors
    /// [`ServiceError::Invalid`] for a malformed line; the store failed.
    pub async fn remove(&self, line: &PolicyLine, actor: &str) -> Result<bool, ServiceError> {
        line.check()?;
        let txn = crate::store::begin_write(&self.db).await?;
        let Some(id) = find_line(&txn, line).await? else {
            txn.rollback().await?;
            return Ok(false);
        };
        casbin_rule::Entity::delete_by_id(id).exec(&txn).await?;
        audit::append(&txn, policy_entry(actor, "policy.remove", line)).await?;
        txn.commit().await?;
        self.reload().await?;
        tracing::info!(ptype = %line.ptype, "policy line removed");
        Ok(true)
    }

    /// Whether any subject holds `role` somewhere: `redress admin bootstrap` refuses to run
    /// once an administrator exists.
    pub fn has_holder(&self, role: &str) -> bool {
        self.current()
            .enforcer
            .get_filtered_grouping_policy(1, vec![role.to_owned()])
            .into_iter()
            .next()
            .is_some()
    }
}

fn policy_entry(actor: &str, action: &str, line: &PolicyLine) -> Entry {
    Entry::new(actor, action, format!("policy:{}", line.ptype))
        .details(json!({"ptype": line.ptype, "values": line.values}))
}

async fn find_line(
    db: &impl sea_orm::ConnectionTrait,
    line: &PolicyLine,
) -> Result<Option<i64>, ServiceError> {
    let v = |i: usize| line.values.get(i).cloned().unwrap_or_default();
    Ok(casbin_rule::Entity::find()
        .filter(casbin_rule::Column::Ptype.eq(line.ptype.clone()))
        .filter(casbin_rule::Column::V0.eq(v(0)))
        .filter(casbin_rule::Column::V1.eq(v(1)))
        .filter(casbin_rule::Column::V2.eq(v(2)))
        .filter(casbin_rule::Column::V3.eq(v(3)))
        .filter(casbin_rule::Column::V4.eq(v(4)))
        .filter(casbin_rule::Column::V5.eq(v(5)))
        .one(db)
        .await?
        .map(|r| r.id))
}

/// Asks casbin, role by role and domain by domain, what the subject may reach.
fn compute(
    enforcer: &Enforcer,
    subject: &str,
    extra: &[(String, String)],
    object: &str,
    action: &str,
) -> Scope {
    let mut held: Vec<(String, String)> = enforcer
        .get_filtered_grouping_policy(0, vec![subject.to_owned()])
        .into_iter()
        .filter_map(|g| Some((g.get(1)?.clone(), g.get(2)?.clone())))
        .collect();
    held.extend(extra.iter().cloned());
    let departments: Vec<String> = enforcer
        .get_filtered_named_grouping_policy("g2", 0, vec![subject.to_owned()])
        .into_iter()
        .filter_map(|g| g.get(1).cloned())
        .collect();
    let allows = |role: &str, domain: &str, obj: &str, act: &str| {
        enforcer
            .enforce((role, domain, obj, act))
            .unwrap_or_else(|e| {
                tracing::error!(error = %e, "policy evaluation failed");
                false
            })
    };
    let mut grants = Vec::new();
    for (role, domain) in &held {
        let Some(parsed) = Domain::parse(domain) else {
            continue;
        };
        if !allows(role, domain, object, action) {
            continue;
        }
        let departmental = allows(role, domain, "scope", "department");
        if departmental && departments.is_empty() {
            continue;
        }
        grants.push(Grant {
            domain: parsed,
            departments: departmental.then(|| departments.clone()),
        });
    }
    Scope::from_grants(grants)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn policy_failure(e: &casbin::Error) -> ServiceError {
    tracing::error!(error = %e, "cannot load the access policy");
    ServiceError::Database(sea_orm::DbErr::Custom("access policy unavailable".into()))
}

#[cfg(test)]
mod tests {
    use super::applicable_domain;

    #[test]
    fn only_domains_a_complaint_can_be_in_apply() {
        for good in ["*", "default/UK", "acme/*", "acme-bank-2/SG"] {
            assert!(applicable_domain(good), "{good}");
        }
        for bad in [
            "DEFAULT/uk",
            "Default/UK",
            "default/uk",
            "default/XX",
            "-acme/UK",
            "acme_bank/UK",
            "acme",
            "*/UK",
        ] {
            assert!(!applicable_domain(bad), "{bad}");
        }
    }
}
