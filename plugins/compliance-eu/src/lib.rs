//! EU complaint rules as a Redress compliance plugin.
//!
//! Sources: Directive (EU) 2015/2366 (PSD2) article 101; ESMA/EBA Joint
//! Committee Guidelines on complaints-handling for the securities and banking
//! sectors (2014, extended 2018); Regulation (EU) 2016/679 (GDPR) article 12;
//! Regulation (EEC, Euratom) No 1182/71 on periods, dates and time limits.
//! README.md beside this crate lists each rule.
//!
//! - Payment services and e-money (tags `payment-services`, `e-money`): reply
//!   within **15 business days**; with a holding reply (an `extended` event with
//!   `notice-given`), within **35 business days**.
//! - Data-subject requests (tag `data-subject-request`): answer within **1
//!   month**, or **3 months** when the person was told of the extension, with
//!   reasons, within the first month. A month ends on the same date in the
//!   next month, or that month's last day; a period ending on a Saturday,
//!   Sunday or holiday runs to the next working day (1182/71 art. 3).
//! - Other complaints: the EU texts set no period; national law does. The
//!   operator can give one with `final-response-business-days`.
//!
//! Business days are TARGET2 (T2) business days counted in Europe/Brussels;
//! set `time-zone` to the firm's member-state zone. No EU text lets the clock
//! pause or restart, so pauses and new facts are ignored.

use redress_sdk::calendar::{BusinessCalendar, Region};
use redress_sdk::clock::{ClockPolicy, DeadlineClock, Period, Timeline};
use redress_sdk::retention::{configured_or, years_at_most};
use redress_sdk::{
    ClockEvent, Complaint, CompliancePlugin, Deadline, DeadlineKind, FinalResponse, Host, LogLevel,
    MissingElement, Outcome, PluginError, RetentionAnchor, RetentionPeriod, element, missing_from,
};

/// The EU plugin.
pub struct EuRules;

redress_sdk::export_compliance!(EuRules);

/// Configuration key: business days national law gives for a final reply to
/// complaints outside payment services.
pub const NATIONAL_DAYS_KEY: &str = "final-response-business-days";

const PSD2: &str = "PSD2 art. 101(2)";
const GDPR: &str = "GDPR art. 12(3)";
const GUIDELINES: &str = "Joint Committee Guidelines on complaints-handling, guideline 7";

fn is_payment_services(complaint: &Complaint) -> bool {
    complaint.has_tag("payment-services") || complaint.has_tag("e-money")
}

impl CompliancePlugin for EuRules {
    fn deadlines(
        host: &dyn Host,
        complaint: &Complaint,
        events: &[ClockEvent],
    ) -> Result<Vec<Deadline>, PluginError> {
        complaint.require_region(Region::Eu)?;
        let calendar = BusinessCalendar::from_host(Region::Eu, host)?;
        let timeline = Timeline::build(complaint.received_at, events, ClockPolicy::RUNS_THROUGH)?;
        let clock = DeadlineClock::new(&calendar, &timeline, host.now());
        let mut deadlines = Vec::new();

        if is_payment_services(complaint) {
            payment_services(host, complaint, &timeline, &clock, &mut deadlines)?;
        }
        if complaint.has_tag("data-subject-request") {
            data_subject_request(host, complaint, &timeline, &clock, &mut deadlines)?;
        }
        if deadlines.is_empty() {
            match national_days(host)? {
                Some(days) => deadlines.push(clock.deadline(
                    DeadlineKind::FinalResponse,
                    Period::BusinessDays(days),
                    "national rule (operator setting final-response-business-days)",
                )?),
                None => host.log(
                    LogLevel::Info,
                    "no EU-wide deadline applies; set final-response-business-days for national law",
                    &[("reference", &complaint.reference)],
                ),
            }
        }
        Ok(deadlines)
    }

    fn check_closure(
        _host: &dyn Host,
        complaint: &Complaint,
        response: &FinalResponse,
    ) -> Vec<MissingElement> {
        if response.outcome == Outcome::Withdrawn {
            return Vec::new();
        }
        let mut missing = missing_from(
            response,
            &[(
                element::ADR_BODY,
                "Name the alternative dispute resolution body the complainant can turn to.",
            )],
            GUIDELINES,
        );
        if matches!(response.outcome, Outcome::Rejected | Outcome::PartlyUpheld) {
            missing.extend(missing_from(
                response,
                &[(element::REASONS, "Explain the reasons for the decision.")],
                GUIDELINES,
            ));
            if complaint.has_tag("data-subject-request") {
                missing.extend(missing_from(response, GDPR_REFUSAL, "GDPR art. 12(4)"));
            }
        }
        missing
    }

    fn retention(host: &dyn Host, _complaint: &Complaint) -> RetentionPeriod {
        configured_or(
            host,
            RetentionPeriod {
                keep_for_days: years_at_most(5),
                anchor: RetentionAnchor::Closed,
                rule: "No period in the EU complaint texts; default 5 years from closure, the \
                       record-keeping period of MiFID II (Delegated Regulation 2017/565 art. 72). \
                       GDPR art. 5(1)(e) forbids keeping longer than needed: set retention-days \
                       to the member state's rule."
                    .to_owned(),
            },
        )
    }
}

/// What a refused data-subject request must tell the person.
const GDPR_REFUSAL: &[(&str, &str)] = &[
    (
        element::SUPERVISORY_AUTHORITY,
        "Tell the person they may lodge a complaint with a supervisory authority.",
    ),
    (
        element::JUDICIAL_REMEDY,
        "Tell the person they may seek a judicial remedy.",
    ),
];

fn national_days(host: &dyn Host) -> Result<Option<u32>, PluginError> {
    let Some(value) = host.config(NATIONAL_DAYS_KEY) else {
        return Ok(None);
    };
    match value.trim().parse::<u32>() {
        Ok(days) if days > 0 => Ok(Some(days)),
        _ => Err(PluginError::invalid_config(format!(
            "{NATIONAL_DAYS_KEY} must be a positive whole number of business days, not {value:?}"
        ))),
    }
}

fn payment_services(
    host: &dyn Host,
    complaint: &Complaint,
    timeline: &Timeline,
    clock: &DeadlineClock<'_>,
    deadlines: &mut Vec<Deadline>,
) -> Result<(), PluginError> {
    if timeline
        .extensions
        .iter()
        .any(|e| !e.extension.notice_given)
    {
        host.log(
            LogLevel::Warn,
            "extension without a holding reply ignored",
            &[("reference", &complaint.reference), ("rule", PSD2)],
        );
    }
    if timeline.noticed_extension_days() > 0 {
        deadlines.push(clock.deadline(
            DeadlineKind::FinalResponse,
            Period::BusinessDays(35),
            &format!("{PSD2}: holding reply sent, final reply within 35 business days"),
        )?);
    } else {
        deadlines.push(clock.deadline(
            DeadlineKind::FinalResponse,
            Period::BusinessDays(15),
            &format!("{PSD2}: reply within 15 business days"),
        )?);
        deadlines.push(clock.deadline(
            DeadlineKind::HoldingReply,
            Period::BusinessDays(15),
            &format!("{PSD2}: holding reply by the 15th business day if the reply is late"),
        )?);
    }
    Ok(())
}

fn data_subject_request(
    host: &dyn Host,
    complaint: &Complaint,
    timeline: &Timeline,
    clock: &DeadlineClock<'_>,
    deadlines: &mut Vec<Deadline>,
) -> Result<(), PluginError> {
    let first_month = clock.due_at_next_business_day(Period::Months(1))?;
    let told_in_time = timeline
        .extensions
        .iter()
        .any(|e| e.extension.notice_given && e.at < first_month);
    if !timeline.extensions.is_empty() && !told_in_time {
        host.log(
            LogLevel::Warn,
            "extension not notified within the first month ignored",
            &[("reference", &complaint.reference), ("rule", GDPR)],
        );
    }
    if told_in_time {
        deadlines.push(clock.deadline_next_business_day(
            DeadlineKind::FinalResponse,
            Period::Months(3),
            &format!("{GDPR}: extended by two further months"),
        )?);
    } else {
        deadlines.push(clock.deadline_next_business_day(
            DeadlineKind::FinalResponse,
            Period::Months(1),
            &format!("{GDPR}: answer within one month"),
        )?);
        deadlines.push(clock.deadline_next_business_day(
            DeadlineKind::ExtensionNotice,
            Period::Months(1),
            &format!("{GDPR}: any extension must be notified, with reasons, within one month"),
        )?);
    }
    Ok(())
}
