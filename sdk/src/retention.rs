//! How long complaint records are kept (WIT `retention-period`).

use chrono::{Months, NaiveDate};

use crate::host::{Host, LogLevel};

/// Configuration key: days to keep records, replacing a plugin's default where
/// the region's rules name no period.
pub const RETENTION_DAYS_KEY: &str = "retention-days";

/// What a retention period counts from (WIT `retention-anchor`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RetentionAnchor {
    /// The day the complaint was received.
    Received,
    /// The day the complaint was closed.
    Closed,
}

/// How long to keep a complaint's records (WIT `retention-period`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionPeriod {
    /// Keep for at least this many days after `anchor`.
    pub keep_for_days: u32,
    /// What the period counts from.
    pub anchor: RetentionAnchor,
    /// The rule, or why the default was chosen.
    pub rule: String,
}

/// Days from `from` to the same calendar date `years` later (29 February
/// maps to 28 February in a common year). Use it when the anchor date is known.
///
/// # Panics
///
/// Panics if the result lies beyond chrono's supported dates (year 262143).
pub fn years_from(from: NaiveDate, years: u32) -> u32 {
    let end = from
        .checked_add_months(Months::new(years * 12))
        .expect("retention end date within chrono's range");
    let days = (end - from).num_days();
    u32::try_from(days).expect("a retention period is positive and fits u32")
}

/// The longest `years` can be in days, whatever year it starts in. Use it
/// when the anchor date is not known yet (anchor `Closed`): the period never
/// ends early.
pub fn years_at_most(years: u32) -> u32 {
    // Any run of `years` consecutive years holds at most ceil(years / 4) leap days.
    years * 365 + years.div_ceil(4)
}

/// `default`, unless the operator set `retention-days` to a positive whole
/// number of days, which then replaces the period (anchor unchanged). A
/// malformed value is logged and ignored.
pub fn configured_or(host: &dyn Host, default: RetentionPeriod) -> RetentionPeriod {
    let Some(value) = host.config(RETENTION_DAYS_KEY) else {
        return default;
    };
    match value.trim().parse::<u32>() {
        Ok(days) if days > 0 => RetentionPeriod {
            keep_for_days: days,
            rule: format!(
                "operator setting retention-days={days}; default was: {}",
                default.rule
            ),
            ..default
        },
        _ => {
            host.log(
                LogLevel::Warn,
                "ignoring malformed retention-days setting",
                &[("value", value.as_str())],
            );
            default
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_years_over_a_leap_day_is_1096_days() {
        let received = NaiveDate::from_ymd_opt(2024, 1, 15).unwrap();
        assert_eq!(years_from(received, 3), 1096);
    }

    #[test]
    fn three_years_without_a_leap_day_is_1095_days() {
        let received = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
        assert_eq!(years_from(received, 3), 1095);
    }

    #[test]
    fn upper_bound_covers_every_start_year() {
        assert_eq!(years_at_most(3), 1096);
        assert_eq!(years_at_most(5), 1827);
        for year in 2020..2030 {
            let start = NaiveDate::from_ymd_opt(year, 2, 28).unwrap();
            assert!(years_from(start, 5) <= years_at_most(5));
        }
    }
}
