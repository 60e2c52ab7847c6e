//! The US CFPB complaint process as a Redress compliance plugin.
//!
//! Sources: CFPB Company Portal Manual, section 8.1 (response times); the
//! field list of the public Consumer Complaint Database (`ccdb/fields.html`
//! in the cfpb/api repository) for response categories. README.md beside
//! this crate lists each rule.
//!
//! - The company responds within **15 calendar days** of the complaint being
//!   sent to it (`received-at`). It may answer "In progress" and then owes a
//!   final response within **60 calendar days**.
//! - The response records one of the database's response categories.
//!
//! Days are calendar days in America/New_York (the CFPB's zone; set
//! `time-zone` to change it), so weekends and federal holidays do not move a
//! deadline. The CFPB process has no pause or restart.

use redress_sdk::calendar::{BusinessCalendar, Region};
use redress_sdk::clock::{ClockPolicy, DeadlineClock, Period, Timeline};
use redress_sdk::retention::{configured_or, years_at_most};
use redress_sdk::{
    ClockEvent, Complaint, CompliancePlugin, Deadline, DeadlineKind, FinalResponse, Host,
    MissingElement, PluginError, RetentionAnchor, RetentionPeriod,
};

/// The US CFPB plugin.
pub struct UsCfpb;

redress_sdk::export_compliance!(UsCfpb);

const MANUAL: &str = "CFPB Company Portal Manual 8.1";
const FIELDS: &str = "CFPB Consumer Complaint Database fields: company response to consumer";

/// Code of the missing element when the response category is absent or unusable.
pub const RESPONSE_CATEGORY: &str = "response-category";

/// Code of the missing element when monetary relief has no amount.
pub const MONETARY_RELIEF_AMOUNT: &str = "monetary-relief-amount";

/// Categories a company can close a complaint with.
pub const CLOSING_CATEGORIES: [&str; 3] = [
    "Closed with explanation",
    "Closed with monetary relief",
    "Closed with non-monetary relief",
];

/// Categories that appear in older data but are no longer offered.
pub const RETIRED_CATEGORIES: [&str; 3] = ["Closed", "Closed with relief", "Closed without relief"];

impl CompliancePlugin for UsCfpb {
    fn deadlines(
        host: &dyn Host,
        complaint: &Complaint,
        events: &[ClockEvent],
    ) -> Result<Vec<Deadline>, PluginError> {
        complaint.require_region(Region::Us)?;
        let calendar = BusinessCalendar::from_host(Region::Us, host)?;
        let timeline = Timeline::build(complaint.received_at, events, ClockPolicy::RUNS_THROUGH)?;
        let clock = DeadlineClock::new(&calendar, &timeline, host.now());
        Ok(vec![
            clock.deadline(
                DeadlineKind::InitialResponse,
                Period::CalendarDays(15),
                &format!("{MANUAL}: respond within 15 days"),
            )?,
            clock.deadline(
                DeadlineKind::FinalResponse,
                Period::CalendarDays(60),
                &format!("{MANUAL}: after an \"In progress\" response, close within 60 days"),
            )?,
        ])
    }

    fn check_closure(
        _host: &dyn Host,
        _complaint: &Complaint,
        response: &FinalResponse,
    ) -> Vec<MissingElement> {
        let Some(category) = response.response_category.as_deref().map(str::trim) else {
            return vec![MissingElement::new(
                RESPONSE_CATEGORY,
                "Record the response category: Closed with explanation, Closed with monetary \
                 relief or Closed with non-monetary relief.",
                FIELDS,
            )];
        };
        let is = |name: &str| category.eq_ignore_ascii_case(name);

        let problem = if is("In progress") {
            Some("\"In progress\" is not a final response; close the complaint within 60 days.")
        } else if is("Untimely response") {
            Some("\"Untimely response\" is set by the CFPB, not chosen by the company.")
        } else if RETIRED_CATEGORIES.iter().any(|c| is(c)) {
            Some("This category is retired; use one of the current closing categories.")
        } else if !CLOSING_CATEGORIES.iter().any(|c| is(c)) {
            Some("Unknown response category; use one of the current closing categories.")
        } else {
            None
        };
        if let Some(message) = problem {
            return vec![MissingElement::new(RESPONSE_CATEGORY, message, FIELDS)];
        }

        if is("Closed with monetary relief") && response.redress.is_none() {
            return vec![MissingElement::new(
                MONETARY_RELIEF_AMOUNT,
                "State the amount of monetary relief provided.",
                MANUAL,
            )];
        }
        Vec::new()
    }

    fn retention(host: &dyn Host, _complaint: &Complaint) -> RetentionPeriod {
        configured_or(
            host,
            RetentionPeriod {
                keep_for_days: years_at_most(3),
                anchor: RetentionAnchor::Closed,
                rule: "No period in the CFPB sources; default 3 years from closure, longer than \
                       the federal consumer-finance record rules (Regulation B 25 months, \
                       Regulations E and Z 2 years). Set retention-days if counsel advises \
                       otherwise."
                    .to_owned(),
            },
        )
    }
}
