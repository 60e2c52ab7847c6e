//! Which complaints a caller may reach: the one place data is scoped.
//!
//! A [`Scope`] is a list of grants, each a domain (`institution/REGION`, `institution/*`,
//! or everything) optionally narrowed to complaints with a task for some departments.
//! Every lookup, list, count and queue takes one; a complaint outside it is answered
//! exactly like a complaint that does not exist.

use sea_orm::sea_query::{Query, SimpleExpr};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::error::ServiceError;
use crate::store::entity::{complaint, task};

/// An access-control domain: an institution and a region, `acme/UK`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Domain {
    /// `*` for every institution.
    pub institution: String,
    /// None for every region of the institution.
    pub region: Option<String>,
}

impl Domain {
    /// Reads `*`, `acme/*` or `acme/UK`.
    pub fn parse(text: &str) -> Option<Self> {
        if text == "*" {
            return Some(Self {
                institution: "*".into(),
                region: None,
            });
        }
        let (institution, region) = text.split_once('/')?;
        let slug = |s: &str| {
            !s.is_empty()
                && s.len() <= 64
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        if !slug(institution) || !(region == "*" || slug(region)) {
            return None;
        }
        Some(Self {
            institution: institution.to_owned(),
            region: (region != "*").then(|| region.to_owned()),
        })
    }

    pub fn is_everything(&self) -> bool {
        self.institution == "*"
    }

    pub fn covers(&self, institution: &str, region: &str) -> bool {
        (self.institution == "*" || self.institution == institution)
            && self.region.as_deref().is_none_or(|r| r == region)
    }
}

/// The domain string of a complaint, as audit records and policies write it.
pub fn domain_of(institution: &str, region: &str) -> String {
    format!("{institution}/{region}")
}

/// One domain a caller reaches, perhaps only through department tasks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub domain: Domain,
    /// Some: only complaints with a task for one of these departments.
    pub departments: Option<Vec<String>>,
}

/// The complaints a caller may reach for one kind of action.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scope {
    grants: Vec<Grant>,
}

impl Scope {
    /// Every complaint: system work (the importer, the CLI) and global administrators.
    pub fn all() -> Self {
        Self {
            grants: vec![Grant {
                domain: Domain::parse("*").expect("the wildcard parses"),
                departments: None,
            }],
        }
    }

    /// No complaint at all.
    pub fn none() -> Self {
        Self::default()
    }

    pub fn from_grants(grants: Vec<Grant>) -> Self {
        let mut scope = Self { grants };
        scope.simplify();
        scope
    }

    pub fn grants(&self) -> &[Grant] {
        &self.grants
    }

    pub fn is_empty(&self) -> bool {
        self.grants.is_empty()
    }

    /// Whether the scope is every complaint, with no department narrowing.
    pub fn is_all(&self) -> bool {
        self.grants
            .iter()
            .any(|g| g.domain.is_everything() && g.departments.is_none())
    }

    /// Whether the caller reaches the domain as a whole (filing, erasing a customer).
    pub fn covers_domain(&self, institution: &str, region: &str) -> bool {
        self.grants
            .iter()
            .any(|g| g.departments.is_none() && g.domain.covers(institution, region))
    }

    /// Whether the caller reaches this stored complaint.
    ///
    /// # Errors
    /// The store failed while looking for department tasks.
    pub async fn covers(
        &self,
        db: &impl ConnectionTrait,
        row: &complaint::Model,
    ) -> Result<bool, ServiceError> {
        if self.covers_domain(&row.institution, &row.region) {
            return Ok(true);
        }
        for g in &self.grants {
            if let Some(departments) = &g.departments
                && g.domain.covers(&row.institution, &row.region)
            {
                let tasks = task::Entity::find()
                    .filter(task::Column::ComplaintId.eq(row.id))
                    .filter(task::Column::Department.is_in(departments.clone()))
                    .count(db)
                    .await?;
                if tasks > 0 {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }

    /// The condition on `complaints` rows; None when nothing narrows the scope.
    pub(crate) fn condition(&self) -> Option<Condition> {
        if self.is_all() {
            return None;
        }
        let mut any = Condition::any();
        if self.grants.is_empty() {
            // Matches nothing: the caller reaches no complaint.
            return Some(Condition::all().add(complaint::Column::Id.lt(0)));
        }
        for g in &self.grants {
            let mut one = Condition::all();
            if !g.domain.is_everything() {
                one = one.add(complaint::Column::Institution.eq(g.domain.institution.clone()));
            }
            if let Some(region) = &g.domain.region {
                one = one.add(complaint::Column::Region.eq(region.clone()));
            }
            if let Some(departments) = &g.departments {
                one = one.add(with_task_for(departments));
            }
            any = any.add(one);
        }
        Some(any)
    }

    /// Whether the caller reaches this task: its complaint's whole domain, or the domain
    /// through the task's own department (a fraud handler sees fraud's tasks, not legal's
    /// tasks on the same complaint).
    pub fn covers_task(&self, t: &task::Model) -> bool {
        self.grants.iter().any(|g| {
            g.domain.covers(&t.institution, &t.region)
                && g.departments
                    .as_ref()
                    .is_none_or(|d| d.contains(&t.department))
        })
    }

    /// Whether the caller reaches tasks of this department in this domain as that
    /// department: a department handler's own tasks, not every task of the domain.
    pub fn addresses_department(&self, institution: &str, region: &str, department: &str) -> bool {
        self.grants.iter().any(|g| {
            g.domain.covers(institution, region)
                && g.departments
                    .as_ref()
                    .is_some_and(|d| d.iter().any(|d| d == department))
        })
    }

    /// Whether the caller reaches this domain as a whole or through this department.
    pub fn covers_department(&self, institution: &str, region: &str, department: &str) -> bool {
        self.covers_domain(institution, region)
            || self.addresses_department(institution, region, department)
    }

    /// The condition on `tasks` rows matching [`Scope::covers_task`]; None when nothing
    /// narrows the scope.
    pub(crate) fn task_condition(&self) -> Option<Condition> {
        if self.is_all() {
            return None;
        }
        if self.grants.is_empty() {
            return Some(Condition::all().add(task::Column::Id.lt(0)));
        }
        let mut any = Condition::any();
        for g in &self.grants {
            let mut one = Condition::all();
            if !g.domain.is_everything() {
                one = one.add(task::Column::Institution.eq(g.domain.institution.clone()));
            }
            if let Some(region) = &g.domain.region {
                one = one.add(task::Column::Region.eq(region.clone()));
            }
            if let Some(departments) = &g.departments {
                one = one.add(task::Column::Department.is_in(departments.clone()));
            }
            any = any.add(one);
        }
        Some(any)
    }

    /// Drops grants another grant already covers whole.
    fn simplify(&mut self) {
        if self.is_all() {
            *self = Self::all();
            return;
        }
        let whole: Vec<Domain> = self
            .grants
            .iter()
            .filter(|g| g.departments.is_none())
            .map(|g| g.domain.clone())
            .collect();
        self.grants.retain(|g| {
            g.departments.is_none()
                || !whole.iter().any(|d| {
                    d.covers(
                        &g.domain.institution,
                        g.domain.region.as_deref().unwrap_or("*"),
                    ) && (d.region.is_none() || g.domain.region.is_some())
                })
        });
        self.grants.dedup();
    }
}

fn with_task_for(departments: &[String]) -> SimpleExpr {
    complaint::Column::Id.in_subquery(
        Query::select()
            .column(task::Column::ComplaintId)
            .from(task::Entity)
            .and_where(task::Column::Department.is_in(departments.to_vec()))
            .to_owned(),
    )
}

/// Who is asking, and what they may reach: what the API hands each use case.
#[derive(Debug, Clone)]
pub struct Caller {
    pub actor: super::Actor,
    /// Complaints the current action may touch.
    pub scope: Scope,
    /// Complaints whose personal data the caller may read unmasked.
    pub pii: Scope,
}

impl Caller {
    /// A caller inside Redress itself (CLI, importer, tests): reaches and reads everything.
    pub fn system(name: &str) -> Self {
        Self {
            actor: super::Actor(name.to_owned()),
            scope: Scope::all(),
            pii: Scope::all(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_parse_and_cover() {
        let uk = Domain::parse("acme/UK").unwrap();
        assert!(uk.covers("acme", "UK"));
        assert!(!uk.covers("acme", "HK"));
        assert!(!uk.covers("other", "UK"));
        let acme = Domain::parse("acme/*").unwrap();
        assert!(acme.covers("acme", "HK"));
        assert!(Domain::parse("*").unwrap().covers("x", "y"));
        for bad in ["", "acme", "acme/", "/UK", "a b/UK", "acme/U K"] {
            assert!(Domain::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn department_grants_inside_a_whole_domain_are_dropped() {
        let grant = |d: &str, deps: Option<&[&str]>| Grant {
            domain: Domain::parse(d).unwrap(),
            departments: deps.map(|d| d.iter().map(|s| (*s).to_owned()).collect()),
        };
        let scope = Scope::from_grants(vec![
            grant("acme/UK", None),
            grant("acme/UK", Some(&["fraud"])),
            grant("acme/HK", Some(&["fraud"])),
        ]);
        assert_eq!(scope.grants().len(), 2);
        assert!(scope.covers_domain("acme", "UK"));
        assert!(!scope.covers_domain("acme", "HK"));
        assert!(Scope::from_grants(vec![grant("*", None), grant("a/B", None)]).is_all());
        assert!(Scope::none().condition().is_some());
        assert!(Scope::all().condition().is_none());
    }
}
