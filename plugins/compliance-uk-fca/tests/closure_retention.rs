//! Closure checks (DISP 1.5.4R, 1.6.2R, Glossary "final response") and record
//! retention (DISP 1.9.1R).

use compliance_uk_fca::UkFca;
use redress_sdk::testing::{TestHost, complaint, final_response, local_ms};
use redress_sdk::{CompliancePlugin, Outcome, RetentionAnchor, element};

fn london(local: &str) -> i64 {
    local_ms("Europe/London", local)
}

const COMPLETE: &[&str] = &[
    element::FOS_REFERRAL_RIGHTS,
    element::FOS_SIX_MONTH_LIMIT,
    element::FOS_WEBSITE,
    element::FOS_LEAFLET,
    element::TIME_LIMIT_WAIVER,
    element::REASONS,
];

fn missing_codes(outcome: Outcome, sent: &str, elements: &[&str]) -> Vec<String> {
    let received = london("2025-06-02 10:00");
    let host = TestHost::at(received);
    let response = final_response(outcome, london(sent), elements);
    UkFca::check_closure(&host, &complaint("UK", received), &response)
        .into_iter()
        .map(|m| m.code)
        .collect()
}

#[test]
fn disp_1_6_2_complete_final_response_passes() {
    assert!(missing_codes(Outcome::Rejected, "2025-07-01 10:00", COMPLETE).is_empty());
}

#[test]
fn disp_1_6_2_final_response_needs_all_fos_information() {
    let codes = missing_codes(Outcome::Upheld, "2025-07-01 10:00", &[element::FOS_WEBSITE]);
    assert_eq!(
        codes,
        [
            element::FOS_REFERRAL_RIGHTS,
            element::FOS_SIX_MONTH_LIMIT,
            element::FOS_LEAFLET,
            element::TIME_LIMIT_WAIVER
        ]
    );
}

#[test]
fn final_response_glossary_rejection_needs_reasons() {
    let without_reasons = &COMPLETE[..5];
    assert_eq!(
        missing_codes(Outcome::Rejected, "2025-07-01 10:00", without_reasons),
        [element::REASONS]
    );
    assert!(missing_codes(Outcome::Upheld, "2025-07-01 10:00", without_reasons).is_empty());
}

#[test]
fn disp_1_5_4_summary_resolution_needs_referral_waiver_and_website() {
    let codes = missing_codes(Outcome::SummaryResolution, "2025-06-04 10:00", &[]);
    assert_eq!(
        codes,
        [
            element::FOS_REFERRAL_RIGHTS,
            element::TIME_LIMIT_WAIVER,
            element::FOS_WEBSITE
        ]
    );
}

#[test]
fn disp_1_5_1_summary_resolution_on_the_third_business_day_is_in_time() {
    let elements = [
        element::FOS_REFERRAL_RIGHTS,
        element::TIME_LIMIT_WAIVER,
        element::FOS_WEBSITE,
    ];
    assert!(missing_codes(Outcome::SummaryResolution, "2025-06-05 23:59", &elements).is_empty());
}

#[test]
fn disp_1_5_1_summary_resolution_after_the_window_is_flagged() {
    let elements = [
        element::FOS_REFERRAL_RIGHTS,
        element::TIME_LIMIT_WAIVER,
        element::FOS_WEBSITE,
    ];
    let codes = missing_codes(Outcome::SummaryResolution, "2025-06-06 00:00", &elements);
    assert_eq!(codes, ["summary-resolution-window"]);
}

#[test]
fn withdrawn_complaint_needs_no_final_response_elements() {
    assert!(missing_codes(Outcome::Withdrawn, "2025-06-06 00:00", &[]).is_empty());
}

#[test]
fn disp_1_9_1_three_years_from_receipt() {
    // 15 Jan 2024 to 15 Jan 2027 spans 29 Feb 2024: 1096 days.
    let c = complaint("UK", london("2024-01-15 09:00"));
    let retention = UkFca::retention(&TestHost::at(0), &c);
    assert_eq!(retention.keep_for_days, 1096);
    assert_eq!(retention.anchor, RetentionAnchor::Received);
    assert!(retention.rule.starts_with("DISP 1.9.1R(1)"));
}

#[test]
fn disp_1_9_1_five_years_for_mifid_business() {
    // 2 Jun 2025 to 2 Jun 2030 spans 29 Feb 2028: 1826 days.
    let mut c = complaint("UK", london("2025-06-02 09:00"));
    c.tags = vec!["MiFID".into()];
    let retention = UkFca::retention(&TestHost::at(0), &c);
    assert_eq!(retention.keep_for_days, 1826);
    assert!(retention.rule.starts_with("DISP 1.9.1R(2)"));
}
