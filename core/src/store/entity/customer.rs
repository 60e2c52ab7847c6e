//! The person behind a complaint. Personal data lives only here, so it can be guarded and
//! erased without touching the complaint's facts.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "customers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The institution's own customer number. This and the contact fields are stored
    /// encrypted (`v1:<data key>:...`, see `crate::keys`).
    #[sea_orm(column_type = "Text", nullable)]
    pub customer_number: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub name: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub email: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub phone: Option<String>,
    pub created_at: DateTimeUtc,
    /// The institution whose customer this is.
    pub institution: String,
    /// Keyed fingerprint of the customer number and the domain (institution and region) it
    /// was filed in, to find the customer without decrypting: numbers are unique per domain.
    pub number_index: Option<String>,
    /// The key the personal fields are encrypted with.
    pub data_key_id: Option<String>,
    /// Set when the customer's personal data was erased.
    pub erased_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
