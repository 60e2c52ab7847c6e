//! US federal holidays.
//!
//! Source: 5 U.S.C. 6103(a) (the eleven legal public holidays, Juneteenth
//! added in 2021) and the OPM rule for weekend dates (Executive Order 11582):
//! a holiday on a Saturday is observed the Friday before, one on a Sunday the
//! Monday after. So 1 January 2028, a Saturday, is observed on Friday
//! 31 December 2027. Banks following the Federal Reserve calendar do not
//! close on that Friday; this calendar follows OPM.

use std::ops::RangeInclusive;

use chrono::{Datelike, Days, NaiveDate, Weekday};

pub(super) const COVERED: RangeInclusive<i32> = 2022..=2035;

fn nth(year: i32, month: u32, weekday: Weekday, n: u8) -> NaiveDate {
    NaiveDate::from_weekday_of_month_opt(year, month, weekday, n)
        .expect("every month has a first to fourth weekday")
}

fn last(year: i32, month: u32, weekday: Weekday) -> NaiveDate {
    NaiveDate::from_weekday_of_month_opt(year, month, weekday, 5)
        .unwrap_or_else(|| nth(year, month, weekday, 4))
}

fn fixed(year: i32, month: u32, day: u32) -> NaiveDate {
    let date = NaiveDate::from_ymd_opt(year, month, day).expect("fixed holiday dates exist");
    match date.weekday() {
        Weekday::Sat => date - Days::new(1),
        Weekday::Sun => date + Days::new(1),
        _ => date,
    }
}

fn observed_in(year: i32) -> [(NaiveDate, &'static str); 11] {
    [
        (fixed(year, 1, 1), "New Year's Day"),
        (
            nth(year, 1, Weekday::Mon, 3),
            "Birthday of Martin Luther King, Jr.",
        ),
        (nth(year, 2, Weekday::Mon, 3), "Washington's Birthday"),
        (last(year, 5, Weekday::Mon), "Memorial Day"),
        (fixed(year, 6, 19), "Juneteenth National Independence Day"),
        (fixed(year, 7, 4), "Independence Day"),
        (nth(year, 9, Weekday::Mon, 1), "Labor Day"),
        (nth(year, 10, Weekday::Mon, 2), "Columbus Day"),
        (fixed(year, 11, 11), "Veterans Day"),
        (nth(year, 11, Weekday::Thu, 4), "Thanksgiving Day"),
        (fixed(year, 12, 25), "Christmas Day"),
    ]
}

pub(super) fn holiday(date: NaiveDate) -> Option<&'static str> {
    // Next year's New Year's Day can be observed on 31 December.
    observed_in(date.year())
        .into_iter()
        .chain(observed_in(date.year() + 1))
        .find(|(day, _)| *day == date)
        .map(|(_, name)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn opm_2025_list() {
        let expected = [
            (1, 1),
            (1, 20),
            (2, 17),
            (5, 26),
            (6, 19),
            (7, 4),
            (9, 1),
            (10, 13),
            (11, 11),
            (11, 27),
            (12, 25),
        ];
        for (m, d) in expected {
            assert!(holiday(date(2025, m, d)).is_some(), "2025-{m}-{d}");
        }
    }

    #[test]
    fn saturday_new_year_2028_is_observed_on_friday_31_december_2027() {
        assert_eq!(holiday(date(2027, 12, 31)), Some("New Year's Day"));
        assert_eq!(holiday(date(2028, 1, 1)), None);
    }

    #[test]
    fn sunday_independence_day_2027_is_observed_on_monday() {
        assert_eq!(holiday(date(2027, 7, 5)), Some("Independence Day"));
    }
}
