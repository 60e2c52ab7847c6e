//! Filing a complaint: validation, the reference, the tracking token and idempotent retries.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::group_commit::{Filing, Outcome, Written};
use super::validate;
use super::view::ComplaintView;
use super::{Caller, Complaints};
use crate::domain::money::MoneyInput;
use crate::domain::{Channel, Priority, Reference, Region, Status};
use crate::error::ServiceError;
use crate::store::entity::{complaint, idempotency_key, reference_counter};

/// A complaint as the API receives it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewComplaint {
    pub customer: Option<NewCustomer>,
    pub channel: Channel,
    pub region: Region,
    /// The institution that received it (`acme`); the configured default when absent.
    /// With the region it is the complaint's access-control domain.
    pub institution: Option<String>,
    /// BCP 47 tag; `en` when absent.
    pub language: Option<String>,
    /// CFPB taxonomy names are kept verbatim, old and new.
    pub product: String,
    pub sub_product: Option<String>,
    pub issue: String,
    pub sub_issue: Option<String>,
    pub narrative: Option<String>,
    pub company: Option<String>,
    /// The customer's US state or territory as its USPS code (`CA`, `PR`, `AE`).
    pub consumer_state: Option<String>,
    pub consumer_zip: Option<String>,
    pub amount_disputed: Option<MoneyInput>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub priority: Priority,
    pub assignee: Option<String>,
    pub department: Option<String>,
    /// When the institution received it; now when absent. Never in the future, nor before
    /// 1970-01-01.
    pub received_at: Option<DateTime<Utc>>,
    /// The customer's IANA time zone, kept for deadlines computed in local time.
    pub customer_time_zone: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCustomer {
    pub name: Option<String>,
    pub email: Option<String>,
    /// Digits with `+`, spaces, `-`, `.`, `/` or brackets, and an optional extension.
    pub phone: Option<String>,
    /// The institution's own customer number; a known number reuses the customer record.
    pub customer_number: Option<String>,
}

/// The answer to a filing.
#[derive(Debug, Clone)]
pub struct Filed {
    pub complaint: ComplaintView,
    /// Shown once; the customer follows the complaint with it.
    pub tracking_token: Option<String>,
    /// The same request was answered before; this is that answer again.
    pub replayed: bool,
}

/// Limits on free text, in characters.
pub(crate) const NAME_MAX: usize = 255;
pub(crate) const NARRATIVE_MAX: usize = 50_000;
pub(crate) const TAG_MAX: usize = 64;
pub(crate) const TAGS_MAX: usize = 20;

/// A customer's fields, checked and still in the clear.
#[derive(Clone)]
pub(super) struct PlainCustomer {
    pub number: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// A filing that passed every check, not yet numbered or stored.
#[derive(Clone)]
pub(super) struct ValidComplaint {
    pub customer: Option<PlainCustomer>,
    pub complaint: complaint::ActiveModel,
    pub received_at: DateTime<Utc>,
    pub region: Region,
    pub institution: String,
}

impl Complaints {
    /// Files a complaint. With an idempotency key, a retry of the same request answers with
    /// the first complaint (and its tracking token) instead of creating a second.
    ///
    /// # Errors
    /// [`ServiceError::Invalid`] naming the field; [`ServiceError::Conflict`] when the key
    /// was used for a different request.
    #[tracing::instrument(name = "service.file", skip_all)]
    pub async fn file(
        &self,
        input: NewComplaint,
        idempotency: Option<(&str, &[u8])>,
        caller: &Caller,
    ) -> Result<Filed, ServiceError> {
        let actor = &caller.actor;
        let now = self.now();
        let valid = self.validate_new(input, now)?;
        if !caller
            .scope
            .covers_domain(&valid.institution, <&str>::from(valid.region))
        {
            return Err(ServiceError::Forbidden {
                field: Some("institution".into()),
                message: "you may not file complaints for this institution and region".into(),
            });
        }
        let idempotency = idempotency
            .map(|(key, body)| {
                let key = validate::required_text("Idempotency-Key", key, 255)?;
                Ok::<_, ServiceError>((
                    caller_key(&actor.0, &key),
                    hex::encode(Sha256::digest(body)),
                ))
            })
            .transpose()?;

        let filing = Filing {
            valid,
            idempotency,
            actor: actor.0.clone(),
            token: new_tracking_token(),
            now,
            span: tracing::Span::current(),
            request_id: crate::audit::current_request_id(),
        };
        match self.submit_filing(filing).await? {
            Outcome::Replay { key, hash } => {
                let previous = idempotency_key::Entity::find_by_id(key)
                    .one(&self.db)
                    .await?
                    .ok_or(ServiceError::NotFound)?;
                self.replay(previous, &hash, caller).await
            }
            Outcome::Written(written) => {
                let Written {
                    complaint,
                    customer,
                    token,
                } = *written;
                tracing::info!(complaint_id = complaint.id, reference = %complaint.reference, "complaint filed");
                Ok(Filed {
                    // The filer sees what they sent; the answer is not a read to audit.
                    complaint: self
                        .present_revealed(complaint, customer, caller, false)
                        .await?,
                    tracking_token: Some(token),
                    replayed: false,
                })
            }
        }
    }

    async fn replay(
        &self,
        previous: idempotency_key::Model,
        hash: &str,
        caller: &Caller,
    ) -> Result<Filed, ServiceError> {
        if previous.request_hash != hash {
            return Err(ServiceError::Conflict {
                code: "idempotency_key_reused",
                message: "this Idempotency-Key was used for a different request".into(),
            });
        }
        let row = self
            .find(&previous.complaint_id.to_string(), &caller.scope)
            .await?;
        let key = self.data_key(&self.db, row.data_key_id.as_deref()).await?;
        let tracking_token = previous.tracking_token.and_then(|stored| {
            super::personal::open(key.as_ref(), super::personal::TRACKING_TOKEN, &stored)
        });
        Ok(Filed {
            // The filer sees what they sent; the answer is not a read to audit.
            complaint: self.present(row, caller, false).await?,
            tracking_token,
            replayed: true,
        })
    }

    /// Forgets idempotency keys (and the tracking tokens kept with them) past their window.
    ///
    /// # Errors
    /// The store failed.
    pub async fn purge_idempotency_keys(&self) -> Result<u64, ServiceError> {
        let cutoff = self.now() - Duration::hours(i64::from(self.lifecycle.idempotency_hours));
        let result = idempotency_key::Entity::delete_many()
            .filter(idempotency_key::Column::CreatedAt.lt(cutoff))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected)
    }

    fn validate_new(
        &self,
        input: NewComplaint,
        now: DateTime<Utc>,
    ) -> Result<ValidComplaint, ServiceError> {
        let received_at = input.received_at.unwrap_or(now);
        let institution = match input.institution.as_deref() {
            Some(given) => validate::institution("institution", given)?,
            None => self.default_institution.clone(),
        };
        validate::not_future("received_at", received_at, now)?;
        validate::not_before_first_day("received_at", received_at)?;
        let amount = input
            .amount_disputed
            .as_ref()
            .map(|m| validate::money("amount_disputed", m))
            .transpose()?;
        if input.tags.len() > TAGS_MAX {
            return Err(ServiceError::invalid(
                "tags",
                "too_many",
                format!("at most {TAGS_MAX} tags"),
            ));
        }
        let tags = input
            .tags
            .iter()
            .enumerate()
            .map(|(i, t)| validate::required_text(&format!("tags[{i}]"), t, TAG_MAX))
            .collect::<Result<Vec<_>, _>>()?;

        let customer = match input.customer {
            None => None,
            Some(c) => Some(PlainCustomer {
                number: validate::optional_text(
                    "customer.customer_number",
                    c.customer_number.as_deref(),
                    64,
                )?,
                name: validate::optional_text("customer.name", c.name.as_deref(), NAME_MAX)?,
                email: validate::email("customer.email", c.email.as_deref())?,
                phone: validate::phone("customer.phone", c.phone.as_deref())?,
            }),
        };
        if let Some(c) = &customer
            && c.number.is_none()
            && c.name.is_none()
            && c.email.is_none()
            && c.phone.is_none()
        {
            // A customer record with nothing in it identifies nobody and could never be
            // found, exported or erased on anyone's request.
            return Err(ServiceError::invalid(
                "customer",
                "required",
                "customer needs at least one of name, email, phone, customer_number; leave it out when unknown",
            ));
        }

        let complaint = complaint::ActiveModel {
            external_id: Set(None),
            source: Set("api".into()),
            status: Set(Status::Received.as_str().into()),
            channel: Set(<&str>::from(input.channel).into()),
            region: Set(<&str>::from(input.region).into()),
            institution: Set(institution.clone()),
            language: Set(validate::language(
                "language",
                input.language.as_deref().unwrap_or("en"),
            )?),
            product: Set(validate::required_text(
                "product",
                &input.product,
                NAME_MAX,
            )?),
            sub_product: Set(validate::optional_text(
                "sub_product",
                input.sub_product.as_deref(),
                NAME_MAX,
            )?),
            issue: Set(validate::required_text("issue", &input.issue, NAME_MAX)?),
            sub_issue: Set(validate::optional_text(
                "sub_issue",
                input.sub_issue.as_deref(),
                NAME_MAX,
            )?),
            narrative: Set(validate::optional_text(
                "narrative",
                input.narrative.as_deref(),
                NARRATIVE_MAX,
            )?),
            company: Set(validate::optional_text(
                "company",
                input.company.as_deref(),
                NAME_MAX,
            )?),
            consumer_state: Set(validate::us_state(
                "consumer_state",
                input.consumer_state.as_deref(),
            )?),
            consumer_zip: Set(validate::optional_text(
                "consumer_zip",
                input.consumer_zip.as_deref(),
                16,
            )?),
            amount_disputed_minor: Set(amount.map(|m| m.minor_units)),
            amount_disputed_currency: Set(amount.map(|m| m.currency.code().to_owned())),
            tags: Set(serde_json::Value::from(tags).to_string()),
            priority: Set(<&str>::from(input.priority).into()),
            assignee: Set(validate::optional_text(
                "assignee",
                input.assignee.as_deref(),
                NAME_MAX,
            )?),
            department: Set(validate::department(
                "department",
                input.department.as_deref(),
            )?),
            received_at: Set(received_at),
            customer_time_zone: Set(validate::time_zone(
                "customer_time_zone",
                input.customer_time_zone.as_deref(),
            )?),
            sent_to_company_at: Set(None),
            acknowledged_at: Set(None),
            due_at: Set(Some(received_at + self.default_response_time())),
            resolved_at: Set(None),
            closed_at: Set(None),
            outcome: Set(None),
            response_category: Set(None),
            company_public_response: Set(None),
            timely_response: Set(None),
            consumer_disputed: Set(None),
            consumer_consent: Set(None),
            event_tag: Set(None),
            redress_paid_minor: Set(None),
            redress_paid_currency: Set(None),
            merged_into_id: Set(None),
            reopened_count: Set(0),
            retain_until: Set(None),
            retention_rule: Set(None),
            version: Set(1),
            ..Default::default()
        };
        Ok(ValidComplaint {
            customer,
            complaint,
            received_at,
            region: input.region,
            institution,
        })
    }

    /// The response time that applies until a region's rules give a due date.
    pub(crate) fn default_response_time(&self) -> Duration {
        Duration::days(i64::from(self.lifecycle.default_response_days))
    }
}

/// The stored form of an `Idempotency-Key`: the key within its caller's own namespace.
/// Keys are chosen by clients, so two callers may pick the same one; scoped, neither can
/// block the other's filing, learn that the key was used, or be handed the other's
/// complaint and tracking token by replaying it.
fn caller_key(actor: &str, key: &str) -> String {
    let mut digest = Sha256::new();
    digest.update(actor.as_bytes());
    digest.update([0]);
    digest.update(key.as_bytes());
    hex::encode(digest.finalize())
}

/// Reserves `count` consecutive reference numbers in `year` and returns the first.
/// With `count` 0 it reserves nothing but still takes the counter's row lock.
///
/// One upsert does it, so several replicas sharing a database never hand out a number twice.
pub(crate) async fn next_references(
    db: &impl ConnectionTrait,
    year: i32,
    count: i64,
) -> Result<Reference, sea_orm::DbErr> {
    let table = reference_counter::Entity;
    let last = (table, reference_counter::Column::Last);
    let stmt = Query::insert()
        .into_table(table)
        .columns([
            reference_counter::Column::Year,
            reference_counter::Column::Last,
        ])
        .values_panic([year.into(), count.into()])
        .on_conflict(
            OnConflict::column(reference_counter::Column::Year)
                .value(reference_counter::Column::Last, Expr::col(last).add(count))
                .to_owned(),
        )
        .returning_col(reference_counter::Column::Last)
        .to_owned();
    let row = db
        .query_one(&stmt)
        .await?
        .ok_or_else(|| sea_orm::DbErr::RecordNotInserted)?;
    let last: i64 = row.try_get("", "last")?;
    Ok(Reference {
        year,
        number: last - count + 1,
    })
}

fn new_tracking_token() -> String {
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}
