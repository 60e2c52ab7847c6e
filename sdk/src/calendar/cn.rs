//! Mainland China public holidays and make-up working days (调休上班日).
//!
//! Sources, one notice a year from the General Office of the State Council:
//! - 2024: 国务院办公厅关于2024年部分节假日安排的通知 (published 25 October 2023)
//! - 2025: 国务院办公厅关于2025年部分节假日安排的通知 (published 12 November 2024,
//!   the first year with New Year's Eve of the Spring Festival and 2 May as
//!   statutory holidays under the amended 全国年节及纪念日放假办法)
//! - 2026: 国务院办公厅关于2026年部分节假日安排的通知 (published November 2025)
//!
//! Every day of each announced holiday block is listed (weekends inside a
//! block too), and so is each weekend day declared a working day. The notice
//! for 2027 is normally published in the fourth quarter of 2026; it could not
//! be found when this table was last revised (December 2026), so 2027 is
//! counted provisionally (see the module above: every day counts as a working
//! day, since any weekend day may be a make-up day) until it is added here or
//! an operator supplies it through the `calendar.*` settings.

use std::ops::RangeInclusive;

use chrono::NaiveDate;

pub(super) const COVERED: RangeInclusive<i32> = 2024..=2026;

#[rustfmt::skip]
const HOLIDAYS: &[(i32, u32, u32, &str)] = &[
    // 2024
    (2024, 1, 1, "元旦 New Year's Day"),
    (2024, 2, 10, "春节 Spring Festival"), (2024, 2, 11, "春节 Spring Festival"),
    (2024, 2, 12, "春节 Spring Festival"), (2024, 2, 13, "春节 Spring Festival"),
    (2024, 2, 14, "春节 Spring Festival"), (2024, 2, 15, "春节 Spring Festival"),
    (2024, 2, 16, "春节 Spring Festival"), (2024, 2, 17, "春节 Spring Festival"),
    (2024, 4, 4, "清明节 Qingming Festival"), (2024, 4, 5, "清明节 Qingming Festival"),
    (2024, 4, 6, "清明节 Qingming Festival"),
    (2024, 5, 1, "劳动节 Labour Day"), (2024, 5, 2, "劳动节 Labour Day"),
    (2024, 5, 3, "劳动节 Labour Day"), (2024, 5, 4, "劳动节 Labour Day"),
    (2024, 5, 5, "劳动节 Labour Day"),
    (2024, 6, 8, "端午节 Dragon Boat Festival"), (2024, 6, 9, "端午节 Dragon Boat Festival"),
    (2024, 6, 10, "端午节 Dragon Boat Festival"),
    (2024, 9, 15, "中秋节 Mid-Autumn Festival"), (2024, 9, 16, "中秋节 Mid-Autumn Festival"),
    (2024, 9, 17, "中秋节 Mid-Autumn Festival"),
    (2024, 10, 1, "国庆节 National Day"), (2024, 10, 2, "国庆节 National Day"),
    (2024, 10, 3, "国庆节 National Day"), (2024, 10, 4, "国庆节 National Day"),
    (2024, 10, 5, "国庆节 National Day"), (2024, 10, 6, "国庆节 National Day"),
    (2024, 10, 7, "国庆节 National Day"),
    // 2025
    (2025, 1, 1, "元旦 New Year's Day"),
    (2025, 1, 28, "春节 Spring Festival"), (2025, 1, 29, "春节 Spring Festival"),
    (2025, 1, 30, "春节 Spring Festival"), (2025, 1, 31, "春节 Spring Festival"),
    (2025, 2, 1, "春节 Spring Festival"), (2025, 2, 2, "春节 Spring Festival"),
    (2025, 2, 3, "春节 Spring Festival"), (2025, 2, 4, "春节 Spring Festival"),
    (2025, 4, 4, "清明节 Qingming Festival"), (2025, 4, 5, "清明节 Qingming Festival"),
    (2025, 4, 6, "清明节 Qingming Festival"),
    (2025, 5, 1, "劳动节 Labour Day"), (2025, 5, 2, "劳动节 Labour Day"),
    (2025, 5, 3, "劳动节 Labour Day"), (2025, 5, 4, "劳动节 Labour Day"),
    (2025, 5, 5, "劳动节 Labour Day"),
    (2025, 5, 31, "端午节 Dragon Boat Festival"), (2025, 6, 1, "端午节 Dragon Boat Festival"),
    (2025, 6, 2, "端午节 Dragon Boat Festival"),
    (2025, 10, 1, "国庆节、中秋节 National Day and Mid-Autumn Festival"),
    (2025, 10, 2, "国庆节、中秋节 National Day and Mid-Autumn Festival"),
    (2025, 10, 3, "国庆节、中秋节 National Day and Mid-Autumn Festival"),
    (2025, 10, 4, "国庆节、中秋节 National Day and Mid-Autumn Festival"),
    (2025, 10, 5, "国庆节、中秋节 National Day and Mid-Autumn Festival"),
    (2025, 10, 6, "国庆节、中秋节 National Day and Mid-Autumn Festival"),
    (2025, 10, 7, "国庆节、中秋节 National Day and Mid-Autumn Festival"),
    (2025, 10, 8, "国庆节、中秋节 National Day and Mid-Autumn Festival"),
    // 2026
    (2026, 1, 1, "元旦 New Year's Day"), (2026, 1, 2, "元旦 New Year's Day"),
    (2026, 1, 3, "元旦 New Year's Day"),
    (2026, 2, 15, "春节 Spring Festival"), (2026, 2, 16, "春节 Spring Festival"),
    (2026, 2, 17, "春节 Spring Festival"), (2026, 2, 18, "春节 Spring Festival"),
    (2026, 2, 19, "春节 Spring Festival"), (2026, 2, 20, "春节 Spring Festival"),
    (2026, 2, 21, "春节 Spring Festival"), (2026, 2, 22, "春节 Spring Festival"),
    (2026, 2, 23, "春节 Spring Festival"),
    (2026, 4, 4, "清明节 Qingming Festival"), (2026, 4, 5, "清明节 Qingming Festival"),
    (2026, 4, 6, "清明节 Qingming Festival"),
    (2026, 5, 1, "劳动节 Labour Day"), (2026, 5, 2, "劳动节 Labour Day"),
    (2026, 5, 3, "劳动节 Labour Day"), (2026, 5, 4, "劳动节 Labour Day"),
    (2026, 5, 5, "劳动节 Labour Day"),
    (2026, 6, 19, "端午节 Dragon Boat Festival"), (2026, 6, 20, "端午节 Dragon Boat Festival"),
    (2026, 6, 21, "端午节 Dragon Boat Festival"),
    (2026, 9, 25, "中秋节 Mid-Autumn Festival"), (2026, 9, 26, "中秋节 Mid-Autumn Festival"),
    (2026, 9, 27, "中秋节 Mid-Autumn Festival"),
    (2026, 10, 1, "国庆节 National Day"), (2026, 10, 2, "国庆节 National Day"),
    (2026, 10, 3, "国庆节 National Day"), (2026, 10, 4, "国庆节 National Day"),
    (2026, 10, 5, "国庆节 National Day"), (2026, 10, 6, "国庆节 National Day"),
    (2026, 10, 7, "国庆节 National Day"),
];

/// Saturdays and Sundays the notices declare working days (调休上班).
#[rustfmt::skip]
const MAKE_UP_WORKING_DAYS: &[(i32, u32, u32, &str)] = &[
    (2024, 2, 4, "春节调休"), (2024, 2, 18, "春节调休"),
    (2024, 4, 7, "清明节调休"),
    (2024, 4, 28, "劳动节调休"), (2024, 5, 11, "劳动节调休"),
    (2024, 9, 14, "中秋节调休"),
    (2024, 9, 29, "国庆节调休"), (2024, 10, 12, "国庆节调休"),
    (2025, 1, 26, "春节调休"), (2025, 2, 8, "春节调休"),
    (2025, 4, 27, "劳动节调休"),
    (2025, 9, 28, "国庆节调休"), (2025, 10, 11, "国庆节调休"),
    (2026, 1, 4, "元旦调休"),
    (2026, 2, 14, "春节调休"), (2026, 2, 28, "春节调休"),
    (2026, 5, 9, "劳动节调休"),
    (2026, 9, 20, "国庆节调休"), (2026, 10, 10, "国庆节调休"),
];

pub(super) fn holiday(date: NaiveDate) -> Option<&'static str> {
    super::table_lookup(HOLIDAYS, date)
}

pub(super) fn is_make_up_working_day(date: NaiveDate) -> bool {
    super::table_lookup(MAKE_UP_WORKING_DAYS, date).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, Weekday};

    #[test]
    fn make_up_days_are_all_weekend_days() {
        for (y, m, d, _) in MAKE_UP_WORKING_DAYS {
            let day = NaiveDate::from_ymd_opt(*y, *m, *d).unwrap();
            assert!(
                matches!(day.weekday(), Weekday::Sat | Weekday::Sun),
                "{day}"
            );
        }
    }

    #[test]
    fn no_day_is_both_holiday_and_working_day() {
        for (y, m, d, _) in MAKE_UP_WORKING_DAYS {
            assert!(holiday(NaiveDate::from_ymd_opt(*y, *m, *d).unwrap()).is_none());
        }
    }
}
