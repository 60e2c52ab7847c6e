//! Singapore public holidays.
//!
//! Source: Ministry of Manpower, "Public holidays for 2024", "... for 2025",
//! "... for 2026" (mom.gov.sg), and "Public Holidays for 2027", press release
//! of 18 June 2026 (mom.gov.sg/newsroom/press-releases/2026/0618-public-holidays-for-2027),
//! under the Holidays Act 1998. When a holiday falls on a Sunday, the next
//! day is a public holiday and is listed here as "(in lieu)". Holidays
//! falling on a Saturday have no day in lieu (in 2027: Chinese New Year's
//! first day, Labour Day and Christmas Day). Polling Day of the 2025 General
//! Election (3 May 2025) was a public holiday. MOM publishes each year's
//! dates about a year ahead; Hari Raya Puasa and Hari Raya Haji are set by
//! MUIS and MOM may revise them, as it did for 2022. Years after 2027 are
//! counted provisionally (see the module above) until MOM announces them.

use std::ops::RangeInclusive;

use chrono::NaiveDate;

pub(super) const COVERED: RangeInclusive<i32> = 2024..=2027;

#[rustfmt::skip]
const PUBLIC_HOLIDAYS: &[(i32, u32, u32, &str)] = &[
    (2024, 1, 1, "New Year's Day"),
    (2024, 2, 10, "Chinese New Year"),
    (2024, 2, 11, "Chinese New Year"),
    (2024, 2, 12, "Chinese New Year (in lieu)"),
    (2024, 3, 29, "Good Friday"),
    (2024, 4, 10, "Hari Raya Puasa"),
    (2024, 5, 1, "Labour Day"),
    (2024, 5, 22, "Vesak Day"),
    (2024, 6, 17, "Hari Raya Haji"),
    (2024, 8, 9, "National Day"),
    (2024, 10, 31, "Deepavali"),
    (2024, 12, 25, "Christmas Day"),
    (2025, 1, 1, "New Year's Day"),
    (2025, 1, 29, "Chinese New Year"),
    (2025, 1, 30, "Chinese New Year"),
    (2025, 3, 31, "Hari Raya Puasa"),
    (2025, 4, 18, "Good Friday"),
    (2025, 5, 1, "Labour Day"),
    (2025, 5, 3, "Polling Day"),
    (2025, 5, 12, "Vesak Day"),
    (2025, 6, 7, "Hari Raya Haji"),
    (2025, 8, 9, "National Day"),
    (2025, 10, 20, "Deepavali"),
    (2025, 12, 25, "Christmas Day"),
    (2026, 1, 1, "New Year's Day"),
    (2026, 2, 17, "Chinese New Year"),
    (2026, 2, 18, "Chinese New Year"),
    (2026, 3, 21, "Hari Raya Puasa"),
    (2026, 4, 3, "Good Friday"),
    (2026, 5, 1, "Labour Day"),
    (2026, 5, 27, "Hari Raya Haji"),
    (2026, 5, 31, "Vesak Day"),
    (2026, 6, 1, "Vesak Day (in lieu)"),
    (2026, 8, 9, "National Day"),
    (2026, 8, 10, "National Day (in lieu)"),
    (2026, 11, 8, "Deepavali"),
    (2026, 11, 9, "Deepavali (in lieu)"),
    (2026, 12, 25, "Christmas Day"),
    (2027, 1, 1, "New Year's Day"),
    (2027, 2, 6, "Chinese New Year"),
    (2027, 2, 7, "Chinese New Year"),
    (2027, 2, 8, "Chinese New Year (in lieu)"),
    (2027, 3, 10, "Hari Raya Puasa"),
    (2027, 3, 26, "Good Friday"),
    (2027, 5, 1, "Labour Day"),
    (2027, 5, 17, "Hari Raya Haji"),
    (2027, 5, 20, "Vesak Day"),
    (2027, 8, 9, "National Day"),
    (2027, 10, 28, "Deepavali"),
    (2027, 12, 25, "Christmas Day"),
];

pub(super) fn holiday(date: NaiveDate) -> Option<&'static str> {
    super::table_lookup(PUBLIC_HOLIDAYS, date)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, Days, Weekday};

    #[test]
    fn every_year_has_its_eleven_gazetted_holidays() {
        for year in COVERED {
            let gazetted = PUBLIC_HOLIDAYS
                .iter()
                .filter(|(y, _, _, name)| *y == year && !name.contains("in lieu"))
                .filter(|(_, _, _, name)| *name != "Polling Day")
                .count();
            assert_eq!(gazetted, 11, "{year}");
        }
    }

    #[test]
    fn every_sunday_holiday_has_a_monday_in_lieu() {
        for (y, m, d, name) in PUBLIC_HOLIDAYS {
            let day = NaiveDate::from_ymd_opt(*y, *m, *d).unwrap();
            if day.weekday() == Weekday::Sun {
                let monday = day + Days::new(1);
                assert!(
                    holiday(monday).is_some(),
                    "{name} on {day} has no day in lieu"
                );
            }
        }
    }
}
