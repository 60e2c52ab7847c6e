//! Deadline cases worked out by hand from FA(CHR) Regulations 2021 reg. 5
//! (acknowledge in 2 business days; final response or delay notice in 20),
//! counted in Asia/Singapore with MOM public holidays and days in lieu.
//! Each due time is the local midnight that ends the last allowed day; each
//! test is named after the rule it checks and asserts the rule the plugin cites.

use compliance_sg::SingaporeMas;
use redress_sdk::clock::PROVISIONAL;
use redress_sdk::testing::{TestHost, assert_deadline, complaint, has_deadline, local_ms, utc_ms};
use redress_sdk::{
    ClockChange, ClockEvent, CompliancePlugin, Deadline, DeadlineKind, Extension, PauseReason,
};

fn sg(local: &str) -> i64 {
    local_ms("Asia/Singapore", local)
}

fn run(received: i64, events: &[ClockEvent]) -> Vec<Deadline> {
    SingaporeMas::deadlines(&TestHost::at(received), &complaint("SG", received), events)
        .expect("deadlines")
}

fn extended(local: &str, days: u32, notice_given: bool) -> ClockEvent {
    ClockEvent {
        at: sg(local),
        change: ClockChange::Extended(Extension { days, notice_given }),
    }
}

const ACK: DeadlineKind = DeadlineKind::Acknowledge;
const FINAL: DeadlineKind = DeadlineKind::FinalResponse;

const ACK_RULE: &str = "FA(CHR) Regulations 2021, reg. 5: acknowledge within 2 business days";
const TWENTY_RULE: &str =
    "FA(CHR) Regulations 2021, reg. 5: final response or delay notice within 20 business days";
const NOTICE_RULE: &str =
    "FA(CHR) Regulations 2021, reg. 5: final response by the date given in the delay notice";

/// Asserts the `kind` deadline of a complaint received at `received` (Singapore time).
fn check(received: &str, kind: DeadlineKind, due: &str, rule: &str) -> Deadline {
    assert_deadline(&run(sg(received), &[]), &kind, sg(due), rule).clone()
}

// Acknowledgement: 2 business days.

#[test]
fn reg_5_acknowledge_two_business_days() {
    // Mon 2 Jun 2025 -> Tue 3, Wed 4.
    check("2025-06-02 10:00", ACK, "2025-06-05 00:00", ACK_RULE);
}

#[test]
fn reg_5_acknowledge_over_a_weekend() {
    // Thu 5 Jun 2025 -> Fri 6, Mon 9.
    check("2025-06-05 10:00", ACK, "2025-06-10 00:00", ACK_RULE);
}

#[test]
fn reg_5_acknowledge_over_chinese_new_year_2025() {
    // Tue 28 Jan 2025 -> (29, 30 Jan holidays) Fri 31 Jan, Mon 3 Feb.
    check("2025-01-28 10:00", ACK, "2025-02-04 00:00", ACK_RULE);
}

#[test]
fn reg_5_acknowledge_over_chinese_new_year_2024_day_in_lieu() {
    // Fri 9 Feb 2024 -> (10-11 Feb weekend holidays, Mon 12 in lieu) Tue 13, Wed 14.
    check("2024-02-09 10:00", ACK, "2024-02-15 00:00", ACK_RULE);
}

#[test]
fn reg_5_acknowledge_over_new_year_2026() {
    // Wed 31 Dec 2025 -> (Thu 1 Jan holiday) Fri 2 Jan, Mon 5 Jan.
    check("2025-12-31 10:00", ACK, "2026-01-06 00:00", ACK_RULE);
}

#[test]
fn reg_5_acknowledge_over_christmas_2024() {
    // Tue 24 Dec 2024 -> (Wed 25 holiday) Thu 26, Fri 27.
    check("2024-12-24 10:00", ACK, "2024-12-28 00:00", ACK_RULE);
}

#[test]
fn reg_5_acknowledge_national_day_2026_in_lieu() {
    // Fri 7 Aug 2026 -> (Sun 9 National Day, Mon 10 in lieu) Tue 11, Wed 12.
    check("2026-08-07 10:00", ACK, "2026-08-13 00:00", ACK_RULE);
}

#[test]
fn reg_5_acknowledge_deepavali_2026_in_lieu() {
    // Fri 6 Nov 2026 -> (Sun 8 Deepavali, Mon 9 in lieu) Tue 10, Wed 11.
    check("2026-11-06 10:00", ACK, "2026-11-12 00:00", ACK_RULE);
}

#[test]
fn reg_5_acknowledge_over_hari_raya_puasa_2025() {
    // Fri 28 Mar 2025 -> (Mon 31 Mar holiday) Tue 1 Apr, Wed 2 Apr.
    check("2025-03-28 10:00", ACK, "2025-04-03 00:00", ACK_RULE);
}

#[test]
fn reg_5_acknowledge_over_good_friday_2026() {
    // Thu 2 Apr 2026 -> (Fri 3 holiday) Mon 6, Tue 7.
    check("2026-04-02 10:00", ACK, "2026-04-08 00:00", ACK_RULE);
}

#[test]
fn reg_5_received_one_minute_before_local_midnight() {
    // Thu 5 Jun 2025 23:59 -> Fri 6, Mon 9.
    check("2025-06-05 23:59", ACK, "2025-06-10 00:00", ACK_RULE);
}

#[test]
fn reg_5_received_one_minute_after_local_midnight() {
    // Fri 6 Jun 2025 00:01 -> Mon 9, Tue 10.
    check("2025-06-06 00:01", ACK, "2025-06-11 00:00", ACK_RULE);
}

#[test]
fn reg_5_counts_the_singapore_day_not_the_utc_day() {
    // 16:30 UTC on Thu 5 Jun is 00:30 on Fri 6 Jun in Singapore.
    let list = run(utc_ms("2025-06-05 16:30"), &[]);
    assert_deadline(&list, &ACK, utc_ms("2025-06-10 16:00"), ACK_RULE);
}

// Final response or delay notice: 20 business days.

#[test]
fn reg_5_final_response_twenty_business_days() {
    // Mon 2 Jun 2025: the 20th business day is Mon 30 Jun (Sat 7 Jun holiday changes nothing).
    check("2025-06-02 10:00", FINAL, "2025-07-01 00:00", TWENTY_RULE);
}

#[test]
fn reg_5_delay_notice_due_with_the_twenty_days() {
    check(
        "2025-06-02 10:00",
        DeadlineKind::DelayLetter,
        "2025-07-01 00:00",
        TWENTY_RULE,
    );
}

#[test]
fn reg_5_twenty_business_days_over_labour_day_and_vesak_2025() {
    // Mon 28 Apr 2025: skipping 1 May, the 3 May Saturday polling day and
    // Mon 12 May (Vesak Day), the 20th business day is Wed 28 May.
    check("2025-04-28 10:00", FINAL, "2025-05-29 00:00", TWENTY_RULE);
}

#[test]
fn reg_5_twenty_business_days_over_chinese_new_year_2026() {
    // Mon 9 Feb 2026: skipping 17-18 Feb, the 20th business day is Wed 11 Mar.
    check("2026-02-09 10:00", FINAL, "2026-03-12 00:00", TWENTY_RULE);
}

#[test]
fn reg_5_twenty_business_days_over_christmas_and_new_year() {
    // Mon 15 Dec 2025: skipping 25 Dec and 1 Jan, the 20th business day is Wed 14 Jan 2026.
    check("2025-12-15 10:00", FINAL, "2026-01-15 00:00", TWENTY_RULE);
}

#[test]
fn reg_5_final_response_after_a_delay_notice() {
    // Delay notice giving 10 more business days: the 30th business day after
    // Mon 2 Jun 2025 is Mon 14 Jul.
    let list = run(
        sg("2025-06-02 10:00"),
        &[extended("2025-06-27 10:00", 10, true)],
    );
    assert_deadline(&list, &FINAL, sg("2025-07-15 00:00"), NOTICE_RULE);
    assert!(!has_deadline(&list, &DeadlineKind::DelayLetter));
}

#[test]
fn reg_5_extension_without_notice_is_ignored() {
    let list = run(
        sg("2025-06-02 10:00"),
        &[extended("2025-06-27 10:00", 10, false)],
    );
    assert_deadline(&list, &FINAL, sg("2025-07-01 00:00"), TWENTY_RULE);
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
    let fr = assert_deadline(&list, &FINAL, sg("2025-07-01 00:00"), TWENTY_RULE);
    assert!(!fr.paused);
}

#[test]
fn reg_5_new_facts_do_not_restart_the_clock() {
    let events = [ClockEvent {
        at: sg("2025-06-20 10:00"),
        change: ClockChange::NewFacts,
    }];
    let list = run(sg("2025-06-02 10:00"), &events);
    assert_deadline(&list, &FINAL, sg("2025-07-01 00:00"), TWENTY_RULE);
}

// The MOM list for 2027 (press release of 18 June 2026), and later years.

#[test]
fn reg_5_acknowledge_over_chinese_new_year_2027_day_in_lieu() {
    // Fri 5 Feb 2027 -> (Sat 6 and Sun 7 Chinese New Year, Mon 8 in lieu) Tue 9, Wed 10.
    let d = check("2027-02-05 10:00", ACK, "2027-02-11 00:00", ACK_RULE);
    assert!(!d.basis.contains(PROVISIONAL), "{}", d.basis);
}

#[test]
fn reg_5_twenty_business_days_from_december_2026_into_2027() {
    // Fri 4 Dec 2026: 7-11 Dec (5), 14-18 (10), 21-24 (14; Fri 25 Christmas),
    // 28-31 (18), (Fri 1 Jan 2027 New Year's Day) Mon 4 (19), Tue 5 Jan (20).
    let d = check("2026-12-04 10:00", FINAL, "2027-01-06 00:00", TWENTY_RULE);
    assert!(!d.basis.contains(PROVISIONAL), "{}", d.basis);
}

#[test]
fn reg_5_twenty_business_days_over_hari_raya_puasa_and_good_friday_2027() {
    // Mon 8 Mar 2027: 9 (1), (Wed 10 Hari Raya Puasa) 11-12 (3), 15-19 (8),
    // 22-25 (12; Fri 26 Good Friday), 29 Mar-2 Apr (17), 5-7 Apr (20): Wed 7 Apr.
    check("2027-03-08 10:00", FINAL, "2027-04-08 00:00", TWENTY_RULE);
}

#[test]
fn reg_5_past_the_published_list_is_provisional_and_never_late() {
    // Mon 20 Dec 2027: 21-24 Dec (4; Sat 25 Christmas has no day in lieu),
    // 27-31 (9), then 2028, which MOM has not published: weekends are the
    // only rest days, 3-7 Jan (14), 10-14 (19), Mon 17 Jan (20). A 2028
    // holiday in that span can only make the true date later.
    let d = check("2027-12-20 10:00", FINAL, "2028-01-18 00:00", TWENTY_RULE);
    assert!(d.basis.contains(PROVISIONAL), "{}", d.basis);
    assert!(
        d.basis.contains("Singapore MOM holidays for 2028"),
        "{}",
        d.basis
    );
}
