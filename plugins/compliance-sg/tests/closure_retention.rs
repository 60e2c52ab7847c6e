//! Closure checks (FIDReC referral within 6 months) and the retention default.

use compliance_sg::SingaporeMas;
use redress_sdk::testing::{TestHost, complaint, final_response, local_ms};
use redress_sdk::{CompliancePlugin, Outcome, RetentionAnchor, element};

fn missing(outcome: Outcome, elements: &[&str]) -> Vec<String> {
    let at = local_ms("Asia/Singapore", "2025-06-02 10:00");
    let response = final_response(outcome, at, elements);
    SingaporeMas::check_closure(&TestHost::at(at), &complaint("SG", at), &response)
        .into_iter()
        .map(|m| m.code)
        .collect()
}

#[test]
fn final_reply_with_fidrec_information_passes() {
    let elements = [element::FIDREC_REFERRAL, element::FIDREC_SIX_MONTH_LIMIT];
    assert!(missing(Outcome::Upheld, &elements).is_empty());
}

#[test]
fn final_reply_must_name_fidrec_and_the_six_months() {
    assert_eq!(
        missing(Outcome::Upheld, &[]),
        [element::FIDREC_REFERRAL, element::FIDREC_SIX_MONTH_LIMIT]
    );
}

#[test]
fn rejection_needs_reasons_too() {
    let elements = [element::FIDREC_REFERRAL, element::FIDREC_SIX_MONTH_LIMIT];
    assert_eq!(missing(Outcome::Rejected, &elements), [element::REASONS]);
}

#[test]
fn withdrawn_complaint_needs_nothing() {
    assert!(missing(Outcome::Withdrawn, &[]).is_empty());
}

#[test]
fn retention_default_is_five_years_from_closure() {
    let r = SingaporeMas::retention(&TestHost::at(0), &complaint("SG", 0));
    assert_eq!((r.keep_for_days, r.anchor), (1827, RetentionAnchor::Closed));
}

#[test]
fn malformed_retention_setting_is_ignored() {
    let host = TestHost::at(0).with_config("retention-days", "five years");
    let r = SingaporeMas::retention(&host, &complaint("SG", 0));
    assert_eq!(r.keep_for_days, 1827);
    assert_eq!(host.logs().len(), 1);
}
