//! sea-orm entities, one per table.

pub mod complaint;
pub mod complaint_deadline;
pub mod complaint_event;
pub mod customer;
pub mod escalation;
pub mod idempotency_key;
pub mod lease;
pub mod outbox;
pub mod reference_counter;
pub mod task;
