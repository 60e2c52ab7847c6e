//! Singapore complaint-handling rules as a Redress compliance plugin.
//!
//! Sources: Financial Advisers (Complaints Handling and Resolution)
//! Regulations 2021, regulation 5; MAS MoneySense guidance on complaints and
//! FIDReC. README.md beside this crate lists each rule.
//!
//! - Acknowledge within **2 business days** of receipt.
//! - A final response, or a notice explaining the delay, within **20
//!   business days**. After a delay notice (an `extended` event with
//!   `notice-given`), the final response is due the number of business days
//!   later that the notice gave.
//! - The final response tells the complainant they may go to FIDReC within
//!   **6 months** of it.
//!
//! Business days exclude weekends and MOM public holidays (with days in lieu),
//! counted in Asia/Singapore. The rules allow no pauses and new facts do not
//! restart the clock.

use redress_sdk::calendar::{BusinessCalendar, Region};
use redress_sdk::clock::{ClockPolicy, DeadlineClock, Period, Timeline};
use redress_sdk::retention::{configured_or, years_at_most};
use redress_sdk::{
    ClockEvent, Complaint, CompliancePlugin, Deadline, DeadlineKind, FinalResponse, Host, LogLevel,
    MissingElement, Outcome, PluginError, RetentionAnchor, RetentionPeriod, element, missing_from,
};

/// The Singapore plugin.
pub struct SingaporeMas;

redress_sdk::export_compliance!(SingaporeMas);

const REG_5: &str = "FA(CHR) Regulations 2021, reg. 5";

impl CompliancePlugin for SingaporeMas {
    fn deadlines(
        host: &dyn Host,
        complaint: &Complaint,
        events: &[ClockEvent],
    ) -> Result<Vec<Deadline>, PluginError> {
        complaint.require_region(Region::Sg)?;
        let calendar = BusinessCalendar::from_host(Region::Sg, host)?;
        let timeline = Timeline::build(complaint.received_at, events, ClockPolicy::RUNS_THROUGH)?;
        let clock = DeadlineClock::new(&calendar, &timeline, host.now());

        if timeline
            .extensions
            .iter()
            .any(|e| !e.extension.notice_given)
        {
            host.log(
                LogLevel::Warn,
                "extension without a delay notice ignored",
                &[("reference", &complaint.reference)],
            );
        }
        let extra = timeline.noticed_extension_days();

        let mut deadlines = vec![clock.deadline(
            DeadlineKind::Acknowledge,
            Period::BusinessDays(2),
            &format!("{REG_5}: acknowledge within 2 business days"),
        )?];
        if extra == 0 {
            let rule = format!("{REG_5}: final response or delay notice within 20 business days");
            deadlines.push(clock.deadline(
                DeadlineKind::FinalResponse,
                Period::BusinessDays(20),
                &rule,
            )?);
            deadlines.push(clock.deadline(
                DeadlineKind::DelayLetter,
                Period::BusinessDays(20),
                &rule,
            )?);
        } else {
            deadlines.push(clock.deadline(
                DeadlineKind::FinalResponse,
                Period::BusinessDays(20u32.saturating_add(extra)),
                &format!("{REG_5}: final response by the date given in the delay notice"),
            )?);
        }
        Ok(deadlines)
    }

    fn check_closure(
        _host: &dyn Host,
        _complaint: &Complaint,
        response: &FinalResponse,
    ) -> Vec<MissingElement> {
        if response.outcome == Outcome::Withdrawn {
            return Vec::new();
        }
        let mut missing = missing_from(response, FIDREC, REG_5);
        if matches!(response.outcome, Outcome::Rejected | Outcome::PartlyUpheld) {
            missing.extend(missing_from(
                response,
                &[(element::REASONS, "Give the reasons for the decision.")],
                REG_5,
            ));
        }
        missing
    }

    fn retention(host: &dyn Host, _complaint: &Complaint) -> RetentionPeriod {
        configured_or(
            host,
            RetentionPeriod {
                keep_for_days: years_at_most(5),
                anchor: RetentionAnchor::Closed,
                rule: "No period in the sources; default 5 years from closure, the period \
                       MAS notices commonly set for customer records (e.g. MAS Notice 626). \
                       Set retention-days if counsel advises otherwise."
                    .to_owned(),
            },
        )
    }
}

/// FIDReC information the final response must give.
const FIDREC: &[(&str, &str)] = &[
    (
        element::FIDREC_REFERRAL,
        "Tell the complainant they may refer the dispute to FIDReC if not satisfied.",
    ),
    (
        element::FIDREC_SIX_MONTH_LIMIT,
        "State that the referral to FIDReC must be made within 6 months of this final reply.",
    ),
];
