//! A casbin adapter over sea-orm (table `casbin_rules`), so the policy lives in the same
//! database as everything else, on SQLite and PostgreSQL alike. No maintained adapter for
//! sea-orm 2 exists; this one is small.
//!
//! Redress changes lines through [`super::Policy`], which writes the line and its audit
//! record in one transaction and then reloads; the write methods here serve casbin's own
//! management API for completeness.

use casbin::{Adapter, Filter, Model, Result as CasbinResult};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder,
};

use crate::store::entity::casbin_rule;

pub struct SeaOrmAdapter {
    db: DatabaseConnection,
    filtered: bool,
}

impl SeaOrmAdapter {
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            filtered: false,
        }
    }
}

fn failure(e: sea_orm::DbErr) -> casbin::Error {
    casbin::Error::AdapterError(casbin::error::AdapterError(Box::new(e)))
}

fn values(r: &casbin_rule::Model) -> Vec<String> {
    let mut v = vec![
        r.v0.clone(),
        r.v1.clone(),
        r.v2.clone(),
        r.v3.clone(),
        r.v4.clone(),
        r.v5.clone(),
    ];
    while v.last().is_some_and(String::is_empty) {
        v.pop();
    }
    v
}

fn row(ptype: &str, rule: &[String]) -> casbin_rule::ActiveModel {
    let v = |i: usize| Set(rule.get(i).cloned().unwrap_or_default());
    casbin_rule::ActiveModel {
        ptype: Set(ptype.to_owned()),
        v0: v(0),
        v1: v(1),
        v2: v(2),
        v3: v(3),
        v4: v(4),
        v5: v(5),
        ..Default::default()
    }
}

fn matching(ptype: &str, rule: &[String]) -> Condition {
    let columns = [
        casbin_rule::Column::V0,
        casbin_rule::Column::V1,
        casbin_rule::Column::V2,
        casbin_rule::Column::V3,
        casbin_rule::Column::V4,
        casbin_rule::Column::V5,
    ];
    let mut c = Condition::all().add(casbin_rule::Column::Ptype.eq(ptype));
    for (i, column) in columns.iter().enumerate() {
        c = c.add(column.eq(rule.get(i).cloned().unwrap_or_default()));
    }
    c
}

fn load_line(m: &mut dyn Model, ptype: &str, rule: Vec<String>) {
    let sec = if ptype.starts_with('g') { "g" } else { "p" };
    if let Some(section) = m.get_mut_model().get_mut(sec)
        && let Some(assertion) = section.get_mut(ptype)
    {
        assertion.get_mut_policy().insert(rule);
    }
}

#[async_trait::async_trait]
impl Adapter for SeaOrmAdapter {
    async fn load_policy(&mut self, m: &mut dyn Model) -> CasbinResult<()> {
        self.filtered = false;
        let rows = casbin_rule::Entity::find()
            .order_by_asc(casbin_rule::Column::Id)
            .all(&self.db)
            .await
            .map_err(failure)?;
        for r in &rows {
            load_line(m, &r.ptype, values(r));
        }
        Ok(())
    }

    async fn load_filtered_policy<'a>(
        &mut self,
        m: &mut dyn Model,
        f: Filter<'a>,
    ) -> CasbinResult<()> {
        let rows = casbin_rule::Entity::find()
            .order_by_asc(casbin_rule::Column::Id)
            .all(&self.db)
            .await
            .map_err(failure)?;
        for r in &rows {
            let v = values(r);
            let wanted = if r.ptype.starts_with('g') { &f.g } else { &f.p };
            let keep = wanted
                .iter()
                .enumerate()
                .all(|(i, w)| w.is_empty() || v.get(i).is_some_and(|x| x == w));
            if keep {
                load_line(m, &r.ptype, v);
            } else {
                self.filtered = true;
            }
        }
        Ok(())
    }

    async fn save_policy(&mut self, m: &mut dyn Model) -> CasbinResult<()> {
        let mut rows = Vec::new();
        for sec in ["p", "g"] {
            if let Some(section) = m.get_model().get(sec) {
                for (ptype, assertion) in section {
                    for rule in assertion.get_policy() {
                        rows.push(row(ptype, rule));
                    }
                }
            }
        }
        casbin_rule::Entity::delete_many()
            .exec(&self.db)
            .await
            .map_err(failure)?;
        if !rows.is_empty() {
            casbin_rule::Entity::insert_many(rows)
                .exec_without_returning(&self.db)
                .await
                .map_err(failure)?;
        }
        Ok(())
    }

    async fn clear_policy(&mut self) -> CasbinResult<()> {
        casbin_rule::Entity::delete_many()
            .exec(&self.db)
            .await
            .map_err(failure)?;
        Ok(())
    }

    fn is_filtered(&self) -> bool {
        self.filtered
    }

    async fn add_policy(
        &mut self,
        _sec: &str,
        ptype: &str,
        rule: Vec<String>,
    ) -> CasbinResult<bool> {
        casbin_rule::Entity::insert(row(ptype, &rule))
            .exec_without_returning(&self.db)
            .await
            .map_err(failure)?;
        Ok(true)
    }

    async fn add_policies(
        &mut self,
        _sec: &str,
        ptype: &str,
        rules: Vec<Vec<String>>,
    ) -> CasbinResult<bool> {
        if rules.is_empty() {
            return Ok(true);
        }
        casbin_rule::Entity::insert_many(rules.iter().map(|r| row(ptype, r)))
            .exec_without_returning(&self.db)
            .await
            .map_err(failure)?;
        Ok(true)
    }

    async fn remove_policy(
        &mut self,
        _sec: &str,
        ptype: &str,
        rule: Vec<String>,
    ) -> CasbinResult<bool> {
        let result = casbin_rule::Entity::delete_many()
            .filter(matching(ptype, &rule))
            .exec(&self.db)
            .await
            .map_err(failure)?;
        Ok(result.rows_affected > 0)
    }

    async fn remove_policies(
        &mut self,
        _sec: &str,
        ptype: &str,
        rules: Vec<Vec<String>>,
    ) -> CasbinResult<bool> {
        let mut any = Condition::any();
        for r in &rules {
            any = any.add(matching(ptype, r));
        }
        let result = casbin_rule::Entity::delete_many()
            .filter(any)
            .exec(&self.db)
            .await
            .map_err(failure)?;
        Ok(result.rows_affected > 0)
    }

    async fn remove_filtered_policy(
        &mut self,
        _sec: &str,
        ptype: &str,
        field_index: usize,
        field_values: Vec<String>,
    ) -> CasbinResult<bool> {
        let columns = [
            casbin_rule::Column::V0,
            casbin_rule::Column::V1,
            casbin_rule::Column::V2,
            casbin_rule::Column::V3,
            casbin_rule::Column::V4,
            casbin_rule::Column::V5,
        ];
        let mut c = Condition::all().add(casbin_rule::Column::Ptype.eq(ptype));
        for (i, value) in field_values.iter().enumerate() {
            if value.is_empty() {
                continue;
            }
            if let Some(column) = columns.get(field_index + i) {
                c = c.add(column.eq(value.clone()));
            }
        }
        let result = casbin_rule::Entity::delete_many()
            .filter(c)
            .exec(&self.db)
            .await
            .map_err(failure)?;
        Ok(result.rows_affected > 0)
    }
}
