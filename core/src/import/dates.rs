//! Dates as CFPB exports carry them after passing through spreadsheets:
//! `2020-03-18`, `2020/3/18`, `03/22/23`, `9/24/19`, and `2019-09-23T12:00:00-05:00`.

use chrono::{DateTime, NaiveDate, Utc};

/// Reads one date or date-time; a bare date is taken as midnight UTC.
pub fn parse(value: &str) -> Option<DateTime<Utc>> {
    let value = value.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(value) {
        return Some(at.with_timezone(&Utc));
    }
    parse_date(value).map(|d| d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc())
}

fn parse_date(value: &str) -> Option<NaiveDate> {
    let sep = if value.contains('-') { '-' } else { '/' };
    let parts: Vec<&str> = value.split(sep).collect();
    let [a, b, c] = parts.as_slice() else {
        return None;
    };
    let num = |s: &str| -> Option<u32> {
        (!s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())?
    };
    let (year, month, day) = if a.len() == 4 {
        (num(a)? as i32, num(b)?, num(c)?)
    } else {
        // US order, month first; a two-digit year is this century (the database starts in 2011).
        let year = match c.len() {
            2 => 2000 + num(c)? as i32,
            4 => num(c)? as i32,
            _ => return None,
        };
        (year, num(a)?, num(b)?)
    };
    NaiveDate::from_ymd_opt(year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Option<String> {
        parse(s).map(|d| d.format("%Y-%m-%d %H:%M").to_string())
    }

    #[test]
    fn reads_every_shape_found_in_real_exports() {
        assert_eq!(day("2020-03-18").as_deref(), Some("2020-03-18 00:00"));
        assert_eq!(day("2020/3/18").as_deref(), Some("2020-03-18 00:00"));
        assert_eq!(day("03/22/23").as_deref(), Some("2023-03-22 00:00"));
        assert_eq!(day("9/24/19").as_deref(), Some("2019-09-24 00:00"));
        assert_eq!(day("12/31/2019").as_deref(), Some("2019-12-31 00:00"));
        assert_eq!(
            day("2019-09-23T12:00:00-05:00").as_deref(),
            Some("2019-09-23 17:00")
        );
    }

    #[test]
    fn refuses_impossible_or_foreign_dates() {
        for bad in [
            "",
            "None",
            "2020/2/30",
            "13/01/20",
            "2020.03.18",
            "18 March 2020",
            "1/2",
        ] {
            assert_eq!(day(bad), None, "{bad}");
        }
    }
}
