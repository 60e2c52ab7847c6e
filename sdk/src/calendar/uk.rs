//! England & Wales bank holidays.
//!
//! Source: GOV.UK "UK bank holidays" (gov.uk/bank-holidays), England and Wales
//! list, which gives substitute days when a holiday falls on a weekend.
//! DISP's "business day" excludes Saturdays, Sundays, Christmas Day, Good
//! Friday and bank holidays in the relevant part of the UK; Scotland and
//! Northern Ireland have different bank holidays and are not modelled here.

use std::ops::RangeInclusive;

use chrono::NaiveDate;

pub(super) const COVERED: RangeInclusive<i32> = 2024..=2027;

#[rustfmt::skip]
const BANK_HOLIDAYS: &[(i32, u32, u32, &str)] = &[
    (2024, 1, 1, "New Year's Day"),
    (2024, 3, 29, "Good Friday"),
    (2024, 4, 1, "Easter Monday"),
    (2024, 5, 6, "Early May bank holiday"),
    (2024, 5, 27, "Spring bank holiday"),
    (2024, 8, 26, "Summer bank holiday"),
    (2024, 12, 25, "Christmas Day"),
    (2024, 12, 26, "Boxing Day"),
    (2025, 1, 1, "New Year's Day"),
    (2025, 4, 18, "Good Friday"),
    (2025, 4, 21, "Easter Monday"),
    (2025, 5, 5, "Early May bank holiday"),
    (2025, 5, 26, "Spring bank holiday"),
    (2025, 8, 25, "Summer bank holiday"),
    (2025, 12, 25, "Christmas Day"),
    (2025, 12, 26, "Boxing Day"),
    (2026, 1, 1, "New Year's Day"),
    (2026, 4, 3, "Good Friday"),
    (2026, 4, 6, "Easter Monday"),
    (2026, 5, 4, "Early May bank holiday"),
    (2026, 5, 25, "Spring bank holiday"),
    (2026, 8, 31, "Summer bank holiday"),
    (2026, 12, 25, "Christmas Day"),
    (2026, 12, 28, "Boxing Day (substitute day)"),
    (2027, 1, 1, "New Year's Day"),
    (2027, 3, 26, "Good Friday"),
    (2027, 3, 29, "Easter Monday"),
    (2027, 5, 3, "Early May bank holiday"),
    (2027, 5, 31, "Spring bank holiday"),
    (2027, 8, 30, "Summer bank holiday"),
    (2027, 12, 27, "Christmas Day (substitute day)"),
    (2027, 12, 28, "Boxing Day (substitute day)"),
];

pub(super) fn holiday(date: NaiveDate) -> Option<&'static str> {
    super::table_lookup(BANK_HOLIDAYS, date)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::easter::easter_sunday;
    use chrono::Days;

    #[test]
    fn table_agrees_with_easter_for_every_covered_year() {
        for year in COVERED {
            let easter = easter_sunday(year);
            assert_eq!(holiday(easter - Days::new(2)), Some("Good Friday"));
            assert_eq!(holiday(easter + Days::new(1)), Some("Easter Monday"));
        }
    }

    #[test]
    fn eight_holidays_a_year() {
        for year in COVERED {
            assert_eq!(BANK_HOLIDAYS.iter().filter(|row| row.0 == year).count(), 8);
        }
    }
}
