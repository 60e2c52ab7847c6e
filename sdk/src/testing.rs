//! Running plugin logic natively in `cargo test`.
//!
//! [`TestHost`] stands in for the host: a fixed clock, a configuration map
//! and a record of log lines. [`complaint`] builds a complaint with neutral
//! defaults, and [`local_ms`] turns a local wall-clock time into the UTC
//! milliseconds the contract uses, so tests read like the rules they check.

use std::cell::RefCell;
use std::collections::BTreeMap;

use chrono::{NaiveDateTime, TimeZone};
use chrono_tz::Tz;

use crate::closure::{FinalResponse, Outcome};
use crate::complaint::{Complaint, ComplaintStatus, Timestamp};
use crate::deadline::{Deadline, DeadlineKind};
use crate::host::{Host, LogLevel};

/// One log line a plugin wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// Severity.
    pub level: LogLevel,
    /// Message.
    pub message: String,
    /// Structured fields.
    pub fields: Vec<(String, String)>,
}

/// A host for tests: fixed `now`, settable configuration, captured logs.
#[derive(Debug, Default)]
pub struct TestHost {
    now: Timestamp,
    config: BTreeMap<String, String>,
    logs: RefCell<Vec<LogLine>>,
}

impl TestHost {
    /// A host whose clock reads `now`.
    pub fn at(now: Timestamp) -> Self {
        Self {
            now,
            ..Self::default()
        }
    }

    /// Sets a configuration value.
    pub fn with_config(mut self, key: &str, value: &str) -> Self {
        self.config.insert(key.to_owned(), value.to_owned());
        self
    }

    /// The log lines written so far.
    pub fn logs(&self) -> Vec<LogLine> {
        self.logs.borrow().clone()
    }
}

impl Host for TestHost {
    fn log(&self, level: LogLevel, message: &str, fields: &[(&str, &str)]) {
        self.logs.borrow_mut().push(LogLine {
            level,
            message: message.to_owned(),
            fields: fields
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        });
    }

    fn now(&self) -> Timestamp {
        self.now
    }

    fn config(&self, key: &str) -> Option<String> {
        self.config.get(key).cloned()
    }
}

/// UTC milliseconds of the local wall-clock time `local` ("YYYY-MM-DD HH:MM")
/// in IANA zone `zone`. In a daylight-saving overlap the earlier instant wins.
///
/// # Panics
///
/// On an unknown zone, a malformed time, or a local time skipped by a
/// daylight-saving jump; all are mistakes in the test itself.
pub fn local_ms(zone: &str, local: &str) -> Timestamp {
    let tz: Tz = zone.parse().expect("known IANA zone");
    let naive = NaiveDateTime::parse_from_str(local, "%Y-%m-%d %H:%M").expect("YYYY-MM-DD HH:MM");
    tz.from_local_datetime(&naive)
        .earliest()
        .expect("local time exists")
        .timestamp_millis()
}

/// UTC milliseconds of `utc` ("YYYY-MM-DD HH:MM" in UTC).
///
/// # Panics
///
/// On a malformed time.
pub fn utc_ms(utc: &str) -> Timestamp {
    local_ms("UTC", utc)
}

/// A complaint in `region` received at `received_at`, with neutral defaults
/// for every other field. Set the fields a test cares about afterwards.
pub fn complaint(region: &str, received_at: Timestamp) -> Complaint {
    Complaint {
        reference: "TEST-0001".to_owned(),
        region: region.to_owned(),
        product: "Current account".to_owned(),
        sub_product: None,
        issue: "Charges".to_owned(),
        sub_issue: None,
        channel: "web".to_owned(),
        received_at,
        customer_time_zone: None,
        tags: Vec::new(),
        amount_in_dispute: None,
        status: ComplaintStatus::Received,
        personal_data: None,
    }
}

/// A final response with `outcome`, sent at `sent_at`, stating `elements`.
pub fn final_response(outcome: Outcome, sent_at: Timestamp, elements: &[&str]) -> FinalResponse {
    FinalResponse {
        outcome,
        sent_at,
        elements: elements.iter().map(|e| (*e).to_owned()).collect(),
        redress: None,
        response_category: None,
    }
}

/// The deadline of `kind` in `deadlines`.
///
/// # Panics
///
/// When there is none, naming the kinds that are there.
pub fn deadline<'a>(deadlines: &'a [Deadline], kind: &DeadlineKind) -> &'a Deadline {
    deadlines
        .iter()
        .find(|d| &d.kind == kind)
        .unwrap_or_else(|| {
            let kinds: Vec<_> = deadlines.iter().map(|d| &d.kind).collect();
            panic!("no {kind:?} deadline among {kinds:?}")
        })
}

/// Asserts that `deadlines` hold a `kind` deadline due at `due_at` under
/// exactly `rule`, and returns it for further checks. A deadline table test
/// names the rule it checks; this makes it prove the plugin cited it too.
///
/// # Panics
///
/// When there is no such deadline, or its due time or rule differ; the
/// message shows both instants in UTC.
#[track_caller]
pub fn assert_deadline<'a>(
    deadlines: &'a [Deadline],
    kind: &DeadlineKind,
    due_at: Timestamp,
    rule: &str,
) -> &'a Deadline {
    let found = deadline(deadlines, kind);
    assert_eq!(
        found.due_at,
        due_at,
        "{kind:?} is due at {}, expected {}",
        show(found.due_at),
        show(due_at)
    );
    assert_eq!(found.rule, rule, "{kind:?} cites the wrong rule");
    found
}

fn show(at: Timestamp) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp_millis(at)
        .map_or_else(|| format!("{at} ms"), |t| t.to_rfc3339())
}

/// Whether `deadlines` hold one of `kind`.
pub fn has_deadline(deadlines: &[Deadline], kind: &DeadlineKind) -> bool {
    deadlines.iter().any(|d| &d.kind == kind)
}
