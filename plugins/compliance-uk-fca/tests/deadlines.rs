//! Deadline cases worked out by hand from DISP 1.5 and 1.6, counted in
//! Europe/London with England & Wales bank holidays. Each due time is the
//! local midnight that ends the last allowed day; each test is named after the
//! rule it checks and asserts that the plugin cites that rule.

use compliance_uk_fca::UkFca;
use redress_sdk::clock::PROVISIONAL;
use redress_sdk::testing::{TestHost, assert_deadline, complaint, has_deadline, local_ms, utc_ms};
use redress_sdk::{
    ClockChange, ClockEvent, CompliancePlugin, Deadline, DeadlineKind, Extension, LogLevel,
    PauseReason,
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

const PSD: &[&str] = &["payment-services"];
const SUMMARY: DeadlineKind = DeadlineKind::SummaryResolution;
const FINAL: DeadlineKind = DeadlineKind::FinalResponse;

const DISP_1_5_1: &str = "DISP 1.5.1R";
const DISP_1_6_2_1: &str = "DISP 1.6.2R(1)";
const DISP_1_6_2_2: &str = "DISP 1.6.2R(2)";
const DISP_1_6_2A_1: &str = "DISP 1.6.2AR(1)";
const DISP_1_6_2A_2: &str = "DISP 1.6.2AR(2)";

/// The summary resolution deadline of a plain complaint received at `received`.
fn summary(received: i64, due: i64) {
    assert_deadline(&run(received, &[], &[]), &SUMMARY, due, DISP_1_5_1);
}

// DISP 1.5.1R: summary resolution by the close of the third business day
// after the day of receipt.

#[test]
fn disp_1_5_1_three_business_days_within_one_week() {
    // Mon 2 Jun 2025 -> Tue 3, Wed 4, Thu 5.
    summary(london("2025-06-02 10:00"), london("2025-06-06 00:00"));
}

#[test]
fn disp_1_5_1_skips_the_weekend() {
    // Thu 5 Jun 2025 -> Fri 6, Mon 9, Tue 10.
    summary(london("2025-06-05 10:00"), london("2025-06-11 00:00"));
}

#[test]
fn disp_1_5_1_received_on_a_saturday_counts_from_monday() {
    // Sat 7 Jun 2025 -> Mon 9, Tue 10, Wed 11.
    summary(london("2025-06-07 14:00"), london("2025-06-12 00:00"));
}

#[test]
fn disp_1_5_1_skips_good_friday_and_easter_monday_2025() {
    // Thu 17 Apr 2025 -> (Fri 18 and Mon 21 are bank holidays) Tue 22, Wed 23, Thu 24.
    summary(london("2025-04-17 10:00"), london("2025-04-25 00:00"));
}

#[test]
fn disp_1_5_1_skips_spring_bank_holiday() {
    // Fri 23 May 2025 -> (Mon 26 bank holiday) Tue 27, Wed 28, Thu 29.
    summary(london("2025-05-23 10:00"), london("2025-05-30 00:00"));
}

#[test]
fn disp_1_5_1_received_on_a_bank_holiday() {
    // Summer bank holiday Mon 25 Aug 2025 -> Tue 26, Wed 27, Thu 28.
    summary(london("2025-08-25 11:00"), london("2025-08-29 00:00"));
}

#[test]
fn disp_1_5_1_over_christmas_and_into_new_year_2026() {
    // Tue 23 Dec 2025 -> Wed 24, (25, 26, weekend) Mon 29, Tue 30.
    summary(london("2025-12-23 10:00"), london("2025-12-31 00:00"));
}

#[test]
fn disp_1_5_1_over_new_year_2027() {
    // Wed 30 Dec 2026 -> Thu 31, (Fri 1 Jan bank holiday, weekend) Mon 4, Tue 5.
    summary(london("2026-12-30 10:00"), london("2027-01-06 00:00"));
}

#[test]
fn disp_1_5_1_boxing_day_substitute_2026() {
    // Thu 24 Dec 2026 -> (Fri 25, weekend, Mon 28 substitute Boxing Day) Tue 29, Wed 30, Thu 31.
    summary(london("2026-12-24 10:00"), london("2027-01-01 00:00"));
}

#[test]
fn disp_1_5_1_both_christmas_substitutes_2027() {
    // Fri 24 Dec 2027 -> (weekend, Mon 27 and Tue 28 substitutes) Wed 29, Thu 30, Fri 31.
    summary(london("2027-12-24 10:00"), london("2028-01-01 00:00"));
}

#[test]
fn disp_1_5_1_one_minute_before_local_midnight() {
    // Thu 5 Jun 2025 23:59 is still Thursday: Fri 6, Mon 9, Tue 10.
    summary(london("2025-06-05 23:59"), london("2025-06-11 00:00"));
}

#[test]
fn disp_1_5_1_one_minute_after_local_midnight() {
    // Fri 6 Jun 2025 00:01: Mon 9, Tue 10, Wed 11.
    summary(london("2025-06-06 00:01"), london("2025-06-12 00:00"));
}

#[test]
fn disp_1_5_1_counts_the_london_day_not_the_utc_day() {
    // 23:30 UTC on Thu 5 Jun 2025 is 00:30 BST on Friday 6 June.
    summary(utc_ms("2025-06-05 23:30"), utc_ms("2025-06-11 23:00"));
}

#[test]
fn disp_1_5_1_across_the_spring_clock_change() {
    // Fri 27 Mar 2026 (GMT) -> Mon 30, Tue 31 (BST from Sun 29), Wed 1 Apr:
    // midnight ending Wednesday is 23:00 UTC.
    summary(london("2026-03-27 10:00"), utc_ms("2026-04-01 23:00"));
}

#[test]
fn disp_1_5_1_after_the_published_table_is_provisional_and_never_late() {
    // Thu 13 Apr 2028: the bank holiday table ends with 2027, so Good Friday
    // (14 Apr) and Easter Monday (17 Apr) are not known and only the weekend
    // is skipped: Fri 14, Mon 17, Tue 18. With them the last day would be
    // Thu 20 April: the provisional date is two days early, never late.
    let list = run(london("2028-04-13 10:00"), &[], &[]);
    let d = assert_deadline(&list, &SUMMARY, london("2028-04-19 00:00"), DISP_1_5_1);
    assert!(d.due_at < london("2028-04-21 00:00"));
    assert!(d.basis.contains(PROVISIONAL), "{}", d.basis);
    assert!(d.basis.contains("2028"), "{}", d.basis);
}

// DISP 1.6.2R: final response, or a delay letter, within eight weeks of receipt.

#[test]
fn disp_1_6_2_final_response_eight_weeks() {
    // Mon 2 Jun 2025 + 56 days = Mon 28 Jul 2025.
    let list = run(london("2025-06-02 10:00"), &[], &[]);
    let d = assert_deadline(&list, &FINAL, london("2025-07-29 00:00"), DISP_1_6_2_1);
    assert!(!d.basis.contains(PROVISIONAL), "{}", d.basis);
}

#[test]
fn disp_1_6_2_delay_letter_due_at_eight_weeks_too() {
    let list = run(london("2025-06-02 10:00"), &[], &[]);
    assert_deadline(
        &list,
        &DeadlineKind::DelayLetter,
        london("2025-07-29 00:00"),
        DISP_1_6_2_2,
    );
}

#[test]
fn disp_1_6_2_eight_weeks_across_the_autumn_clock_change() {
    // Mon 15 Sep 2025 (BST) + 56 days = Mon 10 Nov 2025 (GMT, after 26 Oct).
    let list = run(london("2025-09-15 10:00"), &[], &[]);
    assert_deadline(&list, &FINAL, utc_ms("2025-11-11 00:00"), DISP_1_6_2_1);
}

#[test]
fn disp_1_6_2_eight_weeks_across_the_spring_clock_change() {
    // Mon 16 Feb 2026 (GMT) + 56 days = Mon 13 Apr 2026 (BST, after 29 Mar).
    let list = run(london("2026-02-16 10:00"), &[], &[]);
    assert_deadline(&list, &FINAL, utc_ms("2026-04-13 23:00"), DISP_1_6_2_1);
}

#[test]
fn disp_1_6_2_eight_weeks_are_calendar_weeks_over_christmas() {
    // Mon 1 Dec 2025 + 56 days = Mon 26 Jan 2026; bank holidays do not extend it.
    let list = run(london("2025-12-01 10:00"), &[], &[]);
    assert_deadline(&list, &FINAL, london("2026-01-27 00:00"), DISP_1_6_2_1);
}

#[test]
fn disp_1_6_2_eight_weeks_need_no_bank_holiday_table() {
    // Mon 4 Dec 2028 + 56 days = Mon 29 Jan 2029: calendar weeks, exact even
    // past the table, and not marked provisional.
    let list = run(london("2028-12-04 10:00"), &[], &[]);
    let d = assert_deadline(&list, &FINAL, london("2029-01-30 00:00"), DISP_1_6_2_1);
    assert!(!d.basis.contains(PROVISIONAL), "{}", d.basis);
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
    let fr = assert_deadline(&list, &FINAL, london("2025-07-29 00:00"), DISP_1_6_2_1);
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
    assert_deadline(&list, &FINAL, london("2025-07-29 00:00"), DISP_1_6_2_1);
}

// DISP 1.6.2AR: payment services and e-money, 15 business days, or 35 after a
// holding reply.

#[test]
fn disp_1_6_2a_payment_services_fifteen_business_days() {
    // Mon 2 Jun 2025 + 15 business days = Mon 23 Jun 2025.
    let list = run(london("2025-06-02 10:00"), PSD, &[]);
    assert_deadline(&list, &FINAL, london("2025-06-24 00:00"), DISP_1_6_2A_1);
}

#[test]
fn disp_1_6_2a_e_money_is_treated_the_same() {
    let list = run(london("2025-06-02 10:00"), &["e-money"], &[]);
    assert_deadline(&list, &FINAL, london("2025-06-24 00:00"), DISP_1_6_2A_1);
}

#[test]
fn disp_1_6_2a_holding_reply_due_with_the_fifteen_days() {
    let list = run(london("2025-06-02 10:00"), PSD, &[]);
    assert_deadline(
        &list,
        &DeadlineKind::HoldingReply,
        london("2025-06-24 00:00"),
        DISP_1_6_2A_2,
    );
    assert!(!has_deadline(&list, &DeadlineKind::DelayLetter));
}

#[test]
fn disp_1_6_2a_fifteen_business_days_over_easter_2026() {
    // Wed 1 Apr 2026: Thu 2, (Fri 3 and Mon 6 bank holidays), Tue 7 ... Fri 24 is the 15th.
    let list = run(london("2026-04-01 10:00"), PSD, &[]);
    assert_deadline(&list, &FINAL, london("2026-04-25 00:00"), DISP_1_6_2A_1);
}

#[test]
fn disp_1_6_2a_fifteen_business_days_over_christmas_and_new_year() {
    // Mon 15 Dec 2025: the 15th business day, skipping 25, 26 Dec and 1 Jan, is Thu 8 Jan 2026.
    let list = run(london("2025-12-15 10:00"), PSD, &[]);
    assert_deadline(&list, &FINAL, london("2026-01-09 00:00"), DISP_1_6_2A_1);
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
    assert_deadline(&list, &FINAL, london("2025-07-22 00:00"), DISP_1_6_2A_2);
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
    assert_deadline(&list, &FINAL, london("2025-06-24 00:00"), DISP_1_6_2A_1);
    assert!(host.logs().iter().any(|l| l.level == LogLevel::Warn));
}
