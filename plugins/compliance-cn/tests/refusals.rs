//! What the plugin refuses to judge: complaints of another region, and
//! contradictory clock events.

use compliance_cn::ChinaCbirc;
use redress_sdk::testing::{TestHost, complaint, local_ms};
use redress_sdk::{ClockChange, ClockEvent, CompliancePlugin, ErrorKind};

#[test]
fn another_region_is_rejected() {
    let accepted = local_ms("Asia/Shanghai", "2025-06-09 10:00");
    let err = ChinaCbirc::deadlines(&TestHost::at(accepted), &complaint("SG", accepted), &[])
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidComplaint);
}

#[test]
fn a_resume_without_a_pause_is_an_invalid_event() {
    let accepted = local_ms("Asia/Shanghai", "2025-06-09 10:00");
    let events = [ClockEvent {
        at: local_ms("Asia/Shanghai", "2025-06-10 10:00"),
        change: ClockChange::Resumed,
    }];
    let err = ChinaCbirc::deadlines(&TestHost::at(accepted), &complaint("CN", accepted), &events)
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidEvent);
}
