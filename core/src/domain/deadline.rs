//! Deadlines on a complaint, what meets them, and the fallback used when no compliance
//! plugin answers for a region.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Region, Status};

/// What must happen by a deadline. `Other` carries a regional name a plugin gave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineKind {
    Acknowledge,
    SummaryResolution,
    InitialResponse,
    HoldingReply,
    FinalResponse,
    DelayLetter,
    ExtensionNotice,
    Other(String),
}

impl DeadlineKind {
    /// The name stored in the database and shown in the API.
    pub fn as_key(&self) -> String {
        match self {
            Self::Acknowledge => "acknowledge".into(),
            Self::SummaryResolution => "summary_resolution".into(),
            Self::InitialResponse => "initial_response".into(),
            Self::HoldingReply => "holding_reply".into(),
            Self::FinalResponse => "final_response".into(),
            Self::DelayLetter => "delay_letter".into(),
            Self::ExtensionNotice => "extension_notice".into(),
            Self::Other(name) => format!("other:{name}"),
        }
    }

    /// Whether a complaint now in `status` has done what this deadline asks.
    ///
    /// An acknowledgement is done once the complaint has moved past `received`. Every
    /// other deadline is about answering the complaint, so a resolution (or a terminal
    /// state) meets it: a firm that has sent its final response owes no delay letter.
    pub fn met_by(key: &str, status: Status) -> bool {
        let answered = matches!(
            status,
            Status::Resolved | Status::Closed | Status::Withdrawn | Status::Merged
        );
        if key == "acknowledge" {
            answered || status != Status::Received
        } else {
            answered
        }
    }
}

/// One deadline as computed for a complaint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deadline {
    pub kind: DeadlineKind,
    /// Exclusive bound: on time when done strictly before it.
    pub due_at: DateTime<Utc>,
    pub rule: String,
    pub basis: String,
    pub paused: bool,
}

/// The strictest deadlines known for a region, used when its compliance plugin is absent,
/// disabled or failing.
///
/// Each period is the shortest the region's rules allow for any kind of complaint, counted
/// in calendar days from receipt: a business-day period is never shorter than the same
/// number of calendar days, so a complaint handled by these dates is on time whatever the
/// plugin would have said. Sources: `docs/compliance.md`.
pub fn fallback(region: Region, received_at: DateTime<Utc>) -> Vec<Deadline> {
    let periods: &[(DeadlineKind, i64, &str)] = match region {
        Region::Us => &[(
            DeadlineKind::InitialResponse,
            15,
            "CFPB Company Portal Manual 8.1: respond within 15 days",
        )],
        Region::Uk => &[(
            DeadlineKind::FinalResponse,
            15,
            "DISP 1.6.2A: payment services, 15 business days (counted as calendar days)",
        )],
        Region::Eu => &[(
            DeadlineKind::FinalResponse,
            15,
            "PSD2 art. 101: payment services, 15 business days (counted as calendar days)",
        )],
        Region::Cn => &[(
            DeadlineKind::FinalResponse,
            15,
            "CBIRC complaint measures (2020): decide within 15 days of acceptance",
        )],
        Region::Hk => &[
            (
                DeadlineKind::Acknowledge,
                7,
                "HKMA-supervised banks' procedures: acknowledge within 7 days",
            ),
            (
                DeadlineKind::FinalResponse,
                30,
                "HKMA-supervised banks' procedures: final response within 30 days",
            ),
        ],
        Region::Sg => &[
            (
                DeadlineKind::Acknowledge,
                2,
                "FA (Complaints Handling) Regulations 2021 reg. 5: acknowledge within 2 business days (counted as calendar days)",
            ),
            (
                DeadlineKind::FinalResponse,
                20,
                "FA (Complaints Handling) Regulations 2021 reg. 5: final response within 20 business days (counted as calendar days)",
            ),
        ],
    };
    periods
        .iter()
        .map(|(kind, days, rule)| Deadline {
            kind: kind.clone(),
            due_at: received_at + Duration::days(*days),
            rule: (*rule).to_owned(),
            basis: format!("fallback: {days} calendar days after receipt, UTC"),
            paused: false,
        })
        .collect()
}

/// The deadline that decides whether the complaint as a whole is overdue: the final
/// response when the rules name one, else the first response owed.
pub fn headline(deadlines: &[Deadline]) -> Option<&Deadline> {
    deadlines
        .iter()
        .find(|d| d.kind == DeadlineKind::FinalResponse)
        .or_else(|| {
            deadlines
                .iter()
                .find(|d| d.kind == DeadlineKind::InitialResponse)
        })
        .or_else(|| deadlines.iter().max_by_key(|d| d.due_at))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn every_region_has_a_fallback_no_later_than_its_rules() {
        let received = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
        for region in [
            Region::Us,
            Region::Uk,
            Region::Eu,
            Region::Cn,
            Region::Hk,
            Region::Sg,
        ] {
            let deadlines = fallback(region, received);
            let head = headline(&deadlines).expect("a headline deadline");
            // The shortest period any region's rules give for a first substantive answer.
            assert!(head.due_at - received <= Duration::days(30), "{region:?}");
            assert!(head.due_at > received);
        }
        let sg = fallback(Region::Sg, received);
        assert_eq!(sg[0].kind, DeadlineKind::Acknowledge);
        assert_eq!(sg[0].due_at, received + Duration::days(2));
    }

    #[test]
    fn acknowledgement_is_met_by_any_move_and_answers_only_by_resolution() {
        assert!(!DeadlineKind::met_by("acknowledge", Status::Received));
        assert!(DeadlineKind::met_by("acknowledge", Status::Acknowledged));
        assert!(!DeadlineKind::met_by("final_response", Status::InProgress));
        assert!(!DeadlineKind::met_by(
            "final_response",
            Status::WaitingOnCustomer
        ));
        assert!(DeadlineKind::met_by("final_response", Status::Resolved));
        assert!(DeadlineKind::met_by("delay_letter", Status::Withdrawn));
    }
}
