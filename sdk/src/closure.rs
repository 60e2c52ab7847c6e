//! What a final response states, and what it lacks (WIT `final-response`,
//! `missing-element`).

use crate::complaint::{Money, Timestamp};

/// How a complaint was decided (WIT `outcome`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Accepted in full.
    Upheld,
    /// Accepted in part.
    PartlyUpheld,
    /// Rejected, with reasons.
    Rejected,
    /// Resolved within the summary window.
    SummaryResolution,
    /// Withdrawn by the complainant.
    Withdrawn,
}

/// Element codes a final response can state. Plugins compare against these;
/// docs/plugins.md lists what each means.
pub mod element {
    /// The complainant may refer the complaint to the Financial Ombudsman Service.
    pub const FOS_REFERRAL_RIGHTS: &str = "fos-referral-rights";
    /// The six-month limit for referring to the FOS.
    pub const FOS_SIX_MONTH_LIMIT: &str = "fos-six-month-limit";
    /// The FOS website address.
    pub const FOS_WEBSITE: &str = "fos-website";
    /// The FOS explanatory leaflet is enclosed.
    pub const FOS_LEAFLET: &str = "fos-leaflet";
    /// Whether the firm consents to waive the FOS time limits.
    pub const TIME_LIMIT_WAIVER: &str = "time-limit-waiver";
    /// Reasons for the decision.
    pub const REASONS: &str = "reasons";
    /// Redress offered, for an upheld complaint.
    pub const REDRESS: &str = "redress";
    /// China: the right to ask for a review (复核).
    pub const REVIEW_ROUTE: &str = "review-route";
    /// China: mediation (调解).
    pub const MEDIATION_ROUTE: &str = "mediation-route";
    /// China: arbitration (仲裁).
    pub const ARBITRATION_ROUTE: &str = "arbitration-route";
    /// China: litigation (诉讼).
    pub const LITIGATION_ROUTE: &str = "litigation-route";
    /// Singapore: referral to FIDReC.
    pub const FIDREC_REFERRAL: &str = "fidrec-referral";
    /// Singapore: the six-month limit for going to FIDReC.
    pub const FIDREC_SIX_MONTH_LIMIT: &str = "fidrec-six-month-limit";
    /// EU: the alternative dispute resolution body the complainant may use.
    pub const ADR_BODY: &str = "adr-body";
    /// EU GDPR: the right to complain to the supervisory authority.
    pub const SUPERVISORY_AUTHORITY: &str = "supervisory-authority-complaint";
    /// EU GDPR: the right to seek a judicial remedy.
    pub const JUDICIAL_REMEDY: &str = "judicial-remedy";
}

/// The final (or summary) response the firm is about to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FinalResponse {
    /// The decision.
    pub outcome: Outcome,
    /// When it is or was sent.
    pub sent_at: Timestamp,
    /// Codes of the elements it states; see [`element`].
    pub elements: Vec<String>,
    /// Redress offered or paid.
    pub redress: Option<Money>,
    /// US CFPB response category.
    pub response_category: Option<String>,
}

impl FinalResponse {
    /// Whether the response states `code`, compared without regard to ASCII case.
    pub fn states(&self, code: &str) -> bool {
        self.elements.iter().any(|e| e.eq_ignore_ascii_case(code))
    }
}

/// Something a final response lacks (WIT `missing-element`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingElement {
    /// The missing element's code.
    pub code: String,
    /// A sentence a handler can act on.
    pub message: String,
    /// The rule that requires it.
    pub rule: String,
}

impl MissingElement {
    /// Builds a missing element.
    pub fn new(code: &str, message: &str, rule: &str) -> Self {
        Self {
            code: code.to_owned(),
            message: message.to_owned(),
            rule: rule.to_owned(),
        }
    }
}

/// Checks `response` for each `(code, message)` in `required` and returns
/// those it does not state, all citing `rule`.
pub fn missing_from(
    response: &FinalResponse,
    required: &[(&str, &str)],
    rule: &str,
) -> Vec<MissingElement> {
    required
        .iter()
        .filter(|(code, _)| !response.states(code))
        .map(|(code, message)| MissingElement::new(code, message, rule))
        .collect()
}
