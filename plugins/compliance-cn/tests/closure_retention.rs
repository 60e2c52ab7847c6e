//! Closure checks (the decision names review, mediation, arbitration and
//! litigation routes) and the retention default.

use compliance_cn::ChinaCbirc;
use redress_sdk::testing::{TestHost, complaint, final_response, local_ms};
use redress_sdk::{CompliancePlugin, Outcome, RetentionAnchor, element};

const ROUTES: [&str; 4] = [
    element::REVIEW_ROUTE,
    element::MEDIATION_ROUTE,
    element::ARBITRATION_ROUTE,
    element::LITIGATION_ROUTE,
];

fn missing(outcome: Outcome, elements: &[&str]) -> Vec<String> {
    let accepted = local_ms("Asia/Shanghai", "2025-06-09 10:00");
    let response = final_response(outcome, accepted, elements);
    ChinaCbirc::check_closure(
        &TestHost::at(accepted),
        &complaint("CN", accepted),
        &response,
    )
    .into_iter()
    .map(|m| m.code)
    .collect()
}

#[test]
fn decision_naming_every_route_passes() {
    assert!(missing(Outcome::Upheld, &ROUTES).is_empty());
}

#[test]
fn decision_without_routes_lists_all_four() {
    assert_eq!(missing(Outcome::Upheld, &[]), ROUTES);
}

#[test]
fn rejection_also_needs_reasons() {
    assert_eq!(missing(Outcome::Rejected, &ROUTES), [element::REASONS]);
}

#[test]
fn missing_arbitration_alone_is_flagged() {
    let elements = [
        element::REVIEW_ROUTE,
        element::MEDIATION_ROUTE,
        element::LITIGATION_ROUTE,
    ];
    assert_eq!(
        missing(Outcome::Upheld, &elements),
        [element::ARBITRATION_ROUTE]
    );
}

#[test]
fn withdrawn_complaint_needs_nothing() {
    assert!(missing(Outcome::Withdrawn, &[]).is_empty());
}

#[test]
fn retention_default_is_five_years_from_closure() {
    let r = ChinaCbirc::retention(&TestHost::at(0), &complaint("CN", 0));
    assert_eq!(r.keep_for_days, 1827);
    assert_eq!(r.anchor, RetentionAnchor::Closed);
}

#[test]
fn retention_can_be_set_by_the_operator() {
    let host = TestHost::at(0).with_config("retention-days", "1095");
    let r = ChinaCbirc::retention(&host, &complaint("CN", 0));
    assert_eq!(r.keep_for_days, 1095);
    assert!(r.rule.starts_with("operator setting"));
}
