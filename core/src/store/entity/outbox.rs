//! Messages waiting to be published, written in the same transaction as the change they
//! announce; the relay publishes them in `id` order and stamps `sent_at` on the server's ack.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The subject below the configured prefix: `tasks.UK.fraud`, `events.UK.complaint.filed`.
    pub subject: String,
    /// Sent as `Nats-Msg-Id`: a message published twice is stored once.
    #[sea_orm(unique)]
    pub msg_id: String,
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    /// Message headers as a JSON object (the W3C trace context).
    #[sea_orm(column_type = "Text", nullable)]
    pub headers: Option<String>,
    pub complaint_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
