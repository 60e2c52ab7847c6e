//! China's banking and insurance consumer complaint rules as a Redress
//! compliance plugin.
//!
//! Source: 银行业保险业消费投诉处理管理办法 (CBIRC Order 2020 No. 3, in force
//! 1 March 2021), with periods counted as the PRC Civil Code (articles 201
//! and 203) counts them. README.md beside this crate lists each rule.
//!
//! - A decision within **15 days** of accepting the complaint; extendable to
//!   **30** and then to at most **60** days. Each extension counts only if the
//!   complainant was told (the `notice-given` flag).
//! - Days are calendar days counted from the day after acceptance
//!   (Civil Code art. 201). When the last day is a rest day under the State
//!   Council calendar, the period ends on the next working day (art. 203), so
//!   make-up working days (调休上班日) count as working days.
//! - Time spent on external appraisal or testing does not count: the clock
//!   pauses for `external-appraisal` only. New facts or reasons make a new
//!   complaint, so they restart the clock.
//! - The decision must tell the complainant about review, mediation,
//!   arbitration and litigation.

use redress_sdk::calendar::{BusinessCalendar, Region};
use redress_sdk::clock::{ClockPolicy, DeadlineClock, PauseReason, Period, Timeline};
use redress_sdk::retention::{configured_or, years_at_most};
use redress_sdk::{
    ClockEvent, Complaint, CompliancePlugin, Deadline, DeadlineKind, FinalResponse, Host, LogLevel,
    MissingElement, Outcome, PluginError, RetentionAnchor, RetentionPeriod, element, missing_from,
};

/// The China plugin.
pub struct ChinaCbirc;

redress_sdk::export_compliance!(ChinaCbirc);

const MEASURES: &str = "银行业保险业消费投诉处理管理办法 (CBIRC 2020)";

/// Days to decide, before any extension.
pub const BASE_DAYS: u32 = 15;

/// The longest the handling period may become with extensions.
pub const MAX_DAYS: u32 = 60;

fn honours_pause(reason: &PauseReason) -> bool {
    matches!(reason, PauseReason::ExternalAppraisal)
}

const POLICY: ClockPolicy = ClockPolicy {
    honours_pause,
    new_facts_restart: true,
};

impl CompliancePlugin for ChinaCbirc {
    fn deadlines(
        host: &dyn Host,
        complaint: &Complaint,
        events: &[ClockEvent],
    ) -> Result<Vec<Deadline>, PluginError> {
        complaint.require_region(Region::Cn)?;
        let calendar = BusinessCalendar::from_host(Region::Cn, host)?;
        let timeline = Timeline::build(complaint.received_at, events, POLICY)?;
        let clock = DeadlineClock::new(&calendar, &timeline, host.now());

        if timeline
            .extensions
            .iter()
            .any(|e| !e.extension.notice_given)
        {
            host.log(
                LogLevel::Warn,
                "extension without notice to the complainant ignored",
                &[("reference", &complaint.reference)],
            );
        }
        let requested = BASE_DAYS.saturating_add(timeline.noticed_extension_days());
        if requested > MAX_DAYS {
            let requested = requested.to_string();
            host.log(
                LogLevel::Warn,
                "extensions capped at 60 days",
                &[
                    ("reference", &complaint.reference),
                    ("requested_days", &requested),
                ],
            );
        }
        let days = requested.min(MAX_DAYS);

        let rule = match days {
            BASE_DAYS => format!("{MEASURES}: decision within 15 days of acceptance"),
            d if d <= 30 => format!("{MEASURES}: complex case extended to {d} days"),
            d => format!("{MEASURES}: special case extended to {d} days with notice"),
        };
        let mut deadlines = vec![clock.deadline_next_business_day(
            DeadlineKind::FinalResponse,
            Period::CalendarDays(days),
            &rule,
        )?];
        if days < MAX_DAYS {
            // Any further extension must reach the complainant before the
            // current period runs out.
            deadlines.push(clock.deadline_next_business_day(
                DeadlineKind::ExtensionNotice,
                Period::CalendarDays(days),
                &format!("{MEASURES}: extension only with notice to the complainant"),
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
        let mut missing = missing_from(response, ROUTES, MEASURES);
        if matches!(response.outcome, Outcome::Rejected | Outcome::PartlyUpheld) {
            missing.extend(missing_from(
                response,
                &[(
                    element::REASONS,
                    "说明不予支持的理由。State the reasons for the decision.",
                )],
                MEASURES,
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
                rule: "No period in the complaint measures; default 5 years from closure, \
                       the period PRC anti-money-laundering rules set for customer and \
                       transaction records. PIPL art. 19 forbids keeping longer than needed: \
                       set retention-days if counsel advises otherwise."
                    .to_owned(),
            },
        )
    }
}

/// Routes the decision must name.
const ROUTES: &[(&str, &str)] = &[
    (
        element::REVIEW_ROUTE,
        "告知申请核查（复核）的途径。Tell the complainant how to ask for a review.",
    ),
    (
        element::MEDIATION_ROUTE,
        "告知调解途径。Tell the complainant about mediation.",
    ),
    (
        element::ARBITRATION_ROUTE,
        "告知仲裁途径。Tell the complainant about arbitration.",
    ),
    (
        element::LITIGATION_ROUTE,
        "告知诉讼途径。Tell the complainant about litigation.",
    ),
];
