//! What the plugin refuses to judge: complaints of another region.

use compliance_uk_fca::UkFca;
use redress_sdk::testing::{TestHost, complaint, local_ms};
use redress_sdk::{CompliancePlugin, ErrorKind};

#[test]
fn another_region_is_rejected() {
    let received = local_ms("Europe/London", "2025-06-02 10:00");
    let err =
        UkFca::deadlines(&TestHost::at(received), &complaint("US", received), &[]).unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidComplaint);
}
