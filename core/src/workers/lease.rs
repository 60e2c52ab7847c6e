//! A named lease in the database: at most one replica holds it at a time, and another takes
//! over once the holder stops renewing. Plain conditional updates, so it works the same on
//! SQLite and PostgreSQL.
//!
//! Replicas compare times from their own clocks; skew between them shortens or lengthens
//! the hand-over by as much. Work done under the lease must therefore be safe to repeat
//! for a moment (the relay's message ids make a second publish a no-op).

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, QueryFilter,
};

use crate::store::entity::lease;

pub struct Lease {
    db: DatabaseConnection,
    name: String,
    holder: String,
    ttl: Duration,
    held_until: Option<DateTime<Utc>>,
    row_exists: bool,
}

impl Lease {
    pub fn new(db: DatabaseConnection, name: &str, holder: &str, ttl: std::time::Duration) -> Self {
        Self {
            db,
            name: name.to_owned(),
            holder: holder.to_owned(),
            ttl: Duration::from_std(ttl).unwrap_or(Duration::seconds(5)),
            held_until: None,
            row_exists: false,
        }
    }

    pub fn holder(&self) -> &str {
        &self.holder
    }

    /// Takes or renews the lease; true while this replica holds it. Renews only once a
    /// third of the term has passed, to spare the database.
    ///
    /// # Errors
    /// The store failed; treat as not holding.
    pub async fn hold(&mut self) -> Result<bool, DbErr> {
        let now = Utc::now();
        if let Some(until) = self.held_until
            && until - now > self.ttl * 2 / 3
        {
            return Ok(true);
        }
        self.held_until = None;
        if !self.row_exists {
            lease::Entity::insert(lease::ActiveModel {
                name: Set(self.name.clone()),
                holder: Set(String::new()),
                expires_at: Set(DateTime::<Utc>::UNIX_EPOCH),
            })
            .on_conflict_do_nothing_on([lease::Column::Name])
            .exec(&self.db)
            .await?;
            self.row_exists = true;
        }
        let expires = now + self.ttl;
        let taken = lease::Entity::update_many()
            .col_expr(lease::Column::Holder, Expr::value(self.holder.as_str()))
            .col_expr(lease::Column::ExpiresAt, Expr::value(expires))
            .filter(lease::Column::Name.eq(self.name.as_str()))
            .filter(
                Condition::any()
                    .add(lease::Column::Holder.eq(self.holder.as_str()))
                    .add(lease::Column::ExpiresAt.lt(now)),
            )
            .exec(&self.db)
            .await?;
        if taken.rows_affected == 1 {
            self.held_until = Some(expires);
            Ok(true)
        } else {
            Ok(false)
        }
    }

    /// Gives the lease up now, so another replica need not wait for it to run out.
    ///
    /// # Errors
    /// The store failed; the lease then runs out on its own.
    pub async fn release(&mut self) -> Result<(), DbErr> {
        self.held_until = None;
        lease::Entity::update_many()
            .col_expr(
                lease::Column::ExpiresAt,
                Expr::value(DateTime::<Utc>::UNIX_EPOCH),
            )
            .filter(lease::Column::Name.eq(self.name.as_str()))
            .filter(lease::Column::Holder.eq(self.holder.as_str()))
            .exec(&self.db)
            .await?;
        Ok(())
    }
}
