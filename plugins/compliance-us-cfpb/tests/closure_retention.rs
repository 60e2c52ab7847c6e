//! Closure checks (a current CFPB response category; an amount for monetary
//! relief) and the retention default.

use compliance_us_cfpb::{MONETARY_RELIEF_AMOUNT, RESPONSE_CATEGORY, UsCfpb};
use redress_sdk::testing::{TestHost, complaint, final_response};
use redress_sdk::{CompliancePlugin, Money, Outcome, RetentionAnchor};

fn missing(category: Option<&str>, relief: Option<i64>) -> Vec<String> {
    let mut response = final_response(Outcome::Upheld, 0, &[]);
    response.response_category = category.map(str::to_owned);
    response.redress = relief.map(|minor_units| Money {
        minor_units,
        currency: "USD".into(),
    });
    UsCfpb::check_closure(&TestHost::at(0), &complaint("US", 0), &response)
        .into_iter()
        .map(|m| m.code)
        .collect()
}

#[test]
fn closed_with_explanation_passes() {
    assert!(missing(Some("Closed with explanation"), None).is_empty());
}

#[test]
fn categories_are_matched_without_regard_to_case() {
    assert!(missing(Some("closed with non-monetary relief"), None).is_empty());
}

#[test]
fn missing_category_is_flagged() {
    assert_eq!(missing(None, None), [RESPONSE_CATEGORY]);
}

#[test]
fn in_progress_is_not_a_closure() {
    assert_eq!(missing(Some("In progress"), None), [RESPONSE_CATEGORY]);
}

#[test]
fn untimely_response_is_not_the_company_s_to_choose() {
    assert_eq!(
        missing(Some("Untimely response"), None),
        [RESPONSE_CATEGORY]
    );
}

#[test]
fn retired_categories_are_flagged() {
    for retired in ["Closed", "Closed with relief", "Closed without relief"] {
        assert_eq!(
            missing(Some(retired), None),
            [RESPONSE_CATEGORY],
            "{retired}"
        );
    }
}

#[test]
fn monetary_relief_needs_an_amount() {
    assert_eq!(
        missing(Some("Closed with monetary relief"), None),
        [MONETARY_RELIEF_AMOUNT]
    );
    assert!(missing(Some("Closed with monetary relief"), Some(2_500)).is_empty());
}

#[test]
fn retention_default_is_three_years_from_closure() {
    let r = UsCfpb::retention(&TestHost::at(0), &complaint("US", 0));
    assert_eq!((r.keep_for_days, r.anchor), (1096, RetentionAnchor::Closed));
}
