//! Deadline cases worked out by hand from DISP 1.5 and 1.6, counted in
//! Europe/London with England & Wales bank holidays. Each due time is the
//! local midnight that ends the last allowed day.

use compliance_uk_fca::UkFca;
use redress_sdk::testing::{TestHost, complaint, deadline, has_deadline, local_ms, utc_ms};
use redress_sdk::{
    ClockChange, ClockEvent, CompliancePlugin, Deadline, DeadlineKind, ErrorKind, Extension,
    LogLevel, PauseReason,
};

fn london(local: &str) -> i64 {
    local_ms("Europe/London", local)
}

fn run(received: i64, tags: &[&str], events: &[ClockEvent]) -> Vec<Deadline> {
    let host = TestHost::at(received);
    let mut c = complaint("UK", received);
    c.tags = tags.iter().map(|t| (*t).to_owned()).collect();
    UkFca::deadlines(&host, &c, events).expect("deadlines")
}

fn due(received: i64, tags: &[&str], kind: DeadlineKind) -> i64 {
    deadline(&run(received, tags, &[]), &kind).due_at
}

const PSD: &[&str] = &["payment-services"];

// DISP 1.5.1R: summary resolution by the close of the third business day
// after the day of receipt.

#[test]
fn disp_1_5_1_three_business_days_within_one_week() {
    // Mon 2 Jun 2025 -> Tue 3, Wed 4, Thu 5.
    let due = due(
        london("2025-06-02 10:00"),
        &[],
        DeadlineKind::SummaryResolution,
    );
    assert_eq!(due, london("2025-06-06 00:00"));
}

#[test]
fn disp_1_5_1_skips_the_weekend() {
    // Thu 5 Jun 2025 -> Fri 6, Mon 9, Tue 10.
    let due = due(
        london("2025-06-05 10:00"),
        &[],
        DeadlineKind::SummaryResolution,
    );
    assert_eq!(due, london("2025-06-11 00:00"));
}

#[test]
fn disp_1_5_1_received_on_a_saturday_counts_from_monday() {
    // Sat 7 Jun 2025 -> Mon 9, Tue 10, Wed 11.
    let due = due(
        london("2025-06-07 14:00"),
        &[],
        DeadlineKind::SummaryResolution,
    );
    assert_eq!(due, london("2025-06-12 00:00"));
}

#[test]
fn disp_1_5_1_skips_good_friday_and_easter_monday_2025() {
    // Thu 17 Apr 2025 -> (Fri 18 and Mon 21 are bank holidays) Tue 22, Wed 23, Thu 24.
    let due = due(
        london("2025-04-17 10:00"),
        &[],
        DeadlineKind::SummaryResolution,
    );
    assert_eq!(due, london("2025-04-25 00:00"));
}

#[test]
fn disp_1_5_1_skips_spring_bank_holiday() {
    // Fri 23 May 2025 -> (Mon 26 bank holiday) Tue 27, Wed 28, Thu 29.
    let due = due(
        london("2025-05-23 10:00"),
        &[],
        DeadlineKind::SummaryResolution,
    );
    assert_eq!(due, london("2025-05-30 00:00"));
}

#[test]
fn disp_1_5_1_received_on_a_bank_holiday() {
    // Summer bank holiday Mon 25 Aug 2025 -> Tue 26, Wed 27, Thu 28.
    let due = due(
        london("2025-08-25 11:00"),
        &[],
        DeadlineKind::SummaryResolution,
    );
    assert_eq!(due, london("2025-08-29 00:00"));
}

#[test]
fn disp_1_5_1_over_christmas_and_into_new_year_2026() {
    // Tue 23 Dec 2025 -> Wed 24, (25, 26, weekend) Mon 29, Tue 30.
    let due = due(
        london("2025-12-23 10:00"),
        &[],
        DeadlineKind::SummaryResolution,
    );
    assert_eq!(due, london("2025-12-31 00:00"));
}

#[test]
fn disp_1_5_1_over_new_year_2027() {
    // Wed 30 Dec 2026 -> Thu 31, (Fri 1 Jan bank holiday, weekend) Mon 4, Tue 5.
    let due = due(
        london("2026-12-30 10:00"),
        &[],
        DeadlineKind::SummaryResolution,
    );
    assert_eq!(due, london("2027-01-06 00:00"));
}

#[test]
fn disp_1_5_1_boxing_day_substitute_2026() {
    // Thu 24 Dec 2026 -> (Fri 25, weekend, Mon 28 substitute Boxing Day) Tue 29, Wed 30, Thu 31.
    let due = due(
        london("2026-12-24 10:00"),
        &[],
        DeadlineKind::SummaryResolution,
    );
    assert_eq!(due, london("2027-01-01 00:00"));
}

#[test]
fn disp_1_5_1_both_christmas_substitutes_2027() {
    // Fri 24 Dec 2027 -> (weekend, Mon 27 and Tue 28 substitutes) Wed 29, Thu 30, Fri 31.
    let due = due(
        london("2027-12-24 10:00"),
        &[],
        DeadlineKind::SummaryResolution,
    );
    assert_eq!(due, london("2028-01-01 00:00"));
}

#[test]
fn disp_1_5_1_one_minute_before_local_midnight() {
    // Thu 5 Jun 2025 23:59 is still Thursday: Fri 6, Mon 9, Tue 10.
    let due = due(
        london("2025-06-05 23:59"),
        &[],
        DeadlineKind::SummaryResolution,
    );
    assert_eq!(due, london("2025-06-11 00:00"));
}

#[test]
fn disp_1_5_1_one_minute_after_local_midnight() {
    // Fri 6 Jun 2025 00:01: Mon 9, Tue 10, Wed 11.
    let due = due(
        london("2025-06-06 00:01"),
        &[],
        DeadlineKind::SummaryResolution,
    );
    assert_eq!(due, london("2025-06-12 00:00"));
}

#[test]
fn disp_1_5_1_counts_the_london_day_not_the_utc_day() {
    // 23:30 UTC on Thu 5 Jun 2025 is 00:30 BST on Friday 6 June.
    let due = due(
        utc_ms("2025-06-05 23:30"),
        &[],
        DeadlineKind::SummaryResolution,
    );
    assert_eq!(due, london("2025-06-12 00:00"));
    assert_eq!(due, utc_ms("2025-06-11 23:00"));
}

// DISP 1.6.2R: final response, or a delay letter, within eight weeks of receipt.

#[test]
fn disp_1_6_2_final_response_eight_weeks() {
    // Mon 2 Jun 2025 + 56 days = Mon 28 Jul 2025.
    let due = due(london("2025-06-02 10:00"), &[], DeadlineKind::FinalResponse);
    assert_eq!(due, london("2025-07-29 00:00"));
}

#[test]
fn disp_1_6_2_delay_letter_due_at_eight_weeks_too() {
    let due = due(london("2025-06-02 10:00"), &[], DeadlineKind::DelayLetter);
    assert_eq!(due, london("2025-07-29 00:00"));
}

#[test]
fn disp_1_6_2_eight_weeks_across_the_autumn_clock_change() {
    // Mon 15 Sep 2025 (BST) + 56 days = Mon 10 Nov 2025 (GMT, after 26 Oct).
    let due = due(london("2025-09-15 10:00"), &[], DeadlineKind::FinalResponse);
    assert_eq!(due, utc_ms("2025-11-11 00:00"));
}

#[test]
fn disp_1_6_2_eight_weeks_across_the_spring_clock_change() {
    // Mon 16 Feb 2026 (GMT) + 56 days = Mon 13 Apr 2026 (BST, after 29 Mar).
    let due = due(london("2026-02-16 10:00"), &[], DeadlineKind::FinalResponse);
    assert_eq!(due, utc_ms("2026-04-13 23:00"));
}

#[test]
fn disp_1_6_2_eight_weeks_are_calendar_weeks_over_christmas() {
    // Mon 1 Dec 2025 + 56 days = Mon 26 Jan 2026; bank holidays do not extend it.
    let due = due(london("2025-12-01 10:00"), &[], DeadlineKind::FinalResponse);
    assert_eq!(due, london("2026-01-27 00:00"));
}

#[test]
fn disp_1_6_2_clock_does_not_stop_while_waiting_for_the_customer() {
    let received = london("2025-06-02 10:00");
    let events = [
        ClockEvent {
            at: london("2025-06-03 09:00"),
            change: ClockChange::Paused(PauseReason::AwaitingCustomer),
        },
        ClockEvent {
            at: london("2025-06-20 09:00"),
            change: ClockChange::Resumed,
        },
    ];
    let list = run(received, &[], &events);
    let fr = deadline(&list, &DeadlineKind::FinalResponse);
    assert_eq!(fr.due_at, london("2025-07-29 00:00"));
    assert!(!fr.paused);
}

#[test]
fn disp_1_6_2_new_facts_do_not_restart_the_eight_weeks() {
    let received = london("2025-06-02 10:00");
    let events = [ClockEvent {
        at: london("2025-06-20 09:00"),
        change: ClockChange::NewFacts,
    }];
    let list = run(received, &[], &events);
    assert_eq!(
        deadline(&list, &DeadlineKind::FinalResponse).due_at,
        london("2025-07-29 00:00")
    );
}

// DISP 1.6.2AR: payment services and e-money, 15 business days, or 35 after a
// holding reply.

#[test]
fn disp_1_6_2a_payment_services_fifteen_business_days() {
    // Mon 2 Jun 2025 + 15 business days = Mon 23 Jun 2025.
    let due = due(london("2025-06-02 10:00"), PSD, DeadlineKind::FinalResponse);
    assert_eq!(due, london("2025-06-24 00:00"));
}

#[test]
fn disp_1_6_2a_e_money_is_treated_the_same() {
    let due = due(
        london("2025-06-02 10:00"),
        &["e-money"],
        DeadlineKind::FinalResponse,
    );
    assert_eq!(due, london("2025-06-24 00:00"));
}

#[test]
fn disp_1_6_2a_holding_reply_due_with_the_fifteen_days() {
    let list = run(london("2025-06-02 10:00"), PSD, &[]);
    assert_eq!(
        deadline(&list, &DeadlineKind::HoldingReply).due_at,
        london("2025-06-24 00:00")
    );
    assert!(!has_deadline(&list, &DeadlineKind::DelayLetter));
}

#[test]
fn disp_1_6_2a_fifteen_business_days_over_easter_2026() {
    // Wed 1 Apr 2026: Thu 2, (Fri 3 and Mon 6 bank holidays), Tue 7 ... Fri 24 is the 15th.
    let due = due(london("2026-04-01 10:00"), PSD, DeadlineKind::FinalResponse);
    assert_eq!(due, london("2026-04-25 00:00"));
}

#[test]
fn disp_1_6_2a_fifteen_business_days_over_christmas_and_new_year() {
    // Mon 15 Dec 2025: the 15th business day, skipping 25, 26 Dec and 1 Jan, is Thu 8 Jan 2026.
    let due = due(london("2025-12-15 10:00"), PSD, DeadlineKind::FinalResponse);
    assert_eq!(due, london("2026-01-09 00:00"));
}

#[test]
fn disp_1_6_2a_thirty_five_business_days_after_a_holding_reply() {
    // Mon 2 Jun 2025 + 35 business days = Mon 21 Jul 2025.
    let received = london("2025-06-02 10:00");
    let events = [ClockEvent {
        at: london("2025-06-20 15:00"),
        change: ClockChange::Extended(Extension {
            days: 20,
            notice_given: true,
        }),
    }];
    let list = run(received, PSD, &events);
    let fr = deadline(&list, &DeadlineKind::FinalResponse);
    assert_eq!(fr.due_at, london("2025-07-22 00:00"));
    assert_eq!(fr.rule, "DISP 1.6.2AR(2)");
    assert!(!has_deadline(&list, &DeadlineKind::HoldingReply));
}

#[test]
fn disp_1_6_2a_extension_without_a_holding_reply_is_ignored_and_logged() {
    let received = london("2025-06-02 10:00");
    let host = TestHost::at(received);
    let mut c = complaint("UK", received);
    c.tags = vec!["payment-services".into()];
    let events = [ClockEvent {
        at: london("2025-06-20 15:00"),
        change: ClockChange::Extended(Extension {
            days: 20,
            notice_given: false,
        }),
    }];
    let list = UkFca::deadlines(&host, &c, &events).unwrap();
    assert_eq!(
        deadline(&list, &DeadlineKind::FinalResponse).due_at,
        london("2025-06-24 00:00")
    );
    assert!(host.logs().iter().any(|l| l.level == LogLevel::Warn));
}

// Errors.

#[test]
fn another_region_is_rejected() {
    let received = london("2025-06-02 10:00");
    let err =
        UkFca::deadlines(&TestHost::at(received), &complaint("US", received), &[]).unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidComplaint);
}

#[test]
fn years_beyond_the_bank_holiday_table_are_a_clear_error() {
    let received = london("2028-03-01 10:00");
    let err =
        UkFca::deadlines(&TestHost::at(received), &complaint("UK", received), &[]).unwrap_err();
    assert_eq!(err.kind, ErrorKind::CalendarOutOfRange);
    assert!(err.message.contains("2028"));
}
