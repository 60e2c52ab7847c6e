//! sea-orm entities, one per table.

pub mod api_token;
pub mod audit_checkpoint;
pub mod audit_head;
pub mod audit_record;
pub mod casbin_rule;
pub mod complaint;
pub mod complaint_deadline;
pub mod complaint_event;
pub mod customer;
pub mod data_key;
pub mod escalation;
pub mod idempotency_key;
pub mod lease;
pub mod outbox;
pub mod reference_counter;
pub mod task;
