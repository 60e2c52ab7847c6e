//! Writes imported rows in batches: one transaction per batch holding the complaints and
//! their `imported` history events.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Datelike, Duration, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect,
};
use serde_json::json;

use super::{BATCH, ImportError, ImportRow, ImportSummary, REJECTIONS_KEPT, Record, Rejection};
use crate::audit;
use crate::domain::Reference;
use crate::service::{Complaints, EventRecord, actors, domain_of, next_references};
use crate::store::entity::{complaint, data_key};

pub struct Batch<'a> {
    db: &'a DatabaseConnection,
    complaints: &'a Complaints,
    institution: String,
    response_time: Duration,
    now: DateTime<Utc>,
    pending: Vec<(u64, ImportRow)>,
    pending_ids: HashSet<String>,
    summary: ImportSummary,
    flushed: bool,
}

impl<'a> Batch<'a> {
    pub fn new(complaints: &'a Complaints, response_time: Duration, now: DateTime<Utc>) -> Self {
        Self {
            db: complaints.db(),
            complaints,
            institution: complaints.default_institution().to_owned(),
            response_time,
            now,
            pending: Vec::with_capacity(BATCH),
            pending_ids: HashSet::with_capacity(BATCH),
            summary: ImportSummary::default(),
            flushed: false,
        }
    }

    pub fn reject(&mut self, line: u64, reason: String) {
        self.summary.rejected += 1;
        if self.summary.rejections.len() < REJECTIONS_KEPT {
            self.summary.rejections.push(Rejection { line, reason });
        }
    }

    /// Whether the last [`Batch::push`] wrote a batch to the store.
    pub fn is_flushed(&self) -> bool {
        self.flushed
    }

    pub async fn push(&mut self, line: u64, record: Record) -> Result<(), ImportError> {
        self.flushed = false;
        match record.into_row(self.now, self.response_time) {
            Err(reason) => self.reject(line, reason),
            Ok(row) if !self.pending_ids.insert(row.external_id.clone()) => {
                self.summary.already_present += 1;
            }
            Ok(row) => self.pending.push((line, row)),
        }
        if self.pending.len() >= BATCH {
            self.flush().await?;
        }
        Ok(())
    }

    pub async fn finish(mut self) -> Result<ImportSummary, ImportError> {
        self.flush().await?;
        Ok(self.summary)
    }

    async fn flush(&mut self) -> Result<(), ImportError> {
        self.flushed = true;
        if self.pending.is_empty() {
            return Ok(());
        }
        let ids: Vec<String> = self.pending_ids.drain().collect();
        let present: HashSet<String> = complaint::Entity::find()
            .select_only()
            .column(complaint::Column::ExternalId)
            .filter(complaint::Column::ExternalId.is_in(ids))
            .into_tuple::<Option<String>>()
            .all(self.db)
            .await?
            .into_iter()
            .flatten()
            .collect();
        let rows: Vec<(u64, ImportRow)> = std::mem::take(&mut self.pending)
            .into_iter()
            .filter(|(_, row)| !present.contains(&row.external_id))
            .collect();
        self.summary.already_present += present.len() as u64;
        if rows.is_empty() {
            return Ok(());
        }

        let txn = crate::store::begin_write(self.db).await?;
        let mut per_year: BTreeMap<i32, i64> = BTreeMap::new();
        for (_, row) in &rows {
            *per_year.entry(row.received_at.year()).or_default() += 1;
        }
        let mut next: HashMap<i32, Reference> = HashMap::new();
        for (year, count) in per_year {
            next.insert(year, next_references(&txn, year, count).await?);
        }
        // Each complaint gets a data key of its own, so one can be erased without the rest.
        let keys = self.complaints.keys();
        let mut wrapped = Vec::with_capacity(rows.len());
        let models: Vec<complaint::ActiveModel> = rows
            .iter()
            .map(|(_, row)| {
                let reference = next
                    .get_mut(&row.received_at.year())
                    .expect("allocated above");
                let (key, stored) = keys.new_data_key();
                let mut model = complaint_model(row, *reference, self.now, &self.institution);
                model.narrative = Set(row
                    .narrative
                    .as_deref()
                    .map(|n| key.encrypt("complaints.narrative", n)));
                model.narrative_terms = Set(row.narrative.as_deref().map(|n| keys.terms(n)));
                model.data_key_id = Set(Some(key.id.clone()));
                wrapped.push(data_key::ActiveModel {
                    id: Set(stored.id),
                    master_key_id: Set(stored.master_key_id),
                    wrapped: Set(stored.wrapped),
                    created_at: Set(self.now),
                });
                reference.number += 1;
                model
            })
            .collect();
        data_key::Entity::insert_many(wrapped)
            .exec_without_returning(&txn)
            .await?;
        complaint::Entity::insert_many(models)
            .exec_without_returning(&txn)
            .await?;

        let inserted: HashMap<String, i64> = complaint::Entity::find()
            .select_only()
            .column(complaint::Column::ExternalId)
            .column(complaint::Column::Id)
            .filter(
                complaint::Column::ExternalId
                    .is_in(rows.iter().map(|(_, r)| r.external_id.clone())),
            )
            .into_tuple::<(Option<String>, i64)>()
            .all(&txn)
            .await?
            .into_iter()
            .filter_map(|(ext, id)| Some((ext?, id)))
            .collect();
        let events = rows.iter().filter_map(|(line, row)| {
            let id = *inserted.get(&row.external_id)?;
            Some(EventRecord {
                complaint_id: id,
                kind: "imported",
                from_status: None,
                to_status: Some(row.status.as_str()),
                actor: actors::IMPORT,
                public: false,
                body: None,
                data: Some(json!({"line": line})),
                at: self.now,
            })
        });
        EventRecord::insert_many(events, &txn).await?;
        // One audit record per complaint, appended together: one head update and one
        // insert per batch keeps the trail's cost proportional to the batch, not the rows.
        let domain = domain_of(&self.institution, "US");
        let entries = rows
            .iter()
            .filter_map(|(line, row)| {
                let id = *inserted.get(&row.external_id)?;
                Some(
                    audit::Entry::new(actors::IMPORT, "complaint.imported", format!("complaint:{id}"))
                        .domain(domain.clone())
                        .details(json!({"line": line, "external_id": row.external_id, "to": row.status.as_str()})),
                )
            })
            .collect();
        audit::append_many(&txn, entries).await?;
        txn.commit().await?;
        self.summary.imported += rows.len() as u64;
        Ok(())
    }
}

fn complaint_model(
    row: &ImportRow,
    reference: Reference,
    now: DateTime<Utc>,
    institution: &str,
) -> complaint::ActiveModel {
    let code = |v: Option<&'static str>| v.map(str::to_owned);
    complaint::ActiveModel {
        reference: Set(reference.to_string()),
        external_id: Set(Some(row.external_id.clone())),
        source: Set("cfpb".into()),
        tracking_token_hash: Set(None),
        customer_id: Set(None),
        status: Set(row.status.as_str().into()),
        channel: Set(<&str>::from(row.channel).into()),
        region: Set("US".into()),
        institution: Set(institution.to_owned()),
        language: Set("en".into()),
        product: Set(row.product.clone()),
        sub_product: Set(row.sub_product.clone()),
        issue: Set(row.issue.clone()),
        sub_issue: Set(row.sub_issue.clone()),
        narrative: Set(None),
        company: Set(row.company.clone()),
        consumer_state: Set(row.consumer_state.clone()),
        consumer_zip: Set(row.consumer_zip.clone()),
        amount_disputed_minor: Set(None),
        amount_disputed_currency: Set(None),
        tags: Set(serde_json::Value::from(row.tags.clone()).to_string()),
        priority: Set("normal".into()),
        assignee: Set(None),
        department: Set(None),
        received_at: Set(row.received_at),
        customer_time_zone: Set(None),
        sent_to_company_at: Set(row.sent_to_company_at),
        acknowledged_at: Set(None),
        due_at: Set(Some(row.due_at)),
        resolved_at: Set(None),
        closed_at: Set(None),
        outcome: Set(None),
        response_category: Set(code(row.response_category.map(<&str>::from))),
        company_public_response: Set(row.company_public_response.clone()),
        timely_response: Set(row.timely_response),
        consumer_disputed: Set(row.consumer_disputed),
        consumer_consent: Set(row.consumer_consent.clone()),
        event_tag: Set(row.event_tag.clone()),
        redress_paid_minor: Set(None),
        redress_paid_currency: Set(None),
        merged_into_id: Set(None),
        reopened_count: Set(0),
        retain_until: Set(None),
        retention_rule: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}
