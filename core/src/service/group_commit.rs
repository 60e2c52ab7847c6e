//! Group commit of filings: the filings that arrive while one transaction is being written
//! go together into the next one.
//!
//! A filing is about a dozen statements (reference counter, data keys, customer, complaint,
//! history, audit chain, outbox, deadlines). On SQLite every statement is a hop to the
//! connection's thread and the one write lock is held across all of them, so one filing
//! at a time leaves the machine idle while clients queue. Written together, a group costs
//! about what one filing did: one counter update per year, one multi-row insert per table,
//! one audit append for the whole group. On PostgreSQL filings queue the same way, on the
//! row locks of the reference counter and the audit chain head.
//!
//! Whoever takes the queue's gate with their own filing still waiting writes everything
//! waiting (up to [`GROUP_MAX`]); the others find their answer when they get the gate.
//! Each filing keeps its own request id in the audit trail and its own trace context on
//! its outbox messages and plugin call. If a group's transaction fails, each of its
//! filings is written again alone, so one filing cannot sink the others.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Datelike, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter,
    QuerySelect, TryIntoModel,
};
use tokio::sync::oneshot;
use tracing::Instrument;

use super::deadlines::{deadline_rows, failure_event};
use super::filing::{PlainCustomer, ValidComplaint, next_references, token_hash};
use super::outbox::{Owner, domain_event_row};
use super::personal::{EMAIL, NAME, NARRATIVE, NUMBER, PHONE, TRACKING_TOKEN};
use super::tasks::insert_task;
use super::{Complaints, EventRecord, actors, domain_of, event_audit};
use crate::audit;
use crate::compliance::{ComplaintFacts, Computed};
use crate::domain::deadline;
use crate::domain::{Reference, Status};
use crate::error::ServiceError;
use crate::keys::DataKey;
use crate::store::entity::{complaint, complaint_deadline, customer, idempotency_key, outbox};

/// Filings written in one transaction at most: enough for every client of a busy server
/// to be answered by one commit, few enough to stay far below SQLite's limit on bound
/// values in one statement (a complaint row has about fifty).
pub(super) const GROUP_MAX: usize = 64;

/// Filings waiting for their transaction, and the gate the writer of a group holds.
pub(super) struct FilingQueue {
    gate: Arc<tokio::sync::Mutex<()>>,
    waiting: Mutex<Vec<Queued>>,
}

impl FilingQueue {
    /// A queue whose writers hold `gate` while they write: on SQLite the gate every writer
    /// of the process takes, so a group never waits on the database's busy handler.
    pub(super) fn new(gate: Arc<tokio::sync::Mutex<()>>) -> Self {
        Self {
            gate,
            waiting: Mutex::new(Vec::new()),
        }
    }

    fn push(&self, queued: Queued) {
        self.waiting
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(queued);
    }

    fn take_group(&self) -> Vec<Queued> {
        let mut waiting = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
        let n = waiting.len().min(GROUP_MAX);
        waiting.drain(..n).collect()
    }
}

/// A checked filing with what its transaction needs from the request that sent it.
pub(super) struct Filing {
    pub valid: ValidComplaint,
    /// The caller-scoped key and the SHA-256 of the request body.
    pub idempotency: Option<(String, String)>,
    pub actor: String,
    pub token: String,
    pub now: DateTime<Utc>,
    /// The filing request's span: its plugin call and outbox messages belong to its trace.
    pub span: tracing::Span,
    pub request_id: Option<String>,
}

/// What became of a filing.
pub(super) enum Outcome {
    Written(Box<Written>),
    /// The idempotency key was used before (or earlier in the same group): the caller
    /// answers with that filing.
    Replay {
        key: String,
        hash: String,
    },
}

pub(super) struct Written {
    /// As stored, with the narrative in the clear.
    pub complaint: complaint::Model,
    /// As stored, with the personal fields in the clear.
    pub customer: Option<customer::Model>,
    pub token: String,
}

struct Queued {
    filing: Filing,
    reply: oneshot::Sender<Result<Outcome, ServiceError>>,
}

/// A filing's customer within a group: one already stored, or the n-th new one.
enum CustomerOf {
    None,
    Stored(customer::Model),
    New(usize),
}

impl Complaints {
    /// Queues `filing` and waits until it is written, writing a group itself when its turn
    /// comes first.
    pub(super) async fn submit_filing(&self, filing: Filing) -> Result<Outcome, ServiceError> {
        let (reply, mut answer) = oneshot::channel();
        self.filings.push(Queued { filing, reply });
        loop {
            let gate = tokio::select! {
                biased;
                outcome = &mut answer => return outcome.unwrap_or_else(|_| Err(lost())),
                gate = self.filings.gate.clone().lock_owned() => gate,
            };
            match answer.try_recv() {
                Ok(outcome) => return outcome,
                Err(oneshot::error::TryRecvError::Closed) => return Err(lost()),
                Err(oneshot::error::TryRecvError::Empty) => {}
            }
            let group = self.filings.take_group();
            let writer = self.clone();
            // Spawned: a caller that goes away mid-write (a closed connection) must not
            // cancel the filings of everyone else in its group.
            let written = tokio::spawn(
                async move {
                    writer.write_group(group).await;
                    drop(gate);
                }
                .in_current_span(),
            );
            if written.await.is_err() {
                return Err(lost());
            }
            // Filings beyond one group waited ahead of this one when it wrote: go again.
        }
    }

    async fn write_group(&self, group: Vec<Queued>) {
        let (filings, replies): (Vec<Filing>, Vec<_>) =
            group.into_iter().map(|q| (q.filing, q.reply)).unzip();
        let results = match self.write_filings(&filings).await {
            Ok(outcomes) => outcomes.into_iter().map(Ok).collect(),
            Err(error) if filings.len() == 1 => vec![Err(error)],
            Err(_) => {
                // The error is not logged: a storage error may quote the values written.
                tracing::warn!(
                    filings = filings.len(),
                    "a group of filings failed together; writing each alone"
                );
                let mut results = Vec::with_capacity(filings.len());
                for filing in &filings {
                    let alone = self.write_filings(std::slice::from_ref(filing)).await;
                    results.push(alone.map(|mut outcomes| outcomes.remove(0)));
                }
                results
            }
        };
        if results.iter().any(|r| matches!(r, Ok(Outcome::Written(_)))) {
            self.outbox_written();
        }
        for (reply, result) in replies.into_iter().zip(results) {
            // A caller that went away no longer waits for its answer; its filing stands.
            let _ = reply.send(result);
        }
    }

    /// Writes `filings` in one transaction; the outcomes are in the same order.
    async fn write_filings(&self, filings: &[Filing]) -> Result<Vec<Outcome>, ServiceError> {
        let txn = self.begin_write().await?;
        let replay = replays(&txn, filings).await?;
        let fresh: Vec<&Filing> = filings
            .iter()
            .zip(&replay)
            .filter(|(_, replay)| !**replay)
            .map(|(f, _)| f)
            .collect();
        let written = if fresh.is_empty() {
            txn.rollback().await?;
            Vec::new()
        } else {
            let written = self.write_fresh(&txn, &fresh).await?;
            txn.commit().await?;
            written
        };
        let mut written = written.into_iter();
        Ok(filings
            .iter()
            .zip(replay)
            .map(|(filing, replay)| match (&filing.idempotency, replay) {
                (Some((key, hash)), true) => Outcome::Replay {
                    key: key.clone(),
                    hash: hash.clone(),
                },
                _ => Outcome::Written(Box::new(
                    written
                        .next()
                        .expect("one written complaint per fresh filing"),
                )),
            })
            .collect())
    }

    async fn write_fresh(
        &self,
        txn: &DatabaseTransaction,
        fresh: &[&Filing],
    ) -> Result<Vec<Written>, ServiceError> {
        let references = reserve_references(txn, fresh).await?;
        let (customers, new_customers) = self.customers(txn, fresh).await?;
        let keys = self
            .create_data_keys(txn, new_customers.len() + fresh.len())
            .await?;
        let (customer_keys, complaint_keys) = keys.split_at(new_customers.len());
        let created = self
            .insert_customers(txn, &new_customers, customer_keys, fresh[0].now)
            .await?;
        let customers: Vec<Option<customer::Model>> = customers
            .into_iter()
            .map(|c| match c {
                CustomerOf::None => None,
                CustomerOf::Stored(model) => Some(model),
                CustomerOf::New(n) => Some(created[n].clone()),
            })
            .collect();

        let mut rows = Vec::with_capacity(fresh.len());
        let mut computed = Vec::with_capacity(fresh.len());
        for (i, filing) in fresh.iter().enumerate() {
            let (row, rules) = self
                .complaint_row(
                    filing,
                    references[i],
                    customers[i].as_ref(),
                    &complaint_keys[i],
                )
                .await?;
            rows.push(row);
            computed.push(rules);
        }
        let mut stored: HashMap<String, complaint::Model> = complaint::Entity::insert_many(rows)
            .exec_with_returning(txn)
            .await?
            .into_iter()
            .map(|m| (m.reference.clone(), m))
            .collect();
        let complaints: Vec<complaint::Model> = references
            .iter()
            .zip(fresh)
            .map(|(reference, filing)| {
                let mut model = stored
                    .remove(&reference.to_string())
                    .ok_or_else(|| DbErr::Custom("a filed complaint was not returned".into()))?;
                // What was just sealed is known in the clear: no need to read it back.
                model.narrative = clear_narrative(&filing.valid.complaint);
                Ok::<_, DbErr>(model)
            })
            .collect::<Result<_, _>>()?;

        self.record_filed(txn, fresh, &complaints, &computed)
            .await?;
        for (i, filing) in fresh.iter().enumerate() {
            let work = async {
                for spec in self.rule_tasks(&complaints[i], filing.now) {
                    insert_task(
                        txn,
                        &complaints[i],
                        Some(&complaint_keys[i]),
                        spec,
                        actors::RULES,
                        filing.now,
                    )
                    .await?;
                }
                Ok::<_, ServiceError>(())
            }
            .instrument(filing.span.clone());
            match filing.request_id.clone() {
                Some(id) => audit::REQUEST_ID.scope(id, work).await?,
                None => work.await?,
            }
        }
        let kept: Vec<idempotency_key::ActiveModel> = fresh
            .iter()
            .zip(&complaints)
            .zip(complaint_keys)
            .filter_map(|((filing, stored), key)| {
                let (idempotency_key, hash) = filing.idempotency.clone()?;
                // Kept to answer a retry in full, sealed like the complaint's other
                // personal data: erasure destroys the key (and deletes this row).
                Some(idempotency_key::ActiveModel {
                    key: Set(idempotency_key),
                    request_hash: Set(hash),
                    complaint_id: Set(stored.id),
                    tracking_token: Set(Some(key.encrypt(TRACKING_TOKEN, &filing.token))),
                    created_at: Set(filing.now),
                })
            })
            .collect();
        if !kept.is_empty() {
            idempotency_key::Entity::insert_many(kept)
                .exec_without_returning(txn)
                .await?;
        }

        Ok(complaints
            .into_iter()
            .zip(customers)
            .zip(fresh)
            .map(|((complaint, customer), filing)| Written {
                complaint,
                customer,
                token: filing.token.clone(),
            })
            .collect())
    }

    /// Each filing's customer: the one stored under its customer number in its domain, or
    /// a new one. Two filings of one group with the same new number share one new customer.
    ///
    /// Customers are per domain: the number's blind index is keyed with the domain, so the
    /// same number filed in another region (or at another institution) is another customer.
    /// Otherwise an agent of one domain, filing with a number from another, would be
    /// answered with that domain's customer's details and attach the complaint to them.
    async fn customers(
        &self,
        txn: &DatabaseTransaction,
        fresh: &[&Filing],
    ) -> Result<
        (
            Vec<CustomerOf>,
            Vec<(PlainCustomer, Option<String>, String)>,
        ),
        ServiceError,
    > {
        let indexes: Vec<Option<String>> = fresh
            .iter()
            .map(|f| {
                let number = f.valid.customer.as_ref()?.number.as_deref()?;
                let domain = domain_of(&f.valid.institution, <&str>::from(f.valid.region));
                Some(self.keys.blind_index(&domain, number))
            })
            .collect();
        let wanted: Vec<String> = indexes.iter().flatten().cloned().collect();
        let mut stored: HashMap<(String, String), customer::Model> = HashMap::new();
        if !wanted.is_empty() {
            let rows = customer::Entity::find()
                .filter(customer::Column::NumberIndex.is_in(wanted))
                .filter(customer::Column::ErasedAt.is_null())
                .all(txn)
                .await?;
            for row in rows {
                let Some(index) = row.number_index.clone() else {
                    continue;
                };
                let key = (row.institution.clone(), index);
                if let Entry::Vacant(slot) = stored.entry(key) {
                    slot.insert(self.reveal_customer(txn, row).await?);
                }
            }
        }
        let mut new_customers = Vec::new();
        let mut new_by_index: HashMap<(String, String), usize> = HashMap::new();
        let mut of = Vec::with_capacity(fresh.len());
        for (filing, index) in fresh.iter().zip(indexes) {
            let Some(plain) = &filing.valid.customer else {
                of.push(CustomerOf::None);
                continue;
            };
            let institution = filing.valid.institution.clone();
            let Some(index) = index else {
                new_customers.push((plain.clone(), None, institution));
                of.push(CustomerOf::New(new_customers.len() - 1));
                continue;
            };
            let key = (institution, index);
            if let Some(model) = stored.get(&key) {
                of.push(CustomerOf::Stored(model.clone()));
            } else if let Some(n) = new_by_index.get(&key) {
                of.push(CustomerOf::New(*n));
            } else {
                let (institution, index) = key.clone();
                new_customers.push((plain.clone(), Some(index), institution));
                new_by_index.insert(key, new_customers.len() - 1);
                of.push(CustomerOf::New(new_customers.len() - 1));
            }
        }
        Ok((of, new_customers))
    }

    /// Stores new customers, each sealed under its own data key; returned in the clear, in
    /// the order given.
    async fn insert_customers(
        &self,
        txn: &DatabaseTransaction,
        new: &[(PlainCustomer, Option<String>, String)],
        keys: &[DataKey],
        now: DateTime<Utc>,
    ) -> Result<Vec<customer::Model>, ServiceError> {
        if new.is_empty() {
            return Ok(Vec::new());
        }
        let rows = new
            .iter()
            .zip(keys)
            .map(|((plain, index, institution), key)| {
                let seal =
                    |column: &str, v: &Option<String>| v.as_ref().map(|v| key.encrypt(column, v));
                customer::ActiveModel {
                    customer_number: Set(seal(NUMBER, &plain.number)),
                    name: Set(seal(NAME, &plain.name)),
                    email: Set(seal(EMAIL, &plain.email)),
                    phone: Set(seal(PHONE, &plain.phone)),
                    created_at: Set(now),
                    institution: Set(institution.clone()),
                    number_index: Set(index.clone()),
                    data_key_id: Set(Some(key.id.clone())),
                    erased_at: Set(None),
                    ..Default::default()
                }
            });
        // Matched by data key, which is each customer's own: a multi-row RETURNING does
        // not promise its rows in the order inserted.
        let mut by_key: HashMap<String, customer::Model> = customer::Entity::insert_many(rows)
            .exec_with_returning(txn)
            .await?
            .into_iter()
            .filter_map(|m| Some((m.data_key_id.clone()?, m)))
            .collect();
        new.iter()
            .zip(keys)
            .map(|((plain, _, _), key)| {
                let mut model = by_key
                    .remove(&key.id)
                    .ok_or_else(|| DbErr::Custom("a new customer was not returned".into()))?;
                model.customer_number = plain.number.clone();
                model.name = plain.name.clone();
                model.email = plain.email.clone();
                model.phone = plain.phone.clone();
                Ok(model)
            })
            .collect()
    }

    /// The complaint's row, sealed, with its due date from the region's rules (asked here,
    /// inside the transaction, so a complaint never exists without its deadlines; the call
    /// is bounded by the plugin sandbox's deadline).
    async fn complaint_row(
        &self,
        filing: &Filing,
        reference: Reference,
        customer: Option<&customer::Model>,
        key: &DataKey,
    ) -> Result<(complaint::ActiveModel, Computed), ServiceError> {
        let narrative = clear_narrative(&filing.valid.complaint);
        let mut row = filing.valid.complaint.clone();
        row.narrative_terms = Set(narrative.as_deref().map(|n| self.keys.terms(n)));
        row.data_key_id = Set(Some(key.id.clone()));
        row.reference = Set(reference.to_string());
        row.customer_id = Set(customer.map(|c| c.id));
        row.tracking_token_hash = Set(Some(token_hash(&filing.token)));
        row.created_at = Set(filing.now);
        row.updated_at = Set(filing.now);
        row.erased_at = Set(None);

        // The rules see the complaint as it will be stored; its id is not known yet and
        // is not part of what they are shown.
        let mut draft = row.clone();
        draft.id = Set(0);
        let draft = draft.try_into_model()?;
        let facts = ComplaintFacts::from_rows(&draft, customer, Status::Received);
        let computed = self
            .compliance
            .deadlines(filing.valid.region, facts, &[])
            .instrument(filing.span.clone())
            .await;
        if let Some(head) = deadline::headline(&computed.deadlines) {
            row.due_at = Set(Some(head.due_at));
        }
        row.narrative = Set(narrative.map(|n| key.encrypt(NARRATIVE, &n)));
        Ok((row, computed))
    }

    /// The `filed` history rows (and a plugin failure's, where the rules fell back), their
    /// audit records and domain events, and the complaints' deadlines.
    async fn record_filed(
        &self,
        txn: &DatabaseTransaction,
        fresh: &[&Filing],
        complaints: &[complaint::Model],
        computed: &[Computed],
    ) -> Result<(), ServiceError> {
        let mut records = Vec::new();
        let mut deadlines: Vec<complaint_deadline::ActiveModel> = Vec::new();
        for ((filing, stored), rules) in fresh.iter().zip(complaints).zip(computed) {
            records.push(EventRecord {
                complaint_id: stored.id,
                kind: "filed",
                from_status: None,
                to_status: Some(Status::Received.as_str()),
                actor: &filing.actor,
                public: false,
                body: None,
                data: None,
                at: filing.now,
            });
            records.extend(failure_event(stored.id, rules, &filing.actor, filing.now));
            deadlines.extend(deadline_rows(
                stored.id,
                rules,
                Status::Received,
                filing.now,
                &[],
                true,
            ));
        }
        let mut events = EventRecord::insert_many_returning(records, txn).await?;
        events.sort_by_key(|e| e.id);

        let index: HashMap<i64, usize> = complaints
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id, i))
            .collect();
        let mut entries = Vec::with_capacity(events.len());
        let mut messages: Vec<outbox::ActiveModel> = Vec::with_capacity(events.len());
        let mut headers: BTreeMap<usize, Option<String>> = BTreeMap::new();
        for event in &events {
            let i = index[&event.complaint_id];
            let (filing, stored) = (fresh[i], &complaints[i]);
            let owner = Owner {
                reference: stored.reference.clone(),
                region: stored.region.clone(),
                institution: stored.institution.clone(),
            };
            let domain = domain_of(&owner.institution, &owner.region);
            entries.push(event_audit(event, &domain).in_request(filing.request_id.clone()));
            let trace = headers
                .entry(i)
                .or_insert_with(|| filing.span.in_scope(crate::telemetry::trace_headers_json));
            messages.push(domain_event_row(event, &owner, trace.clone()));
        }
        audit::append_many(txn, entries).await?;
        outbox::Entity::insert_many(messages)
            .exec_without_returning(txn)
            .await?;
        if !deadlines.is_empty() {
            complaint_deadline::Entity::insert_many(deadlines)
                .exec_without_returning(txn)
                .await?;
        }
        Ok(())
    }
}

/// Which filings repeat an idempotency key already stored or used earlier in the group.
///
/// The counters of the group's years are locked first: on PostgreSQL a filing with the
/// same key on another replica then either committed before (and is seen) or waits.
async fn replays(txn: &DatabaseTransaction, filings: &[Filing]) -> Result<Vec<bool>, DbErr> {
    let keys: Vec<&str> = filings
        .iter()
        .filter_map(|f| f.idempotency.as_ref().map(|(k, _)| k.as_str()))
        .collect();
    if keys.is_empty() {
        return Ok(vec![false; filings.len()]);
    }
    let years: HashSet<i32> = filings.iter().map(|f| f.valid.received_at.year()).collect();
    for year in years {
        next_references(txn, year, 0).await?;
    }
    let known: HashSet<String> = idempotency_key::Entity::find()
        .select_only()
        .column(idempotency_key::Column::Key)
        .filter(idempotency_key::Column::Key.is_in(keys))
        .into_tuple::<String>()
        .all(txn)
        .await?
        .into_iter()
        .collect();
    let mut seen = HashSet::new();
    Ok(filings
        .iter()
        .map(|f| match &f.idempotency {
            Some((key, _)) => known.contains(key) || !seen.insert(key.as_str()),
            None => false,
        })
        .collect())
}

/// One reference per filing, consecutive within each year, in the order of the filings.
async fn reserve_references(
    txn: &DatabaseTransaction,
    fresh: &[&Filing],
) -> Result<Vec<Reference>, DbErr> {
    let mut per_year: BTreeMap<i32, i64> = BTreeMap::new();
    for filing in fresh {
        *per_year.entry(filing.valid.received_at.year()).or_default() += 1;
    }
    let mut next: BTreeMap<i32, Reference> = BTreeMap::new();
    for (year, count) in per_year {
        next.insert(year, next_references(txn, year, count).await?);
    }
    Ok(fresh
        .iter()
        .map(|filing| {
            let slot = next
                .get_mut(&filing.valid.received_at.year())
                .expect("a reference reserved for every year");
            let reference = *slot;
            slot.number += 1;
            reference
        })
        .collect())
}

fn clear_narrative(row: &complaint::ActiveModel) -> Option<String> {
    match &row.narrative {
        sea_orm::ActiveValue::Set(v) | sea_orm::ActiveValue::Unchanged(v) => v.clone(),
        sea_orm::ActiveValue::NotSet => None,
    }
}

fn lost() -> ServiceError {
    ServiceError::Database(DbErr::Custom(
        "the filing's writer stopped before answering".into(),
    ))
}
