//! Deadline cases worked out by hand from PSD2 art. 101(2) (15 / 35 business
//! days) and GDPR art. 12(3) (1 month, or 3 with timely notice; periods as in
//! Regulation 1182/71 art. 3), counted in Europe/Brussels with TARGET2
//! closing days. Each due time is the local midnight that ends the last day;
//! each test is named after the rule it checks and asserts the rule the
//! plugin cites.

use compliance_eu::EuRules;
use redress_sdk::clock::PROVISIONAL;
use redress_sdk::testing::{TestHost, assert_deadline, complaint, has_deadline, local_ms, utc_ms};
use redress_sdk::{
    ClockChange, ClockEvent, CompliancePlugin, Deadline, DeadlineKind, Extension, LogLevel,
    PauseReason,
};

fn brussels(local: &str) -> i64 {
    local_ms("Europe/Brussels", local)
}

fn run_with(host: &TestHost, received: i64, tags: &[&str], events: &[ClockEvent]) -> Vec<Deadline> {
    let mut c = complaint("EU", received);
    c.tags = tags.iter().map(|t| (*t).to_owned()).collect();
    EuRules::deadlines(host, &c, events).expect("deadlines")
}

fn run(received: i64, tags: &[&str], events: &[ClockEvent]) -> Vec<Deadline> {
    run_with(&TestHost::at(received), received, tags, events)
}

/// Asserts the final response deadline of a complaint received at `received`
/// (Brussels time) with `tags` and `events`.
fn final_due(
    received: &str,
    tags: &[&str],
    events: &[ClockEvent],
    due: i64,
    rule: &str,
) -> Deadline {
    assert_deadline(&run(brussels(received), tags, events), &FINAL, due, rule).clone()
}

fn extended(local: &str, days: u32, notice_given: bool) -> ClockEvent {
    ClockEvent {
        at: brussels(local),
        change: ClockChange::Extended(Extension { days, notice_given }),
    }
}

const PSD: &[&str] = &["payment-services"];
const DSR: &[&str] = &["data-subject-request"];
const FINAL: DeadlineKind = DeadlineKind::FinalResponse;

const PSD2_15: &str = "PSD2 art. 101(2): reply within 15 business days";
const PSD2_HOLDING: &str =
    "PSD2 art. 101(2): holding reply by the 15th business day if the reply is late";
const PSD2_35: &str = "PSD2 art. 101(2): holding reply sent, final reply within 35 business days";
const GDPR_MONTH: &str = "GDPR art. 12(3): answer within one month";
const GDPR_NOTICE: &str =
    "GDPR art. 12(3): any extension must be notified, with reasons, within one month";
const GDPR_EXTENDED: &str = "GDPR art. 12(3): extended by two further months";
const NATIONAL: &str = "national rule (operator setting final-response-business-days)";

// PSD2 art. 101(2): 15 business days, or 35 after a holding reply.

#[test]
fn psd2_101_fifteen_business_days() {
    // Mon 2 Jun 2025: the 15th T2 business day is Mon 23 Jun.
    final_due(
        "2025-06-02 10:00",
        PSD,
        &[],
        brussels("2025-06-24 00:00"),
        PSD2_15,
    );
}

#[test]
fn psd2_101_e_money_is_treated_the_same() {
    final_due(
        "2025-06-02 10:00",
        &["e-money"],
        &[],
        brussels("2025-06-24 00:00"),
        PSD2_15,
    );
}

#[test]
fn psd2_101_over_easter_and_labour_day_2025() {
    // Wed 16 Apr 2025: skipping Good Friday, Easter Monday and 1 May, the 15th
    // business day is Mon 12 May.
    final_due(
        "2025-04-16 10:00",
        PSD,
        &[],
        brussels("2025-05-13 00:00"),
        PSD2_15,
    );
}

#[test]
fn psd2_101_starting_the_day_before_labour_day() {
    // Wed 30 Apr 2025: skipping Thu 1 May, the 15th business day is Thu 22 May.
    final_due(
        "2025-04-30 10:00",
        PSD,
        &[],
        brussels("2025-05-23 00:00"),
        PSD2_15,
    );
}

#[test]
fn psd2_101_over_christmas_and_new_year_2026() {
    // Mon 15 Dec 2025: skipping 25, 26 Dec and 1 Jan, the 15th is Thu 8 Jan 2026.
    final_due(
        "2025-12-15 10:00",
        PSD,
        &[],
        brussels("2026-01-09 00:00"),
        PSD2_15,
    );
}

#[test]
fn psd2_101_over_new_year_2027() {
    // Wed 23 Dec 2026: skipping 25 Dec (26 Dec is a Saturday) and 1 Jan 2027,
    // the 15th business day is Fri 15 Jan 2027.
    final_due(
        "2026-12-23 10:00",
        PSD,
        &[],
        brussels("2027-01-16 00:00"),
        PSD2_15,
    );
}

#[test]
fn psd2_101_across_the_spring_clock_change() {
    // Mon 24 Mar 2025 (CET): the 15th business day is Mon 14 Apr (CEST after 30 Mar).
    final_due(
        "2025-03-24 10:00",
        PSD,
        &[],
        utc_ms("2025-04-14 22:00"),
        PSD2_15,
    );
}

#[test]
fn psd2_101_across_the_autumn_clock_change() {
    // Mon 13 Oct 2025 (CEST): the 15th business day is Mon 3 Nov (CET after 26 Oct).
    final_due(
        "2025-10-13 10:00",
        PSD,
        &[],
        utc_ms("2025-11-03 23:00"),
        PSD2_15,
    );
}

#[test]
fn psd2_101_received_one_minute_before_local_midnight() {
    // Thu 5 Jun 2025 23:59: counting starts Fri 6 Jun; the 15th is Thu 26 Jun.
    final_due(
        "2025-06-05 23:59",
        PSD,
        &[],
        brussels("2025-06-27 00:00"),
        PSD2_15,
    );
}

#[test]
fn psd2_101_received_one_minute_after_local_midnight() {
    // Fri 6 Jun 2025 00:01: counting starts Mon 9 Jun; the 15th is Fri 27 Jun.
    final_due(
        "2025-06-06 00:01",
        PSD,
        &[],
        brussels("2025-06-28 00:00"),
        PSD2_15,
    );
}

#[test]
fn psd2_101_counts_the_brussels_day_not_the_utc_day() {
    // 22:30 UTC on Thu 5 Jun is 00:30 CEST on Fri 6 Jun.
    let list = run(utc_ms("2025-06-05 22:30"), PSD, &[]);
    assert_deadline(&list, &FINAL, utc_ms("2025-06-27 22:00"), PSD2_15);
}

#[test]
fn psd2_101_holding_reply_due_with_the_fifteen_days() {
    let list = run(brussels("2025-06-02 10:00"), PSD, &[]);
    assert_deadline(
        &list,
        &DeadlineKind::HoldingReply,
        brussels("2025-06-24 00:00"),
        PSD2_HOLDING,
    );
}

#[test]
fn psd2_101_thirty_five_business_days_after_a_holding_reply() {
    // Mon 2 Jun 2025: the 35th business day is Mon 21 Jul.
    let events = [extended("2025-06-20 10:00", 20, true)];
    let list = run(brussels("2025-06-02 10:00"), PSD, &events);
    assert_deadline(&list, &FINAL, brussels("2025-07-22 00:00"), PSD2_35);
    assert!(!has_deadline(&list, &DeadlineKind::HoldingReply));
}

#[test]
fn psd2_101_extension_without_holding_reply_is_ignored() {
    let events = [extended("2025-06-20 10:00", 20, false)];
    final_due(
        "2025-06-02 10:00",
        PSD,
        &events,
        brussels("2025-06-24 00:00"),
        PSD2_15,
    );
}

#[test]
fn psd2_101_clock_does_not_pause_for_the_customer() {
    let events = [
        ClockEvent {
            at: brussels("2025-06-03 10:00"),
            change: ClockChange::Paused(PauseReason::AwaitingCustomer),
        },
        ClockEvent {
            at: brussels("2025-06-13 10:00"),
            change: ClockChange::Resumed,
        },
    ];
    final_due(
        "2025-06-02 10:00",
        PSD,
        &events,
        brussels("2025-06-24 00:00"),
        PSD2_15,
    );
}

// GDPR art. 12(3) with Regulation 1182/71 art. 3.

#[test]
fn gdpr_12_one_month_ending_on_a_saturday_runs_to_monday() {
    // Wed 15 Jan 2025 + 1 month = Sat 15 Feb -> Mon 17 Feb.
    final_due(
        "2025-01-15 10:00",
        DSR,
        &[],
        brussels("2025-02-18 00:00"),
        GDPR_MONTH,
    );
}

#[test]
fn gdpr_12_month_from_the_31st_ends_on_the_last_day_of_february() {
    // Fri 31 Jan 2025 + 1 month = Fri 28 Feb.
    final_due(
        "2025-01-31 10:00",
        DSR,
        &[],
        brussels("2025-03-01 00:00"),
        GDPR_MONTH,
    );
}

#[test]
fn gdpr_12_one_month_ending_on_easter_monday_runs_to_tuesday() {
    // Fri 21 Mar 2025 + 1 month = Mon 21 Apr (Easter Monday) -> Tue 22 Apr.
    final_due(
        "2025-03-21 10:00",
        DSR,
        &[],
        brussels("2025-04-23 00:00"),
        GDPR_MONTH,
    );
}

#[test]
fn gdpr_12_extension_notice_due_within_the_first_month() {
    let list = run(brussels("2025-01-15 10:00"), DSR, &[]);
    assert_deadline(
        &list,
        &DeadlineKind::ExtensionNotice,
        brussels("2025-02-18 00:00"),
        GDPR_NOTICE,
    );
}

#[test]
fn gdpr_12_extended_by_two_months_when_told_in_time() {
    // Wed 15 Jan 2025 + 3 months = Tue 15 Apr.
    let events = [extended("2025-02-10 10:00", 61, true)];
    final_due(
        "2025-01-15 10:00",
        DSR,
        &events,
        brussels("2025-04-16 00:00"),
        GDPR_EXTENDED,
    );
}

#[test]
fn gdpr_12_late_extension_notice_does_not_extend() {
    let received = brussels("2025-01-15 10:00");
    let host = TestHost::at(received);
    let events = [extended("2025-02-20 10:00", 61, true)];
    let list = run_with(&host, received, DSR, &events);
    assert_deadline(&list, &FINAL, brussels("2025-02-18 00:00"), GDPR_MONTH);
    assert!(host.logs().iter().any(|l| l.level == LogLevel::Warn));
}

// Complaints outside payment services: national law.

#[test]
fn national_rule_period_from_operator_setting() {
    let received = brussels("2025-06-02 10:00");
    let host = TestHost::at(received).with_config("final-response-business-days", "15");
    let list = run_with(&host, received, &[], &[]);
    assert_deadline(&list, &FINAL, brussels("2025-06-24 00:00"), NATIONAL);
}

#[test]
fn psd2_101_member_state_time_zone_from_setting() {
    // Helsinki is one hour ahead of Brussels: the same 15th business day ends
    // at Helsinki midnight.
    let received = local_ms("Europe/Helsinki", "2025-06-02 10:00");
    let host = TestHost::at(received).with_config("time-zone", "Europe/Helsinki");
    let list = run_with(&host, received, PSD, &[]);
    assert_deadline(
        &list,
        &FINAL,
        local_ms("Europe/Helsinki", "2025-06-24 00:00"),
        PSD2_15,
    );
}

#[test]
fn psd2_101_past_the_t2_horizon_is_provisional_and_never_late() {
    // Thu 20 Dec 2035: Fri 21 (1), Mon 24 (2), (25-26 Dec T2 closed) 27-28 (4),
    // Mon 31 (5); 2036 is past the rule-based calendar's horizon, so Tue 1 Jan
    // counts (6): 2-4 Jan (9), 7-11 (14), Mon 14 Jan (15). Closing on New
    // Year's Day, as T2 does, would make it Tue 15 Jan: the provisional date
    // is a day early, never late.
    let d = final_due(
        "2035-12-20 10:00",
        PSD,
        &[],
        brussels("2036-01-15 00:00"),
        PSD2_15,
    );
    assert!(d.basis.contains(PROVISIONAL), "{}", d.basis);
    assert!(d.basis.contains("2036"), "{}", d.basis);
}
