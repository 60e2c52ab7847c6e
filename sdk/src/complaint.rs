//! The complaint as plugins see it: a native mirror of the WIT `types` records.

use crate::calendar::Region;
use crate::error::PluginError;

/// Milliseconds since 1970-01-01T00:00:00Z (WIT `timestamp`).
pub type Timestamp = i64;

/// An amount in the currency's minor unit (WIT `money`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Money {
    /// Amount in minor units: 1234 with currency "GBP" is £12.34.
    pub minor_units: i64,
    /// ISO 4217 alphabetic code, upper case.
    pub currency: String,
}

/// Personal data about the complainant (WIT `personal-data`).
///
/// Present only when the host granted the plugin the `personal-data`
/// capability. Never log it.
#[derive(Clone, PartialEq, Eq)]
pub struct PersonalData {
    /// Full name.
    pub name: String,
    /// E-mail address, phone number or postal address.
    pub contact: String,
    /// The firm's customer number, if the complainant is a customer.
    pub customer_number: Option<String>,
    /// The complainant's own account, free text.
    pub narrative: String,
}

// Debug is written by hand so that a stray `{:?}` never prints personal data.
impl std::fmt::Debug for PersonalData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PersonalData { .. }")
    }
}

/// Where the complaint stands in the host's lifecycle (WIT `complaint-status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ComplaintStatus {
    /// Logged, nothing sent yet.
    Received,
    /// Acknowledgement sent.
    Acknowledged,
    /// Under investigation; for CFPB complaints, answered "in progress".
    InProgress,
    /// Waiting for the complainant.
    AwaitingCustomer,
    /// Escalated inside the firm.
    Escalated,
    /// Final or summary response sent.
    Resolved,
    /// Closed.
    Closed,
    /// Reopened after closure.
    Reopened,
}

/// One complaint (WIT `complaint`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Complaint {
    /// The firm's reference.
    pub reference: String,
    /// Region code: "US", "UK", "EU", "CN", "SG", ...
    pub region: String,
    /// Product, taxonomy level 1.
    pub product: String,
    /// Product, taxonomy level 2.
    pub sub_product: Option<String>,
    /// Issue, taxonomy level 1.
    pub issue: String,
    /// Issue, taxonomy level 2.
    pub sub_issue: Option<String>,
    /// How it arrived: "web", "phone", "email", ...
    pub channel: String,
    /// When the firm received (in China: accepted) it.
    pub received_at: Timestamp,
    /// The complainant's IANA time zone, if known.
    pub customer_time_zone: Option<String>,
    /// Free tags; compliance plugins read "payment-services", "e-money",
    /// "mifid", "complex" and "data-subject-request".
    pub tags: Vec<String>,
    /// Sum in dispute, if any.
    pub amount_in_dispute: Option<Money>,
    /// Lifecycle status.
    pub status: ComplaintStatus,
    /// Filled only for plugins granted the `personal-data` capability.
    pub personal_data: Option<PersonalData>,
}

impl Complaint {
    /// Whether the complaint carries `tag`, compared without regard to ASCII case.
    pub fn has_tag(&self, tag: &str) -> bool {
        self.tags.iter().any(|t| t.eq_ignore_ascii_case(tag))
    }

    /// Checks that the complaint's region code is `region`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidComplaint`](crate::ErrorKind::InvalidComplaint) otherwise.
    pub fn require_region(&self, region: Region) -> Result<(), PluginError> {
        if Region::from_code(&self.region) == Some(region) {
            Ok(())
        } else {
            Err(PluginError::invalid_complaint(format!(
                "region {:?} is not {}; this plugin handles only {} complaints",
                self.region,
                region.code(),
                region.code()
            )))
        }
    }
}
