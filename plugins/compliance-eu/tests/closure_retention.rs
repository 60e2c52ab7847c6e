//! Closure checks (reasoned reply naming the ADR body; GDPR refusals name the
//! supervisory authority and judicial remedy) and the retention default.

use compliance_eu::EuRules;
use redress_sdk::testing::{TestHost, complaint, final_response, local_ms};
use redress_sdk::{CompliancePlugin, Outcome, RetentionAnchor, element};

fn missing(outcome: Outcome, tags: &[&str], elements: &[&str]) -> Vec<String> {
    let at = local_ms("Europe/Brussels", "2025-06-02 10:00");
    let mut c = complaint("EU", at);
    c.tags = tags.iter().map(|t| (*t).to_owned()).collect();
    let response = final_response(outcome, at, elements);
    EuRules::check_closure(&TestHost::at(at), &c, &response)
        .into_iter()
        .map(|m| m.code)
        .collect()
}

#[test]
fn guideline_7_reply_naming_the_adr_body_passes() {
    assert!(missing(Outcome::Upheld, &[], &[element::ADR_BODY]).is_empty());
}

#[test]
fn guideline_7_reply_must_name_the_adr_body() {
    assert_eq!(missing(Outcome::Upheld, &[], &[]), [element::ADR_BODY]);
}

#[test]
fn guideline_7_rejection_must_give_reasons() {
    assert_eq!(
        missing(Outcome::Rejected, &[], &[element::ADR_BODY]),
        [element::REASONS]
    );
}

#[test]
fn gdpr_12_4_refusal_names_authority_and_court() {
    let codes = missing(
        Outcome::Rejected,
        &["data-subject-request"],
        &[element::ADR_BODY, element::REASONS],
    );
    assert_eq!(
        codes,
        [element::SUPERVISORY_AUTHORITY, element::JUDICIAL_REMEDY]
    );
}

#[test]
fn withdrawn_complaint_needs_nothing() {
    assert!(missing(Outcome::Withdrawn, &[], &[]).is_empty());
}

#[test]
fn retention_default_is_five_years_from_closure() {
    let r = EuRules::retention(&TestHost::at(0), &complaint("EU", 0));
    assert_eq!((r.keep_for_days, r.anchor), (1827, RetentionAnchor::Closed));
}
