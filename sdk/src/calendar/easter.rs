//! Western (Gregorian) Easter Sunday, for the holidays that move with it.

use chrono::NaiveDate;

/// Easter Sunday of `year` in the Gregorian calendar, by the anonymous
/// Gregorian computus (Meeus/Jones/Butcher form).
pub(super) fn easter_sunday(year: i32) -> NaiveDate {
    let golden = year % 19;
    let century = year / 100;
    let in_century = year % 100;
    let leap_skips = century / 4;
    let century_rest = century % 4;
    let moon_fix = (century + 8) / 25;
    let moon_corr = (century - moon_fix + 1) / 3;
    let epact = (19 * golden + century - leap_skips - moon_corr + 15) % 30;
    let quad = in_century / 4;
    let rest = in_century % 4;
    let weekday = (32 + 2 * century_rest + 2 * quad - epact - rest) % 7;
    let shift = (golden + 11 * epact + 22 * weekday) / 451;
    let month = (epact + weekday - 7 * shift + 114) / 31;
    let day = (epact + weekday - 7 * shift + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32)
        .expect("the computus always yields a date in March or April")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_easter_sundays() {
        for (year, month, day) in [
            (2024, 3, 31),
            (2025, 4, 20),
            (2026, 4, 5),
            (2027, 3, 28),
            (2038, 4, 25),
        ] {
            assert_eq!(
                easter_sunday(year),
                NaiveDate::from_ymd_opt(year, month, day).unwrap()
            );
        }
    }
}
