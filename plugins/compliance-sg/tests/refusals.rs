//! What the plugin refuses to judge: complaints of another region.

use compliance_sg::SingaporeMas;
use redress_sdk::testing::{TestHost, complaint, local_ms};
use redress_sdk::{CompliancePlugin, ErrorKind};

#[test]
fn another_region_is_rejected() {
    let received = local_ms("Asia/Singapore", "2025-06-02 10:00");
    let err = SingaporeMas::deadlines(&TestHost::at(received), &complaint("HK", received), &[])
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidComplaint);
}
