//! What the plugin leaves to national law or refuses: complaints outside
//! payment services without a national period, and a malformed setting.

use compliance_eu::EuRules;
use redress_sdk::testing::{TestHost, complaint, local_ms};
use redress_sdk::{CompliancePlugin, ErrorKind, LogLevel};

fn brussels(local: &str) -> i64 {
    local_ms("Europe/Brussels", local)
}

#[test]
fn general_complaint_has_no_eu_wide_deadline() {
    let received = brussels("2025-06-02 10:00");
    let host = TestHost::at(received);
    let list = EuRules::deadlines(&host, &complaint("EU", received), &[]).unwrap();
    assert!(list.is_empty());
    assert!(host.logs().iter().any(|l| l.level == LogLevel::Info));
}

#[test]
fn malformed_national_period_is_a_config_error() {
    let received = brussels("2025-06-02 10:00");
    let host = TestHost::at(received).with_config("final-response-business-days", "two weeks");
    let err = EuRules::deadlines(&host, &complaint("EU", received), &[]).unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidConfig);
}

#[test]
fn another_region_is_rejected() {
    let received = brussels("2025-06-02 10:00");
    let err =
        EuRules::deadlines(&TestHost::at(received), &complaint("UK", received), &[]).unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidComplaint);
}
