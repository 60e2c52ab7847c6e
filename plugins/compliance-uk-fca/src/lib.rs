//! UK complaint rules from the FCA Handbook, DISP 1, as a Redress compliance plugin.
//!
//! Sources: FCA Handbook DISP 1.5 (summary resolution), 1.6 (final response,
//! delay letter, payment services periods), 1.9 (record keeping) and the
//! Glossary definitions of "business day" and "final response". README.md
//! beside this crate lists the rules clause by clause.
//!
//! Days are counted in Europe/London (configurable with `time-zone`) with
//! England & Wales bank holidays. DISP has no stop-the-clock: pauses and new
//! facts are ignored, and deadlines are never reported as paused.

use redress_sdk::calendar::{BusinessCalendar, Region};
use redress_sdk::clock::{ClockPolicy, DeadlineClock, Period, Timeline};
use redress_sdk::retention::years_from;
use redress_sdk::{
    ClockEvent, Complaint, CompliancePlugin, Deadline, DeadlineKind, FinalResponse, Host, LogLevel,
    MissingElement, Outcome, PluginError, RetentionAnchor, RetentionPeriod, element, missing_from,
};

/// The UK FCA plugin.
pub struct UkFca;

redress_sdk::export_compliance!(UkFca);

/// Tags that put a complaint under DISP 1.6.2A (payment services and e-money).
pub const PAYMENT_TAGS: [&str; 2] = ["payment-services", "e-money"];

/// Tag for MiFID business, which keeps records for 5 years (DISP 1.9.1R(2)).
pub const MIFID_TAG: &str = "mifid";

fn is_payment_services(complaint: &Complaint) -> bool {
    PAYMENT_TAGS.iter().any(|tag| complaint.has_tag(tag))
}

impl CompliancePlugin for UkFca {
    fn deadlines(
        host: &dyn Host,
        complaint: &Complaint,
        events: &[ClockEvent],
    ) -> Result<Vec<Deadline>, PluginError> {
        complaint.require_region(Region::Uk)?;
        let calendar = BusinessCalendar::from_host(Region::Uk, host)?;
        let timeline = Timeline::build(complaint.received_at, events, ClockPolicy::RUNS_THROUGH)?;
        let clock = DeadlineClock::new(&calendar, &timeline, host.now());

        let mut deadlines = vec![clock.deadline(
            DeadlineKind::SummaryResolution,
            Period::BusinessDays(3),
            "DISP 1.5.1R",
        )?];

        if is_payment_services(complaint) {
            // DISP 1.6.2A: 15 business days, or 35 after a holding reply.
            let holding_reply_sent = timeline.extensions.iter().any(|e| e.extension.notice_given);
            if timeline
                .extensions
                .iter()
                .any(|e| !e.extension.notice_given)
            {
                host.log(
                    LogLevel::Warn,
                    "extension without a holding reply ignored",
                    &[
                        ("reference", &complaint.reference),
                        ("rule", "DISP 1.6.2AR"),
                    ],
                );
            }
            if holding_reply_sent {
                deadlines.push(clock.deadline(
                    DeadlineKind::FinalResponse,
                    Period::BusinessDays(35),
                    "DISP 1.6.2AR(2)",
                )?);
            } else {
                deadlines.push(clock.deadline(
                    DeadlineKind::FinalResponse,
                    Period::BusinessDays(15),
                    "DISP 1.6.2AR(1)",
                )?);
                deadlines.push(clock.deadline(
                    DeadlineKind::HoldingReply,
                    Period::BusinessDays(15),
                    "DISP 1.6.2AR(2)",
                )?);
            }
        } else {
            deadlines.push(clock.deadline(
                DeadlineKind::FinalResponse,
                Period::Weeks(8),
                "DISP 1.6.2R(1)",
            )?);
            deadlines.push(clock.deadline(
                DeadlineKind::DelayLetter,
                Period::Weeks(8),
                "DISP 1.6.2R(2)",
            )?);
        }
        Ok(deadlines)
    }

    fn check_closure(
        host: &dyn Host,
        complaint: &Complaint,
        response: &FinalResponse,
    ) -> Vec<MissingElement> {
        match response.outcome {
            Outcome::Withdrawn => Vec::new(),
            Outcome::SummaryResolution => {
                let mut missing = missing_from(response, SUMMARY_ELEMENTS, "DISP 1.5.4R");
                if !within_summary_window(host, complaint, response) {
                    missing.push(MissingElement::new(
                        "summary-resolution-window",
                        "Sent after the close of the third business day after receipt: a \
                         summary resolution communication is no longer enough; send a final \
                         response.",
                        "DISP 1.5.1R",
                    ));
                }
                missing
            }
            Outcome::Upheld => missing_from(response, FINAL_ELEMENTS, "DISP 1.6.2R"),
            Outcome::PartlyUpheld | Outcome::Rejected => {
                let mut missing = missing_from(response, FINAL_ELEMENTS, "DISP 1.6.2R");
                missing.extend(missing_from(
                    response,
                    &[(
                        element::REASONS,
                        "Give the reasons for rejecting the complaint.",
                    )],
                    "Glossary: final response",
                ));
                missing
            }
        }
    }

    fn retention(_host: &dyn Host, complaint: &Complaint) -> RetentionPeriod {
        let (years, rule) = if complaint.has_tag(MIFID_TAG) {
            (5, "DISP 1.9.1R(2): 5 years from receipt for MiFID business")
        } else {
            (3, "DISP 1.9.1R(1): 3 years from receipt")
        };
        let calendar = BusinessCalendar::new(Region::Uk);
        // A receipt time chrono cannot hold gives the longest period instead.
        let keep_for_days = calendar
            .local_date(complaint.received_at)
            .map(|received| years_from(received, years))
            .unwrap_or_else(|_| redress_sdk::retention::years_at_most(years));
        RetentionPeriod {
            keep_for_days,
            anchor: RetentionAnchor::Received,
            rule: rule.to_owned(),
        }
    }
}

/// What a summary resolution communication must say (DISP 1.5.4R).
const SUMMARY_ELEMENTS: &[(&str, &str)] = &[
    (
        element::FOS_REFERRAL_RIGHTS,
        "Say that the complainant may refer the complaint to the Financial Ombudsman Service \
         if dissatisfied.",
    ),
    (
        element::TIME_LIMIT_WAIVER,
        "Say whether the firm consents to waive the Ombudsman's time limits.",
    ),
    (
        element::FOS_WEBSITE,
        "Give the Financial Ombudsman Service website address.",
    ),
];

/// What a final response (or delay letter) must say (DISP 1.6.2R, Glossary).
const FINAL_ELEMENTS: &[(&str, &str)] = &[
    (
        element::FOS_REFERRAL_RIGHTS,
        "Say that the complainant may refer the complaint to the Financial Ombudsman Service.",
    ),
    (
        element::FOS_SIX_MONTH_LIMIT,
        "State that the complainant has six months from this response to refer to the \
         Ombudsman.",
    ),
    (
        element::FOS_WEBSITE,
        "Give the Financial Ombudsman Service website address.",
    ),
    (
        element::FOS_LEAFLET,
        "Enclose the Financial Ombudsman Service explanatory leaflet.",
    ),
    (
        element::TIME_LIMIT_WAIVER,
        "Say whether the firm consents to waive the Ombudsman's time limits.",
    ),
];

fn within_summary_window(host: &dyn Host, complaint: &Complaint, response: &FinalResponse) -> bool {
    let window = BusinessCalendar::from_host(Region::Uk, host).and_then(|calendar| {
        let received = calendar.local_date(complaint.received_at)?;
        let last = calendar.add_business_days_counted(received, 3)?;
        if let Some(year) = last.unpublished_year {
            // Counted without the year's bank holidays: the window may close
            // early, never late, so a borderline response asks for a final one.
            host.log(
                LogLevel::Warn,
                "summary resolution window counted without published bank holidays",
                &[
                    ("reference", &complaint.reference),
                    ("year", &year.to_string()),
                ],
            );
        }
        calendar.end_of_day(last.date)
    });
    match window {
        Ok(due) => response.sent_at < due,
        Err(err) => {
            // Without a calendar the window cannot be checked; flag it for a human.
            host.log(
                LogLevel::Warn,
                "summary resolution window not checked",
                &[
                    ("reference", &complaint.reference),
                    ("error", &err.to_string()),
                ],
            );
            false
        }
    }
}
