//! Deadline cases worked out by hand from the CBIRC 2020 complaint measures
//! (15 days, extendable to 30 and 60 with notice; appraisal time not counted;
//! new facts make a new complaint), counted as PRC Civil Code arts. 201 and
//! 203 count periods, in Asia/Shanghai with the State Council holiday notices.
//! Each due time is the local midnight that ends the last allowed day; each
//! test is named after the rule it checks and asserts the rule the plugin cites.

use compliance_cn::ChinaCbirc;
use redress_sdk::clock::PROVISIONAL;
use redress_sdk::testing::{TestHost, assert_deadline, complaint, has_deadline, local_ms, utc_ms};
use redress_sdk::{
    ClockChange, ClockEvent, CompliancePlugin, Deadline, DeadlineKind, Extension, LogLevel,
    PauseReason,
};

fn beijing(local: &str) -> i64 {
    local_ms("Asia/Shanghai", local)
}

fn at(local: &str, change: ClockChange) -> ClockEvent {
    ClockEvent {
        at: beijing(local),
        change,
    }
}

fn extended(local: &str, days: u32, notice_given: bool) -> ClockEvent {
    at(
        local,
        ClockChange::Extended(Extension { days, notice_given }),
    )
}

fn run_at(now: i64, accepted: i64, events: &[ClockEvent]) -> Vec<Deadline> {
    ChinaCbirc::deadlines(&TestHost::at(now), &complaint("CN", accepted), events)
        .expect("deadlines")
}

const DECISION: DeadlineKind = DeadlineKind::FinalResponse;
const NOTICE: DeadlineKind = DeadlineKind::ExtensionNotice;

const FIFTEEN_DAYS: &str =
    "银行业保险业消费投诉处理管理办法 (CBIRC 2020): decision within 15 days of acceptance";
const COMPLEX_30: &str =
    "银行业保险业消费投诉处理管理办法 (CBIRC 2020): complex case extended to 30 days";
const SPECIAL_60: &str =
    "银行业保险业消费投诉处理管理办法 (CBIRC 2020): special case extended to 60 days with notice";
const NOTICE_RULE: &str =
    "银行业保险业消费投诉处理管理办法 (CBIRC 2020): extension only with notice to the complainant";

/// Asserts the decision of a complaint accepted at `accepted` (Beijing time)
/// with `events` falls due at `due` under `rule`.
fn decision(accepted: &str, events: &[ClockEvent], due: &str, rule: &str) -> Deadline {
    let accepted = beijing(accepted);
    let list = run_at(accepted, accepted, events);
    assert_deadline(&list, &DECISION, beijing(due), rule).clone()
}

#[test]
fn cbirc_fifteen_days_from_the_day_after_acceptance() {
    // Civil Code art. 201: Mon 9 Jun 2025 + 15 days = Tue 24 Jun, a working day.
    decision("2025-06-09 10:00", &[], "2025-06-25 00:00", FIFTEEN_DAYS);
}

#[test]
fn civil_code_203_last_day_on_saturday_moves_to_monday() {
    // Fri 7 Mar 2025 + 15 = Sat 22 Mar -> Mon 24 Mar.
    decision("2025-03-07 10:00", &[], "2025-03-25 00:00", FIFTEEN_DAYS);
}

#[test]
fn civil_code_203_last_day_on_sunday_moves_to_monday() {
    // Sat 8 Mar 2025 + 15 = Sun 23 Mar -> Mon 24 Mar.
    decision("2025-03-08 10:00", &[], "2025-03-25 00:00", FIFTEEN_DAYS);
}

#[test]
fn civil_code_203_chinese_new_year_2025_holiday_pushes_the_last_day() {
    // Mon 20 Jan 2025 + 15 = Tue 4 Feb, last day of the 28 Jan - 4 Feb block -> Wed 5 Feb.
    decision("2025-01-20 10:00", &[], "2025-02-06 00:00", FIFTEEN_DAYS);
}

#[test]
fn civil_code_203_chinese_new_year_2025_make_up_saturday_is_a_working_day() {
    // Fri 24 Jan 2025 + 15 = Sat 8 Feb, a make-up working day: no roll.
    decision("2025-01-24 10:00", &[], "2025-02-09 00:00", FIFTEEN_DAYS);
}

#[test]
fn civil_code_203_chinese_new_year_2025_make_up_sunday_is_a_working_day() {
    // Sat 11 Jan 2025 + 15 = Sun 26 Jan, a make-up working day: no roll.
    decision("2025-01-11 10:00", &[], "2025-01-27 00:00", FIFTEEN_DAYS);
}

#[test]
fn civil_code_203_chinese_new_year_2026_nine_day_block() {
    // Sun 1 Feb 2026 + 15 = Mon 16 Feb, inside 15-23 Feb -> Tue 24 Feb.
    decision("2026-02-01 10:00", &[], "2026-02-25 00:00", FIFTEEN_DAYS);
}

#[test]
fn civil_code_203_new_year_2026_block_then_make_up_sunday() {
    // Wed 17 Dec 2025 + 15 = Thu 1 Jan 2026; 1-3 Jan off, Sun 4 Jan is a working day.
    decision("2025-12-17 10:00", &[], "2026-01-05 00:00", FIFTEEN_DAYS);
}

#[test]
fn civil_code_203_new_year_2025_single_day() {
    // Tue 17 Dec 2024 + 15 = Wed 1 Jan 2025 (one day off) -> Thu 2 Jan.
    decision("2024-12-17 10:00", &[], "2025-01-03 00:00", FIFTEEN_DAYS);
}

#[test]
fn civil_code_203_national_day_2025_eight_day_block() {
    // Thu 18 Sep 2025 + 15 = Fri 3 Oct, inside 1-8 Oct -> Thu 9 Oct.
    decision("2025-09-18 10:00", &[], "2025-10-10 00:00", FIFTEEN_DAYS);
}

#[test]
fn civil_code_203_labour_day_2025_block() {
    // Wed 16 Apr 2025 + 15 = Thu 1 May, inside 1-5 May -> Tue 6 May.
    decision("2025-04-16 10:00", &[], "2025-05-07 00:00", FIFTEEN_DAYS);
}

#[test]
fn civil_code_203_qingming_2024_then_make_up_sunday() {
    // Fri 22 Mar 2024 + 15 = Sat 6 Apr (holiday) -> Sun 7 Apr, a make-up working day.
    decision("2024-03-22 10:00", &[], "2024-04-08 00:00", FIFTEEN_DAYS);
}

#[test]
fn civil_code_201_accepted_one_minute_before_local_midnight() {
    // Sun 8 Jun 2025 23:59 + 15 = Mon 23 Jun.
    decision("2025-06-08 23:59", &[], "2025-06-24 00:00", FIFTEEN_DAYS);
}

#[test]
fn civil_code_201_accepted_one_minute_after_local_midnight() {
    // Mon 9 Jun 2025 00:01 + 15 = Tue 24 Jun.
    decision("2025-06-09 00:01", &[], "2025-06-25 00:00", FIFTEEN_DAYS);
}

#[test]
fn civil_code_201_counts_the_beijing_day_not_the_utc_day() {
    // 16:30 UTC on 8 Jun is 00:30 on 9 Jun in Beijing: + 15 = Tue 24 Jun.
    let accepted = utc_ms("2025-06-08 16:30");
    let list = run_at(accepted, accepted, &[]);
    assert_deadline(&list, &DECISION, utc_ms("2025-06-24 16:00"), FIFTEEN_DAYS);
}

#[test]
fn cbirc_complex_case_extended_to_thirty_days_with_notice() {
    // Mon 9 Jun 2025 + 30 = Wed 9 Jul.
    let events = [extended("2025-06-20 10:00", 15, true)];
    decision("2025-06-09 10:00", &events, "2025-07-10 00:00", COMPLEX_30);
}

#[test]
fn cbirc_special_case_extended_to_sixty_days_with_notice() {
    // Mon 9 Jun 2025 + 60 = Fri 8 Aug.
    let events = [
        extended("2025-06-20 10:00", 15, true),
        extended("2025-07-05 10:00", 30, true),
    ];
    let accepted = beijing("2025-06-09 10:00");
    let list = run_at(accepted, accepted, &events);
    assert_deadline(&list, &DECISION, beijing("2025-08-09 00:00"), SPECIAL_60);
    assert!(!has_deadline(&list, &NOTICE));
}

#[test]
fn cbirc_extensions_never_pass_sixty_days() {
    // A 90-day extension is capped: Mon 9 Jun 2025 + 60 = Fri 8 Aug.
    let accepted = beijing("2025-06-09 10:00");
    let host = TestHost::at(accepted);
    let events = [extended("2025-06-20 10:00", 90, true)];
    let list = ChinaCbirc::deadlines(&host, &complaint("CN", accepted), &events).unwrap();
    assert_deadline(&list, &DECISION, beijing("2025-08-09 00:00"), SPECIAL_60);
    assert!(host.logs().iter().any(|l| l.level == LogLevel::Warn));
}

#[test]
fn cbirc_extension_without_notice_does_not_count() {
    let events = [extended("2025-06-20 10:00", 15, false)];
    decision(
        "2025-06-09 10:00",
        &events,
        "2025-06-25 00:00",
        FIFTEEN_DAYS,
    );
}

#[test]
fn cbirc_extension_notice_due_before_the_fifteen_days_run_out() {
    let accepted = beijing("2025-06-09 10:00");
    let list = run_at(accepted, accepted, &[]);
    assert_deadline(&list, &NOTICE, beijing("2025-06-25 00:00"), NOTICE_RULE);
}

#[test]
fn cbirc_external_appraisal_time_is_not_counted() {
    // Paused Wed 11 Jun 09:00 to Mon 16 Jun 17:00: 12-15 Jun paused throughout.
    // Counting: 10, 11, then 16 Jun onwards; the 15th day is Sat 28 Jun -> Mon 30 Jun.
    let events = [
        at(
            "2025-06-11 09:00",
            ClockChange::Paused(PauseReason::ExternalAppraisal),
        ),
        at("2025-06-16 17:00", ClockChange::Resumed),
    ];
    let d = decision(
        "2025-06-09 10:00",
        &events,
        "2025-07-01 00:00",
        FIFTEEN_DAYS,
    );
    assert!(d.basis.contains("paused"), "{}", d.basis);
}

#[test]
fn cbirc_waiting_for_the_customer_does_not_stop_the_clock() {
    let events = [
        at(
            "2025-06-11 09:00",
            ClockChange::Paused(PauseReason::AwaitingCustomer),
        ),
        at("2025-06-16 17:00", ClockChange::Resumed),
    ];
    decision(
        "2025-06-09 10:00",
        &events,
        "2025-06-25 00:00",
        FIFTEEN_DAYS,
    );
}

#[test]
fn cbirc_open_appraisal_pause_is_reported_and_runs_to_now() {
    // Paused since Tue 10 Jun 09:00, now Fri 13 Jun 12:00: 11 and 12 Jun paused
    // throughout. Counting 10, 13, 14, ... the 15th day is Thu 26 Jun.
    let accepted = beijing("2025-06-09 10:00");
    let events = [at(
        "2025-06-10 09:00",
        ClockChange::Paused(PauseReason::ExternalAppraisal),
    )];
    let list = run_at(beijing("2025-06-13 12:00"), accepted, &events);
    let d = assert_deadline(&list, &DECISION, beijing("2025-06-27 00:00"), FIFTEEN_DAYS);
    assert!(d.paused);
}

#[test]
fn cbirc_new_facts_start_a_new_complaint() {
    // New facts on Fri 20 Jun 2025: + 15 = Sat 5 Jul -> Mon 7 Jul.
    let events = [at("2025-06-20 15:00", ClockChange::NewFacts)];
    let d = decision(
        "2025-06-09 10:00",
        &events,
        "2025-07-08 00:00",
        FIFTEEN_DAYS,
    );
    assert!(d.basis.contains("new facts"), "{}", d.basis);
}

#[test]
fn cbirc_new_facts_drop_an_earlier_extension() {
    // The 15-day extension of 12 Jun goes with the old complaint: 20 Jun + 15 = Sat 5 Jul -> Mon 7 Jul.
    let events = [
        extended("2025-06-12 10:00", 15, true),
        at("2025-06-20 15:00", ClockChange::NewFacts),
    ];
    decision(
        "2025-06-09 10:00",
        &events,
        "2025-07-08 00:00",
        FIFTEEN_DAYS,
    );
}

#[test]
fn civil_code_203_without_the_2027_notice_the_period_is_not_rolled() {
    // Sun 20 Dec 2026 + 15 = Mon 4 Jan 2027. The 2027 notice is not in the
    // table, so 4 Jan might be a rest day the period should roll past; not
    // rolling is the earliest it can be, and the basis says it is provisional.
    let d = decision("2026-12-20 10:00", &[], "2027-01-05 00:00", FIFTEEN_DAYS);
    assert!(d.basis.contains(PROVISIONAL), "{}", d.basis);
    assert!(d.basis.contains("2027"), "{}", d.basis);
}

#[test]
fn civil_code_203_an_unknown_2027_sunday_may_be_a_make_up_day() {
    // Sat 16 Jan 2027 + 15 = Sun 31 Jan 2027. Without the notice the Sunday
    // could be a make-up working day, so the period ends on it, a day before
    // the Monday a weekend-only count would roll to.
    let d = decision("2027-01-16 10:00", &[], "2027-02-01 00:00", FIFTEEN_DAYS);
    assert!(d.basis.contains(PROVISIONAL), "{}", d.basis);
}

#[test]
fn civil_code_203_operator_supplied_2027_holidays_close_the_gap() {
    // Thu 17 Dec 2026 + 15 = Fri 1 Jan 2027, configured as a holiday -> (weekend) Mon 4 Jan.
    let accepted = beijing("2026-12-17 10:00");
    let host = TestHost::at(accepted)
        .with_config("calendar.extra-years", "2027")
        .with_config("calendar.extra-holidays", "2027-01-01");
    let list = ChinaCbirc::deadlines(&host, &complaint("CN", accepted), &[]).unwrap();
    let d = assert_deadline(&list, &DECISION, beijing("2027-01-05 00:00"), FIFTEEN_DAYS);
    assert!(!d.basis.contains(PROVISIONAL), "{}", d.basis);
}
