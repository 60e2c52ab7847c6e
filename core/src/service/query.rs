//! Listing, filtering, searching and counting complaints.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, SimpleExpr};
use sea_orm::{
    ColumnTrait, Condition, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};
use serde::{Deserialize, Serialize};
use strum::{EnumString, IntoStaticStr, VariantNames};
use utoipa::{IntoParams, ToSchema};

use super::filing::NAME_MAX;
use super::view::ComplaintSummary;
use super::{Caller, Complaints, Scope, validate};
use crate::domain::{Channel, Region, Status};
use crate::error::ServiceError;
use crate::store::entity::complaint;

/// Which complaints to list. All conditions must hold.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListFilter {
    pub status: Option<Status>,
    /// Exact product name, as in the CFPB taxonomy.
    pub product: Option<String>,
    pub issue: Option<String>,
    pub channel: Option<Channel>,
    pub company: Option<String>,
    pub region: Option<Region>,
    pub assignee: Option<String>,
    /// First day received (UTC), inclusive, as YYYY-MM-DD; 1970-01-01 to 9999-12-31.
    /// Read as text so that a well-formed day outside that range (`10000-01-01`) is told
    /// apart from one that is not a day at all.
    #[param(value_type = Option<String>, format = Date)]
    pub received_from: Option<String>,
    /// Last day received (UTC), inclusive, as YYYY-MM-DD; 1970-01-01 to 9999-12-31.
    #[param(value_type = Option<String>, format = Date)]
    pub received_to: Option<String>,
    /// Only open complaints past their due date (true) or not past it (false).
    pub overdue: Option<bool>,
    /// Words to find in the narrative, all of them (English stemming: "charged" finds
    /// "charges"). Matched on keyed tokens of the words, never on the stored text. A `q`
    /// that holds no word (blank, or only punctuation) is refused: it would match
    /// everything, which is not what a search asks for. Searched only in complaints whose
    /// personal data the caller may read (`pii:read`); a caller with that permission
    /// nowhere is refused (403 naming `q`).
    pub q: Option<String>,
    /// Page size, 1 to 500; 50 when absent.
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// One page of a list, newest received first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Page {
    pub items: Vec<ComplaintSummary>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// A column complaints can be counted by.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Deserialize,
    EnumString,
    IntoStaticStr,
    VariantNames,
    ToSchema,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum CountBy {
    Product,
    Issue,
    Status,
    Channel,
    Company,
    Region,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CountRow {
    /// The value counted; absent for complaints without one.
    pub key: Option<String>,
    pub count: i64,
}

const DEFAULT_LIMIT: u64 = 50;
const MAX_LIMIT: u64 = 500;
const QUERY_MAX: usize = 500;

impl Complaints {
    /// A page of complaints matching the filter.
    ///
    /// # Errors
    /// [`ServiceError::Invalid`] for a bad limit, cursor, date range, search text, or a text
    /// filter that is too long or holds control characters; [`ServiceError::Forbidden`]
    /// naming `q` for a narrative search by a caller who may read no narrative.
    pub async fn list(&self, filter: &ListFilter, caller: &Caller) -> Result<Page, ServiceError> {
        let limit = filter.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ServiceError::invalid(
                "limit",
                "out_of_range",
                format!("limit must be between 1 and {MAX_LIMIT}"),
            ));
        }
        let now = self.now();
        let mut select = self.filtered(filter, now, caller)?;
        if let Some(cursor) = &filter.cursor {
            let (at, id) = decode_cursor(cursor)?;
            select = select.filter(
                Condition::any()
                    .add(complaint::Column::ReceivedAt.lt(at))
                    .add(
                        complaint::Column::ReceivedAt
                            .eq(at)
                            .and(complaint::Column::Id.lt(id)),
                    ),
            );
        }
        let mut rows = select
            .order_by_desc(complaint::Column::ReceivedAt)
            .order_by_desc(complaint::Column::Id)
            .limit(limit + 1)
            .all(&self.db)
            .await?;
        let next_cursor = if rows.len() as u64 > limit {
            rows.truncate(limit as usize);
            rows.last().map(|r| encode_cursor(r.received_at, r.id))
        } else {
            None
        };
        Ok(Page {
            items: rows
                .into_iter()
                .map(|r| ComplaintSummary::build(r, now))
                .collect(),
            next_cursor,
        })
    }

    /// How many complaints match the filter, per value of one column, most frequent first.
    ///
    /// # Errors
    /// As [`Complaints::list`].
    pub async fn count(
        &self,
        by: CountBy,
        filter: &ListFilter,
        caller: &Caller,
    ) -> Result<Vec<CountRow>, ServiceError> {
        let column = match by {
            CountBy::Product => complaint::Column::Product,
            CountBy::Issue => complaint::Column::Issue,
            CountBy::Status => complaint::Column::Status,
            CountBy::Channel => complaint::Column::Channel,
            CountBy::Company => complaint::Column::Company,
            CountBy::Region => complaint::Column::Region,
        };
        let rows: Vec<(Option<String>, i64)> = self
            .filtered(filter, self.now(), caller)?
            .select_only()
            .column_as(column, "key")
            .column_as(complaint::Column::Id.count(), "count")
            .group_by(column)
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut counts: Vec<CountRow> = rows
            .into_iter()
            .map(|(key, count)| CountRow { key, count })
            .collect();
        counts.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
        Ok(counts)
    }

    fn filtered(
        &self,
        f: &ListFilter,
        now: DateTime<Utc>,
        caller: &Caller,
    ) -> Result<Select<complaint::Entity>, ServiceError> {
        for (field, value) in [
            ("product", &f.product),
            ("issue", &f.issue),
            ("company", &f.company),
            ("assignee", &f.assignee),
        ] {
            if let Some(value) = value {
                validate::parameter_text(field, value, NAME_MAX)?;
            }
        }
        let mut select = complaint::Entity::find();
        if let Some(condition) = caller.scope.condition() {
            select = select.filter(condition);
        }
        let exact = [
            (
                complaint::Column::Status,
                f.status.map(|s| s.as_str().to_owned()),
            ),
            (complaint::Column::Product, f.product.clone()),
            (complaint::Column::Issue, f.issue.clone()),
            (
                complaint::Column::Channel,
                f.channel.map(|c| <&str>::from(c).to_owned()),
            ),
            (complaint::Column::Company, f.company.clone()),
            (
                complaint::Column::Region,
                f.region.map(|r| <&str>::from(r).to_owned()),
            ),
            (complaint::Column::Assignee, f.assignee.clone()),
        ];
        for (column, value) in exact {
            if let Some(value) = value {
                select = select.filter(column.eq(value));
            }
        }
        let from = f
            .received_from
            .as_deref()
            .map(|d| validate::day("received_from", d))
            .transpose()?;
        let to = f
            .received_to
            .as_deref()
            .map(|d| validate::day("received_to", d))
            .transpose()?;
        if let (Some(from), Some(to)) = (from, to)
            && from > to
        {
            return Err(ServiceError::invalid(
                "received_from",
                "empty_range",
                "received_from is after received_to",
            ));
        }
        if let Some(from) = from {
            select = select.filter(complaint::Column::ReceivedAt.gte(start_of(from)));
        }
        if let Some(to) = to {
            // Past the last day nothing is stored (no date lies in the future), so that bound
            // is left out rather than compared: SQLite compares times as text, and a
            // five-digit year sorts before a four-digit one.
            if let Some(end) = to.succ_opt().filter(|d| *d <= validate::LAST_DAY) {
                select = select.filter(complaint::Column::ReceivedAt.lt(start_of(end)));
            }
        }
        if let Some(overdue) = f.overdue {
            let open = complaint::Column::Status.is_in(Status::OPEN.map(Status::as_str));
            let late = complaint::Column::DueAt.lt(now);
            select = if overdue {
                select.filter(open).filter(late)
            } else {
                select.filter(
                    Condition::any()
                        .add(open.not())
                        .add(late.not())
                        .add(complaint::Column::DueAt.is_null()),
                )
            };
        }
        if let Some(q) = f.q.as_deref() {
            validate::parameter_text("q", q, QUERY_MAX)?;
            select = self.narrative_search(select, q.trim(), &caller.pii)?;
        }
        Ok(select)
    }
}

impl Complaints {
    /// Narrows `select` to complaints whose narrative holds every word of `q`, among those
    /// whose personal data `pii` lets the caller read. Whether a word occurs in a narrative
    /// is itself personal data: a caller who sees narratives masked could otherwise test
    /// names one by one.
    fn narrative_search(
        &self,
        select: Select<complaint::Entity>,
        q: &str,
        pii: &Scope,
    ) -> Result<Select<complaint::Entity>, ServiceError> {
        if pii.is_empty() {
            return Err(ServiceError::Forbidden {
                field: Some("q".into()),
                message: "searching narratives needs permission to read personal data".into(),
            });
        }
        let select = match pii.condition() {
            Some(readable) => select.filter(readable),
            None => select,
        };
        Ok(select.filter(self.narrative_matches(q)?))
    }

    /// The search condition in the backend's own dialect, over the narrative's blind
    /// tokens: every word of `q` (stemmed, keyed) must be among them. Tokens are hex, so
    /// no input can be read as FTS5 or tsquery syntax.
    fn narrative_matches(&self, q: &str) -> Result<SimpleExpr, ServiceError> {
        let tokens = self.keys.query_terms(q);
        if tokens.is_empty() {
            return Err(ServiceError::invalid(
                "q",
                "no_words",
                "q holds no words to search for",
            ));
        }
        match self.db.get_database_backend() {
            DbBackend::Postgres => Ok(Expr::cust_with_values(
                "to_tsvector('simple', coalesce(\"complaints\".\"narrative_terms\", '')) @@ plainto_tsquery('simple', $1)",
                [tokens.join(" ")],
            )),
            _ => Ok(Expr::cust_with_values(
                "\"complaints\".\"id\" IN (SELECT rowid FROM complaints_terms_fts WHERE complaints_terms_fts MATCH ?)",
                [tokens
                    .iter()
                    .map(|t| format!("\"{t}\""))
                    .collect::<Vec<_>>()
                    .join(" ")],
            )),
        }
    }
}

fn start_of(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc()
}

fn encode_cursor(at: DateTime<Utc>, id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}:{id}", at.timestamp_micros()))
}

fn decode_cursor(cursor: &str) -> Result<(DateTime<Utc>, i64), ServiceError> {
    let bad = || {
        ServiceError::invalid(
            "cursor",
            "invalid_cursor",
            "cursor is not one this API handed out",
        )
    };
    let text = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let text = String::from_utf8(text).map_err(|_| bad())?;
    let (micros, id) = text.split_once(':').ok_or_else(bad)?;
    let at = DateTime::from_timestamp_micros(micros.parse().map_err(|_| bad())?).ok_or_else(bad)?;
    Ok((at, id.parse().map_err(|_| bad())?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let at = DateTime::from_timestamp_micros(1_700_000_000_123_456).unwrap();
        assert_eq!(decode_cursor(&encode_cursor(at, 42)).unwrap(), (at, 42));
        assert!(decode_cursor("not-a-cursor").is_err());
    }
}
