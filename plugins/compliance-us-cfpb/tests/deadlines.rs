//! Deadline cases worked out by hand from the CFPB Company Portal Manual 8.1
//! (respond within 15 calendar days; after "In progress", close within 60),
//! counted in America/New_York. Each due time is the local midnight that ends
//! the last allowed day; weekends and federal holidays do not move it. Each
//! test is named after the rule it checks and asserts the rule the plugin cites.

use compliance_us_cfpb::UsCfpb;
use redress_sdk::clock::PROVISIONAL;
use redress_sdk::testing::{TestHost, assert_deadline, complaint, local_ms, utc_ms};
use redress_sdk::{
    ClockChange, ClockEvent, CompliancePlugin, Deadline, DeadlineKind, Extension, PauseReason,
};

fn eastern(local: &str) -> i64 {
    local_ms("America/New_York", local)
}

fn run(sent: i64, events: &[ClockEvent]) -> Vec<Deadline> {
    UsCfpb::deadlines(&TestHost::at(sent), &complaint("US", sent), events).expect("deadlines")
}

const RESPOND: DeadlineKind = DeadlineKind::InitialResponse;
const CLOSE: DeadlineKind = DeadlineKind::FinalResponse;

const RESPOND_RULE: &str = "CFPB Company Portal Manual 8.1: respond within 15 days";
const CLOSE_RULE: &str =
    "CFPB Company Portal Manual 8.1: after an \"In progress\" response, close within 60 days";

/// The 15-day response deadline of a complaint sent to the company at `sent`.
fn respond(sent: i64, due: i64) -> Deadline {
    assert_deadline(&run(sent, &[]), &RESPOND, due, RESPOND_RULE).clone()
}

/// The 60-day closing deadline of a complaint sent to the company at `sent`.
fn close(sent: i64, due: i64) -> Deadline {
    assert_deadline(&run(sent, &[]), &CLOSE, due, CLOSE_RULE).clone()
}

#[test]
fn manual_8_1_fifteen_calendar_days() {
    // Mon 2 Jun 2025 + 15 = Tue 17 Jun.
    respond(eastern("2025-06-02 10:00"), eastern("2025-06-18 00:00"));
}

#[test]
fn manual_8_1_a_saturday_last_day_is_not_moved() {
    // Fri 6 Jun 2025 + 15 = Sat 21 Jun.
    respond(eastern("2025-06-06 10:00"), eastern("2025-06-22 00:00"));
}

#[test]
fn manual_8_1_independence_day_does_not_extend() {
    // Mon 30 Jun 2025 + 15 = Tue 15 Jul, 4 July counted.
    respond(eastern("2025-06-30 10:00"), eastern("2025-07-16 00:00"));
}

#[test]
fn manual_8_1_thanksgiving_does_not_extend() {
    // Thu 20 Nov 2025 + 15 = Fri 5 Dec.
    respond(eastern("2025-11-20 10:00"), eastern("2025-12-06 00:00"));
}

#[test]
fn manual_8_1_over_christmas_and_new_year() {
    // Fri 19 Dec 2025 + 15 = Sat 3 Jan 2026.
    respond(eastern("2025-12-19 10:00"), eastern("2026-01-04 00:00"));
}

#[test]
fn manual_8_1_calendar_days_need_no_holiday_table() {
    // Mon 20 Dec 2027 + 15 = Tue 4 Jan 2028; the observed New Year holiday on
    // Fri 31 Dec 2027 changes nothing.
    respond(eastern("2027-12-20 10:00"), eastern("2028-01-05 00:00"));
}

#[test]
fn manual_8_1_leap_day_counts() {
    // Tue 15 Feb 2028 + 15 = Wed 1 Mar 2028 (29 Feb counted).
    respond(eastern("2028-02-15 10:00"), eastern("2028-03-02 00:00"));
}

#[test]
fn manual_8_1_across_the_spring_clock_change() {
    // Mon 3 Mar 2025 (EST) + 15 = Tue 18 Mar (EDT after 9 Mar): midnight is 04:00 UTC.
    respond(eastern("2025-03-03 10:00"), utc_ms("2025-03-19 04:00"));
}

#[test]
fn manual_8_1_across_the_autumn_clock_change() {
    // Mon 27 Oct 2025 (EDT) + 15 = Tue 11 Nov (EST after 2 Nov): midnight is 05:00 UTC.
    respond(eastern("2025-10-27 10:00"), utc_ms("2025-11-12 05:00"));
}

#[test]
fn manual_8_1_sent_one_minute_before_local_midnight() {
    // Sun 1 Jun 2025 23:59 + 15 = Mon 16 Jun.
    respond(eastern("2025-06-01 23:59"), eastern("2025-06-17 00:00"));
}

#[test]
fn manual_8_1_sent_one_minute_after_local_midnight() {
    // Mon 2 Jun 2025 00:01 + 15 = Tue 17 Jun.
    respond(eastern("2025-06-02 00:01"), eastern("2025-06-18 00:00"));
}

#[test]
fn manual_8_1_counts_the_eastern_day_not_the_utc_day() {
    // 03:30 UTC on Mon 2 Jun is 23:30 EDT on Sun 1 Jun.
    respond(utc_ms("2025-06-02 03:30"), utc_ms("2025-06-17 04:00"));
}

#[test]
fn manual_8_1_sixty_days_after_in_progress() {
    // Mon 2 Jun 2025 + 60 = Fri 1 Aug.
    close(eastern("2025-06-02 10:00"), eastern("2025-08-02 00:00"));
}

#[test]
fn manual_8_1_sixty_days_across_autumn_clock_change_and_thanksgiving() {
    // Mon 6 Oct 2025 + 60 = Fri 5 Dec (EST).
    close(eastern("2025-10-06 10:00"), utc_ms("2025-12-06 05:00"));
}

#[test]
fn manual_8_1_sixty_days_across_spring_clock_change() {
    // Mon 2 Feb 2026 + 60 = Fri 3 Apr (EDT after 8 Mar).
    close(eastern("2026-02-02 10:00"), utc_ms("2026-04-04 04:00"));
}

#[test]
fn manual_8_1_sixty_days_across_new_year() {
    // Mon 17 Nov 2025 + 60 = Fri 16 Jan 2026.
    close(eastern("2025-11-17 10:00"), eastern("2026-01-17 00:00"));
}

#[test]
fn manual_8_1_no_pause_while_waiting_for_the_consumer() {
    let events = [
        ClockEvent {
            at: eastern("2025-06-03 10:00"),
            change: ClockChange::Paused(PauseReason::AwaitingCustomer),
        },
        ClockEvent {
            at: eastern("2025-06-10 10:00"),
            change: ClockChange::Resumed,
        },
    ];
    let list = run(eastern("2025-06-02 10:00"), &events);
    let respond = assert_deadline(&list, &RESPOND, eastern("2025-06-18 00:00"), RESPOND_RULE);
    assert!(!respond.paused);
}

#[test]
fn manual_8_1_new_facts_and_extensions_change_nothing() {
    let events = [
        ClockEvent {
            at: eastern("2025-06-05 10:00"),
            change: ClockChange::NewFacts,
        },
        ClockEvent {
            at: eastern("2025-06-06 10:00"),
            change: ClockChange::Extended(Extension {
                days: 30,
                notice_given: true,
            }),
        },
    ];
    let list = run(eastern("2025-06-02 10:00"), &events);
    assert_deadline(&list, &RESPOND, eastern("2025-06-18 00:00"), RESPOND_RULE);
    assert_deadline(&list, &CLOSE, eastern("2025-08-02 00:00"), CLOSE_RULE);
}

#[test]
fn manual_8_1_customer_time_zone_does_not_move_the_deadline() {
    let sent = eastern("2025-06-02 10:00");
    let mut c = complaint("US", sent);
    c.customer_time_zone = Some("America/Los_Angeles".into());
    let list = UsCfpb::deadlines(&TestHost::at(sent), &c, &[]).unwrap();
    assert_deadline(&list, &RESPOND, eastern("2025-06-18 00:00"), RESPOND_RULE);
}

#[test]
fn manual_8_1_operator_time_zone_setting_moves_midnight() {
    // Mon 2 Jun 2025 + 15 = Tue 17 Jun, ending at midnight in Chicago.
    let sent = local_ms("America/Chicago", "2025-06-02 10:00");
    let host = TestHost::at(sent).with_config("time-zone", "America/Chicago");
    let list = UsCfpb::deadlines(&host, &complaint("US", sent), &[]).unwrap();
    assert_deadline(
        &list,
        &RESPOND,
        local_ms("America/Chicago", "2025-06-18 00:00"),
        RESPOND_RULE,
    );
}

#[test]
fn manual_8_1_sent_on_independence_day() {
    // Fri 4 Jul 2025, a federal holiday, still starts the count: + 15 = Sat 19 Jul.
    respond(eastern("2025-07-04 10:00"), eastern("2025-07-20 00:00"));
}

#[test]
fn manual_8_1_sixty_days_across_a_leap_day() {
    // Mon 3 Jan 2028 + 60 = Fri 3 Mar 2028 (29 Feb counted).
    close(eastern("2028-01-03 10:00"), eastern("2028-03-04 00:00"));
}

#[test]
fn manual_8_1_calendar_days_are_never_provisional() {
    // Mon 4 Dec 2034 + 60 = Fri 2 Feb 2035; + 15 past the federal table's
    // 2035 horizon: Mon 3 Dec 2035 + 15 = Tue 18 Dec 2035. Calendar days need
    // no holiday table, so nothing is marked provisional.
    let d = close(eastern("2034-12-04 10:00"), eastern("2035-02-03 00:00"));
    assert!(!d.basis.contains(PROVISIONAL), "{}", d.basis);
    let d = respond(eastern("2036-03-03 10:00"), eastern("2036-03-19 00:00"));
    assert!(!d.basis.contains(PROVISIONAL), "{}", d.basis);
}
