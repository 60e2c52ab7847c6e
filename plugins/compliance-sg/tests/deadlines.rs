//! Deadline cases worked out by hand from FA(CHR) Regulations 2021 reg. 5
//! (acknowledge in 2 business days; final response or delay notice in 20),
//! counted in Asia/Singapore with MOM public holidays and days in lieu.
//! Each due time is the local midnight that ends the last allowed day.

use compliance_sg::SingaporeMas;
use redress_sdk::testing::{TestHost, complaint, deadline, has_deadline, local_ms, utc_ms};
use redress_sdk::{
    ClockChange, ClockEvent, CompliancePlugin, Deadline, DeadlineKind, ErrorKind, Extension,
    PauseReason,
};

fn sg(local: &str) -> i64 {
    local_ms("Asia/Singapore", local)
}

fn run(received: i64, events: &[ClockEvent]) -> Vec<Deadline> {
    SingaporeMas::deadlines(&TestHost::at(received), &complaint("SG", received), events)
        .expect("deadlines")
}

fn due(received: &str, kind: DeadlineKind) -> i64 {
    deadline(&run(sg(received), &[]), &kind).due_at
}

fn extended(local: &str, days: u32, notice_given: bool) -> ClockEvent {
    ClockEvent {
        at: sg(local),
        change: ClockChange::Extended(Extension { days, notice_given }),
    }
}

// Acknowledgement: 2 business days.

#[test]
fn reg_5_acknowledge_two_business_days() {
    // Mon 2 Jun 2025 -> Tue 3, Wed 4.
    assert_eq!(
        due("2025-06-02 10:00", DeadlineKind::Acknowledge),
        sg("2025-06-05 00:00")
    );
}

#[test]
fn reg_5_acknowledge_over_a_weekend() {
    // Thu 5 Jun 2025 -> Fri 6, Mon 9.
    assert_eq!(
        due("2025-06-05 10:00", DeadlineKind::Acknowledge),
        sg("2025-06-10 00:00")
    );
}

#[test]
fn reg_5_acknowledge_over_chinese_new_year_2025() {
    // Tue 28 Jan 2025 -> (29, 30 Jan holidays) Fri 31 Jan, Mon 3 Feb.
    assert_eq!(
        due("2025-01-28 10:00", DeadlineKind::Acknowledge),
        sg("2025-02-04 00:00")
    );
}

#[test]
fn reg_5_acknowledge_over_chinese_new_year_2024_day_in_lieu() {
    // Fri 9 Feb 2024 -> (10-11 Feb weekend holidays, Mon 12 in lieu) Tue 13, Wed 14.
    assert_eq!(
        due("2024-02-09 10:00", DeadlineKind::Acknowledge),
        sg("2024-02-15 00:00")
    );
}

#[test]
fn reg_5_acknowledge_over_new_year_2026() {
    // Wed 31 Dec 2025 -> (Thu 1 Jan holiday) Fri 2 Jan, Mon 5 Jan.
    assert_eq!(
        due("2025-12-31 10:00", DeadlineKind::Acknowledge),
        sg("2026-01-06 00:00")
    );
}

#[test]
fn reg_5_acknowledge_over_christmas_2024() {
    // Tue 24 Dec 2024 -> (Wed 25 holiday) Thu 26, Fri 27.
    assert_eq!(
        due("2024-12-24 10:00", DeadlineKind::Acknowledge),
        sg("2024-12-28 00:00")
    );
}

#[test]
fn reg_5_acknowledge_national_day_2026_in_lieu() {
    // Fri 7 Aug 2026 -> (Sun 9 National Day, Mon 10 in lieu) Tue 11, Wed 12.
    assert_eq!(
        due("2026-08-07 10:00", DeadlineKind::Acknowledge),
        sg("2026-08-13 00:00")
    );
}

#[test]
fn reg_5_acknowledge_deepavali_2026_in_lieu() {
    // Fri 6 Nov 2026 -> (Sun 8 Deepavali, Mon 9 in lieu) Tue 10, Wed 11.
    assert_eq!(
        due("2026-11-06 10:00", DeadlineKind::Acknowledge),
        sg("2026-11-12 00:00")
    );
}

#[test]
fn reg_5_acknowledge_over_hari_raya_puasa_2025() {
    // Fri 28 Mar 2025 -> (Mon 31 Mar holiday) Tue 1 Apr, Wed 2 Apr.
    assert_eq!(
        due("2025-03-28 10:00", DeadlineKind::Acknowledge),
        sg("2025-04-03 00:00")
    );
}

#[test]
fn reg_5_acknowledge_over_good_friday_2026() {
    // Thu 2 Apr 2026 -> (Fri 3 holiday) Mon 6, Tue 7.
    assert_eq!(
        due("2026-04-02 10:00", DeadlineKind::Acknowledge),
        sg("2026-04-08 00:00")
    );
}

#[test]
fn reg_5_received_one_minute_before_local_midnight() {
    // Thu 5 Jun 2025 23:59 -> Fri 6, Mon 9.
    assert_eq!(
        due("2025-06-05 23:59", DeadlineKind::Acknowledge),
        sg("2025-06-10 00:00")
    );
}

#[test]
fn reg_5_received_one_minute_after_local_midnight() {
    // Fri 6 Jun 2025 00:01 -> Mon 9, Tue 10.
    assert_eq!(
        due("2025-06-06 00:01", DeadlineKind::Acknowledge),
        sg("2025-06-11 00:00")
    );
}

#[test]
fn reg_5_counts_the_singapore_day_not_the_utc_day() {
    // 16:30 UTC on Thu 5 Jun is 00:30 on Fri 6 Jun in Singapore.
    let list = run(utc_ms("2025-06-05 16:30"), &[]);
    assert_eq!(
        deadline(&list, &DeadlineKind::Acknowledge).due_at,
        utc_ms("2025-06-10 16:00")
    );
}

// Final response or delay notice: 20 business days.

#[test]
fn reg_5_final_response_twenty_business_days() {
    // Mon 2 Jun 2025: the 20th business day is Mon 30 Jun (Sat 7 Jun holiday changes nothing).
    assert_eq!(
        due("2025-06-02 10:00", DeadlineKind::FinalResponse),
        sg("2025-07-01 00:00")
    );
}

#[test]
fn reg_5_delay_notice_due_with_the_twenty_days() {
    assert_eq!(
        due("2025-06-02 10:00", DeadlineKind::DelayLetter),
        sg("2025-07-01 00:00")
    );
}

#[test]
fn reg_5_twenty_business_days_over_labour_day_and_vesak_2025() {
    // Mon 28 Apr 2025: skipping 1 May, the 3 May Saturday polling day and
    // Mon 12 May (Vesak Day), the 20th business day is Wed 28 May.
    assert_eq!(
        due("2025-04-28 10:00", DeadlineKind::FinalResponse),
        sg("2025-05-29 00:00")
    );
}

#[test]
fn reg_5_twenty_business_days_over_chinese_new_year_2026() {
    // Mon 9 Feb 2026: skipping 17-18 Feb, the 20th business day is Wed 11 Mar.
    assert_eq!(
        due("2026-02-09 10:00", DeadlineKind::FinalResponse),
        sg("2026-03-12 00:00")
    );
}

#[test]
fn reg_5_twenty_business_days_over_christmas_and_new_year() {
    // Mon 15 Dec 2025: skipping 25 Dec and 1 Jan, the 20th business day is Wed 14 Jan 2026.
    assert_eq!(
        due("2025-12-15 10:00", DeadlineKind::FinalResponse),
        sg("2026-01-15 00:00")
    );
}

#[test]
fn reg_5_final_response_after_a_delay_notice() {
    // Delay notice giving 10 more business days: the 30th business day after
    // Mon 2 Jun 2025 is Mon 14 Jul.
    let list = run(
        sg("2025-06-02 10:00"),
        &[extended("2025-06-27 10:00", 10, true)],
    );
    assert_eq!(
        deadline(&list, &DeadlineKind::FinalResponse).due_at,
        sg("2025-07-15 00:00")
    );
    assert!(!has_deadline(&list, &DeadlineKind::DelayLetter));
}

#[test]
fn reg_5_extension_without_notice_is_ignored() {
    let list = run(
        sg("2025-06-02 10:00"),
        &[extended("2025-06-27 10:00", 10, false)],
    );
    assert_eq!(
        deadline(&list, &DeadlineKind::FinalResponse).due_at,
        sg("2025-07-01 00:00")
    );
}

#[test]
fn reg_5_clock_does_not_pause_for_the_customer() {
    let events = [
        ClockEvent {
            at: sg("2025-06-03 10:00"),
            change: ClockChange::Paused(PauseReason::AwaitingCustomer),
        },
        ClockEvent {
            at: sg("2025-06-20 10:00"),
            change: ClockChange::Resumed,
        },
    ];
    let list = run(sg("2025-06-02 10:00"), &events);
    let fr = deadline(&list, &DeadlineKind::FinalResponse);
    assert_eq!(fr.due_at, sg("2025-07-01 00:00"));
    assert!(!fr.paused);
}

#[test]
fn reg_5_new_facts_do_not_restart_the_clock() {
    let events = [ClockEvent {
        at: sg("2025-06-20 10:00"),
        change: ClockChange::NewFacts,
    }];
    let list = run(sg("2025-06-02 10:00"), &events);
    assert_eq!(
        deadline(&list, &DeadlineKind::FinalResponse).due_at,
        sg("2025-07-01 00:00")
    );
}

#[test]
fn dates_after_the_published_mom_list_are_a_clear_error() {
    let received = sg("2026-12-28 10:00");
    let err = SingaporeMas::deadlines(&TestHost::at(received), &complaint("SG", received), &[])
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::CalendarOutOfRange);
}
