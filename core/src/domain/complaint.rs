//! Closed vocabularies a complaint is described with. Each is stored as its `snake_case` (or,
//! for regions, upper-case) name, so the database stays readable without the code.

use serde::{Deserialize, Serialize};
use strum::{EnumString, IntoStaticStr, VariantNames};
use utoipa::ToSchema;

/// How the complaint reached the institution. CFPB's "Submitted via" values map onto these.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    EnumString,
    IntoStaticStr,
    VariantNames,
    ToSchema,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Channel {
    Web,
    Phone,
    Email,
    PostalMail,
    Fax,
    Referral,
    WebReferral,
    InPerson,
    Chat,
    MobileApp,
    SocialMedia,
}

impl Channel {
    /// Reads the CFPB export's "Submitted via" column.
    pub fn from_cfpb(value: &str) -> Option<Self> {
        Some(match value.trim().to_ascii_lowercase().as_str() {
            "web" => Self::Web,
            "phone" => Self::Phone,
            "email" => Self::Email,
            "postal mail" => Self::PostalMail,
            "fax" => Self::Fax,
            "referral" => Self::Referral,
            "web referral" => Self::WebReferral,
            _ => return None,
        })
    }
}

/// The regulatory region whose complaint rules apply.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    EnumString,
    IntoStaticStr,
    VariantNames,
    ToSchema,
)]
#[serde(rename_all = "UPPERCASE")]
#[strum(serialize_all = "UPPERCASE")]
pub enum Region {
    /// United States: CFPB complaint process.
    Us,
    /// United Kingdom: FCA Handbook DISP 1.
    Uk,
    /// European Union: ESMA/EBA guidelines, PSD2.
    Eu,
    /// Mainland China: NFRA (formerly CBIRC) complaint rules.
    Cn,
    /// Hong Kong.
    Hk,
    /// Singapore: MAS.
    Sg,
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    Serialize,
    Deserialize,
    EnumString,
    IntoStaticStr,
    VariantNames,
    ToSchema,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Priority {
    Low,
    #[default]
    Normal,
    High,
    Urgent,
}

/// The institution's finding on a resolved complaint (the FCA's "upheld" vocabulary).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    EnumString,
    IntoStaticStr,
    VariantNames,
    ToSchema,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Outcome {
    Upheld,
    PartlyUpheld,
    NotUpheld,
    /// Closed by the end of the third business day after receipt with a summary resolution
    /// communication (UK DISP 1.5); the region's compliance rules check the window and
    /// what the communication says. A withdrawal is not an outcome: it is the `withdrawn`
    /// state, and no response goes out to check.
    SummaryResolution,
}

/// The CFPB's response categories, current and historical, kept verbatim.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    EnumString,
    IntoStaticStr,
    VariantNames,
    ToSchema,
)]
pub enum ResponseCategory {
    #[serde(rename = "Closed with explanation")]
    #[strum(serialize = "Closed with explanation")]
    ClosedWithExplanation,
    #[serde(rename = "Closed with monetary relief")]
    #[strum(serialize = "Closed with monetary relief")]
    ClosedWithMonetaryRelief,
    #[serde(rename = "Closed with non-monetary relief")]
    #[strum(serialize = "Closed with non-monetary relief")]
    ClosedWithNonMonetaryRelief,
    #[serde(rename = "In progress")]
    #[strum(serialize = "In progress")]
    InProgress,
    #[serde(rename = "Untimely response")]
    #[strum(serialize = "Untimely response")]
    UntimelyResponse,
    #[serde(rename = "Closed")]
    #[strum(serialize = "Closed")]
    Closed,
    #[serde(rename = "Closed with relief")]
    #[strum(serialize = "Closed with relief")]
    ClosedWithRelief,
    #[serde(rename = "Closed without relief")]
    #[strum(serialize = "Closed without relief")]
    ClosedWithoutRelief,
}

impl ResponseCategory {
    /// Whether a complaint answered with this category is still being worked on.
    pub fn is_open(self) -> bool {
        matches!(self, Self::InProgress)
    }
}
