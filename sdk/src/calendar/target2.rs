//! TARGET2 (T2) closing days, used as the EU-wide business-day calendar.
//!
//! Source: European Central Bank, "TARGET Holidays": besides Saturdays and
//! Sundays, T2 is closed on New Year's Day, Good Friday, Easter Monday,
//! 1 May (Labour Day), Christmas Day and 26 December. There are no substitute
//! days. A firm that counts business days against one member state's public
//! holidays should use that state's calendar instead; this one is the only
//! calendar common to the euro area's payment systems.

use std::ops::RangeInclusive;

use chrono::{Datelike, Days, NaiveDate};

use super::easter::easter_sunday;

pub(super) const COVERED: RangeInclusive<i32> = 2022..=2035;

pub(super) fn holiday(date: NaiveDate) -> Option<&'static str> {
    let easter = easter_sunday(date.year());
    if date == easter - Days::new(2) {
        return Some("Good Friday");
    }
    if date == easter + Days::new(1) {
        return Some("Easter Monday");
    }
    match (date.month(), date.day()) {
        (1, 1) => Some("New Year's Day"),
        (5, 1) => Some("Labour Day"),
        (12, 25) => Some("Christmas Day"),
        (12, 26) => Some("Christmas Holiday"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closing_days_2026() {
        let closed = [(1, 1), (4, 3), (4, 6), (5, 1), (12, 25), (12, 26)];
        for (m, d) in closed {
            assert!(holiday(NaiveDate::from_ymd_opt(2026, m, d).unwrap()).is_some());
        }
        assert!(holiday(NaiveDate::from_ymd_opt(2026, 5, 25).unwrap()).is_none());
    }
}
