//! What the plugin refuses: a malformed setting and complaints of another region.

use compliance_us_cfpb::UsCfpb;
use redress_sdk::testing::{TestHost, complaint, local_ms};
use redress_sdk::{CompliancePlugin, ErrorKind};

fn eastern(local: &str) -> i64 {
    local_ms("America/New_York", local)
}

#[test]
fn unknown_time_zone_setting_is_a_config_error() {
    let sent = eastern("2025-06-02 10:00");
    let host = TestHost::at(sent).with_config("time-zone", "Eastern");
    let err = UsCfpb::deadlines(&host, &complaint("US", sent), &[]).unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidConfig);
}

#[test]
fn another_region_is_rejected() {
    let sent = eastern("2025-06-02 10:00");
    let err = UsCfpb::deadlines(&TestHost::at(sent), &complaint("UK", sent), &[]).unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidComplaint);
}
