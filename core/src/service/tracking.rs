//! The customer's own view of their complaint.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::Complaints;
use super::filing::token_hash;
use super::view::{PublicMessage, TrackingView, status_of};
use crate::domain::Reference;
use crate::error::ServiceError;
use crate::store::entity::{complaint, complaint_event};

impl Complaints {
    /// Status, dates and public messages of the complaint with this reference, if the token
    /// is the one given at filing.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] alike for an unknown reference and a wrong token, so
    /// neither can be probed.
    pub async fn track(&self, reference: &str, token: &str) -> Result<TrackingView, ServiceError> {
        let reference: Reference = reference.parse().map_err(|_| ServiceError::NotFound)?;
        let row = complaint::Entity::find()
            .filter(complaint::Column::Reference.eq(reference.to_string()))
            .one(&self.db)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let expected = row
            .tracking_token_hash
            .as_deref()
            .ok_or(ServiceError::NotFound)?;
        if !constant_time_eq(expected.as_bytes(), token_hash(token).as_bytes()) {
            return Err(ServiceError::NotFound);
        }
        let key = self.data_key(&self.db, row.data_key_id.as_deref()).await?;
        let messages = complaint_event::Entity::find()
            .filter(complaint_event::Column::ComplaintId.eq(row.id))
            .filter(complaint_event::Column::Public.eq(true))
            .order_by_asc(complaint_event::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .filter_map(|e| {
                Some(PublicMessage {
                    at: e.at,
                    body: super::personal::open(key.as_ref(), super::personal::BODY, &e.body?)?,
                })
            })
            .collect();
        Ok(TrackingView {
            status: status_of(&row),
            reference: row.reference,
            received_at: row.received_at,
            acknowledged_at: row.acknowledged_at,
            due_at: row.due_at,
            resolved_at: row.resolved_at,
            closed_at: row.closed_at,
            messages,
        })
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
