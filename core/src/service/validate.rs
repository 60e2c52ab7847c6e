//! Field checks shared by the use cases; each failure names the field it concerns.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};

use crate::domain::Money;
use crate::domain::money::{MoneyError, MoneyInput};
use crate::error::ServiceError;

/// Trims a required text field and checks its length in characters.
pub fn required_text(field: &str, value: &str, max: usize) -> Result<String, ServiceError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(ServiceError::invalid(
            field,
            "required",
            format!("{field} must not be empty"),
        ));
    }
    check_length(field, trimmed, max)?;
    Ok(trimmed.to_owned())
}

/// Trims an optional text field; blank becomes absent.
pub fn optional_text(
    field: &str,
    value: Option<&str>,
    max: usize,
) -> Result<Option<String>, ServiceError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => {
            check_length(field, v, max)?;
            Ok(Some(v.to_owned()))
        }
    }
}

/// A department's name as tasks, complaints and NATS subjects take it (letters, digits,
/// `_`, `-`), so a complaint's department can be asked as one.
pub fn department_name(field: &str, name: &str) -> Result<(), ServiceError> {
    if crate::config::is_department_name(name) {
        return Ok(());
    }
    Err(ServiceError::invalid(
        field,
        "invalid_department",
        "a department name is 1 to 64 letters, digits, _ or -",
    ))
}

/// The department a complaint is routed to, if any: [`department_name`] once trimmed.
pub fn department(field: &str, value: Option<&str>) -> Result<Option<String>, ServiceError> {
    let value = optional_text(field, value, 64)?;
    if let Some(name) = &value {
        department_name(field, name)?;
    }
    Ok(value)
}

/// A query parameter matched as given: checked for length and control characters but not
/// trimmed, since it is compared with stored values exactly. PostgreSQL refuses a NUL in
/// text, so one must never reach the query.
pub fn parameter_text(field: &str, value: &str, max: usize) -> Result<(), ServiceError> {
    check_length(field, value, max)
}

fn check_length(field: &str, value: &str, max: usize) -> Result<(), ServiceError> {
    if value.chars().count() > max {
        return Err(ServiceError::invalid(
            field,
            "too_long",
            format!("{field} is longer than {max} characters"),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(ServiceError::invalid(
            field,
            "control_characters",
            format!("{field} contains control characters"),
        ));
    }
    Ok(())
}

/// A time that must not lie in the future (a minute of clock skew is tolerated).
pub fn not_future(field: &str, at: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), ServiceError> {
    if at > now + Duration::minutes(1) {
        return Err(ServiceError::invalid(
            field,
            "in_future",
            format!("{field} lies in the future"),
        ));
    }
    Ok(())
}

/// The first day Redress stores or searches. No complaint it handles is older, and the floor
/// keeps every date inside both databases' range and every reference year at four digits.
pub const FIRST_DAY: NaiveDate = NaiveDate::from_ymd_opt(1970, 1, 1).expect("a calendar day");
/// The last day a date filter may name, the last of four-digit years.
pub const LAST_DAY: NaiveDate = NaiveDate::from_ymd_opt(9999, 12, 31).expect("a calendar day");

/// A time no earlier than [`FIRST_DAY`].
pub fn not_before_first_day(field: &str, at: DateTime<Utc>) -> Result<(), ServiceError> {
    if at < FIRST_DAY.and_time(NaiveTime::MIN).and_utc() {
        return Err(ServiceError::invalid(
            field,
            "too_early",
            format!("{field} lies before {FIRST_DAY}"),
        ));
    }
    Ok(())
}

/// A day written `YYYY-MM-DD` (chrono's signed, longer years too: `+10000-01-01`), which a
/// date filter may name from [`FIRST_DAY`] to [`LAST_DAY`]. A well-formed day outside that
/// range is `out_of_range`, whatever its year's width; text that is no day is
/// `invalid_value`.
pub fn day(field: &str, text: &str) -> Result<NaiveDate, ServiceError> {
    let not_a_day = || {
        ServiceError::invalid(
            field,
            "invalid_value",
            format!("{field} is not a day written YYYY-MM-DD"),
        )
    };
    let out_of_range = || {
        ServiceError::invalid(
            field,
            "out_of_range",
            format!("{field} must lie between {FIRST_DAY} and {LAST_DAY}"),
        )
    };
    let digits = |s: &str, width: Option<usize>| {
        !s.is_empty() && width.is_none_or(|w| s.len() == w) && s.bytes().all(|b| b.is_ascii_digit())
    };
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let mut parts = unsigned.splitn(3, '-');
    let (Some(year), Some(month), Some(day)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(not_a_day());
    };
    if !(digits(year, None) && digits(month, Some(2)) && digits(day, Some(2))) {
        return Err(not_a_day());
    }
    let (month, day): (u32, u32) = (
        month.parse().map_err(|_| not_a_day())?,
        day.parse().map_err(|_| not_a_day())?,
    );
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return Err(not_a_day());
    }
    if text.starts_with('-') || year.trim_start_matches('0').len() > 4 {
        return Err(out_of_range());
    }
    let year: i32 = year.parse().map_err(|_| not_a_day())?;
    let date = NaiveDate::from_ymd_opt(year, month, day).ok_or_else(not_a_day)?;
    day_in_range(field, date)
}

/// A day a date filter may name: from [`FIRST_DAY`] to [`LAST_DAY`].
pub fn day_in_range(field: &str, day: NaiveDate) -> Result<NaiveDate, ServiceError> {
    if !(FIRST_DAY..=LAST_DAY).contains(&day) {
        return Err(ServiceError::invalid(
            field,
            "out_of_range",
            format!("{field} must lie between {FIRST_DAY} and {LAST_DAY}"),
        ));
    }
    Ok(day)
}

/// An amount at `field` (`amount_disputed`): the error names `field.currency` for an unknown
/// currency and `field.amount` for anything wrong with the number.
pub fn money(field: &str, input: &MoneyInput) -> Result<Money, ServiceError> {
    Money::parse(input).map_err(|e| {
        let part = match e {
            MoneyError::UnknownCurrency | MoneyError::NotPaidOut(_) => "currency",
            MoneyError::Negative | MoneyError::TooPrecise { .. } | MoneyError::TooLarge => "amount",
        };
        ServiceError::invalid(format!("{field}.{part}"), "invalid_amount", e.to_string())
    })
}

/// An IANA time zone name such as `Europe/London`.
pub fn time_zone(field: &str, value: Option<&str>) -> Result<Option<String>, ServiceError> {
    let Some(name) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    name.parse::<chrono_tz::Tz>()
        .map(|tz| Some(tz.name().to_owned()))
        .map_err(|_| {
            ServiceError::invalid(
                field,
                "unknown_time_zone",
                format!("{field} is not an IANA time zone name"),
            )
        })
}

/// The longest language tag stored (the column's width).
const LANGUAGE_MAX: usize = 16;

/// A BCP 47 language tag of the simple kind complaints carry: `en`, `zh-Hans`, `en-GB`.
pub fn language(field: &str, value: &str) -> Result<String, ServiceError> {
    if value.trim().len() > LANGUAGE_MAX {
        return Err(ServiceError::invalid(
            field,
            "too_long",
            format!("{field} is longer than {LANGUAGE_MAX} characters"),
        ));
    }
    let mut parts = value.trim().split('-');
    let primary = parts.next().unwrap_or_default();
    let primary_ok =
        (2..=3).contains(&primary.len()) && primary.bytes().all(|b| b.is_ascii_alphabetic());
    let rest_ok =
        parts.all(|p| (2..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()));
    if !primary_ok || !rest_ok {
        return Err(ServiceError::invalid(
            field,
            "invalid_language",
            format!("{field} is not a language tag such as en or zh-Hans"),
        ));
    }
    Ok(value.trim().to_owned())
}

/// An e-mail address, checked against RFC 5322's address syntax.
pub fn email(field: &str, value: Option<&str>) -> Result<Option<String>, ServiceError> {
    let Some(address) = optional_text(field, value, 254)? else {
        return Ok(None);
    };
    if !email_address::EmailAddress::is_valid(&address) {
        return Err(ServiceError::invalid(
            field,
            "invalid_email",
            format!("{field} is not an e-mail address"),
        ));
    }
    Ok(Some(address))
}

/// Two-letter codes the US Postal Service gives states, the District of Columbia,
/// territories, freely associated states and military post offices (USPS Publication 28,
/// appendix B): the codes the CFPB's `State` column carries.
const US_STATES: [&str; 63] = [
    "AA", "AE", "AK", "AL", "AP", "AR", "AS", "AZ", "CA", "CO", "CT", "DC", "DE", "FL", "FM", "GA",
    "GU", "HI", "IA", "ID", "IL", "IN", "KS", "KY", "LA", "MA", "MD", "ME", "MH", "MI", "MN", "MO",
    "MP", "MS", "MT", "NC", "ND", "NE", "NH", "NJ", "NM", "NV", "NY", "OH", "OK", "OR", "PA", "PR",
    "PW", "RI", "SC", "SD", "TN", "TX", "UM", "UT", "VA", "VI", "VT", "WA", "WI", "WV", "WY",
];

/// A US state or territory as its USPS code, upper-cased (`ca` is stored as `CA`).
pub fn us_state(field: &str, value: Option<&str>) -> Result<Option<String>, ServiceError> {
    let Some(code) = optional_text(field, value, 64)?.map(|c| c.to_ascii_uppercase()) else {
        return Ok(None);
    };
    if US_STATES.binary_search(&code.as_str()).is_err() {
        return Err(ServiceError::invalid(
            field,
            "invalid_state",
            format!("{field} is not a US state or territory code such as CA or PR"),
        ));
    }
    Ok(Some(code))
}

/// A telephone number as people write it: `+44 20 7946 0958`, `(555) 010-4477 ext. 12`.
/// Only its shape is checked (digits with `+`, spaces, `-`, `.`, `/` and brackets, 5 to 15
/// digits as E.164 allows, then an optional extension), not whether it is assigned.
pub fn phone(field: &str, value: Option<&str>) -> Result<Option<String>, ServiceError> {
    let Some(number) = optional_text(field, value, 32)? else {
        return Ok(None);
    };
    let lower = number.to_ascii_lowercase();
    let (main, extension) = match lower.find(|c: char| c.is_ascii_alphabetic()) {
        None => (lower.as_str(), None),
        Some(at) => {
            let rest = &lower[at..];
            let digits = ["extension", "ext.", "ext", "x"]
                .iter()
                .find_map(|word| rest.strip_prefix(word))
                .map(str::trim_start);
            (&lower[..at], Some(digits.unwrap_or(rest)))
        }
    };
    let digits = main.bytes().filter(u8::is_ascii_digit).count();
    let main_ok = main
        .trim_start()
        .trim_start_matches('+')
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b' ' | b'-' | b'.' | b'/' | b'(' | b')'))
        && (5..=15).contains(&digits);
    let extension_ok = extension
        .is_none_or(|e| (1..=6).contains(&e.len()) && e.bytes().all(|b| b.is_ascii_digit()));
    if !main_ok || !extension_ok {
        return Err(ServiceError::invalid(
            field,
            "invalid_phone",
            format!("{field} is not a telephone number such as +44 20 7946 0958"),
        ));
    }
    Ok(Some(number))
}

/// An institution slug: 1 to 64 of `a-z`, `0-9` and `-`, starting with a letter or digit.
pub fn institution(field: &str, value: &str) -> Result<String, ServiceError> {
    let v = value.trim();
    let ok = !v.is_empty()
        && v.len() <= 64
        && !v.starts_with('-')
        && v.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !ok {
        return Err(ServiceError::invalid(
            field,
            "invalid_institution",
            format!("{field} is 1 to 64 of a-z, 0-9 and -"),
        ));
    }
    Ok(v.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code<T>(result: Result<T, ServiceError>) -> &'static str {
        match result {
            Ok(_) => "ok",
            Err(ServiceError::Invalid { code, .. }) => code,
            Err(_) => "other",
        }
    }

    #[test]
    fn days_out_of_range_are_told_from_text_that_is_no_day() {
        assert_eq!(
            day("d", "2020-02-29").unwrap(),
            NaiveDate::from_ymd_opt(2020, 2, 29).unwrap()
        );
        assert_eq!(code(day("d", "9999-12-31")), "ok");
        assert_eq!(code(day("d", "1970-01-01")), "ok");
        for out in [
            "10000-01-01",
            "+10000-01-01",
            "+262142-12-31",
            "-5000-01-01",
            "1969-12-31",
            "0999-06-30",
        ] {
            assert_eq!(code(day("d", out)), "out_of_range", "{out}");
        }
        for bad in [
            "2020-13-01",
            "2020-02-30",
            "2020-1-01",
            "yesterday",
            "",
            "2020-01-01T00:00",
        ] {
            assert_eq!(code(day("d", bad)), "invalid_value", "{bad}");
        }
    }

    #[test]
    fn phone_numbers_are_taken_as_people_write_them() {
        for good in [
            "+44 20 7946 0958",
            "(555) 010-4477",
            "555.010.4477 ext. 12",
            "+1 555 010 4477 x7",
            "+65 6123 4567",
            "+86 10 1234 5678",
            "0044/20/7946/0958",
        ] {
            assert_eq!(phone("p", Some(good)).unwrap().as_deref(), Some(good));
        }
        assert_eq!(phone("p", Some("  ")).unwrap(), None);
        for bad in [
            "call me",
            "1234",
            "+1 555 010 4477 99999999",
            "555-0104 ext",
            "555-0104 ext. twelve",
            "555_010_4477",
            "+44 20 7946 0958 #3",
        ] {
            assert_eq!(code(phone("p", Some(bad))), "invalid_phone", "{bad}");
        }
    }

    #[test]
    fn states_are_usps_codes_in_capitals() {
        assert_eq!(us_state("s", Some(" ca ")).unwrap().as_deref(), Some("CA"));
        assert_eq!(us_state("s", Some("AE")).unwrap().as_deref(), Some("AE"));
        assert_eq!(us_state("s", None).unwrap(), None);
        for bad in ["ZZ", "C", "California", "UK", "C4"] {
            assert_eq!(code(us_state("s", Some(bad))), "invalid_state", "{bad}");
        }
    }
}
