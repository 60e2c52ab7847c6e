//! Business-day calendars: per-region public holidays and time zones.
//!
//! Each region has one calendar, chosen because it is the one its complaint
//! rules count business days against:
//!
//! | region | holidays | time zone | years |
//! |---|---|---|---|
//! | US | federal holidays, 5 U.S.C. 6103, weekend dates observed as OPM does | America/New_York | 2022–2035 (rule) |
//! | UK | England & Wales bank holidays, GOV.UK | Europe/London | 2024–2027 (table) |
//! | EU | TARGET2 (T2) closing days, European Central Bank | Europe/Brussels | 2022–2035 (rule) |
//! | CN | State Council holiday notices, with make-up working days | Asia/Shanghai | 2024–2026 (table) |
//! | SG | MOM gazetted public holidays, with days in lieu | Asia/Singapore | 2024–2027 (table) |
//!
//! Rule-based calendars stop at 2035 so that a statutory change (the US added
//! Juneteenth in 2021) is reviewed rather than silently missed. Table-based
//! calendars end at the last year the authority has published.
//!
//! Two ways to ask about a year a calendar does not cover:
//!
//! - the exact questions ([`BusinessCalendar::is_business_day`],
//!   [`BusinessCalendar::holiday`], [`BusinessCalendar::add_business_days`])
//!   return [`CalendarError::YearNotCovered`], never a guess;
//! - the counting questions deadlines use ([`BusinessCalendar::counted_day`],
//!   [`BusinessCalendar::add_business_days_counted`], and
//!   [`DeadlineClock`](crate::clock::DeadlineClock) built on them) answer
//!   *provisionally*: a day the calendar cannot know counts as a working day
//!   unless it is a weekend, and in China, where a weekend day can be a make-up
//!   working day, every such day counts. Holidays only ever remove working
//!   days, so a period counted this way ends no later than the true one; the
//!   answer says it is provisional so the deadline can say so too.
//!
//! No maintained crate covers all five calendars (including China's make-up
//! working days), so the tables live here with their sources beside them.
//!
//! Operators can add a year before a new SDK release ships its table: see
//! [`BusinessCalendar::from_host`] and its `calendar.*` configuration keys.

mod cn;
mod easter;
mod sg;
mod target2;
mod uk;
mod us;

use std::ops::RangeInclusive;

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

use crate::complaint::Timestamp;
use crate::host::Host;

/// A region whose complaint rules Redress ships a calendar for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Region {
    /// United States.
    Us,
    /// United Kingdom (England & Wales bank holidays).
    Uk,
    /// European Union (TARGET2 closing days).
    Eu,
    /// Mainland China.
    Cn,
    /// Singapore.
    Sg,
}

impl Region {
    /// The region code used in complaints: "US", "UK", "EU", "CN", "SG".
    pub fn code(self) -> &'static str {
        match self {
            Region::Us => "US",
            Region::Uk => "UK",
            Region::Eu => "EU",
            Region::Cn => "CN",
            Region::Sg => "SG",
        }
    }

    /// Parses a region code, accepting "GB" for the UK; case is ignored.
    pub fn from_code(code: &str) -> Option<Region> {
        match code.to_ascii_uppercase().as_str() {
            "US" => Some(Region::Us),
            "UK" | "GB" => Some(Region::Uk),
            "EU" => Some(Region::Eu),
            "CN" => Some(Region::Cn),
            "SG" => Some(Region::Sg),
            _ => None,
        }
    }

    /// The time zone the region's rules are counted in unless configured otherwise.
    pub fn default_time_zone(self) -> Tz {
        match self {
            Region::Us => chrono_tz::America::New_York,
            Region::Uk => chrono_tz::Europe::London,
            Region::Eu => chrono_tz::Europe::Brussels,
            Region::Cn => chrono_tz::Asia::Shanghai,
            Region::Sg => chrono_tz::Asia::Singapore,
        }
    }

    fn covered_years(self) -> RangeInclusive<i32> {
        match self {
            Region::Us => us::COVERED,
            Region::Uk => uk::COVERED,
            Region::Eu => target2::COVERED,
            Region::Cn => cn::COVERED,
            Region::Sg => sg::COVERED,
        }
    }

    /// Whether the region's calendar turns some weekend days into working days
    /// (China's 调休上班日), which a count without the year's table cannot know.
    pub fn has_make_up_working_days(self) -> bool {
        self == Region::Cn
    }

    /// The name of the calendar, for messages.
    pub fn calendar_name(self) -> &'static str {
        match self {
            Region::Us => "US federal",
            Region::Uk => "England & Wales",
            Region::Eu => "TARGET2",
            Region::Cn => "China State Council",
            Region::Sg => "Singapore MOM",
        }
    }
}

/// Why a calendar question could not be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// The date's year is outside the calendar's published data.
    #[error("the {calendar} holiday calendar covers {first} to {last}; {year} is outside it")]
    YearNotCovered {
        /// Which calendar.
        calendar: &'static str,
        /// The year asked about.
        year: i32,
        /// First covered year.
        first: i32,
        /// Last covered year.
        last: i32,
    },
    /// A timestamp chrono cannot represent.
    #[error("timestamp {0} ms is outside the representable date range")]
    TimestampOutOfRange(Timestamp),
    /// A time zone name that is not in the IANA database.
    #[error("unknown IANA time zone {0:?}")]
    UnknownTimeZone(String),
    /// An operator-supplied holiday setting that does not parse.
    #[error("calendar setting {key}: {problem}")]
    InvalidSetting {
        /// The configuration key.
        key: &'static str,
        /// What is wrong with it.
        problem: String,
    },
}

/// How one day counts towards a deadline; see [`BusinessCalendar::counted_day`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountedDay {
    /// Whether the day counts as a business day.
    pub business: bool,
    /// Whether the year has no holiday data, so `business` is the
    /// conservative guess rather than the calendar's answer.
    pub provisional: bool,
}

/// A date reached by counting, and whether the count crossed a year the
/// calendar has no data for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted {
    /// The date reached.
    pub date: NaiveDate,
    /// The first year counted without holiday data, if any; the date is then
    /// provisional, and never later than the one the published table gives.
    pub unpublished_year: Option<i32>,
}

impl Counted {
    /// A date reached without crossing any year lacking data.
    pub fn exact(date: NaiveDate) -> Self {
        Self {
            date,
            unpublished_year: None,
        }
    }

    /// Whether the count used a provisional answer.
    pub fn is_provisional(&self) -> bool {
        self.unpublished_year.is_some()
    }

    pub(crate) fn note(&mut self, day: CountedDay, date: NaiveDate) {
        if day.provisional && self.unpublished_year.is_none() {
            self.unpublished_year = Some(date.year());
        }
    }
}

/// Holidays an operator added through configuration, for years the built-in
/// tables do not cover yet (or to correct them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Overlay {
    years: Vec<i32>,
    holidays: Vec<NaiveDate>,
    working_days: Vec<NaiveDate>,
}

/// Configuration key: IANA zone to count days in instead of the region's default.
pub const TIME_ZONE_KEY: &str = "time-zone";
/// Configuration key: comma-separated years the operator vouches for, e.g. "2027".
pub const EXTRA_YEARS_KEY: &str = "calendar.extra-years";
/// Configuration key: comma-separated ISO dates that are public holidays.
pub const EXTRA_HOLIDAYS_KEY: &str = "calendar.extra-holidays";
/// Configuration key: comma-separated ISO dates of weekend days that are
/// working days (China's make-up days).
pub const EXTRA_WORKING_DAYS_KEY: &str = "calendar.extra-working-days";

fn parse_list<T>(
    key: &'static str,
    value: Option<String>,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Vec<T>, CalendarError> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    value
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            parse(item).ok_or_else(|| CalendarError::InvalidSetting {
                key,
                problem: format!("cannot read {item:?}"),
            })
        })
        .collect()
}

/// Public holidays and local time for one region.
///
/// # Examples
///
/// ```
/// use chrono::NaiveDate;
/// use redress_sdk::calendar::{BusinessCalendar, Region};
///
/// let uk = BusinessCalendar::new(Region::Uk);
/// let good_friday = NaiveDate::from_ymd_opt(2025, 4, 18).unwrap();
/// assert!(!uk.is_business_day(good_friday)?);
/// assert_eq!(uk.holiday(good_friday)?, Some("Good Friday"));
/// # Ok::<(), redress_sdk::calendar::CalendarError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessCalendar {
    region: Region,
    time_zone: Tz,
    overlay: Overlay,
}

impl BusinessCalendar {
    /// The region's calendar in its default time zone.
    pub fn new(region: Region) -> Self {
        Self {
            region,
            time_zone: region.default_time_zone(),
            overlay: Overlay::default(),
        }
    }

    /// The region's calendar as the operator configured it for this plugin:
    ///
    /// - `time-zone`: an IANA zone replacing the region's default;
    /// - `calendar.extra-years`: years to treat as covered, e.g. "2027" once
    ///   the authority has published that year's holidays;
    /// - `calendar.extra-holidays`: ISO dates that are public holidays;
    /// - `calendar.extra-working-days`: ISO dates of weekend days that are
    ///   working days (China's make-up days).
    ///
    /// Extra dates add to the built-in tables. In an extra year, only the
    /// listed holidays and weekends are non-business days, so list them all.
    ///
    /// # Errors
    ///
    /// [`CalendarError::UnknownTimeZone`] or [`CalendarError::InvalidSetting`]
    /// when a setting does not parse.
    pub fn from_host(region: Region, host: &dyn Host) -> Result<Self, CalendarError> {
        let mut calendar = Self::new(region);
        if let Some(zone) = host.config(TIME_ZONE_KEY) {
            calendar = calendar.with_time_zone_name(zone.trim())?;
        }
        let date = |item: &str| NaiveDate::parse_from_str(item, "%Y-%m-%d").ok();
        calendar.overlay = Overlay {
            years: parse_list(EXTRA_YEARS_KEY, host.config(EXTRA_YEARS_KEY), |item| {
                item.parse().ok()
            })?,
            holidays: parse_list(EXTRA_HOLIDAYS_KEY, host.config(EXTRA_HOLIDAYS_KEY), date)?,
            working_days: parse_list(
                EXTRA_WORKING_DAYS_KEY,
                host.config(EXTRA_WORKING_DAYS_KEY),
                date,
            )?,
        };
        Ok(calendar)
    }

    /// The same holidays, counted in another time zone.
    pub fn with_time_zone(self, time_zone: Tz) -> Self {
        Self { time_zone, ..self }
    }

    /// Like [`with_time_zone`](Self::with_time_zone), from an IANA name.
    ///
    /// # Errors
    ///
    /// [`CalendarError::UnknownTimeZone`] if `name` is not an IANA zone.
    pub fn with_time_zone_name(self, name: &str) -> Result<Self, CalendarError> {
        let time_zone: Tz = name
            .parse()
            .map_err(|_| CalendarError::UnknownTimeZone(name.to_owned()))?;
        Ok(self.with_time_zone(time_zone))
    }

    /// The region.
    pub fn region(&self) -> Region {
        self.region
    }

    /// The time zone days are counted in.
    pub fn time_zone(&self) -> Tz {
        self.time_zone
    }

    /// The years this calendar has holiday data for.
    pub fn covered_years(&self) -> RangeInclusive<i32> {
        self.region.covered_years()
    }

    fn check_year(&self, date: NaiveDate) -> Result<(), CalendarError> {
        let covered = self.covered_years();
        if covered.contains(&date.year()) || self.overlay.years.contains(&date.year()) {
            Ok(())
        } else {
            Err(CalendarError::YearNotCovered {
                calendar: self.region.calendar_name(),
                year: date.year(),
                first: *covered.start(),
                last: *covered.end(),
            })
        }
    }

    /// The name of the public holiday on `date`, if it is one.
    ///
    /// # Errors
    ///
    /// [`CalendarError::YearNotCovered`] outside [`covered_years`](Self::covered_years).
    pub fn holiday(&self, date: NaiveDate) -> Result<Option<&'static str>, CalendarError> {
        self.check_year(date)?;
        if self.overlay.holidays.contains(&date) {
            return Ok(Some("public holiday (operator-configured)"));
        }
        Ok(match self.region {
            Region::Us => us::holiday(date),
            Region::Uk => uk::holiday(date),
            Region::Eu => target2::holiday(date),
            Region::Cn => cn::holiday(date),
            Region::Sg => sg::holiday(date),
        })
    }

    /// Whether `date` is a business day: not a weekend (unless China made it a
    /// working day) and not a public holiday.
    ///
    /// # Errors
    ///
    /// [`CalendarError::YearNotCovered`] outside [`covered_years`](Self::covered_years).
    pub fn is_business_day(&self, date: NaiveDate) -> Result<bool, CalendarError> {
        if self.holiday(date)?.is_some() {
            return Ok(false);
        }
        let weekend = matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
        let working_weekend = self.overlay.working_days.contains(&date)
            || (self.region == Region::Cn && cn::is_make_up_working_day(date));
        Ok(!weekend || working_weekend)
    }

    /// Whether the calendar has holiday data for `date`'s year (built in, or
    /// vouched for by the operator with `calendar.extra-years`).
    pub fn covers(&self, date: NaiveDate) -> bool {
        self.check_year(date).is_ok()
    }

    /// Whether `date` counts as a business day when counting a deadline.
    ///
    /// In a covered year this is [`is_business_day`](Self::is_business_day).
    /// In a year without data the answer is provisional and errs towards a
    /// working day: weekends are rest days and no day is a holiday, except in
    /// China, where a weekend day may be a make-up working day and so every
    /// day counts. A count made of such answers never ends later than the one
    /// the published table will give.
    pub fn counted_day(&self, date: NaiveDate) -> CountedDay {
        match self.is_business_day(date) {
            Ok(business) => CountedDay {
                business,
                provisional: false,
            },
            Err(_) => {
                let weekend = matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
                CountedDay {
                    business: self.region.has_make_up_working_days() || !weekend,
                    provisional: true,
                }
            }
        }
    }

    /// The date `n` business days after `date`, not counting `date` itself,
    /// counting years without data provisionally as [`counted_day`](Self::counted_day)
    /// does. The answer names the first such year, if any was used.
    ///
    /// # Errors
    ///
    /// [`CalendarError::TimestampOutOfRange`] past the end of chrono's dates.
    pub fn add_business_days_counted(
        &self,
        date: NaiveDate,
        n: u32,
    ) -> Result<Counted, CalendarError> {
        let mut counted = Counted::exact(date);
        let mut left = n;
        while left > 0 {
            counted.date = next_day(counted.date)?;
            let day = self.counted_day(counted.date);
            counted.note(day, counted.date);
            if day.business {
                left -= 1;
            }
        }
        Ok(counted)
    }

    /// The first business day on or after `date`, counting years without
    /// data provisionally as [`counted_day`](Self::counted_day) does.
    ///
    /// # Errors
    ///
    /// [`CalendarError::TimestampOutOfRange`] past the end of chrono's dates.
    pub fn business_day_on_or_after_counted(
        &self,
        date: NaiveDate,
    ) -> Result<Counted, CalendarError> {
        let mut counted = Counted::exact(date);
        loop {
            let day = self.counted_day(counted.date);
            counted.note(day, counted.date);
            if day.business {
                return Ok(counted);
            }
            counted.date = next_day(counted.date)?;
        }
    }

    /// The first business day on or after `date`.
    ///
    /// # Errors
    ///
    /// [`CalendarError::YearNotCovered`] if the search leaves the covered years.
    pub fn business_day_on_or_after(&self, date: NaiveDate) -> Result<NaiveDate, CalendarError> {
        let mut day = date;
        while !self.is_business_day(day)? {
            day = next_day(day)?;
        }
        Ok(day)
    }

    /// The date `n` business days after `date`, not counting `date` itself.
    ///
    /// # Errors
    ///
    /// [`CalendarError::YearNotCovered`] if the count leaves the covered years.
    pub fn add_business_days(&self, date: NaiveDate, n: u32) -> Result<NaiveDate, CalendarError> {
        let mut day = date;
        let mut left = n;
        while left > 0 {
            day = next_day(day)?;
            if self.is_business_day(day)? {
                left -= 1;
            }
        }
        Ok(day)
    }

    /// The local calendar date at instant `at`.
    ///
    /// # Errors
    ///
    /// [`CalendarError::TimestampOutOfRange`] for instants chrono cannot represent.
    pub fn local_date(&self, at: Timestamp) -> Result<NaiveDate, CalendarError> {
        let utc = DateTime::<Utc>::from_timestamp_millis(at)
            .ok_or(CalendarError::TimestampOutOfRange(at))?;
        Ok(utc.with_timezone(&self.time_zone).date_naive())
    }

    /// The instant local `date` begins. If a daylight-saving jump skips local
    /// midnight, the day begins at the first local time that exists.
    pub fn start_of_day(&self, date: NaiveDate) -> Timestamp {
        let mut local = date.and_time(NaiveTime::MIN);
        // Zones that jump at midnight skip at most a few hours; stop at noon.
        for _ in 0..48 {
            if let Some(start) = self.time_zone.from_local_datetime(&local).earliest() {
                return start.timestamp_millis();
            }
            local += chrono::Duration::minutes(15);
        }
        // Unreachable for IANA zones; fall back to UTC midnight.
        date.and_time(NaiveTime::MIN).and_utc().timestamp_millis()
    }

    /// The instant local `date` ends: the start of the next day.
    ///
    /// # Errors
    ///
    /// [`CalendarError::TimestampOutOfRange`] at the end of chrono's range.
    pub fn end_of_day(&self, date: NaiveDate) -> Result<Timestamp, CalendarError> {
        Ok(self.start_of_day(next_day(date)?))
    }
}

pub(crate) fn next_day(date: NaiveDate) -> Result<NaiveDate, CalendarError> {
    date.checked_add_days(Days::new(1))
        .ok_or(CalendarError::TimestampOutOfRange(i64::MAX))
}

/// Looks `date` up in a table of `(year, month, day, name)` rows.
fn table_lookup(table: &[(i32, u32, u32, &'static str)], date: NaiveDate) -> Option<&'static str> {
    table
        .iter()
        .find(|(y, m, d, _)| *y == date.year() && *m == date.month() && *d == date.day())
        .map(|(_, _, _, name)| *name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn years_outside_a_table_are_an_error_not_a_guess() {
        let cn = BusinessCalendar::new(Region::Cn);
        let err = cn.is_business_day(date(2027, 3, 1)).unwrap_err();
        assert!(matches!(
            err,
            CalendarError::YearNotCovered { year: 2027, .. }
        ));
        assert!(err.to_string().contains("2024 to 2026"));
    }

    #[test]
    fn counting_into_an_unpublished_year_skips_only_weekends_and_says_so() {
        let sg = BusinessCalendar::new(Region::Sg);
        // Fri 2028-01-07 + 2: Mon 10 and Tue 11 January, weekends the only rest days.
        let counted = sg.add_business_days_counted(date(2028, 1, 7), 2).unwrap();
        assert_eq!(counted.date, date(2028, 1, 11));
        assert_eq!(counted.unpublished_year, Some(2028));
        // Inside the table the count is exact.
        let counted = sg.add_business_days_counted(date(2027, 2, 5), 1).unwrap();
        assert_eq!(
            counted.date,
            date(2027, 2, 9),
            "CNY 6-7 Feb, in lieu Mon 8 Feb 2027"
        );
        assert!(!counted.is_provisional());
    }

    #[test]
    fn an_unpublished_chinese_year_counts_every_day_because_of_make_up_days() {
        let cn = BusinessCalendar::new(Region::Cn);
        // Sat 2027-03-06 may be a make-up working day: it counts.
        let day = cn.counted_day(date(2027, 3, 6));
        assert!(day.business && day.provisional);
        let counted = cn
            .business_day_on_or_after_counted(date(2027, 3, 6))
            .unwrap();
        assert_eq!(counted.date, date(2027, 3, 6));
        assert!(counted.is_provisional());
        // A published year still uses the table: 2026-01-04 is a make-up Sunday.
        let day = cn.counted_day(date(2026, 1, 4));
        assert!(day.business && !day.provisional);
    }

    #[test]
    fn adding_business_days_skips_weekends() {
        let us = BusinessCalendar::new(Region::Us);
        // Friday 2025-06-06 + 1 business day = Monday 2025-06-09.
        assert_eq!(
            us.add_business_days(date(2025, 6, 6), 1).unwrap(),
            date(2025, 6, 9)
        );
    }

    #[test]
    fn london_midnight_in_summer_is_23_00_utc() {
        let uk = BusinessCalendar::new(Region::Uk);
        let start = uk.start_of_day(date(2025, 7, 1));
        assert_eq!(
            start,
            date(2025, 6, 30)
                .and_hms_opt(23, 0, 0)
                .unwrap()
                .and_utc()
                .timestamp_millis()
        );
    }

    #[test]
    fn unknown_zone_names_are_rejected() {
        let err = BusinessCalendar::new(Region::Eu)
            .with_time_zone_name("Mars/Olympus")
            .unwrap_err();
        assert_eq!(err, CalendarError::UnknownTimeZone("Mars/Olympus".into()));
    }

    #[test]
    fn operators_can_add_a_year_the_tables_lack() {
        let host = crate::testing::TestHost::at(0)
            .with_config(EXTRA_YEARS_KEY, "2027")
            .with_config(EXTRA_HOLIDAYS_KEY, "2027-01-01, 2027-02-08")
            .with_config(EXTRA_WORKING_DAYS_KEY, "2027-02-20");
        let cn = BusinessCalendar::from_host(Region::Cn, &host).unwrap();
        assert!(!cn.is_business_day(date(2027, 1, 1)).unwrap());
        assert!(!cn.is_business_day(date(2027, 2, 8)).unwrap());
        assert!(cn.is_business_day(date(2027, 2, 20)).unwrap());
        assert!(cn.is_business_day(date(2027, 3, 1)).unwrap());
        assert!(cn.is_business_day(date(2028, 3, 1)).is_err());
    }

    #[test]
    fn malformed_settings_are_rejected() {
        let host = crate::testing::TestHost::at(0).with_config(EXTRA_HOLIDAYS_KEY, "27/1/2027");
        let err = BusinessCalendar::from_host(Region::Sg, &host).unwrap_err();
        assert!(matches!(err, CalendarError::InvalidSetting { .. }));
    }

    #[test]
    fn region_codes_round_trip() {
        for region in [Region::Us, Region::Uk, Region::Eu, Region::Cn, Region::Sg] {
            assert_eq!(Region::from_code(region.code()), Some(region));
        }
        assert_eq!(Region::from_code("gb"), Some(Region::Uk));
        assert_eq!(Region::from_code("HK"), None);
    }
}
