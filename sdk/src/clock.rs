//! Complaint clocks: events (WIT `clock-event`), the timeline they make, and
//! counting a period of days on it.
//!
//! A period counts whole local days after the day the clock started (receipt,
//! or the last restart on new facts), in the region's time zone. A day is not
//! counted when the clock was paused for the whole of it: a pause that starts
//! at 10:00 on Monday and ends at 15:00 on Wednesday removes Tuesday only.
//! Part-paused days still count, which keeps deadlines on the complainant's
//! side. A deadline's `due_at` is the local midnight that ends its last day.

use chrono::{Months, NaiveDate};

use crate::calendar::{BusinessCalendar, Counted, next_day};
use crate::complaint::Timestamp;
use crate::deadline::{Deadline, DeadlineKind};
use crate::error::PluginError;

/// Why a clock stopped (WIT `pause-reason`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PauseReason {
    /// Waiting for the complainant.
    AwaitingCustomer,
    /// External appraisal or testing.
    ExternalAppraisal,
    /// Anything else.
    Other(String),
}

/// An extension of the handling period (WIT `extension`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Extension {
    /// Days added; the plugin says whether calendar or business days.
    pub days: u32,
    /// Whether the complainant was told.
    pub notice_given: bool,
}

/// What happened to the clock (WIT `clock-change`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ClockChange {
    /// The clock stopped.
    Paused(PauseReason),
    /// The clock started again.
    Resumed,
    /// The period was extended.
    Extended(Extension),
    /// New facts or reasons arrived.
    NewFacts,
}

/// One event on a complaint's clock (WIT `clock-event`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClockEvent {
    /// When it happened.
    pub at: Timestamp,
    /// What happened.
    pub change: ClockChange,
}

/// How a region treats clock events.
#[derive(Debug, Clone, Copy)]
pub struct ClockPolicy {
    /// Whether a pause for this reason stops the clock. Pauses the region
    /// does not allow are ignored, together with their matching resume.
    pub honours_pause: fn(&PauseReason) -> bool,
    /// Whether new facts start the clock again from zero.
    pub new_facts_restart: bool,
}

impl ClockPolicy {
    /// A clock that never pauses and never restarts.
    pub const RUNS_THROUGH: ClockPolicy = ClockPolicy {
        honours_pause: |_| false,
        new_facts_restart: false,
    };
}

/// A pause that stopped the clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pause {
    /// When it began.
    pub from: Timestamp,
    /// When it ended; `None` while still paused.
    pub until: Option<Timestamp>,
    /// Why.
    pub reason: PauseReason,
}

/// An extension granted at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GrantedExtension {
    /// When it was granted.
    pub at: Timestamp,
    /// The extension.
    pub extension: Extension,
}

/// A complaint's clock after applying its events under a [`ClockPolicy`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeline {
    /// When the current clock started: receipt, or the last restart.
    pub started_at: Timestamp,
    /// Whether new facts restarted it.
    pub restarted: bool,
    /// Pauses the policy honours since `started_at`, oldest first.
    pub pauses: Vec<Pause>,
    /// Extensions since `started_at`, oldest first.
    pub extensions: Vec<GrantedExtension>,
}

impl Timeline {
    /// Applies `events` (in the order they happened) to a clock that started
    /// at `received_at`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidEvent`](crate::ErrorKind::InvalidEvent) when an event
    /// comes before receipt or before the event listed ahead of it, a pause
    /// starts while paused, or a resume comes without a pause.
    pub fn build(
        received_at: Timestamp,
        events: &[ClockEvent],
        policy: ClockPolicy,
    ) -> Result<Timeline, PluginError> {
        let mut timeline = Timeline {
            started_at: received_at,
            restarted: false,
            pauses: Vec::new(),
            extensions: Vec::new(),
        };
        // An open pause the policy ignores still has to swallow its resume.
        let mut ignored_pause_open = false;
        let mut last_at = received_at;

        for event in events {
            if event.at < last_at {
                return Err(PluginError::invalid_event(format!(
                    "clock event at {} ms is earlier than receipt or the event before it",
                    event.at
                )));
            }
            last_at = event.at;
            let open = timeline.is_paused() || ignored_pause_open;

            match &event.change {
                ClockChange::Paused(_) if open => {
                    return Err(PluginError::invalid_event(format!(
                        "clock paused at {} ms while already paused",
                        event.at
                    )));
                }
                ClockChange::Paused(reason) if (policy.honours_pause)(reason) => {
                    timeline.pauses.push(Pause {
                        from: event.at,
                        until: None,
                        reason: reason.clone(),
                    });
                }
                ClockChange::Paused(_) => ignored_pause_open = true,
                ClockChange::Resumed if !open => {
                    return Err(PluginError::invalid_event(format!(
                        "clock resumed at {} ms without a pause",
                        event.at
                    )));
                }
                ClockChange::Resumed => {
                    timeline.close_pause(event.at);
                    ignored_pause_open = false;
                }
                ClockChange::Extended(extension) => timeline.extensions.push(GrantedExtension {
                    at: event.at,
                    extension: *extension,
                }),
                ClockChange::NewFacts if policy.new_facts_restart => {
                    timeline = Timeline {
                        started_at: event.at,
                        restarted: true,
                        pauses: Vec::new(),
                        extensions: Vec::new(),
                    };
                    ignored_pause_open = false;
                }
                ClockChange::NewFacts => {}
            }
        }
        Ok(timeline)
    }

    fn close_pause(&mut self, at: Timestamp) {
        if let Some(pause) = self.pauses.last_mut().filter(|p| p.until.is_none()) {
            pause.until = Some(at);
        }
    }

    /// Whether the clock is paused now (an honoured pause has no end).
    pub fn is_paused(&self) -> bool {
        self.pauses.last().is_some_and(|p| p.until.is_none())
    }

    /// Total extension days granted with notice to the complainant.
    pub fn noticed_extension_days(&self) -> u32 {
        self.extensions
            .iter()
            .filter(|e| e.extension.notice_given)
            .map(|e| e.extension.days)
            .sum()
    }
}

/// A length of time to count on a [`Timeline`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Period {
    /// Calendar days.
    CalendarDays(u32),
    /// Business days of the region's calendar.
    BusinessDays(u32),
    /// Calendar weeks (7 calendar days each).
    Weeks(u32),
    /// Calendar months: to the same date `n` months on, or the month's last
    /// day when that date does not exist (Regulation 1182/71 article 3).
    Months(u32),
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Period::CalendarDays(n) => write!(f, "{n} calendar days"),
            Period::BusinessDays(n) => write!(f, "{n} business days"),
            Period::Weeks(n) => write!(f, "{n} weeks"),
            Period::Months(n) => write!(f, "{n} months"),
        }
    }
}

/// Counts periods on a timeline with a region's calendar.
///
/// # Examples
///
/// ```
/// use redress_sdk::calendar::{BusinessCalendar, Region};
/// use redress_sdk::clock::{ClockPolicy, DeadlineClock, Period, Timeline};
/// use redress_sdk::testing::local_ms;
///
/// let uk = BusinessCalendar::new(Region::Uk);
/// // Received Thursday 2025-04-17 at 10:00 in London; Good Friday and Easter
/// // Monday are bank holidays.
/// let received = local_ms("Europe/London", "2025-04-17 10:00");
/// let timeline = Timeline::build(received, &[], ClockPolicy::RUNS_THROUGH)?;
/// let clock = DeadlineClock::new(&uk, &timeline, received);
/// let last_day = clock.last_day(Period::BusinessDays(3))?;
/// assert_eq!(last_day.to_string(), "2025-04-24");
/// # Ok::<(), redress_sdk::PluginError>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct DeadlineClock<'a> {
    calendar: &'a BusinessCalendar,
    timeline: &'a Timeline,
    now: Timestamp,
}

impl<'a> DeadlineClock<'a> {
    /// A clock on `timeline`; an open pause is taken to last until `now`.
    pub fn new(calendar: &'a BusinessCalendar, timeline: &'a Timeline, now: Timestamp) -> Self {
        Self {
            calendar,
            timeline,
            now,
        }
    }

    /// The local date the clock started on.
    ///
    /// # Errors
    ///
    /// When the start cannot be represented as a date.
    pub fn start_date(&self) -> Result<NaiveDate, PluginError> {
        Ok(self.calendar.local_date(self.timeline.started_at)?)
    }

    fn fully_paused(&self, date: NaiveDate) -> Result<bool, PluginError> {
        let day_start = self.calendar.start_of_day(date);
        let day_end = self.calendar.end_of_day(date)?;
        Ok(self.timeline.pauses.iter().any(|pause| {
            let until = pause.until.unwrap_or(self.now.max(pause.from));
            pause.from <= day_start && until >= day_end
        }))
    }

    /// The last local day of `period`, counted from the day after the start.
    ///
    /// Business days in a year the calendar has no holidays for are counted
    /// provisionally (see [`BusinessCalendar::counted_day`]); use
    /// [`count`](Self::count) to learn whether that happened.
    ///
    /// # Errors
    ///
    /// When the start or the end cannot be represented as a date.
    pub fn last_day(&self, period: Period) -> Result<NaiveDate, PluginError> {
        Ok(self.count(period)?.date)
    }

    /// Like [`last_day`](Self::last_day), saying whether the count crossed a
    /// year without holiday data.
    ///
    /// # Errors
    ///
    /// As for [`last_day`](Self::last_day).
    pub fn count(&self, period: Period) -> Result<Counted, PluginError> {
        let start = self.start_date()?;
        let (days, business) = match period {
            Period::CalendarDays(n) => (n, false),
            Period::BusinessDays(n) => (n, true),
            Period::Weeks(n) => (n * 7, false),
            Period::Months(n) => {
                let end = start.checked_add_months(Months::new(n)).ok_or_else(|| {
                    PluginError::invalid_complaint("deadline beyond the representable dates")
                })?;
                let days = u32::try_from((end - start).num_days()).unwrap_or(u32::MAX);
                (days, false)
            }
        };

        let mut counted = Counted::exact(start);
        let mut left = days;
        while left > 0 {
            counted.date = next_day(counted.date)?;
            let countable = if business {
                let day = self.calendar.counted_day(counted.date);
                counted.note(day, counted.date);
                day.business
            } else {
                true
            };
            if countable && !self.fully_paused(counted.date)? {
                left -= 1;
            }
        }
        Ok(counted)
    }

    /// The exclusive due instant of `period`: the local midnight ending its last day.
    ///
    /// # Errors
    ///
    /// As for [`last_day`](Self::last_day).
    pub fn due_at(&self, period: Period) -> Result<Timestamp, PluginError> {
        let last = self.last_day(period)?;
        Ok(self.calendar.end_of_day(last)?)
    }

    /// Like [`due_at`](Self::due_at), but when the last day is not a business
    /// day the period runs on to the next business day (as PRC Civil Code
    /// article 203 does for periods ending on a statutory rest day).
    ///
    /// # Errors
    ///
    /// As for [`last_day`](Self::last_day).
    pub fn due_at_next_business_day(&self, period: Period) -> Result<Timestamp, PluginError> {
        let last = self.count_to_business_day(period)?;
        Ok(self.calendar.end_of_day(last.date)?)
    }

    fn count_to_business_day(&self, period: Period) -> Result<Counted, PluginError> {
        let counted = self.count(period)?;
        let mut rolled = self
            .calendar
            .business_day_on_or_after_counted(counted.date)?;
        if counted.unpublished_year.is_some() {
            rolled.unpublished_year = counted.unpublished_year;
        }
        Ok(rolled)
    }

    /// A [`Deadline`] of `kind` due [`due_at`](Self::due_at) `period`, citing
    /// `rule`, with `paused` and `basis` filled from the timeline. When the
    /// count crossed a year without holiday data, the basis says the date is
    /// provisional.
    ///
    /// # Errors
    ///
    /// As for [`last_day`](Self::last_day).
    pub fn deadline(
        &self,
        kind: DeadlineKind,
        period: Period,
        rule: &str,
    ) -> Result<Deadline, PluginError> {
        let counted = self.count(period)?;
        let due_at = self.calendar.end_of_day(counted.date)?;
        Ok(self.describe(kind, due_at, rule, period.to_string(), counted))
    }

    /// Like [`deadline`](Self::deadline), rolled on to the next business day
    /// as [`due_at_next_business_day`](Self::due_at_next_business_day) does.
    ///
    /// # Errors
    ///
    /// As for [`last_day`](Self::last_day).
    pub fn deadline_next_business_day(
        &self,
        kind: DeadlineKind,
        period: Period,
        rule: &str,
    ) -> Result<Deadline, PluginError> {
        let counted = self.count_to_business_day(period)?;
        let due_at = self.calendar.end_of_day(counted.date)?;
        let how = format!("{period}, moved to the next working day if it ends on a rest day");
        Ok(self.describe(kind, due_at, rule, how, counted))
    }

    fn describe(
        &self,
        kind: DeadlineKind,
        due_at: Timestamp,
        rule: &str,
        how: String,
        counted: Counted,
    ) -> Deadline {
        let from = if self.timeline.restarted {
            "the day new facts arrived"
        } else {
            "the day of receipt"
        };
        let mut basis = format!("{how} after {from}, {}", self.calendar.time_zone());
        if !self.timeline.pauses.is_empty() {
            basis.push_str("; days paused throughout not counted");
        }
        if let Some(year) = counted.unpublished_year {
            let region = self.calendar.region();
            let assumed = if region.has_make_up_working_days() {
                "every day counted as a working day, since any weekend day may be a make-up day"
            } else {
                "only weekends counted as rest days"
            };
            basis.push_str(&format!(
                "; {PROVISIONAL}: the {} holidays for {year} are not published, so {assumed}; \
                 the final date can only be later",
                region.calendar_name()
            ));
        }
        Deadline {
            kind,
            due_at,
            rule: rule.to_owned(),
            paused: self.timeline.is_paused(),
            basis,
        }
    }
}

/// The word a deadline's basis starts its note with when the deadline was
/// counted through a year without published holidays.
pub const PROVISIONAL: &str = "PROVISIONAL";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::Region;
    use crate::testing::local_ms;

    const LONDON: &str = "Europe/London";

    fn honour_all(_: &PauseReason) -> bool {
        true
    }

    const PAUSABLE: ClockPolicy = ClockPolicy {
        honours_pause: honour_all,
        new_facts_restart: true,
    };

    fn event(at: &str, change: ClockChange) -> ClockEvent {
        ClockEvent {
            at: local_ms(LONDON, at),
            change,
        }
    }

    #[test]
    fn a_pause_removes_only_whole_days() {
        let uk = BusinessCalendar::new(Region::Uk);
        let received = local_ms(LONDON, "2025-06-02 09:00"); // Monday
        let events = [
            event(
                "2025-06-03 10:00",
                ClockChange::Paused(PauseReason::AwaitingCustomer),
            ),
            event("2025-06-05 15:00", ClockChange::Resumed),
        ];
        let timeline = Timeline::build(received, &events, PAUSABLE).unwrap();
        let clock = DeadlineClock::new(&uk, &timeline, received);
        // Only Wednesday 4 June was paused throughout, so 10 calendar days end
        // one day later than 12 June.
        let last = clock.last_day(Period::CalendarDays(10)).unwrap();
        assert_eq!(last, NaiveDate::from_ymd_opt(2025, 6, 13).unwrap());
    }

    #[test]
    fn an_open_pause_lasts_until_now() {
        let uk = BusinessCalendar::new(Region::Uk);
        let received = local_ms(LONDON, "2025-06-02 09:00");
        let events = [event(
            "2025-06-02 12:00",
            ClockChange::Paused(PauseReason::ExternalAppraisal),
        )];
        let timeline = Timeline::build(received, &events, PAUSABLE).unwrap();
        assert!(timeline.is_paused());
        let now = local_ms(LONDON, "2025-06-06 08:00");
        let clock = DeadlineClock::new(&uk, &timeline, now);
        // 3, 4 and 5 June were paused throughout; counting resumes on 6 June.
        let last = clock.last_day(Period::CalendarDays(1)).unwrap();
        assert_eq!(last, NaiveDate::from_ymd_opt(2025, 6, 6).unwrap());
    }

    #[test]
    fn new_facts_restart_the_clock_and_drop_old_pauses() {
        let received = local_ms(LONDON, "2025-06-02 09:00");
        let events = [
            event(
                "2025-06-03 10:00",
                ClockChange::Paused(PauseReason::AwaitingCustomer),
            ),
            event("2025-06-10 10:00", ClockChange::NewFacts),
        ];
        let timeline = Timeline::build(received, &events, PAUSABLE).unwrap();
        assert_eq!(timeline.started_at, local_ms(LONDON, "2025-06-10 10:00"));
        assert!(timeline.restarted);
        assert!(timeline.pauses.is_empty());
    }

    #[test]
    fn ignored_pauses_swallow_their_resume() {
        let received = local_ms(LONDON, "2025-06-02 09:00");
        let events = [
            event(
                "2025-06-03 10:00",
                ClockChange::Paused(PauseReason::AwaitingCustomer),
            ),
            event("2025-06-05 10:00", ClockChange::Resumed),
        ];
        let timeline = Timeline::build(received, &events, ClockPolicy::RUNS_THROUGH).unwrap();
        assert!(timeline.pauses.is_empty());
    }

    #[test]
    fn out_of_order_and_unbalanced_events_are_rejected() {
        let received = local_ms(LONDON, "2025-06-02 09:00");
        let before = [event("2025-06-01 10:00", ClockChange::NewFacts)];
        let resume = [event("2025-06-03 10:00", ClockChange::Resumed)];
        let twice = [
            event(
                "2025-06-03 10:00",
                ClockChange::Paused(PauseReason::AwaitingCustomer),
            ),
            event(
                "2025-06-04 10:00",
                ClockChange::Paused(PauseReason::AwaitingCustomer),
            ),
        ];
        for events in [&before[..], &resume[..], &twice[..]] {
            let err = Timeline::build(received, events, PAUSABLE).unwrap_err();
            assert_eq!(err.kind, crate::ErrorKind::InvalidEvent);
        }
    }

    #[test]
    fn months_end_on_the_last_day_of_a_shorter_month() {
        let eu = BusinessCalendar::new(Region::Eu);
        let received = local_ms("Europe/Brussels", "2025-01-31 12:00");
        let timeline = Timeline::build(received, &[], ClockPolicy::RUNS_THROUGH).unwrap();
        let clock = DeadlineClock::new(&eu, &timeline, received);
        let last = clock.last_day(Period::Months(1)).unwrap();
        assert_eq!(last, NaiveDate::from_ymd_opt(2025, 2, 28).unwrap());
    }
}
